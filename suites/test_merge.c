/* tracebench merge on made-up shards: the latest run of each, verdicts
 * counted, every output written; refusals of shards measured with another
 * profile or other thresholds files, each naming the shard and the
 * difference. Shards from real runs are in test_shards.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"
#include "tracebench.h"
#include "tracebench/output/junit.h"
#include "tracebench/output/merge.h"

TestSuite(merge, .timeout = 60);

static char dir[64];

/* <dir>/<name>/results.jsonl holding text; returns the shard folder. */
static const char *shard(const char *name, const char *text)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8], file[160];
    FILE *f;

    snprintf(p, 128, "%s/%s", dir, name);
    mkdir(p, 0755);
    snprintf(file, sizeof(file), "%s/results.jsonl", p);
    f = fopen(file, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

#define GATE(run, client, profile, th, figure, verdict)                        \
    "{\"kind\":\"gate\",\"run\":\"" run "\",\"client\":\"" client              \
    "\",\"gate\":\"cpu\",\"profile\":\"" profile "\",\"figure\":\"" figure     \
    "\",\"unit\":\"points\",\"median\":3,\"lo\":2,\"hi\":4,\"n\":3,"           \
    "\"confidence\":0.95,\"limit\":10,\"bound\":\"at_most\",\"verdict\":"      \
    "\"" verdict "\",\"message\":\"m\",\"thresholds\":\"" th "\"}\n"

#define TH "default.json=0000000000000001 js.json=0000000000000002"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 1 << 16);

    cr_assert_not_null(f, "%s was not written", path);
    cr_assert(fread(buf, 1, (1 << 16) - 1, f) > 0 || feof(f));
    fclose(f);
    return buf;
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tb-merge-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    tb_test_rm_tree(dir);
}

Test(merge, latest_run_of_each_shard_and_every_output, .init = setup,
     .fini = teardown)
{
    const char *shards[2],
        *outputs[] = {"results.jsonl",          "summary.md",
                      "benchmarks.json",        "benchmarks-smaller.json",
                      "benchmarks-bigger.json", "bmf.json",
                      "junit-merged.xml",       "report.html"};
    char out[128], p[200], *text;
    struct tb_merge_summary sum;
    tb_error err = {0};

    shards[0] = shard(
        "a",
        GATE("old", "c", "quick", TH, "cpu.x",
             "fail") "{\"kind\":\"run\",\"run\":\"new\",\"client\":"
                     "\"c\"}\n" GATE("new", "c", "quick", TH, "cpu.x", "pass"));
    shards[1] = shard(
        "b", GATE("b1", "js", "quick", TH, "cpu.y", "fail")
                 GATE("b1", "js", "quick", TH, "cpu.z", "inconclusive"));
    snprintf(out, sizeof(out), "%s/out", dir);
    struct tb_merge_opts o = {.shards = shards, .n_shards = 2, .out_dir = out};
    cr_assert_eq(tb_merge(&o, &sum, NULL, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(sum.shards, 2);
    cr_assert_eq(sum.figures, 3, "shard a's old run is left out");
    cr_assert_eq(sum.lines, 4, "the run line of a's latest run is kept");
    cr_assert_eq(sum.pass, 1);
    cr_assert_eq(sum.fail, 1);
    cr_assert_eq(sum.inconclusive, 1);
    for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", out, outputs[i]);
        cr_assert_eq(stat(p, &st), 0, "%s was not written", p);
    }
    snprintf(p, sizeof(p), "%s/summary.md", out);
    text = slurp(p);
    cr_assert(strstr(text, "3 figures: 1 failed, 1 inconclusive") != NULL, "%s",
              text);
    free(text);
    snprintf(p, sizeof(p), "%s/junit-merged.xml", out);
    text = slurp(p);
    cr_assert(strstr(text, "<testsuite name=\"js\" tests=\"2\" "
                           "failures=\"1\" errors=\"0\">") != NULL,
              "%s", text);
    cr_assert(strstr(text, "<testsuite name=\"c\" tests=\"1\" "
                           "failures=\"0\"") != NULL,
              "%s", text);
    free(text);
}

Test(merge, refuses_another_profile, .init = setup, .fini = teardown)
{
    const char *shards[2];
    char out[128];
    tb_error err = {0};

    shards[0] = shard("full-one", GATE("r", "c", "full", TH, "cpu.x", "pass"));
    shards[1] = shard("quick-one",
                      GATE("r", "js", "quick", TH, "cpu.x", "pass"));
    snprintf(out, sizeof(out), "%s/out", dir);
    struct tb_merge_opts o = {.shards = shards, .n_shards = 2, .out_dir = out};
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_CONFIG);
    cr_assert(strstr(err.msg, "quick-one") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "profile \"quick\"") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "profile \"full\"") != NULL, "%s", err.msg);
    cr_assert_neq(access(out, F_OK), 0, "nothing written: %s", out);
}

Test(merge, refuses_other_thresholds_naming_the_file, .init = setup,
     .fini = teardown)
{
    const char *shards[2];
    char out[128];
    tb_error err = {0};

    shards[0] = shard("a", GATE("r", "c", "quick", TH, "cpu.x", "pass"));
    shards[1] = shard("b", GATE("r", "js", "quick",
                                "default.json=0000000000000001 "
                                "js.json=00000000000000ff",
                                "cpu.x", "pass"));
    snprintf(out, sizeof(out), "%s/out", dir);
    struct tb_merge_opts o = {.shards = shards, .n_shards = 2, .out_dir = out};
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_CONFIG);
    cr_assert(strstr(err.msg, "/b") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "js.json differs") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "default.json") == NULL,
              "only the differing file is named: %s", err.msg);

    shards[1] = shard("c",
                      GATE("r", "js", "quick", "default.json=0000000000000001",
                           "cpu.x", "pass"));
    tb_error_clear(&err);
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_CONFIG);
    cr_assert(strstr(err.msg, "js.json only in") != NULL, "%s", err.msg);

    shards[1] = shard("d", GATE("r", "js", "quick", "", "cpu.x", "pass"));
    tb_error_clear(&err);
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_CONFIG);
    cr_assert(strstr(err.msg, "no thresholds digest") != NULL, "%s", err.msg);
}

Test(merge, refuses_empty_shards_and_out_in_a_shard, .init = setup,
     .fini = teardown)
{
    const char *shards[1];
    tb_error err = {0};

    shards[0] = shard("runs-only", "{\"kind\":\"run\",\"run\":\"r\"}\n");
    struct tb_merge_opts o = {.shards = shards, .n_shards = 1, .out_dir = dir};
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "runs-only") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "no gate lines") != NULL, "%s", err.msg);

    shards[0] = shard("a", GATE("r", "c", "quick", TH, "cpu.x", "pass"));
    o.out_dir = shards[0];
    tb_error_clear(&err);
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "also a shard") != NULL, "%s", err.msg);

    shards[0] = "/nonexistent/shard";
    o.out_dir = dir;
    tb_error_clear(&err);
    cr_assert_eq(tb_merge(&o, NULL, NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent/shard") != NULL, "%s", err.msg);
}

/* JUnit XML from a results file: a client name and a message that hold
 * markup come out as entities, so the XML stays well formed. */
Test(merge, junit_escapes_names_and_messages, .init = setup, .fini = teardown)
{
    char in[160], out[160];
    tb_error err = {0};

    snprintf(in, sizeof(in), "%s/results.jsonl",
             shard("esc", GATE("r1", "a<b>&'\\\"c", "quick", TH,
                               "cpu.overhead_points", "fail")));
    snprintf(out, sizeof(out), "%s/junit.xml", dir);
    cr_assert_eq(tb_junit_write(in, NULL, out, &err), TB_OK, "%s", err.msg);
    char *text = slurp(out);
    cr_assert(strstr(text, "name=\"a&lt;b&gt;&amp;&#39;&quot;c\"") != NULL,
              "%s", text);
    cr_assert(strstr(text, "a<b>") == NULL, "%s", text);
    free(text);
}
