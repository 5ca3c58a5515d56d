/* Instructions per span from interleaved traced and untraced runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "tracebench/gate/cost.h"
#include "tracebench/gate/stats.h"
#include "tracebench/util/log.h"

#define COST_SEED 20261202ULL /* fixed: same counts, same interval */

/* The figure from the first n pairs: medians, the paired bootstrap
 * interval, the spread, cycles. */
static tb_err summarize(struct tb_cost *out, const double *per,
                        const double *cyc, bool all_cycles, unsigned n,
                        tb_error *err)
{
    out->trials = n;
    tb_stats_median(out->traced, n, &out->traced_median, NULL);
    tb_stats_median(out->untraced, n, &out->untraced_median, NULL);
    out->instructions_per_span = (out->traced_median - out->untraced_median) /
                                 (double)out->spans;
    out->lo = out->hi = out->instructions_per_span;
    out->spread_rel = 0;
    if (n >= 2) {
        struct tb_bootstrap_opts bo = {
            .confidence = out->confidence, .seed = COST_SEED, .paired = true};
        tb_interval iv;
        tb_err e;
        if ((e = tb_stats_bootstrap_median_diff(out->traced, n, out->untraced,
                                                n, &bo, &iv, err)) != TB_OK)
            return e;
        out->lo = iv.lo / (double)out->spans;
        out->hi = iv.hi / (double)out->spans;
        double mn, mx, med;
        tb_stats_min_max(per, n, &mn, &mx, NULL);
        tb_stats_median(per, n, &med, NULL);
        out->spread_rel = med != 0 ? (mx - mn) / fabs(med) : 0;
    }
    out->cycles_per_span = NAN;
    if (all_cycles) {
        double med;
        tb_stats_median(cyc, n, &med, NULL);
        out->cycles_per_span = med / (double)out->spans;
    }
    return TB_OK;
}

/* One arm of a trial, run in this thread or another. */
struct arm {
    bool trace;
    char tag[64];
    tb_controller *ctl;
    tb_counter *counter;
    struct tb_benchmark_opts bo;
    tb_result *r;
    tb_err e;
    tb_error err;
};

static void arm_init(struct arm *a, const struct tb_cost_opts *o,
                     const struct tb_cost *out, bool trace, unsigned i,
                     tb_controller *ctl, tb_counter *counter)
{
    memset(a, 0, sizeof(*a));
    a->trace = trace;
    a->ctl = ctl;
    a->counter = counter;
    snprintf(a->tag, sizeof(a->tag), "%s-%u", trace ? "traced" : "untraced",
             i + 1);
    a->bo = (struct tb_benchmark_opts){
        /* Run beside the traced arm, the untraced one must not touch the
         * satellites the traced one reports to (a run resets them). */
        .satellites = ctl == o->controller ? o->satellites : NULL,
        .trace = trace,
        .fixed_work = out->work,
        .fixed_repeat = out->spans,
        .timeout_s = o->timeout_s > 0 ? o->timeout_s : 600,
        .extra_args = o->extra_args,
        .runtime_args = o->runtime_args,
        .counter = counter,
        .counter_tag = a->tag};
}

static void arm_run(struct arm *a)
{
    a->e = tb_controller_benchmark(a->ctl, &a->bo, &a->r, &a->err);
}

static void arm_job(void *p)
{
    arm_run(p);
}

/* The arm's count into out; its result is freed. */
static tb_err arm_take(struct arm *a, const struct tb_cost_opts *o,
                       struct tb_cost *out, unsigned i, double *cyc,
                       bool *all_cycles, tb_error *err)
{
    tb_result *r = a->r;
    tb_err e = a->e;

    if (e != TB_OK && err != NULL)
        *err = a->err;
    if (r != NULL && o->on_run != NULL)
        o->on_run(o->ctx, a->tag, r);
    if (e == TB_OK && !r->has_count)
        e = tb_error_set(err, TB_ERR_IO, "%s: no count", a->tag);
    if (e == TB_OK && r->spans_sent != out->spans)
        e = tb_error_set(err, TB_ERR_CLIENT_CRASHED,
                         "client %s made %llu spans, asked for %llu",
                         out->client, (unsigned long long)r->spans_sent,
                         (unsigned long long)out->spans);
    if (e != TB_OK) {
        tb_result_free(r);
        return e;
    }
    (a->trace ? out->traced : out->untraced)[i] = (double)r->instructions;
    if (r->has_cycles)
        cyc[i] += (a->trace ? 1.0 : -1.0) * (double)r->cycles;
    else
        *all_cycles = false;
    const char *const *files = tb_counter_files(a->counter);
    snprintf(a->trace ? out->traced_file : out->untraced_file,
             sizeof(out->traced_file), "%s", files[0] != NULL ? files[0] : "");
    tb_log(TB_LOG_INFO, "cost", "%s %s: %llu instructions (%s)", out->client,
           a->tag, (unsigned long long)r->instructions, r->counter);
    tb_result_free(r);
    return TB_OK;
}

tb_err tb_cost_second_arm(const tb_controller *ctl, const tb_counter *counter,
                          const char *dir, tb_controller **ctl_b,
                          tb_counter **counter_b, tb_error *err)
{
    static const struct tb_calibration none = {.target_cpu = 0.7};
    struct tb_controller_opts co = {.client = tb_controller_client(ctl),
                                    .control_port = 0,
                                    .calibration = &none};
    char sub[1100];
    tb_err e;

    *ctl_b = NULL;
    *counter_b = NULL;
    if (tb_counter_backend(counter) != TB_COUNTER_VALGRIND)
        return TB_OK; /* perf is near free: one after the other */
    snprintf(sub, sizeof(sub), "%s/untraced", dir);
    if ((e = tb_counter_new(TB_COUNTER_VALGRIND, sub, counter_b, err)) !=
            TB_OK ||
        (e = tb_controller_new(&co, ctl_b, err)) != TB_OK) {
        tb_counter_free(*counter_b);
        *counter_b = NULL;
        return e;
    }
    return TB_OK;
}

tb_err tb_cost_measure(const struct tb_cost_opts *o, struct tb_cost *out,
                       tb_error *err)
{
    unsigned n = o->trials ? o->trials : TB_COST_DEFAULT_TRIALS;
    double per[TB_COST_MAX_TRIALS], cyc[TB_COST_MAX_TRIALS] = {0};
    double t0 = tb__now_s();
    bool all_cycles = true;
    tb_err e;

    if (o->controller == NULL || o->counter == NULL ||
        tb_counter_backend(o->counter) == TB_COUNTER_NONE)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "cost needs a client and an instruction counter "
                            "(perf or valgrind)");
    if ((o->controller_b == NULL) != (o->counter_b == NULL))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "cost: a second controller and a second counter "
                            "go together");
    if (n > TB_COST_MAX_TRIALS)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "trials: %u is over %d", n,
                            TB_COST_MAX_TRIALS);
    memset(out, 0, sizeof(*out));
    snprintf(out->client, sizeof(out->client), "%s",
             tb_client_name(tb_controller_client(o->controller)));
    snprintf(out->counter, sizeof(out->counter), "%s",
             tb_counter_name(tb_counter_backend(o->counter)));
    out->trials = n;
    out->spans = o->spans ? o->spans : TB_COST_DEFAULT_SPANS;
    out->work = o->work ? o->work : TB_COST_DEFAULT_WORK;
    out->confidence = o->confidence > 0 ? o->confidence : 0.95;

    /* Interleaved, the order flipping each trial, as the cpu gate does:
     * a tracer's count still depends a little on wall time (its report
     * timer), so drift should fall on both arms alike. With a second
     * controller the two arms of a trial run at once. */
    bool both = o->controller_b != NULL && o->counter_b != NULL;
    for (unsigned i = 0; i < n; i++) {
        struct arm a[2];
        for (int k = 0; k < 2; k++) {
            bool trace = (i % 2 == 0) == (k == 0);
            bool b = both && !trace;
            arm_init(&a[k], o, out, trace, i,
                     b ? o->controller_b : o->controller,
                     b ? o->counter_b : o->counter);
        }
        if (both) {
            /* a[] holds traced and untraced in some order: the untraced
             * one runs in a thread of its own. */
            struct arm *u = a[0].trace ? &a[1] : &a[0];
            struct arm *t = a[0].trace ? &a[0] : &a[1];
            tb__both(arm_job, u, t);
        } else {
            arm_run(&a[0]);
            arm_run(&a[1]);
        }
        for (int k = 0; k < 2; k++)
            if ((e = arm_take(&a[k], o, out, i, cyc, &all_cycles, err)) !=
                TB_OK) {
                for (int j = k + 1; j < 2; j++)
                    tb_result_free(a[j].r);
                return e;
            }
        per[i] = (out->traced[i] - out->untraced[i]) / (double)out->spans;
        if ((e = summarize(out, per, cyc, all_cycles, i + 1, err)) != TB_OK)
            return e;
        if (i + 1 >= 2 && i + 1 < n && o->decided != NULL &&
            o->decided(o->ctx, out->instructions_per_span, out->lo, out->hi))
            break;
    }
    out->wall_s = tb__now_s() - t0;
    return TB_OK;
}

char *tb_cost_to_json(const struct tb_cost *c)
{
    cJSON *o = cJSON_CreateObject(), *t, *u;
    char *text;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "client", c->client);
    cJSON_AddStringToObject(o, "counter", c->counter);
    cJSON_AddNumberToObject(o, "spans", (double)c->spans);
    cJSON_AddNumberToObject(o, "work", (double)c->work);
    cJSON_AddNumberToObject(o, "trials", c->trials);
    cJSON_AddNumberToObject(o, "instructions_per_span",
                            c->instructions_per_span);
    cJSON_AddNumberToObject(o, "instructions_per_span_lo", c->lo);
    cJSON_AddNumberToObject(o, "instructions_per_span_hi", c->hi);
    cJSON_AddNumberToObject(o, "confidence", c->confidence);
    cJSON_AddNumberToObject(o, "spread_rel", c->spread_rel);
    if (isnan(c->cycles_per_span))
        cJSON_AddNullToObject(o, "cycles_per_span");
    else
        cJSON_AddNumberToObject(o, "cycles_per_span", c->cycles_per_span);
    t = cJSON_AddArrayToObject(o, "traced_instructions");
    u = cJSON_AddArrayToObject(o, "untraced_instructions");
    for (unsigned i = 0; t && u && i < c->trials; i++) {
        cJSON_AddItemToArray(t, cJSON_CreateNumber(c->traced[i]));
        cJSON_AddItemToArray(u, cJSON_CreateNumber(c->untraced[i]));
    }
    cJSON_AddNumberToObject(o, "wall_s", c->wall_s);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
