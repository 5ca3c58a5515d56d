/* The gnuplot scripts of the graphs: a header, datablocks of the
 * summary lines computed here, and one plot per kind. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "graph_internal.h"
#include "tracebench/measure/client.h"
#include "tracebench/util/log.h"
#include "tracebench/util/paths.h"

/* --- gnuplot ----------------------------------------------------------- */

/* A gnuplot single-quoted string: '' stands for ', and control
 * characters, which would end the command, become spaces. */
static void gp_str(struct tb__buf *b, const char *s)
{
    tb__buf_puts(b, "'");
    for (; *s; s++) {
        if (*s == '\'')
            tb__buf_puts(b, "''");
        else if ((unsigned char)*s < 0x20)
            tb__buf_puts(b, " ");
        else
            tb__buf_append(b, s, 1);
    }
    tb__buf_puts(b, "'");
}

const char *tb__graph_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

void tb__graph_gp_header(struct tb__buf *b, tb_graph_kind kind,
                         const char *client, const char *png, const char *csv,
                         const char *script, unsigned width, unsigned height)
{
    tb__buf_printf(b, "# tracebench graph %s", tb_graph_kind_name(kind));
    if (client != NULL) {
        tb__buf_puts(b, " of ");
        gp_str(b, client);
    }
    tb__buf_printf(
        b,
        "\n# Raw data: %s. Redraw from this directory: gnuplot %s\n"
        "# The datablocks below are the mean, min and max over trials of "
        "the\n# successful runs in the CSV.\n",
        tb__graph_base_name(csv), tb__graph_base_name(script));
    tb__buf_printf(
        b,
        "set terminal pngcairo size %u,%u noenhanced font 'Sans,10'\n"
        "set output '%s'\n"
        "set datafile separator ','\n"
        "set grid\n"
        "set key box opaque\n"
        "set style fill transparent solid 0.15 noborder\n"
        "set errorbars small\n"
        "set offsets graph 0.04, graph 0.04, 0, 0\n",
        width, height, tb__graph_base_name(png));
}

/* Opens and closes "$name << EOD" datablocks. */
static void gp_block(struct tb__buf *b, const char *name, unsigned i)
{
    tb__buf_printf(b, "$%s%u << EOD\n", name, i);
}

static void gp_end(struct tb__buf *b)
{
    tb__buf_puts(b, "EOD\n");
}

/* A plot command built clause by clause. */
struct plot_cmd {
    struct tb__buf text;
    size_t clauses;
};

static void clause(struct plot_cmd *pc, const char *fmt, ...) TB_FORMAT(2, 3);
static void clause(struct plot_cmd *pc, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    tb__buf_puts(&pc->text, pc->clauses++ ? ", \\\n     " : "plot ");
    tb__buf_puts(&pc->text, line);
}

/* Ends pc into b; false when there was nothing to plot. */
static bool clause_end(struct tb__buf *b, struct plot_cmd *pc)
{
    bool any = pc->clauses > 0;

    if (any) {
        tb__buf_append(b, pc->text.data, pc->text.len);
        tb__buf_puts(b, "\n");
    }
    tb__buf_free(&pc->text);
    pc->clauses = 0;
    return any;
}

typedef double (*metric_fn)(const tb_result *r);

/* Mean, min and max of metric over the tb__graph_usable points of one rate,
 * group and side. */
static struct tb__graph_agg agg_rate(const tb_sweep *sw, double sps, int trace,
                                     metric_fn metric)
{
    struct tb__graph_agg a = {0};

    for (size_t i = 0; i < sw->n; i++) {
        const struct tb_sweep_point *p = &sw->points[i];
        if (tb__graph_usable(p) && p->step.sps == sps && p->step.trace == trace)
            tb__graph_agg_add(&a, metric(p->result));
    }
    return a;
}

/* "rate,mean,min,max,n" for a rate with trials; 1 when a row was written. */
static size_t agg_row(struct tb__buf *b, double rate,
                      const struct tb__graph_agg *a)
{
    if (a->n == 0)
        return 0;
    tb__buf_printf(b, "%.6g,%.6g,%.6g,%.6g,%zu\n", rate, a->mean, a->min,
                   a->max, a->n);
    return 1;
}

/* A datablock "rate,mean,min,max,n" of metric for one side. Returns the
 * rows written. */
static size_t rate_block(struct tb__buf *b, const char *name, unsigned i,
                         const tb_sweep *sw, const struct tb_graph_settings *s,
                         int trace, metric_fn metric)
{
    size_t rows = 0;

    gp_block(b, name, i);
    for (size_t k = 0; k < s->n_rates; k++) {
        struct tb__graph_agg a = agg_rate(sw, s->rates[k], trace, metric);
        rows += agg_row(b, s->rates[k], &a);
    }
    gp_end(b);
    return rows;
}

/* The tracer's CPU cost at each rate: traced minus untraced CPU of the
 * same trial, so each difference pairs runs made close in time. */
static size_t overhead_block(struct tb__buf *b, unsigned i, const tb_sweep *sw,
                             const struct tb_graph_settings *s)
{
    size_t rows = 0;

    gp_block(b, "o", i);
    for (size_t k = 0; k < s->n_rates; k++) {
        struct tb__graph_agg a = {0};
        for (size_t x = 0; x < sw->n; x++) {
            const struct tb_sweep_point *t = &sw->points[x];
            if (!tb__graph_usable(t) || !t->step.trace ||
                t->step.sps != s->rates[k])
                continue;
            for (size_t y = 0; y < sw->n; y++) {
                const struct tb_sweep_point *u = &sw->points[y];
                if (tb__graph_usable(u) && !u->step.trace &&
                    u->step.sps == t->step.sps &&
                    u->step.trial == t->step.trial)
                    tb__graph_agg_add(&a, tb__graph_cpu_pct(t->result) -
                                              tb__graph_cpu_pct(u->result));
            }
        }
        rows += agg_row(b, s->rates[k], &a);
    }
    gp_end(b);
    return rows;
}

/* Per second of the run: "second,rss_mean,rss_min,rss_max,cpu_mean,
 * cpu_min,cpu_max" (MiB, %) over the trials of one rate or scenario. */
static size_t series_block(struct tb__buf *b, unsigned i, const tb_sweep *sw,
                           bool by_group, unsigned group, double sps,
                           double *rss_top, double *cpu_top)
{
    size_t longest = 0, rows = 0;

    for (size_t x = 0; x < sw->n; x++) {
        const struct tb_sweep_point *p = &sw->points[x];
        if (p->result != NULL && p->result->n_samples > longest)
            longest = p->result->n_samples;
    }
    gp_block(b, "s", i);
    for (size_t k = 0; k < longest; k++) {
        struct tb__graph_agg rss = {0}, cpu = {0};
        for (size_t x = 0; x < sw->n; x++) {
            const struct tb_sweep_point *p = &sw->points[x];
            /* A crashed run's samples still show what happened up to the
             * crash, which is the point of the disconnect graph. */
            if (p->result == NULL || k >= p->result->n_samples ||
                (by_group ? p->step.group != group : p->step.sps != sps))
                continue;
            tb__graph_agg_add(&rss, (double)p->result->memory_list[k] / MIB);
            tb__graph_agg_add(&cpu, p->result->cpu_list[k] * 100.0);
        }
        if (rss.n == 0)
            continue;
        tb__buf_printf(b, "%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", k + 1,
                       rss.mean, rss.min, rss.max, cpu.mean, cpu.min, cpu.max);
        *rss_top = fmax(*rss_top, rss.max);
        *cpu_top = fmax(*cpu_top, cpu.max);
        rows++;
    }
    gp_end(b);
    return rows;
}

/* The x range of a time series: the runtime asked for, or longer when a
 * slow or hung client ran past it. */
static double time_axis_s(const tb_sweep *sw, double runtime_s)
{
    double top = ceil(runtime_s);

    for (size_t i = 0; i < sw->n; i++)
        if (sw->points[i].result != NULL)
            top = fmax(top, (double)sw->points[i].result->n_samples);
    return top + 1;
}

/* Raw trial points from the CSV, ok runs of one side only. */
static void raw_points(struct plot_cmd *pc, const char *csv, int col, int trace,
                       int color, const char *title)
{
    clause(pc,
           "'%s' skip 1 using %d:(strcol(%d) eq 'ok' && $%d == %d ? $%d : "
           "NaN) with points pt 6 ps 0.7 lc %d title '%s'",
           tb__graph_base_name(csv), COL_TARGET, COL_STATUS, COL_TRACED, trace,
           col, color, title);
}

static void spread_note(struct tb__buf *b, unsigned trials)
{
    if (trials > 1)
        tb__buf_printf(b, "mean of %u trials, bars: min-max", trials);
    else
        tb__buf_puts(b, "1 trial");
}

tb_err tb__graph_script_cpu(struct tb__buf *b, const char *client,
                            const tb_sweep *sw,
                            const struct tb_graph_settings *s, const char *csv)
{
    struct plot_cmd pc = {0};
    struct tb__buf note = {0};

    spread_note(&note, s->trials);
    tb__buf_printf(b, "set title ");
    gp_str(b, client);
    tb__buf_printf(b, " . ': client CPU vs spans/s, %.0f s runs (%s)'\n",
                   s->runtime_s, note.data ? note.data : "");
    tb__buf_free(&note);
    tb__buf_puts(b, "set xlabel 'spans per second (asked for, log scale)'\n"
                    "set ylabel 'client CPU (% of one core)'\n"
                    "set logscale x\nset key top left\nset yrange [0:*]\n");
    if (rate_block(b, "u", 0, sw, s, 0, tb__graph_cpu_pct))
        clause(&pc, "$u0 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc 1 "
                    "title 'untraced (no-op tracer)'");
    if (rate_block(b, "t", 0, sw, s, 1, tb__graph_cpu_pct))
        clause(&pc, "$t0 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc 2 "
                    "title 'traced'");
    if (s->trials > 1) {
        raw_points(&pc, csv, COL_CPU, 0, 1, "untraced, each trial");
        raw_points(&pc, csv, COL_CPU, 1, 2, "traced, each trial");
    }
    return clause_end(b, &pc) ? TB_OK : TB_ERR_CLIENT_CRASHED;
}

tb_err tb__graph_script_dropped(struct tb__buf *b, const char *client,
                                const tb_sweep *sw,
                                const struct tb_graph_settings *s,
                                const char *csv)
{
    struct plot_cmd pc = {0};
    bool any;

    tb__buf_puts(b, "set multiplot layout 2,1 title ");
    gp_str(b, client);
    tb__buf_printf(b,
                   " . ': dropped spans and CPU vs spans/s, traced, "
                   "%.0f s runs (",
                   s->runtime_s);
    spread_note(b, s->trials);
    tb__buf_puts(b, ")'\n"
                    "set logscale x\nset key top left\n"
                    "set xlabel 'spans per second (asked for, log scale)'\n"
                    "set ylabel 'spans dropped (% of sent)'\n"
                    "set yrange [0:*]\n");
    if (rate_block(b, "d", 0, sw, s, 1, tb__graph_dropped_pct))
        clause(&pc, "$d0 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc 7 "
                    "title 'dropped %%'");
    if (s->trials > 1)
        raw_points(&pc, csv, COL_DROPPED, 1, 7, "each trial");
    any = clause_end(b, &pc);
    tb__buf_puts(b, "set ylabel 'client CPU (% of one core)'\n");
    if (rate_block(b, "c", 0, sw, s, 1, tb__graph_cpu_pct))
        clause(&pc, "$c0 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc 2 "
                    "title 'CPU %%'");
    if (s->trials > 1)
        raw_points(&pc, csv, COL_CPU, 1, 2, "each trial");
    any = clause_end(b, &pc) && any;
    tb__buf_puts(b, "unset multiplot\n");
    return any ? TB_OK : TB_ERR_CLIENT_CRASHED;
}

tb_err tb__graph_script_memory(struct tb__buf *b, const char *client,
                               const tb_sweep *sw,
                               const struct tb_graph_settings *s)
{
    struct plot_cmd pc = {0};
    double rss_top = 0, cpu_top = 0;

    tb__buf_puts(b, "set title ");
    gp_str(b, client);
    tb__buf_printf(b, " . ': resident memory over a %.0f s run, traced%s'\n",
                   s->runtime_s,
                   s->trials > 1 ? " (mean of trials, band: min-max)" : "");
    tb__buf_printf(
        b,
        "set xlabel 'time since the client started (s)'\n"
        "set ylabel 'resident set size (MiB)'\n"
        "set key bottom right\nset xrange [0:%.0f]\nset yrange [0:*]\n",
        time_axis_s(sw, s->runtime_s));
    for (size_t k = 0; k < s->n_rates; k++) {
        if (!series_block(b, (unsigned)k, sw, false, 0, s->rates[k], &rss_top,
                          &cpu_top))
            continue;
        if (s->trials > 1)
            clause(&pc,
                   "$s%zu using 1:3:4 with filledcurves lc %zu "
                   "notitle",
                   k, k + 1);
        clause(&pc,
               "$s%zu using 1:2 with linespoints lw 2 pt 7 ps 0.5 "
               "lc %zu title '%.6g spans/s'",
               k, k + 1, s->rates[k]);
    }
    return clause_end(b, &pc) ? TB_OK : TB_ERR_CLIENT_CRASHED;
}

/* When the satellites of one scenario went down and came back, s after
 * the start, as measured in its first trial that had them. */
static void moments(const tb_sweep *sw, unsigned group, double *down,
                    double *up)
{
    *down = *up = -1;
    for (size_t i = 0; i < sw->n; i++)
        if (sw->points[i].step.group == group && sw->points[i].down_s >= 0) {
            *down = sw->points[i].down_s;
            *up = sw->points[i].up_s;
            return;
        }
}

tb_err tb__graph_script_disconnect(struct tb__buf *b, const char *client,
                                   const tb_sweep *sw,
                                   const struct tb_graph_settings *s)
{
    struct tb__buf blocks = {0};
    double rss_top = 0, cpu_top = 0;
    bool any = false;
    tb_err e;

    /* The blocks come first so every panel can share one y range. */
    for (unsigned g = 0; g < N_SCENARIOS; g++)
        series_block(&blocks, g, sw, true, g, 0, &rss_top, &cpu_top);
    tb__buf_append(b, blocks.data ? blocks.data : "", blocks.len);
    tb__buf_free(&blocks);
    tb__buf_puts(b, "set multiplot layout 2,2 title ");
    gp_str(b, client);
    tb__buf_printf(
        b,
        " . ': unreliable satellites, %.6g spans/s for %.0f s%s'\n"
        "set xlabel 'time since the client started (s)'\n"
        "set ylabel 'resident set size (MiB)'\n"
        "set y2label 'client CPU (%% of one core)'\n"
        "set ytics nomirror\nset y2tics\nset key bottom right\n"
        "set xrange [0:%.0f]\nset yrange [0:%.6g]\nset y2range [0:%.6g]\n",
        s->rates[0], s->runtime_s, s->trials > 1 ? " (mean of trials)" : "",
        time_axis_s(sw, s->runtime_s), rss_top > 0 ? rss_top * 1.25 : 1,
        fmax(100, cpu_top * 1.1));
    for (unsigned g = 0; g < N_SCENARIOS; g++) {
        struct plot_cmd pc = {0};
        struct tb__graph_agg drop = {0};
        size_t failed = 0, timeouts = 0;
        double down, up;
        for (size_t i = 0; i < sw->n; i++) {
            const struct tb_sweep_point *p = &sw->points[i];
            if (p->step.group != g || p->result == NULL)
                continue;
            tb__graph_agg_add(&drop, tb__graph_dropped_pct(p->result));
            failed += p->status != TB_OK;
            timeouts += p->status == TB_ERR_CLIENT_TIMEOUT;
        }
        tb__buf_printf(b, "set title '%s", tb__graph_scenario_names[g]);
        /* The no-op tracer reports nothing: its drops mean nothing. */
        if (drop.n > 0 && g > 0)
            tb__buf_printf(b, ": %.1f%% of spans dropped", drop.mean);
        if (failed > 0)
            tb__buf_printf(b, " (client %s in %zu of %u)",
                           timeouts == failed ? "timed out" : "failed", failed,
                           s->trials);
        tb__buf_puts(b, "'\nunset arrow\nunset label\n");
        moments(sw, g, &down, &up);
        if (down >= 0)
            tb__buf_printf(
                b,
                "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead "
                "lw 2 dt 2 lc rgb 'red' front\n"
                "set label 'satellites down (%.1f s)' at %.2f, graph 0.93 "
                "offset 0.5,0 tc rgb 'red' front\n",
                down, down, down, down);
        if (up >= 0)
            tb__buf_printf(
                b,
                "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead "
                "lw 2 dt 2 lc rgb 'dark-green' front\n"
                "set label 'satellites back (%.1f s)' at %.2f, graph 0.85 "
                "offset 0.5,0 tc rgb 'dark-green' front\n",
                up, up, up, up);
        if (s->trials > 1)
            clause(&pc,
                   "$s%u using 1:3:4 axes x1y1 with filledcurves lc 1 "
                   "notitle",
                   g);
        clause(&pc,
               "$s%u using 1:2 axes x1y1 with lines lw 2 lc 1 "
               "title 'RSS (MiB)'",
               g);
        clause(&pc,
               "$s%u using 1:5 axes x1y2 with lines lw 1.5 lc 2 "
               "title 'CPU (%%)'",
               g);
        any = clause_end(b, &pc) || any;
    }
    tb__buf_puts(b, "unset multiplot\n");
    e = rss_top > 0 ? TB_OK : TB_ERR_CLIENT_CRASHED;
    return any ? e : TB_ERR_CLIENT_CRASHED;
}

tb_err tb__graph_script_compare(struct tb__buf *b, tb_graph_kind kind,
                                const char *const *clients,
                                tb_sweep *const *sws, size_t n,
                                const struct tb_graph_settings *s)
{
    struct plot_cmd pc = {0};
    bool cpu = kind == TB_GRAPH_COMPARE_CPU;

    tb__buf_printf(b, "set title '%s vs spans/s, %.0f s runs (",
                   cpu ? "Tracer CPU overhead (traced minus untraced CPU)"
                       : "Peak resident memory",
                   s->runtime_s);
    spread_note(b, s->trials);
    tb__buf_printf(b,
                   ")'\n"
                   "set xlabel 'spans per second (asked for, log scale)'\n"
                   "set ylabel '%s'\n"
                   "set logscale x\nset key top left\n",
                   cpu ? "CPU overhead (percentage points of one core)"
                       : "peak resident set size (MiB)");
    if (cpu)
        tb__buf_puts(b, "set xzeroaxis lt -1 lw 1.5\n"
                        "set yrange [*<0:0<*]\n"); /* zero in sight */
    else
        tb__buf_puts(b, "set yrange [0:*]\n");
    for (size_t c = 0; c < n; c++) {
        struct tb__buf title = {0};
        char *t;
        gp_str(&title, clients[c]);
        t = title.data;
        if (t == NULL)
            return TB_ERR_NOMEM;
        if (cpu) {
            if (overhead_block(b, (unsigned)c, sws[c], s))
                clause(&pc,
                       "$o%zu using 1:2:3:4 with yerrorlines lw 2 "
                       "pt 7 lc %zu title %s",
                       c, c + 1, t);
        } else {
            if (rate_block(b, "p", (unsigned)c, sws[c], s, 1,
                           tb__graph_peak_mib))
                clause(&pc,
                       "$p%zu using 1:2:3:4 with yerrorlines lw 2 "
                       "pt 7 lc %zu title %s.' traced'",
                       c, c + 1, t);
            if (rate_block(b, "q", (unsigned)c, sws[c], s, 0,
                           tb__graph_peak_mib))
                clause(&pc,
                       "$q%zu using 1:2 with lines lw 1 dt 2 lc %zu "
                       "title %s.' untraced'",
                       c, c + 1, t);
        }
        tb__buf_free(&title);
    }
    return clause_end(b, &pc) ? TB_OK : TB_ERR_CLIENT_CRASHED;
}
