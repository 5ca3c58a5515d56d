/* The HTML report: one page with the figures, the verdicts and the graphs,
 * rendered from the model report_read.c makes of the results. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report_internal.h"
#include "tracebench/output/graph_kind.h"
#include "tracebench/util/log.h"
#include "tracebench/util/paths.h"
#include "tracebench/output/plot.h"
#include "tracebench/output/report.h"

/* --- HTML text --------------------------------------------------------- */

void tb__html_num(struct tb__buf *b, double v)
{
    if (isnan(v))
        tb__buf_puts(b, "&mdash;");
    else
        tb__buf_printf(b, "%.4g", v);
}

/* Every verdict results.jsonl holds, with its CSS class (a name without
 * blanks or "?") and the legend's words for it. */
static const struct {
    const char *verdict, *cls, *meaning;
} verdicts[] = {
    {"pass", "pass", "within the limit"},
    {"fail", "fail", "past the limit: a regression"},
    {"inconclusive", "inconclusive",
     "too close to the limit to tell after the adaptive budget (fails "
     "under TB_STRICT)"},
    {"error", "error", "the gate could not measure its figure"},
    {"known failure", "known",
     "failed, and thresholds/&lt;client&gt;.json declares it a known "
     "defect of the tracer: does not fail the build"},
    {"fixed?", "fixed",
     "passed, though declared a known defect: take it off the list "
     "(fails under TB_STRICT)"},
    {"skipped", "skipped",
     "not run: the client's tracer is not installed (fails under CI)"},
};

#define N_VERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

/* Not inlined: inlined into a caller that passes a literal, gcc -O2 folds
 * strcmp against the other verdicts and -Wstring-compare fails a Release
 * build ("evaluates to nonzero", which is the point of the loop). */
__attribute__((noinline)) static const char *verdict_class(const char *v)
{
    if (v == NULL)
        return "unknown";
    for (size_t i = 0; i < N_VERDICTS; i++)
        if (strcmp(v, verdicts[i].verdict) == 0)
            return verdicts[i].cls;
    return "unknown";
}

/* What each colour means, once, above the tables. */
static void legend(struct tb__buf *b)
{
    tb__buf_puts(b, "<ul class=\"legend\">\n");
    for (size_t i = 0; i < N_VERDICTS; i++)
        tb__buf_printf(b, "<li><span class=\"%s\">%s</span> %s</li>\n",
                       verdicts[i].cls, verdicts[i].verdict,
                       verdicts[i].meaning);
    tb__buf_puts(b, "</ul>\n");
}

/* --- writing ----------------------------------------------------------- */

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:"
    "1200px;padding:0 1em;color:#222}\n"
    "h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc}\n"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.92em}\n"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f3f3f3}td.num{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    ".pass{background:#d9f2d9;color:#14591f;font-weight:bold}\n"
    ".fail{background:#f8d4d4;color:#8a1010;font-weight:bold}\n"
    ".inconclusive{background:#fdefc8;color:#7a5400;font-weight:bold}\n"
    ".error{background:#e8d9f1;color:#4b1d6b;font-weight:bold}\n"
    ".known{background:#fbe0c8;color:#7a3a00;font-weight:bold}\n"
    ".fixed{background:#d5e6f7;color:#0b4a80;font-weight:bold}\n"
    ".skipped{background:#dedede;color:#444;font-style:italic}\n"
    ".legend{list-style:none;padding:0;font-size:.9em}\n"
    ".legend li{margin:.2em 0}.legend span{padding:0 .4em}\n"
    ".unknown{background:#eee}\n"
    "figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}\n"
    "figcaption{font-size:.9em;color:#555}\n"
    ".muted{color:#666;font-size:.9em}code{font-size:.95em}\n";

static void verdict_cell(struct tb__buf *b, const char *v)
{
    tb__buf_printf(b, "<td class=\"%s\">", verdict_class(v));
    tb__buf_escape(b, v != NULL ? v : "?");
    tb__buf_puts(b, "</td>");
}

/* Anchors are "client-<index>", never the name, which is free text. */
static void client_summary(struct tb__buf *b, const struct tb__report_model *m)
{
    tb__buf_puts(b, "<table>\n<tr><th>client</th><th>pass</th><th>fail</th>"
                    "<th>inconclusive</th><th>runs</th><th>verdict</th>"
                    "</tr>\n");
    for (size_t c = 0; c < m->n_clients; c++) {
        size_t pass = 0, fail = 0, inc = 0, other = 0;
        const char *v;
        for (size_t i = 0; i < m->n_gates; i++) {
            const struct tb__report_gate *g = &m->gates[i];
            if (strcmp(g->client, m->clients[c].name) != 0)
                continue;
            if (strcmp(g->verdict, "pass") == 0)
                pass++;
            else if (strcmp(g->verdict, "fail") == 0)
                fail++;
            else if (strcmp(g->verdict, "inconclusive") == 0)
                inc++;
            else
                other++;
        }
        /* One failure fails the client; doubt without failure is doubt. */
        v = fail           ? "fail"
            : inc || other ? "inconclusive"
            : pass         ? "pass"
                           : NULL;
        tb__buf_printf(b, "<tr><td><a href=\"#client-%zu\">", c);
        tb__buf_escape(b, m->clients[c].name);
        tb__buf_printf(b,
                       "</a></td><td class=\"num\">%zu</td><td class="
                       "\"num\">%zu</td><td class=\"num\">%zu</td><td "
                       "class=\"num\">%zu</td>",
                       pass, fail, inc, m->clients[c].runs);
        if (v != NULL)
            verdict_cell(b, v);
        else
            tb__buf_puts(b, "<td class=\"unknown\">no gates</td>");
        tb__buf_puts(b, "</tr>\n");
    }
    tb__buf_puts(b, "</table>\n");
}

static void gate_table(struct tb__buf *b, const struct tb__report_model *m,
                       const char *client)
{
    bool any = false;

    for (size_t i = 0; i < m->n_gates; i++) {
        const struct tb__report_gate *g = &m->gates[i];
        if (strcmp(g->client, client) != 0)
            continue;
        if (!any)
            tb__buf_puts(
                b, "<table>\n<tr><th>gate</th><th>profile</th><th>figure</th>"
                   "<th>median</th><th>interval</th><th>n</th><th>limit</th>"
                   "<th>verdict</th><th>baseline</th><th>message</th>"
                   "<th>time</th></tr>\n");
        any = true;
        tb__buf_puts(b, "<tr><td>");
        tb__buf_escape(b, g->gate);
        tb__buf_puts(b, "</td><td>");
        tb__buf_escape(b, g->profile);
        tb__buf_puts(b, "</td><td><code>");
        tb__buf_escape(b, g->figure);
        tb__buf_puts(b, "</code></td><td class=\"num\">");
        tb__html_num(b, g->median);
        tb__buf_puts(b, "</td><td class=\"num\">");
        if (isnan(g->lo) && isnan(g->hi)) {
            tb__html_num(b, NAN);
        } else {
            tb__buf_puts(b, "[");
            tb__html_num(b, g->lo);
            tb__buf_puts(b, ", ");
            tb__html_num(b, g->hi);
            tb__buf_puts(b, "]");
        }
        tb__buf_puts(b, "</td><td class=\"num\">");
        tb__html_num(b, g->n);
        tb__buf_puts(b, "</td><td>");
        tb__html_num(b, g->limit);
        if (g->limit_key != NULL || g->limit_source != NULL) {
            tb__buf_puts(b, "<br><span class=\"muted\"><code>");
            tb__buf_escape(b, g->limit_key);
            tb__buf_puts(b, "</code>");
            if (g->limit_source != NULL) {
                tb__buf_puts(b, " from <code>");
                tb__buf_escape(b, g->limit_source);
                tb__buf_puts(b, "</code>");
            }
            tb__buf_puts(b, "</span>");
        }
        tb__buf_puts(b, "</td>");
        verdict_cell(b, g->verdict);
        if (g->has_baseline) {
            tb__buf_printf(b, "<td class=\"%s\">", verdict_class(g->b_verdict));
            tb__buf_escape(b, g->b_verdict != NULL ? g->b_verdict : "?");
            tb__buf_puts(b, "<br><span class=\"muted\">baseline median ");
            tb__html_num(b, g->b_median);
            if (!isnan(g->b_tolerance_rel))
                tb__buf_printf(b, ", tolerance &plusmn;%.4g%%",
                               g->b_tolerance_rel * 100);
            tb__buf_puts(b, "</span></td>");
        } else {
            tb__buf_puts(b, "<td class=\"muted\">none</td>");
        }
        tb__buf_puts(b, "<td>");
        tb__buf_escape(b, g->message);
        tb__buf_puts(b, "</td><td class=\"muted\">");
        tb__buf_escape(b, g->time);
        tb__buf_puts(b, "</td></tr>\n");
    }
    if (any)
        tb__buf_puts(b, "</table>\n");
    else
        tb__buf_puts(b, "<p class=\"muted\">No gate results.</p>\n");
}

static void base64(struct tb__buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[0] = tab[v >> 18 & 63];
        out[1] = tab[v >> 12 & 63];
        out[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[3] = i + 2 < n ? tab[v & 63] : '=';
        tb__buf_append(b, out, 4);
    }
}

/* The path of target relative to the directory dir, both made absolute;
 * target itself when that fails. */
static void relative_to(const char *dir, const char *target, char *buf,
                        size_t size)
{
    char d[PATH_MAX], t[PATH_MAX];
    size_t common = 0, i;
    int w;

    if (realpath(dir, d) == NULL || realpath(target, t) == NULL) {
        snprintf(buf, size, "%s", target);
        return;
    }
    /* The longest common prefix that ends at a path component. */
    for (i = 0; d[i] != '\0' && d[i] == t[i]; i++)
        if (d[i] == '/')
            common = i;
    if (d[i] == '\0' && t[i] == '/')
        common = i;
    w = snprintf(buf, size, "%s", "");
    for (const char *p = d + common; *p != '\0'; p++)
        if (*p == '/' && w >= 0 && (size_t)w < size)
            w += snprintf(buf + w, size - (size_t)w, "../");
    if (w >= 0 && (size_t)w < size)
        snprintf(buf + w, size - (size_t)w, "%s", t + common + 1);
}

/* Shows dir's PNG for client and kind if there is a valid one. */
static void figure(struct tb__buf *b, struct tb__report_model *m,
                   const struct tb_report_opts *o, const char *dir,
                   const char *out_dir, const char *client, tb_graph_kind kind)
{
    char png[4096], csv[4096], rel[4096];
    const char *base;
    uint32_t w, h;
    tb_error perr = {0};

    tb_graph_path(dir, client, kind, "png", png, sizeof(png));
    tb_graph_path(dir, client, kind, "csv", csv, sizeof(csv));
    if (access(png, R_OK) != 0)
        return;
    if (tb_plot_png_size(png, &w, &h, &perr) != TB_OK) {
        tb__report_warn(m, o, NULL, 0, "%s; not shown", perr.msg);
        return;
    }
    base = strrchr(png, '/') ? strrchr(png, '/') + 1 : png;
    tb__buf_puts(b, "<figure><img alt=\"");
    tb__buf_escape(b, tb_graph_kind_name(kind));
    tb__buf_puts(b, " graph of ");
    tb__buf_escape(b, client);
    tb__buf_printf(b, "\" width=\"%u\" height=\"%u\" src=\"", w, h);
    if (o != NULL && o->link_graphs) {
        relative_to(out_dir, png, rel, sizeof(rel));
        tb__buf_escape(b, rel);
    } else {
        char *data = NULL;
        size_t len = 0;
        tb_error rerr = {0};
        if (tb__read_file(png, &data, &len, &rerr) != TB_OK) {
            tb__report_warn(m, o, NULL, 0, "%s; not shown", rerr.msg);
            tb__buf_puts(b, "\"></figure>\n");
            return;
        }
        tb__buf_puts(b, "data:image/png;base64,");
        base64(b, (const unsigned char *)data, len);
        free(data);
    }
    tb__buf_puts(b, "\"><figcaption>");
    tb__buf_escape(b, base);
    if (access(csv, R_OK) == 0) {
        tb__buf_puts(b, "; raw data in ");
        if (o != NULL && o->link_graphs) {
            relative_to(out_dir, csv, rel, sizeof(rel));
            tb__buf_puts(b, "<a href=\"");
            tb__buf_escape(b, rel);
            tb__buf_puts(b, "\">");
        }
        tb__buf_escape(b, strrchr(csv, '/') ? strrchr(csv, '/') + 1 : csv);
        if (o != NULL && o->link_graphs)
            tb__buf_puts(b, "</a>");
    }
    tb__buf_puts(b, "</figcaption></figure>\n");
    m->sum.graphs++;
}

static void page(struct tb__buf *b, struct tb__report_model *m,
                 const struct tb_report_opts *o, const char *results,
                 const char *graphs, const char *out_dir)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    size_t before;

    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    tb__buf_printf(b,
                   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                   "<meta charset=\"utf-8\">\n<title>tracebench report"
                   "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
                   "<h1>tracebench report</h1>\n<p class=\"muted\">"
                   "Written %s from <code>",
                   style, when);
    tb__buf_escape(b, results);
    tb__buf_printf(b,
                   "</code>: %zu gate results (%zu older ones "
                   "superseded), %zu runs, %zu clients.</p>\n",
                   m->n_gates, m->sum.superseded, m->sum.runs, m->n_clients);
    if (m->n_clients > 0) {
        legend(b);
        client_summary(b, m);
    } else
        tb__buf_puts(b, "<p>No results yet.</p>\n");
    for (size_t c = 0; c < m->n_clients; c++) {
        const char *name = m->clients[c].name;
        tb__buf_printf(b, "<h2 id=\"client-%zu\">", c);
        tb__buf_escape(b, name);
        tb__buf_printf(b,
                       "</h2>\n<p class=\"muted\">%zu runs recorded."
                       "</p>\n",
                       m->clients[c].runs);
        gate_table(b, m, name);
        if (graphs[0] == '\0')
            continue;
        before = m->sum.graphs;
        for (int k = TB_GRAPH_CPU; k <= TB_GRAPH_DISCONNECT; k++)
            figure(b, m, o, graphs, out_dir, name, (tb_graph_kind)k);
        if (m->sum.graphs == before)
            tb__buf_puts(b, "<p class=\"muted\">No graphs; draw them "
                            "with <code>tracebench graph all CLIENT"
                            "</code>.</p>\n");
    }
    if (graphs[0] != '\0') {
        struct tb__buf cmp = {0};
        before = m->sum.graphs;
        figure(&cmp, m, o, graphs, out_dir, "", TB_GRAPH_COMPARE_CPU);
        figure(&cmp, m, o, graphs, out_dir, "", TB_GRAPH_COMPARE_MEMORY);
        if (m->sum.graphs > before) {
            tb__buf_puts(b, "<h2 id=\"compare\">Clients compared</h2>\n");
            tb__buf_append(b, cmp.data, cmp.len);
        }
        if (cmp.failed)
            b->failed = true;
        tb__buf_free(&cmp);
    }
    m->sum.compared = tb__report_compare(b, results);
    if (m->sum.warnings > 0) {
        tb__buf_printf(b,
                       "<h2 id=\"warnings\">Warnings</h2>\n<p>%zu "
                       "lines or files were skipped:</p>\n<ul>\n",
                       m->sum.warnings);
        /* One escaped <li> per warning line. */
        for (const char *w = m->warnings.data; w != NULL && *w != '\0';) {
            const char *nl = strchr(w, '\n');
            size_t len = nl ? (size_t)(nl - w) : strlen(w);
            char line[1100];

            snprintf(line, sizeof(line), "%.*s", (int)len, w);
            tb__buf_puts(b, "<li>");
            tb__buf_escape(b, line);
            tb__buf_puts(b, "</li>\n");
            w += len + (nl != NULL);
        }
        tb__buf_puts(b, "</ul>\n");
        if (m->warnings.failed)
            b->failed = true;
    }
    tb__buf_puts(b, "</body>\n</html>\n");
}

tb_err tb_report_write(const struct tb_report_opts *o,
                       struct tb_report_summary *summary, tb_error *err)
{
    char results[4096], out[4096], graphs[4096], out_dir[4096];
    struct tb__report_model m = {0};
    struct tb__buf html = {0};
    char *slash;
    tb_err e;

    if (o != NULL && o->results_path != NULL)
        snprintf(results, sizeof(results), "%s", o->results_path);
    else
        snprintf(results, sizeof(results), "%s/results.jsonl", tb_log_dir());
    if (o != NULL && o->out_path != NULL)
        snprintf(out, sizeof(out), "%s", o->out_path);
    else
        snprintf(out, sizeof(out), "%s/report.html", tb_log_dir());
    if (o != NULL && o->graphs_dir != NULL)
        snprintf(graphs, sizeof(graphs), "%s", o->graphs_dir);
    else
        snprintf(graphs, sizeof(graphs), "%s/graphs", tb_root_dir());
    snprintf(out_dir, sizeof(out_dir), "%s", out);
    slash = strrchr(out_dir, '/');
    if (slash == NULL)
        snprintf(out_dir, sizeof(out_dir), ".");
    else if (slash == out_dir)
        out_dir[1] = '\0';
    else
        *slash = '\0';

    if ((e = tb__report_read(&m, o, results, err)) != TB_OK)
        goto out;
    m.sum.clients = m.n_clients;
    m.sum.gates = m.n_gates;
    for (size_t i = 0; i < m.n_gates; i++) {
        m.sum.pass += strcmp(m.gates[i].verdict, "pass") == 0;
        m.sum.fail += strcmp(m.gates[i].verdict, "fail") == 0;
        m.sum.inconclusive += strcmp(m.gates[i].verdict, "inconclusive") == 0;
    }
    /* The directory first: relative links are computed from it. */
    if ((e = tb__mkdir_p(out_dir, err)) != TB_OK)
        goto out;
    page(&html, &m, o, results, graphs, out_dir);
    if ((e = tb__buf_write_file(&html, out, err)) != TB_OK)
        goto out;
    if (summary != NULL)
        *summary = m.sum;
out:
    tb__buf_free(&html);
    tb__report_model_free(&m);
    return e;
}
