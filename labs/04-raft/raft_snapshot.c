/* raft_snapshot.c -- lab 04 part D: InstallSnapshot (Raft §7, Figure 13), sent in chunks of at
 * most RAFT_SNAPSHOT_CHUNK_BYTES, one at a time. Start with raft_handle_snapshot, the follower's
 * side; then the leader's (raft_send_snapshot, raft_handle_snapshot_reply); then teach part B's
 * code about a log that starts after a snapshot (the README's part D lists where). */
#include "raft_internal.h"

void
raft_send_snapshot(struct raft *r, uint32_t to)
{
    /* TODO(part D): the chunk of r->snapshot at `to`'s snapshot_offset: prev_index and
     * prev_term name the snapshot, is_done marks its last chunk. Leave the data to raft_ready
     * (raft_send takes a chunk by its offset and size). The follower gets nothing else until
     * it answers. */
    (void)r;
    (void)to;
}

void
raft_handle_snapshot(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part D): a chunk from the leader of this term. A snapshot that stands for no more
     * than this node knows committed is acknowledged, never installed. Chunks are taken in
     * order only (r->incoming, raft_incoming_start and raft_incoming_append); any other is
     * answered with where to go on from. On the last chunk, install it (Figure 13, 6-8: keep
     * the entries after it only if the log agrees at its index), and the state machine
     * restores it and applies only what follows. Reply to every chunk. */
    (void)r;
    (void)m;
}

void
raft_handle_snapshot_reply(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part D): on a leader, a follower that holds the snapshot goes on from past it like
     * one that acknowledged an append; one that holds part of it gets the next chunk. */
    (void)r;
    (void)m;
}
