/* keydir.c -- the keydir: an open-addressing hash table from key to the location of its latest
 * record (part A). Linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4,
 * Algorithm R), so there are no tombstones to slow lookups after many deletes. A key's home slot
 * is the top bits of bc_keydir_hash (bc_internal.h), and merge writes hint files in hash order,
 * so start-up fills the slots front to back. Keys live in an arena of 1 MiB blocks rather than a
 * malloc each: start-up inserts a million keys, and the arena is compacted when deleted keys
 * outnumber live ones. */
#include "bc_internal.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define KEYDIR_CAPACITY_MIN 64u
#define KEYDIR_PREFETCH_BYTES_MAX (256u << 10) /* of slots, at most, in one bc_keydir_prefetch */
#define KEY_BLOCK_BYTES (1u << 20)             /* one malloc per ~65,000 16-byte keys */
/* Slot arrays this big are mapped and asked for 2 MiB pages: a million keys' slots span 24,000
 * 4 KiB pages, far more than the TLB holds, so without them nearly every probe misses the TLB
 * as well as the cache. */
#define SLOTS_MAPPED_BYTES_MIN (4u << 20)

struct bc_key_block {
    struct bc_key_block *next; /* older blocks */
    size_t used_bytes;
    size_t capacity_bytes;
    char bytes[];
};

/* Slots for count_hint keys at most 3/4 full, zeroed (empty). NULL when out of memory. */
static struct bc_keydir_entry *
slots_alloc(size_t count_hint, size_t *capacity)
{
    *capacity = KEYDIR_CAPACITY_MIN;
    while (*capacity / 4 * 3 < count_hint) {
        *capacity *= 2;
    }
    size_t size_bytes = *capacity * sizeof(struct bc_keydir_entry);
    if (size_bytes < SLOTS_MAPPED_BYTES_MIN) {
        return calloc(*capacity, sizeof(struct bc_keydir_entry));
    }
    void *p = mmap(NULL, size_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    madvise(p, size_bytes, MADV_HUGEPAGE); /* a hint: without it, only slower */
    return p;
}

static void
slots_free(struct bc_keydir_entry *slots, size_t capacity)
{
    size_t size_bytes = capacity * sizeof(*slots);
    if (size_bytes < SLOTS_MAPPED_BYTES_MIN) {
        free(slots);
    } else {
        munmap(slots, size_bytes);
    }
}

bc_status
bc_keydir_init(struct bc_keydir *kd, size_t count_hint)
{
    memset(kd, 0, sizeof(*kd));
    size_t capacity;
    kd->slots = slots_alloc(count_hint, &capacity);
    kd->capacity = kd->slots == NULL ? 0 : capacity;
    return kd->slots == NULL ? BC_NOMEM : BC_OK;
}

static void
blocks_free(struct bc_key_block *b)
{
    while (b != NULL) {
        struct bc_key_block *next = b->next;
        free(b);
        b = next;
    }
}

void
bc_keydir_free(struct bc_keydir *kd)
{
    blocks_free(kd->key_blocks);
    if (kd->slots != NULL) {
        slots_free(kd->slots, kd->capacity);
    }
    memset(kd, 0, sizeof(*kd));
}

/* size_bytes of the arena, or NULL when out of memory. A block's unused tail is left behind
 * when a key does not fit: at most BC_KEY_SIZE_MAX bytes of every KEY_BLOCK_BYTES. */
static char *
key_alloc(struct bc_keydir *kd, size_t size_bytes)
{
    struct bc_key_block *b = kd->key_blocks;
    if (b == NULL || b->capacity_bytes - b->used_bytes < size_bytes) {
        size_t capacity = size_bytes > KEY_BLOCK_BYTES ? size_bytes : KEY_BLOCK_BYTES;
        b = malloc(sizeof(*b) + capacity);
        if (b == NULL) {
            return NULL;
        }
        b->next = kd->key_blocks;
        b->used_bytes = 0;
        b->capacity_bytes = capacity;
        kd->key_blocks = b;
    }
    char *p = b->bytes + b->used_bytes;
    b->used_bytes += size_bytes;
    kd->key_bytes_live += size_bytes;
    return p;
}

/* Copies the live keys into one new block and frees the old ones, once deleted keys take more
 * room than live ones (and a block's worth): amortized O(1) per delete. Skipped when out of
 * memory, which costs only room. */
static void
keys_compact(struct bc_keydir *kd)
{
    if (kd->key_bytes_dead < KEY_BLOCK_BYTES || kd->key_bytes_dead < kd->key_bytes_live) {
        return;
    }
    size_t capacity = kd->key_bytes_live > 0 ? kd->key_bytes_live : 1;
    struct bc_key_block *b = malloc(sizeof(*b) + capacity);
    if (b == NULL) {
        return;
    }
    *b = (struct bc_key_block){.capacity_bytes = capacity};
    for (size_t i = 0; i < kd->capacity; i++) {
        struct bc_keydir_entry *e = &kd->slots[i];
        if (e->key != NULL) {
            memcpy(b->bytes + b->used_bytes, e->key, e->key_size_bytes);
            e->key = b->bytes + b->used_bytes;
            b->used_bytes += e->key_size_bytes;
        }
    }
    assert(b->used_bytes == kd->key_bytes_live);
    blocks_free(kd->key_blocks);
    kd->key_blocks = b;
    kd->key_bytes_dead = 0;
}

/* A hash's home slot: its top log2(capacity) bits, not its bottom ones, so that ascending
 * hashes have ascending home slots at every capacity. Merge writes hint files in that order
 * (bc_keydir_hash), and start-up then fills the slots front to back. */
static size_t
keydir_home(const struct bc_keydir *kd, uint64_t hash)
{
    assert(kd->capacity >= KEYDIR_CAPACITY_MIN);
    assert((kd->capacity & (kd->capacity - 1)) == 0);
    return (size_t)(hash >> (64 - __builtin_ctzll(kd->capacity)));
}

static size_t
keydir_slot(const struct bc_keydir *kd, uint64_t hash, const void *key, size_t key_size_bytes)
{
    assert(kd->count < kd->capacity);
    size_t mask = kd->capacity - 1;
    size_t i = keydir_home(kd, hash);
    for (;;) {
        const struct bc_keydir_entry *e = &kd->slots[i];
        if (e->key == NULL || (e->hash == hash && e->key_size_bytes == key_size_bytes &&
                               memcmp(e->key, key, key_size_bytes) == 0)) {
            return i;
        }
        i = (i + 1) & mask;
    }
}

struct bc_keydir_entry *
bc_keydir_find(const struct bc_keydir *kd, const void *key, size_t key_size_bytes)
{
    size_t i = keydir_slot(kd, bc_keydir_hash(key, key_size_bytes), key, key_size_bytes);
    return kd->slots[i].key == NULL ? NULL : &kd->slots[i];
}

void
bc_keydir_prefetch(const struct bc_keydir *kd, uint64_t hash_first, uint64_t hash_last)
{
    const char *p = (const char *)&kd->slots[keydir_home(kd, hash_first)];
    const char *end = (const char *)&kd->slots[keydir_home(kd, hash_last) + 1];
    if (end - p > (ptrdiff_t)KEYDIR_PREFETCH_BYTES_MAX) {
        return; /* more than the cache keeps: it would evict itself before the inserts came */
    }
    for (; p < end; p += 64) {
        __builtin_prefetch(p, 1); /* for writing: inserts fill the slots */
    }
}

static bc_status
keydir_grow(struct bc_keydir *kd)
{
    struct bc_keydir bigger = {0}; /* slots only: the keys stay where they are */
    bigger.slots = slots_alloc(kd->capacity, &bigger.capacity); /* capacity -> about 2x */
    if (bigger.slots == NULL) {
        return BC_NOMEM;
    }
    /* Old slots in order are (but for a run wrapped round the end) in home-slot order, and a
     * home in the bigger table is the old one with one more bit: the inserts go front to back. */
    for (size_t i = 0; i < kd->capacity; i++) {
        struct bc_keydir_entry *e = &kd->slots[i];
        if (e->key != NULL) {
            size_t j = keydir_slot(&bigger, e->hash, e->key, e->key_size_bytes);
            bigger.slots[j] = *e;
            bigger.count++;
        }
    }
    assert(bigger.count == kd->count);
    slots_free(kd->slots, kd->capacity);
    kd->slots = bigger.slots;
    kd->capacity = bigger.capacity;
    return BC_OK;
}

bc_status
bc_keydir_put(struct bc_keydir *kd, const void *key, size_t key_size_bytes,
              const struct bc_keydir_entry *loc)
{
    assert(key_size_bytes > 0);
    assert(key_size_bytes <= BC_KEY_SIZE_MAX);
    if ((kd->count + 1) > kd->capacity / 4 * 3 && keydir_grow(kd) != BC_OK) {
        return BC_NOMEM;
    }
    uint64_t hash = bc_keydir_hash(key, key_size_bytes);
    struct bc_keydir_entry *e = &kd->slots[keydir_slot(kd, hash, key, key_size_bytes)];
    if (e->key == NULL) {
        e->key = key_alloc(kd, key_size_bytes);
        if (e->key == NULL) {
            return BC_NOMEM;
        }
        memcpy(e->key, key, key_size_bytes);
        e->hash = hash;
        e->key_size_bytes = (uint16_t)key_size_bytes;
        kd->count++;
    }
    e->file_id = loc->file_id;
    e->offset = loc->offset;
    e->value_size_bytes = loc->value_size_bytes;
    e->timestamp_us = loc->timestamp_us;
    return BC_OK;
}

bool
bc_keydir_delete(struct bc_keydir *kd, const void *key, size_t key_size_bytes)
{
    size_t mask = kd->capacity - 1;
    size_t i = keydir_slot(kd, bc_keydir_hash(key, key_size_bytes), key, key_size_bytes);
    if (kd->slots[i].key == NULL) {
        return false;
    }
    kd->key_bytes_live -= kd->slots[i].key_size_bytes;
    kd->key_bytes_dead += kd->slots[i].key_size_bytes;
    kd->count--;
    /* Backward shift: move later entries of the run into the hole while that keeps each one
     * reachable from its home slot. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; kd->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t home = keydir_home(kd, kd->slots[j].hash);
        bool is_movable = ((j - home) & mask) >= ((j - hole) & mask);
        if (is_movable) {
            kd->slots[hole] = kd->slots[j];
            hole = j;
        }
    }
    kd->slots[hole].key = NULL;
    keys_compact(kd);
    return true;
}
