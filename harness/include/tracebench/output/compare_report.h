/* Writing a comparison (tracebench/gate/compare.h) out: a console table,
 * logs/summary.md, logs/benchmarks.json, JUnit XML and "compare" lines in
 * results.jsonl. */
#ifndef TRACEBENCH_COMPARE_REPORT_H
#define TRACEBENCH_COMPARE_REPORT_H

#include <stdio.h>

#include "tracebench/gate/compare.h"
#include "tracebench/util/err.h"

/* Writes the comparison as a Markdown table (path, e.g. logs/summary.md)
 * and JUnit XML (one test case per figure, failing when worse or error),
 * and appends one "compare" line per figure to results_path (NULL: the
 * default results file). */
tb_err tb_compare_write(const tb_compare_result *r, const char *results_path,
                        const char *markdown_path, const char *junit_path,
                        tb_error *err);

/* Writes path (e.g. logs/benchmarks.json, which holds the latest run's
 * figures, a regression's or a comparison's) in github-action-benchmark's
 * format: per figure "<A> <figure>" and "<B> <figure>" (the arms'
 * medians) and "<B> vs <A> <figure> (B - A)" with its interval as the
 * range and the verdict as extra. Figures without a value are left
 * out. */
tb_err tb_compare_write_benchmarks(const tb_compare_result *r, const char *path,
                                   tb_error *err);

/* Prints the table to f. */
void tb_compare_print(const tb_compare_result *r, FILE *f);

#endif
