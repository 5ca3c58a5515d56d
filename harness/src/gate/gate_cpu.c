/* cpu: traced minus untraced CPU over interleaved trials, with more
 * trials while the interval straddles the limit (or the baseline's
 * bound), up to cpu.max_trials per arm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* Runs trial i of both arms: interleaved, and the order flips each
 * trial, so that drift in the machine's speed falls on both alike. */
static tb_err run_trial(tb_regress *rg, unsigned i, double *traced,
                        double *untraced, tb_error *err)
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
        (trace ? traced : untraced)[i] = r->cpu_usage * 100.0;
        tb_result_free(r);
    }
    return TB_OK;
}

tb_err tb__gate_cpu(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_cpu *c = &rg->t->cpu;
    double *traced = calloc(c->max_trials, sizeof(double));
    double *untraced = calloc(c->max_trials, sizeof(double));
    struct tb_figure *f = NULL;
    unsigned n = 0;
    tb_interval iv;
    char desc[256];
    tb_err e = TB_OK;

    if (traced == NULL || untraced == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (; n < c->trials; n++)
        if ((e = run_trial(rg, n, traced, untraced, err)) != TB_OK)
            goto out;
    for (;;) {
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
        tb_stats_median(traced, n, &mt, NULL);
        tb_stats_median(untraced, n, &mu, NULL);
        rg->untraced_cpu_points = mu;
        snprintf(desc, sizeof(desc),
                 "cpu overhead %.1f points at %.0f spans/s (traced %.1f%%, "
                 "untraced %.1f%%, medians; %u trials per arm of at most "
                 "%u)",
                 iv.estimate, c->rate_sps, mt, mu, n, c->max_trials);
        tb__judge(rg, f, desc);
        if (f->verdict != TB_VERDICT_INCONCLUSIVE || n >= c->max_trials)
            break;
        tb_log(TB_LOG_INFO, "cpu",
               "%s: interval %.1f to %.1f points straddles a bound: trial "
               "%u of at most %u",
               rg->client, iv.lo, iv.hi, n + 1, c->max_trials);
        if ((e = run_trial(rg, n, traced, untraced, err)) != TB_OK)
            goto out;
        n++;
    }
out:
    free(traced);
    free(untraced);
    return e;
}
