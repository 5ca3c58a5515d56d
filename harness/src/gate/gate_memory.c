/* memory: RSS at the end of a long run over that of a short one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* RSS at the end of a run: the last sample of the running client (the
 * sampler never keeps one of an exited process), or 0 when it has none. */
static double end_rss(const tb_result *r)
{
    for (size_t i = r->n_samples; i > 0; i--)
        if (r->memory_list[i - 1] > 0)
            return (double)r->memory_list[i - 1];
    return 0;
}

tb_err tb__gate_memory(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_memory *m = &rg->t->memory;
    tb_result *s = NULL, *l = NULL;
    char desc[256];
    tb_err e;

    /* Paced by deadline, as the throughput gate: both runs make the asked
     * rate whenever the client keeps up. With the calibration's sleep a
     * span, a host slower than at calibration stretched the long run: a
     * fresh-clone python-cpp run made 368 spans/s of 500, 100 s took 136. */
    struct tb_benchmark_opts so = {.trace = true,
                                   .spans_per_second = m->rate_sps,
                                   .runtime_s = m->short_runtime_s,
                                   .pace_by_deadline = true};
    struct tb_benchmark_opts lo = so;

    lo.runtime_s = m->long_runtime_s;
    if ((e = tb__regress_bench_with(rg, TB_GATE_MEMORY, "short", &so, &s,
                                    err)) != TB_OK ||
        (e = tb__regress_bench_with(rg, TB_GATE_MEMORY, "long", &lo, &l,
                                    err)) != TB_OK)
        goto out;
    if (end_rss(s) <= 0 || end_rss(l) <= 0) {
        e = tb_error_set(
            err, TB_ERR_NOT_MEASURED,
            "no RSS sample of the running client in the %s "
            "run (%.0f s at %.0f spans/s, %zu samples): the "
            "memory ratio needs one in each run",
            end_rss(s) <= 0 ? "short" : "long",
            end_rss(s) <= 0 ? m->short_runtime_s : m->long_runtime_s,
            m->rate_sps, end_rss(s) <= 0 ? s->n_samples : l->n_samples);
        goto out;
    }
    double ratio = end_rss(l) / end_rss(s);
    struct tb_figure *f = tb__add_figure(o, "memory.ratio", "ratio", ratio,
                                         m->max_ratio, TB_BOUND_AT_MOST,
                                         "memory.max_ratio");
    snprintf(desc, sizeof(desc),
             "RSS after %.0f s / after %.0f s at %.0f spans/s = %.2f "
             "(%.1f / %.1f MiB)",
             m->long_runtime_s, m->short_runtime_s, m->rate_sps, ratio,
             end_rss(l) / 1048576.0, end_rss(s) / 1048576.0);
    tb__judge(rg, f, desc);
    f = tb__add_figure(o, "memory.peak_rss_bytes", "bytes",
                       (double)l->peak_rss_bytes, NAN, TB_BOUND_AT_MOST, "");
    snprintf(desc, sizeof(desc), "peak RSS %.1f MiB over %.0f s",
             (double)l->peak_rss_bytes / 1048576.0, m->long_runtime_s);
    tb__judge(rg, f, desc);
out:
    tb_result_free(s);
    tb_result_free(l);
    return e;
}
