/* Sweeps: the order of a plan, and satellites going down and coming back
 * on schedule while a client runs. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "common.h"
#include "tracebench/measure/sweep.h"

TestSuite(sweep, .timeout = 60);

Test(sweep, rates_interleave_traced_and_untraced_within_each_trial)
{
    static const double rates[] = {100, 1000};
    tb_sweep *s;
    tb_error err = {0};
    /* trial 1: 100 u, 100 t, 1000 u, 1000 t; then trial 2 alike. */
    static const struct {
        double sps;
        bool trace;
        unsigned trial;
    } want[] = {{100, 0, 1}, {100, 1, 1}, {1000, 0, 1}, {1000, 1, 1},
                {100, 0, 2}, {100, 1, 2}, {1000, 0, 2}, {1000, 1, 2}};

    cr_assert_eq(tb_sweep_new(&s, &err), TB_OK);
    cr_assert_eq(tb_sweep_add_rates(s, rates, 2, 2, 5, true, true, 0, &err),
                 TB_OK, "%s", err.msg);
    cr_assert(eq(sz, s->n, 8));
    for (size_t i = 0; i < 8; i++) {
        cr_assert(s->points[i].step.sps == want[i].sps, "step %zu", i);
        cr_assert(eq(int, s->points[i].step.trace, want[i].trace));
        cr_assert(eq(uint, s->points[i].step.trial, want[i].trial));
        cr_assert_null(s->points[i].result);
        cr_assert(s->points[i].step.down_at_s < 0);
    }
    tb_sweep_free(s);
}

Test(sweep, bad_steps_are_rejected_and_add_nothing)
{
    static const double rates[] = {100, -5};
    struct tb_sweep_step up_first = {
        .sps = 10, .runtime_s = 5, .down_at_s = 3, .up_at_s = 2};
    tb_sweep *s;
    tb_error err = {0};

    cr_assert_eq(tb_sweep_new(&s, &err), TB_OK);
    cr_assert_eq(tb_sweep_add_rates(s, rates, 2, 1, 5, true, true, 0, &err),
                 TB_ERR_INVALID_ARG);
    cr_assert(eq(sz, s->n, 0), "all or nothing");
    tb_error_clear(&err);
    cr_assert_eq(tb_sweep_add(s, &up_first, &err), TB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "down before") != NULL, "%s", err.msg);
    tb_sweep_free(s);
}

Test(sweep, satellites_go_down_and_come_back_on_schedule)
{
    static const uint16_t any[1] = {0};
    struct tb_satellites_opts so = {.ports = any, .n_ports = 1};
    struct tb_sweep_step st = {.sps = 10,
                               .runtime_s = 3,
                               .trial = 1,
                               .down_at_s = 0.5,
                               .up_at_s = 1.5};
    tb_satellites *sats;
    tb_controller *ctl;
    tb_sweep *s;
    tb_error err = {0};

    /* A client that just lives 3 s: the schedule is what is tested. */
    TB_TEST_CONTROLLER(ctl, "sleeper", "/bin/sh -c 'sleep 2.5'");
    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_sweep_new(&s, &err), TB_OK);
    cr_assert_eq(tb_sweep_add(s, &st, &err), TB_OK, "%s", err.msg);
    st.down_at_s = 1;
    st.up_at_s = -1; /* never back: the sweep restarts them */
    cr_assert_eq(tb_sweep_add(s, &st, &err), TB_OK, "%s", err.msg);

    struct tb_sweep_run_opts ro = {.satellites = sats};
    cr_assert_eq(tb_sweep_run(s, ctl, &ro, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(s->points[0].status, TB_OK, "%s", s->points[0].message);
    /* Never early; late only within the run itself (no window of ours:
     * a busy machine may be late, but the schedule's order and its place
     * inside the client's own run are what matter). */
    double ran = s->points[0].result->clock_time_s;
    cr_assert(
        s->points[0].down_s >= 0.5 && s->points[0].down_s < s->points[0].up_s,
        "down at %g s, up at %g s", s->points[0].down_s, s->points[0].up_s);
    cr_assert(s->points[0].up_s >= 1.5 && s->points[0].up_s < ran,
              "up at %g s, in a run of %g s", s->points[0].up_s, ran);
    cr_assert(s->points[1].down_s >= 1 && s->points[1].up_s < 0);
    cr_assert(tb_satellites_all_running(sats),
              "running again after a step that left them down");
    tb_sweep_free(s);
    tb_satellites_free(sats);
    tb_controller_free(ctl);
}
