/* server_given.c -- lab 01's given server plumbing: configuration, the listening socket,
 * accepting with the client limit, the clock, and the periodic cron. Students do not change
 * this file; the models in their own files call it. */
#include "server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG 511 /* Redis's tcp-backlog default */

#define SERVER_MODEL_NAME_ENTRY(name, text) [(name)] = (text),
static const char *const model_names[] = {SERVER_MODEL_LIST(SERVER_MODEL_NAME_ENTRY)};
#undef SERVER_MODEL_NAME_ENTRY

void
server_config_default(struct server_config *config, enum server_model model)
{
    memset(config, 0, sizeof(*config));
    config->model = model;
    config->clients_max = SERVER_CLIENTS_MAX_DEFAULT;
    config->threads = SERVER_THREADS_DEFAULT;
    config->queue_size = SERVER_QUEUE_SIZE_DEFAULT;
    config->output_size_bytes_max = SERVER_OUTPUT_SIZE_BYTES_MAX_DEFAULT;
}

int
server_model_parse(const char *name, enum server_model *model)
{
    for (size_t i = 0; i < sizeof(model_names) / sizeof(model_names[0]); i++) {
        if (strcmp(name, model_names[i]) == 0) {
            *model = (enum server_model)i;
            return 0;
        }
    }
    return -1;
}

const char *
server_model_name(enum server_model model)
{
    assert((size_t)model < sizeof(model_names) / sizeof(model_names[0]));
    return model_names[model];
}

cmd_status
server_execute(struct client *c, const struct resp_request *req, uint64_t now_ms)
{
    assert(req->argc >= 1);
    struct server *server = c->server;
    const struct server_config *config = &server->config;
    atomic_fetch_add_explicit(&server->commands_total, 1, memory_order_relaxed);
    cmd_status status;
    if (config->backend_ops == NULL) {
        status = cmd_execute(server->store, req, now_ms, &c->out);
    } else {
        assert(config->backend != NULL);
        status =
            config->backend_ops->execute_cb(config->backend, server->store, req, now_ms, &c->out);
    }
    return status == CMD_NOT_MINE ? server_command_execute(c, req, now_ms) : status;
}

int
server_open(struct server *server, const struct server_config *config, struct store *store)
{
    memset(server, 0, sizeof(*server));
    server->config = *config;
    server->store = store;
    server->is_locked_model = config->model != SERVER_EPOLL;
    pubsub_init(&server->pubsub);
    pthread_mutex_init(&server->lock, NULL);
    pthread_mutex_init(&server->clients_lock, NULL);
    atomic_init(&server->client_count, 0);
    atomic_init(&server->clients_max, config->clients_max);
    atomic_init(&server->next_client_id, 1);
    server->started_ms = server_now_ms();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(config->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addr_size = sizeof(addr);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_size) != 0) {
        fprintf(stderr, "keel-server: cannot listen on 127.0.0.1 port %u: %s\n", config->port,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    server->listen_fd = fd;
    server->port = ntohs(addr.sin_port);
    fprintf(stderr, "keel-server: %s listening on 127.0.0.1 port %u\n",
            server_model_name(config->model), server->port);
    return 0;
}

void
server_close(struct server *server)
{
    close(server->listen_fd);
    pubsub_free(&server->pubsub);
    pthread_mutex_destroy(&server->lock);
    pthread_mutex_destroy(&server->clients_lock);
}

static uint64_t anchor_wall_ms; /* Unix time at the first call; set once by anchor_clocks */
static uint64_t anchor_mono_ms; /* CLOCK_MONOTONIC at the same moment */
static pthread_once_t anchor_once = PTHREAD_ONCE_INIT;

static uint64_t
clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
anchor_clocks(void)
{
    anchor_mono_ms = clock_ms(CLOCK_MONOTONIC);
    anchor_wall_ms = clock_ms(CLOCK_REALTIME);
}

/* Unix time in ms, but advanced by the monotonic clock from the first call on: TTLs count in
 * Unix time as in Redis, yet a wall clock that jumps (NTP, a resumed VM; seen on the kit's
 * own CI machines) neither expires keys early nor keeps them alive. */
uint64_t
server_now_ms(void)
{
    pthread_once(&anchor_once, anchor_clocks);
    uint64_t mono_ms = clock_ms(CLOCK_MONOTONIC);
    assert(mono_ms >= anchor_mono_ms);
    return anchor_wall_ms + (mono_ms - anchor_mono_ms);
}

int
server_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int
server_accept(struct server *server)
{
    for (;;) {
        int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            return -1; /* EAGAIN, EINTR, EMFILE: the caller decides */
        }
        if (atomic_fetch_add(&server->client_count, 1) >= atomic_load(&server->clients_max)) {
            atomic_fetch_sub(&server->client_count, 1);
            atomic_fetch_add_explicit(&server->connections_rejected, 1, memory_order_relaxed);
            static const char refusal[] = "-ERR max number of clients reached\r\n"; /* Redis's */
            ssize_t ignored = send(fd, refusal, sizeof(refusal) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
            close(fd);
            continue;
        }
        atomic_fetch_add_explicit(&server->connections_total, 1, memory_order_relaxed);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* replies go out now */
        return fd;
    }
}

void
server_cron(struct server *server)
{
    if (server->is_locked_model) {
        pthread_mutex_lock(&server->lock);
    }
    size_t expired = store_expire_cycle(server->store, server_now_ms(), SERVER_EXPIRE_SAMPLE_MAX,
                                        SERVER_EXPIRE_ROUNDS_MAX);
    atomic_fetch_add_explicit(&server->expired_keys_active, expired, memory_order_relaxed);
    store_rehash_step(server->store, SERVER_REHASH_BUCKETS_PER_TICK);
    if (server->is_locked_model) {
        pthread_mutex_unlock(&server->lock);
    }
}

/* ---- Clients: creation, locking, delivery (the models and client.c call these) ---- */

void
client_lock_out(struct client *c)
{
    if (c->server->is_locked_model) {
        pthread_mutex_lock(&c->out_lock);
    }
}

void
client_unlock_out(struct client *c)
{
    if (c->server->is_locked_model) {
        pthread_mutex_unlock(&c->out_lock);
    }
}

/* The publisher holds server->lock; out_lock orders it against the client's own writes. */
static void
deliver(struct pubsub_client *sub, const char *bytes, size_t size_bytes)
{
    struct client *c = (struct client *)((char *)sub - offsetof(struct client, sub));
    client_lock_out(c);
    if (!c->is_closing) {
        if (resp_buf_append(&c->out, bytes, size_bytes) != RESP_OK) {
            c->is_closing = true;
        }
        client_enforce_output_limit(c);
        if (c->wake_cb != NULL) {
            c->wake_cb(c);
        }
    }
    client_unlock_out(c);
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
    c->created_ms = c->last_active_ms;
    pthread_mutex_lock(&server->clients_lock);
    /* The id is taken under the lock, so the list is in id order: CLIENT LIST walks it back. */
    c->id = atomic_fetch_add(&server->next_client_id, 1);
    c->next = server->clients;
    if (c->next != NULL) {
        c->next->prev = c;
    }
    server->clients = c;
    pthread_mutex_unlock(&server->clients_lock);
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
    pthread_mutex_lock(&server->clients_lock); /* out of the list before its fd closes */
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        assert(server->clients == c);
        server->clients = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    c->prev = c->next = NULL;
    pthread_mutex_unlock(&server->clients_lock);
    free(c->name);
    c->name = NULL;
    resp_parser_free(&c->parser);
    resp_buf_free(&c->out);
    pthread_mutex_destroy(&c->out_lock);
    close(c->fd);
    c->fd = -1;
    atomic_fetch_sub(&server->client_count, 1);
}

bool
client_has_output(struct client *c)
{
    client_lock_out(c);
    bool has_output = c->out_sent_bytes < c->out.size_bytes;
    client_unlock_out(c);
    return has_output;
}
