/* tracebench audit: runs each gate N times on the healthy client and N
 * times per injected regression (only the gate it targets), and counts
 * false failures, inconclusive verdicts and detections. The injections
 * and their sizes are in audit_inject.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit_internal.h"

static tb_err new_regress(const struct tb_audit_opts *o, const char *run_id,
                          const char *const *extra, tb_regress **rg,
                          tb_error *err)
{
    struct tb_regress_opts ro = {
        .client = o->client,
        .profile = o->profile ? o->profile : "quick",
        .thresholds_dir = o->thresholds_dir,
        .results_path = o->results_path,
        .run_id = run_id,
        .extra_args = extra,
        .satellite_connection = o->satellite_connection};

    return tb_regress_new(&ro, rg, err);
}

/* The healthy client's traced RSS, from one run at the memory gate's rate
 * and short runtime: what the leaks are sized on. */
static tb_err probe_rss(tb_regress *rg, double *rss, tb_error *err)
{
    const tb_thresholds *t = rg->t;
    tb_result *r = NULL;
    tb_err e;

    if ((e = tb__regress_bench(rg, TB_GATE_MEMORY, "audit: RSS probe", true,
                               t->memory.rate_sps, t->memory.short_runtime_s,
                               &r, err)) != TB_OK)
        return e;
    *rss = r->n_samples ? (double)r->memory_list[r->n_samples - 1]
                        : (double)r->peak_rss_bytes;
    tb_result_free(r);
    if (!(*rss > 0))
        return tb_error_set(err, TB_ERR_NOT_MEASURED,
                            "%s: the RSS probe saw no memory sample",
                            rg->client);
    return TB_OK;
}

/* The healthy client in a run like the slow gate's typical one: its
 * traced peak RSS, what the slow gate's memory ratio divides by, and its
 * loop overhead a span (0 when the client sends none). */
static tb_err probe_slow(tb_regress *rg, double *rss, double *overhead_s,
                         tb_error *err)
{
    const tb_thresholds *t = rg->t;
    tb_result *r = NULL;
    tb_err e;

    if ((e = tb__regress_bench(rg, TB_GATE_SLOW, "audit: peak RSS probe", true,
                               t->slow.rate_sps, t->slow.runtime_s, &r, err)) !=
        TB_OK)
        return e;
    *rss = (double)r->peak_rss_bytes;
    *overhead_s = r->has_loop_overhead && r->spans_sent > 0
                      ? r->loop_overhead_s / (double)r->spans_sent
                      : 0;
    tb_result_free(r);
    if (!(*rss > 0))
        return tb_error_set(err, TB_ERR_NOT_MEASURED,
                            "%s: the peak RSS probe saw no peak RSS",
                            rg->client);
    return TB_OK;
}

static bool wanted(const char *list, tb_gate g)
{
    const char *name = tb_gate_name(g);
    size_t len = strlen(name);

    if (list == NULL || list[0] == '\0')
        return true;
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
            return true;
    return false;
}

static tb_err check_gates(const char *list, tb_error *err)
{
    char buf[256];
    tb_gate g;

    if (list == NULL)
        return TB_OK;
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        if (tb_gate_parse(tok, &g, err) != TB_OK)
            return err->code;
    return TB_OK;
}

/* One gate run on a fresh regression run (the calibration is cached, so
 * this costs a client start, not a calibration). *status: 0 pass, 1 fail
 * (of `figure`, or of any figure when figure is NULL), 2 inconclusive,
 * 3 error. */
static int one_run(const struct tb_audit_opts *o, const char *run_id,
                   tb_gate gate, const struct tb__injection *inj,
                   const char *figure, FILE *log)
{
    static const char *const none[] = {NULL};
    struct tb_gate_outcome out;
    tb_regress *rg = NULL;
    tb_error err = {0};
    tb_verdict v = TB_VERDICT_PASS;
    bool seen = figure == NULL;
    int status;

    if (new_regress(o, run_id, inj ? (const char *const *)inj->argv : none, &rg,
                    &err) != TB_OK) {
        if (log)
            fprintf(log, "audit: %s: error: %s\n", run_id, err.msg);
        return 3;
    }
    if (inj != NULL && inj->fault != TB_FAULT_NONE &&
        tb_satellites_set_fault(rg->sats, inj->fault, &err) != TB_OK) {
        tb_regress_free(rg);
        if (log)
            fprintf(log, "audit: %s: error: %s\n", run_id, err.msg);
        return 3;
    }
    if (tb_regress_gate(rg, gate, &out, &err) != TB_OK) {
        tb_regress_free(rg);
        if (log)
            fprintf(log, "audit: %s: %s: error: %s\n", run_id,
                    tb_gate_name(gate), err.msg);
        return 3;
    }
    tb_regress_free(rg);
    for (size_t i = 0; i < out.n_figures; i++) {
        const struct tb_figure *f = &out.figures[i];
        if (figure != NULL && strcmp(f->name, figure) != 0)
            continue;
        seen = true;
        v = tb__verdict_worst(v, f->verdict);
        if (log)
            fprintf(log, "audit: %s: %s: %s\n", run_id,
                    tb_verdict_name(f->verdict), f->message);
    }
    if (!seen) {
        if (log)
            fprintf(log, "audit: %s: the gate has no figure %s\n", run_id,
                    figure);
        return 3;
    }
    status = v == TB_VERDICT_FAIL ? 1 : v == TB_VERDICT_INCONCLUSIVE ? 2 : 0;
    return status;
}

tb_err tb_audit_run(const struct tb_audit_opts *o, struct tb_audit_report **out,
                    tb_error *err)
{
    struct tb__injection inj[TB_AUDIT_MAX_INJECTIONS];
    struct tb_audit_report *rep;
    const char *profile = o->profile ? o->profile : "quick";
    unsigned runs = o->runs ? o->runs : 5;
    tb_regress *rg = NULL;
    char base[64], id[128];
    struct tb__audit_basis basis = {0};
    tb_err e;

    if ((e = check_gates(o->gates, err)) != TB_OK)
        return e;
    if ((rep = calloc(1, sizeof(*rep))) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    snprintf(rep->client, sizeof(rep->client), "%s", o->client);
    snprintf(rep->profile, sizeof(rep->profile), "%s", profile);
    rep->runs = runs;
    snprintf(base, sizeof(base), "audit-%ld-%d", (long)time(NULL),
             (int)getpid());

    /* Thresholds, calibration (cached for every later run) and the RSS
     * the leaks are sized on. */
    snprintf(id, sizeof(id), "%s-probe", base);
    if ((e = new_regress(o, id, NULL, &rg, err)) != TB_OK)
        goto fail;
    rep->factor = rg->t->audit.injection_factor;
    if (!o->healthy_only &&
        (wanted(o->gates, TB_GATE_MEMORY) ||
         wanted(o->gates, TB_GATE_OUTAGE)) &&
        (e = probe_rss(rg, &basis.rss, err)) != TB_OK)
        goto fail;
    if (!o->healthy_only && wanted(o->gates, TB_GATE_SLOW) &&
        (e = probe_slow(rg, &basis.slow_peak_rss, &basis.slow_overhead_s,
                        err)) != TB_OK)
        goto fail;
    rep->probe_rss_bytes = basis.rss;
    basis.dup_every = tb_client_has_injector(rg->client_def, "dup_every");
    for (int g = 0; g < TB_GATE__COUNT; g++) {
        if (!wanted(o->gates, (tb_gate)g))
            continue;
        for (size_t i = 0; rep->n_rows < TB_AUDIT_MAX_INJECTIONS; i++) {
            struct tb_audit_row *row = &rep->rows[rep->n_rows];
            if (!tb__audit_injection((tb_gate)g, i, rg->t, &basis, row,
                                     &inj[rep->n_rows]))
                break;
            rep->n_rows++;
        }
    }
    tb_regress_free(rg);
    rg = NULL;
    if (o->progress) {
        fprintf(o->progress,
                "audit %s (%s profile): %u runs per arm, "
                "injections at %.2f x the limit\n",
                o->client, profile, runs, rep->factor);
        for (size_t r = 0; r < rep->n_rows; r++)
            fprintf(o->progress, "  %-10s %-34s %s\n             size: %s\n",
                    tb_gate_name(rep->rows[r].gate), rep->rows[r].figure,
                    rep->rows[r].injectable ? rep->rows[r].injection : "(none)",
                    rep->rows[r].sizing);
        fflush(o->progress);
    }

    /* Run by run, so that a drift of the machine falls on every gate and
     * both arms alike. */
    for (unsigned run = 1; run <= runs; run++) {
        for (size_t r = 0; r < rep->n_rows; r++) {
            struct tb_audit_row *row = &rep->rows[r];
            /* The healthy arm, once per gate: the first row of each. */
            if (!o->injected_only &&
                (r == 0 || rep->rows[r - 1].gate != row->gate)) {
                snprintf(id, sizeof(id), "%s-%s-healthy-%u", base,
                         tb_gate_name(row->gate), run);
                int s = one_run(o, id, row->gate, NULL, NULL, o->progress);
                if ((rep->interrupted = tb_interrupted()) != 0)
                    goto table; /* that run counts for nothing */
                for (size_t q = r;
                     q < rep->n_rows && rep->rows[q].gate == row->gate; q++) {
                    rep->rows[q].healthy_runs++;
                    rep->rows[q].healthy_fail += s == 1;
                    rep->rows[q].healthy_inconclusive += s == 2;
                    rep->rows[q].healthy_error += s == 3;
                }
            }
            if (o->healthy_only || !row->injectable)
                continue;
            snprintf(id, sizeof(id), "%s-%s-injected%zu-%u", base,
                     tb_gate_name(row->gate), r, run);
            int s = one_run(o, id, row->gate, &inj[r], row->figure,
                            o->progress);
            if ((rep->interrupted = tb_interrupted()) != 0)
                goto table;
            row->injected_runs++;
            row->detected += s == 1;
            row->injected_inconclusive += s == 2;
            row->injected_error += s == 3;
        }
        if (o->progress) {
            fprintf(o->progress, "audit: run %u of %u done\n", run, runs);
            fflush(o->progress);
        }
    }

    /* The table, kept: a JSON file and one line of results.jsonl; after
     * Ctrl-C too, with the runs finished so far. */
table:;
    char *json = tb_audit_json(rep);
    char path[1100];
    if (json != NULL) {
        snprintf(path, sizeof(path), "%s", o->json_path ? o->json_path : "");
        if (o->json_path == NULL)
            snprintf(path, sizeof(path), "%s/audit-%s-%s.json", tb_log_dir(),
                     o->client, profile);
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            fprintf(f, "%s\n", json);
            fclose(f);
        } else {
            tb_log(TB_LOG_WARN, "audit", "cannot write %s", path);
        }
        cJSON *line = cJSON_Parse(json);
        if (line != NULL) {
            cJSON_AddStringToObject(line, "kind", "audit");
            cJSON_AddStringToObject(line, "run_id", base);
            char *text = cJSON_PrintUnformatted(line);
            FILE *rf = fopen(o->results_path ? o->results_path
                                             : tb_record_default_path(),
                             "a");
            if (rf != NULL && text != NULL)
                fprintf(rf, "%s\n", text);
            if (rf != NULL)
                fclose(rf);
            free(text);
            cJSON_Delete(line);
        }
        free(json);
    }
    *out = rep;
    return TB_OK;
fail:
    tb_regress_free(rg);
    free(rep);
    return e;
}

bool tb_audit_all_detected(const struct tb_audit_report *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct tb_audit_row *w = &r->rows[i];
        bool any = false;
        size_t j = i;
        if (w->alternative)
            continue; /* judged with the first of its group */
        /* The group: this row and the alternatives that follow it. */
        do {
            const struct tb_audit_row *a = &r->rows[j];
            any = any || (a->injectable && a->injected_runs > 0 &&
                          a->detected == a->injected_runs);
            j++;
        } while (j < r->n_rows && r->rows[j].alternative);
        if (w->injectable && !any)
            return false;
    }
    return true;
}

static void rate(char *buf, size_t size, unsigned k, unsigned n)
{
    if (n == 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%u/%u", k, n);
}

void tb_audit_print(const struct tb_audit_report *r, FILE *f)
{
    fprintf(f,
            "audit of %s, %s profile, %u runs per arm, injections at "
            "%.2f x the limit\n\n",
            r->client, r->profile, r->runs, r->factor);
    fprintf(f, "| gate | figure | injection | healthy: false failures | "
               "healthy: inconclusive | healthy: errors | injected: detected "
               "| injected: inconclusive | injected: errors |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct tb_audit_row *w = &r->rows[i];
        char a[16], b[16], c[16], d[16], e[16], g[16];
        rate(a, sizeof(a), w->healthy_fail, w->healthy_runs);
        rate(b, sizeof(b), w->healthy_inconclusive, w->healthy_runs);
        rate(c, sizeof(c), w->healthy_error, w->healthy_runs);
        rate(d, sizeof(d), w->detected, w->injected_runs);
        rate(e, sizeof(e), w->injected_inconclusive, w->injected_runs);
        rate(g, sizeof(g), w->injected_error, w->injected_runs);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                tb_gate_name(w->gate), w->figure,
                w->injectable ? w->injection : "(not injectable)", a, b, c, d,
                e, g);
    }
}

char *tb_audit_json(const struct tb_audit_report *r)
{
    cJSON *o = cJSON_CreateObject(), *rows;
    char *text;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "client", r->client);
    cJSON_AddStringToObject(o, "profile", r->profile);
    cJSON_AddNumberToObject(o, "runs", r->runs);
    cJSON_AddNumberToObject(o, "injection_factor", r->factor);
    cJSON_AddNumberToObject(o, "interrupted", r->interrupted);
    cJSON_AddNumberToObject(o, "probe_rss_bytes", r->probe_rss_bytes);
    rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = 0; rows != NULL && i < r->n_rows; i++) {
        const struct tb_audit_row *w = &r->rows[i];
        cJSON *x = cJSON_CreateObject();
        if (x == NULL)
            break;
        cJSON_AddStringToObject(x, "gate", tb_gate_name(w->gate));
        cJSON_AddStringToObject(x, "figure", w->figure);
        cJSON_AddBoolToObject(x, "injectable", w->injectable);
        cJSON_AddBoolToObject(x, "alternative", w->alternative);
        cJSON_AddStringToObject(x, "injection", w->injection);
        cJSON_AddStringToObject(x, "sizing", w->sizing);
        cJSON_AddNumberToObject(x, "healthy_runs", w->healthy_runs);
        cJSON_AddNumberToObject(x, "healthy_fail", w->healthy_fail);
        cJSON_AddNumberToObject(x, "healthy_inconclusive",
                                w->healthy_inconclusive);
        cJSON_AddNumberToObject(x, "healthy_error", w->healthy_error);
        cJSON_AddNumberToObject(x, "injected_runs", w->injected_runs);
        cJSON_AddNumberToObject(x, "detected", w->detected);
        cJSON_AddNumberToObject(x, "injected_inconclusive",
                                w->injected_inconclusive);
        cJSON_AddNumberToObject(x, "injected_error", w->injected_error);
        cJSON_AddItemToArray(rows, x);
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
