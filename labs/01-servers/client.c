/* client.c -- your client processing (lab 01, parts C and E): parse a client's requests,
 * execute them (pub/sub here, everything else through cmd_execute), queue the replies in
 * c->out, and write them. Read server.h first. client_init, client_free, the locking helpers
 * and deliver are given; each TODO returns an error until you write it. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static void
lock_out(struct client *c)
{
    if (c->server->is_locked_model) {
        pthread_mutex_lock(&c->out_lock);
    }
}

static void
unlock_out(struct client *c)
{
    if (c->server->is_locked_model) {
        pthread_mutex_unlock(&c->out_lock);
    }
}

/* A subscriber past its output limit is cut off, as Redis does with a slow pub/sub reader:
 * what it had not read is dropped and the connection closes. */
static void
enforce_output_limit(struct client *c)
{
    if (c->out.size_bytes - c->out_sent_bytes > c->server->config.output_size_bytes_max) {
        resp_buf_reset(&c->out);
        c->out_sent_bytes = 0;
        c->is_closing = true;
    }
}

/* The publisher holds server->lock; out_lock orders it against the client's own writes. */
static void
deliver(struct pubsub_client *sub, const char *bytes, size_t size_bytes)
{
    struct client *c = (struct client *)((char *)sub - offsetof(struct client, sub));
    lock_out(c);
    if (!c->is_closing) {
        if (resp_buf_append(&c->out, bytes, size_bytes) != RESP_OK) {
            c->is_closing = true;
        }
        enforce_output_limit(c);
        if (c->wake_cb != NULL) {
            c->wake_cb(c);
        }
    }
    unlock_out(c);
}

int
client_init(struct client *c, struct server *server, int fd)
{
    assert(fd >= 0);
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->server = server;
    c->wake_fd = -1;
    resp_parser_init(&c->parser, NULL);
    resp_buf_init(&c->out);
    pubsub_client_init(&c->sub, deliver);
    if (pthread_mutex_init(&c->out_lock, NULL) != 0) {
        return -1;
    }
    c->last_active_ms = server_now_ms();
    return 0;
}

void
client_free(struct client *c)
{
    struct server *server = c->server;
    if (server->is_locked_model) {
        pthread_mutex_lock(&server->lock);
    }
    pubsub_leave_all(&server->pubsub, &c->sub); /* no publisher may reach c after this */
    if (server->is_locked_model) {
        pthread_mutex_unlock(&server->lock);
    }
    resp_parser_free(&c->parser);
    resp_buf_free(&c->out);
    pthread_mutex_destroy(&c->out_lock);
    close(c->fd);
    c->fd = -1;
    atomic_fetch_sub(&server->client_count, 1);
}

int
client_feed(struct client *c, const char *bytes, size_t size_bytes, uint64_t now_ms)
{
    /* TODO(part C): record the activity time; in the locked models take server->lock, then
     * out_lock (always in that order); loop resp_parse over the bytes, calling client_execute
     * for each complete request; on a protocol error append "-ERR " + the parser's message and
     * mark the client closing; check the output limit; unlock in reverse order. */
    (void)bytes;
    (void)size_bytes;
    (void)now_ms;
    c->is_closing = true;
    return -1;
}

int
client_execute(struct client *c, const struct resp_request *request, uint64_t now_ms)
{
    /* TODO(part C): hand the request to cmd_execute and act on its status (CMD_QUIT closes
     * after the reply is written; CMD_NOT_MINE is pub/sub).
     * TODO(part E): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE and PUBLISH with the
     * replies Redis sends, and the rule that a subscribed client may only manage its
     * subscriptions, PING and QUIT. */
    (void)c;
    (void)request;
    (void)now_ms;
    return -1;
}

int
client_flush(struct client *c)
{
    /* TODO(part C): send what c->out holds from out_sent_bytes on, under out_lock. A
     * non-blocking socket may take only part of it (EAGAIN): keep the rest and return 1. Reset
     * the buffer once everything went out. */
    (void)c;
    return -1;
}

bool
client_has_output(struct client *c)
{
    lock_out(c);
    bool has_output = c->out_sent_bytes < c->out.size_bytes;
    unlock_out(c);
    return has_output;
}
