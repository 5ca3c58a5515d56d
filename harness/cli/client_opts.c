/* The client, its arguments and its satellites, as the options of run,
 * cost and compare give them. */
#include <string.h>

#include "client_opts.h"

tb_err tb_cli_client(struct tb_controller_opts *co, const char *name,
                     const char *cmd, bool copy, tb_client **custom,
                     tb_error *err)
{
    tb_registry *reg = NULL;
    const tb_client *found;
    tb_err rc;

    co->client_name = name;
    if (cmd != NULL) {
        if ((rc = tb_client_from_command(name, cmd, custom, err)) != TB_OK)
            return rc;
        co->client = *custom;
        return TB_OK;
    }
    if (!copy)
        return TB_OK;
    if ((rc = tb_registry_load(co->registry_path, &reg, err)) != TB_OK)
        goto out;
    if ((found = tb_registry_find(reg, name, err)) == NULL) {
        rc = TB_ERR_INVALID_CLIENT;
        goto out;
    }
    if ((*custom = tb_client_copy(found)) == NULL) {
        rc = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        goto out;
    }
    co->client = *custom;
out:
    tb_registry_free(reg);
    return rc;
}

tb_err tb_cli_split_args(const char *str, tb_client **holder,
                         const char *const **argv, tb_error *err)
{
    tb_err rc;

    tb_client_free(*holder);
    *holder = NULL;
    if ((rc = tb_client_from_command("args", str, holder, err)) != TB_OK)
        return rc;
    *argv = tb_client_argv(*holder);
    return TB_OK;
}

tb_err tb_cli_satellites_start(const char *mode, bool any_port,
                               tb_satellites **sats, tb_error *err)
{
    static const uint16_t any[TB_SATELLITE_DEFAULT_COUNT] = {0};
    struct tb_satellites_opts so = {0};
    tb_err rc;

    if (strcmp(mode, "none") == 0)
        return TB_OK;
    if (any_port) {
        so.ports = any;
        so.n_ports = TB_SATELLITE_DEFAULT_COUNT;
    }
    if ((rc = tb_satellite_mode_parse(mode, &so.mode, err)) != TB_OK)
        return rc;
    return tb_satellites_start(&so, sats, err);
}
