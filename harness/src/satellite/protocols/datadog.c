/* The Datadog agent's trace intake: PUT or POST /v0.3/traces and
 * /v0.4/traces, a msgpack array of traces, each an array of span maps with
 * unsigned trace_id and span_id. Decoded with msgpack-c after a bounds
 * walk of our own: msgpack-c sizes an array's allocation from its header
 * before reading the elements, so six lying bytes could ask it for tens of
 * gigabytes. */
#include <msgpack.h>
#include <string.h>

#include "protocols.h"

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Checks that one msgpack object at body is complete and that no
 * container claims more elements than bytes remain. Returns 0 when sound. */
static int bounds_ok(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint64_t pending = 1; /* objects still to read */

    while (pending > 0) {
        uint64_t skip = 0, add = 0;
        uint8_t b;

        if (p >= end)
            return -1;
        b = *p++;
        pending--;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;
        if (b >= 0x80 && b <= 0x8f)
            add = 2u * (b & 0x0f);
        else if (b >= 0x90 && b <= 0x9f)
            add = b & 0x0f;
        else if (b >= 0xa0 && b <= 0xbf)
            skip = b & 0x1f;
        else {
            static const int fixed[] = {
                [0xca - 0xc4] = 4, [0xcb - 0xc4] = 8, [0xcc - 0xc4] = 1,
                [0xcd - 0xc4] = 2, [0xce - 0xc4] = 4, [0xcf - 0xc4] = 8,
                [0xd0 - 0xc4] = 1, [0xd1 - 0xc4] = 2, [0xd2 - 0xc4] = 4,
                [0xd3 - 0xc4] = 8, [0xd4 - 0xc4] = 2, [0xd5 - 0xc4] = 3,
                [0xd6 - 0xc4] = 5, [0xd7 - 0xc4] = 9, [0xd8 - 0xc4] = 17,
            };
            int lenbytes = 0;

            if (b == 0xc1)
                return -1;
            switch (b) {
            case 0xc4:
            case 0xc7:
            case 0xd9:
                lenbytes = 1;
                break;
            case 0xc5:
            case 0xc8:
            case 0xda:
            case 0xdc:
            case 0xde:
                lenbytes = 2;
                break;
            case 0xc6:
            case 0xc9:
            case 0xdb:
            case 0xdd:
            case 0xdf:
                lenbytes = 4;
                break;
            default:
                skip = (uint64_t)fixed[b - 0xc4];
            }
            if (lenbytes > 0) {
                uint64_t n;

                if ((size_t)(end - p) < (size_t)lenbytes)
                    return -1;
                n = be(p, lenbytes);
                p += lenbytes;
                if (b == 0xdc || b == 0xdd)
                    add = n;
                else if (b == 0xde || b == 0xdf)
                    add = 2 * n;
                else
                    skip = n + (b >= 0xc7 && b <= 0xc9 ? 1 : 0);
            }
        }
        if (skip > (uint64_t)(end - p))
            return -1;
        p += skip;
        pending += add;
        /* Every pending object needs at least one byte. */
        if (pending > (uint64_t)(end - p))
            return -1;
    }
    return 0;
}

static int key_is(const msgpack_object *k, const char *name)
{
    size_t n = strlen(name);

    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, name, n) == 0;
}

static int as_u64(const msgpack_object *v, uint64_t *out)
{
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        *out = v->via.u64;
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = (uint64_t)v->via.i64;
    else
        return -1;
    return 0;
}

/* "start", int64 epoch ns. A negative one (or an unsigned one past int64)
 * is no time a tracer would mean: 0, like a missing one. */
static uint64_t start_ns(const msgpack_object *v)
{
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        v->via.u64 <= (uint64_t)INT64_MAX)
        return v->via.u64;
    return 0;
}

static tb_err add_span(struct tb__decode_ctx *ctx, const msgpack_object *sp,
                       size_t t, size_t s, tb_error *err)
{
    uint64_t trace = 0, span = 0, start = 0;
    int have = 0;

    if (sp->type != MSGPACK_OBJECT_MAP)
        return tb_error_set(err, TB_ERR_DECODE,
                            "datadog: trace %zu span "
                            "%zu is not a map",
                            t, s);
    for (uint32_t i = 0; i < sp->via.map.size; i++) {
        const msgpack_object_kv *kv = &sp->via.map.ptr[i];

        if (key_is(&kv->key, "trace_id") && as_u64(&kv->val, &trace) == 0)
            have |= 1;
        else if (key_is(&kv->key, "span_id") && as_u64(&kv->val, &span) == 0)
            have |= 2;
        else if (key_is(&kv->key, "start"))
            start = start_ns(&kv->val);
    }
    if (have != 3)
        return tb_error_set(err, TB_ERR_DECODE,
                            "datadog: trace %zu span "
                            "%zu lacks an integer trace_id or span_id",
                            t, s);
    return tb__span_keys_push(ctx->keys, 0, trace, span, start, err);
}

tb_err tb__decode_datadog(struct tb__decode_ctx *ctx, const uint8_t *body,
                          size_t len, tb_error *err)
{
    msgpack_unpacked msg;
    const msgpack_object *root;
    size_t off = 0;
    tb_err rc = TB_OK;

    (void)ctx->arena;
    if (bounds_ok(body, len) != 0)
        return tb_error_set(err, TB_ERR_DECODE,
                            "datadog: truncated or "
                            "malformed msgpack (%zu bytes)",
                            len);
    msgpack_unpacked_init(&msg);
    if (msgpack_unpack_next(&msg, (const char *)body, len, &off) !=
        MSGPACK_UNPACK_SUCCESS) {
        rc = tb_error_set(err, TB_ERR_DECODE,
                          "datadog: malformed msgpack "
                          "(%zu bytes)",
                          len);
        goto out;
    }
    root = &msg.data;
    if (root->type != MSGPACK_OBJECT_ARRAY) {
        rc = tb_error_set(err, TB_ERR_DECODE,
                          "datadog: not an array of "
                          "traces");
        goto out;
    }
    for (uint32_t t = 0; t < root->via.array.size; t++) {
        const msgpack_object *tr = &root->via.array.ptr[t];

        if (tr->type != MSGPACK_OBJECT_ARRAY) {
            rc = tb_error_set(err, TB_ERR_DECODE,
                              "datadog: trace %u is not "
                              "an array of spans",
                              t);
            goto out;
        }
        for (uint32_t s = 0; s < tr->via.array.size; s++)
            if ((rc = add_span(ctx, &tr->via.array.ptr[s], t, s, err)) != TB_OK)
                goto out;
    }
out:
    msgpack_unpacked_destroy(&msg);
    return rc;
}
