/* The regression gates. Each gate runs its benchmarks, records every run
 * in results.jsonl, turns the runs into figures, and judges each figure
 * against its limit and, when one was given, a baseline. */
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tracebench.h"

#define N_SATELLITES TB_SATELLITE_DEFAULT_COUNT
#define BOOTSTRAP_SEED 20261129ULL /* fixed: same trials, same interval */

struct tb_regress {
    char client[64];
    char profile[8];
    char run_id[64];
    char results[1024];
    tb_thresholds *t;
    tb_baseline *baseline;
    tb_satellites *sats;
    tb_controller *ctl;
    char **extra;                  /* NULL-terminated, owned */
};

static const char *const gate_names[TB_GATE__COUNT] = {
    "memory", "drops", "cpu", "throughput", "duplicates", "flush",
    "outage", "slow"};

const char *tb_gate_name(tb_gate gate)
{
    return (unsigned)gate < TB_GATE__COUNT ? gate_names[gate] : "unknown";
}

tb_err tb_gate_parse(const char *name, tb_gate *out, tb_error *err)
{
    for (int i = 0; i < TB_GATE__COUNT; i++)
        if (strcmp(name, gate_names[i]) == 0) {
            *out = (tb_gate)i;
            return TB_OK;
        }
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "no gate named '%s' (gates: memory, drops, cpu, "
                        "throughput, duplicates, flush, outage, slow)",
                        name);
}

const tb_thresholds *tb_regress_thresholds(const tb_regress *rg)
{
    return rg->t;
}

void tb_regress_free(tb_regress *rg)
{
    if (rg == NULL)
        return;
    tb_controller_free(rg->ctl);
    tb_satellites_free(rg->sats);
    tb_baseline_free(rg->baseline);
    tb_thresholds_free(rg->t);
    for (size_t i = 0; rg->extra != NULL && rg->extra[i] != NULL; i++)
        free(rg->extra[i]);
    free(rg->extra);
    free(rg);
}

tb_err tb_regress_new(const struct tb_regress_opts *o, tb_regress **out,
                      tb_error *err)
{
    char dir[1024];
    const char *run = o->run_id ? o->run_id : getenv("TB_RUN_ID");
    tb_registry *reg = NULL;
    const tb_client *client;
    tb_regress *rg;
    size_t n = 0;
    tb_err e;

    if (o->client == NULL || o->client[0] == '\0')
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no client named");
    if ((rg = calloc(1, sizeof(*rg))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    snprintf(rg->client, sizeof(rg->client), "%s", o->client);
    snprintf(rg->profile, sizeof(rg->profile), "%s",
             o->profile ? o->profile : "full");
    if (run != NULL && run[0] != '\0')
        snprintf(rg->run_id, sizeof(rg->run_id), "%s", run);
    else
        snprintf(rg->run_id, sizeof(rg->run_id), "%ld-%d", (long)time(NULL),
                 (int)getpid());
    snprintf(rg->results, sizeof(rg->results), "%s",
             o->results_path ? o->results_path : tb_record_default_path());
    while (o->extra_args != NULL && o->extra_args[n] != NULL)
        n++;
    if ((rg->extra = calloc(n + 1, sizeof(char *))) == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if ((rg->extra[i] = tb__strdup(o->extra_args[i])) == NULL) {
            e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            goto fail;
        }

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    if ((e = tb_thresholds_load(o->thresholds_dir ? o->thresholds_dir : dir,
                                o->client, rg->profile, &rg->t, err)) !=
        TB_OK)
        goto fail;
    if (o->baseline_path != NULL &&
        (e = tb_baseline_load(o->baseline_path, &rg->baseline, err)) !=
            TB_OK)
        goto fail;

    /* A client whose tracer is not installed is skipped, not failed. */
    if ((e = tb_registry_load(o->registry_path, &reg, err)) != TB_OK)
        goto fail;
    if ((client = tb_registry_find(reg, o->client, err)) == NULL) {
        e = TB_ERR_INVALID_CLIENT;
        goto fail;
    }
    if ((e = tb_client_check(client, err)) != TB_OK)
        goto fail;

    uint16_t ports[N_SATELLITES] = {0};
    struct tb_satellites_opts so = {.ports = ports, .n_ports = N_SATELLITES};
    if ((e = tb_satellite_mode_parse(rg->t->common.satellite_mode, &so.mode,
                                     err)) != TB_OK ||
        (e = tb_satellites_start(&so, &rg->sats, err)) != TB_OK)
        goto fail;
    struct tb_controller_opts co = {.client = client, .control_port = 0,
                                    .target_cpu = rg->t->common.target_cpu};
    if ((e = tb_controller_new(&co, &rg->ctl, err)) != TB_OK)
        goto fail;
    tb_registry_free(reg);
    *out = rg;
    return TB_OK;
fail:
    tb_registry_free(reg);
    tb_regress_free(rg);
    return e;
}

/* One benchmark of a gate, recorded before anyone looks at it. */
/* One benchmark, recorded; mark_ns as in tb_benchmark_opts. */
static tb_err bench_marked(tb_regress *rg, tb_gate gate, const char *step,
                           bool trace, double sps, double runtime_s,
                           uint64_t mark_ns, tb_result **out, tb_error *err)
{
    struct tb_benchmark_opts bo = {
        .satellites = rg->sats, .trace = trace, .spans_per_second = sps,
        .runtime_s = runtime_s,
        .extra_args = (const char *const *)rg->extra,
        .mark_unix_ns = mark_ns};
    tb_result *r = NULL;
    tb_error rerr = {0};
    tb_err e;

    e = tb_controller_benchmark(rg->ctl, &bo, &r, err);
    if (r != NULL &&
        tb_record_run(rg->results, rg->run_id, rg->client,
                      tb_gate_name(gate), rg->profile, step, r, &rerr) !=
            TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
    if (e != TB_OK) {
        tb_result_free(r);
        return e;
    }
    *out = r;
    return TB_OK;
}

static tb_err bench(tb_regress *rg, tb_gate gate, const char *step,
                    bool trace, double sps, double runtime_s,
                    tb_result **out, tb_error *err)
{
    return bench_marked(rg, gate, step, trace, sps, runtime_s, 0, out, err);
}

static tb_verdict worst(tb_verdict a, tb_verdict b)
{
    if (a == TB_VERDICT_FAIL || b == TB_VERDICT_FAIL)
        return TB_VERDICT_FAIL;
    if (a == TB_VERDICT_INCONCLUSIVE || b == TB_VERDICT_INCONCLUSIVE)
        return TB_VERDICT_INCONCLUSIVE;
    return TB_VERDICT_PASS;
}

/* snprintf for messages, which are cut at their buffer's end on purpose. */
static void say(char *buf, size_t size, const char *fmt, ...) TB_FORMAT(3, 4);
static void say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* The relative tolerance a baseline allows this figure, or NaN. */
static double baseline_tolerance(const tb_thresholds *t, const char *name)
{
    if (strcmp(name, "cpu.overhead_points") == 0)
        return t->baseline.cpu_overhead_rel;
    if (strcmp(name, "memory.peak_rss_bytes") == 0)
        return t->baseline.peak_rss_rel;
    if (strstr(name, "memory_ratio") != NULL ||
        strcmp(name, "memory.ratio") == 0)
        return t->baseline.memory_ratio_rel;
    return NAN;
}

static void fmt_value(char *buf, size_t size, double v, const char *unit)
{
    if (strcmp(unit, "bytes") == 0)
        snprintf(buf, size, "%.1f MiB", v / (1024.0 * 1024.0));
    else if (strcmp(unit, "spans") == 0)
        snprintf(buf, size, "%.0f spans", v);
    else if (strcmp(unit, "fraction") == 0)
        snprintf(buf, size, "%.1f%%", v * 100);
    else
        snprintf(buf, size, "%.3g %s", v, unit);
}

/* Judges f against its limit and the baseline, and writes its message:
 * "<client>: <desc> (95% CI lo-hi) exceeds <limit> (<file>: <key>)". */
static void judge(const tb_regress *rg, struct tb_figure *f, const char *desc)
{
    const char *gate_key = f->limit_key;
    double tol = baseline_tolerance(rg->t, f->name);
    const tb_baseline_figure *b =
        rg->baseline ? tb_baseline_get(rg->baseline, f->name) : NULL;
    char ci[96] = "", lim[64], base[256] = "";
    const char *src = gate_key[0] ? tb_thresholds_source(rg->t, gate_key)
                                  : NULL;
    const char *rel;

    snprintf(f->limit_source, sizeof(f->limit_source), "%s",
             src ? src : "");
    if (isnan(f->limit))
        f->verdict = TB_VERDICT_PASS; /* judged by a baseline only */
    else
        f->verdict = tb_verdict_check(f->lo, f->hi, f->limit, f->bound);
    if (b != NULL && !isnan(tol)) {
        f->has_baseline = true;
        f->baseline_median = b->median;
        f->baseline_limit = tb_verdict_relative_limit(b->median, tol,
                                                      f->bound);
        /* A near-zero CPU overhead would leave almost no room: a floor in
         * points keeps 0.5 -> 0.7 points from failing. */
        if (strcmp(f->name, "cpu.overhead_points") == 0)
            f->baseline_limit =
                fmax(f->baseline_limit,
                     b->median + rg->t->baseline.cpu_overhead_abs_points);
        f->baseline_verdict = tb_verdict_check(f->lo, f->hi,
                                               f->baseline_limit, f->bound);
        f->verdict = worst(f->verdict, f->baseline_verdict);
        fmt_value(lim, sizeof(lim), f->baseline_limit, f->unit);
        say(base, sizeof(base), "; baseline %.3g, allowed %s (+%.0f%%%s): "
                                     "%s",
                 b->median, lim, tol * 100,
                 strcmp(f->name, "cpu.overhead_points") == 0
                     ? " or the points floor"
                     : "",
                 tb_verdict_name(f->baseline_verdict));
    }
    if (f->n > 1 && f->confidence > 0) {
        char lo[32], hi[32];
        fmt_value(lo, sizeof(lo), f->lo, f->unit);
        fmt_value(hi, sizeof(hi), f->hi, f->unit);
        snprintf(ci, sizeof(ci), " (%.0f%% CI %s to %s, %zu trials)",
                 f->confidence * 100, lo, hi, f->n);
    }
    if (isnan(f->limit)) {
        say(f->message, sizeof(f->message), "%s: %s%s%s", rg->client,
                 desc, ci, base);
        return;
    }
    fmt_value(lim, sizeof(lim), f->limit, f->unit);
    if (f->verdict == TB_VERDICT_INCONCLUSIVE &&
        tb_verdict_check(f->lo, f->hi, f->limit, f->bound) ==
            TB_VERDICT_INCONCLUSIVE)
        rel = "is inside the noise around";
    else if (tb_verdict_check(f->lo, f->hi, f->limit, f->bound) ==
             TB_VERDICT_FAIL)
        rel = f->bound == TB_BOUND_AT_MOST ? "exceeds" : "is below";
    else
        rel = f->bound == TB_BOUND_AT_MOST ? "is within" : "reaches";
    say(f->message, sizeof(f->message), "%s: %s%s %s %s (%s: %s)%s",
             rg->client, desc, ci, rel, lim, src ? src : "thresholds",
             gate_key, base);
}

static struct tb_figure *add_figure(struct tb_gate_outcome *o,
                                    const char *name, const char *unit,
                                    double value, double limit,
                                    tb_bound bound, const char *key)
{
    struct tb_figure *f = &o->figures[o->n_figures++];

    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    snprintf(f->unit, sizeof(f->unit), "%s", unit);
    snprintf(f->limit_key, sizeof(f->limit_key), "%s", key);
    f->median = f->lo = f->hi = value;
    f->n = 1;
    f->limit = limit;
    f->bound = bound;
    return f;
}

/* RSS at the end of a run: the last sample, or the peak if none. */
static double end_rss(const tb_result *r)
{
    return r->n_samples ? (double)r->memory_list[r->n_samples - 1]
                        : (double)r->peak_rss_bytes;
}

static tb_err gate_memory(tb_regress *rg, struct tb_gate_outcome *o,
                          tb_error *err)
{
    const __typeof__(rg->t->memory) *m = &rg->t->memory;
    tb_result *s = NULL, *l = NULL;
    char desc[256];
    tb_err e;

    if ((e = bench(rg, TB_GATE_MEMORY, "short", true, m->rate_sps,
                   m->short_runtime_s, &s, err)) != TB_OK ||
        (e = bench(rg, TB_GATE_MEMORY, "long", true, m->rate_sps,
                   m->long_runtime_s, &l, err)) != TB_OK)
        goto out;
    double ratio = end_rss(l) / end_rss(s);
    struct tb_figure *f = add_figure(o, "memory.ratio", "ratio", ratio,
                                     m->max_ratio, TB_BOUND_AT_MOST,
                                     "memory.max_ratio");
    snprintf(desc, sizeof(desc),
             "RSS after %.0f s / after %.0f s at %.0f spans/s = %.2f "
             "(%.1f / %.1f MiB)",
             m->long_runtime_s, m->short_runtime_s, m->rate_sps, ratio,
             end_rss(l) / 1048576.0, end_rss(s) / 1048576.0);
    judge(rg, f, desc);
    f = add_figure(o, "memory.peak_rss_bytes", "bytes",
                   (double)l->peak_rss_bytes, NAN, TB_BOUND_AT_MOST, "");
    snprintf(desc, sizeof(desc), "peak RSS %.1f MiB over %.0f s",
             (double)l->peak_rss_bytes / 1048576.0, m->long_runtime_s);
    judge(rg, f, desc);
out:
    tb_result_free(s);
    tb_result_free(l);
    return e;
}

/* A count that must stay at or under a limit: dropped or duplicate spans. */
static void count_figure(tb_regress *rg, struct tb_gate_outcome *o,
                         const char *name, double value, double limit,
                         const char *key, const char *desc)
{
    struct tb_figure *f = add_figure(o, name, "spans", value, limit,
                                     TB_BOUND_AT_MOST, key);
    judge(rg, f, desc);
}

static tb_err gate_drops(tb_regress *rg, struct tb_gate_outcome *o,
                         tb_error *err)
{
    const __typeof__(rg->t->drops) *d = &rg->t->drops;
    double worst_dropped = 0, worst_rate = d->rates_sps.sps[0];
    char desc[256], per[160] = "";
    size_t off = 0;

    for (size_t i = 0; i < d->rates_sps.n; i++) {
        tb_result *r;
        char step[48];
        tb_err e;
        snprintf(step, sizeof(step), "%.0f sps", d->rates_sps.sps[i]);
        if ((e = bench(rg, TB_GATE_DROPS, step, true, d->rates_sps.sps[i],
                       d->runtime_s, &r, err)) != TB_OK)
            return e;
        if (r->dropped_spans > worst_dropped || i == 0) {
            worst_dropped = (double)r->dropped_spans;
            worst_rate = d->rates_sps.sps[i];
        }
        int w = snprintf(per + off, sizeof(per) - off, "%s%lld/%llu at %.0f",
                         i ? ", " : "", (long long)r->dropped_spans,
                         (unsigned long long)r->spans_sent,
                         d->rates_sps.sps[i]);
        off += w > 0 && (size_t)w < sizeof(per) - off ? (size_t)w : 0;
        tb_result_free(r);
    }
    snprintf(desc, sizeof(desc), "%.0f spans dropped at %.0f spans/s (%s)",
             worst_dropped, worst_rate, per);
    count_figure(rg, o, "drops.dropped_spans", worst_dropped,
                 (double)d->max_dropped, "drops.max_dropped", desc);
    return TB_OK;
}

static tb_err gate_cpu(tb_regress *rg, struct tb_gate_outcome *o,
                       tb_error *err)
{
    const __typeof__(rg->t->cpu) *c = &rg->t->cpu;
    double *traced = calloc(c->trials, sizeof(double));
    double *untraced = calloc(c->trials, sizeof(double));
    tb_interval iv;
    char desc[256];
    tb_err e = TB_OK;

    if (traced == NULL || untraced == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Interleaved, and the order flips each trial, so that drift in the
     * machine's speed falls on both arms alike. */
    for (unsigned i = 0; i < c->trials; i++) {
        for (int k = 0; k < 2; k++) {
            bool trace = (i % 2 == 0) == (k == 0);
            tb_result *r;
            char step[48];
            snprintf(step, sizeof(step), "%s trial %u",
                     trace ? "traced" : "untraced", i + 1);
            if ((e = bench(rg, TB_GATE_CPU, step, trace, c->rate_sps,
                           c->runtime_s, &r, err)) != TB_OK)
                goto out;
            (trace ? traced : untraced)[i] = r->cpu_usage * 100.0;
            tb_result_free(r);
        }
    }
    struct tb_bootstrap_opts bo = {.confidence = c->confidence,
                                   .seed = BOOTSTRAP_SEED, .paired = true};
    if ((e = tb_bootstrap_median_diff(traced, c->trials, untraced, c->trials,
                                      &bo, &iv, err)) != TB_OK)
        goto out;
    struct tb_figure *f = add_figure(o, "cpu.overhead_points", "points",
                                     iv.estimate, c->max_overhead_points,
                                     TB_BOUND_AT_MOST,
                                     "cpu.max_overhead_points");
    f->lo = iv.lo;
    f->hi = iv.hi;
    f->n = c->trials;
    f->confidence = iv.confidence;
    double mt, mu;
    tb_stats_median(traced, c->trials, &mt, NULL);
    tb_stats_median(untraced, c->trials, &mu, NULL);
    snprintf(desc, sizeof(desc),
             "cpu overhead %.1f points at %.0f spans/s (traced %.1f%%, "
             "untraced %.1f%%, medians)",
             iv.estimate, c->rate_sps, mt, mu);
    judge(rg, f, desc);
out:
    free(traced);
    free(untraced);
    return e;
}

static tb_err gate_throughput(tb_regress *rg, struct tb_gate_outcome *o,
                              tb_error *err)
{
    const __typeof__(rg->t->throughput) *t = &rg->t->throughput;
    double reached = 0;
    char desc[256], why[160] = "every step passed";

    for (size_t i = 0; i < t->rates_sps.n; i++) {
        double rate = t->rates_sps.sps[i];
        tb_result *r;
        char step[48];
        tb_err e;
        snprintf(step, sizeof(step), "%.0f sps", rate);
        if ((e = bench(rg, TB_GATE_THROUGHPUT, step, true, rate,
                       t->runtime_s, &r, err)) != TB_OK)
            return e;
        /* As the reference: a step counts when nothing was dropped and
         * CPU stayed under the cap; the figure is the rate the client
         * really made, so a tracer that slows its client scores lower.
         * Made is the pace between the first and the last span's start
         * (the spans' own times), not spans over the process's wall
         * time: start-up (imports, loading the tracer) and the final
         * flush are no part of a rate, and on a short step they took
         * 10-20% of it. CPU likewise is the CPU while spans were made. */
        double cpu = r->steady_cpu > 0 ? r->steady_cpu : r->cpu_usage;
        bool ok = r->dropped_spans <= 0 && cpu <= t->max_cpu;
        double made = r->made_sps > 0 ? r->made_sps : r->spans_per_second;
        if (!ok)
            snprintf(why, sizeof(why),
                     "at %.0f spans/s: %lld dropped, %.1f%% CPU, %.0f "
                     "spans/s made",
                     rate, (long long)r->dropped_spans, cpu * 100, made);
        tb_result_free(r);
        if (!ok)
            break;
        reached = made;
    }
    struct tb_figure *f = add_figure(o, "throughput.reached_sps", "spans/s",
                                     reached, t->min_sps, TB_BOUND_AT_LEAST,
                                     "throughput.min_sps");
    snprintf(desc, sizeof(desc),
             "reached %.0f spans/s with no drops under %.0f%% CPU (%s)",
             reached, t->max_cpu * 100, why);
    judge(rg, f, desc);
    return TB_OK;
}

static tb_err gate_duplicates(tb_regress *rg, struct tb_gate_outcome *o,
                              tb_error *err)
{
    const __typeof__(rg->t->duplicates) *d = &rg->t->duplicates;
    tb_result *r;
    char desc[256];
    tb_err e;

    if ((e = bench(rg, TB_GATE_DUPLICATES, "traced", true, d->rate_sps,
                   d->runtime_s, &r, err)) != TB_OK)
        return e;
    snprintf(desc, sizeof(desc),
             "%llu duplicate spans at %.0f spans/s (%llu unique received)",
             (unsigned long long)r->duplicate_spans, d->rate_sps,
             (unsigned long long)r->spans_received);
    count_figure(rg, o, "duplicates.duplicate_spans",
                 (double)r->duplicate_spans, (double)d->max_duplicates,
                 "duplicates.max_duplicates", desc);
    tb_result_free(r);
    return TB_OK;
}

static tb_err gate_flush(tb_regress *rg, struct tb_gate_outcome *o,
                         tb_error *err)
{
    const __typeof__(rg->t->flush) *fl = &rg->t->flush;
    tb_result *r;
    char desc[256];
    tb_err e;

    if ((e = bench(rg, TB_GATE_FLUSH, "traced", true, fl->rate_sps,
                   fl->runtime_s, &r, err)) != TB_OK)
        return e;
    snprintf(desc, sizeof(desc),
             "%lld of %llu spans not delivered after a %.0f s run at %.0f "
             "spans/s",
             (long long)r->dropped_spans, (unsigned long long)r->spans_sent,
             fl->runtime_s, fl->rate_sps);
    count_figure(rg, o, "flush.dropped_spans", (double)r->dropped_spans,
                 (double)fl->max_dropped, "flush.max_dropped", desc);
    tb_result_free(r);
    return TB_OK;
}

/* Spans started this long after the satellites are asked back must all
 * arrive; restarting them takes milliseconds. */
#define OUTAGE_MARK_AFTER_UP_S 0.1

/* Takes the satellites down and back up while a benchmark runs. */
struct outage {
    tb_satellites *sats;
    double t0, down_at_s, up_at_s;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool cancel;
    bool went_down, came_up;
    uint64_t up_unix_ns;          /* when the satellites listened again */
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

static void *outage_thread(void *arg)
{
    struct outage *ou = arg;

    if (wait_until(ou, ou->down_at_s))
        return NULL;
    tb_satellites_shutdown(ou->sats);
    ou->went_down = true;
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

static tb_err gate_outage(tb_regress *rg, struct tb_gate_outcome *o,
                          tb_error *err)
{
    const __typeof__(rg->t->outage) *t = &rg->t->outage;
    struct outage ou = {.sats = rg->sats, .down_at_s = t->down_at_s,
                        .up_at_s = t->up_at_s};
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
                       (uint64_t)((t->up_at_s + OUTAGE_MARK_AFTER_UP_S) * 1e9);
    if (pthread_create(&th, NULL, outage_thread, &ou) != 0) {
        e = tb_error_set(err, TB_ERR_IO, "cannot start the outage timer");
        goto done;
    }
    e = bench_marked(rg, TB_GATE_OUTAGE, "traced, satellites down and up",
                     true, t->rate_sps, t->runtime_s, mark_ns, &r, err);
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
    if (!ou.came_up) {
        e = tb_error_set(err, TB_ERR_DEAD_SATELLITES,
                         "the satellites did not come back at %.0f s: %s",
                         t->up_at_s,
                         ou.err.code ? ou.err.msg
                                     : "the run ended before then");
        goto done;
    }
    double before = max_rss_between(r, 0, t->down_at_s);
    double down = max_rss_between(r, t->down_at_s, t->up_at_s);
    double ratio = before > 0 ? down / before : NAN;
    struct tb_figure *f = add_figure(o, "outage.memory_ratio", "ratio", ratio,
                                     t->max_memory_ratio, TB_BOUND_AT_MOST,
                                     "outage.max_memory_ratio");
    snprintf(desc, sizeof(desc),
             "RSS while the satellites were down / before = %.2f (%.1f / "
             "%.1f MiB)",
             ratio, down / 1048576.0, before / 1048576.0);
    judge(rg, f, desc);

    /* Exact counts on both sides of the mark: the client counts the spans
     * it started from then, the satellites those of them that arrived
     * (by each span's own start time; spans buffered through the outage
     * and delivered late are not in either). */
    if (ou.up_unix_ns > mark_ns)
        tb_log(TB_LOG_WARN, "regress", "outage: the satellites came back "
               "%.0f ms after the mark", (double)(ou.up_unix_ns - mark_ns) /
               1e6);
    double made = (double)r->spans_sent_after_mark;
    double got = (double)r->spans_received_after_mark;
    double frac = made > 0 ? got / made : NAN;
    f = add_figure(o, "outage.delivered_after_fraction", "fraction", frac,
                   t->min_delivered_after_fraction, TB_BOUND_AT_LEAST,
                   "outage.min_delivered_after_fraction");
    if (r->spans_sent_after_mark < 0)
        snprintf(desc, sizeof(desc),
                 "cannot tell what arrived after the satellites came back: "
                 "the client does not POST SpansSentAfterMark "
                 "(clients/PROTOCOL.md)");
    else
        snprintf(desc, sizeof(desc),
                 "%.0f of the %.0f spans started from %.1f s after the "
                 "satellites came back arrived (%.4f)",
                 got, made, OUTAGE_MARK_AFTER_UP_S, frac);
    judge(rg, f, desc);
done:
    tb_result_free(r);
    pthread_cond_destroy(&ou.cond);
    pthread_mutex_destroy(&ou.lock);
    return e;
}

static tb_err gate_slow(tb_regress *rg, struct tb_gate_outcome *o,
                        tb_error *err)
{
    const __typeof__(rg->t->slow) *s = &rg->t->slow;
    tb_satellite_mode mode, normal;
    tb_result *typ = NULL, *slow = NULL;
    char desc[256], step[64];
    tb_err e;

    if ((e = tb_satellite_mode_parse(s->mode, &mode, err)) != TB_OK ||
        (e = tb_satellite_mode_parse(rg->t->common.satellite_mode, &normal,
                                     err)) != TB_OK)
        return e;
    if ((e = bench(rg, TB_GATE_SLOW, "traced, typical satellites", true,
                   s->rate_sps, s->runtime_s, &typ, err)) != TB_OK)
        goto out;
    tb_satellites_set_mode(rg->sats, mode);
    snprintf(step, sizeof(step), "traced, %s satellites", s->mode);
    e = bench(rg, TB_GATE_SLOW, step, true, s->rate_sps, s->runtime_s, &slow,
              err);
    tb_satellites_set_mode(rg->sats, normal);
    if (e != TB_OK)
        goto out;
    double ratio = (double)slow->peak_rss_bytes / (double)typ->peak_rss_bytes;
    struct tb_figure *f = add_figure(o, "slow.memory_ratio", "ratio", ratio,
                                     s->max_memory_ratio, TB_BOUND_AT_MOST,
                                     "slow.max_memory_ratio");
    snprintf(desc, sizeof(desc),
             "peak RSS with %s satellites / typical = %.2f (%.1f / %.1f "
             "MiB, %lld dropped)",
             s->mode, ratio, (double)slow->peak_rss_bytes / 1048576.0,
             (double)typ->peak_rss_bytes / 1048576.0,
             (long long)slow->dropped_spans);
    judge(rg, f, desc);
out:
    tb_result_free(typ);
    tb_result_free(slow);
    return e;
}

tb_err tb_regress_gate(tb_regress *rg, tb_gate gate,
                       struct tb_gate_outcome *out, tb_error *err)
{
    static tb_err (*const gates[TB_GATE__COUNT])(
        tb_regress *, struct tb_gate_outcome *, tb_error *) = {
        gate_memory, gate_drops, gate_cpu, gate_throughput,
        gate_duplicates, gate_flush, gate_outage, gate_slow};
    struct tb_gate_outcome o;
    tb_error rerr = {0};
    tb_err e;

    if ((unsigned)gate >= TB_GATE__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no gate %d", gate);
    memset(&o, 0, sizeof(o));
    o.gate = gate;
    tb_log(TB_LOG_INFO, "regress", "%s: gate %s (%s profile)", rg->client,
           tb_gate_name(gate), rg->profile);
    if ((e = gates[gate](rg, &o, err)) != TB_OK) {
        char msg[TB_ERRMSG_SIZE + 160];
        snprintf(msg, sizeof(msg), "%s: %s gate could not run: %s",
                 rg->client, tb_gate_name(gate),
                 err != NULL ? err->msg : tb_err_name(e));
        tb_record_gate_error(rg->results, rg->run_id, rg->client,
                             rg->profile, tb_gate_name(gate), msg, &rerr);
        return e;
    }
    o.verdict = TB_VERDICT_PASS;
    for (size_t i = 0; i < o.n_figures; i++) {
        o.verdict = worst(o.verdict, o.figures[i].verdict);
        tb_log(o.figures[i].verdict == TB_VERDICT_PASS ? TB_LOG_INFO
                                                       : TB_LOG_WARN,
               "regress", "%s: %s", tb_verdict_name(o.figures[i].verdict),
               o.figures[i].message);
    }
    if (tb_record_gate(rg->results, rg->run_id, rg->client, rg->profile, &o,
                       &rerr) != TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
    *out = o;
    return TB_OK;
}
