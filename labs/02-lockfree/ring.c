/* ring.c -- lab 02 part E: the bounded MPMC ring with per-slot sequence numbers, the SPSC
 * ring with cached indices, and their blocking variants (ring.h). */
#include "ring.h"

#include "kh_chaos.h"

#include <assert.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RING_STATUS_TEXT(name, text) [name] = text,
static const char *const ring_status_texts[] = {RING_STATUS(RING_STATUS_TEXT)};
#undef RING_STATUS_TEXT

const char *
ring_strerror(ring_status status)
{
    return (size_t)status < sizeof(ring_status_texts) / sizeof(ring_status_texts[0])
               ? ring_status_texts[status]
               : "unknown status";
}

ring_status
ring_mpmc_init(struct ring_mpmc *r, struct ring_mpmc_slot *slots, size_t capacity)
{
    (void)r; /* TODO(part E): slot i starts with sequence i. */
    (void)slots;
    (void)capacity;
    return RING_UNIMPLEMENTED;
}

ring_status
ring_mpmc_try_push(struct ring_mpmc *r, uint64_t value)
{
    (void)r; /* TODO(part E): claim position p when slot p's sequence is p; publish p + 1. */
    (void)value;
    return RING_UNIMPLEMENTED;
}

ring_status
ring_mpmc_try_pop(struct ring_mpmc *r, uint64_t *value)
{
    (void)r;     /* TODO(part E): take position p when its sequence is p + 1; free it for the */
    (void)value; /* producer of p + capacity. */
    return RING_UNIMPLEMENTED;
}

void
ring_mpmc_push(struct ring_mpmc *r, uint64_t value)
{
    (void)r; /* TODO(part E): spin, then sleep on a futex without missing a wakeup. */
    (void)value;
}

uint64_t
ring_mpmc_pop(struct ring_mpmc *r)
{
    (void)r; /* TODO(part E) */
    return 0;
}

ring_status
ring_spsc_init(struct ring_spsc *r, uint64_t *slots, size_t capacity)
{
    (void)r; /* TODO(part E) */
    (void)slots;
    (void)capacity;
    return RING_UNIMPLEMENTED;
}

ring_status
ring_spsc_try_push(struct ring_spsc *r, uint64_t value)
{
    (void)r; /* TODO(part E): read the consumer's index only when the cached one says full. */
    (void)value;
    return RING_UNIMPLEMENTED;
}

ring_status
ring_spsc_try_pop(struct ring_spsc *r, uint64_t *value)
{
    (void)r; /* TODO(part E) */
    (void)value;
    return RING_UNIMPLEMENTED;
}

void
ring_spsc_push(struct ring_spsc *r, uint64_t value)
{
    (void)r; /* TODO(part E) */
    (void)value;
}

uint64_t
ring_spsc_pop(struct ring_spsc *r)
{
    (void)r; /* TODO(part E) */
    return 0;
}
