/* The regression gates, one Criterion test per gate, for the client named
 * by $TB_CLIENT. Parameters and limits come from thresholds/ ($TB_PROFILE:
 * full or quick); $TB_BASELINE names a baseline to hold figures to;
 * $TB_CLIENT_ARGS adds arguments to the client's command line. Run with
 * --jobs 1: the gates measure CPU.
 *
 * A gate fails only when a figure's whole confidence interval is past its
 * limit; a figure inside the noise is reported as inconclusive, with a
 * warning, and fails the run only under TB_STRICT=1 (as CI sets), as does
 * a known tracer defect that passed ("fixed?"); a known defect that fails
 * ("known failure", thresholds/<client>.json "known") does not. A gate
 * that could not run (a crash, a figure with no valid sample) fails. A
 * client whose tracer is not installed (its check exits 3) is skipped
 * with the reason, recorded in results.jsonl, and fails under CI.
 * $TB_REGISTRY and $TB_THRESHOLDS_DIR name another clients.json and
 * thresholds directory (the tests of this program use them). Every run
 * and verdict is in logs/results.jsonl before the assertion runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "common.h"
#include "tracebench.h"
#include "tracebench/output/record.h"
#include "tracebench/output/summary.h"

#define MAX_ARGS 32

static char *extra[MAX_ARGS + 1];

/* Splits $TB_CLIENT_ARGS on blanks into extra[]. */
static void client_args(void)
{
    static char buf[1024];
    const char *env = getenv("TB_CLIENT_ARGS");
    size_t n = 0;

    snprintf(buf, sizeof(buf), "%s", env ? env : "");
    for (char *tok = strtok(buf, " \t"); tok && n < MAX_ARGS;
         tok = strtok(NULL, " \t"))
        extra[n++] = tok;
    extra[n] = NULL;
}

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

static tb_regress *start(tb_gate gate)
{
    const char *client = getenv("TB_CLIENT");
    struct tb_regress_opts o = {
        .client = client,
        .profile = getenv("TB_PROFILE"),
        .baseline_path = getenv("TB_BASELINE"),
        .progress = true,
        .registry_path = env_or_null("TB_REGISTRY"),
        .thresholds_dir = env_or_null("TB_THRESHOLDS_DIR")};
    tb_regress *rg = NULL;
    tb_error err = {0};
    tb_err e;

    if (client == NULL || client[0] == '\0')
        cr_assert_fail(
            "set TB_CLIENT to a client name (see tracebench clients)");
    if (o.baseline_path != NULL && o.baseline_path[0] == '\0')
        o.baseline_path = NULL;
    client_args();
    o.extra_args = (const char *const *)extra;
    e = tb_regress_new(&o, &rg, &err);
    if (e == TB_ERR_INTERRUPTED)
        _exit(tb_interrupt_exit_status(tb_interrupted()));
    if (e != TB_OK) {
        /* In results.jsonl too, so the summary lists it with its reason. */
        tb_error rerr = {0};
        const char *profile = o.profile ? o.profile : "full";
        tb_record_gate_status(tb_record_default_path(), getenv("TB_RUN_ID"),
                              client, profile, tb_gate_name(gate),
                              e == TB_ERR_TRACER_MISSING && !tb_test_under_ci()
                                  ? "skipped"
                                  : "error",
                              err.msg, &rerr);
        TB_TEST_SKIP_OR_FAIL(e, err.msg, true);
    }
    return rg;
}

static void run_gate(tb_gate gate)
{
    tb_regress *rg = start(gate);
    struct tb_gate_outcome o;
    tb_error err = {0};
    tb_err e = tb_regress_gate(rg, gate, &o, &err);
    bool strict = tb_strict();

    tb_regress_free(rg);
    /* Ctrl-C: the client's group is dead and reaped, the satellites are
     * stopped (tb_regress_free), and the partial run and an "interrupted"
     * gate error are in results.jsonl; stop here. */
    if (e == TB_ERR_INTERRUPTED)
        _exit(tb_interrupt_exit_status(tb_interrupted()));
    if (e != TB_OK)
        cr_assert_fail("%s gate could not run: %s: %s", tb_gate_name(gate),
                       tb_err_name(e), err.msg);
    /* Each figure as a ctest measurement, for CDash (ci/dashboard.cmake). */
    tb_results_print_ctest(stdout, getenv("TB_CLIENT"), &o);
    for (size_t i = 0; i < o.n_figures; i++) {
        const struct tb_figure *f = &o.figures[i];
        /* cr_log_info, not cr_log_warn: Criterion exits 1 after any
         * warning, which would fail a known defect or (without
         * TB_STRICT) an inconclusive figure against the policy above. */
        if (f->verdict == TB_VERDICT_INCONCLUSIVE)
            cr_log_info("WARNING: inconclusive: %s", f->message);
        else
            cr_log_info("%s: %s", tb_verdict_name(f->verdict), f->message);
    }
    if (o.known[0] != '\0')
        cr_log_info("WARNING: %s gate: %s (known defect: %s)",
                    tb_gate_name(gate), tb_gate_status_name(o.status), o.known);
    if (o.status == TB_GATE_FIXED)
        cr_expect(!strict,
                  "%s gate: fixed? It passed, but thresholds/%s.json "
                  "declares it a known defect (\"%s\"): take it off the "
                  "list once it passes for good (TB_STRICT)",
                  tb_gate_name(gate), getenv("TB_CLIENT"), o.known);
    if (o.status == TB_GATE_INCONCLUSIVE)
        cr_expect(!strict,
                  "%s gate: inconclusive under TB_STRICT: a figure "
                  "inside the noise proves nothing",
                  tb_gate_name(gate));
    for (size_t i = 0; i < o.n_figures; i++)
        cr_expect(o.status == TB_GATE_KNOWN_FAILURE ||
                      o.figures[i].verdict != TB_VERDICT_FAIL,
                  "%s", o.figures[i].message);
    cr_expect(!tb_gate_status_fails(o.status, strict), "%s gate: %s",
              tb_gate_name(gate), tb_gate_status_name(o.status));
}

/* The run id groups this run's lines in results.jsonl. Set before any
 * test starts, so every test process inherits it. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    char id[64];

    (void)set;
    if (getenv("TB_RUN_ID") == NULL) {
        snprintf(id, sizeof(id), "%ld-%d", (long)time(NULL), (int)getpid());
        setenv("TB_RUN_ID", id, 1);
    }
}

/* The summary table, logs/summary.md, logs/benchmarks.json and, with
 * $TB_BASELINE_SAVE, a baseline of this run's figures. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    struct tb_summary_opts so = {
        .run_id = getenv("TB_RUN_ID"),
        .baseline_out = getenv("TB_BASELINE_SAVE"),
        .client = getenv("TB_CLIENT"),
        .profile = getenv("TB_PROFILE"),
        .thresholds_dir = env_or_null("TB_THRESHOLDS_DIR")};
    tb_error err = {0};

    (void)stats;
    if (so.profile == NULL)
        so.profile = "full";
    if (tb_summary_write(&so, stderr, &err) != TB_OK)
        fprintf(stderr, "tracebench: summary: %s\n", err.msg);
}

TestSuite(regression, .timeout = 900);

Test(regression, memory)
{
    run_gate(TB_GATE_MEMORY);
}
Test(regression, drops)
{
    run_gate(TB_GATE_DROPS);
}
Test(regression, cpu)
{
    run_gate(TB_GATE_CPU);
}
Test(regression, throughput)
{
    run_gate(TB_GATE_THROUGHPUT);
}
Test(regression, duplicates)
{
    run_gate(TB_GATE_DUPLICATES);
}
Test(regression, flush)
{
    run_gate(TB_GATE_FLUSH);
}
Test(regression, outage)
{
    run_gate(TB_GATE_OUTAGE);
}
Test(regression, slow)
{
    run_gate(TB_GATE_SLOW);
}
Test(regression, cost)
{
    run_gate(TB_GATE_COST);
}
Test(regression, latency)
{
    run_gate(TB_GATE_LATENCY);
}
