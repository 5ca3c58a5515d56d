/* The C client's control values. */
#ifndef TB_CLIENT_H
#define TB_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

struct client_config {
    bool trace;
    bool no_flush;
    uint64_t sleep_ns;           /* sleep per span, ns */
    uint64_t sleep_interval_ns;  /* the slice sleep debt is paid in, ns */
    uint64_t work;               /* multiplications per span */
    uint64_t repeat;             /* spans to make */
    unsigned num_tags, num_logs; /* per span */
    uint64_t burn_ns;            /* regression injector: busy ns per span */
    uint64_t burn_iters;         /* regression injector: loop iterations
                                    per span, in the calling thread */
    uint64_t leak_bytes;         /* regression injector: bytes kept per span */
    uint64_t drop_every;         /* regression injector: unfinished span */
    uint64_t stall_every;        /* regression injector: every Nth finish */
    uint64_t stall_us;           /* ...blocks the caller this long */
    uint64_t span_burn_ns;       /* injector: busy ns per span, this thread */
    uint64_t leak_after_ms;      /* injector: leak only from then on */
    uint64_t leak_when_slow_ms;  /* injector: leak only while the first
                                    satellite answers this slowly, ms */
    uint64_t block_every;        /* injector: synchronous POST every N */
    bool skip_flush;             /* injector: exit without flush or close */
    uint64_t mark_ns;            /* count spans started from then (Unix ns) */
    uint64_t span_period_ns;     /* > 0: span i due at start + i * this */
    bool ignore_sleep;           /* test aid: a client that never sleeps */
    uint64_t spans_per_repeat;   /* test aid: spans made per repeat */
    bool flush_workaround; /* datadog: hold back two roots, Close() twice */
    char host[256];        /* satellite host */
    int port;              /* first satellite port, -1 if none */
};

struct body {
    char buf[65536];
    size_t len;
};

#endif
