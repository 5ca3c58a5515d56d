/* What graph.c (kinds, planning, drawing), graph_csv.c (the figures of a
 * sweep and its CSV) and graph_gnuplot.c (the scripts) share. Private to
 * output/. */
#ifndef TB_GRAPH_INTERNAL_H
#define TB_GRAPH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"
#include "tracebench/output/graph.h"

#define MIB (1024.0 * 1024.0)

#define N_SCENARIOS 4 /* panels of the disconnect graph */

struct tb__graph_agg {
    size_t n;
    double mean, min, max;
};

/* Column numbers the gnuplot scripts use; keep in step with the header. */
#define RUN_CSV_HEADER                                                         \
    "trial,traced,target_sps,spans_per_second,cpu_percent,spans_sent,"         \
    "spans_received,dropped_percent,peak_rss_bytes,clock_time_s,status,"       \
    "client\n"
#define COL_TRACED 2
#define COL_TARGET 3
#define COL_CPU 5
#define COL_DROPPED 8
#define COL_PEAK 9
#define COL_STATUS 11

#define SAMPLE_CSV_HEADER                                                      \
    "scenario,trial,traced,target_sps,second,cpu_percent,rss_bytes,"           \
    "down_at_s,up_at_s,status,client\n"

/* The disconnect graph's panels, by sweep group. */
extern const char *const tb__graph_scenario_names[N_SCENARIOS];

void tb__graph_agg_add(struct tb__graph_agg *a, double v);

double tb__graph_cpu_pct(const tb_result *r);

double tb__graph_dropped_pct(const tb_result *r);

double tb__graph_peak_mib(const tb_result *r);

size_t tb__graph_run_csv(struct tb__buf *b, const char *client,
                         const tb_sweep *sw);

size_t tb__graph_sample_csv(struct tb__buf *b, const char *client,
                            const tb_sweep *sw, bool scenarios);

bool tb__graph_usable(const struct tb_sweep_point *p);

const char *tb__graph_base_name(const char *path);

void tb__graph_gp_header(struct tb__buf *b, tb_graph_kind kind,
                         const char *client, const char *png, const char *csv,
                         const char *script, unsigned width, unsigned height);

tb_err tb__graph_script_compare(struct tb__buf *b, tb_graph_kind kind,
                                const char *const *clients,
                                tb_sweep *const *sws, size_t n,
                                const struct tb_graph_settings *s);

tb_err tb__graph_script_cpu(struct tb__buf *b, const char *client,
                            const tb_sweep *sw,
                            const struct tb_graph_settings *s, const char *csv);

tb_err tb__graph_script_disconnect(struct tb__buf *b, const char *client,
                                   const tb_sweep *sw,
                                   const struct tb_graph_settings *s);

tb_err tb__graph_script_dropped(struct tb__buf *b, const char *client,
                                const tb_sweep *sw,
                                const struct tb_graph_settings *s,
                                const char *csv);

tb_err tb__graph_script_memory(struct tb__buf *b, const char *client,
                               const tb_sweep *sw,
                               const struct tb_graph_settings *s);

#endif
