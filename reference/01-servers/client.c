/* client.c -- lab 01 parts C-E: what every server model does with a client's bytes: parse the
 * requests, execute them (pub/sub here, the rest through server_execute), queue the replies, write
 * them. The models (server_blocking.c, server_pool.c, server_epoll.c) only decide when to call
 * these; creating and freeing a client, and delivering a published message, are in server_given.c.
 */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* A subscriber past its output limit is cut off, as Redis does with a slow pub/sub reader:
 * what it had not read is dropped and the connection closes. */
void
client_enforce_output_limit(struct client *c)
{
    assert(c->out_sent_bytes <= c->out.size_bytes); /* what is left to send is the difference */
    if (c->out.size_bytes - c->out_sent_bytes > c->server->config.output_size_bytes_max) {
        resp_buf_reset(&c->out);
        c->out_sent_bytes = 0;
        c->is_closing = true;
    }
}

int
client_feed(struct client *c, const char *bytes, size_t size_bytes, uint64_t now_ms)
{
    assert(bytes != NULL || size_bytes == 0);
    struct server *server = c->server;
    int rc = 0;
    c->last_active_ms = now_ms;
    if (server->is_locked_model) {
        pthread_mutex_lock(&server->lock); /* always before out_lock: one order, no deadlock */
    }
    client_lock_out(c);
    while (size_bytes > 0 && !c->is_closing) {
        size_t used = 0;
        struct resp_request *request = NULL;
        resp_status status = resp_parse(&c->parser, bytes, size_bytes, &used, &request);
        bytes += used;
        size_bytes -= used;
        if (status == RESP_OK) {
            rc = client_execute(c, request, now_ms);
        } else if (status == RESP_PROTOCOL_ERROR) {
            /* The stream cannot be resynchronized: answer once and close, as Redis does. */
            rc = resp_buf_errorf(&c->out, "ERR %s", resp_parser_error(&c->parser)) == RESP_OK ? 0
                                                                                              : -1;
            c->is_closing = true;
        } else if (status != RESP_NEED_MORE) {
            rc = -1;
        }
        if (rc != 0) {
            c->is_closing = true;
            break;
        }
    }
    client_enforce_output_limit(c);
    assert(rc == 0 || c->is_closing); /* read under out_lock: a publisher may close c too */
    client_unlock_out(c);
    if (server->is_locked_model) {
        pthread_mutex_unlock(&server->lock);
    }
    return rc;
}

int
client_flush(struct client *c)
{
    int rc = 0;
    client_lock_out(c);
    while (c->out_sent_bytes < c->out.size_bytes) {
        ssize_t n = send(c->fd, c->out.data + c->out_sent_bytes,
                         c->out.size_bytes - c->out_sent_bytes, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent_bytes += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            rc = 1; /* the rest waits for the socket to drain: never drop it */
            break;
        } else {
            rc = -1;
            break;
        }
    }
    if (c->out_sent_bytes == c->out.size_bytes) {
        resp_buf_reset(&c->out); /* keeps its capacity: no malloc on the next reply */
        c->out_sent_bytes = 0;
    }
    assert(c->out_sent_bytes <= c->out.size_bytes);
    assert(rc != 0 || c->out.size_bytes == 0); /* 0: every byte went out */
    client_unlock_out(c);
    return rc;
}

/* ---- Executing one request ------------------------------------------------------------- */

static bool
is_command(const struct resp_request *request, const char *name)
{
    size_t size = strlen(name);
    return request->argv[0].size_bytes == size &&
           strncasecmp(request->argv[0].bytes, name, size) == 0;
}

/* *3 $kind $name :count -- the reply to each channel or pattern of a (P)(UN)SUBSCRIBE; count
 * is how many subscriptions the client holds after it. */
static int
reply_subscription(struct client *c, const char *kind, const char *name, size_t name_size,
                   size_t count)
{
    assert(kind != NULL);
    assert(name != NULL || name_size == 0);
    bool is_ok = resp_buf_array(&c->out, 3) == RESP_OK &&
                 resp_buf_bulk(&c->out, kind, strlen(kind)) == RESP_OK &&
                 (name != NULL ? resp_buf_bulk(&c->out, name, name_size)
                               : resp_buf_null_bulk(&c->out)) == RESP_OK &&
                 resp_buf_integer(&c->out, (int64_t)count) == RESP_OK;
    return is_ok ? 0 : -1;
}

static int
execute_subscribe(struct client *c, const struct resp_request *request, bool is_pattern)
{
    assert(request->argc >= 2); /* execute_pubsub replied the arity error */
    struct pubsub *ps = &c->server->pubsub;
    for (size_t i = 1; i < request->argc; i++) {
        const struct resp_arg *arg = &request->argv[i];
        int rc = is_pattern ? pubsub_psubscribe(ps, &c->sub, arg->bytes, arg->size_bytes)
                            : pubsub_subscribe(ps, &c->sub, arg->bytes, arg->size_bytes);
        if (rc < 0 || reply_subscription(c, is_pattern ? "psubscribe" : "subscribe", arg->bytes,
                                         arg->size_bytes, pubsub_client_count(&c->sub)) != 0) {
            return -1;
        }
    }
    assert(pubsub_client_count(&c->sub) > 0);
    return 0;
}

/* UNSUBSCRIBE with no argument leaves every channel, one reply each (or one with a null name
 * when there was none); PUNSUBSCRIBE likewise for patterns. */
static int
execute_unsubscribe(struct client *c, const struct resp_request *request, bool is_pattern)
{
    struct pubsub *ps = &c->server->pubsub;
    const char *kind = is_pattern ? "punsubscribe" : "unsubscribe";
    if (request->argc == 1) {
        if ((is_pattern ? c->sub.pattern_count : c->sub.channel_count) == 0) {
            return reply_subscription(c, kind, NULL, 0, pubsub_client_count(&c->sub));
        }
        while ((is_pattern ? c->sub.pattern_count : c->sub.channel_count) > 0) {
            const char *name = c->sub.patterns != NULL && is_pattern ? c->sub.patterns[0] : NULL;
            size_t size = is_pattern ? c->sub.pattern_sizes[0] : 0;
            if (!is_pattern) {
                pubsub_client_channel(&c->sub, 0, &name, &size);
            }
            /* Reply first: the name is freed with the subscription. */
            if (reply_subscription(c, kind, name, size, pubsub_client_count(&c->sub) - 1) != 0) {
                return -1;
            }
            is_pattern ? pubsub_punsubscribe(ps, &c->sub, name, size)
                       : pubsub_unsubscribe(ps, &c->sub, name, size);
        }
        return 0;
    }
    for (size_t i = 1; i < request->argc; i++) {
        const struct resp_arg *arg = &request->argv[i];
        is_pattern ? pubsub_punsubscribe(ps, &c->sub, arg->bytes, arg->size_bytes)
                   : pubsub_unsubscribe(ps, &c->sub, arg->bytes, arg->size_bytes);
        if (reply_subscription(c, kind, arg->bytes, arg->size_bytes,
                               pubsub_client_count(&c->sub)) != 0) {
            return -1;
        }
    }
    return 0;
}

/* In RESP2 a client with a subscription may only manage subscriptions, PING and QUIT. */
static bool
is_allowed_when_subscribed(const struct resp_request *request)
{
    return is_command(request, "subscribe") || is_command(request, "unsubscribe") ||
           is_command(request, "psubscribe") || is_command(request, "punsubscribe") ||
           is_command(request, "ping") || is_command(request, "quit") ||
           is_command(request, "reset");
}

/* The command's name in lower case, as Redis quotes it in errors (cut at name_size - 1). */
static void
command_name(const struct resp_request *request, char *name, size_t name_size)
{
    assert(name_size > 0); /* room for the '\0' */
    size_t size =
        request->argv[0].size_bytes < name_size - 1 ? request->argv[0].size_bytes : name_size - 1;
    for (size_t i = 0; i < size; i++) {
        char ch = request->argv[0].bytes[i];
        name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    name[size] = '\0';
}

/* Redis's arity errors: a (P)SUBSCRIBE needs a name, PUBLISH exactly two arguments. */
static int
reply_arity_error(struct client *c, const struct resp_request *request)
{
    char name[32];
    command_name(request, name, sizeof(name));
    resp_status status =
        resp_buf_errorf(&c->out, "ERR wrong number of arguments for '%s' command", name);
    return status == RESP_OK ? 0 : -1;
}

static int
execute_pubsub(struct client *c, const struct resp_request *request)
{
    bool is_pattern = is_command(request, "psubscribe") || is_command(request, "punsubscribe");
    if (is_command(request, "publish")) {
        if (request->argc != 3) {
            return reply_arity_error(c, request);
        }
        size_t receivers =
            pubsub_publish(&c->server->pubsub, request->argv[1].bytes, request->argv[1].size_bytes,
                           request->argv[2].bytes, request->argv[2].size_bytes);
        if (receivers == (size_t)-1) {
            return -1;
        }
        return resp_buf_integer(&c->out, (int64_t)receivers) == RESP_OK ? 0 : -1;
    }
    if (is_command(request, "subscribe") || is_command(request, "psubscribe")) {
        return request->argc < 2 ? reply_arity_error(c, request)
                                 : execute_subscribe(c, request, is_pattern);
    }
    if (is_command(request, "unsubscribe") || is_command(request, "punsubscribe")) {
        return execute_unsubscribe(c, request, is_pattern);
    }
    return resp_buf_errorf(&c->out, "ERR unknown command") == RESP_OK ? 0 : -1;
}

int
client_execute(struct client *c, const struct resp_request *request, uint64_t now_ms)
{
    assert(request->argc >= 1);
    if (pubsub_client_count(&c->sub) > 0 && !is_allowed_when_subscribed(request)) {
        char name[32];
        command_name(request, name, sizeof(name));
        return resp_buf_errorf(&c->out,
                               "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                               "PING / QUIT / RESET are allowed in this context",
                               name) == RESP_OK
                   ? 0
                   : -1;
    }
    if (pubsub_client_count(&c->sub) > 0 && is_command(request, "ping")) {
        /* Subscribed clients get PING's answer as a message-shaped array (Redis, RESP2). */
        bool is_ok = resp_buf_array(&c->out, 2) == RESP_OK &&
                     resp_buf_bulk(&c->out, "pong", 4) == RESP_OK &&
                     resp_buf_bulk(&c->out, request->argc > 1 ? request->argv[1].bytes : "",
                                   request->argc > 1 ? request->argv[1].size_bytes : 0) == RESP_OK;
        return is_ok ? 0 : -1;
    }
    cmd_status status = server_execute(c, request, now_ms);
    switch (status) {
    case CMD_OK:
        return 0;
    case CMD_QUIT:
        c->is_closing = true;
        return 0;
    case CMD_NOT_MINE:
        return execute_pubsub(c, request);
    default:
        return -1;
    }
}
