/* cache.c -- part A: the chunk cache in three tiers (cache.h). Start with a hash table from
 * (col_table_id, group, column) to an entry that holds a chunk decoded, its bytes, or both,
 * and a pin count; then one LRU list per tier of the entries no one has pinned. */
#include "cache.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

col_status
col_cache_open(uint64_t hot_budget_bytes, uint64_t warm_budget_bytes, struct col_cache **out,
               struct col_error *err)
{
    /* TODO(part A): an empty cache with these budgets. */
    (void)hot_budget_bytes;
    (void)warm_budget_bytes;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "col_cache_open: not implemented yet (part A)");
}

void
col_cache_close(struct col_cache *cache)
{
    /* TODO(part A): free every chunk and bytes the cache holds, then the cache. */
    (void)cache;
}

col_status
col_cache_pin(struct col_cache *cache, const struct col_table *table, uint32_t group,
              uint32_t column, const struct col_chunk **chunk, enum col_tier *tier,
              struct col_error *err)
{
    /* TODO(part A): hot: pin and return it. Warm: decode its bytes. Cold: col_chunk_read,
     * keep the bytes warm, decode. Never hold the lock across a read or a decode, and make a
     * second thread that wants a chunk being loaded wait for it (a condition variable), not
     * read it again. Count the hit, then evict what no longer fits. */
    (void)cache;
    (void)table;
    (void)group;
    (void)column;
    (void)chunk;
    (void)tier;
    return col_fail(err, COL_UNIMPLEMENTED, "col_cache_pin: not implemented yet (part A)");
}

void
col_cache_unpin(struct col_cache *cache, const struct col_chunk *chunk)
{
    /* TODO(part A): find the entry by its chunk, drop one pin; at 0 it goes to the most
     * recently used end of its tiers' lists, and what no longer fits is evicted. */
    (void)cache;
    (void)chunk;
}

void
col_cache_forget(struct col_cache *cache, const struct col_table *table)
{
    /* TODO(part A): drop every entry of table. */
    (void)cache;
    (void)table;
}

void
col_cache_stats(struct col_cache *cache, struct col_cache_stats *out)
{
    /* TODO(part A): a copy of the counts, taken under the lock. */
    (void)cache;
    memset(out, 0, sizeof(*out));
}
