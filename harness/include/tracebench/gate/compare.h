/* Compare: two versions of a tracer (two clients, or one client with other
 * arguments or environment) measured in one run, gate by gate, their runs
 * interleaved A B B A ..., so that a drift of the machine falls on both
 * alike. Each figure is reported as B against A, with an interval over the
 * rounds, and judged with the thresholds' baseline tolerances:
 *
 *   better        the whole interval of B - A is better than the tolerance
 *   same          the whole interval lies within the tolerance
 *   worse         the whole interval is worse than the tolerance
 *   inconclusive  otherwise, after the adaptive rounds were spent
 *
 * A round runs the gate once on each arm (tb_regress_gate); every run and
 * every gate line is recorded in results.jsonl under run ids "<id>-A" and
 * "<id>-B", and each compared figure under "<id>" with kind "compare". */
#ifndef TRACEBENCH_COMPARE_H
#define TRACEBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/gate/regress.h"
#include "tracebench/gate/verdict.h"
#include "tracebench/util/err.h"

typedef enum tb_compare_verdict {
    TB_COMPARE_SAME = 0,
    TB_COMPARE_BETTER,
    TB_COMPARE_WORSE,
    TB_COMPARE_INCONCLUSIVE,
    TB_COMPARE_ERROR /* the gate could not run on an arm */
} tb_compare_verdict;

/* One arm: a registered client (or variant), with optional extra argv and
 * environment ("K=V") on top of its registry entry. */
struct tb_compare_arm {
    const char *client;            /* required */
    const char *const *extra_args; /* NULL-terminated or NULL */
    const char *const *env;        /* "K=V", NULL-terminated or NULL */
};

struct tb_compare_opts {
    struct tb_compare_arm a, b;
    const char *profile;  /* "full" (NULL) or "quick" */
    const tb_gate *gates; /* NULL: every gate */
    size_t n_gates;
    const char *thresholds_dir; /* NULL: <root>/thresholds */
    const char *registry_path;  /* NULL: <root>/clients/clients.json */
    const char *results_path;   /* NULL: <log dir>/results.jsonl */
    const char *run_id;         /* NULL: $TB_RUN_ID, else made up */
    /* Called with a line of progress ("cpu: round 2 of 2, B"); may be
     * NULL. */
    void (*progress)(void *ctx, const char *line);
    void *ctx;
};

/* One figure of one gate, B against A. */
struct tb_compare_figure {
    tb_gate gate;
    char name[48];             /* as the gate names it: "cpu.overhead_points" */
    char unit[16];             /* the figure's own unit */
    tb_bound bound;            /* which way is better, as for its limit */
    size_t rounds;             /* paired runs behind the interval */
    double a_median, b_median; /* medians over the rounds */
    double diff;               /* median of the paired B - A */
    double lo, hi;             /* its interval; lo == hi for one round */
    double ratio;              /* b_median / a_median; NaN when a is 0 */
    double allowed;            /* worsening allowed, in the figure's unit */
    char tolerance[96];        /* where the allowance comes from */
    tb_compare_verdict verdict;
    char message[512]; /* one line a person can act on */
};

typedef struct tb_compare_result {
    char run_id[64];
    char profile[8];   /* "full" or "quick" */
    char a[64], b[64]; /* the arms' labels: client [+ args] */
    size_t n;
    struct tb_compare_figure *figures; /* owned */
} tb_compare_result;

/* The verdict for an interval [lo, hi] of B - A with `allowed` >= 0 units
 * of worsening: for an at-most figure (higher is worse) worse when
 * lo > allowed, better when hi < -allowed, same when the interval lies in
 * [-allowed, allowed]; mirrored for an at-least figure. NaN: inconclusive.
 * Pure; no I/O. */
tb_compare_verdict tb_compare_judge(double lo, double hi, double allowed,
                                    tb_bound bound);

/* Runs the comparison. Both arms' configuration errors (unknown client,
 * bad thresholds) are found before anything is measured. A gate that
 * cannot run on an arm makes its figures TB_COMPARE_ERROR and the rest go
 * on. *out: tb_compare_result_free. */
tb_err tb_compare_run(const struct tb_compare_opts *opts,
                      tb_compare_result **out, tb_error *err);

void tb_compare_result_free(tb_compare_result *r);

/* True when any figure is worse (or could not be measured). */
bool tb_compare_any_worse(const tb_compare_result *r);

/* "same", "better", "worse", "inconclusive", "error". Static storage. */
const char *tb_compare_verdict_name(tb_compare_verdict v);

#endif
