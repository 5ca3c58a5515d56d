/* One benchmark of a gate, recorded in results.jsonl before any verdict. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* A traced run is fit to judge only when the client made what it was
 * asked and something arrived: a gate that passed on a client that gave
 * up early, or on satellites that heard nothing, would be a lie. */
static void unfit(tb_regress *rg, const char *step, const tb_result *r)
{
    char why[200] = "";

    if (!r->trace || !r->has_satellites)
        return;
    if (r->spans_sent_reported && r->spans_sent < r->repeat)
        snprintf(why, sizeof(why), "made %llu of the %llu spans asked",
                 (unsigned long long)r->spans_sent,
                 (unsigned long long)r->repeat);
    else if (r->spans_received == 0)
        snprintf(why, sizeof(why), "the satellites received no span");
    if (why[0] == '\0')
        return;
    size_t n = strlen(rg->unfit);
    snprintf(rg->unfit + n, sizeof(rg->unfit) - n, "%s%s: %s", n ? "; " : "",
             step, why);
    rg->n_unfit++;
}

/* One benchmark, recorded; mark_ns as in tb_benchmark_opts. */
tb_err tb__regress_bench_marked(tb_regress *rg, tb_gate gate, const char *step,
                                bool trace, double sps, double runtime_s,
                                uint64_t mark_ns, tb_result **out,
                                tb_error *err)
{
    struct tb_benchmark_opts bo = {.trace = trace,
                                   .spans_per_second = sps,
                                   .runtime_s = runtime_s,
                                   .mark_unix_ns = mark_ns};

    return tb__regress_bench_with(rg, gate, step, &bo, out, err);
}

tb_err tb__regress_bench_with(tb_regress *rg, tb_gate gate, const char *step,
                              const struct tb_benchmark_opts *opts,
                              tb_result **out, tb_error *err)
{
    struct tb_benchmark_opts bo = *opts;
    tb_result *r = NULL;
    struct tb_results_run run = tb__regress_results_run(rg);
    tb_error rerr = {0};
    tb_controller *ctl;
    tb_err e;

    bo.satellites = rg->sats;
    bo.extra_args = (const char *const *)rg->extra;
    bo.settle_quiet_s = rg->t->common.settle_quiet_s;
    bo.settle_max_s = rg->t->common.settle_max_s;
    if (rg->ctl == NULL)
        tb__progress_step(rg, "calibrating the client (unless cached)", 0);
    if ((e = tb__regress_controller(rg, true, &ctl, err)) != TB_OK)
        return e;
    tb__progress_step(rg, step, bo.runtime_s);
    e = tb_controller_benchmark(ctl, &bo, &r, err);
    if (r != NULL &&
        tb_results_add_run(&run, tb_gate_name(gate), step, r, &rerr) != TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
    if (e != TB_OK) {
        tb_result_free(r);
        return e;
    }
    unfit(rg, step, r);
    *out = r;
    return TB_OK;
}

tb_err tb__regress_bench(tb_regress *rg, tb_gate gate, const char *step,
                         bool trace, double sps, double runtime_s,
                         tb_result **out, tb_error *err)
{
    return tb__regress_bench_marked(rg, gate, step, trace, sps, runtime_s, 0,
                                    out, err);
}
