/* cost: instructions per span, traced minus untraced, counted by perf or
 * valgrind; against a baseline, the functions that grew are named. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "regress_internal.h"
#include "tracebench/gate/attribution.h"
#include "tracebench/gate/cost.h"

#define TOP_FUNCTIONS 5

static tb_err copy_file(const char *from, const char *to, tb_error *err)
{
    FILE *in = fopen(from, "rb"), *out = NULL;
    char buf[65536];
    size_t n;
    tb_err e = TB_OK;

    if (in == NULL)
        return tb_error_set(err, TB_ERR_IO, "open %s: %s", from,
                            strerror(errno));
    if ((out = fopen(to, "wb")) == NULL) {
        e = tb_error_set(err, TB_ERR_IO, "create %s: %s", to, strerror(errno));
        goto done;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            e = tb_error_set(err, TB_ERR_IO, "write %s: %s", to,
                             strerror(errno));
            break;
        }
    if (fclose(out) != 0 && e == TB_OK)
        e = tb_error_set(err, TB_ERR_IO, "write %s: %s", to, strerror(errno));
done:
    fclose(in);
    return e;
}

/* Interpreted clients: the functions cachegrind sees are the runtime's. */
static bool interpreted(const char *client)
{
    return strncmp(client, "python", 6) == 0 || strncmp(client, "js", 2) == 0;
}

/* Each run goes to results.jsonl, as every gate's runs do. */
static void record(void *ctx, const char *step, const tb_result *r)
{
    tb_regress *rg = ctx;
    tb_error rerr = {0};

    if (tb_record_run(rg->results, rg->run_id, rg->client, "cost", rg->profile,
                      step, r, &rerr) != TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
}

/* The run's extra arguments, then cost.client_args split at spaces, into
 * argv (max entries with its NULL); the words live in words. */
static tb_err cost_args(const tb_regress *rg, const char *client_args,
                        char *words, size_t size, const char **argv, size_t max,
                        tb_error *err)
{
    size_t n = 0;

    for (size_t i = 0; rg->extra != NULL && rg->extra[i] != NULL; i++) {
        if (n + 1 >= max)
            goto full;
        argv[n++] = rg->extra[i];
    }
    snprintf(words, size, "%s", client_args);
    char *save = NULL;
    for (char *w = strtok_r(words, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save)) {
        if (n + 1 >= max)
            goto full;
        argv[n++] = w;
    }
    argv[n] = NULL;
    return TB_OK;
full:
    return tb_error_set(err, TB_ERR_CONFIG,
                        "%s: more than %zu client arguments (extra "
                        "arguments and cost.client_args)",
                        rg->client, max - 1);
}

/* Two pairs suffice when their interval is narrow, within 1% of the
 * figure (c's and python-cpp's counts repeat to 0.05%), and straddles
 * neither the limit nor the baseline's bound: the trials left could not
 * move the verdict. A noisier client (Node's JIT and GC: 5-9% between
 * runs) runs every one of cost.trials. */
static bool decided(void *ctx, double v, double lo, double hi)
{
    const tb_regress *rg = ctx;
    double base = tb__baseline_limit(rg, "cost.instructions_per_span",
                                     TB_BOUND_AT_MOST);

    return hi - lo <= 0.01 * fabs(v) &&
           tb_verdict_check(lo, hi, rg->t->cost.max_instructions_per_span,
                            TB_BOUND_AT_MOST) != TB_VERDICT_INCONCLUSIVE &&
           (isnan(base) || tb_verdict_check(lo, hi, base, TB_BOUND_AT_MOST) !=
                               TB_VERDICT_INCONCLUSIVE);
}

tb_err tb__gate_cost(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err)
{
    const struct tb_thresholds_cost *c = &rg->t->cost;
    const char *kind_name = tb__config_env(TB__CONFIG_COUNTER);
    tb_counter_kind kind = TB_COUNTER_AUTO;
    tb_counter *counter = NULL;
    struct tb_cost cost;
    char dir[1024], desc[900], profile[1200];
    tb_err e;

    if (kind_name != NULL && kind_name[0] != '\0' &&
        (e = tb_counter_parse(kind_name, &kind, err)) != TB_OK)
        return e;
    snprintf(dir, sizeof(dir), "%s/cost/%s/%s", tb_log_dir(), rg->client,
             rg->run_id);
    if ((e = tb_counter_new(kind, dir, &counter, err)) != TB_OK)
        return e;
    if (tb_counter_backend(counter) == TB_COUNTER_NONE) {
        /* Nothing can count here: not a failure of the tracer. */
        struct tb_figure *f = tb__add_figure(
            o, "cost.instructions_per_span", "instructions", NAN,
            c->max_instructions_per_span, TB_BOUND_AT_MOST,
            "cost.max_instructions_per_span");
        tb__judge(rg, f,
                  "instructions per span not measured: no hardware "
                  "counters and no valgrind (install the Debian "
                  "package valgrind)");
        tb_counter_free(counter);
        return TB_OK;
    }
    /* A client's cost.client_args (thresholds/) hold its runs to the
     * tracer's work per span, e.g. python-cpp's report period. */
    char words[TB_THRESHOLDS_MAX_ARGS + 1], rwords[TB_THRESHOLDS_MAX_ARGS + 1];
    const char *argv[64], *rargv[64];
    if ((e = cost_args(rg, c->client_args, words, sizeof(words), argv, 64,
                       err)) != TB_OK) {
        tb_counter_free(counter);
        return e;
    }
    /* And cost.runtime_args, for the runtime: V8's --predictable (no
     * background compilation or GC threads), whose counts repeat. */
    size_t nr = 0;
    snprintf(rwords, sizeof(rwords), "%s", c->runtime_args);
    char *rsave = NULL;
    for (char *w = strtok_r(rwords, " ", &rsave); w != NULL && nr < 63;
         w = strtok_r(NULL, " ", &rsave))
        rargv[nr++] = w;
    rargv[nr] = NULL;
    tb_controller *ctl;
    if ((e = tb__regress_controller(rg, false, &ctl, err)) != TB_OK) {
        tb_counter_free(counter);
        return e;
    }
    /* Under valgrind (a Node run is 17-45 s) the untraced arm runs beside
     * the traced one, on a controller and a counter of its own. */
    tb_controller *ctl_b = NULL;
    tb_counter *counter_b = NULL;
    tb_error berr = {0};
    if (tb_cost_second_arm(ctl, counter, dir, &ctl_b, &counter_b, &berr) !=
        TB_OK)
        tb_log(TB_LOG_WARN, "cost", "%s: the arms run one after the other: %s",
               rg->client, berr.msg);
    struct tb_cost_opts co = {.controller = ctl,
                              .controller_b = ctl_b,
                              .counter_b = counter_b,
                              .satellites = rg->sats,
                              .counter = counter,
                              .spans = (uint64_t)c->spans,
                              .work = (uint64_t)c->work,
                              .trials = c->trials,
                              .confidence = c->confidence,
                              .extra_args = argv,
                              .runtime_args = rargv,
                              .on_run = record,
                              .decided = decided,
                              .ctx = rg};
    e = tb_cost_measure(&co, &cost, err);
    tb_counter_free(counter);
    tb_counter_free(counter_b);
    tb_controller_free(ctl_b);
    if (e != TB_OK)
        return e;

    struct tb_figure *f = tb__add_figure(
        o, "cost.instructions_per_span", "instructions",
        cost.instructions_per_span, c->max_instructions_per_span,
        TB_BOUND_AT_MOST, "cost.max_instructions_per_span");
    f->lo = cost.lo;
    f->hi = cost.hi;
    f->n = cost.trials;
    f->confidence = cost.confidence;
    snprintf(desc, sizeof(desc),
             "%.0f instructions per span (%s; %llu spans of work %llu, "
             "spread %.2f%%%s%s%s%s)",
             cost.instructions_per_span, cost.counter,
             (unsigned long long)cost.spans, (unsigned long long)cost.work,
             cost.spread_rel * 100, c->client_args[0] ? "; client args " : "",
             c->client_args, c->runtime_args[0] ? "; runtime args " : "",
             c->runtime_args);

    /* Keep this run's traced profile: under logs/ for a person, and next
     * to a baseline being saved, for the next run's attribution. */
    profile[0] = '\0';
    if (cost.traced_file[0] != '\0') {
        const char *save = tb__config_env(TB__CONFIG_BASELINE_SAVE);
        tb_error cerr = {0};
        snprintf(profile, sizeof(profile), "%s/traced.cachegrind", dir);
        if (copy_file(cost.traced_file, profile, &cerr) != TB_OK)
            tb_log(TB_LOG_WARN, "cost", "%s", cerr.msg);
        if (save != NULL && save[0] != '\0') {
            char keep[1200];
            snprintf(keep, sizeof(keep), "%s.%s.cachegrind", save, rg->client);
            if (copy_file(cost.traced_file, keep, &cerr) != TB_OK)
                tb_log(TB_LOG_WARN, "cost", "%s", cerr.msg);
        }
    }
    tb__judge(rg, f, desc);

    /* Against a baseline that kept its profile: which functions grew. */
    if (f->has_baseline && f->baseline_verdict != TB_VERDICT_PASS &&
        rg->baseline_path[0] != '\0' && cost.traced_file[0] != '\0') {
        char before[1200], top[700];
        struct tb_growth g[TOP_FUNCTIONS];
        size_t n = 0;
        tb_error aerr = {0};
        snprintf(before, sizeof(before), "%s.%s.cachegrind", rg->baseline_path,
                 rg->client);
        if (tb_attribution_diff(before, cost.traced_file, g, TOP_FUNCTIONS, &n,
                                &aerr) != TB_OK) {
            snprintf(top, sizeof(top), "no attribution: %.600s", aerr.msg);
        } else {
            /* Both profiles are of runs of cost.spans spans: per span. */
            for (size_t i = 0; i < n; i++) {
                g[i].before /= (double)cost.spans;
                g[i].after /= (double)cost.spans;
            }
            tb_attribution_format(g, n, top, sizeof(top));
        }
        size_t len = strlen(f->message);
        snprintf(f->message + len, sizeof(f->message) - len,
                 "; grew most (instructions a span)%s: %s",
                 interpreted(rg->client) ? " (interpreter functions)" : "",
                 top);
    } else if (f->has_baseline && f->baseline_verdict != TB_VERDICT_PASS &&
               strcmp(cost.counter, "perf") == 0) {
        /* perf counts the whole process tree, not per function. */
        size_t len = strlen(f->message);
        snprintf(f->message + len, sizeof(f->message) - len,
                 "; no per-function attribution with perf: TB_COUNTER=valgrind "
                 "names the functions that grew");
    }
    return TB_OK;
}
