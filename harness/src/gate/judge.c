/* Judging one figure against its limit and its baseline, and the message
 * a person can act on. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress_internal.h"

tb_verdict tb__verdict_worst(tb_verdict a, tb_verdict b)
{
    if (a == TB_VERDICT_FAIL || b == TB_VERDICT_FAIL)
        return TB_VERDICT_FAIL;
    if (a == TB_VERDICT_INCONCLUSIVE || b == TB_VERDICT_INCONCLUSIVE)
        return TB_VERDICT_INCONCLUSIVE;
    return TB_VERDICT_PASS;
}

/* snprintf for messages, which are cut at their buffer's end on purpose. */
void tb__say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* The relative tolerance a baseline allows this figure, or NaN. */
double tb__baseline_tolerance(const tb_thresholds *t, const char *name)
{
    if (strcmp(name, "cpu.overhead_points") == 0)
        return t->baseline.cpu_overhead_rel;
    if (strcmp(name, "cost.instructions_per_span") == 0)
        return t->baseline.cost_rel;
    if (strcmp(name, "memory.peak_rss_bytes") == 0)
        return t->baseline.peak_rss_rel;
    if (strstr(name, "memory_ratio") != NULL ||
        strcmp(name, "memory.ratio") == 0)
        return t->baseline.memory_ratio_rel;
    if (strcmp(name, "slow.rate_ratio") == 0)
        return t->baseline.rate_ratio_rel;
    if (strncmp(name, "latency.", 8) == 0)
        return t->baseline.latency_rel;
    return NAN;
}

static void fmt_value(char *buf, size_t size, double v, const char *unit)
{
    if (strcmp(unit, "bytes") == 0)
        snprintf(buf, size, "%.1f MiB", v / (1024.0 * 1024.0));
    else if (strcmp(unit, "spans") == 0)
        snprintf(buf, size, "%.0f spans", v);
    else if (strcmp(unit, "instructions") == 0)
        snprintf(buf, size, "%.0f instructions", v);
    else if (strcmp(unit, "fraction") == 0)
        snprintf(buf, size, "%.1f%%", v * 100);
    else
        snprintf(buf, size, "%.3g %s", v, unit);
}

double tb__baseline_limit(const tb_regress *rg, const char *name,
                          tb_bound bound)
{
    double tol = tb__baseline_tolerance(rg->t, name);
    const tb_baseline_figure *b = rg->baseline
                                      ? tb_baseline_get(rg->baseline, name)
                                      : NULL;
    double limit;

    if (b == NULL || isnan(tol))
        return NAN;
    limit = tb_verdict_relative_limit(b->median, tol, bound);
    /* A near-zero CPU overhead would leave almost no room: a floor in
     * points keeps 0.5 -> 0.7 points from failing. */
    if (strcmp(name, "cpu.overhead_points") == 0)
        limit = fmax(limit,
                     b->median + rg->t->baseline.cpu_overhead_abs_points);
    return limit;
}

/* Judges f against its limit and the baseline, and writes its message:
 * "<client>: <desc> (95% CI lo-hi) exceeds <limit> (<file>: <key>)". */
void tb__judge(const tb_regress *rg, struct tb_figure *f, const char *desc)
{
    const char *gate_key = f->limit_key;
    double tol = tb__baseline_tolerance(rg->t, f->name);
    const tb_baseline_figure *b = rg->baseline
                                      ? tb_baseline_get(rg->baseline, f->name)
                                      : NULL;
    char ci[96] = "", lim[64], base[256] = "";
    const char *src = gate_key[0] ? tb_thresholds_source(rg->t, gate_key)
                                  : NULL;
    const char *rel;

    snprintf(f->limit_source, sizeof(f->limit_source), "%s", src ? src : "");
    if (isnan(f->limit))
        f->verdict = TB_VERDICT_PASS; /* judged by a baseline only */
    else
        f->verdict = tb_verdict_check(f->lo, f->hi, f->limit, f->bound);
    if (b != NULL && !isnan(tol)) {
        f->has_baseline = true;
        f->baseline_median = b->median;
        f->baseline_limit = tb__baseline_limit(rg, f->name, f->bound);
        f->baseline_verdict = tb_verdict_check(f->lo, f->hi, f->baseline_limit,
                                               f->bound);
        f->verdict = tb__verdict_worst(f->verdict, f->baseline_verdict);
        fmt_value(lim, sizeof(lim), f->baseline_limit, f->unit);
        tb__say(base, sizeof(base),
                "; baseline %.3g, allowed %s (+%.0f%%%s): "
                "%s",
                b->median, lim, tol * 100,
                strcmp(f->name, "cpu.overhead_points") == 0
                    ? " or the points floor"
                    : "",
                tb_verdict_name(f->baseline_verdict));
    }
    if (f->n > 1 && f->confidence > 0) {
        char lo[32], hi[32];
        fmt_value(lo, sizeof(lo), f->lo, f->unit);
        fmt_value(hi, sizeof(hi), f->hi, f->unit);
        snprintf(ci, sizeof(ci), " (%.0f%% CI %s to %s, %zu trials)",
                 f->confidence * 100, lo, hi, f->n);
    }
    if (isnan(f->limit)) {
        tb__say(f->message, sizeof(f->message), "%s: %s%s%s", rg->client, desc,
                ci, base);
        return;
    }
    fmt_value(lim, sizeof(lim), f->limit, f->unit);
    if (f->verdict == TB_VERDICT_INCONCLUSIVE &&
        tb_verdict_check(f->lo, f->hi, f->limit, f->bound) ==
            TB_VERDICT_INCONCLUSIVE)
        rel = "is inside the noise around";
    else if (tb_verdict_check(f->lo, f->hi, f->limit, f->bound) ==
             TB_VERDICT_FAIL)
        rel = f->bound == TB_BOUND_AT_MOST ? "exceeds" : "is below";
    else
        rel = f->bound == TB_BOUND_AT_MOST ? "is within" : "reaches";
    tb__say(f->message, sizeof(f->message), "%s: %s%s %s %s (%s: %s)%s",
            rg->client, desc, ci, rel, lim, src ? src : "thresholds", gate_key,
            base);
}

struct tb_figure *tb__add_figure(struct tb_gate_outcome *o, const char *name,
                                 const char *unit, double value, double limit,
                                 tb_bound bound, const char *key)
{
    struct tb_figure *f = &o->figures[o->n_figures++];

    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    snprintf(f->unit, sizeof(f->unit), "%s", unit);
    snprintf(f->limit_key, sizeof(f->limit_key), "%s", key);
    f->median = f->lo = f->hi = value;
    f->n = 1;
    f->limit = limit;
    f->bound = bound;
    return f;
}
