/* raft_storage.c -- lab 04 part C: a node's hard state and log on stable storage. The formats
 * are in raft_storage.h; read them first, then lab 03's bc_io (bitcask.h): every file call goes
 * through it. bc_crc32c (bc_internal.h) is the checksum, and raft_internal.h has little-endian
 * helpers (raft_put_u32, raft_get_u64, ...). Keep in memory where each record starts, so that
 * deleting entries from index i on is one ftruncate. */
#include "raft_storage.h"

#include "bc_internal.h"
#include "raft_internal.h"

#include <stdlib.h>
#include <string.h>

struct raft_storage {
    const struct bc_io *io;
    /* TODO(part C): what else the store keeps: the directory, the log's descriptor, where each
     * record starts, what open read (handed out until the next call), whether a save failed. */
};

raft_status
raft_storage_open(const struct bc_io *io, const char *dir, struct raft_storage **out,
                  struct raft_hard_state *hard_state, struct raft_snapshot *snapshot,
                  const struct raft_entry **entries, size_t *entry_count)
{
    /* TODO(part C): remove a "state.tmp" a crash left; read "state" (missing: term 0, no vote);
     * open or create "log" and make its name durable; read its records up to the first torn or
     * bad one and cut the file there; check the intact ones are in order. */
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
     * every later save. */
    (void)s;
    (void)rd;
    return RAFT_UNIMPLEMENTED;
}

void
raft_storage_close(struct raft_storage *s)
{
    /* TODO(part C): close the log and free what the store holds. */
    free(s);
}
