/* The end of a regression run: the summary table, summary.md,
 * benchmarks.json and a baseline, all made from results.jsonl; and the
 * regression entry point's refusal of a missing baseline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "tracebench.h"

TestSuite(summary, .timeout = 60);

static char dir[64];

static void path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static char *slurp(const char *p)
{
    static char buf[65536];
    FILE *f = fopen(p, "r");
    size_t n;

    cr_assert_not_null(f, "%s was not written", p);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A results file from a run of the real record functions: one passing and
 * one failing figure in run "r1", one inconclusive in run "r0", and a line
 * of junk that must be skipped. */
static void make_results(const char *results)
{
    struct tb_gate_outcome o = {.gate = TB_GATE_CPU, .n_figures = 1};
    struct tb_figure *f = &o.figures[0];
    tb_result r = {.spans_sent = 10, .trace = true, .target_sps = 500};
    struct tb_results_run r1 = {
        .path = results, .run_id = "r1", .client = "c-ish", .profile = "quick"};
    struct tb_results_run r0 = {
        .path = results, .run_id = "r0", .client = "old", .profile = "quick"};
    FILE *fp;

    strcpy(f->name, "cpu.overhead_points");
    strcpy(f->unit, "points");
    f->median = 3.2, f->lo = 2.9, f->hi = 3.6, f->n = 5;
    f->confidence = 0.95, f->limit = 10, f->verdict = TB_VERDICT_PASS;
    strcpy(f->message, "c-ish: cpu overhead 3.2 points");
    cr_assert_eq(tb_results_add_run(&r1, "cpu", "traced trial 1", &r, NULL),
                 TB_OK);
    cr_assert_eq(tb_results_add_gate(&r1, &o, NULL), TB_OK);
    o.gate = TB_GATE_DROPS;
    strcpy(f->name, "drops.dropped_spans");
    strcpy(f->unit, "spans");
    f->median = f->lo = f->hi = 7, f->n = 1, f->confidence = 0;
    f->limit = 0, f->verdict = TB_VERDICT_FAIL;
    strcpy(f->message, "c-ish: 7 spans dropped at 300 spans/s");
    cr_assert_eq(tb_results_add_gate(&r1, &o, NULL), TB_OK);
    f->verdict = TB_VERDICT_INCONCLUSIVE;
    cr_assert_eq(tb_results_add_gate(&r0, &o, NULL), TB_OK);
    fp = fopen(results, "a");
    fputs("{not json\n", fp);
    fclose(fp);
}

Test(summary, run_lines_become_table_markdown_benchmarks_and_baseline)
{
    char results[128], md[128], bench[128], base[128];
    tb_baseline *b;
    tb_error err = {0};

    snprintf(dir, sizeof(dir), "/tmp/tb-summary-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    path(results, sizeof(results), "results.jsonl");
    path(md, sizeof(md), "summary.md");
    path(bench, sizeof(bench), "benchmarks.json");
    path(base, sizeof(base), "baseline.json");
    make_results(results);

    struct tb_summary_opts o = {.results_path = results,
                                .run_id = "r1",
                                .md_path = md,
                                .bench_path = bench,
                                .baseline_out = base,
                                .client = "c-ish",
                                .profile = "quick"};
    cr_assert_eq(tb_summary_write(&o, NULL, &err), TB_OK, "%s", err.msg);

    char *text = slurp(md);
    cr_assert(strstr(text, "| c-ish | cpu | cpu.overhead_points | 3.2 | "
                           "95%: 2.9 to 3.6 | 5 | 10 | pass |") != NULL,
              "%s", text);
    cr_assert(strstr(text, "| fail |") != NULL, "%s", text);
    cr_assert(strstr(text, "> c-ish: 7 spans dropped") != NULL,
              "a failure's message is quoted: %s", text);
    cr_assert(strstr(text, "old") == NULL, "another run's lines: %s", text);
    cr_assert(strstr(text, "2 figures: 1 failed, 0 inconclusive") != NULL, "%s",
              text);

    cJSON *arr = cJSON_Parse(slurp(bench));
    cr_assert_eq(cJSON_GetArraySize(arr), 2);
    cJSON *first = cJSON_GetArrayItem(arr, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(first, "name")->valuestring,
                     "c-ish cpu.overhead_points");
    cr_assert_str_eq(cJSON_GetObjectItem(first, "unit")->valuestring, "points");
    cr_assert_float_eq(cJSON_GetObjectItem(first, "value")->valuedouble, 3.2,
                       1e-9);
    cJSON_Delete(arr);

    /* Both figures are at-most figures: smaller is better, none bigger. */
    char other[160];
    path(other, sizeof(other), "benchmarks-smaller.json");
    arr = cJSON_Parse(slurp(other));
    cr_assert_eq(cJSON_GetArraySize(arr), 2);
    cJSON_Delete(arr);
    unlink(other);
    path(other, sizeof(other), "benchmarks-bigger.json");
    arr = cJSON_Parse(slurp(other));
    cr_assert_eq(cJSON_GetArraySize(arr), 0);
    cJSON_Delete(arr);
    unlink(other);
    path(other, sizeof(other), "bmf.json");
    cJSON *bmf = cJSON_Parse(slurp(other));
    cJSON *m = cJSON_GetObjectItem(
        cJSON_GetObjectItem(bmf, "c-ish cpu.overhead_points"), "points");
    cr_assert_not_null(m, "bmf: %s", slurp(other));
    cr_assert_float_eq(cJSON_GetObjectItem(m, "value")->valuedouble, 3.2, 1e-9);
    cr_assert_float_eq(cJSON_GetObjectItem(m, "lower_value")->valuedouble, 2.9,
                       1e-9);
    cr_assert_float_eq(cJSON_GetObjectItem(m, "upper_value")->valuedouble, 3.6,
                       1e-9);
    cJSON_Delete(bmf);
    unlink(other);

    cr_assert_eq(tb_baseline_load(base, &b, &err), TB_OK, "%s", err.msg);
    const tb_baseline_figure *f = tb_baseline_get(b, "cpu.overhead_points");
    cr_assert_not_null(f);
    cr_assert_float_eq(f->median, 3.2, 1e-9);
    cr_assert_eq(f->n, 5);
    cr_assert_str_eq(b->client, "c-ish");
    tb_baseline_free(b);
    unlink(results), unlink(md), unlink(bench), unlink(base), rmdir(dir);
}

Test(summary, missing_results_file_is_an_error)
{
    struct tb_summary_opts o = {.results_path = "/nonexistent/results.jsonl",
                                .md_path = "/tmp/x.md"};
    tb_error err = {0};

    cr_assert_eq(tb_summary_write(&o, NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent/results.jsonl") != NULL, "%s",
              err.msg);
}

Test(summary, regress_refuses_a_missing_baseline)
{
    struct tb_regress_opts o = {.client = "c",
                                .profile = "quick",
                                .baseline_path = "/nonexistent/base.json"};
    tb_regress *rg = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_regress_new(&o, &rg, &err), TB_ERR_IO);
    cr_assert_null(rg);
    cr_assert(strstr(err.msg, "/nonexistent/base.json") != NULL, "%s", err.msg);
}

Test(summary, regress_refuses_a_bad_thresholds_dir)
{
    struct tb_regress_opts o = {
        .client = "c", .profile = "quick", .thresholds_dir = "/nonexistent"};
    tb_regress *rg = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_regress_new(&o, &rg, &err), TB_ERR_CONFIG, "%s", err.msg);
    cr_assert(strstr(err.msg, "default.json") != NULL, "%s", err.msg);
}
