/* The client registry reader (clients/clients.json). */
#include "fuzz_common.h"
#include "tracebench/measure/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = tbz_path("clients.json");
    tb_registry *reg = NULL;
    tb_error err = {0};

    tbz_write(path, data, size);
    if (tb_registry_load(path, &reg, &err) != TB_OK) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    for (size_t i = 0; i < tb_registry_count(reg); i++) {
        const tb_client *c = tb_registry_at(reg, i);
        tb_client *copy = tb_client_copy(c);
        if (copy == NULL)
            abort();
        tb_client_free(copy);
    }
    tb_registry_free(reg);
    return 0;
}
