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
        return tb_error_set(err, TB_ERR_DECODE,
                            "lightstep json: "
                            "span_records[%zu].%s is not a hex string",
                            i, key);
    return TB_OK;
}

/* One span record: its guids and oldest_micros, the start in epoch
 * microseconds. */
static tb_err record(const cJSON *rec, size_t i, struct tb__span_key *key,
                     tb_error *err)
{
    uint64_t shi;
    tb_err rc;

    rc = guid(rec, "trace_guid", i, &key->trace_hi, &key->trace_lo, err);
    if (rc != TB_OK)
        return rc;
    if ((rc = guid(rec, "span_guid", i, &shi, &key->span_id, err)) != TB_OK)
        return rc;
    if (shi != 0)
        return tb_error_set(err, TB_ERR_DECODE,
                            "lightstep json: "
                            "span_records[%zu].span_guid over 64 bits",
                            i);
    key->start_ns = tb__json_start_ns(
        cJSON_GetObjectItemCaseSensitive(rec, "oldest_micros"), true, 1000);
    return TB_OK;
}

tb_err tb__decode_lightstep_json(struct tb__decode_ctx *ctx,
                                 const uint8_t *body, size_t len, tb_error *err)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    const cJSON *recs;
    tb_err rc;

    if (root == NULL)
        return tb_error_set(err, TB_ERR_DECODE,
                            "lightstep json: invalid "
                            "JSON (%zu bytes)",
                            len);
    recs = cJSON_GetObjectItemCaseSensitive(root, "span_records");
    if (recs == NULL)
        recs = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "report"), "span_records");
    if (recs != NULL && cJSON_IsNull(recs))
        rc = TB_OK; /* an empty report */
    else if (!cJSON_IsArray(recs))
        rc = tb_error_set(err, TB_ERR_DECODE,
                          "lightstep json: no "
                          "span_records array");
    else
        rc = tb__json_spans_push(ctx, recs, record, err);
    cJSON_Delete(root);
    return rc;
}
