/* Mock satellites: a group of HTTP collectors on 127.0.0.1 that decode the
 * wire protocols real tracers speak and count each span once. */
#ifndef TRACEBENCH_SATELLITE_H
#define TRACEBENCH_SATELLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TB_SATELLITE_DEFAULT_PORT 8360
#define TB_SATELLITE_DEFAULT_COUNT 8

typedef struct tb_satellites tb_satellites;

typedef enum tb_satellite_mode {
    TB_MODE_TYPICAL = 0,   /* 0.05 us of delay per span, then 200 */
    TB_MODE_SLOW_SUCCEED,  /* 1 us per span, then 200 */
    TB_MODE_SLOW_FAIL      /* 0.01 us per span, then 400; nothing counted */
} tb_satellite_mode;

/* What one benchmark saw, read by tb_satellites_collect. */
struct tb_satellite_counts {
    uint64_t spans_received;   /* unique spans (trace id + span id) */
    uint64_t duplicate_spans;  /* spans whose identity was seen before */
    uint64_t requests;
    uint64_t rejected_requests;
    uint64_t bytes;
};

struct tb_satellites_opts {
    tb_satellite_mode mode;
    const uint16_t *ports;  /* NULL: 8360-8367; a 0 entry: any free port */
    size_t n_ports;
};

/* Starts one server per port. On TB_ERR_PORT_IN_USE the message names the
 * port and nothing is left listening. *out is owned by the caller:
 * tb_satellites_free. */
tb_err tb_satellites_start(const struct tb_satellites_opts *opts,
                           tb_satellites **out, tb_error *err);

/* The ports the group listens on (the real ones when 0 was asked).
 * Borrowed until tb_satellites_free. */
size_t tb_satellites_ports(const tb_satellites *sats, const uint16_t **ports);

/* Waits until no request is in flight and the count has not moved for
 * settle_ms (bounded by max_wait_ms), then reads the counts and resets
 * them. */
tb_err tb_satellites_collect(tb_satellites *sats, unsigned settle_ms,
                             unsigned max_wait_ms,
                             struct tb_satellite_counts *out, tb_error *err);

void tb_satellites_free(tb_satellites *sats);

#endif
