/* History of figures across results files, and step detection (see
 * history.h for the method and why). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "tracebench/output/history.h"
#include "tracebench/output/results.h"

#define MAX_POINTS 300 /* the exact fit is O(n^3 log n) */

/* --- Step detection ------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Sum of |x - median| over x[i..j); tmp has room for j - i values. */
static double l1_cost(const double *x, size_t i, size_t j, double *tmp,
                      double *med)
{
    double c = 0;

    memcpy(tmp, x + i, (j - i) * sizeof(*tmp));
    *med = median_of(tmp, j - i);
    for (size_t k = i; k < j; k++)
        c += fabs(x[k] - *med);
    return c;
}

/* The noise of a series: the MAD of successive differences, scaled to a
 * standard deviation (1.4826 / sqrt 2), or half the median interval
 * half-width (a 95% interval of a median spans about two units), the
 * larger. */
static double noise(const double *x, const double *hw, size_t n, double *tmp)
{
    double s = 0;
    size_t m = 0;

    for (size_t i = 0; i + 1 < n; i++)
        tmp[m++] = fabs(x[i + 1] - x[i]);
    if (m > 0)
        s = 1.4826 * median_of(tmp, m) / sqrt(2.0);
    m = 0;
    for (size_t i = 0; hw != NULL && i < n; i++)
        if (isfinite(hw[i]))
            tmp[m++] = hw[i];
    if (m > 0)
        s = fmax(s, median_of(tmp, m) / 2);
    return s;
}

size_t tb_history_steps(const double *x, const double *halfwidth, size_t n,
                        size_t *at, size_t max_at)
{
    double *best, *tmp, sigma, gamma, scale = 0;
    size_t *from, found = 0;

    if (n < 2 || n > MAX_POINTS)
        return 0;
    best = malloc((n + 1) * sizeof(*best));
    tmp = malloc(n * sizeof(*tmp));
    from = malloc((n + 1) * sizeof(*from));
    if (best == NULL || tmp == NULL || from == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(x[i]));
    /* A floor keeps a noiseless series from being cut at rounding. */
    sigma = fmax(noise(x, halfwidth, n, tmp), 1e-9 * fmax(scale, 1));
    gamma = 3 * sigma * fmax(1, log((double)n));
    best[0] = 0;
    for (size_t j = 1; j <= n; j++) {
        best[j] = INFINITY;
        for (size_t i = 0; i < j; i++) {
            double med, c = best[i] + l1_cost(x, i, j, tmp, &med) + gamma;
            if (c < best[j]) {
                best[j] = c;
                from[j] = i;
            }
        }
    }
    /* Walk the cuts back, then keep those with a real change of level. */
    size_t cuts[MAX_POINTS], n_cuts = 0;
    for (size_t j = n; j > 0; j = from[j])
        cuts[n_cuts++] = from[j]; /* segment starts, last first */
    for (size_t k = n_cuts; k-- > 1;) {
        size_t start = cuts[k], cut = cuts[k - 1];
        size_t end = k >= 2 ? cuts[k - 2] : n;
        double before, after;

        l1_cost(x, start, cut, tmp, &before);
        l1_cost(x, cut, end, tmp, &after);
        if (fabs(after - before) > 3 * sigma && found < max_at)
            at[found++] = cut;
    }
out:
    free(best);
    free(tmp);
    free(from);
    return found;
}

/* --- Reading the folder --------------------------------------------------- */

struct point {
    double median, lo, hi;
    char verdict[16];
    bool set;
};

struct series {
    char client[64], figure[64], unit[16];
    struct point *p; /* one per file */
};

struct history {
    const struct tb_history_opts *o;
    struct series *s;
    size_t n, cap;
    size_t n_files, file; /* file: the one being read */
};

/* A results file: a regular file not hidden. */
static bool regular_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int by_version(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

static tb_err take(const tb_results_line *l, void *arg, tb_error *err)
{
    struct history *h = arg;
    const char *kind = tb_results_str(l, "kind");
    const char *client = tb_results_str(l, "client");
    const char *figure = tb_results_str(l, "figure");
    const char *unit = tb_results_str(l, "unit");
    const char *verdict = tb_results_str(l, "verdict");
    struct series *s = NULL;
    struct point *p;

    if (kind == NULL || strcmp(kind, "gate") != 0 || client == NULL ||
        figure == NULL || figure[0] == '\0' ||
        isnan(tb_results_num(l, "median")) ||
        (h->o->client != NULL && strcmp(client, h->o->client) != 0) ||
        (h->o->figure != NULL && strcmp(figure, h->o->figure) != 0))
        return TB_OK;
    for (size_t i = 0; i < h->n && s == NULL; i++)
        if (strcmp(h->s[i].client, client) == 0 &&
            strcmp(h->s[i].figure, figure) == 0)
            s = &h->s[i];
    if (s == NULL) {
        if (h->n == h->cap) {
            size_t cap = h->cap ? h->cap * 2 : 16;
            struct series *g = realloc(h->s, cap * sizeof(*g));
            if (g == NULL)
                return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            h->s = g;
            h->cap = cap;
        }
        s = &h->s[h->n];
        memset(s, 0, sizeof(*s));
        if ((s->p = calloc(h->n_files, sizeof(*s->p))) == NULL)
            return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        h->n++;
        snprintf(s->client, sizeof(s->client), "%s", client);
        snprintf(s->figure, sizeof(s->figure), "%s", figure);
        snprintf(s->unit, sizeof(s->unit), "%s", unit ? unit : "");
    }
    p = &s->p[h->file]; /* the file's last line wins */
    p->median = tb_results_num(l, "median");
    p->lo = tb_results_num(l, "lo");
    p->hi = tb_results_num(l, "hi");
    snprintf(p->verdict, sizeof(p->verdict), "%s", verdict ? verdict : "");
    p->set = true;
    return TB_OK;
}

static size_t print_series(FILE *out, const struct series *s,
                           char *const *names, size_t n_files)
{
    double x[MAX_POINTS], hw[MAX_POINTS];
    size_t idx[MAX_POINTS], n = 0, at[MAX_POINTS], n_at;

    fprintf(out, "%s %s (%s)\n", s->client, s->figure, s->unit);
    for (size_t f = 0; f < n_files; f++) {
        const struct point *p = &s->p[f];
        if (!p->set)
            continue;
        fprintf(out, "  %-32s %12.4g  [%.4g, %.4g]  %s\n", names[f], p->median,
                p->lo, p->hi, p->verdict);
        if (n < MAX_POINTS) {
            x[n] = p->median;
            hw[n] = isfinite(p->lo) && isfinite(p->hi) ? fabs(p->hi - p->lo) / 2
                                                       : NAN;
            idx[n++] = f;
        }
    }
    n_at = tb_history_steps(x, hw, n, at, MAX_POINTS);
    for (size_t k = 0; k < n_at; k++) {
        /* The levels: the medians of the points since the previous step
         * and up to the next one. */
        size_t from = k > 0 ? at[k - 1] : 0, to = k + 1 < n_at ? at[k + 1] : n;
        double tmp[MAX_POINTS], before, after;

        memcpy(tmp, x + from, (at[k] - from) * sizeof(*tmp));
        before = median_of(tmp, at[k] - from);
        memcpy(tmp, x + at[k], (to - at[k]) * sizeof(*tmp));
        after = median_of(tmp, to - at[k]);
        fprintf(out, "  step between %s and %s: %.4g -> %.4g (%+.1f%%)\n",
                names[idx[at[k] - 1]], names[idx[at[k]]], before, after,
                before != 0 ? (after - before) / fabs(before) * 100 : 0);
    }
    if (n_at == 0)
        fprintf(out, "  no step\n");
    return n_at;
}

tb_err tb_history_write(const struct tb_history_opts *o, FILE *out,
                        size_t *n_steps, tb_error *err)
{
    struct history h = {.o = o};
    char **names = NULL;
    size_t n = 0, steps = 0;
    tb_err e;

    if ((e = tb__list_dir(o->dir, regular_file, by_version, &names, &n, err)) !=
        TB_OK)
        return e;
    h.n_files = n;
    for (h.file = 0; h.file < n && e == TB_OK; h.file++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", o->dir, names[h.file]);
        e = tb_results_read(path, take, NULL, &h, NULL, err);
    }
    if (e != TB_OK)
        goto out;
    if (h.n == 0) {
        e = tb_error_set(err, TB_ERR_INVALID_ARG,
                         "history %s: no figure%s%s%s%s in %zu files", o->dir,
                         o->client ? " of client " : "",
                         o->client ? o->client : "", o->figure ? " named " : "",
                         o->figure ? o->figure : "", n);
        goto out;
    }
    fprintf(out, "%zu files in %s, in name (version) order\n\n", n, o->dir);
    for (size_t i = 0; i < h.n; i++)
        steps += print_series(out, &h.s[i], names, n);
    fprintf(out, "\n%zu series, %zu steps\n", h.n, steps);
    if (n_steps != NULL)
        *n_steps = steps;
out:
    for (size_t i = 0; i < h.n; i++)
        free(h.s[i].p);
    free(h.s);
    tb__names_free(names, n);
    return e;
}
