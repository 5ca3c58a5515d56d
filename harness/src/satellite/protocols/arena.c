/* A bump allocator for protobuf-c. Unpacking a 100-span LightStep report
 * allocates a few thousand small pieces (one per unknown field); malloc and
 * free for each cost more than the decoding itself, so a request's pieces
 * come from one block that is reset, not freed, when the request ends. */
#include <stdlib.h>

#include "protocols.h"

#define ARENA_INITIAL_BYTES (256u * 1024)
#define ARENA_KEEP_MAX_BYTES (32u * 1024 * 1024) /* kept between requests */
#define ARENA_ALIGN 16u

/* An allocation that did not fit in the block; freed on reset. */
struct spill {
    struct spill *next;
    max_align_t data[];
};

struct tb__arena {
    ProtobufCAllocator alloc; /* alloc.allocator_data points here */
    unsigned char *block;
    size_t cap;  /* bytes in block */
    size_t used; /* bytes of block handed out */
    struct spill *spills;
    size_t spilled; /* bytes in spills since the last reset */
};

static void *arena_alloc(void *data, size_t size)
{
    struct tb__arena *a = data;
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    struct spill *s;

    if (need >= size && a->cap - a->used >= need) {
        void *p = a->block + a->used;

        a->used += need;
        return p;
    }
    if (size > SIZE_MAX - sizeof(*s))
        return NULL;
    s = malloc(sizeof(*s) + size);
    if (s == NULL)
        return NULL;
    s->next = a->spills;
    a->spills = s;
    a->spilled += size;
    return s->data;
}

/* Pieces are dropped all at once by tb__arena_reset. */
static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

struct tb__arena *tb__arena_new(void)
{
    struct tb__arena *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    a->block = malloc(ARENA_INITIAL_BYTES);
    if (a->block == NULL) {
        free(a);
        return NULL;
    }
    a->cap = ARENA_INITIAL_BYTES;
    a->alloc.alloc = arena_alloc;
    a->alloc.free = arena_free;
    a->alloc.allocator_data = a;
    return a;
}

void tb__arena_reset(struct tb__arena *a)
{
    size_t want = a->used + a->spilled;

    while (a->spills != NULL) {
        struct spill *next = a->spills->next;

        free(a->spills);
        a->spills = next;
    }
    /* Grow the block to what the last request needed, so the next request
     * of the same size does not spill. */
    if (a->spilled > 0 && want <= ARENA_KEEP_MAX_BYTES) {
        unsigned char *b = malloc(want + want / 4);

        if (b != NULL) {
            free(a->block);
            a->block = b;
            a->cap = want + want / 4;
        }
    }
    a->spilled = 0;
    a->used = 0;
}

ProtobufCAllocator *tb__arena_allocator(struct tb__arena *a)
{
    return &a->alloc;
}

void tb__arena_free(struct tb__arena *a)
{
    if (a == NULL)
        return;
    tb__arena_reset(a);
    free(a->block);
    free(a);
}
