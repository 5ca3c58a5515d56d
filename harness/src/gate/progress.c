/* Progress of a regression run on stderr: each gate as it starts and, at
 * least every 10 s, the step under way and an estimate of the time left,
 * so a run of several minutes is never silent. A ticker thread prints;
 * the gate code only updates the state under the lock. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "regress_internal.h"

#define TICK_S 10.0
/* A run's cost beyond its runtime: start-up, the settling of the
 * satellites and the final flush; about 1.5 s for the Python clients. */
#define RUN_OVERHEAD_S 1.5

struct tb__progress {
    pthread_t th;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    int gate; /* -1: none yet */
    double gate_start_s;
    double plan_s;  /* this gate's planned seconds */
    double after_s; /* the gates after it, planned */
    char step[64];
    unsigned runs;
};

static double runs_s(double n, double runtime_s)
{
    return n * (runtime_s + RUN_OVERHEAD_S);
}

double tb__gate_plan_s(const tb_thresholds *t, tb_gate gate)
{
    switch (gate) {
    case TB_GATE_MEMORY:
        return runs_s(1, t->memory.short_runtime_s) +
               runs_s(1, t->memory.long_runtime_s);
    case TB_GATE_DROPS:
        return runs_s((double)t->drops.rates_sps.n, t->drops.runtime_s);
    case TB_GATE_CPU:
        return runs_s(2.0 * t->cpu.trials, t->cpu.runtime_s);
    case TB_GATE_THROUGHPUT:
        return runs_s(2.0 * (double)t->throughput.rates_sps.n,
                      t->throughput.runtime_s);
    case TB_GATE_DUPLICATES:
        return runs_s(1, t->duplicates.runtime_s);
    case TB_GATE_FLUSH:
        return runs_s(1, t->flush.runtime_s);
    case TB_GATE_OUTAGE:
        return runs_s(1, t->outage.runtime_s);
    case TB_GATE_SLOW:
        return runs_s(2, t->slow.runtime_s);
    default:
        return 0;
    }
}

static void say_left(struct tb__progress *p, const char *client, double now)
{
    double in_gate = now - p->gate_start_s;
    double left = fmax(0.0, p->plan_s - in_gate);

    if (p->plan_s <= 0) { /* a gate with no estimate here (cost) */
        fprintf(stderr,
                "regress %s: %s: %s, %.0f s in the gate, %.0f s "
                "for the gates after it\n",
                client, p->gate >= 0 ? tb_gate_name((tb_gate)p->gate) : "setup",
                p->step[0] ? p->step : "running", in_gate, p->after_s);
        return;
    }
    if (p->gate < 0) {
        fprintf(stderr, "regress %s: %s, %.0f s so far\n", client,
                p->step[0] ? p->step : "starting", in_gate);
        return;
    }
    fprintf(stderr,
            "regress %s: %s: %s (run %u), %.0f s in the gate, about %.0f s "
            "left in it, %.0f s for the gates after it\n",
            client, tb_gate_name((tb_gate)p->gate),
            p->step[0] ? p->step : "starting", p->runs, in_gate, left,
            p->after_s);
}

static void *ticker(void *arg)
{
    tb_regress *rg = arg;
    struct tb__progress *p = rg->progress;

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)TICK_S;
        if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) != 0 && !p->stop)
            say_left(p, rg->client, tb__now_s());
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

tb_err tb__progress_start(tb_regress *rg, tb_error *err)
{
    struct tb__progress *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->gate = -1;
    p->gate_start_s = tb__now_s();
    rg->progress = p;
    if (pthread_create(&p->th, NULL, ticker, rg) != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        rg->progress = NULL;
        return tb_error_set(err, TB_ERR_NOMEM,
                            "cannot start the progress thread");
    }
    return TB_OK;
}

void tb__progress_stop(tb_regress *rg)
{
    struct tb__progress *p = rg->progress;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->th, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
    rg->progress = NULL;
}

void tb__progress_gate(tb_regress *rg, tb_gate gate, const char *why)
{
    struct tb__progress *p = rg->progress;
    double after = 0;

    if (p == NULL)
        return;
    /* Criterion runs a suite's tests in the order of their names, and
     * suites/regression.c names each test after its gate. */
    for (int g = 0; g < TB_GATE__COUNT; g++)
        if (strcmp(tb_gate_name((tb_gate)g), tb_gate_name(gate)) > 0)
            after += tb__gate_plan_s(rg->t, (tb_gate)g);
    pthread_mutex_lock(&p->lock);
    p->gate = (int)gate;
    p->gate_start_s = tb__now_s();
    p->plan_s = tb__gate_plan_s(rg->t, gate);
    p->after_s = after;
    p->step[0] = '\0';
    p->runs = 0;
    fprintf(stderr,
            "regress %s: gate %s %s (%s profile; about %.0f s, then %.0f s "
            "for the gates after it)\n",
            rg->client, tb_gate_name(gate), why, rg->profile, p->plan_s, after);
    pthread_mutex_unlock(&p->lock);
}

void tb__progress_step(tb_regress *rg, const char *step, double runtime_s)
{
    struct tb__progress *p = rg->progress;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    snprintf(p->step, sizeof(p->step), "%s", step);
    if (runtime_s > 0)
        p->runs++; /* a client run, not calibration */
    /* Adaptive trials run past the plan: the estimate grows with them. */
    if (tb__now_s() - p->gate_start_s + runtime_s + RUN_OVERHEAD_S > p->plan_s)
        p->plan_s = tb__now_s() - p->gate_start_s + runtime_s + RUN_OVERHEAD_S;
    pthread_mutex_unlock(&p->lock);
}
