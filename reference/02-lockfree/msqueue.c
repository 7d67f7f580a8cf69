/* msqueue.c -- lab 02 part D: the Michael-Scott queue on epoch-based reclamation
 * (msqueue.h). Read msqueue_enqueue first: it links at tail->next, then swings tail; the
 * invariant is that tail is the last node or the one before it. Whoever sees tail lagging
 * swings it before doing anything else, so a thread stopped between its two steps delays no
 * one (lock freedom), and dequeue never moves head past tail. Retired dummies come back
 * through node_pool.h (given), so enqueue rarely calls malloc. */
#include "msqueue.h"

#include "kh_chaos.h"
#include "node_pool.h"

#include <assert.h>
#include <stdlib.h>

/* The most pauses after repeated lost CASes (see backoff; the value and why in stack.c). */
#define MSQUEUE_BACKOFF_SPINS_MAX 512u

#define MSQUEUE_STATUS_TEXT(name, text) [name] = (text),
static const char *const msqueue_status_texts[] = {MSQUEUE_STATUS(MSQUEUE_STATUS_TEXT)};
#undef MSQUEUE_STATUS_TEXT

const char *
msqueue_strerror(msqueue_status status)
{
    return (size_t)status < sizeof(msqueue_status_texts) / sizeof(msqueue_status_texts[0])
               ? msqueue_status_texts[status]
               : "unknown status";
}

/* After a lost CAS: pause for a doubling while (Herlihy & Shavit, 11.2; Michael & Scott's own
 * measurements used backoff too), so the thread that won keeps the contended line for its next
 * step instead of both failing again. */
static void
backoff(uint32_t *spins)
{
    for (uint32_t i = 0; i < *spins; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    *spins = *spins < MSQUEUE_BACKOFF_SPINS_MAX ? *spins * 2 : *spins;
}

static struct msqueue_node *
node_new(uint64_t value)
{
    struct msqueue_node *node = node_pool_take(sizeof(*node));
    if (node != NULL) {
        atomic_init(&node->next, NULL);
        node->value = value;
    }
    return node;
}

msqueue_status
msqueue_init(struct msqueue *q, struct ebr *domain)
{
    assert(domain != NULL);
    struct msqueue_node *dummy = node_new(0);
    if (dummy == NULL) {
        return MSQUEUE_NO_MEMORY;
    }
    atomic_init(&q->head, dummy);
    atomic_init(&q->tail, dummy);
    q->domain = domain;
    return MSQUEUE_OK;
}

void
msqueue_destroy(struct msqueue *q)
{
    struct msqueue_node *node = atomic_load_explicit(&q->head, memory_order_relaxed);
    assert(node != NULL); /* the dummy, at least */
    while (node != NULL) {
        struct msqueue_node *next = atomic_load_explicit(&node->next, memory_order_relaxed);
        free(node);
        node = next;
    }
    atomic_store_explicit(&q->head, NULL, memory_order_relaxed);
    atomic_store_explicit(&q->tail, NULL, memory_order_relaxed);
}

/* Swings tail from last to next (a no-op if someone else already did). Release: next's
 * fields, published by its enqueuer's release, stay visible to whoever acquires tail. */
static void
swing_tail(struct msqueue *q, struct msqueue_node *last, struct msqueue_node *next)
{
    atomic_compare_exchange_strong_explicit(&q->tail, &last, next, memory_order_release,
                                            memory_order_relaxed);
}

msqueue_status
msqueue_enqueue(struct msqueue *q, struct ebr_thread *thread, uint64_t value)
{
    assert(thread->domain == q->domain); /* the caller's slot in the queue's domain */
    struct msqueue_node *node = node_new(value);
    if (node == NULL) {
        return MSQUEUE_NO_MEMORY;
    }
    ebr_enter(thread);
    for (uint32_t spins = 1;; backoff(&spins)) {
        /* Acquire: tail's node fields are readable (and it is not freed: we are inside). */
        struct msqueue_node *last = atomic_load_explicit(&q->tail, memory_order_acquire);
        struct msqueue_node *next = atomic_load_explicit(&last->next, memory_order_acquire);
        KH_CHAOS_POINT();
        if (next != NULL) {
            swing_tail(q, last, next); /* tail lags: help, then retry (after a pause) */
            continue;
        }
        struct msqueue_node *expected = NULL;
        /* Release: node->value and node->next = NULL are visible to whoever finds the link.
         * Relaxed on failure: someone linked first; we retry from tail. */
        if (atomic_compare_exchange_weak_explicit(&last->next, &expected, node,
                                                  memory_order_release, memory_order_relaxed)) {
            KH_CHAOS_POINT();
            swing_tail(q, last, node); /* may fail if a helper did it: fine */
            break;
        }
    }
    ebr_leave(thread);
    return MSQUEUE_OK;
}

msqueue_status
msqueue_dequeue(struct msqueue *q, struct ebr_thread *thread, uint64_t *value)
{
    assert(thread->domain == q->domain);
    assert(value != NULL);
    ebr_enter(thread);
    for (uint32_t spins = 1;; backoff(&spins)) {
        /* Acquire on each: the nodes' fields are readable; none is freed while we are inside. */
        struct msqueue_node *first = atomic_load_explicit(&q->head, memory_order_acquire);
        struct msqueue_node *last = atomic_load_explicit(&q->tail, memory_order_acquire);
        struct msqueue_node *next = atomic_load_explicit(&first->next, memory_order_acquire);
        KH_CHAOS_POINT();
        if (first != atomic_load_explicit(&q->head, memory_order_acquire)) {
            continue; /* head moved under us: the three reads are not a snapshot */
        }
        if (next == NULL) {
            ebr_leave(thread);
            return MSQUEUE_EMPTY;
        }
        if (first == last) {
            /* Not empty, but tail still points at the dummy: swing it before moving head past
             * it, or head would overtake tail and tail would point at a retired node. */
            swing_tail(q, last, next);
            continue;
        }
        uint64_t taken = next->value; /* read before the CAS: after it, next is the dummy
                                         and another dequeuer may retire it */
        /* Acq_rel on success: acquire keeps the read above from seeing a later value;
         * release hands the new dummy over. Relaxed on failure: we retry. */
        if (atomic_compare_exchange_weak_explicit(&q->head, &first, next, memory_order_acq_rel,
                                                  memory_order_relaxed)) {
            *value = taken;
            ebr_retire(thread, &first->reclaim, node_pool_recycle); /* never reuse it now */
            ebr_leave(thread);
            return MSQUEUE_OK;
        }
    }
}
