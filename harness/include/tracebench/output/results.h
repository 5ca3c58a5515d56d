/* results.jsonl: one JSON object per line, appended, for every benchmark
 * run ("kind": "run") and every gate figure ("kind": "gate"). This module
 * alone writes and reads it; the summary, the report, the baselines made
 * from a run, merge and history all read it through tb_results_read.
 *
 * Every line carries "kind", "time" (UTC), "run" (the run id), "client",
 * "gate" and "profile". Gate lines add the figure ("figure", "unit",
 * "median", "lo", "hi", "n", "confidence"), its limit ("limit", "bound",
 * "limit_key", "limit_source"), "verdict", "message", an optional
 * "baseline" object, and "thresholds": the digest of the thresholds files
 * the run was held to (see tb_results_thresholds_digest). Readers ignore
 * fields and kinds they do not know, so lines may grow. */
#ifndef TRACEBENCH_RESULTS_H
#define TRACEBENCH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tracebench/util/err.h"
#include "tracebench/gate/gate.h"
#include "tracebench/measure/result.h"

/* <log dir>/results.jsonl. Borrowed static storage. */
const char *tb_results_default_path(void);

/* --- Writing ------------------------------------------------------------ */

/* What every line of one regression run shares. Borrowed strings. */
struct tb_results_run {
    const char *path;   /* NULL: tb_results_default_path() */
    const char *run_id; /* groups the run's lines; NULL: "" */
    const char *client;
    const char *profile;    /* "full" or "quick" */
    const char *thresholds; /* digest of the thresholds files; NULL or
                               "": not written */
};

/* Appends a run line: the gate, the parameters of the gate step (a short
 * label like "traced 500 sps") and every field of the result. Each line
 * is one write() on an O_APPEND descriptor, so lines from several
 * processes (Criterion runs each test in its own) never interleave. */
tb_err tb_results_add_run(const struct tb_results_run *run, const char *gate,
                          const char *step, const tb_result *r, tb_error *err);

/* Appends one gate line per figure of the outcome. */
tb_err tb_results_add_gate(const struct tb_results_run *run,
                           const struct tb_gate_outcome *o, tb_error *err);

/* Appends a gate line with verdict "error" and the message. */
tb_err tb_results_add_gate_error(const struct tb_results_run *run,
                                 const char *gate, const char *message,
                                 tb_error *err);

/* Appends a gate line with no figure and the given verdict ("error",
 * "skipped") and message, so the summary lists it with its reason. */
tb_err tb_results_add_gate_status(const struct tb_results_run *run,
                                  const char *gate, const char *verdict,
                                  const char *message, tb_error *err);

/* Appends a line exactly as read (tb_results_line_text): merge copies the
 * shards' lines with it. */
tb_err tb_results_add_text(const char *path, const char *line, tb_error *err);

/* Replaces path with lines (whole lines, each ending in '\n'), through a
 * temporary file renamed over it: merge writes its merged file with it. */
tb_err tb_results_replace(const char *path, const char *lines, tb_error *err);

/* The digest of the thresholds files in dir: "<file>=<16 hex digits of
 * FNV-1a 64>" for every *.json there, sorted by name, joined by spaces.
 * Shards whose digests differ were held to different limits; the digest
 * names the file that differs. TB_ERR_IO names the folder. */
tb_err tb_results_thresholds_digest(const char *dir, char *out, size_t size,
                                    tb_error *err);

/* Prints each figure of the outcome as a ctest measurement,
 * <CTestMeasurement type="numeric/double" name="<client> <figure>">median
 * </CTestMeasurement>, which ctest keeps in Test.xml for CDash. Figures
 * without a median print nothing. */
void tb_results_print_ctest(FILE *out, const char *client,
                            const struct tb_gate_outcome *o);

/* --- Reading ------------------------------------------------------------ */

/* One line of the file, parsed. Borrowed by the callback only. */
typedef struct tb_results_line tb_results_line;

/* A string field, or NULL when absent or not a string. "a.b" reads field
 * b of object a ("baseline.verdict"). */
const char *tb_results_str(const tb_results_line *l, const char *key);

/* A number field, or NaN when absent, null or not a number. */
double tb_results_num(const tb_results_line *l, const char *key);

/* True when the field is there, whatever its type (null too). */
bool tb_results_has(const tb_results_line *l, const char *key);

/* The line as it was in the file, without its newline; its number (from
 * 1). */
const char *tb_results_line_text(const tb_results_line *l);
size_t tb_results_line_number(const tb_results_line *l);

/* Called for each line that is a JSON object, in file order. A non-TB_OK
 * return stops the reading and is returned. */
typedef tb_err (*tb_results_line_fn)(const tb_results_line *l, void *arg,
                                     tb_error *err);

/* Called for each line that is not blank and not a JSON object: the file,
 * the line number and "not a JSON object". The line is skipped. */
typedef void (*tb_results_skip_fn)(const char *path, size_t lineno,
                                   const char *what, void *arg);

/* Reads path line by line. *lines (may be NULL) gets the number of lines
 * read, blank ones too. A missing file is TB_ERR_IO naming it. */
tb_err tb_results_read(const char *path, tb_results_line_fn on_line,
                       tb_results_skip_fn on_skip, void *arg, size_t *lines,
                       tb_error *err);

/* The run id of the last gate line of path, copied into out ("" when
 * none): the latest run of a shard. */
tb_err tb_results_last_run(const char *path, char *out, size_t size,
                           tb_error *err);

#endif
