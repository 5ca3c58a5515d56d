/* A growable text buffer for the files tracebench writes (CSV, gnuplot
 * scripts, HTML), and writing one to disk in one piece. Internal to
 * libtracebench (tb__ names); kept apart from internal.h because its only
 * users are the graph and report writers. */
#ifndef TB_STRBUF_H
#define TB_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "tracebench/util/err.h"

/* Zero-initialise. A failed allocation sets failed and makes every later
 * append a no-op, so writers check once, at the end (like a FILE error
 * flag). */
struct tb__buf {
    char *data;  /* NUL-terminated once anything is added */
    size_t len;  /* bytes, without the NUL */
    size_t cap;  /* bytes allocated */
    bool failed; /* an allocation failed */
};

void tb__buf_append(struct tb__buf *b, const char *s, size_t n);
void tb__buf_puts(struct tb__buf *b, const char *s);
void tb__buf_printf(struct tb__buf *b, const char *fmt, ...) TB_FORMAT(2, 3);
/* Appends s (NULL: nothing) with & < > " ' as entities, so that it can
 * end neither a text node nor an attribute value, in HTML or in XML: a
 * client named "<script>" prints as text. */
void tb__buf_escape(struct tb__buf *b, const char *s);
void tb__buf_free(struct tb__buf *b);

/* Writes the buffer to path through a temporary file renamed over it, so a
 * reader never sees half a file. TB_ERR_NOMEM when the buffer failed. */
tb_err tb__buf_write_file(const struct tb__buf *b, const char *path,
                          tb_error *err);

/* Creates dir and its missing parents (mode 0777 less umask). */
tb_err tb__mkdir_p(const char *dir, tb_error *err);

#endif
