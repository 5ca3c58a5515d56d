/* tracebench compare: two arms, gate by gate, rounds interleaved A B, B A,
 * A B ..., each figure as the paired difference B - A with a bootstrap
 * interval, judged with the thresholds' baseline tolerances. The gates are
 * used as they are (tb_regress_gate), so a comparison measures exactly
 * what regress measures. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "regress_internal.h"
#include "tracebench/gate/compare.h"

/* The values of one figure over the rounds, per arm. */
struct series {
    char name[48];
    char unit[16];
    tb_bound bound;
    double *a, *b; /* [max_rounds] */
    size_t n;
    bool error;
};

const char *tb_compare_verdict_name(tb_compare_verdict v)
{
    static const char *const names[] = {"same", "better", "worse",
                                        "inconclusive", "error"};
    return (unsigned)v <= TB_COMPARE_ERROR ? names[v] : "unknown";
}

tb_compare_verdict tb_compare_judge(double lo, double hi, double allowed,
                                    tb_bound bound)
{
    if (isnan(lo) || isnan(hi) || isnan(allowed))
        return TB_COMPARE_INCONCLUSIVE;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (bound == TB_BOUND_AT_LEAST) {
        /* Lower is worse: mirror the interval. */
        double t = -lo;
        lo = -hi;
        hi = t;
    }
    if (lo > allowed)
        return TB_COMPARE_WORSE;
    if (hi < -allowed)
        return TB_COMPARE_BETTER;
    if (lo >= -allowed && hi <= allowed)
        return TB_COMPARE_SAME;
    return TB_COMPARE_INCONCLUSIVE;
}

void tb_compare_result_free(tb_compare_result *r)
{
    if (r == NULL)
        return;
    free(r->figures);
    free(r);
}

bool tb_compare_any_worse(const tb_compare_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->figures[i].verdict == TB_COMPARE_WORSE ||
            r->figures[i].verdict == TB_COMPARE_ERROR)
            return true;
    return false;
}

static void label(char *buf, size_t size, const struct tb_compare_arm *arm)
{
    size_t off = (size_t)snprintf(buf, size, "%s", arm->client);

    for (size_t i = 0; arm->env && arm->env[i] && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, " %s", arm->env[i]);
    for (size_t i = 0; arm->extra_args && arm->extra_args[i] && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, " %s",
                                arm->extra_args[i]);
}

static void progress(const struct tb_compare_opts *o, const char *fmt, ...)
    TB_FORMAT(2, 3);
static void progress(const struct tb_compare_opts *o, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    tb_log(TB_LOG_INFO, "compare", "%s", line);
    if (o->progress != NULL)
        o->progress(o->ctx, line);
}

/* The series for a figure name, added when new; NULL when full. */
static struct series *series_for(struct series *s, size_t *n, size_t cap,
                                 size_t max_rounds, const struct tb_figure *f)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(s[i].name, f->name) == 0)
            return &s[i];
    if (*n == cap)
        return NULL;
    struct series *x = &s[(*n)++];
    snprintf(x->name, sizeof(x->name), "%s", f->name);
    snprintf(x->unit, sizeof(x->unit), "%s", f->unit);
    x->bound = f->bound;
    x->a = calloc(max_rounds, sizeof(double));
    x->b = calloc(max_rounds, sizeof(double));
    return x->a && x->b ? x : NULL;
}

/* The worsening a figure may show: the baseline tolerance of regress,
 * relative to A's median (for the CPU overhead at least the points
 * floor); a figure with no tolerance (counts, fractions) must match. */
static double allowance(const tb_thresholds *t, const struct series *s,
                        double a_median, char *why, size_t size)
{
    double rel = tb__baseline_tolerance(t, s->name);

    if (isnan(rel)) {
        snprintf(why, size, "exact: no baseline tolerance for %s", s->name);
        return 0;
    }
    double allowed = fabs(a_median) * rel;
    if (strcmp(s->name, "cpu.overhead_points") == 0 &&
        allowed < t->baseline.cpu_overhead_abs_points) {
        snprintf(why, size, "baseline.cpu_overhead_abs_points %.3g",
                 t->baseline.cpu_overhead_abs_points);
        return t->baseline.cpu_overhead_abs_points;
    }
    snprintf(why, size, "%.0f%% of A's figure (baseline tolerance)", rel * 100);
    return allowed;
}

static void fmt(char *buf, size_t size, double v, const char *unit)
{
    if (strcmp(unit, "bytes") == 0)
        snprintf(buf, size, "%.1f MiB", v / 1048576.0);
    else
        snprintf(buf, size, "%.4g %s", v, unit);
}

/* Fills f from the series: medians, paired difference and its interval,
 * the allowance and the verdict. */
static void judge_series(const tb_compare_result *res, const tb_thresholds *t,
                         tb_gate gate, const struct series *s,
                         struct tb_compare_figure *f)
{
    double *d = calloc(s->n ? s->n : 1, sizeof(double));
    char a[48], b[48], lo[48], hi[48], al[48];

    memset(f, 0, sizeof(*f));
    f->gate = gate;
    snprintf(f->name, sizeof(f->name), "%s", s->name);
    snprintf(f->unit, sizeof(f->unit), "%s", s->unit);
    f->bound = s->bound;
    f->rounds = s->n;
    f->diff = f->lo = f->hi = f->ratio = f->a_median = f->b_median = NAN;
    if (s->error || s->n == 0 || d == NULL) {
        f->verdict = TB_COMPARE_ERROR;
        tb__say(f->message, sizeof(f->message),
                "%s: the %s gate could not run on both arms (see "
                "results.jsonl)",
                f->name, tb_gate_name(gate));
        free(d);
        return;
    }
    tb_stats_median(s->a, s->n, &f->a_median, NULL);
    tb_stats_median(s->b, s->n, &f->b_median, NULL);
    for (size_t i = 0; i < s->n; i++)
        d[i] = s->b[i] - s->a[i];
    tb_stats_median(d, s->n, &f->diff, NULL);
    f->lo = f->hi = f->diff;
    if (s->n >= 2) {
        struct tb_bootstrap_opts bo = {.confidence = t->cpu.confidence,
                                       .seed = BOOTSTRAP_SEED,
                                       .paired = true};
        tb_interval iv;
        if (tb_stats_bootstrap_median_diff(s->b, s->n, s->a, s->n, &bo, &iv,
                                           NULL) == TB_OK) {
            f->lo = iv.lo;
            f->hi = iv.hi;
        }
    }
    f->ratio = f->a_median != 0 ? f->b_median / f->a_median : NAN;
    f->allowed = allowance(t, s, f->a_median, f->tolerance,
                           sizeof(f->tolerance));
    f->verdict = tb_compare_judge(f->lo, f->hi, f->allowed, f->bound);
    fmt(a, sizeof(a), f->a_median, f->unit);
    fmt(b, sizeof(b), f->b_median, f->unit);
    fmt(lo, sizeof(lo), f->lo, f->unit);
    fmt(hi, sizeof(hi), f->hi, f->unit);
    fmt(al, sizeof(al), f->allowed, f->unit);
    tb__say(f->message, sizeof(f->message),
            "%s: B (%s) %s against A (%s) %s: B - A from %s to %s over %zu "
            "round%s, allowed %s (%s): %s",
            f->name, res->b, b, res->a, a, lo, hi, f->rounds,
            f->rounds == 1 ? "" : "s", al, f->tolerance,
            tb_compare_verdict_name(f->verdict));
}

static tb_err arm_new(const struct tb_compare_opts *o,
                      const struct tb_compare_arm *arm, const char *run_id,
                      tb_regress **out, tb_error *err)
{
    struct tb_regress_opts ro = {
        .client = arm->client,
        .profile = o->profile,
        .thresholds_dir = o->thresholds_dir,
        .registry_path = o->registry_path,
        .results_path = o->results_path,
        .run_id = run_id,
        .extra_args = arm->extra_args,
        .client_env = arm->env,
        /* Both arms are held to A's thresholds: the same gate parameters
         * and the same tolerances, or the comparison would not be fair. */
        .thresholds_client = o->a.client};
    return tb_regress_new(&ro, out, err);
}

static tb_err check_names(const struct tb_compare_opts *o, tb_error *err)
{
    tb_registry *reg = NULL;
    tb_err e;

    if ((e = tb_registry_load(o->registry_path, &reg, err)) != TB_OK)
        return e;
    if (tb_registry_find(reg, o->a.client, err) == NULL ||
        tb_registry_find(reg, o->b.client, err) == NULL)
        e = TB_ERR_INVALID_CLIENT;
    tb_registry_free(reg);
    return e;
}

tb_err tb_compare_run(const struct tb_compare_opts *o, tb_compare_result **out,
                      tb_error *err)
{
    static const tb_gate every[TB_GATE__COUNT] = {
        TB_GATE_MEMORY,     TB_GATE_DROPS,  TB_GATE_CPU,    TB_GATE_THROUGHPUT,
        TB_GATE_DUPLICATES, TB_GATE_FLUSH,  TB_GATE_OUTAGE, TB_GATE_SLOW,
        TB_GATE_COST,       TB_GATE_LATENCY};
    const tb_gate *gates = o->gates ? o->gates : every;
    size_t n_gates = o->gates ? o->n_gates : TB_GATE__COUNT;
    const char *run = o->run_id ? o->run_id : tb__config_env(TB__CONFIG_RUN_ID);
    tb_regress *arm[2] = {NULL, NULL};
    tb_compare_result *res;
    char id[2][80];
    size_t cap = 0;
    tb_err e = TB_OK;

    if (o->a.client == NULL || o->b.client == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "compare needs two clients, A and B");
    if ((res = calloc(1, sizeof(*res))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    if (run != NULL && run[0] != '\0')
        snprintf(res->run_id, sizeof(res->run_id), "%s", run);
    else
        snprintf(res->run_id, sizeof(res->run_id), "%ld-%d", (long)time(NULL),
                 (int)getpid());
    snprintf(res->profile, sizeof(res->profile), "%s",
             o->profile ? o->profile : "full");
    label(res->a, sizeof(res->a), &o->a);
    label(res->b, sizeof(res->b), &o->b);
    snprintf(id[0], sizeof(id[0]), "%s-A", res->run_id);
    snprintf(id[1], sizeof(id[1]), "%s-B", res->run_id);

    /* Both names are checked before anything is measured, so a typo in B
     * does not cost A's calibration. */
    if ((e = check_names(o, err)) != TB_OK)
        goto fail;
    if ((e = arm_new(o, &o->a, id[0], &arm[0], err)) != TB_OK ||
        (e = arm_new(o, &o->b, id[1], &arm[1], err)) != TB_OK)
        goto fail;
    const tb_thresholds *t = tb_regress_thresholds(arm[0]);
    size_t rounds = t->compare.rounds;
    size_t max_rounds = t->compare.max_rounds > rounds ? t->compare.max_rounds
                                                       : rounds;

    for (size_t g = 0; g < n_gates; g++)
        cap += TB_GATE_MAX_FIGURES;
    if ((res->figures = calloc(cap ? cap : 1, sizeof(*res->figures))) == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t g = 0; g < n_gates; g++) {
        struct series s[TB_GATE_MAX_FIGURES];
        size_t ns = 0;
        bool broken = false;

        memset(s, 0, sizeof(s));
        for (size_t r = 0; r < max_rounds && !broken; r++) {
            /* A B, then B A: drift within a round falls on both. */
            for (int k = 0; k < 2 && !broken; k++) {
                int which = (r % 2 == 0) ? k : 1 - k;
                struct tb_gate_outcome oc;
                tb_error gerr = {0};
                progress(o, "%s: round %zu of %zu%s, %s (%s)",
                         tb_gate_name(gates[g]), r + 1, rounds,
                         r >= rounds ? " (adaptive)" : "", which ? "B" : "A",
                         which ? res->b : res->a);
                if (tb_regress_gate(arm[which], gates[g], &oc, &gerr) !=
                    TB_OK) {
                    tb_log(TB_LOG_WARN, "compare", "%s on %s: %s",
                           tb_gate_name(gates[g]), which ? "B" : "A", gerr.msg);
                    broken = true;
                    break;
                }
                for (size_t i = 0; i < oc.n_figures; i++) {
                    struct series *x = series_for(s, &ns, TB_GATE_MAX_FIGURES,
                                                  max_rounds, &oc.figures[i]);
                    if (x == NULL) {
                        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
                        goto fail_gate;
                    }
                    (which ? x->b : x->a)[r] = oc.figures[i].median;
                }
            }
            if (broken)
                break;
            for (size_t i = 0; i < ns; i++)
                s[i].n = r + 1;
            if (r + 1 < rounds)
                continue;
            /* Adaptive: another round only while some figure is still
             * inside the noise around its allowance. */
            bool open = false;
            for (size_t i = 0; i < ns; i++) {
                struct tb_compare_figure f;
                judge_series(res, t, gates[g], &s[i], &f);
                open |= f.verdict == TB_COMPARE_INCONCLUSIVE;
            }
            if (!open)
                break;
        }
        if (broken || ns == 0) {
            /* The figures the gate would have had, marked as errors. */
            if (ns == 0) {
                snprintf(s[0].name, sizeof(s[0].name), "%s",
                         tb_gate_name(gates[g]));
                ns = 1;
            }
            for (size_t i = 0; i < ns; i++)
                s[i].error = true;
        }
        for (size_t i = 0; i < ns; i++)
            judge_series(res, t, gates[g], &s[i], &res->figures[res->n++]);
    fail_gate:
        for (size_t i = 0; i < TB_GATE_MAX_FIGURES; i++) {
            free(s[i].a);
            free(s[i].b);
        }
        if (e != TB_OK)
            goto fail;
        /* Ctrl-C: every run so far is in results.jsonl; the gates left
         * would each fail at once, so stop here. */
        if (tb_interrupted()) {
            e = tb_error_set(err, TB_ERR_INTERRUPTED,
                             "interrupted by signal %d during gate %s; the "
                             "runs so far are in results.jsonl",
                             tb_interrupted(), tb_gate_name(gates[g]));
            goto fail;
        }
    }
    tb_regress_free(arm[0]);
    tb_regress_free(arm[1]);
    *out = res;
    return TB_OK;
fail:
    tb_regress_free(arm[0]);
    tb_regress_free(arm[1]);
    tb_compare_result_free(res);
    return e;
}
