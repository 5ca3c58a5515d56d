/* Error codes and the first-failure message buffer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tracebench/util/err.h"

static const char *const names[TB_ERR__COUNT] = {
    [TB_OK] = "ok",
    [TB_ERR_INVALID_ARG] = "invalid argument",
    [TB_ERR_NOMEM] = "out of memory",
    [TB_ERR_IO] = "I/O error",
    [TB_ERR_CONFIG] = "bad configuration",
    [TB_ERR_INVALID_CLIENT] = "invalid client",
    [TB_ERR_CLIENT_START] = "client failed to start",
    [TB_ERR_CLIENT_TIMEOUT] = "client timeout",
    [TB_ERR_CLIENT_CRASHED] = "client crashed",
    [TB_ERR_CALIBRATION] = "calibration failed",
    [TB_ERR_PORT_IN_USE] = "port in use",
    [TB_ERR_DEAD_SATELLITES] = "dead satellites",
    [TB_ERR_BAD_SATELLITE_RESPONSE] = "bad satellite response",
    [TB_ERR_HTTP] = "HTTP error",
    [TB_ERR_DECODE] = "undecodable body",
    [TB_ERR_INTERRUPTED] = "interrupted",
    [TB_ERR_TRACER_MISSING] = "tracer not installed",
    [TB_ERR_CLIENT_PROTOCOL] = "client protocol error",
    [TB_ERR_NOT_MEASURED] = "figure not measured",
};

const char *tb_err_name(tb_err code)
{
    if ((unsigned)code >= TB_ERR__COUNT || names[code] == NULL)
        return "unknown error";
    return names[code];
}

tb_err tb_error_vset(tb_error *e, tb_err code, const char *fmt, va_list ap)
{
    int saved = errno;

    if (e != NULL && e->code == TB_OK && code != TB_OK) {
        e->code = code;
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    }
    errno = saved;
    return code;
}

tb_err tb_error_set(tb_error *e, tb_err code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tb_error_vset(e, code, fmt, ap);
    va_end(ap);
    return code;
}

void tb_error_clear(tb_error *e)
{
    if (e != NULL) {
        e->code = TB_OK;
        e->msg[0] = '\0';
    }
}
