/* One wire-protocol decoder (FUZZ_PROTO, a tb_satellite_protocol), fed a
 * body as the satellite would: the arena and key list reused across
 * inputs, as across the requests of one connection. */
#include "fuzz_common.h"
#include "protocols/protocols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tb__arena *arena;
    static struct tb__span_keys keys;
    tb_error err = {0};

    if (arena == NULL && (arena = tb__arena_new()) == NULL)
        abort();
    keys.n = 0;
    struct tb__decode_ctx ctx = {arena, &keys};
    tb_err rc = tb__protocol_decoder(FUZZ_PROTO)(&ctx, data, size, &err);
    /* A failure names itself; success leaves keys it could read. */
    if (rc != TB_OK && err.msg[0] == '\0')
        abort();
    tb__arena_reset(arena);
    return 0;
}
