/* The wire-protocol decoders, without HTTP: exact span identities from
 * bodies built here, and survival of truncated, corrupted and random
 * bytes. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../harness/src/satellite/protocols/protocols.h"
#include "fixtures/bodies.h"

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

/* Every test decodes into the same fresh arena and key list. */
TestSuite(protocol, .init = setup, .fini = teardown, .timeout = 60);

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

/* Keys must be spans 0..n-1 of base, in order; trace_hi as given; span i
 * started at start + i * step ns. */
static void assert_keys(size_t n, uint64_t base, uint64_t trace_hi,
                        uint64_t start, uint64_t step)
{
    cr_assert(eq(sz, keys.n, n));
    for (size_t i = 0; i < n; i++) {
        cr_assert(eq(u64, keys.v[i].span_id, tbf_span_id(base, i)));
        cr_assert(eq(u64, keys.v[i].trace_lo, tbf_trace_id(base, i)));
        cr_assert(eq(u64, keys.v[i].trace_hi, trace_hi));
        cr_assert(eq(u64, keys.v[i].start_ns, start + i * step), "span %zu", i);
    }
}

/* The start times fixtures/bodies.h writes. */
#define LS_START 1700000000123456789ull /* Timestamp{1700000000 + i, ...} */
#define LS_STEP 1000000000ull
#define OTLP_START 0x0807060504030201ull  /* fixed64 bytes 01..08 */
#define JSON_START 1700000000000000000ull /* OTLP, Zipkin and Datadog */
#define LS_JSON_START 1000ull             /* oldest_micros 1 */

static const size_t sizes[] = {0, 1, 7, 100, 1000};
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

Test(protocol, lightstep_exact_ids)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        ls_report(&b, sizes[s], 1000 * s, 10, 15);
        cr_assert(eq(int, decode(TB_PROTO_LIGHTSTEP, b.p, b.len, &err), TB_OK),
                  "%s", err.msg);
        assert_keys(sizes[s], 1000 * s, 0, LS_START, LS_STEP);
        tbf_free(&b);
    }
}

Test(protocol, lightstep_report_is_about_93kb)
{
    struct tbf_buf b = {0};

    ls_report(&b, 100, 0, 10, 15);
    cr_assert(ge(sz, b.len, 85000));
    cr_assert(le(sz, b.len, 100000));
    tbf_free(&b);
}

Test(protocol, otlp_exact_ids)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        for (size_t s = 0; s < N_SIZES; s++) {
            struct tbf_buf b = {0};
            tb_error err = {0};

            otlp_report(&b, 2, 3, sizes[s], 77, legacy);
            cr_assert(eq(int, decode(TB_PROTO_OTLP, b.p, b.len, &err), TB_OK),
                      "%s", err.msg);
            assert_keys(6 * sizes[s], 77, 0x1122334455667788ull, OTLP_START, 0);
            tbf_free(&b);
        }
    }
}

Test(protocol, otlp_json_exact_ids)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        otlp_json(&b, sizes[s], 5);
        cr_assert(eq(int, decode(TB_PROTO_OTLP_JSON, b.p, b.len, &err), TB_OK),
                  "%s", err.msg);
        assert_keys(sizes[s], 5, 0x1122334455667788ull, JSON_START, 0);
        tbf_free(&b);
    }
}

Test(protocol, zipkin_exact_ids)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        zipkin_json(&b, sizes[s], 9);
        cr_assert(eq(int, decode(TB_PROTO_ZIPKIN, b.p, b.len, &err), TB_OK),
                  "%s", err.msg);
        assert_keys(sizes[s], 9, 0, JSON_START, 0);
        tbf_free(&b);
    }
}

Test(protocol, lightstep_json_exact_ids)
{
    const char *top = "{\"span_records\":[{\"span_guid\":\"a\","
                      "\"trace_guid\":\"B\"}]}";
    tb_error err = {0};

    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};

        ls_json(&b, sizes[s], 11);
        cr_assert(
            eq(int, decode(TB_PROTO_LIGHTSTEP_JSON, b.p, b.len, &err), TB_OK),
            "%s", err.msg);
        assert_keys(sizes[s], 11, 0, LS_JSON_START, 0);
        tbf_free(&b);
    }
    /* span_records at the top level, as older tracers send. */
    cr_assert(eq(int, decode(TB_PROTO_LIGHTSTEP_JSON, top, strlen(top), &err),
                 TB_OK));
    cr_assert(eq(sz, keys.n, 1));
    cr_assert(eq(u64, keys.v[0].span_id, 0xa));
    cr_assert(eq(u64, keys.v[0].trace_lo, 0xb));
    cr_assert(eq(u64, keys.v[0].start_ns, 0)); /* no oldest_micros */
}

Test(protocol, datadog_exact_ids)
{
    for (size_t s = 0; s < N_SIZES; s++) {
        struct tbf_buf b = {0};
        tb_error err = {0};

        dd_traces(&b, 4, sizes[s], 3);
        cr_assert(eq(int, decode(TB_PROTO_DATADOG, b.p, b.len, &err), TB_OK),
                  "%s", err.msg);
        assert_keys(4 * sizes[s], 3, 0, JSON_START, 0);
        tbf_free(&b);
    }
}

/* ---- start times: per protocol, the edge cases the builders above do
 * not reach. A span's start never decides whether it is accepted. ---- */

/* Every span of the last decode was accepted, with these start times. */
static void assert_starts(const uint64_t *want, size_t n)
{
    cr_assert(eq(sz, keys.n, n));
    for (size_t i = 0; i < n; i++)
        cr_assert(eq(u64, keys.v[i].start_ns, want[i]), "span %zu", i);
}

Test(protocol, zipkin_start_times)
{
    static const struct {
        const char *field; /* inserted before "id" */
        uint64_t ns;
    } c[] = {
        {"\"timestamp\":1795968054895405,", 1795968054895405000ull},
        {"", 0}, /* absent */
        {"\"timestamp\":null,", 0},
        {"\"timestamp\":\"1795968054895405\",", 0}, /* not a number */
        {"\"timestamp\":-1,", 0},
        {"\"timestamp\":1e300,", 0},
        {"\"timestamp\":18446744073709552,", 0}, /* ns past 64 bits */
        {"\"timestamp\":9007199254740992,", 9007199254740992000ull},
    };
    const size_t n = sizeof(c) / sizeof(c[0]);
    uint64_t want[sizeof(c) / sizeof(c[0])];
    struct tbf_buf b = {0};
    tb_error err = {0};

    tbf_printf(&b, "[");
    for (size_t i = 0; i < n; i++) {
        tbf_printf(&b, "%s{\"traceId\":\"%016llx\",%s\"id\":\"%016llx\"}",
                   i ? "," : "", (unsigned long long)tbf_trace_id(0, i),
                   c[i].field, (unsigned long long)tbf_span_id(0, i));
        want[i] = c[i].ns;
    }
    tbf_printf(&b, "]");
    cr_assert(eq(int, decode(TB_PROTO_ZIPKIN, b.p, b.len, &err), TB_OK), "%s",
              err.msg);
    assert_starts(want, n);
    tbf_free(&b);
}

Test(protocol, datadog_start_times)
{
    enum { ABSENT, INT, UINT, FLOAT, STR, NIL };
    static const struct {
        int kind;
        int64_t v;
        uint64_t ns;
    } c[] = {
        {INT, 1795968054948631788ll, 1795968054948631788ull},
        {ABSENT, 0, 0},
        {INT, 5, 5},
        {INT, INT64_MAX, (uint64_t)INT64_MAX},
        {INT, -1, 0},
        {INT, INT64_MIN, 0},
        {UINT, -1, 0}, /* 2^64 - 1: not an int64 */
        {FLOAT, 1700000000000000000ll, 0},
        {STR, 0, 0},
        {NIL, 0, 0},
    };
    const size_t n = sizeof(c) / sizeof(c[0]);
    uint64_t want[sizeof(c) / sizeof(c[0])];
    struct tbf_buf b = {0};
    msgpack_packer pk;
    tb_error err = {0};

    msgpack_packer_init(&pk, &b, tbf_sbuf_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&pk, c[i].kind == ABSENT ? 2 : 3);
        if (c[i].kind != ABSENT)
            mp_str(&pk, "start"); /* first: the order must not matter */
        switch (c[i].kind) {
        case INT:
            msgpack_pack_int64(&pk, c[i].v);
            break;
        case UINT:
            msgpack_pack_uint64(&pk, (uint64_t)c[i].v);
            break;
        case FLOAT:
            msgpack_pack_double(&pk, (double)c[i].v);
            break;
        case STR:
            mp_str(&pk, "1700000000000000000");
            break;
        case NIL:
            msgpack_pack_nil(&pk);
            break;
        }
        mp_str(&pk, "trace_id");
        msgpack_pack_uint64(&pk, tbf_trace_id(0, i));
        mp_str(&pk, "span_id");
        msgpack_pack_uint64(&pk, tbf_span_id(0, i));
        want[i] = c[i].ns;
    }
    cr_assert(eq(int, decode(TB_PROTO_DATADOG, b.p, b.len, &err), TB_OK), "%s",
              err.msg);
    assert_starts(want, n);
    tbf_free(&b);
}

static void pb_fixed64(struct tbf_buf *b, unsigned field, uint64_t v)
{
    uint8_t le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> 8 * i);
    pb_varint(b, (uint64_t)field << 3 | 1);
    tbf_put(b, le, 8);
}

Test(protocol, otlp_start_times)
{
    static const struct {
        bool has;
        uint64_t ns;
    } c[] = {
        {true, 1795968055466000000ull},
        {false, 0},
        {true, 1},
        {true, UINT64_MAX}, /* fixed64: any value is a time */
    };
    const size_t n = sizeof(c) / sizeof(c[0]);
    uint64_t want[sizeof(c) / sizeof(c[0])];
    struct tbf_buf b = {0}, rs = {0}, ss = {0};
    tb_error err = {0};

    for (size_t i = 0; i < n; i++) {
        struct tbf_buf span = {0};
        uint8_t tid[16], sid[8];

        be64_put(tid, 0);
        be64_put(tid + 8, tbf_trace_id(0, i));
        be64_put(sid, tbf_span_id(0, i));
        if (c[i].has && i % 2 == 0) /* before the ids or after them */
            pb_fixed64(&span, 7, c[i].ns);
        pb_bytes(&span, 1, tid, 16);
        pb_bytes(&span, 2, sid, 8);
        if (c[i].has && i % 2 == 1)
            pb_fixed64(&span, 7, c[i].ns);
        pb_msg(&ss, 2, &span);
        want[i] = c[i].ns;
    }
    pb_msg(&rs, 2, &ss);
    pb_msg(&b, 1, &rs);
    cr_assert(eq(int, decode(TB_PROTO_OTLP, b.p, b.len, &err), TB_OK), "%s",
              err.msg);
    assert_starts(want, n);
    tbf_free(&b);
}

Test(protocol, otlp_json_start_times)
{
    static const struct {
        const char *field; /* inserted before "spanId" */
        uint64_t ns;
    } c[] = {
        {"\"startTimeUnixNano\":\"1795968055466000001\",",
         1795968055466000001ull},
        {"\"start_time_unix_nano\":\"1795968055466000002\",",
         1795968055466000002ull},
        /* A number, exactly a double. */
        {"\"startTimeUnixNano\":1700000000000000000,", 1700000000000000000ull},
        {"\"startTimeUnixNano\":\"18446744073709551615\",", UINT64_MAX},
        {"", 0},
        {"\"startTimeUnixNano\":\"18446744073709551616\",", 0},
        {"\"startTimeUnixNano\":\"-1\",", 0},
        {"\"startTimeUnixNano\":\"\",", 0},
        {"\"startTimeUnixNano\":\"17e17\",", 0},
        {"\"startTimeUnixNano\":\" 1\",", 0},
        {"\"startTimeUnixNano\":-5,", 0},
        {"\"startTimeUnixNano\":1e300,", 0},
        {"\"startTimeUnixNano\":true,", 0},
    };
    const size_t n = sizeof(c) / sizeof(c[0]);
    uint64_t want[sizeof(c) / sizeof(c[0])];
    struct tbf_buf b = {0};
    tb_error err = {0};

    tbf_printf(&b, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[");
    for (size_t i = 0; i < n; i++) {
        tbf_printf(&b,
                   "%s{\"traceId\":\"%032llx\",%s\"spanId\":"
                   "\"%016llx\"}",
                   i ? "," : "", (unsigned long long)tbf_trace_id(0, i),
                   c[i].field, (unsigned long long)tbf_span_id(0, i));
        want[i] = c[i].ns;
    }
    tbf_printf(&b, "]}]}]}");
    cr_assert(eq(int, decode(TB_PROTO_OTLP_JSON, b.p, b.len, &err), TB_OK),
              "%s", err.msg);
    assert_starts(want, n);
    tbf_free(&b);
}

Test(protocol, lightstep_json_start_times)
{
    static const struct {
        const char *field; /* inserted before "span_guid" */
        uint64_t ns;
    } c[] = {
        {"\"oldest_micros\":1795968054895405,", 1795968054895405000ull},
        {"\"oldest_micros\":\"1795968054895406\",", 1795968054895406000ull},
        {"\"oldest_micros\":\"18446744073709551\",", 18446744073709551000ull},
        {"", 0},
        {"\"oldest_micros\":\"18446744073709552\",", 0}, /* ns past 64 bits */
        {"\"oldest_micros\":\"abc\",", 0},
        {"\"oldest_micros\":-1,", 0},
        {"\"oldest_micros\":null,", 0},
    };
    const size_t n = sizeof(c) / sizeof(c[0]);
    uint64_t want[sizeof(c) / sizeof(c[0])];
    struct tbf_buf b = {0};
    tb_error err = {0};

    tbf_printf(&b, "{\"span_records\":[");
    for (size_t i = 0; i < n; i++) {
        tbf_printf(&b,
                   "%s{%s\"span_guid\":\"%llx\",\"trace_guid\":"
                   "\"%llx\"}",
                   i ? "," : "", c[i].field,
                   (unsigned long long)tbf_span_id(0, i),
                   (unsigned long long)tbf_trace_id(0, i));
        want[i] = c[i].ns;
    }
    tbf_printf(&b, "]}");
    cr_assert(eq(int, decode(TB_PROTO_LIGHTSTEP_JSON, b.p, b.len, &err), TB_OK),
              "%s", err.msg);
    assert_starts(want, n);
    tbf_free(&b);
}

/* Span i's SpanContext. */
static void ls_context(struct tbf_buf *span, size_t i)
{
    struct tbf_buf sc = {0};

    pb_uint(&sc, 1, tbf_trace_id(0, i));
    pb_uint(&sc, 2, tbf_span_id(0, i));
    pb_msg(span, 1, &sc);
}

/* Both LightStep decoders on b: the fast walk's keys in keys, protobuf-c's
 * in *ref; returns the walk's result after checking they agree. */
static tb_err ls_both(const struct tbf_buf *b, struct tb__span_keys *ref)
{
    struct tb__decode_ctx rctx = {tb__arena_new(), ref};
    tb_error e1 = {0}, e2 = {0};
    tb_err r1, r2;

    ref->n = 0;
    r1 = decode(TB_PROTO_LIGHTSTEP, b->p, b->len, &e1);
    r2 = tb__decode_lightstep_unpack(&rctx, b->p, b->len, &e2);
    tb__arena_free(rctx.arena);
    cr_assert(eq(int, r1, r2), "walk: %s; protobuf-c: %s", e1.msg, e2.msg);
    return r1;
}

/* Timestamp{seconds, nanos} is an int64 and an int32 on the wire, so
 * negative, oversized and overflowing values can all be sent; both
 * decoders must date them alike. */
Test(protocol, lightstep_start_times)
{
    enum { S = 1, N = 2, NONE = 4 };
    static const struct {
        int has;
        uint64_t s, n; /* as varints */
        uint64_t ns;
    } c[] = {
        {S | N, 1795968055, 185467000, 1795968055185467000ull},
        {NONE, 0, 0, 0},
        {0, 0, 0, 0}, /* an empty Timestamp */
        {S, 1795968055, 0, 1795968055000000000ull},
        {N, 0, 5, 5},
        {S | N, 18446744073, 709551615, UINT64_MAX},
        {S | N, 18446744073, 709551616, 0}, /* overflows */
        {S, 18446744074, 0, 0},
        {S | N, (uint64_t)-1, 0, 0}, /* seconds -1 */
        {S | N, 1, (uint64_t)-1, 0}, /* nanos -1, a 10-byte varint */
        {S | N, 1, 1000000000, 0},   /* nanos past a second */
        {S | N, 1, (1ull << 32) + 7, 1000000007}, /* int32 keeps 32 bits */
    };
    const size_t n = sizeof(c) / sizeof(c[0]);
    uint64_t want[sizeof(c) / sizeof(c[0]) + 4];
    struct tb__span_keys ref = {0};
    struct tbf_buf b = {0}, span = {0}, ts = {0};
    size_t i = 0;

    for (; i < n; i++) {
        ls_context(&span, i);
        if (c[i].has & S)
            pb_uint(&ts, 1, c[i].s);
        if (c[i].has & N)
            pb_uint(&ts, 2, c[i].n);
        if (ts.len > 0)
            pb_msg(&span, 4, &ts);
        else if (!(c[i].has & NONE))
            pb_bytes(&span, 4, "", 0);
        ls_kv(&span, 6, "tag.key0", "tag.value0");
        pb_msg(&b, 3, &span);
        want[i] = c[i].ns;
    }
    /* A second start_timestamp replaces the first whole. */
    ls_context(&span, i);
    pb_timestamp(&span, 4, 5, 7);
    pb_uint(&ts, 1, 6);
    pb_msg(&span, 4, &ts);
    pb_msg(&b, 3, &span);
    want[i++] = 6000000000ull;
    /* Before the context; inside it, unknown fields and a repeated
     * seconds (the last wins). */
    pb_uint(&ts, 1, 1);
    pb_str(&ts, 3, "x");
    pb_uint(&ts, 1, 1795968055);
    pb_uint(&ts, 2, 9);
    pb_fixed64(&ts, 4, 1);
    pb_msg(&span, 4, &ts);
    ls_context(&span, i);
    pb_msg(&b, 3, &span);
    want[i++] = 1795968055000000009ull;
    /* A Timestamp longer than 127 bytes (off the walk's fast path). */
    for (int k = 0; k < 20; k++)
        pb_str(&ts, 5, "padding");
    pb_uint(&ts, 1, 1795968056);
    pb_msg(&span, 4, &ts);
    ls_context(&span, i);
    pb_msg(&b, 3, &span);
    want[i++] = 1795968056000000000ull;
    cr_assert(eq(int, ls_both(&b, &ref), TB_OK));
    assert_starts(want, i);
    for (size_t k = 0; k < i; k++)
        cr_assert(eq(u64, ref.v[k].start_ns, want[k]), "span %zu", k);
    tbf_free(&b);

    /* Wrong wire types are refused by both. */
    ls_context(&span, 0);
    pb_uint(&span, 4, 1795968055); /* a varint start_timestamp */
    pb_msg(&b, 3, &span);
    cr_assert(eq(int, ls_both(&b, &ref), TB_ERR_DECODE));
    tbf_free(&b);
    ls_context(&span, 0);
    pb_str(&ts, 1, "1795968055"); /* length-delimited seconds */
    pb_msg(&span, 4, &ts);
    pb_msg(&b, 3, &span);
    cr_assert(eq(int, ls_both(&b, &ref), TB_ERR_DECODE));
    tbf_free(&b);
    tb__span_keys_free(&ref);
}

Test(protocol, rejects_with_a_one_line_reason)
{
    static const struct {
        tb_satellite_protocol p;
        const char *body;
    } bad[] = {
        {TB_PROTO_LIGHTSTEP, "\x1a\x05\x0a\x03\x08"}, /* truncated span */
        {TB_PROTO_LIGHTSTEP, "\xff\xff\xff"},
        {TB_PROTO_LIGHTSTEP, "\x1a\x00"}, /* a span without context */
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
        {TB_PROTO_DATADOG, "\xdd\xff\xff\xff\xff\x90"}, /* lying length */
        {TB_PROTO_DATADOG, "\x91\x91\x81\xa8trace_id"}, /* truncated */
        {TB_PROTO_DATADOG, "\x91\x91\x80"},             /* span without ids */
        {TB_PROTO_DATADOG, "\x81\xa1x\x01"},            /* not an array */
        {TB_PROTO_DATADOG, "\xc1"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tb_error err = {0};
        size_t len = strlen(bad[i].body);

        if (bad[i].p == TB_PROTO_LIGHTSTEP && i == 2)
            len = 2;
        cr_assert(
            eq(int, decode(bad[i].p, bad[i].body, len, &err), TB_ERR_DECODE),
            "case %zu decoded", i);
        cr_assert(gt(sz, strlen(err.msg), 0), "case %zu: no reason", i);
        cr_assert(eq(ptr, strchr(err.msg, '\n'), NULL));
    }
}

Test(protocol, otlp_rejects_wrong_id_lengths)
{
    struct tbf_buf b = {0}, ss = {0}, rs = {0}, span = {0};
    tb_error err = {0};

    pb_bytes(&span, 1, "12345678", 8); /* a 64-bit trace id: not OTLP */
    pb_bytes(&span, 2, "12345678", 8);
    pb_msg(&ss, 2, &span);
    pb_msg(&rs, 2, &ss);
    pb_msg(&b, 1, &rs);
    cr_assert(eq(int, decode(TB_PROTO_OTLP, b.p, b.len, &err), TB_ERR_DECODE));
    cr_assert(ne(ptr, strstr(err.msg, "16"), NULL), "%s", err.msg);
    tbf_free(&b);
}

/* Every prefix of a valid body: no crash; protobuf may stop at a field
 * boundary and decode fewer spans, never more; JSON and msgpack must
 * fail. */
static void prefixes(tb_satellite_protocol p, const struct tbf_buf *b, size_t n,
                     int must_fail)
{
    for (size_t len = 0; len < b->len; len++) {
        tb_error err = {0};
        tb_err rc = decode(p, b->p, len, &err);

        if (must_fail && len > 0)
            cr_assert(eq(int, rc, TB_ERR_DECODE), "prefix %zu decoded", len);
        if (rc == TB_OK)
            cr_assert(lt(sz, keys.n, n + 1));
    }
}

Test(protocol, survives_truncation)
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
Test(protocol, survives_random_and_corrupted_bytes)
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
    size_t rejected[TB_PROTO__COUNT] = {0};
    for (int p = 0; p < TB_PROTO__COUNT; p++) {
        tb_error err = {0};
        cr_assert(
            eq(int,
               decode((tb_satellite_protocol)p, valid[p].p, valid[p].len, &err),
               TB_OK),
            "protocol %d: the uncorrupted body decodes: %s", p, err.msg);
    }
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
            tb_err rc = decode((tb_satellite_protocol)p, buf, len, &err);
            /* Garbage is rejected with a reason, never another error. */
            cr_assert(rc == TB_OK || rc == TB_ERR_DECODE,
                      "protocol %d round %d: %s", p, round, tb_err_name(rc));
            if (rc == TB_ERR_DECODE) {
                cr_assert(err.msg[0] != '\0', "a rejection says why");
                rejected[p]++;
            }
        }
    }
    for (int p = 0; p < TB_PROTO__COUNT; p++) {
        /* 1500 rounds of random bytes: a decoder that accepts them all
         * checks nothing. */
        cr_assert(rejected[p] > 0, "protocol %d rejected no random body", p);
        tbf_free(&valid[p]);
    }
}

Test(protocol, hex_ids)
{
    uint64_t hi = 1, lo = 1;

    cr_assert(tb__hex_id("00ff", 4, &hi, &lo));
    cr_assert(eq(u64, hi, 0));
    cr_assert(eq(u64, lo, 255));
    cr_assert(tb__hex_id("0123456789ABCDEFfedcba9876543210", 32, &hi, &lo));
    cr_assert(eq(u64, hi, 0x0123456789abcdefull));
    cr_assert(eq(u64, lo, 0xfedcba9876543210ull));
    cr_assert_not(tb__hex_id("", 0, &hi, &lo));
    cr_assert_not(tb__hex_id("0g", 2, &hi, &lo));
    cr_assert_not(
        tb__hex_id("000000000000000000000000000000001", 33, &hi, &lo));
}

Test(protocol, gzip_inflates_within_the_limit)
{
    struct tbf_buf plain = {0}, gz = {0};
    uint8_t *out = NULL;
    size_t out_len = 0;
    tb_error err = {0};

    zipkin_json(&plain, 200, 0);
    tbf_gzip(&plain, &gz);
    cr_assert(
        eq(int, tb__gunzip(gz.p, gz.len, 1 << 20, &out, &out_len, &err), TB_OK),
        "%s", err.msg);
    cr_assert(eq(sz, out_len, plain.len));
    cr_assert(eq(int, memcmp(out, plain.p, out_len), 0));
    free(out);
    /* Over the limit: refused before inflating it all. */
    cr_assert(eq(int,
                 tb__gunzip(gz.p, gz.len, plain.len - 1, &out, &out_len, &err),
                 TB_ERR_INVALID_ARG));
    tb_error_clear(&err);
    cr_assert(eq(int,
                 tb__gunzip(gz.p, gz.len / 2, 1 << 20, &out, &out_len, &err),
                 TB_ERR_DECODE));
    tb_error_clear(&err);
    cr_assert(eq(int,
                 tb__gunzip(plain.p, plain.len, 1 << 20, &out, &out_len, &err),
                 TB_ERR_DECODE));
    tbf_free(&plain);
    tbf_free(&gz);
}

/* The fast LightStep walk agrees with a full protobuf-c unpack on valid
 * reports and on corrupted ones that both accept. */
Test(protocol, lightstep_walk_matches_protobuf_c)
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
                cr_assert(eq(u64, keys.v[i].start_ns, ref.v[i].start_ns),
                          "round %d span %zu", round, i);
            }
        }
    }
    tb__arena_free(rctx.arena);
    tb__span_keys_free(&ref);
    tbf_free(&b);
}
