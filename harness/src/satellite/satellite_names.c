/* Names of the satellites' modes, faults and protocols, both ways. */
#include <string.h>

#include "tracebench/satellite/satellite.h"

static const char *const mode_names[TB_MODE__COUNT] = {
    [TB_MODE_TYPICAL] = "typical",
    [TB_MODE_SLOW_SUCCEED] = "slow_succeed",
    [TB_MODE_SLOW_FAIL] = "slow_fail",
};

/* The per-span delays of LightStep's benchmark suite. */
static const double mode_delay_us[TB_MODE__COUNT] = {
    [TB_MODE_TYPICAL] = 0.05,
    [TB_MODE_SLOW_SUCCEED] = 1.0,
    [TB_MODE_SLOW_FAIL] = 0.01,
};

static const char *const fault_names[TB_FAULT__COUNT] = {
    [TB_FAULT_NONE] = "none",
    [TB_FAULT_429] = "429",
    [TB_FAULT_503] = "503",
    [TB_FAULT_500] = "500",
    [TB_FAULT_HANG] = "hang",
    [TB_FAULT_REFUSE] = "refuse",
    [TB_FAULT_COUNT_503] = "count_503",
    [TB_FAULT_COUNT_RESET] = "count_reset",
};

static const char *const protocol_names[TB_PROTO__COUNT] = {
    [TB_PROTO_LIGHTSTEP] = "lightstep",
    [TB_PROTO_LIGHTSTEP_JSON] = "lightstep_json",
    [TB_PROTO_OTLP] = "otlp",
    [TB_PROTO_OTLP_JSON] = "otlp_json",
    [TB_PROTO_ZIPKIN] = "zipkin",
    [TB_PROTO_DATADOG] = "datadog",
};

const char *tb_satellite_mode_name(tb_satellite_mode mode)
{
    return (unsigned)mode < TB_MODE__COUNT ? mode_names[mode] : "unknown";
}

const char *tb_satellite_fault_name(tb_satellite_fault fault)
{
    return (unsigned)fault < TB_FAULT__COUNT ? fault_names[fault]
                                             : "unknown";
}

const char *tb_satellite_protocol_name(tb_satellite_protocol proto)
{
    return (unsigned)proto < TB_PROTO__COUNT ? protocol_names[proto]
                                             : "unknown";
}

double tb_satellite_mode_delay_us(tb_satellite_mode mode)
{
    return (unsigned)mode < TB_MODE__COUNT ? mode_delay_us[mode] : 0.0;
}

/* Finds name in names; -1 when absent. */
static int lookup(const char *const *names, int n, const char *name)
{
    for (int i = 0; name != NULL && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

tb_err tb_satellite_mode_parse(const char *name, tb_satellite_mode *out,
                               tb_error *err)
{
    int i = lookup(mode_names, TB_MODE__COUNT, name);

    if (i < 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "unknown satellite "
                            "mode '%s' (valid: typical, slow_succeed, "
                            "slow_fail)", name ? name : "");
    *out = (tb_satellite_mode)i;
    return TB_OK;
}

tb_err tb_satellite_fault_parse(const char *name, tb_satellite_fault *out,
                                tb_error *err)
{
    int i = lookup(fault_names, TB_FAULT__COUNT, name);

    if (i < 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "unknown satellite "
                            "fault '%s' (valid: none, 429, 503, 500, hang, "
                            "refuse, count_503, count_reset)", name ? name : "");
    *out = (tb_satellite_fault)i;
    return TB_OK;
}

tb_err tb_satellite_connection_parse(const char *name, bool *close,
                                     tb_error *err)
{
    if (name != NULL && strcmp(name, "keep-alive") == 0)
        *close = false;
    else if (name != NULL && strcmp(name, "close") == 0)
        *close = true;
    else
        return tb_error_set(err, TB_ERR_INVALID_ARG, "unknown satellite "
                            "connection '%s' (valid: keep-alive, close)",
                            name ? name : "");
    return TB_OK;
}
