/* The control endpoint: GET /control serves the control message, POST
 * /result takes the number of spans the client made. */
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "tracebench/util/log.h"

#define BODY_LIMIT_BYTES (64 * 1024)

struct tb__control {
    struct MHD_Daemon *daemon;
    struct MHD_Daemon *daemon6; /* [::1]; NULL without IPv6 */
    uint16_t port;
    pthread_mutex_t lock;
    char *json; /* body of GET /control */
    bool has_result;
    uint64_t spans;
    int64_t after_mark; /* -1: not posted */
    bool has_latency;
    double latency[4];                /* p50, p99, p99.9, max (ns) */
    double work_cpu_ns;               /* WorkCpuNs; < 0: not sent */
    double overhead_ns;               /* LoopOverheadNs; < 0: not sent */
    double loop_cpu_ns, loop_wall_ns; /* LoopCpuNs, LoopWallNs; < 0: not */
};

struct upload {
    char buf[BODY_LIMIT_BYTES];
    size_t len;
    bool too_big;
};

/* An optional field of nanoseconds >= 0; -1 when absent or malformed
 * (logged, and the result is kept: the field is only a refinement). */
static double optional_ns(const cJSON *root, const char *key, const char *body)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, key);

    if (w == NULL)
        return -1;
    if (cJSON_IsNumber(w) && w->valuedouble >= 0 && isfinite(w->valuedouble))
        return w->valuedouble;
    tb_log(TB_LOG_WARN, "control",
           "ignoring a malformed %s (expected a number >= 0): %.200s", key,
           body);
    return -1;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, const char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result take_result(struct tb__control *c,
                                   struct MHD_Connection *conn,
                                   struct upload *u)
{
    cJSON *root, *n, *m;

    if (u->too_big)
        return reply(conn, 413, "text/plain", "body too large\n");
    u->buf[u->len] = '\0';
    root = cJSON_ParseWithLength(u->buf, u->len);
    n = cJSON_GetObjectItemCaseSensitive(root, "SpansSent");
    m = cJSON_GetObjectItemCaseSensitive(root, "SpansSentAfterMark");
    if (!cJSON_IsNumber(n) || n->valuedouble < 0 ||
        (m != NULL && (!cJSON_IsNumber(m) || m->valuedouble < 0 ||
                       m->valuedouble > n->valuedouble))) {
        cJSON_Delete(root);
        tb_log(TB_LOG_WARN, "control", "bad POST /result body: %.100s", u->buf);
        return reply(conn, 400, "text/plain",
                     "expected {\"SpansSent\": N} or {\"SpansSent\": N, "
                     "\"SpansSentAfterMark\": M} with M <= N\n");
    }
    pthread_mutex_lock(&c->lock);
    c->has_result = true;
    c->spans = (uint64_t)n->valuedouble;
    c->after_mark = m != NULL ? (int64_t)m->valuedouble : -1;
    /* Optional: the client's latency of its tracer calls per span. A
     * malformed object is ignored (and logged): it is a figure, not the
     * count the run depends on. */
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(root, "LatencyNs");
    static const char *const keys[4] = {"p50", "p99", "p999", "max"};
    c->has_latency = cJSON_IsObject(lat);
    for (int i = 0; c->has_latency && i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(lat, keys[i]);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0)
            c->has_latency = false;
        else
            c->latency[i] = v->valuedouble;
    }
    if (lat != NULL && !c->has_latency)
        tb_log(TB_LOG_WARN, "control",
               "ignoring a malformed LatencyNs "
               "(expected {\"p50\", \"p99\", \"p999\", \"max\"} "
               "numbers >= 0): %.200s",
               u->buf);
    /* Optional: the CPU time the client's own work took (the application
     * the tracer instruments), which the cpu gates take out of both arms.
     * Malformed: logged and ignored, as LatencyNs. */
    c->work_cpu_ns = optional_ns(root, "WorkCpuNs", u->buf);
    /* Optional: the loop's wall time outside its work and the sleeps it
     * asked for (tracer calls, and whatever blocked the loop), which the
     * slow gate compares between its arms. */
    c->overhead_ns = optional_ns(root, "LoopOverheadNs", u->buf);
    /* Optional: the loop's window, its CPU (every thread) and wall time,
     * which the cpu gates and calibration read in place of the whole
     * run's, start-up and flush left out. */
    c->loop_cpu_ns = optional_ns(root, "LoopCpuNs", u->buf);
    c->loop_wall_ns = optional_ns(root, "LoopWallNs", u->buf);
    pthread_mutex_unlock(&c->lock);
    cJSON_Delete(root);
    return reply(conn, 200, "application/json", "{}\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *data,
                              size_t *data_size, void **state)
{
    struct tb__control *c = cls;
    (void)version;

    if (strcmp(url, "/result") == 0 && strcmp(method, "POST") == 0) {
        struct upload *u = *state;
        if (u == NULL) {
            if ((u = calloc(1, sizeof(*u))) == NULL)
                return MHD_NO;
            *state = u;
            return MHD_YES;
        }
        if (*data_size > 0) {
            if (u->len + *data_size >= sizeof(u->buf))
                u->too_big = true;
            else
                memcpy(u->buf + u->len, data, *data_size);
            if (!u->too_big)
                u->len += *data_size;
            *data_size = 0;
            return MHD_YES;
        }
        return take_result(c, conn, u);
    }
    if (strcmp(url, "/control") == 0) {
        enum MHD_Result ret;
        if (strcmp(method, "GET") != 0)
            return reply(conn, 405, "text/plain", "use GET\n");
        pthread_mutex_lock(&c->lock);
        ret = reply(conn, 200, "application/json", c->json ? c->json : "{}");
        pthread_mutex_unlock(&c->lock);
        return ret;
    }
    if (strcmp(url, "/result") == 0)
        return reply(conn, 405, "text/plain", "use POST\n");
    return reply(conn, 404, "text/plain", "not found\n");
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*state);
    *state = NULL;
}

/* One server on a listening socket (127.0.0.1 or [::1]); MHD owns fd
 * once started. */
static struct MHD_Daemon *start_daemon(struct tb__control *c, int fd, bool v6)
{
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                                (v6 ? MHD_USE_IPv6 : 0),
                            0, NULL, NULL, handle, c, MHD_OPTION_LISTEN_SOCKET,
                            fd, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)(BODY_LIMIT_BYTES * 2), MHD_OPTION_END);
}

tb_err tb__control_start(int port, struct tb__control **out, tb_error *err)
{
    struct tb__control *c;
    tb_err e;

    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    struct tb__listeners ls;
    if ((e = tb__listen_loopback(port, "control endpoint", &ls, err)) !=
        TB_OK) {
        if (err != NULL && e == TB_ERR_PORT_IN_USE)
            strncat(err->msg,
                    " (pick another with --control-port, or 0 "
                    "for any)",
                    sizeof(err->msg) - strlen(err->msg) - 1);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return e;
    }
    c->port = ls.port;
    c->daemon = start_daemon(c, ls.fd4, false);
    c->daemon6 = ls.fd6 >= 0 ? start_daemon(c, ls.fd6, true) : NULL;
    if (c->daemon == NULL || (ls.fd6 >= 0 && c->daemon6 == NULL)) {
        if (c->daemon != NULL)
            MHD_stop_daemon(c->daemon);
        else
            close(ls.fd4);
        if (c->daemon6 != NULL)
            MHD_stop_daemon(c->daemon6);
        else if (ls.fd6 >= 0)
            close(ls.fd6);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return tb_error_set(err, TB_ERR_HTTP,
                            "cannot start the control endpoint on port %d",
                            port);
    }
    tb_log(TB_LOG_DEBUG, "control", "listening on 127.0.0.1:%u%s",
           (unsigned)c->port, c->daemon6 != NULL ? " and [::1]" : "");
    *out = c;
    return TB_OK;
}

uint16_t tb__control_port(const struct tb__control *c)
{
    return c->port;
}

tb_err tb__control_set(struct tb__control *c, const char *json, tb_error *err)
{
    char *copy = tb__strdup(json);

    if (copy == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    pthread_mutex_lock(&c->lock);
    free(c->json);
    c->json = copy;
    c->has_result = false;
    c->spans = 0;
    c->after_mark = -1;
    c->has_latency = false;
    c->work_cpu_ns = -1;
    c->overhead_ns = -1;
    c->loop_cpu_ns = c->loop_wall_ns = -1;
    pthread_mutex_unlock(&c->lock);
    return TB_OK;
}

bool tb__control_result(struct tb__control *c, uint64_t *spans,
                        int64_t *after_mark)
{
    bool has;

    pthread_mutex_lock(&c->lock);
    has = c->has_result;
    *spans = c->spans;
    *after_mark = c->after_mark;
    pthread_mutex_unlock(&c->lock);
    return has;
}

bool tb__control_latency(struct tb__control *c, double out[4])
{
    bool has;

    pthread_mutex_lock(&c->lock);
    has = c->has_result && c->has_latency;
    memcpy(out, c->latency, sizeof(c->latency));
    pthread_mutex_unlock(&c->lock);
    return has;
}

/* One of the posted result's optional fields, or -1. */
static double posted_ns(struct tb__control *c, const double *field)
{
    double ns;

    pthread_mutex_lock(&c->lock);
    ns = c->has_result ? *field : -1;
    pthread_mutex_unlock(&c->lock);
    return ns;
}

double tb__control_work_cpu_ns(struct tb__control *c)
{
    return posted_ns(c, &c->work_cpu_ns);
}

double tb__control_overhead_ns(struct tb__control *c)
{
    return posted_ns(c, &c->overhead_ns);
}

bool tb__control_loop_window(struct tb__control *c, double *cpu_ns,
                             double *wall_ns)
{
    *cpu_ns = posted_ns(c, &c->loop_cpu_ns);
    *wall_ns = posted_ns(c, &c->loop_wall_ns);
    return *cpu_ns >= 0 && *wall_ns > 0;
}

void tb__control_stop(struct tb__control *c)
{
    if (c == NULL)
        return;
    /* MHD closes the listening socket it was given. */
    MHD_stop_daemon(c->daemon);
    if (c->daemon6 != NULL)
        MHD_stop_daemon(c->daemon6);
    pthread_mutex_destroy(&c->lock);
    free(c->json);
    free(c);
}
