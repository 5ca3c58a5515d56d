/* How fast a satellite takes LightStep reports, against the loopback
 * limit: kept-alive raw-socket connections post 100-span reports (span
 * context, 10 tags, 15 logs each; about 93 KB) to a satellite (decoding,
 * counting and recording span ids) and to a libmicrohttpd endpoint with the
 * same threading that reads and discards the body. Trials alternate A/B;
 * medians and spread are printed, and the ratio.
 *
 *   bench_satellite [--trials N] [--seconds S] [--connections C]
 *                   [--satellite-only | --noop-only]
 *
 * The satellite runs as a run starts it by default (typical mode, 0.05 us
 * per span), except that the 50 MB/s bandwidth cap is off. The no-op
 * endpoint has the satellite's threading (a thread per connection) and
 * connection memory limit (256 KiB).
 *
 * Every report's span ids are rewritten before each send, so the satellite
 * records only new ids, as in a real run; after each satellite trial the
 * count it collected must equal the spans sent.
 *
 * Each trial also prints the process's page faults and system CPU
 * (senders and server together; the no-op trial is the control): on a
 * VM that hands freed memory back to its host, the span-id tables'
 * growth into fresh memory is a large part of the satellite's cost. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../fixtures/bodies.h"
#include "tracebench/satellite/satellite.h"

#define SPANS_PER_REPORT 100
#define ID_FLAG (1ull << 63)
#define MAX_CONNS 16

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the no-op endpoint ---- */

static enum MHD_Result noop_request(void *cls, struct MHD_Connection *mc,
                                    const char *url, const char *method,
                                    const char *version,
                                    const char *upload_data,
                                    size_t *upload_data_size, void **req_cls)
{
    static int marker;
    struct MHD_Response *r;
    enum MHD_Result ret;

    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    if (*req_cls == NULL) {
        *req_cls = &marker;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0; /* read and discarded */
        return MHD_YES;
    }
    r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(mc, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void noop_connection(void *cls, struct MHD_Connection *mc,
                            void **socket_context,
                            enum MHD_ConnectionNotificationCode toe)
{
    const union MHD_ConnectionInfo *info;
    int one = 1;

    (void)cls, (void)socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info != NULL)
        setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof(one));
}

static struct MHD_Daemon *noop_start(uint16_t *port)
{
    struct sockaddr_in sa = {0};
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
                             MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
                         0, NULL, NULL, noop_request, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         (size_t)(256 * 1024), MHD_OPTION_NOTIFY_CONNECTION,
                         noop_connection, NULL, MHD_OPTION_END);
    if (d == NULL)
        return NULL;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info->port;
    return d;
}

/* ---- the load generator ---- */

struct conn_job {
    uint16_t port;
    unsigned index; /* keeps ids distinct between connections */
    double seconds;
    uint64_t *serial;      /* reports sent on this connection, ever */
    struct tbf_buf report; /* this connection's copy, patched per send */
    size_t offs[SPANS_PER_REPORT]; /* where each span id's varint sits */
    uint64_t reports;              /* out: answered 200 */
    uint64_t errors;               /* out */
};

static void put_varint10(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 9; i++) {
        p[i] = (uint8_t)(v & 0x7f) | 0x80;
        v >>= 7;
    }
    p[9] = (uint8_t)v;
}

static int connect_to(uint16_t port)
{
    struct sockaddr_in sa = {0};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Reads one answer with an empty body; returns its status or -1. */
static int read_answer(int fd)
{
    char buf[2048];
    size_t len = 0;

    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL)
            break;
        if (len == sizeof(buf) - 1)
            return -1;
    }
    if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
        return -1;
    return atoi(buf + 9);
}

static void *run_conn(void *arg)
{
    struct conn_job *j = arg;
    char head[256];
    int hlen, fd = connect_to(j->port);
    double end = now_s() + j->seconds;

    j->reports = j->errors = 0;
    if (fd < 0) {
        j->errors++;
        return NULL;
    }
    hlen = snprintf(head, sizeof(head),
                    "POST /api/v2/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Content-Type: application/octet-stream\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    j->report.len);
    while (now_s() < end) {
        struct iovec iov[2] = {{head, (size_t)hlen},
                               {j->report.p, j->report.len}};
        uint64_t k = (*j->serial)++;
        size_t want = (size_t)hlen + j->report.len, sent = 0;

        for (size_t i = 0; i < SPANS_PER_REPORT; i++)
            put_varint10(j->report.p + j->offs[i],
                         ID_FLAG | ((uint64_t)j->index << 48) |
                             (k * SPANS_PER_REPORT + i + 1));
        while (sent < want) {
            ssize_t n = writev(fd, iov, 2);

            if (n <= 0)
                goto broken;
            sent += (size_t)n;
            for (int v = 0; v < 2; v++) {
                size_t take = (size_t)n < iov[v].iov_len ? (size_t)n
                                                         : iov[v].iov_len;

                iov[v].iov_base = (char *)iov[v].iov_base + take;
                iov[v].iov_len -= take;
                n -= (ssize_t)take;
            }
        }
        if (read_answer(fd) != 200)
            goto broken;
        j->reports++;
    }
    close(fd);
    return NULL;
broken:
    j->errors++;
    close(fd);
    return NULL;
}

/* What the kernel did for the whole process during a trial: page faults
 * and system CPU. Most of a satellite trial's faults are its span-id
 * tables growing into fresh memory; the no-op trial is the control. */
struct kernel_cost {
    long faults;
    double sys_s;
};

static struct kernel_cost kernel_now(void)
{
    struct rusage ru;
    struct kernel_cost k;

    getrusage(RUSAGE_SELF, &ru);
    k.faults = ru.ru_minflt + ru.ru_majflt;
    k.sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return k;
}

/* Runs conns connections for seconds; spans answered per second. *kc
 * gets the kernel's work over the trial. */
static double trial(struct conn_job *jobs, unsigned conns, uint16_t port,
                    double seconds, uint64_t *spans, uint64_t *errors,
                    struct kernel_cost *kc)
{
    pthread_t t[MAX_CONNS];
    double t0 = now_s(), el;
    uint64_t reports = 0;
    struct kernel_cost k0 = kernel_now(), k1;

    *errors = 0;
    for (unsigned i = 0; i < conns; i++) {
        jobs[i].port = port;
        jobs[i].seconds = seconds;
        pthread_create(&t[i], NULL, run_conn, &jobs[i]);
    }
    for (unsigned i = 0; i < conns; i++) {
        pthread_join(t[i], NULL);
        reports += jobs[i].reports;
        *errors += jobs[i].errors;
    }
    el = now_s() - t0;
    k1 = kernel_now();
    kc->faults = k1.faults - k0.faults;
    kc->sys_s = k1.sys_s - k0.sys_s;
    *spans = reports * SPANS_PER_REPORT;
    return (double)*spans / el;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Finds each span id's 10-byte varint in the report. */
static int find_ids(struct conn_job *j)
{
    for (size_t i = 0; i < SPANS_PER_REPORT; i++) {
        uint8_t pat[10];
        uint8_t *at;

        put_varint10(pat, ID_FLAG | tbf_span_id(0, i));
        at = memmem(j->report.p, j->report.len, pat, sizeof(pat));
        if (at == NULL)
            return -1;
        j->offs[i] = (size_t)(at - j->report.p);
    }
    return 0;
}

/* A whole number from lo to hi, or -1 with a message: no atoi. */
static long parse_count(const char *name, const char *v, long lo, long hi)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
        fprintf(stderr,
                "bench_satellite: --%s: expected %ld-%ld, got "
                "'%s'\n",
                name, lo, hi, v);
        return -1;
    }
    return n;
}

/* Prints a figure's median and its spread over the trials. */
static double summary(const char *name, double *v, unsigned n, const char *unit)
{
    double m = median(v, n); /* sorts v */

    printf("%-10s median %9.0f %s (min %.0f, max %.0f, spread %.0f%% of "
           "the median)\n",
           name, m, unit, v[0], v[n - 1],
           m > 0 ? 100 * (v[n - 1] - v[0]) / m : 0);
    return m;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"trials", required_argument, 0, 't'},
        {"seconds", required_argument, 0, 's'},
        {"connections", required_argument, 0, 'c'},
        {"satellite-only", no_argument, 0, 'o'},
        {"noop-only", no_argument, 0, 'n'},
        {0, 0, 0, 0},
    };
    long trials = 5, conns = 2;
    double seconds = 3;
    struct conn_job jobs[MAX_CONNS];
    uint64_t serial[MAX_CONNS] = {0};
    double sat_rate[64], noop_rate[64], pair[64], ms, mn;
    struct tb_satellites_opts o = {0};
    uint16_t zero = 0, noop_port;
    const uint16_t *sat_port;
    struct MHD_Daemon *noop;
    tb_satellites *sats;
    tb_error err = {0};
    int c, bad = 0, run_sat = 1, run_noop = 1;
    char *end;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 't' && (trials = parse_count("trials", optarg, 1, 64)) < 0)
            return 2;
        if (c == 'c' &&
            (conns = parse_count("connections", optarg, 1, MAX_CONNS)) < 0)
            return 2;
        if (c == 's') {
            seconds = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(seconds > 0)) {
                fprintf(stderr,
                        "bench_satellite: --seconds: expected a "
                        "positive number, got '%s'\n",
                        optarg);
                return 2;
            }
        }
        if (c == 'o')
            run_noop = 0; /* for profiling the satellite alone */
        if (c == 'n')
            run_sat = 0; /* for profiling the loopback limit alone */
        if (c == '?')
            return 2;
    }
    if (!run_sat && !run_noop) {
        fprintf(stderr, "bench_satellite: --satellite-only and --noop-only "
                        "exclude each other\n");
        return 2;
    }
    if (getenv("TB_LOG_DIR") == NULL)
        setenv("TB_LOG_DIR", "/tmp/tracebench-bench-logs", 1);

    for (long i = 0; i < conns; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].index = (unsigned)i;
        jobs[i].serial = &serial[i];
        ls_report_ex(&jobs[i].report, SPANS_PER_REPORT, 0, 10, 15, ID_FLAG);
        if (find_ids(&jobs[i]) != 0) {
            fprintf(stderr, "bench_satellite: span ids not found\n");
            return 1;
        }
    }
    /* The satellite as a run uses it by default: typical mode with its
     * per-span delay (0.05 us). The one departure: no bandwidth cap, since
     * 50 MB/s would hold a satellite to ~54,000 spans/s and measure the
     * cap, not the satellite. */
    o.mode = TB_MODE_TYPICAL;
    o.ports = &zero;
    o.n_ports = 1;
    o.bandwidth_bytes_per_s = TB_SATELLITE_NO_BANDWIDTH_CAP;
    if (tb_satellites_start(&o, &sats, &err) != TB_OK) {
        fprintf(stderr, "bench_satellite: %s\n", err.msg);
        return 1;
    }
    tb_satellites_ports(sats, &sat_port);
    noop = noop_start(&noop_port);
    if (noop == NULL) {
        fprintf(stderr, "bench_satellite: cannot start the no-op endpoint\n");
        return 1;
    }
    printf("report: %zu bytes, %d spans; %ld connections, %ld trials of "
           "%.1f s each, A/B interleaved\n",
           jobs[0].report.len, SPANS_PER_REPORT, conns, trials, seconds);
    printf("satellite: mode %s, %.2f us delay per span, bandwidth cap "
           "off\n",
           tb_satellite_mode_name(o.mode), tb_satellite_mode_delay_us(o.mode));
    for (long t = 0; t < trials; t++) {
        struct tb_satellite_counts got;
        struct kernel_cost kc;
        uint64_t spans, errors;

        sat_rate[t] = noop_rate[t] = 1;
        if (run_sat) {
            sat_rate[t] = trial(jobs, (unsigned)conns, sat_port[0], seconds,
                                &spans, &errors, &kc);
            tb_satellites_collect(sats, 50, 2000, &got, &err);
            printf("  trial %ld  satellite %10.0f spans/s (received %llu "
                   "of %llu, %llu duplicates, %llu errors; process: %ld page "
                   "faults, %.2f s system CPU)\n",
                   t + 1, sat_rate[t], (unsigned long long)got.spans_received,
                   (unsigned long long)spans,
                   (unsigned long long)got.duplicate_spans,
                   (unsigned long long)errors, kc.faults, kc.sys_s);
            if (got.spans_received != spans || errors != 0)
                bad = 1;
        }
        if (run_noop) {
            noop_rate[t] = trial(jobs, (unsigned)conns, noop_port, seconds,
                                 &spans, &errors, &kc);
            printf("  trial %ld  no-op     %10.0f spans/s (process: %ld page "
                   "faults, %.2f s system CPU)\n",
                   t + 1, noop_rate[t], kc.faults, kc.sys_s);
            if (errors != 0)
                bad = 1;
        }
        /* Each trial's ratio pairs neighbours in time, so it is less
         * disturbed by the machine's other load than the ratio of the
         * medians. */
        pair[t] = 100 * sat_rate[t] / noop_rate[t];
        fflush(stdout);
    }
    ms = run_sat ? summary("satellite:", sat_rate, (unsigned)trials, "spans/s")
                 : 0;
    mn = run_noop ? summary("no-op:", noop_rate, (unsigned)trials, "spans/s")
                  : 0;
    if (run_sat && run_noop) {
        printf("ratio:     %.0f%% of the no-op rate (medians); per trial "
               "pair:\n",
               100 * ms / mn);
        summary("pairs:", pair, (unsigned)trials, "%");
        printf(
            "targets:   >= 1,000,000 spans/s and >= 60%% (median of pairs)\n");
    }
    MHD_stop_daemon(noop);
    tb_satellites_free(sats);
    for (long i = 0; i < conns; i++)
        tbf_free(&jobs[i].report);
    if (bad)
        fprintf(stderr, "bench_satellite: counts did not match the spans "
                        "sent\n");
    return bad;
}
