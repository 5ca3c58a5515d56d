/* The project root and build directory, for resolving relative paths. */
#include <stdlib.h>

#include "tracebench/util/paths.h"

const char *tb_root_dir(void)
{
    const char *env = getenv("TB_ROOT");

    return env != NULL && env[0] != '\0' ? env : TB_SOURCE_DIR;
}

const char *tb_build_dir(void)
{
    const char *env = getenv("TB_BUILD_DIR");

    return env != NULL && env[0] != '\0' ? env : TB_BINARY_DIR;
}
