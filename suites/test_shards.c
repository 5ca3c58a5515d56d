/* tracebench merge on shards made by real quick runs of the c client: two
 * "machines", one gate each, on ports chosen by the system; the merged
 * verdicts are those the shards' runs returned, whatever they are (a gate
 * that could not run on a loaded machine is an "error" in both). Measures:
 * run under the measurement lock (label e2e). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "common.h"
#include "tracebench.h"
#include "tracebench/output/merge.h"

TestSuite(shards, .timeout = 600);

struct verdicts {
    char figure[TB_GATE_MAX_FIGURES * 2][64]; /* "<gate> <figure>" */
    char verdict[TB_GATE_MAX_FIGURES * 2][16];
    size_t n, errors, fails;
};

/* One shard: a regression run of one gate writing <dir>/results.jsonl. */
static void run_shard(const char *dir, const char *run_id, tb_gate gate,
                      struct verdicts *v)
{
    char results[200];
    struct tb_regress_opts o = {.client = "c",
                                .profile = "quick",
                                .results_path = results,
                                .run_id = run_id};
    struct tb_gate_outcome out;
    tb_regress *rg = NULL;
    tb_error err = {0};
    tb_err e;

    mkdir(dir, 0755);
    snprintf(results, sizeof(results), "%s/results.jsonl", dir);
    e = tb_regress_new(&o, &rg, &err);
    if (e == TB_ERR_CLIENT_START)
        cr_skip_test("the c client cannot start here: %s", err.msg);
    cr_assert_eq(e, TB_OK, "%s", err.msg);
    e = tb_regress_gate(rg, gate, &out, &err);
    tb_regress_free(rg);
    if (e != TB_OK) {
        /* Recorded as a gate line with verdict "error" and no figure. */
        cr_log_info("WARNING: %s gate could not run: %s", tb_gate_name(gate),
                    err.msg);
        snprintf(v->figure[v->n], sizeof(v->figure[v->n]), "%s ",
                 tb_gate_name(gate));
        snprintf(v->verdict[v->n++], sizeof(v->verdict[0]), "error");
        v->errors++;
        return;
    }
    for (size_t i = 0; i < out.n_figures; i++, v->n++) {
        snprintf(v->figure[v->n], sizeof(v->figure[v->n]), "%s %s",
                 tb_gate_name(gate), out.figures[i].name);
        snprintf(v->verdict[v->n], sizeof(v->verdict[v->n]), "%s",
                 tb_verdict_name(out.figures[i].verdict));
        v->fails += out.figures[i].verdict == TB_VERDICT_FAIL;
    }
}

static tb_err check_line(const tb_results_line *l, void *arg, tb_error *err)
{
    struct verdicts *v = arg;
    char figure[64];

    (void)err;
    if (strcmp(tb_results_str(l, "kind"), "gate") != 0)
        return TB_OK;
    snprintf(figure, sizeof(figure), "%s %s", tb_results_str(l, "gate"),
             tb_results_str(l, "figure"));
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->figure[i], figure) == 0) {
            cr_expect_str_eq(tb_results_str(l, "verdict"), v->verdict[i], "%s",
                             figure);
            v->verdict[i][0] = '\0'; /* seen */
            return TB_OK;
        }
    cr_expect_fail("merged figure %s is not a shard's", figure);
    return TB_OK;
}

Test(shards, merged_verdicts_are_the_shards)
{
    char dir[64], a[128], b[128], out[128], results[200];
    const char *shards[2] = {a, b};
    struct verdicts v = {0};
    struct tb_merge_summary sum;
    tb_error err = {0};

    snprintf(dir, sizeof(dir), "/tmp/tb-shards-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(a, sizeof(a), "%s/machine-a", dir);
    snprintf(b, sizeof(b), "%s/machine-b", dir);
    snprintf(out, sizeof(out), "%s/merged", dir);
    run_shard(a, "shard-a", TB_GATE_FLUSH, &v);
    run_shard(b, "shard-b", TB_GATE_DUPLICATES, &v);

    struct tb_merge_opts mo = {.shards = shards, .n_shards = 2, .out_dir = out};
    cr_assert_eq(tb_merge(&mo, &sum, NULL, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(sum.shards, 2);
    cr_assert_eq(sum.figures, v.n);
    cr_assert_eq(sum.fail, v.fails);
    cr_assert_eq(sum.errors, v.errors);
    snprintf(results, sizeof(results), "%s/results.jsonl", out);
    cr_assert_eq(tb_results_read(results, check_line, NULL, &v, NULL, &err),
                 TB_OK, "%s", err.msg);
    for (size_t i = 0; i < v.n; i++)
        cr_expect_eq(v.verdict[i][0], '\0', "%s missing from the merge",
                     v.figure[i]);
    tb_test_rm_tree(dir);
}
