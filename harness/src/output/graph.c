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
#include "graph_internal.h"
#include "strbuf.h"
#include "tracebench/measure/client.h"
#include "tracebench/output/graph.h"
#include "tracebench/util/log.h"
#include "tracebench/util/paths.h"

const char *const tb__graph_scenario_names[N_SCENARIOS] = {
    "no-op tracer", "tracer", "tracer, satellites shut down",
    "tracer, satellites shut down and restarted"};

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
    static const double drop[] = {500,   1000,  2000,  5000,
                                  10000, 20000, 50000, 100000};
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
    default: /* cpu and the comparisons */
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
        /* LightStep's suite: down at 30 s and back at 120 s of 180 s. The
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
                struct tb_sweep_step st = {.sps = s->rates[0],
                                           .runtime_s = s->runtime_s,
                                           .trace = g > 0,
                                           .trial = t,
                                           .group = g,
                                           .down_at_s = g >= 2 ? s->down_at_s
                                                               : -1,
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
                             const struct tb_graph_settings *s, size_t n_ctls,
                             const struct tb_graph_opts *o, tb_error *err)
{
    bool compare = kind == TB_GRAPH_COMPARE_CPU ||
                   kind == TB_GRAPH_COMPARE_MEMORY;

    if ((unsigned)kind >= TB_GRAPH__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no graph kind %d",
                            (int)kind);
    if (n_ctls == 0 || (!compare && n_ctls != 1))
        return tb_error_set(
            err, TB_ERR_INVALID_ARG, "the %s graph takes %s, not %zu",
            tb_graph_kind_name(kind),
            compare ? "one client or more" : "one client", n_ctls);
    if (s->n_rates == 0 || s->n_rates > TB_GRAPH_MAX_RATES || s->trials == 0 ||
        !(s->runtime_s > 0))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "a graph needs 1-%d rates, trials >= 1 and a "
                            "runtime > 0",
                            TB_GRAPH_MAX_RATES);
    if (kind == TB_GRAPH_DISCONNECT &&
        !(s->down_at_s > 0 && s->up_at_s > s->down_at_s &&
          s->up_at_s < s->runtime_s))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "the disconnect graph needs 0 < down (%g s) < "
                            "up (%g s) < runtime (%g s)",
                            s->down_at_s, s->up_at_s, s->runtime_s);
    if ((kind == TB_GRAPH_DROPPED || kind == TB_GRAPH_DISCONNECT) &&
        (o == NULL || o->satellites == NULL))
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "the %s graph needs satellites",
                            tb_graph_kind_name(kind));
    return TB_OK;
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
                     const struct tb_graph_opts *o, struct tb_graph_output *out,
                     tb_error *err)
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
               tb_graph_kind_name(kind), names[c], sws[c]->n);
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
        res.rows = tb__graph_sample_csv(&csv, names[0], sws[0],
                                        kind == TB_GRAPH_DISCONNECT);
    } else {
        tb__buf_puts(&csv, RUN_CSV_HEADER);
        for (size_t c = 0; c < n_ctls; c++)
            res.rows += tb__graph_run_csv(&csv, names[c], sws[c]);
    }
    if (kind == TB_GRAPH_DROPPED)
        height = 900;
    else if (kind == TB_GRAPH_DISCONNECT)
        width = 1400, height = 960;
    tb__graph_gp_header(&gp, kind, compare ? NULL : names[0], res.png, res.csv,
                        res.script, width, height);
    switch (kind) {
    case TB_GRAPH_CPU:
        e = tb__graph_script_cpu(&gp, names[0], sws[0], s, res.csv);
        break;
    case TB_GRAPH_DROPPED:
        e = tb__graph_script_dropped(&gp, names[0], sws[0], s, res.csv);
        break;
    case TB_GRAPH_MEMORY:
        e = tb__graph_script_memory(&gp, names[0], sws[0], s);
        break;
    case TB_GRAPH_DISCONNECT:
        e = tb__graph_script_disconnect(&gp, names[0], sws[0], s);
        break;
    default:
        e = tb__graph_script_compare(&gp, kind, names, sws, n_ctls, s);
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
    if ((e = tb_plot_render(dir, tb__graph_base_name(res.script),
                            o ? &o->plot : NULL, err)) != TB_OK ||
        (e = tb_plot_png_size(res.png, &res.width, &res.height, err)) != TB_OK)
        goto out;
    tb_log(TB_LOG_INFO, "graph", "wrote %s (%ux%u) and %s, %zu rows", res.png,
           res.width, res.height, res.csv, res.rows);
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
