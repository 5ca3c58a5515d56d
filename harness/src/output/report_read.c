/* The report's reading: each gate line of results.jsonl, through the
 * results module, into the model; a later result of the same client,
 * gate, profile and figure replaces the earlier one. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "report_internal.h"
#include "tracebench/output/results.h"
#include "tracebench/util/log.h"

static char *dup_or_null(const char *s)
{
    return s != NULL ? tb__strdup(s) : NULL;
}

static void gate_free(struct tb__report_gate *g)
{
    free(g->client);
    free(g->gate);
    free(g->profile);
    free(g->figure);
    free(g->time);
    free(g->limit_key);
    free(g->limit_source);
    free(g->verdict);
    free(g->message);
    free(g->b_verdict);
}

void tb__report_model_free(struct tb__report_model *m)
{
    for (size_t i = 0; i < m->n_gates; i++)
        gate_free(&m->gates[i]);
    free(m->gates);
    for (size_t i = 0; i < m->n_clients; i++)
        free(m->clients[i].name);
    free(m->clients);
    tb__buf_free(&m->warnings);
}

void tb__report_warn(struct tb__report_model *m, const struct tb_report_opts *o,
                     const char *file, size_t line, const char *fmt, ...)
{
    char what[512], msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(msg, sizeof(msg), "%s:%zu: %s", file, line, what);
    else /* about a whole file, named in what */
        snprintf(msg, sizeof(msg), "%s", what);
    if (o != NULL && o->warn != NULL)
        o->warn(msg, o->warn_arg);
    else
        tb_log(TB_LOG_WARN, "report", "%s", msg);
    /* One line each: a newline inside would split it. */
    for (char *p = msg; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
    tb__buf_puts(&m->warnings, msg);
    tb__buf_puts(&m->warnings, "\n");
    m->sum.warnings++;
}

/* --- reading ----------------------------------------------------------- */

/* The client's index, added when new; SIZE_MAX when out of memory. */
static size_t client_index(struct tb__report_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_clients; i++)
        if (strcmp(m->clients[i].name, name) == 0)
            return i;
    if (m->n_clients == m->cap_clients) {
        size_t cap = m->cap_clients ? m->cap_clients * 2 : 8;
        struct tb__report_client *c = realloc(m->clients, cap * sizeof(*c));
        if (c == NULL)
            return SIZE_MAX;
        m->clients = c;
        m->cap_clients = cap;
    }
    m->clients[m->n_clients].name = tb__strdup(name);
    m->clients[m->n_clients].runs = 0;
    if (m->clients[m->n_clients].name == NULL)
        return SIZE_MAX;
    return m->n_clients++;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Adds a gate record; a later result of the same client, gate, profile
 * and figure replaces the earlier one, in its place. */
static tb_err add_gate(struct tb__report_model *m, const tb_results_line *o)
{
    struct tb__report_gate g = {0};
    size_t i;

    g.client = dup_or_null(tb_results_str(o, "client"));
    g.gate = dup_or_null(tb_results_str(o, "gate"));
    g.profile = dup_or_null(tb_results_str(o, "profile"));
    g.figure = dup_or_null(tb_results_str(o, "figure"));
    g.time = dup_or_null(tb_results_str(o, "time"));
    g.limit_key = dup_or_null(tb_results_str(o, "limit_key"));
    g.limit_source = dup_or_null(tb_results_str(o, "limit_source"));
    g.verdict = dup_or_null(tb_results_str(o, "verdict"));
    g.message = dup_or_null(tb_results_str(o, "message"));
    g.median = tb_results_num(o, "median");
    g.lo = tb_results_num(o, "lo");
    g.hi = tb_results_num(o, "hi");
    g.n = tb_results_num(o, "n");
    g.limit = tb_results_num(o, "limit");
    g.b_median = g.b_tolerance_rel = NAN;
    if (tb_results_has(o, "baseline")) {
        g.has_baseline = true;
        g.b_median = tb_results_num(o, "baseline.median");
        g.b_tolerance_rel = tb_results_num(o, "baseline.tolerance_rel");
        g.b_verdict = dup_or_null(tb_results_str(o, "baseline.verdict"));
    }
    if (g.client == NULL || g.gate == NULL || g.verdict == NULL ||
        client_index(m, g.client) == SIZE_MAX) {
        gate_free(&g);
        return TB_ERR_NOMEM;
    }
    for (i = 0; i < m->n_gates; i++) {
        struct tb__report_gate *h = &m->gates[i];
        if (same(h->client, g.client) && same(h->gate, g.gate) &&
            same(h->profile, g.profile) && same(h->figure, g.figure)) {
            gate_free(h);
            *h = g;
            m->sum.superseded++;
            return TB_OK;
        }
    }
    if (m->n_gates == m->cap_gates) {
        size_t cap = m->cap_gates ? m->cap_gates * 2 : 16;
        struct tb__report_gate *ng = realloc(m->gates, cap * sizeof(*ng));
        if (ng == NULL) {
            gate_free(&g);
            return TB_ERR_NOMEM;
        }
        m->gates = ng;
        m->cap_gates = cap;
    }
    m->gates[m->n_gates++] = g;
    return TB_OK;
}

struct reading {
    struct tb__report_model *m;
    const struct tb_report_opts *o;
    const char *path;
};

static void skipped(const char *file, size_t lineno, const char *what,
                    void *arg)
{
    struct reading *r = arg;

    tb__report_warn(r->m, r->o, file, lineno, "%s; skipped", what);
}

static tb_err read_line(const tb_results_line *l, void *arg, tb_error *err)
{
    struct reading *r = arg;
    struct tb__report_model *m = r->m;
    const char *file = r->path;
    size_t lineno = tb_results_line_number(l);
    const char *kind = tb_results_str(l, "kind");
    const char *client = tb_results_str(l, "client");
    tb_err e = TB_OK;

    if (kind == NULL) {
        tb__report_warn(m, r->o, file, lineno, "no \"kind\"; skipped");
    } else if (strcmp(kind, "run") == 0) {
        size_t ci;
        if (client == NULL) {
            tb__report_warn(m, r->o, file, lineno,
                            "run without a \"client\"; skipped");
        } else if ((ci = client_index(m, client)) == SIZE_MAX) {
            e = TB_ERR_NOMEM;
        } else {
            m->clients[ci].runs++;
            m->sum.runs++;
        }
    } else if (strcmp(kind, "gate") == 0) {
        if (client == NULL || tb_results_str(l, "gate") == NULL ||
            tb_results_str(l, "verdict") == NULL)
            tb__report_warn(
                m, r->o, file, lineno,
                "gate without a \"client\", \"gate\" or \"verdict\" "
                "string; skipped");
        else
            e = add_gate(m, l);
    }
    /* Other kinds are for other readers. */
    if (e != TB_OK)
        return tb_error_set(err, e, "%s:%zu: out of memory", file, lineno);
    return TB_OK;
}

tb_err tb__report_read(struct tb__report_model *m,
                       const struct tb_report_opts *o, const char *path,
                       tb_error *err)
{
    struct reading r = {m, o, path};

    return tb_results_read(path, read_line, skipped, &r, &m->sum.lines, err);
}
