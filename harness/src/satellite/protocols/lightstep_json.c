/* LightStep's JSON reports: POST /api/v0/reports, as lightstep-tracer-
 * javascript sends them. The span records sit at the top level or under
 * "report"; their identity is the hex strings trace_guid and span_guid. */
#include <cjson/cJSON.h>
#include <string.h>

#include "protocols.h"

static tb_err guid(const cJSON *rec, const char *key, size_t i, uint64_t *hi,
                   uint64_t *lo, tb_error *err)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(rec, key);

    if (!cJSON_IsString(g) ||
        !tb__hex_id(g->valuestring, strlen(g->valuestring), hi, lo))
        return tb_error_set(err, TB_ERR_DECODE, "lightstep json: "
                            "span_records[%zu].%s is not a hex string", i,
                            key);
    return TB_OK;
}

tb_err tb__decode_lightstep_json(struct tb__decode_ctx *ctx,
                                 const uint8_t *body, size_t len,
                                 tb_error *err)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    const cJSON *recs, *rec;
    tb_err rc = TB_OK;
    size_t i = 0;

    if (root == NULL)
        return tb_error_set(err, TB_ERR_DECODE, "lightstep json: invalid "
                            "JSON (%zu bytes)", len);
    recs = cJSON_GetObjectItemCaseSensitive(root, "span_records");
    if (recs == NULL)
        recs = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "report"), "span_records");
    if (recs != NULL && cJSON_IsNull(recs))
        goto out; /* an empty report */
    if (!cJSON_IsArray(recs)) {
        rc = tb_error_set(err, TB_ERR_DECODE, "lightstep json: no "
                          "span_records array");
        goto out;
    }
    cJSON_ArrayForEach(rec, recs) {
        uint64_t thi, tlo, shi, slo;

        if ((rc = guid(rec, "trace_guid", i, &thi, &tlo, err)) != TB_OK)
            goto out;
        if ((rc = guid(rec, "span_guid", i, &shi, &slo, err)) != TB_OK)
            goto out;
        if (shi != 0) {
            rc = tb_error_set(err, TB_ERR_DECODE, "lightstep json: "
                              "span_records[%zu].span_guid over 64 bits", i);
            goto out;
        }
        /* oldest_micros: the start, epoch microseconds. */
        rc = tb__span_keys_push(
            ctx->keys, thi, tlo, slo,
            tb__json_start_ns(cJSON_GetObjectItemCaseSensitive(
                                  rec, "oldest_micros"),
                              true, 1000),
            err);
        if (rc != TB_OK)
            goto out;
        i++;
    }
out:
    cJSON_Delete(root);
    return rc;
}
