/* Thresholds files (tracebench/gate/thresholds.h): the repository's defaults,
 * client overrides, and a message naming file, key and expectation for
 * each kind of bad file. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <math.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracebench/util/paths.h"
#include "tracebench/gate/thresholds.h"
#include "../harness/src/gate/thresholds_internal.h"

/* Each test runs in its own process, so one static directory per test. */
static char tmp[64];
static char *defaults_text;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert(not(zero(ptr, f)), "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    cr_assert(not(zero(ptr, buf)));
    cr_assert(eq(sz, fread(buf, 1, (size_t)n, f), (size_t)n));
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    f = fopen(path, "w");
    cr_assert(not(zero(ptr, f)), "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

/* The repository's default.json with the first `from` replaced by `to`. */
static void write_defaults_with(const char *from, const char *to)
{
    const char *at = strstr(defaults_text, from);
    size_t head, size;
    char *text;

    cr_assert(not(zero(ptr, (void *)at)), "default.json lacks %s", from);
    head = (size_t)(at - defaults_text);
    size = strlen(defaults_text) - strlen(from) + strlen(to) + 1;
    text = malloc(size);
    snprintf(text, size, "%.*s%s%s", (int)head, defaults_text, to,
             at + strlen(from));
    write_file("default.json", text);
    free(text);
}

static void setup(void)
{
    char path[512];

    snprintf(tmp, sizeof(tmp), "/tmp/tb-thresholds-XXXXXX");
    cr_assert(not(zero(ptr, mkdtemp(tmp))));
    snprintf(path, sizeof(path), "%s/thresholds/default.json", tb_root_dir());
    defaults_text = slurp(path);
    write_file("default.json", defaults_text);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    nftw(tmp, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(defaults_text);
}

TestSuite(thresholds, .init = setup, .fini = teardown, .timeout = 30);

#define assert_has(msg, needle)                                                \
    cr_assert(not(zero(ptr, strstr((msg), (needle)))),                         \
              "expected \"%s\" in the message: %s", (needle), (msg))

/* Loads from tmp and expects TB_ERR_CONFIG; the message is left in *err. */
static void load_fails(const char *client, const char *profile, tb_error *err)
{
    tb_thresholds *t = (tb_thresholds *)(void *)&t; /* a sentinel */

    tb_error_clear(err);
    cr_assert(eq(int, tb_thresholds_load(tmp, client, profile, &t, err),
                 TB_ERR_CONFIG),
              "%s", err->msg);
    cr_assert(eq(ptr, t, (void *)&t), "*out changed on failure");
    cr_assert(eq(int, err->code, TB_ERR_CONFIG));
}

/* --- The repository's own file ------------------------------------------ */

Test(thresholds, repository_defaults_load_full_profile)
{
    char dir[512];
    tb_thresholds *t = NULL;
    tb_error err = {0};

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    cr_assert(eq(int, tb_thresholds_load(dir, NULL, "full", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(str, t->profile, "full"));
    cr_assert(eq(str, t->client, ""));
    /* The limits of LightStep's benchmark suite. */
    cr_assert(eq(dbl, t->memory.rate_sps, 500));
    cr_assert(eq(dbl, t->memory.short_runtime_s, 5));
    cr_assert(eq(dbl, t->memory.long_runtime_s, 100));
    cr_assert(eq(dbl, t->memory.max_ratio, 2.0));
    cr_assert(eq(sz, t->drops.rates_sps.n, 2));
    cr_assert(eq(dbl, t->drops.rates_sps.sps[0], 100));
    cr_assert(eq(dbl, t->drops.rates_sps.sps[1], 300));
    cr_assert(eq(u64, t->drops.max_dropped, 0));
    cr_assert(eq(dbl, t->cpu.rate_sps, 500));
    cr_assert(eq(uint, t->cpu.trials, 5));
    cr_assert(eq(dbl, t->cpu.max_overhead_points, 10));
    cr_assert(eq(dbl, t->cpu.confidence, 0.95));
    cr_assert(eq(sz, t->throughput.rates_sps.n, 4));
    cr_assert(eq(dbl, t->throughput.rates_sps.sps[3], 4000));
    cr_assert(eq(dbl, t->throughput.min_sps, 3000));
    cr_assert(eq(dbl, t->throughput.max_cpu, 0.8));
    cr_assert(eq(dbl, t->throughput.min_made_fraction, 0.97));
    cr_assert(eq(u64, t->throughput.max_dropped_per_step, 0));
    cr_assert(eq(u64, t->throughput.max_trials, 3));
    cr_assert(eq(uint, t->cpu.max_trials, 9));
    cr_assert(eq(dbl, t->common.max_drift_points, 3));
    cr_assert(eq(u64, t->duplicates.max_duplicates, 0));
    cr_assert(eq(dbl, t->flush.rate_sps, 50));
    cr_assert(eq(dbl, t->outage.down_at_s, 3));
    cr_assert(eq(dbl, t->outage.up_at_s, 7));
    cr_assert(eq(dbl, t->outage.min_delivered_after_fraction, 0.99));
    cr_assert(eq(str, t->slow.mode, "slow_succeed"));
    cr_assert(eq(dbl, t->baseline.cpu_overhead_rel, 0.20));
    cr_assert(eq(dbl, t->common.target_cpu, 0.7));
    cr_assert(eq(str, t->common.satellite_mode, "typical"));
    /* Under the project root, sources read relative to it. */
    cr_assert(eq(str,
                 (char *)tb_thresholds_source(t, "cpu.max_overhead_points"),
                 "thresholds/default.json"));
    tb_thresholds_free(t);
}

Test(thresholds, repository_defaults_load_quick_profile)
{
    char dir[512];
    tb_thresholds *t = NULL;
    tb_error err = {0};

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    cr_assert(eq(int, tb_thresholds_load(dir, NULL, "quick", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(str, t->profile, "quick"));
    cr_assert(eq(dbl, t->memory.short_runtime_s, 2));
    cr_assert(eq(dbl, t->memory.long_runtime_s, 8));
    cr_assert(eq(dbl, t->drops.runtime_s, 3));
    cr_assert(eq(uint, t->cpu.trials, 3));
    cr_assert(eq(dbl, t->cpu.runtime_s, 3));
    cr_assert(eq(sz, t->throughput.rates_sps.n, 3));
    cr_assert(eq(dbl, t->throughput.rates_sps.sps[2], 1500));
    cr_assert(eq(dbl, t->throughput.min_sps, 800));
    cr_assert(lt(dbl, t->outage.runtime_s, 30));
    tb_thresholds_free(t);
}

Test(thresholds, every_client_file_in_the_repository_loads)
{
    /* A client file checked into thresholds/ must stay valid. */
    char dir[512], name[256];
    struct dirent *de;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    d = opendir(dir);
    cr_assert(not(zero(ptr, d)), "cannot list %s", dir);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);

        if (n <= 5 || n >= sizeof(name) ||
            strcmp(de->d_name + n - 5, ".json") != 0 ||
            strcmp(de->d_name, "default.json") == 0)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(n - 5), de->d_name);
        for (int p = 0; p < 2; p++) {
            tb_thresholds *t = NULL;
            tb_error err = {0};

            cr_assert(eq(int,
                         tb_thresholds_load(dir, name, p ? "quick" : "full", &t,
                                            &err),
                         TB_OK),
                      "%s", err.msg);
            tb_thresholds_free(t);
        }
    }
    closedir(d);
}

Test(thresholds, cost_client_args_default_empty_python_cpp_sets_its_period)
{
    char dir[512];

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    for (int p = 0; p < 2; p++) {
        tb_thresholds *t = NULL;
        tb_error err = {0};

        cr_assert(
            eq(int,
               tb_thresholds_load(dir, "c", p ? "quick" : "full", &t, &err),
               TB_OK),
            "%s", err.msg);
        cr_expect(eq(str, t->cost.client_args, ""));
        tb_thresholds_free(t);
        cr_assert(eq(int,
                     tb_thresholds_load(dir, "python-cpp", p ? "quick" : "full",
                                        &t, &err),
                     TB_OK),
                  "%s", err.msg);
        cr_expect(eq(str, t->cost.client_args, "--write_period_ms 600000"));
        tb_thresholds_free(t);
    }
}

/* --- Merging ------------------------------------------------------------ */

Test(thresholds, client_file_overrides_key_by_key)
{
    char want[128];
    tb_thresholds *t = NULL;
    tb_error err = {0};

    write_file("py.json",
               "{\"description\": \"a slower tracer\",\n"
               " \"full\": {\"cpu\": {\"max_overhead_points\": 15},\n"
               "          \"drops\": {\"rates_sps\": [50]}}}\n");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "full", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(str, t->client, "py"));
    cr_assert(eq(dbl, t->cpu.max_overhead_points, 15));
    cr_assert(eq(uint, t->cpu.trials, 5), "untouched keys keep defaults");
    cr_assert(eq(dbl, t->cpu.rate_sps, 500));
    cr_assert(eq(sz, t->drops.rates_sps.n, 1), "lists replace, not append");
    cr_assert(eq(dbl, t->drops.rates_sps.sps[0], 50));

    snprintf(want, sizeof(want), "%s/py.json", tmp);
    cr_assert(eq(
        str, (char *)tb_thresholds_source(t, "cpu.max_overhead_points"), want));
    snprintf(want, sizeof(want), "%s/default.json", tmp);
    cr_assert(eq(str, (char *)tb_thresholds_source(t, "cpu.trials"), want));
    cr_assert(zero(ptr, (void *)tb_thresholds_source(t, "cpu.nope")));
    cr_assert(zero(ptr, (void *)tb_thresholds_source(t, "nodot")));
    tb_thresholds_free(t);
}

Test(thresholds, override_in_full_leaves_quick_alone)
{
    tb_thresholds *t = NULL;
    tb_error err = {0};

    write_file("py.json",
               "{\"full\": {\"cpu\": {\"max_overhead_points\": 25}}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "quick", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(dbl, t->cpu.max_overhead_points, 15));
    tb_thresholds_free(t);
}

Test(thresholds, missing_client_file_means_defaults)
{
    char want[128];
    tb_thresholds *t = NULL;
    tb_error err = {0};

    cr_assert(
        eq(int, tb_thresholds_load(tmp, "nobody", "full", &t, &err), TB_OK),
        "%s", err.msg);
    cr_assert(eq(str, t->client, "nobody"));
    cr_assert(eq(dbl, t->cpu.max_overhead_points, 10));
    snprintf(want, sizeof(want), "%s/default.json", tmp);
    cr_assert(eq(
        str, (char *)tb_thresholds_source(t, "cpu.max_overhead_points"), want));
    tb_thresholds_free(t);
    tb_thresholds_free(NULL);
}

/* --- Bad files ---------------------------------------------------------- */

Test(thresholds, missing_default_json)
{
    tb_error err;
    char path[128];

    snprintf(path, sizeof(path), "%s/default.json", tmp);
    cr_assert(eq(int, remove(path), 0));
    load_fails("py", "full", &err);
    assert_has(err.msg, path);
    assert_has(err.msg, "missing");
}

/* One bad client file: its text and three pieces the message must hold
 * (fixed arrays, not pointers: Criterion copies parameters into each
 * test's process). */
struct bad_file {
    char json[200];
    char needles[3][100];
};

static struct bad_file bad_files[] = {
    {"{\"full\": {\"cpu\": {\"max_overhed_points\": 1}}}",
     {"full.cpu.max_overhed_points", "unknown key",
      "expected one of: rate_sps, runtime_s, trials, max_overhead_points"}},
    {"{\"quick\": {\"cpux\": {}}}",
     {"quick.cpux", "unknown gate", "memory, drops, cpu, throughput"}},
    {"{\"fast\": {}}", {"fast", "unknown key", "\"full\" or \"quick\""}},
    {"{\"full\": {\"cpu\": {\"trials\": \"five\"}}}",
     {"full.cpu.trials", "expected a whole number from 2 to 1000",
      "got \"five\""}},
    {"{\"full\": {\"cpu\": {\"trials\": 2.5}}}",
     {"full.cpu.trials", "expected a whole number", "got 2.5"}},
    {"{\"full\": {\"cpu\": {\"max_overhead_points\": true}}}",
     {"full.cpu.max_overhead_points", "expected a number greater than 0",
      "got a boolean"}},
    {"{\"full\": {\"cpu\": 10}}",
     {"full.cpu", "expected an object of keys", "got a number"}},
    {"{\"quick\": {\"drops\": {\"runtime_s\": -3}}}",
     {"quick.drops.runtime_s", "expected a number greater than 0", "got -3"}},
    {"{\"full\": {\"memory\": {\"max_ratio\": 0}}}",
     {"full.memory.max_ratio", "greater than 0", "got 0"}},
    {"{\"full\": {\"drops\": {\"rates_sps\": []}}}",
     {"full.drops.rates_sps", "expected an array of 1 to 16",
      "got an empty array"}},
    {"{\"full\": {\"drops\": {\"rates_sps\": [100, -300]}}}",
     {"full.drops.rates_sps[1]", "expected a rate greater than 0", "got -300"}},
    {"{\"full\": {\"throughput\": {\"rates_sps\": [1000, 500]}}}",
     {"full.throughput.rates_sps[1]", "increasing order", "got 500"}},
    {"{\"full\": {\"drops\": {\"rates_sps\": 100}}}",
     {"full.drops.rates_sps", "expected an array", "got 100"}},
    {"{\"full\": {\"cpu\": {\"confidence\": 1}}}",
     {"full.cpu.confidence", "strictly between 0 and 1", "got 1"}},
    {"{\"full\": {\"drops\": {\"max_dropped\": -1}}}",
     {"full.drops.max_dropped", "whole number at least 0", "got -1"}},
    {"{\"full\": {\"slow\": {\"mode\": \"slow\"}}}",
     {"full.slow.mode", "one of \"typical\", \"slow_succeed\"",
      "got \"slow\""}},
    {"{\"full\": {\"common\": {\"target_cpu\": 1.5}}}",
     {"full.common.target_cpu", "at most 1", "got 1.5"}},
    {"{\"full\": {\"cpu\": {\"trials\": 3, \"trials\": 4}}}",
     {"full.cpu.trials", "set twice", "py.json"}},
    {"[1, 2]", {"py.json", "expected a JSON object", "got an array"}},
    {"{\"full\": {\"memory\": {\"long_runtime_s\": 4}}}",
     {"py.json: full.memory.long_runtime_s",
      "greater than full.memory.short_runtime_s (5, from",
      "default.json), got 4"}},
    {"{\"quick\": {\"outage\": {\"up_at_s\": 40}}}",
     {"quick.outage.up_at_s", "less than quick.outage.runtime_s", "got 40"}},
    {"{\"full\": {\"throughput\": {\"min_sps\": 5000}}}",
     {"full.throughput.min_sps", "at most the last rate of", "got 5000"}},
    {"{\"quick\": {\"cpu\": {\"max_trials\": 2}}}",
     {"quick.cpu.max_trials", "at least quick.cpu.trials (3, from", "got 2"}},
    {"{\"full\": {\"throughput\": {\"max_trials\": 0}}}",
     {"full.throughput.max_trials", "at least", "got 0"}},
    {"{\"full\": {\"throughput\": {\"min_made_fraction\": 1.2}}}",
     {"full.throughput.min_made_fraction", "at most 1", "got 1.2"}},
    {"{\"quick\": {\"throughput\": {\"max_dropped_per_step\": -1}}}",
     {"quick.throughput.max_dropped_per_step", "whole number at least 0",
      "got -1"}},
    {"{\"full\": {\"throughput\": {\"max_dropped_per_step\": 2.5}}}",
     {"full.throughput.max_dropped_per_step", "whole number at least 0",
      "got 2.5"}},
    {"{\"full\": {\"common\": {\"max_drift_points\": 0}}}",
     {"full.common.max_drift_points", "greater than 0", "got 0"}},
    {"{\"full\": {\"cost\": {\"client_args\": 60000}}}",
     {"full.cost.client_args", "client arguments separated by spaces",
      "got 60000"}},
    {"{\"quick\": {\"cost\": {\"client_args\": \"--a\\n1\"}}}",
     {"quick.cost.client_args", "printable characters", "got \"--a"}},
    {"{\"quick\": {\"cost\": {\"client_args\": \"xxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}}",
     {"quick.cost.client_args", "at most 127", "got \"xxxx"}},
};

ParameterizedTestParameters(thresholds, bad_client_file)
{
    return cr_make_param_array(struct bad_file, bad_files,
                               sizeof(bad_files) / sizeof(bad_files[0]));
}

ParameterizedTest(struct bad_file *c, thresholds, bad_client_file)
{
    char path[128];
    tb_error err;

    write_file("py.json", c->json);
    snprintf(path, sizeof(path), "%s/py.json", tmp);
    /* Both profiles are checked whichever is asked for. */
    for (int p = 0; p < 2; p++) {
        load_fails("py", p ? "quick" : "full", &err);
        assert_has(err.msg, path);
        for (int i = 0; i < 3; i++)
            assert_has(err.msg, c->needles[i]);
    }
}

Test(thresholds, bad_value_in_defaults_names_default_json)
{
    tb_error err;

    write_defaults_with("\"max_overhead_points\": 10",
                        "\"max_overhead_points\": \"10\"");
    load_fails(NULL, "quick", &err);
    assert_has(err.msg, "default.json: full.cpu.max_overhead_points");
    assert_has(err.msg, "expected a number greater than 0, got \"10\"");
}

Test(thresholds, bad_max_dropped_per_step_in_defaults_names_file_and_key)
{
    tb_error err;

    write_defaults_with("\"max_dropped_per_step\": 0",
                        "\"max_dropped_per_step\": \"none\"");
    load_fails(NULL, "full", &err);
    assert_has(err.msg, "default.json: full.throughput.max_dropped_per_step");
    assert_has(err.msg, "expected a whole number at least 0, got \"none\"");
}

Test(thresholds, client_sets_max_dropped_per_step)
{
    tb_thresholds *t = NULL;
    tb_error err = {0};

    write_file("py.json",
               "{\"quick\": {\"throughput\": {\"max_dropped_per_step\": 3}}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "quick", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(u64, t->throughput.max_dropped_per_step, 3));
    tb_thresholds_free(t);
}

Test(thresholds, key_missing_from_defaults)
{
    tb_error err;

    write_defaults_with("\"trials\": 5,", "");
    load_fails(NULL, "full", &err);
    assert_has(err.msg, "default.json: full.cpu.trials: missing");
}

Test(thresholds, malformed_json_reports_line)
{
    tb_error err;

    write_file("py.json", "{\n  \"full\": {\n    \"cpu\": {\n"
                          "      \"trials\": 5\n"
                          "      \"runtime_s\": 10\n"
                          "    }\n  }\n}\n");
    load_fails("py", "full", &err);
    assert_has(err.msg, "py.json: malformed JSON at line 5");
}

Test(thresholds, malformed_defaults_report_line)
{
    tb_error err;

    /* "rate_sps": 500 is on line 6 of the repository's file. */
    write_defaults_with("\"rate_sps\": 500,", "\"rate_sps\": 500,,");
    load_fails(NULL, "full", &err);
    assert_has(err.msg, "default.json: malformed JSON at line 6,");
}

Test(thresholds, unterminated_string_reports_its_line)
{
    tb_error err;

    write_file("py.json", "{\n\n\"full\": {\"cpu\": {\"trials\": \"3}}}\n");
    load_fails("py", "full", &err);
    assert_has(err.msg, "malformed JSON at line 3");
}

Test(thresholds, empty_and_trailing_text)
{
    tb_error err;

    write_file("py.json", "");
    load_fails("py", "full", &err);
    assert_has(err.msg, "malformed JSON at line 1");
    assert_has(err.msg, "empty");

    write_file("py.json", "{}\n\n{}\n");
    load_fails("py", "full", &err);
    assert_has(err.msg, "line 3");
    assert_has(err.msg, "text after the end");
}

Test(thresholds, bad_arguments)
{
    tb_thresholds *t = NULL;
    tb_error err = {0};

    cr_assert(eq(int, tb_thresholds_load(tmp, NULL, "fast", &t, &err),
                 TB_ERR_INVALID_ARG));
    assert_has(err.msg, "\"full\" or \"quick\"");
    tb_error_clear(&err);
    cr_assert(eq(int, tb_thresholds_load(tmp, "../etc", "full", &t, &err),
                 TB_ERR_INVALID_ARG));
    assert_has(err.msg, "'/'");
    cr_assert(eq(int, tb_thresholds_load(tmp, "", "full", &t, NULL),
                 TB_ERR_INVALID_ARG));
    cr_assert(zero(ptr, t));
}

/* --- Known tracer defects and the digest -------------------------------- */

Test(thresholds, known_defects_are_read_and_checked)
{
    tb_thresholds *t = NULL, *plain = NULL;
    tb_error err = {0};

    write_file("py.json", "{\"known\": {\"flush\": \"loses spans, tracer "
                          "1.3.6\"}, \"quick\": {}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "quick", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(str, (char *)tb_thresholds_known(t, "flush"),
                 "loses spans, tracer 1.3.6"));
    cr_assert(zero(ptr, (void *)tb_thresholds_known(t, "drops")));
    /* Declaring a defect changes no limit: the same digest. */
    cr_assert(
        eq(int, tb_thresholds_load(tmp, NULL, "quick", &plain, &err), TB_OK),
        "%s", err.msg);
    cr_assert(eq(str, (char *)tb_thresholds_digest(t),
                 (char *)tb_thresholds_digest(plain)));
    tb_thresholds_free(t);
    tb_thresholds_free(plain);

    write_file("py.json", "{\"known\": {\"flush\": {\"reason\": \"r\", "
                          "\"intermittent\": true}}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "quick", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(tb_thresholds_known_intermittent(t, "flush"));
    cr_assert(eq(str, (char *)tb_thresholds_known(t, "flush"), "r"));
    cr_assert(isnan(tb_thresholds_known_at_most(t, "flush")),
              "no bound declared: any failure is the defect");
    tb_thresholds_free(t);
    /* The most the defect has cost: a worse failure is not it. */
    write_file("py.json", "{\"known\": {\"flush\": {\"reason\": \"r\", "
                          "\"at_most\": 10}}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "full", &t, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(dbl, tb_thresholds_known_at_most(t, "flush"), 10.0));
    cr_assert(isnan(tb_thresholds_known_at_most(t, "drops")));
    tb_thresholds_free(t);
    write_file("py.json", "{\"known\": {\"flush\": {\"reason\": \"r\", "
                          "\"at_most\": -1}}}");
    load_fails("py", "quick", &err);
    assert_has(err.msg, "known.flush.at_most: expected a number, 0 or more");
    write_file("py.json", "{\"known\": {\"flush\": {\"reason\": \"r\", "
                          "\"at_most\": \"ten\"}}}");
    load_fails("py", "quick", &err);
    assert_has(err.msg, "known.flush.at_most: expected a number");
    write_file("py.json", "{\"known\": {\"flush\": {\"reason\": \"r\", "
                          "\"sometimes\": true}}}");
    load_fails("py", "quick", &err);
    assert_has(err.msg, "known.flush.sometimes: unknown key");

    write_file("py.json", "{\"known\": {\"flsuh\": \"x\"}}");
    load_fails("py", "quick", &err);
    assert_has(err.msg, "known.flsuh: not a gate");
    write_file("py.json", "{\"known\": {\"flush\": \"\"}}");
    load_fails("py", "quick", &err);
    assert_has(err.msg, "known.flush: expected the defect");
    /* A defect belongs to one tracer: not in default.json. */
    write_defaults_with("\"description\"", "\"known\": {\"flush\": \"x\"}, "
                                           "\"description\"");
    load_fails(NULL, "quick", &err);
    assert_has(err.msg, "only a client's file");
}

Test(thresholds, digest_follows_the_limits)
{
    tb_thresholds *a = NULL, *b = NULL;
    tb_error err = {0};

    write_file("py.json", "{\"quick\": {\"cpu\": {\"max_overhead_points\": "
                          "15}}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "quick", &a, &err), TB_OK),
              "%s", err.msg);
    write_file("py.json", "{\"quick\": {\"cpu\": {\"max_overhead_points\": "
                          "16}}}");
    cr_assert(eq(int, tb_thresholds_load(tmp, "py", "quick", &b, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(sz, strlen(tb_thresholds_digest(a)), 16));
    cr_assert(ne(str, (char *)tb_thresholds_digest(a),
                 (char *)tb_thresholds_digest(b)));
    tb_thresholds_free(a);
    tb_thresholds_free(b);
}

/* Every key the reader knows has its row in thresholds/README.md, so a
 * new key cannot land undocumented. */
Test(thresholds, every_key_is_documented_in_the_readme)
{
    char path[1100], row[160];
    FILE *f;
    char *text;
    long n;

    snprintf(path, sizeof(path), "%s/thresholds/README.md", tb_root_dir());
    cr_assert_not_null(f = fopen(path, "r"), "%s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    for (size_t i = 0; i < TB__THRESHOLDS_N_KEYS; i++) {
        const struct tb__thresholds_key *k = &tb__thresholds_keys[i];
        snprintf(row, sizeof(row), "| `%s.%s` |", k->gate, k->name);
        cr_expect(strstr(text, row) != NULL, "%s has no row %s", path, row);
    }
    free(text);
}
