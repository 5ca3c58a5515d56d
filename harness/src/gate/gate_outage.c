/* outage: satellites down mid-run and back; memory while down, and
 * delivery of the spans started after the return. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "regress_internal.h"

/* Takes the satellites down and back up while a benchmark runs. */
struct outage {
    tb_satellites *sats;
    double t0, down_at_s, up_at_s;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool cancel;
    bool went_down, came_up;
    uint64_t up_unix_ns; /* when the satellites listened again */
    tb_error err;
};

/* Sleeps until t0 + at_s or cancellation; true when cancelled. */
static bool wait_until(struct outage *ou, double at_s)
{
    struct timespec ts;
    bool cancel;

    pthread_mutex_lock(&ou->lock);
    while (!ou->cancel && tb__now_s() < ou->t0 + at_s) {
        double left = ou->t0 + at_s - tb__now_s();
        clock_gettime(CLOCK_REALTIME, &ts);
        double when = (double)ts.tv_sec + ts.tv_nsec / 1e9 + left;
        ts.tv_sec = (time_t)when;
        ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&ou->cond, &ou->lock, &ts);
    }
    cancel = ou->cancel;
    pthread_mutex_unlock(&ou->lock);
    return cancel;
}

/* True when a TCP connection to any satellite port of the group is
 * accepted: asked from outside, as a tracer would see it. */
static bool any_port_answers(const tb_satellites *sats)
{
    const uint16_t *ports;
    size_t n = tb_satellites_ports(sats, &ports);

    for (size_t i = 0; i < n; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(ports[i]),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return true;
    }
    return false;
}

static void *outage_thread(void *arg)
{
    struct outage *ou = arg;

    if (wait_until(ou, ou->down_at_s))
        return NULL;
    tb_satellites_shutdown(ou->sats);
    /* Proof that the outage happened: nothing of the group listens. */
    ou->went_down = !any_port_answers(ou->sats);
    tb_log(TB_LOG_INFO, "regress", "outage: satellites down");
    if (wait_until(ou, ou->up_at_s))
        return NULL;
    if (tb_satellites_restart(ou->sats, &ou->err) == TB_OK) {
        ou->up_unix_ns = tb__unix_ns();
        ou->came_up = true;
    }
    tb_log(TB_LOG_INFO, "regress", "outage: satellites up");
    return NULL;
}

static double max_rss_between(const tb_result *r, double from_s, double to_s)
{
    double m = 0;

    /* Sample i was taken about i + 1 seconds after the start. */
    for (size_t i = 0; i < r->n_samples; i++) {
        double at = (double)i + 1.0;
        if (at > from_s && at <= to_s && (double)r->memory_list[i] > m)
            m = (double)r->memory_list[i];
    }
    return m;
}

tb_err tb__gate_outage(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_outage *t = &rg->t->outage;
    struct outage ou = {
        .sats = rg->sats, .down_at_s = t->down_at_s, .up_at_s = t->up_at_s};
    tb_result *r = NULL;
    pthread_t th;
    char desc[256];
    tb_err e;

    pthread_mutex_init(&ou.lock, NULL);
    pthread_cond_init(&ou.cond, NULL);
    ou.t0 = tb__now_s();
    /* The mark: spans started from then on must all arrive. It is set a
     * little after the satellites are asked back, so that they listen
     * by then although restarting takes a moment. */
    uint64_t mark_ns = tb__unix_ns() +
                       (uint64_t)((t->up_at_s + t->mark_after_up_s) * 1e9);
    if (pthread_create(&th, NULL, outage_thread, &ou) != 0) {
        e = tb_error_set(err, TB_ERR_IO, "cannot start the outage timer");
        goto done;
    }
    e = tb__regress_bench_marked(rg, TB_GATE_OUTAGE,
                                 "traced, satellites down and up", true,
                                 t->rate_sps, t->runtime_s, mark_ns, &r, err);
    pthread_mutex_lock(&ou.lock);
    ou.cancel = true;
    pthread_cond_signal(&ou.cond);
    pthread_mutex_unlock(&ou.lock);
    pthread_join(th, NULL);
    if (!tb_satellites_all_running(rg->sats)) {
        tb_error rerr = {0};
        if (tb_satellites_restart(rg->sats, &rerr) != TB_OK && e == TB_OK)
            e = tb_error_set(err, rerr.code, "%s", rerr.msg);
    }
    if (e != TB_OK)
        goto done;
    if (!ou.went_down) {
        e = tb_error_set(err, TB_ERR_DEAD_SATELLITES,
                         "the satellites did not go down at %.0f s: the "
                         "outage was never tested",
                         t->down_at_s);
        goto done;
    }
    if (!ou.came_up) {
        e = tb_error_set(
            err, TB_ERR_DEAD_SATELLITES,
            "the satellites did not come back at %.0f s: %s", t->up_at_s,
            ou.err.code ? ou.err.msg : "the run ended before then");
        goto done;
    }
    double before = max_rss_between(r, 0, t->down_at_s);
    double down = max_rss_between(r, t->down_at_s, t->up_at_s);
    if (before <= 0 || down <= 0) {
        e = tb_error_set(
            err, TB_ERR_NOT_MEASURED,
            "no RSS sample of the running client %s the "
            "outage (%s %.0f s; %zu samples)",
            before <= 0 ? "before" : "during", before <= 0 ? "0 s to" : "from",
            before <= 0 ? t->down_at_s : t->down_at_s, r->n_samples);
        goto done;
    }
    if (r->spans_sent_after_mark < 0) {
        e = tb_error_set(err, TB_ERR_NOT_MEASURED,
                         "cannot tell what arrived after the satellites "
                         "came back: the client does not POST "
                         "SpansSentAfterMark (clients/PROTOCOL.md)");
        goto done;
    }
    if (r->spans_sent_after_mark == 0) {
        e = tb_error_set(err, TB_ERR_NOT_MEASURED,
                         "the client reports no span started after the "
                         "mark (%.1f s after the satellites came back, "
                         "outage.mark_after_up_s): nothing to judge "
                         "delivery by",
                         t->mark_after_up_s);
        goto done;
    }
    double ratio = down / before;
    struct tb_figure *f = tb__add_figure(
        o, "outage.memory_ratio", "ratio", ratio, t->max_memory_ratio,
        TB_BOUND_AT_MOST, "outage.max_memory_ratio");
    snprintf(desc, sizeof(desc),
             "RSS while the satellites were down / before = %.2f (%.1f / "
             "%.1f MiB)",
             ratio, down / 1048576.0, before / 1048576.0);
    tb__judge(rg, f, desc);

    /* Exact counts on both sides of the mark: the client counts the spans
     * it started from then, the satellites those of them that arrived
     * (by each span's own start time; spans buffered through the outage
     * and delivered late are not in either). */
    if (ou.up_unix_ns > mark_ns)
        tb_log(TB_LOG_WARN, "regress",
               "outage: the satellites came back "
               "%.0f ms after the mark",
               (double)(ou.up_unix_ns - mark_ns) / 1e6);
    double made = (double)r->spans_sent_after_mark;
    double got = (double)r->spans_received_after_mark;
    double frac = got / made;
    f = tb__add_figure(o, "outage.delivered_after_fraction", "fraction", frac,
                       t->min_delivered_after_fraction, TB_BOUND_AT_LEAST,
                       "outage.min_delivered_after_fraction");
    snprintf(desc, sizeof(desc),
             "%.0f of the %.0f spans started from %.1f s after the "
             "satellites came back arrived (%.4f; grace "
             "outage.mark_after_up_s)",
             got, made, t->mark_after_up_s, frac);
    tb__judge(rg, f, desc);
done:
    tb_result_free(r);
    pthread_cond_destroy(&ou.cond);
    pthread_mutex_destroy(&ou.lock);
    return e;
}
