/* The C client: the client loop of LightStep's benchmark suite, driving a
 * tracer chosen with --tracer. Control values come from that suite's
 * flags, or from GET $TB_CONTROL_URL when no --repeat flag is given
 * (clients/PROTOCOL.md). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "client.h"
#include "tracer.h"

#define MAX_KV 256

static char *tag_keys[MAX_KV], *tag_vals[MAX_KV];
static char *log_keys[MAX_KV], *log_vals[MAX_KV];
static volatile double work_sink;

/* n floating-point multiplications. The factors alternate so the product
 * stays near 1, and the result is stored in a volatile, so the compiler can
 * neither fold nor drop the loop. */
static void work(uint64_t n)
{
    double acc = work_sink + 1.0, a = 1.0000001, b = 1.0 / 1.0000001;

    for (uint64_t i = 0; i < n; i++)
        acc *= (i & 1) ? b : a;
    work_sink = acc - 1.0;
}

/* The --burn_ns regression injector: a background thread spins for
 * burn_ns of its own CPU time per traced span, as a tracer's reporting thread
 * doing wasteful work would. In the main loop the waste would stretch the run
 * (the sleep per span is fixed) and show up as fewer points of CPU than it
 * costs. */
static atomic_ullong burn_owed_ns;

/* The burner's own CPU time: burning by wall time would waste less CPU
 * than asked whenever the thread is preempted (2 shared cores, host
 * steal), and the regression it stands for would shrink with the load. */
static uint64_t cpu_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* The whole process's CPU time, every thread (the tracer's own too). */
static uint64_t process_cpu_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void *burner(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned long long owed = atomic_load(&burn_owed_ns);
        if (owed == 0) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
            continue;
        }
        uint64_t slice = owed < 1000000 ? owed : 1000000, t0 = cpu_ns();
        while (cpu_ns() - t0 < slice)
            ;
        atomic_fetch_sub(&burn_owed_ns, slice);
    }
    return NULL;
}

/* The --burn_iters injector: an exact number of instructions per traced
 * span, in the caller's thread, as a tracer doing more work per call
 * would. Each iteration is a dependent integer step whose result lands in
 * a volatile, so the compiler can neither drop nor fold the loop; unlike
 * --burn_ns it does not depend on any clock, so an instruction counter
 * sees exactly N times the same few instructions. */
static volatile uint64_t burn_sink;

static void burn_iters(uint64_t n)
{
    uint64_t x = burn_sink;

    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__ volatile("" : "+r"(x)); /* one iteration at a time */
    }
    burn_sink = x;
}

/* Leaked blocks are chained from here, so the compiler cannot prove them
 * dead and drop the malloc and memset. */
static void *volatile leaked;

/* Latency of the tracer calls of a span (start, tags, logs, finish), in a
 * log-linear histogram: values under 32 ns exactly, then 32 buckets per
 * power of two (3% wide). No per-span list: a run of millions of spans
 * costs 16 KB. */
#define LAT_SUB 32
#define LAT_BUCKETS (60 * LAT_SUB)
static uint64_t lat_hist[LAT_BUCKETS], lat_n, lat_max;

static unsigned lat_bucket(uint64_t v)
{
    if (v < LAT_SUB)
        return (unsigned)v;
    int e = 63 - __builtin_clzll(v); /* >= 5 */
    unsigned b = (unsigned)(e - 4) * LAT_SUB +
                 (unsigned)((v >> (e - 5)) & (LAT_SUB - 1));
    return b < LAT_BUCKETS ? b : LAT_BUCKETS - 1;
}

static void lat_add(uint64_t ns)
{
    lat_hist[lat_bucket(ns)]++;
    lat_n++;
    if (ns > lat_max)
        lat_max = ns;
}

/* The q-quantile: the middle of the bucket holding the ceil(q n)-th
 * value, never above the exact maximum. */
static double lat_quantile(double q)
{
    uint64_t rank = (uint64_t)ceil(q * (double)lat_n), seen = 0;

    if (rank == 0)
        rank = 1;
    for (unsigned b = 0; b < LAT_BUCKETS; b++) {
        seen += lat_hist[b];
        if (seen < rank)
            continue;
        if (b < LAT_SUB)
            return (double)b;
        int e = (int)(b / LAT_SUB) + 4;
        double lo = (double)((uint64_t)(LAT_SUB + b % LAT_SUB) << (e - 5));
        double mid = lo + (double)(1ULL << (e - 5)) / 2;
        return mid < (double)lat_max ? mid : (double)lat_max;
    }
    return (double)lat_max;
}

static uint64_t mono_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int http(const char *url, const char *post, struct body *b);

/* The --leak_when_slow_ms probe: a thread POSTs an empty Zipkin report
 * ("[]": no span) to the first satellite every 100 ms and times the
 * answer, so --leak_bytes can retain memory only while the satellites
 * are slow, as a tracer whose queue grows while its exports wait. */
static atomic_ullong probe_sent_ns; /* CLOCK_MONOTONIC; 0: none out */
static atomic_ullong probe_took_ns; /* the last answered probe's time */
static char probe_url[300];

static void *prober(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t t0 = mono_ns();
        atomic_store(&probe_sent_ns, t0);
        (void)http(probe_url, "[]", NULL);
        atomic_store(&probe_took_ns, mono_ns() - t0);
        atomic_store(&probe_sent_ns, 0);
        struct timespec d = {0, 100000000};
        nanosleep(&d, NULL);
    }
    return NULL;
}

/* Slow: the last probe took limit_ns or more, or one has been out that
 * long. */
static bool satellites_slow(uint64_t limit_ns)
{
    uint64_t sent = atomic_load(&probe_sent_ns);

    return atomic_load(&probe_took_ns) >= limit_ns ||
           (sent != 0 && mono_ns() - sent >= limit_ns);
}

struct loop {
    const struct client_config *cfg;
    const struct tracer_ops *t;
    uint64_t start_ns; /* CLOCK_MONOTONIC, when the loop began */
    uint64_t made;
    uint64_t ended;           /* finish() calls, for --drop_every */
    uint64_t made_after_mark; /* started at or after cfg->mark_ns */
    uint64_t finished;        /* finish calls, for --stall_every */
    uint64_t work_cpu_ns;     /* this thread's CPU time in work() */
    uint64_t work_wall_ns;    /* wall time in work() */
    uint64_t asked_sleep_ns;  /* sleeps asked for, whatever they took */
    uint64_t loop_ns;         /* the loop's wall time, once it ended */
    /* The loop's window, sent as LoopCpuNs and LoopWallNs: the process's
     * CPU and the wall time from the first span to the last (and the
     * burner's last payment), start-up and flush left out. */
    uint64_t cpu0_ns, window_cpu_ns, window_ns;
    /* Open spans' time in start, tags and logs so far, finished last in
     * first out (a trace is a chain of nested spans). */
    uint64_t open_ns[64];
    unsigned depth;
};

/* --span_burn_ns: spins in the calling thread, as a tracer doing costly
 * work inside start/finish would: the loop itself gets slower. It spins
 * on the thread's CPU clock, as the burner does: a preempted client is
 * slowed by more wall time than ns, never charged less CPU than ns. */
static void burn_here(uint64_t ns)
{
    uint64_t t0 = cpu_ns();

    while (cpu_ns() - t0 < ns)
        ;
}

/* Read before the tracer takes its own start time, so a span counted
 * here has a start time at or after the mark too. */
static bool past_mark(uint64_t mark_ns)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec >= mark_ns;
}

static void *span(struct loop *l, const char *op, void *parent)
{
    const struct client_config *cfg = l->cfg;
    void *s;

    if (cfg->mark_ns != 0 && past_mark(cfg->mark_ns))
        l->made_after_mark++;
    uint64_t t0 = mono_ns();
    s = l->t->start_span(op, parent);

    for (unsigned i = 0; i < cfg->num_tags; i++)
        l->t->set_tag(s, tag_keys[i], tag_vals[i]);
    for (unsigned i = 0; i < cfg->num_logs; i++)
        l->t->log(s, log_keys[i], log_vals[i]);
    if (l->depth < 64)
        l->open_ns[l->depth] = mono_ns() - t0;
    l->depth++;
    /* The work's own CPU time, reported as WorkCpuNs: the harness takes
     * it out of both arms, so a stretch where the same work runs slower
     * (a busy neighbour) is not read as the tracer's cost. */
    uint64_t w0 = cpu_ns(), m0 = mono_ns();
    work(cfg->work);
    l->work_cpu_ns += cpu_ns() - w0;
    l->work_wall_ns += mono_ns() - m0;
    /* The regression injectors act on traced spans only, as a worse
     * tracer would: untraced runs stay the baseline. */
    if (cfg->trace && cfg->burn_ns)
        atomic_fetch_add(&burn_owed_ns, cfg->burn_ns);
    if (cfg->trace && cfg->burn_iters)
        burn_iters(cfg->burn_iters);
    if (cfg->trace && cfg->span_burn_ns)
        burn_here(cfg->span_burn_ns);
    if (cfg->trace && cfg->leak_bytes >= sizeof(void *) &&
        mono_ns() - l->start_ns >= cfg->leak_after_ms * 1000000ULL &&
        (cfg->leak_when_slow_ms == 0 ||
         satellites_slow(cfg->leak_when_slow_ms * 1000000ULL))) {
        void **leak = malloc(cfg->leak_bytes);
        if (leak != NULL) {
            memset(leak, 1, cfg->leak_bytes); /* touched, so it is RSS */
            *leak = leaked;
            leaked = leak;
        }
    }
    l->made++;
    return s;
}

static void finish(struct loop *l, void *s)
{
    /* --drop_every N: every Nth span to end is never finished, so the
     * tracer never reports it. Counted at the end, as the Python and Node
     * clients do: spans are made 6 at a time, so a count of spans made
     * would hit a multiple of N only when N divides a trace boundary. */
    const struct client_config *cfg = l->cfg;
    uint64_t spent = l->depth > 0 && l->depth <= 64 ? l->open_ns[l->depth - 1]
                                                    : 0;
    if (l->depth > 0)
        l->depth--;
    if (cfg->trace && cfg->drop_every && ++l->ended % cfg->drop_every == 0) {
        lat_add(spent);
        return;
    }
    uint64_t t0 = mono_ns();
    /* --stall_every N --stall_us U: every Nth finish blocks the caller,
     * as a tracer that flushes synchronously or waits on a full queue. */
    l->finished++;
    if (cfg->trace && cfg->stall_every && cfg->stall_us &&
        l->finished % cfg->stall_every == 0) {
        struct timespec d = {(time_t)(cfg->stall_us / 1000000),
                             (long)(cfg->stall_us % 1000000) * 1000};
        while (nanosleep(&d, &d) != 0)
            ;
    }
    l->t->finish(s);
    lat_add(spent + mono_ns() - t0);
}

/* One trace of up to n spans: client -> server -> database, then the same
 * again under the server span, while spans remain. */
static uint64_t chain(struct loop *l, void *parent, uint64_t n)
{
    uint64_t made = 0;
    void *client, *server, *db;

    if (n == 0)
        return 0;
    client = span(l, "make_some_request", parent);
    made++;
    if (made < n) {
        server = span(l, "handle_some_request", client);
        made++;
        if (made < n) {
            db = span(l, "database_write", server);
            made++;
            finish(l, db);
        }
        if (parent == NULL && made < n)
            made += chain(l, server, n - made);
        finish(l, server);
    }
    finish(l, client);
    return made;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
                          .tv_nsec = (long)(ns % 1000000000ULL)};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void make_strings(unsigned n, const char *kp, const char *vp,
                         char **keys, char **vals)
{
    for (unsigned i = 0; i < n; i++) {
        if (asprintf(&keys[i], "%s.key%u", kp, i) < 0 ||
            asprintf(&vals[i], "%s.value%u", vp, i) < 0) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
}

static size_t sink_body(char *p, size_t size, size_t n, void *ud)
{
    struct body *b = ud;
    size_t len = size * n;

    if (b->len + len >= sizeof(b->buf))
        return 0;
    memcpy(b->buf + b->len, p, len);
    b->len += len;
    b->buf[b->len] = '\0';
    return len;
}

static int http(const char *url, const char *post, struct body *b)
{
    CURL *h = curl_easy_init();
    CURLcode rc;
    long status = 0;
    struct curl_slist *hdr = NULL;

    if (h == NULL)
        return -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (b != NULL) {
        b->len = 0;
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    }
    if (post != NULL) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    }
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s: %s\n", url, curl_easy_strerror(rc));
        return -1;
    }
    return status >= 200 && status < 300 ? 0 : -1;
}

static int control_from_url(struct client_config *cfg, const char *url)
{
    struct body *b = calloc(1, sizeof(*b));
    cJSON *o, *v, *sat;
    int rc = -1;

    if (b == NULL || http(url, NULL, b) != 0) {
        free(b);
        return -1;
    }
    o = cJSON_Parse(b->buf);
    free(b);
    if (o == NULL)
        return -1;
#define NUM(key, field)                                                        \
    if (cJSON_IsNumber(v = cJSON_GetObjectItem(o, key)))                       \
        cfg->field = (uint64_t)v->valuedouble;
    NUM("Sleep", sleep_ns)
    NUM("SleepInterval", sleep_interval_ns)
    NUM("Work", work)
    NUM("Repeat", repeat)
    NUM("NumTags", num_tags)
    NUM("NumLogs", num_logs)
    NUM("Mark", mark_ns)
    NUM("SpanPeriod", span_period_ns)
#undef NUM
    cfg->trace = cJSON_IsTrue(cJSON_GetObjectItem(o, "Trace"));
    cfg->no_flush = cJSON_IsTrue(cJSON_GetObjectItem(o, "NoFlush"));
    sat = cJSON_GetObjectItem(o, "Satellites");
    v = cJSON_GetArrayItem(cJSON_GetObjectItem(sat, "Ports"), 0);
    if (cJSON_IsNumber(v))
        cfg->port = (int)v->valuedouble;
    rc = cfg->repeat > 0 || cJSON_IsNumber(cJSON_GetObjectItem(o, "Repeat"))
             ? 0
             : -1;
    cJSON_Delete(o);
    return rc;
}

static int parse_u64(const char *name, const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
        fprintf(stderr, "--%s: '%s' is not a whole number >= 0\n", name, s);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tb-client-c [--check] [--tracer noop|datadog] [--trace 0|1] "
           "[--sleep NS]\n"
           "  [--sleep_interval NS] [--work N] [--repeat N] "
           "[--no_flush 0|1]\n"
           "  [--num_tags N] [--num_logs N] [--burn_ns N] [--burn_iters N]\n"
           "  [--leak_bytes N]"
           " [--drop_every N] [--stall_every N --stall_us U]\n"
           "  [--mark UNIX_NS] [--span_period_ns NS]\n"
           "  [--ignore_sleep 0|1] [--spans_per_repeat N]\n"
           "  [--span_burn_ns N] [--leak_after_ms N] [--block_every N]\n"
           "  [--skip_flush 0|1] [--flush_workaround 0|1]"
           " [--leak_when_slow_ms MS]\n"
           "Without --repeat the values come from GET $TB_CONTROL_URL.\n");
}

/* The loop's wall time outside its work and the sleeps it asked for:
 * tracer calls, the loop's own steps, and whatever blocked it (the slow
 * gate compares it between satellites that answer slowly and typically). */
static uint64_t loop_overhead_ns(const struct loop *l)
{
    uint64_t loop = l->loop_ns ? l->loop_ns : mono_ns() - l->start_ns;
    uint64_t inside = l->work_wall_ns + l->asked_sleep_ns;

    return loop > inside ? loop - inside : 0;
}

/* The loop's window so far, or as it was when the loop ended. */
static void loop_window(const struct loop *l, uint64_t *cpu, uint64_t *wall)
{
    *cpu = l->window_ns ? l->window_cpu_ns : process_cpu_ns() - l->cpu0_ns;
    *wall = l->window_ns ? l->window_ns : mono_ns() - l->start_ns;
}

/* POSTs the run's result, saying it made `made` spans, to $TB_RESULT_URL
 * (nothing to do without it). A result the harness never got is a failed
 * run, not a quiet one: returns -1 then, after saying so. */
static int post_result(const struct loop *l, uint64_t made)
{
    const char *env = getenv("TB_RESULT_URL");
    char body[448], mark[64] = "";
    uint64_t cpu, wall;

    if (env == NULL)
        return 0;
    loop_window(l, &cpu, &wall);
    if (l->cfg->mark_ns != 0)
        snprintf(mark, sizeof(mark), ", \"SpansSentAfterMark\": %llu",
                 (unsigned long long)l->made_after_mark);
    snprintf(body, sizeof(body),
             "{\"SpansSent\": %llu%s, \"LatencyNs\": {\"p50\": %.0f, "
             "\"p99\": %.0f, \"p999\": %.0f, \"max\": %llu}, "
             "\"WorkCpuNs\": %llu, \"LoopOverheadNs\": %llu, "
             "\"LoopCpuNs\": %llu, \"LoopWallNs\": %llu}",
             (unsigned long long)made, mark, lat_quantile(0.5),
             lat_quantile(0.99), lat_quantile(0.999),
             (unsigned long long)lat_max, (unsigned long long)l->work_cpu_ns,
             (unsigned long long)loop_overhead_ns(l), (unsigned long long)cpu,
             (unsigned long long)wall);
    if (http(env, body, NULL) != 0) {
        fprintf(stderr, "could not POST the result to %s\n", env);
        fflush(stdout);
        return -1;
    }
    return 0;
}

/* --skip_flush: leave as a program that forgets its tracer does, so what
 * is buffered is lost. The count (with the n spans still to come) is
 * posted first and the process ends right after the last trace's root
 * span finishes: were the POST made after it, the tracer's own timer
 * could send that trace meanwhile and the injection would lose nothing. */
static void skip_flush_exit(struct loop *l, uint64_t n)
{
    int status = post_result(l, l->made + n) != 0;

    printf("exiting without flush or close (--skip_flush)\n");
    fflush(stdout);
    chain(l, NULL, n);
    _exit(status);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tracer", required_argument, 0, 'T'},
        {"trace", required_argument, 0, 't'},
        {"sleep", required_argument, 0, 's'},
        {"sleep_interval", required_argument, 0, 'i'},
        {"work", required_argument, 0, 'w'},
        {"repeat", required_argument, 0, 'r'},
        {"no_flush", required_argument, 0, 'n'},
        {"num_tags", required_argument, 0, 'g'},
        {"num_logs", required_argument, 0, 'l'},
        {"burn_ns", required_argument, 0, 'b'},
        {"burn_iters", required_argument, 0, 'I'},
        {"leak_bytes", required_argument, 0, 'k'},
        {"drop_every", required_argument, 0, 'd'},
        {"stall_every", required_argument, 0, 'E'},
        {"stall_us", required_argument, 0, 'U'},
        {"mark", required_argument, 0, 'm'},
        {"span_period_ns", required_argument, 0, 'p'},
        {"ignore_sleep", required_argument, 0, 'Z'},
        {"spans_per_repeat", required_argument, 0, 'P'},
        {"span_burn_ns", required_argument, 0, 'B'},
        {"leak_after_ms", required_argument, 0, 'L'},
        {"leak_when_slow_ms", required_argument, 0, 'W'},
        {"block_every", required_argument, 0, 'K'},
        {"skip_flush", required_argument, 0, 'S'},
        {"flush_workaround", required_argument, 0, 'F'},
        {"check", no_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    struct client_config cfg = {.sleep_interval_ns = 100000000ULL,
                                .num_tags = 10,
                                .num_logs = 15,
                                .port = -1};
    const char *tracer_name = "noop", *env;
    const struct tracer_ops *t;
    struct loop l;
    uint64_t debt = 0, v, start_ns;
    int c, have_repeat = 0, check = 0;
    char msg[512];

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *name = NULL;
        for (int i = 0; opts[i].name; i++)
            if (opts[i].val == c)
                name = opts[i].name;
        switch (c) {
        case 'T':
            tracer_name = optarg;
            continue;
        case 'C':
            check = 1;
            continue;
        case 'h':
            usage(stdout);
            return 0;
        case '?':
            usage(stderr);
            return 2;
        }
        if (parse_u64(name, optarg, &v) != 0)
            return 2;
        switch (c) {
        case 't':
            cfg.trace = v != 0;
            break;
        case 's':
            cfg.sleep_ns = v;
            break;
        case 'i':
            cfg.sleep_interval_ns = v;
            break;
        case 'w':
            cfg.work = v;
            break;
        case 'r':
            cfg.repeat = v;
            have_repeat = 1;
            break;
        case 'n':
            cfg.no_flush = v != 0;
            break;
        case 'g':
            cfg.num_tags = (unsigned)v;
            break;
        case 'l':
            cfg.num_logs = (unsigned)v;
            break;
        case 'b':
            cfg.burn_ns = v;
            break;
        case 'I':
            cfg.burn_iters = v;
            break;
        case 'k':
            cfg.leak_bytes = v;
            break;
        case 'd':
            cfg.drop_every = v;
            break;
        case 'E':
            cfg.stall_every = v;
            break;
        case 'U':
            cfg.stall_us = v;
            break;
        case 'm':
            cfg.mark_ns = v;
            break;
        case 'p':
            cfg.span_period_ns = v;
            break;
        case 'Z':
            cfg.ignore_sleep = v != 0;
            break;
        case 'P':
            cfg.spans_per_repeat = v;
            break;
        case 'B':
            cfg.span_burn_ns = v;
            break;
        case 'L':
            cfg.leak_after_ms = v;
            break;
        case 'W':
            cfg.leak_when_slow_ms = v;
            break;
        case 'K':
            cfg.block_every = v;
            break;
        case 'S':
            cfg.skip_flush = v != 0;
            break;
        case 'F':
            cfg.flush_workaround = v != 0;
            break;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!have_repeat && !check) {
        env = getenv("TB_CONTROL_URL");
        if (env == NULL || control_from_url(&cfg, env) != 0) {
            fprintf(stderr,
                    "no --repeat flag and no control message from "
                    "TB_CONTROL_URL=%s\n",
                    env ? env : "(unset)");
            return 2;
        }
        printf("control from %s\n", env);
    } else {
        printf("control from flags\n");
    }
    /* --spans_per_repeat N: a client whose unit of work makes several
     * spans, as some benchmark clients do; it reports what it made. */
    if (cfg.spans_per_repeat > 1)
        cfg.repeat *= cfg.spans_per_repeat;
    if (cfg.num_tags > MAX_KV || cfg.num_logs > MAX_KV) {
        fprintf(stderr, "at most %d tags and logs per span\n", MAX_KV);
        return 2;
    }
    if (cfg.port < 0 && (env = getenv("TB_SATELLITE_PORTS")) != NULL)
        cfg.port = atoi(env);
    if (cfg.port < 0)
        cfg.port = 8360; /* LightStep's suite's first satellite */
    env = getenv("TB_SATELLITE_HOST");
    snprintf(cfg.host, sizeof(cfg.host), "%s", env ? env : "127.0.0.1");

    t = cfg.trace ? tracer_find(tracer_name) : &tracer_noop;
    if (t == NULL) {
        fprintf(stderr, "unknown tracer '%s'\n", tracer_name);
        return 2;
    }
    if (t->init(&cfg, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "%s\n", msg);
        return 3;
    }
    /* --check: the tracer starts; leave at once. Closing it would cost up
     * to 5 s with dd-opentracing-cpp 1.3.6 (its writer spins until a
     * timeout when nothing is queued), paid before every gate. */
    if (check) {
        printf("tracer %s: ok\n", t->name);
        fflush(stdout);
        _exit(0);
    }
    make_strings(cfg.num_tags, "tag", "tag", tag_keys, tag_vals);
    make_strings(cfg.num_logs, "log", "log", log_keys, log_vals);

    if (cfg.trace && cfg.burn_ns) {
        pthread_t th;
        if (pthread_create(&th, NULL, burner, NULL) != 0) {
            fprintf(stderr, "cannot start the --burn_ns thread\n");
            return 2;
        }
        pthread_detach(th);
    }
    if (cfg.trace && cfg.leak_bytes && cfg.leak_when_slow_ms) {
        pthread_t th;
        snprintf(probe_url, sizeof(probe_url), "http://%s:%d/api/v2/spans",
                 cfg.host, cfg.port);
        if (pthread_create(&th, NULL, prober, NULL) != 0) {
            fprintf(stderr, "cannot start the --leak_when_slow_ms thread\n");
            return 2;
        }
        pthread_detach(th);
    }
    memset(&l, 0, sizeof(l));
    l.cfg = &cfg;
    l.t = t;
    l.made = l.made_after_mark = 0;
    start_ns = mono_ns();
    l.start_ns = start_ns;
    l.cpu0_ns = process_cpu_ns();
    l.ended = 0;
    char block_url[300];
    snprintf(block_url, sizeof(block_url), "http://%s:%d/api/v2/spans",
             cfg.host, cfg.port);
    uint64_t blocked_at = 0;
    while (l.made < cfg.repeat) {
        uint64_t left = cfg.repeat - l.made;
        if (cfg.skip_flush && left <= 6)
            skip_flush_exit(&l, left);
        uint64_t n = chain(&l, NULL, left < 6 ? left : 6);
        /* --block_every N: an export in the caller's thread, waiting for
         * the satellite's answer, as a synchronous exporter does (an
         * empty Zipkin report: no span is added or lost). */
        if (cfg.trace && cfg.block_every &&
            l.made - blocked_at >= cfg.block_every) {
            blocked_at = l.made;
            if (http(block_url, "[]", NULL) != 0)
                fprintf(stderr, "--block_every: POST %s failed\n", block_url);
        }
        if (cfg.ignore_sleep)
            continue; /* --ignore_sleep: as clients that never paced */
        if (cfg.span_period_ns > 0) {
            /* Deadline pacing: span i is due at start + i * period, and
             * we sleep only when ahead, so a client that keeps up makes
             * exactly the asked rate whatever the machine's speed, and
             * one that falls behind is not slowed further. */
            uint64_t due = start_ns + l.made * cfg.span_period_ns;
            uint64_t now = mono_ns();
            if (due > now) {
                sleep_ns(due - now);
                l.asked_sleep_ns += due - now;
            }
            continue;
        }
        debt += cfg.sleep_ns * n;
        while (cfg.sleep_interval_ns > 0 && debt > cfg.sleep_interval_ns) {
            sleep_ns(cfg.sleep_interval_ns);
            l.asked_sleep_ns += cfg.sleep_interval_ns;
            debt -= cfg.sleep_interval_ns;
        }
    }
    l.loop_ns = mono_ns() - start_ns;
    /* The burner pays what it owes before we leave (at most 10 s), so a
     * run burns exactly burn_ns per traced span. */
    for (int i = 0; i < 10000 && atomic_load(&burn_owed_ns) > 0; i++)
        sleep_ns(1000000);
    l.window_cpu_ns = process_cpu_ns() - l.cpu0_ns;
    l.window_ns = mono_ns() - start_ns;
    if (!cfg.no_flush) {
        struct timespec f0, f1;
        clock_gettime(CLOCK_MONOTONIC, &f0);
        t->flush();
        clock_gettime(CLOCK_MONOTONIC, &f1);
        printf("flush took %.3f s\n", (double)(f1.tv_sec - f0.tv_sec) +
                                          (f1.tv_nsec - f0.tv_nsec) / 1e9);
    }
    t->close();

    if (post_result(&l, l.made) != 0)
        _exit(1);
    printf("made %llu spans with the %s tracer; tracer calls per span: "
           "p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns, max %llu ns\n",
           (unsigned long long)l.made, t->name, lat_quantile(0.5),
           lat_quantile(0.99), lat_quantile(0.999),
           (unsigned long long)lat_max);
    fflush(stdout);
    curl_global_cleanup();
    /* _exit: some tracers crash in static destructors after close(). */
    _exit(0);
}
