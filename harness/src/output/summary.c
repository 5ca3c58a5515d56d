/* The summary of a regression run, made from results.jsonl. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "tracebench/gate/baseline.h"
#include "tracebench/util/log.h"
#include "tracebench/output/record.h"
#include "tracebench/output/summary.h"

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
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

static void interval(char *buf, size_t size, const cJSON *o)
{
    char lo[32], hi[32];
    double c = num(o, "confidence");

    if (num(o, "n") <= 1 || isnan(c) || c <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    fmt(lo, sizeof(lo), num(o, "lo"));
    fmt(hi, sizeof(hi), num(o, "hi"));
    snprintf(buf, size, "%.0f%%: %s to %s", c * 100, lo, hi);
}

tb_err tb_summary_write(const struct tb_summary_opts *o, FILE *console,
                        tb_error *err)
{
    const char *results = o->results_path ? o->results_path
                                          : tb_record_default_path();
    char md_def[1100], bench_def[1100];
    const char *md_path = o->md_path, *bench_path = o->bench_path;
    char *text = NULL, *line, *save = NULL;
    cJSON *bench = cJSON_CreateArray();
    tb_baseline *base = NULL;
    FILE *md = NULL;
    int lineno = 0, fails = 0, inconclusive = 0, errors = 0, rows = 0;
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
    if ((e = tb__read_file(results, &text, NULL, err)) != TB_OK)
        goto out;
    if ((md = fopen(md_path, "w")) == NULL) {
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", md_path);
        goto out;
    }
    if (o->baseline_out != NULL &&
        (e = tb_baseline_new(o->client ? o->client : "unknown",
                             o->profile ? o->profile : "full", &base,
                             err)) != TB_OK)
        goto out;

    fprintf(md, "# tracebench regression summary\n\n"
                "| client | gate | figure | median | interval | n | limit "
                "| verdict |\n|---|---|---|---|---|---|---|---|\n");
    if (console != NULL)
        fprintf(console, "\n%-10s %-10s %-34s %10s %-24s %3s %10s %s\n",
                "client", "gate", "figure", "median", "interval", "n",
                "limit", "verdict");
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *l = cJSON_Parse(line);
        char med[32], lim[32], iv[96];
        lineno++;
        if (l == NULL) {
            tb_log(TB_LOG_WARN, "summary", "%s:%d: not JSON, skipped",
                   results, lineno);
            continue;
        }
        if (strcmp(str(l, "kind"), "gate") != 0 ||
            (o->run_id != NULL && strcmp(str(l, "run"), o->run_id) != 0)) {
            cJSON_Delete(l);
            continue;
        }
        const char *verdict = str(l, "verdict");
        fails += strcmp(verdict, "fail") == 0;
        inconclusive += strcmp(verdict, "inconclusive") == 0;
        errors += strcmp(verdict, "error") == 0;
        rows++;
        fmt(med, sizeof(med), num(l, "median"));
        fmt(lim, sizeof(lim), num(l, "limit"));
        interval(iv, sizeof(iv), l);
        if (console != NULL)
            fprintf(console, "%-10s %-10s %-34s %10s %-24s %3.0f %10s %s\n",
                    str(l, "client"), str(l, "gate"), str(l, "figure"), med,
                    iv, isnan(num(l, "n")) ? 0 : num(l, "n"), lim,
                    verdict);
        fprintf(md, "| %s | %s | %s | %s | %s | %.0f | %s | %s |\n",
                str(l, "client"), str(l, "gate"), str(l, "figure"), med, iv,
                isnan(num(l, "n")) ? 0 : num(l, "n"), lim, verdict);
        if (strcmp(verdict, "error") == 0 || strcmp(verdict, "pass") != 0)
            fprintf(md, "\n> %s\n\n", str(l, "message"));
        if (!isnan(num(l, "median"))) {
            cJSON *b = cJSON_CreateObject();
            char name[160], range[96];
            snprintf(name, sizeof(name), "%s %s", str(l, "client"),
                     str(l, "figure"));
            snprintf(range, sizeof(range), "%g to %g", num(l, "lo"),
                     num(l, "hi"));
            cJSON_AddStringToObject(b, "name", name);
            cJSON_AddStringToObject(b, "unit", str(l, "unit"));
            cJSON_AddNumberToObject(b, "value", num(l, "median"));
            cJSON_AddStringToObject(b, "range", range);
            cJSON_AddStringToObject(b, "extra", verdict);
            cJSON_AddItemToArray(bench, b);
            if (base != NULL && !isnan(num(l, "lo")) &&
                !isnan(num(l, "hi")))
                tb_baseline_set(base, str(l, "figure"), num(l, "median"),
                                num(l, "lo"), num(l, "hi"),
                                (size_t)fmax(1, num(l, "n")), NULL);
        }
        cJSON_Delete(l);
    }
    fprintf(md, "\n%d figures: %d failed, %d inconclusive, %d errors.\n",
            rows, fails, inconclusive, errors);
    if (console != NULL)
        fprintf(console,
                "%d figures: %d failed, %d inconclusive, %d errors "
                "(%s, %s)\n",
                rows, fails, inconclusive, errors, md_path, results);

    char *bj = cJSON_Print(bench);
    FILE *bf = fopen(bench_path, "w");
    if (bj == NULL || bf == NULL) {
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", bench_path);
        free(bj);
        if (bf != NULL)
            fclose(bf);
        goto out;
    }
    fputs(bj, bf);
    fputc('\n', bf);
    free(bj);
    fclose(bf);
    if (base != NULL) {
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
    cJSON_Delete(bench);
    free(text);
    return e;
}
