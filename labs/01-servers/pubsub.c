/* pubsub.c -- your channel and pattern registry (lab 01, part E). Read pubsub.h first, then
 * the README's part E. Until you write them, subscribing fails, PUBLISH reaches nobody, and
 * everything else behaves as for a client with no subscriptions (so parts C and D work). */
#include "pubsub.h"

#include "glob.h" /* glob_match, given: for the patterns PUBLISH tries */

#include <string.h>

/* TODO(part E): define struct pubsub_channel: a channel's name and its subscribers. */
struct pubsub_channel {
    char *name;
};

void
pubsub_init(struct pubsub *ps)
{
    memset(ps, 0, sizeof(*ps));
    resp_buf_init(&ps->scratch);
}

void
pubsub_free(struct pubsub *ps)
{
    /* TODO(part E): free the table and what it owns. */
    resp_buf_free(&ps->scratch);
}

void
pubsub_client_init(struct pubsub_client *c, pubsub_deliver_cb deliver_cb)
{
    memset(c, 0, sizeof(*c));
    c->deliver_cb = deliver_cb;
}

int
pubsub_subscribe(struct pubsub *ps, struct pubsub_client *c, const char *channel,
                 size_t channel_size)
{
    /* TODO(part E): find or create the channel; add c to it and it to c, once. */
    (void)ps;
    (void)c;
    (void)channel;
    (void)channel_size;
    return -1;
}

int
pubsub_unsubscribe(struct pubsub *ps, struct pubsub_client *c, const char *channel,
                   size_t channel_size)
{
    /* TODO(part E): the reverse; drop a channel nobody listens to any more. */
    (void)ps;
    (void)c;
    (void)channel;
    (void)channel_size;
    return 0;
}

int
pubsub_psubscribe(struct pubsub *ps, struct pubsub_client *c, const char *pattern,
                  size_t pattern_size)
{
    /* TODO(part E): keep a copy of the pattern with c; remember c as a pattern client. */
    (void)ps;
    (void)c;
    (void)pattern;
    (void)pattern_size;
    return -1;
}

int
pubsub_punsubscribe(struct pubsub *ps, struct pubsub_client *c, const char *pattern,
                    size_t pattern_size)
{
    (void)ps;
    (void)c;
    (void)pattern;
    (void)pattern_size;
    return 0;
}

void
pubsub_leave_all(struct pubsub *ps, struct pubsub_client *c)
{
    /* TODO(part E): a closed subscriber must be dropped from every channel and pattern. */
    (void)ps;
    (void)c;
}

size_t
pubsub_client_count(const struct pubsub_client *c)
{
    return c->channel_count + c->pattern_count;
}

void
pubsub_client_channel(const struct pubsub_client *c, size_t i, const char **name, size_t *name_size)
{
    (void)c;
    (void)i;
    *name = "";
    *name_size = 0;
}

size_t
pubsub_publish(struct pubsub *ps, const char *channel, size_t channel_size, const char *message,
               size_t message_size)
{
    /* TODO(part E): build the message once; deliver it to the channel's subscribers and to
     * every client with a matching pattern; return how many deliveries. */
    (void)ps;
    (void)channel;
    (void)channel_size;
    (void)message;
    (void)message_size;
    return 0;
}
