/* The graphs' kinds by name, and where each one's files go. */
#include <stdbool.h>
#include <stdio.h>

#include "internal.h"
#include "tracebench/output/graph_kind.h"

static const char *const kind_names[TB_GRAPH__COUNT] = {
    "cpu", "dropped", "memory", "disconnect", "compare-cpu", "compare-memory"};

const char *tb_graph_kind_name(tb_graph_kind kind)
{
    return (unsigned)kind < TB_GRAPH__COUNT ? kind_names[kind] : "?";
}

tb_err tb_graph_kind_parse(const char *name, tb_graph_kind *out, tb_error *err)
{
    size_t k;

    if (tb__name_find(kind_names, TB_GRAPH__COUNT, name, &k)) {
        *out = (tb_graph_kind)k;
        return TB_OK;
    }
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "unknown graph '%s': use cpu, dropped, memory, "
                        "disconnect, compare-cpu or compare-memory",
                        name);
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
