/* dict.c -- your hash table for lab 01 part B: chained buckets, two tables and incremental
 * rehashing, as dict.h describes. Start with dict_hash and dict_insert, then dict_find and
 * dict_delete, then make resizing incremental with dict_rehash_step. */
#include "dict.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

uint64_t
dict_hash(const struct dict *d, const void *key, size_t key_size_bytes)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    /* TODO(part B): a keyed hash of the key's bytes under d->hash_key. SipHash (Aumasson and
     * Bernstein, 2012; Redis uses its 1-2 variant) is the one to write: it is short, and its
     * paper gives test vectors. A hash every key shares (like this 0) still works, but every
     * lookup becomes a walk down one long chain. */
    return 0;
}

void
dict_clear(struct dict *d, void (*free_value_cb)(void *value, void *ctx), void *ctx)
{
    assert(d != NULL);
    for (int t = 0; t < 2; t++) {
        struct dict_table *table = &d->tables[t];
        for (size_t i = 0; i < table->bucket_count; i++) {
            struct dict_entry *e = table->buckets[i];
            while (e != NULL) {
                struct dict_entry *next = e->next;
                if (free_value_cb != NULL) {
                    free_value_cb(e->value, ctx);
                }
                free(e);
                e = next;
            }
        }
        free(table->buckets);
        memset(table, 0, sizeof(*table));
    }
    d->rehash_index = SIZE_MAX;
}

bool
dict_rehash_step(struct dict *d, size_t buckets_max)
{
    assert(d != NULL);
    (void)buckets_max;
    /* TODO(part B): move the chains of up to buckets_max non-empty buckets of tables[0], from
     * rehash_index on, into tables[1] (each entry's bucket there is hash & (bucket_count - 1)),
     * visiting no more than buckets_max * DICT_EMPTY_VISITS_PER_STEP empty buckets. When
     * tables[0] is empty, free its buckets, make tables[1] the table and stop rehashing. */
    return false;
}

struct dict_entry *
dict_find(struct dict *d, const void *key, size_t key_size_bytes)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    /* TODO(part B): one rehash step, then look in tables[0] and, while rehashing, tables[1].
     * Compare the cached hash first, then the size, then the bytes (memcmp: keys hold '\0'). */
    return NULL;
}

dict_status
dict_insert(struct dict *d, const void *key, size_t key_size_bytes, void *value,
            struct dict_entry **entry)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    (void)value;
    if (entry != NULL) {
        *entry = NULL;
    }
    /* TODO(part B): one rehash step; DICT_EXISTS if the key is there; make the first table or
     * start a resize when entries >= buckets (calloc the new bucket array; rehash_index = 0);
     * then one malloc for the entry with the key copied behind it and a '\0' after the key.
     * While rehashing, new entries go into tables[1]. Count them in that table's used. */
    return DICT_UNIMPLEMENTED;
}

dict_status
dict_delete(struct dict *d, const void *key, size_t key_size_bytes, void **value)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    (void)value;
    /* TODO(part B): one rehash step, unlink the entry from its chain (keep a pointer to the link
     * that points at it), take one from the used count of the table it was in, free it. Then,
     * optionally, start a shrink when the table is less than 1/8 full. */
    return DICT_UNIMPLEMENTED;
}

struct dict_entry *
dict_random_entry(const struct dict *d, uint64_t *rng_state)
{
    assert(d != NULL);
    assert(rng_state != NULL);
    /* TODO(part B): draw buckets with dict_rng_next(rng_state) until one is not empty (only
     * buckets that may hold entries: tables[0] from rehash_index on, and tables[1]), then a
     * random entry of its chain. Make sure it ends even when most buckets are empty. */
    return NULL;
}

uint64_t
dict_scan(const struct dict *d, uint64_t cursor, dict_scan_cb scan_cb, void *ctx)
{
    assert(d != NULL);
    assert(scan_cb != NULL);
    (void)cursor;
    (void)ctx;
    /* TODO(part B): Redis's dictScan. Visit bucket cursor & mask of the table (while a resize is
     * under way: the smaller table's bucket, then every bucket of the larger one that it expands
     * to). The next cursor counts up from the high bits of the mask, not the low ones: work out
     * why that order survives a table that doubles or halves between two calls (dict.c's long
     * comment in Redis, and dict.h, explain it). Return 0 when the count wraps. Until then: no
     * key, scan done. */
    return 0;
}
