/* The HTML report: verdicts, figures, baselines, graphs, escaping, and
 * what it does with lines it cannot use. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "common.h"
#include "tracebench/output/compare_report.h"
#include "tracebench/output/report.h"

TestSuite(report, .timeout = 60);

static char dir[] = "/tmp/tb-test-report-XXXXXX";
static char results[256], out[256], graphs[256];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(results, sizeof(results), "%s/results.jsonl", dir);
    snprintf(out, sizeof(out), "%s/logs/report.html", dir);
    snprintf(graphs, sizeof(graphs), "%s/graphs", dir);
    mkdir(graphs, 0777);
}

static void teardown(void)
{
    tb_test_rm_tree(dir);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

#define GATE(client, gate, verdict, extra)                                     \
    "{\"kind\":\"gate\",\"time\":\"2026-11-29T16:00:00Z\",\"client\":"         \
    "\"" client "\",\"gate\":\"" gate "\",\"profile\":\"quick\",\"figure\":"   \
    "\"" gate "_figure\",\"median\":3.25,\"lo\":2.9,\"hi\":3.6,\"n\":5,"       \
    "\"limit\":10,\"limit_key\":\"" gate ".max\",\"limit_source\":"            \
    "\"thresholds/default.json\",\"verdict\":\"" verdict "\",\"message\":"     \
    "\"msg of " gate "\"" extra "}\n"

static const char mixed[] =
    "{\"kind\":\"run\",\"client\":\"c\",\"gate\":\"cpu\",\"params\":{},"
    "\"result\":{\"cpu_usage\":0.7}}\n"
    "{\"kind\":\"run\",\"client\":\"c\",\"gate\":\"cpu\"}\n" GATE(
        "c", "cpu", "pass",
        ",\"baseline\":{\"median\":3.0,\"tolerance_rel\":0.2,"
        "\"verdict\":\"pass\"},\"new_field\":[1,2]")
        GATE("c", "memory", "fail", "") GATE("c", "drops", "inconclusive", "")
            GATE("py", "cpu", "pass", "");

static struct tb_report_summary render(const char *text, char **html)
{
    struct tb_report_opts o = {
        .results_path = results, .out_path = out, .graphs_dir = graphs};
    struct tb_report_summary sum = {0};
    tb_error err = {0};

    write_file(results, text);
    cr_assert_eq(tb_report_write(&o, &sum, &err), TB_OK, "%s", err.msg);
    *html = slurp(out);
    return sum;
}

Test(report, renders_passes_failures_and_inconclusive_gates, .init = setup,
     .fini = teardown)
{
    char *html;
    struct tb_report_summary s = render(mixed, &html);

    cr_assert(eq(sz, s.clients, 2));
    cr_assert(eq(sz, s.gates, 4));
    cr_assert(eq(sz, s.pass, 2));
    cr_assert(eq(sz, s.fail, 1));
    cr_assert(eq(sz, s.inconclusive, 1));
    cr_assert(eq(sz, s.runs, 2));
    cr_assert(eq(sz, s.warnings, 0));
    cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    cr_assert(strstr(html, "</html>") != NULL);
    /* Each verdict is a coloured cell, and the client with a failure
     * fails as a whole. */
    cr_assert(strstr(html, "<td class=\"fail\">fail</td>") != NULL);
    cr_assert(strstr(html, "<td class=\"inconclusive\">inconclusive</td>") !=
              NULL);
    cr_assert(strstr(html, "<td class=\"pass\">pass</td>") != NULL);
    cr_assert(strstr(html, ".fail{background") != NULL, "styled inline");
    /* Figures, intervals, limits with their key and source. */
    cr_assert(strstr(html, ">3.25<") != NULL);
    cr_assert(strstr(html, "[2.9, 3.6]") != NULL);
    cr_assert(strstr(html, "<code>memory.max</code> from <code>"
                           "thresholds/default.json</code>") != NULL);
    cr_assert(strstr(html, "msg of drops") != NULL);
    /* The baseline comparison where there is one, "none" elsewhere. */
    cr_assert(strstr(html, "baseline median 3, tolerance &plusmn;20%") != NULL,
              "baseline shown");
    cr_assert(eq(sz, count(html, "<td class=\"muted\">none</td>"), 3));
    /* Self-contained: no script, no external style or image. */
    cr_assert_null(strstr(html, "<script"));
    cr_assert_null(strstr(html, "http://"));
    cr_assert_null(strstr(html, "https://"));
    free(html);
}

/* The background a style rule ".cls{background:#xxxxxx" gives, or "". */
static void background_of(const char *html, const char *cls, char *bg,
                          size_t size)
{
    char rule[64];
    const char *p;

    snprintf(rule, sizeof(rule), "\n.%s{background:", cls);
    bg[0] = '\0';
    if ((p = strstr(html, rule)) != NULL)
        snprintf(bg, size, "%.7s", p + strlen(rule));
}

Test(report, every_verdict_has_its_own_colour_and_legend_entry, .init = setup,
     .fini = teardown)
{
    static const struct {
        const char *verdict, *cls;
    } want[] = {{"pass", "pass"},
                {"fail", "fail"},
                {"inconclusive", "inconclusive"},
                {"error", "error"},
                {"known failure", "known"},
                {"fixed?", "fixed"},
                {"skipped", "skipped"}};
    const size_t n = sizeof(want) / sizeof(want[0]);
    char *html, cell[96], entry[96], bg[8][8];

    render(GATE("c", "cpu", "pass", "") GATE("c", "memory", "fail", "")
               GATE("c", "drops", "inconclusive", "")
                   GATE("c", "latency", "error", "")
                       GATE("c", "flush", "known failure", "")
                           GATE("c", "outage", "fixed?", "")
                               GATE("c", "slow", "skipped", ""),
           &html);
    for (size_t i = 0; i < n; i++) {
        snprintf(cell, sizeof(cell), "<td class=\"%s\">%s</td>", want[i].cls,
                 want[i].verdict);
        cr_assert(strstr(html, cell) != NULL, "no %s", cell);
        snprintf(entry, sizeof(entry), "<li><span class=\"%s\">%s</span> ",
                 want[i].cls, want[i].verdict);
        cr_assert(eq(sz, count(html, entry), 1), "legend: no %s", entry);
        background_of(html, want[i].cls, bg[i], sizeof(bg[i]));
        cr_assert(eq(sz, strlen(bg[i]), 7), "no background for .%s",
                  want[i].cls);
        for (size_t j = 0; j < i; j++)
            cr_assert(strcmp(bg[i], bg[j]) != 0,
                      "%s and %s share the colour %s", want[i].verdict,
                      want[j].verdict, bg[i]);
    }
    /* Not the grey of an unknown verdict either. */
    background_of(html, "unknown", bg[n], sizeof(bg[n]));
    for (size_t i = 0; i < n; i++)
        cr_assert(strcmp(bg[i], bg[n]) != 0, "%s looks unknown",
                  want[i].verdict);
    free(html);
}

Test(report, escapes_what_it_prints, .init = setup, .fini = teardown)
{
    char *html;
    struct tb_report_summary s = render(
        GATE("<script>alert(1)</script>", "cpu", "fail",
             "") "{\"kind\":\"gate\",\"client\":\"a&b\",\"gate\":\"g\","
                 "\"verdict\":"
                 "\"<i>odd</i>\",\"message\":\"x < y && \\\"q\\\" 'z'\"}\n",
        &html);

    cr_assert(eq(sz, s.clients, 2));
    cr_assert_null(strstr(html, "<script"), "no raw <script> in the page");
    cr_assert_null(strstr(html, "<i>odd"));
    cr_assert(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    cr_assert(strstr(html, "a&amp;b") != NULL);
    cr_assert(strstr(html, "x &lt; y &amp;&amp; &quot;q&quot; &#39;z&#39;") !=
              NULL);
    /* An unknown verdict is shown, escaped, and never coloured as a pass. */
    cr_assert(strstr(html, "<td class=\"unknown\">&lt;i&gt;odd&lt;/i&gt;") !=
              NULL);
    free(html);
}

struct warnings {
    char text[2048];
    int n;
};

static void collect(const char *msg, void *arg)
{
    struct warnings *w = arg;

    strncat(w->text, msg, sizeof(w->text) - strlen(w->text) - 2);
    strcat(w->text, "\n");
    w->n++;
}

Test(report, skips_malformed_lines_with_their_number, .init = setup,
     .fini = teardown)
{
    struct warnings w = {{0}, 0};
    struct tb_report_opts o = {.results_path = results,
                               .out_path = out,
                               .graphs_dir = "",
                               .warn = collect,
                               .warn_arg = &w};
    struct tb_report_summary s;
    tb_error err = {0};
    char *html;

    write_file(
        results,
        GATE("c", "cpu", "pass",
             "") "{\"kind\":\"gate\",\"client\":\"c\"\n"     /* 2 */
                 "\n"                                        /* 3 */
                 "{\"kind\":\"someday\",\"client\":\"c\"}\n" /* 4 */
                 "[1,2,3]\n"                                 /* 5 */
                 "{\"kind\":\"gate\",\"client\":\"c\",\"gate\":\"x\"}\n" GATE(
                     "c", "memory", "fail", ""));
    cr_assert_eq(tb_report_write(&o, &s, &err), TB_OK, "%s", err.msg);
    cr_assert(eq(int, w.n, 3), "%s", w.text);
    cr_assert(eq(sz, s.warnings, 3));
    cr_assert(strstr(w.text, "results.jsonl:2: not a JSON object") != NULL,
              "%s", w.text);
    cr_assert(strstr(w.text, "results.jsonl:5: not a JSON object") != NULL,
              "%s", w.text);
    cr_assert(strstr(w.text, "results.jsonl:6: gate without") != NULL, "%s",
              w.text);
    cr_assert(eq(sz, s.gates, 2), "the good lines around them still count");
    cr_assert(eq(sz, s.lines, 7));
    html = slurp(out);
    cr_assert(strstr(html, "results.jsonl:5") != NULL, "listed in the page");
    free(html);
}

Test(report, a_later_result_of_a_gate_replaces_the_earlier, .init = setup,
     .fini = teardown)
{
    char *html;
    struct tb_report_summary s = render(
        GATE("c", "cpu", "fail", "") GATE("c", "cpu", "pass", ""), &html);

    cr_assert(eq(sz, s.gates, 1));
    cr_assert(eq(sz, s.superseded, 1));
    cr_assert(eq(sz, s.pass, 1));
    cr_assert_null(strstr(html, "<td class=\"fail\""));
    free(html);
}

/* A real PNG, drawn by gnuplot, at graphs/<name>. */
static void draw_png(const char *name)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd),
             "cd %s && gnuplot -e \"set terminal pngcairo size 200,100; "
             "set output '%s'; plot x\"",
             graphs, name);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(report, embeds_graphs_as_data_uris, .init = setup, .fini = teardown)
{
    char *html;
    struct tb_report_summary s;

    draw_png("c-cpu.png");
    draw_png("compare-cpu.png");
    {
        char csv[300];
        snprintf(csv, sizeof(csv), "%s/c-cpu.csv", graphs);
        write_file(csv, "a,b\n1,2\n");
    }
    s = render(mixed, &html);
    cr_assert(eq(sz, s.graphs, 2));
    cr_assert(eq(sz, count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 2),
              "the PNG signature, base64");
    cr_assert(strstr(html, "width=\"200\" height=\"100\"") != NULL);
    cr_assert(strstr(html, "raw data in c-cpu.csv") != NULL);
    cr_assert(strstr(html, "Clients compared") != NULL);
    free(html);
}

Test(report, links_graphs_relative_to_the_page, .init = setup, .fini = teardown)
{
    struct tb_report_opts o = {.results_path = results,
                               .out_path = out,
                               .graphs_dir = graphs,
                               .link_graphs = true};
    struct tb_report_summary s;
    tb_error err = {0};
    char *html;

    draw_png("c-memory.png");
    write_file(results, mixed);
    cr_assert_eq(tb_report_write(&o, &s, &err), TB_OK, "%s", err.msg);
    html = slurp(out);
    /* The page is in <dir>/logs, the graphs in <dir>/graphs. */
    cr_assert(strstr(html, "src=\"../graphs/c-memory.png\"") != NULL, "%.3000s",
              strstr(html, "<figure") ? strstr(html, "<figure") : html);
    cr_assert_null(strstr(html, "base64"));
    free(html);
}

Test(report, a_broken_png_is_not_shown, .init = setup, .fini = teardown)
{
    char path[300], *html;
    struct tb_report_summary s;

    snprintf(path, sizeof(path), "%s/c-cpu.png", graphs);
    write_file(path, "not an image");
    s = render(mixed, &html);
    cr_assert(eq(sz, s.graphs, 0));
    cr_assert(eq(sz, s.warnings, 1));
    cr_assert_null(strstr(html, "<img"));
    free(html);
}

Test(report, a_missing_results_file_is_an_error, .init = setup,
     .fini = teardown)
{
    struct tb_report_opts o = {.results_path = "/nonexistent/results.jsonl",
                               .out_path = out};
    tb_error err = {0};

    cr_assert_eq(tb_report_write(&o, NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent/results.jsonl") != NULL, "%s",
              err.msg);
    cr_assert_neq(access(out, F_OK), 0, "no page written");
}

/* What tracebench compare writes (through the compare writer, not hand
 * made lines) comes back as the "A vs B" section: one chart per figure,
 * the later comparison of the same arms and figure replacing the
 * earlier, names escaped; and the benchmarks file holds each arm and
 * B - A. */
Test(report, an_a_vs_b_section_with_a_chart_per_figure, .init = setup,
     .fini = teardown)
{
    struct tb_compare_figure f[2] = {
        {.gate = TB_GATE_CPU,
         .name = "cpu.overhead_points",
         .unit = "points",
         .bound = TB_BOUND_AT_MOST,
         .rounds = 3,
         .a_median = 2.0,
         .b_median = 7.5,
         .diff = 5.5,
         .lo = 4.0,
         .hi = 6.5,
         .ratio = 3.75,
         .allowed = 1.0,
         .tolerance = "baseline.cpu_overhead_abs_points",
         .verdict = TB_COMPARE_WORSE,
         .message = "B costs more"},
        {.gate = TB_GATE_MEMORY,
         .name = "memory.ratio",
         .unit = "ratio",
         .bound = TB_BOUND_AT_MOST,
         .rounds = 3,
         .a_median = 1.02,
         .b_median = 1.01,
         .diff = -0.01,
         .lo = -0.03,
         .hi = 0.01,
         .ratio = 0.99,
         .allowed = 0.2,
         .tolerance = "memory_ratio_rel",
         .verdict = TB_COMPARE_SAME,
         .message = "the same"}};
    tb_compare_result r = {.run_id = "r1",
                           .profile = "quick",
                           .a = "js-otel",
                           .b = "<js-otel@1>",
                           .n = 2,
                           .figures = f};
    struct tb_report_opts o = {
        .results_path = results, .out_path = out, .graphs_dir = ""};
    struct tb_report_summary sum;
    char bench[300];
    tb_error err = {0};

    /* An earlier comparison of the same arms and cpu figure: replaced. */
    f[0].b_median = 99.25;
    cr_assert_eq(tb_compare_write(&r, results, NULL, NULL, &err), TB_OK, "%s",
                 err.msg);
    f[0].b_median = 7.5;
    cr_assert_eq(tb_compare_write(&r, results, NULL, NULL, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_eq(tb_report_write(&o, &sum, &err), TB_OK, "%s", err.msg);
    char *html = slurp(out);
    cr_assert_eq(sum.compared, 2, "two figures, not %zu", sum.compared);
    cr_assert(strstr(html, "<h2 id=\"a-vs-b\">A vs B</h2>") != NULL);
    cr_assert_eq(count(html, "<svg class=\"ab\""), 2);
    cr_assert_eq(count(html, "<h3>"), 1, "one pair of arms");
    cr_assert(strstr(html, "&lt;js-otel@1&gt;") != NULL);
    cr_assert(strstr(html, "<js-otel@1>") == NULL, "names are escaped");
    cr_assert(strstr(html, "99.25") == NULL, "the earlier line is replaced");
    cr_assert(strstr(html, "<title>B: 7.5</title>") != NULL);
    cr_assert(strstr(html, "<td class=\"fail\" title=\"B costs more\">worse"
                           "</td>") != NULL);
    cr_assert(strstr(html, "<td class=\"pass\" title=\"the same\">same"
                           "</td>") != NULL);
    free(html);

    snprintf(bench, sizeof(bench), "%s/benchmarks.json", dir);
    cr_assert_eq(tb_compare_write_benchmarks(&r, bench, &err), TB_OK, "%s",
                 err.msg);
    char *json = slurp(bench);
    cr_assert(strstr(json, "\"name\":\t\"js-otel cpu.overhead_points\"") !=
                  NULL,
              "%s", json);
    cr_assert(strstr(json, "\"name\":\t\"<js-otel@1> vs js-otel "
                           "cpu.overhead_points (B - A)\"") != NULL);
    cr_assert(strstr(json, "\"range\":\t\"4 to 6.5\"") != NULL);
    cr_assert(strstr(json, "\"extra\":\t\"worse\"") != NULL);
    cr_assert_eq(count(json, "\"name\""), 6, "three entries a figure");
    free(json);
}

Test(report, no_a_vs_b_section_without_a_comparison, .init = setup,
     .fini = teardown)
{
    struct tb_report_opts o = {
        .results_path = results, .out_path = out, .graphs_dir = ""};
    struct tb_report_summary sum;
    tb_error err = {0};

    write_file(results, GATE("c", "cpu", "pass", ""));
    cr_assert_eq(tb_report_write(&o, &sum, &err), TB_OK, "%s", err.msg);
    char *html = slurp(out);
    cr_assert_eq(sum.compared, 0);
    cr_assert(strstr(html, "A vs B") == NULL);
    free(html);
}
