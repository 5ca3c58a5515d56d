/* Every gate proven to fail: for client c, one Python and one Node
 * client, each gate's injected regression (sized by tracebench audit from
 * thresholds/, quick profile, one run) must fail the figure it targets.
 * That the healthy clients pass the same gates is the regress-quick-*
 * tests' part. A client whose tracer is not installed is skipped, saying
 * so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"
#include "tracebench.h"

TestSuite(audit, .timeout = 600);

static void prove(const char *client)
{
    char results[] = "/tmp/tb-audit-XXXXXX", json[64];
    struct tb_audit_opts o = {.client = client,
                              .profile = "quick",
                              .runs = 1,
                              .injected_only = true,
                              .results_path = results,
                              .json_path = json,
                              .progress = stderr};
    struct tb_audit_report *rep = NULL;
    tb_error err = {0};
    int fd = mkstemp(results);
    unsigned undetected = 0, proven = 0;
    char missed[1024] = "";
    tb_err e;

    cr_assert_geq(fd, 0);
    close(fd);
    snprintf(json, sizeof(json), "%s.json", results);
    e = tb_audit_run(&o, &rep, &err);
    if (e != TB_OK)
        TB_TEST_SKIP_OR_FAIL(e, err.msg, false);
    for (size_t i = 0; i < rep->n_rows; i++) {
        const struct tb_audit_row *w = &rep->rows[i];
        if (!w->injectable) {
            cr_log_info("WARNING: %s: %s: not injectable: %s", client,
                        w->figure, w->sizing);
            continue;
        }
        cr_log_info("%s: %s with %s: %s", client, w->figure, w->injection,
                    w->detected ? "detected" : "MISSED");
        if (w->detected == w->injected_runs && w->injected_runs > 0) {
            proven++;
            continue;
        }
        undetected++;
        /* One of a figure's alternative stimuli is enough: some tracers
         * resend on a 503, others on a network error. */
        bool alt = w->alternative ||
                   (i + 1 < rep->n_rows && rep->rows[i + 1].alternative);
        if (alt) {
            cr_log_info("%s: %s: this stimulus made no difference for "
                        "this tracer",
                        client, w->injection);
            undetected--;
        }
        size_t off = strlen(missed);
        snprintf(missed + off, sizeof(missed) - off,
                 "%s%s (%s: %u/%u "
                 "detected, %u inconclusive, %u errors)",
                 off ? "; " : "", w->figure, w->injection, w->detected,
                 w->injected_runs, w->injected_inconclusive, w->injected_error);
    }
    /* Every gate has a row: none was left out of the audit. */
    for (int g = 0; g < TB_GATE__COUNT; g++) {
        bool has = false;
        for (size_t i = 0; i < rep->n_rows; i++)
            has = has || rep->rows[i].gate == (tb_gate)g;
        cr_expect(has, "gate %s has no injection", tb_gate_name((tb_gate)g));
    }
    bool all = tb_audit_all_detected(rep);
    free(rep);
    unlink(results);
    unlink(json);
    cr_assert_eq(undetected, 0, "%s: missed: %s", client, missed);
    cr_assert(all, "%s: a figure none of whose stimuli was detected: %s",
              client, missed);
    cr_assert_gt(proven, 0);
}

Test(audit, every_gate_fails_its_injection_for_c)
{
    prove("c");
}
Test(audit, every_gate_fails_its_injection_for_python_cpp)
{
    prove("python-cpp");
}
Test(audit, every_gate_fails_its_injection_for_js_otel)
{
    prove("js-otel");
}
