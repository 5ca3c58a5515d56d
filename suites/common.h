/* Helpers shared by the Criterion suites. */
#ifndef TB_SUITES_COMMON_H
#define TB_SUITES_COMMON_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tracebench.h"
#include "tsan.h"

static inline int tb_test_rm_entry(const char *path, const struct stat *sb,
                                   int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes a test's temporary directory and everything in it. */
static inline void tb_test_rm_tree(const char *path)
{
    nftw(path, tb_test_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A calibration for clients that do no work (shell one-liners), so tests
 * of the error paths need not calibrate. */
static const struct tb_calibration tb_test_cal = {
    .target_cpu = 0.7,
    .sleep_per_work_ns = 1.0,
    .work_per_second = 1e6,
    .last_cpu = 0.7,
};

/* A controller for a one-off command, on any free control port. Aborts the
 * test on failure. The command is a shell one-liner that never POSTs a
 * result: it is declared unable to report ("reports": false), so its
 * spans_sent is unknown rather than an error. */
#define TB_TEST_CONTROLLER(ctl, name, cmd)                                     \
    do {                                                                       \
        tb_client *cl_ = NULL;                                                 \
        tb_error e_ = {0};                                                     \
        cr_assert_eq(tb_client_from_command(name, cmd, &cl_, &e_), TB_OK,      \
                     "%s", e_.msg);                                            \
        tb_client_set_reports(cl_, false);                                     \
        struct tb_controller_opts o_ = {                                       \
            .client = cl_, .control_port = 0, .calibration = &tb_test_cal};    \
        cr_assert_eq(tb_controller_new(&o_, &(ctl), &e_), TB_OK, "%s",         \
                     e_.msg);                                                  \
        tb_client_free(cl_);                                                   \
    } while (0)

/* The line ctest's SKIP_REGULAR_EXPRESSION looks for (suites/
 * CMakeLists.txt): a suite of one client that prints it is reported
 * "Skipped", never "Passed". */
#define TB_TEST_SKIP_LINE "tracebench: SKIPPED: "

/* True under CI ($CI set and not empty, as every CI service sets it). */
static inline bool tb_test_under_ci(void)
{
    const char *ci = getenv("CI");

    return ci != NULL && ci[0] != '\0' && ci[0] != '0';
}

/* After a client's check or start failed with e: a missing tracer
 * (TB_ERR_TRACER_MISSING, the check's exit status 3) skips the test and
 * says why on stderr, prefixed by TB_TEST_SKIP_LINE when whole_suite (the
 * skip is the suite's result: one client per suite); under CI it fails,
 * because `make deps` installs every registered client's tracer there.
 * Any other failure (a crashed or hung check, a missing build output)
 * fails the test. */
#define TB_TEST_SKIP_OR_FAIL(e, msg, whole_suite)                              \
    do {                                                                       \
        if ((e) == TB_ERR_TRACER_MISSING && !tb_test_under_ci()) {             \
            fprintf(stderr, "%s%s\n",                                          \
                    (whole_suite) ? TB_TEST_SKIP_LINE                          \
                                  : "tracebench: skipped: ",                   \
                    (msg));                                                    \
            cr_skip_test("%s", (msg));                                         \
        }                                                                      \
        /* cr_assert(0, ...): the same in Criterion's old and new API. */      \
        if ((e) == TB_ERR_TRACER_MISSING)                                      \
            cr_assert(0,                                                       \
                      "skipped under CI, where make deps installs "            \
                      "every registered client's tracer: %s",                  \
                      (msg));                                                  \
        cr_assert(0, "%s: %s", tb_err_name(e), (msg));                         \
    } while (0)

#endif
