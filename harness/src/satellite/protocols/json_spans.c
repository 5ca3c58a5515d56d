/* The walk the JSON decoders (Zipkin, OTLP JSON, LightStep JSON) share:
 * each element of a span array read by the protocol's own function, its
 * key appended in order, the first failure stopping the walk. */
#include <cjson/cJSON.h>

#include "protocols.h"

tb_err tb__json_spans_push(struct tb__decode_ctx *ctx,
                           const struct cJSON *spans, tb__json_span_fn *read,
                           tb_error *err)
{
    const cJSON *span;
    size_t i = 0;
    tb_err rc;

    cJSON_ArrayForEach(span, spans)
    {
        struct tb__span_key k = {0};

        if ((rc = read(span, i, &k, err)) != TB_OK)
            return rc;
        rc = tb__span_keys_push(ctx->keys, k.trace_hi, k.trace_lo, k.span_id,
                                k.start_ns, err);
        if (rc != TB_OK)
            return rc;
        i++;
    }
    return TB_OK;
}
