/* results.jsonl: one JSON object per line, appended, for every benchmark
 * run ("kind": "run") and every gate figure ("kind": "gate"). The report,
 * the summary and the baselines are all made from it. */
#ifndef TRACEBENCH_RECORD_H
#define TRACEBENCH_RECORD_H

#include "tracebench/util/err.h"
#include "tracebench/gate/compare.h"
#include "tracebench/gate/regress.h"
#include "tracebench/measure/result.h"

/* <log dir>/results.jsonl. Borrowed static storage. */
const char *tb_record_default_path(void);

/* Appends a run line: client, gate, profile, run id, the parameters of the
 * gate step (a short label like "traced 500 sps") and the full result. */
tb_err tb_record_run(const char *path, const char *run_id, const char *client,
                     const char *gate, const char *profile, const char *step,
                     const tb_result *r, tb_error *err);

/* Appends one gate line per figure of the outcome. */
tb_err tb_record_gate(const char *path, const char *run_id,
                      const char *client, const char *profile,
                      const struct tb_gate_outcome *o, tb_error *err);

/* Appends a gate line with verdict "error" and the message. */
tb_err tb_record_gate_error(const char *path, const char *run_id,
                            const char *client, const char *profile,
                            const char *gate, const char *message,
                            tb_error *err);

/* Appends a compare line for one figure of B against A ("kind":
 * "compare", client "A vs B"). */
tb_err tb_record_compare(const char *path, const tb_compare_result *r,
                         const char *profile,
                         const struct tb_compare_figure *f, tb_error *err);

#endif
