/* The results.jsonl reader: the summary made from it. */
#include "fuzz_common.h"
#include "tracebench/output/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char results[600], md[600], bench[600];
    struct tb_summary_opts o = {0};
    tb_error err = {0};

    snprintf(results, sizeof(results), "%s", tbz_path("results.jsonl"));
    snprintf(md, sizeof(md), "%s", tbz_path("summary.md"));
    snprintf(bench, sizeof(bench), "%s", tbz_path("benchmarks.json"));
    tbz_write(results, data, size);
    o.results_path = results;
    o.md_path = md;
    o.bench_path = bench;
    if (tb_summary_write(&o, NULL, &err) != TB_OK && err.msg[0] == '\0')
        abort();
    return 0;
}
