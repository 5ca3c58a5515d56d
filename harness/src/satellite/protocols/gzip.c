/* Content-Encoding: gzip (or zlib) bodies, inflated with a size bound so
 * that a small bomb cannot make the satellite allocate gigabytes. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "protocols.h"

tb_err tb__gunzip(const uint8_t *in, size_t len, size_t limit, uint8_t **out,
                  size_t *out_len, tb_error *err)
{
    z_stream zs = {0};
    size_t cap = len * 4 + 1024;
    uint8_t *buf = NULL;
    tb_err rc = TB_OK;
    int z;

    if (cap > limit + 1)
        cap = limit + 1;
    /* 15 + 32: a zlib or gzip header, detected automatically. */
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return tb_error_set(err, TB_ERR_NOMEM, "gzip: cannot init zlib");
    buf = malloc(cap);
    if (buf == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "gzip: out of memory");
        goto out;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
    for (;;) {
        if (zs.total_out == cap) {
            size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            uint8_t *nbuf;

            if (cap > limit) {
                rc = tb_error_set(err, TB_ERR_INVALID_ARG,
                                  "gzip: inflated "
                                  "body over %zu bytes",
                                  limit);
                goto out;
            }
            nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                rc = tb_error_set(err, TB_ERR_NOMEM, "gzip: out of memory");
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        z = inflate(&zs, Z_NO_FLUSH);
        if (z == Z_STREAM_END)
            break;
        if (z == Z_BUF_ERROR && zs.avail_in == 0) {
            rc = tb_error_set(err, TB_ERR_DECODE, "gzip: truncated data");
            goto out;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            rc = tb_error_set(err, TB_ERR_DECODE, "gzip: %s",
                              zs.msg ? zs.msg : "corrupt data");
            goto out;
        }
    }
    if (zs.total_out > limit) {
        rc = tb_error_set(err, TB_ERR_INVALID_ARG,
                          "gzip: inflated body "
                          "over %zu bytes",
                          limit);
        goto out;
    }
    *out = buf;
    *out_len = zs.total_out;
    buf = NULL;
out:
    inflateEnd(&zs);
    free(buf);
    return rc;
}

#define STREAM_CHUNK_BYTES (16 * 1024)

tb_err tb__gunzip_stream_begin(struct tb__gunzip_stream *s, tb_error *err)
{
    s->ended = false;
    if (s->ready)
        return inflateReset(&s->zs) == Z_OK
                   ? TB_OK
                   : tb_error_set(err, TB_ERR_NOMEM, "gzip: cannot reset");
    memset(&s->zs, 0, sizeof(s->zs));
    if (inflateInit2(&s->zs, 15 + 32) != Z_OK)
        return tb_error_set(err, TB_ERR_NOMEM, "gzip: cannot init zlib");
    s->ready = true;
    return TB_OK;
}

tb_err
tb__gunzip_stream_feed(struct tb__gunzip_stream *s, const uint8_t *in, size_t n,
                       bool (*sink)(void *arg, const uint8_t *data, size_t len),
                       void *arg, tb_error *err)
{
    uint8_t out[STREAM_CHUNK_BYTES];

    if (!s->ready)
        return tb_error_set(err, TB_ERR_DECODE, "gzip: not started");
    while (n > 0 && !s->ended) {
        size_t step = n > UINT32_MAX ? UINT32_MAX : n;
        s->zs.next_in = (Bytef *)in;
        s->zs.avail_in = (uInt)step;
        /* Until this input is used up and no output is pending. */
        do {
            int z;
            size_t made;
            s->zs.next_out = out;
            s->zs.avail_out = sizeof(out);
            z = inflate(&s->zs, Z_NO_FLUSH);
            made = sizeof(out) - s->zs.avail_out;
            if (z != Z_OK && z != Z_STREAM_END && z != Z_BUF_ERROR)
                return tb_error_set(err, TB_ERR_DECODE, "gzip: %s",
                                    s->zs.msg ? s->zs.msg : "corrupt data");
            if (made > 0 && !sink(arg, out, made))
                return TB_ERR_INVALID_ARG;
            if (z == Z_STREAM_END) {
                s->ended = true;
                break;
            }
            if (z == Z_BUF_ERROR && made == 0)
                break; /* needs more input */
        } while (s->zs.avail_in > 0 || s->zs.avail_out == 0);
        in += step - s->zs.avail_in;
        n -= step - s->zs.avail_in;
        if (!s->ended && s->zs.avail_in > 0)
            break; /* cannot happen: inflate used what it could */
        if (s->ended)
            break;
    }
    return TB_OK;
}

tb_err tb__gunzip_stream_finish(const struct tb__gunzip_stream *s,
                                tb_error *err)
{
    if (!s->ended)
        return tb_error_set(err, TB_ERR_DECODE, "gzip: truncated data");
    return TB_OK;
}

void tb__gunzip_stream_free(struct tb__gunzip_stream *s)
{
    if (s->ready)
        inflateEnd(&s->zs);
    s->ready = false;
}
