/* server_epoll.c -- lab 01 part D: one thread, one epoll instance, every client non-blocking.
 * Each client is a small state machine (read, parse, execute, write what the socket takes,
 * keep the rest); the loop never waits on one client, so a stalled client costs nothing.
 * The loop keeps its clients on a list, as Redis keeps server.clients, so the cron's idle sweep
 * costs O(connected clients), never O(open-file limit). Read server_run_epoll first. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 256 /* events taken from the kernel per epoll_wait */

/* A client as the loop holds it: the state every model shares, and its links on the loop's
 * list. epoll's data.ptr and wake_cb see only &client; loop_client_of gets back to the links. */
struct loop_client {
    struct client client;
    struct loop_client *prev; /* NULL at the head */
    struct loop_client *next; /* NULL at the tail */
};

struct loop {
    struct server *server;
    int epoll_fd;             /* owned */
    struct loop_client *head; /* owned: every connected client, newest first */
    size_t client_count;      /* entries on the list; at most server->clients_max, now */
    char read_buf[SERVER_READ_SIZE_BYTES]; /* shared: the parser keeps what it needs */
};

static struct loop_client *
loop_client_of(struct client *c)
{
    assert(c != NULL);
    return (struct loop_client *)((char *)c - offsetof(struct loop_client, client));
}

/* True when lc's links agree with its neighbours' (or with loop->head): for assertions. O(1). */
static bool
loop_has(const struct loop *loop, const struct loop_client *lc)
{
    bool is_prev_ok = lc->prev != NULL ? lc->prev->next == lc : loop->head == lc;
    bool is_next_ok = lc->next == NULL || lc->next->prev == lc;
    return is_prev_ok && is_next_ok;
}

/* Puts lc at the head of the list. O(1). */
static void
loop_link(struct loop *loop, struct loop_client *lc)
{
    assert(lc->prev == NULL);
    assert(lc->next == NULL);
    lc->next = loop->head;
    if (loop->head != NULL) {
        loop->head->prev = lc;
    }
    loop->head = lc;
    loop->client_count++;
    assert(loop_has(loop, lc));
    /* server_accept refuses past the limit as it is now: CONFIG SET maxclients may have raised
     * it above config.clients_max, the start-up value, and nothing here is sized by that. */
    assert(loop->client_count <= atomic_load(&loop->server->clients_max));
}

/* Takes lc off the list. O(1). */
static void
loop_unlink(struct loop *loop, struct loop_client *lc)
{
    assert(loop_has(loop, lc));
    assert(loop->client_count > 0);
    if (lc->prev != NULL) {
        lc->prev->next = lc->next;
    } else {
        loop->head = lc->next;
    }
    if (lc->next != NULL) {
        lc->next->prev = lc->prev;
    }
    lc->prev = NULL;
    lc->next = NULL;
    loop->client_count--;
    assert((loop->client_count == 0) == (loop->head == NULL));
}

/* Registers exactly the events c needs: always input, output only while replies wait. */
static int
watch(struct client *c, bool wants_write)
{
    assert(c->fd >= 0);
    assert(c->epoll_fd >= 0);
    uint32_t events = EPOLLIN | (wants_write ? (uint32_t)EPOLLOUT : 0u);
    if (events == c->events) {
        return 0;
    }
    struct epoll_event ev = {.events = events, .data.ptr = c};
    c->events = events;
    return epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* A publisher appended to c->out: have the loop write it when the socket can take it. */
static void
wake_for_write(struct client *c)
{
    assert(!c->server->is_locked_model); /* one thread: the publisher is the loop itself */
    assert(c->wake_cb == wake_for_write);
    watch(c, true);
}

static void
close_client(struct loop *loop, struct client *c)
{
    assert(c->fd >= 0);
    struct loop_client *lc = loop_client_of(c);
    loop_unlink(loop, lc);
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    client_free(c);
    assert(c->fd == -1); /* client_free closed it */
    free(lc);
}

/* Makes fd, just accepted, a client of the loop. Returns 0, or -1 when it cannot (out of
 * memory, epoll refused it): then fd is closed and its place in client_count given back. */
static int
add_client(struct loop *loop, int fd)
{
    assert(fd >= 0);
    size_t count_before = loop->client_count;
    bool is_client_ready = false;
    struct loop_client *lc = calloc(1, sizeof(*lc)); /* calloc: prev and next start NULL */
    if (lc == NULL) {
        goto fail;
    }
    struct client *c = &lc->client;
    if (server_set_nonblocking(fd) != 0 || client_init(c, loop->server, fd) != 0) {
        goto fail;
    }
    is_client_ready = true;
    c->epoll_fd = loop->epoll_fd;
    c->events = EPOLLIN;
    c->wake_cb = wake_for_write;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        goto fail;
    }
    loop_link(loop, lc);
    assert(loop->client_count == count_before + 1);
    return 0;

fail:
    if (is_client_ready) {
        client_free(&lc->client); /* closes fd and gives back its place in client_count */
        fd = -1;
    }
    free(lc);
    if (fd >= 0) {
        close(fd);
        atomic_fetch_sub(&loop->server->client_count, 1);
    }
    assert(loop->client_count == count_before);
    return -1;
}

static void
accept_clients(struct loop *loop)
{
    assert(loop->epoll_fd >= 0);
    for (;;) {
        int fd = server_accept(loop->server);
        if (fd < 0) {
            return; /* EAGAIN: taken every pending connection */
        }
        add_client(loop, fd); /* on failure fd is closed: go on with the next one */
    }
}

/* Handles one readiness event. Returns false when c was closed (and freed). */
static bool
handle_event(struct loop *loop, struct client *c, uint32_t events)
{
    assert(c->fd >= 0);
    assert(loop_has(loop, loop_client_of(c)));
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        ssize_t n = read(c->fd, loop->read_buf, sizeof(loop->read_buf));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close_client(loop, c);
            return false;
        }
        if (n > 0) {
            client_feed(c, loop->read_buf, (size_t)n, server_now_ms());
        }
    }
    int flushed = client_flush(c); /* write now: most replies fit the socket buffer at once */
    if (flushed < 0 || (flushed == 0 && c->is_closing)) {
        close_client(loop, c);
        return false;
    }
    watch(c, flushed == 1);
    assert(flushed == 1 || !c->is_closing); /* a closing client stays only while output waits */
    return true;
}

/* Closes clients silent for longer than the idle timeout (Redis's `timeout`). Visits each
 * connected client once: O(clients), however high the open-file limit is. */
static void
sweep_idle(struct loop *loop, uint64_t now_ms)
{
    uint64_t timeout_ms = loop->server->config.idle_timeout_ms;
    if (timeout_ms == 0) {
        return; /* 0: never */
    }
    size_t count_before = loop->client_count;
    size_t visited = 0;
    struct loop_client *next = NULL;
    for (struct loop_client *lc = loop->head; lc != NULL; lc = next) {
        next = lc->next; /* read first: closing lc frees it */
        visited++;
        struct client *c = &lc->client;
        assert(c->last_active_ms <= now_ms); /* one clock, read before now_ms: no wrap below */
        if (now_ms - c->last_active_ms >= timeout_ms) {
            close_client(loop, c);
        }
    }
    assert(visited == count_before);
    assert(loop->client_count <= count_before);
}

/* Creates the epoll instance and registers the listener. Returns 0, or -1 with a message on
 * stderr and nothing left open. */
static int
loop_open(struct loop *loop, struct server *server)
{
    assert(server->listen_fd >= 0);
    assert(!server->is_locked_model); /* server_open: the epoll model takes no locks */
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
    loop->server = server;
    loop->head = NULL;
    loop->client_count = 0;
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epoll_fd < 0) {
        goto fail;
    }
    if (server_set_nonblocking(server->listen_fd) != 0 ||
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &ev) != 0) {
        goto fail;
    }
    assert(loop->epoll_fd >= 0);
    return 0;

fail:
    if (loop->epoll_fd >= 0) {
        close(loop->epoll_fd);
        loop->epoll_fd = -1;
    }
    fprintf(stderr, "keel-server: cannot set up epoll\n");
    return -1;
}

int
server_run_epoll(struct server *server)
{
    static struct loop loop; /* one per process; static keeps the read buffer off the stack */
    if (loop_open(&loop, server) != 0) {
        return -1;
    }
    struct epoll_event events[EVENTS_PER_WAIT];
    uint64_t cron_ms = server_now_ms();
    for (;;) {
        int n = epoll_wait(loop.epoll_fd, events, EVENTS_PER_WAIT, (int)SERVER_CRON_INTERVAL_MS);
        assert(n <= EVENTS_PER_WAIT);
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) {
                accept_clients(&loop);
            } else {
                handle_event(&loop, events[i].data.ptr, events[i].events);
            }
        }
        uint64_t now_ms = server_now_ms();
        assert(now_ms >= cron_ms); /* server_now_ms never goes back */
        if (now_ms - cron_ms >= SERVER_CRON_INTERVAL_MS) {
            server_cron(server);
            sweep_idle(&loop, now_ms);
            cron_ms = now_ms;
        }
    }
}
