/* A set of span identities, to tell first sends from repeats (internal).
 *
 * The set is split by hash into TB__DEDUP_SHARDS shards, each an open
 * addressing table with linear probing and its own lock, so that requests
 * on different connections record their ids in parallel. Each slot is 16
 * bytes: the 64-bit span id and a 64-bit fold of the 128-bit trace id
 * (exact for 64-bit trace ids). A shard grows fourfold at 3/4 full, so
 * the set holds between 21 and 85 bytes per recorded span (10 million
 * spans: 256 MiB); an empty set reserves 16 MiB, touched only as it fills,
 * and a clear keeps tables up to 8 MiB a shard. A shard grows incrementally
 * (see dedup.c): for its next n/64 inserts, n its old size, it keeps its old
 * table too, up to 107 bytes per span in that shard meanwhile. Tables from
 * 2 MiB up are mapped in huge pages. Thread-safe. */
#ifndef TB_DEDUP_H
#define TB_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "protocols/protocols.h"

#define TB__DEDUP_SHARDS 16

struct tb__dedup;

/* NULL when out of memory. Free with tb__dedup_free. */
struct tb__dedup *tb__dedup_new(void);
void tb__dedup_free(struct tb__dedup *d);

/* True when the identity is new (and is now recorded; if the table could
 * not grow it counts as new but is not recorded), false when it was seen
 * before. */
bool tb__dedup_insert(struct tb__dedup *d, uint64_t trace_hi, uint64_t trace_lo,
                      uint64_t span_id);

/* Records n identities, as n calls of tb__dedup_insert would, sets
 * keys[i].repeat on those seen before, and returns how many counted as
 * new. A report's keys are grouped by shard, so each
 * shard's lock is taken once, and each slot is prefetched a few keys
 * ahead: a large table misses the cache on every insert, and the misses
 * overlap. */
size_t tb__dedup_insert_many(struct tb__dedup *d, struct tb__span_key *keys,
                             size_t n);

/* Forgets everything and gives the memory back. */
void tb__dedup_clear(struct tb__dedup *d);

size_t tb__dedup_count(const struct tb__dedup *d);
/* Bytes the tables occupy now. */
size_t tb__dedup_bytes(const struct tb__dedup *d);

#endif
