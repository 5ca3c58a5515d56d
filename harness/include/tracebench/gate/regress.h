/* Regression gates: the checks a tracer team runs before a release. Each
 * gate runs benchmarks with the parameters of the thresholds files, turns
 * them into figures with confidence intervals, and holds each figure to its
 * limit (and to a recorded baseline, when one is given). Every benchmark
 * and every verdict is appended to results.jsonl before the caller sees
 * the outcome, so nothing is lost when a gate fails. */
#ifndef TRACEBENCH_REGRESS_H
#define TRACEBENCH_REGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/util/err.h"
#include "tracebench/gate/thresholds.h"
#include "tracebench/gate/verdict.h"

typedef enum tb_gate {
    TB_GATE_MEMORY = 0,   /* RSS at the end of a long run vs a short one */
    TB_GATE_DROPS,        /* no span dropped at each rate */
    TB_GATE_CPU,          /* traced minus untraced CPU, interleaved trials */
    TB_GATE_THROUGHPUT,   /* rate reached with no drops under a CPU cap */
    TB_GATE_DUPLICATES,   /* no span received twice */
    TB_GATE_FLUSH,        /* every span delivered at exit */
    TB_GATE_OUTAGE,       /* satellites down mid-run and back */
    TB_GATE_SLOW,         /* slow satellites: memory bounded */
    TB_GATE_COST,         /* instructions per span, traced - untraced */
    TB_GATE__COUNT
} tb_gate;

#define TB_GATE_MAX_FIGURES 3

/* One figure of a gate and its verdict. */
struct tb_figure {
    char name[48];          /* "<gate>.<figure>", e.g. "cpu.overhead_points" */
    char unit[16];          /* "points", "ratio", "spans", "spans/s", ... */
    double median;          /* the figure */
    double lo, hi;          /* its interval; lo == hi for a single run */
    double confidence;      /* of the interval; 0 for a single run */
    size_t n;               /* trials */
    double limit;           /* NaN when only a baseline judges it */
    tb_bound bound;
    char limit_key[64];     /* "cpu.max_overhead_points" */
    char limit_source[256]; /* "thresholds/default.json" */
    tb_verdict verdict;     /* against the limit (and the baseline) */
    bool has_baseline;
    double baseline_median; /* the recorded figure */
    double baseline_limit;  /* what the figure was held to */
    tb_verdict baseline_verdict;
    char message[1024];     /* one line a person can act on */
};

struct tb_gate_outcome {
    tb_gate gate;
    size_t n_figures;
    struct tb_figure figures[TB_GATE_MAX_FIGURES];
    tb_verdict verdict;     /* the worst of the figures' */
};

typedef struct tb_regress tb_regress;

struct tb_regress_opts {
    const char *client;             /* a registered client; required */
    const char *thresholds_client;  /* whose thresholds/<name>.json to
                                       use; NULL: client's own */
    const char *profile;            /* "full" (NULL) or "quick" */
    const char *thresholds_dir;     /* NULL: <root>/thresholds */
    const char *registry_path;      /* NULL: <root>/clients/clients.json */
    const char *results_path;       /* NULL: <log dir>/results.jsonl */
    const char *baseline_path;      /* NULL: no baseline */
    const char *run_id;             /* NULL: $TB_RUN_ID, else made up */
    const char *const *extra_args;  /* appended to the client's argv */
    const char *const *client_env;  /* "K=V" set in the client's
                                       environment; NULL-terminated */
    /* Prints each gate as it starts and, at least every 10 s, the step
     * under way and the time left, on stderr (make regress sets it). */
    bool progress;
};

/* Loads thresholds and baseline, starts satellites on free ports and
 * creates (calibrates) the controller. TB_ERR_CLIENT_START when the
 * client's tracer is not installed here. *out: tb_regress_free. */
tb_err tb_regress_new(const struct tb_regress_opts *opts, tb_regress **out,
                      tb_error *err);
void tb_regress_free(tb_regress *rg);

/* Runs one gate. TB_OK means the gate ran (its verdict is in *out, whatever
 * it is); an error means it could not run (a client crash, say), and is
 * recorded in results.jsonl as verdict "error". */
tb_err tb_regress_gate(tb_regress *rg, tb_gate gate,
                       struct tb_gate_outcome *out, tb_error *err);

const tb_thresholds *tb_regress_thresholds(const tb_regress *rg);

/* "memory", "drops", ... Static strings. */
const char *tb_gate_name(tb_gate gate);
tb_err tb_gate_parse(const char *name, tb_gate *out, tb_error *err);

#endif
