/* The project root and build directory, for resolving relative paths. */
#include <stddef.h>

#include "config.h"
#include "tracebench/util/paths.h"

const char *tb_root_dir(void)
{
    const char *env = tb__config_env(TB__CONFIG_ROOT);

    return env != NULL ? env : TB_SOURCE_DIR;
}

const char *tb_build_dir(void)
{
    const char *env = tb__config_env(TB__CONFIG_BUILD_DIR);

    return env != NULL ? env : TB_BINARY_DIR;
}
