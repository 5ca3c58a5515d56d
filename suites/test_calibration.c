/* Calibration and measurement accuracy, with the real C client. These tests
 * measure CPU, so ctest runs them alone (--jobs 1, RUN_SERIAL). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tracebench.h"

TestSuite(calibration, .timeout = 300);

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Calibrated at 0.7 and at 0.8, three untraced benchmarks of 5 s each,
 * interleaved: the step of 0.1 in the target must show as a step of
 * about 0.1 in the CPU measured. The two arms share this run's machine,
 * so a neighbour that slows it moves both alike; an absolute window of
 * +-0.03 around the target failed on this shared VM for that reason
 * (suites/bench/bench_calibration prints the absolute figures). The
 * absolute bound kept here, 0.10, is the calibration's own failure
 * bound. The runs' lengths only within 50% of the asked 5 s: how long
 * calibrated work takes moves with the machine's speed since calibrating,
 * even between two calibrations made a minute apart (a clean-clone CI
 * run read 4.40 s at 0.7 and 5.02 s at 0.8). One attempt: true when
 * both medians sit within 0.10 of their targets and the step is
 * 0.05-0.15; why not, in why. */
static bool follows(char *why, size_t size)
{
    const double targets[2] = {0.7, 0.8};
    struct tb_benchmark_opts bo = {.spans_per_second = 200, .runtime_s = 5};
    double cpu[2][3], clock[2][3];
    tb_controller *ctl[2];
    tb_error err = {0};
    bool ok = true;

    for (int k = 0; k < 2; k++) {
        struct tb_controller_opts o = {.client_name = "c",
                                       .control_port = 0,
                                       .target_cpu = targets[k],
                                       .recalibrate = true};
        cr_assert_eq(tb_controller_new(&o, &ctl[k], &err), TB_OK, "%s",
                     err.msg);
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            int k = (i + j) % 2; /* the order flips each round */
            tb_result *r;
            cr_assert_eq(tb_controller_benchmark(ctl[k], &bo, &r, &err), TB_OK,
                         "%s", err.msg);
            cpu[k][i] = r->cpu_usage;
            clock[k][i] = r->clock_time_s;
            tb_result_free(r);
        }
    why[0] = '\0';
    for (int k = 0; k < 2; k++) {
        qsort(cpu[k], 3, sizeof(double), cmp);
        qsort(clock[k], 3, sizeof(double), cmp);
        cr_log_info("target %.2f: cpu median %.4f (%.4f-%.4f), clock "
                    "median %.2f s",
                    targets[k], cpu[k][1], cpu[k][0], cpu[k][2], clock[k][1]);
        if (fabs(cpu[k][1] - targets[k]) > 0.10) {
            snprintf(why, size,
                     "median CPU %.4f is more than 0.10 off the target %.2f",
                     cpu[k][1], targets[k]);
            ok = false;
        }
        /* Only a gross error (a unit, a factor) against the clock: how
         * long calibrated work takes moves with the machine's speed
         * since calibrating (a clean-clone CI run read 5.54 s). */
        cr_expect(fabs(clock[k][1] - bo.runtime_s) <= 0.5 * bo.runtime_s,
                  "median clock %.2f s is not within 50%% of %.0f s",
                  clock[k][1], bo.runtime_s);
        tb_controller_free(ctl[k]);
    }
    double step = cpu[1][1] - cpu[0][1];
    if (ok && !(step >= 0.05 && step <= 0.15)) {
        snprintf(why, size,
                 "raising the target by 0.10 moved the median CPU by %.4f "
                 "(%.4f -> %.4f), not by 0.05-0.15",
                 step, cpu[0][1], cpu[1][1]);
        ok = false;
    }
    return ok;
}

/* Measured twice at most: on a host whose vCPU is descheduled for
 * stretches (2026-12-03: a CPU-bound loop took 1.2-2 x its CPU time in
 * wall time on an idle guest) the two calibrations a minute apart met
 * different machines, and two clean-clone CI runs read 0.7687 -> 0.7131
 * and 0.8422 -> 0.7625. A calibration that does not follow its target
 * fails both attempts; the first attempt's figures stay in the log. */
Test(calibration, untraced_cpu_follows_the_target)
{
    char why[256];

    if (follows(why, sizeof(why)))
        return;
    cr_log_warn("first attempt: %s; measuring again", why);
    cr_assert(follows(why, sizeof(why)), "%s (the first attempt failed too)",
              why);
}

Test(calibration, result_invariants)
{
    struct tb_controller_opts o = {.client_name = "c", .control_port = 0};
    struct tb_benchmark_opts bo = {.spans_per_second = 500, .runtime_s = 4};
    tb_controller *ctl;
    tb_result *r;
    tb_error err = {0};

    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_gt(r->spans_sent, 0);
    cr_assert_eq(r->spans_sent, r->repeat);
    cr_assert_gt(r->program_time_s, 0);
    cr_assert_gt(r->clock_time_s, r->program_time_s,
                 "a client sleeping 30%% of the time: clock > CPU");
    cr_assert_gt(r->spans_per_second, 0);
    cr_assert_float_eq(r->spans_per_second,
                       (double)r->spans_sent / r->clock_time_s, 1e-9);
    cr_assert_float_eq(r->cpu_usage, r->program_time_s / r->clock_time_s, 1e-9);
    cr_assert(r->cpu_usage > 0 && r->cpu_usage <= 1.0);
    /* One sample a second while the client ran. */
    cr_assert_geq((double)r->n_samples, floor(r->clock_time_s) - 1,
                  "%zu samples over %.2f s", r->n_samples, r->clock_time_s);
    cr_assert_leq((double)r->n_samples, ceil(r->clock_time_s),
                  "%zu samples over %.2f s", r->n_samples, r->clock_time_s);
    for (size_t i = 0; i < r->n_samples; i++) {
        cr_assert(r->cpu_list[i] >= 0 && r->cpu_list[i] <= 1.5,
                  "cpu_list[%zu] = %f", i, r->cpu_list[i]);
        cr_assert(r->memory_list[i] > 100 * 1024 &&
                      r->memory_list[i] <= r->peak_rss_bytes,
                  "memory_list[%zu] = %llu, peak %llu", i,
                  (unsigned long long)r->memory_list[i],
                  (unsigned long long)r->peak_rss_bytes);
    }
    cr_assert_not(r->has_satellites);
    char *json = tb_result_to_json(r);
    cr_assert_not_null(json);
    cr_assert(strstr(json, "\"spans_received\":null") != NULL, "%s", json);
    free(json);
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(calibration, cache_round_trip_and_expiry)
{
    struct tb_calibration c = {.target_cpu = 0.7,
                               .sleep_per_work_ns = 1.25,
                               .work_per_second = 4.5e8,
                               .last_cpu = 0.69,
                               .created = time(NULL) - 100};
    struct tb_calibration got;
    char path[] = "/tmp/tb-cal-XXXXXX";
    tb_error err = {0};
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(tb_calibration_save(path, &c, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_calibration_load(path, 3600, &got, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_float_eq(got.sleep_per_work_ns, 1.25, 1e-9);
    cr_assert_float_eq(got.work_per_second, 4.5e8, 1);
    cr_assert_eq(tb_calibration_load(path, 50, &got, &err), TB_ERR_IO,
                 "a 100 s old calibration is stale after 50 s");
    /* One made before calibration read the loop's window is not trusted. */
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"target_cpu\": 0.7, \"sleep_per_work_ns\": 1.25, "
          "\"work_per_second\": 4.5e8, \"last_cpu\": 0.69, "
          "\"created\": 1e12}",
          f);
    fclose(f);
    tb_error old = {0};
    cr_assert_eq(tb_calibration_load(path, -1, &got, &old), TB_ERR_IO);
    cr_assert(strstr(old.msg, "older tracebench") != NULL, "%s", old.msg);
    unlink(path);
}

/* The C client with the test aids of clients/c: --ignore_sleep 1 never
 * sleeps, as some benchmark clients never paced themselves;
 * --spans_per_repeat 3 makes three spans per unit of Repeat. */
static tb_client *aided_client(const char *aids)
{
    char cmd[1024];
    tb_client *c = NULL;
    tb_error err = {0};

    snprintf(cmd, sizeof(cmd), "%s/clients/c/tb-client-c --tracer datadog %s",
             tb_build_dir(), aids);
    cr_assert_eq(tb_client_from_command("c", cmd, &c, &err), TB_OK, "%s",
                 err.msg);
    return c;
}

/* Calibration sees the CPU stay put when Sleep changes and stops after
 * the second trial with a message that says what to do. */
Test(calibration, a_client_that_ignores_sleep_is_told_to_use_work_and_repeat)
{
    tb_client *c = aided_client("--ignore_sleep 1");
    /* A low target: the check needs the client's CPU without sleep
     * clearly above it, which a 70% target is not when neighbours leave
     * the client half a core (seen here at a load of 9 on 2 cores). */
    struct tb_controller_opts o = {
        .client = c, .control_port = 0, .target_cpu = 0.3, .recalibrate = true};
    tb_controller *ctl = NULL;
    tb_error err = {0};
    tb_err e = tb_controller_new(&o, &ctl, &err);

    tb_client_free(c);
    tb_controller_free(ctl);
    cr_assert_eq(e, TB_ERR_CALIBRATION, "got %s: %s", tb_err_name(e), err.msg);
    cr_assert(strstr(err.msg, "client c ignores Sleep: run it with --work "
                              "and --repeat") != NULL,
              "%s", err.msg);
}

/* Without calibration (tracebench run --work --repeat), a client that
 * ignores Sleep and makes three spans per repeat is counted exactly by
 * the satellites, and the result says it is uncalibrated. */
Test(calibration, fixed_work_counts_every_span_of_a_client_that_ignores_sleep)
{
    tb_client *c = aided_client("--ignore_sleep 1 --spans_per_repeat 3");
    struct tb_controller_opts o = {
        .client = c, .control_port = 0, .uncalibrated = true};
    uint16_t ports[1] = {0};
    struct tb_satellites_opts so = {.ports = ports, .n_ports = 1};
    tb_satellites *sats = NULL;
    tb_controller *ctl = NULL;
    tb_result *r = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    struct tb_benchmark_opts bo = {.satellites = sats,
                                   .trace = true,
                                   .spans_per_second = 100,
                                   .runtime_s = 30,
                                   .fixed_work = 1000,
                                   .fixed_repeat = 400};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_expect(r->uncalibrated, "the result is not marked uncalibrated");
    cr_expect_eq(r->spans_sent, 1200, "the client reported %llu spans",
                 (unsigned long long)r->spans_sent);
    cr_expect_eq(r->spans_received, 1200, "the satellites counted %llu",
                 (unsigned long long)r->spans_received);
    cr_expect_eq(r->dropped_spans, 0);
    char *json = tb_result_to_json(r);
    cr_expect(json != NULL && strstr(json, "\"uncalibrated\":true") != NULL,
              "%s", json ? json : "(null)");
    free(json);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_satellites_free(sats);
    tb_client_free(c);
}
