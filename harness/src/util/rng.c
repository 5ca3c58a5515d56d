/* xoshiro256** with splitmix64 seeding, after the public-domain reference
 * code at prng.di.unimi.it. Chosen over rand() because its sequence is
 * fixed by the algorithm, not by the C library, so a seeded bootstrap gives
 * the same interval everywhere. */
#include <math.h>

#include "tracebench/util/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void tb_rng_seed(tb_rng *rng, uint64_t seed)
{
    /* splitmix64 never yields four zero words in a row, so the xoshiro
     * state is never the all-zero fixed point, whatever the seed. */
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

uint64_t tb_rng_next(tb_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tb_rng_uniform(tb_rng *rng)
{
    return (double)(tb_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t tb_rng_below(tb_rng *rng, uint64_t n)
{
    uint64_t limit, x;

    if (n == 0)
        return 0;
    /* Reject the top sliver of the 64-bit range that would make some
     * residues more likely than others; at most one retry in 2^63/n. */
    limit = UINT64_MAX - UINT64_MAX % n;
    do {
        x = tb_rng_next(rng);
    } while (x >= limit);
    return x % n;
}

double tb_rng_normal(tb_rng *rng)
{
    const double two_pi = 6.283185307179586;
    /* 1 - u lies in (0, 1], so the logarithm is finite. */
    double u1 = 1.0 - tb_rng_uniform(rng);
    double u2 = tb_rng_uniform(rng);

    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}
