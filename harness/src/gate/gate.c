/* Gate names: the one table between tb_gate and the names used in
 * results.jsonl, thresholds keys and the command line. */
#include "internal.h"
#include "tracebench/gate/gate.h"

static const char *const gate_names[TB_GATE__COUNT] = {
    "memory", "drops",  "cpu",  "throughput", "duplicates",
    "flush",  "outage", "slow", "cost",       "latency"};

const char *tb_gate_name(tb_gate gate)
{
    return (unsigned)gate < TB_GATE__COUNT ? gate_names[gate] : "unknown";
}

tb_err tb_gate_parse(const char *name, tb_gate *out, tb_error *err)
{
    size_t i;

    if (tb__name_find(gate_names, TB_GATE__COUNT, name, &i)) {
        *out = (tb_gate)i;
        return TB_OK;
    }
    return tb_error_set(
        err, TB_ERR_INVALID_ARG,
        "no gate named '%s' (gates: memory, drops, cpu, "
        "throughput, duplicates, flush, outage, slow, cost, latency)",
        name);
}
