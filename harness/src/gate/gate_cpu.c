/* cpu: traced minus untraced CPU over interleaved trials, with more
 * trials while the interval straddles the limit (or the baseline's
 * bound), up to cpu.max_trials per arm.
 *
 * When every run's client reported its work's CPU (WorkCpuNs), each arm
 * is read as its CPU outside that work: the work is the same in both
 * arms by construction, so whatever its CPU does (the same work took
 * 64% in one run and 85% in the next on a host shared with other
 * machines) is the machine, and taking it out leaves the loop, the
 * runtime and the tracer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* Runs trial i of both arms: interleaved, and the order flips each
 * trial, so that drift in the machine's speed falls on both alike. */
struct arms {
    double *traced, *untraced;       /* CPU (tb_result_cpu), points */
    double *traced_nw, *untraced_nw; /* outside the work; NaN: unknown */
    bool loop;                       /* every run sent its loop's window */
};

static tb_err run_trial(tb_regress *rg, unsigned i, struct arms *a,
                        tb_error *err)
{
    const struct tb_thresholds_cpu *c = &rg->t->cpu;

    for (int k = 0; k < 2; k++) {
        bool trace = (i % 2 == 0) == (k == 0);
        tb_result *r;
        char step[48];
        tb_err e;
        snprintf(step, sizeof(step), "%s trial %u",
                 trace ? "traced" : "untraced", i + 1);
        if ((e = tb__regress_bench(rg, TB_GATE_CPU, step, trace, c->rate_sps,
                                   c->runtime_s, &r, err)) != TB_OK)
            return e;
        (trace ? a->traced : a->untraced)[i] = tb_result_cpu(r) * 100.0;
        a->loop = a->loop && r->has_loop_window;
        (trace ? a->traced_nw
               : a->untraced_nw)[i] = tb_result_cpu_outside_work(r) * 100.0;
        tb_result_free(r);
    }
    return TB_OK;
}

tb_err tb__gate_cpu(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_cpu *c = &rg->t->cpu;
    double *buf = calloc(4 * (size_t)c->max_trials, sizeof(double));
    struct arms a = {buf, buf + c->max_trials, buf + 2 * c->max_trials,
                     buf + 3 * c->max_trials, true};
    struct tb_figure *f = NULL;
    unsigned n = 0;
    tb_interval iv;
    char desc[320];
    tb_err e = TB_OK;

    if (buf == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (; n < c->trials; n++)
        if ((e = run_trial(rg, n, &a, err)) != TB_OK)
            goto out;
    for (;;) {
        bool nw = true;
        for (unsigned i = 0; i < n; i++)
            nw = nw && !isnan(a.traced_nw[i]) && !isnan(a.untraced_nw[i]);
        const double *traced = nw ? a.traced_nw : a.traced;
        const double *untraced = nw ? a.untraced_nw : a.untraced;
        struct tb_bootstrap_opts bo = {.confidence = c->confidence,
                                       .seed = BOOTSTRAP_SEED,
                                       .paired = true};
        if ((e = tb_stats_bootstrap_median_diff(traced, n, untraced, n, &bo,
                                                &iv, err)) != TB_OK)
            goto out;
        if (f == NULL)
            f = tb__add_figure(o, "cpu.overhead_points", "points", iv.estimate,
                               c->max_overhead_points, TB_BOUND_AT_MOST,
                               "cpu.max_overhead_points");
        f->median = iv.estimate;
        f->lo = iv.lo;
        f->hi = iv.hi;
        f->n = n;
        f->confidence = iv.confidence;
        double mt, mu;
        tb_stats_median(a.traced, n, &mt, NULL);
        tb_stats_median(a.untraced, n, &mu, NULL);
        /* The drift guard: as calibration read it. */
        rg->untraced_cpu_points = mu;
        snprintf(desc, sizeof(desc),
                 "cpu overhead %.1f points at %.0f spans/s (%s; traced "
                 "%.1f%%, untraced %.1f%% %s CPU, medians; %u "
                 "trials per arm of at most %u)",
                 iv.estimate, c->rate_sps, tb_result_cpu_basis(a.loop, nw), mt,
                 mu, a.loop ? "loop" : "whole-run", n, c->max_trials);
        tb__judge(rg, f, desc);
        if (f->verdict != TB_VERDICT_INCONCLUSIVE || n >= c->max_trials)
            break;
        tb_log(TB_LOG_INFO, "cpu",
               "%s: interval %.1f to %.1f points straddles a bound: trial "
               "%u of at most %u",
               rg->client, iv.lo, iv.hi, n + 1, c->max_trials);
        if ((e = run_trial(rg, n, &a, err)) != TB_OK)
            goto out;
        n++;
    }
out:
    free(buf);
    return e;
}
