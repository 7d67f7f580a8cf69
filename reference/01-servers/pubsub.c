/* pubsub.c -- lab 01 part E: channels in a small chained hash table, patterns per client, and
 * PUBLISH's fan-out. A message is built once and handed to every subscriber's callback. */
#include "pubsub.h"

#include "glob.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS_INITIAL 16u /* power of two; doubles when channels outnumber buckets */

struct pubsub_channel {
    char *name; /* owned */
    size_t name_size;
    struct pubsub_client **subscribers; /* owned array of borrowed clients */
    size_t subscriber_count;
    size_t subscriber_capacity;
    struct pubsub_channel *next; /* bucket chain */
};

/* FNV-1a (Fowler, Noll, Vo): channel names are short and chosen by the clients of one
 * server, so a simple hash is enough here; the keyspace's dict uses a keyed one. */
static uint64_t
hash_bytes(const char *bytes, size_t size_bytes)
{
    uint64_t hash = 0xcbf29ce484222325u;
    for (size_t i = 0; i < size_bytes; i++) {
        hash = (hash ^ (uint8_t)bytes[i]) * 0x100000001b3u;
    }
    return hash;
}

/* Makes room for one more element in a growable array of pointers. Returns 0 or -1. */
static int
array_reserve(void *array_ptr, size_t count, size_t *capacity, size_t element_size)
{
    void **array = array_ptr;
    if (count < *capacity) {
        return 0;
    }
    size_t grown = *capacity == 0 ? 4 : *capacity * 2;
    void *bigger = realloc(*array, grown * element_size);
    if (bigger == NULL) {
        return -1;
    }
    *array = bigger;
    *capacity = grown;
    assert(count < *capacity);
    return 0;
}

void
pubsub_init(struct pubsub *ps)
{
    memset(ps, 0, sizeof(*ps));
    resp_buf_init(&ps->scratch);
}

void
pubsub_free(struct pubsub *ps)
{
    assert(ps->channel_count == 0); /* every client left first */
    assert(ps->pattern_client_count == 0);
    free(ps->buckets);
    free(ps->pattern_clients);
    resp_buf_free(&ps->scratch);
    memset(ps, 0, sizeof(*ps));
}

void
pubsub_client_init(struct pubsub_client *c, pubsub_deliver_cb deliver_cb)
{
    assert(deliver_cb != NULL);
    memset(c, 0, sizeof(*c));
    c->deliver_cb = deliver_cb;
}

static struct pubsub_channel **
find_slot(struct pubsub *ps, const char *name, size_t name_size)
{
    if (ps->bucket_count == 0) {
        return NULL;
    }
    struct pubsub_channel **slot =
        &ps->buckets[hash_bytes(name, name_size) & (ps->bucket_count - 1)];
    while (*slot != NULL &&
           ((*slot)->name_size != name_size || memcmp((*slot)->name, name, name_size) != 0)) {
        slot = &(*slot)->next;
    }
    return slot;
}

static int
grow_buckets(struct pubsub *ps)
{
    size_t count = ps->bucket_count == 0 ? BUCKETS_INITIAL : ps->bucket_count * 2;
    assert((count & (count - 1)) == 0); /* find_slot masks the hash */
    struct pubsub_channel **buckets = calloc(count, sizeof(*buckets));
    if (buckets == NULL) {
        return -1;
    }
    for (size_t i = 0; i < ps->bucket_count; i++) {
        struct pubsub_channel *ch = ps->buckets[i];
        while (ch != NULL) {
            struct pubsub_channel *next = ch->next;
            size_t index = hash_bytes(ch->name, ch->name_size) & (count - 1);
            ch->next = buckets[index];
            buckets[index] = ch;
            ch = next;
        }
    }
    free(ps->buckets);
    ps->buckets = buckets;
    ps->bucket_count = count;
    assert(ps->channel_count < ps->bucket_count); /* room for the channel about to be made */
    return 0;
}

/* Finds the channel, creating it (empty) when asked. NULL when absent or out of memory. */
static struct pubsub_channel *
channel_get(struct pubsub *ps, const char *name, size_t name_size, bool is_create)
{
    struct pubsub_channel **slot = find_slot(ps, name, name_size);
    if (slot != NULL && *slot != NULL) {
        return *slot;
    }
    if (!is_create) {
        return NULL;
    }
    if (ps->channel_count >= ps->bucket_count && grow_buckets(ps) != 0) {
        return NULL;
    }
    struct pubsub_channel *ch = calloc(1, sizeof(*ch));
    char *copy = malloc(name_size + 1);
    if (ch == NULL || copy == NULL) {
        free(ch);
        free(copy);
        return NULL;
    }
    memcpy(copy, name, name_size);
    copy[name_size] = '\0';
    ch->name = copy;
    ch->name_size = name_size;
    slot = find_slot(ps, name, name_size);
    assert(slot != NULL);
    assert(*slot == NULL); /* the end of the chain the name hashes to */
    *slot = ch;
    ps->channel_count++;
    return ch;
}

static void
channel_drop_if_empty(struct pubsub *ps, struct pubsub_channel *ch)
{
    if (ch->subscriber_count > 0) {
        return;
    }
    struct pubsub_channel **slot = find_slot(ps, ch->name, ch->name_size);
    assert(slot != NULL);
    assert(*slot == ch);
    *slot = ch->next;
    ps->channel_count--;
    free(ch->subscribers);
    free(ch->name);
    free(ch);
}

static size_t
client_channel_index(const struct pubsub_client *c, const struct pubsub_channel *ch)
{
    size_t i = 0;
    while (i < c->channel_count && c->channels[i] != ch) {
        i++;
    }
    return i;
}

int
pubsub_subscribe(struct pubsub *ps, struct pubsub_client *c, const char *channel,
                 size_t channel_size)
{
    struct pubsub_channel *ch = channel_get(ps, channel, channel_size, true);
    if (ch == NULL) {
        return -1;
    }
    if (client_channel_index(c, ch) < c->channel_count) {
        return 0;
    }
    if (array_reserve(&c->channels, c->channel_count, &c->channel_capacity, sizeof(ch)) != 0 ||
        array_reserve(&ch->subscribers, ch->subscriber_count, &ch->subscriber_capacity,
                      sizeof(c)) != 0) {
        channel_drop_if_empty(ps, ch);
        return -1;
    }
    c->channels[c->channel_count++] = ch;
    ch->subscribers[ch->subscriber_count++] = c;
    assert(ch->subscriber_count > 0);
    return 1;
}

/* Removes c from ch's subscribers and ch from c's channels (order is not kept: swap-remove). */
static void
detach(struct pubsub *ps, struct pubsub_client *c, struct pubsub_channel *ch)
{
    size_t i = client_channel_index(c, ch);
    assert(i < c->channel_count);
    c->channels[i] = c->channels[--c->channel_count];
    size_t j = 0;
    while (j < ch->subscriber_count && ch->subscribers[j] != c) {
        j++;
    }
    assert(j < ch->subscriber_count);
    ch->subscribers[j] = ch->subscribers[--ch->subscriber_count];
    channel_drop_if_empty(ps, ch);
}

int
pubsub_unsubscribe(struct pubsub *ps, struct pubsub_client *c, const char *channel,
                   size_t channel_size)
{
    struct pubsub_channel *ch = channel_get(ps, channel, channel_size, false);
    if (ch == NULL || client_channel_index(c, ch) == c->channel_count) {
        return 0;
    }
    detach(ps, c, ch);
    return 1;
}

static size_t
client_pattern_index(const struct pubsub_client *c, const char *pattern, size_t pattern_size)
{
    size_t i = 0;
    while (i < c->pattern_count && (c->pattern_sizes[i] != pattern_size ||
                                    memcmp(c->patterns[i], pattern, pattern_size) != 0)) {
        i++;
    }
    return i;
}

int
pubsub_psubscribe(struct pubsub *ps, struct pubsub_client *c, const char *pattern,
                  size_t pattern_size)
{
    if (client_pattern_index(c, pattern, pattern_size) < c->pattern_count) {
        return 0;
    }
    /* The two arrays share pattern_capacity: pattern_sizes grows first, on a copy, so that
     * pattern_capacity never counts room that pattern_sizes does not have (if patterns then
     * fails to grow, pattern_sizes only has room to spare). */
    size_t sizes_capacity = c->pattern_capacity;
    char *copy = malloc(pattern_size + 1);
    if (copy == NULL ||
        array_reserve(&c->pattern_sizes, c->pattern_count, &sizes_capacity, sizeof(size_t)) ||
        array_reserve(&c->patterns, c->pattern_count, &c->pattern_capacity, sizeof(char *)) ||
        (c->pattern_count == 0 && array_reserve(&ps->pattern_clients, ps->pattern_client_count,
                                                &ps->pattern_client_capacity, sizeof(c)))) {
        free(copy);
        return -1;
    }
    memcpy(copy, pattern, pattern_size);
    copy[pattern_size] = '\0';
    if (c->pattern_count == 0) {
        ps->pattern_clients[ps->pattern_client_count++] = c;
    }
    c->patterns[c->pattern_count] = copy;
    c->pattern_sizes[c->pattern_count++] = pattern_size;
    return 1;
}

int
pubsub_punsubscribe(struct pubsub *ps, struct pubsub_client *c, const char *pattern,
                    size_t pattern_size)
{
    size_t i = client_pattern_index(c, pattern, pattern_size);
    if (i == c->pattern_count) {
        return 0;
    }
    free(c->patterns[i]);
    c->pattern_count--;
    c->patterns[i] = c->patterns[c->pattern_count];
    c->pattern_sizes[i] = c->pattern_sizes[c->pattern_count];
    if (c->pattern_count == 0) { /* no longer a pattern client */
        size_t j = 0;
        while (ps->pattern_clients[j] != c) {
            j++;
        }
        ps->pattern_clients[j] = ps->pattern_clients[--ps->pattern_client_count];
    }
    return 1;
}

void
pubsub_leave_all(struct pubsub *ps, struct pubsub_client *c)
{
    while (c->channel_count > 0) {
        detach(ps, c, c->channels[c->channel_count - 1]);
    }
    while (c->pattern_count > 0) {
        pubsub_punsubscribe(ps, c, c->patterns[0], c->pattern_sizes[0]);
    }
    free(c->channels);
    free(c->patterns);
    free(c->pattern_sizes);
    pubsub_client_init(c, c->deliver_cb);
}

size_t
pubsub_client_count(const struct pubsub_client *c)
{
    return c->channel_count + c->pattern_count;
}

void
pubsub_client_channel(const struct pubsub_client *c, size_t i, const char **name, size_t *name_size)
{
    assert(i < c->channel_count);
    *name = c->channels[i]->name;
    *name_size = c->channels[i]->name_size;
}

/* Builds "*3 message channel payload" (or "*4 pmessage pattern channel payload") in scratch. */
static int
build_message(struct resp_buf *b, const char *pattern, size_t pattern_size, const char *channel,
              size_t channel_size, const char *message, size_t message_size)
{
    assert(pattern != NULL || pattern_size == 0);
    resp_buf_reset(b);
    bool is_pattern = pattern != NULL;
    if (resp_buf_array(b, is_pattern ? 4 : 3) != RESP_OK ||
        resp_buf_bulk(b, is_pattern ? "pmessage" : "message", is_pattern ? 8 : 7) != RESP_OK ||
        (is_pattern && resp_buf_bulk(b, pattern, pattern_size) != RESP_OK) ||
        resp_buf_bulk(b, channel, channel_size) != RESP_OK ||
        resp_buf_bulk(b, message, message_size) != RESP_OK) {
        return -1;
    }
    assert(b->size_bytes > channel_size + message_size); /* the headers too */
    return 0;
}

size_t
pubsub_publish(struct pubsub *ps, const char *channel, size_t channel_size, const char *message,
               size_t message_size)
{
    size_t deliveries = 0;
    struct pubsub_channel *ch = channel_get(ps, channel, channel_size, false);
    if (ch != NULL && ch->subscriber_count > 0) {
        if (build_message(&ps->scratch, NULL, 0, channel, channel_size, message, message_size)) {
            return (size_t)-1;
        }
        for (size_t i = 0; i < ch->subscriber_count; i++) {
            ch->subscribers[i]->deliver_cb(ch->subscribers[i], ps->scratch.data,
                                           ps->scratch.size_bytes);
        }
        deliveries += ch->subscriber_count;
    }
    for (size_t i = 0; i < ps->pattern_client_count; i++) {
        struct pubsub_client *c = ps->pattern_clients[i];
        for (size_t j = 0; j < c->pattern_count; j++) {
            if (!glob_match(c->patterns[j], c->pattern_sizes[j], channel, channel_size)) {
                continue;
            }
            if (build_message(&ps->scratch, c->patterns[j], c->pattern_sizes[j], channel,
                              channel_size, message, message_size) != 0) {
                return deliveries > 0 ? deliveries : (size_t)-1;
            }
            c->deliver_cb(c, ps->scratch.data, ps->scratch.size_bytes);
            deliveries++;
        }
    }
    return deliveries;
}
