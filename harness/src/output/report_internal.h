/* The report's model: the latest gate result of each client, gate,
 * profile and figure, read from results.jsonl (report_read.c), and the
 * warnings met; rendered as HTML by report.c. Private to output/. */
#ifndef TB_REPORT_INTERNAL_H
#define TB_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"
#include "strbuf.h"
#include "tracebench/output/report.h"

/* One gate result, as the regression suite wrote it. Strings are owned. */
struct tb__report_gate {
    char *client, *gate, *profile, *figure, *time;
    char *limit_key, *limit_source, *verdict, *message;
    double median, lo, hi, n, limit; /* NAN when absent */
    bool has_baseline;
    double b_median, b_tolerance_rel; /* NAN when absent */
    char *b_verdict;
};

struct tb__report_client {
    char *name;
    size_t runs; /* "run" records of this client */
};

struct tb__report_model {
    struct tb__report_gate *gates;
    size_t n_gates, cap_gates;
    struct tb__report_client *clients;
    size_t n_clients, cap_clients;
    struct tb__buf warnings; /* one line per warning, not escaped */
    struct tb_report_summary sum;
};

/* Appends v as the report's tables show a figure: %.4g, a dash for NaN
 * (report.c). */
void tb__html_num(struct tb__buf *b, double v);

/* The "A vs B" section: the latest "compare" line of each pair of arms,
 * profile and figure in path, as a table and one chart per figure
 * (report_compare.c). Appends nothing when path holds no compare line;
 * returns how many figures it drew. Unreadable lines were already
 * warned about by tb__report_read. */
size_t tb__report_compare(struct tb__buf *b, const char *path);

/* Reads path into m (zeroed by the caller). */
tb_err tb__report_read(struct tb__report_model *m,
                       const struct tb_report_opts *o, const char *path,
                       tb_error *err);
void tb__report_model_free(struct tb__report_model *m);

/* Tells o's warn callback (or the log) and keeps the message for the
 * page: "<file>:<line>: <what>", or what alone when line is 0. */
void tb__report_warn(struct tb__report_model *m, const struct tb_report_opts *o,
                     const char *file, size_t line, const char *fmt, ...)
    TB_FORMAT(5, 6);

#endif
