/* LightStep's protobuf reports: POST /api/v2/reports, a ReportRequest whose
 * spans each carry a SpanContext.
 *
 * Measured on a 100-span, 93 KB report with 10 tags and 15 logs a span,
 * protobuf-c's unpack took ~70 us even with an arena allocator: it copies
 * every tag and log into an unknown field. That alone caps a core at 1.4
 * million spans/s, before HTTP. So this decoder walks the wire format
 * itself and only descends into the fields it needs, jumping over the rest
 * by their length prefixes (~10 us a report). The field numbers come from
 * protobuf-c's descriptors of lightstep.proto, which stays the single
 * statement of the schema; tests check the walk against a full
 * protobuf-c unpack. */
#include <pthread.h>
#include <stdbool.h>

#include "lightstep.pb-c.h"
#include "protocols.h"

enum wire { VARINT = 0, I64 = 1, LEN = 2, I32 = 5 };

struct field_ids {
    uint32_t spans;        /* ReportRequest.spans */
    uint32_t span_context; /* Span.span_context */
    uint32_t trace_id;     /* SpanContext.trace_id */
    uint32_t span_id;      /* SpanContext.span_id */
};

static uint32_t field_id(const ProtobufCMessageDescriptor *d,
                         const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(d, name);

    return f != NULL ? f->id : 0;
}

static struct field_ids f;
static pthread_once_t f_once = PTHREAD_ONCE_INIT;

static void init_ids(void)
{
    f.trace_id = field_id(&tb__lightstep__span_context__descriptor,
                          "trace_id");
    f.span_id = field_id(&tb__lightstep__span_context__descriptor,
                         "span_id");
    f.span_context = field_id(&tb__lightstep__span__descriptor,
                              "span_context");
    f.spans = field_id(&tb__lightstep__report_request__descriptor,
                       "spans");
}

static const struct field_ids *ids(void)
{
    pthread_once(&f_once, init_ids);
    return &f;
}

/* A cursor over one message's bytes. */
struct rd {
    const uint8_t *p;
    const uint8_t *end;
};

static bool varint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;

        if (r->p >= r->end)
            return false;
        b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false; /* over 10 bytes */
}

/* Reads a field's key; false at a malformed key. */
static bool key(struct rd *r, uint32_t *field, unsigned *wire)
{
    uint64_t k;

    if (!varint(r, &k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff)
        return false;
    *field = (uint32_t)(k >> 3);
    *wire = (unsigned)(k & 7);
    return true;
}

/* A length-delimited field's bytes as a cursor of their own. */
static bool sub(struct rd *r, struct rd *out)
{
    uint64_t n;

    if (!varint(r, &n) || n > (uint64_t)(r->end - r->p))
        return false;
    out->p = r->p;
    out->end = r->p + n;
    r->p += n;
    return true;
}

/* Jumps over a field we do not need. Groups (wire types 3, 4) are
 * refused, as protobuf-c refuses them. */
static bool skip(struct rd *r, unsigned wire)
{
    struct rd s;
    uint64_t v;

    switch (wire) {
    case VARINT:
        return varint(r, &v);
    case I64:
        if (r->end - r->p < 8)
            return false;
        r->p += 8;
        return true;
    case I32:
        if (r->end - r->p < 4)
            return false;
        r->p += 4;
        return true;
    case LEN:
        return sub(r, &s);
    default:
        return false;
    }
}

/* SpanContext: the last trace_id and span_id win, as protobuf merges. */
static bool span_context(struct rd r, const struct field_ids *f,
                         uint64_t *trace, uint64_t *span)
{
    while (r.p < r.end) {
        uint32_t field;
        unsigned wire;

        if (!key(&r, &field, &wire))
            return false;
        if (field == f->trace_id || field == f->span_id) {
            if (wire != VARINT ||
                !varint(&r, field == f->trace_id ? trace : span))
                return false;
        } else if (!skip(&r, wire)) {
            return false;
        }
    }
    return true;
}

static tb_err span(struct tb__decode_ctx *ctx, struct rd r, size_t i,
                   const struct field_ids *f, tb_error *err)
{
    uint64_t trace = 0, span_id = 0;
    bool has_context = false;

    while (r.p < r.end) {
        uint32_t field;
        unsigned wire;
        struct rd s;

        if (!key(&r, &field, &wire))
            goto bad;
        if (field != f->span_context) {
            if (!skip(&r, wire))
                goto bad;
            continue;
        }
        if (wire != LEN || !sub(&r, &s) ||
            !span_context(s, f, &trace, &span_id))
            goto bad;
        has_context = true;
    }
    if (!has_context)
        return tb_error_set(err, TB_ERR_DECODE, "lightstep: span %zu has "
                            "no span_context", i);
    return tb__span_keys_push(ctx->keys, 0, trace, span_id, err);
bad:
    return tb_error_set(err, TB_ERR_DECODE, "lightstep: span %zu is "
                        "truncated or not protobuf", i);
}

tb_err tb__decode_lightstep(struct tb__decode_ctx *ctx, const uint8_t *body,
                            size_t len, tb_error *err)
{
    const struct field_ids *f = ids();
    struct rd r = {body, body + len};
    size_t n = 0;
    tb_err rc;

    while (r.p < r.end) {
        uint32_t field;
        unsigned wire;
        struct rd s;

        if (!key(&r, &field, &wire))
            goto bad;
        if (field != f->spans) {
            if (!skip(&r, wire))
                goto bad;
            continue;
        }
        if (wire != LEN || !sub(&r, &s))
            goto bad;
        if ((rc = span(ctx, s, n++, f, err)) != TB_OK)
            return rc;
    }
    return TB_OK;
bad:
    return tb_error_set(err, TB_ERR_DECODE, "lightstep: not a "
                        "ReportRequest (%zu bytes, truncated or not "
                        "protobuf)", len);
}

tb_err tb__decode_lightstep_unpack(struct tb__decode_ctx *ctx,
                                   const uint8_t *body, size_t len,
                                   tb_error *err)
{
    Tb__Lightstep__ReportRequest *req;
    tb_err rc = TB_OK;

    req = tb__lightstep__report_request__unpack(
        tb__arena_allocator(ctx->arena), len, body);
    if (req == NULL)
        return tb_error_set(err, TB_ERR_DECODE, "lightstep: not a "
                            "ReportRequest (%zu bytes, truncated or not "
                            "protobuf)", len);
    for (size_t i = 0; i < req->n_spans && rc == TB_OK; i++) {
        const Tb__Lightstep__SpanContext *sc = req->spans[i]->span_context;

        if (sc == NULL)
            rc = tb_error_set(err, TB_ERR_DECODE, "lightstep: span %zu has "
                              "no span_context", i);
        else
            rc = tb__span_keys_push(ctx->keys, 0, sc->trace_id, sc->span_id,
                                    err);
    }
    /* No free_unpacked: the arena drops everything at the request's end. */
    return rc;
}
