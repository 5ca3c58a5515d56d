/* The graphs, end to end: the real "c" client against real satellites on
 * free ports, each graph in its --quick form, checked by its PNG header
 * and its CSV rows. Calibration is shared through the controller's cache
 * file, so only the first test of a fresh checkout pays for it. */
#include <fcntl.h>
#include <spawn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "common.h"
#include "tracebench/output/graph.h"

TestSuite(graph, .timeout = 120);

static char dir[] = "/tmp/tb-test-graph-XXXXXX";
static tb_satellites *sats;
static tb_controller *ctl;

static void setup(void)
{
    static const uint16_t any[2] = {0, 0};
    struct tb_satellites_opts so = {.ports = any, .n_ports = 2};
    /* Any cached calibration of "c" will do: these tests check the
     * graphs, not the calibration, and must not pay for one each. */
    struct tb_controller_opts co = {
        .client_name = "c", .control_port = 0, .calibration_ttl_s = 1e9};
    tb_error err = {0};

    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_controller_new(&co, &ctl, &err), TB_OK, "%s", err.msg);
}

static void teardown(void)
{
    tb_controller_free(ctl);
    tb_satellites_free(sats);
    tb_test_rm_tree(dir);
}

/* Reads the PNG header itself rather than trusting tb_plot_png_size. */
static void assert_png(const char *path, uint32_t width, uint32_t height)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    unsigned char h[24];
    FILE *f = fopen(path, "rb");
    uint32_t w, ht;

    cr_assert_not_null(f, "%s was not written", path);
    cr_assert_eq(fread(h, 1, sizeof(h), f), sizeof(h));
    fclose(f);
    cr_assert_eq(memcmp(h, sig, 8), 0, "%s: no PNG signature", path);
    cr_assert_eq(memcmp(h + 12, "IHDR", 4), 0, "%s: no IHDR first", path);
    w = (uint32_t)h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19];
    ht = (uint32_t)h[20] << 24 | h[21] << 16 | h[22] << 8 | h[23];
    cr_assert(eq(u32, w, width));
    cr_assert(eq(u32, ht, height));
}

/* The CSV's data rows (header aside); the header must start as given. */
static size_t csv_rows(const char *path, const char *header_start)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    size_t n = 0;

    cr_assert_not_null(f, "%s was not written", path);
    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_assert(strncmp(line, header_start, strlen(header_start)) == 0,
              "header: %s", line);
    while (fgets(line, sizeof(line), f) != NULL)
        n++;
    fclose(f);
    return n;
}

/* Rows whose CSV line contains needle. */
static size_t rows_with(const char *path, const char *needle)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    size_t n = 0;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static bool file_has(const char *path, const char *needle)
{
    char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    cr_assert_not_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

struct seen {
    size_t calls, last_index, total;
    double first_eta_s;
    bool ordered;
};

static void count_progress(const struct tb_sweep_progress *p, void *arg)
{
    struct seen *s = arg;

    if (s->calls == 0)
        s->first_eta_s = p->eta_s;
    else if (p->index != s->last_index + 1)
        s->ordered = false;
    s->last_index = p->index;
    s->total = p->total;
    s->calls++;
    cr_assert(p->eta_s >= 0 && p->elapsed_s >= 0);
    cr_assert_str_eq(p->client, "c");
}

static void draw(tb_graph_kind kind, const struct tb_graph_settings *s,
                 struct tb_graph_output *out, struct seen *seen)
{
    struct tb_graph_opts o = {.out_dir = dir,
                              .satellites = sats,
                              .progress = count_progress,
                              .progress_arg = seen};
    tb_error err = {0};

    seen->ordered = true;
    cr_assert_eq(tb_graph_draw(kind, &ctl, 1, s, &o, out, &err), TB_OK, "%s",
                 err.msg);
    cr_assert(eq(sz, seen->calls, tb_graph_benchmarks(kind, s)));
    cr_assert(seen->ordered);
}

Test(graph, quick_cpu_writes_png_and_a_row_per_benchmark, .init = setup,
     .fini = teardown)
{
    struct tb_graph_settings s;
    struct tb_graph_output out;
    struct seen seen = {0};
    char want[300];

    tb_graph_defaults(TB_GRAPH_CPU, true, &s);
    cr_assert(eq(sz, tb_graph_benchmarks(TB_GRAPH_CPU, &s), 6),
              "3 rates, 1 trial, traced and untraced");
    draw(TB_GRAPH_CPU, &s, &out, &seen);
    snprintf(want, sizeof(want), "%s/c-cpu.png", dir);
    cr_assert_str_eq(out.png, want);
    assert_png(out.png, 1100, 680);
    cr_assert(eq(u32, out.width, 1100));
    cr_assert(eq(sz, csv_rows(out.csv, "trial,traced,target_sps,"), 6));
    cr_assert(eq(sz, out.rows, 6));
    cr_assert(eq(sz, rows_with(out.csv, ",1,5000,"), 1), "traced 5000");
    cr_assert(eq(sz, rows_with(out.csv, ",0,5000,"), 1), "untraced 5000");
    cr_assert(file_has(out.script, "client CPU (% of one core)"));
    cr_assert(file_has(out.script, "spans per second"));
    cr_assert(file_has(out.script, "title 'traced'"));
    /* The estimate before anything ran covers at least the runtime. */
    cr_assert(seen.first_eta_s >= 6 * s.runtime_s, "%g", seen.first_eta_s);
}

Test(graph, quick_dropped_counts_spans_at_the_satellites, .init = setup,
     .fini = teardown)
{
    struct tb_graph_settings s;
    struct tb_graph_output out;
    struct seen seen = {0};

    tb_graph_defaults(TB_GRAPH_DROPPED, true, &s);
    draw(TB_GRAPH_DROPPED, &s, &out, &seen);
    assert_png(out.png, 1100, 900);
    cr_assert(eq(sz, csv_rows(out.csv, "trial,traced,target_sps,"),
                 s.n_rates * s.trials));
    /* Traced only, and every row carries a dropped percentage. */
    cr_assert(eq(sz, rows_with(out.csv, ",1,"), s.n_rates));
    cr_assert(eq(sz, rows_with(out.csv, ",,"), 0), "no missing figure");
    cr_assert(file_has(out.script, "spans dropped (% of sent)"));
    cr_assert(file_has(out.script, "multiplot layout 2,1"));
}

Test(graph, quick_memory_has_a_row_per_sample, .init = setup, .fini = teardown)
{
    struct tb_graph_settings s;
    struct tb_graph_output out;
    struct seen seen = {0};
    size_t total = 0;

    tb_graph_defaults(TB_GRAPH_MEMORY, true, &s);
    draw(TB_GRAPH_MEMORY, &s, &out, &seen);
    assert_png(out.png, 1100, 680);
    cr_assert(eq(sz, csv_rows(out.csv, "scenario,trial,traced,"), out.rows));
    /* One sample a second: about runtime rows for each rate. */
    for (size_t k = 0; k < s.n_rates; k++) {
        char key[64];
        size_t n;
        snprintf(key, sizeof(key), ",1,1,%g,", s.rates[k]);
        n = rows_with(out.csv, key);
        cr_assert(n + 1 >= (size_t)s.runtime_s && n <= 2 * (size_t)s.runtime_s,
                  "%zu samples at %g spans/s in a %g s run", n, s.rates[k],
                  s.runtime_s);
        total += n;
    }
    cr_assert(eq(sz, total, out.rows));
    cr_assert(file_has(out.script, "resident set size (MiB)"));
    cr_assert(file_has(out.script, "title '2000 spans/s'"));
}

Test(graph, disconnect_marks_when_satellites_left_and_came_back, .init = setup,
     .fini = teardown)
{
    struct tb_graph_settings s;
    struct tb_graph_output out;
    struct seen seen = {0};

    /* The quick form runs 12 s a panel; 6 s keeps the test short. */
    tb_graph_defaults(TB_GRAPH_DISCONNECT, true, &s);
    cr_assert(s.runtime_s == 12 && s.down_at_s == 3 && s.up_at_s == 8);
    tb_graph_set_runtime(&s, TB_GRAPH_DISCONNECT, 6);
    cr_assert(s.down_at_s == 1 && s.up_at_s == 4, "%g %g", s.down_at_s,
              s.up_at_s);
    draw(TB_GRAPH_DISCONNECT, &s, &out, &seen);
    assert_png(out.png, 1400, 960);
    cr_assert(eq(sz, csv_rows(out.csv, "scenario,trial,traced,"), out.rows));
    cr_assert(rows_with(out.csv, "no-op tracer,1,0,50,") >= 4);
    cr_assert(rows_with(out.csv, "\"tracer, satellites shut down\",") >= 4,
              "the scenario name is quoted: it holds a comma");
    cr_assert(
        rows_with(out.csv, "\"tracer, satellites shut down and restarted\",") >=
        4);
    cr_assert(file_has(out.script, "multiplot layout 2,2"));
    cr_assert(file_has(out.script, "set label 'satellites down (1."),
              "down marked where it happened, about 1 s in");
    cr_assert(file_has(out.script, "set label 'satellites back (4."));
    cr_assert(tb_satellites_all_running(sats), "left running afterwards");
}

Test(graph, compare_cpu_and_memory_of_one_client, .init = setup,
     .fini = teardown)
{
    struct tb_graph_settings s;
    struct tb_graph_output out;
    struct seen seen = {0};
    struct tb_graph_opts o = {.out_dir = dir,
                              .satellites = sats,
                              .progress = count_progress,
                              .progress_arg = &seen};
    tb_error err = {0};

    tb_graph_defaults(TB_GRAPH_COMPARE_CPU, true, &s);
    s.n_rates = 1;
    s.rates[0] = 1000;
    s.trials = 2;
    s.runtime_s = 2;
    cr_assert_eq(
        tb_graph_draw(TB_GRAPH_COMPARE_CPU, &ctl, 1, &s, &o, &out, &err), TB_OK,
        "%s", err.msg);
    cr_assert(strstr(out.png, "/compare-cpu.png") != NULL, "%s", out.png);
    assert_png(out.png, 1100, 680);
    cr_assert(eq(sz, csv_rows(out.csv, "trial,traced,"), 4));
    cr_assert(file_has(out.script, "$o0 using 1:2:3:4 with yerrorlines"));
    cr_assert(file_has(out.script, "percentage points"));
    cr_assert(file_has(out.script, "title 'c'"));

    s.trials = 1;
    cr_assert_eq(
        tb_graph_draw(TB_GRAPH_COMPARE_MEMORY, &ctl, 1, &s, &o, &out, &err),
        TB_OK, "%s", err.msg);
    assert_png(out.png, 1100, 680);
    cr_assert(eq(sz, csv_rows(out.csv, "trial,traced,"), 2));
    cr_assert(file_has(out.script, "peak resident set size (MiB)"));
}

Test(graph, missing_gnuplot_fails_before_measuring, .init = setup,
     .fini = teardown)
{
    struct tb_graph_settings s;
    struct tb_graph_output out = {.rows = 12345};
    struct tb_graph_opts o = {.out_dir = dir,
                              .satellites = sats,
                              .plot = {.gnuplot = "no-such-gnuplot"}};
    struct seen seen = {0};
    tb_error err = {0};

    o.progress = count_progress;
    o.progress_arg = &seen;
    tb_graph_defaults(TB_GRAPH_CPU, true, &s);
    cr_assert_eq(tb_graph_draw(TB_GRAPH_CPU, &ctl, 1, &s, &o, &out, &err),
                 TB_ERR_IO);
    cr_assert(strstr(err.msg, "gnuplot-nox") != NULL, "%s", err.msg);
    cr_assert(eq(sz, seen.calls, 0), "nothing was run");
    cr_assert(eq(sz, out.rows, 12345), "output untouched");
}

/* The command line, with an empty directory as PATH. */
Test(graph, cli_without_gnuplot_names_the_package)
{
    char bin[4096], empty[] = "/tmp/tb-test-nopath-XXXXXX", path_env[64];
    char log[] = "/tmp/tb-test-cli-XXXXXX", buf[4096] = "";
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status, fd;
    FILE *f;

    snprintf(bin, sizeof(bin), "%s/tracebench", tb_build_dir());
    cr_assert_not_null(mkdtemp(empty));
    fd = mkstemp(log);
    cr_assert(fd >= 0);
    close(fd);
    snprintf(path_env, sizeof(path_env), "PATH=%s", empty);
    char *argv[] = {bin, "graph", "cpu", "c", "--quick", "--any-port", NULL};
    char *envp[] = {path_env, NULL};
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, envp), 0, "%s", bin);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    f = fopen(log, "r");
    cr_assert_not_null(f);
    buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
    fclose(f);
    unlink(log);
    rmdir(empty);
    bool failed = WIFEXITED(status) && WEXITSTATUS(status) == 1;
    cr_assert(failed, "status %d: %s", status, buf);
    cr_assert(strstr(buf, "gnuplot-nox") != NULL, "stderr: %s", buf);
    cr_assert_null(strstr(buf, "calibrating"), "failed before calibrating");
}
