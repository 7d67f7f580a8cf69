/* kh_chaos.h -- the chaos build: KH_CHAOS_POINT() marks each atomic step of a concurrent structure.
 * In a build with -DKEEL_CHAOS (`make ... CHAOS=1`) every point may yield the CPU or spin for a
 * while, drawn from a per-thread generator seeded by kh_chaos_seed(), so a 2-core machine explores
 * interleavings it would almost never hit on its own. Without KEEL_CHAOS a point is nothing. */
#ifndef KEEL_KH_CHAOS_H
#define KEEL_KH_CHAOS_H

#include <stdbool.h>
#include <stdint.h>

/* A point acts once in KH_CHAOS_ONE_IN visits, on average; of the points that act, one in
 * KH_CHAOS_YIELD_ONE_IN yields and the rest spin. */
#define KH_CHAOS_ONE_IN 8u
#define KH_CHAOS_SPIN_MAX 2000u /* iterations of a pause loop: up to ~10 us on a 3 GHz x86 */
#define KH_CHAOS_YIELD_ONE_IN 4u

/* One point: maybe yield, maybe spin. Call it through KH_CHAOS_POINT(). */
void kh_chaos_point(void);
#ifdef KEEL_CHAOS
#define KH_CHAOS_POINT() kh_chaos_point()
#else
#define KH_CHAOS_POINT() ((void)0)
#endif

/* Seeds every thread's generator from seed: each thread that reaches a point afterwards draws
 * seed mixed with the order in which threads first got there. Tests call it with
 * kh_test_seed(), so a failure replays from its seed (as far as the scheduler allows). */
void kh_chaos_seed(uint64_t seed);

/* True in a build with -DKEEL_CHAOS. */
bool kh_chaos_is_enabled(void);

#endif
