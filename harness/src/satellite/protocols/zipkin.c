/* Zipkin v2: POST /api/v2/spans, a JSON array of spans whose identity is
 * traceId (16 or 32 hex digits) and id (16). */
#include <cjson/cJSON.h>
#include <string.h>

#include "protocols.h"

static tb_err span_key(const cJSON *span, size_t i, struct tb__span_key *key,
                       tb_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(span, "traceId");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(span, "id");
    uint64_t shi;

    if (!cJSON_IsString(t) ||
        !tb__hex_id(t->valuestring, strlen(t->valuestring), &key->trace_hi,
                    &key->trace_lo))
        return tb_error_set(err, TB_ERR_DECODE,
                            "zipkin: span %zu: "
                            "traceId is not hex",
                            i);
    if (!cJSON_IsString(s) || strlen(s->valuestring) > 16 ||
        !tb__hex_id(s->valuestring, strlen(s->valuestring), &shi,
                    &key->span_id))
        return tb_error_set(err, TB_ERR_DECODE,
                            "zipkin: span %zu: id is "
                            "not up to 16 hex digits",
                            i);
    /* "timestamp": the start, epoch microseconds, optional in Zipkin's
     * model; a number only. */
    key->start_ns = tb__json_start_ns(
        cJSON_GetObjectItemCaseSensitive(span, "timestamp"), false, 1000);
    return TB_OK;
}

tb_err tb__decode_zipkin(struct tb__decode_ctx *ctx, const uint8_t *body,
                         size_t len, tb_error *err)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    tb_err rc;

    if (root == NULL)
        return tb_error_set(err, TB_ERR_DECODE,
                            "zipkin: invalid JSON "
                            "(%zu bytes)",
                            len);
    if (!cJSON_IsArray(root))
        rc = tb_error_set(err, TB_ERR_DECODE, "zipkin: not a JSON array");
    else
        rc = tb__json_spans_push(ctx, root, span_key, err);
    cJSON_Delete(root);
    return rc;
}
