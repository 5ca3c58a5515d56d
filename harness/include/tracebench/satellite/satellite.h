/* Mock satellites: a group of HTTP collectors on 127.0.0.1 that decode the
 * wire protocols real tracers speak and count each span once. */
#ifndef TRACEBENCH_SATELLITE_H
#define TRACEBENCH_SATELLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracebench/satellite/protocol.h"
#include "tracebench/util/err.h"

#define TB_SATELLITE_DEFAULT_PORT 8360
#define TB_SATELLITE_DEFAULT_COUNT 8
/* The per-satellite bandwidth cap of LightStep's benchmark suite, request
 * + response bytes. */
#define TB_SATELLITE_DEFAULT_BANDWIDTH_BYTES_PER_S (50ull * 1000 * 1000)
#define TB_SATELLITE_NO_BANDWIDTH_CAP UINT64_MAX
#define TB_SATELLITE_DEFAULT_MAX_BODY_BYTES (64u * 1024 * 1024)
#define TB_SATELLITE_DEFAULT_IDLE_TIMEOUT_S 30
#define TB_SATELLITE_DEFAULT_RETRY_AFTER_S 1
#define TB_SATELLITE_DEFAULT_MAX_CONNECTIONS 512 /* per satellite */
#define TB_SATELLITE_DEFAULT_REQUEST_DEADLINE_S 60
#define TB_SATELLITE_DEFAULT_MIN_UPLOAD_BYTES_PER_S 1000
#define TB_SATELLITE_DEFAULT_BODY_MEMORY_BYTES (128u * 1024 * 1024)

typedef struct tb_satellites tb_satellites;

typedef enum tb_satellite_mode {
    TB_MODE_TYPICAL = 0,  /* 0.05 us of delay per span, then 200 */
    TB_MODE_SLOW_SUCCEED, /* 1 us per span, then 200 */
    TB_MODE_SLOW_FAIL,    /* 0.01 us per span, then 400; nothing counted */
    TB_MODE__COUNT
} tb_satellite_mode;

/* Faults a tracer meets in production, on top of the mode. A faulted
 * request's spans are not counted (but for count_503). */
typedef enum tb_satellite_fault {
    TB_FAULT_NONE = 0,
    TB_FAULT_429,         /* 429 Too Many Requests with Retry-After */
    TB_FAULT_503,         /* 503 Service Unavailable with Retry-After */
    TB_FAULT_500,         /* 500 Internal Server Error */
    TB_FAULT_HANG,        /* read the request, never answer */
    TB_FAULT_REFUSE,      /* listeners closed: connections are refused */
    TB_FAULT_COUNT_503,   /* count the report's spans, then answer 503
                             (every other report): a tracer that retries
                             sends them again, and the resent spans are
                             counted as duplicates */
    TB_FAULT_COUNT_RESET, /* count the report's spans, then close the
                             connection unanswered (every other report):
                             for tracers that retry on a network error */
    TB_FAULT__COUNT
} tb_satellite_fault;

/* What one benchmark saw, read by tb_satellites_collect. */
struct tb_satellite_counts {
    uint64_t spans_received;  /* unique spans (trace id + span id) */
    uint64_t duplicate_spans; /* spans whose identity was seen before */
    uint64_t requests;
    uint64_t rejected_requests; /* undecodable (400) or too large (413) */
    uint64_t failed_requests;   /* answered by slow_fail or a fault */
    uint64_t bytes;             /* request body bytes, as sent */
    /* From the unique spans' own start times (the tracer's clock, Unix
     * ns; spans that carry none are left out): */
    uint64_t first_start_ns;   /* the earliest; 0 when none */
    uint64_t last_start_ns;    /* the latest */
    uint64_t spans_after_mark; /* started at or after the mark */
};

struct tb_satellites_opts {
    tb_satellite_mode mode;
    tb_satellite_fault fault; /* TB_FAULT_NONE normally */
    const uint16_t *ports;    /* NULL: 8360-8367; a 0 entry: any free port */
    size_t n_ports;
    double span_delay_us;           /* 0: the mode's; < 0: no delay */
    uint64_t bandwidth_bytes_per_s; /* 0: 50 MB/s; or NO_BANDWIDTH_CAP */
    size_t max_body_bytes;          /* 0: 64 MiB; larger bodies get 413 */
    unsigned idle_timeout_s;        /* 0: 30 s */
    unsigned retry_after_s;         /* 0: 1 s; for the 429/503 faults */
    /* Limits against a hostile or broken client (all counted in /stats):
     * connections past max_connections are closed at once; a request
     * still being read after request_deadline_s, or slower than
     * min_upload_bytes_per_s once a second old, is cut; the bodies (as
     * inflated) of all requests in flight share body_memory_bytes, past
     * which a request is answered 503 with Retry-After. */
    unsigned max_connections;        /* 0: 512 per satellite */
    double request_deadline_s;       /* 0: 60 s */
    uint64_t min_upload_bytes_per_s; /* 0: 1000 */
    size_t body_memory_bytes;        /* 0: 128 MiB (at least max_body) */
    double response_delay_ms;        /* held before every report's answer,
                                        on top of the per-span delay; 0 */
    bool connection_close;           /* answer, then close the connection
                                        (LightStep's satellite's way);
                                        false: keep it alive */
};

/* Starts one server per port. On TB_ERR_PORT_IN_USE the message names the
 * port and nothing is left listening. With TB_FAULT_REFUSE nothing listens
 * until the fault is cleared, but the ports are reserved first (a port 0
 * is resolved). *out is owned by the caller: tb_satellites_free. */
tb_err tb_satellites_start(const struct tb_satellites_opts *opts,
                           tb_satellites **out, tb_error *err);

/* The ports the group listens on (the real ones when 0 was asked).
 * Borrowed until tb_satellites_free. */
size_t tb_satellites_ports(const tb_satellites *sats, const uint16_t **ports);

/* Unique spans counted since the last reset, over the group. */
uint64_t tb_satellites_spans_received(const tb_satellites *sats);

/* The counts since the last reset, over the group, without resetting. */
void tb_satellites_counts(const tb_satellites *sats,
                          struct tb_satellite_counts *out);

/* The same for one protocol. */
void tb_satellites_protocol_counts(const tb_satellites *sats,
                                   tb_satellite_protocol proto,
                                   struct tb_satellite_counts *out);

/* Waits until no request is in flight and the counts have not moved for
 * settle_ms (bounded by max_wait_ms; 0, 0 means 100 ms, 1000 ms), then
 * reads the counts and resets them. Always TB_OK today; a bound reached is
 * logged as a warning. */
tb_err tb_satellites_collect(tb_satellites *sats, unsigned settle_ms,
                             unsigned max_wait_ms,
                             struct tb_satellite_counts *out, tb_error *err);

/* Spans started at or after unix_ns (0: no mark) are counted apart, in
 * spans_after_mark. A reset keeps the mark. */
void tb_satellites_set_mark(tb_satellites *sats, uint64_t unix_ns);

/* Zeroes every count and forgets every span id seen. */
void tb_satellites_reset(tb_satellites *sats);

/* True when every satellite of the group is listening. */
bool tb_satellites_all_running(const tb_satellites *sats);

/* Stops every server (requests in flight are cut, hung ones released);
 * counts and ports are kept. Idempotent. */
void tb_satellites_shutdown(tb_satellites *sats);

/* Starts the stopped servers again on the same ports. TB_ERR_PORT_IN_USE
 * when one was taken meanwhile (then none listens). A no-op when running.
 * Clears a TB_FAULT_REFUSE fault. */
tb_err tb_satellites_restart(tb_satellites *sats, tb_error *err);

/* Switch the mode or fault mid-test; the next request sees it. Setting
 * TB_FAULT_REFUSE stops the servers; clearing it starts them again and
 * can fail like tb_satellites_restart. set_mode resets the per-span delay
 * to the mode's unless opts.span_delay_us overrode it. */
void tb_satellites_set_mode(tb_satellites *sats, tb_satellite_mode mode);
tb_err tb_satellites_set_fault(tb_satellites *sats, tb_satellite_fault fault,
                               tb_error *err);
/* delay_us < 0: the mode's delay again. */
void tb_satellites_set_span_delay(tb_satellites *sats, double delay_us);
/* A fixed delay before every report's answer (ms, >= 0), as from a
 * collector far away or overloaded; 0: none. */
void tb_satellites_set_response_delay(tb_satellites *sats, double delay_ms);
/* Answer, then close the connection (true), or keep it alive (false). */
void tb_satellites_set_connection_close(tb_satellites *sats, bool close);

/* Per-protocol and per-satellite figures as a JSON object (what GET /stats
 * answers). malloc'd; the caller frees. NULL when out of memory. */
char *tb_satellites_stats_json(const tb_satellites *sats);

/* Stops every server and frees the group. NULL is fine. */
void tb_satellites_free(tb_satellites *sats);

/* Names: "typical", "slow_succeed", "slow_fail"; "none", "429", "503",
 * "500", "hang", "refuse", "count_503", "count_reset"; "lightstep",
 * "lightstep_json", "otlp", "otlp_json", "zipkin", "datadog". Static strings.
 */
const char *tb_satellite_mode_name(tb_satellite_mode mode);
const char *tb_satellite_fault_name(tb_satellite_fault fault);
const char *tb_satellite_protocol_name(tb_satellite_protocol proto);

/* Name to enum. TB_ERR_INVALID_ARG naming the value and listing the valid
 * names; *out untouched then. */
tb_err tb_satellite_mode_parse(const char *name, tb_satellite_mode *out,
                               tb_error *err);
tb_err tb_satellite_fault_parse(const char *name, tb_satellite_fault *out,
                                tb_error *err);
/* "keep-alive" (false) or "close" (true). */
tb_err tb_satellite_connection_parse(const char *name, bool *close,
                                     tb_error *err);

/* The mode's per-span delay, microseconds. */
double tb_satellite_mode_delay_us(tb_satellite_mode mode);

#endif
