/* End to end, per registered client: the real tracer, real satellites on
 * loopback, exact span counts traced and untraced; every client exits in
 * time with no satellite listening; a missing tracer is reported by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "common.h"
#include "tracebench.h"

TestSuite(clients, .timeout = 600);

struct name {
    char s[32]; /* an array: parameters are copied into another process */
};

ParameterizedTestParameters(clients, exact_counts)
{
    static struct name names[] = {
        {"python"}, {"python-cpp"}, {"c"}, {"js"}, {"js-otel"}};
    return cr_make_param_array(struct name, names,
                               sizeof(names) / sizeof(names[0]));
}

/* A controller for a registered client, or a skip saying why not. */
static tb_controller *controller(const char *name)
{
    struct tb_controller_opts o = {.client_name = name, .control_port = 0};
    tb_registry *reg;
    tb_controller *ctl;
    tb_error err = {0};
    const tb_client *c;

    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    c = tb_registry_find(reg, name, &err);
    cr_assert_not_null(c, "%s", err.msg);
    tb_err e = tb_client_check(c, &err);
    if (e != TB_OK) {
        tb_registry_free(reg);
        TB_TEST_SKIP_OR_FAIL(e, err.msg, false);
    }
    tb_registry_free(reg);
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    return ctl;
}

/* The drops gate's limit for a client (quick profile). */
static uint64_t max_dropped(const char *client)
{
    char dir[1100];
    tb_thresholds *t;
    tb_error err = {0};
    uint64_t v;

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    cr_assert_eq(tb_thresholds_load(dir, client, "quick", &t, &err), TB_OK,
                 "%s", err.msg);
    v = t->drops.max_dropped;
    tb_thresholds_free(t);
    return v;
}

static tb_satellites *satellites(void)
{
    uint16_t ports[2] = {0, 0};
    struct tb_satellites_opts so = {.ports = ports, .n_ports = 2};
    tb_satellites *sats;
    tb_error err = {0};

    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s", err.msg);
    return sats;
}

ParameterizedTest(struct name *n, clients, exact_counts)
{
    tb_controller *ctl = controller(n->s);
    tb_satellites *sats = satellites();
    tb_error err = {0};
    tb_result *r;

    /* A mark half-way through: the client counts what it starts from
     * then, the satellites what arrives with a start time from then. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tb_benchmark_opts traced = {
        .satellites = sats,
        .trace = true,
        .spans_per_second = 300,
        .runtime_s = 3,
        .mark_unix_ns = (uint64_t)now.tv_sec * 1000000000u +
                        (uint64_t)now.tv_nsec + 1500000000u};
    cr_assert_eq(tb_controller_benchmark(ctl, &traced, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_log_info("%s traced: %llu sent, %llu received, %.1f%% CPU, after the "
                "mark %lld sent %llu received, made %.0f spans/s (%.0f over "
                "the wall time), steady CPU %.1f%%",
                n->s, (unsigned long long)r->spans_sent,
                (unsigned long long)r->spans_received, r->cpu_usage * 100,
                (long long)r->spans_sent_after_mark,
                (unsigned long long)r->spans_received_after_mark, r->made_sps,
                r->spans_per_second, r->steady_cpu * 100);
    cr_assert(r->spans_sent_reported, "%s reports what it made", n->s);
    cr_assert_eq(r->spans_sent, r->repeat, "the client made what it was told");
    cr_assert_eq(r->spans_received, r->spans_sent, "%s: every span arrives",
                 n->s);
    cr_assert_eq(r->duplicate_spans, 0);
    /* The limit is the drops gate's, from thresholds/ (drops.max_dropped),
     * not a number of this test's own. */
    cr_assert_leq(r->dropped_spans, (int64_t)max_dropped(n->s),
                  "%s: %lld dropped at 300 spans/s (drops.max_dropped)", n->s,
                  (long long)r->dropped_spans);
    cr_assert(r->spans_sent_after_mark > 0 &&
                  r->spans_sent_after_mark < (int64_t)r->spans_sent,
              "%s: the client counts the spans after the mark (%lld of "
              "%llu)",
              n->s, (long long)r->spans_sent_after_mark,
              (unsigned long long)r->spans_sent);
    /* Equal but for a span whose start straddles the mark: the client
     * reads its clock just before the tracer reads its own (the
     * JavaScript tracers' clocks may differ from it by a millisecond). */
    cr_assert(llabs((long long)r->spans_received_after_mark -
                    (long long)r->spans_sent_after_mark) <= 1,
              "%s: %llu received after the mark, %lld sent", n->s,
              (unsigned long long)r->spans_received_after_mark,
              (long long)r->spans_sent_after_mark);
    cr_assert(r->made_sps > r->spans_per_second,
              "%s: the pace from the spans' own start times (%.0f/s) leaves "
              "out start-up and flush, so it beats spans / wall time "
              "(%.0f/s)",
              n->s, r->made_sps, r->spans_per_second);
    /* The slow gate's figure (clients/PROTOCOL.md, "Loop overhead"): the
     * loop's time outside its work and its sleeps, within the run. */
    cr_assert(r->has_loop_overhead, "%s sends LoopOverheadNs", n->s);
    cr_assert(r->loop_overhead_s > 0 && r->loop_overhead_s < r->clock_time_s,
              "%s: loop overhead %.3f s in a %.3f s run", n->s,
              r->loop_overhead_s, r->clock_time_s);
    /* The loop's window (PROTOCOL.md, "Loop window"): inside the run, and
     * its CPU no more than the whole run's. */
    cr_assert(r->has_loop_window, "%s sends LoopCpuNs and LoopWallNs", n->s);
    cr_assert(r->loop_wall_s > 0 && r->loop_wall_s <= r->clock_time_s,
              "%s: a loop of %.3f s in a %.3f s run", n->s, r->loop_wall_s,
              r->clock_time_s);
    cr_assert(r->loop_cpu_s > 0 && r->loop_cpu_s <= r->program_time_s + 0.02,
              "%s: %.3f s of CPU in its loop, %.3f s in the run", n->s,
              r->loop_cpu_s, r->program_time_s);
    tb_result_free(r);

    struct tb_benchmark_opts untraced = traced;
    untraced.trace = false;
    cr_assert_eq(tb_controller_benchmark(ctl, &untraced, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_eq(r->spans_sent, r->repeat);
    cr_assert_eq(r->spans_received, 0, "%s: the no-op tracer sends nothing",
                 n->s);
    tb_result_free(r);
    tb_satellites_free(sats);
    tb_controller_free(ctl);
}

ParameterizedTestParameters(clients, no_satellite_listening)
{
    static struct name names[] = {
        {"python"}, {"python-cpp"}, {"c"}, {"js"}, {"js-otel"}};
    return cr_make_param_array(struct name, names,
                               sizeof(names) / sizeof(names[0]));
}

ParameterizedTest(struct name *n, clients, no_satellite_listening)
{
    tb_controller *ctl = controller(n->s);
    tb_satellites *sats = satellites();
    tb_error err = {0};
    tb_result *r = NULL;

    /* Ports the client is told about, with nothing listening there. */
    tb_satellites_shutdown(sats);
    struct tb_benchmark_opts bo = {.satellites = sats,
                                   .trace = true,
                                   .spans_per_second = 100,
                                   .runtime_s = 5};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    cr_assert_eq(e, TB_OK, "%s must exit before its timeout: %s", n->s,
                 err.msg);
    cr_log_info("%s with no satellite: took %.1f s", n->s, r->clock_time_s);
    cr_assert_eq(r->spans_received, 0);
    cr_assert_eq(r->dropped_spans, (int64_t)r->spans_sent,
                 "every span counts as dropped");
    tb_result_free(r);
    tb_satellites_free(sats);
    tb_controller_free(ctl);
}

/* Missing tracers: exit 3 and one line naming the package. */
static void missing(const char *name, const char *cmd, const char *package)
{
    tb_controller *ctl;
    tb_client *c;
    tb_result *r = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_client_from_command(name, cmd, &c, &err), TB_OK);
    struct tb_calibration cal = {
        .target_cpu = 0.7, .sleep_per_work_ns = 1, .work_per_second = 1e6};
    struct tb_controller_opts o = {
        .client = c, .control_port = 0, .calibration = &cal};
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    struct tb_benchmark_opts bo = {
        .trace = true, .spans_per_second = 100, .runtime_s = 1};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err),
                 TB_ERR_TRACER_MISSING, "%s", err.msg);
    cr_assert(strstr(err.msg, package) != NULL, "'%s' not named in: %s",
              package, err.msg);
    cr_assert(strstr(err.msg, "Traceback") == NULL, "no stack trace: %s",
              err.msg);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_client_free(c);
}

Test(clients, missing_py_zipkin_is_named)
{
    /* -S: no site-packages, so Debian's py_zipkin is out of sight. */
    missing("python",
            "/usr/bin/python3 -S clients/python/client.py "
            "--tracer zipkin",
            "python3-py-zipkin");
}

Test(clients, missing_datadog_extension_is_named)
{
    missing("python-cpp",
            "/usr/bin/python3 clients/python/client.py "
            "--tracer datadog --build_dir /nonexistent",
            "libdd-opentracing");
}
