/* Statistics for noisy figures: order statistics over double arrays and
 * bootstrap confidence intervals of a median and of a difference of
 * medians.
 *
 * Why a bootstrap of the difference of medians. The regression gates run
 * few trials (5 traced and 5 untraced for CPU) on a shared 2-core machine
 * where a neighbour can steal a core for a whole trial. The median ignores
 * such a trial where a mean would move with it, and the bootstrap turns 5
 * trials per arm into an interval in the figure's own unit ("overhead 12.4
 * points, 95% CI 11.8-13.1"), which is what a gate compares with its limit:
 * the gate fails only when the whole interval is past the limit and calls
 * anything in between inconclusive. Mann-Whitney (Wilcoxon rank-sum) was
 * the alternative. It answers only "do A and B differ", gives no interval
 * in points or bytes to hold against a limit, and needs more repetitions:
 * with 5 vs 5 its smallest possible two-sided p is 2/252 = 0.008, reached
 * only when every traced trial beats every untraced one, and it never says
 * by how much.
 *
 * Which bootstrap. With 5 trials a plain percentile bootstrap of the median
 * is coarse: a resampled median can only be one of the 5 observed values
 * (25 values for a difference), so the interval jumps between order
 * statistics and at 95% is usually [min, max] of the sample. The default
 * is therefore the smoothed bootstrap (Silverman 1986, section 6.4; Hall,
 * DiCiccio and Romano 1989): each resampled value gets Gaussian noise of
 * bandwidth h = 0.9 * min(sd, IQR / 1.34) * n^(-1/5) (R's bw.nrd0; sd when
 * the IQR is 0), then is shrunk towards the sample mean by
 * 1 / sqrt(1 + h^2 / sd^2) so that smoothing does not inflate the spread.
 * The interval is the percentile interval of the resampled statistic (no
 * BCa: its acceleration estimate is meaningless with 5 points). A sample
 * whose values are all equal has h = 0 and gives a zero-width interval.
 * Paired trials (opts.paired) are resampled pair by pair, and their kernel
 * noise is correlated as the pairs are, so load shared by a traced trial
 * and the untraced trial next to it cancels instead of widening the
 * interval. TB_BOOTSTRAP_PERCENTILE keeps the plain method for comparison.
 *
 * In 1000 simulated 5-vs-5 experiments (normal trials, sd 1, true
 * difference 2) the smoothed 95% interval covered the true difference
 * 95.0% of the time with a mean width of 2.9, the percentile one 95.9%
 * with 3.3. With load of sd 3 shared by each pair, paired resampling cut
 * the smoothed width from 9.0 to 3.7 (coverage 96.8%). suites/test_stats.c
 * checks the coverage on 300 experiments.
 *
 * Every function leaves its input arrays untouched (order statistics sort
 * a private copy) and keeps no state between calls. */
#ifndef TRACEBENCH_STATS_H
#define TRACEBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracebench/util/err.h"

#define TB_BOOTSTRAP_DEFAULT_RESAMPLES 2000
#define TB_BOOTSTRAP_DEFAULT_CONFIDENCE 0.95
#define TB_BOOTSTRAP_MIN_RESAMPLES 100
#define TB_BOOTSTRAP_MAX_RESAMPLES 1000000

/* --- Descriptive statistics ---------------------------------------------
 * Each takes n >= 1 finite values (TB_ERR_INVALID_ARG otherwise, naming the
 * first bad index) and writes its result only on success. */

/* The median: the middle value, or the mean of the two middle values when
 * n is even. TB_ERR_NOMEM if the private copy cannot be allocated. */
tb_err tb_stats_median(const double *x, size_t n, double *out, tb_error *err);

/* The q-quantile, 0 <= q <= 1, by linear interpolation between order
 * statistics (Hyndman and Fan type 7, the default of R and numpy):
 * q = 0 is the minimum, 0.5 the median, 1 the maximum. */
tb_err tb_stats_quantile(const double *x, size_t n, double q, double *out,
                         tb_error *err);

/* Several quantiles with one sort: out[i] is the qs[i]-quantile. out must
 * hold nq values. */
tb_err tb_stats_quantiles(const double *x, size_t n, const double *qs,
                          size_t nq, double *out, tb_error *err);

/* The arithmetic mean. */
tb_err tb_stats_mean(const double *x, size_t n, double *out, tb_error *err);

/* The sample standard deviation (n - 1 denominator); 0 when n == 1. */
tb_err tb_stats_stddev(const double *x, size_t n, double *out, tb_error *err);

/* The smallest and largest value. Either output may be NULL. */
tb_err tb_stats_min_max(const double *x, size_t n, double *min, double *max,
                        tb_error *err);

/* --- Bootstrap intervals ------------------------------------------------ */

typedef enum tb_bootstrap_method {
    TB_BOOTSTRAP_SMOOTHED = 0, /* default; see the comment at the top */
    TB_BOOTSTRAP_PERCENTILE    /* plain resampling, percentile interval */
} tb_bootstrap_method;

/* A zero-initialised struct (or a NULL pointer) asks for the defaults:
 * 2000 resamples, 95% confidence, seed 0, smoothed, unpaired. */
struct tb_bootstrap_opts {
    size_t resamples;  /* 0: TB_BOOTSTRAP_DEFAULT_RESAMPLES; else
                          100 to 1000000 */
    double confidence; /* 0: 0.95; else strictly in (0, 1) */
    uint64_t seed;     /* same seed, same data: same interval */
    tb_bootstrap_method method;
    bool paired; /* a[i] and b[i] ran back to back
                    (interleaved trials): resample the pairs
                    together so that noise shared by a pair
                    cancels; needs na == nb */
};

/* An estimate and its confidence interval, in the figure's unit. */
typedef struct tb_interval {
    double estimate;   /* the statistic on the observed samples */
    double lo;         /* lower bound of the interval */
    double hi;         /* upper bound of the interval */
    double confidence; /* e.g. 0.95 */
    size_t n_a;        /* trials in the (first) sample */
    size_t n_b;        /* trials in the second sample; 0 for a
                          one-sample interval */
    size_t resamples;  /* bootstrap resamples drawn */
} tb_interval;

/* Bootstrap confidence interval of the median of x (n >= 2 finite values).
 * opts may be NULL; opts->paired is ignored. Fills *out on success.
 * TB_ERR_INVALID_ARG for a bad sample or option, TB_ERR_NOMEM. */
tb_err tb_stats_bootstrap_median(const double *x, size_t n,
                                 const struct tb_bootstrap_opts *opts,
                                 tb_interval *out, tb_error *err);

/* Bootstrap confidence interval of median(a) - median(b), each sample with
 * at least 2 finite values; with opts->paired, na must equal nb. For the
 * CPU gate, a is the traced and b the untraced trials, so the estimate is
 * the tracer's overhead. Fills *out on success. TB_ERR_INVALID_ARG for a
 * bad sample or option, TB_ERR_NOMEM. */
tb_err tb_stats_bootstrap_median_diff(const double *a, size_t na,
                                      const double *b, size_t nb,
                                      const struct tb_bootstrap_opts *opts,
                                      tb_interval *out, tb_error *err);

#endif
