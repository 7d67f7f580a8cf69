/* real_cluster.h -- lab 04's driver of real keel-raftkv processes (raftkv.h) on loopback, for
 * part E's tests: it starts one process per node (the test binary itself, executed again as a
 * node: see REAL_NODE_FLAG; each with its own data directory, dying with the test), kills (-9),
 * pauses (SIGSTOP) and restarts them by PID, and puts a small proxy on
 * every peer link, so that a test can cut a link (its connections closed and new ones refused,
 * as a partition or a pulled cable would) and heal it. These machines have network namespaces
 * but no netem, hence the proxy. Read real_cluster_up first. */
#ifndef KEEL_RAFT_REAL_CLUSTER_H
#define KEEL_RAFT_REAL_CLUSTER_H

#include "raftkv.h"

#include "kh_net.h"
#include "kh_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAL_NODES_MAX 5u
#define REAL_TICK_MS 5u
#define REAL_ELECTION_TICKS                                                                        \
    40u                    /* a timeout of 200-400 ms: a loaded machine may delay a                \
                            * heartbeat by 100 ms, which must not start an election */
#define REAL_WAIT_MS 10000 /* for a leader, or a write to go through: then the test fails */
#define REAL_REPLY_BYTES 4096u
#define PROXY_PAIRS_MAX 64u
#define PROXY_BUFFER_BYTES (256u << 10)

/* One direction of a peer link: node `from` sends to node `to` through it. */
struct proxy_link {
    int listen_fd;
    uint16_t listen_port, target_port;
    atomic_bool is_cut;
};

/* A proxied connection: bytes from a (the sender) go to b (the receiver's peer port). */
struct proxy_pair {
    int a, b; /* -1: free */
    uint32_t from, to;
    uint8_t *buf;
    size_t size, sent;
};

struct proxy {
    pthread_t thread;
    int epoll_fd, wake_fd;
    atomic_bool is_stopping;
    struct proxy_link links[REAL_NODES_MAX + 1][REAL_NODES_MAX + 1];
    struct proxy_pair pairs[PROXY_PAIRS_MAX];
};

struct real_cluster {
    uint32_t node_count;
    struct raftkv_config config[REAL_NODES_MAX + 1]; /* node i reaches j through link i->j */
    pid_t pid[REAL_NODES_MAX + 1];                   /* 0 while down */
    bool is_paused[REAL_NODES_MAX + 1];
    char dir[64];
    struct proxy proxy;
};

static inline uint64_t
real_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A loopback port for a node: free now, and outside the kernel's ephemeral range, so that no
 * client's connect takes it before the node binds it (an ephemeral one was, under load: the node
 * exited with "Address already in use"). */
static inline uint16_t
real_free_port(void)
{
    uint16_t port = kh_net_port_for_server();
    assert_true(port != 0);
    return port;
}

/* ---- The proxy: one thread, one epoll ---------------------------------------------------- */

/* epoll data: a link's listening socket is 1 << 32 | from << 8 | to; a pair's end is
 * 2 << 32 | index << 1 | (0 for a, 1 for b); the wake eventfd is 0. */
static inline void
proxy_pair_close(struct proxy *p, struct proxy_pair *pair)
{
    if (pair->a < 0) {
        return;
    }
    close(pair->a);
    close(pair->b);
    free(pair->buf);
    memset(pair, 0, sizeof(*pair));
    pair->a = pair->b = -1;
    (void)p;
}

static inline void
proxy_watch_pair(struct proxy *p, size_t index)
{
    struct proxy_pair *pair = &p->pairs[index];
    bool is_full = pair->size == PROXY_BUFFER_BYTES;
    struct epoll_event ea = {.events = is_full ? 0 : EPOLLIN,
                             .data.u64 = (uint64_t)2 << 32 | (uint64_t)index << 1};
    struct epoll_event eb = {.events = EPOLLIN | (pair->size > pair->sent ? EPOLLOUT : 0),
                             .data.u64 = (uint64_t)2 << 32 | (uint64_t)index << 1 | 1};
    epoll_ctl(p->epoll_fd, EPOLL_CTL_MOD, pair->a, &ea);
    epoll_ctl(p->epoll_fd, EPOLL_CTL_MOD, pair->b, &eb);
}

static inline void
proxy_accept(struct proxy *p, uint32_t from, uint32_t to)
{
    struct proxy_link *link = &p->links[from][to];
    int a = accept4(link->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (a < 0) {
        return;
    }
    size_t index = 0;
    while (index < PROXY_PAIRS_MAX && p->pairs[index].a >= 0) {
        index++;
    }
    int b = -1;
    if (!atomic_load(&link->is_cut) && index < PROXY_PAIRS_MAX) {
        b = kh_net_connect(link->target_port); /* loopback: at once, or refused */
    }
    if (b < 0) {
        close(a); /* cut, or the receiver is down: as a refused connection */
        return;
    }
    fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
    struct proxy_pair *pair = &p->pairs[index];
    *pair = (struct proxy_pair){
        .a = a, .b = b, .from = from, .to = to, .buf = malloc(PROXY_BUFFER_BYTES)};
    struct epoll_event ev = {.events = 0};
    if (pair->buf == NULL || epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, a, &ev) != 0 ||
        epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, b, &ev) != 0) {
        proxy_pair_close(p, pair);
        return;
    }
    proxy_watch_pair(p, index);
}

/* Moves what a sent on to b; false when either side closed. */
static inline bool
proxy_pump(struct proxy_pair *pair)
{
    if (pair->size < PROXY_BUFFER_BYTES) {
        ssize_t n = recv(pair->a, pair->buf + pair->size, PROXY_BUFFER_BYTES - pair->size, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return false;
        }
        pair->size += n > 0 ? (size_t)n : 0;
    }
    while (pair->sent < pair->size) {
        ssize_t n = send(pair->b, pair->buf + pair->sent, pair->size - pair->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            return false;
        }
        pair->sent += (size_t)n;
    }
    if (pair->sent == pair->size) {
        pair->sent = pair->size = 0;
    }
    return true;
}

static inline void *
proxy_main(void *arg)
{
    struct proxy *p = arg;
    struct epoll_event events[64];
    while (!atomic_load(&p->is_stopping)) {
        int n = epoll_wait(p->epoll_fd, events, 64, 50);
        for (int i = 0; i < n; i++) {
            uint64_t data = events[i].data.u64;
            uint32_t kind = (uint32_t)(data >> 32);
            if (kind == 1) {
                proxy_accept(p, (uint32_t)(data >> 8) & 0xffu, (uint32_t)data & 0xffu);
            } else if (kind == 2) {
                size_t index = (size_t)((uint32_t)data >> 1);
                struct proxy_pair *pair = &p->pairs[index];
                if (pair->a < 0) {
                    continue;
                }
                char sink[256]; /* the receiver never writes on it: data from b is its close */
                bool is_open = (data & 1) == 0 || !(events[i].events & EPOLLIN) ||
                               recv(pair->b, sink, sizeof(sink), 0) > 0 || errno == EAGAIN;
                if (!is_open || !proxy_pump(pair)) {
                    proxy_pair_close(p, pair);
                } else {
                    proxy_watch_pair(p, index);
                }
            } else {
                uint64_t count;
                if (read(p->wake_fd, &count, sizeof(count)) < 0) {
                    continue;
                }
            }
        }
        for (size_t i = 0; i < PROXY_PAIRS_MAX; i++) { /* a cut link loses its connections */
            struct proxy_pair *pair = &p->pairs[i];
            if (pair->a >= 0 && atomic_load(&p->links[pair->from][pair->to].is_cut)) {
                proxy_pair_close(p, pair);
            }
        }
    }
    return NULL;
}

/* Cuts (or heals) link from -> to; the proxy closes its connections at once. */
static inline void
real_link_cut(struct real_cluster *rc, uint32_t from, uint32_t to, bool is_cut)
{
    atomic_store(&rc->proxy.links[from][to].is_cut, is_cut);
    uint64_t one = 1;
    assert_int_equal(write(rc->proxy.wake_fd, &one, sizeof(one)), sizeof(one));
}

/* Cuts (or heals) node id off from every other node, both ways. */
static inline void
real_isolate(struct real_cluster *rc, uint32_t id, bool is_cut)
{
    for (uint32_t other = 1; other <= rc->node_count; other++) {
        if (other != id) {
            real_link_cut(rc, id, other, is_cut);
            real_link_cut(rc, other, id, is_cut);
        }
    }
}

static inline void
proxy_start(struct real_cluster *rc, const uint16_t *peer_ports)
{
    struct proxy *p = &rc->proxy;
    p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(p->epoll_fd >= 0 && p->wake_fd >= 0);
    struct epoll_event wake = {.events = EPOLLIN, .data.u64 = 0};
    assert_int_equal(epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, p->wake_fd, &wake), 0);
    for (size_t i = 0; i < PROXY_PAIRS_MAX; i++) {
        p->pairs[i].a = p->pairs[i].b = -1;
    }
    for (uint32_t from = 1; from <= rc->node_count; from++) {
        for (uint32_t to = 1; to <= rc->node_count; to++) {
            struct proxy_link *link = &p->links[from][to];
            link->listen_fd = -1;
            if (from == to) {
                continue;
            }
            link->listen_fd = kh_net_listen_ephemeral(&link->listen_port, 16);
            assert_true(link->listen_fd >= 0);
            fcntl(link->listen_fd, F_SETFL, fcntl(link->listen_fd, F_GETFL) | O_NONBLOCK);
            link->target_port = peer_ports[to];
            struct epoll_event ev = {.events = EPOLLIN,
                                     .data.u64 = (uint64_t)1 << 32 | from << 8 | to};
            assert_int_equal(epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, link->listen_fd, &ev), 0);
        }
    }
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
}

static inline void
proxy_stop(struct real_cluster *rc)
{
    struct proxy *p = &rc->proxy;
    atomic_store(&p->is_stopping, true);
    pthread_join(p->thread, NULL);
    for (size_t i = 0; i < PROXY_PAIRS_MAX; i++) {
        proxy_pair_close(p, &p->pairs[i]);
    }
    for (uint32_t from = 1; from <= rc->node_count; from++) {
        for (uint32_t to = 1; to <= rc->node_count; to++) {
            if (p->links[from][to].listen_fd >= 0) {
                close(p->links[from][to].listen_fd);
            }
        }
    }
    close(p->epoll_fd);
    close(p->wake_fd);
}

/* ---- Processes --------------------------------------------------------------------------- */

/* A node runs in a new image of the test binary itself, started with this flag first and then
 * keel-raftkv's own arguments: real_node_main takes it there before main. A fork that went on
 * without exec would inherit whatever lock another thread of the test (the proxy, a history's
 * clients) held at that moment: under ASan a restarted node deadlocked in free() for good, its
 * allocator's lock copied held (test_e_server_survives_kill_9_of_its_leader: 2 of 25 runs). */
#define REAL_NODE_FLAG "--keel-real-node"

/* Before main: a node's process (see REAL_NODE_FLAG) runs the node and exits; any other goes
 * on to the tests. glibc hands a constructor argc and argv. */
__attribute__((constructor)) static void
real_node_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], REAL_NODE_FLAG) != 0) {
        return;
    }
    struct raftkv_config config;
    char err[256];
    if (raftkv_parse_args(argc - 1, argv + 1, &config, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", REAL_NODE_FLAG, err);
        _exit(2);
    }
    _exit(raftkv_run(&config));
}

static inline void
real_start(struct real_cluster *rc, uint32_t id)
{
    const struct raftkv_config *c = &rc->config[id];
    static char peers[512], texts[6][RAFTKV_DIR_MAX];
    size_t used = 0;
    for (uint32_t to = 1; to <= c->node_count; to++) {
        used += (size_t)snprintf(
            peers + used, sizeof(peers) - used, "%s%s:%u:%u", to > 1 ? "," : "", c->nodes[to].host,
            (unsigned)c->nodes[to].peer_port, (unsigned)c->nodes[to].client_port);
        assert_true(used < sizeof(peers));
    }
    snprintf(texts[0], sizeof(texts[0]), "%u", c->id);
    snprintf(texts[1], sizeof(texts[1]), "%s", c->data_dir);
    snprintf(texts[2], sizeof(texts[2]), "%u", c->tick_ms);
    snprintf(texts[3], sizeof(texts[3]), "%u", c->election_ticks);
    snprintf(texts[4], sizeof(texts[4]), "%u", c->heartbeat_ticks);
    snprintf(texts[5], sizeof(texts[5]), "%" PRIu64, c->compact_every);
    char *argv[] = {"test-node",
                    REAL_NODE_FLAG,
                    "--id",
                    texts[0],
                    "--peers",
                    peers,
                    "--data",
                    texts[1],
                    "--tick-ms",
                    texts[2],
                    "--election-ticks",
                    texts[3],
                    "--heartbeat-ticks",
                    texts[4],
                    "--compact-every",
                    texts[5],
                    NULL};
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {                       /* only async-signal-safe calls from here to exec */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test, however it ends */
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    rc->pid[id] = pid;
    rc->is_paused[id] = false;
}

/* Ends node id with sig (SIGKILL: a crash; SIGTERM: a clean stop, which must exit 0). */
static inline void
real_kill(struct real_cluster *rc, uint32_t id, int sig)
{
    if (rc->pid[id] == 0) {
        return;
    }
    if (rc->is_paused[id]) {
        kill(rc->pid[id], SIGCONT);
    }
    kill(rc->pid[id], sig);
    int status = 0;
    waitpid(rc->pid[id], &status, 0);
    rc->pid[id] = 0;
    if (sig == SIGTERM && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fail_msg("node %u did not stop cleanly on SIGTERM (status %d)", id, status);
    }
}

static inline void
real_pause(struct real_cluster *rc, uint32_t id, bool is_paused)
{
    kill(rc->pid[id], is_paused ? SIGSTOP : SIGCONT);
    rc->is_paused[id] = is_paused;
}

/* The cluster a failed test left up: its nodes die with the test process (PR_SET_PDEATHSIG);
 * its directory goes at exit. */
static struct real_cluster *real_current;

static inline void
real_cleanup_at_exit(void)
{
    if (real_current != NULL) {
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", real_current->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", real_current->dir);
        }
    }
}

/* Starts node_count nodes on loopback, each in a new directory under /tmp, every peer link
 * through the proxy; compact_every as raftkv_config's. */
static inline void
real_cluster_up(struct real_cluster *rc, uint32_t node_count, uint64_t compact_every)
{
    assert_true(node_count <= REAL_NODES_MAX);
    memset(rc, 0, sizeof(*rc));
    rc->node_count = node_count;
    snprintf(rc->dir, sizeof(rc->dir), "/tmp/keel-raftkv-XXXXXX");
    assert_non_null(mkdtemp(rc->dir));
    if (real_current == NULL) {
        atexit(real_cleanup_at_exit);
    }
    real_current = rc;
    uint16_t peer_ports[REAL_NODES_MAX + 1] = {0};
    struct raftkv_node nodes[RAFT_NODES_MAX + 1];
    memset(nodes, 0, sizeof(nodes));
    for (uint32_t id = 1; id <= node_count; id++) {
        snprintf(nodes[id].host, sizeof(nodes[id].host), "127.0.0.1");
        peer_ports[id] = real_free_port();
        nodes[id].client_port = real_free_port();
    }
    proxy_start(rc, peer_ports);
    for (uint32_t id = 1; id <= node_count; id++) {
        struct raftkv_config *c = &rc->config[id];
        c->id = id;
        c->node_count = node_count;
        memcpy(c->nodes, nodes, sizeof(nodes));
        for (uint32_t to = 1; to <= node_count; to++) { /* it listens on its own port... */
            c->nodes[to].peer_port =
                to == id ? peer_ports[id] : rc->proxy.links[id][to].listen_port;
        } /* ...and reaches the others through the proxy */
        snprintf(c->data_dir, sizeof(c->data_dir), "%s/node%u", rc->dir, id);
        c->tick_ms = REAL_TICK_MS;
        c->election_ticks = REAL_ELECTION_TICKS;
        c->heartbeat_ticks = 3;
        c->compact_every = compact_every;
    }
    for (uint32_t id = 1; id <= node_count; id++) {
        real_start(rc, id);
    }
}

static inline void
real_cluster_down(struct real_cluster *rc)
{
    for (uint32_t id = 1; id <= rc->node_count; id++) {
        real_kill(rc, id, SIGTERM);
    }
    proxy_stop(rc);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", rc->dir);
    assert_int_equal(system(cmd), 0);
    real_current = NULL;
}

/* ---- Clients ----------------------------------------------------------------------------- */

static inline uint16_t
real_client_port(const struct real_cluster *rc, uint32_t id)
{
    return rc->config[id].nodes[id].client_port;
}

/* One request to node id and its raw reply in out ("" when the node did not answer within
 * timeout_ms). */
static inline void
real_ask(const struct real_cluster *rc, uint32_t id, size_t argc, const char *const argv[],
         char *out, int timeout_ms)
{
    out[0] = '\0';
    struct kh_rclient c;
    if (kh_rclient_connect(&c, real_client_port(rc, id)) != 0) {
        return;
    }
    if (kh_rclient_send(&c, argc, argv) == 0 &&
        kh_rclient_reply(&c, out, REAL_REPLY_BYTES, timeout_ms) < 0) {
        out[0] = '\0';
    }
    kh_rclient_close(&c);
}

/* The node a MOVED reply names, or 0. */
static inline uint32_t
real_moved_to(const struct real_cluster *rc, const char *reply)
{
    unsigned port = 0;
    if (sscanf(reply, "-MOVED 0 127.0.0.1:%u", &port) != 1) {
        return 0;
    }
    for (uint32_t id = 1; id <= rc->node_count; id++) {
        if (real_client_port(rc, id) == port) {
            return id;
        }
    }
    return 0;
}

/* Fails the test if a node the driver started has exited on its own (a node that cannot open
 * its stores says why on stderr, printed above, and exits 1). */
static inline void
real_check_alive(struct real_cluster *rc)
{
    for (uint32_t id = 1; id <= rc->node_count; id++) {
        int status = 0;
        if (rc->pid[id] != 0 && waitpid(rc->pid[id], &status, WNOHANG) == rc->pid[id]) {
            rc->pid[id] = 0;
            fail_msg("node %u exited by itself (%s %d); its own message, if any, is above", id,
                     WIFEXITED(status) ? "status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
    }
}

/* Sends the request to node `first`, following MOVED redirects and retrying while there is no
 * leader (or the node asked is down or silent), for up to REAL_WAIT_MS; returns the node that
 * answered and its reply in out. Fails the test when none did. */
static inline uint32_t
real_ask_leader(const struct real_cluster *rc, uint32_t first, size_t argc,
                const char *const argv[], char *out)
{
    uint64_t deadline = real_ms_now() + REAL_WAIT_MS;
    uint32_t id = first;
    while (real_ms_now() < deadline) {
        real_check_alive((struct real_cluster *)rc);
        if (rc->pid[id] != 0 && !rc->is_paused[id]) {
            real_ask(rc, id, argc, argv, out, 500);
            uint32_t leader = real_moved_to(rc, out);
            if (leader != 0) {
                id = leader;
                continue;
            }
            if (out[0] != '\0' && strncmp(out, "-CLUSTERDOWN", 12) != 0 &&
                strncmp(out, "-ERR leadership changed", 23) != 0) {
                return id;
            }
        }
        id = id % rc->node_count + 1;
        usleep(20 * 1000);
    }
    fail_msg("no node answered %s within %d ms as a leader would (last reply: %s)", argv[0],
             REAL_WAIT_MS, out[0] != '\0' ? out : "none");
    return 0;
}

static inline void
real_assert_reply(const char *got, const char *want, const char *what)
{
    if (strcmp(got, want) != 0) {
        fail_msg("%s: the reply was \"%s\"; expected \"%s\"", what, got, want);
    }
}

/* The leader, found by a write that goes through. */
static inline uint32_t
real_leader_by_write(const struct real_cluster *rc, const char *key, const char *value)
{
    char out[REAL_REPLY_BYTES];
    const char *set[] = {"SET", key, value};
    uint32_t leader = real_ask_leader(rc, 1, 3, set, out);
    real_assert_reply(out, "+OK\r\n", "SET on the leader");
    return leader;
}

#endif
