/* throughput: the highest asked rate the traced client keeps, dropping
 * at most throughput.max_dropped_per_step spans, with a CPU cost within
 * the cap, each step paired with an untraced
 * control of the same client in the same run.
 *
 * Why the figure does not move with the machine: the clients pace by
 * deadline (span i due at start + i * period, sleeping only when ahead),
 * so a client that keeps up makes exactly the asked rate however fast the
 * machine was at calibration; the figure is an asked rate (a step), not
 * the rate made; and the CPU cap is judged on the traced arm's CPU above
 * its untraced control, measured next to it, added to the calibration
 * target: "under 80% CPU where the untraced client runs at 70%". A
 * machine that slows down slows both arms alike. When both arms' clients
 * report their work's CPU (WorkCpuNs), each arm is read as its CPU
 * outside that work, as the cpu gate does: the same work costing more
 * CPU for a while (a host shared with other machines) is then in
 * neither figure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* One pair of runs at a step: what the traced arm did against its
 * control. */
struct pair {
    double made_sps;        /* traced, from the spans' start times */
    double overhead_points; /* traced minus untraced CPU */
    bool outside_work;      /* ... outside the client's work */
    double untraced_cpu;    /* fraction */
    int64_t dropped;
    bool ok;
};

static tb_err run_pair(tb_regress *rg, double rate, unsigned n,
                       bool traced_first, struct pair *out, tb_error *err)
{
    const struct tb_thresholds_throughput *t = &rg->t->throughput;
    double cpu[2] = {0, 0}, nw[2] = {0, 0};

    for (int k = 0; k < 2; k++) {
        bool trace = (k == 0) == traced_first;
        struct tb_benchmark_opts bo = {.trace = trace,
                                       .spans_per_second = rate,
                                       .runtime_s = t->runtime_s,
                                       .pace_by_deadline = true};
        tb_result *r;
        char step[64];
        tb_err e;

        snprintf(step, sizeof(step), "%.0f sps %s pair %u", rate,
                 trace ? "traced" : "untraced", n);
        if ((e = tb__regress_bench_with(rg, TB_GATE_THROUGHPUT, step, &bo, &r,
                                        err)) != TB_OK)
            return e;
        /* The same measure on both arms, as the cpu gate: the loop's
         * window where the client sends it, else the whole run (the
         * untraced arm sends no span, so the satellites give it no
         * span-bounded window). */
        cpu[trace] = tb_result_cpu(r);
        nw[trace] = tb_result_cpu_outside_work(r);
        if (trace) {
            out->made_sps = r->made_sps > 0 ? r->made_sps : r->spans_per_second;
            out->dropped = r->dropped_spans;
        }
        tb_result_free(r);
    }
    out->untraced_cpu = cpu[0];
    out->outside_work = !isnan(nw[0]) && !isnan(nw[1]);
    out->overhead_points =
        ((out->outside_work ? nw[1] - nw[0] : cpu[1] - cpu[0])) * 100.0;
    out->ok = out->dropped <= (int64_t)t->max_dropped_per_step &&
              out->made_sps >= t->min_made_fraction * rate &&
              rg->t->common.target_cpu * 100.0 + out->overhead_points <=
                  t->max_cpu * 100.0;
    return TB_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* What the steps run so far left: the pairs, the lowest step's control,
 * and the text of the last step. */
struct steps {
    unsigned pairs_run;
    double lowest_rate, lowest_untraced; /* the lowest step run */
    char last[200];
};

/* Runs one step's pairs and decides it. */
static tb_err run_step(tb_regress *rg, double rate, struct steps *st,
                       bool *kept, tb_error *err)
{
    const struct tb_thresholds_throughput *t = &rg->t->throughput;
    double target_points = rg->t->common.target_cpu * 100.0;
    /* Half the room between the target and the cap: a pair that passes
     * or fails by more is not noise, one within it (or whose rate made
     * is within 2% of the asked rate of the limit) gets more pairs, up
     * to max_trials, and the majority decides. */
    double margin = (t->max_cpu * 100.0 - target_points) / 2;
    int64_t max_dropped = (int64_t)t->max_dropped_per_step;
    double ov[64];
    unsigned n = 0, passed = 0, failed = 0;
    unsigned budget = (unsigned)fmin(64, (double)t->max_trials);
    struct pair p = {0};

    while (n < budget) {
        tb_err e;
        if ((e = run_pair(rg, rate, n + 1, st->pairs_run % 2 == 0, &p, err)) !=
            TB_OK)
            return e;
        ov[n++] = p.overhead_points;
        if (st->pairs_run == 0 || rate < st->lowest_rate) {
            st->lowest_rate = rate;
            st->lowest_untraced = p.untraced_cpu;
        }
        st->pairs_run++;
        p.ok ? passed++ : failed++;
        tb_log(TB_LOG_INFO, "throughput",
               "%s: %.0f spans/s pair %u: made %.0f, %lld dropped, "
               "%+.1f points CPU%s (untraced %.1f%%): %s",
               rg->client, rate, n, p.made_sps, (long long)p.dropped,
               p.overhead_points, p.outside_work ? " outside the work" : "",
               p.untraced_cpu * 100, p.ok ? "pass" : "fail");
        bool clear = p.dropped <= max_dropped &&
                     fabs(target_points + p.overhead_points -
                          t->max_cpu * 100.0) >= margin &&
                     fabs(p.made_sps - t->min_made_fraction * rate) >=
                         0.02 * rate;
        if (n == 1 && clear)
            break; /* decided by one pair */
        if (2 * passed > budget || 2 * failed > budget)
            break; /* the majority is decided */
    }
    qsort(ov, n, sizeof(ov[0]), cmp_double);
    double med = n % 2 ? ov[n / 2] : (ov[n / 2 - 1] + ov[n / 2]) / 2;
    /* A tie (an even budget) goes to the median CPU cost. */
    *kept = passed > failed || (passed == failed && p.dropped <= max_dropped &&
                                target_points + med <= t->max_cpu * 100.0);
    snprintf(st->last, sizeof(st->last),
             "at %.0f spans/s: made %.0f, %lld dropped, CPU %+.1f "
             "points over untraced%s (median of %u pair%s)",
             rate, p.made_sps, (long long)p.dropped, med,
             p.outside_work ? ", outside the work" : "", n, n == 1 ? "" : "s");
    return TB_OK;
}

/* The steps are run from the first at or above throughput.min_sps
 * upwards, as long as each is kept: the verdict is decided at the limit's
 * own step, and the steps below it, which a tracer that keeps the limit
 * keeps too (its cost and its drops grow with the rate), are not spent
 * on (about 20 s of the full profile). When the limit's step is not kept,
 * the steps below it are run downwards until one is, so that the figure
 * still says how far the tracer got. */
tb_err tb__gate_throughput(tb_regress *rg, struct tb_gate_outcome *o,
                           tb_error *err)
{
    const struct tb_thresholds_throughput *t = &rg->t->throughput;
    double target_points = rg->t->common.target_cpu * 100.0;
    double reached = 0;
    int64_t max_dropped = (int64_t)t->max_dropped_per_step;
    struct steps st = {0};
    char desc[1024], why[240] = "every step passed", also[120] = "";
    size_t first = 0;
    bool kept;
    tb_err e;

    while (first + 1 < t->rates_sps.n && t->rates_sps.sps[first] < t->min_sps)
        first++;
    for (size_t i = first; i < t->rates_sps.n; i++) {
        if ((e = run_step(rg, t->rates_sps.sps[i], &st, &kept, err)) != TB_OK)
            return e;
        if (!kept) {
            snprintf(why, sizeof(why), "stopped %s", st.last);
            break;
        }
        reached = t->rates_sps.sps[i];
    }
    if (reached == 0) {
        for (size_t i = first; i-- > 0;) {
            if ((e = run_step(rg, t->rates_sps.sps[i], &st, &kept, err)) !=
                TB_OK)
                return e;
            if (kept) {
                reached = t->rates_sps.sps[i];
                snprintf(also, sizeof(also), "; below it, %.0f spans/s kept",
                         reached);
                break;
            }
        }
        if (reached == 0 && first > 0)
            snprintf(also, sizeof(also), "; no step below it kept either");
    }
    /* A failure whose own lowest control (where the client's per-span
     * costs weigh least) ran far from the calibration target stands on a
     * calibration the machine no longer matches: the drift guard
     * recalibrates once and redoes the gate. A pass needs no such
     * check. */
    if (reached < t->min_sps)
        rg->untraced_cpu_points = st.lowest_untraced * 100.0;
    struct tb_figure *f = tb__add_figure(o, "throughput.reached_sps", "spans/s",
                                         reached, t->min_sps, TB_BOUND_AT_LEAST,
                                         "throughput.min_sps");
    f->n = st.pairs_run;
    bool all = strncmp(why, "every", 5) == 0;
    snprintf(desc, sizeof(desc),
             "kept %.0f spans/s (made at least %.0f%% of it, at most %lld "
             "dropped (throughput.max_dropped_per_step), CPU "
             "at most %.0f points over the untraced control, i.e. under "
             "%.0f%% where the untraced client runs at %.0f%%; %u pairs "
             "from %.0f spans/s up; %s%s%s%s)",
             reached, t->min_made_fraction * 100, (long long)max_dropped,
             t->max_cpu * 100 - target_points, t->max_cpu * 100, target_points,
             st.pairs_run, t->rates_sps.sps[first], why, also,
             reached > 0 && all ? "; last " : "",
             reached > 0 && all ? st.last : "");
    tb__judge(rg, f, desc);
    return TB_OK;
}
