/* store.c -- your keyspace for lab 01 part B: string values in one dict, the keys that have a
 * TTL in a second, lazy expiry in store_lookup and active expiry in store_expire_cycle.
 * store.h says what each function must do; commands.c builds every command on them. */
#include "store.h"

#include "dict.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct store {
    struct dict keys;    /* key -> struct store_value * (owned) */
    struct dict expires; /* the keys with a TTL -> their struct dict_entry * in keys (borrowed) */
    uint64_t rng_state;  /* splitmix64 state of the active-expiry sampler */
};

struct store *
store_create(uint64_t seed)
{
    struct store *s = malloc(sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    uint64_t state = seed;
    dict_init(&s->keys, dict_rng_next(&state));
    dict_init(&s->expires, dict_rng_next(&state));
    s->rng_state = dict_rng_next(&state);
    return s;
}

static void
free_value_cb(void *value, void *ctx)
{
    (void)ctx;
    free(value);
}

void
store_flush(struct store *s)
{
    assert(s != NULL);
    dict_clear(&s->expires, NULL, NULL);
    dict_clear(&s->keys, free_value_cb, NULL);
}

void
store_destroy(struct store *s)
{
    if (s == NULL) {
        return;
    }
    store_flush(s);
    free(s);
}

size_t
store_size(const struct store *s)
{
    assert(s != NULL);
    return dict_size(&s->keys);
}

/* ---- Given: do not change (the given commands reach the dict through these two) ---- */

struct dict *
store_keys(struct store *s)
{
    assert(s != NULL);
    return &s->keys;
}

uint64_t *
store_rng_state(struct store *s)
{
    assert(s != NULL);
    return &s->rng_state;
}

/* ---- End of the given part ---- */

size_t
store_volatile_count(const struct store *s)
{
    assert(s != NULL);
    return dict_size(&s->expires);
}

bool
store_delete(struct store *s, const void *key, size_t key_size_bytes)
{
    assert(s != NULL);
    (void)key;
    (void)key_size_bytes;
    /* TODO(part B): delete from keys (dict_delete hands you the value to free) and, if the value
     * had a TTL, from expires too. */
    return false;
}

const struct store_value *
store_lookup(struct store *s, const void *key, size_t key_size_bytes, uint64_t now_ms)
{
    assert(s != NULL);
    (void)key;
    (void)key_size_bytes;
    (void)now_ms;
    /* TODO(part B): find the key; if its expire time has passed (expired means now_ms is
     * strictly after expire_at_ms, as Redis's keyIsExpired), delete it and report it missing. */
    return NULL;
}

cmd_status
store_set(struct store *s, const void *key, size_t key_size_bytes, const void *value,
          size_t value_size_bytes, bool keep_ttl)
{
    assert(s != NULL);
    assert(value != NULL || value_size_bytes == 0);
    (void)key;
    (void)key_size_bytes;
    (void)keep_ttl;
    /* TODO(part B): a new key gets one malloc of struct store_value with the bytes behind it
     * (leave room, so INCR can rewrite it in place); an existing key reuses its value's memory
     * when it is big enough. Without keep_ttl, a TTL it had goes (and the key leaves expires). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
store_set_expire(struct store *s, const void *key, size_t key_size_bytes, int64_t expire_at_ms)
{
    assert(s != NULL);
    (void)key;
    (void)key_size_bytes;
    (void)expire_at_ms;
    /* TODO(part B): set the value's expire_at_ms, and keep expires in step: a key enters it when
     * it gets its first TTL and leaves it when the TTL goes (STORE_EXPIRE_NONE). */
    return CMD_UNIMPLEMENTED;
}

size_t
store_expire_cycle(struct store *s, uint64_t now_ms, size_t sample_max, size_t rounds_max)
{
    assert(s != NULL);
    (void)now_ms;
    (void)sample_max;
    (void)rounds_max;
    /* TODO(part B): Redis's activeExpireCycle in miniature. Each round draws up to sample_max
     * keys of expires with dict_random_entry(&s->expires, &s->rng_state), deletes those expired,
     * and stops unless more than 25% of the sample had expired. */
    return 0;
}

void
store_rehash_step(struct store *s, size_t buckets_max)
{
    assert(s != NULL);
    dict_rehash_step(&s->keys, buckets_max);
    dict_rehash_step(&s->expires, buckets_max);
}
