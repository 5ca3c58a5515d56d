/* The summary of a regression run, made from results.jsonl: the rows are
 * read first (through the results module), then every file is written
 * from them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "tracebench/gate/baseline.h"
#include "tracebench/gate/thresholds.h"
#include "tracebench/util/paths.h"
#include "tracebench/util/log.h"
#include "tracebench/output/results.h"
#include "tracebench/output/summary.h"

/* One gate line of the run. Strings are owned. */
struct row {
    char *client, *gate, *figure, *unit, *verdict, *message, *bound;
    double median, lo, hi, n, confidence, limit;
};

struct rows {
    struct row *v;
    size_t n, cap;
    const char *run_id; /* NULL: every run */
};

static const char *s_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct row *w = &r->v[i];
        free(w->client), free(w->gate), free(w->figure), free(w->unit);
        free(w->verdict), free(w->message), free(w->bound);
    }
    free(r->v);
}

static tb_err add_row(const tb_results_line *l, void *arg, tb_error *err)
{
    struct rows *r = arg;
    struct row *w;

    if (strcmp(s_or_empty(tb_results_str(l, "kind")), "gate") != 0 ||
        (r->run_id != NULL &&
         strcmp(s_or_empty(tb_results_str(l, "run")), r->run_id) != 0))
        return TB_OK;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        struct row *v = realloc(r->v, cap * sizeof(*v));
        if (v == NULL)
            return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        r->v = v;
        r->cap = cap;
    }
    w = &r->v[r->n];
    w->client = tb__strdup(s_or_empty(tb_results_str(l, "client")));
    w->gate = tb__strdup(s_or_empty(tb_results_str(l, "gate")));
    w->figure = tb__strdup(s_or_empty(tb_results_str(l, "figure")));
    w->unit = tb__strdup(s_or_empty(tb_results_str(l, "unit")));
    w->verdict = tb__strdup(s_or_empty(tb_results_str(l, "verdict")));
    w->message = tb__strdup(s_or_empty(tb_results_str(l, "message")));
    w->bound = tb__strdup(s_or_empty(tb_results_str(l, "bound")));
    w->median = tb_results_num(l, "median");
    w->lo = tb_results_num(l, "lo");
    w->hi = tb_results_num(l, "hi");
    w->n = tb_results_num(l, "n");
    w->confidence = tb_results_num(l, "confidence");
    w->limit = tb_results_num(l, "limit");
    r->n++;
    if (!w->client || !w->gate || !w->figure || !w->unit || !w->verdict ||
        !w->message || !w->bound)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    return TB_OK;
}

static void skipped(const char *path, size_t lineno, const char *what,
                    void *arg)
{
    (void)arg;
    tb_log(TB_LOG_WARN, "summary", "%s:%zu: %s, skipped", path, lineno, what);
}

static void fmt(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (fabs(v) >= 1e6)
        snprintf(buf, size, "%.4g", v);
    else if (fabs(v) >= 100)
        snprintf(buf, size, "%.0f", v); /* 3598 spans/s, not 3.6e+03 */
    else
        snprintf(buf, size, "%.3g", v);
}

static void interval(char *buf, size_t size, const struct row *w)
{
    char lo[32], hi[32];

    if (w->n <= 1 || isnan(w->confidence) || w->confidence <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    fmt(lo, sizeof(lo), w->lo);
    fmt(hi, sizeof(hi), w->hi);
    snprintf(buf, size, "%.0f%%: %s to %s", w->confidence * 100, lo, hi);
}

/* Writes the JSON (pretty) to path. */
static tb_err save_json(const char *path, const cJSON *j, tb_error *err)
{
    char *text = cJSON_Print(j);
    FILE *f = text != NULL ? fopen(path, "w") : NULL;
    tb_err e = TB_OK;

    if (f == NULL || fputs(text, f) == EOF || fputc('\n', f) == EOF)
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", path);
    if (f != NULL && fclose(f) != 0 && e == TB_OK)
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", path);
    free(text);
    return e;
}

/* A github-action-benchmark entry: name, unit, value, range, extra. */
static cJSON *bench_entry(const struct row *w)
{
    cJSON *b = cJSON_CreateObject();
    char name[160], range[96];

    snprintf(name, sizeof(name), "%s %s", w->client, w->figure);
    snprintf(range, sizeof(range), "%g to %g", w->lo, w->hi);
    cJSON_AddStringToObject(b, "name", name);
    cJSON_AddStringToObject(b, "unit", w->unit);
    cJSON_AddNumberToObject(b, "value", w->median);
    cJSON_AddStringToObject(b, "range", range);
    cJSON_AddStringToObject(b, "extra", w->verdict);
    return b;
}

/* A Bencher measure slug from a unit: "spans/s" -> "spans-per-s". */
static void measure_slug(char *out, size_t size, const char *unit)
{
    size_t o = 0;

    for (const char *p = unit; *p != '\0' && o + 6 < size; p++) {
        if (*p == '/') {
            memcpy(out + o, "-per-", 5);
            o += 5;
        } else if (*p == ' ' || *p == '_') {
            out[o++] = '-';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    if (o == 0)
        snprintf(out, size, "value");
}

/* The path of name in the folder of sibling (or the log dir). */
static void beside(char *out, size_t size, const char *sibling,
                   const char *name)
{
    const char *slash = sibling != NULL ? strrchr(sibling, '/') : NULL;

    if (sibling == NULL)
        snprintf(out, size, "%s/%s", tb_log_dir(), name);
    else if (slash == NULL)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "%.*s/%s", (int)(slash - sibling), sibling, name);
}

/* benchmarks.json (every figure), its smaller- and bigger-is-better
 * halves, and bmf.json. */
static tb_err write_benchmarks(const struct tb_summary_opts *o,
                               const struct rows *r, const char *bench_path,
                               tb_error *err)
{
    char bmf_def[1100], small_def[1100], big_def[1100];
    const char *bmf_path = o->bmf_path, *small_path = o->smaller_path,
               *big_path = o->bigger_path;
    cJSON *all = cJSON_CreateArray(), *smaller = cJSON_CreateArray(),
          *bigger = cJSON_CreateArray(), *bmf = cJSON_CreateObject();
    tb_err e = TB_OK;

    if (bmf_path == NULL) {
        beside(bmf_def, sizeof(bmf_def), bench_path, "bmf.json");
        bmf_path = bmf_def;
    }
    if (small_path == NULL) {
        beside(small_def, sizeof(small_def), bench_path,
               "benchmarks-smaller.json");
        small_path = small_def;
    }
    if (big_path == NULL) {
        beside(big_def, sizeof(big_def), bench_path, "benchmarks-bigger.json");
        big_path = big_def;
    }
    if (all == NULL || smaller == NULL || bigger == NULL || bmf == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct row *w = &r->v[i];
        char name[160], slug[64];
        cJSON *bench, *m;

        if (isnan(w->median))
            continue;
        cJSON_AddItemToArray(all, bench_entry(w));
        /* An at-least figure (throughput, delivery) is better bigger. */
        cJSON_AddItemToArray(strcmp(w->bound, "at_least") == 0 ? bigger
                                                               : smaller,
                             bench_entry(w));
        snprintf(name, sizeof(name), "%s %s", w->client, w->figure);
        measure_slug(slug, sizeof(slug), w->unit);
        bench = cJSON_GetObjectItemCaseSensitive(bmf, name);
        if (bench == NULL)
            bench = cJSON_AddObjectToObject(bmf, name);
        cJSON_DeleteItemFromObjectCaseSensitive(bench, slug);
        m = cJSON_AddObjectToObject(bench, slug);
        cJSON_AddNumberToObject(m, "value", w->median);
        if (isfinite(w->lo) && isfinite(w->hi)) {
            cJSON_AddNumberToObject(m, "lower_value", fmin(w->lo, w->hi));
            cJSON_AddNumberToObject(m, "upper_value", fmax(w->lo, w->hi));
        }
    }
    if ((e = save_json(bench_path, all, err)) != TB_OK ||
        (e = save_json(small_path, smaller, err)) != TB_OK ||
        (e = save_json(big_path, bigger, err)) != TB_OK ||
        (e = save_json(bmf_path, bmf, err)) != TB_OK)
        goto out;
out:
    cJSON_Delete(all);
    cJSON_Delete(smaller);
    cJSON_Delete(bigger);
    cJSON_Delete(bmf);
    return e;
}

tb_err tb_summary_write(const struct tb_summary_opts *o, FILE *console,
                        tb_error *err)
{
    const char *results = o->results_path ? o->results_path
                                          : tb_results_default_path();
    char md_def[1100], bench_def[1100];
    const char *md_path = o->md_path, *bench_path = o->bench_path;
    struct rows r = {.run_id = o->run_id};
    tb_baseline *base = NULL;
    FILE *md = NULL;
    int fails = 0, inconclusive = 0, errors = 0;
    int n_skipped = 0, known = 0, fixed = 0;
    tb_err e;

    if (md_path == NULL) {
        snprintf(md_def, sizeof(md_def), "%s/summary.md", tb_log_dir());
        md_path = md_def;
    }
    if (bench_path == NULL) {
        snprintf(bench_def, sizeof(bench_def), "%s/benchmarks.json",
                 tb_log_dir());
        bench_path = bench_def;
    }
    if ((e = tb_results_read(results, add_row, skipped, &r, NULL, err)) !=
        TB_OK)
        goto out;
    if ((md = fopen(md_path, "w")) == NULL) {
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", md_path);
        goto out;
    }
    if (o->baseline_out != NULL &&
        (e = tb_baseline_new(o->client ? o->client : "unknown",
                             o->profile ? o->profile : "full", &base, err)) !=
            TB_OK)
        goto out;

    fprintf(md, "# tracebench regression summary\n\n"
                "| client | gate | figure | median | interval | n | limit "
                "| verdict |\n|---|---|---|---|---|---|---|---|\n");
    if (console != NULL)
        fprintf(console, "\n%-10s %-10s %-34s %10s %-24s %3s %10s %s\n",
                "client", "gate", "figure", "median", "interval", "n", "limit",
                "verdict");
    for (size_t i = 0; i < r.n; i++) {
        const struct row *w = &r.v[i];
        char med[32], lim[32], iv[96];

        fails += strcmp(w->verdict, "fail") == 0;
        inconclusive += strcmp(w->verdict, "inconclusive") == 0;
        errors += strcmp(w->verdict, "error") == 0;
        n_skipped += strcmp(w->verdict, "skipped") == 0;
        known += strcmp(w->verdict, "known failure") == 0;
        fixed += strcmp(w->verdict, "fixed?") == 0;
        fmt(med, sizeof(med), w->median);
        fmt(lim, sizeof(lim), w->limit);
        interval(iv, sizeof(iv), w);
        if (console != NULL)
            fprintf(console, "%-10s %-10s %-34s %10s %-24s %3.0f %10s %s\n",
                    w->client, w->gate, w->figure, med, iv,
                    isnan(w->n) ? 0 : w->n, lim, w->verdict);
        /* What was not measured says why, on the console too. */
        if (console != NULL && (strcmp(w->verdict, "skipped") == 0 ||
                                strcmp(w->verdict, "error") == 0 ||
                                strcmp(w->verdict, "known failure") == 0 ||
                                strcmp(w->verdict, "fixed?") == 0))
            fprintf(console, "    %s\n", w->message);
        fprintf(md, "| %s | %s | %s | %s | %s | %.0f | %s | %s |\n", w->client,
                w->gate, w->figure, med, iv, isnan(w->n) ? 0 : w->n, lim,
                w->verdict);
        if (strcmp(w->verdict, "pass") != 0)
            fprintf(md, "\n> %s\n\n", w->message);
        if (base != NULL && !isnan(w->median) && !isnan(w->lo) && !isnan(w->hi))
            tb_baseline_set(base, w->figure, w->median, w->lo, w->hi,
                            (size_t)fmax(1, isnan(w->n) ? 1 : w->n), NULL);
    }
    fprintf(md,
            "\n%zu figures: %d failed, %d inconclusive, %d errors, %d "
            "skipped, %d known failures, %d fixed?.\n",
            r.n, fails, inconclusive, errors, n_skipped, known, fixed);
    if (console != NULL)
        fprintf(console,
                "%zu figures: %d failed, %d inconclusive, %d errors, %d "
                "skipped, %d known failures, %d fixed? (%s, %s)\n",
                r.n, fails, inconclusive, errors, n_skipped, known, fixed,
                md_path, results);
    if ((e = write_benchmarks(o, &r, bench_path, err)) != TB_OK)
        goto out;
    if (base != NULL) {
        /* The limits the figures were judged by: a later run under other
         * limits is refused (tb_baseline_check). */
        char dir[1100];
        tb_thresholds *t = NULL;
        snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
        if (o->client != NULL &&
            tb_thresholds_load(o->thresholds_dir ? o->thresholds_dir : dir,
                               o->client, o->profile ? o->profile : "full", &t,
                               NULL) == TB_OK)
            snprintf(base->thresholds_digest, sizeof(base->thresholds_digest),
                     "%s", tb_thresholds_digest(t));
        tb_thresholds_free(t);
        if ((e = tb_baseline_save(base, o->baseline_out, err)) != TB_OK)
            goto out;
        if (console != NULL)
            fprintf(console, "baseline of %zu figures written to %s\n",
                    base->n_figures, o->baseline_out);
    }
    e = TB_OK;
out:
    if (md != NULL)
        fclose(md);
    tb_baseline_free(base);
    rows_free(&r);
    return e;
}
