/* raft_snapshot.c -- lab 04 part D: InstallSnapshot (Raft §7, Figure 13), sent in chunks. Read
 * raft_handle_snapshot first, the follower's side: chunks are taken only in order, a snapshot
 * older than what the node knows committed is acknowledged but never installed, and installing
 * one moves commit_index and applied_index to it. Then the leader's side: one chunk in flight
 * per follower, the next sent when the last is acknowledged. */
#include "raft_internal.h"

void
raft_send_snapshot(struct raft *r, uint32_t to)
{
    const struct raft_snapshot_buf *s = &r->snapshot;
    struct raft_progress *p = &r->progress[to];
    assert(s->index > 0);
    if (p->snapshot_offset > s->size_bytes) {
        p->snapshot_offset = 0; /* a broken peer acknowledged bytes it cannot have */
    }
    uint64_t left = s->size_bytes - p->snapshot_offset;
    uint32_t size = left < RAFT_SNAPSHOT_CHUNK_BYTES ? (uint32_t)left : RAFT_SNAPSHOT_CHUNK_BYTES;
    struct raft_msg m = {
        .type = RAFT_MSG_SNAPSHOT,
        .from = r->config.id,
        .to = to,
        .term = r->term,
        .prev_index = s->index,
        .prev_term = s->term,
        .offset = p->snapshot_offset,
        .size_bytes = size,
        .is_done = size == left,
    };
    p->is_probing = true; /* one chunk at a time: the next when this one is acknowledged */
    raft_send(r, &m);
}

void
raft_handle_snapshot(struct raft *r, const struct raft_msg *m)
{
    assert(m->term == r->term);
    if (r->role == RAFT_LEADER) {
        return; /* another leader in this term: a broken peer */
    }
    raft_become_follower(r, m->term, m->from);
    struct raft_msg reply = {
        .type = RAFT_MSG_SNAPSHOT_REPLY,
        .from = r->config.id,
        .to = m->from,
        .term = r->term,
        .prev_index = m->prev_index,
    };
    if (m->prev_index <= r->commit_index) {
        /* It holds every entry the snapshot stands for, committed: installing it would take
         * its state machine back. The leader may go on past it. */
        reply.is_success = true;
        reply.match_index = m->prev_index;
        raft_send(r, &reply);
        return;
    }
    struct raft_snapshot_buf *in = &r->incoming;
    bool is_same =
        in->index == m->prev_index && in->term == m->prev_term && in->from_term == m->term;
    if (m->offset == 0 && !is_same) {
        raft_incoming_start(r, m->prev_index, m->prev_term); /* this leader's snapshot */
        is_same = true;
    }
    if (!is_same || m->offset != in->size_bytes) {
        /* Out of order (a chunk lost, late or twice): say where to go on from. */
        reply.offset = is_same ? in->size_bytes : 0;
        raft_send(r, &reply);
        return;
    }
    if (raft_incoming_append(r, m->data, m->size_bytes) != RAFT_OK) {
        return; /* out of memory, or a broken peer's endless snapshot: as if lost */
    }
    reply.offset = in->size_bytes;
    if (m->is_done) {
        /* Figure 13, 6-7: entries after the snapshot stay if the log agrees at its last
         * index; else the log is all discarded (its entries past commit_index may conflict). */
        uint64_t last = raft_log_last_index(r);
        if (m->prev_index > last || raft_log_term(r, m->prev_index) != m->prev_term) {
            raft_log_truncate(r, r->commit_index + 1);
        }
        raft_log_compact(r, m->prev_index, m->prev_term);
        raft_snapshot_install(r);
        /* Figure 13, 8: the state machine restores it, and applies only what follows. */
        r->commit_index = m->prev_index;
        r->applied_index = m->prev_index;
        reply.is_success = true;
        reply.match_index = m->prev_index;
    }
    raft_send(r, &reply);
}

void
raft_handle_snapshot_reply(struct raft *r, const struct raft_msg *m)
{
    assert(m->term == r->term);
    if (r->role != RAFT_LEADER) {
        return;
    }
    struct raft_progress *p = &r->progress[m->from];
    p->is_active = true;
    if (m->is_success) {
        if (m->match_index > raft_log_last_index(r)) {
            return; /* more than this leader has: a broken peer */
        }
        if (m->match_index > p->match_index) {
            /* No commit can follow: the snapshot holds only what this leader committed. */
            p->match_index = m->match_index;
        }
        if (p->next_index <= p->match_index) {
            p->next_index = p->match_index + 1;
        }
        /* (Its snapshot_offset no longer matters: match_index never goes back in a term, and a
         * new snapshot starts every offset over.) */
        raft_send_append(r, m->from); /* probing on from past it */
        return;
    }
    if (m->prev_index != r->snapshot.index || p->next_index > r->snapshot.index ||
        m->offset == p->snapshot_offset) {
        /* About a snapshot this leader no longer sends or this node no longer needs; or an
         * answer to an older chunk, which the one in flight (or the heartbeat) answers for. */
        return;
    }
    p->snapshot_offset = m->offset;
    raft_send_snapshot(r, m->from);
}
