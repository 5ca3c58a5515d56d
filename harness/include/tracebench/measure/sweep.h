/* Sweeps: a plan of benchmarks (rates x trials, traced and untraced, or
 * runs during which the satellites go away and come back), run one after
 * the other on one controller, with progress reported as they go. The
 * graphs are drawn from sweeps. */
#ifndef TRACEBENCH_SWEEP_H
#define TRACEBENCH_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/measure/controller.h"
#include "tracebench/util/err.h"
#include "tracebench/measure/result.h"
#include "tracebench/satellite/satellite.h"

/* One planned benchmark. */
struct tb_sweep_step {
    double sps;       /* spans per second asked for, > 0 */
    double runtime_s; /* seconds asked for, > 0 */
    bool trace;       /* the real tracer, else the no-op one */
    unsigned trial;   /* 1-based, for the raw data */
    unsigned group;   /* the caller's label (a scenario, ...) */
    double down_at_s; /* satellites shut down this far in, s;
                         < 0: never */
    double up_at_s;   /* and started again, s; < 0: never */
};

/* One benchmark as it ran. */
struct tb_sweep_point {
    struct tb_sweep_step step;    /* what was asked */
    tb_result *result;            /* owned by the sweep; NULL if not run */
    tb_err status;                /* TB_OK, or how the client failed (then
                                     result holds the partial figures) */
    char message[TB_ERRMSG_SIZE]; /* why, when status is not TB_OK */
    double down_s;                /* when the satellites really went down, s
                                     after the start; < 0: they did not */
    double up_s;                  /* when they really came back; < 0: not */
};

typedef struct tb_sweep {
    struct tb_sweep_point *points;
    size_t n;   /* points planned */
    size_t cap; /* points allocated */
} tb_sweep;

/* What a progress callback is told before each benchmark. */
struct tb_sweep_progress {
    size_t index;       /* 0-based number of the step about to run */
    size_t total;       /* steps in the sweep */
    const char *client; /* the controller's client; borrowed */
    const struct tb_sweep_step *step; /* borrowed for the call */
    double elapsed_s;                 /* since the sweep started */
    double eta_s; /* estimated seconds left, this step too */
};

typedef void (*tb_sweep_progress_fn)(const struct tb_sweep_progress *p,
                                     void *arg);

struct tb_sweep_run_opts {
    tb_satellites *satellites;     /* borrowed; NULL: no span counts, and no
                                      step may shut satellites down */
    tb_sweep_progress_fn progress; /* NULL: none */
    void *progress_arg;
};

/* An empty sweep. Caller frees with tb_sweep_free. */
tb_err tb_sweep_new(tb_sweep **out, tb_error *err);
void tb_sweep_free(tb_sweep *s);

/* Appends one step (copied). */
tb_err tb_sweep_add(tb_sweep *s, const struct tb_sweep_step *step,
                    tb_error *err);

/* Appends rates x trials steps of runtime_s each. Trials are the outer
 * loop and each rate runs untraced then traced (as asked), so that a
 * machine slowing down during a long sweep disturbs every rate and both
 * sides alike instead of one end of the graph. */
tb_err tb_sweep_add_rates(tb_sweep *s, const double *rates, size_t n_rates,
                          unsigned trials, double runtime_s, bool untraced,
                          bool traced, unsigned group, tb_error *err);

/* Runs every step that has not run yet, in order. A client that crashes
 * or times out is recorded in its point and the sweep goes on; any other
 * failure (the controller, the satellites) stops it with that error, the
 * points run so far kept. */
tb_err tb_sweep_run(tb_sweep *s, tb_controller *c,
                    const struct tb_sweep_run_opts *opts, tb_error *err);

#endif
