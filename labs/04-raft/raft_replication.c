/* raft_replication.c -- lab 04 part B: log replication (Raft §5.3) and commitment (§5.4.2).
 * Part A needs two pieces of it first: raft_broadcast_append's heartbeats, and
 * raft_handle_append accepting the leader of its term. Then, for part B, the follower's side
 * (the consistency check on prev_index; an entry is deleted only when it conflicts), and the
 * leader's (raft_handle_append_reply: back up past a conflict a term at a time). */
#include "raft_internal.h"

#include <stdlib.h>
#include <string.h>

raft_status
raft_propose(struct raft *r, const void *data, size_t size_bytes, uint64_t *index, uint64_t *term)
{
    /* TODO(part B): a leader appends a RAFT_ENTRY_COMMAND of its term and marks it unsent
     * (r->has_unsent_entries: raft_ready sends it, batched with the proposals after it). */
    (void)r;
    (void)data;
    (void)size_bytes;
    (void)index;
    (void)term;
    return RAFT_UNIMPLEMENTED;
}

void
raft_send_append(struct raft *r, uint32_t to)
{
    /* TODO(part B): an append to `to` with the entries from its next_index (at most
     * RAFT_APPEND_ENTRIES_MAX), prev_index and prev_term just before them, and the leader's
     * commit. While the follower pipelines, move its next_index past what you sent. */
    (void)r;
    (void)to;
}

void
raft_broadcast_append(struct raft *r, bool is_heartbeat)
{
    /* TODO(part A): a heartbeat: an append to every follower. A heartbeat must not be refused
     * by a follower whose log is fine; in part A every log is empty but for no-ops.
     * TODO(part B): new entries (is_heartbeat false) go to every pipelining follower, within
     * RAFT_INFLIGHT_ENTRIES_MAX; a heartbeat probes a follower that is not pipelining, and
     * notices a pipeline that has been silent for a whole heartbeat (is_active). */
    (void)r;
    (void)is_heartbeat;
}

void
raft_handle_append(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part A): an append of this term comes from its leader: a candidate gives up (§5.2),
     * and a follower restarts its election timer and remembers who leads. Reply.
     * TODO(part B): Figure 2, AppendEntries 2-5: refuse when the log does not hold prev_index
     * with prev_term (with the conflict hint of raft.h); else append what is new, deleting
     * entries only from the first conflict on, and move the commit index no further than
     * this append vouches for. */
    (void)r;
    (void)m;
}

void
raft_handle_append_reply(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part B): a success moves the follower's match_index (and maybe the commit index)
     * and lets it pipeline; a refusal moves next_index back by the hint and probes again. A
     * reply to an older try than the one in flight tells you nothing new. */
    (void)r;
    (void)m;
}

void
raft_maybe_commit(struct raft *r)
{
    /* TODO(part B): §5.4.2: the highest index a majority has (the leader's own match_index
     * counts), if its entry is of the leader's term. */
    (void)r;
}
