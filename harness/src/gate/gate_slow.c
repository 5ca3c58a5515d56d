/* slow: memory and the loop's pace with slow satellites against typical
 * ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

/* The rate a loop paced at slow.rate_sps makes with slow answers, over
 * the rate it makes with typical ones. Each arm's period is the asked one,
 * P = 1 / rate_sps (the work and the sleeps the calibration planned), plus
 * the wall time a span its loop spent outside them (LoopOverheadNs: tracer
 * calls, and whatever blocked it): (P + typical) / (P + slow). The rates
 * the arms made would move with the machine's speed from one arm to the
 * next (asked 500 spans/s, typical arms made 466 to 765 here); the work
 * and the sleeps are what moves, and they are left out. A client that
 * sends no LoopOverheadNs is judged on the rates made, as the reference
 * did, and the text says so. */
static void slow_rate_ratio(const struct tb_thresholds_slow *s,
                            const tb_result *typ, const tb_result *slow,
                            double *rr, char *desc, size_t size)
{
    double made_typ = typ->made_sps > 0 ? typ->made_sps : typ->spans_per_second;
    double made_slow = slow->made_sps > 0 ? slow->made_sps
                                          : slow->spans_per_second;

    if (typ->has_loop_overhead && slow->has_loop_overhead &&
        typ->spans_sent > 0 && slow->spans_sent > 0) {
        double p_us = 1e6 / s->rate_sps;
        double t_us = typ->loop_overhead_s * 1e6 / (double)typ->spans_sent;
        double s_us = slow->loop_overhead_s * 1e6 / (double)slow->spans_sent;
        *rr = (p_us + t_us) / (p_us + s_us);
        snprintf(desc, size,
                 "spans/s of a loop paced at %.0f spans/s with %.0f ms "
                 "answers / typical = %.2f (its time outside the work and "
                 "the asked sleeps: %.1f / %.1f us a span; made %.0f / %.0f "
                 "spans/s)",
                 s->rate_sps, s->response_delay_ms, *rr, s_us, t_us, made_slow,
                 made_typ);
        return;
    }
    *rr = made_typ > 0 ? made_slow / made_typ : NAN;
    snprintf(desc, size,
             "spans/s made with %.0f ms answers / typical = %.2f (%.0f / "
             "%.0f spans/s; the client sends no LoopOverheadNs, so this "
             "moves with the machine's speed)",
             s->response_delay_ms, *rr, made_slow, made_typ);
}

tb_err tb__gate_slow(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_slow *s = &rg->t->slow;
    tb_satellite_mode mode, normal;
    tb_result *typ = NULL, *slow = NULL;
    char desc[256], step[64];
    tb_err e;

    if ((e = tb_satellite_mode_parse(s->mode, &mode, err)) != TB_OK ||
        (e = tb_satellite_mode_parse(rg->t->common.satellite_mode, &normal,
                                     err)) != TB_OK)
        return e;
    if ((e = tb__regress_bench(rg, TB_GATE_SLOW, "traced, typical satellites",
                               true, s->rate_sps, s->runtime_s, &typ, err)) !=
        TB_OK)
        goto out;
    /* The mode's per-span delay (1 us) alone hurts no tracer; the
     * response delay (hundreds of ms, slow.response_delay_ms) is what a
     * far or overloaded collector does, and it stalls a tracer that
     * exports in the caller's thread. */
    tb_satellites_set_mode(rg->sats, mode);
    tb_satellites_set_response_delay(rg->sats, s->response_delay_ms);
    snprintf(step, sizeof(step), "traced, %s satellites, %.0f ms answers",
             s->mode, s->response_delay_ms);
    e = tb__regress_bench(rg, TB_GATE_SLOW, step, true, s->rate_sps,
                          s->runtime_s, &slow, err);
    tb_satellites_set_response_delay(rg->sats, 0);
    tb_satellites_set_mode(rg->sats, normal);
    if (e != TB_OK)
        goto out;
    if (typ->peak_rss_bytes == 0 || slow->peak_rss_bytes == 0) {
        e = tb_error_set(err, TB_ERR_NOT_MEASURED, "no peak RSS for the %s run",
                         typ->peak_rss_bytes == 0 ? "typical" : s->mode);
        goto out;
    }
    double ratio = (double)slow->peak_rss_bytes / (double)typ->peak_rss_bytes;
    struct tb_figure *f = tb__add_figure(o, "slow.memory_ratio", "ratio", ratio,
                                         s->max_memory_ratio, TB_BOUND_AT_MOST,
                                         "slow.max_memory_ratio");
    snprintf(desc, sizeof(desc),
             "peak RSS with %s satellites / typical = %.2f (%.1f / %.1f "
             "MiB, %lld dropped)",
             s->mode, ratio, (double)slow->peak_rss_bytes / 1048576.0,
             (double)typ->peak_rss_bytes / 1048576.0,
             (long long)slow->dropped_spans);
    tb__judge(rg, f, desc);

    /* A tracer that blocks the application on export makes fewer spans
     * per second when the satellites answer slowly. */
    double rr;
    slow_rate_ratio(s, typ, slow, &rr, desc, sizeof(desc));
    f = tb__add_figure(o, "slow.rate_ratio", "ratio", rr, s->min_rate_ratio,
                       TB_BOUND_AT_LEAST, "slow.min_rate_ratio");
    tb__judge(rg, f, desc);
out:
    tb_result_free(typ);
    tb_result_free(slow);
    return e;
}
