/* The cost of a span in executed instructions: (traced - untraced) /
 * spans, from interleaved traced and untraced runs of the client with a
 * little work per span and no sleep, counted by a tb_counter. Unlike CPU
 * time, the count does not move with the machine's load; what still moves
 * it is the tracer's own timing (how many reports its timer sent while the
 * client ran) and, for JIT runtimes, compilation and GC. */
#ifndef TRACEBENCH_COST_H
#define TRACEBENCH_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "tracebench/measure/controller.h"
#include "tracebench/measure/counter.h"
#include "tracebench/util/err.h"

#define TB_COST_MAX_TRIALS 64
#define TB_COST_DEFAULT_SPANS 2000
#define TB_COST_DEFAULT_WORK 1000
#define TB_COST_DEFAULT_TRIALS 3

struct tb_cost_opts {
    tb_controller *controller;     /* the client; its calibration is unused */
    tb_satellites *satellites;     /* NULL: the tracer reports to nothing */
    tb_counter *counter;           /* not none */
    uint64_t spans;                /* per run; 0: TB_COST_DEFAULT_SPANS */
    uint64_t work;                 /* per span; 0: TB_COST_DEFAULT_WORK */
    unsigned trials;               /* per arm, 1-64; 0: 3 */
    double confidence;             /* 0: 0.95 */
    const char *const *extra_args; /* appended to the client's argv */
    /* after its first word, the runtime (Node's --predictable); NULL */
    const char *const *runtime_args;
    double timeout_s; /* per run; 0: 600 */
    /* Called with each run's result (and "traced-1" etc.), e.g. to record
     * it; NULL: none. */
    void (*on_run)(void *ctx, const char *step, const tb_result *r);
    /* From the second pair on, called with the figure and its interval
     * so far; true stops the measurement there (out->trials says how
     * many it took). NULL: all trials are run. */
    bool (*decided)(void *ctx, double per_span, double lo, double hi);
    void *ctx;
    /* Both, or neither: each trial's untraced arm then runs on
     * controller_b (the same client), counted by counter_b, at the same
     * time as its traced arm: a count of instructions does not depend on
     * what the other core is doing, and a pair of valgrind runs takes the
     * time of one. The untraced arm reports to no satellite. */
    tb_controller *controller_b;
    tb_counter *counter_b;
};

struct tb_cost {
    char client[64];
    char counter[16]; /* the backend that counted */
    unsigned trials;
    uint64_t spans, work;
    /* median(traced) - median(untraced), over spans; its bootstrap
     * interval (paired; the value itself with one trial). */
    double instructions_per_span, lo, hi, confidence;
    /* (max - min) / median of the per-pair costs: the spread. */
    double spread_rel;
    double traced_median, untraced_median; /* instructions a run */
    double cycles_per_span;                /* perf only; NAN otherwise */
    double traced[TB_COST_MAX_TRIALS], untraced[TB_COST_MAX_TRIALS];
    double wall_s; /* the whole measurement */
    /* The output files of the last traced and untraced run (valgrind; ""
     * for perf), for per-function attribution. */
    char traced_file[1024], untraced_file[1024];
};

/* For a valgrind counter, a second controller (the same client,
 * uncalibrated) and a second counter writing under <dir>/untraced, for
 * controller_b and counter_b; else both NULL and TB_OK. Caller frees
 * both. */
tb_err tb_cost_second_arm(const tb_controller *ctl, const tb_counter *counter,
                          const char *dir, tb_controller **ctl_b,
                          tb_counter **counter_b, tb_error *err);

/* Runs 2 x trials client runs, alternating traced and untraced (the order
 * flips each trial). TB_ERR_INVALID_ARG for a none counter. */
tb_err tb_cost_measure(const struct tb_cost_opts *o, struct tb_cost *out,
                       tb_error *err);

/* A JSON object: client, counter, spans, work, trials,
 * instructions_per_span, instructions_per_span_lo/_hi, confidence,
 * spread_rel, traced/untraced (per run), cycles_per_span (or null).
 * malloc'd; NULL when out of memory. */
char *tb_cost_to_json(const struct tb_cost *c);

#endif
