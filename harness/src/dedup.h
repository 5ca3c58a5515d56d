/* A set of span identities, to tell first sends from repeats (internal).
 *
 * Open addressing with linear probing; each slot is 16 bytes: the 64-bit
 * span id and a 64-bit fold of the 128-bit trace id (exact for 64-bit trace
 * ids). The table doubles at 3/4 full, so it holds between 21 and 43 bytes
 * per recorded span (10 million spans: 256 MiB). Not thread-safe: the
 * satellite group serialises calls with its lock. */
#ifndef TB_DEDUP_H
#define TB_DEDUP_H

#include <stddef.h>
#include <stdint.h>

struct tb__dedup;

/* NULL when out of memory. Free with tb__dedup_free. */
struct tb__dedup *tb__dedup_new(void);
void tb__dedup_free(struct tb__dedup *d);

/* 1 when the identity is new (and is now recorded), 0 when it was seen
 * before, -1 when the table could not grow (the identity counts as new but
 * is not recorded). */
int tb__dedup_insert(struct tb__dedup *d, uint64_t trace_hi,
                     uint64_t trace_lo, uint64_t span_id);

/* Starts loading the identity's slot into the cache: a large table misses
 * the cache on every insert, and a report's inserts overlap their misses
 * when each is prefetched a few keys ahead. */
void tb__dedup_prefetch(const struct tb__dedup *d, uint64_t trace_hi,
                        uint64_t trace_lo, uint64_t span_id);

/* Forgets everything and gives the memory back. */
void tb__dedup_clear(struct tb__dedup *d);

size_t tb__dedup_count(const struct tb__dedup *d);
/* Bytes the table occupies now. */
size_t tb__dedup_bytes(const struct tb__dedup *d);

#endif
