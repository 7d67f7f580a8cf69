/* raft_kv.h -- lab 04, part E: the replicated key-value store's state machine. Every node applies
 * the same committed commands in the same order to its own struct kv, so every node holds the
 * same keys; the data live in a lab 03 Bitcask store, and client sessions (the Raft
 * dissertation, Ongaro 2014, §6.3) make each command take effect exactly once however often a
 * client retries it. Reads need no log entry: a leader confirms it still leads (ReadIndex,
 * raft_read_index in raft.h) and answers from its own state machine with kv_get.
 *
 * Durability is Raft's, not the store's: what a node applied is its snapshot plus its committed
 * log, so the store runs with no sync, and a node starting up empties it and loads its snapshot
 * (kv_restore), then applies the log after it. Read kv_apply first. */
#ifndef KEEL_RAFT_KV_H
#define KEEL_RAFT_KV_H

#include "bitcask.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV_KEY_BYTES_MAX 1024u         /* a key: 1 .. this many bytes (Bitcask's own bound) */
#define KV_VALUE_BYTES_MAX (60u << 10) /* a value: 0 .. this many bytes (fits one entry) */
#define KV_SESSIONS_MAX 1024u          /* client sessions held; past it the least recent goes */
#define KV_COMMAND_HEADER_BYTES 33u    /* kv_command_encode's fixed part, before key and value */
#define KV_SNAPSHOT_MAGIC 0x3153564bu  /* "KVS1" little-endian: a kv_snapshot's first bytes */
#define KV_INTEGER_TEXT_MAX 20u        /* "-9223372036854775808" */

#define KV_STATUS(X)                                                                               \
    X(KV_OK, "ok")                                                                                 \
    X(KV_BAD_COMMAND, "malformed command")                                                         \
    X(KV_BAD_SNAPSHOT, "snapshot that no kv_snapshot wrote")                                       \
    X(KV_OUT_OF_ORDER, "index not the next one to apply")                                          \
    X(KV_STORE, "the Bitcask store failed")                                                        \
    X(KV_NOMEM, "out of memory")                                                                   \
    X(KV_UNIMPLEMENTED, "not implemented yet")

#define KV_STATUS_ENUM(name, text) name,
typedef enum { KV_STATUS(KV_STATUS_ENUM) } kv_status;
#undef KV_STATUS_ENUM

const char *kv_strerror(kv_status status);

enum kv_op {
    KV_OP_REGISTER = 1, /* opens a session: its client id is this command's log index */
    KV_OP_PUT,          /* key = value */
    KV_OP_GET,          /* key's value, through the log (kv_get reads without it) */
    KV_OP_DELETE,       /* removes key */
    KV_OP_INCR,         /* key's value, a decimal int64 (missing: 0), plus delta */
};

/* A client's command: what a raft entry's data holds (kv_command_encode, given). */
struct kv_command {
    uint8_t op;         /* enum kv_op */
    uint64_t client_id; /* the session (0 for KV_OP_REGISTER and for a command without one) */
    uint64_t seq;       /* the client's number for it: 1, 2, ... in order; a retry keeps it */
    int64_t delta;      /* KV_OP_INCR */
    uint32_t key_size_bytes;
    uint32_t value_size_bytes; /* KV_OP_PUT */
    const uint8_t *key;        /* borrowed */
    const uint8_t *value;      /* borrowed */
};

/* How a command ended: what the client is told. */
enum kv_code {
    KV_CODE_OK,              /* done; number and value as the op says */
    KV_CODE_NOT_FOUND,       /* GET or DELETE of a missing key */
    KV_CODE_NOT_AN_INTEGER,  /* INCR of a value that is not a decimal int64 (Redis's rule) */
    KV_CODE_OVERFLOW,        /* INCR past INT64_MAX or below INT64_MIN: nothing changed */
    KV_CODE_SESSION_EXPIRED, /* client_id names no session (never opened, or evicted): nothing
                                changed; the client must register again */
    KV_CODE_STALE,           /* seq below the session's last: a retry of a command whose answer
                                the client already has; nothing changed */
};

/* What applying a command gave. */
struct kv_result {
    uint8_t code;      /* enum kv_code */
    bool is_duplicate; /* seq equals the session's last: the saved result, nothing executed */
    int64_t number;    /* REGISTER: the new client id; INCR: the new value; DELETE: 1 */
    uint32_t value_size_bytes;
    const uint8_t *value; /* GET: the value, borrowed until the next call on the kv */
};

/* ---- Commands on the wire (given) ----------------------------------------------------------- */

/* Bytes kv_command_encode writes: KV_COMMAND_HEADER_BYTES + key + value. */
size_t kv_command_encoded_size(const struct kv_command *cmd);
/* Writes cmd little-endian into buf (caller-provided, kv_command_encoded_size(cmd) bytes): op
 * (1 byte), client_id, seq, delta (8 bytes each), key and value sizes (4 bytes each), then the
 * key and the value: at offsets 0, 1, 9, 17, 25, 29 and 33. */
void kv_command_encode(const struct kv_command *cmd, uint8_t *buf);
/* Reads size_bytes of buf into *cmd, key and value pointing into buf (borrowed while buf lives;
 * NULL when of 0 bytes). Returns KV_OK, or KV_BAD_COMMAND: truncated, trailing bytes, an unknown
 * op, a key of 0 or more than KV_KEY_BYTES_MAX bytes (REGISTER: no key), a value over
 * KV_VALUE_BYTES_MAX or on an op other than PUT, a REGISTER with a client_id, or a command of a
 * session (client_id not 0) numbered seq 0. A REGISTER's seq and the delta of an op other than
 * INCR are not read. */
kv_status kv_command_decode(const uint8_t *buf, size_t size_bytes, struct kv_command *cmd);

/* ---- The state machine (part E) ------------------------------------------------------------ */

/* A kv is failed once a call on it returned KV_STORE (the store failed a read or a write, or ran
 * out of memory): what it holds may now differ from the other nodes' state machines, so kv_apply,
 * kv_get and kv_snapshot return KV_STORE until a kv_restore succeeds, which starts it again from
 * a snapshot. kv_last_error says what failed. One thread at a time. */
struct kv;

/* Opens the state machine on a Bitcask store in dir (created if missing; its own: another
 * handle on it is KV_STORE), with options's io (options NULL, or its io NULL: the real file
 * system; options is copied, its io borrowed: it must outlive the kv) and no sync, and empties
 * it: the node's state comes from its snapshot and log. Files in dir that are not the store's
 * (a store's are LOCK and its .data, .hint and .tmp files) stay. Applied index 0, no sessions. *out
 * is owned: free it with kv_close. Returns KV_OK, KV_STORE (the store would not open, or a file of
 * an old one would not go) or KV_NOMEM (the kv's or the store's memory); *out is untouched on
 * an error. */
kv_status kv_open(const char *dir, const struct bc_options *options, struct kv **out);
/* Closes the store and frees kv (which may be NULL). */
void kv_close(struct kv *kv);

/* Applies the committed entry at index, which must be kv_applied_index(kv) + 1 (else
 * KV_OUT_OF_ORDER, nothing done). A RAFT_ENTRY_NOOP (or an entry of any type but
 * RAFT_ENTRY_COMMAND), or a command that does not decode, is applied as nothing: it moves the
 * applied index, and the result is KV_CODE_OK with number 0 and no value (a malformed command
 * changes no node, on every node alike). A command:
 *   - REGISTER opens a session numbered index (number = index), its last seq 0 and REGISTER's
 *     result saved as its last. When KV_SESSIONS_MAX are open, the one used least recently is
 *     closed first: the one whose last command that ran (REGISTER included; a duplicate or a
 *     stale command does not count) has the lowest index. Indexes are unique, so every node
 *     closes the same one.
 *   - with client_id 0, runs without a session (at most once is then the client's affair);
 *   - else client_id must name an open session (else KV_CODE_SESSION_EXPIRED); seq equal to
 *     the session's last returns that command's saved result with is_duplicate (nothing runs
 *     again); seq below it is KV_CODE_STALE; above it the command runs, and its result (code
 *     and number; a GET's value is not kept, so its duplicate has none) is saved with seq as
 *     the session's last.
 * PUT, DELETE and INCR change the store; GET reads it. INCR reads the value as Redis's
 * string2ll does: an optional '-', then digits with no leading zero ("0" itself, but not "-0"),
 * nothing else, within int64; it writes the new value back as such text. Returns KV_OK (the
 * outcome in *result), KV_OUT_OF_ORDER, or KV_STORE: the applied index stays and the kv is
 * failed; the node must stop. On any return but KV_OK, *result is cleared (KV_CODE_OK, number
 * 0, no value). */
kv_status kv_apply(struct kv *kv, uint64_t index, uint8_t entry_type, const uint8_t *data,
                   size_t size_bytes, struct kv_result *result);
/* The last index applied (or restored from a snapshot). */
uint64_t kv_applied_index(const struct kv *kv);

/* Reads key's value as it is after kv_applied_index: KV_CODE_OK with the value in *result
 * (borrowed until the next call on the kv) or KV_CODE_NOT_FOUND. Returns KV_OK, KV_BAD_COMMAND
 * (a key of 0 or more than KV_KEY_BYTES_MAX bytes) or KV_STORE. For a linearizable read, call
 * it on a leader once the read's index (raft_read_index) is applied. */
kv_status kv_get(struct kv *kv, const void *key, size_t key_size_bytes, struct kv_result *result);

/* The state machine as a snapshot: the applied index, the sessions with their saved results, and
 * every key with its value, in a documented format (the handout's part E) ending in a CRC-32C
 * of what precedes it. Sessions and keys go in a fixed order, so two kvs in the same state
 * write the same bytes. *data is malloc'ed, owned by the caller (on KV_OK only). Returns KV_OK,
 * KV_STORE or KV_NOMEM. Cost: O(k log k) for k keys, and the store read whole. */
kv_status kv_snapshot(struct kv *kv, uint8_t **data, size_t *size_bytes);
/* Replaces the whole state machine by a snapshot kv_snapshot wrote (on any node): the store is
 * emptied and loaded, the sessions replaced, the applied index set to the snapshot's. The whole
 * snapshot is checked before anything changes. Returns KV_OK; KV_BAD_SNAPSHOT (truncated,
 * trailing bytes, a bad magic or checksum, sizes or counts out of bounds, what no kv_snapshot
 * writes: keys or sessions out of order) or KV_NOMEM, and then nothing changed; or KV_STORE,
 * and then the kv is failed (a later kv_restore may succeed). data is only read during the
 * call. */
kv_status kv_restore(struct kv *kv, const uint8_t *data, size_t size_bytes);

/* Keys held (cost O(keys); 0 when a failed kv_restore left no store), and sessions open. */
size_t kv_key_count(const struct kv *kv);
size_t kv_session_count(const struct kv *kv);

/* The message of the last KV_STORE error (the store's own, bc_last_error), "" if none. */
void kv_last_error(struct kv *kv, char out[BC_ERROR_MAX]);

#endif
