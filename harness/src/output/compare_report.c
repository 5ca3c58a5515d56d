/* A comparison written out: a table on the console and in Markdown, JUnit
 * XML with one test case per figure, and a results.jsonl line per figure.
 * Everything is written before the caller decides its exit status. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "strbuf.h"
#include "tracebench/output/compare_report.h"
#include "tracebench/output/record.h"

/* B against A as fits the figure: a ratio for sizes and rates, a
 * difference for points, counts and fractions. */
static void change(char *buf, size_t size, const struct tb_compare_figure *f)
{
    bool ratio = strcmp(f->unit, "ratio") == 0 ||
                 strcmp(f->unit, "bytes") == 0 ||
                 strcmp(f->unit, "spans/s") == 0 ||
                 strstr(f->unit, "instructions") != NULL;

    if (f->verdict == TB_COMPARE_ERROR)
        snprintf(buf, size, "-");
    else if (ratio && isfinite(f->ratio) && f->a_median != 0)
        snprintf(buf, size, "x%.3f (%+.3g to %+.3g %s)", f->ratio, f->lo, f->hi,
                 f->unit);
    else
        snprintf(buf, size, "%+.3g (%+.3g to %+.3g) %s", f->diff, f->lo, f->hi,
                 f->unit);
}

static void row(FILE *f, const struct tb_compare_figure *x, bool md)
{
    char ch[96], a[32], b[32];

    change(ch, sizeof(ch), x);
    snprintf(a, sizeof(a), "%.4g", x->a_median);
    snprintf(b, sizeof(b), "%.4g", x->b_median);
    if (md)
        fprintf(f, "| %s | %s | %s | %s | %zu | %.3g (%s) | **%s** |\n",
                x->name, a, b, ch, x->rounds, x->allowed, x->tolerance,
                tb_compare_verdict_name(x->verdict));
    else
        fprintf(f, "%-34s %-12s %-12s %-38s %6zu  %s\n", x->name, a, b, ch,
                x->rounds, tb_compare_verdict_name(x->verdict));
}

void tb_compare_print(const tb_compare_result *r, FILE *f)
{
    fprintf(f, "compare: A = %s, B = %s (run %s)\n", r->a, r->b, r->run_id);
    fprintf(f, "%-34s %-12s %-12s %-38s %6s  %s\n", "figure", "A", "B",
            "B against A (interval)", "rounds", "verdict");
    for (size_t i = 0; i < r->n; i++)
        row(f, &r->figures[i], false);
    for (size_t i = 0; i < r->n; i++)
        if (r->figures[i].verdict != TB_COMPARE_SAME)
            fprintf(f, "  %s: %s\n",
                    tb_compare_verdict_name(r->figures[i].verdict),
                    r->figures[i].message);
}

static void xml_escaped(FILE *f, const char *s)
{
    struct tb__buf b = {0};

    tb__buf_escape(&b, s);
    if (b.len > 0)
        fwrite(b.data, 1, b.len, f);
    tb__buf_free(&b);
}

static tb_err write_junit(const tb_compare_result *r, const char *path,
                          tb_error *err)
{
    size_t failures = 0;
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return tb_error_set(err, TB_ERR_IO, "%s: cannot write", path);
    for (size_t i = 0; i < r->n; i++)
        failures += r->figures[i].verdict == TB_COMPARE_WORSE ||
                    r->figures[i].verdict == TB_COMPARE_ERROR;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites>\n<testsuite name=\"compare\" tests=\"%zu\" "
            "failures=\"%zu\">\n",
            r->n, failures);
    for (size_t i = 0; i < r->n; i++) {
        const struct tb_compare_figure *x = &r->figures[i];
        fputs("  <testcase classname=\"compare.", f);
        xml_escaped(f, tb_gate_name(x->gate));
        fputs("\" name=\"", f);
        xml_escaped(f, x->name);
        fputs("\">", f);
        if (x->verdict == TB_COMPARE_WORSE || x->verdict == TB_COMPARE_ERROR) {
            fputs("<failure message=\"", f);
            xml_escaped(f, x->message);
            fputs("\"/>", f);
        } else {
            fputs("<system-out>", f);
            xml_escaped(f, x->message);
            fputs("</system-out>", f);
        }
        fputs("</testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    if (fclose(f) != 0)
        return tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
    return TB_OK;
}

tb_err tb_compare_write(const tb_compare_result *r, const char *results_path,
                        const char *markdown_path, const char *junit_path,
                        tb_error *err)
{
    tb_err e;

    for (size_t i = 0; i < r->n; i++)
        if ((e = tb_record_compare(results_path, r, r->profile, &r->figures[i],
                                   err)) != TB_OK)
            return e;
    if (markdown_path != NULL) {
        FILE *f = fopen(markdown_path, "w");
        if (f == NULL)
            return tb_error_set(err, TB_ERR_IO, "%s: cannot write",
                                markdown_path);
        fprintf(f,
                "# B against A\n\nA = `%s`, B = `%s`, run `%s`.\n\n"
                "| figure | A | B | B against A (interval) | rounds | "
                "allowed | verdict |\n|---|---|---|---|---|---|---|\n",
                r->a, r->b, r->run_id);
        for (size_t i = 0; i < r->n; i++)
            row(f, &r->figures[i], true);
        if (fclose(f) != 0)
            return tb_error_set(err, TB_ERR_IO, "%s: write failed",
                                markdown_path);
    }
    return junit_path != NULL ? write_junit(r, junit_path, err) : TB_OK;
}

/* A github-action-benchmark entry, or nothing for a NaN value. */
static void bench(cJSON *all, const char *name, const char *unit, double value,
                  const char *range, const char *extra)
{
    cJSON *e;

    if (!isfinite(value) || (e = cJSON_CreateObject()) == NULL)
        return;
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "unit", unit);
    cJSON_AddNumberToObject(e, "value", value);
    if (range != NULL)
        cJSON_AddStringToObject(e, "range", range);
    cJSON_AddStringToObject(e, "extra", extra);
    cJSON_AddItemToArray(all, e);
}

tb_err tb_compare_write_benchmarks(const tb_compare_result *r, const char *path,
                                   tb_error *err)
{
    cJSON *all = cJSON_CreateArray();
    char *text = NULL;
    FILE *f = NULL;
    tb_err e = TB_OK;

    if (all == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n; i++) {
        const struct tb_compare_figure *x = &r->figures[i];
        char name[256], range[96];

        snprintf(name, sizeof(name), "%s %s", r->a, x->name);
        bench(all, name, x->unit, x->a_median, NULL, "A");
        snprintf(name, sizeof(name), "%s %s", r->b, x->name);
        bench(all, name, x->unit, x->b_median, NULL, "B");
        snprintf(name, sizeof(name), "%s vs %s %s (B - A)", r->b, r->a,
                 x->name);
        snprintf(range, sizeof(range), "%g to %g", x->lo, x->hi);
        bench(all, name, x->unit, x->diff, range,
              tb_compare_verdict_name(x->verdict));
    }
    if ((text = cJSON_Print(all)) == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    } else if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
               fputc('\n', f) == EOF) {
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", path);
    }
    if (f != NULL && fclose(f) != 0 && e == TB_OK)
        e = tb_error_set(err, TB_ERR_IO, "%s: cannot write", path);
    free(text);
    cJSON_Delete(all);
    return e;
}
