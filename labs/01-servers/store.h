/* store.h -- the keyspace of lab 01's server and the Redis commands on it (part B). Read
 * cmd_execute first: it is all a server calls per request. Below it, the keyspace API that
 * commands.c is written against: a dict of keys to string values, a second dict of the keys
 * that have a TTL, lazy expiry on every lookup and active expiry by sampling. The store owns
 * every key and value; replies go into the caller's struct resp_buf. Not thread-safe. */
#ifndef KEEL_STORE_H
#define KEEL_STORE_H

#include "resp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The keyspace: a dict plus expiry. Opaque; defined in store.c. */
struct store;

/* Creates an empty store; seed keys the dicts' hash and feeds the active-expiry sampler, so a
 * seed replays the same samples. NULL on out of memory. Owned: free with store_destroy. */
struct store *store_create(uint64_t seed);
/* Frees s and every key and value in it. s may be NULL. */
void store_destroy(struct store *s);

#define CMD_STATUS_LIST(X)                                                                         \
    X(CMD_OK, "ok: one reply appended (an -ERR reply is a reply too)")                             \
    X(CMD_QUIT, "quit: +OK appended; flush it, then close the connection")                         \
    X(CMD_NOT_MINE, "not mine: nothing appended; the server handles this command (pub/sub)")       \
    X(CMD_NOMEM, "out of memory: the reply may be missing or partial; close the connection")       \
    X(CMD_UNIMPLEMENTED, "not implemented yet")

#define CMD_STATUS_ENUM_ENTRY(name, text) name,
typedef enum { CMD_STATUS_LIST(CMD_STATUS_ENUM_ENTRY) } cmd_status;
#undef CMD_STATUS_ENUM_ENTRY

/* A static text for status ("unknown status" for a value not in the list). */
const char *cmd_strerror(cmd_status status);

/* Executes one request (req->argc >= 1), appending exactly one complete reply to out. Errors the
 * client caused are -ERR replies with Redis 7's texts and return CMD_OK. now_ms is the caller's
 * clock in milliseconds, Unix time (EXPIRE and TTL count from it; tests pass fixed values, so
 * expiry is deterministic); it must not exceed INT64_MAX. req is only read, and only during
 * the call. Not thread-safe: the caller serializes all calls on one store (threaded servers
 * hold one mutex around it).
 *   CMD_OK        one reply appended.
 *   CMD_QUIT      "+OK" was appended; the server closes after flushing it.
 *   CMD_NOT_MINE  nothing appended; the server handles it (SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
 *                 PUNSUBSCRIBE, PUBLISH: pub/sub lives in the server).
 *   CMD_NOMEM     out of memory: the keyspace is consistent, but the reply may be missing or cut
 *                 short, so the server must close the connection.
 * Commands: every row of the catalog (commands.h), the README's table. Those the server
 * answers itself (pub/sub, CLIENT, HELLO, CONFIG, INFO, RESET, PUBSUB) return CMD_NOT_MINE.
 * Cost: O(1) per key named, plus O(value) to copy it (KEYS, FLUSHALL: O(keys)). */
cmd_status cmd_execute(struct store *s, const struct resp_request *req, uint64_t now_ms,
                       struct resp_buf *out);

/* Active expiry, as Redis's activeExpireCycle: draws up to sample_max random keys that have a
 * TTL, deletes those expired at now_ms, and repeats while more than 25% of a sample had
 * expired, for at most rounds_max rounds. Returns how many keys it deleted. The server calls
 * it every 100 ms. Cost O(sample_max * rounds_max). */
size_t store_expire_cycle(struct store *s, uint64_t now_ms, size_t sample_max, size_t rounds_max);

/* One bounded step of incremental rehashing in each dict (at most buckets_max non-empty buckets
 * moved), for a server's idle time. Cost O(buckets_max). */
void store_rehash_step(struct store *s, size_t buckets_max);

/* Keys, expired-but-not-yet-deleted included (as Redis's DBSIZE). Cost O(1). */
size_t store_size(const struct store *s);

/* ---- The keyspace API that commands.c uses --------------------------------------------- */

/* No TTL: a store_value's expire_at_ms when the key lives until deleted. */
#define STORE_EXPIRE_NONE INT64_C(-1)

/* A string value. Allocated with its bytes behind it; capacity_bytes >= size_bytes, and
 * bytes[size_bytes] is '\0' (handy for numbers; values are binary, so use size_bytes). */
struct store_value {
    int64_t expire_at_ms; /* Unix ms after which the key is expired, or STORE_EXPIRE_NONE */
    size_t size_bytes;
    size_t capacity_bytes;
    char bytes[];
};

/* The value of key, or NULL when missing. A key whose expire_at_ms < now_ms is deleted first
 * and reported missing (lazy expiry: Redis's expireIfNeeded). Borrowed: valid until the next
 * call that changes s. Allocates nothing. Cost O(1) expected, plus a rehash step. */
const struct store_value *store_lookup(struct store *s, const void *key, size_t key_size_bytes,
                                       uint64_t now_ms);

/* Sets key to a copy of value[0 .. value_size_bytes). keep_ttl keeps the TTL of a key that
 * exists (SET KEEPTTL, INCR); otherwise any TTL is removed. Reuses the old value's memory
 * when it is large enough, so overwriting allocates nothing. Does not check expiry: look the
 * key up first. Returns CMD_OK or CMD_NOMEM (s unchanged). Cost O(1) + O(value_size_bytes). */
cmd_status store_set(struct store *s, const void *key, size_t key_size_bytes, const void *value,
                     size_t value_size_bytes, bool keep_ttl);

/* Deletes key with its TTL. Returns true if it existed (expired or not: look it up first).
 * Cost O(1) expected. */
bool store_delete(struct store *s, const void *key, size_t key_size_bytes);

/* Gives key, which must exist, the TTL expire_at_ms (>= 0, Unix ms), or removes its TTL with
 * STORE_EXPIRE_NONE. Returns CMD_OK or CMD_NOMEM (s unchanged). Cost O(1) expected. */
cmd_status store_set_expire(struct store *s, const void *key, size_t key_size_bytes,
                            int64_t expire_at_ms);

/* Keys that have a TTL. Cost O(1). */
size_t store_volatile_count(const struct store *s);

/* Deletes every key. Cost O(keys + buckets). */
void store_flush(struct store *s);

/* The keyspace's dict (key -> struct store_value *) and the random state of its sampler, for
 * the given commands that walk or draw keys (SCAN, KEYS, RANDOMKEY in commands_given.c).
 * Borrowed: valid while s lives; a caller changes the dict only through the calls above. */
struct dict;
struct dict *store_keys(struct store *s);
uint64_t *store_rng_state(struct store *s);

/* ---- Storage backends: how a later lab puts the keyspace on disk or behind consensus -------
 * The server keeps the keyspace in a struct store, in memory. A storage backend is a later
 * lab's way to keep it somewhere more durable: lab 03 writes every change through to a Bitcask
 * store (`keel-server --store bitcask:DIR`), lab 04 replicates every write through Raft before
 * applying it (`--store raft:...`). A backend stands in for cmd_execute: the server hands it
 * each request, and it decides when to apply the request to the store (at once, or once the
 * write is durable or committed) and what to reply. A program lists the backends it was built
 * with (struct server_plugins in server.h) and --store picks one by name; with none picked,
 * requests go straight to cmd_execute. Given: students do not change this interface. */
struct store_backend; /* the backend's own state, opaque to the server */
struct store_backend_ops {
    const char *name;  /* what --store NAME:ARGS matches, e.g. "bitcask" */
    const char *usage; /* one line for --help, e.g. "bitcask:DIR[:always|none|interval:MS]" */
    /* Opens the backend with args (the text after "NAME:", never NULL) and loads what it holds
     * into store, which is empty. Returns the backend (owned: free with close_cb), or NULL
     * after printing on stderr why it cannot open. now_ms as for cmd_execute. */
    struct store_backend *(*open_cb)(const char *args, struct store *store, uint64_t now_ms);
    /* Executes req on store with cmd_execute's contract (one reply appended to out, the same
     * statuses), and keeps the backend's promise for it: a write is durable, or replicated,
     * before its reply is appended. The server serializes calls as it does cmd_execute's. */
    cmd_status (*execute_cb)(struct store_backend *backend, struct store *store,
                             const struct resp_request *req, uint64_t now_ms, struct resp_buf *out);
    /* Flushes and frees the backend. backend may be NULL. */
    void (*close_cb)(struct store_backend *backend);
};

#endif
