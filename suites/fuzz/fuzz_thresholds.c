/* The thresholds reader: the input is thresholds/default.json (and, for
 * the client "c", c.json: the same bytes), read for both profiles. */
#include "fuzz_common.h"
#include "tracebench/gate/thresholds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const profiles[] = {"quick", "full"};
    char dir[512];

    snprintf(dir, sizeof(dir), "%s", tbz_path("thresholds"));
    if (access(dir, F_OK) != 0 && mkdir(dir, 0700) != 0)
        abort();
    char def[600], cl[600];
    snprintf(def, sizeof(def), "%s/default.json", dir);
    snprintf(cl, sizeof(cl), "%s/c.json", dir);
    tbz_write(def, data, size);
    tbz_write(cl, data, size);
    for (int i = 0; i < 2; i++) {
        tb_thresholds *t = NULL;
        tb_error err = {0};
        if (tb_thresholds_load(dir, "c", profiles[i], &t, &err) == TB_OK)
            tb_thresholds_free(t);
        else if (err.msg[0] == '\0')
            abort();
    }
    return 0;
}
