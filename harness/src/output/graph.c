/* Graphs: plan a sweep for the kind, run it, write the raw data as CSV and
 * a gnuplot script whose summary lines (mean, min and max over trials) are
 * computed here and inlined as datablocks, then let gnuplot draw. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "strbuf.h"
#include "tracebench/measure/client.h"
#include "tracebench/output/graph.h"
#include "tracebench/util/log.h"
#include "tracebench/util/paths.h"

#define MIB (1024.0 * 1024.0)
#define N_SCENARIOS 4           /* panels of the disconnect graph */

static const char *const kind_names[TB_GRAPH__COUNT] = {
    "cpu", "dropped", "memory", "disconnect", "compare-cpu",
    "compare-memory"};

static const char *const scenario_names[N_SCENARIOS] = {
    "no-op tracer", "tracer", "tracer, satellites shut down",
    "tracer, satellites shut down and restarted"};

const char *tb_graph_kind_name(tb_graph_kind kind)
{
    return (unsigned)kind < TB_GRAPH__COUNT ? kind_names[kind] : "?";
}

tb_err tb_graph_kind_parse(const char *name, tb_graph_kind *out,
                           tb_error *err)
{
    for (int k = 0; k < TB_GRAPH__COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (tb_graph_kind)k;
            return TB_OK;
        }
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "unknown graph '%s': use cpu, dropped, memory, "
                        "disconnect, compare-cpu or compare-memory", name);
}

static void set_rates(struct tb_graph_settings *s, const double *r, size_t n)
{
    memcpy(s->rates, r, n * sizeof(*r));
    s->n_rates = n;
}

void tb_graph_defaults(tb_graph_kind kind, bool quick,
                       struct tb_graph_settings *s)
{
    static const double cpu[] = {100, 500, 1000, 2000, 5000, 10000};
    static const double cpu_q[] = {100, 1000, 5000};
    static const double drop[] = {500, 1000, 2000, 5000, 10000, 20000,
                                  50000, 100000};
    static const double drop_q[] = {1000, 10000, 50000};
    static const double mem[] = {100, 500, 1000, 2000};
    static const double mem_q[] = {100, 500, 2000};
    static const double disc[] = {50};

    memset(s, 0, sizeof(*s));
    s->down_at_s = s->up_at_s = -1;
    switch (kind) {
    case TB_GRAPH_DROPPED:
        if (quick)
            set_rates(s, drop_q, 3);
        else
            set_rates(s, drop, 8);
        s->trials = quick ? 1 : 3;
        s->runtime_s = quick ? 3 : 10;
        break;
    case TB_GRAPH_MEMORY:
        if (quick)
            set_rates(s, mem_q, 3);
        else
            set_rates(s, mem, 4);
        s->trials = 1;
        s->runtime_s = quick ? 8 : 50;
        break;
    case TB_GRAPH_DISCONNECT:
        set_rates(s, disc, 1);
        s->trials = 1;
        tb_graph_set_runtime(s, kind, quick ? 12 : 180);
        if (quick) {
            /* A quarter of the run before the outage, as a baseline. */
            s->down_at_s = 3;
            s->up_at_s = 8;
        }
        break;
    default:                    /* cpu and the comparisons */
        if (quick)
            set_rates(s, cpu_q, 3);
        else
            set_rates(s, cpu, 6);
        s->trials = quick ? 1 : 3;
        s->runtime_s = quick ? 3 : 10;
        break;
    }
}

void tb_graph_set_runtime(struct tb_graph_settings *s, tb_graph_kind kind,
                          double runtime_s)
{
    s->runtime_s = runtime_s;
    if (kind == TB_GRAPH_DISCONNECT) {
        /* The reference: down at 30 s and back at 120 s of 180 s. The
         * quick 12 s run rounds to 3 s and 8 s. */
        s->down_at_s = round(runtime_s * 30.0 / 180.0 * 10) / 10;
        s->up_at_s = round(runtime_s * 120.0 / 180.0 * 10) / 10;
    }
}

size_t tb_graph_benchmarks(tb_graph_kind kind,
                           const struct tb_graph_settings *s)
{
    switch (kind) {
    case TB_GRAPH_DROPPED:
    case TB_GRAPH_MEMORY:
        return s->n_rates * s->trials;
    case TB_GRAPH_DISCONNECT:
        return N_SCENARIOS * s->trials;
    default:
        return 2 * s->n_rates * s->trials;
    }
}

void tb_graph_path(const char *dir, const char *client, tb_graph_kind kind,
                   const char *ext, char *buf, size_t size)
{
    char stem[128];
    size_t i;

    if (kind == TB_GRAPH_COMPARE_CPU || kind == TB_GRAPH_COMPARE_MEMORY) {
        snprintf(buf, size, "%s/%s.%s", dir, kind_names[kind], ext);
        return;
    }
    for (i = 0; client[i] != '\0' && i < sizeof(stem) - 1; i++) {
        char c = client[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        stem[i] = ok ? c : '_';
    }
    stem[i] = '\0';
    /* A name of dots only would make "..-cpu.png": harmless, but odd. */
    snprintf(buf, size, "%s/%s-%s.%s", dir, stem, tb_graph_kind_name(kind),
             ext);
}

/* --- planning ---------------------------------------------------------- */

static tb_err plan(tb_sweep *sw, tb_graph_kind kind,
                   const struct tb_graph_settings *s, tb_error *err)
{
    switch (kind) {
    case TB_GRAPH_DROPPED:
    case TB_GRAPH_MEMORY:
        return tb_sweep_add_rates(sw, s->rates, s->n_rates, s->trials,
                                  s->runtime_s, false, true, 0, err);
    case TB_GRAPH_DISCONNECT:
        for (unsigned t = 1; t <= s->trials; t++)
            for (unsigned g = 0; g < N_SCENARIOS; g++) {
                struct tb_sweep_step st = {
                    .sps = s->rates[0], .runtime_s = s->runtime_s,
                    .trace = g > 0, .trial = t, .group = g,
                    .down_at_s = g >= 2 ? s->down_at_s : -1,
                    .up_at_s = g == 3 ? s->up_at_s : -1};
                tb_err e = tb_sweep_add(sw, &st, err);
                if (e != TB_OK)
                    return e;
            }
        return TB_OK;
    default:
        return tb_sweep_add_rates(sw, s->rates, s->n_rates, s->trials,
                                  s->runtime_s, true, true, 0, err);
    }
}

static tb_err check_settings(tb_graph_kind kind,
                             const struct tb_graph_settings *s,
                             size_t n_ctls, const struct tb_graph_opts *o,
                             tb_error *err)
{
    bool compare = kind == TB_GRAPH_COMPARE_CPU ||
                   kind == TB_GRAPH_COMPARE_MEMORY;

    if ((unsigned)kind >= TB_GRAPH__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no graph kind %d",
                            (int)kind);
    if (n_ctls == 0 || (!compare && n_ctls != 1))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "the %s graph takes %s, not %zu",
                            kind_names[kind],
                            compare ? "one client or more" : "one client",
                            n_ctls);
    if (s->n_rates == 0 || s->n_rates > TB_GRAPH_MAX_RATES ||
        s->trials == 0 || !(s->runtime_s > 0))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "a graph needs 1-%d rates, trials >= 1 and a "
                            "runtime > 0", TB_GRAPH_MAX_RATES);
    if (kind == TB_GRAPH_DISCONNECT &&
        !(s->down_at_s > 0 && s->up_at_s > s->down_at_s &&
          s->up_at_s < s->runtime_s))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "the disconnect graph needs 0 < down (%g s) < "
                            "up (%g s) < runtime (%g s)", s->down_at_s,
                            s->up_at_s, s->runtime_s);
    if ((kind == TB_GRAPH_DROPPED || kind == TB_GRAPH_DISCONNECT) &&
        (o == NULL || o->satellites == NULL))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "the %s graph needs satellites",
                            kind_names[kind]);
    return TB_OK;
}

/* --- figures ----------------------------------------------------------- */

struct agg {
    size_t n;
    double mean, min, max;
};

static void agg_add(struct agg *a, double v)
{
    if (isnan(v))
        return;
    if (a->n == 0 || v < a->min)
        a->min = v;
    if (a->n == 0 || v > a->max)
        a->max = v;
    a->mean += (v - a->mean) / (double)(a->n + 1);
    a->n++;
}

static bool usable(const struct tb_sweep_point *p)
{
    return p->result != NULL && p->status == TB_OK;
}

static double cpu_pct(const tb_result *r)
{
    return r->cpu_usage * 100.0;
}

/* Blank for the no-op tracer, which reports nothing to drop. */
static double dropped_pct(const tb_result *r)
{
    if (!r->trace || !r->has_satellites || r->spans_sent == 0)
        return NAN;
    return (double)r->dropped_spans / (double)r->spans_sent * 100.0;
}

static double peak_mib(const tb_result *r)
{
    return (double)r->peak_rss_bytes / MIB;
}

static const char *status_name(tb_err e)
{
    if (e == TB_OK)
        return "ok";
    return e == TB_ERR_CLIENT_TIMEOUT ? "timeout" : "crashed";
}

/* --- CSV --------------------------------------------------------------- */

/* A field quoted as RFC 4180 asks when it holds a comma, quote or line
 * break; client names are the only free text we write. */
static void csv_field(struct tb__buf *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        tb__buf_puts(b, s);
        return;
    }
    tb__buf_puts(b, "\"");
    for (; *s; s++)
        tb__buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    tb__buf_puts(b, "\"");
}

static void csv_num(struct tb__buf *b, double v)
{
    if (isnan(v))
        tb__buf_puts(b, ",");   /* missing, for gnuplot and spreadsheets */
    else
        tb__buf_printf(b, ",%.6g", v);
}

/* Column numbers gnuplot uses below; keep in step with the header. */
#define RUN_CSV_HEADER                                                       \
    "trial,traced,target_sps,spans_per_second,cpu_percent,spans_sent,"      \
    "spans_received,dropped_percent,peak_rss_bytes,clock_time_s,status,"     \
    "client\n"
#define COL_TRACED 2
#define COL_TARGET 3
#define COL_CPU 5
#define COL_DROPPED 8
#define COL_PEAK 9
#define COL_STATUS 11

static size_t run_csv(struct tb__buf *b, const char *client,
                      const tb_sweep *sw)
{
    size_t rows = 0;

    for (size_t i = 0; i < sw->n; i++) {
        const struct tb_sweep_point *p = &sw->points[i];
        const tb_result *r = p->result;
        if (r == NULL)
            continue;
        tb__buf_printf(b, "%u,%d,%.6g", p->step.trial, p->step.trace,
                       p->step.sps);
        csv_num(b, r->spans_per_second);
        csv_num(b, cpu_pct(r));
        csv_num(b, (double)r->spans_sent);
        csv_num(b, r->has_satellites ? (double)r->spans_received : NAN);
        csv_num(b, dropped_pct(r));
        csv_num(b, (double)r->peak_rss_bytes);
        csv_num(b, r->clock_time_s);
        tb__buf_printf(b, ",%s,", status_name(p->status));
        csv_field(b, client);
        tb__buf_puts(b, "\n");
        rows++;
    }
    return rows;
}

#define SAMPLE_CSV_HEADER                                                    \
    "scenario,trial,traced,target_sps,second,cpu_percent,rss_bytes,"        \
    "down_at_s,up_at_s,status,client\n"

static size_t sample_csv(struct tb__buf *b, const char *client,
                         const tb_sweep *sw, bool scenarios)
{
    size_t rows = 0;

    for (size_t i = 0; i < sw->n; i++) {
        const struct tb_sweep_point *p = &sw->points[i];
        const tb_result *r = p->result;
        for (size_t k = 0; r != NULL && k < r->n_samples; k++) {
            csv_field(b, scenarios ? scenario_names[p->step.group] : "");
            tb__buf_printf(b, ",%u,%d,%.6g,%zu", p->step.trial,
                           p->step.trace, p->step.sps, k + 1);
            csv_num(b, r->cpu_list[k] * 100.0);
            csv_num(b, (double)r->memory_list[k]);
            csv_num(b, p->down_s >= 0 ? p->down_s : NAN);
            csv_num(b, p->up_s >= 0 ? p->up_s : NAN);
            tb__buf_printf(b, ",%s,", status_name(p->status));
            csv_field(b, client);
            tb__buf_puts(b, "\n");
            rows++;
        }
    }
    return rows;
}

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

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static void gp_header(struct tb__buf *b, tb_graph_kind kind,
                      const char *client, const char *png, const char *csv,
                      const char *script, unsigned width, unsigned height)
{
    tb__buf_printf(b, "# tracebench graph %s", kind_names[kind]);
    if (client != NULL) {
        tb__buf_puts(b, " of ");
        gp_str(b, client);
    }
    tb__buf_printf(b,
        "\n# Raw data: %s. Redraw from this directory: gnuplot %s\n"
        "# The datablocks below are the mean, min and max over trials of "
        "the\n# successful runs in the CSV.\n",
        base_name(csv), base_name(script));
    tb__buf_printf(b,
        "set terminal pngcairo size %u,%u noenhanced font 'Sans,10'\n"
        "set output '%s'\n"
        "set datafile separator ','\n"
        "set grid\n"
        "set key box opaque\n"
        "set style fill transparent solid 0.15 noborder\n"
        "set errorbars small\n"
        "set offsets graph 0.04, graph 0.04, 0, 0\n",
        width, height, base_name(png));
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

/* Mean, min and max of metric over the usable points of one rate, group
 * and side. */
static struct agg agg_rate(const tb_sweep *sw, double sps, int trace,
                           metric_fn metric)
{
    struct agg a = {0};

    for (size_t i = 0; i < sw->n; i++) {
        const struct tb_sweep_point *p = &sw->points[i];
        if (usable(p) && p->step.sps == sps && p->step.trace == trace)
            agg_add(&a, metric(p->result));
    }
    return a;
}

/* "rate,mean,min,max,n" for a rate with trials; 1 when a row was written. */
static size_t agg_row(struct tb__buf *b, double rate, const struct agg *a)
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
                         const tb_sweep *sw,
                         const struct tb_graph_settings *s, int trace,
                         metric_fn metric)
{
    size_t rows = 0;

    gp_block(b, name, i);
    for (size_t k = 0; k < s->n_rates; k++) {
        struct agg a = agg_rate(sw, s->rates[k], trace, metric);
        rows += agg_row(b, s->rates[k], &a);
    }
    gp_end(b);
    return rows;
}

/* The tracer's CPU cost at each rate: traced minus untraced CPU of the
 * same trial, so each difference pairs runs made close in time. */
static size_t overhead_block(struct tb__buf *b, unsigned i,
                             const tb_sweep *sw,
                             const struct tb_graph_settings *s)
{
    size_t rows = 0;

    gp_block(b, "o", i);
    for (size_t k = 0; k < s->n_rates; k++) {
        struct agg a = {0};
        for (size_t x = 0; x < sw->n; x++) {
            const struct tb_sweep_point *t = &sw->points[x];
            if (!usable(t) || !t->step.trace || t->step.sps != s->rates[k])
                continue;
            for (size_t y = 0; y < sw->n; y++) {
                const struct tb_sweep_point *u = &sw->points[y];
                if (usable(u) && !u->step.trace &&
                    u->step.sps == t->step.sps &&
                    u->step.trial == t->step.trial)
                    agg_add(&a, cpu_pct(t->result) - cpu_pct(u->result));
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
        struct agg rss = {0}, cpu = {0};
        for (size_t x = 0; x < sw->n; x++) {
            const struct tb_sweep_point *p = &sw->points[x];
            /* A crashed run's samples still show what happened up to the
             * crash, which is the point of the disconnect graph. */
            if (p->result == NULL || k >= p->result->n_samples ||
                (by_group ? p->step.group != group : p->step.sps != sps))
                continue;
            agg_add(&rss, (double)p->result->memory_list[k] / MIB);
            agg_add(&cpu, p->result->cpu_list[k] * 100.0);
        }
        if (rss.n == 0)
            continue;
        tb__buf_printf(b, "%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", k + 1,
                       rss.mean, rss.min, rss.max, cpu.mean, cpu.min,
                       cpu.max);
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
static void raw_points(struct plot_cmd *pc, const char *csv, int col,
                       int trace, int color, const char *title)
{
    clause(pc,
           "'%s' skip 1 using %d:(strcol(%d) eq 'ok' && $%d == %d ? $%d : "
           "NaN) with points pt 6 ps 0.7 lc %d title '%s'",
           base_name(csv), COL_TARGET, COL_STATUS, COL_TRACED, trace, col,
           color, title);
}

static void spread_note(struct tb__buf *b, unsigned trials)
{
    if (trials > 1)
        tb__buf_printf(b, "mean of %u trials, bars: min-max", trials);
    else
        tb__buf_puts(b, "1 trial");
}

static tb_err script_cpu(struct tb__buf *b, const char *client,
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
    tb__buf_puts(b,
        "set xlabel 'spans per second (asked for, log scale)'\n"
        "set ylabel 'client CPU (% of one core)'\n"
        "set logscale x\nset key top left\nset yrange [0:*]\n");
    if (rate_block(b, "u", 0, sw, s, 0, cpu_pct))
        clause(&pc, "$u0 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc 1 "
                    "title 'untraced (no-op tracer)'");
    if (rate_block(b, "t", 0, sw, s, 1, cpu_pct))
        clause(&pc, "$t0 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc 2 "
                    "title 'traced'");
    if (s->trials > 1) {
        raw_points(&pc, csv, COL_CPU, 0, 1, "untraced, each trial");
        raw_points(&pc, csv, COL_CPU, 1, 2, "traced, each trial");
    }
    return clause_end(b, &pc) ? TB_OK : TB_ERR_CLIENT_CRASHED;
}

static tb_err script_dropped(struct tb__buf *b, const char *client,
                             const tb_sweep *sw,
                             const struct tb_graph_settings *s,
                             const char *csv)
{
    struct plot_cmd pc = {0};
    bool any;

    tb__buf_puts(b, "set multiplot layout 2,1 title ");
    gp_str(b, client);
    tb__buf_printf(b, " . ': dropped spans and CPU vs spans/s, traced, "
                      "%.0f s runs (", s->runtime_s);
    spread_note(b, s->trials);
    tb__buf_puts(b, ")'\n"
        "set logscale x\nset key top left\n"
        "set xlabel 'spans per second (asked for, log scale)'\n"
        "set ylabel 'spans dropped (% of sent)'\n"
        "set yrange [0:*]\n");
    if (rate_block(b, "d", 0, sw, s, 1, dropped_pct))
        clause(&pc, "$d0 using 1:2:3:4 with yerrorlines lw 2 pt 7 lc 7 "
                    "title 'dropped %%'");
    if (s->trials > 1)
        raw_points(&pc, csv, COL_DROPPED, 1, 7, "each trial");
    any = clause_end(b, &pc);
    tb__buf_puts(b, "set ylabel 'client CPU (% of one core)'\n");
    if (rate_block(b, "c", 0, sw, s, 1, cpu_pct))
        clause(&pc, "$c0 using 1:2:3:4 with yerrorlines lw 2 pt 5 lc 2 "
                    "title 'CPU %%'");
    if (s->trials > 1)
        raw_points(&pc, csv, COL_CPU, 1, 2, "each trial");
    any = clause_end(b, &pc) && any;
    tb__buf_puts(b, "unset multiplot\n");
    return any ? TB_OK : TB_ERR_CLIENT_CRASHED;
}

static tb_err script_memory(struct tb__buf *b, const char *client,
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
    tb__buf_printf(b,
        "set xlabel 'time since the client started (s)'\n"
        "set ylabel 'resident set size (MiB)'\n"
        "set key bottom right\nset xrange [0:%.0f]\nset yrange [0:*]\n",
        time_axis_s(sw, s->runtime_s));
    for (size_t k = 0; k < s->n_rates; k++) {
        if (!series_block(b, (unsigned)k, sw, false, 0, s->rates[k],
                          &rss_top, &cpu_top))
            continue;
        if (s->trials > 1)
            clause(&pc, "$s%zu using 1:3:4 with filledcurves lc %zu "
                        "notitle", k, k + 1);
        clause(&pc, "$s%zu using 1:2 with linespoints lw 2 pt 7 ps 0.5 "
                    "lc %zu title '%.6g spans/s'", k, k + 1, s->rates[k]);
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
        if (sw->points[i].step.group == group &&
            sw->points[i].down_s >= 0) {
            *down = sw->points[i].down_s;
            *up = sw->points[i].up_s;
            return;
        }
}

static tb_err script_disconnect(struct tb__buf *b, const char *client,
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
    tb__buf_printf(b,
        " . ': unreliable satellites, %.6g spans/s for %.0f s%s'\n"
        "set xlabel 'time since the client started (s)'\n"
        "set ylabel 'resident set size (MiB)'\n"
        "set y2label 'client CPU (%% of one core)'\n"
        "set ytics nomirror\nset y2tics\nset key bottom right\n"
        "set xrange [0:%.0f]\nset yrange [0:%.6g]\nset y2range [0:%.6g]\n",
        s->rates[0], s->runtime_s,
        s->trials > 1 ? " (mean of trials)" : "",
        time_axis_s(sw, s->runtime_s),
        rss_top > 0 ? rss_top * 1.25 : 1, fmax(100, cpu_top * 1.1));
    for (unsigned g = 0; g < N_SCENARIOS; g++) {
        struct plot_cmd pc = {0};
        struct agg drop = {0};
        size_t failed = 0, timeouts = 0;
        double down, up;
        for (size_t i = 0; i < sw->n; i++) {
            const struct tb_sweep_point *p = &sw->points[i];
            if (p->step.group != g || p->result == NULL)
                continue;
            agg_add(&drop, dropped_pct(p->result));
            failed += p->status != TB_OK;
            timeouts += p->status == TB_ERR_CLIENT_TIMEOUT;
        }
        tb__buf_printf(b, "set title '%s", scenario_names[g]);
        /* The no-op tracer reports nothing: its drops mean nothing. */
        if (drop.n > 0 && g > 0)
            tb__buf_printf(b, ": %.1f%% of spans dropped", drop.mean);
        if (failed > 0)
            tb__buf_printf(b, " (client %s in %zu of %u)",
                           timeouts == failed ? "timed out" : "failed",
                           failed, s->trials);
        tb__buf_puts(b, "'\nunset arrow\nunset label\n");
        moments(sw, g, &down, &up);
        if (down >= 0)
            tb__buf_printf(b,
                "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead "
                "lw 2 dt 2 lc rgb 'red' front\n"
                "set label 'satellites down (%.1f s)' at %.2f, graph 0.93 "
                "offset 0.5,0 tc rgb 'red' front\n", down, down, down, down);
        if (up >= 0)
            tb__buf_printf(b,
                "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead "
                "lw 2 dt 2 lc rgb 'dark-green' front\n"
                "set label 'satellites back (%.1f s)' at %.2f, graph 0.85 "
                "offset 0.5,0 tc rgb 'dark-green' front\n", up, up, up, up);
        if (s->trials > 1)
            clause(&pc, "$s%u using 1:3:4 axes x1y1 with filledcurves lc 1 "
                        "notitle", g);
        clause(&pc, "$s%u using 1:2 axes x1y1 with lines lw 2 lc 1 "
                    "title 'RSS (MiB)'", g);
        clause(&pc, "$s%u using 1:5 axes x1y2 with lines lw 1.5 lc 2 "
                    "title 'CPU (%%)'", g);
        any = clause_end(b, &pc) || any;
    }
    tb__buf_puts(b, "unset multiplot\n");
    e = rss_top > 0 ? TB_OK : TB_ERR_CLIENT_CRASHED;
    return any ? e : TB_ERR_CLIENT_CRASHED;
}

static tb_err script_compare(struct tb__buf *b, tb_graph_kind kind,
                             const char *const *clients,
                             tb_sweep *const *sws, size_t n,
                             const struct tb_graph_settings *s)
{
    struct plot_cmd pc = {0};
    bool cpu = kind == TB_GRAPH_COMPARE_CPU;

    tb__buf_printf(b, "set title '%s vs spans/s, %.0f s runs (",
                   cpu ? "Tracer CPU overhead (traced minus untraced CPU)"
                       : "Peak resident memory", s->runtime_s);
    spread_note(b, s->trials);
    tb__buf_printf(b, ")'\n"
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
                clause(&pc, "$o%zu using 1:2:3:4 with yerrorlines lw 2 "
                            "pt 7 lc %zu title %s", c, c + 1, t);
        } else {
            if (rate_block(b, "p", (unsigned)c, sws[c], s, 1, peak_mib))
                clause(&pc, "$p%zu using 1:2:3:4 with yerrorlines lw 2 "
                            "pt 7 lc %zu title %s.' traced'", c, c + 1, t);
            if (rate_block(b, "q", (unsigned)c, sws[c], s, 0, peak_mib))
                clause(&pc, "$q%zu using 1:2 with lines lw 1 dt 2 lc %zu "
                            "title %s.' untraced'", c, c + 1, t);
        }
        tb__buf_free(&title);
    }
    return clause_end(b, &pc) ? TB_OK : TB_ERR_CLIENT_CRASHED;
}

/* --- drawing ----------------------------------------------------------- */

static tb_err first_failure(tb_sweep *const *sws, size_t n, tb_error *err)
{
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < sws[c]->n; i++)
            if (sws[c]->points[i].status != TB_OK)
                return tb_error_set(err, sws[c]->points[i].status,
                                    "no benchmark of the graph succeeded; "
                                    "the first failed: %s",
                                    sws[c]->points[i].message);
    return tb_error_set(err, TB_ERR_CLIENT_CRASHED,
                        "no benchmark of the graph produced figures");
}

tb_err tb_graph_draw(tb_graph_kind kind, tb_controller *const *ctls,
                     size_t n_ctls, const struct tb_graph_settings *s,
                     const struct tb_graph_opts *o,
                     struct tb_graph_output *out, tb_error *err)
{
    struct tb_graph_output res = {0};
    struct tb__buf csv = {0}, gp = {0};
    tb_sweep **sws = NULL;
    const char **names = NULL;
    char dir[4096], prog[4096];
    const char *first;
    bool compare = kind == TB_GRAPH_COMPARE_CPU ||
                   kind == TB_GRAPH_COMPARE_MEMORY;
    unsigned width = 1100, height = 680;
    tb_err e;

    if ((e = check_settings(kind, s, n_ctls, o, err)) != TB_OK)
        return e;
    /* A missing gnuplot must not cost a long sweep first. */
    if ((e = tb_plot_find(o ? &o->plot : NULL, prog, sizeof(prog), err)) !=
        TB_OK)
        return e;
    if (o != NULL && o->out_dir != NULL)
        snprintf(dir, sizeof(dir), "%s", o->out_dir);
    else
        snprintf(dir, sizeof(dir), "%s/graphs", tb_root_dir());
    if ((e = tb__mkdir_p(dir, err)) != TB_OK)
        return e;

    sws = calloc(n_ctls, sizeof(*sws));
    names = calloc(n_ctls, sizeof(*names));
    if (sws == NULL || names == NULL) {
        e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < n_ctls; c++) {
        struct tb_sweep_run_opts ro = {0};
        names[c] = tb_client_name(tb_controller_client(ctls[c]));
        if ((e = tb_sweep_new(&sws[c], err)) != TB_OK ||
            (e = plan(sws[c], kind, s, err)) != TB_OK)
            goto out;
        if (o != NULL) {
            ro.satellites = o->satellites;
            ro.progress = o->progress;
            ro.progress_arg = o->progress_arg;
        }
        tb_log(TB_LOG_INFO, "graph", "%s of %s: %zu benchmarks",
               kind_names[kind], names[c], sws[c]->n);
        if ((e = tb_sweep_run(sws[c], ctls[c], &ro, err)) != TB_OK)
            goto out;
        for (size_t i = 0; i < sws[c]->n; i++)
            res.failed += sws[c]->points[i].status != TB_OK;
    }

    first = compare ? "compare" : names[0];
    tb_graph_path(dir, first, kind, "png", res.png, sizeof(res.png));
    tb_graph_path(dir, first, kind, "csv", res.csv, sizeof(res.csv));
    tb_graph_path(dir, first, kind, "gp", res.script, sizeof(res.script));

    if (kind == TB_GRAPH_MEMORY || kind == TB_GRAPH_DISCONNECT) {
        tb__buf_puts(&csv, SAMPLE_CSV_HEADER);
        res.rows = sample_csv(&csv, names[0], sws[0],
                              kind == TB_GRAPH_DISCONNECT);
    } else {
        tb__buf_puts(&csv, RUN_CSV_HEADER);
        for (size_t c = 0; c < n_ctls; c++)
            res.rows += run_csv(&csv, names[c], sws[c]);
    }
    if (kind == TB_GRAPH_DROPPED)
        height = 900;
    else if (kind == TB_GRAPH_DISCONNECT)
        width = 1400, height = 960;
    gp_header(&gp, kind, compare ? NULL : names[0], res.png, res.csv,
              res.script, width, height);
    switch (kind) {
    case TB_GRAPH_CPU:
        e = script_cpu(&gp, names[0], sws[0], s, res.csv);
        break;
    case TB_GRAPH_DROPPED:
        e = script_dropped(&gp, names[0], sws[0], s, res.csv);
        break;
    case TB_GRAPH_MEMORY:
        e = script_memory(&gp, names[0], sws[0], s);
        break;
    case TB_GRAPH_DISCONNECT:
        e = script_disconnect(&gp, names[0], sws[0], s);
        break;
    default:
        e = script_compare(&gp, kind, names, sws, n_ctls, s);
        break;
    }
    /* The raw data is kept even when nothing could be drawn from it. */
    if (tb__buf_write_file(&csv, res.csv, err) != TB_OK) {
        e = err->code;
        goto out;
    }
    if (e == TB_ERR_NOMEM) {
        e = tb_error_set(err, e, "out of memory");
        goto out;
    }
    if (e != TB_OK) {
        e = first_failure(sws, n_ctls, err);
        goto out;
    }
    if ((e = tb__buf_write_file(&gp, res.script, err)) != TB_OK)
        goto out;
    /* gnuplot leaves a stale image in place when it fails; remove it so
     * a failed redraw cannot pass for a fresh one. */
    unlink(res.png);
    if ((e = tb_plot_render(dir, base_name(res.script),
                            o ? &o->plot : NULL, err)) != TB_OK ||
        (e = tb_plot_png_size(res.png, &res.width, &res.height, err)) !=
            TB_OK)
        goto out;
    tb_log(TB_LOG_INFO, "graph", "wrote %s (%ux%u) and %s, %zu rows",
           res.png, res.width, res.height, res.csv, res.rows);
    *out = res;
out:
    for (size_t c = 0; sws != NULL && c < n_ctls; c++)
        tb_sweep_free(sws[c]);
    free(sws);
    free(names);
    tb__buf_free(&csv);
    tb__buf_free(&gp);
    return e;
}
