/* throughput: the rate reached with no drops under a CPU cap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

tb_err tb__gate_throughput(tb_regress *rg, struct tb_gate_outcome *o,
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
        if ((e = tb__regress_bench(rg, TB_GATE_THROUGHPUT, step, true, rate,
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
    struct tb_figure *f = tb__add_figure(o, "throughput.reached_sps", "spans/s",
                                     reached, t->min_sps, TB_BOUND_AT_LEAST,
                                     "throughput.min_sps");
    snprintf(desc, sizeof(desc),
             "reached %.0f spans/s with no drops under %.0f%% CPU (%s)",
             reached, t->max_cpu * 100, why);
    tb__judge(rg, f, desc);
    return TB_OK;
}
