/* msqueue.c -- lab 02 part D: the Michael-Scott queue on epoch-based reclamation
 * (msqueue.h). Read msqueue_enqueue first: it links at tail->next, then swings tail; the
 * invariant is that tail is the last node or the one before it. Whoever sees tail lagging
 * swings it before doing anything else, so a thread stopped between its two steps delays no
 * one (lock freedom), and dequeue never moves head past tail. Retired dummies come back
 * through a per-thread cache (below), so enqueue rarely calls malloc. */
#include "msqueue.h"

#include "chaos.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

/* The most pauses after repeated lost CASes (see backoff; the value and why in stack.c). */
#define MSQUEUE_BACKOFF_SPINS_MAX 512u

#define MSQUEUE_STATUS_TEXT(name, text) [name] = text,
static const char *const msqueue_status_texts[] = {MSQUEUE_STATUS(MSQUEUE_STATUS_TEXT)};
#undef MSQUEUE_STATUS_TEXT

const char *
msqueue_strerror(msqueue_status status)
{
    return (size_t)status < sizeof(msqueue_status_texts) / sizeof(msqueue_status_texts[0])
               ? msqueue_status_texts[status]
               : "unknown status";
}

/* ---- The node cache --------------------------------------------------------------------
 * Nodes EBR has handed back are reused for new nodes instead of going back to malloc. A node
 * enters the cache only through node_recycle, EBR's free callback, which runs once no thread
 * can still hold the node's address: taking it back then is as safe as malloc handing the same
 * memory back after free. Each thread keeps two lists of up to NODE_BATCH nodes, "loaded" and
 * "spare" (the magazines of Bonwick and Adams's allocator, USENIX 2001); a thread with both
 * full hands one list to a depot shared by all threads, and a thread with both empty takes a
 * list from there before it mallocs. So a thread that only adds and one that only removes (a
 * producer and a consumer) pass nodes around a batch at a time, one mutex acquisition per
 * NODE_BATCH nodes, instead of a malloc and a free per item. (stack.c and msqueue.c each have
 * this block: their nodes differ in type, and a lab file cannot include another's private
 * header.) */

/* Nodes per list: EBR hands nodes back about 64 at a time. */
#define NODE_BATCH 64u
/* Lists the depot keeps (128 KiB of 32-byte nodes); past that, a list is freed. */
#define DEPOT_BATCHES_MAX 64u

struct node_list {
    struct ebr_node *head; /* linked through next, which EBR no longer uses once it freed */
    size_t count;
};

/* Owned by one thread. Invariant: spare is empty or holds exactly NODE_BATCH nodes. */
struct node_cache {
    struct node_list loaded;
    struct node_list spare;
    bool has_exit_hook; /* set once the thread's exit will hand this cache back */
};

static _Thread_local struct node_cache thread_cache;
static pthread_key_t cache_exit_key; /* its destructor empties the exiting thread's cache */
static pthread_once_t cache_exit_once = PTHREAD_ONCE_INIT;
static bool has_cache_exit_key;

/* Full lists (NODE_BATCH nodes each) any thread may take. The mutex also orders one thread's
 * writes to a list's nodes before another thread's use of them. */
static struct {
    pthread_mutex_t lock;
    struct ebr_node *lists[DEPOT_BATCHES_MAX];
    size_t count;
} depot = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void
free_nodes(struct ebr_node *node)
{
    while (node != NULL) {
        struct ebr_node *next = node->next;
        free(node);
        node = next;
    }
}

/* Gives a full list to the depot, or frees its nodes when the depot is full. */
static void
depot_put(struct ebr_node *list)
{
    pthread_mutex_lock(&depot.lock);
    bool is_kept = depot.count < DEPOT_BATCHES_MAX;
    if (is_kept) {
        depot.lists[depot.count++] = list;
    }
    pthread_mutex_unlock(&depot.lock);
    if (!is_kept) {
        free_nodes(list);
    }
}

/* A full list from the depot, or NULL when it has none. */
static struct ebr_node *
depot_take(void)
{
    pthread_mutex_lock(&depot.lock);
    struct ebr_node *list = depot.count > 0 ? depot.lists[--depot.count] : NULL;
    pthread_mutex_unlock(&depot.lock);
    return list;
}

/* A node from this thread's cache or the depot, or NULL when both are empty (then malloc). */
static void *
cache_take(void)
{
    struct node_cache *c = &thread_cache;
    if (c->loaded.count == 0) {
        if (c->spare.count > 0) {
            c->loaded = c->spare;
            c->spare = (struct node_list){NULL, 0};
        } else {
            struct ebr_node *list = depot_take();
            if (list == NULL) {
                return NULL;
            }
            c->loaded = (struct node_list){list, NODE_BATCH};
        }
    }
    struct ebr_node *node = c->loaded.head;
    c->loaded.head = node->next;
    c->loaded.count--;
    return node;
}

/* The exit key's destructor: a full spare list goes to the depot for other threads, the rest
 * is freed. */
static void
cache_drain_cb(void *arg)
{
    struct node_cache *c = arg;
    assert(c == &thread_cache);
    if (c->spare.count == NODE_BATCH) {
        depot_put(c->spare.head);
    } else {
        free_nodes(c->spare.head);
    }
    free_nodes(c->loaded.head);
    *c = (struct node_cache){.has_exit_hook = false};
}

static void
cache_exit_key_create(void)
{
    has_cache_exit_key = pthread_key_create(&cache_exit_key, cache_drain_cb) == 0;
}

/* EBR's free callback. The first node a thread keeps registers its cache with the exit key,
 * so that the thread's exit hands back what it holds (the main thread's cache goes with the
 * process); without a key the node is freed. */
static void
node_recycle(struct ebr_node *node)
{
    struct node_cache *c = &thread_cache;
    if (!c->has_exit_hook) {
        pthread_once(&cache_exit_once, cache_exit_key_create);
        if (!has_cache_exit_key || pthread_setspecific(cache_exit_key, c) != 0) {
            free(node);
            return;
        }
        c->has_exit_hook = true;
    }
    if (c->loaded.count == NODE_BATCH) {
        if (c->spare.count == NODE_BATCH) {
            depot_put(c->spare.head);
        }
        c->spare = c->loaded;
        c->loaded = (struct node_list){NULL, 0};
    }
    node->next = c->loaded.head;
    c->loaded.head = node;
    c->loaded.count++;
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
    struct msqueue_node *node = cache_take();
    if (node == NULL) {
        node = malloc(sizeof(*node));
    }
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
    struct msqueue_node *node = node_new(value);
    if (node == NULL) {
        return MSQUEUE_NO_MEMORY;
    }
    ebr_enter(thread);
    for (uint32_t spins = 1;; backoff(&spins)) {
        /* Acquire: tail's node fields are readable (and it is not freed: we are inside). */
        struct msqueue_node *last = atomic_load_explicit(&q->tail, memory_order_acquire);
        struct msqueue_node *next = atomic_load_explicit(&last->next, memory_order_acquire);
        CHAOS_POINT();
        if (next != NULL) {
            swing_tail(q, last, next); /* tail lags: help, then retry (after a pause) */
            continue;
        }
        struct msqueue_node *expected = NULL;
        /* Release: node->value and node->next = NULL are visible to whoever finds the link.
         * Relaxed on failure: someone linked first; we retry from tail. */
        if (atomic_compare_exchange_weak_explicit(&last->next, &expected, node,
                                                  memory_order_release, memory_order_relaxed)) {
            CHAOS_POINT();
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
    ebr_enter(thread);
    for (uint32_t spins = 1;; backoff(&spins)) {
        /* Acquire on each: the nodes' fields are readable; none is freed while we are inside. */
        struct msqueue_node *first = atomic_load_explicit(&q->head, memory_order_acquire);
        struct msqueue_node *last = atomic_load_explicit(&q->tail, memory_order_acquire);
        struct msqueue_node *next = atomic_load_explicit(&first->next, memory_order_acquire);
        CHAOS_POINT();
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
            ebr_retire(thread, &first->reclaim, node_recycle); /* never reuse it now */
            ebr_leave(thread);
            return MSQUEUE_OK;
        }
    }
}
