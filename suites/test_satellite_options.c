/* The satellites' options for the audit and the slow gate: the count_503
 * fault (counted, then refused, so a resend is a duplicate), the response
 * delay and answer-then-close connections. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/bodies.h"
#include "fixtures/http.h"
#include "fixtures/satellites.h"
#include "tracebench/satellite/satellite.h"

/* sats, the group under test: fixtures/satellites.h. */
TestSuite(satellite_options, .init = tbf_satellites_init,
          .fini = tbf_satellites_fini, .timeout = 60);

static struct tbf_resp post_zipkin(uint16_t port, size_t n)
{
    struct tbf_buf b = {0};
    struct tbf_resp r;

    zipkin_json(&b, n, 0);
    struct tbf_req q = {.path = "/api/v2/spans",
                        .content_type = "application/json",
                        .body = b.p,
                        .len = b.len};
    r = tbf_send(port, &q);
    tbf_free(&b);
    return r;
}

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(satellite_options,
     count_503_counts_then_refuses_so_a_resend_is_a_duplicate)
{
    struct tb_satellites_opts o = {.fault = TB_FAULT_COUNT_503,
                                   .retry_after_s = 2};
    struct tb_satellite_counts c;
    tb_error err = {0};
    uint16_t port = tbf_satellites_start(&o, 1);
    struct tbf_resp r = post_zipkin(port, 5);

    cr_assert_eq(r.status, 503, "status %ld: %s", r.status, r.body);
    cr_assert_str_eq(r.retry_after, "2");
    r = post_zipkin(port, 5); /* the tracer's retry: every other report */
    cr_assert_eq(r.status, 202);
    cr_assert_eq(tb_satellites_collect(sats, 0, 0, &c, &err), TB_OK);
    cr_assert_eq(c.spans_received, 5);
    cr_assert_eq(c.duplicate_spans, 5);
}

Test(satellite_options, response_delay_holds_every_answer)
{
    struct tb_satellites_opts o = {0};
    uint16_t port = tbf_satellites_start(&o, 1);
    double t0, plain, held;

    t0 = now_s();
    cr_assert_eq(post_zipkin(port, 1).status, 202);
    plain = now_s() - t0;
    tb_satellites_set_response_delay(sats, 300);
    t0 = now_s();
    cr_assert_eq(post_zipkin(port, 1).status, 202);
    held = now_s() - t0;
    /* A lower bound: a sleep is never shorter than asked. */
    cr_assert_geq(held, 0.3, "answered after %.3f s", held);
    cr_assert_gt(held, plain);
}

/* Sends a request on a raw connection and reads its answer; returns
 * whether the satellite then closed the connection (recv gives 0) or kept
 * it (a second request on it is answered). */
static bool closes_after_answer(uint16_t port)
{
    static const char req[] = "POST /api/v2/spans HTTP/1.1\r\n"
                              "Host: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2\r\n\r\n[]";
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 10};
    char buf[2048];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ssize_t n;
    size_t got = 0;

    cr_assert_geq(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
    /* The answer's head ends in a blank line; its body is empty. */
    while (got < sizeof(buf) - 1 &&
           (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL)
            break;
    }
    cr_assert(strstr(buf, " 202 ") != NULL, "%s", buf);
    bool says_close = strcasestr(buf, "Connection: close") != NULL;
    /* Closed: the next read sees the end; kept: a second request on the
     * same connection is answered. */
    if (write(fd, req, sizeof(req) - 1) < 0) {
        close(fd);
        return true;
    }
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    cr_assert(n >= 0, "no answer and no close within 10 s");
    cr_assert_eq(n == 0, says_close, "Connection: close said %d, closed %d",
                 says_close, n == 0);
    return n == 0;
}

Test(satellite_options, close_answers_then_closes_keep_alive_keeps)
{
    struct tb_satellites_opts o = {0};
    uint16_t port = tbf_satellites_start(&o, 1);

    cr_assert(!closes_after_answer(port));
    tb_satellites_set_connection_close(sats, true);
    cr_assert(closes_after_answer(port));
}

Test(satellite_options, count_reset_counts_then_closes_unanswered)
{
    struct tb_satellites_opts o = {.fault = TB_FAULT_COUNT_RESET};
    struct tb_satellite_counts c;
    tb_error err = {0};
    uint16_t port = tbf_satellites_start(&o, 1);

    cr_assert_eq(post_zipkin(port, 4).status, 0);   /* no answer */
    cr_assert_eq(post_zipkin(port, 4).status, 202); /* the retry */
    cr_assert_eq(tb_satellites_collect(sats, 0, 0, &c, &err), TB_OK);
    cr_assert_eq(c.spans_received, 4);
    cr_assert_eq(c.duplicate_spans, 4);
}
