/* The regression run: thresholds, baseline, satellites and a calibrated
 * controller for one client, and the dispatch to one file per gate
 * (gate_*.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "regress_internal.h"

#define N_SATELLITES TB_SATELLITE_DEFAULT_COUNT

const char *tb_gate_status_name(tb_gate_status s)
{
    switch (s) {
    case TB_GATE_PASSED:
        return "pass";
    case TB_GATE_FAILED:
        return "fail";
    case TB_GATE_INCONCLUSIVE:
        return "inconclusive";
    case TB_GATE_KNOWN_FAILURE:
        return "known failure";
    case TB_GATE_FIXED:
        return "fixed?";
    }
    return "unknown";
}

bool tb_gate_status_fails(tb_gate_status s, bool strict)
{
    switch (s) {
    case TB_GATE_FAILED:
        return true;
    case TB_GATE_INCONCLUSIVE:
    case TB_GATE_FIXED:
        return strict;
    case TB_GATE_PASSED:
    case TB_GATE_KNOWN_FAILURE:
        return false;
    }
    return true;
}

bool tb_strict(void)
{
    return tb__config_flag(TB__CONFIG_STRICT);
}

tb_err tb__regress_controller(tb_regress *rg, bool calibrated,
                              tb_controller **out, tb_error *err)
{
    static const struct tb_calibration none = {.target_cpu = 0.7};
    tb_controller **slot = calibrated ? &rg->ctl : &rg->ctl_uncalibrated;
    struct tb_controller_opts co = {.client = rg->client_def,
                                    .control_port = 0,
                                    .target_cpu = rg->t->common.target_cpu,
                                    .calibration = !calibrated     ? &none
                                                   : rg->given_cal ? &rg->cal
                                                                   : NULL};
    tb_err e;

    if (*slot == NULL && (e = tb_controller_new(&co, slot, err)) != TB_OK)
        return e;
    *out = *slot;
    return TB_OK;
}

const tb_thresholds *tb_regress_thresholds(const tb_regress *rg)
{
    return rg->t;
}

void tb_regress_free(tb_regress *rg)
{
    if (rg == NULL)
        return;
    tb__progress_stop(rg);
    tb_controller_free(rg->ctl);
    tb_controller_free(rg->ctl_uncalibrated);
    tb_client_free(rg->client_def);
    tb_satellites_free(rg->sats);
    tb_baseline_free(rg->baseline);
    tb_thresholds_free(rg->t);
    for (size_t i = 0; rg->extra != NULL && rg->extra[i] != NULL; i++)
        free(rg->extra[i]);
    free(rg->extra);
    free(rg);
}

tb_err tb_regress_new(const struct tb_regress_opts *o, tb_regress **out,
                      tb_error *err)
{
    char dir[1024];
    const char *run = o->run_id ? o->run_id : tb__config_env(TB__CONFIG_RUN_ID);
    tb_registry *reg = NULL;
    const tb_client *client;
    tb_client *own = NULL;
    tb_regress *rg;
    size_t n = 0;
    tb_err e;

    if (o->client == NULL || o->client[0] == '\0')
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no client named");
    if ((rg = calloc(1, sizeof(*rg))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    snprintf(rg->client, sizeof(rg->client), "%s", o->client);
    snprintf(rg->profile, sizeof(rg->profile), "%s",
             o->profile ? o->profile : "full");
    if (run != NULL && run[0] != '\0')
        snprintf(rg->run_id, sizeof(rg->run_id), "%s", run);
    else
        snprintf(rg->run_id, sizeof(rg->run_id), "%ld-%d", (long)time(NULL),
                 (int)getpid());
    snprintf(rg->baseline_path, sizeof(rg->baseline_path), "%s",
             o->baseline_path ? o->baseline_path : "");
    snprintf(rg->results, sizeof(rg->results), "%s",
             o->results_path ? o->results_path : tb_results_default_path());
    while (o->extra_args != NULL && o->extra_args[n] != NULL)
        n++;
    if ((rg->extra = calloc(n + 1, sizeof(char *))) == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if ((rg->extra[i] = tb__strdup(o->extra_args[i])) == NULL) {
            e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            goto fail;
        }

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    if ((e = tb_thresholds_load(o->thresholds_dir ? o->thresholds_dir : dir,
                                o->thresholds_client ? o->thresholds_client
                                                     : o->client,
                                rg->profile, &rg->t, err)) != TB_OK ||
        (e = tb_results_thresholds_digest(
             o->thresholds_dir ? o->thresholds_dir : dir, rg->thresholds_digest,
             sizeof(rg->thresholds_digest), err)) != TB_OK)
        goto fail;
    /* A baseline of another client, profile or set of limits is a
     * configuration error, told before anything is measured. */
    if (o->baseline_path != NULL &&
        ((e = tb_baseline_load(o->baseline_path, &rg->baseline, err)) !=
             TB_OK ||
         (e = tb_baseline_check(rg->baseline, o->baseline_path, rg->client,
                                rg->profile, tb_thresholds_digest(rg->t), NULL,
                                err)) != TB_OK))
        goto fail;

    /* A client whose tracer is not installed is skipped, not failed. */
    if ((e = tb_registry_load(o->registry_path, &reg, err)) != TB_OK)
        goto fail;
    if ((client = tb_registry_find(reg, o->client, err)) == NULL) {
        e = TB_ERR_INVALID_CLIENT;
        goto fail;
    }
    if (o->client_env != NULL && o->client_env[0] != NULL) {
        /* Another build of the tracer: the registry's entry with some of
         * its environment replaced (tb_client_set_env). */
        if ((own = tb_client_copy(client)) == NULL) {
            e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; o->client_env[i] != NULL; i++)
            if ((e = tb_client_set_env(own, o->client_env[i], err)) != TB_OK)
                goto fail;
        client = own;
    }
    if ((e = tb_client_check(client, err)) != TB_OK)
        goto fail;

    uint16_t ports[N_SATELLITES] = {0};
    struct tb_satellites_opts so = {.ports = ports, .n_ports = N_SATELLITES};
    const char *conn = o->satellite_connection;
    if (conn == NULL || conn[0] == '\0')
        conn = tb__config_env(TB__CONFIG_SATELLITE_CONNECTION);
    if (conn == NULL || conn[0] == '\0')
        conn = rg->t->common.satellite_connection;
    if ((e = tb_satellite_connection_parse(conn, &so.connection_close, err)) !=
            TB_OK ||
        (e = tb_satellite_mode_parse(rg->t->common.satellite_mode, &so.mode,
                                     err)) != TB_OK ||
        (e = tb_satellites_start(&so, &rg->sats, err)) != TB_OK)
        goto fail;
    if (o->progress && (e = tb__progress_start(rg, err)) != TB_OK)
        goto fail;
    /* The controller is made when a gate first needs it: calibration is
     * a CPU measurement that the cost gate, counting instructions, has no
     * use for, and that fails on a machine too busy to hold a target. */
    if (o->calibration != NULL) {
        rg->cal = *o->calibration;
        rg->given_cal = true;
    }
    if ((rg->client_def = tb_client_copy(client)) == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto fail;
    }
    tb_registry_free(reg);
    tb_client_free(own);
    *out = rg;
    return TB_OK;
fail:
    tb_registry_free(reg);
    tb_client_free(own);
    tb_regress_free(rg);
    return e;
}

/* The drift guard: a gate's untraced arm far from the calibration target
 * means the machine's speed has moved since the calibration, and the
 * figures stand on a client no longer at the load asked. Recalibrates
 * once a run and asks for the gate again (*redo). The cpu gate's arm is
 * at the target by design; throughput's controls run at high rates where
 * a client's own per-span costs add to the target: that gate scales its
 * work down itself (gate_throughput.c) and hands over only when it
 * failed: its lowest control's work share against calibration's (its
 * CPU, for a client that sends no WorkCpuNs). */
static tb_err drift_guard(tb_regress *rg, tb_gate gate, bool *redo,
                          tb_error *err)
{
    (void)err; /* a failed recalibration is logged, not returned */
    double target = rg->t->common.target_cpu * 100.0;
    double off = rg->untraced_cpu_points - target;
    tb_err e;

    if (isnan(off) || fabs(off) <= rg->t->common.max_drift_points ||
        rg->ctl == NULL)
        return TB_OK;
    if (rg->recalibrated) {
        tb_log(TB_LOG_WARN, "regress",
               "%s: %s gate's untraced arm ran at %.1f%% CPU, %.1f points "
               "off the %.0f%% target; already recalibrated once this run, "
               "so the figures stand",
               rg->client, tb_gate_name(gate), rg->untraced_cpu_points, off,
               target);
        return TB_OK;
    }
    rg->recalibrated = true;
    tb_log(TB_LOG_WARN, "regress",
           "%s: %s gate's untraced arm ran at %.1f%% CPU, %.1f points off "
           "the %.0f%% calibration target (more than %g: "
           "common.max_drift_points): recalibrating and redoing the gate",
           rg->client, tb_gate_name(gate), rg->untraced_cpu_points, off, target,
           rg->t->common.max_drift_points);
    if (rg->progress != NULL)
        fprintf(stderr,
                "regress %s: %s: untraced arm at %.1f%% CPU, %.1f points off "
                "the %.0f%% target: recalibrating, then redoing the gate\n",
                rg->client, tb_gate_name(gate), rg->untraced_cpu_points, off,
                target);
    tb__progress_step(rg, "recalibration (drift guard)", 0);
    tb_error cerr = {0};
    if ((e = tb_controller_recalibrate(rg->ctl, &cerr)) != TB_OK) {
        /* A machine too busy to calibrate: the first figures stand,
         * with the reason in the log. */
        tb_log(TB_LOG_WARN, "regress",
               "%s: recalibration failed (%s): keeping the %s gate's "
               "figures",
               rg->client, cerr.msg, tb_gate_name(gate));
        return TB_OK;
    }
    *redo = true;
    return TB_OK;
}

struct tb_results_run tb__regress_results_run(const tb_regress *rg)
{
    struct tb_results_run run = {.path = rg->results,
                                 .run_id = rg->run_id,
                                 .client = rg->client,
                                 .profile = rg->profile,
                                 .thresholds = rg->thresholds_digest};
    return run;
}

tb_err tb_regress_gate(tb_regress *rg, tb_gate gate,
                       struct tb_gate_outcome *out, tb_error *err)
{
    static tb_err (*const gates[TB_GATE__COUNT])(
        tb_regress *, struct tb_gate_outcome *,
        tb_error *) = {tb__gate_memory,     tb__gate_drops,      tb__gate_cpu,
                       tb__gate_throughput, tb__gate_duplicates, tb__gate_flush,
                       tb__gate_outage,     tb__gate_slow,       tb__gate_cost,
                       tb__gate_latency};
    struct tb_gate_outcome o;
    tb_error rerr = {0};
    bool redo;
    tb_err e;

    if ((unsigned)gate >= TB_GATE__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no gate %d", gate);
    tb_log(TB_LOG_INFO, "regress", "%s: gate %s (%s profile)", rg->client,
           tb_gate_name(gate), rg->profile);
    tb__progress_gate(rg, gate, "starts");
redo:
    memset(&o, 0, sizeof(o));
    o.gate = gate;
    rg->untraced_cpu_points = NAN;
    rg->unfit[0] = '\0';
    rg->n_unfit = 0;
    e = gates[gate](rg, &o, err);
    redo = false;
    if (e == TB_OK && (e = drift_guard(rg, gate, &redo, err)) == TB_OK &&
        redo) {
        tb__progress_gate(rg, gate, "is redone after recalibration");
        goto redo;
    }
    if (e != TB_OK) {
        char msg[TB_ERRMSG_SIZE + 160];
        snprintf(msg, sizeof(msg), "%s: %s gate could not run: %s", rg->client,
                 tb_gate_name(gate), err != NULL ? err->msg : tb_err_name(e));
        struct tb_results_run run = tb__regress_results_run(rg);
        tb_results_add_gate_error(&run, tb_gate_name(gate), msg, &rerr);
        return e;
    }
    /* A figure with no valid value is an error naming it, never a
     * verdict: NaN, inf or a division by a zero that was no sample. The
     * gates say what is missing; this catches what they did not. */
    for (size_t i = 0; i < o.n_figures; i++)
        if (!isfinite(o.figures[i].median) || !isfinite(o.figures[i].lo) ||
            !isfinite(o.figures[i].hi)) {
            e = tb_error_set(err, TB_ERR_NOT_MEASURED,
                             "figure %s has no valid value: %s",
                             o.figures[i].name, o.figures[i].message);
            char msg[TB_ERRMSG_SIZE + 160];
            snprintf(msg, sizeof(msg), "%s: %s gate could not run: %s",
                     rg->client, tb_gate_name(gate),
                     err != NULL ? err->msg : tb_err_name(e));
            struct tb_results_run frun = tb__regress_results_run(rg);
            tb_results_add_gate_error(&frun, tb_gate_name(gate), msg, &rerr);
            return e;
        }
    if (rg->n_unfit > 0 && o.n_figures < TB_GATE_MAX_FIGURES) {
        char name[48];
        snprintf(name, sizeof(name), "%s.runs_fit", tb_gate_name(gate));
        struct tb_figure *f = tb__add_figure(
            &o, name, "runs", (double)rg->n_unfit, 0, TB_BOUND_AT_MOST, "");
        f->verdict = TB_VERDICT_FAIL;
        tb__say(f->message, sizeof(f->message),
                "%s: %u traced run%s of the %s gate cannot be judged: %s",
                rg->client, rg->n_unfit, rg->n_unfit == 1 ? "" : "s",
                tb_gate_name(gate), rg->unfit);
    }
    o.verdict = TB_VERDICT_PASS;
    for (size_t i = 0; i < o.n_figures; i++) {
        o.verdict = tb__verdict_worst(o.verdict, o.figures[i].verdict);
        tb_log(o.figures[i].verdict == TB_VERDICT_PASS ? TB_LOG_INFO
                                                       : TB_LOG_WARN,
               "regress", "%s: %s", tb_verdict_name(o.figures[i].verdict),
               o.figures[i].message);
    }
    o.status = o.verdict == TB_VERDICT_FAIL           ? TB_GATE_FAILED
               : o.verdict == TB_VERDICT_INCONCLUSIVE ? TB_GATE_INCONCLUSIVE
                                                      : TB_GATE_PASSED;
    const char *known = tb_thresholds_known(rg->t, tb_gate_name(gate));
    if (known != NULL) {
        snprintf(o.known, sizeof(o.known), "%s", known);
        /* An intermittent defect's pass is no news: only a defect that
         * failed every time can be called fixed by one pass. Its runs
         * that hit the defect are also what leave an interval
         * inconclusive: that too is the known failure, not news. */
        bool intermittent = tb_thresholds_known_intermittent(
            rg->t, tb_gate_name(gate));
        /* A failure worse than the defect has ever cost (at_most) is not
         * the defect: a known loss of a few spans must not hide a
         * tracer that loses them all. */
        double most = tb_thresholds_known_at_most(rg->t, tb_gate_name(gate));
        bool beyond = false;
        for (size_t i = 0; i < o.n_figures && !isnan(most); i++) {
            struct tb_figure *f = &o.figures[i];

            if (f->verdict != TB_VERDICT_FAIL || f->bound != TB_BOUND_AT_MOST ||
                !(f->median > most))
                continue;
            beyond = true;
            size_t len = strlen(f->message);
            /* Said in the figure's own message too, so that results.jsonl
             * and the summary do not read as the defect. */
            tb__say(f->message + len, sizeof(f->message) - len,
                    "; beyond its known defect, which has cost at most %g "
                    "(known.%s.at_most)",
                    most, tb_gate_name(gate));
            tb_log(TB_LOG_WARN, "regress",
                   "%s: %s gate: failed beyond its known defect: %s %g %s, "
                   "where the defect has cost at most %g (known.%s.at_most)",
                   rg->client, tb_gate_name(gate), f->name, f->median, f->unit,
                   most, tb_gate_name(gate));
        }
        if (!beyond && (o.status == TB_GATE_FAILED ||
                        (o.status == TB_GATE_INCONCLUSIVE && intermittent)))
            o.status = TB_GATE_KNOWN_FAILURE;
        else if (o.status == TB_GATE_PASSED && !intermittent)
            o.status = TB_GATE_FIXED;
        tb_log(TB_LOG_WARN, "regress", "%s: %s gate: %s (known defect: %s)",
               rg->client, tb_gate_name(gate), tb_gate_status_name(o.status),
               known);
    }
    struct tb_results_run run = tb__regress_results_run(rg);
    if (tb_results_add_gate(&run, &o, &rerr) != TB_OK)
        tb_log(TB_LOG_WARN, "regress", "not recorded: %s", rerr.msg);
    *out = o;
    return TB_OK;
}
