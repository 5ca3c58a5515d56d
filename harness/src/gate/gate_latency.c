/* latency: the time a tracer's calls (start, tags, logs, finish) add to
 * the instrumented operation, per span, from the client's own histogram.
 * Catches a tracer that blocks its caller on a flush or a full queue,
 * which CPU and instruction counts do not see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* One run paced by deadline with a fixed, small work per span: the
 * client makes the rate itself, so no calibration (a CPU measurement that
 * fails on a busy machine) is needed to time its tracer calls. Recorded
 * in results.jsonl as every gate's runs are. */
static tb_err run(tb_regress *rg, bool trace, tb_result **out, tb_error *err)
{
    const struct tb_thresholds_latency *c = &rg->t->latency;
    tb_controller *ctl;
    tb_error rerr = {0};
    tb_result *r = NULL;
    tb_err e;

    if ((e = tb__regress_controller(rg, false, &ctl, err)) != TB_OK)
        return e;
    struct tb_benchmark_opts bo = {
        .satellites = rg->sats,
        .trace = trace,
        .spans_per_second = c->rate_sps,
        .runtime_s = c->runtime_s,
        .extra_args = (const char *const *)rg->extra,
        .pace_by_deadline = true,
        .fixed_work = 1000,
        .fixed_repeat = (uint64_t)fmax(1, llround(c->rate_sps * c->runtime_s))};
    e = tb_controller_benchmark(ctl, &bo, &r, err);
    if (r != NULL &&
        tb_record_run(rg->results, rg->run_id, rg->client, "latency",
                      rg->profile, trace ? "traced" : "untraced", r,
                      &rerr) != TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
    if (e != TB_OK) {
        tb_result_free(r);
        return e;
    }
    *out = r;
    return TB_OK;
}

tb_err tb__gate_latency(tb_regress *rg, struct tb_gate_outcome *o,
                        tb_error *err)
{
    const struct tb_thresholds_latency *c = &rg->t->latency;
    tb_result *tr = NULL, *un = NULL;
    char desc[512];
    tb_err e;

    if ((e = run(rg, true, &tr, err)) != TB_OK ||
        (e = run(rg, false, &un, err)) != TB_OK)
        goto out;
    struct tb_figure *f = tb__add_figure(
        o, "latency.p99_us", "us",
        tr->has_latency ? tr->latency_p99_ns / 1000.0 : NAN, c->max_p99_us,
        TB_BOUND_AT_MOST, "latency.max_p99_us");
    if (!tr->has_latency) {
        tb__judge(rg, f,
                  "latency not measured: the client POSTed no "
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
        char d2[160];
        snprintf(d2, sizeof(d2),
                 "added p50 latency of the tracer calls "
                 "%.1f us (traced minus untraced; p99 %+.1f us)",
                 g->median, (tr->latency_p99_ns - un->latency_p99_ns) / 1e3);
        tb__judge(rg, g, d2);
    }
out:
    tb_result_free(tr);
    tb_result_free(un);
    return e;
}
