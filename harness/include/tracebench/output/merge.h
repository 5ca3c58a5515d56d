/* Merging shards: a CI matrix runs `make regress` for one client (or
 * profile) per machine, uploads each machine's logs/ folder, and one last
 * job merges them into the files one machine would have written:
 * results.jsonl, summary.md, benchmarks*.json, bmf.json, a JUnit file and
 * report.html. Shards held to different thresholds files or profiles are
 * refused: their verdicts do not add up. */
#ifndef TRACEBENCH_MERGE_H
#define TRACEBENCH_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include "tracebench/util/err.h"

struct tb_merge_opts {
    const char *const *shards; /* folders, each holding results.jsonl */
    size_t n_shards;           /* >= 1 */
    const char *out_dir;       /* NULL: the log dir; created if missing */
    const char *graphs_dir;    /* for report.html; NULL or "": none */
};

/* What the merged files hold. */
struct tb_merge_summary {
    size_t shards;
    size_t lines;   /* lines copied, runs and gates */
    size_t figures; /* gate lines */
    size_t pass, fail, inconclusive, errors;
};

/* Takes from each shard the lines of its latest run (the run id of its
 * last gate line: a runner's logs/ may keep older runs) and writes
 * <out>/results.jsonl, summary.md (the table also to console, which may be
 * NULL), benchmarks.json, benchmarks-smaller.json, benchmarks-bigger.json,
 * bmf.json, junit-merged.xml and report.html.
 * TB_ERR_CONFIG when two shards (or two lines of one) differ in profile or
 * thresholds digest: the message names both shards and the difference
 * ("shard b: thresholds differ from shard a's: js.json differs"). TB_ERR_IO
 * for a shard without results.jsonl or without gate lines, or an out_dir
 * that is one of the shards. sum may be NULL; filled on TB_OK. */
tb_err tb_merge(const struct tb_merge_opts *o, struct tb_merge_summary *sum,
                FILE *console, tb_error *err);

#endif
