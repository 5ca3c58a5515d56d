/* The threads of the harness, exercised together for ThreadSanitizer
 * (make tsan): 8 senders posting to a satellite group on both loopbacks
 * while the counts are collected and reset, a restart, gzip bombs against
 * the body budget, a drip upload cut by the watchdog, connections past the
 * limit, and a controller run of a shell client with its control endpoint
 * and output reader. Exits 0 when every step answered as it should; the
 * sanitizer's reports are the point. Not a Criterion suite: Criterion
 * cannot start under TSan. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../fixtures/bodies.h"
#include "../fixtures/http.h"
#include "tracebench.h"

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "stress_threads: " __VA_ARGS__);                   \
            fputc('\n', stderr);                                               \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static uint16_t port;

static void *sender(void *arg)
{
    long id = (long)arg;
    struct tbf_buf b = {0};

    zipkin_json(&b, 20, (uint64_t)id << 32);
    for (int i = 0; i < 40; i++) {
        struct tbf_req q = {.path = "/api/v2/spans",
                            .body = b.p,
                            .len = b.len,
                            .chunked = i % 3 == 0,
                            .host = i % 2 ? "[::1]" : NULL};
        tbf_send(port, &q); /* during the restart, refused is fine */
    }
    tbf_free(&b);
    return NULL;
}

static void *bomb(void *arg)
{
    const struct tbf_buf *gz = arg;
    struct tbf_req q = {.path = "/api/v2/spans",
                        .encoding = "gzip",
                        .body = gz->p,
                        .len = gz->len,
                        .timeout_ms = 30000};
    long s = tbf_send(port, &q).status;

    CHECK(s == 413 || s == 503, "a gzip bomb was answered %ld", s);
    return NULL;
}

int main(void)
{
    static const uint16_t any[2] = {0, 0};
    struct tb_satellites_opts so = {.ports = any,
                                    .n_ports = 2,
                                    .max_connections = 64,
                                    .min_upload_bytes_per_s = 1000};
    tb_satellites *sats;
    tb_error err = {0};
    const uint16_t *ports;
    pthread_t t[8];
    struct tb_satellite_counts c;

    setenv("TB_LOG_DIR", "/tmp/tracebench-stress-logs", 1);
    curl_global_init(CURL_GLOBAL_ALL);
    CHECK(tb_satellites_start(&so, &sats, &err) == TB_OK, "%s", err.msg);
    tb_satellites_ports(sats, &ports);
    port = ports[0];

    /* Senders, with collects, a reset and a restart under them. */
    for (long i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, sender, (void *)i);
    uint64_t total = 0;
    for (int i = 0; i < 5; i++) {
        tb_satellites_collect(sats, 5, 50, &c, &err);
        total += c.spans_received;
        free(tb_satellites_stats_json(sats));
    }
    tb_satellites_shutdown(sats);
    CHECK(tb_satellites_restart(sats, &err) == TB_OK, "%s", err.msg);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    tb_satellites_collect(sats, 20, 2000, &c, &err);
    total += c.spans_received;
    printf("senders: %llu spans counted over the collects\n",
           (unsigned long long)total);
    CHECK(total > 0, "no span was counted");

    /* 8 gzip bombs against the body budget. */
    struct tbf_buf zeros = {0}, gz = {0};
    zeros.len = zeros.cap = 128u << 20;
    zeros.p = calloc(1, zeros.len);
    CHECK(zeros.p != NULL, "out of memory");
    tbf_gzip(&zeros, &gz);
    tbf_free(&zeros);
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, bomb, &gz);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    tbf_free(&gz);

    /* A drip upload, cut by the watchdog. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static const char head[] = "POST /api/v2/spans HTTP/1.1\r\nHost: x\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
    send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL);
    int cut = 0;
    for (int i = 0; i < 20 && !cut; i++) {
        cut = send(fd, "1\r\n[\r\n", 6, MSG_NOSIGNAL) != 6;
        usleep(300000);
        char ch;
        cut = cut || recv(fd, &ch, 1, MSG_DONTWAIT) == 0;
    }
    close(fd);
    CHECK(cut, "the drip upload was not cut");
    tb_satellites_free(sats);

    /* A controller run: control endpoint, run loop, output reader. */
    tb_client *cl = NULL;
    tb_controller *ctl = NULL;
    tb_result *r = NULL;
    static const struct tb_calibration cal = {.target_cpu = 0.7,
                                              .sleep_per_work_ns = 1,
                                              .work_per_second = 1e6,
                                              .last_cpu = 0.7};
    CHECK(tb_client_from_command("chatty", "/bin/sh -c 'seq 100000' x", &cl,
                                 &err) == TB_OK,
          "%s", err.msg);
    tb_client_set_reports(cl, false); /* `seq` posts no span count */
    struct tb_controller_opts co = {
        .client = cl, .control_port = 0, .calibration = &cal};
    CHECK(tb_controller_new(&co, &ctl, &err) == TB_OK, "%s", err.msg);
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 30};
    CHECK(tb_controller_benchmark(ctl, &bo, &r, &err) == TB_OK, "%s", err.msg);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_client_free(cl);
    curl_global_cleanup();
    printf("stress_threads: done\n");
    return 0;
}
