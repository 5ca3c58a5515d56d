/* Plots: PNG images drawn by gnuplot (Debian package gnuplot-nox, through
 * its pngcairo terminal) from a script tracebench writes. tracebench draws
 * no pixels itself. */
#ifndef TRACEBENCH_PLOT_H
#define TRACEBENCH_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "tracebench/util/err.h"

#define TB_PLOT_DEFAULT_TIMEOUT_MS 60000

struct tb_plot_opts {
    const char *gnuplot; /* program: a path, or a name looked up in
                            PATH; NULL: $TB_GNUPLOT, else "gnuplot" */
    unsigned timeout_ms; /* 0: TB_PLOT_DEFAULT_TIMEOUT_MS */
};

/* Finds the gnuplot program opts names (opts may be NULL) and writes its
 * path into path (size bytes). When it is missing, TB_ERR_IO with a
 * message naming the Debian package to install, gnuplot-nox. */
tb_err tb_plot_find(const struct tb_plot_opts *opts, char *path, size_t size,
                    tb_error *err);

/* Runs gnuplot on dir/script with dir as its working directory, so that a
 * script naming its CSV and PNG by relative paths can be run again by
 * hand. Fails with TB_ERR_IO and gnuplot's last error lines when gnuplot
 * exits non-zero or runs past the timeout (then it is killed); a gnuplot
 * without the pngcairo terminal is named as such. */
tb_err tb_plot_render(const char *dir, const char *script,
                      const struct tb_plot_opts *opts, tb_error *err);

/* Checks that path is a PNG (its 8-byte signature and an IHDR chunk first)
 * and reads its size in pixels. TB_ERR_DECODE when it is not. */
tb_err tb_plot_png_size(const char *path, uint32_t *width, uint32_t *height,
                        tb_error *err);

#endif
