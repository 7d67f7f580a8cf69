/* raftkv_given.c -- lab 04 part E, given: keel-raftkv (raftkv.h). One epoll loop serves three
 * kinds of socket: clients speaking RESP, peers sending Raft messages (each framed by a 4-byte
 * little-endian length), and a timer that ticks the node. After every round of events the loop
 * carries out the node's readies in raft.h's order: persist (one sync for everything the round
 * proposed: group commit), send, apply to the kv and answer the writes that were waiting for
 * their entries, answer the reads ReadIndex confirmed. Read loop_run first. */
#include "raftkv.h"

#include "raft_kv.h"
#include "raft_storage.h"
#include "resp.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK_BYTES (64u << 10)
#define CLIENTS_MAX 4096u
#define EVENTS_MAX 256
#define RECONNECT_MS 100u
#define FRAME_HEADER_BYTES 4u

/* ---- Byte queues ---------------------------------------------------------------------------- */

struct bytes {
    uint8_t *data;
    size_t size, sent, capacity; /* data[sent .. size) is unsent */
};

static bool
bytes_append(struct bytes *b, const void *p, size_t n)
{
    if (b->sent > 0 && b->sent == b->size) {
        b->sent = b->size = 0;
    }
    if (b->size + n > b->capacity) {
        if (b->sent > 0) { /* move the unsent part down before growing */
            memmove(b->data, b->data + b->sent, b->size - b->sent);
            b->size -= b->sent;
            b->sent = 0;
        }
        size_t capacity = b->capacity > 0 ? b->capacity : 4096;
        while (capacity < b->size + n) {
            capacity *= 2;
        }
        if (capacity != b->capacity) {
            uint8_t *data = realloc(b->data, capacity);
            if (data == NULL) {
                return false;
            }
            b->data = data;
            b->capacity = capacity;
        }
    }
    memcpy(b->data + b->size, p, n);
    b->size += n;
    return true;
}

static size_t
bytes_unsent(const struct bytes *b)
{
    return b->size - b->sent;
}

/* Writes what it can; false when the socket failed. */
static bool
bytes_flush(struct bytes *b, int fd)
{
    while (bytes_unsent(b) > 0) {
        ssize_t n = send(fd, b->data + b->sent, bytes_unsent(b), MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        }
        b->sent += (size_t)n;
    }
    b->sent = b->size = 0;
    return true;
}

/* ---- The server's state --------------------------------------------------------------------- */

/* A client request waiting for its entry (a write) or its read's confirmation. Replies go out in
 * the order the connection sent its requests, so each request has a place in the connection's
 * queue of replies (seq), and a request answered early waits there for those before it. */
struct pending {
    int fd; /* the connection's, and its id: the fd may be another's by now */
    uint64_t conn_id;
    uint64_t seq;   /* the request's place on its connection */
    uint64_t index; /* a write: its entry's index and term */
    uint64_t term;
    uint64_t read_id; /* a read */
    bool is_read;
    char *key; /* a read: the key, owned */
    size_t key_size;
};

/* A reply that is ready before those ahead of it. */
struct early {
    uint64_t seq;
    char *bytes;
    size_t size;
};

struct client {
    int fd; /* -1: the slot is free */
    uint64_t id;
    struct resp_parser parser;
    struct bytes out;
    uint64_t next_seq;    /* the next request's place */
    uint64_t replied_seq; /* replies before this place went out, in order */
    struct early *early;  /* replies ready out of order */
    size_t early_count, early_capacity;
    bool is_closing; /* QUIT or a protocol error: close once out is flushed */
    /* A connection's requests take effect in the order it sent them, as Redis promises: writes
     * may wait for their entries together (the log orders them), but a read waits until the
     * writes before it applied, and a write until the reads before it were answered. A request
     * that must wait is held (parsed, not started), and the bytes after it stay in `in`. */
    struct bytes in;
    struct resp_request *held; /* borrowed from parser until the next resp_parse */
    uint32_t writes_waiting, reads_waiting;
    bool is_held;
};

struct peer {
    int fd_out; /* our connection to it (we send), -1 while down */
    bool is_connecting;
    uint64_t retry_at_ms;
    struct bytes out;
};

/* An inbound peer connection (it sends, we read). */
struct inbound {
    int fd;
    uint8_t *buf;
    size_t size, capacity;
};

struct server {
    const struct raftkv_config *config;
    int epoll_fd, timer_fd, signal_fd, client_listen_fd, peer_listen_fd;
    struct raft *raft;
    struct raft_storage *storage;
    struct kv *kv;
    struct store *scratch;  /* lab 01's store, empty: PING, ECHO, COMMAND, CONFIG, HELLO, CLIENT */
    struct client *clients; /* by fd, CLIENTS_MAX */
    size_t client_fd_end;   /* every client's fd is below it: the loop's scans stop there */
    uint64_t next_conn_id;
    struct peer peers[RAFT_NODES_MAX + 1];
    struct inbound *inbound; /* by fd, CLIENTS_MAX */
    struct pending *writes;  /* a FIFO by index: a leader's proposals are in index order */
    size_t write_head, write_count;
    struct pending *reads; /* a FIFO by read id */
    size_t read_head, read_count;
    uint64_t next_read_id;
    uint8_t *frame; /* one encoded message */
    struct raft_entry *decoded;
    struct resp_buf reply;
    enum raft_role shown_role;
    uint64_t shown_term;
    bool is_failed;
};

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
say(const struct server *s, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "keel-raftkv[%u]: ", s->config->id);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool
epoll_watch(struct server *s, int fd, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint32_t)fd}; /* tag 0: see loop_run */
    return epoll_ctl(s->epoll_fd, op, fd, &ev) == 0;
}

static int
listen_on(const char *host, uint16_t port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 512) != 0) {
        int saved = errno;
        if (fd >= 0) {
            close(fd);
        }
        errno = saved;
        return -1;
    }
    return fd;
}

/* ---- Replies, in order ------------------------------------------------------------------------
 */

static struct client *
client_of(struct server *s, int fd, uint64_t conn_id)
{
    struct client *c = &s->clients[fd];
    return c->fd >= 0 && c->id == conn_id ? c : NULL;
}

static void client_close(struct server *s, struct client *c);

/* The reply for request seq of c: out at once if every earlier reply went, else kept. */
static void
client_reply(struct server *s, struct client *c, uint64_t seq, const void *bytes, size_t size)
{
    if (seq != c->replied_seq) {
        if (c->early_count == c->early_capacity) {
            size_t capacity = c->early_capacity > 0 ? 2 * c->early_capacity : 16;
            struct early *early = realloc(c->early, capacity * sizeof(*early));
            if (early == NULL) {
                client_close(s, c);
                return;
            }
            c->early = early;
            c->early_capacity = capacity;
        }
        char *copy = malloc(size);
        if (copy == NULL) {
            client_close(s, c);
            return;
        }
        memcpy(copy, bytes, size);
        c->early[c->early_count++] = (struct early){seq, copy, size};
        return;
    }
    if (!bytes_append(&c->out, bytes, size)) {
        client_close(s, c);
        return;
    }
    c->replied_seq++;
    for (bool is_moved = true; is_moved;) { /* those that waited for this one */
        is_moved = false;
        for (size_t i = 0; i < c->early_count; i++) {
            if (c->early[i].seq == c->replied_seq) {
                bool ok = bytes_append(&c->out, c->early[i].bytes, c->early[i].size);
                free(c->early[i].bytes);
                c->early[i] = c->early[--c->early_count];
                if (!ok) {
                    client_close(s, c);
                    return;
                }
                c->replied_seq++;
                is_moved = true;
                break;
            }
        }
    }
    if (bytes_unsent(&c->out) > RAFTKV_CLIENT_OUT_BYTES) {
        client_close(s, c); /* it does not read its replies */
    }
}

/* Replies to a waiting request on a connection that may have closed meanwhile. */
static void
pending_reply(struct server *s, const struct pending *p, const struct resp_buf *reply)
{
    struct client *c = client_of(s, p->fd, p->conn_id);
    if (c != NULL) {
        if (p->is_read) {
            c->reads_waiting--;
        } else {
            c->writes_waiting--;
        }
        client_reply(s, c, p->seq, reply->data, reply->size_bytes);
    }
}

/* A redirect to the leader, as Redis Cluster's MOVED (redis-cli -c follows it). */
static void
reply_not_leader(struct server *s, struct resp_buf *out)
{
    uint32_t leader = raft_leader(s->raft);
    if (leader != 0 && leader != s->config->id) {
        resp_buf_errorf(out, "MOVED 0 %s:%u", s->config->nodes[leader].host,
                        s->config->nodes[leader].client_port);
    } else {
        resp_buf_error(out, "CLUSTERDOWN no leader yet, try again");
    }
}

/* ---- Writes and reads waiting --------------------------------------------------------------- */

static struct pending *
fifo_push(struct pending *fifo, size_t head, size_t *count)
{
    if (*count == RAFTKV_PENDING_MAX) {
        return NULL;
    }
    return &fifo[(head + (*count)++) % RAFTKV_PENDING_MAX];
}

static void
reply_result(struct server *s, uint8_t op, const struct kv_result *res, struct resp_buf *out)
{
    (void)s;
    switch (res->code) {
    case KV_CODE_OK:
        if (op == KV_OP_PUT) {
            resp_buf_simple(out, "OK");
        } else if (op == KV_OP_GET) {
            resp_buf_bulk(out, res->value, res->value_size_bytes);
        } else {
            resp_buf_integer(out, res->number);
        }
        break;
    case KV_CODE_NOT_FOUND:
        if (op == KV_OP_DELETE) {
            resp_buf_integer(out, 0);
        } else {
            resp_buf_null_bulk(out);
        }
        break;
    case KV_CODE_NOT_AN_INTEGER:
        resp_buf_error(out, "ERR value is not an integer or out of range");
        break;
    case KV_CODE_OVERFLOW:
        resp_buf_error(out, "ERR increment or decrement would overflow");
        break;
    default:
        resp_buf_errorf(out, "ERR session: code %u", res->code);
        break;
    }
}

/* Entry e was applied with result res: the write waiting for its index is answered (another
 * entry there means its leader lost it, and it will never apply). */
static void
writes_on_apply(struct server *s, const struct raft_entry *e, const struct kv_result *res)
{
    while (s->write_count > 0) {
        struct pending *p = &s->writes[s->write_head];
        if (p->index > e->index) {
            return;
        }
        resp_buf_reset(&s->reply);
        if (p->index == e->index && p->term == e->term) {
            struct kv_command cmd;
            uint8_t op = KV_OP_PUT;
            if (e->type == RAFT_ENTRY_COMMAND &&
                kv_command_decode(e->data, e->size_bytes, &cmd) == KV_OK) {
                op = cmd.op;
            }
            reply_result(s, op, res, &s->reply);
        } else {
            resp_buf_error(&s->reply, "ERR leadership changed: the write was not applied");
        }
        pending_reply(s, p, &s->reply);
        s->write_head = (s->write_head + 1) % RAFTKV_PENDING_MAX;
        s->write_count--;
    }
}

/* A node that stops leading cannot tell whether its waiting writes will apply. */
static void
writes_fail(struct server *s)
{
    while (s->write_count > 0) {
        struct pending *p = &s->writes[s->write_head];
        resp_buf_reset(&s->reply);
        resp_buf_error(&s->reply, "ERR leadership changed: the write may or may not apply");
        pending_reply(s, p, &s->reply);
        s->write_head = (s->write_head + 1) % RAFTKV_PENDING_MAX;
        s->write_count--;
    }
}

static void
reads_on_done(struct server *s, const struct raft_read *rd)
{
    while (s->read_count > 0) {
        struct pending *p = &s->reads[s->read_head];
        if (p->read_id > rd->id) {
            return;
        }
        resp_buf_reset(&s->reply);
        if (p->read_id == rd->id && rd->status == RAFT_OK) {
            struct kv_result res;
            kv_status st = kv_get(s->kv, p->key, p->key_size, &res);
            if (st == KV_OK) {
                reply_result(s, KV_OP_GET, &res, &s->reply);
            } else {
                resp_buf_errorf(&s->reply, "ERR %s", kv_strerror(st));
            }
        } else {
            reply_not_leader(s, &s->reply);
        }
        pending_reply(s, p, &s->reply);
        free(p->key);
        s->read_head = (s->read_head + 1) % RAFTKV_PENDING_MAX;
        s->read_count--;
    }
}

/* ---- Client requests --------------------------------------------------------------------------
 */

static bool
arg_is(const struct resp_arg *a, const char *name)
{
    return a->size_bytes == strlen(name) && strcasecmp(a->bytes, name) == 0;
}

static bool
parse_int64(const struct resp_arg *a, int64_t *out)
{
    if (a->size_bytes == 0 || a->size_bytes > KV_INTEGER_TEXT_MAX) {
        return false;
    }
    char *end;
    errno = 0;
    long long v = strtoll(a->bytes, &end, 10);
    if (errno != 0 || end != a->bytes + a->size_bytes || a->bytes[0] == '+' || a->bytes[0] == ' ') {
        return false;
    }
    *out = v;
    return true;
}

/* Proposes cmd for request seq of c; the reply comes when its entry applies. */
static void
propose(struct server *s, struct client *c, uint64_t seq, const struct kv_command *cmd,
        struct resp_buf *out)
{
    size_t size = kv_command_encoded_size(cmd);
    uint8_t *data = malloc(size);
    if (data == NULL) {
        resp_buf_error(out, "ERR out of memory");
        return;
    }
    kv_command_encode(cmd, data);
    uint64_t index, term;
    raft_status st = raft_propose(s->raft, data, size, &index, &term);
    free(data);
    if (st == RAFT_NOT_LEADER) {
        reply_not_leader(s, out);
        return;
    }
    if (st != RAFT_OK) {
        resp_buf_errorf(out, "ERR %s", raft_strerror(st));
        return;
    }
    struct pending *p = fifo_push(s->writes, s->write_head, &s->write_count);
    if (p == NULL) {
        resp_buf_error(out, "ERR too many requests waiting; the entry may still apply");
        return;
    }
    *p = (struct pending){.fd = c->fd, .conn_id = c->id, .seq = seq, .index = index, .term = term};
    c->writes_waiting++;
}

static void
read_key(struct server *s, struct client *c, uint64_t seq, const struct resp_arg *key,
         struct resp_buf *out)
{
    struct pending *p = fifo_push(s->reads, s->read_head, &s->read_count);
    if (p == NULL) {
        resp_buf_error(out, "ERR too many requests waiting");
        return;
    }
    raft_status st = raft_read_index(s->raft, s->next_read_id + 1);
    if (st != RAFT_OK) {
        s->read_count--;
        if (st == RAFT_NOT_LEADER) {
            reply_not_leader(s, out);
        } else {
            resp_buf_errorf(out, "ERR %s", raft_strerror(st));
        }
        return;
    }
    *p = (struct pending){.fd = c->fd,
                          .conn_id = c->id,
                          .seq = seq,
                          .read_id = ++s->next_read_id,
                          .is_read = true,
                          .key = malloc(key->size_bytes + 1),
                          .key_size = key->size_bytes};
    if (p->key != NULL) {
        memcpy(p->key, key->bytes, key->size_bytes);
    }
    c->reads_waiting++;
}

enum request_kind { REQUEST_LOCAL, REQUEST_READ, REQUEST_WRITE };

static bool arg_is(const struct resp_arg *a, const char *name);

/* What a request does to the keys: the order rules depend on it (struct client). */
static enum request_kind
request_kind(const struct resp_request *req)
{
    const struct resp_arg *a = req->argv;
    if (arg_is(&a[0], "GET") && req->argc == 2) {
        return REQUEST_READ;
    }
    if ((arg_is(&a[0], "SET") && req->argc == 3) || (arg_is(&a[0], "DEL") && req->argc == 2) ||
        ((arg_is(&a[0], "INCR") || arg_is(&a[0], "DECR")) && req->argc == 2) ||
        ((arg_is(&a[0], "INCRBY") || arg_is(&a[0], "DECRBY")) && req->argc == 3)) {
        return REQUEST_WRITE;
    }
    return REQUEST_LOCAL;
}

/* One request: answered now into out, or left waiting (out stays empty). */
static cmd_status
client_request(struct server *s, struct client *c, uint64_t seq, const struct resp_request *req,
               struct resp_buf *out)
{
    const struct resp_arg *a = req->argv;
    struct kv_command cmd = {0};
    int64_t delta = 1;
    bool is_write = true;
    if (arg_is(&a[0], "GET") && req->argc == 2) {
        if (a[1].size_bytes == 0 || a[1].size_bytes > KV_KEY_BYTES_MAX) {
            resp_buf_null_bulk(out);
            return CMD_OK;
        }
        read_key(s, c, seq, &a[1], out);
        return CMD_OK;
    } else if (arg_is(&a[0], "SET") && req->argc == 3) {
        cmd.op = KV_OP_PUT;
        cmd.value = (const uint8_t *)a[2].bytes;
        cmd.value_size_bytes = (uint32_t)a[2].size_bytes;
        if (a[2].size_bytes > KV_VALUE_BYTES_MAX) {
            resp_buf_errorf(out, "ERR value over %u bytes", KV_VALUE_BYTES_MAX);
            return CMD_OK;
        }
    } else if (arg_is(&a[0], "DEL") && req->argc == 2) {
        cmd.op = KV_OP_DELETE;
    } else if ((arg_is(&a[0], "INCR") || arg_is(&a[0], "DECR")) && req->argc == 2) {
        cmd.op = KV_OP_INCR;
        delta = arg_is(&a[0], "DECR") ? -1 : 1;
    } else if ((arg_is(&a[0], "INCRBY") || arg_is(&a[0], "DECRBY")) && req->argc == 3) {
        cmd.op = KV_OP_INCR;
        if (!parse_int64(&a[2], &delta) || (arg_is(&a[0], "DECRBY") && delta == INT64_MIN)) {
            resp_buf_error(out, "ERR value is not an integer or out of range");
            return CMD_OK;
        }
        delta = arg_is(&a[0], "DECRBY") ? -delta : delta;
    } else if (arg_is(&a[0], "DBSIZE") && req->argc == 1) {
        resp_buf_integer(out, (int64_t)kv_key_count(s->kv)); /* this node's, not linearizable */
        return CMD_OK;
    } else if (arg_is(&a[0], "GET") || arg_is(&a[0], "SET") || arg_is(&a[0], "DEL") ||
               arg_is(&a[0], "INCR") || arg_is(&a[0], "DECR") || arg_is(&a[0], "INCRBY") ||
               arg_is(&a[0], "DECRBY") || arg_is(&a[0], "DBSIZE")) {
        resp_buf_errorf(out,
                        "ERR wrong number of arguments for '%s' command (keel-raftkv "
                        "takes one key, and SET no options)",
                        a[0].bytes);
        return CMD_OK;
    } else {
        is_write = false;
    }
    if (!is_write) {
        /* Lab 01's commands that touch no key: its empty store answers them as Redis does. */
        static const char *const local[] = {"PING",  "ECHO",   "COMMAND", "CONFIG",
                                            "HELLO", "CLIENT", "SELECT",  "QUIT"};
        for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
            if (arg_is(&a[0], local[i])) {
                return cmd_execute(s->scratch, req, 0, out);
            }
        }
        resp_buf_errorf(out,
                        "ERR unknown command '%.64s' (keel-raftkv has GET SET DEL INCR "
                        "DECR INCRBY DECRBY DBSIZE PING ECHO)",
                        a[0].bytes);
        return CMD_OK;
    }
    if (a[1].size_bytes == 0 || a[1].size_bytes > KV_KEY_BYTES_MAX) {
        resp_buf_errorf(out, "ERR a key is 1 to %u bytes", KV_KEY_BYTES_MAX);
        return CMD_OK;
    }
    cmd.key = (const uint8_t *)a[1].bytes;
    cmd.key_size_bytes = (uint32_t)a[1].size_bytes;
    cmd.delta = delta;
    propose(s, c, seq, &cmd, out);
    return CMD_OK;
}

static void
client_close(struct server *s, struct client *c)
{
    if (c->fd < 0) {
        return;
    }
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    resp_parser_free(&c->parser);
    free(c->out.data);
    free(c->in.data);
    memset(&c->in, 0, sizeof(c->in));
    for (size_t i = 0; i < c->early_count; i++) {
        free(c->early[i].bytes);
    }
    free(c->early);
    memset(&c->out, 0, sizeof(c->out));
    c->early = NULL;
    c->early_count = c->early_capacity = 0;
}

static void
client_flush(struct server *s, struct client *c)
{
    if (c->fd < 0) {
        return;
    }
    if (!bytes_flush(&c->out, c->fd)) {
        client_close(s, c);
        return;
    }
    if (c->is_closing && bytes_unsent(&c->out) == 0 && c->early_count == 0 &&
        c->replied_seq == c->next_seq) {
        client_close(s, c);
        return;
    }
    /* A connection holding a request reads no more until it can start it. */
    epoll_watch(s, c->fd, (c->is_held ? 0 : EPOLLIN) | (bytes_unsent(&c->out) > 0 ? EPOLLOUT : 0),
                EPOLL_CTL_MOD);
}

/* Starts what the connection sent, request by request in order, until one must wait for
 * those before it (struct client) or the bytes run out. */
static void
client_drain(struct server *s, struct client *c)
{
    while (c->fd >= 0 && !c->is_closing) {
        if (!c->is_held) {
            if (bytes_unsent(&c->in) == 0) {
                return;
            }
            size_t used = 0;
            struct resp_request *req = NULL;
            resp_status st =
                resp_parse(&c->parser, c->in.data + c->in.sent, bytes_unsent(&c->in), &used, &req);
            c->in.sent += used;
            if (st == RESP_NEED_MORE) {
                c->in.sent = c->in.size = 0;
                return;
            }
            if (st != RESP_OK) {
                resp_buf_reset(&s->reply);
                resp_buf_errorf(&s->reply, "ERR %s", resp_parser_error(&c->parser));
                c->is_closing = true;
                client_reply(s, c, c->next_seq++, s->reply.data, s->reply.size_bytes);
                return;
            }
            c->held = req;
            c->is_held = true;
        }
        enum request_kind kind = request_kind(c->held);
        if ((kind == REQUEST_READ && c->writes_waiting > 0) ||
            (kind == REQUEST_WRITE && c->reads_waiting > 0)) {
            return; /* resumed by client_resume once those before it are answered */
        }
        c->is_held = false;
        uint64_t seq = c->next_seq++;
        resp_buf_reset(&s->reply);
        if (client_request(s, c, seq, c->held, &s->reply) != CMD_OK) {
            c->is_closing = true; /* QUIT, or out of memory */
        }
        if (s->reply.size_bytes > 0) {
            client_reply(s, c, seq, s->reply.data, s->reply.size_bytes);
        }
    }
}

static void
client_readable(struct server *s, struct client *c)
{
    uint8_t buf[READ_CHUNK_BYTES];
    while (c->fd >= 0 && !c->is_held && !c->is_closing) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            client_close(s, c);
            return;
        }
        if (n < 0) {
            return;
        }
        if (!bytes_append(&c->in, buf, (size_t)n)) {
            client_close(s, c);
            return;
        }
        client_drain(s, c);
    }
}

static void
client_accept(struct server *s)
{
    for (;;) {
        int fd = accept4(s->client_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        if (fd >= (int)CLIENTS_MAX) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct client *c = &s->clients[fd];
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        if ((size_t)fd >= s->client_fd_end) {
            s->client_fd_end = (size_t)fd + 1;
        }
        c->id = ++s->next_conn_id;
        resp_parser_init(&c->parser, NULL);
        if (!epoll_watch(s, fd, EPOLLIN, EPOLL_CTL_ADD)) {
            client_close(s, c);
        }
    }
}

/* ---- Peers ------------------------------------------------------------------------------------
 */

static void
peer_down(struct server *s, uint32_t id)
{
    struct peer *p = &s->peers[id];
    if (p->fd_out >= 0) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, p->fd_out, NULL);
        close(p->fd_out);
    }
    p->fd_out = -1;
    p->is_connecting = false;
    p->out.size = p->out.sent = 0; /* what was queued is lost, as a network loses it */
    p->retry_at_ms = now_ms() + RECONNECT_MS;
}

static void
peer_connect(struct server *s, uint32_t id)
{
    struct peer *p = &s->peers[id];
    const struct raftkv_node *n = &s->config->nodes[id];
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(n->peer_port)};
    if (inet_pton(AF_INET, n->host, &addr.sin_addr) != 1) {
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        p->retry_at_ms = now_ms() + RECONNECT_MS;
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        p->retry_at_ms = now_ms() + RECONNECT_MS;
        return;
    }
    p->fd_out = fd;
    p->is_connecting = true;
    /* The peer index rides in the epoll data's high bits: see loop_run. */
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN,
                             .data.u64 = (uint64_t)id << 32 | (uint32_t)fd};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        peer_down(s, id);
    }
}

static void
peer_send(struct server *s, const struct raft_msg *m)
{
    struct peer *p = &s->peers[m->to];
    if (p->fd_out < 0) {
        return; /* down: lost, and Raft sends again */
    }
    size_t size = raft_msg_encoded_size(m);
    if (bytes_unsent(&p->out) + size > RAFTKV_PEER_QUEUE_BYTES) {
        return;
    }
    uint8_t header[FRAME_HEADER_BYTES] = {(uint8_t)size, (uint8_t)(size >> 8),
                                          (uint8_t)(size >> 16), (uint8_t)(size >> 24)};
    raft_msg_encode(m, s->frame);
    if (!bytes_append(&p->out, header, sizeof(header)) || !bytes_append(&p->out, s->frame, size)) {
        peer_down(s, m->to);
    }
}

static void
peer_flush(struct server *s, uint32_t id)
{
    struct peer *p = &s->peers[id];
    if (p->fd_out < 0 || p->is_connecting) {
        return;
    }
    if (!bytes_flush(&p->out, p->fd_out)) {
        peer_down(s, id);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (bytes_unsent(&p->out) > 0 ? EPOLLOUT : 0),
                             .data.u64 = (uint64_t)id << 32 | (uint32_t)p->fd_out};
    epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, p->fd_out, &ev);
}

static void
peer_event(struct server *s, uint32_t id, uint32_t events)
{
    struct peer *p = &s->peers[id];
    if (p->fd_out < 0) {
        return;
    }
    if (p->is_connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(p->fd_out, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            peer_down(s, id);
            return;
        }
        p->is_connecting = false;
    }
    if (events & (EPOLLERR | EPOLLHUP | EPOLLIN)) {
        uint8_t sink[256]; /* a peer never writes on our connection: this is its close */
        ssize_t n = recv(p->fd_out, sink, sizeof(sink), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            peer_down(s, id);
            return;
        }
    }
    peer_flush(s, id);
}

static void
inbound_close(struct server *s, struct inbound *in)
{
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, in->fd, NULL);
    close(in->fd);
    free(in->buf);
    memset(in, 0, sizeof(*in));
    in->fd = -1;
}

/* Frames from a peer: each message goes to the node; a malformed one ends the connection. */
static void
inbound_readable(struct server *s, struct inbound *in)
{
    for (;;) {
        if (in->capacity - in->size < READ_CHUNK_BYTES) {
            size_t capacity = in->capacity > 0 ? 2 * in->capacity : 2 * READ_CHUNK_BYTES;
            uint8_t *buf = realloc(in->buf, capacity);
            if (buf == NULL) {
                inbound_close(s, in);
                return;
            }
            in->buf = buf;
            in->capacity = capacity;
        }
        ssize_t n = recv(in->fd, in->buf + in->size, in->capacity - in->size, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            inbound_close(s, in);
            return;
        }
        if (n < 0) {
            return;
        }
        in->size += (size_t)n;
        size_t at = 0;
        while (in->size - at >= FRAME_HEADER_BYTES) {
            const uint8_t *h = in->buf + at;
            size_t size =
                (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
            if (size > RAFT_MSG_BYTES_MAX) {
                say(s, "a peer sent a frame of %zu bytes: connection closed", size);
                inbound_close(s, in);
                return;
            }
            if (in->size - at - FRAME_HEADER_BYTES < size) {
                break;
            }
            struct raft_msg m;
            raft_status st = raft_msg_decode(h + FRAME_HEADER_BYTES, size, &m, s->decoded,
                                             RAFT_APPEND_ENTRIES_MAX);
            if (st == RAFT_OK && m.to == s->config->id) {
                st = raft_step(s->raft, &m);
            }
            if (st == RAFT_BAD_MESSAGE) {
                say(s, "a peer sent a malformed message: connection closed");
                inbound_close(s, in);
                return;
            }
            at += FRAME_HEADER_BYTES + size;
        }
        memmove(in->buf, in->buf + at, in->size - at);
        in->size -= at;
    }
}

static void
inbound_accept(struct server *s)
{
    for (;;) {
        int fd = accept4(s->peer_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        if (fd >= (int)CLIENTS_MAX) {
            close(fd);
            continue;
        }
        struct inbound *in = &s->inbound[fd];
        memset(in, 0, sizeof(*in));
        in->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN,
                                 .data.u64 = (uint64_t)UINT32_MAX << 32 | (uint32_t)fd};
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            inbound_close(s, in);
        }
    }
}

/* ---- The node's readies --------------------------------------------------------------------- */

static void
fail(struct server *s, const char *what, const char *why)
{
    say(s, "%s: %s; stopping (this node's state may now be behind the others')", what, why);
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
        say(s, "snapshot not taken: %s", kv_strerror(st));
        return;
    }
    raft_status rs = raft_compact(s->raft, applied, data, size);
    free(data);
    if (rs != RAFT_OK) {
        say(s, "compaction at %" PRIu64 " refused: %s", applied, raft_strerror(rs));
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
                peer_send(s, &rd.msgs[i]);
            }
        }
        for (uint32_t id = 1; is_early && id <= s->config->node_count; id++) {
            if (id != s->config->id) {
                peer_flush(s, id);
            }
        }
        raft_status st = raft_storage_save(s->storage, &rd);
        if (st != RAFT_OK) {
            fail(s, "saving to the raft directory", raft_strerror(st));
            return;
        }
        for (size_t i = 0; i < rd.msg_count; i++) {
            if (!is_early || rd.msgs[i].type != RAFT_MSG_APPEND) {
                peer_send(s, &rd.msgs[i]);
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
            writes_on_apply(s, e, &res);
        }
        for (size_t i = 0; i < rd.read_count; i++) {
            reads_on_done(s, &rd.reads[i]);
        }
        raft_advance(s->raft, &rd);
        maybe_compact(s);
    }
    if (raft_role(s->raft) != s->shown_role || raft_term(s->raft) != s->shown_term) {
        if (s->shown_role == RAFT_LEADER && raft_role(s->raft) != RAFT_LEADER) {
            writes_fail(s);
        }
        s->shown_role = raft_role(s->raft);
        s->shown_term = raft_term(s->raft);
        if (s->config->is_verbose) {
            say(s, "%s of term %" PRIu64,
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
        say(s, "cannot create %s: %s", raft_dir, strerror(errno));
        return false;
    }
    struct raft_hard_state hs;
    struct raft_snapshot snap;
    const struct raft_entry *entries;
    size_t entry_count;
    raft_status st =
        raft_storage_open(&bc_io_posix, raft_dir, &s->storage, &hs, &snap, &entries, &entry_count);
    if (st != RAFT_OK) {
        say(s, "cannot open %s: %s", raft_dir, raft_strerror(st));
        return false;
    }
    struct raft_config rc = {.id = config->id,
                             .node_count = config->node_count,
                             .election_ticks = config->election_ticks,
                             .heartbeat_ticks = config->heartbeat_ticks,
                             .random_seed = (uint64_t)now_ms() * 2654435761u ^ (uint64_t)getpid()};
    st = raft_create(&rc, &hs, &snap, entries, entry_count, &s->raft);
    if (st != RAFT_OK) {
        say(s, "cannot start the node from %s: %s", raft_dir, raft_strerror(st));
        return false;
    }
    struct bc_options options;
    bc_options_default(&options);
    kv_status ks = kv_open(kv_dir, &options, &s->kv);
    if (ks == KV_OK && snap.index > 0) {
        ks = kv_restore(s->kv, snap.data, snap.size_bytes);
    }
    if (ks != KV_OK) {
        say(s, "cannot open the state machine in %s: %s", kv_dir, kv_strerror(ks));
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
        say(s, "out of memory");
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
    s->client_listen_fd = listen_on(me->host, me->client_port);
    s->peer_listen_fd = listen_on(me->host, me->peer_port);
    if (s->client_listen_fd < 0 || s->peer_listen_fd < 0) {
        say(s, "cannot listen on %s:%u and :%u: %s", me->host, me->client_port, me->peer_port,
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
        !epoll_watch(s, s->signal_fd, EPOLLIN, EPOLL_CTL_ADD) ||
        !epoll_watch(s, s->timer_fd, EPOLLIN, EPOLL_CTL_ADD) ||
        !epoll_watch(s, s->client_listen_fd, EPOLLIN, EPOLL_CTL_ADD) ||
        !epoll_watch(s, s->peer_listen_fd, EPOLLIN, EPOLL_CTL_ADD)) {
        say(s, "cannot set up the event loop: %s", strerror(errno));
        return false;
    }
    s->shown_term = UINT64_MAX;
    if (config->is_verbose) {
        say(s,
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
        client_close(s, &s->clients[i]);
    }
    for (size_t i = 0; s->inbound != NULL && i < CLIENTS_MAX; i++) {
        if (s->inbound[i].fd >= 0) {
            inbound_close(s, &s->inbound[i]);
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
        uint64_t now = now_ms();
        for (uint32_t id = 1; id <= s->config->node_count; id++) {
            if (id != s->config->id && s->peers[id].fd_out < 0 && now >= s->peers[id].retry_at_ms) {
                peer_connect(s, id);
            }
        }
        int n = epoll_wait(s->epoll_fd, events, EVENTS_MAX, (int)s->config->tick_ms);
        if (n < 0 && errno != EINTR) {
            say(s, "epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t data = events[i].data.u64;
            uint32_t tag = (uint32_t)(data >> 32);
            int fd = (int)(uint32_t)data;
            if (tag == UINT32_MAX) {
                inbound_readable(s, &s->inbound[fd]);
            } else if (tag != 0) {
                peer_event(s, tag, events[i].events);
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
                client_accept(s);
            } else if (fd == s->peer_listen_fd) {
                inbound_accept(s);
            } else if (fd >= 0 && fd < (int)CLIENTS_MAX && s->clients[fd].fd == fd) {
                if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                    client_readable(s, &s->clients[fd]);
                }
            }
        }
        process_readies(s);
        /* Answers may have released held requests; what they propose is saved at once. */
        for (size_t fd = 0; fd < s->client_fd_end; fd++) {
            if (s->clients[fd].fd >= 0 && s->clients[fd].is_held) {
                client_drain(s, &s->clients[fd]);
                if (!s->clients[fd].is_held) {
                    client_readable(s, &s->clients[fd]); /* and what waited in the socket */
                }
            }
        }
        process_readies(s);
        for (uint32_t id = 1; id <= s->config->node_count; id++) {
            if (id != s->config->id) {
                peer_flush(s, id);
            }
        }
        for (size_t fd = 0; fd < s->client_fd_end; fd++) {
            struct client *c = &s->clients[fd];
            if (c->fd >= 0 && (bytes_unsent(&c->out) > 0 || c->is_closing || c->is_held)) {
                client_flush(s, c);
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
