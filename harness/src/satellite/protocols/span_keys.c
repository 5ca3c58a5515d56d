/* Span identities: the growing key list decoders fill, and hex ids. */
#include <stdlib.h>

#include "protocols.h"

tb_err tb__span_keys_push(struct tb__span_keys *keys, uint64_t trace_hi,
                          uint64_t trace_lo, uint64_t span_id,
                          uint64_t start_ns, tb_error *err)
{
    if (keys->n == keys->cap) {
        size_t cap = keys->cap ? keys->cap * 2 : 256;
        struct tb__span_key *v = realloc(keys->v, cap * sizeof(*v));

        if (v == NULL)
            return tb_error_set(err, TB_ERR_NOMEM,
                                "out of memory for %zu "
                                "span ids",
                                cap);
        keys->v = v;
        keys->cap = cap;
    }
    keys->v[keys->n].trace_hi = trace_hi;
    keys->v[keys->n].trace_lo = trace_lo;
    keys->v[keys->n].span_id = span_id;
    keys->v[keys->n].start_ns = start_ns;
    keys->v[keys->n].repeat = false;
    keys->n++;
    return TB_OK;
}

void tb__span_keys_free(struct tb__span_keys *keys)
{
    free(keys->v);
    keys->v = NULL;
    keys->n = keys->cap = 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool tb__hex_id(const char *s, size_t len, uint64_t *hi, uint64_t *lo)
{
    uint64_t h = 0, l = 0;

    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit(s[i]);

        if (d < 0)
            return false;
        h = (h << 4) | (l >> 60);
        l = (l << 4) | (uint64_t)d;
    }
    *hi = h;
    *lo = l;
    return true;
}
