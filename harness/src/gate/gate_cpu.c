/* cpu: traced minus untraced CPU over interleaved trials. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

tb_err tb__gate_cpu(tb_regress *rg, struct tb_gate_outcome *o,
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
            if ((e = tb__regress_bench(rg, TB_GATE_CPU, step, trace, c->rate_sps,
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
    struct tb_figure *f = tb__add_figure(o, "cpu.overhead_points", "points",
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
    tb__judge(rg, f, desc);
out:
    free(traced);
    free(untraced);
    return e;
}
