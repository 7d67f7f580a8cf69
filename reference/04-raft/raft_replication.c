/* raft_replication.c -- lab 04 part B: log replication (Raft §5.3) and commitment (§5.4.2).
 * Read raft_handle_append first, the follower's side: the consistency check on prev_index, and
 * the rule that an entry is deleted only when it conflicts. Then raft_handle_append_reply, where
 * the leader learns a follower's log and backs up past a conflict a term at a time. */
#include "raft_internal.h"

#include <string.h>

raft_status
raft_propose(struct raft *r, const void *data, size_t size_bytes, uint64_t *index, uint64_t *term)
{
    if (r->role != RAFT_LEADER) {
        return RAFT_NOT_LEADER;
    }
    if (size_bytes > RAFT_ENTRY_BYTES_MAX) {
        return RAFT_TOO_BIG;
    }
    struct raft_entry e = {
        .term = r->term,
        .index = raft_log_last_index(r) + 1,
        .type = RAFT_ENTRY_COMMAND,
        .size_bytes = (uint32_t)size_bytes,
        .data = data,
    };
    raft_status st = raft_log_append(r, &e);
    if (st != RAFT_OK) {
        return st;
    }
    r->has_unsent_entries = true; /* sent by raft_ready, batched with the proposals after it */
    *index = e.index;
    *term = e.term;
    return RAFT_OK;
}

void
raft_send_append(struct raft *r, uint32_t to)
{
    struct raft_progress *p = &r->progress[to];
    uint64_t last = raft_log_last_index(r);
    assert(p->next_index >= 1);
    assert(p->next_index <= last + 1);
    if (p->next_index <= raft_log_start(r)) {
        raft_send_snapshot(r, to); /* part D: the entries it needs are in the snapshot */
        return;
    }
    uint64_t prev = p->next_index - 1;
    uint64_t count = last - prev;
    if (count > RAFT_APPEND_ENTRIES_MAX) {
        count = RAFT_APPEND_ENTRIES_MAX;
    }
    struct raft_msg m = {
        .type = RAFT_MSG_APPEND,
        .from = r->config.id,
        .to = to,
        .term = r->term,
        .prev_index = prev,
        .prev_term = raft_log_term(r, prev),
        .commit = r->commit_index,
        .entry_count = (uint32_t)count,
    };
    if (!p->is_probing) {
        p->next_index = prev + count + 1; /* pipelined: assume it arrives */
    }
    raft_send(r, &m);
}

/* A pipelining follower's heartbeat: no entries, at the point it acknowledged, so it cannot be
 * refused while appends beyond it are still on their way. */
static void
send_heartbeat(struct raft *r, uint32_t to)
{
    const struct raft_progress *p = &r->progress[to];
    assert(!p->is_probing);
    struct raft_msg m = {
        .type = RAFT_MSG_APPEND,
        .from = r->config.id,
        .to = to,
        .term = r->term,
        .prev_index = p->match_index,
        .prev_term = raft_log_term(r, p->match_index),
        .commit = r->commit_index,
    };
    raft_send(r, &m);
}

/* Sends a pipelining follower its unsent entries, up to RAFT_INFLIGHT_ENTRIES_MAX beyond what
 * it acknowledged. */
static void
send_pipelined(struct raft *r, uint32_t to)
{
    struct raft_progress *p = &r->progress[to];
    uint64_t last = raft_log_last_index(r);
    while (!p->is_probing && p->next_index <= last &&
           p->next_index - 1 - p->match_index < RAFT_INFLIGHT_ENTRIES_MAX) {
        raft_send_append(r, to);
    }
}

void
raft_broadcast_append(struct raft *r, bool is_heartbeat)
{
    assert(r->role == RAFT_LEADER);
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        struct raft_progress *p = &r->progress[id];
        if (id == r->config.id) {
            continue;
        }
        if (!is_heartbeat) {
            send_pipelined(r, id);
            continue;
        }
        if (!p->is_probing && ((!p->is_active && p->next_index - 1 > p->match_index) ||
                               p->match_index < raft_log_start(r))) {
            /* A whole heartbeat without an answer: resend from match. Or what it holds is
             * behind the snapshot, where no heartbeat can point: it needs the snapshot. */
            p->is_probing = true;
            p->next_index = p->match_index + 1;
        }
        p->is_active = false;
        if (p->is_probing) {
            raft_send_append(r, id); /* one try per heartbeat while the guess is unconfirmed */
        } else {
            send_heartbeat(r, id);
        }
    }
}

/* The first index of the run of term-`term` entries that contains index. */
static uint64_t
first_index_of_term(const struct raft *r, uint64_t index)
{
    uint64_t term = raft_log_term(r, index);
    while (index - 1 > raft_log_start(r) && raft_log_term(r, index - 1) == term) {
        index--;
    }
    return index;
}

/* Appends m's entries after prev_index, deleting this node's entries from the first one that
 * conflicts (same index, another term) on (Figure 2, AppendEntries 3-4). An entry already there
 * stays, and so do the entries after the last of m's: m may be an old, delayed append. Returns
 * false when out of memory, with the log a prefix of the leader's still. */
static bool
append_entries(struct raft *r, const struct raft_msg *m)
{
    for (uint32_t i = 0; i < m->entry_count; i++) {
        const struct raft_entry *e = &m->entries[i];
        if (e->index <= raft_log_start(r)) {
            continue; /* in the snapshot: committed, so the leader has it too (§5.4.3) */
        }
        if (e->index <= raft_log_last_index(r)) {
            if (raft_log_term(r, e->index) == e->term) {
                continue;
            }
            raft_log_truncate(r, e->index);
        }
        if (raft_log_append(r, e) != RAFT_OK) {
            return false;
        }
    }
    return true;
}

void
raft_handle_append(struct raft *r, const struct raft_msg *m)
{
    assert(m->term == r->term);
    if (r->role == RAFT_LEADER) {
        return; /* another leader in this term: §5.2 makes it impossible, so a broken peer */
    }
    raft_become_follower(r, m->term, m->from); /* a candidate yields (§5.2); the timer resets */
    struct raft_msg reply = {
        .type = RAFT_MSG_APPEND_REPLY,
        .from = r->config.id,
        .to = m->from,
        .term = r->term,
        .prev_index = m->prev_index,
    };
    uint64_t last = raft_log_last_index(r);
    if (m->prev_index > last) {
        reply.conflict_index = last + 1; /* too short: start from the end of it */
    } else if (m->prev_index >= raft_log_start(r) &&
               raft_log_term(r, m->prev_index) != m->prev_term) {
        /* (Below the snapshot's index, every entry is committed, so it matches.) */
        reply.conflict_term = raft_log_term(r, m->prev_index);
        reply.conflict_index = first_index_of_term(r, m->prev_index);
    } else if (!append_entries(r, m)) {
        return; /* out of memory: as if the append were lost; the leader sends it again */
    } else {
        reply.is_success = true;
        reply.match_index = m->prev_index + m->entry_count;
        /* Figure 2, AppendEntries 5: only as far as this append vouches for. */
        uint64_t commit = m->commit < reply.match_index ? m->commit : reply.match_index;
        if (commit > r->commit_index) {
            r->commit_index = commit;
        }
    }
    raft_send(r, &reply);
}

/* Where to try next after a rejection: past the leader's last entry of the follower's
 * conflicting term if it has that term, else at the follower's first entry of it. */
static uint64_t
backup_index(const struct raft *r, const struct raft_msg *m)
{
    if (m->conflict_term == 0) {
        return m->conflict_index;
    }
    uint64_t index = raft_log_last_index(r);
    while (index > raft_log_start(r) && raft_log_term(r, index) > m->conflict_term) {
        index--;
    }
    return raft_log_term(r, index) == m->conflict_term ? index + 1 : m->conflict_index;
}

void
raft_handle_append_reply(struct raft *r, const struct raft_msg *m)
{
    assert(m->term == r->term);
    if (r->role != RAFT_LEADER) {
        return;
    }
    struct raft_progress *p = &r->progress[m->from];
    uint64_t last = raft_log_last_index(r);
    p->is_active = true;
    if (m->is_success) {
        if (m->match_index > last) {
            return; /* more than this leader sent: a broken peer */
        }
        if (m->match_index > p->match_index) {
            p->match_index = m->match_index;
            raft_maybe_commit(r);
        }
        if (p->next_index <= p->match_index) {
            p->next_index = p->match_index + 1;
        }
        p->is_probing = false;
        send_pipelined(r, m->from);
        return;
    }
    if (p->is_probing && m->prev_index != p->next_index - 1) {
        return; /* answers an older try: the one in flight will answer for itself */
    }
    uint64_t next = backup_index(r, m);
    if (next <= p->match_index) {
        next = p->match_index + 1;
    }
    if (next > last + 1) {
        next = last + 1;
    }
    p->next_index = next;
    p->is_probing = true;
    raft_send_append(r, m->from);
}

void
raft_maybe_commit(struct raft *r)
{
    if (r->role != RAFT_LEADER) {
        return;
    }
    /* The highest match_index that a majority has reached: a candidate value is some node's
     * match_index, held by every node at or past it. At most 7 x 7 comparisons. */
    uint32_t n = r->config.node_count;
    uint64_t index = 0;
    for (uint32_t id = 1; id <= n; id++) {
        uint64_t candidate = r->progress[id].match_index;
        uint32_t holders = 0;
        for (uint32_t other = 1; other <= n; other++) {
            holders += r->progress[other].match_index >= candidate;
        }
        if (holders >= raft_quorum(r) && candidate > index) {
            index = candidate;
        }
    }
    /* §5.4.2: only an entry of the leader's own term commits by counting replicas; earlier
     * ones commit with it (Figure 8 shows why). */
    if (index > r->commit_index && raft_log_term(r, index) == r->term) {
        r->commit_index = index;
    }
}
