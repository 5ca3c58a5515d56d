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
        tb__hex_id(g->valuestring, strlen(g->valuestring), hi, lo) != 0)
        return tb_error_set(err, TB_ERR_DECODE, "lightstep json: "
                            "span_records[%zu].%s is not a hex string", i,
                            key);
    return TB_OK;
}

/* oldest_micros, the start in epoch microseconds, in ns: a number, or a
 * decimal string as 64-bit ints are sent in JSON. Dating a span is not
 * identifying it: a bad or absurd one is 0. */
static uint64_t start_ns(const cJSON *rec)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "oldest_micros");
    uint64_t us;

    if (cJSON_IsString(v)) {
        if (tb__dec_u64(v->valuestring, &us) != 0)
            return 0;
    } else if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
               v->valuedouble < 0x1p64) {
        us = (uint64_t)v->valuedouble;
    } else {
        return 0;
    }
    return us <= UINT64_MAX / 1000 ? us * 1000 : 0;
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
        rc = tb__span_keys_push(ctx->keys, thi, tlo, slo, start_ns(rec),
                                err);
        if (rc != TB_OK)
            goto out;
        i++;
    }
out:
    cJSON_Delete(root);
    return rc;
}
