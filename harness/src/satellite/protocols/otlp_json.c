/* OTLP over HTTP with JSON: POST /v1/traces with Content-Type
 * application/json. Keys are lowerCamelCase by the spec; receivers must
 * also take the proto field names, so both are accepted. Ids are hex. */
#include <cjson/cJSON.h>
#include <string.h>

#include "protocols.h"

static const cJSON *item2(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, a);

    return it != NULL ? it : cJSON_GetObjectItemCaseSensitive(obj, b);
}

static tb_err hex_field(const cJSON *span, const char *a, const char *b,
                        size_t want, uint64_t *hi, uint64_t *lo, tb_error *err)
{
    const cJSON *v = item2(span, a, b);

    if (!cJSON_IsString(v) || strlen(v->valuestring) != want ||
        !tb__hex_id(v->valuestring, want, hi, lo))
        return tb_error_set(err, TB_ERR_DECODE,
                            "otlp json: span %s is not "
                            "%zu hex digits",
                            a, want);
    return TB_OK;
}

static tb_err span_key(const cJSON *span, size_t i, struct tb__span_key *key,
                       tb_error *err)
{
    uint64_t shi;
    tb_err rc;

    (void)i; /* the messages name the field, not the span */
    rc = hex_field(span, "traceId", "trace_id", 32, &key->trace_hi,
                   &key->trace_lo, err);
    if (rc != TB_OK)
        return rc;
    rc = hex_field(span, "spanId", "span_id", 16, &shi, &key->span_id, err);
    if (rc != TB_OK)
        return rc;
    /* A fixed64: a decimal string by the OTLP JSON mapping. */
    key->start_ns = tb__json_start_ns(
        item2(span, "startTimeUnixNano", "start_time_unix_nano"), true, 1);
    return TB_OK;
}

static tb_err add_scopes(struct tb__decode_ctx *ctx, const cJSON *scopes,
                         tb_error *err)
{
    const cJSON *ss;

    if (scopes == NULL)
        return TB_OK;
    if (!cJSON_IsArray(scopes))
        return tb_error_set(err, TB_ERR_DECODE,
                            "otlp json: scopeSpans is "
                            "not an array");
    cJSON_ArrayForEach(ss, scopes)
    {
        const cJSON *spans = item2(ss, "spans", "spans");
        tb_err rc;

        if (spans == NULL)
            continue;
        if (!cJSON_IsArray(spans))
            return tb_error_set(err, TB_ERR_DECODE,
                                "otlp json: spans is "
                                "not an array");
        if ((rc = tb__json_spans_push(ctx, spans, span_key, err)) != TB_OK)
            return rc;
    }
    return TB_OK;
}

tb_err tb__decode_otlp_json(struct tb__decode_ctx *ctx, const uint8_t *body,
                            size_t len, tb_error *err)
{
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    const cJSON *rss, *rs;
    tb_err rc = TB_OK;

    if (root == NULL)
        return tb_error_set(err, TB_ERR_DECODE,
                            "otlp json: invalid JSON "
                            "(%zu bytes)",
                            len);
    if (!cJSON_IsObject(root)) {
        rc = tb_error_set(err, TB_ERR_DECODE, "otlp json: not an object");
        goto out;
    }
    rss = item2(root, "resourceSpans", "resource_spans");
    if (rss != NULL && !cJSON_IsArray(rss)) {
        rc = tb_error_set(err, TB_ERR_DECODE,
                          "otlp json: resourceSpans is "
                          "not an array");
        goto out;
    }
    cJSON_ArrayForEach(rs, rss)
    {
        rc = add_scopes(ctx, item2(rs, "scopeSpans", "scope_spans"), err);
        if (rc == TB_OK)
            rc = add_scopes(ctx,
                            item2(rs, "instrumentationLibrarySpans",
                                  "instrumentation_library_spans"),
                            err);
        if (rc != TB_OK)
            goto out;
    }
out:
    cJSON_Delete(root);
    return rc;
}
