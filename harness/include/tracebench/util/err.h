/* Errors: every fallible tracebench function returns a tb_err, TB_OK = 0,
 * and fills a caller-supplied struct tb_error with a one-line message. */
#ifndef TRACEBENCH_ERR_H
#define TRACEBENCH_ERR_H

#include <stdarg.h>

#if defined(__GNUC__)
#define TB_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TB_FORMAT(fmt, args)
#endif

typedef enum tb_err {
    TB_OK = 0,
    TB_ERR_INVALID_ARG, /* an option or argument is out of range */
    TB_ERR_NOMEM,
    TB_ERR_IO,              /* a file or system call failed */
    TB_ERR_CONFIG,          /* a config file is malformed */
    TB_ERR_INVALID_CLIENT,  /* no client of that name is registered */
    TB_ERR_CLIENT_START,    /* the client's program could not start */
    TB_ERR_CLIENT_TIMEOUT,  /* the client ran past its deadline */
    TB_ERR_CLIENT_CRASHED,  /* non-zero exit status or a signal */
    TB_ERR_CALIBRATION,     /* calibration did not converge */
    TB_ERR_PORT_IN_USE,     /* a port we must listen on is taken */
    TB_ERR_DEAD_SATELLITES, /* a satellite stopped serving */
    TB_ERR_BAD_SATELLITE_RESPONSE,
    TB_ERR_HTTP,            /* an HTTP server or request failed */
    TB_ERR_DECODE,          /* a request body could not be decoded */
    TB_ERR_INTERRUPTED,     /* SIGINT, SIGTERM or SIGHUP arrived */
    TB_ERR_TRACER_MISSING,  /* the client's tracer is not installed
                             * here (its check exited 3): a skip */
    TB_ERR_CLIENT_PROTOCOL, /* the client broke clients/PROTOCOL.md:
                             * exited 0 without reporting SpansSent */
    TB_ERR_NOT_MEASURED,    /* a figure had no valid sample (0, NaN) */
    TB_ERR__COUNT
} tb_err;

#define TB_ERRMSG_SIZE 1024

/* The first failure's code and message. Zero-initialise it (or call
 * tb_error_clear) before passing it in; later failures do not overwrite the
 * first, so the message names the root cause (curl's CURLOPT_ERRORBUFFER). */
typedef struct tb_error {
    tb_err code;
    char msg[TB_ERRMSG_SIZE];
} tb_error;

/* A short, stable name for an error code, e.g. "client timeout". */
const char *tb_err_name(tb_err code);

/* Records code and message in *e unless *e already holds a failure.
 * e may be NULL. errno is preserved. Returns code, so callers can write
 * `return tb_error_set(err, TB_ERR_IO, "open %s: %s", path, strerror(errno));`
 */
tb_err tb_error_set(tb_error *e, tb_err code, const char *fmt, ...)
    TB_FORMAT(3, 4);
tb_err tb_error_vset(tb_error *e, tb_err code, const char *fmt, va_list ap);

void tb_error_clear(tb_error *e);

#endif
