/* rng.c -- the seeded PRNG every randomized test and benchmark draws from: xoshiro256**
 * (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2021), its state
 * filled from the seed by splitmix64 as the authors recommend. */
#include "kh_core.h"

#include <assert.h>
#include <string.h>

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
kh_rng_seed(struct kh_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (size_t i = 0; i < 4; i++) {
        rng->state[i] = splitmix64(&x);
    }
    /* splitmix64 is a bijection of distinct counters, so four zero words cannot happen. */
    assert((rng->state[0] | rng->state[1] | rng->state[2] | rng->state[3]) != 0);
}

uint64_t
kh_rng_next(struct kh_rng *rng)
{
    uint64_t *s = rng->state;
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

uint64_t
kh_rng_below(struct kh_rng *rng, uint64_t bound)
{
    assert(bound > 0);
    /* Reject the top sliver that would make small values likelier than large ones. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t x;
    do {
        x = kh_rng_next(rng);
    } while (x >= limit);
    return x % bound;
}

double
kh_rng_unit(struct kh_rng *rng)
{
    return (double)(kh_rng_next(rng) >> 11) * 0x1.0p-53; /* 53 random bits, the double's mantissa */
}

void
kh_rng_fill(struct kh_rng *rng, void *buf, size_t size_bytes)
{
    unsigned char *out = buf;
    while (size_bytes > 0) {
        uint64_t x = kh_rng_next(rng);
        size_t n = size_bytes < sizeof(x) ? size_bytes : sizeof(x);
        memcpy(out, &x, n);
        out += n;
        size_bytes -= n;
    }
}
