/* Baselines: a run's figures recorded for pre-release gating. `make
 * baseline CLIENT=x` saves one; `make regress CLIENT=x BASELINE=file` loads
 * it and holds each new figure to the recorded one plus the relative
 * tolerance in the thresholds (see tb_verdict_relative).
 *
 * The file is JSON:
 *   {"format": 1, "client": "python-cpp", "profile": "full",
 *    "timestamp": "2024-05-01T12:00:00Z",
 *    "thresholds_digest": "9f2c...", (optional; tb_thresholds_digest)
 *    "tracer_version": "1.3.6",     (optional; where known)
 *    "figures": {"cpu.overhead_points":
 *                    {"median": 3.1, "lo": 2.7, "hi": 3.6, "n": 5}, ...}}
 * Figure names read "<gate>.<figure>"; lo and hi bound the confidence
 * interval (equal to the median for a single-run figure); n is the number
 * of trials. */
#ifndef TRACEBENCH_BASELINE_H
#define TRACEBENCH_BASELINE_H

#include <stddef.h>

#include "tracebench/util/err.h"

#define TB_BASELINE_NAME_SIZE 64
#define TB_BASELINE_FORMAT 1

typedef struct tb_baseline_figure {
    char name[TB_BASELINE_NAME_SIZE]; /* "cpu.overhead_points" */
    double median;                    /* in the figure's unit */
    double lo;                        /* interval bound, same unit */
    double hi;                        /* interval bound, same unit */
    size_t n;                         /* trials, >= 1 */
} tb_baseline_figure;

typedef struct tb_baseline {
    char client[TB_BASELINE_NAME_SIZE];
    char profile[16];           /* thresholds profile of the run */
    char timestamp[32];         /* UTC, "2024-05-01T12:00:00Z" */
    char thresholds_digest[24]; /* of the thresholds the figures
                                 * were judged by; "" unknown */
    char tracer_version[64];    /* "" when unknown */
    size_t n_figures;
    tb_baseline_figure *figures; /* owned; in insertion order */
} tb_baseline;

/* An empty baseline for client and profile (both copied; non-empty, shorter
 * than their fields), stamped with the current UTC time. TB_ERR_INVALID_ARG,
 * TB_ERR_NOMEM. *out is owned by the caller: tb_baseline_free. */
tb_err tb_baseline_new(const char *client, const char *profile,
                       tb_baseline **out, tb_error *err);

/* Frees b; NULL is fine. */
void tb_baseline_free(tb_baseline *b);

/* Records a figure, replacing one of the same name. The name is copied.
 * TB_ERR_INVALID_ARG for an empty or too long name, a non-finite number,
 * lo > hi or n == 0; TB_ERR_NOMEM. b is unchanged on failure. */
tb_err tb_baseline_set(tb_baseline *b, const char *name, double median,
                       double lo, double hi, size_t n, tb_error *err);

/* The figure of that name, or NULL. Borrowed until b changes or is
 * freed. */
const tb_baseline_figure *tb_baseline_get(const tb_baseline *b,
                                          const char *name);

/* Writes b to path, through a temporary file renamed over it so a reader
 * never sees half a baseline. TB_ERR_IO names the path and the reason. */
tb_err tb_baseline_save(const tb_baseline *b, const char *path, tb_error *err);

/* Reads a baseline written by tb_baseline_save. A missing or unreadable
 * file is TB_ERR_IO ("baseline <path>: No such file or directory"): a
 * missing baseline must never pass silently. Malformed JSON, a wrong
 * format number, or a missing or bad field is TB_ERR_CONFIG naming the
 * path and the field. *out is owned by the caller: tb_baseline_free. */
tb_err tb_baseline_load(const char *path, tb_baseline **out, tb_error *err);

/* TB_OK when baseline b (read from path) was recorded for this client,
 * profile and thresholds digest (a baseline with no digest or version
 * is not held to it; tracer_version NULL or "": unknown here). Otherwise
 * TB_ERR_CONFIG naming both sides: a baseline of one client or profile
 * must never judge another's figures. */
tb_err tb_baseline_check(const tb_baseline *b, const char *path,
                         const char *client, const char *profile,
                         const char *thresholds_digest,
                         const char *tracer_version, tb_error *err);

#endif
