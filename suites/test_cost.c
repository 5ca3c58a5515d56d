/* Instructions per span with real clients (label e2e): the count grows
 * exactly linearly with the --burn_iters injector, and an injection of 2%
 * of the tracer's own cost is told apart from a clean run. Needs valgrind
 * (or hardware counters); skipped, saying why, without either. Counts do
 * not depend on the machine's load, so these tests hold on a busy host. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness/src/util/internal.h"
#include "common.h"

#define WORK 100

struct rig {
    uint64_t spans; /* a run */
    tb_controller *ctl;
    tb_satellites *sats;
    tb_counter *counter;
    char dir[128];
    /* The client's cost.client_args (thresholds/, quick), as the cost gate
     * passes them: e.g. python-cpp's report period. */
    char args[TB_THRESHOLDS_MAX_ARGS + 1];
    char rargs[TB_THRESHOLDS_MAX_ARGS + 1]; /* cost.runtime_args */
};

/* A controller for a registered client (no calibration), satellites on
 * free ports and a counter; skips when the client or a counter is
 * missing. */
static void rig_start_as(struct rig *r, const char *client, uint64_t spans,
                         const char *tag)
{
    struct tb_controller_opts co = {
        .client_name = client, .control_port = 0, .calibration = &tb_test_cal};
    uint16_t ports[TB_SATELLITE_DEFAULT_COUNT] = {0};
    struct tb_satellites_opts so = {.ports = ports,
                                    .n_ports = TB_SATELLITE_DEFAULT_COUNT};
    tb_registry *reg = NULL;
    const tb_client *cl;
    tb_error err = {0};

    memset(r, 0, sizeof(*r));
    r->spans = spans;
    cr_assert(eq(int, tb_registry_load(NULL, &reg, &err), TB_OK), "%s",
              err.msg);
    cl = tb_registry_find(reg, client, &err);
    cr_assert(not(zero(ptr, (void *)cl)), "%s", err.msg);
    tb_err ce = tb_client_check(cl, &err);
    if (ce != TB_OK) {
        tb_registry_free(reg);
        TB_TEST_SKIP_OR_FAIL(ce, err.msg, false);
    }
    tb_registry_free(reg);
    char tdir[512];
    tb_thresholds *t = NULL;
    snprintf(tdir, sizeof(tdir), "%s/thresholds", tb_root_dir());
    cr_assert(
        eq(int, tb_thresholds_load(tdir, client, "quick", &t, &err), TB_OK),
        "%s", err.msg);
    snprintf(r->args, sizeof(r->args), "%s", t->cost.client_args);
    snprintf(r->rargs, sizeof(r->rargs), "%s", t->cost.runtime_args);
    tb_thresholds_free(t);
    snprintf(r->dir, sizeof(r->dir), "/tmp/tb-cost-%d%s", (int)getpid(), tag);
    cr_assert(eq(int,
                 tb_counter_new(TB_COUNTER_AUTO, r->dir, &r->counter, &err),
                 TB_OK),
              "%s", err.msg);
    if (tb_counter_backend(r->counter) == TB_COUNTER_NONE)
        cr_skip_test("no instruction counter: no hardware counters and no "
                     "valgrind (install the Debian package valgrind)");
    cr_assert(eq(int, tb_satellites_start(&so, &r->sats, &err), TB_OK), "%s",
              err.msg);
    cr_assert(eq(int, tb_controller_new(&co, &r->ctl, &err), TB_OK), "%s",
              err.msg);
}

static void rig_start(struct rig *r, const char *client, uint64_t spans)
{
    rig_start_as(r, client, spans, "");
}

static void rig_stop(struct rig *r)
{
    tb_controller_free(r->ctl);
    tb_satellites_free(r->sats);
    tb_counter_free(r->counter);
    tb_test_rm_tree(r->dir);
}

/* One run with `--burn_iters iters`: its instructions, or its error. It
 * asserts nothing, so that it can run in a thread of its own. */
struct job {
    struct rig *r;
    bool trace;
    uint64_t iters;
    double n;
    tb_err e;
    tb_error err;
};

static void job_run(struct job *j)
{
    struct rig *r = j->r;
    char arg[32], words[sizeof(r->args)], rwords[sizeof(r->rargs)];
    const char *extra[16] = {"--burn_iters", arg}, *rt[16] = {NULL};
    size_t nw = 2, nr = 0;
    char *save = NULL;

    snprintf(words, sizeof(words), "%s", r->args);
    for (char *w = strtok_r(words, " ", &save); w != NULL && nw < 15;
         w = strtok_r(NULL, " ", &save))
        extra[nw++] = w;
    snprintf(rwords, sizeof(rwords), "%s", r->rargs);
    save = NULL;
    for (char *w = strtok_r(rwords, " ", &save); w != NULL && nr < 15;
         w = strtok_r(NULL, " ", &save))
        rt[nr++] = w;
    struct tb_benchmark_opts bo = {.satellites = r->sats,
                                   .trace = j->trace,
                                   .fixed_work = WORK,
                                   .fixed_repeat = r->spans,
                                   .timeout_s = 300,
                                   .extra_args = extra,
                                   .runtime_args = rt,
                                   .counter = r->counter,
                                   .counter_tag = j->trace ? "t" : "u"};
    tb_result *res = NULL;

    snprintf(arg, sizeof(arg), "%llu", (unsigned long long)j->iters);
    j->e = tb_controller_benchmark(r->ctl, &bo, &res, &j->err);
    if (j->e == TB_OK && !res->has_count)
        j->e = tb_error_set(&j->err, TB_ERR_IO, "no count");
    if (j->e == TB_OK && res->spans_sent != r->spans)
        j->e = tb_error_set(
            &j->err, TB_ERR_CLIENT_CRASHED, "made %llu spans of %llu",
            (unsigned long long)res->spans_sent, (unsigned long long)r->spans);
    j->n = res != NULL ? (double)res->instructions : NAN;
    tb_result_free(res);
}

static void job_fn(void *p)
{
    job_run(p);
}

static void job_check(const struct job *j)
{
    cr_assert(eq(int, j->e, TB_OK), "%s run, burn_iters %llu: %s",
              j->trace ? "traced" : "untraced", (unsigned long long)j->iters,
              j->err.msg);
}

/* Instructions of one run with `--burn_iters iters`. */
static double count(struct rig *r, bool trace, uint64_t iters)
{
    struct job j = {.r = r, .trace = trace, .iters = iters};

    job_run(&j);
    job_check(&j);
    return j.n;
}

/* Two runs at once, each on a rig of its own (its own satellites,
 * controller and counter): a count of instructions does not depend on
 * what the other core does, and a pair of valgrind runs of a Node client
 * (17-45 s each) then takes the time of one. */
static void count2(struct job *a, struct job *b)
{
    tb__both(job_fn, a, b);
    job_check(a);
    job_check(b);
}

Test(cost, c_grows_linearly_with_burn_iters, .timeout = 300)
{
    struct rig r;
    const uint64_t n = 2000;

    rig_start(&r, "c", 1000);
    double c0 = count(&r, true, 0), c1 = count(&r, true, n),
           c2 = count(&r, true, 2 * n);
    double d1 = c1 - c0, d2 = c2 - c0;
    cr_log_info("c: %.0f, %.0f, %.0f instructions at burn_iters 0, %llu, "
                "%llu: %.3f instructions an iteration; cost(2N) - cost(0) "
                "= %.4f x (cost(N) - cost(0))",
                c0, c1, c2, (unsigned long long)n, (unsigned long long)(2 * n),
                d1 / (double)(n * r.spans), d2 / d1);
    cr_assert(gt(dbl, d1, 0));
    cr_assert(lt(dbl, fabs(d2 - 2 * d1), 0.02 * 2 * d1),
              "cost(2N) - cost(0) = %.0f, 2 x (cost(N) - cost(0)) = %.0f", d2,
              2 * d1);
    rig_stop(&r);
}

/* The cost gate's early stop: tb_cost_measure asks its decided callback
 * from the second pair on and stops when it says so. */
static unsigned decided_calls;

static bool decided_on_third(void *ctx, double v, double lo, double hi)
{
    (void)ctx;
    decided_calls++;
    cr_assert(le(dbl, lo, v), "%f <= %f", lo, v);
    cr_assert(le(dbl, v, hi), "%f <= %f", v, hi);
    return decided_calls == 2; /* after pairs 2 and 3 */
}

Test(cost, measure_stops_when_the_figure_is_decided, .timeout = 300)
{
    struct rig r;
    struct tb_cost cost;
    tb_error err = {0};

    rig_start(&r, "c", 200);
    struct tb_cost_opts co = {.controller = r.ctl,
                              .satellites = r.sats,
                              .counter = r.counter,
                              .spans = r.spans,
                              .work = WORK,
                              .trials = 5,
                              .decided = decided_on_third};
    cr_assert(eq(int, tb_cost_measure(&co, &cost, &err), TB_OK), "%s", err.msg);
    cr_assert(eq(u32, decided_calls, 2));
    cr_assert(eq(u32, cost.trials, 3), "asked 5, decided after 3");
    cr_assert(gt(dbl, cost.instructions_per_span, 0));
    rig_stop(&r);
}

/* The perf backend through a real benchmark, with task-clock (ns of CPU)
 * standing in for the instructions this VM cannot count: the counter the
 * controller begins around a run counts the client, as the runner
 * measured it, and a traced run with --burn_iters more than an untraced
 * one. */
Test(cost, perf_backend_counts_a_benchmark, .timeout = 300)
{
    struct rig r;
    tb_counter *sw = NULL;
    tb_error err = {0};

    rig_start(&r, "c", 1000);
    if (tb__counter_new_perf_software(&sw, &err) != TB_OK) {
        rig_stop(&r);
        cr_skip_test("perf_event_open has no task-clock here: %s", err.msg);
    }
    tb_counter_free(r.counter);
    r.counter = sw;
    double v[2];
    for (int k = 0; k < 2; k++) {
        const char *extra[] = {"--burn_iters", k ? "1000000" : "0", NULL};
        struct tb_benchmark_opts bo = {.satellites = r.sats,
                                       .trace = k == 1,
                                       /* about 2 s of work: a run of
                                        * 0.2 s, mostly start-up, read
                                        * 0.251 s against 0.216 in CI */
                                       .fixed_work = 1000000,
                                       .fixed_repeat = r.spans,
                                       .timeout_s = 120,
                                       .extra_args = extra,
                                       .counter = r.counter,
                                       .counter_tag = k ? "t" : "u"};
        tb_result *res = NULL;
        cr_assert(
            eq(int, tb_controller_benchmark(r.ctl, &bo, &res, &err), TB_OK),
            "%s", err.msg);
        cr_assert(res->has_count);
        cr_assert(eq(str, res->counter, "perf"));
        v[k] = (double)res->instructions / 1e9;
        double cpu = res->program_time_s + res->stray_cpu_s;
        cr_log_info("%s: task-clock %.3f s, the runner's CPU %.3f s",
                    k ? "traced, burning" : "untraced", v[k], cpu);
        /* Two clocks (see test_counter): 25%, as there. */
        cr_assert(fabs(v[k] - cpu) <= 0.25 * cpu + 0.01, "%s: %.3f s vs %.3f s",
                  k ? "traced" : "untraced", v[k], cpu);
        tb_result_free(res);
    }
    cr_assert(gt(dbl, v[1], v[0] + 0.05), "%.3f s vs %.3f s", v[1], v[0]);
    rig_stop(&r);
}

/* k clean and k injected traced runs, the injection 2% of the tracer's
 * per-span cost (traced - untraced). An injection costs a + b x iters
 * instructions a span (a: entering the loop; b: an iteration), both
 * measured here from runs at I and 2I iterations, where the signal dwarfs
 * the noise (a only with `entry`: for Node it is below the runs' noise).
 * Detected: the bootstrap interval of the difference of medians excludes 0, and
 * its estimate is within a factor 2 of the injection (the tracer's timer-driven
 * reports move a python-cpp run by a few hundred instructions a span). */
static void detects(const char *client, double fraction, uint64_t spans,
                    unsigned k, uint64_t big, bool entry)
{
    struct rig r, r2;
    double clean[8], hot[8];
    tb_interval iv;
    tb_error err = {0};

    /* Two rigs, so that the runs go two at a time. */
    rig_start_as(&r, client, spans, "a");
    rig_start_as(&r2, client, spans, "b");
    struct job ju = {.r = &r}, j0 = {.r = &r2, .trace = true};
    struct job j1 = {.r = &r, .trace = true, .iters = big};
    struct job j2 = {.r = &r2, .trace = true, .iters = 2 * big};
    count2(&ju, &j0);
    count2(&j1, &j2);
    double untraced = ju.n, c0 = j0.n, c1 = j1.n, c2 = j2.n;
    /* The two steps (0 to I, I to 2I) cost the same when neither run
     * slipped. A Node run can: about one sizing run in six read 400-750 M
     * high (as if 3 instructions more an iteration, all run long; a
     * warm-up of the loop and an Int32Array for its state did not stop
     * it), and the injection came out half its size. A slip only adds
     * instructions, so the pair is run again (twice at most) and each level
     * keeps its lowest count. (With `entry` the first step carries the entry
     * cost too, and the steps differ by design.) */
    for (int again = 0;
         !entry && again < 2 &&
         fabs((c2 - c1) - (c1 - c0)) > 0.2 * fmax(c2 - c1, c1 - c0);
         again++) {
        cr_log_info("%s: sizing steps %.0f and %.0f differ by over 20%%: "
                    "once more",
                    client, c1 - c0, c2 - c1);
        count2(&j1, &j2);
        c1 = fmin(c1, j1.n);
        c2 = fmin(c2, j2.n);
    }
    double b = (c2 - c1) / (double)(big * spans);
    double a = entry ? fmax(0, (c1 - c0) / (double)spans - b * (double)big) : 0;
    cr_log_info("%s: sizing runs: untraced %.0f, traced %.0f, at %llu "
                "iterations %.0f, at %llu %.0f",
                client, untraced, c0, (unsigned long long)big, c1,
                (unsigned long long)(2 * big), c2);
    double tracer = (c0 - untraced) / (double)spans;
    double goal = fraction * tracer;
    uint64_t iters = goal > a + b ? (uint64_t)llround((goal - a) / b) : 1;
    double want = a + b * (double)iters;
    /* A clean and an injected run at once, the rigs swapping each time,
     * so that drift in the machine's speed (which moves the tracer's
     * timer-driven work) falls on both. */
    for (unsigned i = 0; i < k; i++) {
        struct job jc = {.r = i % 2 ? &r2 : &r, .trace = true};
        struct job jh = {.r = i % 2 ? &r : &r2, .trace = true, .iters = iters};
        count2(&jc, &jh);
        clean[i] = jc.n;
        hot[i] = jh.n;
    }
    for (unsigned i = 0; i < k; i++) {
        hot[i] /= (double)spans;
        clean[i] /= (double)spans;
    }
    struct tb_bootstrap_opts bo = {.seed = 1, .paired = true};
    cr_assert(
        eq(int,
           tb_stats_bootstrap_median_diff(hot, k, clean, k, &bo, &iv, &err),
           TB_OK),
        "%s", err.msg);
    cr_log_info("%s: tracer %.0f instructions/span; injection %.0f + %.2f "
                "an iteration, %llu iterations = %.0f (%.2f%%, asked %.0f%%); "
                "measured "
                "+%.0f (95%% CI %.0f to %.0f)",
                client, tracer, a, b, (unsigned long long)iters, want,
                100 * want / tracer, 100 * fraction, iv.estimate, iv.lo, iv.hi);
    /* An exact counter can give identical runs, and then no interval
     * (NaN): detected means every injected run above every clean one. */
    double hmin, cmax, hm, cm;
    tb_stats_min_max(hot, k, &hmin, NULL, NULL);
    tb_stats_min_max(clean, k, NULL, &cmax, NULL);
    tb_stats_median(hot, k, &hm, NULL);
    tb_stats_median(clean, k, &cm, NULL);
    bool no_interval = isnan(iv.lo) || isnan(iv.hi);
    double est = no_interval ? hm - cm : iv.estimate;
    cr_assert(no_interval ? hmin > cmax : iv.lo > 0,
              "%s: a %.0f%% injection (%.0f instructions a span) is not "
              "told apart: CI %.0f to %.0f, injected runs from %.0f, clean "
              "up to %.0f",
              client, 100 * fraction, want, iv.lo, iv.hi, hmin, cmax);
    cr_assert(est > 0.5 * want && est < 2 * want,
              "%s: measured +%.0f, injected %.0f", client, est, want);
    rig_stop(&r);
    rig_stop(&r2);
}

Test(cost, c_detects_two_percent, .timeout = 300)
{
    detects("c", 0.02, 1000, 2, 1000, true);
}

/* python-cpp, 2%: its cost runs report once, at Close()
 * (cost.client_args: --write_period_ms 600000) with a fixed hash seed (the
 * registry's PYTHONHASHSEED=0), and then repeat to about 0.05%: 2 pairs of
 * 1000 spans tell 2% apart. With the tracer's 200 ms reports a run's count
 * followed its wall time (a clean-clone CI run measured the tracer at
 * 413,700 instructions a span and could not tell 2% apart). */
Test(cost, python_cpp_detects_two_percent, .timeout = 300)
{
    detects("python-cpp", 0.02, 1000, 2, 100, true);
}

/* js-otel, 15%: with V8's --predictable (thresholds/js-otel.json:
 * cost.runtime_args, as the cost gate runs it) and the two runs of each
 * round at once: 10 Node runs of 3000 spans, under 2 minutes. A traced run
 * still moves by up to about 120 M instructions whatever its length: the
 * SDK's code takes branches on the time of day (addHrTimes' carry, for
 * one), so what V8 has seen when it compiles a function, and whether it
 * deoptimizes and compiles it again, differ from run to run (--trace-opt:
 * one run in three compiled addEvent, threw it away for "insufficient type
 * feedback" and compiled four more functions; cg_diff: 30-55 M in
 * TurboFan's passes). At 500 spans the 15% injection was 78 M, as much as
 * that, and one CI run in four failed; at 3000 it is about 260 M. The
 * injection is sized from runs of 40,000 and 80,000 iterations a span
 * (0.85 billion instructions apart). Entering the loop (a call, tens of
 * instructions) is below the noise, so its cost is taken as 0. */
Test(cost, js_otel_detects_fifteen_percent, .timeout = 900)
{
    detects("js-otel", 0.15, 3000, 3, 40000, false);
}
