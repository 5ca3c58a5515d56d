/* Per-function instruction growth between two cachegrind profiles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebench/gate/attribution.h"

struct entry {
    char *key; /* "function\tfile", owned */
    double ir; /* + after, - before */
};

struct table {
    struct entry *v;
    size_t n, cap;
};

static int push(struct table *t, const char *fn, const char *fl, double ir)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 4096;
        struct entry *nv = realloc(t->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        t->v = nv;
        t->cap = ncap;
    }
    if (asprintf(&t->v[t->n].key, "%s\t%s", fn, fl) < 0)
        return -1;
    t->v[t->n++].ir = ir;
    return 0;
}

/* Adds sign x each function's count of one file (a function may appear
 * in several blocks: they are merged later). */
static tb_err load(const char *path, double sign, struct table *t,
                   tb_error *err)
{
    FILE *f = fopen(path, "r");
    char line[8192], fl[4096] = "???", fn[4096] = "";
    double sum = 0;
    int bad = 0;

    if (f == NULL)
        return tb_error_set(err, TB_ERR_IO, "open %s: %s", path,
                            strerror(errno));
    while (!bad && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "fl=", 3) == 0 || strncmp(line, "fn=", 3) == 0) {
            if (fn[0] != '\0' && sum != 0)
                bad = push(t, fn, fl, sign * sum);
            sum = 0;
            if (line[1] == 'l') {
                snprintf(fl, sizeof(fl), "%.4000s", line + 3);
                fn[0] = '\0';
            } else {
                snprintf(fn, sizeof(fn), "%.4000s", line + 3);
            }
        } else if (fn[0] != '\0' && line[0] >= '0' && line[0] <= '9') {
            unsigned long long lno, ir;
            if (sscanf(line, "%llu %llu", &lno, &ir) == 2)
                sum += (double)ir;
        }
    }
    if (!bad && fn[0] != '\0' && sum != 0)
        bad = push(t, fn, fl, sign * sum);
    fclose(f);
    return bad ? tb_error_set(err, TB_ERR_NOMEM, "out of memory") : TB_OK;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key,
                  ((const struct entry *)b)->key);
}

tb_err tb_attribution_diff(const char *before, const char *after,
                           struct tb_growth *out, size_t max, size_t *n,
                           tb_error *err)
{
    struct table t = {0};
    tb_err e;

    *n = 0;
    /* Growth = after - before; "before" entries are kept apart by a
     * marker so that each function's two totals can be reported. */
    if ((e = load(before, -1.0, &t, err)) != TB_OK ||
        (e = load(after, 1.0, &t, err)) != TB_OK)
        goto out;
    qsort(t.v, t.n, sizeof(*t.v), by_key);
    for (size_t i = 0; i < t.n;) {
        size_t j = i;
        double b = 0, a = 0;
        for (; j < t.n && strcmp(t.v[j].key, t.v[i].key) == 0; j++) {
            if (t.v[j].ir < 0)
                b -= t.v[j].ir;
            else
                a += t.v[j].ir;
        }
        if (a > b) {
            /* Insert into out[], kept sorted by growth, largest first. */
            size_t k = *n < max ? (*n)++ : max;
            while (k > 0 && out[k - 1].after - out[k - 1].before < a - b) {
                if (k < max)
                    out[k] = out[k - 1];
                k--;
            }
            if (k < max) {
                char *tab = strchr(t.v[i].key, '\t');
                *tab = '\0';
                snprintf(out[k].function, sizeof(out[k].function), "%s",
                         t.v[i].key);
                snprintf(out[k].file, sizeof(out[k].file), "%s", tab + 1);
                *tab = '\t';
                out[k].before = b;
                out[k].after = a;
            }
        }
        i = j;
    }
out:
    for (size_t i = 0; i < t.n; i++)
        free(t.v[i].key);
    free(t.v);
    return e;
}

void tb_attribution_format(const struct tb_growth *g, size_t n, char *buf,
                           size_t size)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++) {
        const char *file = strrchr(g[i].file, '/');
        int w = snprintf(buf + off, size - off, "%s%s (%s) +%.0f",
                         i ? "; " : "", g[i].function,
                         file ? file + 1 : g[i].file, g[i].after - g[i].before);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}
