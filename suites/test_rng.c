/* The seeded generator behind the bootstrap (tracebench/util/rng.h). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>

#include "tracebench/util/rng.h"

Test(rng, splitmix_seeding_matches_reference)
{
    /* splitmix64 from state 0 yields e220a8397b1dcdaf first (Vigna's
     * splitmix64.c); the seeded state is its first four outputs. */
    tb_rng r;

    tb_rng_seed(&r, 0);
    cr_assert(eq(u64, r.s[0], UINT64_C(0xe220a8397b1dcdaf)));
}

Test(rng, same_seed_same_sequence)
{
    tb_rng a, b, c;
    int differ = 0;

    tb_rng_seed(&a, 99);
    tb_rng_seed(&b, 99);
    tb_rng_seed(&c, 100);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = tb_rng_next(&a);

        cr_assert(eq(u64, x, tb_rng_next(&b)));
        differ += x != tb_rng_next(&c);
    }
    cr_assert(gt(int, differ, 990));
}

Test(rng, below_stays_in_range_and_covers_it)
{
    tb_rng r;
    int seen[5] = {0};

    tb_rng_seed(&r, 1);
    for (int i = 0; i < 5000; i++) {
        uint64_t k = tb_rng_below(&r, 5);

        cr_assert(lt(u64, k, 5));
        seen[k]++;
    }
    for (int k = 0; k < 5; k++)
        cr_assert(gt(int, seen[k], 850), "value %d seen %d times", k, seen[k]);
    cr_assert(eq(u64, tb_rng_below(&r, 0), 0));
}

Test(rng, uniform_and_normal_moments)
{
    tb_rng r;
    double su = 0, sn = 0, sn2 = 0;
    const int n = 100000;

    tb_rng_seed(&r, 2);
    for (int i = 0; i < n; i++) {
        double u = tb_rng_uniform(&r), z = tb_rng_normal(&r);

        cr_assert(ge(dbl, u, 0.0));
        cr_assert(lt(dbl, u, 1.0));
        cr_assert(isfinite(z));
        su += u;
        sn += z;
        sn2 += z * z;
    }
    cr_assert(epsilon_eq(dbl, su / n, 0.5, 0.01));
    cr_assert(epsilon_eq(dbl, sn / n, 0.0, 0.02));
    cr_assert(epsilon_eq(dbl, sn2 / n, 1.0, 0.02));
}
