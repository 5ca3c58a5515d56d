/* Kept so that code written before results.h compiles: results.jsonl is
 * written and read by the results module, tracebench/output/results.h. */
#ifndef TRACEBENCH_RECORD_H
#define TRACEBENCH_RECORD_H

#include "tracebench/gate/compare.h"
#include "tracebench/output/results.h"

/* Appends a compare line for one figure of B against A ("kind":
 * "compare", client "A vs B"). */
tb_err tb_record_compare(const char *path, const tb_compare_result *r,
                         const char *profile,
                         const struct tb_compare_figure *f, tb_error *err);

#endif
