/* raft_storage.c -- lab 04 parts C and D: a node's hard state, log and snapshot on stable
 * storage. The formats are in raft_storage.h; read them first, then lab 03's bc_io (bitcask.h):
 * every file call goes through it. bc_crc32c (bc_internal.h) is the checksum, and
 * raft_internal.h has little-endian helpers (raft_put_u32, raft_get_u64, ...). Keep in memory
 * where each record starts, so that deleting entries from index i on is one ftruncate. Part D
 * replaces "snapshot" as part C replaces "state": write that path once, for any file. */
#include "raft_storage.h"

#include "bc_internal.h"
#include "raft_internal.h"

#include <stdlib.h>
#include <string.h>

struct raft_storage {
    const struct bc_io *io;
    /* TODO(part C): what else the store keeps: the directory, the log's descriptor, where each
     * record starts, what open read (handed out until the next call), whether a save failed.
     * TODO(part D): the index the log's first record follows (after a snapshot, no longer 0),
     * and the snapshot open read (handed out until the next call too). */
};

raft_status
raft_storage_open(const struct bc_io *io, const char *dir, struct raft_storage **out,
                  struct raft_hard_state *hard_state, struct raft_snapshot *snapshot,
                  const struct raft_entry **entries, size_t *entry_count)
{
    /* TODO(part C): remove a "state.tmp" a crash left; read "state" (missing: term 0, no vote);
     * open or create "log" and make its name durable; read its records up to the first torn or
     * bad one and cut the file there; check the intact ones are in order.
     * TODO(part D): remove "snapshot.tmp" and "log.tmp" too; read and check "snapshot"
     * (missing: index 0); let the log's first record be anywhere up to the snapshot's index + 1;
     * hand out only the entries after its index, and only when raft_storage.h says they still
     * follow it. Think about what the next save appends to when they do not. */
    (void)io;
    (void)dir;
    (void)out;
    (void)hard_state;
    (void)snapshot;
    (void)entries;
    (void)entry_count;
    return RAFT_UNIMPLEMENTED;
}

raft_status
raft_storage_save(struct raft_storage *s, const struct raft_ready *rd)
{
    /* TODO(part C): the hard state (a new "state" whole: write, sync, rename, sync the
     * directory), then the log (cut at log_from_index, append, sync). After a failure, refuse
     * every later save.
     * TODO(part D): between the two, if rd->has_snapshot: a new "snapshot" whole, as "state";
     * only once it is durable, the log rewritten whole without the records through its index
     * (which records after it stay: raft_storage.h) and put in place the same way. */
    (void)s;
    (void)rd;
    return RAFT_UNIMPLEMENTED;
}

void
raft_storage_close(struct raft_storage *s)
{
    /* TODO(part C): close the log and free what the store holds (part D: the snapshot too). */
    free(s);
}
