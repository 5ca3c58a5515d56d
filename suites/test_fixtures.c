/* Real bodies the real tracers sent (suites/fixtures/bodies/), decoded by a
 * real satellite: six spans each, then six duplicates when sent again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "fixtures/http.h"
#include "tracebench.h"

TestSuite(fixtures, .timeout = 60);

struct fixture {
    char file[32];
    char path[32];
    char type[40];
    long status;
    int proto;
};

ParameterizedTestParameters(fixtures, real_bodies_count_six_spans)
{
    static struct fixture f[] = {
        {"zipkin.json", "/api/v2/spans", "application/json", 202,
         TB_PROTO_ZIPKIN},
        {"datadog-v04.msgpack", "/v0.4/traces", "application/msgpack", 200,
         TB_PROTO_DATADOG},
        {"lightstep.pb", "/api/v2/reports", "application/octet-stream", 200,
         TB_PROTO_LIGHTSTEP},
        {"otlp.pb", "/v1/traces", "application/x-protobuf", 200,
         TB_PROTO_OTLP},
    };
    return cr_make_param_array(struct fixture, f, sizeof(f) / sizeof(f[0]));
}

ParameterizedTest(struct fixture *fx, fixtures, real_bodies_count_six_spans)
{
    char path[1200];
    char *body;
    size_t len;
    uint16_t ports[1] = {0};
    const uint16_t *got;
    struct tb_satellites_opts so = {.ports = ports, .n_ports = 1};
    struct tb_satellite_counts c;
    tb_satellites *sats;
    tb_error err = {0};
    FILE *f;

    snprintf(path, sizeof(path), "%s/suites/fixtures/bodies/%s",
             tb_root_dir(), fx->file);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    body = malloc(65536);
    len = fread(body, 1, 65536, f);
    fclose(f);
    cr_assert_gt(len, 0);

    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s",
                 err.msg);
    tb_satellites_ports(sats, &got);
    struct tbf_req q = {.path = fx->path, .content_type = fx->type,
                        .body = body, .len = len};
    struct tbf_resp r = tbf_send(got[0], &q);
    cr_assert_eq(r.status, fx->status, "%s: %ld %s", fx->file, r.status,
                 r.body);
    q.chunked = 1; /* the same bytes again, chunked: all duplicates */
    r = tbf_send(got[0], &q);
    cr_assert_eq(r.status, fx->status);
    tb_satellites_protocol_counts(sats, (tb_satellite_protocol)fx->proto,
                                  &c);
    cr_assert_eq(c.spans_received, 6, "%s", fx->file);
    cr_assert_eq(c.duplicate_spans, 6, "%s", fx->file);
    cr_assert_eq(c.rejected_requests, 0);
    tb_satellites_free(sats);
    free(body);
}
