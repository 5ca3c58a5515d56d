/* A graph's figures (CPU, drops, peak RSS of a benchmark; the mean, min
 * and max over trials) and its raw data as CSV, one row per benchmark or
 * per 1 s sample. */
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

/* --- figures ----------------------------------------------------------- */

void tb__graph_agg_add(struct tb__graph_agg *a, double v)
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

bool tb__graph_usable(const struct tb_sweep_point *p)
{
    return p->result != NULL && p->status == TB_OK;
}

double tb__graph_cpu_pct(const tb_result *r)
{
    return r->cpu_usage * 100.0;
}

/* Blank for the no-op tracer, which reports nothing to drop. */
double tb__graph_dropped_pct(const tb_result *r)
{
    if (!r->trace || !r->has_satellites || r->spans_sent == 0)
        return NAN;
    return (double)r->dropped_spans / (double)r->spans_sent * 100.0;
}

double tb__graph_peak_mib(const tb_result *r)
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
        tb__buf_puts(b, ","); /* missing, for gnuplot and spreadsheets */
    else
        tb__buf_printf(b, ",%.6g", v);
}

size_t tb__graph_run_csv(struct tb__buf *b, const char *client,
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
        csv_num(b, tb__graph_cpu_pct(r));
        csv_num(b, (double)r->spans_sent);
        csv_num(b, r->has_satellites ? (double)r->spans_received : NAN);
        csv_num(b, tb__graph_dropped_pct(r));
        csv_num(b, (double)r->peak_rss_bytes);
        csv_num(b, r->clock_time_s);
        tb__buf_printf(b, ",%s,", status_name(p->status));
        csv_field(b, client);
        tb__buf_puts(b, "\n");
        rows++;
    }
    return rows;
}

size_t tb__graph_sample_csv(struct tb__buf *b, const char *client,
                            const tb_sweep *sw, bool scenarios)
{
    size_t rows = 0;

    for (size_t i = 0; i < sw->n; i++) {
        const struct tb_sweep_point *p = &sw->points[i];
        const tb_result *r = p->result;
        for (size_t k = 0; r != NULL && k < r->n_samples; k++) {
            csv_field(b,
                      scenarios ? tb__graph_scenario_names[p->step.group] : "");
            tb__buf_printf(b, ",%u,%d,%.6g,%zu", p->step.trial, p->step.trace,
                           p->step.sps, k + 1);
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
