/* The results module: lines written from structs and read back through
 * its one reader; the thresholds digest that names a differing file; the
 * ctest measurements; the split benchmark files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "common.h"
#include "tracebench.h"
#include "tracebench/output/summary.h"

TestSuite(results, .timeout = 60);

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tb-results-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

/* The file's text, malloc'd; the test fails when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 16);

    cr_assert_not_null(f, "%s was not written", path);
    fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

struct seen {
    size_t gates, runs;
    char verdict[16], thresholds[256], b_verdict[16];
    double median, spans_sent, b_median;
    bool has_made_sps;
};

static tb_err collect(const tb_results_line *l, void *arg, tb_error *err)
{
    struct seen *s = arg;
    const char *kind = tb_results_str(l, "kind");

    (void)err;
    if (strcmp(kind, "run") == 0) {
        s->runs++;
        s->spans_sent = tb_results_num(l, "result.spans_sent");
        s->has_made_sps = tb_results_has(l, "result.made_sps");
    } else if (strcmp(kind, "gate") == 0) {
        s->gates++;
        snprintf(s->verdict, sizeof(s->verdict), "%s",
                 tb_results_str(l, "verdict"));
        snprintf(s->thresholds, sizeof(s->thresholds), "%s",
                 tb_results_str(l, "thresholds") ?: "");
        s->median = tb_results_num(l, "median");
        s->b_median = tb_results_num(l, "baseline.median");
        snprintf(s->b_verdict, sizeof(s->b_verdict), "%s",
                 tb_results_str(l, "baseline.verdict") ?: "");
    }
    return TB_OK;
}

static tb_err count_line(const tb_results_line *l, void *arg, tb_error *err)
{
    (void)l, (void)arg, (void)err;
    return TB_OK;
}

static void count_skip(const char *path, size_t lineno, const char *what,
                       void *arg)
{
    (void)path, (void)what;
    *(size_t *)arg = lineno;
}

Test(results, lines_written_from_structs_read_back)
{
    char path[128];
    struct tb_results_run run = {.run_id = "r1",
                                 .client = "c",
                                 .profile = "quick",
                                 .thresholds = "default.json=00ff"};
    tb_result r = {.spans_sent = 42,
                   .spans_sent_reported = true,
                   .has_satellites = true,
                   .spans_received = 42,
                   .made_sps = 0};
    struct tb_gate_outcome o = {.gate = TB_GATE_CPU, .n_figures = 1};
    struct tb_figure *f = &o.figures[0];
    struct seen s = {0};
    size_t lines = 0, skipped_line = 0;
    tb_error err = {0};

    mkdir_tmp();
    snprintf(path, sizeof(path), "%s/results.jsonl", dir);
    run.path = path;
    strcpy(f->name, "cpu.overhead_points");
    f->median = 4.5, f->lo = 4, f->hi = 5, f->n = 3, f->limit = 15;
    f->verdict = TB_VERDICT_FAIL;
    f->has_baseline = true, f->baseline_median = 2;
    f->baseline_verdict = TB_VERDICT_PASS;
    cr_assert_eq(tb_results_add_run(&run, "cpu", "traced", &r, &err), TB_OK,
                 "%s", err.msg);
    cr_assert_eq(tb_results_add_gate(&run, &o, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_results_add_text(path, "{broken", &err), TB_OK);
    cr_assert_eq(tb_results_add_gate_error(&run, "flush", "no client", &err),
                 TB_OK);
    /* First with the skip callback (its arg: the skipped line's number),
     * then for the lines. */
    cr_assert_eq(tb_results_read(path, count_line, count_skip, &skipped_line,
                                 &lines, &err),
                 TB_OK);
    cr_assert_eq(skipped_line, 3, "the broken line is line 3");
    cr_assert_eq(lines, 4);
    cr_assert_eq(tb_results_read(path, collect, NULL, &s, NULL, &err), TB_OK);
    cr_assert_eq(s.runs, 1);
    cr_assert_eq(s.gates, 2);
    cr_assert_float_eq(s.spans_sent, 42, 1e-9,
                       "the run line holds the result struct's fields");
    cr_assert(s.has_made_sps, "made_sps is written as null when unknown");
    cr_assert_str_eq(s.verdict, "error", "the last gate line");
    cr_assert_str_eq(s.thresholds, "default.json=00ff");
    char last[64];
    cr_assert_eq(tb_results_last_run(path, last, sizeof(last), &err), TB_OK);
    cr_assert_str_eq(last, "r1");
    tb_test_rm_tree(dir);
}

static tb_err first_gate(const tb_results_line *l, void *arg, tb_error *err)
{
    struct seen *s = arg;

    (void)err;
    if (strcmp(tb_results_str(l, "kind"), "gate") == 0 && s->gates++ == 0) {
        s->b_median = tb_results_num(l, "baseline.median");
        snprintf(s->b_verdict, sizeof(s->b_verdict), "%s",
                 tb_results_str(l, "baseline.verdict") ?: "");
        s->median = tb_results_num(l, "no.such.key");
    }
    return TB_OK;
}

Test(results, nested_keys_and_missing_fields)
{
    char path[128];
    struct seen s = {0};
    tb_error err = {0};

    mkdir_tmp();
    snprintf(path, sizeof(path), "%s/results.jsonl", dir);
    write_file(path, "{\"kind\":\"gate\",\"baseline\":{\"median\":2.5,"
                     "\"verdict\":\"pass\"},\"new_field\":[1,2]}\n\n");
    cr_assert_eq(tb_results_read(path, first_gate, NULL, &s, NULL, &err),
                 TB_OK);
    cr_assert_float_eq(s.b_median, 2.5, 1e-9);
    cr_assert_str_eq(s.b_verdict, "pass");
    cr_assert(isnan(s.median));
    tb_test_rm_tree(dir);
}

Test(results, missing_file_names_it)
{
    tb_error err = {0};
    struct seen s = {0};

    cr_assert_eq(tb_results_read("/nonexistent/results.jsonl", collect, NULL,
                                 &s, NULL, &err),
                 TB_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent/results.jsonl") != NULL, "%s",
              err.msg);
}

Test(results, thresholds_digest_names_each_json_file)
{
    char a[128], b[128], p[160], da[512], db[512];
    tb_error err = {0};

    mkdir_tmp();
    snprintf(a, sizeof(a), "%s/a", dir);
    snprintf(b, sizeof(b), "%s/b", dir);
    mkdir(a, 0755), mkdir(b, 0755);
    snprintf(p, sizeof(p), "%s/default.json", a), write_file(p, "{}");
    snprintf(p, sizeof(p), "%s/js.json", a), write_file(p, "{\"x\":1}");
    snprintf(p, sizeof(p), "%s/README.md", a), write_file(p, "not hashed");
    snprintf(p, sizeof(p), "%s/default.json", b), write_file(p, "{}");
    snprintf(p, sizeof(p), "%s/js.json", b), write_file(p, "{\"x\":2}");
    cr_assert_eq(tb_results_thresholds_digest(a, da, sizeof(da), &err), TB_OK,
                 "%s", err.msg);
    cr_assert_eq(tb_results_thresholds_digest(b, db, sizeof(db), &err), TB_OK,
                 "%s", err.msg);
    cr_assert(strncmp(da, "default.json=", 13) == 0, "%s", da);
    cr_assert(strstr(da, " js.json=") != NULL, "%s", da);
    cr_assert(strstr(da, "README") == NULL, "%s", da);
    cr_assert_eq(strncmp(da, db, strchr(da, ' ') - da), 0,
                 "same default.json, same hash: %s / %s", da, db);
    cr_assert_str_neq(da, db);
    cr_assert_eq(
        tb_results_thresholds_digest("/nonexistent", da, sizeof(da), &err),
        TB_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent") != NULL, "%s", err.msg);
    tb_test_rm_tree(dir);
}

Test(results, ctest_measurements)
{
    struct tb_gate_outcome o = {.gate = TB_GATE_THROUGHPUT, .n_figures = 2};
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    strcpy(o.figures[0].name, "throughput.max_sps");
    o.figures[0].median = 1234.5;
    strcpy(o.figures[1].name, "throughput.unmeasured");
    o.figures[1].median = NAN;
    tb_results_print_ctest(f, "c", &o);
    fclose(f);
    cr_assert_str_eq(buf, "<CTestMeasurement type=\"numeric/double\" "
                          "name=\"c throughput.max_sps\">1234.5"
                          "</CTestMeasurement>\n");
    free(buf);
}

Test(results, at_least_figures_are_bigger_is_better)
{
    char path[128], bench[128], p[160], *text;
    struct tb_results_run run = {
        .run_id = "r", .client = "c", .profile = "quick"};
    struct tb_gate_outcome o = {.gate = TB_GATE_THROUGHPUT, .n_figures = 2};
    tb_error err = {0};
    cJSON *arr;

    mkdir_tmp();
    snprintf(path, sizeof(path), "%s/results.jsonl", dir);
    snprintf(bench, sizeof(bench), "%s/benchmarks.json", dir);
    run.path = path;
    strcpy(o.figures[0].name, "throughput.max_sps");
    strcpy(o.figures[0].unit, "spans/s");
    o.figures[0].median = 1200, o.figures[0].lo = o.figures[0].hi = 1200;
    o.figures[0].bound = TB_BOUND_AT_LEAST;
    strcpy(o.figures[1].name, "throughput.cpu");
    strcpy(o.figures[1].unit, "fraction");
    o.figures[1].median = 0.5, o.figures[1].lo = o.figures[1].hi = 0.5;
    o.figures[1].bound = TB_BOUND_AT_MOST;
    cr_assert_eq(tb_results_add_gate(&run, &o, &err), TB_OK);
    struct tb_summary_opts so = {
        .results_path = path, .bench_path = bench, .md_path = "/dev/null"};
    cr_assert_eq(tb_summary_write(&so, NULL, &err), TB_OK, "%s", err.msg);
    snprintf(p, sizeof(p), "%s/benchmarks-bigger.json", dir);
    text = slurp(p);
    arr = cJSON_Parse(text);
    cr_assert_eq(cJSON_GetArraySize(arr), 1, "%s", text);
    cr_assert_str_eq(cJSON_GetArrayItem(arr, 0)->child->valuestring,
                     "c throughput.max_sps");
    cJSON_Delete(arr);
    free(text);
    snprintf(p, sizeof(p), "%s/bmf.json", dir);
    text = slurp(p);
    arr = cJSON_Parse(text);
    cr_assert_not_null(
        cJSON_GetObjectItem(cJSON_GetObjectItem(arr, "c throughput.max_sps"),
                            "spans-per-s"),
        "%s", text);
    cJSON_Delete(arr);
    free(text);
    tb_test_rm_tree(dir);
}
