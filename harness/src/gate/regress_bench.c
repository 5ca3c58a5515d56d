/* One benchmark of a gate, recorded in results.jsonl before any verdict. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* One benchmark, recorded; mark_ns as in tb_benchmark_opts. */
tb_err tb__regress_bench_marked(tb_regress *rg, tb_gate gate, const char *step,
                           bool trace, double sps, double runtime_s,
                           uint64_t mark_ns, tb_result **out, tb_error *err)
{
    struct tb_benchmark_opts bo = {.trace = trace, .spans_per_second = sps,
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
    if (rg->ctl == NULL)
        tb__progress_step(rg, "calibrating the client (unless cached)", 0);
    if ((e = tb__regress_controller(rg, true, &ctl, err)) != TB_OK)
        return e;
    tb__progress_step(rg, step, bo.runtime_s);
    e = tb_controller_benchmark(ctl, &bo, &r, err);
    if (r != NULL &&
        tb_results_add_run(&run, tb_gate_name(gate), step, r, &rerr) !=
            TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
    if (e != TB_OK) {
        tb_result_free(r);
        return e;
    }
    *out = r;
    return TB_OK;
}

tb_err tb__regress_bench(tb_regress *rg, tb_gate gate, const char *step,
                    bool trace, double sps, double runtime_s,
                    tb_result **out, tb_error *err)
{
    return tb__regress_bench_marked(rg, gate, step, trace, sps, runtime_s, 0, out, err);
}
