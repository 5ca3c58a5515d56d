/* The mock satellite group over HTTP: exact counts per protocol, duplicates,
 * modes, faults, restarts, bad input, /stats and collect's settle. Every
 * group binds port 0, so tests never collide. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/bodies.h"
#include "fixtures/http.h"
#include "fixtures/satellites.h"
#include "tracebench/satellite/satellite.h"

/* sats, the group under test: fixtures/satellites.h. */
TestSuite(satellite, .init = tbf_satellites_init, .fini = tbf_satellites_fini,
          .timeout = 60);

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void start(tb_satellite_mode mode, size_t n)
{
    struct tb_satellites_opts o = {.mode = mode};

    tbf_satellites_start(&o, n);
}

static uint16_t port(size_t i)
{
    const uint16_t *p;

    cr_assert(lt(sz, i, tb_satellites_ports(sats, &p)));
    return p[i];
}

static struct tb_satellite_counts collect(void)
{
    struct tb_satellite_counts c;
    tb_error err = {0};

    cr_assert(eq(int, tb_satellites_collect(sats, 20, 2000, &c, &err), TB_OK));
    return c;
}

/* One protocol's request: path, content type, expected answer. */
struct proto_case {
    tb_satellite_protocol proto;
    const char *method;
    const char *path;
    const char *type;
    long status;
    const char *answer;
};

static const struct proto_case cases[] = {
    {TB_PROTO_LIGHTSTEP, "POST", "/api/v2/reports", "application/octet-stream",
     200, ""},
    {TB_PROTO_LIGHTSTEP_JSON, "POST", "/api/v0/reports", "application/json",
     200, "{}"},
    {TB_PROTO_OTLP, "POST", "/v1/traces", "application/x-protobuf", 200, ""},
    {TB_PROTO_OTLP_JSON, "POST", "/v1/traces", "application/json", 200, "{}"},
    {TB_PROTO_ZIPKIN, "POST", "/api/v2/spans", "application/json", 202, ""},
    {TB_PROTO_DATADOG, "PUT", "/v0.4/traces", "application/msgpack", 200,
     "{\"rate_by_service\":{}}"},
    {TB_PROTO_DATADOG, "POST", "/v0.3/traces", "application/msgpack", 200,
     "{\"rate_by_service\":{}}"},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* A body of about n spans for the case; returns the exact count. */
static size_t build(const struct proto_case *pc, size_t n, uint64_t base,
                    struct tbf_buf *b)
{
    switch (pc->proto) {
    case TB_PROTO_LIGHTSTEP:
        ls_report(b, n, base, 10, 15);
        return n;
    case TB_PROTO_LIGHTSTEP_JSON:
        ls_json(b, n, base);
        return n;
    case TB_PROTO_OTLP:
        otlp_report(b, 1, 1, n, base, n % 2);
        return n;
    case TB_PROTO_OTLP_JSON:
        otlp_json(b, n, base);
        return n;
    case TB_PROTO_ZIPKIN:
        zipkin_json(b, n, base);
        return n;
    default:
        dd_traces(b, n, 1, base);
        return n;
    }
}

static struct tbf_resp post(uint16_t p, const struct proto_case *pc,
                            const struct tbf_buf *b, int chunked)
{
    struct tbf_req q = {.method = pc->method,
                        .path = pc->path,
                        .content_type = pc->type,
                        .body = b->p,
                        .len = b->len,
                        .chunked = chunked};

    return tbf_send(p, &q);
}

Test(satellite, counts_every_protocol_exactly)
{
    static const size_t sizes[] = {1, 10, 100, 1000};

    start(TB_MODE_TYPICAL, 2);
    for (size_t k = 0; k < N_CASES; k++) {
        const struct proto_case *pc = &cases[k];
        uint64_t want = 0;

        for (size_t s = 0; s < 4; s++) {
            for (int chunked = 0; chunked < 2; chunked++) {
                struct tbf_buf b = {0};
                struct tbf_resp r;
                /* Distinct ids for every body of this case. */
                uint64_t base = (k << 40) + (s << 20) +
                                (uint64_t)chunked * (1u << 16);

                want += build(pc, sizes[s], base, &b);
                r = post(port((s + chunked) % 2), pc, &b, chunked);
                cr_assert(eq(long, r.status, pc->status),
                          "%s %zu spans chunked=%d: %s", pc->path, sizes[s],
                          chunked, r.body);
                cr_assert(eq(str, r.body, (char *)pc->answer));
                tbf_free(&b);
            }
        }
        struct tb_satellite_counts c = collect();

        cr_assert(eq(u64, c.spans_received, want), "%s", pc->path);
        cr_assert(eq(u64, c.duplicate_spans, 0));
        cr_assert(eq(u64, c.requests, 8));
        cr_assert(eq(u64, c.rejected_requests, 0));
        cr_assert(gt(u64, c.bytes, 0));
    }
}

Test(satellite, answers_in_the_request_content_type)
{
    struct tbf_buf b = {0};
    struct tbf_resp r;

    start(TB_MODE_TYPICAL, 1);
    otlp_report(&b, 1, 1, 3, 0, 0);
    r = post(port(0), &cases[2], &b, 0);
    cr_assert(eq(str, r.content_type, "application/x-protobuf"));
    tbf_free(&b);
    otlp_json(&b, 3, 100);
    r = post(port(0), &cases[3], &b, 0);
    cr_assert(eq(str, r.content_type, "application/json"));
    tbf_free(&b);
    ls_report(&b, 3, 200, 1, 1);
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 200));
    cr_assert(eq(sz, r.body_len, 0)); /* an empty ReportResponse */
    tbf_free(&b);
    cr_assert(eq(u64, tb_satellites_spans_received(sats), 9));
}

Test(satellite, gzip_bodies)
{
    struct tbf_buf b = {0}, gz = {0};
    struct tbf_req q = {.path = "/api/v0/reports",
                        .content_type = "application/json",
                        .encoding = "gzip"};
    struct tbf_resp r;

    start(TB_MODE_TYPICAL, 1);
    ls_json(&b, 500, 0);
    tbf_gzip(&b, &gz);
    q.body = gz.p;
    q.len = gz.len;
    r = tbf_send(port(0), &q);
    cr_assert(eq(long, r.status, 200), "%s", r.body);
    q.chunked = 1;
    q.path = "/v1/traces";
    tbf_free(&b);
    tbf_free(&gz);
    otlp_json(&b, 300, 1000);
    tbf_gzip(&b, &gz);
    q.body = gz.p;
    q.len = gz.len;
    r = tbf_send(port(0), &q);
    cr_assert(eq(long, r.status, 200), "%s", r.body);
    cr_assert(eq(u64, collect().spans_received, 800));
    /* Not gzip at all. */
    q.body = b.p;
    q.len = b.len;
    r = tbf_send(port(0), &q);
    cr_assert(eq(long, r.status, 400));
    tbf_free(&b);
    tbf_free(&gz);
}

Test(satellite, counts_duplicates_across_the_group)
{
    struct tbf_buf b = {0}, half = {0};
    struct tb_satellite_counts c;

    start(TB_MODE_TYPICAL, 2);
    ls_report(&b, 100, 0, 10, 15);
    cr_assert(eq(long, post(port(0), &cases[0], &b, 0).status, 200));
    cr_assert(eq(long, post(port(1), &cases[0], &b, 1).status, 200));
    /* The same spans in another protocol are still the same spans. */
    zipkin_json(&half, 50, 0);
    cr_assert(eq(long, post(port(0), &cases[4], &half, 0).status, 202));
    c = collect();
    cr_assert(eq(u64, c.spans_received, 100));
    cr_assert(eq(u64, c.duplicate_spans, 150));
    /* collect reset the set: the same spans count again. */
    cr_assert(eq(long, post(port(0), &cases[0], &b, 0).status, 200));
    c = collect();
    cr_assert(eq(u64, c.spans_received, 100));
    cr_assert(eq(u64, c.duplicate_spans, 0));
    tbf_free(&b);
    tbf_free(&half);
}

Test(satellite, start_times_and_the_mark)
{
    const uint64_t s0 = 1700000000ull * 1000000000ull + 123456789ull;
    struct tbf_buf b = {0}, other = {0};
    struct tb_satellite_counts c;

    start(TB_MODE_TYPICAL, 2);
    /* Span i of ls_report starts at 1700000000 + i s + 123456789 ns. */
    ls_report(&b, 100, 0, 10, 15);
    tb_satellites_set_mark(sats, 1700000050ull * 1000000000ull);
    cr_assert(eq(long, post(port(0), &cases[0], &b, 0).status, 200));
    /* Repeats are not first sends: they move nothing. */
    cr_assert(eq(long, post(port(1), &cases[0], &b, 1).status, 200));
    /* Other spans, all started at 1700000000 s, before the mark. */
    zipkin_json(&other, 20, 1000);
    cr_assert(eq(long, post(port(1), &cases[4], &other, 0).status, 202));
    c = collect();
    cr_assert(eq(u64, c.spans_received, 120));
    cr_assert(eq(u64, c.spans_after_mark, 50), "spans 50-99");
    cr_assert(eq(u64, c.first_start_ns, 1700000000ull * 1000000000ull));
    cr_assert(eq(u64, c.last_start_ns, s0 + 99ull * 1000000000ull));

    /* A reset (collect did one) keeps the mark; a mark of 0 ends it. */
    cr_assert(eq(long, post(port(0), &cases[0], &b, 1).status, 200));
    c = collect();
    cr_assert(eq(u64, c.spans_after_mark, 50));
    cr_assert(eq(u64, c.first_start_ns, s0));
    tb_satellites_set_mark(sats, 0);
    cr_assert(eq(long, post(port(0), &cases[0], &b, 0).status, 200));
    c = collect();
    cr_assert(eq(u64, c.spans_received, 100));
    cr_assert(eq(u64, c.spans_after_mark, 0));
    tbf_free(&b);
    tbf_free(&other);
}

Test(satellite, spans_received_endpoint_and_stats)
{
    struct tbf_buf b = {0};
    struct tbf_resp r;
    cJSON *j, *ls, *reasons;
    char *text;

    start(TB_MODE_TYPICAL, 2);
    ls_report(&b, 42, 0, 1, 1);
    post(port(0), &cases[0], &b, 0);
    post(port(0), &cases[0], &b, 0);
    tbf_free(&b);
    b.p = (uint8_t *)strdup("\xff\xff");
    b.len = 2;
    post(port(0), &cases[0], &b, 0);
    tbf_free(&b);
    r = tbf_get(port(0), "/spans_received");
    cr_assert(eq(long, r.status, 200));
    cr_assert(eq(str, r.body, "42"));
    r = tbf_get(port(1), "/spans_received");
    cr_assert(eq(str, r.body, "0"));

    r = tbf_get(port(1), "/stats");
    cr_assert(eq(long, r.status, 200));
    j = cJSON_Parse(r.body);
    cr_assert(ne(ptr, j, NULL), "%s", r.body);
    ls = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "protocols"), "lightstep");
    cr_assert(eq(dbl, cJSON_GetObjectItem(ls, "requests")->valuedouble, 3));
    cr_assert(eq(dbl, cJSON_GetObjectItem(ls, "spans")->valuedouble, 42));
    cr_assert(
        eq(dbl, cJSON_GetObjectItem(ls, "duplicate_spans")->valuedouble, 42));
    cr_assert(eq(dbl, cJSON_GetObjectItem(ls, "rejected")->valuedouble, 1));
    cr_assert(gt(dbl, cJSON_GetObjectItem(ls, "bytes")->valuedouble, 100));
    reasons = cJSON_GetObjectItem(ls, "reject_reasons");
    cr_assert(eq(int, cJSON_GetArraySize(reasons), 1));
    cr_assert(ne(ptr, strstr(reasons->child->string, "ReportRequest"), NULL));
    cr_assert(eq(str, cJSON_GetObjectItem(j, "mode")->valuestring, "typical"));
    cr_assert(
        eq(int, cJSON_GetArraySize(cJSON_GetObjectItem(j, "satellites")), 2));
    cJSON_Delete(j);
    text = tb_satellites_stats_json(sats);
    cr_assert(ne(ptr, strstr(text, "\"zipkin\""), NULL));
    free(text);
}

Test(satellite, modes)
{
    struct tbf_buf b = {0};
    struct tbf_resp r;
    struct tb_satellite_counts c;
    double t0;

    start(TB_MODE_SLOW_FAIL, 1);
    ls_report(&b, 100, 0, 1, 1);
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 400));
    c = collect();
    cr_assert(eq(u64, c.spans_received, 0));
    cr_assert(eq(u64, c.failed_requests, 1));

    tb_satellites_set_mode(sats, TB_MODE_SLOW_SUCCEED);
    tbf_free(&b);
    ls_report(&b, 20000, 0, 0, 0); /* 1 us each: at least 20 ms */
    t0 = now_s();
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 200));
    cr_assert(ge(dbl, now_s() - t0, 0.020));
    cr_assert(eq(u64, collect().spans_received, 20000));

    /* A configured delay: 1 ms per span, 100 spans. */
    tb_satellites_set_span_delay(sats, 1000);
    tbf_free(&b);
    ls_report(&b, 100, 0, 0, 0);
    t0 = now_s();
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 200));
    cr_assert(ge(dbl, now_s() - t0, 0.100));
    tbf_free(&b);
}

Test(satellite, bandwidth_cap)
{
    struct tb_satellites_opts o = {.bandwidth_bytes_per_s = 2000000};
    struct tbf_buf b = {0};
    double t0;

    tbf_satellites_start(&o, 1);
    ls_report(&b, 100, 0, 10, 15); /* ~93 KB */
    t0 = now_s();
    for (int i = 0; i < 5; i++)
        cr_assert(eq(long, post(port(0), &cases[0], &b, 0).status, 200));
    /* ~465 KB at 2 MB/s: at least 0.2 s. */
    cr_assert(ge(dbl, now_s() - t0, 0.2));
    tbf_free(&b);
}

Test(satellite, faults_answer_and_count_nothing)
{
    struct tb_satellites_opts o = {.retry_after_s = 7};
    struct tbf_buf b = {0};
    struct tbf_resp r;
    tb_error err = {0};

    tbf_satellites_start(&o, 1);
    ls_report(&b, 10, 0, 1, 1);
    cr_assert(
        eq(int, tb_satellites_set_fault(sats, TB_FAULT_429, &err), TB_OK));
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 429));
    cr_assert(eq(str, r.retry_after, "7"));
    tb_satellites_set_fault(sats, TB_FAULT_503, &err);
    r = post(port(0), &cases[0], &b, 1);
    cr_assert(eq(long, r.status, 503));
    cr_assert(eq(str, r.retry_after, "7"));
    tb_satellites_set_fault(sats, TB_FAULT_500, &err);
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 500));
    struct tb_satellite_counts c = collect();

    cr_assert(eq(u64, c.spans_received, 0));
    cr_assert(eq(u64, c.failed_requests, 3));
    tb_satellites_set_fault(sats, TB_FAULT_NONE, &err);
    r = post(port(0), &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 200));
    cr_assert(eq(u64, collect().spans_received, 10));
    tbf_free(&b);
}

Test(satellite, hang_until_the_client_gives_up)
{
    struct tbf_buf b = {0};
    struct tbf_req q = {.path = "/api/v2/reports", .timeout_ms = 300};
    struct tbf_resp r;
    tb_error err = {0};
    double t0;

    start(TB_MODE_TYPICAL, 1);
    ls_report(&b, 10, 0, 1, 1);
    q.body = b.p;
    q.len = b.len;
    tb_satellites_set_fault(sats, TB_FAULT_HANG, &err);
    r = tbf_send(port(0), &q);
    cr_assert(eq(long, r.status, 0));
    cr_assert(eq(int, r.curl_code, CURLE_OPERATION_TIMEDOUT));
    /* A hung request is not "in flight": collect does not wait for it.
     * Waiting would take collect's whole bound (2 s): relative to that,
     * not to a window of the machine's speed. */
    t0 = now_s();
    cr_assert(eq(u64, collect().spans_received, 0));
    cr_assert(lt(dbl, now_s() - t0, 2.0 / 2));
    tb_satellites_set_fault(sats, TB_FAULT_NONE, &err);
    q.timeout_ms = 0;
    r = tbf_send(port(0), &q);
    cr_assert(eq(long, r.status, 200));
    tbf_free(&b);
}

struct bg_post {
    uint16_t port;
    struct tbf_buf *body;
    long timeout_ms;
    struct tbf_resp resp;
};

static void *bg_post(void *arg)
{
    struct bg_post *bp = arg;
    struct tbf_req q = {.path = "/api/v2/reports",
                        .body = bp->body->p,
                        .len = bp->body->len,
                        .timeout_ms = bp->timeout_ms};

    bp->resp = tbf_send(bp->port, &q);
    return NULL;
}

Test(satellite, shutdown_is_quick_with_hung_and_slow_requests)
{
    struct tbf_buf b = {0};
    struct bg_post hung, slow;
    pthread_t t1, t2;
    tb_error err = {0};
    double t0;

    start(TB_MODE_TYPICAL, 2);
    ls_report(&b, 100, 0, 1, 1);
    tb_satellites_set_span_delay(sats, 100000); /* 10 s a report */
    slow = (struct bg_post){port(0), &b, 20000, {0}};
    pthread_create(&t1, NULL, bg_post, &slow);
    usleep(200000);
    tb_satellites_set_fault(sats, TB_FAULT_HANG, &err);
    hung = (struct bg_post){port(1), &b, 20000, {0}};
    pthread_create(&t2, NULL, bg_post, &hung);
    usleep(300000);
    t0 = now_s();
    tb_satellites_shutdown(sats);
    /* Relative to the requests: waiting for either would take the slow
     * report's 10 s at least. */
    cr_assert(lt(dbl, now_s() - t0, 10.0 / 2));
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    cr_assert(ne(long, slow.resp.status, 200));
    cr_assert(eq(long, hung.resp.status, 0));
    cr_assert(not(tb_satellites_all_running(sats)));
    tbf_free(&b);
}

Test(satellite, refuse_closes_the_listeners)
{
    struct tbf_buf b = {0};
    struct tbf_resp r;
    tb_error err = {0};
    uint16_t p;

    start(TB_MODE_TYPICAL, 2);
    p = port(1);
    ls_report(&b, 10, 0, 1, 1);
    cr_assert(
        eq(int, tb_satellites_set_fault(sats, TB_FAULT_REFUSE, &err), TB_OK));
    cr_assert(not(tb_satellites_all_running(sats)));
    r = post(p, &cases[0], &b, 0);
    cr_assert(eq(long, r.status, 0));
    cr_assert(eq(int, r.curl_code, CURLE_COULDNT_CONNECT));
    cr_assert(
        eq(int, tb_satellites_set_fault(sats, TB_FAULT_NONE, &err), TB_OK),
        "%s", err.msg);
    cr_assert(tb_satellites_all_running(sats));
    cr_assert(eq(u16, port(1), p));
    cr_assert(eq(long, post(p, &cases[0], &b, 0).status, 200));
    tbf_free(&b);
}

Test(satellite, restart_on_the_same_ports)
{
    struct tbf_buf b = {0};
    tb_error err = {0};
    uint16_t p0, p1;

    start(TB_MODE_TYPICAL, 2);
    p0 = port(0);
    p1 = port(1);
    cr_assert(ne(u16, p0, 0));
    cr_assert(ne(u16, p0, p1));
    cr_assert(tb_satellites_all_running(sats));
    ls_report(&b, 10, 0, 1, 1);
    /* Leave a kept-alive-looking connection around: curl closes it, but
     * the server side may linger in TIME_WAIT. */
    cr_assert(eq(long, post(p0, &cases[0], &b, 0).status, 200));
    for (int round = 0; round < 3; round++) {
        tb_satellites_shutdown(sats);
        cr_assert(not(tb_satellites_all_running(sats)));
        cr_assert(eq(long, post(p0, &cases[0], &b, 0).status, 0));
        cr_assert(eq(int, tb_satellites_restart(sats, &err), TB_OK), "%s",
                  err.msg);
        cr_assert(tb_satellites_all_running(sats));
        cr_assert(eq(u16, port(0), p0));
        cr_assert(eq(u16, port(1), p1));
        cr_assert(eq(long, post(p1, &cases[0], &b, 1).status, 200));
    }
    /* Counts survive a restart (LightStep's suite's reconnect graph). */
    cr_assert(eq(u64, collect().spans_received, 10));
    tbf_free(&b);
}

static int listen_any(uint16_t *port_out)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(eq(int, bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
    cr_assert(eq(int, listen(fd, 1), 0));
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port_out = ntohs(sa.sin_port);
    return fd;
}

Test(satellite, port_in_use_names_the_port_and_leaves_nothing)
{
    uint16_t taken, free_port, ports[2];
    struct tb_satellites_opts o = {0};
    struct tbf_req q = {.method = "GET", .path = "/stats"};
    tb_error err = {0};
    char want[16];
    int fd = listen_any(&taken), fd2 = listen_any(&free_port);

    close(fd2); /* free_port is free now */
    ports[0] = free_port;
    ports[1] = taken;
    o.ports = ports;
    o.n_ports = 2;
    cr_assert(
        eq(int, tb_satellites_start(&o, &sats, &err), TB_ERR_PORT_IN_USE));
    cr_assert(eq(ptr, sats, NULL));
    snprintf(want, sizeof(want), "%u", taken);
    cr_assert(ne(ptr, strstr(err.msg, want), NULL), "%s", err.msg);
    cr_assert(eq(long, tbf_send(free_port, &q).status, 0));
    close(fd);
}

Test(satellite, default_ports)
{
    const uint16_t *p;
    tb_error err = {0};
    tb_err rc = tb_satellites_start(NULL, &sats, &err);

    /* 8360-8367 may be taken on a shared machine; then the error names
     * one of them. */
    if (rc == TB_ERR_PORT_IN_USE) {
        cr_assert(ne(ptr, strstr(err.msg, "836"), NULL));
        return;
    }
    cr_assert(eq(int, rc, TB_OK), "%s", err.msg);
    cr_assert(eq(sz, tb_satellites_ports(sats, &p), 8));
    cr_assert(eq(u16, p[0], 8360));
    cr_assert(eq(u16, p[7], 8367));
}

Test(satellite, bad_input_is_rejected_and_serving_goes_on)
{
    static const char *const junk[] = {
        "\xff\xff\xff",
        "{\"resourceSpans\":[",
        "[{\"traceId\":7}]",
    };
    struct tbf_buf b = {0};
    struct tbf_resp r;
    uint64_t want = 0;

    start(TB_MODE_TYPICAL, 1);
    for (size_t k = 0; k < N_CASES; k++) {
        for (size_t j = 0; j < 3; j++) {
            struct tbf_buf bad = {(uint8_t *)junk[j], strlen(junk[j]), 0};

            r = post(port(0), &cases[k], &bad, (int)(j % 2));
            /* None of these is valid in any protocol. */
            cr_assert(eq(long, r.status, 400), "%s body %zu: %s", cases[k].path,
                      j, r.body);
            cr_assert(
                eq(ptr, strchr(r.body, '\n'), r.body + strlen(r.body) - 1),
                "one line");
        }
        /* A truncated valid body. */
        build(&cases[k], 20, k << 32, &b);
        b.len -= 3;
        r = post(port(0), &cases[k], &b, 0);
        cr_assert(eq(long, r.status, 400), "%s truncated: %s", cases[k].path,
                  r.body);
        tbf_free(&b);
        /* Still serving and counting. */
        want += build(&cases[k], 20, (k << 32) + 100, &b);
        r = post(port(0), &cases[k], &b, 1);
        cr_assert(eq(long, r.status, cases[k].status));
        tbf_free(&b);
    }
    struct tb_satellite_counts c = collect();

    cr_assert(eq(u64, c.spans_received, want));
    cr_assert(eq(u64, c.rejected_requests, 4 * N_CASES));
}

Test(satellite, oversized_bodies_get_413)
{
    struct tb_satellites_opts o = {.max_body_bytes = 10000};
    struct tbf_buf b = {0}, gz = {0};
    struct tbf_req q = {.path = "/api/v2/spans"};
    struct tbf_resp r;

    tbf_satellites_start(&o, 1);
    zipkin_json(&b, 200, 0); /* ~40 KB */
    cr_assert(eq(long, post(port(0), &cases[4], &b, 0).status, 413));
    cr_assert(eq(long, post(port(0), &cases[4], &b, 1).status, 413));
    /* Small when sent, over the limit once inflated. */
    tbf_gzip(&b, &gz);
    cr_assert(lt(sz, gz.len, 10000));
    q.body = gz.p;
    q.len = gz.len;
    q.encoding = "gzip";
    r = tbf_send(port(0), &q);
    cr_assert(eq(long, r.status, 413), "%s", r.body);
    tbf_free(&b);
    tbf_free(&gz);
    zipkin_json(&b, 10, 0);
    cr_assert(eq(long, post(port(0), &cases[4], &b, 1).status, 202));
    struct tb_satellite_counts c = collect();

    cr_assert(eq(u64, c.spans_received, 10));
    cr_assert(eq(u64, c.rejected_requests, 3));
    tbf_free(&b);
}

Test(satellite, unknown_path_and_wrong_method)
{
    struct tbf_req q = {
        .method = "POST", .path = "/nope", .body = "x", .len = 1};

    start(TB_MODE_TYPICAL, 1);
    cr_assert(eq(long, tbf_send(port(0), &q).status, 404));
    q.path = "/api/v2/reports";
    q.method = "PUT";
    cr_assert(eq(long, tbf_send(port(0), &q).status, 405));
    q.method = "GET";
    cr_assert(eq(long, tbf_send(port(0), &q).status, 405));
    q.path = "/stats";
    q.method = "POST";
    cr_assert(eq(long, tbf_send(port(0), &q).status, 405));
    q.path = "/v0.4/traces";
    q.method = "DELETE";
    cr_assert(eq(long, tbf_send(port(0), &q).status, 405));
}

Test(satellite, idle_connections_time_out)
{
    struct tb_satellites_opts o = {.idle_timeout_s = 1};
    struct sockaddr_in sa = {0};
    struct timeval tv = {5, 0};
    char c;
    int fd;
    double t0;

    tbf_satellites_start(&o, 1);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port(0));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(eq(int, connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    t0 = now_s();
    /* Half a request line, then silence. */
    cr_assert(eq(long, (long)write(fd, "POST /api", 9), 9));
    cr_assert(le(long, (long)read(fd, &c, 1), 0));
    cr_assert(lt(dbl, now_s() - t0, 4.0));
    close(fd);
}

static void *slow_report(void *arg)
{
    struct bg_post *bp = arg;

    return bg_post(bp);
}

Test(satellite, collect_waits_for_requests_in_flight)
{
    struct tbf_buf b = {0};
    struct bg_post bp;
    struct tb_satellite_counts c;
    tb_error err = {0};
    pthread_t t;
    double t0;

    start(TB_MODE_TYPICAL, 1);
    ls_report(&b, 100, 0, 1, 1);
    tb_satellites_set_span_delay(sats, 3000); /* 0.3 s a report */
    bp = (struct bg_post){port(0), &b, 10000, {0}};
    pthread_create(&t, NULL, slow_report, &bp);
    usleep(100000);
    t0 = now_s();
    cr_assert(eq(int, tb_satellites_collect(sats, 50, 5000, &c, &err), TB_OK));
    pthread_join(t, NULL);
    cr_assert(eq(long, bp.resp.status, 200));
    cr_assert(eq(u64, c.spans_received, 100));
    cr_assert(ge(dbl, now_s() - t0, 0.15));
    cr_assert(eq(u64, tb_satellites_spans_received(sats), 0));

    /* Bounded: a 3 s request does not hold collect past max_wait. */
    tb_satellites_set_span_delay(sats, 30000);
    bp = (struct bg_post){port(0), &b, 10000, {0}};
    pthread_create(&t, NULL, slow_report, &bp);
    usleep(100000);
    t0 = now_s();
    tb_satellites_collect(sats, 50, 300, &c, &err);
    /* Relative to the request: waiting for it would take its 3 s. */
    cr_assert(lt(dbl, now_s() - t0, 3.0 / 2));
    tb_satellites_shutdown(sats);
    pthread_join(t, NULL);
    tbf_free(&b);
}

Test(satellite, names_parse_both_ways)
{
    tb_satellite_mode m;
    tb_satellite_fault f;
    tb_error err = {0};

    for (int i = 0; i < TB_MODE__COUNT; i++) {
        cr_assert(eq(
            int, tb_satellite_mode_parse(tb_satellite_mode_name(i), &m, &err),
            TB_OK));
        cr_assert(eq(int, (int)m, i));
    }
    for (int i = 0; i < TB_FAULT__COUNT; i++) {
        cr_assert(eq(
            int, tb_satellite_fault_parse(tb_satellite_fault_name(i), &f, &err),
            TB_OK));
        cr_assert(eq(int, (int)f, i));
    }
    cr_assert(
        eq(int, tb_satellite_mode_parse("fast", &m, &err), TB_ERR_INVALID_ARG));
    cr_assert(ne(ptr, strstr(err.msg, "'fast'"), NULL));
    cr_assert(ne(ptr, strstr(err.msg, "slow_succeed"), NULL));
    tb_error_clear(&err);
    cr_assert(
        eq(int, tb_satellite_fault_parse("404", &f, &err), TB_ERR_INVALID_ARG));
    cr_assert(ne(ptr, strstr(err.msg, "hang"), NULL));
    cr_assert(eq(dbl, tb_satellite_mode_delay_us(TB_MODE_TYPICAL), 0.05));
}
