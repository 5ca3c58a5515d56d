/* Interval-against-limit verdicts (tracebench/gate/verdict.h). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>

#include "tracebench/gate/verdict.h"

#define PASS TB_VERDICT_PASS
#define FAIL TB_VERDICT_FAIL
#define INCONCLUSIVE TB_VERDICT_INCONCLUSIVE

Test(verdict, at_most_pass_fail_inconclusive)
{
    /* CPU overhead must be at most 10 points. */
    cr_assert(eq(int, tb_verdict_check(7.5, 9.9, 10, TB_BOUND_AT_MOST), PASS));
    cr_assert(eq(int, tb_verdict_check(10.1, 13, 10, TB_BOUND_AT_MOST), FAIL));
    cr_assert(eq(int, tb_verdict_check(9.5, 10.5, 10, TB_BOUND_AT_MOST),
                 INCONCLUSIVE));
}

Test(verdict, at_least_pass_fail_inconclusive)
{
    /* Throughput must reach at least 3000 spans/s. */
    cr_assert(
        eq(int, tb_verdict_check(3100, 3500, 3000, TB_BOUND_AT_LEAST), PASS));
    cr_assert(
        eq(int, tb_verdict_check(2000, 2900, 3000, TB_BOUND_AT_LEAST), FAIL));
    cr_assert(eq(int, tb_verdict_check(2900, 3100, 3000, TB_BOUND_AT_LEAST),
                 INCONCLUSIVE));
}

Test(verdict, limits_are_inclusive)
{
    /* 0 dropped spans against "at most 0" passes; 1 fails. */
    cr_assert(eq(int, tb_verdict_check(0, 0, 0, TB_BOUND_AT_MOST), PASS));
    cr_assert(eq(int, tb_verdict_check(1, 1, 0, TB_BOUND_AT_MOST), FAIL));
    cr_assert(
        eq(int, tb_verdict_check(0, 2, 0, TB_BOUND_AT_MOST), INCONCLUSIVE));
    cr_assert(
        eq(int, tb_verdict_check(3000, 3000, 3000, TB_BOUND_AT_LEAST), PASS));
    cr_assert(eq(int, tb_verdict_check(-1, 10, 10, TB_BOUND_AT_MOST), PASS));
}

Test(verdict, bounds_in_either_order)
{
    cr_assert(eq(int, tb_verdict_check(13, 10.1, 10, TB_BOUND_AT_MOST), FAIL));
    cr_assert(eq(int, tb_verdict_check(10.5, 9.5, 10, TB_BOUND_AT_MOST),
                 INCONCLUSIVE));
}

Test(verdict, nan_is_inconclusive)
{
    cr_assert(
        eq(int, tb_verdict_check(NAN, 1, 10, TB_BOUND_AT_MOST), INCONCLUSIVE));
    cr_assert(
        eq(int, tb_verdict_check(1, 2, NAN, TB_BOUND_AT_LEAST), INCONCLUSIVE));
}

Test(verdict, relative_to_baseline)
{
    /* Baseline overhead 5 points, tolerance 20%: limit 6. */
    cr_assert(epsilon_eq(
        dbl, tb_verdict_relative_limit(5, 0.2, TB_BOUND_AT_MOST), 6.0, 1e-12));
    cr_assert(
        eq(int, tb_verdict_relative(5.1, 5.9, 5, 0.2, TB_BOUND_AT_MOST), PASS));
    cr_assert(
        eq(int, tb_verdict_relative(6.2, 7.0, 5, 0.2, TB_BOUND_AT_MOST), FAIL));
    cr_assert(eq(int, tb_verdict_relative(5.5, 6.5, 5, 0.2, TB_BOUND_AT_MOST),
                 INCONCLUSIVE));
    /* Higher is better: 3000 with 20% gives 2400. */
    cr_assert(
        epsilon_eq(dbl, tb_verdict_relative_limit(3000, 0.2, TB_BOUND_AT_LEAST),
                   2400.0, 1e-9));
    cr_assert(eq(int,
                 tb_verdict_relative(2000, 2300, 3000, 0.2, TB_BOUND_AT_LEAST),
                 FAIL));
    cr_assert(eq(int,
                 tb_verdict_relative(2500, 2600, 3000, 0.2, TB_BOUND_AT_LEAST),
                 PASS));
}

Test(verdict, negative_baseline_still_allows_worsening_by_tolerance)
{
    /* An overhead of -1 point (noise) with 50%: the limit is -0.5, above
     * the baseline, not -1.5. */
    cr_assert(epsilon_eq(dbl,
                         tb_verdict_relative_limit(-1, 0.5, TB_BOUND_AT_MOST),
                         -0.5, 1e-12));
}

Test(verdict, names)
{
    cr_assert(eq(str, (char *)tb_verdict_name(PASS), "pass"));
    cr_assert(eq(str, (char *)tb_verdict_name(FAIL), "fail"));
    cr_assert(eq(str, (char *)tb_verdict_name(INCONCLUSIVE), "inconclusive"));
    cr_assert(eq(str, (char *)tb_verdict_name((tb_verdict)42), "unknown"));
}
