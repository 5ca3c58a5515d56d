/* The baseline reader (make baseline's JSON). */
#include "fuzz_common.h"
#include "tracebench/gate/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = tbz_path("baseline.json");
    tb_baseline *b = NULL;
    tb_error err = {0};

    tbz_write(path, data, size);
    if (tb_baseline_load(path, &b, &err) == TB_OK)
        tb_baseline_free(b);
    else if (err.msg[0] == '\0')
        abort();
    return 0;
}
