/* The regression program's exit status, as CI sees it: 0 when every gate
 * passes, not 0 when one fails, when one could not run, and under
 * TB_STRICT=1 when a declared known defect passed ("fixed?"); a known
 * defect that fails does not fail the build. Each case runs one short gate
 * of the real C client with thresholds written here ($TB_THRESHOLDS_DIR),
 * so the verdict is certain, not a matter of noise. `make regress` refuses
 * a baseline without a client. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"
#include "tracebench.h"

TestSuite(regress_exit, .timeout = 300);

static char dir[] = "/tmp/tb-regress-exit-XXXXXX";

struct run {
    int status;
    char out[32768];
};

/* The client's file for these tests: the quick profile's gates used
 * here, shortened to one short run each (default.json is the
 * repository's own, copied). */
static const char short_runs[] =
    "\"quick\": {"
    "\"duplicates\": {\"rate_sps\": 100, \"runtime_s\": 2}}";

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert_not_null(f = fopen(path, "w"), "%s", path);
    fputs(text, f);
    fclose(f);
}

/* c.json: the short runs, and what a test adds ("known": ...). */
static void client_file(const char *extra)
{
    char text[2048];

    snprintf(text, sizeof(text), "{%s%s%s}", extra, extra[0] ? ", " : "",
             short_runs);
    write_file("c.json", text);
}

static void setup(void)
{
    char cmd[2048];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "cp '%s/thresholds/default.json' '%s/'",
             tb_root_dir(), dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    client_file("");
}

static void teardown(void)
{
    tb_test_rm_tree(dir);
}

/* Runs the regression program on one gate of client c. */
static struct run *regression(const char *gate, const char *args,
                              const char *strict)
{
    static struct run r;
    char cmd[2048];
    size_t n = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             /* BXFI_MAP: this test's own Criterion worker state, which
              * would make the nested Criterion program abort. */
             "cd '%s' && env -u BXFI_MAP CI= TB_CLIENT=c TB_PROFILE=quick "
             "TB_THRESHOLDS_DIR='%s' TB_CLIENT_ARGS='%s' TB_STRICT=%s "
             "TB_BASELINE= '%s/suites/regression' --jobs 1 "
             "--filter 'regression/%s' 2>&1",
             tb_root_dir(), dir, args, strict, tb_build_dir(), gate);
    memset(&r, 0, sizeof(r));
    cr_assert_not_null(p = popen(cmd, "r"));
    while (n < sizeof(r.out) - 1) {
        size_t got = fread(r.out + n, 1, sizeof(r.out) - 1 - n, p);
        if (got == 0)
            break;
        n += got;
    }
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return &r;
}

/* Skips (loudly) when the C client's tracer is not installed here. */
static void need_c(void)
{
    tb_registry *reg;
    tb_error err = {0};
    const tb_client *c;

    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_not_null(c = tb_registry_find(reg, "c", &err), "%s", err.msg);
    tb_err e = tb_client_check(c, &err);
    tb_registry_free(reg);
    if (e != TB_OK)
        TB_TEST_SKIP_OR_FAIL(e, err.msg, true);
}

/* Runs one gate and asserts the exit status (fails or not) and that the
 * output says what it should. */
static void expect(const char *gate, const char *args, const char *strict,
                   bool fails, const char *says, const char *why)
{
    struct run *r = regression(gate, args, strict);

    cr_assert_eq(r->status != 0, fails, "%s: %s", why, r->out);
    if (says != NULL)
        cr_assert(strstr(r->out, says) != NULL, "%s: no \"%s\" in: %s", why,
                  says, r->out);
}

Test(regress_exit, pass_fail_and_error, .init = setup, .fini = teardown)
{
    need_c();
    expect("duplicates", "", "1", false, NULL, "a passing gate exits 0");
    /* Exiting without a flush loses the spans since the last report (the
     * C client's tracer reports once a second): the flush gate fails.
     * (--drop_every would not do: unfinished Datadog traces make the
     * client's exit wait 5 s, past its timeout.) */
    expect("flush", "--skip_flush 1", "0", true, "not delivered",
           "a failing gate fails");
    /* The client rejects the flag and exits 2: the gate could not run. */
    expect("duplicates", "--no_such_flag 1", "0", true, "could not run",
           "a gate that could not run fails");
}

Test(regress_exit, known_defects_and_strict, .init = setup, .fini = teardown)
{
    need_c();
    client_file("\"known\": {\"flush\": \"a test's defect\", "
                "\"duplicates\": \"a test's defect\"}");
    /* A known defect that fails: reported, and the build stays green,
     * strict or not. */
    expect("flush", "--skip_flush 1", "1", false, "known failure",
           "a known failure does not fail");
    /* A known defect that passes: "fixed?", which fails only when strict. */
    expect("duplicates", "", "0", false, "fixed?", "fixed? when not strict");
    expect("duplicates", "", "1", true, NULL, "fixed? fails under TB_STRICT");
}

/* The flush gate with the C client made to exit without its flush (it
 * loses the spans since the tracer's last report: 4 to 46 of the 100
 * seen), its defect declared with the most it has cost. */
static void flush_known_at_most(const char *at_most, bool fails,
                                const char *says)
{
    char extra[256];

    snprintf(extra, sizeof(extra),
             "\"known\": {\"flush\": {\"reason\": \"a test's defect\", "
             "\"intermittent\": true, \"at_most\": %s}}",
             at_most);
    client_file(extra);
    expect("flush", "--skip_flush 1", "1", fails, says, extra);
}

/* Within the bound, the known failure; beyond it, a failure of the build,
 * which the figure's message says. */
Test(regress_exit, known_defect_bounded, .init = setup, .fini = teardown)
{
    need_c();
    flush_known_at_most("100", false, "known failure");
    flush_known_at_most("0.5", true, "which has cost at most 0.5");
}

/* Inconclusive cannot be made certain with a real client; the rule the
 * program applies is this one function. */
Test(regress_exit, strictness_rule)
{
    cr_assert(!tb_gate_status_fails(TB_GATE_PASSED, true));
    cr_assert(tb_gate_status_fails(TB_GATE_FAILED, false));
    cr_assert(!tb_gate_status_fails(TB_GATE_INCONCLUSIVE, false));
    cr_assert(tb_gate_status_fails(TB_GATE_INCONCLUSIVE, true));
    cr_assert(!tb_gate_status_fails(TB_GATE_KNOWN_FAILURE, true));
    cr_assert(!tb_gate_status_fails(TB_GATE_FIXED, false));
    cr_assert(tb_gate_status_fails(TB_GATE_FIXED, true));
}

Test(regress_exit, make_regress_refuses_a_baseline_without_a_client)
{
    char cmd[1024];
    FILE *f;

    snprintf(cmd, sizeof(cmd),
             "cd '%s' && make -s regress BUILD='%s' BASELINE=Makefile "
             "CLIENT= 2>&1",
             tb_root_dir(), tb_build_dir());
    cr_assert_not_null(f = popen(cmd, "r"));
    /* All of it: make may first rebuild, and its lines come before. */
    static char out[1 << 20];
    size_t n = 0, got;
    while (n < sizeof(out) - 1 &&
           (got = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
        n += got;
    out[n] = '\0';
    int st = pclose(f);
    const char *tail = n > 2048 ? out + n - 2048 : out;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "%s", tail);
    cr_assert(strstr(out, "needs CLIENT") != NULL, "%s", tail);
}

/* Ctrl-C to `tracebench audit` stops the audit there: exit 130, and its
 * table (written all the same) counts no run for the one the signal
 * stopped. It once went on through every run left, each failing at once
 * as "interrupted", and counted them as errors. */
Test(regress_exit, an_interrupted_audit_stops_and_exits_130, .init = setup,
     .fini = teardown)
{
    char exe[1024], results[300], json[300], text[8192] = "";
    pid_t child;
    int st = 0;

    need_c();
    snprintf(exe, sizeof(exe), "%s/tracebench", tb_build_dir());
    snprintf(results, sizeof(results), "%s/results.jsonl", dir);
    snprintf(json, sizeof(json), "%s/audit.json", dir);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(exe, exe, "audit", "c", "--runs", "3", "--gates", "duplicates",
              "--results", results, "--json", json, (char *)NULL);
        _exit(127);
    }
    /* In the healthy run's calibration or its 2 s run, either way. */
    sleep(2);
    kill(child, SIGINT);
    time_t t0 = time(NULL);
    pid_t w;
    while ((w = waitpid(child, &st, WNOHANG)) == 0 && time(NULL) - t0 < 60)
        usleep(100000);
    if (w == 0) {
        kill(child, SIGKILL);
        waitpid(child, &st, 0);
        cr_assert_fail("tracebench audit still ran 60 s after SIGINT");
    }
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130,
              "tracebench audit ended with status 0x%x, not exit 130", st);
    FILE *f = fopen(json, "r");
    cr_assert_not_null(f, "no audit table %s after the interrupt", json);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert(strstr(text, "\"interrupted\":2") != NULL, "%s", text);
    cr_assert(strstr(text, "\"healthy_runs\":0") != NULL, "%s", text);
}
