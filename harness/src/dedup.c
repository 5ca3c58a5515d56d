/* The span-identity set: see dedup.h for the layout and its cost. */
#include <stdlib.h>

#include "dedup.h"

#define INITIAL_SLOTS (1u << 14)

struct slot {
    uint64_t span_id;
    uint64_t trace;    /* fold of the 128-bit trace id; 0,0 = empty */
};

struct tb__dedup {
    struct slot *slots;
    size_t mask;       /* slots - 1; a power of two minus one */
    size_t count;      /* identities recorded */
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

static size_t home(const struct slot *s, size_t mask)
{
    return (size_t)mix(s->span_id ^ (s->trace * 0x9e3779b97f4a7c15ull)) &
           mask;
}

static int alloc_slots(struct tb__dedup *d, size_t n)
{
    struct slot *s = calloc(n, sizeof(*s));

    if (s == NULL)
        return -1;
    d->slots = s;
    d->mask = n - 1;
    return 0;
}

struct tb__dedup *tb__dedup_new(void)
{
    struct tb__dedup *d = calloc(1, sizeof(*d));

    if (d == NULL || alloc_slots(d, INITIAL_SLOTS) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

void tb__dedup_free(struct tb__dedup *d)
{
    if (d == NULL)
        return;
    free(d->slots);
    free(d);
}

static int grow(struct tb__dedup *d)
{
    struct slot *old = d->slots;
    size_t n = d->mask + 1;

    if (alloc_slots(d, n * 2) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t j;

        if (old[i].span_id == 0 && old[i].trace == 0)
            continue;
        j = home(&old[i], d->mask);
        while (d->slots[j].span_id != 0 || d->slots[j].trace != 0)
            j = (j + 1) & d->mask;
        d->slots[j] = old[i];
    }
    free(old);
    return 0;
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

void tb__dedup_prefetch(const struct tb__dedup *d, uint64_t trace_hi,
                        uint64_t trace_lo, uint64_t span_id)
{
    struct slot k = make_key(trace_hi, trace_lo, span_id);

    __builtin_prefetch(&d->slots[home(&k, d->mask)], 1);
}

int tb__dedup_insert(struct tb__dedup *d, uint64_t trace_hi,
                     uint64_t trace_lo, uint64_t span_id)
{
    struct slot k = make_key(trace_hi, trace_lo, span_id);
    size_t i;

    if ((d->count + 1) * 4 > (d->mask + 1) * 3 && grow(d) != 0)
        return -1;
    i = home(&k, d->mask);
    for (;;) {
        struct slot *s = &d->slots[i];

        if (s->span_id == k.span_id && s->trace == k.trace)
            return 0;
        if (s->span_id == 0 && s->trace == 0) {
            *s = k;
            d->count++;
            return 1;
        }
        i = (i + 1) & d->mask;
    }
}

void tb__dedup_clear(struct tb__dedup *d)
{
    struct slot *old = d->slots;
    size_t n = d->mask + 1;

    if (n > INITIAL_SLOTS && alloc_slots(d, INITIAL_SLOTS) == 0)
        free(old);
    else
        for (size_t i = 0; i < n; i++)
            old[i].span_id = old[i].trace = 0;
    d->count = 0;
}

size_t tb__dedup_count(const struct tb__dedup *d)
{
    return d->count;
}

size_t tb__dedup_bytes(const struct tb__dedup *d)
{
    return (d->mask + 1) * sizeof(struct slot);
}
