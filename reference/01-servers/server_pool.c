/* server_pool.c -- lab 01 part C: a fixed pool of worker threads fed through a bounded queue.
 * One dispatcher thread waits on epoll for any ready client and queues it; a worker takes it,
 * reads what is there, executes, writes, and hands it back to epoll. A client that sends half
 * a command costs a worker one read, not a worker for good. When the queue is full the
 * dispatcher waits (backpressure) instead of queueing without bound. The queue is this file's
 * mutex+condvar ring unless config.pool_queue supplies another (lab 02 part F: a lock-free one).
 *
 * Who may re-arm a client, and who frees it: each client is registered EPOLLONESHOT, so epoll
 * hands it out once per arming, and it must be armed only by whoever holds it. A worker holds
 * it from the dispatcher's queue until it re-arms it or closes it. An idle client (is_busy
 * false) is held by no one, and a publisher that gives it output must not re-arm it itself:
 * epoll may have handed it to the dispatcher a moment ago, before the dispatcher marked it
 * busy, and a second arming would give it to two workers at once. So a publisher asks the
 * dispatcher (the wakes list and an eventfd), which re-arms it between its own events. For the
 * same reason a worker that closes a client hands it to the dispatcher to free: a client stays
 * allocated for as long as a wake for it may be on the list. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 256
#define READS_PER_TURN 4 /* reads per worker turn: a flood from one client cannot hog a worker */

struct pool {
    struct server *server;
    int epoll_fd;
    pthread_mutex_t lock; /* guards the queue fields below */
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    struct client **queue; /* owned ring of ready clients, capacity entries */
    size_t capacity;
    size_t head;
    size_t count;
    const struct pool_queue_ops *ops; /* config.pool_queue: when set, used instead of the above */
    struct pool_queue *other;         /* owned: ops's queue */
    /* Requests to the dispatcher from other threads, guarded by handoff_lock: idle clients a
     * publisher gave output (to re-arm for EPOLLOUT) and clients a worker closed (to free).
     * Each is an owned array grown by doubling; the eventfd wakes the dispatcher's epoll. */
    int handoff_fd;
    pthread_mutex_t handoff_lock;
    struct client_list {
        struct client **items;
        size_t count;
        size_t capacity;
    } wakes, closed;
};

static struct pool g_pool;   /* one per process: the publishers' wake callback reaches it */
static int g_handoff_marker; /* epoll's data.ptr for the handoff eventfd (NULL: listener) */

static void
queue_push(struct pool *pool, struct client *c)
{
    if (pool->ops != NULL) {
        pool->ops->push_cb(pool->other, c);
        return;
    }
    assert(c != NULL); /* a worker serves whatever it pops */
    pthread_mutex_lock(&pool->lock);
    while (pool->count == pool->capacity) { /* backpressure: wait for a worker to take one */
        pthread_cond_wait(&pool->not_full, &pool->lock);
    }
    pool->queue[(pool->head + pool->count) % pool->capacity] = c;
    pool->count++;
    assert(pool->count <= pool->capacity);
    pthread_cond_signal(&pool->not_empty);
    pthread_mutex_unlock(&pool->lock);
}

static struct client *
queue_pop(struct pool *pool)
{
    if (pool->ops != NULL) {
        return pool->ops->pop_cb(pool->other);
    }
    pthread_mutex_lock(&pool->lock);
    while (pool->count == 0) {
        pthread_cond_wait(&pool->not_empty, &pool->lock);
    }
    struct client *c = pool->queue[pool->head];
    pool->head = (pool->head + 1) % pool->capacity;
    pool->count--;
    pthread_cond_signal(&pool->not_full);
    pthread_mutex_unlock(&pool->lock);
    return c;
}

/* Hands c back to epoll for one more event (EPOLLONESHOT: only one worker ever holds it).
 * Called with c->out_lock held, by the worker that is done with it or by a publisher. */
static void
rearm(struct client *c)
{
    bool wants_write = c->out_sent_bytes < c->out.size_bytes || c->is_closing;
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLONESHOT | (wants_write ? (uint32_t)EPOLLOUT : 0u), .data.ptr = c};
    epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Appends c to list (handoff_lock held). Returns false when out of memory. */
static bool
list_add(struct client_list *list, struct client *c)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity > 0 ? 2 * list->capacity : 16;
        struct client **items = realloc(list->items, capacity * sizeof(*items));
        if (items == NULL) {
            return false;
        }
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = c;
    assert(list->count <= list->capacity);
    return true;
}

/* Puts c on one of the dispatcher's lists and wakes it. Returns false when out of memory. */
static bool
hand_off(struct pool *pool, struct client_list *list, struct client *c)
{
    pthread_mutex_lock(&pool->handoff_lock);
    bool is_added = list_add(list, c);
    pthread_mutex_unlock(&pool->handoff_lock);
    uint64_t one = 1;
    if (is_added && write(pool->handoff_fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        assert(errno == EAGAIN); /* the counter is at its maximum: the dispatcher wakes anyway */
    }
    return is_added;
}

/* A publisher appended to c->out (out_lock held): if a worker holds c, it writes the output
 * before it re-arms c; if none does, the dispatcher re-arms c for EPOLLOUT (see the top). */
static void
wake_for_write(struct client *c)
{
    if (!c->is_busy && !c->is_wake_pending) {
        /* out of memory: the output waits for the client's next request */
        c->is_wake_pending = hand_off(&g_pool, &g_pool.wakes, c);
    }
}

/* Closes c, which this worker holds: out of epoll now, freed by the dispatcher (see the top).
 * c stays busy, so no publisher asks for a wake from here on. */
static void
close_client(struct pool *pool, struct client *c)
{
    assert(c->is_busy);
    epoll_ctl(pool->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    if (hand_off(pool, &pool->closed, c)) {
        return;
    }
    /* Out of memory: free c here unless a wake on the list names it (the dispatcher clears
     * is_wake_pending once it is done with that wake). If one does, c stays allocated, a
     * leak on this rare path, and only its socket is shut, so the peer sees the close. */
    pthread_mutex_lock(&c->out_lock);
    bool is_named = c->is_wake_pending;
    pthread_mutex_unlock(&c->out_lock);
    if (is_named) {
        shutdown(c->fd, SHUT_RDWR);
        return;
    }
    client_free(c);
    free(c);
}

/* The dispatcher's side of the handoff: re-arms the idle clients publishers named, then frees
 * the closed ones (a wake for a client always comes before its close: see wake_for_write). */
static void
take_handoffs(struct pool *pool)
{
    uint64_t count;
    if (read(pool->handoff_fd, &count, sizeof(count)) < 0) {
        assert(errno == EAGAIN);
    }
    pthread_mutex_lock(&pool->handoff_lock);
    struct client_list wakes = pool->wakes, closed = pool->closed;
    pool->wakes = (struct client_list){0};
    pool->closed = (struct client_list){0};
    pthread_mutex_unlock(&pool->handoff_lock);
    for (size_t i = 0; i < wakes.count; i++) {
        struct client *c = wakes.items[i];
        pthread_mutex_lock(&c->out_lock);
        c->is_wake_pending = false;
        if (!c->is_busy) {
            rearm(c);
        }
        pthread_mutex_unlock(&c->out_lock);
    }
    for (size_t i = 0; i < closed.count; i++) {
        client_free(closed.items[i]);
        free(closed.items[i]);
    }
    free(wakes.items);
    free(closed.items);
}

/* One turn of a worker with c. Returns false when c was closed (and freed). */
static bool
serve_turn(struct client *c, char *buf)
{
    for (int i = 0; i < READS_PER_TURN && !c->is_closing; i++) {
        ssize_t n = read(c->fd, buf, SERVER_READ_SIZE_BYTES);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return false;
        }
        if (n < 0) {
            break; /* EAGAIN: nothing more for now */
        }
        client_feed(c, buf, (size_t)n, server_now_ms());
    }
    int flushed = client_flush(c);
    return flushed >= 0 && !(flushed == 0 && c->is_closing);
}

static void *
worker_main(void *arg)
{
    struct pool *pool = arg;
    char *buf = malloc(SERVER_READ_SIZE_BYTES); /* one per worker, for its whole life */
    for (;;) {
        struct client *c = queue_pop(pool);
        if (buf == NULL || !serve_turn(c, buf)) {
            close_client(pool, c);
            continue;
        }
        pthread_mutex_lock(&c->out_lock);
        c->is_busy = false;
        rearm(c);
        pthread_mutex_unlock(&c->out_lock);
    }
    return NULL;
}

static void
accept_clients(struct pool *pool)
{
    for (;;) {
        int fd = server_accept(pool->server);
        if (fd < 0) {
            return;
        }
        struct client *c = malloc(sizeof(*c));
        if (c == NULL || server_set_nonblocking(fd) != 0 || client_init(c, pool->server, fd) != 0) {
            free(c);
            close(fd);
            atomic_fetch_sub(&pool->server->client_count, 1);
            continue;
        }
        c->epoll_fd = pool->epoll_fd;
        c->wake_cb = wake_for_write;
        c->is_wake_pending = false;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = c};
        if (epoll_ctl(pool->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            client_free(c);
            free(c);
        }
    }
}

static int
pool_open(struct pool *pool, struct server *server)
{
    assert(server->is_locked_model);
    assert(server->listen_fd >= 0);
    memset(pool, 0, sizeof(*pool));
    pool->server = server;
    pool->epoll_fd = -1;
    pool->handoff_fd = -1;
    pool->capacity = server->config.queue_size > 0 ? server->config.queue_size : 1;
    pool->ops = server->config.pool_queue;
    if (pool->ops != NULL) {
        pool->other = pool->ops->create_cb(pool->capacity);
        if (pool->other == NULL) {
            fprintf(stderr, "keel-server: cannot create the pool's %s queue\n", pool->ops->name);
            goto fail;
        }
    }
    pool->queue = calloc(pool->capacity, sizeof(*pool->queue));
    pool->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    pool->handoff_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
    struct epoll_event handoff_ev = {.events = EPOLLIN, .data.ptr = &g_handoff_marker};
    if (pool->queue == NULL || pool->epoll_fd < 0 || pool->handoff_fd < 0 ||
        server_set_nonblocking(server->listen_fd) != 0 ||
        epoll_ctl(pool->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &ev) != 0 ||
        epoll_ctl(pool->epoll_fd, EPOLL_CTL_ADD, pool->handoff_fd, &handoff_ev) != 0) {
        fprintf(stderr, "keel-server: cannot set up the pool's epoll\n");
        goto fail;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_mutex_init(&pool->handoff_lock, NULL);
    pthread_cond_init(&pool->not_empty, NULL);
    pthread_cond_init(&pool->not_full, NULL);
    size_t threads = server->config.threads > 0 ? server->config.threads : 1;
    for (size_t i = 0; i < threads; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, pool) != 0) {
            /* The workers already started use the pool: it stays, and the caller exits. */
            fprintf(stderr, "keel-server: cannot start worker %zu\n", i);
            return -1;
        }
        pthread_detach(thread);
    }
    return 0;
fail:
    if (pool->epoll_fd >= 0) {
        close(pool->epoll_fd);
    }
    if (pool->handoff_fd >= 0) {
        close(pool->handoff_fd);
    }
    free(pool->queue);
    if (pool->other != NULL) {
        pool->ops->destroy_cb(pool->other);
    }
    return -1;
}

int
server_run_pool(struct server *server)
{
    struct pool *pool = &g_pool;
    if (pool_open(pool, server) != 0) {
        return -1;
    }
    struct epoll_event events[EVENTS_PER_WAIT];
    uint64_t cron_ms = server_now_ms();
    for (;;) {
        int n = epoll_wait(pool->epoll_fd, events, EVENTS_PER_WAIT, (int)SERVER_CRON_INTERVAL_MS);
        bool has_handoffs = false;
        for (int i = 0; i < n; i++) {
            struct client *c = events[i].data.ptr;
            if (c == NULL) {
                accept_clients(pool);
                continue;
            }
            if (events[i].data.ptr == &g_handoff_marker) {
                has_handoffs = true; /* after this round's clients are marked busy */
                continue;
            }
            pthread_mutex_lock(&c->out_lock); /* from here until rearm, a worker owns c */
            c->is_busy = true;
            pthread_mutex_unlock(&c->out_lock);
            queue_push(pool, c);
        }
        if (has_handoffs) {
            take_handoffs(pool);
        }
        if (server_now_ms() - cron_ms >= SERVER_CRON_INTERVAL_MS) {
            server_cron(server);
            cron_ms = server_now_ms();
        }
    }
}
