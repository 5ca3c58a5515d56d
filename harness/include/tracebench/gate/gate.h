/* The gates' names and what a gate produces: figures, each with its
 * interval, limit and verdict. Its own header so that the writers of
 * results (output/) need not include the regression run (gate/regress.h),
 * and the run need not know how its outcome is written. */
#ifndef TRACEBENCH_GATE_H
#define TRACEBENCH_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/util/err.h"
#include "tracebench/gate/verdict.h"

typedef enum tb_gate {
    TB_GATE_MEMORY = 0, /* RSS at the end of a long run vs a short one */
    TB_GATE_DROPS,      /* no span dropped at each rate */
    TB_GATE_CPU,        /* traced minus untraced CPU, interleaved trials */
    TB_GATE_THROUGHPUT, /* rate reached with no drops under a CPU cap */
    TB_GATE_DUPLICATES, /* no span received twice */
    TB_GATE_FLUSH,      /* every span delivered at exit */
    TB_GATE_OUTAGE,     /* satellites down mid-run and back */
    TB_GATE_SLOW,       /* slow satellites: memory bounded */
    TB_GATE_COST,       /* instructions per span, traced - untraced */
    TB_GATE_LATENCY,    /* p99 of the tracer calls' time per span */
    TB_GATE__COUNT
} tb_gate;

#define TB_GATE_MAX_FIGURES 4

/* One figure of a gate and its verdict. */
struct tb_figure {
    char name[48];     /* "<gate>.<figure>", e.g. "cpu.overhead_points" */
    char unit[16];     /* "points", "ratio", "spans", "spans/s", ... */
    double median;     /* the figure */
    double lo, hi;     /* its interval; lo == hi for a single run */
    double confidence; /* of the interval; 0 for a single run */
    size_t n;          /* trials */
    double limit;      /* NaN when only a baseline judges it */
    tb_bound bound;
    char limit_key[64];     /* "cpu.max_overhead_points" */
    char limit_source[256]; /* "thresholds/default.json" */
    tb_verdict verdict;     /* against the limit (and the baseline) */
    bool has_baseline;
    double baseline_median; /* the recorded figure */
    double baseline_limit;  /* what the figure was held to */
    tb_verdict baseline_verdict;
    char message[1024]; /* one line a person can act on */
};

/* What a gate's outcome means for the build, after the known tracer
 * defects of the client's thresholds file ("known": {"flush": "..."}). */
typedef enum tb_gate_status {
    TB_GATE_PASSED = 0,
    TB_GATE_FAILED,
    TB_GATE_INCONCLUSIVE,  /* inside the noise after the gate's budget */
    TB_GATE_KNOWN_FAILURE, /* failed, as a declared defect of the tracer */
    TB_GATE_FIXED          /* declared as a defect, and passed: "fixed?" */
} tb_gate_status;

struct tb_gate_outcome {
    tb_gate gate;
    size_t n_figures;
    struct tb_figure figures[TB_GATE_MAX_FIGURES];
    tb_verdict verdict;    /* the worst of the figures' */
    tb_gate_status status; /* verdict, after the known defects */
    char known[256];       /* the declared defect; "" when none */
};

/* "pass", "fail", "inconclusive", "known failure", "fixed?". */
const char *tb_gate_status_name(tb_gate_status s);

/* Whether a status fails the build. A failure does; a known failure does
 * not; inconclusive and "fixed?" do only when strict (TB_STRICT=1, as CI
 * sets): an inconclusive gate proved nothing, and a known defect that
 * stopped failing must be taken off the list (or was never real). */
bool tb_gate_status_fails(tb_gate_status s, bool strict);

/* $TB_STRICT set to anything but "" or "0". */
bool tb_strict(void);

/* "memory", "drops", ... Static strings. */
const char *tb_gate_name(tb_gate gate);
tb_err tb_gate_parse(const char *name, tb_gate *out, tb_error *err);

#endif
