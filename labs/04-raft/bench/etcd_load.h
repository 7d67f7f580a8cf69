/* etcd_load.h -- bench_etcd's load on etcd, in etcd's own protocol: gRPC (etcdserverpb.KV/Put)
 * over HTTP/2 without TLS (h2c, prior knowledge), written by hand so that the peer is measured
 * through the interface its own clients use, not through its JSON gateway. Closed loop:
 * `connections` sockets, each with one Put in flight, one epoll loop. Only what a client of one
 * server needs is here: the connection preface, SETTINGS and their ACK, PING's ACK, flow
 * control windows opened wide at the start and topped up, HEADERS sent as literal fields (HPACK
 * without indexing or Huffman, RFC 7541 §6.2.2), and responses read frame by frame. A Put
 * counts when its stream ends after a DATA frame holding a gRPC message (a PutResponse); etcd
 * answers an error with trailers only, which counts as an error. */
#ifndef KEEL_BENCH_ETCD_LOAD_H
#define KEEL_BENCH_ETCD_LOAD_H

#include "kh_core.h"
#include "kh_net.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define H2_FRAME_HEADER_BYTES 9u
#define H2_DATA 0u
#define H2_HEADERS 1u
#define H2_RST_STREAM 3u
#define H2_SETTINGS 4u
#define H2_PING 6u
#define H2_GOAWAY 7u
#define H2_WINDOW_UPDATE 8u
#define H2_FLAG_END_STREAM 0x1u
#define H2_FLAG_ACK 0x1u
#define H2_FLAG_END_HEADERS 0x4u
#define H2_WINDOW_MAX 0x7fffffffu
#define ETCD_CONN_BUF_BYTES (256u << 10)

struct etcd_conn {
    int fd;
    uint32_t stream;   /* the stream of the Put in flight, 0 for none */
    bool has_message;  /* its response carried a gRPC message */
    uint64_t sent_ns;  /* when it was sent */
    uint64_t received; /* DATA bytes since the last connection window update */
    uint8_t in[ETCD_CONN_BUF_BYTES];
    size_t in_size;
    uint8_t out[ETCD_CONN_BUF_BYTES];
    size_t out_size;
};

struct etcd_load_result {
    uint64_t requests, errors;
    double ops_per_s, latency_us_p50, latency_us_p99;
    char message[160];
};

static inline void
h2_frame_header(uint8_t *p, uint32_t length, uint8_t type, uint8_t flags, uint32_t stream)
{
    p[0] = (uint8_t)(length >> 16);
    p[1] = (uint8_t)(length >> 8);
    p[2] = (uint8_t)length;
    p[3] = type;
    p[4] = flags;
    p[5] = (uint8_t)(stream >> 24);
    p[6] = (uint8_t)(stream >> 16);
    p[7] = (uint8_t)(stream >> 8);
    p[8] = (uint8_t)stream;
}

static inline bool
etcd_out(struct etcd_conn *c, const void *bytes, size_t size)
{
    if (c->out_size + size > sizeof(c->out)) {
        return false;
    }
    if (size > 0) {
        memcpy(c->out + c->out_size, bytes, size);
    }
    c->out_size += size;
    return true;
}

static inline void
etcd_frame(struct etcd_conn *c, uint8_t type, uint8_t flags, uint32_t stream, const void *payload,
           uint32_t length)
{
    uint8_t header[H2_FRAME_HEADER_BYTES];
    h2_frame_header(header, length, type, flags, stream);
    etcd_out(c, header, sizeof(header));
    etcd_out(c, payload, length);
}

static inline void
etcd_window_update(struct etcd_conn *c, uint32_t stream, uint32_t increment)
{
    uint8_t p[4] = {(uint8_t)(increment >> 24), (uint8_t)(increment >> 16),
                    (uint8_t)(increment >> 8), (uint8_t)increment};
    etcd_frame(c, H2_WINDOW_UPDATE, 0, stream, p, sizeof(p));
}

/* An HPACK literal header field without indexing, new name (RFC 7541 §6.2.2); both strings
 * shorter than 127 bytes, so each length fits the 7-bit prefix. */
static inline size_t
hpack_literal(uint8_t *p, const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value), at = 0;
    p[at++] = 0x00;
    p[at++] = (uint8_t)n;
    memcpy(p + at, name, n);
    at += n;
    p[at++] = (uint8_t)v;
    memcpy(p + at, value, v);
    return at + v;
}

static inline size_t
proto_bytes_field(uint8_t *p, uint8_t tag, const void *bytes, size_t size)
{
    size_t at = 0;
    p[at++] = tag;
    for (size_t v = size;; v >>= 7) { /* a varint length */
        p[at++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) {
            break;
        }
    }
    memcpy(p + at, bytes, size);
    return at + size;
}

/* Queues a Put of key = value on a new stream of c. */
static inline void
etcd_put(struct etcd_conn *c, const char *authority, const char *key, const uint8_t *value,
         size_t value_size)
{
    uint8_t headers[512];
    size_t h = 0;
    h += hpack_literal(headers + h, ":method", "POST");
    h += hpack_literal(headers + h, ":scheme", "http");
    h += hpack_literal(headers + h, ":path", "/etcdserverpb.KV/Put");
    h += hpack_literal(headers + h, ":authority", authority);
    h += hpack_literal(headers + h, "content-type", "application/grpc");
    h += hpack_literal(headers + h, "te", "trailers");
    c->stream = c->stream == 0 ? 1 : c->stream + 2;
    etcd_frame(c, H2_HEADERS, H2_FLAG_END_HEADERS, c->stream, headers, (uint32_t)h);
    uint8_t message[5 + 2 * 8 + 256 + 4096];
    size_t m = 5;
    m += proto_bytes_field(message + m, 0x0a, key, strlen(key));  /* PutRequest.key = 1 */
    m += proto_bytes_field(message + m, 0x12, value, value_size); /* PutRequest.value = 2 */
    uint32_t length = (uint32_t)(m - 5);
    message[0] = 0; /* not compressed */
    message[1] = (uint8_t)(length >> 24);
    message[2] = (uint8_t)(length >> 16);
    message[3] = (uint8_t)(length >> 8);
    message[4] = (uint8_t)length;
    etcd_frame(c, H2_DATA, H2_FLAG_END_STREAM, c->stream, message, (uint32_t)m);
    c->has_message = false;
    c->sent_ns = kh_clock_now_ns();
}

static inline bool
etcd_flush(struct etcd_conn *c)
{
    size_t at = 0;
    while (at < c->out_size) {
        ssize_t n = send(c->fd, c->out + at, c->out_size - at, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            return false;
        }
        at += (size_t)n;
    }
    memmove(c->out, c->out + at, c->out_size - at);
    c->out_size -= at;
    return true;
}

/* Reads the frames that arrived. Returns 1 when the Put in flight ended (*ok: with a
 * PutResponse), 0 when it goes on, -1 when the connection failed. */
static inline int
etcd_read(struct etcd_conn *c, bool *ok, char *message, size_t message_size)
{
    ssize_t n = recv(c->fd, c->in + c->in_size, sizeof(c->in) - c->in_size, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        snprintf(message, message_size, "etcd closed the connection");
        return -1;
    }
    c->in_size += n > 0 ? (size_t)n : 0;
    int done = 0;
    size_t at = 0;
    while (c->in_size - at >= H2_FRAME_HEADER_BYTES) {
        const uint8_t *f = c->in + at;
        uint32_t length = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];
        uint8_t type = f[3], flags = f[4];
        uint32_t stream =
            ((uint32_t)f[5] << 24 | (uint32_t)f[6] << 16 | (uint32_t)f[7] << 8 | f[8]) &
            H2_WINDOW_MAX;
        if (length > sizeof(c->in) - H2_FRAME_HEADER_BYTES) {
            snprintf(message, message_size, "a frame of %u bytes", length);
            return -1;
        }
        if (c->in_size - at < H2_FRAME_HEADER_BYTES + length) {
            break;
        }
        const uint8_t *payload = f + H2_FRAME_HEADER_BYTES;
        if (type == H2_SETTINGS && !(flags & H2_FLAG_ACK)) {
            etcd_frame(c, H2_SETTINGS, H2_FLAG_ACK, 0, NULL, 0);
        } else if (type == H2_PING && !(flags & H2_FLAG_ACK)) {
            etcd_frame(c, H2_PING, H2_FLAG_ACK, 0, payload, length);
        } else if (type == H2_GOAWAY) {
            snprintf(message, message_size, "etcd sent GOAWAY");
            return -1;
        } else if (type == H2_DATA) {
            c->received += length;
            if (stream == c->stream && length >= 5) {
                c->has_message = true;
            }
        } else if (type == H2_RST_STREAM && stream == c->stream) {
            *ok = false;
            done = 1;
        }
        if ((type == H2_DATA || type == H2_HEADERS) && stream == c->stream &&
            (flags & H2_FLAG_END_STREAM)) {
            *ok = c->has_message;
            done = 1;
        }
        at += H2_FRAME_HEADER_BYTES + length;
    }
    memmove(c->in, c->in + at, c->in_size - at);
    c->in_size -= at;
    if (c->received > (1u << 20)) { /* keep the connection's window open */
        etcd_window_update(c, 0, (uint32_t)c->received);
        c->received = 0;
    }
    return done;
}

/* Puts of value_bytes values on key_count keys through `connections` connections to etcd at
 * 127.0.0.1:port, for warmup_ms and then duration_ms (measured). Returns 0, or -1 with why in
 * result->message. */
static inline int
etcd_load_run(uint16_t port, unsigned connections, uint64_t key_count, size_t value_bytes,
              uint64_t warmup_ms, uint64_t duration_ms, uint64_t seed,
              struct etcd_load_result *result)
{
    memset(result, 0, sizeof(*result));
    if (connections == 0 || connections > 1024 || value_bytes > 4096) {
        snprintf(result->message, sizeof(result->message), "bad options");
        return -1;
    }
    struct etcd_conn *conns = calloc(connections, sizeof(*conns));
    struct kh_hist *hist = malloc(sizeof(*hist));
    uint8_t *value = malloc(value_bytes);
    int epoll_fd = epoll_create1(0);
    if (conns == NULL || hist == NULL || value == NULL || epoll_fd < 0) {
        free(conns);
        free(hist);
        free(value);
        snprintf(result->message, sizeof(result->message), "out of memory");
        return -1;
    }
    kh_hist_init(hist);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    kh_rng_fill(&rng, value, value_bytes);
    char authority[32];
    snprintf(authority, sizeof(authority), "127.0.0.1:%u", port);
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    int rc = 0;
    for (unsigned i = 0; i < connections; i++) {
        struct etcd_conn *c = &conns[i];
        c->fd = kh_net_connect(port);
        if (c->fd < 0) {
            snprintf(result->message, sizeof(result->message), "cannot connect to etcd: %s",
                     strerror(errno));
            rc = -1;
            connections = i;
            break;
        }
        /* Streams may receive 2^31 - 1 bytes before an update; the connection is opened as
         * wide, then topped up as responses arrive. */
        uint8_t settings[6] = {0x00, 0x04, 0x7f, 0xff, 0xff, 0xff}; /* INITIAL_WINDOW_SIZE */
        etcd_out(c, preface, sizeof(preface) - 1);
        etcd_frame(c, H2_SETTINGS, 0, 0, settings, sizeof(settings));
        etcd_window_update(c, 0, H2_WINDOW_MAX - 65535u);
        char key[32];
        snprintf(key, sizeof(key), "key:%012" PRIu64, kh_rng_below(&rng, key_count));
        etcd_put(c, authority, key, value, value_bytes);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        if (!etcd_flush(c) || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            rc = -1;
        }
    }
    uint64_t start = kh_clock_now_ns();
    uint64_t measure_from = start + warmup_ms * 1000000u;
    uint64_t end = measure_from + duration_ms * 1000000u;
    uint64_t last_reply = start;
    struct epoll_event events[256];
    while (rc == 0) {
        uint64_t now = kh_clock_now_ns();
        if (now >= end) {
            break;
        }
        if (now - last_reply > 5000000000ull) {
            snprintf(result->message, sizeof(result->message), "no reply from etcd for 5 s");
            rc = -1;
            break;
        }
        int n = epoll_wait(epoll_fd, events, 256, 50);
        for (int i = 0; i < n && rc == 0; i++) {
            struct etcd_conn *c = &conns[events[i].data.u32];
            bool ok = false;
            int done = etcd_read(c, &ok, result->message, sizeof(result->message));
            if (done < 0) {
                rc = -1;
                break;
            }
            if (done == 1) {
                uint64_t t = kh_clock_now_ns();
                last_reply = t;
                if (t >= measure_from && t < end) {
                    if (ok) {
                        result->requests++;
                        kh_hist_record(hist, (t - c->sent_ns) / 1000u);
                    } else {
                        result->errors++;
                    }
                }
                char key[32];
                snprintf(key, sizeof(key), "key:%012" PRIu64, kh_rng_below(&rng, key_count));
                etcd_put(c, authority, key, value, value_bytes);
            }
            if (!etcd_flush(c)) {
                snprintf(result->message, sizeof(result->message), "etcd connection broke");
                rc = -1;
            }
        }
    }
    if (rc == 0) {
        result->ops_per_s = (double)result->requests / ((double)duration_ms / 1000.0);
        result->latency_us_p50 = (double)kh_hist_percentile(hist, 50.0);
        result->latency_us_p99 = (double)kh_hist_percentile(hist, 99.0);
    }
    for (unsigned i = 0; i < connections; i++) {
        close(conns[i].fd);
    }
    close(epoll_fd);
    free(conns);
    free(hist);
    free(value);
    return rc;
}

#endif
