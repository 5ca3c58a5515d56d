/* History: the figures of many regression runs (one results file per
 * commit or release, in one folder), as a series per client and figure,
 * with the step changes in each series flagged.
 *
 * Step detection is a penalized piecewise-constant fit, the model asv
 * (airspeed velocity) uses for its regression detection: the series is cut
 * into segments, each costing the sum of |x - segment median| plus a
 * penalty per segment, and the cheapest cutting (found exactly, by dynamic
 * programming) gives the steps. The penalty scales with the series' noise,
 * estimated robustly from successive differences (so a step does not
 * inflate it) and from the figures' own intervals; a cut is reported only
 * when the medians on either side differ by more than three noise units.
 * Chosen over E-divisive because it works on the medians tracebench
 * already has, needs no permutation test (deterministic, fast) and is
 * robust to a single outlier run. */
#ifndef TRACEBENCH_HISTORY_H
#define TRACEBENCH_HISTORY_H

#include <stddef.h>
#include <stdio.h>

#include "tracebench/util/err.h"

/* Finds steps in x[0..n) (n <= 300; longer series: 0). halfwidth[i] (may be
 * NULL) is half the width of x[i]'s confidence interval, NaN when unknown.
 * Writes the index of the first point after each step to at[] (at most max_at)
 * and returns the number of steps found. */
size_t tb_history_steps(const double *x, const double *halfwidth, size_t n,
                        size_t *at, size_t max_at);

struct tb_history_opts {
    const char *dir;    /* results files, one per commit/release */
    const char *client; /* NULL: every client */
    const char *figure; /* NULL: every figure */
};

/* Reads every regular file in dir whose name does not start with '.',
 * ordered by name in version order (strverscmp: "v1.9" before "v1.10";
 * name files by commit date or release), takes each file's last line of
 * each client and figure, and prints per series: one line per file (label,
 * median, interval, verdict), then the steps found. *n_steps (may be
 * NULL) gets their number. TB_ERR_IO names an unreadable folder or file;
 * TB_ERR_INVALID_ARG when no figure matched. */
tb_err tb_history_write(const struct tb_history_opts *o, FILE *out,
                        size_t *n_steps, tb_error *err);

#endif
