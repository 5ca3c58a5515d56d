/* tracebench history: step detection on made series (seeded noise, so
 * the same series every run) and the series printed from a folder of
 * results files in version order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "common.h"
#include "tracebench.h"
#include "tracebench/output/history.h"

TestSuite(history, .timeout = 60);

/* n points of level a then, from step on, level b, with normal noise of
 * sd sigma. */
static void series(double *x, size_t n, size_t step, double a, double b,
                   double sigma, uint64_t seed)
{
    tb_rng rng;

    tb_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (i < step ? a : b) + sigma * tb_rng_normal(&rng);
}

Test(history, one_step_is_found_where_it_is)
{
    double x[24];
    size_t at[8];

    /* A 20% step in 2% noise, at many positions and seeds. */
    for (uint64_t seed = 1; seed <= 40; seed++) {
        size_t step = 4 + seed % 16;
        series(x, 24, step, 100, 120, 2, seed);
        size_t n = tb_history_steps(x, NULL, 24, at, 8);
        cr_assert_eq(n, 1, "seed %llu: %zu steps", (unsigned long long)seed, n);
        cr_assert_eq(at[0], step, "seed %llu: step at %zu, not %zu",
                     (unsigned long long)seed, at[0], step);
    }
}

Test(history, no_step_in_noise_alone)
{
    double x[24];
    size_t at[8];

    for (uint64_t seed = 1; seed <= 40; seed++) {
        series(x, 24, 24, 100, 100, 2, seed);
        cr_assert_eq(tb_history_steps(x, NULL, 24, at, 8), 0,
                     "seed %llu: a step in noise at %zu",
                     (unsigned long long)seed, at[0]);
    }
    /* A flat series, and the intervals' width as noise: a 1-unit move
     * inside +-5 intervals is no step. */
    double flat[6] = {3, 3, 3, 3, 3, 3}, hw[6] = {5, 5, 5, 5, 5, 5};
    cr_assert_eq(tb_history_steps(flat, NULL, 6, at, 8), 0);
    double moved[6] = {3, 3, 3, 4, 4, 4};
    cr_assert_eq(tb_history_steps(moved, hw, 6, at, 8), 0);
    cr_assert_eq(tb_history_steps(moved, NULL, 6, at, 8), 1,
                 "without intervals the move is a step");
}

static void results_file(const char *dir, const char *name, double median)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"kind\":\"gate\",\"client\":\"c\",\"figure\":\"cpu.x\","
            "\"unit\":\"points\",\"median\":%g,\"lo\":%g,\"hi\":%g,"
            "\"verdict\":\"pass\"}\n"
            "{\"kind\":\"gate\",\"client\":\"js\",\"figure\":\"cpu.x\","
            "\"unit\":\"points\",\"median\":7,\"verdict\":\"pass\"}\n",
            median, median - 0.1, median + 0.1);
    fclose(f);
}

Test(history, folder_in_version_order_with_the_step)
{
    char dir[64], *text = NULL;
    size_t size = 0, steps = 99;
    tb_error err = {0};
    FILE *out = open_memstream(&text, &size);

    snprintf(dir, sizeof(dir), "/tmp/tb-history-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    /* v1.10 and v1.11 come after v1.9: the step is v1.9 -> v1.10. */
    results_file(dir, "v1.8.jsonl", 3.0);
    results_file(dir, "v1.9.jsonl", 3.1);
    results_file(dir, "v1.10.jsonl", 6.0);
    results_file(dir, "v1.11.jsonl", 6.1);
    results_file(dir, "v1.7.jsonl", 2.9);
    struct tb_history_opts o = {.dir = dir, .client = "c"};
    cr_assert_eq(tb_history_write(&o, out, &steps, &err), TB_OK, "%s", err.msg);
    fclose(out);
    cr_assert_eq(steps, 1, "%s", text);
    cr_assert(strstr(text, "step between v1.9.jsonl and v1.10.jsonl") != NULL,
              "%s", text);
    cr_assert(strstr(text, "js cpu.x") == NULL, "--client c only: %s", text);
    char *a = strstr(text, "v1.7"), *b = strstr(text, "v1.8"),
         *c = strstr(text, "v1.11");
    cr_assert(a && b && c && a < b && b < c, "version order: %s", text);
    free(text);

    o.client = "nobody";
    cr_assert_eq(tb_history_write(&o, stdout, NULL, &err), TB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "nobody") != NULL, "%s", err.msg);
    tb_test_rm_tree(dir);
}
