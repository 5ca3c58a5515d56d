/* Verdicts: a figure's confidence interval held against a limit. A gate
 * passes only when the whole interval is on the good side of the limit and
 * fails only when the whole interval is past it; an interval that straddles
 * the limit is inside the noise and is reported as inconclusive, neither a
 * pass nor a flake. */
#ifndef TRACEBENCH_VERDICT_H
#define TRACEBENCH_VERDICT_H

typedef enum tb_verdict {
    TB_VERDICT_PASS = 0,
    TB_VERDICT_FAIL,
    TB_VERDICT_INCONCLUSIVE
} tb_verdict;

/* Which side of the limit is good. A limit is inclusive: a figure equal to
 * an at-most limit of 0 dropped spans passes. */
typedef enum tb_bound {
    TB_BOUND_AT_MOST = 0, /* figure <= limit: CPU, memory, drops */
    TB_BOUND_AT_LEAST     /* figure >= limit: throughput, delivery */
} tb_bound;

/* The verdict for the interval [lo, hi] (the bounds may come in either
 * order; a point figure has lo == hi):
 *   at most:  PASS if hi <= limit, FAIL if lo > limit;
 *   at least: PASS if lo >= limit, FAIL if hi < limit;
 *   otherwise INCONCLUSIVE. A NaN bound or limit is INCONCLUSIVE too: a
 *   figure that was not measured proves nothing either way. */
tb_verdict tb_verdict_check(double lo, double hi, double limit, tb_bound bound);

/* The limit a figure is held to against a recorded baseline with a
 * relative tolerance tol >= 0: baseline + |baseline| * tol for an at-most
 * figure (worse means higher), baseline - |baseline| * tol for an
 * at-least figure. |baseline| keeps "worse" meaning the same direction
 * when a baseline is negative, as a CPU overhead inside the noise can be. */
double tb_verdict_relative_limit(double baseline, double tol, tb_bound bound);

/* tb_verdict_check against tb_verdict_relative_limit(baseline, tol,
 * bound). */
tb_verdict tb_verdict_relative(double lo, double hi, double baseline,
                               double tol, tb_bound bound);

/* "pass", "fail" or "inconclusive"; "unknown" for any other value. Static
 * storage. */
const char *tb_verdict_name(tb_verdict v);

#endif
