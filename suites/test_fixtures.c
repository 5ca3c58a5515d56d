/* Real bodies the real tracers sent (suites/fixtures/bodies/), decoded by a
 * real satellite: six spans each, then six duplicates when sent again; and
 * by the decoders alone, each span dated when the capture was made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "../harness/src/satellite/protocols/protocols.h"
#include "fixtures/http.h"
#include "tracebench.h"

TestSuite(fixtures, .timeout = 60);

struct fixture {
    char file[32];
    char path[32];
    char type[40];
    long status;
    int proto;
    uint64_t start0; /* the first span's start, Unix ns */
};

/* The first span's start as the capture says it: Zipkin's timestamp in us,
 * Datadog's start, LightStep's Timestamp{1795968055, 185467000}, OTLP's
 * start_time_unix_nano. */
static struct fixture bodies[] = {
    {"zipkin.json", "/api/v2/spans", "application/json", 202, TB_PROTO_ZIPKIN,
     1795968054895405000ull},
    {"datadog-v04.msgpack", "/v0.4/traces", "application/msgpack", 200,
     TB_PROTO_DATADOG, 1795968054948631788ull},
    {"lightstep.pb", "/api/v2/reports", "application/octet-stream", 200,
     TB_PROTO_LIGHTSTEP, 1795968055185467000ull},
    {"otlp.pb", "/v1/traces", "application/x-protobuf", 200, TB_PROTO_OTLP,
     1795968055466000000ull},
};

/* The fixture's bytes, malloc'd. */
static char *read_body(const struct fixture *fx, size_t *len)
{
    char path[1200];
    char *body;
    FILE *f;

    snprintf(path, sizeof(path), "%s/suites/fixtures/bodies/%s", tb_root_dir(),
             fx->file);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    body = malloc(65536);
    *len = fread(body, 1, 65536, f);
    fclose(f);
    cr_assert_gt(*len, 0);
    return body;
}

ParameterizedTestParameters(fixtures, real_bodies_count_six_spans)
{
    return cr_make_param_array(struct fixture, bodies,
                               sizeof(bodies) / sizeof(bodies[0]));
}

ParameterizedTest(struct fixture *fx, fixtures, real_bodies_count_six_spans)
{
    char *body;
    size_t len;
    uint16_t ports[1] = {0};
    const uint16_t *got;
    struct tb_satellites_opts so = {.ports = ports, .n_ports = 1};
    struct tb_satellite_counts c;
    tb_satellites *sats;
    tb_error err = {0};

    body = read_body(fx, &len);

    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s", err.msg);
    tb_satellites_ports(sats, &got);
    struct tbf_req q = {
        .path = fx->path, .content_type = fx->type, .body = body, .len = len};
    struct tbf_resp r = tbf_send(got[0], &q);
    cr_assert_eq(r.status, fx->status, "%s: %ld %s", fx->file, r.status,
                 r.body);
    q.chunked = 1; /* the same bytes again, chunked: all duplicates */
    r = tbf_send(got[0], &q);
    cr_assert_eq(r.status, fx->status);
    tb_satellites_protocol_counts(sats, (tb_satellite_protocol)fx->proto, &c);
    cr_assert_eq(c.spans_received, 6, "%s", fx->file);
    cr_assert_eq(c.duplicate_spans, 6, "%s", fx->file);
    cr_assert_eq(c.rejected_requests, 0);
    tb_satellites_free(sats);
    free(body);
}

ParameterizedTestParameters(fixtures, real_bodies_date_their_spans)
{
    return cr_make_param_array(struct fixture, bodies,
                               sizeof(bodies) / sizeof(bodies[0]));
}

/* The captures were made on 2026-11-29: a start outside 2026-01-01 ..
 * 2027-06-01 means a wrong field number or unit. */
ParameterizedTest(struct fixture *fx, fixtures, real_bodies_date_their_spans)
{
    const uint64_t after = 1767225600ull * 1000000000u;
    const uint64_t before = 1811808000ull * 1000000000u;
    struct tb__span_keys keys = {0};
    struct tb__decode_ctx ctx = {tb__arena_new(), &keys};
    tb_error err = {0};
    size_t len;
    char *body = read_body(fx, &len);

    cr_assert_eq(tb__protocol_decoder((tb_satellite_protocol)fx->proto)(
                     &ctx, (const uint8_t *)body, len, &err),
                 TB_OK, "%s: %s", fx->file, err.msg);
    cr_assert_eq(keys.n, 6, "%s", fx->file);
    cr_assert_eq(keys.v[0].start_ns, fx->start0, "%s: %llu", fx->file,
                 (unsigned long long)keys.v[0].start_ns);
    for (size_t i = 0; i < keys.n; i++)
        cr_assert(keys.v[i].start_ns > after && keys.v[i].start_ns < before,
                  "%s: span %zu started at "
                  "%llu ns",
                  fx->file, i, (unsigned long long)keys.v[i].start_ns);
    tb__arena_free(ctx.arena);
    tb__span_keys_free(&keys);
    free(body);
}
