/* raftkv_internal.h -- lab 04 part E, given: what the three files of keel-raftkv share (raftkv.h
 * is its interface): the server's state and the functions each file offers the others.
 *   raftkv_given.c          the loop: start, wait for events, carry out the node's readies, stop
 *   raftkv_clients_given.c  clients: RESP requests, writes and reads waiting, replies in order
 *   raftkv_net_given.c      byte queues, sockets, and the peers' framed messages
 * Read struct server first, then raftkv_given.c's loop_run. */
#ifndef KEEL_RAFTKV_INTERNAL_H
#define KEEL_RAFTKV_INTERNAL_H

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
/* ---- raftkv_net_given.c --------------------------------------------------------------------- */

bool rkv_bytes_append(struct bytes *b, const void *p, size_t n);
size_t rkv_bytes_unsent(const struct bytes *b);
bool rkv_bytes_flush(struct bytes *b, int fd);
uint64_t rkv_now_ms(void);
void rkv_say(const struct server *s, const char *format, ...);
bool rkv_epoll_watch(struct server *s, int fd, uint32_t events, int op);
int rkv_listen_on(const char *host, uint16_t port);
void rkv_peer_down(struct server *s, uint32_t id);
void rkv_peer_connect(struct server *s, uint32_t id);
void rkv_peer_send(struct server *s, const struct raft_msg *m);
void rkv_peer_flush(struct server *s, uint32_t id);
void rkv_peer_event(struct server *s, uint32_t id, uint32_t events);
void rkv_inbound_close(struct server *s, struct inbound *in);
void rkv_inbound_readable(struct server *s, struct inbound *in);
void rkv_inbound_accept(struct server *s);

/* ---- raftkv_clients_given.c ----------------------------------------------------------------- */

struct client *rkv_client_of(struct server *s, int fd, uint64_t conn_id);
void rkv_client_reply(struct server *s, struct client *c, uint64_t seq, const void *bytes,
                      size_t size);
void rkv_pending_reply(struct server *s, const struct pending *p, const struct resp_buf *reply);
void rkv_reply_not_leader(struct server *s, struct resp_buf *out);
void rkv_writes_on_apply(struct server *s, const struct raft_entry *e, const struct kv_result *res);
void rkv_writes_fail(struct server *s);
void rkv_reads_on_done(struct server *s, const struct raft_read *rd);
cmd_status rkv_client_request(struct server *s, struct client *c, uint64_t seq,
                              const struct resp_request *req, struct resp_buf *out);
void rkv_client_close(struct server *s, struct client *c);
void rkv_client_flush(struct server *s, struct client *c);
void rkv_client_drain(struct server *s, struct client *c);
void rkv_client_readable(struct server *s, struct client *c);
void rkv_client_accept(struct server *s);

#endif
