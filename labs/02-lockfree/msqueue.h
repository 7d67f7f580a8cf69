/* msqueue.h -- the Michael-Scott queue (lab 02, part D; Michael & Scott, PODC 1996): a
 * lock-free FIFO of uint64_t values, multi-producer multi-consumer, with a dummy node at the
 * head. Enqueue links a node after the last one, then swings tail; any thread that finds tail
 * lagging (tail->next not NULL) helps swing it first. Enqueue allocates a node; dequeued
 * dummies are retired through the caller's EBR domain (ebr.h), whose free callback releases
 * them (the reference keeps them for reuse). */
#ifndef KEEL_MSQUEUE_H
#define KEEL_MSQUEUE_H

#include "ebr.h"

#define MSQUEUE_STATUS(X)                                                                          \
    X(MSQUEUE_OK, "ok")                                                                            \
    X(MSQUEUE_EMPTY, "the queue is empty")                                                         \
    X(MSQUEUE_NO_MEMORY, "out of memory for a node")                                               \
    X(MSQUEUE_UNIMPLEMENTED, "not implemented yet")
#define MSQUEUE_STATUS_ENUM(name, text) name,
typedef enum { MSQUEUE_STATUS(MSQUEUE_STATUS_ENUM) } msqueue_status;
#undef MSQUEUE_STATUS_ENUM
const char *msqueue_strerror(msqueue_status status);

struct msqueue_node {
    struct ebr_node reclaim;             /* first: the EBR node is the queue node */
    _Atomic(struct msqueue_node *) next; /* NULL at the last node */
    uint64_t value;                      /* meaningless in the dummy */
};

struct msqueue {
    _Alignas(EBR_CACHE_LINE_BYTES) _Atomic(struct msqueue_node *) head; /* the dummy */
    _Alignas(EBR_CACHE_LINE_BYTES) _Atomic(struct msqueue_node *) tail; /* last, or lagging by 1 */
    struct ebr *domain;                                                 /* borrowed */
};

/* Allocates the first dummy. Returns MSQUEUE_OK or MSQUEUE_NO_MEMORY. */
msqueue_status msqueue_init(struct msqueue *q, struct ebr *domain);
/* Frees every node. No thread may use the queue during or after. */
void msqueue_destroy(struct msqueue *q);

/* thread is the caller's slot in q->domain. Safe from any number of threads at once.
 * enqueue returns MSQUEUE_OK or MSQUEUE_NO_MEMORY; dequeue MSQUEUE_OK with *value, or
 * MSQUEUE_EMPTY. */
msqueue_status msqueue_enqueue(struct msqueue *q, struct ebr_thread *thread, uint64_t value);
msqueue_status msqueue_dequeue(struct msqueue *q, struct ebr_thread *thread, uint64_t *value);

#endif
