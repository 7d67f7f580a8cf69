/* server.h -- lab 01-servers, parts C-E: one RESP server, four concurrency models behind one
 * flag (sequential, thread per connection, thread pool, epoll), pub/sub, and the client state
 * they share. Read struct client and client_feed first: every model moves bytes between a
 * socket and those two; the models differ only in who waits for the socket, and where.
 * Memory: a server owns its clients; a client owns its parser and its output buffer. */
#ifndef KEEL_SERVER_H
#define KEEL_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubsub.h"
#include "resp.h"
#include "store.h"

/* ---- Limits and defaults (each with its source) ---------------------------------------- */

/* Redis's maxclients default (config.c): 10,000 connections. */
#define SERVER_CLIENTS_MAX_DEFAULT 10000u
/* Pool workers: the machine's 2 cores plus room for a worker blocked in write(). */
#define SERVER_THREADS_DEFAULT 4u
/* Pool queue: ready connections waiting for a worker. When it is full the dispatcher stops
 * taking more work (backpressure) instead of growing a queue without bound. */
#define SERVER_QUEUE_SIZE_DEFAULT 1024u
/* One read(): 16 KiB, Redis's PROTO_IOBUF_LEN (server.h). */
#define SERVER_READ_SIZE_BYTES 16384u
/* A client whose unsent replies pass this is disconnected, as Redis does with its pubsub
 * client-output-buffer-limit hard limit of 32 MiB (config.c). */
#define SERVER_OUTPUT_SIZE_BYTES_MAX_DEFAULT ((size_t)32 * 1024 * 1024)
/* Background work (active expiry, idle timeouts) runs every 100 ms: Redis's default hz 10. */
#define SERVER_CRON_INTERVAL_MS 100u
/* Active expiry per cron tick: Redis samples 20 keys a round (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
 */
#define SERVER_EXPIRE_SAMPLE_MAX 20u
#define SERVER_EXPIRE_ROUNDS_MAX 16u
/* Rehash work per cron tick when idle: Redis's incrementallyRehash moves 100 buckets a step. */
#define SERVER_REHASH_BUCKETS_PER_TICK 100u

#define SERVER_MODEL_LIST(X)                                                                       \
    X(SERVER_SEQUENTIAL, "sequential")                                                             \
    X(SERVER_THREADS, "threads")                                                                   \
    X(SERVER_POOL, "pool")                                                                         \
    X(SERVER_EPOLL, "epoll")

#define SERVER_MODEL_ENUM_ENTRY(name, text) name,
enum server_model { SERVER_MODEL_LIST(SERVER_MODEL_ENUM_ENTRY) };
#undef SERVER_MODEL_ENUM_ENTRY

struct server_config {
    enum server_model model;
    uint16_t port;      /* 0: any free port (printed to stderr once bound) */
    size_t clients_max; /* at start-up; server->clients_max is the limit now (CONFIG SET) */
    size_t threads;     /* pool workers */
    size_t queue_size;  /* pool queue capacity */
    /* The pool's queue: NULL for the pool's own (part C); lab 02 part F plugs its ring in here. */
    const struct pool_queue_ops *pool_queue;
    /* 0: never; else a client silent this long is closed. The sequential, threads and epoll
     * models check it; the pool does not (its workers hold no client between events). */
    uint64_t idle_timeout_ms;
    size_t output_size_bytes_max; /* unsent replies a client may pile up before it is closed */
    /* The storage backend requests go through (store.h), or NULL for memory only: lab 03
     * plugs Bitcask in here, lab 04 Raft. Borrowed: the caller opens and closes it. */
    const struct store_backend_ops *backend_ops;
    struct store_backend *backend;
};

/* ---- The pool's queue, as an interface (given) ---------------------------------------------
 * The pool's dispatcher hands ready clients to its workers through a bounded queue. Part C's is
 * yours (a mutex and two condition variables). Lab 02 part F builds another on its lock-free
 * ring, and `keel-server --pool-queue ring` (in lab 02's build) passes it in config.pool_queue:
 * when that is set, server_run_pool must move clients through it instead of its own queue. */
struct client;
struct pool_queue; /* the implementation's own type */
struct pool_queue_ops {
    const char *name;
    /* A queue for at least capacity clients (it may round up), or NULL when out of memory. */
    struct pool_queue *(*create_cb)(size_t capacity);
    void (*push_cb)(struct pool_queue *q, struct client *c); /* waits while the queue is full */
    struct client *(*pop_cb)(struct pool_queue *q);          /* waits while it is empty */
    void (*destroy_cb)(struct pool_queue *q);
};

/* The state every model shares. In the threaded models `lock` serializes every use of store
 * and pubsub (one big lock, as memcached started with); the epoll model has one thread and
 * does not take it. */
struct server {
    struct server_config config;
    int listen_fd;
    uint16_t port;        /* the bound port, also when config.port was 0 */
    struct store *store;  /* borrowed: the caller creates and destroys it */
    struct pubsub pubsub; /* owned */
    pthread_mutex_t lock;
    bool is_locked_model;       /* true for sequential, threads and pool: take `lock` */
    atomic_size_t client_count; /* connected clients, for clients_max */
    /* Further connections get an error and are closed. config.clients_max at start-up; CONFIG
     * SET maxclients lowers or raises it at run time (Redis 7 does both), so no model may size
     * anything by config.clients_max or assume the limit stays put. */
    atomic_size_t clients_max;
    /* Every connected client, for CLIENT LIST and KILL, INFO and PUBSUB (server_given.c):
     * clients_lock guards the list and the links; a client is in it from client_init until
     * client_free, whose fd stays open while it is. */
    pthread_mutex_t clients_lock;
    struct client *clients; /* the newest first */
    atomic_uint_fast64_t next_client_id;
    uint64_t started_ms; /* server_now_ms when it opened, for INFO's uptime */
    /* INFO's counters (relaxed atomics: counted on every model's threads). */
    atomic_uint_fast64_t connections_total;
    atomic_uint_fast64_t connections_rejected;
    atomic_uint_fast64_t commands_total;
    atomic_uint_fast64_t expired_keys_active; /* deleted by the cron's active expiry */
};

/* Called with out_lock held after a publisher appended to c->out from another thread, so the
 * model can get the bytes written (arm EPOLLOUT, wake the client's thread). May be NULL. */
typedef void (*client_wake_cb)(struct client *c);

/* One connection. Which thread may touch which field is written beside it. */
struct client {
    int fd;
    struct server *server;
    struct resp_parser parser; /* only the thread serving this client */
    /* Replies not yet written: out.data[out_sent_bytes .. out.size_bytes). Publishers append
     * here from other threads, so in the threaded models out_lock guards out and is_closing. */
    struct resp_buf out;
    size_t out_sent_bytes;
    pthread_mutex_t out_lock;
    bool is_closing;      /* QUIT, a protocol error or a full output buffer: close once flushed */
    bool is_busy;         /* pool: a worker owns it now (guarded by out_lock) */
    bool is_wake_pending; /* pool: the dispatcher is asked to re-arm it (guarded by out_lock) */
    uint64_t last_active_ms;
    struct pubsub_client sub; /* channels and patterns; the deliver callback appends to out */
    client_wake_cb wake_cb;   /* set by the model */
    int wake_fd;              /* threads model: an eventfd the client's thread polls; else -1 */
    int epoll_fd;             /* pool and epoll: the epoll instance watching fd */
    uint32_t events;          /* epoll: the events registered for fd now */
    /* Given (server_given.c, server_commands_given.c): CLIENT ID, CLIENT SETNAME and the
     * server's list of clients. id and created_ms never change; name and name_size_bytes are
     * written by the client's own commands (under server->lock in the locked models). */
    uint64_t id;
    uint64_t created_ms;
    char *name; /* owned, or NULL: no name */
    size_t name_size_bytes;
    struct client *prev, *next; /* server->clients, under server->clients_lock */
};

/* ---- Given (server_given.c) -------------------------------------------------------------- */

/* Fills config with the defaults above and model. */
void server_config_default(struct server_config *config, enum server_model model);
/* Parses "epoll" etc. Returns 0, or -1 for an unknown name. */
int server_model_parse(const char *name, enum server_model *model);
const char *server_model_name(enum server_model model);
/* Binds 127.0.0.1:config.port (SO_REUSEADDR), listens, and prints "keel-server: <model>
 * listening on 127.0.0.1 port N" to stderr. Returns 0, or -1 with a message on stderr. */
int server_open(struct server *server, const struct server_config *config, struct store *store);
void server_close(struct server *server);
/* Unix time in milliseconds, the clock EXPIRE and TTL count in; it never jumps (it is anchored
 * to the wall clock once, then advanced by the monotonic clock). */
uint64_t server_now_ms(void);
/* Executes one request for client c, its reply appended to c->out: a store command through
 * config.backend when one is plugged in, else cmd_execute on server->store; then, for what the
 * store leaves to the server (CMD_NOT_MINE), the commands that concern connections and the
 * server itself: CLIENT, HELLO, CONFIG, INFO, RESET and PUBSUB (server_commands_given.c). The
 * same contract and statuses as cmd_execute: CMD_NOT_MINE is left only for SUBSCRIBE,
 * UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE and PUBLISH, which are client_execute's (part E).
 * This is what client_execute calls for every command. The caller holds server->lock in the
 * locked models, and c->out_lock. */
cmd_status server_execute(struct client *c, const struct resp_request *req, uint64_t now_ms);
/* The server's own commands (CLIENT, HELLO, CONFIG, INFO, RESET, PUBSUB) for c, as
 * server_execute runs them. CMD_NOT_MINE, appending nothing, for any other command. */
cmd_status server_command_execute(struct client *c, const struct resp_request *req,
                                  uint64_t now_ms);
/* CONFIG GET pattern... and CONFIG SET name value ... for c (server_config_given.c), as
 * server_command_execute runs them; req is a CONFIG request of at least two words. */
cmd_status server_config_execute(struct client *c, const struct resp_request *req);
/* Makes fd non-blocking. Returns 0 or -1 with errno set. */
int server_set_nonblocking(int fd);
/* Accepts one connection; refuses it with Redis's error when clients_max are connected.
 * Returns the fd, or -1 (errno set; EAGAIN on a non-blocking listener with nothing pending). */
int server_accept(struct server *server);
/* The cron every model runs every SERVER_CRON_INTERVAL_MS: active expiry and a rehash step.
 * Takes server->lock itself in the locked models. */
void server_cron(struct server *server);
/* Makes c a fresh client of server on fd, with a deliver callback that appends published
 * messages to c->out and calls c->wake_cb. Returns 0, or -1 on out of memory. */
int client_init(struct client *c, struct server *server, int fd);
/* Unsubscribes c everywhere, frees its parser and buffer, closes fd. In the locked models the
 * caller does not hold server->lock (client_free takes it for the pub/sub part). */
void client_free(struct client *c);
/* Take and release c->out_lock (no-ops in the epoll model, which has one thread). */
void client_lock_out(struct client *c);
void client_unlock_out(struct client *c);
/* True while c->out holds bytes not yet written. */
bool client_has_output(struct client *c);

/* ---- Part C: client processing and the blocking models -------------------------------- */

/* Feeds bytes read from c's socket: parses every complete request, executes it, and appends
 * its reply to c->out. On a protocol error appends "-ERR <message>" and sets is_closing.
 * Takes server->lock around the requests in the locked models. Returns 0, or -1 on out of
 * memory (c is then closing). */
int client_feed(struct client *c, const char *bytes, size_t size_bytes, uint64_t now_ms);
/* Executes one request for c (pub/sub commands, subscribed-mode rules, QUIT, then the store).
 * The caller holds server->lock in the locked models. */
int client_execute(struct client *c, const struct resp_request *request, uint64_t now_ms);
/* Part D: cuts off a client whose unsent replies pass config.output_size_bytes_max (drops
 * them, sets is_closing). The caller holds out_lock. */
void client_enforce_output_limit(struct client *c);
/* Writes what c->out holds. Returns 0 when all of it was written, 1 when the socket would
 * block (non-blocking sockets) with the rest kept, -1 when the peer is gone. */
int client_flush(struct client *c);

/* Each runs until the process is killed; returns -1 only if the model cannot start. */
int server_run_sequential(struct server *server);
int server_run_threads(struct server *server);
int server_run_pool(struct server *server);

/* ---- Part D: the event loop -------------------------------------------------------------- */

int server_run_epoll(struct server *server);

/* ---- The keel-server program, and what later labs plug into it (given, server_main.c) ------
 * Every lab's keel-server is this one program, built with that lab's plugins: lab 01's has
 * none, lab 02's adds its pool queue on the lock-free ring (--pool-queue ring), lab 03's adds
 * the Bitcask storage backend (--store bitcask:DIR), lab 04's a Raft one. A lab's
 * cmd/keel-server.c is a main() that lists its plugins and calls server_main. */
struct server_plugins {
    const struct pool_queue_ops *const *pool_queues; /* --pool-queue NAME picks one by name */
    size_t pool_queue_count;
    const struct store_backend_ops *const *backends; /* --store NAME:ARGS picks one by name */
    size_t backend_count;
};

/* Parses the flags (--help lists them, with the plugins this build has), opens the store and
 * the backend, and runs the chosen model until the process is killed. Returns the process's
 * exit status: 2 for bad flags, 1 when the server cannot start or its model stops. plugins
 * is borrowed and must outlive the call. */
int server_main(int argc, char **argv, const struct server_plugins *plugins);

#endif
