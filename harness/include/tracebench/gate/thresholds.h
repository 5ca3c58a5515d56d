/* Thresholds: every parameter and limit of the regression gates, read from
 * <dir>/default.json and overridden key by key by <dir>/<client>.json.
 *
 * Each file is a JSON object with an optional "description" string and up
 * to two profiles, "full" (the durations of LightStep's benchmark suite)
 * and "quick" (short runs for ctest); a profile maps gate names to objects
 * of keys:
 *
 *   {"description": "...",
 *    "full":  {"cpu": {"rate_sps": 500, "max_overhead_points": 10, ...},
 *              ...},
 *    "quick": {"description": "...", "cpu": {...}, ...}}
 *
 * default.json must set every key of both profiles; a client file sets
 * any subset, and a key it sets in "full" does not touch "quick". Every
 * key is listed, with its unit and range, in thresholds/README.md. Loading
 * checks both profiles of both files, so a bad file fails whichever
 * profile is asked for. */
#ifndef TRACEBENCH_THRESHOLDS_H
#define TRACEBENCH_THRESHOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracebench/util/err.h"

#define TB_THRESHOLDS_MAX_RATES 16
#define TB_THRESHOLDS_NAME_SIZE 64
#define TB_THRESHOLDS_MAX_KNOWN 8
#define TB_THRESHOLDS_MAX_ARGS 127 /* characters of cost.client_args */

/* A list of spans-per-second rates: positive and increasing. */
struct tb_rate_list {
    size_t n;                            /* 1 to TB_THRESHOLDS_MAX_RATES */
    double sps[TB_THRESHOLDS_MAX_RATES]; /* spans per second */
};

/* One profile of thresholds, merged. Members mirror the JSON keys; each
 * gate's part is a named struct, so a gate can hold a pointer to its own:
 * const struct tb_thresholds_cpu *c = &t->cpu. */
typedef struct tb_thresholds {
    char client[TB_THRESHOLDS_NAME_SIZE]; /* "" when none was given */
    char profile[8];                      /* "full" or "quick" */

    /* RSS at the end of a long vs a short run */
    struct tb_thresholds_memory {
        double rate_sps;        /* spans per second */
        double short_runtime_s; /* seconds */
        double long_runtime_s;  /* seconds, > short_runtime_s */
        double max_ratio;       /* long RSS / short RSS */
    } memory;
    /* no span dropped at each rate */
    struct tb_thresholds_drops {
        struct tb_rate_list rates_sps;
        double runtime_s;     /* seconds per rate */
        uint64_t max_dropped; /* spans per run */
    } drops;
    /* traced minus untraced CPU */
    struct tb_thresholds_cpu {
        double rate_sps;            /* spans per second */
        double runtime_s;           /* seconds per trial */
        unsigned trials;            /* per arm, interleaved, >= 2 */
        double max_overhead_points; /* percentage points of a core */
        double confidence;          /* of the interval, (0, 1) */
        unsigned max_trials;        /* adaptive budget per arm */
    } cpu;
    /* highest rate reached without drops */
    struct tb_thresholds_throughput {
        struct tb_rate_list rates_sps; /* stepped in order */
        double runtime_s;              /* seconds per rate */
        double min_sps;                /* spans per second to reach */
        double max_cpu;                /* fraction of a core */
        double min_made_fraction;      /* of the asked rate, (0, 1] */
        uint64_t max_dropped_per_step; /* spans per traced run */
        uint64_t max_trials;           /* pairs per step at most */
    } throughput;
    /* spans the satellites got twice */
    struct tb_thresholds_duplicates {
        double rate_sps;         /* spans per second */
        double runtime_s;        /* seconds */
        uint64_t max_duplicates; /* spans per run */
    } duplicates;
    /* every span delivered at exit */
    struct tb_thresholds_flush {
        double rate_sps;      /* spans per second */
        double runtime_s;     /* seconds */
        uint64_t max_dropped; /* spans per run */
    } flush;
    /* satellites down mid-run and back */
    struct tb_thresholds_outage {
        double rate_sps;                     /* spans per second */
        double runtime_s;                    /* seconds */
        double down_at_s;                    /* seconds after the start */
        double up_at_s;                      /* seconds after the start */
        double max_memory_ratio;             /* RSS while down / traced RSS */
        double min_delivered_after_fraction; /* of spans sent after up_at_s */
        double mark_after_up_s;              /* grace: spans started from
                                              * up_at_s + this must arrive */
    } outage;
    /* slow satellites */
    struct tb_thresholds_slow {
        char mode[16];            /* a satellite mode name */
        double rate_sps;          /* spans per second */
        double runtime_s;         /* seconds */
        double max_memory_ratio;  /* RSS / traced typical RSS */
        double response_delay_ms; /* per report, ms; 0: none */
        double min_rate_ratio;    /* spans/s made, slow / typical */
    } slow;
    /* instructions per span (valgrind/perf) */
    struct tb_thresholds_cost {
        double spans;                     /* spans a run, whole */
        double work;                      /* work units a span, whole */
        unsigned trials;                  /* per arm, interleaved, >= 2 */
        double max_instructions_per_span; /* traced - untraced, / spans */
        double confidence;                /* of the interval, (0, 1) */
        /* appended to the client's argv in the gate's runs, words split
         * at spaces; "" none */
        char client_args[TB_THRESHOLDS_MAX_ARGS + 1];
        /* put after the runtime (the client's first word: node) in the
         * gate's runs, words split at spaces; "" none */
        char runtime_args[TB_THRESHOLDS_MAX_ARGS + 1];
    } cost;
    /* tracer calls' latency per span */
    struct tb_thresholds_latency {
        double rate_sps;   /* spans per second */
        double runtime_s;  /* seconds per run */
        double max_p99_us; /* p99 of the traced run, us */
    } latency;
    /* allowed worsening against a baseline */
    struct tb_thresholds_baseline {
        double cpu_overhead_rel;        /* fraction, 0.2 = +20% */
        double cpu_overhead_abs_points; /* floor of the allowance */
        double memory_ratio_rel;        /* fraction */
        double peak_rss_rel;            /* fraction */
        double cost_rel;                /* instructions per span */
        double rate_ratio_rel;          /* slow.rate_ratio, fraction */
        double latency_rel;             /* latency figures, fraction */
    } baseline;
    /* tracebench compare A B */
    struct tb_thresholds_compare {
        unsigned rounds;     /* paired rounds per gate, >= 2 */
        unsigned max_rounds; /* adaptive ceiling, >= rounds */
    } compare;
    /* settings every gate shares */
    struct tb_thresholds_common {
        double target_cpu;             /* calibration target, (0, 1] */
        char satellite_mode[16];       /* for every gate but slow */
        double max_drift_points;       /* untraced arm off target */
        char satellite_connection[16]; /* "keep-alive" or "close" */
        double settle_quiet_s;         /* satellites counted once still
                                        * this long after a run */
        double settle_max_s;           /* ... or after this at most */
    } common;
    /* tracebench audit: injection sizes */
    struct tb_thresholds_audit {
        double injection_factor; /* x each gate's limit, > 1 */
    } audit;
    /* Known tracer defects: "known": {"<gate>": "reason"} in a client's
     * file, for both profiles. */
    size_t n_known;
    struct tb_thresholds_known {
        char gate[16];
        char reason[256];
        bool intermittent; /* fails in some runs only */
        double at_most;    /* the most the defect explains; NaN: any */
    } known[TB_THRESHOLDS_MAX_KNOWN];
} tb_thresholds;

/* Loads profile "full" or "quick" from <dir>/default.json, then merges
 * <dir>/<client>.json over it when that file exists (client may be NULL:
 * defaults only). Fails fast, writing nothing to *out:
 *   TB_ERR_CONFIG  a missing default.json; malformed JSON (with the line);
 *                  an unknown profile, gate or key; a wrong type; a value
 *                  out of range; a key default.json lacks; values that
 *                  contradict each other. The message names the file, the
 *                  key path ("full.cpu.max_overhead_points") and what was
 *                  expected.
 *   TB_ERR_INVALID_ARG  a profile other than "full"/"quick", a client name
 *                  that is empty or holds '/' or starts with '.'.
 *   TB_ERR_IO, TB_ERR_NOMEM.
 * On success *out is owned by the caller: tb_thresholds_free. */
tb_err tb_thresholds_load(const char *dir, const char *client,
                          const char *profile, tb_thresholds **out,
                          tb_error *err);

/* Frees t; NULL is fine. */
void tb_thresholds_free(tb_thresholds *t);

/* The file that set a key of the loaded profile, for failure messages:
 * tb_thresholds_source(t, "cpu.max_overhead_points") gives
 * "thresholds/python-cpp.json" or "thresholds/default.json". Paths under
 * the project root (tb_root_dir) are shown relative to it. NULL for an
 * unknown key. Borrowed until tb_thresholds_free. */
const char *tb_thresholds_source(const tb_thresholds *t, const char *key);

/* 16 hex digits that change when any limit or parameter of the loaded
 * profile changes (not its descriptions): baselines record it. Borrowed
 * until tb_thresholds_free. */
const char *tb_thresholds_digest(const tb_thresholds *t);

/* The known defect a client's file declares for gate ("flush"), or NULL.
 * Borrowed until tb_thresholds_free. */
const char *tb_thresholds_known(const tb_thresholds *t, const char *gate);

/* Whether that defect is declared intermittent ({"reason": ...,
 * "intermittent": true}): it fails in some runs only, so a pass is no news
 * ("pass", with the defect named), never "fixed?". */
bool tb_thresholds_known_intermittent(const tb_thresholds *t, const char *gate);

/* The most that defect has been seen to cost ({"reason": ..., "at_most":
 * 10}), in the units of the gate's figures bounded "at most" (spans lost,
 * for drops and flush): a failing figure above it is not the defect, and
 * fails the build as any failure. NaN when not declared (or no defect). */
double tb_thresholds_known_at_most(const tb_thresholds *t, const char *gate);

#endif
