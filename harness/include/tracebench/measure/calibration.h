/* Calibration: how long a client must sleep per unit of work to sit at a
 * target CPU, and how much work it then does per second. */
#ifndef TRACEBENCH_CALIBRATION_H
#define TRACEBENCH_CALIBRATION_H

#include <stdint.h>
#include <time.h>

#include "tracebench/util/err.h"

/* Units of work per span in a calibration trial (LightStep's suite's):
 * the calibrated client makes work_per_second / this spans a second. */
#define TB_CALIBRATION_WORK 200000

struct tb_calibration {
    double target_cpu;        /* fraction of one core, (0, 1] */
    double sleep_per_work_ns; /* ns of sleep per unit of work */
    double work_per_second;   /* units of work per wall second */
    double last_cpu;          /* CPU of the last calibration trial */
    time_t created;           /* when it was measured, Unix seconds */
};

/* The cache file for a client, target and host:
 * <log dir>/calibration/<client>-<argv hash>-<target>-<host>.json.
 * Writes at most size bytes into buf. */
void tb_calibration_path(const char *client, unsigned long argv_hash,
                         double target_cpu, char *buf, size_t size);

/* Reads a cached calibration no older than ttl_s. TB_ERR_IO when missing,
 * stale or unreadable (not an error to report: recalibrate). */
tb_err tb_calibration_load(const char *path, double ttl_s,
                           struct tb_calibration *out, tb_error *err);
tb_err tb_calibration_save(const char *path, const struct tb_calibration *c,
                           tb_error *err);

#endif
