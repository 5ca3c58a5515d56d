/* Attribution: which functions' instruction counts grew between two
 * cachegrind profiles (a baseline's traced run and this one's), so that a
 * failing cost gate names where the new instructions are. Cachegrind
 * records, per function, the source file it was compiled from (or "???"
 * without debug information), not the object file: that file is what is
 * named. For Python and Node clients the functions are the interpreter's
 * and the JIT's (e.g. _PyEval_EvalFrameDefault), not the script's. */
#ifndef TRACEBENCH_ATTRIBUTION_H
#define TRACEBENCH_ATTRIBUTION_H

#include <stddef.h>
#include <stdint.h>

#include "tracebench/util/err.h"

struct tb_growth {
    char function[192];
    char file[192];       /* source file, "???" when unknown */
    double before, after; /* instructions */
};

/* The up to max functions whose counts grew most from before to after,
 * largest growth first; *n how many (only growths > 0). */
tb_err tb_attribution_diff(const char *before, const char *after,
                           struct tb_growth *out, size_t max, size_t *n,
                           tb_error *err);

/* "f (file) +N" lines joined by "; " into buf. */
void tb_attribution_format(const struct tb_growth *g, size_t n, char *buf,
                           size_t size);

#endif
