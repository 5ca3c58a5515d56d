/* One satellite's HTTP server: libmicrohttpd with a thread per connection,
 * so that a request made to wait (a slow mode, the bandwidth cap, a hang)
 * holds only its own connection, as on a real collector. (A pool of
 * polling threads, MHD_OPTION_THREAD_POOL_SIZE, would let one sleeping
 * handler stall every connection on its thread; and with a kept-alive
 * tracer per connection there is nothing to gain from sharing threads.)
 *
 * Each connection carries a context (body buffer, protobuf arena, key
 * list) reused by every request on it, so a kept-alive tracer costs no
 * allocation per report once the buffers have grown. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocols/protocols.h"
#include "satellite_internal.h"
#include "internal.h"
#include "tracebench/util/log.h"

/* libmicrohttpd's per-connection pool, which holds its read buffer: at
 * 256 KiB a 93 KB report is read in one recv and one poll (at 64 KiB, in
 * three and four). The pool is zeroed between requests, which costs more
 * as it grows; measured CPU per report, 64 KiB: 121 us, 128 KiB: 116,
 * 256 KiB: 107 (client included). */
#define CONN_MEMORY_LIMIT_BYTES (256u * 1024)
#define BODY_KEEP_MAX_BYTES (8u * 1024 * 1024) /* kept between requests */
#define HANG_POLL_MS 100

/* Routes besides the protocols (tb_satellite_protocol values). */
enum {
    ROUTE_SPANS_RECEIVED = TB_PROTO__COUNT,
    ROUTE_STATS,
    ROUTE_DONE /* answered in the first call */
};

struct conn {
    struct tb__conn_watch watch; /* first: the watchdog's view */
    struct tb__satellite *sat;
    int fd;
    /* The request being read. */
    int route;
    tb_satellite_fault fault; /* as when the request began */
    bool in_flight;
    bool too_large;
    bool over_memory; /* the group's body budget was spent */
    bool gzip;
    tb_err gzip_rc; /* TB_OK, or why inflating failed */
    char gzip_msg[120];
    struct tb__gunzip_stream gz;
    bool is_json;    /* OTLP: Content-Type says JSON */
    size_t received; /* body bytes as sent */
    uint8_t *body;   /* body bytes kept (inflated); len <= cap;
                      * cap is reserved from the group budget */
    size_t len;
    size_t cap;
    size_t expect; /* Content-Length, or SIZE_MAX when not given */
    bool decoded;  /* in take(): decode_rc and decode_err say how */
    tb_err decode_rc;
    tb_error decode_err;
    struct timespec start; /* CLOCK_MONOTONIC, first call */
    struct tb__arena *arena;
    struct tb__span_keys keys;
};

/* Records a rejected request's reason; group lock held. */
static void stats_reason(struct tb__proto_stats *ps, const char *reason)
{
    for (size_t i = 0; i < ps->n_reasons; i++) {
        if (strcmp(ps->reasons[i].text, reason) == 0) {
            ps->reasons[i].count++;
            return;
        }
    }
    if (ps->n_reasons == TB__MAX_REASONS) {
        ps->other_reasons++;
        return;
    }
    snprintf(ps->reasons[ps->n_reasons].text, sizeof(ps->reasons[0].text), "%s",
             reason);
    ps->reasons[ps->n_reasons].count = 1;
    ps->n_reasons++;
}

static const char *const success_body[TB_PROTO__COUNT] = {
    [TB_PROTO_LIGHTSTEP] = "", [TB_PROTO_LIGHTSTEP_JSON] = "{}",
    [TB_PROTO_OTLP] = "",      [TB_PROTO_OTLP_JSON] = "{}",
    [TB_PROTO_ZIPKIN] = "",    [TB_PROTO_DATADOG] = "{\"rate_by_service\":{}}",
};

static const char *const success_type[TB_PROTO__COUNT] = {
    [TB_PROTO_LIGHTSTEP] = "application/octet-stream",
    [TB_PROTO_LIGHTSTEP_JSON] = "application/json",
    [TB_PROTO_OTLP] = "application/x-protobuf",
    [TB_PROTO_OTLP_JSON] = "application/json",
    [TB_PROTO_ZIPKIN] = NULL,
    [TB_PROTO_DATADOG] = "application/json",
};

static void ts_add_ns(struct timespec *t, uint64_t ns)
{
    t->tv_sec += (time_t)(ns / 1000000000u);
    t->tv_nsec += (long)(ns % 1000000000u);
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
    if (a->tv_sec != b->tv_sec)
        return a->tv_sec < b->tv_sec ? -1 : 1;
    if (a->tv_nsec != b->tv_nsec)
        return a->tv_nsec < b->tv_nsec ? -1 : 1;
    return 0;
}

/* Sleeps until deadline (CLOCK_MONOTONIC) unless the group stops first:
 * shutdown must not wait out a slow mode's delay. Short sleeps skip the
 * lock. Returns false when cut short by a stop. */
static bool sleep_until(struct tb_satellites *g, const struct timespec *dl)
{
    struct timespec now, soon;
    bool stopped;

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (ts_cmp(&now, dl) >= 0)
        return true;
    soon = now;
    ts_add_ns(&soon, 2000000);
    if (ts_cmp(dl, &soon) <= 0) {
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, dl, NULL);
        return true;
    }
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ts_cmp(&now, dl) >= 0)
            break;
        pthread_cond_timedwait(&g->wake, &g->lock, dl);
    }
    stopped = g->stopping;
    pthread_mutex_unlock(&g->lock);
    return !stopped;
}

static enum MHD_Result respond(struct MHD_Connection *mc, unsigned status,
                               const char *type, const char *body,
                               unsigned retry_after_s)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char ra[16];

    r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                        MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    if (type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (retry_after_s > 0) {
        snprintf(ra, sizeof(ra), "%u", retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    /* --connection close: MHD closes the connection once this answer is
     * sent, as LightStep's Python satellite did after every report. */
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci != NULL && ci->socket_context != NULL) {
        const struct conn *c = ci->socket_context;
        if (atomic_load(&c->sat->group->connection_close))
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    ret = MHD_queue_response(mc, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *mc, unsigned status,
                                    const char *line)
{
    return respond(mc, status, "text/plain", line, 0);
}

static void bump(struct tb_satellites *g)
{
    atomic_fetch_add_explicit(&g->activity, 1, memory_order_relaxed);
}

static void leave_flight(struct conn *c)
{
    if (c->in_flight) {
        c->in_flight = false;
        atomic_fetch_sub(&c->sat->group->in_flight, 1);
    }
}

static int route_of(const char *url)
{
    static const struct {
        const char *path;
        int route;
    } routes[] = {
        {"/api/v2/reports", TB_PROTO_LIGHTSTEP},
        {"/api/v0/reports", TB_PROTO_LIGHTSTEP_JSON},
        {"/v1/traces", TB_PROTO_OTLP},
        {"/api/v2/spans", TB_PROTO_ZIPKIN},
        {"/v0.4/traces", TB_PROTO_DATADOG},
        {"/v0.3/traces", TB_PROTO_DATADOG},
        {"/spans_received", ROUTE_SPANS_RECEIVED},
        {"/stats", ROUTE_STATS},
    };

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strcmp(url, routes[i].path) == 0)
            return routes[i].route;
    return -1;
}

static bool method_ok(int route, const char *method)
{
    if (route >= TB_PROTO__COUNT)
        return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (route == TB_PROTO_DATADOG && strcmp(method, "PUT") == 0)
        return true;
    return strcmp(method, "POST") == 0;
}

static const char *header(struct MHD_Connection *mc, const char *name)
{
    return MHD_lookup_connection_value(mc, MHD_HEADER_KIND, name);
}

static enum MHD_Result answer_get(struct conn *c, struct MHD_Connection *mc)
{
    struct tb_satellites *g = c->sat->group;
    enum MHD_Result ret;
    char line[32];
    char *json;

    if (c->route == ROUTE_SPANS_RECEIVED) {
        pthread_mutex_lock(&g->lock);
        snprintf(line, sizeof(line), "%llu",
                 (unsigned long long)c->sat->spans_received);
        pthread_mutex_unlock(&g->lock);
        return respond_text(mc, MHD_HTTP_OK, line);
    }
    json = g->stats_json(g);
    if (json == NULL)
        return respond_text(mc, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "out of memory\n");
    ret = respond(mc, MHD_HTTP_OK, "application/json", json, 0);
    free(json);
    return ret;
}

/* The first call: headers are in, no body yet. Answers at once what needs
 * no body (404, 405, 413 by Content-Length, the GET endpoints). */
static enum MHD_Result begin(struct conn *c, struct MHD_Connection *mc,
                             const char *url, const char *method)
{
    struct tb_satellites *g = c->sat->group;
    const char *v;

    c->in_flight = true;
    atomic_fetch_add(&g->in_flight, 1);
    bump(g);
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    c->len = c->received = 0;
    c->too_large = c->gzip = c->is_json = c->over_memory = false;
    c->decoded = false;
    c->expect = SIZE_MAX;
    c->gzip_rc = TB_OK;
    c->keys.n = 0;
    c->fault = (tb_satellite_fault)atomic_load(&g->fault);
    c->route = route_of(url);
    if (c->route < 0) {
        pthread_mutex_lock(&g->lock);
        g->not_found++;
        pthread_mutex_unlock(&g->lock);
        c->route = ROUTE_DONE;
        return respond_text(mc, MHD_HTTP_NOT_FOUND, "no such path\n");
    }
    if (!method_ok(c->route, method)) {
        pthread_mutex_lock(&g->lock);
        g->bad_method++;
        pthread_mutex_unlock(&g->lock);
        c->route = ROUTE_DONE;
        return respond_text(mc, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "method not allowed\n");
    }
    if (c->route >= TB_PROTO__COUNT) {
        return MHD_YES; /* answered in the last call */
    }
    v = header(mc, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (c->route == TB_PROTO_OTLP && v != NULL &&
        strncasecmp(v, "application/json", 16) == 0)
        c->route = TB_PROTO_OTLP_JSON;
    v = header(mc, MHD_HTTP_HEADER_CONTENT_ENCODING);
    c->gzip = v != NULL &&
              (strcasecmp(v, "gzip") == 0 || strcasecmp(v, "deflate") == 0);
    if (c->gzip) {
        tb_error e = {0};
        if ((c->gzip_rc = tb__gunzip_stream_begin(&c->gz, &e)) != TB_OK)
            snprintf(c->gzip_msg, sizeof(c->gzip_msg), "%.110s", e.msg);
    }
    v = header(mc, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = v != NULL ? strtoull(v, NULL, 10) : 0;
    if (v != NULL && declared <= g->max_body_bytes)
        c->expect = (size_t)declared;
    if (v != NULL && declared > g->max_body_bytes) {
        char reason[120];
        int route = c->route;

        snprintf(reason, sizeof(reason), "body over %zu bytes",
                 g->max_body_bytes);
        pthread_mutex_lock(&g->lock);
        g->proto[route].requests++;
        g->proto[route].rejected++;
        c->sat->requests++;
        stats_reason(&g->proto[route], reason);
        pthread_mutex_unlock(&g->lock);
        c->route = ROUTE_DONE;
        strcat(reason, "\n");
        return respond_text(mc, MHD_HTTP_CONTENT_TOO_LARGE, reason);
    }
    /* Watched from here until the body is in (satellite_limits.c). */
    atomic_store(&c->watch.received, 0);
    atomic_store(&c->watch.start_ns, (uint64_t)c->start.tv_sec * 1000000000ull +
                                         (uint64_t)c->start.tv_nsec);
    atomic_store(&c->watch.reading, true);
    return MHD_YES;
}

/* Appends to the kept body, growing it within max_body_bytes and the
 * group's body budget. False once either is passed: the rest of the body
 * is then counted and dropped, so a huge or endless upload (or a bomb
 * inflating) costs no more memory. */
static bool keep(void *arg, const uint8_t *data, size_t n)
{
    struct conn *c = arg;
    struct tb_satellites *g = c->sat->group;

    if (n > g->max_body_bytes - c->len) {
        c->too_large = true;
        return false;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 64 * 1024;
        uint8_t *b;

        while (cap < c->len + n)
            cap *= 2;
        if (cap > g->max_body_bytes)
            cap = g->max_body_bytes;
        if (!tb__body_reserve(g, cap - c->cap)) {
            c->over_memory = true;
            return false;
        }
        b = tb__body_resize(c->body, c->cap, cap);
        if (b == NULL) {
            /* Treated as over the limit: answered 413, nothing kept. */
            tb__body_release(g, cap - c->cap);
            c->too_large = true;
            return false;
        }
        c->body = b;
        c->cap = cap;
    }
    memcpy(c->body + c->len, data, n);
    c->len += n;
    return true;
}

/* Keeps body bytes (inflating a gzip body as it arrives), up to the
 * limits. A faulted request's body is dropped: it will not be decoded
 * (but count_503's and count_reset's, which are). */
static void take(struct conn *c, const char *data, size_t n)
{
    struct tb_satellites *g = c->sat->group;

    c->received += n;
    atomic_store_explicit(&c->watch.received, c->received,
                          memory_order_relaxed);
    bump(g);
    if (c->route >= TB_PROTO__COUNT || c->too_large || c->over_memory ||
        (c->fault != TB_FAULT_NONE && c->fault != TB_FAULT_COUNT_503 &&
         c->fault != TB_FAULT_COUNT_RESET) ||
        c->gzip_rc != TB_OK)
        return;
    if (!c->gzip && c->len == 0 && n == c->expect) {
        /* The whole body in one piece, as a kept-alive sender's usually
         * is: decoded where libmicrohttpd read it, not copied first (the
         * copy was 4% of the satellite's CPU in bench_satellite). */
        struct tb__decode_ctx ctx = {c->arena, &c->keys};

        atomic_store(&c->watch.reading, false); /* all in: not a slow upload */
        tb_error_clear(&c->decode_err);
        c->decode_rc = tb__protocol_decoder(c->route)(
            &ctx, (const uint8_t *)data, n, &c->decode_err);
        c->decoded = true;
        return;
    }
    if (!c->gzip) {
        keep(c, (const uint8_t *)data, n);
        return;
    }
    tb_error e = {0};
    c->gzip_rc = tb__gunzip_stream_feed(&c->gz, (const uint8_t *)data, n, keep,
                                        c, &e);
    if (c->gzip_rc == TB_ERR_INVALID_ARG) /* keep() said why */
        c->gzip_rc = TB_OK;
    else if (c->gzip_rc != TB_OK)
        snprintf(c->gzip_msg, sizeof(c->gzip_msg), "%.110s", e.msg);
}

/* The fault "hang": the request was read and is never answered. It leaves
 * the in-flight count (a hung request must not hold tb_satellites_collect
 * to its bound), then waits for the client to give up, the fault to be
 * cleared, or the group to stop; any of them closes the connection. */
static enum MHD_Result hang(struct conn *c)
{
    struct tb_satellites *g = c->sat->group;

    leave_flight(c);
    for (;;) {
        struct timespec dl;
        bool over;
        char b;
        ssize_t r;

        clock_gettime(CLOCK_MONOTONIC, &dl);
        ts_add_ns(&dl, HANG_POLL_MS * 1000000ull);
        pthread_mutex_lock(&g->lock);
        if (!g->stopping && atomic_load(&g->fault) == TB_FAULT_HANG)
            pthread_cond_timedwait(&g->wake, &g->lock, &dl);
        over = g->stopping || atomic_load(&g->fault) != TB_FAULT_HANG;
        pthread_mutex_unlock(&g->lock);
        if (over)
            break;
        r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR))
            break; /* the client gave up */
    }
    return MHD_NO;
}

static void reject(struct conn *c, const char *reason)
{
    struct tb_satellites *g = c->sat->group;
    struct tb__proto_stats *ps = &g->proto[c->route];

    pthread_mutex_lock(&g->lock);
    ps->requests++;
    ps->rejected++;
    ps->bytes += c->received;
    c->sat->requests++;
    stats_reason(ps, reason);
    pthread_mutex_unlock(&g->lock);
    tb_log(TB_LOG_DEBUG, "satellite", "port %u: %s rejected: %s", c->sat->port,
           tb_satellite_protocol_name(c->route), reason);
}

static void count_failed(struct conn *c)
{
    struct tb_satellites *g = c->sat->group;
    struct tb__proto_stats *ps = &g->proto[c->route];

    pthread_mutex_lock(&g->lock);
    ps->requests++;
    ps->failed++;
    ps->bytes += c->received;
    c->sat->requests++;
    pthread_mutex_unlock(&g->lock);
}

/* Records the request's span ids in the shared set (its shards' locks,
 * not the group lock: two connections' reports go in in parallel), then
 * its counts under the group lock, briefly. */
static void count_spans(struct conn *c)
{
    struct tb_satellites *g = c->sat->group;
    struct tb__proto_stats *ps = &g->proto[c->route];
    uint64_t fresh;

    uint64_t mark = atomic_load(&g->mark_ns), first = 0, last = 0;
    uint64_t after = 0;

    pthread_rwlock_rdlock(&g->reset_rw);
    fresh = tb__dedup_insert_many(g->dedup, c->keys.v, c->keys.n);
    /* When first sends started: the client's pace (first to last) and
     * what it made after a mark (the outage gate's return time). */
    for (size_t i = 0; i < c->keys.n; i++) {
        uint64_t t = c->keys.v[i].start_ns;

        if (c->keys.v[i].repeat || t == 0)
            continue;
        if (first == 0 || t < first)
            first = t;
        if (t > last)
            last = t;
        after += mark != 0 && t >= mark;
    }
    pthread_mutex_lock(&g->lock);
    ps->requests++;
    ps->bytes += c->received;
    ps->spans += fresh;
    if (first != 0 && (ps->first_start_ns == 0 || first < ps->first_start_ns))
        ps->first_start_ns = first;
    if (last > ps->last_start_ns)
        ps->last_start_ns = last;
    ps->spans_after_mark += after;
    ps->duplicate_spans += c->keys.n - fresh;
    c->sat->spans_received += fresh;
    c->sat->requests++;
    pthread_mutex_unlock(&g->lock);
    pthread_rwlock_unlock(&g->reset_rw);
}

/* Holds the answer until the mode's per-span time has passed since the
 * request began (decoding time counts towards it, so a short delay costs
 * nothing when decoding is slower) and until the satellite's link, capped
 * at bandwidth_bytes_per_s, has carried this request's bytes. False when
 * the group is stopping: the request is cut. */
static bool delay(struct conn *c, size_t n_spans)
{
    struct tb_satellites *g = c->sat->group;
    struct tb__satellite *sat = c->sat;
    uint64_t ps = atomic_load(&g->span_delay_ps);
    struct timespec dl = c->start;

    ts_add_ns(&dl, ps * n_spans / 1000 + atomic_load(&g->response_delay_ns));
    if (g->bandwidth_bytes_per_s != TB_SATELLITE_NO_BANDWIDTH_CAP) {
        uint64_t bytes = c->received + 64; /* 64: a response's size */
        struct timespec link;

        pthread_mutex_lock(&sat->bw_lock);
        if (ts_cmp(&sat->bw_free, &c->start) < 0)
            sat->bw_free = c->start;
        ts_add_ns(&sat->bw_free, (uint64_t)((double)bytes * 1e9 /
                                            (double)g->bandwidth_bytes_per_s));
        link = sat->bw_free;
        pthread_mutex_unlock(&sat->bw_lock);
        if (ts_cmp(&link, &dl) > 0)
            dl = link;
    }
    return sleep_until(g, &dl);
}

static enum MHD_Result finish(struct conn *c, struct MHD_Connection *mc)
{
    struct tb_satellites *g = c->sat->group;
    struct tb__decode_ctx ctx = {c->arena, &c->keys};
    const uint8_t *body = c->body;
    size_t len = c->len;
    enum MHD_Result ret;
    tb_error err = {0};
    char reason[160];
    tb_err rc;

    atomic_store(&c->watch.reading, false);
    if (c->route == ROUTE_DONE)
        return MHD_YES;
    if (c->route >= TB_PROTO__COUNT)
        return answer_get(c, mc);
    switch (c->fault) {
    case TB_FAULT_429:
    case TB_FAULT_503:
        count_failed(c);
        if (!delay(c, 0))
            return MHD_NO;
        return respond(mc, c->fault == TB_FAULT_429 ? 429 : 503, "text/plain",
                       c->fault == TB_FAULT_429
                           ? "fault: too many requests\n"
                           : "fault: service unavailable\n",
                       g->retry_after_s);
    case TB_FAULT_500:
        count_failed(c);
        if (!delay(c, 0))
            return MHD_NO;
        return respond_text(mc, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "fault: internal error\n");
    case TB_FAULT_HANG:
        count_failed(c);
        return hang(c);
    default:
        break;
    }
    if (c->too_large) {
        snprintf(reason, sizeof(reason), "%sbody over %zu bytes",
                 c->gzip ? "gzip: inflated " : "", g->max_body_bytes);
        reject(c, reason);
        strcat(reason, "\n");
        return respond_text(mc, MHD_HTTP_CONTENT_TOO_LARGE, reason);
    }
    if (c->over_memory) {
        /* Not the client's fault: many large bodies at once. */
        snprintf(reason, sizeof(reason),
                 "bodies in flight over %zu bytes; "
                 "retry",
                 g->body_memory_bytes);
        reject(c, reason);
        pthread_mutex_lock(&g->lock);
        g->over_memory++;
        pthread_mutex_unlock(&g->lock);
        strcat(reason, "\n");
        return respond(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", reason,
                       g->retry_after_s);
    }
    if (c->gzip) {
        if (c->gzip_rc == TB_OK &&
            (c->gzip_rc = tb__gunzip_stream_finish(&c->gz, &err)) != TB_OK)
            snprintf(c->gzip_msg, sizeof(c->gzip_msg), "%.110s", err.msg);
        if (c->gzip_rc != TB_OK) {
            reject(c, c->gzip_msg);
            snprintf(reason, sizeof(reason), "%.150s\n", c->gzip_msg);
            return respond_text(mc, MHD_HTTP_BAD_REQUEST, reason);
        }
    }
    if (c->decoded)
        err = c->decode_err, rc = c->decode_rc;
    else
        rc = tb__protocol_decoder(c->route)(&ctx, body, len, &err);
    if (rc != TB_OK) {
        reject(c, err.msg);
        snprintf(reason, sizeof(reason), "%.150s\n", err.msg);
        return respond_text(mc, MHD_HTTP_BAD_REQUEST, reason);
    }
    if (atomic_load(&g->mode) == TB_MODE_SLOW_FAIL) {
        count_failed(c);
        if (!delay(c, c->keys.n))
            return MHD_NO;
        return respond_text(mc, MHD_HTTP_BAD_REQUEST,
                            "mode slow_fail: report refused\n");
    }
    /* Counted after the delay: a request cut by a shutdown is not
     * answered, so its spans were not received. */
    if (!delay(c, c->keys.n))
        return MHD_NO;
    count_spans(c);
    /* The counting faults hit every other report of the group, so that
     * a tracer's retry is answered and its client can finish. */
    bool hit = (c->fault == TB_FAULT_COUNT_RESET ||
                c->fault == TB_FAULT_COUNT_503) &&
               atomic_fetch_add(&g->counted_faults, 1) % 2 == 0;
    if (hit && c->fault == TB_FAULT_COUNT_RESET)
        return MHD_NO; /* MHD closes the connection, no answer */
    if (hit)
        return respond(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                       "fault: counted, but answered unavailable\n",
                       g->retry_after_s);
    ret = respond(mc,
                  c->route == TB_PROTO_ZIPKIN ? MHD_HTTP_ACCEPTED : MHD_HTTP_OK,
                  success_type[c->route], success_body[c->route], 0);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    const union MHD_ConnectionInfo *info;
    struct conn *c = *req_cls;

    (void)cls;
    (void)version;
    if (c == NULL) {
        info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (info == NULL || info->socket_context == NULL)
            return MHD_NO;
        c = info->socket_context;
        *req_cls = c;
        return begin(c, mc, url, method);
    }
    if (*upload_data_size > 0) {
        take(c, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return finish(c, mc);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn *c = *req_cls;

    (void)cls;
    (void)mc;
    (void)toe;
    if (c == NULL)
        return;
    atomic_store(&c->watch.reading, false);
    leave_flight(c);
    bump(c->sat->group);
    tb__arena_reset(c->arena);
    if (c->cap > BODY_KEEP_MAX_BYTES) {
        tb__body_release(c->sat->group, c->cap);
        tb__body_unmap(c->body, c->cap);
        c->body = NULL;
        c->cap = 0;
    }
    *req_cls = NULL;
}

static void free_conn(struct conn *c)
{
    if (c == NULL)
        return;
    tb__conn_watch_remove(c->sat->group, &c->watch);
    tb__body_release(c->sat->group, c->cap);
    tb__gunzip_stream_free(&c->gz);
    tb__arena_free(c->arena);
    tb__span_keys_free(&c->keys);
    tb__body_unmap(c->body, c->cap);
    free(c);
}

/* Turns Nagle off: with it on, a kept-alive client waits ~40 ms for the
 * delayed ACK of each small answer, and the satellite becomes the
 * bottleneck. */
static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    const union MHD_ConnectionInfo *info;
    struct conn *c;
    int one = 1;

    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        free_conn(*socket_context);
        *socket_context = NULL;
        atomic_fetch_sub(&((struct tb__satellite *)cls)->connections, 1);
        return;
    }
    atomic_fetch_add(&((struct tb__satellite *)cls)->connections, 1);
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return; /* no context: on_request closes the connection */
    c->sat = cls;
    c->arena = tb__arena_new();
    if (c->arena == NULL) {
        free(c);
        return;
    }
    info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = info != NULL ? info->connect_fd : -1;
    if (c->fd >= 0)
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    tb__conn_watch_add(c->sat->group, &c->watch, c->fd);
    *socket_context = c;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct tb__satellite *sat = cls;
    char line[512];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    tb_log(TB_LOG_DEBUG, "satellite", "port %u: libmicrohttpd: %s", sat->port,
           line);
}

/* Past max_connections a new connection is closed as soon as it is
 * accepted (before a thread is made for it), and counted. Accepting is
 * done by one thread per loopback, so the count is checked, not raced,
 * well enough: at worst one over per loopback. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr,
                                     socklen_t addrlen)
{
    struct tb__satellite *sat = cls;
    struct tb_satellites *g = sat->group;

    (void)addr;
    (void)addrlen;
    if ((unsigned)atomic_load(&sat->connections) < g->max_connections)
        return MHD_YES;
    pthread_mutex_lock(&g->lock);
    g->refused_connections++;
    pthread_mutex_unlock(&g->lock);
    return MHD_NO;
}

/* One server on one loopback's listening socket; MHD owns fd once
 * started. */
static struct MHD_Daemon *start_daemon(struct tb__satellite *sat, int fd,
                                       bool v6)
{
    struct tb_satellites *g = sat->group;

    return MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_POLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
        sat->port, accept_policy, sat, on_request, sat,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
        g->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY_LIMIT_BYTES, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, sat, MHD_OPTION_NOTIFY_COMPLETED, on_completed, sat,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, sat, MHD_OPTION_END);
}

/* Listens on 127.0.0.1 and [::1] at one port (tb__listen_loopback in
 * util/net.c binds both, so a taken port is named as such). */
tb_err tb__satellite_listen(struct tb__satellite *sat, tb_error *err)
{
    struct tb__listeners ls;
    tb_err rc;

    if (sat->daemon != NULL)
        return TB_OK;
    if ((rc = tb__listen_loopback(sat->port, "satellite", &ls, err)) != TB_OK)
        return rc;
    sat->port = ls.port;
    /* Before the servers start: their threads read it under bw_lock (a
     * restart found this written unlocked, by ThreadSanitizer). */
    pthread_mutex_lock(&sat->bw_lock);
    clock_gettime(CLOCK_MONOTONIC, &sat->bw_free);
    pthread_mutex_unlock(&sat->bw_lock);
    sat->daemon = start_daemon(sat, ls.fd4, false);
    sat->daemon6 = ls.fd6 >= 0 && sat->daemon != NULL
                       ? start_daemon(sat, ls.fd6, true)
                       : NULL;
    if (sat->daemon == NULL || (ls.fd6 >= 0 && sat->daemon6 == NULL)) {
        if (sat->daemon != NULL)
            MHD_stop_daemon(sat->daemon);
        else
            close(ls.fd4);
        if (sat->daemon6 == NULL && ls.fd6 >= 0)
            close(ls.fd6);
        sat->daemon = sat->daemon6 = NULL;
        return tb_error_set(err, TB_ERR_HTTP,
                            "cannot start the satellite "
                            "on port %u",
                            ls.port);
    }
    tb_log(TB_LOG_DEBUG, "satellite", "listening on 127.0.0.1:%u%s", sat->port,
           sat->daemon6 != NULL ? " and [::1]" : "");
    return TB_OK;
}

void tb__satellite_stop(struct tb__satellite *sat)
{
    if (sat->daemon == NULL)
        return;
    MHD_stop_daemon(sat->daemon);
    if (sat->daemon6 != NULL)
        MHD_stop_daemon(sat->daemon6);
    sat->daemon = sat->daemon6 = NULL;
    tb_log(TB_LOG_DEBUG, "satellite", "stopped 127.0.0.1:%u", sat->port);
}
