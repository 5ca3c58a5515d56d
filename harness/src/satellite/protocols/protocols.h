/* Wire-protocol decoders for the mock satellites (internal).
 *
 * A decoder reads one request body and appends the identity of every span
 * in it to a key list; it never counts or deduplicates (the satellite does,
 * under its lock). Decoders must survive any bytes: on bad input they return
 * TB_ERR_DECODE with a one-line reason in *err and leave no allocation
 * behind beyond what the caller's arena and key list own. */
#ifndef TB_PROTOCOLS_H
#define TB_PROTOCOLS_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <zlib.h>
#include <stddef.h>
#include <stdint.h>

#include "tracebench/util/err.h"
#include "tracebench/satellite/protocol.h"

/* A span's identity: a trace id of up to 128 bits and a 64-bit span id.
 * 64-bit trace ids (LightStep, Datadog) have trace_hi = 0. Beside it, when
 * the span started (Unix ns, by the tracer's clock; 0 when the span does
 * not say), and whether the satellite had seen it before (set by
 * tb__dedup_insert_many). */
struct tb__span_key {
    uint64_t trace_hi;
    uint64_t trace_lo;
    uint64_t span_id;
    uint64_t start_ns;
    bool repeat;
};

/* A growing list of span keys, reused across requests (n reset to 0). */
struct tb__span_keys {
    struct tb__span_key *v;
    size_t n;   /* keys in v */
    size_t cap; /* slots allocated in v */
};

/* Appends a key; TB_ERR_NOMEM when the list cannot grow. */
tb_err tb__span_keys_push(struct tb__span_keys *keys, uint64_t trace_hi,
                          uint64_t trace_lo, uint64_t span_id,
                          uint64_t start_ns, tb_error *err);
void tb__span_keys_free(struct tb__span_keys *keys);

/* A bump allocator handed to protobuf-c, so that unpacking a report costs
 * no malloc per field: everything is dropped at once by tb__arena_reset.
 * The arena keeps its largest block between requests (up to a bound). */
struct tb__arena;

struct tb__arena *tb__arena_new(void);
void tb__arena_free(struct tb__arena *a);
/* Forgets every allocation. */
void tb__arena_reset(struct tb__arena *a);
/* The allocator to pass to protobuf_c_message_unpack; borrowed. */
ProtobufCAllocator *tb__arena_allocator(struct tb__arena *a);

/* Parses 1-32 hex digits (either case) into a 128-bit id, right-aligned.
 * False when s is empty, too long or not hex (*hi, *lo untouched). */
bool tb__hex_id(const char *s, size_t len, uint64_t *hi, uint64_t *lo);

/* A span's start time from a JSON value in units of ns_per_unit ns: a
 * number in [0, 2^64), or when strings is set also a string of decimal
 * digits (how JSON mappings send 64-bit ints). A start time dates a span
 * but does not identify it, so anything absent, malformed or past 64 bits
 * of ns is 0, not an error. */
struct cJSON;
uint64_t tb__json_start_ns(const struct cJSON *v, bool strings,
                           uint64_t ns_per_unit);

/* Inflates a gzip or zlib body into *out (malloc'd, caller frees) of at
 * most limit bytes. TB_ERR_DECODE for corrupt data; TB_ERR_INVALID_ARG
 * when the inflated body would pass limit (the caller answers 413). */
tb_err tb__gunzip(const uint8_t *in, size_t len, size_t limit, uint8_t **out,
                  size_t *out_len, tb_error *err);

/* The same as a stream, as the body arrives: the satellite keeps only the
 * inflated bytes, and stops at its limit while inflating, not after. */
struct tb__gunzip_stream {
    z_stream zs;
    bool ready; /* inflateInit2 done */
    bool ended; /* the gzip (or zlib) stream is complete */
};
/* Starts (or restarts, for the next request on a connection) a stream. */
tb_err tb__gunzip_stream_begin(struct tb__gunzip_stream *s, tb_error *err);
/* Inflates n more bytes, handing the output to sink, which returns false
 * to stop (the caller's limit). TB_ERR_DECODE for corrupt data;
 * TB_ERR_INVALID_ARG when sink stopped. Bytes after the end are ignored. */
tb_err
tb__gunzip_stream_feed(struct tb__gunzip_stream *s, const uint8_t *in, size_t n,
                       bool (*sink)(void *arg, const uint8_t *data, size_t len),
                       void *arg, tb_error *err);
/* TB_ERR_DECODE "gzip: truncated data" unless the stream ended. */
tb_err tb__gunzip_stream_finish(const struct tb__gunzip_stream *s,
                                tb_error *err);
void tb__gunzip_stream_free(struct tb__gunzip_stream *s);

/* What every decoder gets: the body and where to put the keys. */
struct tb__decode_ctx {
    struct tb__arena *arena;    /* protobuf decoders allocate here */
    struct tb__span_keys *keys; /* appended to */
};

/* Reads the i-th element of a JSON span array into *key (its identity
 * and start; key->repeat is not for it to set); TB_ERR_DECODE with the
 * reason when the element is not a span of the protocol. */
typedef tb_err tb__json_span_fn(const struct cJSON *span, size_t i,
                                struct tb__span_key *key, tb_error *err);

/* Reads each element of spans (a cJSON array; NULL for none) with read
 * and appends its key to ctx->keys, in order; the first failure stops the
 * walk and is returned (the keys appended before it stay). */
tb_err tb__json_spans_push(struct tb__decode_ctx *ctx,
                           const struct cJSON *spans, tb__json_span_fn *read,
                           tb_error *err);

typedef tb_err (*tb__decode_fn)(struct tb__decode_ctx *ctx, const uint8_t *body,
                                size_t len, tb_error *err);

tb_err tb__decode_lightstep(struct tb__decode_ctx *ctx, const uint8_t *body,
                            size_t len, tb_error *err);
/* The same with a full protobuf-c unpack: slower (see lightstep.c); kept
 * as the tests' reference for the fast walk. */
tb_err tb__decode_lightstep_unpack(struct tb__decode_ctx *ctx,
                                   const uint8_t *body, size_t len,
                                   tb_error *err);
tb_err tb__decode_lightstep_json(struct tb__decode_ctx *ctx,
                                 const uint8_t *body, size_t len,
                                 tb_error *err);
tb_err tb__decode_otlp(struct tb__decode_ctx *ctx, const uint8_t *body,
                       size_t len, tb_error *err);
tb_err tb__decode_otlp_json(struct tb__decode_ctx *ctx, const uint8_t *body,
                            size_t len, tb_error *err);
tb_err tb__decode_zipkin(struct tb__decode_ctx *ctx, const uint8_t *body,
                         size_t len, tb_error *err);
tb_err tb__decode_datadog(struct tb__decode_ctx *ctx, const uint8_t *body,
                          size_t len, tb_error *err);

/* The decoder for a protocol. */
tb__decode_fn tb__protocol_decoder(tb_satellite_protocol proto);

#endif
