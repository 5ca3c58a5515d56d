/* Sweeps: benchmarks run in a planned order, with the satellites shut down
 * and restarted on schedule by a timer thread while a client runs. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "tracebench/util/log.h"
#include "tracebench/measure/sweep.h"

/* A step's estimated cost before any has run: its runtime plus start-up
 * and the satellites' settling time. */
#define STEP_OVERHEAD_S 1.5

tb_err tb_sweep_new(tb_sweep **out, tb_error *err)
{
    tb_sweep *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    *out = s;
    return TB_OK;
}

void tb_sweep_free(tb_sweep *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        tb_result_free(s->points[i].result);
    free(s->points);
    free(s);
}

tb_err tb_sweep_add(tb_sweep *s, const struct tb_sweep_step *step,
                    tb_error *err)
{
    struct tb_sweep_point *pt;

    if (!(step->sps > 0) || !(step->runtime_s > 0) || isinf(step->sps) ||
        isinf(step->runtime_s))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "a sweep step needs spans/s and runtime > 0, "
                            "not %g and %g",
                            step->sps, step->runtime_s);
    if (step->up_at_s >= 0 &&
        (step->down_at_s < 0 || step->up_at_s <= step->down_at_s))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "satellites must go down before they come back "
                            "(down at %g s, up at %g s)",
                            step->down_at_s, step->up_at_s);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        pt = realloc(s->points, cap * sizeof(*pt));
        if (pt == NULL)
            return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        s->points = pt;
        s->cap = cap;
    }
    pt = &s->points[s->n++];
    memset(pt, 0, sizeof(*pt));
    pt->step = *step;
    pt->down_s = pt->up_s = -1;
    return TB_OK;
}

tb_err tb_sweep_add_rates(tb_sweep *s, const double *rates, size_t n_rates,
                          unsigned trials, double runtime_s, bool untraced,
                          bool traced, unsigned group, tb_error *err)
{
    size_t before = s->n;
    tb_err e = TB_OK;

    if (n_rates == 0 || trials == 0 || (!untraced && !traced))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "a sweep needs rates, trials and a side to run");
    for (unsigned t = 1; t <= trials && e == TB_OK; t++)
        for (size_t i = 0; i < n_rates && e == TB_OK; i++)
            for (int side = 0; side < 2 && e == TB_OK; side++) {
                if ((side == 0 && !untraced) || (side == 1 && !traced))
                    continue;
                struct tb_sweep_step st = {.sps = rates[i],
                                           .runtime_s = runtime_s,
                                           .trace = side == 1,
                                           .trial = t,
                                           .group = group,
                                           .down_at_s = -1,
                                           .up_at_s = -1};
                e = tb_sweep_add(s, &st, err);
            }
    if (e != TB_OK)
        s->n = before; /* all or nothing */
    return e;
}

/* The timer thread of one step: down at down_at_s, up at up_at_s. */
struct schedule {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done; /* the benchmark is over: stop waiting */
    double t0; /* monotonic start of the benchmark, s */
    tb_satellites *sats;
    const struct tb_sweep_step *step;
    double down_s, up_s; /* what happened, s after t0; < 0: not */
};

/* Sleeps until t0 + at_s; false when the benchmark ended first. */
static bool wait_until(struct schedule *sc, double at_s)
{
    bool done;

    pthread_mutex_lock(&sc->lock);
    while (!sc->done) {
        double left = sc->t0 + at_s - tb__now_s();
        struct timespec ts;
        if (left <= 0)
            break;
        /* The condition variable waits on CLOCK_REALTIME; a short
         * realtime deadline, rechecked against the monotonic clock,
         * keeps a clock step from stretching the wait. */
        clock_gettime(CLOCK_REALTIME, &ts);
        left = fmin(left, 0.1);
        ts.tv_nsec += (long)(left * 1e9);
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
    }
    done = sc->done;
    pthread_mutex_unlock(&sc->lock);
    return !done;
}

static void *schedule_main(void *arg)
{
    struct schedule *sc = arg;

    if (!wait_until(sc, sc->step->down_at_s))
        return NULL;
    tb_satellites_shutdown(sc->sats);
    sc->down_s = tb__now_s() - sc->t0;
    tb_log(TB_LOG_INFO, "sweep", "satellites shut down at %.1f s", sc->down_s);
    if (sc->step->up_at_s < 0 || !wait_until(sc, sc->step->up_at_s))
        return NULL;
    tb_error e = {0};
    if (tb_satellites_restart(sc->sats, &e) != TB_OK) {
        tb_log(TB_LOG_ERROR, "sweep", "satellites could not restart: %s",
               e.msg);
        return NULL;
    }
    sc->up_s = tb__now_s() - sc->t0;
    tb_log(TB_LOG_INFO, "sweep", "satellites back at %.1f s", sc->up_s);
    return NULL;
}

static tb_err run_step(struct tb_sweep_point *pt, tb_controller *c,
                       tb_satellites *sats, tb_error *err)
{
    struct tb_benchmark_opts bo = {.satellites = sats,
                                   .trace = pt->step.trace,
                                   .spans_per_second = pt->step.sps,
                                   .runtime_s = pt->step.runtime_s};
    struct schedule sc = {
        .sats = sats, .step = &pt->step, .down_s = -1, .up_s = -1};
    bool timed = pt->step.down_at_s >= 0;
    tb_error berr = {0};
    pthread_t th;
    tb_err e;

    if (timed && sats == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "a step that shuts satellites down needs "
                            "satellites");
    if (sats != NULL && !tb_satellites_all_running(sats) &&
        (e = tb_satellites_restart(sats, err)) != TB_OK)
        return e;
    if (timed) {
        pthread_mutex_init(&sc.lock, NULL);
        pthread_cond_init(&sc.cond, NULL);
        sc.t0 = tb__now_s();
        if (pthread_create(&th, NULL, schedule_main, &sc) != 0) {
            pthread_cond_destroy(&sc.cond);
            pthread_mutex_destroy(&sc.lock);
            return tb_error_set(err, TB_ERR_NOMEM,
                                "cannot start the satellite timer thread");
        }
    }
    e = tb_controller_benchmark(c, &bo, &pt->result, &berr);
    if (timed) {
        pthread_mutex_lock(&sc.lock);
        sc.done = true;
        pthread_cond_signal(&sc.cond);
        pthread_mutex_unlock(&sc.lock);
        pthread_join(th, NULL);
        pthread_cond_destroy(&sc.cond);
        pthread_mutex_destroy(&sc.lock);
        pt->down_s = sc.down_s;
        pt->up_s = sc.up_s;
    }
    /* The next step starts with every satellite listening. */
    if (sats != NULL && !tb_satellites_all_running(sats)) {
        tb_error rerr = {0};
        if (tb_satellites_restart(sats, &rerr) != TB_OK && e == TB_OK)
            return tb_error_set(err, rerr.code, "%s", rerr.msg);
    }
    pt->status = e;
    if (e == TB_ERR_CLIENT_CRASHED || e == TB_ERR_CLIENT_TIMEOUT) {
        /* A measurement that failed is a result to show, not an error. */
        snprintf(pt->message, sizeof(pt->message), "%s", berr.msg);
        tb_log(TB_LOG_WARN, "sweep", "%.0f spans/s %s trial %u: %s",
               pt->step.sps, pt->step.trace ? "traced" : "untraced",
               pt->step.trial, berr.msg);
        return TB_OK;
    }
    if (e != TB_OK)
        return tb_error_set(err, berr.code, "%s", berr.msg);
    return TB_OK;
}

tb_err tb_sweep_run(tb_sweep *s, tb_controller *c,
                    const struct tb_sweep_run_opts *o, tb_error *err)
{
    double start = tb__now_s(), done_runtime_s = 0, left_runtime_s = 0;
    size_t left_steps = 0;
    tb_err e = TB_OK;

    for (size_t i = 0; i < s->n; i++)
        if (s->points[i].result == NULL) {
            left_runtime_s += s->points[i].step.runtime_s;
            left_steps++;
        }
    for (size_t i = 0; i < s->n && e == TB_OK; i++) {
        struct tb_sweep_point *pt = &s->points[i];
        if (pt->result != NULL)
            continue;
        if (o != NULL && o->progress != NULL) {
            double elapsed = tb__now_s() - start;
            /* Time left scales with the runtime left, at the rate of
             * wall seconds per runtime second seen so far. */
            double per = done_runtime_s > 0 ? elapsed / done_runtime_s : 0;
            struct tb_sweep_progress p = {
                .index = i,
                .total = s->n,
                .step = &pt->step,
                .client = tb_client_name(tb_controller_client(c)),
                .elapsed_s = elapsed,
                .eta_s = per > 0 ? per * left_runtime_s
                                 : left_runtime_s +
                                       STEP_OVERHEAD_S * (double)left_steps};
            o->progress(&p, o->progress_arg);
        }
        e = run_step(pt, c, o != NULL ? o->satellites : NULL, err);
        done_runtime_s += pt->step.runtime_s;
        left_runtime_s -= pt->step.runtime_s;
        left_steps--;
    }
    return e;
}
