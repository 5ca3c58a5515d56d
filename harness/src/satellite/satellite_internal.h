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
    uint64_t spans; /* unique spans */
    uint64_t duplicate_spans;
    uint64_t bytes;            /* body bytes as received */
    uint64_t rejected;         /* 400 undecodable, 413 too large */
    uint64_t failed;           /* answered by slow_fail or a fault */
    uint64_t first_start_ns;   /* earliest unique span's start; 0: none */
    uint64_t last_start_ns;    /* latest unique span's start */
    uint64_t spans_after_mark; /* unique spans started at or after mark */
    struct tb__reason reasons[TB__MAX_REASONS];
    size_t n_reasons;
    uint64_t other_reasons;
};

/* What the watchdog (satellite_limits.c) sees of a connection: a node in
 * the group's list, linked while the connection lives. */
struct tb__conn_watch {
    struct tb__conn_watch *prev, *next; /* group conns_lock */
    int fd;
    atomic_bool reading;           /* a request body is being read */
    atomic_uint_fast64_t start_ns; /* CLOCK_MONOTONIC, request began */
    atomic_uint_fast64_t received; /* body bytes read so far */
    bool cut;                      /* conns_lock; shut down once */
};

struct tb__satellite {
    struct tb_satellites *group;
    uint16_t port;              /* the real port once started */
    struct MHD_Daemon *daemon;  /* NULL while stopped */
    struct MHD_Daemon *daemon6; /* [::1]; NULL without IPv6 */
    atomic_int connections;     /* open now, on both loopbacks */
    uint64_t spans_received;    /* unique spans counted here; group lock */
    uint64_t requests;          /* group lock */
    pthread_mutex_t bw_lock;
    struct timespec bw_free; /* CLOCK_MONOTONIC: when the link is free */
};

struct tb_satellites {
    /* The one thing the HTTP layer asks of the group above it (GET
     * /stats), passed down so that satellite_http.c calls nothing of
     * satellite.c: tb_satellites_stats_json, set at start. */
    char *(*stats_json)(const struct tb_satellites *g);
    pthread_mutex_t admin; /* serialises start, stop, set_fault */
    pthread_mutex_t lock;  /* counts, reasons, stopping */
    pthread_cond_t wake;   /* CLOCK_MONOTONIC; sleeps and hangs */
    bool stopping;         /* lock; releases sleeping handlers */
    /* Read-held by a request recording its spans (ids, then counts),
     * write-held by a reset: a request is wholly before or after a reset
     * although its ids go in without the group lock. Taken before lock. */
    pthread_rwlock_t reset_rw;

    struct tb__dedup *dedup; /* thread-safe; cleared under reset_rw */
    struct tb__proto_stats proto[TB_PROTO__COUNT]; /* lock */
    uint64_t not_found;                            /* lock; 404 answers */
    uint64_t bad_method;                           /* lock; 405 answers */

    atomic_uint_fast64_t mark_ns;  /* Unix ns; 0: no mark */
    atomic_int in_flight;          /* requests between first call and done */
    atomic_uint_fast64_t activity; /* bumped by every request event */
    atomic_int mode;               /* tb_satellite_mode */
    atomic_int fault;              /* tb_satellite_fault */
    atomic_uint_fast64_t span_delay_ps;     /* per span, picoseconds */
    bool delay_overridden;                  /* admin; opts or set_span_delay */
    atomic_uint_fast64_t response_delay_ns; /* per report; 0: none */
    atomic_bool connection_close;           /* answer, then close */
    atomic_uint counted_faults; /* reports met by count_503/count_reset */

    uint64_t bandwidth_bytes_per_s; /* or TB_SATELLITE_NO_BANDWIDTH_CAP */
    size_t max_body_bytes;
    unsigned idle_timeout_s;
    unsigned retry_after_s;

    /* Limits (satellite_limits.c). */
    unsigned max_connections; /* per satellite */
    uint64_t request_deadline_ns;
    uint64_t min_upload_bytes_per_s;
    size_t body_memory_bytes;
    atomic_size_t body_reserved;  /* bytes of body buffers held, all conns */
    uint64_t refused_connections; /* lock; over max_connections */
    uint64_t cut_slow;            /* lock; cut for a slow upload */
    uint64_t cut_deadline;        /* lock; cut at the request deadline */
    uint64_t over_memory;         /* lock; 503 for body_memory_bytes */
    pthread_mutex_t conns_lock;   /* the list below, watchdog_stop */
    pthread_cond_t conns_wake;    /* CLOCK_MONOTONIC */
    struct tb__conn_watch conns;  /* list head */
    bool watchdog_stop;
    bool watchdog_running;
    pthread_t watchdog;

    size_t n;
    uint16_t *ports;            /* n, real ports */
    struct tb__satellite *sats; /* n */
};

/* Starts one satellite's server on sat->port (0: any; then sat->port is
 * set). TB_ERR_PORT_IN_USE naming the port. */
tb_err tb__satellite_listen(struct tb__satellite *sat, tb_error *err);

/* Stops one server; the caller has released sleeping handlers. */
void tb__satellite_stop(struct tb__satellite *sat);

/* satellite_limits.c: the watchdog thread that cuts slow and overdue
 * uploads, the connection list it reads, the shared body budget. */
tb_err tb__limits_start(struct tb_satellites *g, tb_error *err);
void tb__limits_stop(struct tb_satellites *g);
void tb__conn_watch_add(struct tb_satellites *g, struct tb__conn_watch *w,
                        int fd);
void tb__conn_watch_remove(struct tb_satellites *g, struct tb__conn_watch *w);
/* Reserves n more bytes of body memory; false (nothing reserved) when the
 * budget would be exceeded. */
bool tb__body_reserve(struct tb_satellites *g, size_t n);
void tb__body_release(struct tb_satellites *g, size_t n);
/* A body buffer of new_cap bytes (p NULL: a new one), its bytes kept;
 * NULL when out of memory, p then unchanged. Free with tb__body_unmap. */
uint8_t *tb__body_resize(uint8_t *p, size_t cap, size_t new_cap);
void tb__body_unmap(uint8_t *p, size_t cap);

#endif
