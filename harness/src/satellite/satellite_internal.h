/* The satellite group's insides, shared by satellite.c (the group: start,
 * stop, counts) and satellite_http.c (one request). Internal. */
#ifndef TB_SATELLITE_INTERNAL_H
#define TB_SATELLITE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "dedup.h"
#include "tracebench/satellite/satellite.h"

struct MHD_Daemon;

#define TB__MAX_REASONS 8

/* Why requests of one protocol were rejected, by distinct one-line reason;
 * reasons past TB__MAX_REASONS fall into other_reasons. */
struct tb__reason {
    char text[120];
    uint64_t count;
};

struct tb__proto_stats {
    uint64_t requests;
    uint64_t spans;             /* unique spans */
    uint64_t duplicate_spans;
    uint64_t bytes;             /* body bytes as received */
    uint64_t rejected;          /* 400 undecodable, 413 too large */
    uint64_t failed;            /* answered by slow_fail or a fault */
    uint64_t first_start_ns;    /* earliest unique span's start; 0: none */
    uint64_t last_start_ns;     /* latest unique span's start */
    uint64_t spans_after_mark;  /* unique spans started at or after mark */
    struct tb__reason reasons[TB__MAX_REASONS];
    size_t n_reasons;
    uint64_t other_reasons;
};

struct tb__satellite {
    struct tb_satellites *group;
    uint16_t port;              /* the real port once started */
    struct MHD_Daemon *daemon;  /* NULL while stopped */
    uint64_t spans_received;    /* unique spans counted here; group lock */
    uint64_t requests;          /* group lock */
    pthread_mutex_t bw_lock;
    struct timespec bw_free;    /* CLOCK_MONOTONIC: when the link is free */
};

struct tb_satellites {
    pthread_mutex_t admin;      /* serialises start, stop, set_fault */
    pthread_mutex_t lock;       /* counts, reasons, stopping */
    pthread_cond_t wake;        /* CLOCK_MONOTONIC; sleeps and hangs */
    bool stopping;              /* lock; releases sleeping handlers */
    /* Read-held by a request recording its spans (ids, then counts),
     * write-held by a reset: a request is wholly before or after a reset
     * although its ids go in without the group lock. Taken before lock. */
    pthread_rwlock_t reset_rw;

    struct tb__dedup *dedup;    /* thread-safe; cleared under reset_rw */
    struct tb__proto_stats proto[TB_PROTO__COUNT]; /* lock */
    uint64_t not_found;         /* lock; 404 answers */
    uint64_t bad_method;        /* lock; 405 answers */

    atomic_uint_fast64_t mark_ns; /* Unix ns; 0: no mark */
    atomic_int in_flight;       /* requests between first call and done */
    atomic_uint_fast64_t activity; /* bumped by every request event */
    atomic_int mode;            /* tb_satellite_mode */
    atomic_int fault;           /* tb_satellite_fault */
    atomic_uint_fast64_t span_delay_ps; /* per span, picoseconds */
    bool delay_overridden;      /* admin; opts or set_span_delay */

    uint64_t bandwidth_bps;     /* bytes/s; TB_SATELLITE_NO_BANDWIDTH_CAP */
    size_t max_body_bytes;
    unsigned idle_timeout_s;
    unsigned retry_after_s;

    size_t n;
    uint16_t *ports;            /* n, real ports */
    struct tb__satellite *sats; /* n */
};

/* Starts one satellite's server on sat->port (0: any; then sat->port is
 * set). TB_ERR_PORT_IN_USE naming the port. */
tb_err tb__satellite_listen(struct tb__satellite *sat, tb_error *err);

/* Stops one server; the caller has released sleeping handlers. */
void tb__satellite_stop(struct tb__satellite *sat);

/* Records a rejected request's reason; group lock held. */
void tb__proto_stats_reason(struct tb__proto_stats *ps, const char *reason);

#endif
