/* gzip, both ways: the whole-body inflater and the streaming one the
 * satellite uses, fed in pieces whose size the first byte picks. They must
 * agree on success and on the bytes. */
#include "fuzz_common.h"
#include "protocols/protocols.h"

#define LIMIT (1u << 20)

struct out {
    uint8_t *p;
    size_t len;
};

static bool sink(void *arg, const uint8_t *d, size_t n)
{
    struct out *o = arg;

    if (n > LIMIT - o->len)
        return false;
    memcpy(o->p + o->len, d, n);
    o->len += n;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tb__gunzip_stream gz;
    static uint8_t buf[LIMIT];
    struct out o = {buf, 0};
    uint8_t *whole = NULL;
    size_t whole_len = 0, piece;
    tb_error e1 = {0}, e2 = {0};
    tb_err r1, r2 = TB_OK;

    if (size == 0)
        return 0;
    piece = (size_t)data[0] + 1;
    data++;
    size--;
    r1 = tb__gunzip(data, size, LIMIT, &whole, &whole_len, &e1);
    if (tb__gunzip_stream_begin(&gz, &e2) != TB_OK)
        abort();
    for (size_t off = 0; off < size && r2 == TB_OK; off += piece)
        r2 = tb__gunzip_stream_feed(&gz, data + off,
                                    size - off < piece ? size - off : piece,
                                    sink, &o, &e2);
    if (r2 == TB_OK)
        r2 = tb__gunzip_stream_finish(&gz, &e2);
    /* Over the limit is INVALID_ARG both ways; corrupt is DECODE. */
    if (r1 == TB_OK && r2 == TB_OK &&
        (whole_len != o.len || memcmp(whole, o.p, o.len) != 0))
        abort();
    if ((r1 == TB_OK) != (r2 == TB_OK) &&
        !(r1 == TB_ERR_INVALID_ARG || r2 == TB_ERR_INVALID_ARG))
        abort();
    free(whole);
    return 0;
}
