/* The span-identity set: see dedup.h for the layout and its cost. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "dedup.h"

#define SHARD_BITS 4             /* log2(TB__DEDUP_SHARDS) */
#define INITIAL_SLOTS (1u << 16) /* per shard: 1 MiB, touched lazily */
#define HUGE_BYTES (2u << 20)    /* a transparent huge page */
#define BATCH 256                /* keys grouped by shard at a time */
#define PREFETCH_AHEAD 8         /* keys */
#define MIGRATE_STEP 64          /* old slots moved per insert while growing */
#define GROWTH 4                 /* a full table's size is multiplied by */
#define KEEP_SLOTS (1u << 19)    /* per shard: kept, zeroed, across a clear */

_Static_assert(TB__DEDUP_SHARDS == 1u << SHARD_BITS, "shard count");

struct slot {
    uint64_t span_id;
    uint64_t trace; /* fold of the 128-bit trace id; 0,0 = empty */
};

/* One lock, one table (two while growing); aligned so that two shards'
 * locks never share a cache line. Everything is read and written under
 * the lock; slots and mask are atomic only because peek reads them
 * without it, to prefetch a slot of a shard not yet locked.
 *
 * A shard grows incrementally: the larger table is installed at once
 * and every insert then moves MIGRATE_STEP slots of the old one, which is
 * freed when all have moved. It grows GROWTH times, not twice: moving an
 * identity cost 45-65 ns, about what inserting one costs, and doubling
 * moved each 1.6 times on its way to a million a shard (measured, 7
 * million inserts of 100-key batches: 150 ns an insert doubling, 70
 * quadrupling, 45 into a table sized for them from the start).
 * A growth in one go held the shard for milliseconds (8 MiB rehashed,
 * 16 MiB faulted in), and measured under the benchmark, 1.2 s of 6 went
 * to growths and as much again to the other connection waiting for the
 * shard. Until moved, an identity is
 * looked up in the old table too; an old slot is copied, not cleared, so
 * the old table's probe chains stay whole. */
struct shard {
    pthread_mutex_t lock;
    _Atomic(struct slot *) slots;
    atomic_size_t mask; /* slots - 1; a power of two minus one */
    size_t count;       /* identities recorded, in either table */
    struct slot *old;   /* being moved from; NULL when not growing */
    size_t old_slots;   /* in old */
    size_t moved;       /* old slots moved so far */
} __attribute__((aligned(64)));

struct tb__dedup {
    struct shard shards[TB__DEDUP_SHARDS];
};

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The top bits pick the shard, the low bits the slot in it. */
static uint64_t hash(const struct slot *s)
{
    return mix(s->span_id ^ (s->trace * 0x9e3779b97f4a7c15ull));
}

static unsigned shard_of(uint64_t h)
{
    return (unsigned)(h >> (64 - SHARD_BITS));
}

static struct slot make_key(uint64_t trace_hi, uint64_t trace_lo,
                            uint64_t span_id)
{
    struct slot k;

    k.span_id = span_id;
    /* Exact for 64-bit trace ids (hi = 0 gives a bijection of lo). */
    k.trace = trace_lo ^ (trace_hi ? mix(trace_hi) : 0);
    if (k.span_id == 0 && k.trace == 0)
        k.trace = 1; /* all-zero ids are invalid anyway; keep 0,0 empty */
    return k;
}

/* A zeroed table of n slots. From 2 MiB up (a million spans over the
 * set) it is mapped on its own, aligned to and advised into huge pages:
 * each insert lands on a random slot, and with 4 KiB pages each also
 * missed the TLB (measured: ~75 ns an insert into a 100 MB set, ~50 ns
 * with huge pages); the kernel then also zeroes it 2 MiB per fault, and
 * gives it back whole when freed. Without huge pages it still works. */
static struct slot *table_alloc(size_t n)
{
    size_t bytes = n * sizeof(struct slot);
    uint8_t *p, *at;

    if (bytes < HUGE_BYTES)
        return calloc(n, sizeof(struct slot));
    p = mmap(NULL, bytes + HUGE_BYTES, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    at = (uint8_t *)(((uintptr_t)p + HUGE_BYTES - 1) &
                     ~(uintptr_t)(HUGE_BYTES - 1));
    if (at > p)
        munmap(p, (size_t)(at - p));
    munmap(at + bytes, HUGE_BYTES - (size_t)(at - p));
    madvise(at, bytes, MADV_HUGEPAGE);
    return (struct slot *)at;
}

static void table_free(struct slot *s, size_t n)
{
    if (n * sizeof(struct slot) < HUGE_BYTES)
        free(s);
    else if (s != NULL)
        munmap(s, n * sizeof(struct slot));
}

/* The shard's table and its mask; the lock is held (for peek's use
 * without it, see there). */
static struct slot *slots_of(const struct shard *sh)
{
    return atomic_load_explicit(&((struct shard *)sh)->slots,
                                memory_order_relaxed);
}

static size_t mask_of(const struct shard *sh)
{
    return atomic_load_explicit(&((struct shard *)sh)->mask,
                                memory_order_relaxed);
}

/* Installs a table; the lock is held. */
static void set_table(struct shard *sh, struct slot *s, size_t mask)
{
    atomic_store_explicit(&sh->slots, s, memory_order_relaxed);
    atomic_store_explicit(&sh->mask, mask, memory_order_relaxed);
}

static bool is_empty(const struct slot *s)
{
    return s->span_id == 0 && s->trace == 0;
}

struct tb__dedup *tb__dedup_new(void)
{
    struct tb__dedup *d = aligned_alloc(64, sizeof(*d));
    pthread_mutexattr_t ma;

    if (d == NULL)
        return NULL;
    /* A shard is held for a few inserts, well under a microsecond: a
     * waiter spins briefly rather than sleeping at once. */
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    for (unsigned i = 0; i < TB__DEDUP_SHARDS; i++) {
        struct shard *sh = &d->shards[i];
        struct slot *s = table_alloc(INITIAL_SLOTS);

        if (s == NULL) {
            while (i-- > 0) {
                table_free(slots_of(&d->shards[i]), mask_of(&d->shards[i]) + 1);
                pthread_mutex_destroy(&d->shards[i].lock);
            }
            free(d);
            d = NULL;
            break;
        }
        pthread_mutex_init(&sh->lock, &ma);
        set_table(sh, s, INITIAL_SLOTS - 1);
        sh->count = 0;
        sh->old = NULL;
        sh->old_slots = sh->moved = 0;
    }
    pthread_mutexattr_destroy(&ma);
    return d;
}

void tb__dedup_free(struct tb__dedup *d)
{
    if (d == NULL)
        return;
    for (unsigned i = 0; i < TB__DEDUP_SHARDS; i++) {
        table_free(d->shards[i].old, d->shards[i].old_slots);
        table_free(slots_of(&d->shards[i]), mask_of(&d->shards[i]) + 1);
        pthread_mutex_destroy(&d->shards[i].lock);
    }
    free(d);
}

/* Places k, known to be absent, in the shard's current table. */
static void place(struct shard *sh, const struct slot *k)
{
    struct slot *slots = slots_of(sh);
    size_t mask = mask_of(sh);
    size_t j = (size_t)hash(k) & mask;

    while (!is_empty(&slots[j]))
        j = (j + 1) & mask;
    slots[j] = *k;
}

/* Moves up to n more slots of the old table; frees it when all have
 * moved. The old slots are visited in order and land in the new table
 * at their index or that plus the old size, so both walks are nearly
 * sequential. The lock is held. */
static void migrate(struct shard *sh, size_t n)
{
    size_t end = sh->moved + n < sh->old_slots ? sh->moved + n : sh->old_slots;

    for (size_t i = sh->moved; i < end; i++)
        if (!is_empty(&sh->old[i]))
            place(sh, &sh->old[i]);
    sh->moved = end;
    if (end == sh->old_slots) {
        table_free(sh->old, sh->old_slots);
        sh->old = NULL;
        sh->old_slots = sh->moved = 0;
    }
}

/* Starts growing the shard's table. The lock is held. */
static int grow(struct shard *sh)
{
    size_t n = mask_of(sh) + 1;
    struct slot *s = table_alloc(n * GROWTH);

    if (s == NULL)
        return -1;
    sh->old = slots_of(sh);
    sh->old_slots = n;
    sh->moved = 0;
    set_table(sh, s, n * GROWTH - 1);
    return 0;
}

/* True when k (of hash h) is in the table. */
static bool find(const struct slot *slots, size_t mask, const struct slot *k,
                 uint64_t h, size_t *at)
{
    size_t i = (size_t)h & mask;

    for (;;) {
        const struct slot *s = &slots[i];

        if (s->span_id == k->span_id && s->trace == k->trace)
            return true;
        if (is_empty(s)) {
            *at = i;
            return false;
        }
        i = (i + 1) & mask;
    }
}

/* Records k (of hash h) in its shard; the shard's lock is held. The
 * migration finishes long before the new table is 3/4 full: it moves
 * the old table's slots within old_slots / MIGRATE_STEP inserts. */
static int insert_locked(struct shard *sh, const struct slot *k, uint64_t h)
{
    size_t at;

    if (sh->old == NULL && (sh->count + 1) * 4 > (mask_of(sh) + 1) * 3 &&
        grow(sh) != 0)
        return -1;
    if (sh->old != NULL) {
        migrate(sh, MIGRATE_STEP);
        if (sh->old != NULL && find(sh->old, sh->old_slots - 1, k, h, &at))
            return 0;
    }
    if (find(slots_of(sh), mask_of(sh), k, h, &at))
        return 0;
    slots_of(sh)[at] = *k;
    sh->count++;
    return 1;
}

/* Starts loading the slot where the key of hash h would go, in a shard
 * that may not be locked: slots and mask may then be a growth apart, and
 * the address (computed as an integer, never dereferenced) is garbage,
 * which a prefetch ignores. */
static void peek(const struct tb__dedup *d, uint64_t h)
{
    const struct shard *sh = &d->shards[shard_of(h)];
    uintptr_t at = (uintptr_t)slots_of(sh) +
                   ((size_t)h & mask_of(sh)) * sizeof(struct slot);

    __builtin_prefetch((const void *)at, 1);
}

bool tb__dedup_insert(struct tb__dedup *d, uint64_t trace_hi, uint64_t trace_lo,
                      uint64_t span_id)
{
    struct slot k = make_key(trace_hi, trace_lo, span_id);
    uint64_t h = hash(&k);
    struct shard *sh = &d->shards[shard_of(h)];
    int r;

    pthread_mutex_lock(&sh->lock);
    r = insert_locked(sh, &k, h);
    pthread_mutex_unlock(&sh->lock);
    return r != 0; /* -1, not recorded, still counts as new */
}

/* A key with its hash, ordered by shard. */
struct hkey {
    struct slot k;
    uint64_t h;
    struct tb__span_key *from; /* to flag a repeat */
};

/* Inserts by[b..e), all of shard s, whose lock is held, and releases it;
 * prefetches the keys that follow in by[0..n). */
static size_t insert_group(struct tb__dedup *d, unsigned s,
                           const struct hkey *by, size_t b, size_t e, size_t n)
{
    struct shard *sh = &d->shards[s];
    size_t fresh = 0;

    for (size_t i = b; i < e; i++) {
        if (i + PREFETCH_AHEAD < n)
            peek(d, by[i + PREFETCH_AHEAD].h);
        if (insert_locked(sh, &by[i].k, by[i].h) != 0)
            fresh++;
        else
            by[i].from->repeat = true;
    }
    pthread_mutex_unlock(&sh->lock);
    return fresh;
}

/* Up to BATCH keys: grouped by shard (a counting sort), then each shard
 * locked once for its keys. */
static size_t insert_batch(struct tb__dedup *d, struct tb__span_key *keys,
                           size_t n)
{
    uint16_t start[TB__DEDUP_SHARDS + 1] = {0};
    uint16_t at[TB__DEDUP_SHARDS];
    struct hkey in[BATCH], by[BATCH];
    unsigned deferred[TB__DEDUP_SHARDS], n_deferred = 0;
    size_t fresh = 0;

    for (size_t i = 0; i < n; i++) {
        in[i].k = make_key(keys[i].trace_hi, keys[i].trace_lo, keys[i].span_id);
        in[i].h = hash(&in[i].k);
        in[i].from = &keys[i];
        start[shard_of(in[i].h) + 1]++;
    }
    for (unsigned s = 0; s < TB__DEDUP_SHARDS; s++) {
        start[s + 1] = (uint16_t)(start[s + 1] + start[s]);
        at[s] = start[s];
    }
    for (size_t i = 0; i < n; i++)
        by[at[shard_of(in[i].h)]++] = in[i];
    /* In shard order, each shard locked once, the slots prefetched a few
     * keys ahead whichever shard they are in: a report has a few keys per
     * shard. A shard another thread holds is passed over and done last,
     * blocking only then: connections sweep the shards in the same order,
     * and when the holder is preempted (2 cores, busy) a waiter would
     * sleep until it runs again (measured: 0.8 s of 6 spent waiting). */
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        peek(d, by[i].h);
    for (unsigned s = 0; s < TB__DEDUP_SHARDS; s++) {
        if (start[s] == start[s + 1])
            continue;
        if (pthread_mutex_trylock(&d->shards[s].lock) != 0) {
            deferred[n_deferred++] = s;
            continue;
        }
        fresh += insert_group(d, s, by, start[s], start[s + 1], n);
    }
    for (unsigned j = 0; j < n_deferred; j++) {
        unsigned s = deferred[j];

        pthread_mutex_lock(&d->shards[s].lock);
        fresh += insert_group(d, s, by, start[s], start[s + 1], n);
    }
    return fresh;
}

size_t tb__dedup_insert_many(struct tb__dedup *d, struct tb__span_key *keys,
                             size_t n)
{
    size_t fresh = 0;

    for (size_t i = 0; i < n; i += BATCH)
        fresh += insert_batch(d, keys + i, n - i < BATCH ? n - i : BATCH);
    return fresh;
}

void tb__dedup_clear(struct tb__dedup *d)
{
    for (unsigned i = 0; i < TB__DEDUP_SHARDS; i++) {
        struct shard *sh = &d->shards[i];
        struct slot *old, *s = NULL;
        size_t n;

        pthread_mutex_lock(&sh->lock);
        table_free(sh->old, sh->old_slots);
        sh->old = NULL;
        sh->old_slots = sh->moved = 0;
        old = slots_of(sh);
        n = mask_of(sh) + 1;
        /* A group is reused benchmark after benchmark: a table up to
         * KEEP_SLOTS (8 MiB a shard, 128 MiB a group) is zeroed and kept,
         * so the next run does not pay for growing it again. */
        if (n > KEEP_SLOTS)
            s = table_alloc(INITIAL_SLOTS);
        if (s != NULL) {
            set_table(sh, s, INITIAL_SLOTS - 1);
            table_free(old, n);
        } else {
            for (size_t j = 0; j < n; j++)
                old[j].span_id = old[j].trace = 0;
        }
        sh->count = 0;
        pthread_mutex_unlock(&sh->lock);
    }
}

size_t tb__dedup_count(const struct tb__dedup *d)
{
    struct tb__dedup *m = (struct tb__dedup *)d;
    size_t n = 0;

    for (unsigned i = 0; i < TB__DEDUP_SHARDS; i++) {
        pthread_mutex_lock(&m->shards[i].lock);
        n += m->shards[i].count;
        pthread_mutex_unlock(&m->shards[i].lock);
    }
    return n;
}

size_t tb__dedup_bytes(const struct tb__dedup *d)
{
    struct tb__dedup *m = (struct tb__dedup *)d;
    size_t n = 0;

    for (unsigned i = 0; i < TB__DEDUP_SHARDS; i++) {
        pthread_mutex_lock(&m->shards[i].lock);
        n += (mask_of(&m->shards[i]) + 1 + m->shards[i].old_slots) *
             sizeof(struct slot);
        pthread_mutex_unlock(&m->shards[i].lock);
    }
    return n;
}
