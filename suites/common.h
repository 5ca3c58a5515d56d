/* Helpers shared by the Criterion suites. */
#ifndef TB_SUITES_COMMON_H
#define TB_SUITES_COMMON_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tracebench.h"

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
 * test on failure. */
#define TB_TEST_CONTROLLER(ctl, name, cmd)                                    \
    do {                                                                     \
        tb_client *cl_ = NULL;                                               \
        tb_error e_ = {0};                                                   \
        cr_assert_eq(tb_client_from_command(name, cmd, &cl_, &e_), TB_OK,    \
                     "%s", e_.msg);                                          \
        struct tb_controller_opts o_ = {.client = cl_, .control_port = 0,    \
                                        .calibration = &tb_test_cal};        \
        cr_assert_eq(tb_controller_new(&o_, &(ctl), &e_), TB_OK, "%s",       \
                     e_.msg);                                                \
        tb_client_free(cl_);                                                 \
    } while (0)

#endif
