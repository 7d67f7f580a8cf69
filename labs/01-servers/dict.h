/* dict.h -- a chained hash table of binary-safe keys with incremental rehashing, in the style of
 * Redis's dict.c (lab 01-servers, part B). Read struct dict, then dict_insert and
 * dict_rehash_step. The dict owns its entries and the copies of their keys; values are the
 * caller's pointers, which the dict stores and never dereferences. Not thread-safe. */
#ifndef KEEL_DICT_H
#define KEEL_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first table's size, and the smallest a table shrinks to: Redis's DICT_HT_INITIAL_SIZE. */
#define DICT_BUCKETS_MIN 4u

/* A rehash step visits at most this many empty buckets per bucket it may move, so a step on a
 * sparse table is bounded too (the same factor as Redis's dictRehash, "empty_visits = n * 10"). */
#define DICT_EMPTY_VISITS_PER_STEP 10u

#define DICT_STATUS_LIST(X)                                                                        \
    X(DICT_OK, "ok")                                                                               \
    X(DICT_EXISTS, "the key is already in the dict")                                               \
    X(DICT_NOT_FOUND, "no such key")                                                               \
    X(DICT_NOMEM, "out of memory")                                                                 \
    X(DICT_UNIMPLEMENTED, "not implemented yet")

#define DICT_STATUS_ENUM_ENTRY(name, text) name,
typedef enum { DICT_STATUS_LIST(DICT_STATUS_ENUM_ENTRY) } dict_status;
#undef DICT_STATUS_ENUM_ENTRY

/* A static text for status ("unknown status" for a value not in the list). */
const char *dict_strerror(dict_status status);

/* One key and its value. Entries are allocated once, on insert, with the key copied in behind
 * the struct, and freed on delete: rehashing relinks an entry into the new table but never
 * moves it in memory. So a pointer to an entry stays valid until that key is deleted (or the
 * dict cleared or destroyed), across any number of inserts and rehash steps. */
struct dict_entry {
    struct dict_entry *next; /* dict-owned: the next entry in the same bucket */
    void *value;             /* the caller's; the caller may change it in place */
    uint64_t hash;           /* dict_hash of the key, kept so rehashing never hashes again */
    size_t key_size_bytes;
    char key[]; /* dict-owned copy: key_size_bytes bytes, then a '\0' (keys may hold '\0') */
};

/* One table: a power-of-two array of bucket chains. */
struct dict_table {
    struct dict_entry **buckets; /* owned; NULL while bucket_count is 0 */
    size_t bucket_count;         /* 0 or a power of two >= DICT_BUCKETS_MIN */
    size_t used;                 /* entries in this table */
};

/* Two tables, as in Redis: tables[0] is the table, and while a resize is under way, tables[1]
 * is the new one. Buckets of tables[0] below rehash_index have already been moved. Declared
 * here so a dict can be embedded; only dict.c touches the fields. */
struct dict {
    struct dict_table tables[2];
    size_t rehash_index;  /* next bucket of tables[0] to move; SIZE_MAX when not rehashing */
    uint64_t hash_key[2]; /* the 128-bit SipHash key, derived from the seed */
};

/* Makes d an empty dict whose hash is keyed by seed (different seeds, different bucket orders:
 * a client cannot pick keys that collide without knowing it). Allocates nothing. Cost O(1). */
void dict_init(struct dict *d, uint64_t seed);

/* Frees every entry and both tables. free_value_cb, when not NULL, is called once per entry
 * with the entry's value and ctx, before the entry is freed. d is then empty and usable.
 * Cost O(buckets + entries). */
void dict_clear(struct dict *d, void (*free_value_cb)(void *value, void *ctx), void *ctx);

/* The keyed hash of a key: SipHash-1-2 (see dict.c) under d's key. Cost O(key_size_bytes). */
uint64_t dict_hash(const struct dict *d, const void *key, size_t key_size_bytes);

/* The entry of key, or NULL. Borrowed: valid until the key is deleted or d cleared. Does one
 * rehash step (dict_rehash_step(d, 1)) first when a rehash is under way, so finds pay for the
 * resize a little at a time. Cost O(1) expected. */
struct dict_entry *dict_find(struct dict *d, const void *key, size_t key_size_bytes);

/* Adds key (copied) with value. Returns DICT_OK with *entry the new entry, DICT_EXISTS with
 * *entry the existing one (its value untouched), or DICT_NOMEM (d unchanged, *entry NULL).
 * entry may be NULL when the caller does not need it. Does one rehash step, and when the load
 * factor reaches 1 (entries >= buckets) and no rehash is under way, starts one into a table of
 * twice the buckets. Allocates one entry; a resize allocates the new bucket array, once.
 * Cost O(1) expected, plus O(new buckets) for calloc when a resize starts. */
dict_status dict_insert(struct dict *d, const void *key, size_t key_size_bytes, void *value,
                        struct dict_entry **entry);

/* Removes key. Returns DICT_OK with *value (if value is not NULL) set to the removed entry's
 * value, which the caller now frees if it must, or DICT_NOT_FOUND. Does one rehash step; when
 * the entries fall below 1/8 of the buckets and no rehash is under way, starts one into a
 * smaller table (no smaller than DICT_BUCKETS_MIN). Cost O(1) expected. */
dict_status dict_delete(struct dict *d, const void *key, size_t key_size_bytes, void **value);

/* Moves the chains of up to buckets_max non-empty buckets of tables[0] into tables[1],
 * visiting at most buckets_max * DICT_EMPTY_VISITS_PER_STEP empty buckets, and finishes the
 * rehash (frees the old table) when tables[0] is empty. Does nothing when no rehash is under
 * way. Returns true while a rehash remains under way. Cost O(buckets_max) buckets visited. */
bool dict_rehash_step(struct dict *d, size_t buckets_max);

/* A uniformly random bucket's chain, then a uniformly random entry in it, as Redis's
 * dictGetRandomKey (so keys in long chains are drawn less often; with a good hash, chains are
 * short). NULL when d is empty. rng_state is the caller's splitmix64 state, advanced by each
 * draw, so a seed replays the same picks. Cost O(1) expected while entries >= buckets / 8. */
struct dict_entry *dict_random_entry(const struct dict *d, uint64_t *rng_state);

/* Called by dict_scan for each entry of a visited bucket. The callback must not change d. */
typedef void (*dict_scan_cb)(const struct dict_entry *entry, void *ctx);

/* One call of a full scan, Redis's dictScan: visits the bucket cursor names (in both tables
 * while a resize is under way: every bucket of the larger table that the smaller one's bucket
 * expands to), calls scan_cb for each of its entries, and returns the next cursor; 0 when the
 * scan is done. Start with 0. The cursor counts with its bits reversed (add one at the top
 * bit, carry downwards), so a scan that goes on across any number of resizes still returns
 * every key that was in d from its start to its end at least once; a key may come twice.
 * Cost O(1) buckets expected, plus the chain lengths. */
uint64_t dict_scan(const struct dict *d, uint64_t cursor, dict_scan_cb scan_cb, void *ctx);

/* Entries in both tables. Cost O(1). */
size_t dict_size(const struct dict *d);
/* Buckets in both tables (what a resize allocated). Cost O(1). */
size_t dict_bucket_count(const struct dict *d);
/* True while a resize is under way (tables[1] in use). Cost O(1). */
bool dict_is_rehashing(const struct dict *d);

/* splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
 * advances *state and returns the next 64 random bits. Given, for dict_random_entry's callers. */
uint64_t dict_rng_next(uint64_t *state);

#endif
