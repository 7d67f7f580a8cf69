/* pool_ring.h -- lab 02 part F: lab 01's thread pool, fed through the MPMC ring of part E.
 * Lab 01's pool moves ready clients from its dispatcher to its workers through a bounded
 * queue (a mutex and two condition variables); server.h's struct pool_queue_ops lets another
 * queue stand in. pool_ring_ops is that queue on ring_mpmc: a client pointer travels as a
 * uint64_t, push waits while the ring is full (the pool's backpressure), pop waits while it is
 * empty. lab 02's build of keel-server uses it under `--pool-queue ring`. */
#ifndef KEEL_POOL_RING_H
#define KEEL_POOL_RING_H

#include "ring.h"
#include "server.h"

/* create_cb(capacity) holds at least capacity clients: the ring needs a power of two of at
 * least 2 slots, so capacity is rounded up to one. */
extern const struct pool_queue_ops pool_ring_ops;

/* The ring's slot count for a pool queue of capacity clients (given): the smallest power of
 * two >= max(capacity, 2), or 0 when that passes RING_CAPACITY_MAX. */
static inline size_t
pool_ring_slots_for(size_t capacity)
{
    size_t slot_count = 2;
    while (slot_count < capacity && slot_count <= RING_CAPACITY_MAX / 2) {
        slot_count *= 2;
    }
    return slot_count >= capacity ? slot_count : 0;
}

#endif
