/* Reports: one self-contained HTML page from the regression suite's
 * results file (JSON lines) and the graphs present: per client, the gates
 * with figures, limits, intervals and verdicts, the baseline comparison
 * and the graphs inline. No JavaScript; everything printed is escaped. */
#ifndef TRACEBENCH_REPORT_H
#define TRACEBENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/util/err.h"

/* Told about each malformed or incomplete line (which is skipped), as
 * "<file>:<line>: <what>". */
typedef void (*tb_report_warn_fn)(const char *msg, void *arg);

struct tb_report_opts {
    const char *results_path; /* NULL: <log dir>/results.jsonl */
    const char *out_path;     /* NULL: <log dir>/report.html */
    const char *graphs_dir;   /* NULL: <root>/graphs; "": no graphs */
    bool link_graphs;         /* link PNGs by a path relative to the
                                 page instead of embedding them */
    tb_report_warn_fn warn;   /* NULL: tb_log warnings */
    void *warn_arg;
};

/* What went into the page. */
struct tb_report_summary {
    size_t lines;      /* lines read, blank ones too */
    size_t runs;       /* "run" records */
    size_t gates;      /* gate results shown (latest of each) */
    size_t superseded; /* older results of the same gate, hidden */
    size_t pass, fail, inconclusive; /* of the gates shown */
    size_t clients;
    size_t graphs;   /* PNGs shown */
    size_t warnings; /* lines skipped */
    size_t compared; /* figures in the "A vs B" section */
};

/* Reads the results and writes the page (through a temporary file, so a
 * reader never sees half of it). Records of unknown kinds and unknown
 * fields are ignored. A missing results file is TB_ERR_IO. summary may be
 * NULL; it is filled on TB_OK only. */
tb_err tb_report_write(const struct tb_report_opts *opts,
                       struct tb_report_summary *summary, tb_error *err);

#endif
