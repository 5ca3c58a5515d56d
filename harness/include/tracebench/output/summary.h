/* The end of a regression run: a table of every gate figure of the run,
 * logs/summary.md, logs/benchmarks.json (the format github-action-benchmark
 * charts: name, unit, value, range, extra) split again into
 * benchmarks-smaller.json and benchmarks-bigger.json (its
 * customSmallerIsBetter and customBiggerIsBetter tools: a figure with an
 * at-least limit, like throughput, is better bigger), logs/bmf.json (Bencher
 * Metric Format: {"<client> <figure>": {"<unit slug>": {"value",
 * "lower_value", "upper_value"}}}) and, on request, a baseline file. */
#ifndef TRACEBENCH_SUMMARY_H
#define TRACEBENCH_SUMMARY_H

#include <stdio.h>

#include "tracebench/util/err.h"

struct tb_summary_opts {
    const char *results_path; /* NULL: <log dir>/results.jsonl */
    const char *run_id;       /* lines of this run; NULL: every line */
    const char *md_path;      /* NULL: <log dir>/summary.md */
    const char *bench_path;   /* NULL: <log dir>/benchmarks.json */
    const char *smaller_path; /* NULL: benchmarks-smaller.json, bigger_path
                                 benchmarks-bigger.json and bmf_path
                                 bmf.json, in bench_path's folder */
    const char *bigger_path;
    const char *bmf_path;
    const char *baseline_out;   /* NULL: no baseline written */
    const char *client;         /* for the baseline */
    const char *profile;        /* for the baseline */
    const char *thresholds_dir; /* for its digest; NULL: <root>/thresholds */
};

/* Reads the run's gate lines and writes the table to console (may be NULL)
 * and the files. A malformed line is skipped with a warning naming its
 * line number. */
tb_err tb_summary_write(const struct tb_summary_opts *o, FILE *console,
                        tb_error *err);

#endif
