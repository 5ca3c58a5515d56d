/* tracebench compare: the better / same / worse rule, and the command's
 * answers to bad input before anything is measured. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "tracebench.h"

TestSuite(compare, .timeout = 60);

/* B - A in points of CPU, 2 points allowed; higher is worse. */
Test(compare, an_at_most_figure_is_judged_by_where_the_interval_lies)
{
    cr_assert_eq(tb_compare_judge(2.5, 4.0, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_WORSE);
    cr_assert_eq(tb_compare_judge(-1.0, 1.5, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_SAME);
    cr_assert_eq(tb_compare_judge(-4.0, -2.5, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_BETTER);
    cr_assert_eq(tb_compare_judge(1.0, 3.0, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_INCONCLUSIVE);
    cr_assert_eq(tb_compare_judge(-3.0, -1.0, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_INCONCLUSIVE);
    /* The allowance itself is the same, not worse. */
    cr_assert_eq(tb_compare_judge(-2.0, 2.0, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_SAME);
    /* Bounds in either order. */
    cr_assert_eq(tb_compare_judge(4.0, 2.5, 2.0, TB_BOUND_AT_MOST),
                 TB_COMPARE_WORSE);
}

/* Throughput: lower is worse. */
Test(compare, an_at_least_figure_is_mirrored)
{
    cr_assert_eq(tb_compare_judge(-300, -150, 100, TB_BOUND_AT_LEAST),
                 TB_COMPARE_WORSE);
    cr_assert_eq(tb_compare_judge(150, 300, 100, TB_BOUND_AT_LEAST),
                 TB_COMPARE_BETTER);
    cr_assert_eq(tb_compare_judge(-50, 80, 100, TB_BOUND_AT_LEAST),
                 TB_COMPARE_SAME);
}

/* A count allowed no change: equal counts are the same, one more dropped
 * span is worse, and NaN proves nothing. */
Test(compare, exact_figures_and_nan)
{
    cr_assert_eq(tb_compare_judge(0, 0, 0, TB_BOUND_AT_MOST), TB_COMPARE_SAME);
    cr_assert_eq(tb_compare_judge(1, 1, 0, TB_BOUND_AT_MOST), TB_COMPARE_WORSE);
    cr_assert_eq(tb_compare_judge(NAN, 1, 0, TB_BOUND_AT_MOST),
                 TB_COMPARE_INCONCLUSIVE);
    cr_assert_str_eq(tb_compare_verdict_name(TB_COMPARE_WORSE), "worse");
    cr_assert_str_eq(tb_compare_verdict_name(TB_COMPARE_ERROR), "error");
}

static int run(const char *cmd, char *out, size_t size)
{
    FILE *f = popen(cmd, "r");
    size_t n;

    cr_assert_not_null(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Bad input is named and exits 2, and nothing is measured: each answer
 * comes back at once, with no calibration. */
Test(compare, bad_input_is_named_before_anything_is_measured)
{
    char cmd[2048], out[4096];
    static const struct {
        const char *args, *want;
        int status;
    } cases[] = {
        {"c nope --gates cpu", "no client named 'nope'", 2},
        {"nope c --gates cpu", "no client named 'nope'", 2},
        {"c c --gates cpu,bogus", "no gate named 'bogus'", 2},
        {"c c --profile fast", "'fast' is not quick or full", 2},
        {"c c --b-env NOEQUALS", "'NOEQUALS' is not KEY=VALUE", 2},
        {"c c --b-args \"--x 'open\"", "unclosed", 2},
        {"c", "compare needs two clients", 2},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(cmd, sizeof(cmd),
                 "cd %s && TB_LOG_DIR=/tmp %s/tracebench compare %s 2>&1",
                 tb_root_dir(), tb_build_dir(), cases[i].args);
        int st = run(cmd, out, sizeof(out));
        cr_assert_eq(st, cases[i].status, "%s: exit %d, want %d: %s",
                     cases[i].args, st, cases[i].status, out);
        cr_assert(strstr(out, cases[i].want) != NULL, "%s: '%s' not in: %s",
                  cases[i].args, cases[i].want, out);
        cr_assert(strstr(out, "calibrat") == NULL, "%s calibrated: %s",
                  cases[i].args, out);
    }
}
