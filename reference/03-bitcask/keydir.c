/* keydir.c -- the keydir: an open-addressing hash table from key to the location of its latest
 * record (part A). Linear probing with backward-shift deletion (Knuth, TAOCP vol. 3, 6.4,
 * Algorithm R), so there are no tombstones to slow lookups after many deletes. */
#include "bc_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define KEYDIR_CAPACITY_MIN 64u

/* FNV-1a, 64-bit (Fowler, Noll, Vo): keys are short and hashing is not the bottleneck. */
static uint64_t
keydir_hash(const void *key, size_t size_bytes)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < size_bytes; i++) {
        h = (h ^ p[i]) * 0x100000001b3u;
    }
    return h ^ (h >> 29);
}

bc_status
bc_keydir_init(struct bc_keydir *kd, size_t count_hint)
{
    size_t capacity = KEYDIR_CAPACITY_MIN;
    while (capacity / 4 * 3 < count_hint) {
        capacity *= 2;
    }
    kd->slots = calloc(capacity, sizeof(*kd->slots));
    kd->capacity = kd->slots == NULL ? 0 : capacity;
    kd->count = 0;
    return kd->slots == NULL ? BC_NOMEM : BC_OK;
}

void
bc_keydir_free(struct bc_keydir *kd)
{
    for (size_t i = 0; i < kd->capacity; i++) {
        free(kd->slots[i].key);
    }
    free(kd->slots);
    memset(kd, 0, sizeof(*kd));
}

static size_t
keydir_slot(const struct bc_keydir *kd, uint64_t hash, const void *key, size_t key_size_bytes)
{
    assert(kd->count < kd->capacity);
    size_t mask = kd->capacity - 1;
    size_t i = (size_t)hash & mask;
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
    size_t i = keydir_slot(kd, keydir_hash(key, key_size_bytes), key, key_size_bytes);
    return kd->slots[i].key == NULL ? NULL : &kd->slots[i];
}

static bc_status
keydir_grow(struct bc_keydir *kd)
{
    struct bc_keydir bigger;
    if (bc_keydir_init(&bigger, kd->capacity) != BC_OK) { /* capacity -> about 2x */
        return BC_NOMEM;
    }
    for (size_t i = 0; i < kd->capacity; i++) {
        struct bc_keydir_entry *e = &kd->slots[i];
        if (e->key != NULL) {
            size_t j = keydir_slot(&bigger, e->hash, e->key, e->key_size_bytes);
            bigger.slots[j] = *e;
            bigger.count++;
        }
    }
    assert(bigger.count == kd->count);
    free(kd->slots);
    *kd = bigger;
    return BC_OK;
}

bc_status
bc_keydir_put(struct bc_keydir *kd, const void *key, size_t key_size_bytes,
              const struct bc_keydir_entry *loc)
{
    assert(key_size_bytes > 0 && key_size_bytes <= BC_KEY_SIZE_MAX);
    if ((kd->count + 1) > kd->capacity / 4 * 3 && keydir_grow(kd) != BC_OK) {
        return BC_NOMEM;
    }
    uint64_t hash = keydir_hash(key, key_size_bytes);
    struct bc_keydir_entry *e = &kd->slots[keydir_slot(kd, hash, key, key_size_bytes)];
    if (e->key == NULL) {
        e->key = malloc(key_size_bytes);
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
    size_t i = keydir_slot(kd, keydir_hash(key, key_size_bytes), key, key_size_bytes);
    if (kd->slots[i].key == NULL) {
        return false;
    }
    free(kd->slots[i].key);
    kd->count--;
    /* Backward shift: move later entries of the run into the hole while that keeps each one
     * reachable from its home slot. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; kd->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)kd->slots[j].hash & mask;
        bool is_movable = ((j - home) & mask) >= ((j - hole) & mask);
        if (is_movable) {
            kd->slots[hole] = kd->slots[j];
            hole = j;
        }
    }
    kd->slots[hole].key = NULL;
    return true;
}
