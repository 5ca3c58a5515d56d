/* The controller: calibrates a client, then benchmarks it. */
#ifndef TRACEBENCH_CONTROLLER_H
#define TRACEBENCH_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "tracebench/measure/calibration.h"
#include "tracebench/measure/client.h"
#include "tracebench/measure/counter.h"
#include "tracebench/util/err.h"
#include "tracebench/measure/result.h"
#include "tracebench/satellite/satellite.h"

#define TB_CONTROL_DEFAULT_PORT 8023
#define TB_DEFAULT_TARGET_CPU 0.7

typedef struct tb_controller tb_controller;

struct tb_controller_opts {
    const char *client_name;   /* looked up in the registry */
    const tb_client *client;   /* or this one (copied); wins if set */
    const char *registry_path; /* NULL: <root>/clients/clients.json */
    double target_cpu;         /* 0: TB_DEFAULT_TARGET_CPU */
    int control_port;          /* -1: 8023, 0: any free port */
    double calibration_ttl_s;  /* 0: 3600, or $TB_CALIBRATION_TTL */
    bool recalibrate;          /* ignore a cached calibration */
    const struct tb_calibration *calibration; /* use this one (copied) */
    unsigned num_tags;                        /* 0: 10 */
    unsigned num_logs;                        /* 0: 15 */
    /* No calibration at all: every benchmark must then give its work
     * and repeat (tb_benchmark_opts.fixed_work), for clients that cannot
     * pace themselves. */
    bool uncalibrated;
};

/* Creates a controller and calibrates its client (or loads a cached
 * calibration). *out: caller frees with tb_controller_free. */
tb_err tb_controller_new(const struct tb_controller_opts *opts,
                         tb_controller **out, tb_error *err);
void tb_controller_free(tb_controller *c);

struct tb_benchmark_opts {
    tb_satellites *satellites; /* NULL: spans_received unavailable */
    bool trace;                /* false: the client's no-op tracer */
    bool no_flush;
    double spans_per_second; /* > 0; 0 only with fixed work */
    double runtime_s;        /* > 0; under 1 s warns */
    bool no_timeout;         /* else killed at timeout_s, or when that is 0 at
                              * 2 x runtime + 15 s + settle_max (start-up) */
    const char *const *extra_args; /* appended to argv; NULL-terminated */
    /* Put after the client's first word, the runtime (node, python3),
     * before its script: Node's --predictable for the cost gate.
     * NULL-terminated; NULL: none. */
    const char *const *runtime_args;
    /* 0, or a moment (Unix ns, CLOCK_REALTIME) from which spans are
     * counted apart: the client reports how many it started from then
     * (SpansSentAfterMark), the satellites how many of those arrived. */
    uint64_t mark_unix_ns;
    /* 0, or the limit in seconds (else see no_timeout). */
    double timeout_s;
    /* NULL, or counts the client's instructions into the result (valgrind
     * runs the client on its synthetic CPU: slow). counter_tag names the
     * run's output files. */
    tb_counter *counter;
    const char *counter_tag;
    /* Deadline pacing: the client is also given --span_period_ns
     * (SpanPeriod), 1e9 / spans_per_second, and makes span i at start +
     * i * period, sleeping only when ahead, so a client that keeps up
     * makes exactly the asked rate. Only when set, like the mark. */
    bool pace_by_deadline;
    /* 0 or 1: the calibration's work per second; else that times it. The
     * throughput gate's correction when the machine's speed has moved
     * since calibration: the untraced arm's work alone read far off the
     * target. Ignored with fixed work. */
    double work_scale;
    /* Fixed work (tracebench run --work N --repeat N [--sleep NS], the
     * cost gate, the latency gate): these values go to the client as
     * they are and no calibration is needed; the result is marked
     * uncalibrated. Both work and repeat > 0, or neither. With
     * spans_per_second 0 the run is unpaced (a cost measurement, where
     * the pace does not matter): runtime_s is ignored and only timeout_s
     * limits it. Else spans_per_second and runtime_s set the timeout and
     * the deadline pacing. */
    uint64_t fixed_work, fixed_repeat, fixed_sleep_ns;
    /* The satellites are counted once nothing is in flight and the count
     * has been still for settle_quiet_s, or after settle_max_s at most.
     * 0: 0.1 s and 1 s. */
    double settle_quiet_s, settle_max_s;
};

/* Runs one benchmark. On TB_OK *out is the result. On
 * TB_ERR_CLIENT_TIMEOUT and TB_ERR_CLIENT_CRASHED *out holds the partial
 * figures too; on other errors *out is untouched. Caller frees *out with
 * tb_result_free. */
tb_err tb_controller_benchmark(tb_controller *c,
                               const struct tb_benchmark_opts *opts,
                               tb_result **out, tb_error *err);

/* Calibrates again (ignoring the cache, and caching a good result), for
 * the drift guard: an untraced arm far from the target. */
tb_err tb_controller_recalibrate(tb_controller *c, tb_error *err);

/* Borrowed until tb_controller_free. */
const struct tb_calibration *tb_controller_calibration(const tb_controller *c);
const tb_client *tb_controller_client(const tb_controller *c);
/* The port the control endpoint listens on. */
uint16_t tb_controller_port(const tb_controller *c);

#endif
