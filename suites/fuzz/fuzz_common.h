/* Shared by the fuzz targets: a scratch directory for the readers that
 * take a path, set up once per process. */
#ifndef TB_FUZZ_COMMON_H
#define TB_FUZZ_COMMON_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tbz_dir[256];

static inline int tbz_rm(const char *path, const struct stat *sb, int flag,
                         struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The scratch directory goes when the process exits normally (a replay,
 * or libFuzzer's -max_total_time). */
static inline void tbz_cleanup(void)
{
    if (tbz_dir[0] != '\0')
        nftw(tbz_dir, tbz_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* <scratch>/name, created on first use; logs go there too, so a reader's
 * warnings do not fill logs/. Borrowed static storage. */
static inline const char *tbz_path(const char *name)
{
    static char path[512];

    if (tbz_dir[0] == '\0') {
        snprintf(tbz_dir, sizeof(tbz_dir), "/tmp/tb-fuzz-XXXXXX");
        if (mkdtemp(tbz_dir) == NULL)
            abort();
        setenv("TB_LOG_DIR", tbz_dir, 1);
        setenv("TB_LOG_LEVEL", "off", 1);
        atexit(tbz_cleanup);
    }
    snprintf(path, sizeof(path), "%s/%s", tbz_dir, name);
    return path;
}

/* Writes data to path whole, or aborts (a harness failure, not a find). */
static inline void tbz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
}

#endif
