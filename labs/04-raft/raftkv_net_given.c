/* raftkv_net_given.c -- lab 04 part E, given: keel-raftkv's byte queues and sockets, and the
 * peers: each node opens one connection to every other to send it messages (reconnecting every
 * RECONNECT_MS while it is down) and reads the ones the others open to it; a message travels as
 * a 4-byte little-endian length, then raft_msg_encode's bytes. A frame too long or a message
 * that does not decode ends that connection: bytes from a broken peer are never trusted. */
#include "raftkv_internal.h"

bool
rkv_bytes_append(struct bytes *b, const void *p, size_t n)
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

size_t
rkv_bytes_unsent(const struct bytes *b)
{
    return b->size - b->sent;
}

/* Writes what it can; false when the socket failed. */
bool
rkv_bytes_flush(struct bytes *b, int fd)
{
    while (rkv_bytes_unsent(b) > 0) {
        ssize_t n = send(fd, b->data + b->sent, rkv_bytes_unsent(b), MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        }
        b->sent += (size_t)n;
    }
    b->sent = b->size = 0;
    return true;
}

uint64_t
rkv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
rkv_say(const struct server *s, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "keel-raftkv[%u]: ", s->config->id);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool
rkv_epoll_watch(struct server *s, int fd, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint32_t)fd}; /* tag 0: see loop_run */
    return epoll_ctl(s->epoll_fd, op, fd, &ev) == 0;
}

int
rkv_listen_on(const char *host, uint16_t port)
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

/* ---- Peers ------------------------------------------------------------------------------------
 */

void
rkv_peer_down(struct server *s, uint32_t id)
{
    struct peer *p = &s->peers[id];
    if (p->fd_out >= 0) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, p->fd_out, NULL);
        close(p->fd_out);
    }
    p->fd_out = -1;
    p->is_connecting = false;
    p->out.size = p->out.sent = 0; /* what was queued is lost, as a network loses it */
    p->retry_at_ms = rkv_now_ms() + RECONNECT_MS;
}

void
rkv_peer_connect(struct server *s, uint32_t id)
{
    struct peer *p = &s->peers[id];
    const struct raftkv_node *n = &s->config->nodes[id];
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(n->peer_port)};
    if (inet_pton(AF_INET, n->host, &addr.sin_addr) != 1) {
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        p->retry_at_ms = rkv_now_ms() + RECONNECT_MS;
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        p->retry_at_ms = rkv_now_ms() + RECONNECT_MS;
        return;
    }
    p->fd_out = fd;
    p->is_connecting = true;
    /* The peer index rides in the epoll data's high bits: see loop_run. */
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN,
                             .data.u64 = (uint64_t)id << 32 | (uint32_t)fd};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        rkv_peer_down(s, id);
    }
}

void
rkv_peer_send(struct server *s, const struct raft_msg *m)
{
    struct peer *p = &s->peers[m->to];
    if (p->fd_out < 0) {
        return; /* down: lost, and Raft sends again */
    }
    size_t size = raft_msg_encoded_size(m);
    if (rkv_bytes_unsent(&p->out) + size > RAFTKV_PEER_QUEUE_BYTES) {
        return;
    }
    uint8_t header[FRAME_HEADER_BYTES] = {(uint8_t)size, (uint8_t)(size >> 8),
                                          (uint8_t)(size >> 16), (uint8_t)(size >> 24)};
    raft_msg_encode(m, s->frame);
    if (!rkv_bytes_append(&p->out, header, sizeof(header)) ||
        !rkv_bytes_append(&p->out, s->frame, size)) {
        rkv_peer_down(s, m->to);
    }
}

void
rkv_peer_flush(struct server *s, uint32_t id)
{
    struct peer *p = &s->peers[id];
    if (p->fd_out < 0 || p->is_connecting) {
        return;
    }
    if (!rkv_bytes_flush(&p->out, p->fd_out)) {
        rkv_peer_down(s, id);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (rkv_bytes_unsent(&p->out) > 0 ? EPOLLOUT : 0),
                             .data.u64 = (uint64_t)id << 32 | (uint32_t)p->fd_out};
    epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, p->fd_out, &ev);
}

void
rkv_peer_event(struct server *s, uint32_t id, uint32_t events)
{
    struct peer *p = &s->peers[id];
    if (p->fd_out < 0) {
        return;
    }
    if (p->is_connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(p->fd_out, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            rkv_peer_down(s, id);
            return;
        }
        p->is_connecting = false;
    }
    if (events & (EPOLLERR | EPOLLHUP | EPOLLIN)) {
        uint8_t sink[256]; /* a peer never writes on our connection: this is its close */
        ssize_t n = recv(p->fd_out, sink, sizeof(sink), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            rkv_peer_down(s, id);
            return;
        }
    }
    rkv_peer_flush(s, id);
}

void
rkv_inbound_close(struct server *s, struct inbound *in)
{
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, in->fd, NULL);
    close(in->fd);
    free(in->buf);
    memset(in, 0, sizeof(*in));
    in->fd = -1;
}

/* Frames from a peer: each message goes to the node; a malformed one ends the connection. */
void
rkv_inbound_readable(struct server *s, struct inbound *in)
{
    for (;;) {
        if (in->capacity - in->size < READ_CHUNK_BYTES) {
            size_t capacity = in->capacity > 0 ? 2 * in->capacity : 2 * READ_CHUNK_BYTES;
            uint8_t *buf = realloc(in->buf, capacity);
            if (buf == NULL) {
                rkv_inbound_close(s, in);
                return;
            }
            in->buf = buf;
            in->capacity = capacity;
        }
        ssize_t n = recv(in->fd, in->buf + in->size, in->capacity - in->size, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            rkv_inbound_close(s, in);
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
                rkv_say(s, "a peer sent a frame of %zu bytes: connection closed", size);
                rkv_inbound_close(s, in);
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
                rkv_say(s, "a peer sent a malformed message: connection closed");
                rkv_inbound_close(s, in);
                return;
            }
            at += FRAME_HEADER_BYTES + size;
        }
        memmove(in->buf, in->buf + at, in->size - at);
        in->size -= at;
    }
}

void
rkv_inbound_accept(struct server *s)
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
            rkv_inbound_close(s, in);
        }
    }
}
