/* server_epoll.c -- lab 01 part D: one thread, one epoll instance, every client non-blocking.
 * Each client is a small state machine (read, parse, execute, write what the socket takes,
 * keep the rest); the loop never waits on one client, so a stalled client costs nothing. */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 256 /* events taken from the kernel per epoll_wait */

struct loop {
    struct server *server;
    int epoll_fd;
    struct client **clients; /* owned array indexed by fd, for the idle sweep */
    size_t fd_capacity;
    char read_buf[SERVER_READ_SIZE_BYTES]; /* shared: the parser keeps what it needs */
};

/* Registers exactly the events c needs: always input, output only while replies wait. */
static int
watch(struct client *c, bool wants_write)
{
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
    watch(c, true);
}

static void
close_client(struct loop *loop, struct client *c)
{
    loop->clients[c->fd] = NULL;
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    client_free(c);
    free(c);
}

static void
accept_clients(struct loop *loop)
{
    for (;;) {
        int fd = server_accept(loop->server);
        if (fd < 0) {
            return; /* EAGAIN: taken every pending connection */
        }
        struct client *c = malloc(sizeof(*c));
        if ((size_t)fd >= loop->fd_capacity || c == NULL || server_set_nonblocking(fd) != 0 ||
            client_init(c, loop->server, fd) != 0) {
            free(c);
            close(fd);
            atomic_fetch_sub(&loop->server->client_count, 1);
            continue;
        }
        c->epoll_fd = loop->epoll_fd;
        c->events = EPOLLIN;
        c->wake_cb = wake_for_write;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            client_free(c);
            free(c);
            continue;
        }
        loop->clients[fd] = c;
    }
}

/* Handles one readiness event. Returns false when c was closed (and freed). */
static bool
handle_event(struct loop *loop, struct client *c, uint32_t events)
{
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
    return true;
}

/* Closes clients silent for longer than the idle timeout (Redis's `timeout`). */
static void
sweep_idle(struct loop *loop, uint64_t now_ms)
{
    uint64_t timeout_ms = loop->server->config.idle_timeout_ms;
    for (size_t fd = 0; timeout_ms > 0 && fd < loop->fd_capacity; fd++) {
        struct client *c = loop->clients[fd];
        if (c != NULL && now_ms - c->last_active_ms >= timeout_ms) {
            close_client(loop, c);
        }
    }
}

static int
loop_open(struct loop *loop, struct server *server)
{
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    loop->server = server;
    loop->fd_capacity = limit.rlim_cur;
    loop->clients = calloc(loop->fd_capacity, sizeof(*loop->clients));
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
    if (loop->clients == NULL || loop->epoll_fd < 0 ||
        server_set_nonblocking(server->listen_fd) != 0 ||
        epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &ev) != 0) {
        fprintf(stderr, "keel-server: cannot set up epoll\n");
        return -1;
    }
    return 0;
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
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) {
                accept_clients(&loop);
            } else {
                handle_event(&loop, events[i].data.ptr, events[i].events);
            }
        }
        uint64_t now_ms = server_now_ms();
        if (now_ms - cron_ms >= SERVER_CRON_INTERVAL_MS) {
            server_cron(server);
            sweep_idle(&loop, now_ms);
            cron_ms = now_ms;
        }
    }
}
