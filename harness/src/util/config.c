/* The TB_* environment variables the library reads: their names, and the
 * one getenv for them (config.h says why there is no cache). */
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *const names[TB__CONFIG__COUNT] = {
    [TB__CONFIG_ROOT] = "TB_ROOT",
    [TB__CONFIG_BUILD_DIR] = "TB_BUILD_DIR",
    [TB__CONFIG_LOG_DIR] = "TB_LOG_DIR",
    [TB__CONFIG_LOG_LEVEL] = "TB_LOG_LEVEL",
    [TB__CONFIG_LOG_CLIENT_MAX] = "TB_LOG_CLIENT_MAX",
    [TB__CONFIG_CACHE_DIR] = "TB_CACHE_DIR",
    [TB__CONFIG_CALIBRATION_TTL] = "TB_CALIBRATION_TTL",
    [TB__CONFIG_STRICT] = "TB_STRICT",
    [TB__CONFIG_RUN_ID] = "TB_RUN_ID",
    [TB__CONFIG_SATELLITE_CONNECTION] = "TB_SATELLITE_CONNECTION",
    [TB__CONFIG_COUNTER] = "TB_COUNTER",
    [TB__CONFIG_BASELINE_SAVE] = "TB_BASELINE_SAVE",
    [TB__CONFIG_GNUPLOT] = "TB_GNUPLOT",
    [TB__CONFIG_VALGRIND] = "TB_VALGRIND",
};

const char *tb__config_name(enum tb__config_var var)
{
    return (unsigned)var < TB__CONFIG__COUNT ? names[var] : "";
}

const char *tb__config_env(enum tb__config_var var)
{
    const char *v;

    if ((unsigned)var >= TB__CONFIG__COUNT)
        return NULL;
    v = getenv(names[var]);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

bool tb__config_flag(enum tb__config_var var)
{
    const char *v = tb__config_env(var);

    return v != NULL && strcmp(v, "0") != 0;
}
