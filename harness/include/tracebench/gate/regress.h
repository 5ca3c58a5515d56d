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
#include "tracebench/gate/gate.h"

struct tb_calibration;

/* "pass", "fail", "inconclusive", "known failure", "fixed?". */
const char *tb_gate_status_name(tb_gate_status s);

/* tb_gate_status_fails and tb_strict: gate.h. */

typedef struct tb_regress tb_regress;

struct tb_regress_opts {
    const char *client;            /* a registered client; required */
    const char *thresholds_client; /* whose thresholds/<name>.json to
                                      use; NULL: client's own */
    const char *profile;           /* "full" (NULL) or "quick" */
    const char *thresholds_dir;    /* NULL: <root>/thresholds */
    const char *registry_path;     /* NULL: <root>/clients/clients.json */
    const char *results_path;      /* NULL: <log dir>/results.jsonl */
    const char *baseline_path;     /* NULL: no baseline */
    const char *run_id;            /* NULL: $TB_RUN_ID, else made up */
    const char *const *extra_args; /* appended to the client's argv */
    const char *const *client_env; /* "K=V" set in the client's
                                      environment; NULL-terminated */
    /* Prints each gate as it starts and, at least every 10 s, the step
     * under way and the time left, on stderr (make regress sets it). */
    bool progress;
    /* NULL: the cached calibration, else one measured. Else this one, as
     * it is (copied): a test of a machine whose speed has moved since. */
    const struct tb_calibration *calibration;
    const char *satellite_connection; /* "keep-alive" or "close"; NULL:
                                         $TB_SATELLITE_CONNECTION, else
                                         common.satellite_connection */
};

/* Loads thresholds and baseline, starts satellites on free ports and
 * creates (calibrates) the controller. TB_ERR_CLIENT_START when the
 * client's tracer is not installed here. *out: tb_regress_free. */
tb_err tb_regress_new(const struct tb_regress_opts *opts, tb_regress **out,
                      tb_error *err);
void tb_regress_free(tb_regress *rg);

/* Runs one gate. TB_OK means the gate ran (its verdict is in *out, whatever
 * it is); an error means it could not run (a client crash, say, or a
 * figure with no valid sample: never a NaN, 0 or inf verdict), and is
 * recorded in results.jsonl as verdict "error". A traced run that made
 * fewer spans than asked, or whose satellites received nothing, adds a
 * failed figure "<gate>.runs_fit" naming it. */
tb_err tb_regress_gate(tb_regress *rg, tb_gate gate,
                       struct tb_gate_outcome *out, tb_error *err);

const tb_thresholds *tb_regress_thresholds(const tb_regress *rg);

#endif
