/* node_pool_given.c -- reuse of nodes EBR has handed back (node_pool.h), given. A node
 * enters the cache only through node_pool_recycle, EBR's free callback, which runs once no thread
 * can still hold the node's address: taking it back then is as safe as malloc handing the same
 * memory back after free. Each thread keeps two lists of up to NODE_BATCH nodes, "loaded" and
 * "spare" (the magazines of Bonwick and Adams's allocator, USENIX 2001); a thread with both
 * full hands one list to a depot shared by all threads, and a thread with both empty takes a
 * list from there before it mallocs. So a thread that only adds and one that only removes (a
 * producer and a consumer) pass nodes around a batch at a time, one mutex acquisition per
 * NODE_BATCH nodes, instead of a malloc and a free per item. Every block has the same size,
 * NODE_POOL_BLOCK_BYTES, so the stack's and the queue's nodes share one cache. */
#include "node_pool.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

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

static void cache_drain_cb(void *arg);

static void
cache_exit_key_create(void)
{
    has_cache_exit_key = pthread_key_create(&cache_exit_key, cache_drain_cb) == 0;
}

/* True once this thread's exit will hand its cache back (registering it the first time), false
 * when it cannot be registered: then the thread must keep no node in its cache. */
static bool
cache_has_exit_hook(struct node_cache *c)
{
    if (!c->has_exit_hook) {
        pthread_once(&cache_exit_once, cache_exit_key_create);
        if (!has_cache_exit_key || pthread_setspecific(cache_exit_key, c) != 0) {
            return false;
        }
        c->has_exit_hook = true;
    }
    return true;
}

/* A block from this thread's cache or the depot, or NULL when both are empty. */
static void *
cache_take(void)
{
    struct node_cache *c = &thread_cache;
    if (c->loaded.count == 0) {
        if (c->spare.count > 0) {
            c->loaded = c->spare;
            c->spare = (struct node_list){NULL, 0};
        } else {
            /* A list from the depot is kept in this cache, so the thread's exit must hand back
             * what is left of it, even in a thread that never recycles a node (a producer that
             * only enqueues): without the hook, its exit lost up to NODE_BATCH - 1 nodes. */
            if (!cache_has_exit_hook(c)) {
                return NULL;
            }
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

/* EBR's free callback. The first node a thread keeps registers its cache with the exit key,
 * so that the thread's exit hands back what it holds (the main thread's cache goes with the
 * process); without a key the node is freed. */
void
node_pool_recycle(struct ebr_node *node)
{
    struct node_cache *c = &thread_cache;
    if (!cache_has_exit_hook(c)) {
        free(node);
        return;
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

void *
node_pool_take(size_t size_bytes)
{
    assert(size_bytes <= NODE_POOL_BLOCK_BYTES);
    (void)size_bytes;
    void *node = cache_take();
    return node != NULL ? node : malloc(NODE_POOL_BLOCK_BYTES);
}
