/* latency: the time a tracer's calls (start, tags, logs, finish) add to
 * the instrumented operation, per span, from the client's own histogram.
 * Catches a tracer that blocks its caller on a flush or a full queue,
 * which CPU and instruction counts do not see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

tb_err tb__gate_latency(tb_regress *rg, struct tb_gate_outcome *o,
                        tb_error *err)
{
    const __typeof__(rg->t->latency) *c = &rg->t->latency;
    tb_result *tr = NULL, *un = NULL;
    char desc[512];
    tb_err e;

    if ((e = tb__regress_bench(rg, TB_GATE_LATENCY, "traced", true,
                               c->rate_sps, c->runtime_s, &tr, err)) !=
            TB_OK ||
        (e = tb__regress_bench(rg, TB_GATE_LATENCY, "untraced", false,
                               c->rate_sps, c->runtime_s, &un, err)) !=
            TB_OK)
        goto out;
    struct tb_figure *f = tb__add_figure(
        o, "latency.p99_us", "us",
        tr->has_latency ? tr->latency_p99_ns / 1000.0 : NAN, c->max_p99_us,
        TB_BOUND_AT_MOST, "latency.max_p99_us");
    if (!tr->has_latency) {
        tb__judge(rg, f, "latency not measured: the client POSTed no "
                         "LatencyNs (clients/PROTOCOL.md)");
        goto out;
    }
    if (un->has_latency)
        snprintf(desc, sizeof(desc),
                 "tracer calls per span p99 %.1f us at %.0f spans/s (p50 "
                 "%.1f us, p99.9 %.1f us, max %.1f us; added over the "
                 "no-op tracer: p50 %+.1f us, p99 %+.1f us)",
                 tr->latency_p99_ns / 1e3, c->rate_sps,
                 tr->latency_p50_ns / 1e3, tr->latency_p999_ns / 1e3,
                 tr->latency_max_ns / 1e3,
                 (tr->latency_p50_ns - un->latency_p50_ns) / 1e3,
                 (tr->latency_p99_ns - un->latency_p99_ns) / 1e3);
    else
        snprintf(desc, sizeof(desc),
                 "tracer calls per span p99 %.1f us at %.0f spans/s (p50 "
                 "%.1f us, p99.9 %.1f us, max %.1f us)",
                 tr->latency_p99_ns / 1e3, c->rate_sps,
                 tr->latency_p50_ns / 1e3, tr->latency_p999_ns / 1e3,
                 tr->latency_max_ns / 1e3);
    tb__judge(rg, f, desc);
    /* The added p50, judged by nothing but shown with the run. */
    if (un->has_latency) {
        struct tb_figure *g = tb__add_figure(
            o, "latency.added_p50_us", "us",
            (tr->latency_p50_ns - un->latency_p50_ns) / 1e3, NAN,
            TB_BOUND_AT_MOST, "");
        tb__judge(rg, g, "added p50 latency of the tracer calls (traced "
                         "minus untraced)");
    }
out:
    tb_result_free(tr);
    tb_result_free(un);
    return e;
}
