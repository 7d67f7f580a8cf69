/* raft_kv.c -- lab 04 part E: the replicated key-value store's state machine. raft_kv.h is the
 * contract: read kv_apply's comment first, then the README's part E (sessions, and the snapshot
 * format byte by byte). Keys live in a lab 03 Bitcask store (bitcask.h); sessions in memory.
 * raft_internal.h has little-endian helpers (raft_put_u32, raft_get_u64, ...) and bc_internal.h
 * the CRC-32C (bc_crc32c). Start with kv_open, kv_close and the ops without sessions. */
#include "raft_kv.h"

#include "bc_internal.h"
#include "raft_internal.h"

#include <stdlib.h>
#include <string.h>

struct kv {
    struct bc_db *db;
    uint64_t applied_index;
    /* TODO(part E): what else the state machine keeps: the directory and options (a restore
     * empties the store and opens it again); the sessions, at most KV_SESSIONS_MAX, each with
     * its client id, last seq, saved result and the index of the last command it ran, found by
     * client id in O(1) (a small hash table) and kept in order of use (a list: evicting the
     * least recent is then O(1)); a buffer of KV_VALUE_BYTES_MAX for the values results borrow;
     * whether the store failed, and the last error's message. */
};

kv_status
kv_open(const char *dir, const struct bc_options *options, struct kv **out)
{
    /* TODO(part E): copy the options with sync none (and the real io when there is none);
     * empty dir of a store an earlier run left (bc_internal.h names its files: remove them
     * before bc_open, holding its LOCK, or delete every key after it); bc_open it. Free
     * everything on each failure path. */
    (void)dir;
    (void)options;
    (void)out;
    return KV_UNIMPLEMENTED;
}

void
kv_close(struct kv *kv)
{
    /* TODO(part E): close the store (if one is open) and free what kv holds. */
    free(kv);
}

kv_status
kv_apply(struct kv *kv, uint64_t index, uint8_t entry_type, const uint8_t *data, size_t size_bytes,
         struct kv_result *result)
{
    /* TODO(part E): refuse an index that is not the next; decode a command entry
     * (kv_command_decode, given) and apply it as raft_kv.h says: REGISTER opens a session,
     * evicting the least recently used when KV_SESSIONS_MAX are open; a session's command runs
     * only if its seq is above the last one; a duplicate gets the saved result. A NOOP or a
     * command that does not decode moves the index and nothing else. INCR parses the value as
     * Redis does (no '+', no spaces, no leading zero, "-0" refused) and checks the sum for
     * overflow before it writes. A store error fails the kv. */
    (void)kv;
    (void)index;
    (void)entry_type;
    (void)data;
    (void)size_bytes;
    memset(result, 0, sizeof(*result));
    return KV_UNIMPLEMENTED;
}

uint64_t
kv_applied_index(const struct kv *kv)
{
    return kv->applied_index;
}

kv_status
kv_get(struct kv *kv, const void *key, size_t key_size_bytes, struct kv_result *result)
{
    /* TODO(part E): the key's value from the store, into the buffer the result borrows. */
    (void)kv;
    (void)key;
    (void)key_size_bytes;
    memset(result, 0, sizeof(*result));
    return KV_UNIMPLEMENTED;
}

kv_status
kv_snapshot(struct kv *kv, uint8_t **data, size_t *size_bytes)
{
    /* TODO(part E): the README's format: the header, the sessions by client id, the keys in
     * order with their values, the CRC-32C. bc_fold's callback may not call the store: gather
     * the keys first, sort them, then read each value. */
    (void)kv;
    (void)data;
    (void)size_bytes;
    return KV_UNIMPLEMENTED;
}

kv_status
kv_restore(struct kv *kv, const uint8_t *data, size_t size_bytes)
{
    /* TODO(part E): check the whole snapshot (checksum, magic, every size and count, the order
     * of keys and sessions) before anything changes; build the new sessions aside; only then
     * empty the store, load the keys and swap the sessions in. */
    (void)kv;
    (void)data;
    (void)size_bytes;
    return KV_UNIMPLEMENTED;
}

size_t
kv_key_count(const struct kv *kv)
{
    /* TODO(part E): bc_stats knows. */
    (void)kv;
    return 0;
}

size_t
kv_session_count(const struct kv *kv)
{
    /* TODO(part E) */
    (void)kv;
    return 0;
}

void
kv_last_error(struct kv *kv, char out[BC_ERROR_MAX])
{
    /* TODO(part E): the message saved when the store last failed. */
    (void)kv;
    out[0] = '\0';
}
