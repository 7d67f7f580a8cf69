/* cache.c -- part A: the chunk cache in three tiers (cache.h). Read col_cache_pin first.
 * An entry is one chunk, hot (decoded), warm (its bytes) or both. Unpinned entries sit on one
 * LRU list per tier they are in; a pinned one is on neither, so eviction takes the head of a
 * list in O(1) and never meets a pinned chunk. A chunk being loaded is marked, and a second
 * thread that wants it waits for the first rather than reading it twice. */
#include "cache.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS_MIN 1024u /* grows to keep chains short: one bucket per entry at most */

struct list_node {
    struct entry *prev, *next;
};

struct entry {
    uint64_t table_id;
    uint32_t group, column;
    struct col_chunk *decoded; /* hot when not NULL */
    void *encoded;             /* warm when not NULL */
    size_t encoded_size;
    uint32_t pins;
    bool is_loading;          /* a thread reads or decodes it now, without the lock */
    struct list_node hot_lru; /* on the hot list: decoded, not pinned */
    struct list_node warm_lru;
    struct entry *key_next;   /* chain of its bucket by key */
    struct entry *chunk_next; /* chain of its bucket by decoded pointer */
};

struct lru {
    struct entry *head, *tail; /* head: least recently used */
};

struct col_cache {
    pthread_mutex_t lock;
    pthread_cond_t loaded; /* broadcast when an entry stops loading */
    uint64_t hot_budget_bytes, warm_budget_bytes;
    struct entry **by_key, **by_chunk;
    size_t bucket_count, entry_count;
    struct lru hot, warm;
    struct col_cache_stats stats;
};

static size_t
key_hash(const struct col_cache *c, uint64_t table_id, uint32_t group, uint32_t column)
{
    uint64_t h = table_id * 0x9e3779b97f4a7c15ull ^ ((uint64_t)group << 8 | column);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return (size_t)(h ^ (h >> 32)) & (c->bucket_count - 1);
}

static size_t
chunk_hash(const struct col_cache *c, const struct col_chunk *chunk)
{
    uint64_t h = (uint64_t)(uintptr_t)chunk * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (c->bucket_count - 1);
}

/* LRU lists: link is the entry's node for that list. */
static void
lru_push(struct lru *l, struct entry *e, struct list_node *(*node)(struct entry *))
{
    node(e)->prev = l->tail;
    node(e)->next = NULL;
    if (l->tail != NULL) {
        node(l->tail)->next = e;
    } else {
        l->head = e;
    }
    l->tail = e;
}

static void
lru_remove(struct lru *l, struct entry *e, struct list_node *(*node)(struct entry *))
{
    struct list_node *n = node(e);
    if (n->prev != NULL) {
        node(n->prev)->next = n->next;
    } else {
        l->head = n->next;
    }
    if (n->next != NULL) {
        node(n->next)->prev = n->prev;
    } else {
        l->tail = n->prev;
    }
    n->prev = n->next = NULL;
}

static struct list_node *
hot_node(struct entry *e)
{
    return &e->hot_lru;
}

static struct list_node *
warm_node(struct entry *e)
{
    return &e->warm_lru;
}

col_status
col_cache_open(uint64_t hot_budget_bytes, uint64_t warm_budget_bytes, struct col_cache **out,
               struct col_error *err)
{
    assert(out != NULL);
    struct col_cache *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a cache");
    }
    c->bucket_count = BUCKETS_MIN;
    c->by_key = calloc(c->bucket_count, sizeof(*c->by_key));
    c->by_chunk = calloc(c->bucket_count, sizeof(*c->by_chunk));
    if (c->by_key == NULL || c->by_chunk == NULL) {
        free(c->by_key);
        free(c->by_chunk);
        free(c);
        return col_fail(err, COL_NOMEM, "out of memory for a cache");
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->loaded, NULL);
    c->hot_budget_bytes = hot_budget_bytes;
    c->warm_budget_bytes = warm_budget_bytes;
    *out = c;
    return COL_OK;
}

static struct entry *
find_by_key(const struct col_cache *c, uint64_t table_id, uint32_t group, uint32_t column)
{
    struct entry *e = c->by_key[key_hash(c, table_id, group, column)];
    while (e != NULL && (e->table_id != table_id || e->group != group || e->column != column)) {
        e = e->key_next;
    }
    return e;
}

static struct entry *
find_by_chunk(const struct col_cache *c, const struct col_chunk *chunk)
{
    struct entry *e = c->by_chunk[chunk_hash(c, chunk)];
    while (e != NULL && e->decoded != chunk) {
        e = e->chunk_next;
    }
    return e;
}

static void
chunk_index_remove(struct col_cache *c, struct entry *e)
{
    struct entry **p = &c->by_chunk[chunk_hash(c, e->decoded)];
    while (*p != e) {
        p = &(*p)->chunk_next;
    }
    *p = e->chunk_next;
}

static void
chunk_index_add(struct col_cache *c, struct entry *e)
{
    size_t b = chunk_hash(c, e->decoded);
    e->chunk_next = c->by_chunk[b];
    c->by_chunk[b] = e;
}

/* Doubles the buckets when entries outnumber them; on failure chains just grow longer. */
static void
maybe_grow(struct col_cache *c)
{
    if (c->entry_count < c->bucket_count) {
        return;
    }
    size_t old_count = c->bucket_count;
    struct entry **old_key = c->by_key, **old_chunk = c->by_chunk;
    struct entry **new_key = calloc(old_count * 2, sizeof(*new_key));
    struct entry **new_chunk = calloc(old_count * 2, sizeof(*new_chunk));
    if (new_key == NULL || new_chunk == NULL) {
        free(new_key);
        free(new_chunk);
        return;
    }
    c->by_key = new_key;
    c->by_chunk = new_chunk;
    c->bucket_count = old_count * 2;
    for (size_t b = 0; b < old_count; b++) {
        for (struct entry *e = old_key[b], *next; e != NULL; e = next) {
            next = e->key_next;
            size_t nb = key_hash(c, e->table_id, e->group, e->column);
            e->key_next = c->by_key[nb];
            c->by_key[nb] = e;
            if (e->decoded != NULL) {
                chunk_index_add(c, e);
            }
        }
    }
    free(old_key);
    free(old_chunk);
}

/* Removes an entry that holds nothing any more, and frees it. */
static void
entry_drop(struct col_cache *c, struct entry *e)
{
    assert(e->decoded == NULL && e->encoded == NULL);
    assert(e->pins == 0);
    struct entry **p = &c->by_key[key_hash(c, e->table_id, e->group, e->column)];
    while (*p != e) {
        p = &(*p)->key_next;
    }
    *p = e->key_next;
    c->entry_count--;
    free(e);
}

static void
drop_hot(struct col_cache *c, struct entry *e)
{
    chunk_index_remove(c, e);
    c->stats.hot_bytes -= e->decoded->memory_bytes;
    c->stats.hot_chunks--;
    col_chunk_free(e->decoded);
    e->decoded = NULL;
}

static void
drop_warm(struct col_cache *c, struct entry *e)
{
    c->stats.warm_bytes -= e->encoded_size;
    c->stats.warm_chunks--;
    free(e->encoded);
    e->encoded = NULL;
}

/* Evicts least recently used unpinned chunks until each tier fits its budget, or nothing
 * unpinned is left in it. */
static void
evict(struct col_cache *c)
{
    while (c->stats.hot_bytes > c->hot_budget_bytes && c->hot.head != NULL) {
        struct entry *e = c->hot.head;
        lru_remove(&c->hot, e, hot_node);
        drop_hot(c, e);
        c->stats.evictions[COL_TIER_HOT]++;
        if (e->encoded == NULL) {
            entry_drop(c, e);
        }
    }
    while (c->stats.warm_bytes > c->warm_budget_bytes && c->warm.head != NULL) {
        struct entry *e = c->warm.head;
        lru_remove(&c->warm, e, warm_node);
        drop_warm(c, e);
        c->stats.evictions[COL_TIER_WARM]++;
        if (e->decoded == NULL) {
            entry_drop(c, e);
        }
    }
}

/* Pins e: off the LRU lists while pinned. */
static void
entry_pin(struct col_cache *c, struct entry *e)
{
    if (e->pins++ == 0) {
        if (e->decoded != NULL) {
            lru_remove(&c->hot, e, hot_node);
        }
        if (e->encoded != NULL) {
            lru_remove(&c->warm, e, warm_node);
        }
    }
}

static void
entry_unpin(struct col_cache *c, struct entry *e)
{
    assert(e->pins > 0);
    if (--e->pins == 0) {
        if (e->decoded != NULL) {
            lru_push(&c->hot, e, hot_node);
        }
        if (e->encoded != NULL) {
            lru_push(&c->warm, e, warm_node);
        }
    }
}

/* Makes e hot: decodes its warm bytes, or reads them from the file first. Called with the lock
 * held and e loading and pinned (so no one evicts its bytes); unlocks for the read and the
 * decode and returns with the lock held again. *tier is where the chunk was found. */
static col_status
entry_load(struct col_cache *c, const struct col_table *table, struct entry *e, enum col_tier *tier,
           struct col_error *err)
{
    assert(e->is_loading && e->pins > 0);
    assert(e->decoded == NULL);
    void *bytes = e->encoded;
    size_t size = e->encoded_size;
    bool is_cold = bytes == NULL;
    pthread_mutex_unlock(&c->lock);
    col_status status = COL_OK;
    if (is_cold) {
        status = col_chunk_read(table, e->group, e->column, &bytes, &size, err);
    }
    struct col_chunk *chunk = NULL;
    if (status == COL_OK) {
        status = col_decode(bytes, size, &chunk, err);
    }
    pthread_mutex_lock(&c->lock);
    if (is_cold && status == COL_OK) {
        e->encoded = bytes;
        e->encoded_size = size;
        c->stats.warm_bytes += size;
        c->stats.warm_chunks++;
        c->stats.read_bytes += size;
    } else if (is_cold && bytes != NULL) {
        free(bytes); /* read but not decoded: corrupt bytes are kept nowhere */
    }
    if (status == COL_OK) {
        e->decoded = chunk;
        chunk_index_add(c, e);
        c->stats.hot_bytes += chunk->memory_bytes;
        c->stats.hot_chunks++;
    }
    *tier = is_cold ? COL_TIER_COLD : COL_TIER_WARM;
    return status;
}

/* Finds the entry for a key, pinned, waiting while another thread loads it; makes one (pinned
 * and loading) when there is none. NULL when out of memory. Lock held. */
static struct entry *
entry_get(struct col_cache *c, const struct col_table *table, uint32_t group, uint32_t column)
{
    uint64_t id = col_table_id(table);
    for (;;) {
        struct entry *e = find_by_key(c, id, group, column);
        if (e == NULL) {
            e = calloc(1, sizeof(*e));
            if (e == NULL) {
                return NULL;
            }
            *e = (struct entry){
                .table_id = id, .group = group, .column = column, .pins = 1, .is_loading = true};
            size_t b = key_hash(c, id, group, column);
            e->key_next = c->by_key[b];
            c->by_key[b] = e;
            c->entry_count++;
            maybe_grow(c);
            return e;
        }
        if (!e->is_loading) {
            entry_pin(c, e);
            e->is_loading = e->decoded == NULL; /* warm only: this thread decodes it */
            return e;
        }
        pthread_cond_wait(&c->loaded, &c->lock);
    }
}

col_status
col_cache_pin(struct col_cache *c, const struct col_table *table, uint32_t group, uint32_t column,
              const struct col_chunk **chunk, enum col_tier *tier, struct col_error *err)
{
    assert(c != NULL && table != NULL && chunk != NULL);
    if (group >= col_table_group_count(table) || column >= col_table_schema(table)->column_count) {
        return col_fail(err, COL_INVALID, "%s: no chunk at row group %u, column %u",
                        col_table_path(table), group, column);
    }
    pthread_mutex_lock(&c->lock);
    struct entry *e = entry_get(c, table, group, column);
    if (e == NULL) {
        pthread_mutex_unlock(&c->lock);
        return col_fail(err, COL_NOMEM, "out of memory for a cache entry");
    }
    enum col_tier found = COL_TIER_HOT;
    col_status status = COL_OK;
    if (e->is_loading) {
        status = entry_load(c, table, e, &found, err);
        e->is_loading = false;
        pthread_cond_broadcast(&c->loaded);
    }
    if (status != COL_OK) {
        entry_unpin(c, e);
        if (e->decoded == NULL && e->encoded == NULL) {
            entry_drop(c, e);
        }
        pthread_mutex_unlock(&c->lock);
        return status;
    }
    c->stats.hits[found]++;
    *chunk = e->decoded;
    evict(c);
    pthread_mutex_unlock(&c->lock);
    if (tier != NULL) {
        *tier = found;
    }
    return COL_OK;
}

void
col_cache_unpin(struct col_cache *c, const struct col_chunk *chunk)
{
    assert(c != NULL && chunk != NULL);
    pthread_mutex_lock(&c->lock);
    struct entry *e = find_by_chunk(c, chunk);
    assert(e != NULL); /* a chunk this cache pinned */
    entry_unpin(c, e);
    evict(c);
    pthread_mutex_unlock(&c->lock);
}

/* Frees e's chunk and bytes and e itself; e is not pinned. */
static void
entry_forget(struct col_cache *c, struct entry *e)
{
    assert(e->pins == 0); /* col_cache_forget and col_cache_close: no pinned chunk */
    assert(!e->is_loading);
    if (e->decoded != NULL) {
        lru_remove(&c->hot, e, hot_node);
        drop_hot(c, e);
    }
    if (e->encoded != NULL) {
        lru_remove(&c->warm, e, warm_node);
        drop_warm(c, e);
    }
    entry_drop(c, e);
}

/* Forgets every entry of the table with id table_id, or every entry when is_all. */
static void
forget_where(struct col_cache *c, uint64_t table_id, bool is_all)
{
    for (size_t b = 0; b < c->bucket_count; b++) {
        for (struct entry *e = c->by_key[b], *next; e != NULL; e = next) {
            next = e->key_next;
            if (is_all || e->table_id == table_id) {
                entry_forget(c, e);
            }
        }
    }
}

void
col_cache_forget(struct col_cache *c, const struct col_table *table)
{
    assert(c != NULL && table != NULL);
    pthread_mutex_lock(&c->lock);
    forget_where(c, col_table_id(table), false);
    pthread_mutex_unlock(&c->lock);
}

void
col_cache_stats(struct col_cache *c, struct col_cache_stats *out)
{
    assert(c != NULL && out != NULL);
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}

void
col_cache_close(struct col_cache *c)
{
    if (c == NULL) {
        return;
    }
    forget_where(c, 0, true);
    assert(c->entry_count == 0);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->loaded);
    free(c->by_key);
    free(c->by_chunk);
    free(c);
}
