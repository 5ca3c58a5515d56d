/* What the gate files share: the regression run's state, one recorded
 * benchmark, and the judging of a figure. Private to harness/src/gate. */
#ifndef TB_REGRESS_INTERNAL_H
#define TB_REGRESS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "tracebench.h"

#define BOOTSTRAP_SEED 20261129ULL /* fixed: same trials, same interval */

struct tb_regress {
    char client[64];
    char profile[8];
    char run_id[64];
    char results[1024];
    char baseline_path[1024];    /* "" when none */
    char thresholds_digest[512]; /* tb_results_thresholds_digest */
    tb_thresholds *t;
    tb_baseline *baseline;
    tb_satellites *sats;
    tb_client *client_def;           /* owned copy of the registry entry */
    tb_controller *ctl;              /* calibrated; NULL until first used */
    tb_controller *ctl_uncalibrated; /* for exact runs (cost) */
    char **extra;                    /* NULL-terminated, owned */
    struct tb__progress *progress;   /* NULL: silent */
    bool recalibrated;               /* the drift guard acts once a run */
    bool given_cal;                  /* opts.calibration: cal is used */
    struct tb_calibration cal;
    double untraced_cpu_points; /* the gate's untraced arm; NaN: none */
    /* What made this gate's runs unfit to judge (a traced run that made
     * fewer spans than asked, or whose satellites received nothing): the
     * gate then fails, naming it. Reset per gate. */
    char unfit[512];
    unsigned n_unfit;
};

/* Progress on stderr (progress.c): each gate as it starts, and a ticker
 * that prints the step and the time left at least every 10 s. */
tb_err tb__progress_start(tb_regress *rg, tb_error *err);
void tb__progress_stop(tb_regress *rg);
void tb__progress_gate(tb_regress *rg, tb_gate gate, const char *why);
void tb__progress_step(tb_regress *rg, const char *step, double runtime_s);
/* A gate's planned seconds from its thresholds, for the estimates. */
double tb__gate_plan_s(const tb_thresholds *t, tb_gate gate);
/* The fields every results line of this run shares. */
struct tb_results_run tb__regress_results_run(const tb_regress *rg);

/* One benchmark of a gate, recorded in results.jsonl before anyone looks
 * at it; mark_ns as in tb_benchmark_opts (0: none). *out: tb_result_free. */
tb_err tb__regress_bench_marked(tb_regress *rg, tb_gate gate, const char *step,
                                bool trace, double sps, double runtime_s,
                                uint64_t mark_ns, tb_result **out,
                                tb_error *err);
/* The same with every option of tb_benchmark_opts (deadline pacing);
 * satellites and the client's extra arguments are the run's. */
tb_err tb__regress_bench_with(tb_regress *rg, tb_gate gate, const char *step,
                              const struct tb_benchmark_opts *opts,
                              tb_result **out, tb_error *err);
tb_err tb__regress_bench(tb_regress *rg, tb_gate gate, const char *step,
                         bool trace, double sps, double runtime_s,
                         tb_result **out, tb_error *err);

/* The relative tolerance a baseline allows figure `name`, from the
 * thresholds' baseline section; NaN for a figure that has none. */
double tb__baseline_tolerance(const tb_thresholds *t, const char *name);
/* The bound a baseline holds the figure `name` to, or NAN without a
 * baseline figure or a tolerance for it. */
double tb__baseline_limit(const tb_regress *rg, const char *name,
                          tb_bound bound);

/* The client's controller, made on first use: calibrated (every gate
 * that runs at a rate) or not (the cost gate's exact runs). Borrowed. */
tb_err tb__regress_controller(tb_regress *rg, bool calibrated,
                              tb_controller **out, tb_error *err);

/* fail > inconclusive > pass. */
tb_verdict tb__verdict_worst(tb_verdict a, tb_verdict b);

/* snprintf for messages, which are cut at their buffer's end on purpose. */
void tb__say(char *buf, size_t size, const char *fmt, ...) TB_FORMAT(3, 4);

/* Adds a single-run figure to o (its interval is the value itself). */
struct tb_figure *tb__add_figure(struct tb_gate_outcome *o, const char *name,
                                 const char *unit, double value, double limit,
                                 tb_bound bound, const char *key);

/* Judges f against its limit and the baseline, and writes its message:
 * "<client>: <desc> (95% CI lo-hi) exceeds <limit> (<file>: <key>)". */
void tb__judge(const tb_regress *rg, struct tb_figure *f, const char *desc);

/* A count that must stay at or under a limit: dropped or duplicate spans. */
void tb__count_figure(tb_regress *rg, struct tb_gate_outcome *o,
                      const char *name, double value, double limit,
                      const char *key, const char *desc);

/* One function per gate, in gate_<name>.c. */
tb_err tb__gate_memory(tb_regress *rg, struct tb_gate_outcome *o,
                       tb_error *err);
tb_err tb__gate_drops(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err);
tb_err tb__gate_cpu(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err);
tb_err tb__gate_throughput(tb_regress *rg, struct tb_gate_outcome *o,
                           tb_error *err);
tb_err tb__gate_duplicates(tb_regress *rg, struct tb_gate_outcome *o,
                           tb_error *err);
tb_err tb__gate_flush(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err);
tb_err tb__gate_outage(tb_regress *rg, struct tb_gate_outcome *o,
                       tb_error *err);
tb_err tb__gate_slow(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err);
tb_err tb__gate_cost(tb_regress *rg, struct tb_gate_outcome *o, tb_error *err);
tb_err tb__gate_latency(tb_regress *rg, struct tb_gate_outcome *o,
                        tb_error *err);

#endif
