/* The audit of the gates themselves: each gate run N times on the healthy
 * client (how often does it fail, or fail to decide, when nothing is
 * wrong?) and N times with an injected regression sized from the gate's
 * own limit (how often does it catch it?). Every gate run is recorded in
 * results.jsonl as usual; the audit's table also goes to a JSON file and
 * to one "audit" line of results.jsonl. */
#ifndef TRACEBENCH_AUDIT_H
#define TRACEBENCH_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "tracebench/gate/regress.h"
#include "tracebench/util/err.h"

#define TB_AUDIT_MAX_INJECTIONS 16

/* How one regression is injected, and how often the gate saw it. */
struct tb_audit_row {
    tb_gate gate;
    char figure[48];     /* the figure the injection targets */
    char injection[160]; /* "--burn_ns 450000" or "satellite fault ..." */
    char sizing[320];    /* how the size follows from the thresholds */
    bool injectable;     /* false: sizing says why not */
    bool alternative;    /* another stimulus for the previous row's
                            figure: the figure is proven when either
                            row is detected (tracers differ in what
                            makes them resend) */
    /* Healthy runs of the gate (shared by the rows of one gate). */
    unsigned healthy_runs, healthy_fail, healthy_inconclusive, healthy_error;
    /* Injected runs, judged on `figure` only. */
    unsigned injected_runs, detected, injected_inconclusive, injected_error;
};

struct tb_audit_report {
    char client[64];
    char profile[8];
    unsigned runs;
    double factor;          /* audit.injection_factor */
    double probe_rss_bytes; /* healthy traced RSS the leaks are sized on */
    /* The signal (SIGINT, SIGTERM, SIGHUP) that stopped the audit, or 0:
     * the counts are of the runs that finished before it. */
    int interrupted;
    size_t n_rows;
    struct tb_audit_row rows[TB_AUDIT_MAX_INJECTIONS];
};

struct tb_audit_opts {
    const char *client;               /* required */
    const char *profile;              /* "quick" (NULL) or "full" */
    unsigned runs;                    /* per arm; 0: 5 */
    const char *gates;                /* "cpu,drops"; NULL: every gate */
    const char *thresholds_dir;       /* NULL: <root>/thresholds */
    const char *results_path;         /* NULL: <log dir>/results.jsonl */
    const char *json_path;            /* NULL: <log dir>/audit-C-P.json */
    const char *satellite_connection; /* NULL: as tb_regress_opts */
    bool healthy_only;                /* skip the injected runs */
    bool injected_only;               /* skip the healthy runs (make check:
                                         regress-quick runs those) */
    FILE *progress;                   /* a line per gate run; NULL: none */
};

/* Runs the audit. TB_ERR_CLIENT_START when the client's tracer is not
 * installed. A gate run that errors is counted as an error, not a
 * failure, and the audit goes on. *out: free(). */
tb_err tb_audit_run(const struct tb_audit_opts *opts,
                    struct tb_audit_report **out, tb_error *err);

/* True when every injectable row's figure was detected in every run
 * (by one of its alternatives). */
bool tb_audit_all_detected(const struct tb_audit_report *r);

/* The table, one line per injection. */
void tb_audit_print(const struct tb_audit_report *r, FILE *f);

/* The report as a JSON object; malloc'd, the caller frees; NULL: no
 * memory. */
char *tb_audit_json(const struct tb_audit_report *r);

#endif
