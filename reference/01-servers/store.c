/* store.c -- the reference keyspace of lab 01 part B: string values in a dict, the keys with a
 * TTL in a second dict (as Redis's db->expires), lazy expiry on lookup and active expiry by
 * sampling (Redis's expire.c). commands.c builds every command on the functions here. */
#include "store.h"

#include "dict.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A new value gets at least this capacity, so INCR's 20-digit results fit in place. */
#define STORE_VALUE_CAPACITY_BYTES_MIN 24u

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
    assert(store_size(s) == 0);
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
    assert(store_size(s) == 0);
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

size_t
store_volatile_count(const struct store *s)
{
    assert(s != NULL);
    assert(dict_size(&s->expires) <= dict_size(&s->keys));
    return dict_size(&s->expires);
}

bool
store_delete(struct store *s, const void *key, size_t key_size_bytes)
{
    assert(s != NULL);
    void *value = NULL;
    if (dict_delete(&s->keys, key, key_size_bytes, &value) != DICT_OK) {
        return false;
    }
    struct store_value *v = value;
    if (v->expire_at_ms != STORE_EXPIRE_NONE) {
        dict_status status = dict_delete(&s->expires, key, key_size_bytes, NULL);
        assert(status == DICT_OK); /* a key with a TTL is in both dicts */
        (void)status;
    }
    free(v);
    return true;
}

/* Redis's keyIsExpired: a key is expired once now is past its expire time, not at it. */
static bool
is_expired(const struct store_value *v, uint64_t now_ms)
{
    return v->expire_at_ms != STORE_EXPIRE_NONE && (uint64_t)v->expire_at_ms < now_ms;
}

const struct store_value *
store_lookup(struct store *s, const void *key, size_t key_size_bytes, uint64_t now_ms)
{
    assert(s != NULL);
    assert(now_ms <= INT64_MAX);
    struct dict_entry *e = dict_find(&s->keys, key, key_size_bytes);
    if (e == NULL) {
        return NULL;
    }
    const struct store_value *v = e->value;
    if (is_expired(v, now_ms)) {
        store_delete(s, key, key_size_bytes);
        return NULL;
    }
    return v;
}

static struct store_value *
value_new(const void *bytes, size_t size_bytes)
{
    assert(bytes != NULL || size_bytes == 0);
    size_t capacity =
        size_bytes < STORE_VALUE_CAPACITY_BYTES_MIN ? STORE_VALUE_CAPACITY_BYTES_MIN : size_bytes;
    struct store_value *v = malloc(sizeof(*v) + capacity + 1);
    if (v == NULL) {
        return NULL;
    }
    v->expire_at_ms = STORE_EXPIRE_NONE;
    v->size_bytes = size_bytes;
    v->capacity_bytes = capacity;
    if (size_bytes > 0) {
        memcpy(v->bytes, bytes, size_bytes);
    }
    v->bytes[size_bytes] = '\0';
    assert(v->capacity_bytes >= v->size_bytes);
    return v;
}

cmd_status
store_set(struct store *s, const void *key, size_t key_size_bytes, const void *value,
          size_t value_size_bytes, bool keep_ttl)
{
    assert(s != NULL);
    assert(value != NULL || value_size_bytes == 0);
    struct dict_entry *e = dict_find(&s->keys, key, key_size_bytes);
    if (e == NULL) {
        struct store_value *v = value_new(value, value_size_bytes);
        if (v == NULL) {
            return CMD_NOMEM;
        }
        if (dict_insert(&s->keys, key, key_size_bytes, v, NULL) != DICT_OK) {
            free(v);
            return CMD_NOMEM;
        }
        return CMD_OK;
    }
    struct store_value *v = e->value;
    if (v->capacity_bytes < value_size_bytes) {
        struct store_value *bigger = value_new(value, value_size_bytes);
        if (bigger == NULL) {
            return CMD_NOMEM;
        }
        bigger->expire_at_ms = v->expire_at_ms; /* the expires dict points at e, not at v */
        free(v);
        e->value = v = bigger;
    } else {
        memmove(v->bytes, value, value_size_bytes); /* value may be v's own bytes */
        v->size_bytes = value_size_bytes;
        v->bytes[value_size_bytes] = '\0';
    }
    if (!keep_ttl && v->expire_at_ms != STORE_EXPIRE_NONE) {
        store_set_expire(s, key, key_size_bytes, STORE_EXPIRE_NONE);
    }
    return CMD_OK;
}

cmd_status
store_set_expire(struct store *s, const void *key, size_t key_size_bytes, int64_t expire_at_ms)
{
    assert(s != NULL);
    assert(expire_at_ms >= 0 || expire_at_ms == STORE_EXPIRE_NONE);
    struct dict_entry *e = dict_find(&s->keys, key, key_size_bytes);
    assert(e != NULL); /* the caller looked the key up */
    struct store_value *v = e->value;
    if (expire_at_ms == STORE_EXPIRE_NONE) {
        if (v->expire_at_ms != STORE_EXPIRE_NONE) {
            dict_status status = dict_delete(&s->expires, key, key_size_bytes, NULL);
            assert(status == DICT_OK);
            (void)status;
        }
    } else if (v->expire_at_ms == STORE_EXPIRE_NONE) {
        if (dict_insert(&s->expires, key, key_size_bytes, e, NULL) != DICT_OK) {
            return CMD_NOMEM;
        }
    }
    v->expire_at_ms = expire_at_ms;
    return CMD_OK;
}

/* Redis's ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE: go on while more than 25% of a sample expired. */
#define EXPIRE_STALE_PERCENT_MAX 25u

size_t
store_expire_cycle(struct store *s, uint64_t now_ms, size_t sample_max, size_t rounds_max)
{
    assert(s != NULL);
    assert(now_ms <= INT64_MAX);
    size_t deleted_total = 0;
    for (size_t round = 0; round < rounds_max; round++) {
        size_t sample = dict_size(&s->expires) < sample_max ? dict_size(&s->expires) : sample_max;
        if (sample == 0) {
            break;
        }
        size_t expired = 0;
        for (size_t i = 0; i < sample; i++) {
            struct dict_entry *t = dict_random_entry(&s->expires, &s->rng_state);
            assert(t != NULL);
            const struct dict_entry *e = t->value;
            if (is_expired(e->value, now_ms)) {
                /* t->key is read before store_delete frees t, which it does last. */
                bool existed = store_delete(s, t->key, t->key_size_bytes);
                assert(existed);
                (void)existed;
                expired++;
            }
            if (dict_size(&s->expires) == 0) {
                break;
            }
        }
        deleted_total += expired;
        if (expired * 100 <= sample * EXPIRE_STALE_PERCENT_MAX) {
            break;
        }
    }
    return deleted_total;
}

void
store_rehash_step(struct store *s, size_t buckets_max)
{
    assert(s != NULL);
    dict_rehash_step(&s->keys, buckets_max);
    dict_rehash_step(&s->expires, buckets_max);
}
