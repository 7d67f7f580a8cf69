/* pool_ring.c -- your pool queue on the MPMC ring (lab 02, part F). Read pool_ring.h, then
 * lab 01's server.h (struct pool_queue_ops) and the README's part F. */
#include "pool_ring.h"

#include <stdint.h>
#include <stdlib.h>

struct pool_queue {
    struct ring_mpmc ring; /* TODO(part F): and its slots: one allocation, suitably aligned */
};

static struct pool_queue *
pool_ring_create(size_t capacity)
{
    (void)capacity; /* TODO(part F): pool_ring_slots_for(capacity) slots, ring_mpmc_init */
    return NULL;
}

static void
pool_ring_push(struct pool_queue *q, struct client *c)
{
    (void)q; /* TODO(part F): wait while full (the pool's backpressure) */
    (void)c;
}

static struct client *
pool_ring_pop(struct pool_queue *q)
{
    (void)q; /* TODO(part F): wait while empty */
    return NULL;
}

static void
pool_ring_destroy(struct pool_queue *q)
{
    free(q);
}

const struct pool_queue_ops pool_ring_ops = {
    .name = "ring",
    .create_cb = pool_ring_create,
    .push_cb = pool_ring_push,
    .pop_cb = pool_ring_pop,
    .destroy_cb = pool_ring_destroy,
};
