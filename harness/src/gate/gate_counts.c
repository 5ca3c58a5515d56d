/* Gates whose figure is a count of spans: drops, duplicates, flush. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* A count that must stay at or under a limit: dropped or duplicate spans. */
void tb__count_figure(tb_regress *rg, struct tb_gate_outcome *o,
                      const char *name, double value, double limit,
                      const char *key, const char *desc)
{
    struct tb_figure *f = tb__add_figure(o, name, "spans", value, limit,
                                         TB_BOUND_AT_MOST, key);
    tb__judge(rg, f, desc);
}

tb_err tb__gate_drops(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_drops *d = &rg->t->drops;
    double worst_dropped = 0, worst_rate = d->rates_sps.sps[0];
    char desc[256], per[160] = "";
    size_t off = 0;

    for (size_t i = 0; i < d->rates_sps.n; i++) {
        tb_result *r;
        char step[48];
        tb_err e;
        snprintf(step, sizeof(step), "%.0f sps", d->rates_sps.sps[i]);
        if ((e = tb__regress_bench(rg, TB_GATE_DROPS, step, true,
                                   d->rates_sps.sps[i], d->runtime_s, &r,
                                   err)) != TB_OK)
            return e;
        if (r->dropped_spans > worst_dropped || i == 0) {
            worst_dropped = (double)r->dropped_spans;
            worst_rate = d->rates_sps.sps[i];
        }
        int w = snprintf(per + off, sizeof(per) - off, "%s%lld/%llu at %.0f",
                         i ? ", " : "", (long long)r->dropped_spans,
                         (unsigned long long)r->spans_sent,
                         d->rates_sps.sps[i]);
        off += w > 0 && (size_t)w < sizeof(per) - off ? (size_t)w : 0;
        tb_result_free(r);
    }
    snprintf(desc, sizeof(desc), "%.0f spans dropped at %.0f spans/s (%s)",
             worst_dropped, worst_rate, per);
    tb__count_figure(rg, o, "drops.dropped_spans", worst_dropped,
                     (double)d->max_dropped, "drops.max_dropped", desc);
    return TB_OK;
}

tb_err tb__gate_duplicates(tb_regress *rg, struct tb_gate_outcome *o,
                           tb_error *err)
{
    const struct tb_thresholds_duplicates *d = &rg->t->duplicates;
    tb_result *r;
    char desc[256];
    tb_err e;

    if ((e = tb__regress_bench(rg, TB_GATE_DUPLICATES, "traced", true,
                               d->rate_sps, d->runtime_s, &r, err)) != TB_OK)
        return e;
    snprintf(desc, sizeof(desc),
             "%llu duplicate spans at %.0f spans/s (%llu unique received)",
             (unsigned long long)r->duplicate_spans, d->rate_sps,
             (unsigned long long)r->spans_received);
    tb__count_figure(rg, o, "duplicates.duplicate_spans",
                     (double)r->duplicate_spans, (double)d->max_duplicates,
                     "duplicates.max_duplicates", desc);
    tb_result_free(r);
    return TB_OK;
}

tb_err tb__gate_flush(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_flush *fl = &rg->t->flush;
    tb_result *r;
    char desc[256];
    tb_err e;

    if ((e = tb__regress_bench(rg, TB_GATE_FLUSH, "traced", true, fl->rate_sps,
                               fl->runtime_s, &r, err)) != TB_OK)
        return e;
    snprintf(
        desc, sizeof(desc),
        "%lld of %llu spans not delivered after a %.0f s run at %.0f "
        "spans/s%s",
        (long long)r->dropped_spans,
        (unsigned long long)(r->dropped_estimated ? r->repeat : r->spans_sent),
        fl->runtime_s, fl->rate_sps,
        r->dropped_estimated ? " (an estimate: the client does not "
                               "report what it made)"
                             : "");
    tb__count_figure(rg, o, "flush.dropped_spans", (double)r->dropped_spans,
                     (double)fl->max_dropped, "flush.max_dropped", desc);
    tb_result_free(r);
    return TB_OK;
}
