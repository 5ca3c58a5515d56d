/* OTLP over HTTP with protobuf: POST /v1/traces, an
 * ExportTraceServiceRequest. Spans sit three levels down (resource spans,
 * scope spans, spans); older exporters use field 1000 for the middle level.
 * Span ids must have their spec lengths, 16 and 8 bytes. */
#include "otlp_trace.pb-c.h"
#include "protocols.h"

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static tb_err add_scope(struct tb__decode_ctx *ctx,
                        const Tb__Otlp__ScopeSpans *ss, tb_error *err)
{
    for (size_t i = 0; i < ss->n_spans; i++) {
        const Tb__Otlp__Span *sp = ss->spans[i];
        tb_err rc;

        if (sp->trace_id.len != 16 || sp->span_id.len != 8)
            return tb_error_set(err, TB_ERR_DECODE,
                                "otlp: span with a "
                                "%zu-byte trace_id and %zu-byte span_id "
                                "(want 16 and 8)",
                                sp->trace_id.len, sp->span_id.len);
        rc = tb__span_keys_push(
            ctx->keys, be64(sp->trace_id.data), be64(sp->trace_id.data + 8),
            be64(sp->span_id.data), sp->start_time_unix_nano, err);
        if (rc != TB_OK)
            return rc;
    }
    return TB_OK;
}

tb_err tb__decode_otlp(struct tb__decode_ctx *ctx, const uint8_t *body,
                       size_t len, tb_error *err)
{
    Tb__Otlp__ExportTraceServiceRequest *req;
    tb_err rc = TB_OK;

    req = tb__otlp__export_trace_service_request__unpack(
        tb__arena_allocator(ctx->arena), len, body);
    if (req == NULL)
        return tb_error_set(err, TB_ERR_DECODE,
                            "otlp: not an "
                            "ExportTraceServiceRequest (%zu bytes, truncated "
                            "or not protobuf)",
                            len);
    for (size_t i = 0; i < req->n_resource_spans && rc == TB_OK; i++) {
        const Tb__Otlp__ResourceSpans *rs = req->resource_spans[i];

        for (size_t j = 0; j < rs->n_scope_spans && rc == TB_OK; j++)
            rc = add_scope(ctx, rs->scope_spans[j], err);
        for (size_t j = 0;
             j < rs->n_instrumentation_library_spans && rc == TB_OK; j++)
            rc = add_scope(ctx, rs->instrumentation_library_spans[j], err);
    }
    return rc;
}
