/* Unit-aware parsing for options: "10k" spans, "30s", "500ms", "2m". Bad
 * text is rejected with a message naming it, never clamped. */
#ifndef TRACEBENCH_UNITS_H
#define TRACEBENCH_UNITS_H

#include "tracebench/util/err.h"

/* A non-negative number with an optional k/M/G suffix (x1000). */
tb_err tb_units_parse_count(const char *what, const char *s, double *out,
                            tb_error *err);

/* Seconds from "10", "10s", "500ms", "2m", "1h". */
tb_err tb_units_parse_duration(const char *what, const char *s, double *out_s,
                               tb_error *err);

/* A fraction in (0, 1], from "0.7" or "70%". */
tb_err tb_units_parse_fraction(const char *what, const char *s, double *out,
                               tb_error *err);

#endif
