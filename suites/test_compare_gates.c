/* tracebench compare proven both ways with the real C client and Datadog's
 * tracer, quick profile: c against itself finds nothing worse, and c
 * against c burning CPU per traced span, sized at twice the CPU allowance
 * of the thresholds, is worse on cpu and on nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "common.h"
#include "tracebench.h"

TestSuite(compare_gates, .timeout = 900);

static void check_client(void)
{
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    const tb_client *c = tb_registry_find(reg, "c", &err);
    cr_assert_not_null(c, "%s", err.msg);
    tb_err e = tb_client_check(c, &err);
    tb_registry_free(reg);
    if (e != TB_OK)
        TB_TEST_SKIP_OR_FAIL(e, err.msg, true);
}

Test(compare_gates, c_against_itself_is_not_worse)
{
    /* The noisiest figure: noise must not read as worse. */
    static const tb_gate gates[] = {TB_GATE_CPU};
    struct tb_compare_opts o = {.a = {.client = "c"},
                                .b = {.client = "c"},
                                .profile = "quick",
                                .gates = gates,
                                .n_gates = 1};
    tb_compare_result *r;
    tb_error err = {0};

    check_client();
    cr_assert_eq(tb_compare_run(&o, &r, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(r->n, 1);
    for (size_t i = 0; i < r->n; i++) {
        cr_log_info("%s", r->figures[i].message);
        cr_assert(r->figures[i].verdict == TB_COMPARE_SAME ||
                      r->figures[i].verdict == TB_COMPARE_INCONCLUSIVE,
                  "c against itself: %s", r->figures[i].message);
        cr_assert_geq(r->figures[i].rounds, 2);
    }
    cr_assert_not(tb_compare_any_worse(r));
    tb_compare_result_free(r);
}

/* Through the command, so its exit status and outputs are checked too. */
Test(compare_gates, a_cpu_regression_is_worse_on_cpu_only)
{
    tb_thresholds *t;
    tb_error err = {0};
    char dir[1024], cmd[4096], line[8192];

    check_client();
    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    cr_assert_eq(tb_thresholds_load(dir, "c", "quick", &t, &err), TB_OK, "%s",
                 err.msg);
    /* Burning X ns of CPU per span at R spans/s costs X * R / 1e7 points;
     * twice the points allowance (the floor, since c costs well under it)
     * leaves the interval room to clear it. */
    double points = 2 * t->baseline.cpu_overhead_abs_points;
    double burn_ns = points * 1e7 / t->cpu.rate_sps;
    tb_thresholds_free(t);

    char results[] = "/tmp/tb-compare-XXXXXX";
    cr_assert_not_null(mkdtemp(results));
    snprintf(cmd, sizeof(cmd),
             "cd %s && %s/tracebench compare c c --profile quick "
             "--gates cpu,drops --b-args '--burn_ns %.0f' --out %s "
             "--results %s/results.jsonl >%s/out.txt 2>&1",
             tb_root_dir(), tb_build_dir(), burn_ns, results, results, results);
    int st = system(cmd);
    cr_assert(WIFEXITED(st), "%s", cmd);
    cr_assert_eq(WEXITSTATUS(st), 1, "exit %d, want 1 (worse): see %s/out.txt",
                 WEXITSTATUS(st), results);

    /* One compare line per figure, in results.jsonl, before the exit. */
    snprintf(cmd, sizeof(cmd), "%s/results.jsonl", results);
    FILE *f = fopen(cmd, "r");
    cr_assert_not_null(f);
    int cpu = 0, drops = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "\"kind\":\"compare\"") == NULL)
            continue;
        cr_log_info("%s", line);
        if (strstr(line, "\"figure\":\"cpu.overhead_points\"")) {
            cpu++;
            cr_assert(strstr(line, "\"verdict\":\"worse\"") != NULL,
                      "%.0f ns per span (%.1f points) not worse: %s", burn_ns,
                      points, line);
        } else if (strstr(line, "\"figure\":\"drops.")) {
            drops++;
            cr_assert(strstr(line, "\"verdict\":\"worse\"") == NULL,
                      "drops got worse from burning CPU: %s", line);
        }
    }
    fclose(f);
    cr_assert_eq(cpu, 1);
    cr_assert_eq(drops, 1);
    snprintf(cmd, sizeof(cmd),
             "test -s %s/summary.md && test -s "
             "%s/junit-compare.xml && grep -q '\"extra\":.*\"worse\"' "
             "%s/benchmarks.json && rm -rf %s",
             results, results, results, results);
    cr_assert_eq(system(cmd), 0,
                 "summary.md, junit-compare.xml and "
                 "benchmarks.json (with the worse figure) in %s",
                 results);
}
