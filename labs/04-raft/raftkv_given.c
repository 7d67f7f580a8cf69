/* raftkv_given.c -- lab 04 part E, given: keel-raftkv (raftkv.h). One epoll loop serves three
 * kinds of socket: clients speaking RESP (raftkv_clients_given.c), peers sending Raft messages
 * (raftkv_net_given.c), and a timer that ticks the node. After every round of events the loop
 * carries out the node's readies in raft.h's order: persist (one sync for everything the round
 * proposed: group commit), send, apply to the kv and answer the writes that were waiting for
 * their entries, answer the reads ReadIndex confirmed. Read loop_run first. */
#include "raftkv_internal.h"

/* ---- The node's readies --------------------------------------------------------------------- */

static void
fail(struct server *s, const char *what, const char *why)
{
    rkv_say(s, "%s: %s; stopping (this node's state may now be behind the others')", what, why);
    s->is_failed = true;
}

static void
maybe_compact(struct server *s)
{
    struct raft_snapshot last;
    raft_last_snapshot(s->raft, &last);
    uint64_t applied = kv_applied_index(s->kv);
    if (s->config->compact_every == 0 || applied < last.index + s->config->compact_every) {
        return;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    kv_status st = kv_snapshot(s->kv, &data, &size);
    if (st != KV_OK) {
        rkv_say(s, "snapshot not taken: %s", kv_strerror(st));
        return;
    }
    raft_status rs = raft_compact(s->raft, applied, data, size);
    free(data);
    if (rs != RAFT_OK) {
        rkv_say(s, "compaction at %" PRIu64 " refused: %s", applied, raft_strerror(rs));
    }
}

static void
process_readies(struct server *s)
{
    for (int round = 0; !s->is_failed && raft_has_ready(s->raft) && round < 64; round++) {
        struct raft_ready rd;
        raft_ready(s->raft, &rd);
        /* A leader's appends may go before its own write (the dissertation, §10.2.1): it counts
         * itself toward a commit only once the entries are on its disk (raft_advance), so the
         * followers' fsyncs overlap the leader's instead of following it. Everything else keeps
         * raft.h's order: a vote, a term or a follower's answer goes only once it is durable. */
        bool is_early = raft_role(s->raft) == RAFT_LEADER && !rd.has_hard_state && !rd.has_snapshot;
        for (size_t i = 0; is_early && i < rd.msg_count; i++) {
            if (rd.msgs[i].type == RAFT_MSG_APPEND) {
                rkv_peer_send(s, &rd.msgs[i]);
            }
        }
        for (uint32_t id = 1; is_early && id <= s->config->node_count; id++) {
            if (id != s->config->id) {
                rkv_peer_flush(s, id);
            }
        }
        raft_status st = raft_storage_save(s->storage, &rd);
        if (st != RAFT_OK) {
            fail(s, "saving to the raft directory", raft_strerror(st));
            return;
        }
        for (size_t i = 0; i < rd.msg_count; i++) {
            if (!is_early || rd.msgs[i].type != RAFT_MSG_APPEND) {
                rkv_peer_send(s, &rd.msgs[i]);
            }
        }
        if (rd.restore_snapshot) {
            kv_status ks = kv_restore(s->kv, rd.snapshot.data, rd.snapshot.size_bytes);
            if (ks != KV_OK) {
                fail(s, "restoring a leader's snapshot", kv_strerror(ks));
                return;
            }
        }
        for (size_t i = 0; i < rd.committed_count; i++) {
            const struct raft_entry *e = &rd.committed[i];
            struct kv_result res;
            kv_status ks = kv_apply(s->kv, e->index, e->type, e->data, e->size_bytes, &res);
            if (ks != KV_OK) {
                fail(s, "applying a committed entry", kv_strerror(ks));
                return;
            }
            rkv_writes_on_apply(s, e, &res);
        }
        for (size_t i = 0; i < rd.read_count; i++) {
            rkv_reads_on_done(s, &rd.reads[i]);
        }
        raft_advance(s->raft, &rd);
        maybe_compact(s);
    }
    if (raft_role(s->raft) != s->shown_role || raft_term(s->raft) != s->shown_term) {
        if (s->shown_role == RAFT_LEADER && raft_role(s->raft) != RAFT_LEADER) {
            rkv_writes_fail(s);
        }
        s->shown_role = raft_role(s->raft);
        s->shown_term = raft_term(s->raft);
        if (s->config->is_verbose) {
            rkv_say(s, "%s of term %" PRIu64,
                    s->shown_role == RAFT_LEADER      ? "leader"
                    : s->shown_role == RAFT_CANDIDATE ? "candidate"
                                                      : "follower",
                    s->shown_term);
        }
    }
}

/* ---- Start, loop, stop ---------------------------------------------------------------------- */

static int
make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static bool
server_open(struct server *s, const struct raftkv_config *config)
{
    memset(s, 0, sizeof(*s));
    s->config = config;
    s->epoll_fd = s->timer_fd = s->signal_fd = s->client_listen_fd = s->peer_listen_fd = -1;
    char raft_dir[RAFTKV_DIR_MAX + 8], kv_dir[RAFTKV_DIR_MAX + 8];
    snprintf(raft_dir, sizeof(raft_dir), "%s/raft", config->data_dir);
    snprintf(kv_dir, sizeof(kv_dir), "%s/kv", config->data_dir);
    if (make_dir(config->data_dir) != 0 || make_dir(raft_dir) != 0) {
        rkv_say(s, "cannot create %s: %s", raft_dir, strerror(errno));
        return false;
    }
    struct raft_hard_state hs;
    struct raft_snapshot snap;
    const struct raft_entry *entries;
    size_t entry_count;
    raft_status st =
        raft_storage_open(&bc_io_posix, raft_dir, &s->storage, &hs, &snap, &entries, &entry_count);
    if (st != RAFT_OK) {
        rkv_say(s, "cannot open %s: %s", raft_dir, raft_strerror(st));
        return false;
    }
    struct raft_config rc = {.id = config->id,
                             .node_count = config->node_count,
                             .election_ticks = config->election_ticks,
                             .heartbeat_ticks = config->heartbeat_ticks,
                             .random_seed =
                                 (uint64_t)rkv_now_ms() * 2654435761u ^ (uint64_t)getpid()};
    st = raft_create(&rc, &hs, &snap, entries, entry_count, &s->raft);
    if (st != RAFT_OK) {
        rkv_say(s, "cannot start the node from %s: %s", raft_dir, raft_strerror(st));
        return false;
    }
    struct bc_options options;
    bc_options_default(&options);
    kv_status ks = kv_open(kv_dir, &options, &s->kv);
    if (ks == KV_OK && snap.index > 0) {
        ks = kv_restore(s->kv, snap.data, snap.size_bytes);
    }
    if (ks != KV_OK) {
        rkv_say(s, "cannot open the state machine in %s: %s", kv_dir, kv_strerror(ks));
        return false;
    }
    s->scratch = store_create(config->id);
    s->clients = calloc(CLIENTS_MAX, sizeof(*s->clients));
    s->inbound = calloc(CLIENTS_MAX, sizeof(*s->inbound));
    s->writes = calloc(RAFTKV_PENDING_MAX, sizeof(*s->writes));
    s->reads = calloc(RAFTKV_PENDING_MAX, sizeof(*s->reads));
    s->frame = malloc(RAFT_MSG_BYTES_MAX);
    s->decoded = calloc(RAFT_APPEND_ENTRIES_MAX, sizeof(*s->decoded));
    if (s->scratch == NULL || s->clients == NULL || s->inbound == NULL || s->writes == NULL ||
        s->reads == NULL || s->frame == NULL || s->decoded == NULL) {
        rkv_say(s, "out of memory");
        return false;
    }
    for (size_t i = 0; i < CLIENTS_MAX; i++) {
        s->clients[i].fd = -1;
        s->inbound[i].fd = -1;
    }
    for (uint32_t id = 0; id <= RAFT_NODES_MAX; id++) {
        s->peers[id].fd_out = -1;
    }
    resp_buf_init(&s->reply);
    const struct raftkv_node *me = &config->nodes[config->id];
    s->client_listen_fd = rkv_listen_on(me->host, me->client_port);
    s->peer_listen_fd = rkv_listen_on(me->host, me->peer_port);
    if (s->client_listen_fd < 0 || s->peer_listen_fd < 0) {
        rkv_say(s, "cannot listen on %s:%u and :%u: %s", me->host, me->client_port, me->peer_port,
                strerror(errno));
        return false;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    s->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct itimerspec every = {
        .it_interval = {.tv_sec = config->tick_ms / 1000,
                        .tv_nsec = (long)(config->tick_ms % 1000) * 1000000},
    };
    every.it_value = every.it_interval;
    if (s->signal_fd < 0 || s->timer_fd < 0 || s->epoll_fd < 0 ||
        timerfd_settime(s->timer_fd, 0, &every, NULL) != 0 ||
        !rkv_epoll_watch(s, s->signal_fd, EPOLLIN, EPOLL_CTL_ADD) ||
        !rkv_epoll_watch(s, s->timer_fd, EPOLLIN, EPOLL_CTL_ADD) ||
        !rkv_epoll_watch(s, s->client_listen_fd, EPOLLIN, EPOLL_CTL_ADD) ||
        !rkv_epoll_watch(s, s->peer_listen_fd, EPOLLIN, EPOLL_CTL_ADD)) {
        rkv_say(s, "cannot set up the event loop: %s", strerror(errno));
        return false;
    }
    s->shown_term = UINT64_MAX;
    if (config->is_verbose) {
        rkv_say(s,
                "node %u of %u: clients on %s:%u, peers on :%u, data in %s (term %" PRIu64
                ", %zu entries after snapshot %" PRIu64 ")",
                config->id, config->node_count, me->host, me->client_port, me->peer_port,
                config->data_dir, hs.term, entry_count, snap.index);
    }
    return true;
}

static void
server_close(struct server *s)
{
    for (size_t i = 0; s->clients != NULL && i < CLIENTS_MAX; i++) {
        rkv_client_close(s, &s->clients[i]);
    }
    for (size_t i = 0; s->inbound != NULL && i < CLIENTS_MAX; i++) {
        if (s->inbound[i].fd >= 0) {
            rkv_inbound_close(s, &s->inbound[i]);
        }
    }
    for (uint32_t id = 1; id <= RAFT_NODES_MAX; id++) {
        if (s->peers[id].fd_out >= 0) {
            close(s->peers[id].fd_out);
        }
        free(s->peers[id].out.data);
    }
    for (size_t i = 0; s->reads != NULL && i < s->read_count; i++) {
        free(s->reads[(s->read_head + i) % RAFTKV_PENDING_MAX].key);
    }
    const int fds[] = {s->epoll_fd, s->timer_fd, s->signal_fd, s->client_listen_fd,
                       s->peer_listen_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    free(s->clients);
    free(s->inbound);
    free(s->writes);
    free(s->reads);
    free(s->frame);
    free(s->decoded);
    resp_buf_free(&s->reply);
    store_destroy(s->scratch);
    kv_close(s->kv);
    raft_destroy(s->raft);
    raft_storage_close(s->storage);
}

/* The loop: wait for events (at most a tick), handle them all, then carry out the node's
 * readies and flush what they queued. */
static int
loop_run(struct server *s)
{
    struct epoll_event events[EVENTS_MAX];
    bool is_stopping = false;
    while (!is_stopping && !s->is_failed) {
        uint64_t now = rkv_now_ms();
        for (uint32_t id = 1; id <= s->config->node_count; id++) {
            if (id != s->config->id && s->peers[id].fd_out < 0 && now >= s->peers[id].retry_at_ms) {
                rkv_peer_connect(s, id);
            }
        }
        int n = epoll_wait(s->epoll_fd, events, EVENTS_MAX, (int)s->config->tick_ms);
        if (n < 0 && errno != EINTR) {
            rkv_say(s, "epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t data = events[i].data.u64;
            uint32_t tag = (uint32_t)(data >> 32);
            int fd = (int)(uint32_t)data;
            if (tag == UINT32_MAX) {
                rkv_inbound_readable(s, &s->inbound[fd]);
            } else if (tag != 0) {
                rkv_peer_event(s, tag, events[i].events);
            } else if (fd == s->signal_fd) {
                is_stopping = true;
            } else if (fd == s->timer_fd) {
                uint64_t expirations = 0;
                if (read(s->timer_fd, &expirations, sizeof(expirations)) == sizeof(expirations)) {
                    for (uint64_t t = 0; t < expirations && t < 16; t++) {
                        raft_tick(s->raft);
                    }
                }
            } else if (fd == s->client_listen_fd) {
                rkv_client_accept(s);
            } else if (fd == s->peer_listen_fd) {
                rkv_inbound_accept(s);
            } else if (fd >= 0 && fd < (int)CLIENTS_MAX && s->clients[fd].fd == fd) {
                if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                    rkv_client_readable(s, &s->clients[fd]);
                }
            }
        }
        process_readies(s);
        /* Answers may have released held requests; what they propose is saved at once. */
        for (size_t fd = 0; fd < s->client_fd_end; fd++) {
            if (s->clients[fd].fd >= 0 && s->clients[fd].is_held) {
                rkv_client_drain(s, &s->clients[fd]);
                if (!s->clients[fd].is_held) {
                    rkv_client_readable(s, &s->clients[fd]); /* and what waited in the socket */
                }
            }
        }
        process_readies(s);
        for (uint32_t id = 1; id <= s->config->node_count; id++) {
            if (id != s->config->id) {
                rkv_peer_flush(s, id);
            }
        }
        for (size_t fd = 0; fd < s->client_fd_end; fd++) {
            struct client *c = &s->clients[fd];
            if (c->fd >= 0 && (rkv_bytes_unsent(&c->out) > 0 || c->is_closing || c->is_held)) {
                rkv_client_flush(s, c);
            }
        }
    }
    return s->is_failed ? 1 : 0;
}

int
raftkv_run(const struct raftkv_config *config)
{
    struct server s;
    int rc = server_open(&s, config) ? loop_run(&s) : 1;
    server_close(&s);
    return rc;
}

/* ---- Arguments --------------------------------------------------------------------------------
 */

static bool
parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* "HOST:PEER_PORT:CLIENT_PORT,..." into config->nodes. */
static int
parse_peers(const char *text, struct raftkv_config *config, char *err, size_t err_size)
{
    char copy[1024];
    if (strlen(text) >= sizeof(copy)) {
        snprintf(err, err_size, "--peers is too long");
        return -1;
    }
    strcpy(copy, text);
    uint32_t count = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *second = strrchr(item, ':');
        if (second == NULL || second == item) {
            snprintf(err, err_size, "--peers: '%s' is not HOST:PEER_PORT:CLIENT_PORT", item);
            return -1;
        }
        *second = '\0';
        char *first = strrchr(item, ':');
        uint64_t peer_port, client_port;
        if (first == NULL || !parse_u64(first + 1, 1, 65535, &peer_port) ||
            !parse_u64(second + 1, 1, 65535, &client_port) ||
            (size_t)(first - item) >= RAFTKV_HOST_MAX || count == RAFT_NODES_MAX) {
            snprintf(err, err_size,
                     "--peers: '%s' is not HOST:PEER_PORT:CLIENT_PORT (at most %u "
                     "nodes, ports 1-65535)",
                     item, RAFT_NODES_MAX);
            return -1;
        }
        *first = '\0';
        struct raftkv_node *n = &config->nodes[++count];
        snprintf(n->host, sizeof(n->host), "%s", item);
        n->peer_port = (uint16_t)peer_port;
        n->client_port = (uint16_t)client_port;
    }
    config->node_count = count;
    return 0;
}

int
raftkv_parse_args(int argc, char **argv, struct raftkv_config *config, char *err, size_t err_size)
{
    memset(config, 0, sizeof(*config));
    config->tick_ms = 10;
    config->election_ticks = 30;
    config->heartbeat_ticks = 5;
    config->compact_every = 100000;
    uint64_t id = 0;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--verbose") == 0) {
            config->is_verbose = true;
            continue;
        }
        if (i + 1 >= argc) {
            snprintf(err, err_size, "%s needs a value (see --help)", flag);
            return -1;
        }
        const char *value = argv[++i];
        uint64_t v = 0;
        if (strcmp(flag, "--id") == 0 && parse_u64(value, 1, RAFT_NODES_MAX, &v)) {
            id = v;
        } else if (strcmp(flag, "--peers") == 0) {
            if (parse_peers(value, config, err, err_size) != 0) {
                return -1;
            }
        } else if (strcmp(flag, "--data") == 0 && strlen(value) < RAFTKV_DIR_MAX - 8) {
            snprintf(config->data_dir, sizeof(config->data_dir), "%s", value);
        } else if (strcmp(flag, "--tick-ms") == 0 && parse_u64(value, 1, 1000, &v)) {
            config->tick_ms = (uint32_t)v;
        } else if (strcmp(flag, "--election-ticks") == 0 && parse_u64(value, 2, 100000, &v)) {
            config->election_ticks = (uint32_t)v;
        } else if (strcmp(flag, "--heartbeat-ticks") == 0 && parse_u64(value, 1, 100000, &v)) {
            config->heartbeat_ticks = (uint32_t)v;
        } else if (strcmp(flag, "--compact-every") == 0 && parse_u64(value, 0, UINT64_MAX, &v)) {
            config->compact_every = v;
        } else {
            snprintf(err, err_size, "bad argument: %s %s (see --help)", flag, value);
            return -1;
        }
    }
    if (id == 0 || config->node_count == 0 || config->data_dir[0] == '\0') {
        snprintf(err, err_size, "--id, --peers and --data are required (see --help)");
        return -1;
    }
    if (id > config->node_count) {
        snprintf(err, err_size, "--id %" PRIu64 " is not among the %u --peers", id,
                 config->node_count);
        return -1;
    }
    if (config->heartbeat_ticks >= config->election_ticks) {
        snprintf(err, err_size, "--heartbeat-ticks must be below --election-ticks");
        return -1;
    }
    config->id = (uint32_t)id;
    return 0;
}

int
raftkv_main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: keel-raftkv --id N --peers HOST:PEER_PORT:CLIENT_PORT,... --data DIR\n"
               "         [--tick-ms 10] [--election-ticks 30] [--heartbeat-ticks 5]\n"
               "         [--compact-every 100000] [--verbose]\n"
               "One node of a replicated key-value store (lab 04, Raft). --peers lists every node\n"
               "of the cluster in id order, this one included; clients speak RESP to\n"
               "CLIENT_PORT (redis-cli -c follows the MOVED redirect to the leader).\n"
               "Commands: GET (linearizable, ReadIndex) SET DEL INCR DECR INCRBY DECRBY\n"
               "(through the log), DBSIZE (this node's count), PING ECHO.\n");
        return 0;
    }
    struct raftkv_config config;
    char err[256];
    if (raftkv_parse_args(argc, argv, &config, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel-raftkv: %s\n", err);
        return 2;
    }
    return raftkv_run(&config);
}
