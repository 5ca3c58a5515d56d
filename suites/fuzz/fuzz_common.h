/* Shared by the fuzz targets: a scratch directory for the readers that
 * take a path, set up once per process. */
#ifndef TB_FUZZ_COMMON_H
#define TB_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* <scratch>/name, created on first use; logs go there too, so a reader's
 * warnings do not fill logs/. Borrowed static storage. */
static inline const char *tbz_path(const char *name)
{
    static char dir[256];
    static char path[512];

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/tb-fuzz-XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
        setenv("TB_LOG_DIR", dir, 1);
        setenv("TB_LOG_LEVEL", "off", 1);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* Writes data to path whole, or aborts (a harness failure, not a find). */
static inline void tbz_write(const char *path, const uint8_t *data,
                             size_t size)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
}

#endif
