/* stack.c -- lab 02 part C: the Treiber stack on epoch-based reclamation (stack.h).
 * Read stack_pop first: it reads top->next, which is safe only because top cannot be freed
 * while this thread is inside its EBR critical section; and since a retired node's memory is
 * not reused while anyone may still hold its address, the CAS on top cannot suffer ABA.
 * Nodes are recycled through a per-thread cache (below) that EBR's free callback
 * fills, so a push+pop loop calls neither malloc nor free. */
#include "stack.h"

#include "chaos.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

/* The most pauses after repeated lost CASes: 512 x ~28 ns (a pause on the AMD EPYC of the
 * kit's runs) = ~14 us, reached only after 9 losses in a row. In interleaved 2-thread pairs
 * runs there, a cap of 64 gave a median 1.5-1.9x the rate of no backoff, and 512 a median 1.6x
 * more than 64: the loser keeps off top's line while the winner pushes and pops. */
#define STACK_BACKOFF_SPINS_MAX 512u

#define STACK_STATUS_TEXT(name, text) [name] = text,
static const char *const stack_status_texts[] = {STACK_STATUS(STACK_STATUS_TEXT)};
#undef STACK_STATUS_TEXT

const char *
stack_strerror(stack_status status)
{
    return (size_t)status < sizeof(stack_status_texts) / sizeof(stack_status_texts[0])
               ? stack_status_texts[status]
               : "unknown status";
}

void
stack_init(struct stack *s, struct ebr *domain)
{
    assert(domain != NULL);
    atomic_init(&s->top, NULL);
    s->domain = domain;
}

void
stack_destroy(struct stack *s)
{
    struct stack_node *node = atomic_load_explicit(&s->top, memory_order_relaxed);
    while (node != NULL) {
        struct stack_node *next = node->next;
        free(node);
        node = next;
    }
    atomic_store_explicit(&s->top, NULL, memory_order_relaxed);
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

/* After a lost CAS: pause for a doubling while (Herlihy & Shavit, 11.2), so the thread that
 * won keeps top's cache line for its next operation instead of both failing again. */
static void
backoff(uint32_t *spins)
{
    for (uint32_t i = 0; i < *spins; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    *spins = *spins < STACK_BACKOFF_SPINS_MAX ? *spins * 2 : *spins;
}

stack_status
stack_push(struct stack *s, struct ebr_thread *thread, uint64_t value)
{
    (void)thread; /* push dereferences no shared node, so it needs no critical section */
    struct stack_node *node = cache_take();
    if (node == NULL) {
        node = malloc(sizeof(*node));
        if (node == NULL) {
            return STACK_NO_MEMORY;
        }
    }
    node->value = value;
    /* Relaxed: the CAS below re-checks top, and this value only seeds node->next. */
    struct stack_node *top = atomic_load_explicit(&s->top, memory_order_relaxed);
    for (uint32_t spins = 1;; backoff(&spins)) {
        node->next = top;
        CHAOS_POINT();
        /* Release on success: node->value and node->next are visible to any thread that
         * acquires top and finds this node. Relaxed on failure: top is just reloaded. */
        if (atomic_compare_exchange_weak_explicit(&s->top, &top, node, memory_order_release,
                                                  memory_order_relaxed)) {
            return STACK_OK;
        }
    }
}

stack_status
stack_pop(struct stack *s, struct ebr_thread *thread, uint64_t *value)
{
    ebr_enter(thread);
    /* Acquire: pairs with push's release, so the node's next and value are readable. */
    struct stack_node *top = atomic_load_explicit(&s->top, memory_order_acquire);
    for (uint32_t spins = 1;; backoff(&spins)) {
        if (top == NULL) {
            ebr_leave(thread);
            return STACK_EMPTY;
        }
        struct stack_node *next = top->next; /* safe: top is not freed while we are inside */
        CHAOS_POINT();
        /* Acquire on both outcomes: on failure the new top's fields must be readable too. */
        if (atomic_compare_exchange_weak_explicit(&s->top, &top, next, memory_order_acquire,
                                                  memory_order_acquire)) {
            break;
        }
    }
    *value = top->value;
    /* Never free() or recycle it now: others may still read it. */
    ebr_retire(thread, &top->reclaim, node_recycle);
    ebr_leave(thread);
    return STACK_OK;
}
