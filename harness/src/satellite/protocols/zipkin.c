/* Zipkin v2: POST /api/v2/spans, a JSON array of spans whose identity is
 * traceId (16 or 32 hex digits) and id (16). */
#include <cjson/cJSON.h>
#include <string.h>

#include "protocols.h"

tb_err tb__decode_zipkin(struct tb__decode_ctx *ctx, const uint8_t *body,
                         size_t len, tb_error *err)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    const cJSON *span;
    tb_err rc = TB_OK;
    size_t i = 0;

    if (root == NULL)
        return tb_error_set(err, TB_ERR_DECODE, "zipkin: invalid JSON "
                            "(%zu bytes)", len);
    if (!cJSON_IsArray(root)) {
        rc = tb_error_set(err, TB_ERR_DECODE, "zipkin: not a JSON array");
        goto out;
    }
    cJSON_ArrayForEach(span, root) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(span, "traceId");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(span, "id");
        uint64_t thi, tlo, shi, slo;

        if (!cJSON_IsString(t) ||
            !tb__hex_id(t->valuestring, strlen(t->valuestring), &thi,
                        &tlo)) {
            rc = tb_error_set(err, TB_ERR_DECODE, "zipkin: span %zu: "
                              "traceId is not hex", i);
            goto out;
        }
        if (!cJSON_IsString(s) || strlen(s->valuestring) > 16 ||
            !tb__hex_id(s->valuestring, strlen(s->valuestring), &shi,
                        &slo)) {
            rc = tb_error_set(err, TB_ERR_DECODE, "zipkin: span %zu: id is "
                              "not up to 16 hex digits", i);
            goto out;
        }
        /* "timestamp": the start, epoch microseconds, optional in
         * Zipkin's model; a number only. */
        rc = tb__span_keys_push(
            ctx->keys, thi, tlo, slo,
            tb__json_start_ns(cJSON_GetObjectItemCaseSensitive(
                                  span, "timestamp"),
                              false, 1000),
            err);
        if (rc != TB_OK)
            goto out;
        i++;
    }
out:
    cJSON_Delete(root);
    return rc;
}
