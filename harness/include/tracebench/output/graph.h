/* Graphs: the four figures of LightStep's benchmark suite for one client
 * (CPU, dropped spans, memory, unreliable satellites) and the cross-client
 * comparisons, each a PNG drawn by gnuplot with its raw data next to it as
 * CSV. */
#ifndef TRACEBENCH_GRAPH_H
#define TRACEBENCH_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracebench/measure/controller.h"
#include "tracebench/output/graph_kind.h"
#include "tracebench/util/err.h"
#include "tracebench/output/plot.h"
#include "tracebench/satellite/satellite.h"
#include "tracebench/measure/sweep.h"

#define TB_GRAPH_MAX_RATES 32

/* What a graph measures. */
struct tb_graph_settings {
    double rates[TB_GRAPH_MAX_RATES]; /* spans per second asked for */
    size_t n_rates;
    unsigned trials;  /* benchmarks per rate and side, >= 1 */
    double runtime_s; /* of each benchmark, s */
    double down_at_s; /* disconnect: satellites down, s in */
    double up_at_s;   /* disconnect: and back, s in */
};

/* The settings of LightStep's benchmark suite for kind, or with quick a
 * version that runs in about a minute per client (after calibration). */
void tb_graph_defaults(tb_graph_kind kind, bool quick,
                       struct tb_graph_settings *out);

/* Sets the runtime; for the disconnect graph the down and up moments keep
 * their share of it (30 s and 120 s of 180 s). */
void tb_graph_set_runtime(struct tb_graph_settings *s, tb_graph_kind kind,
                          double runtime_s);

/* Benchmarks a graph of kind runs with these settings, per client. */
size_t tb_graph_benchmarks(tb_graph_kind kind,
                           const struct tb_graph_settings *s);

struct tb_graph_opts {
    const char *out_dir;           /* NULL: <root>/graphs; created if missing */
    struct tb_plot_opts plot;      /* which gnuplot */
    tb_satellites *satellites;     /* borrowed; needed for dropped spans and
                                      the disconnect graph */
    tb_sweep_progress_fn progress; /* NULL: none */
    void *progress_arg;
};

/* What a graph wrote. */
struct tb_graph_output {
    char png[4096];         /* <out>/<client>-<kind>.png */
    char csv[4096];         /* the raw data, one row per point */
    char script[4096];      /* the gnuplot script; rerun it in <out> */
    size_t rows;            /* data rows in the CSV (header aside) */
    size_t failed;          /* benchmarks whose client crashed or
                               timed out (in the CSV, not the lines) */
    uint32_t width, height; /* of the PNG, pixels */
};

/* Measures and draws one graph. ctls holds one controller for the
 * one-client kinds, one per client for the compare kinds (borrowed).
 * gnuplot is looked for before anything is measured. On TB_OK *out says
 * what was written; on failure *out is untouched. */
tb_err tb_graph_draw(tb_graph_kind kind, tb_controller *const *ctls,
                     size_t n_ctls, const struct tb_graph_settings *s,
                     const struct tb_graph_opts *opts,
                     struct tb_graph_output *out, tb_error *err);

#endif
