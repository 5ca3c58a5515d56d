/* Baseline files (tracebench/gate/baseline.h): round trip, a missing file, and
 * bad files. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracebench/gate/baseline.h"

static char tmp[64];
static char path[128];

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/tb-baseline-XXXXXX");
    cr_assert(not(zero(ptr, mkdtemp(tmp))));
    snprintf(path, sizeof(path), "%s/base.json", tmp);
}

static int remove_entry(const char *p, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void teardown(void)
{
    nftw(tmp, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(baseline, .init = setup, .fini = teardown, .timeout = 30);

#define assert_has(msg, needle)                                                \
    cr_assert(not(zero(ptr, strstr((msg), (needle)))),                         \
              "expected \"%s\" in the message: %s", (needle), (msg))

static void write_text(const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert(not(zero(ptr, f)));
    fputs(text, f);
    fclose(f);
}

Test(baseline, round_trip_keeps_every_figure_exactly)
{
    tb_baseline *b = NULL, *back = NULL;
    const tb_baseline_figure *f;
    tb_error err = {0};

    cr_assert(eq(int, tb_baseline_new("python-cpp", "full", &b, &err), TB_OK),
              "%s", err.msg);
    cr_assert(eq(sz, strlen(b->timestamp), 20), "%s", b->timestamp);
    cr_assert(eq(chr, b->timestamp[19], 'Z'));
    cr_assert(eq(int,
                 tb_baseline_set(b, "cpu.overhead_points", 3.1,
                                 2.7000000000000002, 3.6, 5, &err),
                 TB_OK),
              "%s", err.msg);
    cr_assert(
        eq(int,
           tb_baseline_set(b, "memory.ratio", 1.2345678901234567,
                           1.2345678901234567, 1.2345678901234567, 1, &err),
           TB_OK));
    cr_assert(eq(int,
                 tb_baseline_set(b, "memory.peak_rss_bytes", 5.24288e7,
                                 5.24288e7, 5.24288e7, 1, &err),
                 TB_OK));
    cr_assert(eq(int, tb_baseline_save(b, path, &err), TB_OK), "%s", err.msg);
    cr_assert(eq(int, tb_baseline_load(path, &back, &err), TB_OK), "%s",
              err.msg);

    cr_assert(eq(str, back->client, "python-cpp"));
    cr_assert(eq(str, back->profile, "full"));
    cr_assert(eq(str, back->timestamp, b->timestamp));
    cr_assert(eq(sz, back->n_figures, 3));
    for (size_t i = 0; i < b->n_figures; i++) {
        f = tb_baseline_get(back, b->figures[i].name);
        cr_assert(not(zero(ptr, (void *)f)), "%s lost", b->figures[i].name);
        cr_assert(eq(dbl, f->median, b->figures[i].median));
        cr_assert(eq(dbl, f->lo, b->figures[i].lo));
        cr_assert(eq(dbl, f->hi, b->figures[i].hi));
        cr_assert(eq(sz, f->n, b->figures[i].n));
    }
    tb_baseline_free(b);
    tb_baseline_free(back);
    tb_baseline_free(NULL);
}

Test(baseline, set_replaces_a_figure_of_the_same_name)
{
    tb_baseline *b = NULL;

    cr_assert(eq(int, tb_baseline_new("c", "quick", &b, NULL), TB_OK));
    cr_assert(eq(int,
                 tb_baseline_set(b, "cpu.overhead_points", 1, 0, 2, 3, NULL),
                 TB_OK));
    cr_assert(eq(int,
                 tb_baseline_set(b, "cpu.overhead_points", 4, 3, 5, 5, NULL),
                 TB_OK));
    cr_assert(eq(sz, b->n_figures, 1));
    cr_assert(eq(dbl, tb_baseline_get(b, "cpu.overhead_points")->median, 4));
    cr_assert(zero(ptr, (void *)tb_baseline_get(b, "cpu.other")));
    tb_baseline_free(b);
}

Test(baseline, set_rejects_bad_figures_and_leaves_baseline_alone)
{
    tb_baseline *b = NULL;
    tb_error err = {0};

    cr_assert(eq(int, tb_baseline_new("c", "full", &b, NULL), TB_OK));
    cr_assert(eq(int, tb_baseline_set(b, "x.y", 1, 3, 2, 5, &err),
                 TB_ERR_INVALID_ARG));
    assert_has(err.msg, "lo <= hi");
    cr_assert(eq(int, tb_baseline_set(b, "x.y", NAN, 0, 2, 5, NULL),
                 TB_ERR_INVALID_ARG));
    cr_assert(eq(int, tb_baseline_set(b, "x.y", 1, 0, 2, 0, NULL),
                 TB_ERR_INVALID_ARG));
    cr_assert(
        eq(int, tb_baseline_set(b, "", 1, 0, 2, 1, NULL), TB_ERR_INVALID_ARG));
    cr_assert(eq(sz, b->n_figures, 0));
    tb_baseline_free(b);
    cr_assert(
        eq(int, tb_baseline_new("", "full", &b, NULL), TB_ERR_INVALID_ARG));
}

Test(baseline, missing_file_is_an_io_error)
{
    tb_baseline *b = NULL;
    tb_error err = {0};

    cr_assert(eq(int, tb_baseline_load(path, &b, &err), TB_ERR_IO));
    cr_assert(zero(ptr, b));
    assert_has(err.msg, path);
    assert_has(err.msg, "No such file or directory");
    assert_has(err.msg, "make baseline");
}

Test(baseline, save_to_missing_directory_is_an_io_error)
{
    tb_baseline *b = NULL;
    tb_error err = {0};
    char bad[160];

    snprintf(bad, sizeof(bad), "%s/no/such/dir/base.json", tmp);
    cr_assert(eq(int, tb_baseline_new("c", "full", &b, NULL), TB_OK));
    cr_assert(eq(int, tb_baseline_save(b, bad, &err), TB_ERR_IO));
    assert_has(err.msg, bad);
    tb_baseline_free(b);
}

Test(baseline, malformed_file_reports_line)
{
    tb_baseline *b = NULL;
    tb_error err = {0};

    write_text("{\n  \"format\": 1,\n  \"client\": \"c\"\n  \"profile\": 1\n}");
    cr_assert(eq(int, tb_baseline_load(path, &b, &err), TB_ERR_CONFIG));
    assert_has(err.msg, "malformed JSON at line 4");
    cr_assert(zero(ptr, b));
}

Test(baseline, bad_fields_are_named)
{
    static const struct {
        const char *json, *needle;
    } cases[] = {
        {"{\"format\": 2, \"client\": \"c\", \"profile\": \"full\", "
         "\"timestamp\": \"t\", \"figures\": {}}",
         "format: expected 1, got 2"},
        {"{\"format\": 1, \"profile\": \"full\", \"timestamp\": \"t\", "
         "\"figures\": {}}",
         "client: expected a string"},
        {"{\"format\": 1, \"client\": \"c\", \"profile\": \"full\", "
         "\"timestamp\": \"t\", \"figures\": {\"cpu.x\": {\"median\": 1, "
         "\"lo\": 0, \"n\": 5}}}",
         "figures.cpu.x.hi: expected a number"},
        {"{\"format\": 1, \"client\": \"c\", \"profile\": \"full\", "
         "\"timestamp\": \"t\", \"figures\": {\"cpu.x\": {\"median\": 1, "
         "\"lo\": 0, \"hi\": 2, \"n\": 0}}}",
         "figures.cpu.x.n"},
        {"{\"format\": 1, \"client\": \"c\", \"profile\": \"full\", "
         "\"timestamp\": \"t\", \"figures\": {\"cpu.x\": {\"median\": 1, "
         "\"lo\": 3, \"hi\": 2, \"n\": 1}}}",
         "lo <= hi"},
        {"{\"format\": 1, \"client\": \"c\", \"profile\": \"full\", "
         "\"timestamp\": \"t\", \"figures\": {}, \"extra\": 1}",
         "extra: unknown key"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_baseline *b = NULL;
        tb_error err = {0};

        write_text(cases[i].json);
        cr_assert(eq(int, tb_baseline_load(path, &b, &err), TB_ERR_CONFIG),
                  "case %zu: %s", i, err.msg);
        assert_has(err.msg, path);
        assert_has(err.msg, cases[i].needle);
        cr_assert(zero(ptr, b));
    }
}

/* A baseline judges only the client, profile and limits it was recorded
 * with; a mismatch names both sides. */
Test(baseline, check_names_both_sides_of_a_mismatch)
{
    tb_baseline *b = NULL;
    tb_error err = {0};

    cr_assert(eq(int, tb_baseline_new("c", "quick", &b, &err), TB_OK));
    snprintf(b->thresholds_digest, sizeof(b->thresholds_digest),
             "00000000000000aa");
    cr_assert(eq(int,
                 tb_baseline_check(b, "f.json", "c", "quick",
                                   "00000000000000aa", NULL, &err),
                 TB_OK),
              "%s", err.msg);
    cr_assert(eq(int,
                 tb_baseline_check(b, "f.json", "python", "quick",
                                   "00000000000000aa", NULL, &err),
                 TB_ERR_CONFIG));
    cr_assert(strstr(err.msg, "client c") && strstr(err.msg, "client python"),
              "%s", err.msg);
    tb_error_clear(&err);
    cr_assert(eq(int,
                 tb_baseline_check(b, "f.json", "c", "full", "00000000000000aa",
                                   NULL, &err),
                 TB_ERR_CONFIG));
    cr_assert(strstr(err.msg, "profile quick") &&
                  strstr(err.msg, "profile full"),
              "%s", err.msg);
    tb_error_clear(&err);
    cr_assert(eq(int,
                 tb_baseline_check(b, "f.json", "c", "quick",
                                   "00000000000000bb", NULL, &err),
                 TB_ERR_CONFIG));
    cr_assert(strstr(err.msg, "00000000000000aa") &&
                  strstr(err.msg, "00000000000000bb"),
              "%s", err.msg);
    tb_baseline_free(b);
}

Test(baseline, digest_and_version_round_trip)
{
    tb_baseline *b = NULL, *back = NULL;
    tb_error err = {0};

    cr_assert(eq(int, tb_baseline_new("c", "quick", &b, &err), TB_OK));
    snprintf(b->thresholds_digest, sizeof(b->thresholds_digest), "abc");
    snprintf(b->tracer_version, sizeof(b->tracer_version), "1.3.6");
    cr_assert(eq(int, tb_baseline_save(b, path, &err), TB_OK), "%s", err.msg);
    cr_assert(eq(int, tb_baseline_load(path, &back, &err), TB_OK), "%s",
              err.msg);
    cr_assert(eq(str, back->thresholds_digest, "abc"));
    cr_assert(eq(str, back->tracer_version, "1.3.6"));
    tb_baseline_free(b);
    tb_baseline_free(back);
}
