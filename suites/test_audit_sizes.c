/* The audit's injections as sized from thresholds/, without running them
 * (test_audit runs them): every gate has a row, each size follows from its
 * limit and audit.injection_factor, and a gate with no injection says why
 * and still has its healthy runs audited. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../harness/src/gate/audit_internal.h"
#include "tracebench.h"

static tb_thresholds *load(const char *client, const char *profile)
{
    char dir[512];
    tb_thresholds *t = NULL;
    tb_error err = {0};

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    cr_assert(
        eq(int, tb_thresholds_load(dir, client, profile, &t, &err), TB_OK),
        "%s", err.msg);
    return t;
}

/* The row of gate (its first), its injection's arguments in inj. */
static bool row_of(const tb_thresholds *t, tb_gate gate,
                   struct tb_audit_row *row, struct tb__injection *inj)
{
    memset(row, 0, sizeof(*row));
    const struct tb__audit_basis b = {.rss = 20e6, .slow_peak_rss = 30e6};

    return tb__audit_injection(gate, 0, t, &b, row, inj);
}

static const char *flag_value(const struct tb__injection *inj, const char *flag)
{
    for (size_t i = 0; inj->argv[i] != NULL; i += 2)
        if (strcmp(inj->argv[i], flag) == 0)
            return inj->argv[i + 1];
    return NULL;
}

Test(audit_sizes, every_gate_has_a_row_in_every_profile)
{
    static const char *const clients[] = {"c", "python", "python-cpp", "js",
                                          "js-otel"};
    static const char *const profiles[] = {"quick", "full"};

    for (size_t c = 0; c < 5; c++)
        for (size_t p = 0; p < 2; p++) {
            tb_thresholds *t = load(clients[c], profiles[p]);
            for (int g = 0; g < TB_GATE__COUNT; g++) {
                struct tb_audit_row row;
                struct tb__injection inj;
                cr_expect(row_of(t, (tb_gate)g, &row, &inj),
                          "%s %s: gate %s has no row in the audit", clients[c],
                          profiles[p], tb_gate_name((tb_gate)g));
                cr_expect(row.injectable || row.sizing[0] != '\0',
                          "%s: gate %s not injectable and says not why",
                          clients[c], tb_gate_name((tb_gate)g));
            }
            tb_thresholds_free(t);
        }
}

Test(audit_sizes, latency_stalls_2_percent_of_spans_by_k_times_the_limit)
{
    tb_thresholds *t = load("js-otel", "quick");
    struct tb_audit_row row;
    struct tb__injection inj;

    cr_assert(row_of(t, TB_GATE_LATENCY, &row, &inj));
    cr_assert(row.injectable);
    cr_assert(eq(str, row.figure, "latency.p99_us"));
    cr_assert(eq(str, (char *)flag_value(&inj, "--stall_every"), "50"));
    /* js-otel allows 3000 us; 1.5 x that. */
    cr_assert(eq(str, (char *)flag_value(&inj, "--stall_us"), "4500"));
    tb_thresholds_free(t);
}

Test(audit_sizes, cost_is_audited_healthy_only_and_says_why)
{
    tb_thresholds *t = load("c", "full");
    struct tb_audit_row row;
    struct tb__injection inj;

    cr_assert(row_of(t, TB_GATE_COST, &row, &inj));
    cr_assert_not(row.injectable);
    cr_assert(strstr(row.sizing, "healthy runs are audited") != NULL, "%s",
              row.sizing);
    tb_thresholds_free(t);
}

Test(audit_sizes, cpu_burn_is_k_times_the_limit_per_span)
{
    tb_thresholds *t = load("c", "full");
    struct tb_audit_row row;
    struct tb__injection inj;

    cr_assert(row_of(t, TB_GATE_CPU, &row, &inj));
    /* 1.5 x 10 points of a core at 500 spans/s: 300 us a span. */
    cr_assert(eq(str, (char *)flag_value(&inj, "--burn_ns"), "300000"));
    tb_thresholds_free(t);
}

Test(audit_sizes, duplicates_has_a_client_side_stimulus_for_clients_with_it)
{
    tb_thresholds *t = load("python", "quick");
    struct tb__audit_basis with = {.rss = 20e6, .dup_every = true};
    struct tb__audit_basis without = {.rss = 20e6};
    struct tb_audit_row row;
    struct tb__injection inj;
    double spans = t->duplicates.rate_sps * t->duplicates.runtime_s;
    double twice = t->audit.injection_factor *
                   ((double)t->duplicates.max_duplicates + 1);
    char want[32];

    /* Two satellite faults, then the client's own resend: alternatives. */
    for (size_t i = 0; i < 3; i++) {
        memset(&row, 0, sizeof(row));
        cr_assert(
            tb__audit_injection(TB_GATE_DUPLICATES, i, t, &with, &row, &inj));
        cr_expect(eq(int, row.alternative, i > 0), "row %zu", i);
        cr_expect(row.injectable, "row %zu: %s", i, row.sizing);
    }
    snprintf(want, sizeof(want), "%.0f", floor(spans / twice));
    cr_expect(eq(str, (char *)flag_value(&inj, "--dup_every"), want));
    cr_expect(eq(int, inj.fault, TB_FAULT_NONE));
    memset(&row, 0, sizeof(row));
    cr_assert(tb__audit_injection(TB_GATE_DUPLICATES, 3, t, &with, &row,
                                  &inj) == false);

    /* A client without it: the row stays, not injectable, saying why. */
    memset(&row, 0, sizeof(row));
    cr_assert(
        tb__audit_injection(TB_GATE_DUPLICATES, 2, t, &without, &row, &inj));
    cr_expect(eq(int, row.injectable, 0));
    cr_expect(strstr(row.sizing, "--dup_every") != NULL, "%s", row.sizing);
    tb_thresholds_free(t);
}

Test(audit_sizes, slow_block_every_shrinks_with_the_loops_own_overhead)
{
    tb_thresholds *t = load("c", "full");
    struct tb_audit_row row;
    struct tb__injection inj;
    struct tb__audit_basis b = {.rss = 20e6, .slow_peak_rss = 30e6};

    /* 300 ms every N spans at 500 spans/s, aiming at 1 - 1.5 x 0.2 = 0.7:
     * N = 0.3 s / (2 ms x (1/0.7 - 1)) = 350 with no overhead of its own. */
    memset(&row, 0, sizeof(row));
    cr_assert(tb__audit_injection(TB_GATE_SLOW, 0, t, &b, &row, &inj));
    cr_assert(eq(str, row.figure, "slow.rate_ratio"));
    cr_assert(eq(str, (char *)flag_value(&inj, "--block_every"), "350"));
    /* A loop that spends 500 us a span outside its work (a Node tracer's
     * callbacks) dilutes the stall: 0.3 s / (2.5 ms x 0.4286) = 280. */
    b.slow_overhead_s = 500e-6;
    memset(&row, 0, sizeof(row));
    cr_assert(tb__audit_injection(TB_GATE_SLOW, 0, t, &b, &row, &inj));
    cr_assert(eq(str, (char *)flag_value(&inj, "--block_every"), "280"));
    cr_assert(strstr(row.sizing, "o = 500 us") != NULL, "%s", row.sizing);
    tb_thresholds_free(t);
}
