/* chaos.h -- the chaos build: CHAOS_POINT() marks each atomic step of a concurrent structure.
 * In a build with -DKEEL_CHAOS (`make ... CHAOS=1`) every point may yield the CPU or spin for a
 * while, drawn from a per-thread generator seeded by chaos_seed(), so a 2-core machine explores
 * interleavings it would almost never hit on its own. Without KEEL_CHAOS a point is nothing. */
#ifndef KEEL_CHAOS_H
#define KEEL_CHAOS_H

#include <stdbool.h>
#include <stdint.h>

#define CHAOS_ONE_IN 8u       /* a point acts once in this many visits, on average */
#define CHAOS_SPIN_MAX 2000u  /* iterations of a pause loop: up to ~10 us on a 3 GHz x86 */
#define CHAOS_YIELD_ONE_IN 4u /* of the points that act, this share yields instead of spinning */

/* One point: maybe yield, maybe spin. Call it through CHAOS_POINT(). */
void chaos_point(void);
#ifdef KEEL_CHAOS
#define CHAOS_POINT() chaos_point()
#else
#define CHAOS_POINT() ((void)0)
#endif

/* Seeds every thread's generator from seed: each thread that reaches a point afterwards draws
 * seed mixed with the order in which threads first got there. Tests call it with
 * harness_seed(), so a failure replays from its seed (as far as the scheduler allows). */
void chaos_seed(uint64_t seed);

/* True in a build with -DKEEL_CHAOS. */
bool chaos_is_enabled(void);

#endif
