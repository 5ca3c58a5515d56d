/* Interval-against-limit verdicts. */
#include <math.h>

#include "tracebench/gate/verdict.h"

tb_verdict tb_verdict_check(double lo, double hi, double limit, tb_bound bound)
{
    double a, b;

    if (isnan(lo) || isnan(hi) || isnan(limit))
        return TB_VERDICT_INCONCLUSIVE;
    a = lo <= hi ? lo : hi;
    b = lo <= hi ? hi : lo;
    if (bound == TB_BOUND_AT_LEAST) {
        if (a >= limit)
            return TB_VERDICT_PASS;
        return b < limit ? TB_VERDICT_FAIL : TB_VERDICT_INCONCLUSIVE;
    }
    if (b <= limit)
        return TB_VERDICT_PASS;
    return a > limit ? TB_VERDICT_FAIL : TB_VERDICT_INCONCLUSIVE;
}

double tb_verdict_relative_limit(double baseline, double tol, tb_bound bound)
{
    double slack = fabs(baseline) * tol;

    return bound == TB_BOUND_AT_LEAST ? baseline - slack : baseline + slack;
}

tb_verdict tb_verdict_relative(double lo, double hi, double baseline,
                               double tol, tb_bound bound)
{
    return tb_verdict_check(
        lo, hi, tb_verdict_relative_limit(baseline, tol, bound), bound);
}

const char *tb_verdict_name(tb_verdict v)
{
    switch (v) {
    case TB_VERDICT_PASS:
        return "pass";
    case TB_VERDICT_FAIL:
        return "fail";
    case TB_VERDICT_INCONCLUSIVE:
        return "inconclusive";
    }
    return "unknown";
}
