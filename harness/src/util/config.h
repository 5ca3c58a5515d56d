/* The library's configuration from the environment: every TB_* variable
 * libtracebench reads is named here and read through tb__config_env, so
 * this is the one list of them. Precedence is defaults < TB_* environment
 * < options: the code that owns an option asks here only when its option
 * is unset, and falls back to its default when this gives NULL.
 *
 * The environment is read at each call, not cached: the test suites and
 * suites/regression.c set variables (TB_LOG_DIR, TB_RUN_ID, ...) after the
 * library has started, and a value read at start-up would miss them.
 * Internal to libtracebench (tb__ names). */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#include <stdbool.h>

/* Each variable, with what it sets and its default; the user-facing ones
 * are documented in README.md's "Environment" paragraph and the sections
 * named. */
enum tb__config_var {
    TB__CONFIG_ROOT,            /* TB_ROOT: the project root relative paths
                                 * resolve against; default the source
                                 * tree (tb_root_dir) */
    TB__CONFIG_BUILD_DIR,       /* TB_BUILD_DIR: the build tree; default the
                                 * configured one (tb_build_dir) */
    TB__CONFIG_LOG_DIR,         /* TB_LOG_DIR: logs and results; default
                                 * <root>/logs */
    TB__CONFIG_LOG_LEVEL,       /* TB_LOG_LEVEL: console level, debug|info|
                                 * warn|error|off; default warn */
    TB__CONFIG_LOG_CLIENT_MAX,  /* TB_LOG_CLIENT_MAX: bytes of a client's
                                 * output logged per run; default 10 MB */
    TB__CONFIG_CACHE_DIR,       /* TB_CACHE_DIR: calibrations; default the
                                 * log directory */
    TB__CONFIG_CALIBRATION_TTL, /* TB_CALIBRATION_TTL: seconds a cached
                                 * calibration holds; default 3600 */
    TB__CONFIG_STRICT,          /* TB_STRICT: set and not "0": skips and
                                 * inconclusive figures fail (CI) */
    TB__CONFIG_RUN_ID,          /* TB_RUN_ID: the run's id in results.jsonl
                                 * when the options give none (Makefile) */
    TB__CONFIG_SATELLITE_CONNECTION, /* TB_SATELLITE_CONNECTION: keep-alive
                                      * or close, over thresholds' common key */
    TB__CONFIG_COUNTER,              /* TB_COUNTER: the cost gate's instruction
                                      * counter (tb_counter_parse); default auto */
    TB__CONFIG_BASELINE_SAVE,        /* TB_BASELINE_SAVE: the baseline being
                                      * saved, beside which the cost gate keeps
                                      * its profile (Makefile) */
    TB__CONFIG_GNUPLOT,              /* TB_GNUPLOT: the gnuplot program, below
                                      * --gnuplot; default "gnuplot" in PATH */
    TB__CONFIG_VALGRIND,             /* TB_VALGRIND: the valgrind program;
                                      * default "valgrind" in PATH */
    TB__CONFIG__COUNT
};

/* The variable's name: "TB_ROOT" for TB__CONFIG_ROOT. */
const char *tb__config_name(enum tb__config_var var);

/* The variable's value in the environment now; NULL when it is unset or
 * empty (every variable treats "" as unset). Borrowed from the
 * environment: valid until it is changed. */
const char *tb__config_env(enum tb__config_var var);

/* For a switch (TB_STRICT): true when set to anything but "" or "0". */
bool tb__config_flag(enum tb__config_var var);

#endif
