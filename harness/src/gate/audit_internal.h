/* Shared by audit.c (the runs) and audit_inject.c (the injections' sizes).
 * Private to harness/src/gate. */
#ifndef TB_AUDIT_INTERNAL_H
#define TB_AUDIT_INTERNAL_H

#include "regress_internal.h"
#include "tracebench/gate/audit.h"

#define TB__AUDIT_MAX_ARGS 6

/* One injection: client arguments and/or a satellite fault, for one
 * gate, judged on one figure. */
struct tb__injection {
    char *argv[TB__AUDIT_MAX_ARGS + 1]; /* NULL-terminated; static text */
    char store[TB__AUDIT_MAX_ARGS][32]; /* the numbers argv points at */
    tb_satellite_fault fault;           /* TB_FAULT_NONE: none */
};

/* Fills row (gate, figure, injection, sizing, injectable) and inj for the
 * row_index-th injection of gate; returns false when gate has no more.
 * t: the run's thresholds; rss: the healthy client's traced RSS in bytes,
 * which the leaks are sized on; slow_peak_rss: its peak RSS in a run like
 * the slow gate's typical one (0 when not probed), which the slow gate's
 * memory ratio divides by. */
bool tb__audit_injection(tb_gate gate, size_t row_index, const tb_thresholds *t,
                         double rss, double slow_peak_rss,
                         struct tb_audit_row *row, struct tb__injection *inj);

#endif
