/* The report's "A vs B" section: what `tracebench compare A B` wrote to
 * results.jsonl ("kind": "compare", one line per figure), as a table per
 * pair of arms and a small inline SVG chart per figure: A's median, B's,
 * the interval of B - A drawn from A, and the band A +- the allowance in
 * which B counts as the same. No gnuplot needed: the chart is drawn from
 * the five numbers of the line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "tracebench/output/results.h"

/* One compare line. Strings are owned. */
struct cmp {
    char *a, *b, *profile, *run, *gate, *figure, *unit, *verdict, *message;
    char *tolerance;
    double a_median, b_median, diff, lo, hi, allowed, rounds;
};

struct cmps {
    struct cmp *v;
    size_t n, cap;
};

static char *dup_str(const tb_results_line *l, const char *key)
{
    const char *s = tb_results_str(l, key);

    return tb__strdup(s != NULL ? s : "");
}

static void cmp_free(struct cmp *c)
{
    free(c->a), free(c->b), free(c->profile), free(c->run), free(c->gate);
    free(c->figure), free(c->unit), free(c->verdict), free(c->message);
    free(c->tolerance);
}

static bool same_key(const struct cmp *x, const struct cmp *y)
{
    return strcmp(x->a, y->a) == 0 && strcmp(x->b, y->b) == 0 &&
           strcmp(x->profile, y->profile) == 0 &&
           strcmp(x->figure, y->figure) == 0;
}

/* A later line of the same arms, profile and figure replaces an earlier
 * one, as for the gates. */
static tb_err add_line(const tb_results_line *l, void *arg, tb_error *err)
{
    struct cmps *s = arg;
    const char *kind = tb_results_str(l, "kind");
    struct cmp c;

    if (kind == NULL || strcmp(kind, "compare") != 0 ||
        tb_results_str(l, "a") == NULL || tb_results_str(l, "b") == NULL ||
        tb_results_str(l, "figure") == NULL)
        return TB_OK;
    c = (struct cmp){.a = dup_str(l, "a"),
                     .b = dup_str(l, "b"),
                     .profile = dup_str(l, "profile"),
                     .run = dup_str(l, "run"),
                     .gate = dup_str(l, "gate"),
                     .figure = dup_str(l, "figure"),
                     .unit = dup_str(l, "unit"),
                     .verdict = dup_str(l, "verdict"),
                     .message = dup_str(l, "message"),
                     .tolerance = dup_str(l, "tolerance"),
                     .a_median = tb_results_num(l, "a_median"),
                     .b_median = tb_results_num(l, "b_median"),
                     .diff = tb_results_num(l, "diff"),
                     .lo = tb_results_num(l, "lo"),
                     .hi = tb_results_num(l, "hi"),
                     .allowed = tb_results_num(l, "allowed"),
                     .rounds = tb_results_num(l, "rounds")};
    if (!c.a || !c.b || !c.profile || !c.run || !c.gate || !c.figure ||
        !c.unit || !c.verdict || !c.message || !c.tolerance) {
        cmp_free(&c);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->n; i++)
        if (same_key(&s->v[i], &c)) {
            cmp_free(&s->v[i]);
            s->v[i] = c;
            return TB_OK;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct cmp *v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL) {
            cmp_free(&c);
            return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = c;
    return TB_OK;
}

/* The gate report's colours: better and same pass, worse fails. */
static const char *verdict_class(const char *v)
{
    if (strcmp(v, "better") == 0 || strcmp(v, "same") == 0)
        return "pass";
    if (strcmp(v, "worse") == 0)
        return "fail";
    if (strcmp(v, "inconclusive") == 0 || strcmp(v, "error") == 0)
        return v;
    return "unknown";
}

static const char *verdict_colour(const char *v)
{
    if (strcmp(v, "better") == 0)
        return "#14591f";
    if (strcmp(v, "worse") == 0)
        return "#8a1010";
    if (strcmp(v, "inconclusive") == 0)
        return "#7a5400";
    return "#333";
}

#define CHART_W 260.0
#define CHART_H 40.0
#define CHART_PAD 12.0

/* The chart of one figure, or a dash when A or B is missing. */
static void chart(struct tb__buf *b, const struct cmp *c)
{
    double a = c->a_median, bm = c->b_median;
    double lo = isnan(c->lo) ? c->diff : c->lo;
    double hi = isnan(c->hi) ? c->diff : c->hi;
    double al = isfinite(c->allowed) ? fabs(c->allowed) : 0;
    double xmin, xmax;

    if (!isfinite(a) || !isfinite(bm)) {
        tb__buf_puts(b, "&mdash;");
        return;
    }
    xmin = fmin(fmin(a, bm), a - al);
    xmax = fmax(fmax(a, bm), a + al);
    if (isfinite(lo) && isfinite(hi)) {
        xmin = fmin(xmin, a + lo);
        xmax = fmax(xmax, a + hi);
    }
    if (xmax - xmin <= 0) { /* all equal: a unit either side */
        double w = fabs(a) > 0 ? fabs(a) * 0.1 : 1;
        xmin -= w;
        xmax += w;
    }
#define X(v)                                                                   \
    (CHART_PAD + ((v)-xmin) / (xmax - xmin) * (CHART_W - 2 * CHART_PAD))
    tb__buf_printf(b,
                   "<svg class=\"ab\" width=\"%.0f\" height=\"%.0f\" "
                   "viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
                   CHART_W, CHART_H, CHART_W, CHART_H);
    if (al > 0)
        tb__buf_printf(b,
                       "<rect x=\"%.1f\" y=\"8\" width=\"%.1f\" "
                       "height=\"20\" fill=\"#e6efe6\"><title>same: A "
                       "&#177; %.4g</title></rect>",
                       X(a - al), X(a + al) - X(a - al), al);
    tb__buf_printf(b,
                   "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"28\" y2=\"28\" "
                   "stroke=\"#bbb\"/>",
                   CHART_PAD, CHART_W - CHART_PAD);
    if (isfinite(lo) && isfinite(hi))
        tb__buf_printf(b,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"18\" "
                       "y2=\"18\" stroke=\"%s\" stroke-width=\"3\">"
                       "<title>B - A: %.4g to %.4g</title></line>",
                       X(a + lo), X(a + hi), verdict_colour(c->verdict), lo,
                       hi);
    tb__buf_printf(b,
                   "<circle cx=\"%.1f\" cy=\"18\" r=\"4\" fill=\"#888\">"
                   "<title>A: %.4g</title></circle>"
                   "<text x=\"%.1f\" y=\"7\" font-size=\"9\" "
                   "text-anchor=\"middle\">A</text>",
                   X(a), a, X(a));
    tb__buf_printf(b,
                   "<circle cx=\"%.1f\" cy=\"18\" r=\"4\" fill=\"%s\">"
                   "<title>B: %.4g</title></circle>"
                   "<text x=\"%.1f\" y=\"39\" font-size=\"9\" "
                   "text-anchor=\"middle\">B</text>",
                   X(bm), verdict_colour(c->verdict), bm, X(bm));
    tb__buf_printf(b,
                   "<text x=\"%.1f\" y=\"39\" font-size=\"8\" "
                   "fill=\"#666\">%.4g</text><text x=\"%.1f\" y=\"39\" "
                   "font-size=\"8\" fill=\"#666\" text-anchor=\"end\">"
                   "%.4g</text>",
                   CHART_PAD, xmin, CHART_W - CHART_PAD, xmax);
#undef X
    tb__buf_puts(b, "</svg>");
}

static void row(struct tb__buf *b, const struct cmp *c)
{
    tb__buf_puts(b, "<tr><td>");
    tb__buf_escape(b, c->gate);
    tb__buf_puts(b, "</td><td>");
    tb__buf_escape(b, c->figure);
    tb__buf_puts(b, " <span class=\"muted\">");
    tb__buf_escape(b, c->unit);
    tb__buf_puts(b, "</span></td><td class=\"num\">");
    tb__html_num(b, c->a_median);
    tb__buf_puts(b, "</td><td class=\"num\">");
    tb__html_num(b, c->b_median);
    tb__buf_puts(b, "</td><td class=\"num\">");
    tb__html_num(b, c->diff);
    if (isfinite(c->lo) && isfinite(c->hi) && c->lo != c->hi) {
        tb__buf_puts(b, " (");
        tb__html_num(b, c->lo);
        tb__buf_puts(b, " to ");
        tb__html_num(b, c->hi);
        tb__buf_puts(b, ")");
    }
    tb__buf_puts(b, "</td><td class=\"num\">");
    tb__html_num(b, c->rounds);
    tb__buf_puts(b, "</td><td class=\"num\">");
    tb__html_num(b, c->allowed);
    tb__buf_printf(b, "</td><td class=\"%s\" title=\"",
                   verdict_class(c->verdict));
    tb__buf_escape(b, c->message);
    tb__buf_puts(b, "\">");
    tb__buf_escape(b, c->verdict);
    tb__buf_puts(b, "</td><td>");
    chart(b, c);
    tb__buf_puts(b, "</td></tr>\n");
}

size_t tb__report_compare(struct tb__buf *b, const char *path)
{
    struct cmps s = {0};
    tb_error err = {0};
    bool *done;

    /* Unreadable lines: tb__report_read has warned about them already. */
    if (tb_results_read(path, add_line, NULL, &s, NULL, &err) != TB_OK ||
        s.n == 0 || (done = calloc(s.n, sizeof(*done))) == NULL)
        goto out;
    tb__buf_puts(b, "<h2 id=\"a-vs-b\">A vs B</h2>\n<p class=\"muted\">"
                    "From <code>tracebench compare A B</code>: each figure "
                    "as B against A over interleaved rounds. In each chart "
                    "the grey dot is A's median, the coloured dot B's, the "
                    "bar the interval of B - A drawn from A, and the green "
                    "band A &#177; the worsening allowed, in which B counts "
                    "as the same.</p>\n");
    for (size_t i = 0; i < s.n; i++) {
        if (done[i])
            continue;
        const struct cmp *g = &s.v[i];
        tb__buf_puts(b, "<h3>B = <code>");
        tb__buf_escape(b, g->b);
        tb__buf_puts(b, "</code> against A = <code>");
        tb__buf_escape(b, g->a);
        tb__buf_puts(b, "</code> <span class=\"muted\">(");
        tb__buf_escape(b, g->profile);
        tb__buf_puts(b, " profile, run ");
        tb__buf_escape(b, g->run);
        tb__buf_puts(b, ")</span></h3>\n<table>\n<tr><th>gate</th><th>"
                        "figure</th><th>A</th><th>B</th><th>B - A "
                        "(interval)</th><th>rounds</th><th>allowed</th>"
                        "<th>verdict</th><th>chart</th></tr>\n");
        for (size_t j = i; j < s.n; j++) {
            const struct cmp *c = &s.v[j];
            if (done[j] || strcmp(c->a, g->a) != 0 || strcmp(c->b, g->b) != 0 ||
                strcmp(c->profile, g->profile) != 0)
                continue;
            row(b, c);
            done[j] = true;
        }
        tb__buf_puts(b, "</table>\n");
    }
    free(done);
out:
    for (size_t i = 0; i < s.n; i++)
        cmp_free(&s.v[i]);
    free(s.v);
    return s.n;
}
