/* pubsub.h -- lab 01-servers, part E: the registry of channels and glob patterns, and the
 * fan-out of one PUBLISH to every subscriber. It holds no sockets: a subscriber is a
 * struct pubsub_client embedded in a server's client, reached through its deliver callback.
 * Thread safety: none; the threaded servers call it with server->lock held. */
#ifndef KEEL_PUBSUB_H
#define KEEL_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

#include "resp.h"

struct pubsub_channel; /* private to pubsub.c */
struct pubsub_client;

/* Appends one complete RESP message to the subscriber's output (it must not call back into
 * the registry). bytes are borrowed for the call only. */
typedef void (*pubsub_deliver_cb)(struct pubsub_client *sub, const char *bytes, size_t size_bytes);

/* A subscriber: what it is subscribed to, so closing it can leave everything at once. */
struct pubsub_client {
    pubsub_deliver_cb deliver_cb;
    struct pubsub_channel **channels; /* owned array of borrowed channel pointers */
    size_t channel_count;
    size_t channel_capacity;
    char **patterns; /* owned copies, NUL-terminated (patterns are text) */
    size_t *pattern_sizes;
    size_t pattern_count;
    size_t pattern_capacity;
};

/* The registry: a hash table of channels (each with its subscribers) and a list of patterns.
 * Patterns are kept per client; PUBLISH walks the pattern subscribers it knows of. */
struct pubsub {
    struct pubsub_channel **buckets; /* owned; bucket_count is a power of two */
    size_t bucket_count;
    size_t channel_count;
    struct pubsub_client **pattern_clients; /* owned array; clients with >= 1 pattern */
    size_t pattern_client_count;
    size_t pattern_client_capacity;
    struct resp_buf scratch; /* owned: one message is built here, then delivered to all */
};

void pubsub_init(struct pubsub *ps);
/* Frees the registry. Every client must have left first (pubsub_leave_all). */
void pubsub_free(struct pubsub *ps);
void pubsub_client_init(struct pubsub_client *c, pubsub_deliver_cb deliver_cb);

/* SUBSCRIBE one channel. Returns 1 when newly subscribed, 0 when it already was, -1 on out
 * of memory (nothing changed). */
int pubsub_subscribe(struct pubsub *ps, struct pubsub_client *c, const char *channel,
                     size_t channel_size);
/* UNSUBSCRIBE one channel. Returns 1 when c was subscribed, 0 when not. */
int pubsub_unsubscribe(struct pubsub *ps, struct pubsub_client *c, const char *channel,
                       size_t channel_size);
/* PSUBSCRIBE / PUNSUBSCRIBE one glob pattern; same returns. */
int pubsub_psubscribe(struct pubsub *ps, struct pubsub_client *c, const char *pattern,
                      size_t pattern_size);
int pubsub_punsubscribe(struct pubsub *ps, struct pubsub_client *c, const char *pattern,
                        size_t pattern_size);
/* Leaves every channel and pattern (a closed subscriber is dropped everywhere). */
void pubsub_leave_all(struct pubsub *ps, struct pubsub_client *c);
/* Subscriptions of c, channels plus patterns: the count Redis puts in each (un)subscribe
 * reply, and what decides whether c is in subscribed mode. */
size_t pubsub_client_count(const struct pubsub_client *c);
/* The name of c's i-th channel (i < c->channel_count), borrowed until it unsubscribes. */
void pubsub_client_channel(const struct pubsub_client *c, size_t i, const char **name,
                           size_t *name_size);

/* PUBLISH: delivers "message" to each subscriber of channel and "pmessage" to each client with
 * a pattern that matches it (once per matching pattern, as Redis does; glob.h's given
 * glob_match decides). Returns how many deliveries were made, PUBLISH's reply. Returns (size_t)-1
 * on out of memory, having delivered nothing. */
size_t pubsub_publish(struct pubsub *ps, const char *channel, size_t channel_size,
                      const char *message, size_t message_size);

#endif
