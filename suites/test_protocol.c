/* The wire-protocol decoders, without HTTP: exact span identities from
 * bodies built here, and survival of truncated, corrupted and random
 * bytes. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../harness/src/protocols/protocols.h"
#include "fixtures/bodies.h"

TestSuite(protocol, .timeout = 60);

static struct tb__arena *arena;
static struct tb__span_keys keys;

static void setup(void)
{
    arena = tb__arena_new();
    keys.n = 0;
}

static void teardown(void)
{
    tb__arena_free(arena);
    tb__span_keys_free(&keys);
}

static tb_err decode(tb_satellite_protocol p, const void *body, size_t len,
                     tb_error *err)
{
    struct tb__decode_ctx ctx = {arena, &keys};
    tb_err rc;

    keys.n = 0;
    rc = tb__protocol_decoder(p)(&ctx, body, len, err);
    tb__arena_reset(arena);
    return rc;
}

/* Keys must be spans 0..n-1 of base, in order; trace_hi as given. */
static void assert_keys(size_t n, uint64_t base, uint64_t trace_hi)
{
    cr_assert(eq(sz, keys.n, n));
    for (size_t i = 0; i < n; i++) {
        cr_assert(eq(u64, keys.v[i].span_id, tbf_span_id(base, i)));
        cr_assert(eq(u64, keys.v[i].trace_lo, tbf_trace_id(base, i)));
        cr_assert(eq(u64, keys.v[i].trace_hi, trace_hi));
    }
}

static const size_t sizes[] = {0, 1, 7, 100, 1000};
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

Test(protocol, lightstep_exact_ids, .init = setup, .fini = teardown)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        ls_report(&b, sizes[s], 1000 * s, 10, 15);
        cr_assert(eq(int, decode(TB_PROTO_LIGHTSTEP, b.p, b.len, &err),
                     TB_OK), "%s", err.msg);
        assert_keys(sizes[s], 1000 * s, 0);
        tbf_free(&b);
    }
}

Test(protocol, lightstep_report_is_about_93kb, .init = setup,
     .fini = teardown)
{
    struct tbf_buf b = {0};

    ls_report(&b, 100, 0, 10, 15);
    cr_assert(ge(sz, b.len, 85000));
    cr_assert(le(sz, b.len, 100000));
    tbf_free(&b);
}

Test(protocol, otlp_exact_ids, .init = setup, .fini = teardown)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        for (size_t s = 0; s < N_SIZES; s++) {
            struct tbf_buf b = {0};
            tb_error err = {0};

            otlp_report(&b, 2, 3, sizes[s], 77, legacy);
            cr_assert(eq(int, decode(TB_PROTO_OTLP, b.p, b.len, &err),
                         TB_OK), "%s", err.msg);
            assert_keys(6 * sizes[s], 77, 0x1122334455667788ull);
            tbf_free(&b);
        }
    }
}

Test(protocol, otlp_json_exact_ids, .init = setup, .fini = teardown)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        otlp_json(&b, sizes[s], 5);
        cr_assert(eq(int, decode(TB_PROTO_OTLP_JSON, b.p, b.len, &err),
                     TB_OK), "%s", err.msg);
        assert_keys(sizes[s], 5, 0x1122334455667788ull);
        tbf_free(&b);
    }
}

Test(protocol, zipkin_exact_ids, .init = setup, .fini = teardown)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        zipkin_json(&b, sizes[s], 9);
        cr_assert(eq(int, decode(TB_PROTO_ZIPKIN, b.p, b.len, &err),
                     TB_OK), "%s", err.msg);
        assert_keys(sizes[s], 9, 0);
        tbf_free(&b);
    }
}

Test(protocol, lightstep_json_exact_ids, .init = setup, .fini = teardown)
{
    const char *top = "{\"span_records\":[{\"span_guid\":\"a\","
                      "\"trace_guid\":\"B\"}]}";
    tb_error err = {0};

    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};

        ls_json(&b, sizes[s], 11);
        cr_assert(eq(int, decode(TB_PROTO_LIGHTSTEP_JSON, b.p, b.len, &err),
                     TB_OK), "%s", err.msg);
        assert_keys(sizes[s], 11, 0);
        tbf_free(&b);
    }
    /* span_records at the top level, as older tracers send. */
    cr_assert(eq(int, decode(TB_PROTO_LIGHTSTEP_JSON, top, strlen(top),
                             &err), TB_OK));
    cr_assert(eq(sz, keys.n, 1));
    cr_assert(eq(u64, keys.v[0].span_id, 0xa));
    cr_assert(eq(u64, keys.v[0].trace_lo, 0xb));
}

Test(protocol, datadog_exact_ids, .init = setup, .fini = teardown)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        dd_traces(&b, 4, sizes[s], 3);
        cr_assert(eq(int, decode(TB_PROTO_DATADOG, b.p, b.len, &err),
                     TB_OK), "%s", err.msg);
        assert_keys(4 * sizes[s], 3, 0);
        tbf_free(&b);
    }
}

Test(protocol, rejects_with_a_one_line_reason, .init = setup,
     .fini = teardown)
{
    static const struct {
        tb_satellite_protocol p;
        const char *body;
    } bad[] = {
        {TB_PROTO_LIGHTSTEP, "\x1a\x05\x0a\x03\x08"},  /* truncated span */
        {TB_PROTO_LIGHTSTEP, "\xff\xff\xff"},
        {TB_PROTO_LIGHTSTEP, "\x1a\x00"},  /* a span without context */
        {TB_PROTO_OTLP, "\x0a\x08\x12\x06\x12\x04\x0a\x02\x01\x02"},
        {TB_PROTO_OTLP, "\x0a\xff\xff"},
        {TB_PROTO_OTLP_JSON, "{\"resourceSpans\":[{\"scopeSpans\":[{"
                             "\"spans\":[{\"traceId\":\"xyz\"}]}]}]}"},
        {TB_PROTO_OTLP_JSON, "{\"resourceSpans\":7}"},
        {TB_PROTO_OTLP_JSON, "[1,2"},
        {TB_PROTO_ZIPKIN, "{\"traceId\":\"1\",\"id\":\"2\"}"},
        {TB_PROTO_ZIPKIN, "[{\"traceId\":\"1\"}]"},
        {TB_PROTO_ZIPKIN, "[{\"traceId\":\"1\",\"id\":\"123456789abcdef01\"}]"},
        {TB_PROTO_LIGHTSTEP_JSON, "{\"report\":{}}"},
        {TB_PROTO_LIGHTSTEP_JSON, "{\"span_records\":[{\"span_guid\":1}]}"},
        {TB_PROTO_DATADOG, "\xdd\xff\xff\xff\xff\x90"},  /* lying length */
        {TB_PROTO_DATADOG, "\x91\x91\x81\xa8trace_id"},  /* truncated */
        {TB_PROTO_DATADOG, "\x91\x91\x80"},  /* span without ids */
        {TB_PROTO_DATADOG, "\x81\xa1x\x01"},  /* not an array */
        {TB_PROTO_DATADOG, "\xc1"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tb_error err = {0};
        size_t len = strlen(bad[i].body);

        if (bad[i].p == TB_PROTO_LIGHTSTEP && i == 2)
            len = 2;
        cr_assert(eq(int, decode(bad[i].p, bad[i].body, len, &err),
                     TB_ERR_DECODE), "case %zu decoded", i);
        cr_assert(gt(sz, strlen(err.msg), 0), "case %zu: no reason", i);
        cr_assert(eq(ptr, strchr(err.msg, '\n'), NULL));
    }
}

Test(protocol, otlp_rejects_wrong_id_lengths, .init = setup,
     .fini = teardown)
{
    struct tbf_buf b = {0}, ss = {0}, rs = {0}, span = {0};
    tb_error err = {0};

    pb_bytes(&span, 1, "12345678", 8); /* a 64-bit trace id: not OTLP */
    pb_bytes(&span, 2, "12345678", 8);
    pb_msg(&ss, 2, &span);
    pb_msg(&rs, 2, &ss);
    pb_msg(&b, 1, &rs);
    cr_assert(eq(int, decode(TB_PROTO_OTLP, b.p, b.len, &err),
                 TB_ERR_DECODE));
    cr_assert(ne(ptr, strstr(err.msg, "16"), NULL), "%s", err.msg);
    tbf_free(&b);
}

/* Every prefix of a valid body: no crash; protobuf may stop at a field
 * boundary and decode fewer spans, never more; JSON and msgpack must
 * fail. */
static void prefixes(tb_satellite_protocol p, const struct tbf_buf *b,
                     size_t n, int must_fail)
{
    for (size_t len = 0; len < b->len; len++) {
        tb_error err = {0};
        tb_err rc = decode(p, b->p, len, &err);

        if (must_fail && len > 0)
            cr_assert(eq(int, rc, TB_ERR_DECODE), "prefix %zu decoded",
                      len);
        if (rc == TB_OK)
            cr_assert(lt(sz, keys.n, n + 1));
    }
}

Test(protocol, survives_truncation, .init = setup, .fini = teardown)
{
    struct tbf_buf b = {0};

    ls_report(&b, 3, 0, 2, 2);
    prefixes(TB_PROTO_LIGHTSTEP, &b, 3, 0);
    tbf_free(&b);
    otlp_report(&b, 1, 2, 2, 0, 0);
    prefixes(TB_PROTO_OTLP, &b, 4, 0);
    tbf_free(&b);
    otlp_json(&b, 3, 0);
    prefixes(TB_PROTO_OTLP_JSON, &b, 3, 1);
    tbf_free(&b);
    zipkin_json(&b, 3, 0);
    prefixes(TB_PROTO_ZIPKIN, &b, 3, 1);
    tbf_free(&b);
    ls_json(&b, 3, 0);
    prefixes(TB_PROTO_LIGHTSTEP_JSON, &b, 3, 1);
    tbf_free(&b);
    dd_traces(&b, 2, 2, 0);
    prefixes(TB_PROTO_DATADOG, &b, 4, 1);
    tbf_free(&b);
}

/* Random bytes, and valid bodies with random bytes flipped: decoders must
 * return (either way) without crashing or leaking; ASan checks the rest. */
Test(protocol, survives_random_and_corrupted_bytes, .init = setup,
     .fini = teardown)
{
    struct tbf_buf valid[TB_PROTO__COUNT] = {{0}};
    uint8_t buf[4096];
    uint64_t x = 0x2545f4914f6cdd1dull;

    ls_report(&valid[TB_PROTO_LIGHTSTEP], 5, 0, 3, 3);
    ls_json(&valid[TB_PROTO_LIGHTSTEP_JSON], 5, 0);
    otlp_report(&valid[TB_PROTO_OTLP], 1, 1, 5, 0, 0);
    otlp_json(&valid[TB_PROTO_OTLP_JSON], 5, 0);
    zipkin_json(&valid[TB_PROTO_ZIPKIN], 5, 0);
    dd_traces(&valid[TB_PROTO_DATADOG], 2, 3, 0);
    for (int round = 0; round < 3000; round++) {
        for (int p = 0; p < TB_PROTO__COUNT; p++) {
            size_t len;
            tb_error err = {0};

            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (round % 2 == 0) {
                len = x % sizeof(buf);
                for (size_t i = 0; i < len; i++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    buf[i] = (uint8_t)x;
                }
            } else {
                len = valid[p].len;
                memcpy(buf, valid[p].p, len);
                for (int k = 0; k < 3; k++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    buf[x % len] = (uint8_t)(x >> 32);
                }
            }
            decode((tb_satellite_protocol)p, buf, len, &err);
        }
    }
    for (int p = 0; p < TB_PROTO__COUNT; p++)
        tbf_free(&valid[p]);
}

Test(protocol, hex_ids)
{
    uint64_t hi = 1, lo = 1;

    cr_assert(eq(int, tb__hex_id("00ff", 4, &hi, &lo), 0));
    cr_assert(eq(u64, hi, 0));
    cr_assert(eq(u64, lo, 255));
    cr_assert(eq(int, tb__hex_id("0123456789ABCDEFfedcba9876543210", 32,
                                 &hi, &lo), 0));
    cr_assert(eq(u64, hi, 0x0123456789abcdefull));
    cr_assert(eq(u64, lo, 0xfedcba9876543210ull));
    cr_assert(eq(int, tb__hex_id("", 0, &hi, &lo), -1));
    cr_assert(eq(int, tb__hex_id("0g", 2, &hi, &lo), -1));
    cr_assert(eq(int, tb__hex_id("000000000000000000000000000000001", 33,
                                 &hi, &lo), -1));
}

Test(protocol, gzip_inflates_within_the_limit)
{
    struct tbf_buf plain = {0}, gz = {0};
    uint8_t *out = NULL;
    size_t out_len = 0;
    tb_error err = {0};

    zipkin_json(&plain, 200, 0);
    tbf_gzip(&plain, &gz);
    cr_assert(eq(int, tb__gunzip(gz.p, gz.len, 1 << 20, &out, &out_len,
                                 &err), TB_OK), "%s", err.msg);
    cr_assert(eq(sz, out_len, plain.len));
    cr_assert(eq(int, memcmp(out, plain.p, out_len), 0));
    free(out);
    /* Over the limit: refused before inflating it all. */
    cr_assert(eq(int, tb__gunzip(gz.p, gz.len, plain.len - 1, &out,
                                 &out_len, &err), TB_ERR_INVALID_ARG));
    tb_error_clear(&err);
    cr_assert(eq(int, tb__gunzip(gz.p, gz.len / 2, 1 << 20, &out, &out_len,
                                 &err), TB_ERR_DECODE));
    tb_error_clear(&err);
    cr_assert(eq(int, tb__gunzip(plain.p, plain.len, 1 << 20, &out,
                                 &out_len, &err), TB_ERR_DECODE));
    tbf_free(&plain);
    tbf_free(&gz);
}

/* The fast LightStep walk agrees with a full protobuf-c unpack on valid
 * reports and on corrupted ones that both accept. */
Test(protocol, lightstep_walk_matches_protobuf_c, .init = setup,
     .fini = teardown)
{
    struct tb__span_keys ref = {0};
    struct tb__decode_ctx rctx = {NULL, &ref};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    struct tbf_buf b = {0};

    rctx.arena = tb__arena_new();
    ls_report(&b, 20, 0, 3, 3);
    for (int round = 0; round < 5000; round++) {
        uint8_t buf[8192];
        size_t len = b.len < sizeof(buf) ? b.len : sizeof(buf);
        tb_error e1 = {0}, e2 = {0};
        tb_err r1, r2;

        memcpy(buf, b.p, len);
        for (int k = 0; round > 0 && k < 2; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[x % len] = (uint8_t)(x >> 40);
        }
        ref.n = 0;
        r1 = decode(TB_PROTO_LIGHTSTEP, buf, len, &e1);
        r2 = tb__decode_lightstep_unpack(&rctx, buf, len, &e2);
        tb__arena_reset(rctx.arena);
        if (round == 0) {
            cr_assert(eq(int, r1, TB_OK));
            cr_assert(eq(int, r2, TB_OK));
        }
        if (r1 == TB_OK && r2 == TB_OK) {
            cr_assert(eq(sz, keys.n, ref.n), "round %d", round);
            for (size_t i = 0; i < keys.n; i++) {
                cr_assert(eq(u64, keys.v[i].span_id, ref.v[i].span_id));
                cr_assert(eq(u64, keys.v[i].trace_lo, ref.v[i].trace_lo));
            }
        }
    }
    tb__arena_free(rctx.arena);
    tb__span_keys_free(&ref);
    tbf_free(&b);
}
