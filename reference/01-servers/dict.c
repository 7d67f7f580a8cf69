/* dict.c -- the reference hash table of lab 01 part B: chained buckets, two tables and
 * incremental rehashing as in Redis's dict.c, keyed by SipHash-1-2. Read dict_rehash_step first:
 * everything else either does one step of it or starts it. */
#include "dict.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SIP_COMPRESSION_ROUNDS 1 /* SipHash-1-2, the variant Redis's siphash.c uses for speed */
#define SIP_FINALIZATION_ROUNDS 2

static uint64_t
rotl64(uint64_t x, unsigned bits)
{
    return (x << bits) | (x >> (64u - bits));
}

static uint64_t
load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8u * i);
    }
    return v;
}

/* One SipRound: Aumasson and Bernstein, "SipHash: a fast short-input PRF" (2012), section 2. */
static void
sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl64(v[1], 13) ^ v[0];
    v[0] = rotl64(v[0], 32);
    v[2] += v[3];
    v[3] = rotl64(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = rotl64(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = rotl64(v[1], 17) ^ v[2];
    v[2] = rotl64(v[2], 32);
}

uint64_t
dict_hash(const struct dict *d, const void *key, size_t key_size_bytes)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    const unsigned char *p = key;
    /* The initial state is the ASCII of "somepseudorandomlygeneratedbytes" (paper, section 2). */
    uint64_t v[4] = {d->hash_key[0] ^ UINT64_C(0x736f6d6570736575),
                     d->hash_key[1] ^ UINT64_C(0x646f72616e646f6d),
                     d->hash_key[0] ^ UINT64_C(0x6c7967656e657261),
                     d->hash_key[1] ^ UINT64_C(0x7465646279746573)};
    size_t left = key_size_bytes;
    for (; left >= 8; left -= 8, p += 8) {
        uint64_t m = load_le64(p);
        v[3] ^= m;
        for (int r = 0; r < SIP_COMPRESSION_ROUNDS; r++) {
            sip_round(v);
        }
        v[0] ^= m;
    }
    uint64_t last = (uint64_t)key_size_bytes << 56; /* the length's low byte, then the tail */
    for (size_t i = 0; i < left; i++) {
        last |= (uint64_t)p[i] << (8u * i);
    }
    v[3] ^= last;
    for (int r = 0; r < SIP_COMPRESSION_ROUNDS; r++) {
        sip_round(v);
    }
    v[0] ^= last;
    v[2] ^= 0xff;
    for (int r = 0; r < SIP_FINALIZATION_ROUNDS; r++) {
        sip_round(v);
    }
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void
table_clear(struct dict_table *t, void (*free_value_cb)(void *value, void *ctx), void *ctx)
{
    for (size_t i = 0; i < t->bucket_count; i++) {
        struct dict_entry *e = t->buckets[i];
        while (e != NULL) {
            struct dict_entry *next = e->next;
            if (free_value_cb != NULL) {
                free_value_cb(e->value, ctx);
            }
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

void
dict_clear(struct dict *d, void (*free_value_cb)(void *value, void *ctx), void *ctx)
{
    assert(d != NULL);
    table_clear(&d->tables[0], free_value_cb, ctx);
    table_clear(&d->tables[1], free_value_cb, ctx);
    d->rehash_index = SIZE_MAX;
    assert(dict_size(d) == 0);
}

/* Moves every entry of bucket i of tables[0] to its bucket in tables[1]. */
static void
rehash_bucket(struct dict *d, size_t i)
{
    assert(dict_is_rehashing(d));
    struct dict_table *from = &d->tables[0];
    struct dict_table *to = &d->tables[1];
    assert(i < from->bucket_count);
    struct dict_entry *e = from->buckets[i];
    while (e != NULL) {
        struct dict_entry *next = e->next;
        size_t j = (size_t)e->hash & (to->bucket_count - 1);
        e->next = to->buckets[j];
        to->buckets[j] = e;
        from->used--;
        to->used++;
        e = next;
    }
    from->buckets[i] = NULL;
}

bool
dict_rehash_step(struct dict *d, size_t buckets_max)
{
    assert(d != NULL);
    if (!dict_is_rehashing(d)) {
        return false;
    }
    struct dict_table *from = &d->tables[0];
    size_t empty_visits_max = buckets_max * DICT_EMPTY_VISITS_PER_STEP;
    for (size_t moved = 0; moved < buckets_max && from->used > 0;) {
        assert(d->rehash_index < from->bucket_count); /* used > 0: a full bucket lies ahead */
        if (from->buckets[d->rehash_index] == NULL) {
            d->rehash_index++;
            if (empty_visits_max-- == 0) {
                return true;
            }
            continue;
        }
        rehash_bucket(d, d->rehash_index);
        d->rehash_index++;
        moved++;
    }
    if (from->used > 0) {
        return true;
    }
    /* Done: tables[1] becomes the table. */
    free(from->buckets);
    d->tables[0] = d->tables[1];
    memset(&d->tables[1], 0, sizeof(d->tables[1]));
    d->rehash_index = SIZE_MAX;
    return false;
}

/* Starts a rehash into a table of bucket_count buckets (a power of two), or makes the first
 * table. Returns DICT_NOMEM when the bucket array cannot be allocated (d unchanged). */
static dict_status
resize_start(struct dict *d, size_t bucket_count)
{
    assert(!dict_is_rehashing(d));
    assert((bucket_count & (bucket_count - 1)) == 0);
    struct dict_entry **buckets = calloc(bucket_count, sizeof(*buckets));
    if (buckets == NULL) {
        return DICT_NOMEM;
    }
    struct dict_table *t = &d->tables[d->tables[0].bucket_count == 0 ? 0 : 1];
    t->buckets = buckets;
    t->bucket_count = bucket_count;
    t->used = 0;
    if (t == &d->tables[1]) {
        d->rehash_index = 0;
    }
    return DICT_OK;
}

/* The link that points at key's entry, searched in both tables while rehashing, or NULL.
 * *table_index is set to the table it was found in. */
static struct dict_entry **
find_link(struct dict *d, const void *key, size_t key_size_bytes, uint64_t hash, int *table_index)
{
    for (int t = 0; t < 2; t++) {
        struct dict_table *table = &d->tables[t];
        if (table->bucket_count == 0) {
            continue;
        }
        size_t i = (size_t)hash & (table->bucket_count - 1);
        if (t == 0 && dict_is_rehashing(d) && i < d->rehash_index) {
            continue; /* this bucket has moved */
        }
        for (struct dict_entry **link = &table->buckets[i]; *link != NULL; link = &(*link)->next) {
            struct dict_entry *e = *link;
            if (e->hash == hash && e->key_size_bytes == key_size_bytes &&
                memcmp(e->key, key, key_size_bytes) == 0) {
                *table_index = t;
                return link;
            }
        }
    }
    return NULL;
}

struct dict_entry *
dict_find(struct dict *d, const void *key, size_t key_size_bytes)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    if (dict_size(d) == 0) {
        return NULL;
    }
    dict_rehash_step(d, 1);
    int t;
    struct dict_entry **link =
        find_link(d, key, key_size_bytes, dict_hash(d, key, key_size_bytes), &t);
    return link != NULL ? *link : NULL;
}

/* Grows at load factor 1, as Redis's _dictExpandIfNeeded (without its dict_force_resize_ratio,
 * which exists for fork-time copy-on-write). */
static dict_status
expand_if_needed(struct dict *d)
{
    if (dict_is_rehashing(d)) {
        return DICT_OK;
    }
    if (d->tables[0].bucket_count == 0) {
        return resize_start(d, DICT_BUCKETS_MIN);
    }
    if (d->tables[0].used >= d->tables[0].bucket_count) {
        return resize_start(d, d->tables[0].bucket_count * 2);
    }
    return DICT_OK;
}

dict_status
dict_insert(struct dict *d, const void *key, size_t key_size_bytes, void *value,
            struct dict_entry **entry)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    struct dict_entry *unused = NULL;
    entry = entry != NULL ? entry : &unused;
    *entry = NULL;
    dict_rehash_step(d, 1);
    uint64_t hash = dict_hash(d, key, key_size_bytes);
    int found_in;
    struct dict_entry **link = find_link(d, key, key_size_bytes, hash, &found_in);
    if (link != NULL) {
        *entry = *link;
        return DICT_EXISTS;
    }
    if (expand_if_needed(d) != DICT_OK) {
        return DICT_NOMEM;
    }
    struct dict_entry *e = malloc(sizeof(*e) + key_size_bytes + 1);
    if (e == NULL) {
        return DICT_NOMEM;
    }
    e->value = value;
    e->hash = hash;
    e->key_size_bytes = key_size_bytes;
    if (key_size_bytes > 0) {
        memcpy(e->key, key, key_size_bytes);
    }
    e->key[key_size_bytes] = '\0';
    /* While rehashing, new entries go to the new table, so the old one only ever shrinks. */
    struct dict_table *t = &d->tables[dict_is_rehashing(d) ? 1 : 0];
    size_t i = (size_t)hash & (t->bucket_count - 1);
    e->next = t->buckets[i];
    t->buckets[i] = e;
    t->used++;
    *entry = e;
    return DICT_OK;
}

/* Shrinks below 1/8 full (Redis shrinks below 1/10, HASHTABLE_MIN_FILL, from its cron). The new
 * table is the smallest power of two >= the entries, so the load factor ends between 1/2 and 1.
 * A failed allocation only leaves the table larger than it needs to be. */
static void
shrink_if_needed(struct dict *d)
{
    size_t buckets = d->tables[0].bucket_count;
    if (dict_is_rehashing(d) || buckets <= DICT_BUCKETS_MIN || d->tables[0].used * 8 >= buckets) {
        return;
    }
    size_t target = DICT_BUCKETS_MIN;
    while (target < d->tables[0].used) {
        target *= 2;
    }
    assert(target < buckets); /* used * 8 < buckets, so even 2 * used is well below */
    (void)resize_start(d, target);
}

dict_status
dict_delete(struct dict *d, const void *key, size_t key_size_bytes, void **value)
{
    assert(d != NULL);
    assert(key != NULL || key_size_bytes == 0);
    if (dict_size(d) == 0) {
        return DICT_NOT_FOUND;
    }
    dict_rehash_step(d, 1);
    int t;
    struct dict_entry **link =
        find_link(d, key, key_size_bytes, dict_hash(d, key, key_size_bytes), &t);
    if (link == NULL) {
        return DICT_NOT_FOUND;
    }
    struct dict_entry *e = *link;
    *link = e->next;
    assert(d->tables[t].used > 0);
    d->tables[t].used--;
    if (value != NULL) {
        *value = e->value;
    }
    free(e);
    shrink_if_needed(d);
    return DICT_OK;
}

struct dict_entry *
dict_random_entry(const struct dict *d, uint64_t *rng_state)
{
    assert(d != NULL);
    assert(rng_state != NULL);
    if (dict_size(d) == 0) {
        return NULL;
    }
    /* Candidate buckets: tables[0] from rehash_index on, then all of tables[1]. */
    size_t first = dict_is_rehashing(d) ? d->rehash_index : 0;
    size_t span = d->tables[0].bucket_count - first + d->tables[1].bucket_count;
    struct dict_entry *chain = NULL;
    size_t i = 0;
    for (unsigned probes = 0; chain == NULL; probes++) {
        /* After many misses (a sparse table), walk on from the last probe instead: the dict is
         * not empty, so this ends within span buckets. */
        i = probes < 1024 ? (size_t)(dict_rng_next(rng_state) % span) : (i + 1) % span;
        size_t at = first + i;
        chain = at < d->tables[0].bucket_count
                    ? d->tables[0].buckets[at]
                    : d->tables[1].buckets[at - d->tables[0].bucket_count];
    }
    size_t length = 0;
    for (struct dict_entry *e = chain; e != NULL; e = e->next) {
        length++;
    }
    size_t pick = (size_t)(dict_rng_next(rng_state) % length);
    while (pick-- > 0) {
        chain = chain->next;
    }
    assert(chain != NULL);
    return chain;
}

/* The cursor's bits reversed, so that adding one counts from the top bit down. */
static uint64_t
reverse_bits(uint64_t v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i++, v >>= 1) {
        r = (r << 1) | (v & 1u);
    }
    return r;
}

/* The next cursor after one in a table of mask + 1 buckets: set every bit above the mask, add
 * one to the reversed cursor, reverse back. A smaller table's bucket i is a larger one's
 * buckets i, i + size, i + 2 size ...: they share their low bits, and a reversed count walks
 * them in a row, so a resize between calls skips none of them (Redis's dictScan comment). */
static uint64_t
cursor_next(uint64_t cursor, uint64_t mask)
{
    cursor |= ~mask;
    return reverse_bits(reverse_bits(cursor) + 1);
}

static void
scan_chain(const struct dict_table *t, uint64_t cursor, dict_scan_cb scan_cb, void *ctx)
{
    for (const struct dict_entry *e = t->buckets[cursor & (t->bucket_count - 1)]; e != NULL;
         e = e->next) {
        scan_cb(e, ctx);
    }
}

uint64_t
dict_scan(const struct dict *d, uint64_t cursor, dict_scan_cb scan_cb, void *ctx)
{
    assert(d != NULL);
    assert(scan_cb != NULL);
    if (dict_size(d) == 0) {
        return 0;
    }
    if (!dict_is_rehashing(d)) {
        const struct dict_table *t = &d->tables[0];
        scan_chain(t, cursor, scan_cb, ctx);
        return cursor_next(cursor, t->bucket_count - 1);
    }
    const struct dict_table *small = &d->tables[0], *large = &d->tables[1];
    if (small->bucket_count > large->bucket_count) {
        small = &d->tables[1];
        large = &d->tables[0];
    }
    uint64_t small_mask = small->bucket_count - 1, large_mask = large->bucket_count - 1;
    scan_chain(small, cursor, scan_cb, ctx);
    /* Then every bucket of the larger table that the smaller one's bucket expands to. */
    do {
        scan_chain(large, cursor, scan_cb, ctx);
        cursor = cursor_next(cursor, large_mask);
    } while (cursor & (small_mask ^ large_mask));
    return cursor;
}
