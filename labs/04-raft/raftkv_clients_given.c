/* raftkv_clients_given.c -- lab 04 part E, given: keel-raftkv's clients. A request is parsed
 * with lab 01's RESP parser; a write (SET, DEL, INCR, ...) is proposed to the node and answered
 * when its entry applies, a GET waits for ReadIndex and is answered from the kv, and the
 * commands that touch no key go to lab 01's own store. Replies go out in the order the
 * connection sent its requests, and a connection's requests take effect in that order too
 * (struct client). Read rkv_client_drain first. */
#include "raftkv_internal.h"

/* ---- Replies, in order ------------------------------------------------------------------------
 */

struct client *
rkv_client_of(struct server *s, int fd, uint64_t conn_id)
{
    struct client *c = &s->clients[fd];
    return c->fd >= 0 && c->id == conn_id ? c : NULL;
}

/* The reply for request seq of c: out at once if every earlier reply went, else kept. */
void
rkv_client_reply(struct server *s, struct client *c, uint64_t seq, const void *bytes, size_t size)
{
    if (seq != c->replied_seq) {
        if (c->early_count == c->early_capacity) {
            size_t capacity = c->early_capacity > 0 ? 2 * c->early_capacity : 16;
            struct early *early = realloc(c->early, capacity * sizeof(*early));
            if (early == NULL) {
                rkv_client_close(s, c);
                return;
            }
            c->early = early;
            c->early_capacity = capacity;
        }
        char *copy = malloc(size);
        if (copy == NULL) {
            rkv_client_close(s, c);
            return;
        }
        memcpy(copy, bytes, size);
        c->early[c->early_count++] = (struct early){seq, copy, size};
        return;
    }
    if (!rkv_bytes_append(&c->out, bytes, size)) {
        rkv_client_close(s, c);
        return;
    }
    c->replied_seq++;
    for (bool is_moved = true; is_moved;) { /* those that waited for this one */
        is_moved = false;
        for (size_t i = 0; i < c->early_count; i++) {
            if (c->early[i].seq == c->replied_seq) {
                bool ok = rkv_bytes_append(&c->out, c->early[i].bytes, c->early[i].size);
                free(c->early[i].bytes);
                c->early[i] = c->early[--c->early_count];
                if (!ok) {
                    rkv_client_close(s, c);
                    return;
                }
                c->replied_seq++;
                is_moved = true;
                break;
            }
        }
    }
    if (rkv_bytes_unsent(&c->out) > RAFTKV_CLIENT_OUT_BYTES) {
        rkv_client_close(s, c); /* it does not read its replies */
    }
}

/* Replies to a waiting request on a connection that may have closed meanwhile. */
void
rkv_pending_reply(struct server *s, const struct pending *p, const struct resp_buf *reply)
{
    struct client *c = rkv_client_of(s, p->fd, p->conn_id);
    if (c != NULL) {
        if (p->is_read) {
            c->reads_waiting--;
        } else {
            c->writes_waiting--;
        }
        rkv_client_reply(s, c, p->seq, reply->data, reply->size_bytes);
    }
}

/* A redirect to the leader, as Redis Cluster's MOVED (redis-cli -c follows it). */
void
rkv_reply_not_leader(struct server *s, struct resp_buf *out)
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
void
rkv_writes_on_apply(struct server *s, const struct raft_entry *e, const struct kv_result *res)
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
        rkv_pending_reply(s, p, &s->reply);
        s->write_head = (s->write_head + 1) % RAFTKV_PENDING_MAX;
        s->write_count--;
    }
}

/* A node that stops leading cannot tell whether its waiting writes will apply. */
void
rkv_writes_fail(struct server *s)
{
    while (s->write_count > 0) {
        struct pending *p = &s->writes[s->write_head];
        resp_buf_reset(&s->reply);
        resp_buf_error(&s->reply, "ERR leadership changed: the write may or may not apply");
        rkv_pending_reply(s, p, &s->reply);
        s->write_head = (s->write_head + 1) % RAFTKV_PENDING_MAX;
        s->write_count--;
    }
}

void
rkv_reads_on_done(struct server *s, const struct raft_read *rd)
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
            rkv_reply_not_leader(s, &s->reply);
        }
        rkv_pending_reply(s, p, &s->reply);
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
        rkv_reply_not_leader(s, out);
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
            rkv_reply_not_leader(s, out);
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
cmd_status
rkv_client_request(struct server *s, struct client *c, uint64_t seq, const struct resp_request *req,
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
        /* CONFIG, HELLO and CLIENT are lab 01's server's own (CMD_NOT_MINE from cmd_execute):
         * keel-raftkv has no answer of its own for them, so they are unknown here. */
        static const char *const local[] = {"PING", "ECHO", "COMMAND", "SELECT", "QUIT"};
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

void
rkv_client_close(struct server *s, struct client *c)
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

void
rkv_client_flush(struct server *s, struct client *c)
{
    if (c->fd < 0) {
        return;
    }
    if (!rkv_bytes_flush(&c->out, c->fd)) {
        rkv_client_close(s, c);
        return;
    }
    if (c->is_closing && rkv_bytes_unsent(&c->out) == 0 && c->early_count == 0 &&
        c->replied_seq == c->next_seq) {
        rkv_client_close(s, c);
        return;
    }
    /* A connection holding a request reads no more until it can start it. */
    rkv_epoll_watch(s, c->fd,
                    (c->is_held ? 0 : EPOLLIN) | (rkv_bytes_unsent(&c->out) > 0 ? EPOLLOUT : 0),
                    EPOLL_CTL_MOD);
}

/* Starts what the connection sent, request by request in order, until one must wait for
 * those before it (struct client) or the bytes run out. */
void
rkv_client_drain(struct server *s, struct client *c)
{
    while (c->fd >= 0 && !c->is_closing) {
        if (!c->is_held) {
            if (rkv_bytes_unsent(&c->in) == 0) {
                return;
            }
            size_t used = 0;
            struct resp_request *req = NULL;
            resp_status st = resp_parse(&c->parser, c->in.data + c->in.sent,
                                        rkv_bytes_unsent(&c->in), &used, &req);
            c->in.sent += used;
            if (st == RESP_NEED_MORE) {
                c->in.sent = c->in.size = 0;
                return;
            }
            if (st != RESP_OK) {
                resp_buf_reset(&s->reply);
                resp_buf_errorf(&s->reply, "ERR %s", resp_parser_error(&c->parser));
                c->is_closing = true;
                rkv_client_reply(s, c, c->next_seq++, s->reply.data, s->reply.size_bytes);
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
        if (rkv_client_request(s, c, seq, c->held, &s->reply) != CMD_OK) {
            c->is_closing = true; /* QUIT, or out of memory */
        }
        if (s->reply.size_bytes > 0) {
            rkv_client_reply(s, c, seq, s->reply.data, s->reply.size_bytes);
        }
    }
}

void
rkv_client_readable(struct server *s, struct client *c)
{
    uint8_t buf[READ_CHUNK_BYTES];
    while (c->fd >= 0 && !c->is_held && !c->is_closing) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            rkv_client_close(s, c);
            return;
        }
        if (n < 0) {
            return;
        }
        if (!rkv_bytes_append(&c->in, buf, (size_t)n)) {
            rkv_client_close(s, c);
            return;
        }
        rkv_client_drain(s, c);
    }
}

void
rkv_client_accept(struct server *s)
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
        if (!rkv_epoll_watch(s, fd, EPOLLIN, EPOLL_CTL_ADD)) {
            rkv_client_close(s, c);
        }
    }
}
