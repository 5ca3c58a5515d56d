/* Names of the satellites' modes, faults and protocols, both ways. */
#include <stdio.h>

#include "internal.h"
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
    return (unsigned)fault < TB_FAULT__COUNT ? fault_names[fault] : "unknown";
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

static const char *const connection_names[] = {"keep-alive", "close"};

/* The index of name in names; else TB_ERR_INVALID_ARG "unknown satellite
 * <what> '<name>' (valid: <names, in order>)". */
static tb_err parse(const char *const *names, size_t n, const char *what,
                    const char *name, size_t *index, tb_error *err)
{
    char valid[256] = "";
    size_t used = 0;

    if (tb__name_find(names, n, name, index))
        return TB_OK;
    for (size_t i = 0; i < n && used < sizeof(valid); i++)
        used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s",
                                 i > 0 ? ", " : "", names[i]);
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "unknown satellite %s '%s' "
                        "(valid: %s)",
                        what, name ? name : "", valid);
}

tb_err tb_satellite_mode_parse(const char *name, tb_satellite_mode *out,
                               tb_error *err)
{
    size_t i;
    tb_err rc = parse(mode_names, TB_MODE__COUNT, "mode", name, &i, err);

    if (rc == TB_OK)
        *out = (tb_satellite_mode)i;
    return rc;
}

tb_err tb_satellite_fault_parse(const char *name, tb_satellite_fault *out,
                                tb_error *err)
{
    size_t i;
    tb_err rc = parse(fault_names, TB_FAULT__COUNT, "fault", name, &i, err);

    if (rc == TB_OK)
        *out = (tb_satellite_fault)i;
    return rc;
}

tb_err tb_satellite_connection_parse(const char *name, bool *close,
                                     tb_error *err)
{
    size_t i;
    tb_err rc = parse(connection_names, 2, "connection", name, &i, err);

    if (rc == TB_OK)
        *close = i == 1;
    return rc;
}
