/* chaos.c -- the chaos build's random delays (kh_chaos.h). Each thread keeps its own splitmix64
 * state, so a point costs no shared-memory traffic that would itself change the interleaving. */
#include "kh_chaos.h"

#include <assert.h>
#include <sched.h>
#include <stdatomic.h>

static atomic_uint_fast64_t g_chaos_seed = 1;
static atomic_uint_fast64_t g_chaos_generation = 1; /* bumped by kh_chaos_seed: threads reseed */
static atomic_uint_fast64_t g_chaos_threads;        /* threads seeded so far, for the mix */

struct chaos_thread {
    uint64_t state;
    uint64_t generation; /* the g_chaos_generation this state was seeded in; 0: never */
};
static _Thread_local struct chaos_thread t_chaos;

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void
kh_chaos_seed(uint64_t seed)
{
    /* Relaxed: the seed is advisory (a thread that reads an old one still delays at random),
     * and the generation bump after it tells threads to reseed on their next point. */
    atomic_store_explicit(&g_chaos_seed, seed, memory_order_relaxed);
    atomic_store_explicit(&g_chaos_threads, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_chaos_generation, 1, memory_order_relaxed);
}

bool
kh_chaos_is_enabled(void)
{
#ifdef KEEL_CHAOS
    return true;
#else
    return false;
#endif
}

void
kh_chaos_point(void)
{
    uint64_t generation = atomic_load_explicit(&g_chaos_generation, memory_order_relaxed);
    if (t_chaos.generation != generation) {
        uint64_t index = atomic_fetch_add_explicit(&g_chaos_threads, 1, memory_order_relaxed);
        t_chaos.state = atomic_load_explicit(&g_chaos_seed, memory_order_relaxed) ^
                        (index * 0xd1b54a32d192ed03ull);
        t_chaos.generation = generation;
    }
    assert(t_chaos.generation != 0);
    uint64_t draw = splitmix64(&t_chaos.state);
    if (draw % KH_CHAOS_ONE_IN != 0) {
        return;
    }
    draw >>= 8;
    if (draw % KH_CHAOS_YIELD_ONE_IN == 0) {
        sched_yield();
        return;
    }
    uint64_t spins = (draw >> 8) % KH_CHAOS_SPIN_MAX;
    for (volatile uint64_t i = 0; i < spins; i++) {
    }
}
