/* Counters: the instructions (and, where the hardware gives them, cycles)
 * a client executes, over all its threads and children. A count of
 * executed instructions does not depend on what else runs on the machine,
 * where CPU time carries several points of noise.
 *
 * Backends:
 *   perf      perf_event_open with inherit: exact and nearly free, but only
 *             where the CPU's counters are exposed (bare metal; most VMs
 *             have none, and then `perf stat -e instructions` says "not
 *             supported").
 *   valgrind  cachegrind (--cache-sim=no --trace-children=yes): the client
 *             runs on valgrind's synthetic CPU, 10-50 times slower; counts
 *             instructions only, per function too (cg_annotate).
 *   none      no count.
 *   auto      perf when the hardware counts instructions, else valgrind
 *             when it is installed, else none. */
#ifndef TRACEBENCH_COUNTER_H
#define TRACEBENCH_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "tracebench/util/err.h"

typedef enum {
    TB_COUNTER_AUTO,
    TB_COUNTER_PERF,
    TB_COUNTER_VALGRIND,
    TB_COUNTER_NONE
} tb_counter_kind;

/* "auto", "perf", "valgrind", "none". */
const char *tb_counter_name(tb_counter_kind k);
tb_err tb_counter_parse(const char *name, tb_counter_kind *out, tb_error *err);

/* True when perf_event_open can count instructions here (a hardware
 * counter exists and the kernel lets this process use it). With why
 * non-NULL, the reason when it cannot. */
bool tb_counter_perf_available(char *why, size_t why_size);

/* The count of one client run. */
struct tb_count {
    tb_counter_kind backend; /* perf, valgrind or none */
    uint64_t instructions;
    uint64_t cycles; /* 0 unless has_cycles */
    bool has_cycles; /* perf only */
};

typedef struct tb_counter tb_counter;

/* A counter of the kind asked for (auto is resolved here). perf or
 * valgrind asked for but unavailable fails with TB_ERR_CONFIG naming what
 * is missing (for valgrind: the Debian package). out_dir: where valgrind
 * writes its per-process output files (created; NULL: <log dir>/cost).
 * *out: tb_counter_free. */
tb_err tb_counter_new(tb_counter_kind kind, const char *out_dir,
                      tb_counter **out, tb_error *err);
void tb_counter_free(tb_counter *c);
tb_counter_kind tb_counter_backend(const tb_counter *c);

/* Around one client run, on the thread that spawns the client:
 * tb_counter_begin returns in *prefix the argv to put before the client's
 * (NULL-terminated; empty for perf and none; borrowed until the next
 * begin), tag names the run's output files; tb_counter_end, after the
 * client was reaped, gives its count. For perf, begin opens counters on
 * the calling thread that are disabled, inherited by the children it
 * spawns and enabled only when a child execs: the harness's own work is
 * never counted, its children's is summed in at their exit. */
tb_err tb_counter_begin(tb_counter *c, const char *tag,
                        const char *const **prefix, tb_error *err);
tb_err tb_counter_end(tb_counter *c, struct tb_count *out, tb_error *err);

/* The valgrind output files of the last run (NULL-terminated, borrowed
 * until the next begin), for per-function attribution; empty for perf. */
const char *const *tb_counter_files(const tb_counter *c);

/* Sums the "summary:" line of a cachegrind output file into *ir. */
tb_err tb_counter_read_cachegrind(const char *path, uint64_t *ir,
                                  tb_error *err);

#endif
