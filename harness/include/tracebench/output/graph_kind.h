/* The graphs' kinds, their names and their files: what a reader of the
 * graphs (the report) needs, without the controller and the sweeps that
 * draw them (graph.h). */
#ifndef TRACEBENCH_GRAPH_KIND_H
#define TRACEBENCH_GRAPH_KIND_H

#include <stddef.h>

#include "tracebench/util/err.h"

typedef enum tb_graph_kind {
    TB_GRAPH_CPU = 0,        /* CPU vs spans/s, traced and untraced */
    TB_GRAPH_DROPPED,        /* dropped % and CPU vs spans/s, traced */
    TB_GRAPH_MEMORY,         /* RSS over time, one line per rate, traced */
    TB_GRAPH_DISCONNECT,     /* four panels: satellites going away */
    TB_GRAPH_COMPARE_CPU,    /* tracer CPU overhead vs spans/s, per client */
    TB_GRAPH_COMPARE_MEMORY, /* peak RSS vs spans/s, per client */
    TB_GRAPH__COUNT
} tb_graph_kind;

/* "cpu", "dropped", "memory", "disconnect", "compare-cpu",
 * "compare-memory": static strings, also the files' suffixes. */
const char *tb_graph_kind_name(tb_graph_kind kind);
/* TB_ERR_INVALID_ARG listing the names; *out untouched then. */
tb_err tb_graph_kind_parse(const char *name, tb_graph_kind *out, tb_error *err);

/* <dir>/<client>-<kind>.<ext>, with every character of the client name
 * outside [A-Za-z0-9._-] written as '_'; the compare kinds use "compare"
 * for the client. Writes at most size bytes. */
void tb_graph_path(const char *dir, const char *client, tb_graph_kind kind,
                   const char *ext, char *buf, size_t size);

#endif
