/* keydir.c -- the keydir: a hash table from key to the location of its latest record (part A).
 * bc_internal.h gives the struct; any correct hash table will do. */
#include "bc_internal.h"

#include <string.h>

bc_status
bc_keydir_init(struct bc_keydir *kd, size_t count_hint)
{
    /* TODO(part A): allocate the slots (open addressing: a power of two, at most 3/4 full). */
    (void)count_hint;
    memset(kd, 0, sizeof(*kd));
    return BC_UNIMPLEMENTED;
}

void
bc_keydir_free(struct bc_keydir *kd)
{
    /* TODO(part A): free every key and the slots. */
    memset(kd, 0, sizeof(*kd));
}

struct bc_keydir_entry *
bc_keydir_find(const struct bc_keydir *kd, const void *key, size_t key_size_bytes)
{
    /* TODO(part A) */
    (void)kd;
    (void)key;
    (void)key_size_bytes;
    return NULL;
}

bc_status
bc_keydir_put(struct bc_keydir *kd, const void *key, size_t key_size_bytes,
              const struct bc_keydir_entry *loc)
{
    /* TODO(part A): insert (copying the key) or update; grow before it gets too full. */
    (void)kd;
    (void)key;
    (void)key_size_bytes;
    (void)loc;
    return BC_UNIMPLEMENTED;
}

bool
bc_keydir_delete(struct bc_keydir *kd, const void *key, size_t key_size_bytes)
{
    /* TODO(part A): with linear probing, shift the rest of the run back (no tombstones). */
    (void)kd;
    (void)key;
    (void)key_size_bytes;
    return false;
}

void
bc_keydir_prefetch(const struct bc_keydir *kd, uint64_t hash_first, uint64_t hash_last)
{
    /* Optional: a speed-up for start-up; doing nothing is correct. */
    (void)kd;
    (void)hash_first;
    (void)hash_last;
}
