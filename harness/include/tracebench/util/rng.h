/* A small deterministic pseudo-random generator: xoshiro256** seeded
 * through splitmix64 (Blackman and Vigna). The bootstrap uses it so that a
 * given seed gives the same interval on every machine and every run; tests
 * use it to make samples. Not for anything secret. */
#ifndef TRACEBENCH_RNG_H
#define TRACEBENCH_RNG_H

#include <stdint.h>

/* The whole state; put it on the stack, no allocation, no global. */
typedef struct tb_rng {
    uint64_t s[4];
} tb_rng;

/* Seeds the generator. Any seed, 0 included, gives a valid state. */
void tb_rng_seed(tb_rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t tb_rng_next(tb_rng *rng);

/* Uniform in [0, 1), 53 bits of precision. */
double tb_rng_uniform(tb_rng *rng);

/* Uniform integer in [0, n), without modulo bias. n must be > 0; for n == 0
 * it returns 0. */
uint64_t tb_rng_below(tb_rng *rng, uint64_t n);

/* Standard normal (mean 0, standard deviation 1), by Box-Muller. */
double tb_rng_normal(tb_rng *rng);

#endif
