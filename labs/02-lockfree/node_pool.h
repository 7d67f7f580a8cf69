/* node_pool.h -- given: a cache of the memory EBR hands back, for the Treiber stack's and the
 * MS queue's nodes (lab 02, parts C and D; the reference uses it, you may too). A node retired
 * with node_pool_recycle as its free callback comes back, once EBR says no thread can hold its
 * address, into the retiring thread's cache, and node_pool_take hands it out again: as safe as
 * free and then malloc, and without either in the common case. Blocks are NODE_POOL_BLOCK_BYTES
 * from malloc, so free() may also release one (stack_destroy and msqueue_destroy do). */
#ifndef KEEL_NODE_POOL_H
#define KEEL_NODE_POOL_H

#include "ebr.h"

#include <stddef.h>

#define NODE_POOL_BLOCK_BYTES 64u /* the largest node it serves */

/* A block of at least size_bytes (<= NODE_POOL_BLOCK_BYTES), or NULL when out of memory. */
void *node_pool_take(size_t size_bytes);
/* EBR's free callback for nodes from node_pool_take: keeps the node for reuse. */
void node_pool_recycle(struct ebr_node *node);

#endif
