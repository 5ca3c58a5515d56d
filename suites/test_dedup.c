/* The span-identity set behind duplicate_spans. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../harness/src/satellite/dedup.h"

TestSuite(dedup, .timeout = 60);

Test(dedup, tells_first_sends_from_repeats)
{
    struct tb__dedup *d = tb__dedup_new();

    cr_assert(ne(ptr, d, NULL));
    cr_assert(tb__dedup_insert(d, 0, 1, 1));
    cr_assert_not(tb__dedup_insert(d, 0, 1, 1));
    cr_assert(tb__dedup_insert(d, 0, 1, 2));
    cr_assert(tb__dedup_insert(d, 0, 2, 1));
    /* Same low 64 bits, other high 64 bits: another trace. */
    cr_assert(tb__dedup_insert(d, 5, 1, 1));
    cr_assert_not(tb__dedup_insert(d, 5, 1, 1));
    /* The all-zero identity is stored too. */
    cr_assert(tb__dedup_insert(d, 0, 0, 0));
    cr_assert_not(tb__dedup_insert(d, 0, 0, 0));
    cr_assert(eq(sz, tb__dedup_count(d), 5));
    tb__dedup_free(d);
}

Test(dedup, grows_and_keeps_every_identity)
{
    struct tb__dedup *d = tb__dedup_new();
    const uint64_t n = 1000000;

    for (uint64_t i = 0; i < n; i++)
        cr_assert(tb__dedup_insert(d, i >> 3, i * 7 + 1, i));
    for (uint64_t i = 0; i < n; i++)
        cr_assert_not(tb__dedup_insert(d, i >> 3, i * 7 + 1, i));
    cr_assert(eq(sz, tb__dedup_count(d), n));
    /* 16-byte slots at most 3/4 full, grown fourfold: 21 to 85 bytes per
     * identity. */
    cr_assert(le(sz, tb__dedup_bytes(d), n * 85));
    cr_assert(ge(sz, tb__dedup_bytes(d), n * 21));
    /* A clear keeps tables up to 8 MiB a shard for the next benchmark. */
    size_t before = tb__dedup_bytes(d);
    tb__dedup_clear(d);
    cr_assert(eq(sz, tb__dedup_count(d), 0));
    cr_assert(eq(sz, tb__dedup_bytes(d), before));
    for (uint64_t i = 0; i < 1000; i++)
        cr_assert(eq(int, tb__dedup_insert(d, i >> 3, i * 7 + 1, i), 1),
                  "forgotten after the clear");
    tb__dedup_free(d);
}

Test(dedup, ten_million_spans_fit)
{
    struct tb__dedup *d = tb__dedup_new();
    const uint64_t n = 10000000;
    uint64_t fresh = 0;

    for (uint64_t i = 0; i < n; i++)
        fresh += (uint64_t)tb__dedup_insert(d, 0x1122334455667788ull, i / 6 + 1,
                                            i * 0x9e3779b97f4a7c15ull);
    cr_assert(eq(u64, fresh, n));
    cr_assert(le(sz, tb__dedup_bytes(d), 256u * 1024 * 1024));
    /* Tables past 8 MiB a shard are given back at a clear. */
    tb__dedup_clear(d);
    cr_assert(le(sz, tb__dedup_bytes(d), 16u * 1024 * 1024));
    tb__dedup_free(d);
}

/* Freeing NULL is a no-op: it neither crashes (Criterion runs each test
 * in its own process and reports a crash as a failure) nor touches
 * another set's identities. */
Test(dedup, free_of_null_leaves_other_sets_alone)
{
    struct tb__dedup *d = tb__dedup_new();

    cr_assert(ne(ptr, d, NULL));
    cr_assert(tb__dedup_insert(d, 0, 1, 1));
    tb__dedup_free(NULL);
    cr_assert(eq(sz, tb__dedup_count(d), 1));
    cr_assert_not(tb__dedup_insert(d, 0, 1, 1),
                  "the identity inserted before free(NULL) was forgotten");
    cr_assert(tb__dedup_insert(d, 0, 1, 2));
    tb__dedup_free(d);
}
