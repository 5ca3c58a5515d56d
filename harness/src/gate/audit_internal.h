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

/* What the injections are sized on, measured or read before the runs. */
struct tb__audit_basis {
    double rss;             /* the healthy client's traced RSS, bytes: the
                               leaks are sized on it */
    double slow_peak_rss;   /* its peak RSS in a run like the slow gate's
                               typical one, which the slow gate's memory
                               ratio divides by; 0: not probed */
    double slow_overhead_s; /* the loop's time a span outside its work and
                               sleeps in that run (LoopOverheadNs); 0:
                               not probed or not sent */
    bool dup_every;         /* the client has --dup_every (its registry
                               entry's "injectors") */
};

/* Fills row (gate, figure, injection, sizing, injectable) and inj for the
 * row_index-th injection of gate; returns false when gate has no more.
 * t: the run's thresholds. */
bool tb__audit_injection(tb_gate gate, size_t row_index, const tb_thresholds *t,
                         const struct tb__audit_basis *b,
                         struct tb_audit_row *row, struct tb__injection *inj);

#endif
