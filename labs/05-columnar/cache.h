/* cache.h -- part A: the chunk cache, in three tiers (lab 05).
 * A scan asks the cache for a chunk decoded; the cache answers from the tier it finds it in:
 *   hot   the chunk decoded (struct col_chunk), ready to scan;
 *   warm  its encoded bytes, in memory: decode them, and the chunk is hot;
 *   cold  neither: read the bytes from the table file (col_chunk_read), keep them warm, decode.
 * The tiers are inclusive: a hot chunk's bytes may be warm too, so evicting a hot chunk costs
 * a decode later, not a read. Each tier has its own budget in bytes (a hot chunk's
 * memory_bytes, a warm chunk's size_bytes) and evicts the least recently used chunk that no
 * one has pinned until it fits. A pinned chunk is never evicted, so a tier may run over its
 * budget while pins hold it; a tier of budget 0 keeps nothing that is not pinned. This is the
 * shape of the buffer managers of the columnar systems the lab learns from (Umbra's, and
 * DuckDB's buffer manager over compressed and uncompressed blocks): your code goes in cache.c.
 *
 * Thread-safe: any number of threads may pin and unpin at once. A pin or unpin holds the
 * cache's lock for bookkeeping only, never across a read or a decode. */
#ifndef KEEL_CACHE_H
#define KEEL_CACHE_H

#include "colfile.h"

#define COL_TIER_LIST(X)                                                                           \
    X(COL_TIER_HOT, "hot")                                                                         \
    X(COL_TIER_WARM, "warm")                                                                       \
    X(COL_TIER_COLD, "cold")

#define COL_TIER_ENUM_ENTRY(name, text) name,
enum col_tier { COL_TIER_LIST(COL_TIER_ENUM_ENTRY) COL_TIER_COUNT };
#undef COL_TIER_ENUM_ENTRY

struct col_cache;

/* Counts since col_cache_open. hits[tier]: pins answered from that tier (a cold "hit" is a
 * read from disk). hot_bytes and warm_bytes: what each tier holds now, pinned chunks
 * included; hot_chunks and warm_chunks the chunks. evictions[tier]: chunks dropped from the
 * hot and warm tiers to fit the budget (evictions[COL_TIER_COLD] stays 0). read_bytes: bytes
 * read from table files. */
struct col_cache_stats {
    uint64_t hits[COL_TIER_COUNT];
    uint64_t evictions[COL_TIER_COUNT];
    uint64_t hot_bytes;
    uint64_t warm_bytes;
    uint64_t hot_chunks;
    uint64_t warm_chunks;
    uint64_t read_bytes;
};

/* Given (col_given.c): "hot", "warm", "cold"; "?" for a value not in the list. */
const char *col_tier_name(enum col_tier tier);

/* Yours (cache.c). */

/* A cache holding at most hot_budget_bytes of decoded chunks and warm_budget_bytes of encoded
 * ones that no one has pinned. Returns COL_OK with *out owned by the caller (col_cache_close),
 * or COL_NOMEM. */
col_status col_cache_open(uint64_t hot_budget_bytes, uint64_t warm_budget_bytes,
                          struct col_cache **out, struct col_error *err);

/* Frees every chunk. No chunk may be pinned (an assertion). NULL is a no-op. */
void col_cache_close(struct col_cache *cache);

/* The chunk of table at (group, column), decoded, pinned: *chunk is borrowed until the
 * matching col_cache_unpin, and *tier (may be NULL) says where it was found. Chunks are
 * keyed by col_table_id, group and column. Pinning a chunk twice pins it twice (two unpins
 * release it). Returns COL_OK; or a status of col_chunk_read or col_decode (the chunk's bytes
 * are kept nowhere then), or COL_NOMEM, and *chunk is untouched. */
col_status col_cache_pin(struct col_cache *cache, const struct col_table *table, uint32_t group,
                         uint32_t column, const struct col_chunk **chunk, enum col_tier *tier,
                         struct col_error *err);

/* Releases one pin of chunk, which col_cache_pin gave; evicts what no longer fits. */
void col_cache_unpin(struct col_cache *cache, const struct col_chunk *chunk);

/* Drops every chunk of table, hot and warm: call it before the table is closed or its file
 * replaced. No chunk of table may be pinned (an assertion). */
void col_cache_forget(struct col_cache *cache, const struct col_table *table);

/* A copy of the counts, taken under the lock. */
void col_cache_stats(struct col_cache *cache, struct col_cache_stats *out);

#endif
