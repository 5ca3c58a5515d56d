/* The positional form of results.h's writers, kept so code written before
 * the results module compiles unchanged. results.jsonl is written and read
 * by the results module only (tracebench/output/results.h); these call
 * it. New code: tb_results_add_*. */
#ifndef TRACEBENCH_RECORD_H
#define TRACEBENCH_RECORD_H

#include "tracebench/gate/compare.h"
#include "tracebench/output/results.h"

/* tb_results_default_path(). */
const char *tb_record_default_path(void);

/* tb_results_add_run with a run of {path, run_id, client, profile}. */
tb_err tb_record_run(const char *path, const char *run_id, const char *client,
                     const char *gate, const char *profile, const char *step,
                     const tb_result *r, tb_error *err);

/* tb_results_add_gate, without a thresholds digest. */
tb_err tb_record_gate(const char *path, const char *run_id, const char *client,
                      const char *profile, const struct tb_gate_outcome *o,
                      tb_error *err);

/* tb_results_add_gate_error, without a thresholds digest. */
tb_err tb_record_gate_error(const char *path, const char *run_id,
                            const char *client, const char *profile,
                            const char *gate, const char *message,
                            tb_error *err);

/* Appends a compare line for one figure of B against A ("kind":
 * "compare", client "A vs B"). */
tb_err tb_record_compare(const char *path, const tb_compare_result *r,
                         const char *profile, const struct tb_compare_figure *f,
                         tb_error *err);

/* Appends a gate line with no figure and the given verdict ("error",
 * "skipped") and message, so the summary lists it with its reason. */
tb_err tb_record_gate_status(const char *path, const char *run_id,
                             const char *client, const char *profile,
                             const char *gate, const char *verdict,
                             const char *message, tb_error *err);

#endif
