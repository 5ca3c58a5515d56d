/* Order statistics and bootstrap intervals; the method and the reasons for
 * it are in tracebench/gate/stats.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tracebench/util/rng.h"
#include "tracebench/gate/stats.h"

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;

    return (a > b) - (a < b);
}

/* Rejects what would make every statistic meaningless: no values, or a NaN
 * or infinity, which usually means a figure was never measured. */
static tb_err check_sample(const char *what, const double *x, size_t n,
                           size_t min_n, tb_error *err)
{
    if (x == NULL || n < min_n)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "%s: expected at least %zu value%s, got %zu", what,
                            min_n, min_n == 1 ? "" : "s",
                            x == NULL ? (size_t)0 : n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return tb_error_set(err, TB_ERR_INVALID_ARG,
                                "%s: value %zu is %s, expected a finite "
                                "number",
                                what, i, isnan(x[i]) ? "NaN" : "infinite");
    return TB_OK;
}

/* Type 7 quantile of an already sorted array. */
static double sorted_quantile(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);

    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

static tb_err sorted_copy(const double *x, size_t n, double **out,
                          tb_error *err)
{
    double *c = malloc(n * sizeof(*c));

    if (c == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "stats: cannot copy %zu values",
                            n);
    memcpy(c, x, n * sizeof(*c));
    qsort(c, n, sizeof(*c), cmp_double);
    *out = c;
    return TB_OK;
}

tb_err tb_stats_quantiles(const double *x, size_t n, const double *qs,
                          size_t nq, double *out, tb_error *err)
{
    double *s = NULL;
    tb_err e;

    if ((e = check_sample("quantiles", x, n, 1, err)) != TB_OK)
        return e;
    if (qs == NULL || out == NULL)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "quantiles: NULL probabilities or output");
    for (size_t i = 0; i < nq; i++)
        if (!(qs[i] >= 0.0 && qs[i] <= 1.0))
            return tb_error_set(err, TB_ERR_INVALID_ARG,
                                "quantiles: probability %zu is %g, expected "
                                "a number in [0, 1]",
                                i, qs[i]);
    if ((e = sorted_copy(x, n, &s, err)) != TB_OK)
        return e;
    for (size_t i = 0; i < nq; i++)
        out[i] = sorted_quantile(s, n, qs[i]);
    free(s);
    return TB_OK;
}

tb_err tb_stats_quantile(const double *x, size_t n, double q, double *out,
                         tb_error *err)
{
    return tb_stats_quantiles(x, n, &q, 1, out, err);
}

tb_err tb_stats_median(const double *x, size_t n, double *out, tb_error *err)
{
    return tb_stats_quantile(x, n, 0.5, out, err);
}

tb_err tb_stats_mean(const double *x, size_t n, double *out, tb_error *err)
{
    double sum = 0.0;
    tb_err e;

    if ((e = check_sample("mean", x, n, 1, err)) != TB_OK)
        return e;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    *out = sum / (double)n;
    return TB_OK;
}

tb_err tb_stats_stddev(const double *x, size_t n, double *out, tb_error *err)
{
    double mean, ss = 0.0;
    tb_err e;

    if ((e = tb_stats_mean(x, n, &mean, err)) != TB_OK)
        return e;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    *out = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    return TB_OK;
}

tb_err tb_stats_min_max(const double *x, size_t n, double *min, double *max,
                        tb_error *err)
{
    double lo, hi;
    tb_err e;

    if ((e = check_sample("min/max", x, n, 1, err)) != TB_OK)
        return e;
    lo = hi = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < lo)
            lo = x[i];
        if (x[i] > hi)
            hi = x[i];
    }
    if (min != NULL)
        *min = lo;
    if (max != NULL)
        *max = hi;
    return TB_OK;
}

/* --- Bootstrap ---------------------------------------------------------- */

/* How one sample is redrawn: a value picked at random, plus kernel noise
 * of width h, shrunk towards the mean by `shrink`. h == 0 and shrink == 1
 * is the plain bootstrap. */
struct smoother {
    const double *x;
    size_t n;
    double mean;
    double h;
    double shrink;
};

static tb_err smoother_init(struct smoother *sm, const double *x, size_t n,
                            tb_bootstrap_method method, tb_error *err)
{
    double sd, q[2], spread;
    static const double quartiles[2] = {0.25, 0.75};
    tb_err e;

    sm->x = x;
    sm->n = n;
    sm->h = 0.0;
    sm->shrink = 1.0;
    if ((e = tb_stats_mean(x, n, &sm->mean, err)) != TB_OK ||
        (e = tb_stats_stddev(x, n, &sd, err)) != TB_OK)
        return e;
    if (method != TB_BOOTSTRAP_SMOOTHED || sd == 0.0)
        return TB_OK;
    if ((e = tb_stats_quantiles(x, n, quartiles, 2, q, err)) != TB_OK)
        return e;
    /* Silverman's rule as R's bw.nrd0 computes it: the IQR keeps a single
     * outlier from widening the kernel, and the sd stands in when more
     * than half the values are equal and the IQR is 0. */
    spread = (q[1] - q[0]) / 1.34;
    if (spread <= 0.0 || spread > sd)
        spread = sd;
    sm->h = 0.9 * spread * pow((double)n, -0.2);
    sm->shrink = 1.0 / sqrt(1.0 + sm->h * sm->h / (sd * sd));
    return TB_OK;
}

/* x[i] redrawn with the standard normal deviate z as kernel noise. */
static double smoother_draw(const struct smoother *sm, size_t i, double z)
{
    double v = sm->x[i];

    if (sm->h == 0.0)
        return v;
    return sm->mean + (v - sm->mean + sm->h * z) * sm->shrink;
}

static double normal_if_smoothed(const struct smoother *sm, tb_rng *rng)
{
    return sm->h == 0.0 ? 0.0 : tb_rng_normal(rng);
}

/* The sample correlation of the pairs (a[i], b[i]); 0 when either side
 * does not vary. */
static double correlation(const struct smoother *a, const struct smoother *b)
{
    double saa = 0.0, sbb = 0.0, sab = 0.0;

    for (size_t i = 0; i < a->n; i++) {
        double da = a->x[i] - a->mean, db = b->x[i] - b->mean;

        saa += da * da;
        sbb += db * db;
        sab += da * db;
    }
    if (saa == 0.0 || sbb == 0.0)
        return 0.0;
    return sab / sqrt(saa * sbb);
}

/* The median of a scratch array, which it sorts. */
static double scratch_median(double *s, size_t n)
{
    qsort(s, n, sizeof(*s), cmp_double);
    return sorted_quantile(s, n, 0.5);
}

static tb_err resolve_opts(const struct tb_bootstrap_opts *opts,
                           struct tb_bootstrap_opts *o, tb_error *err)
{
    static const struct tb_bootstrap_opts defaults;

    *o = opts != NULL ? *opts : defaults;
    if (o->resamples == 0)
        o->resamples = TB_BOOTSTRAP_DEFAULT_RESAMPLES;
    if (o->confidence == 0.0)
        o->confidence = TB_BOOTSTRAP_DEFAULT_CONFIDENCE;
    if (o->resamples < TB_BOOTSTRAP_MIN_RESAMPLES ||
        o->resamples > TB_BOOTSTRAP_MAX_RESAMPLES)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "bootstrap: resamples is %zu, expected %d to %d",
                            o->resamples, TB_BOOTSTRAP_MIN_RESAMPLES,
                            TB_BOOTSTRAP_MAX_RESAMPLES);
    if (!(o->confidence > 0.0 && o->confidence < 1.0))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "bootstrap: confidence is %g, expected a number "
                            "strictly between 0 and 1",
                            o->confidence);
    if (o->method != TB_BOOTSTRAP_SMOOTHED &&
        o->method != TB_BOOTSTRAP_PERCENTILE)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "bootstrap: unknown method %d", (int)o->method);
    return TB_OK;
}

/* The shared engine: one-sample when b is NULL, else the difference of
 * medians, pairs drawn together when o->paired. The draws happen in a
 * fixed order, so the seed alone decides the result. */
static tb_err bootstrap(const double *a, size_t na, const double *b, size_t nb,
                        const struct tb_bootstrap_opts *opts, tb_interval *out,
                        tb_error *err)
{
    struct tb_bootstrap_opts o;
    struct smoother sa, sb;
    double *reps = NULL, *ra = NULL, *rb = NULL, est_a, est_b = 0.0, rho;
    bool paired;
    tb_rng rng;
    tb_err e;

    if ((e = resolve_opts(opts, &o, err)) != TB_OK)
        return e;
    paired = b != NULL && o.paired;
    if (paired && na != nb)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "bootstrap: paired samples differ in size "
                            "(%zu and %zu trials)",
                            na, nb);
    if ((e = smoother_init(&sa, a, na, o.method, err)) != TB_OK)
        return e;
    if (b != NULL && (e = smoother_init(&sb, b, nb, o.method, err)) != TB_OK)
        return e;

    reps = malloc(o.resamples * sizeof(*reps));
    ra = malloc(na * sizeof(*ra));
    rb = malloc((b != NULL ? nb : 1) * sizeof(*rb));
    if (reps == NULL || ra == NULL || rb == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM,
                         "bootstrap: cannot allocate %zu resamples",
                         o.resamples);
        goto out;
    }

    /* Paired trials share the machine's mood of the moment, so their
     * kernel noise is correlated as the pairs are (a bivariate Gaussian
     * kernel shaped like the data, Silverman 1986, 4.2.1); independent
     * noise would undo the pairing and widen the interval. */
    rho = paired ? correlation(&sa, &sb) : 0.0;
    tb_rng_seed(&rng, o.seed);
    for (size_t r = 0; r < o.resamples; r++) {
        for (size_t i = 0; i < na; i++) {
            size_t k = (size_t)tb_rng_below(&rng, na);
            double za = normal_if_smoothed(&sa, &rng), zb;

            ra[i] = smoother_draw(&sa, k, za);
            if (paired) {
                zb = normal_if_smoothed(&sb, &rng);
                rb[i] = smoother_draw(&sb, k,
                                      rho * za + sqrt(1 - rho * rho) * zb);
            }
        }
        if (b != NULL && !paired)
            for (size_t i = 0; i < nb; i++) {
                size_t k = (size_t)tb_rng_below(&rng, nb);

                rb[i] = smoother_draw(&sb, k, normal_if_smoothed(&sb, &rng));
            }
        reps[r] = scratch_median(ra, na);
        if (b != NULL)
            reps[r] -= scratch_median(rb, nb);
    }
    qsort(reps, o.resamples, sizeof(*reps), cmp_double);

    memcpy(ra, a, na * sizeof(*ra));
    est_a = scratch_median(ra, na);
    if (b != NULL) {
        memcpy(rb, b, nb * sizeof(*rb));
        est_b = scratch_median(rb, nb);
    }
    out->estimate = est_a - est_b;
    out->lo = sorted_quantile(reps, o.resamples, (1.0 - o.confidence) / 2);
    out->hi = sorted_quantile(reps, o.resamples, (1.0 + o.confidence) / 2);
    out->confidence = o.confidence;
    out->n_a = na;
    out->n_b = b != NULL ? nb : 0;
    out->resamples = o.resamples;
    e = TB_OK;
out:
    free(reps);
    free(ra);
    free(rb);
    return e;
}

tb_err tb_stats_bootstrap_median(const double *x, size_t n,
                                 const struct tb_bootstrap_opts *opts,
                                 tb_interval *out, tb_error *err)
{
    tb_err e;

    if ((e = check_sample("bootstrap sample", x, n, 2, err)) != TB_OK)
        return e;
    return bootstrap(x, n, NULL, 0, opts, out, err);
}

tb_err tb_stats_bootstrap_median_diff(const double *a, size_t na,
                                      const double *b, size_t nb,
                                      const struct tb_bootstrap_opts *opts,
                                      tb_interval *out, tb_error *err)
{
    tb_err e;

    if ((e = check_sample("bootstrap sample A", a, na, 2, err)) != TB_OK ||
        (e = check_sample("bootstrap sample B", b, nb, 2, err)) != TB_OK)
        return e;
    return bootstrap(a, na, b, nb, opts, out, err);
}
