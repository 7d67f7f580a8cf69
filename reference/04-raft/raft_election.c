/* raft_election.c -- lab 04 part A: terms and elections (Raft §5.1, §5.2, §5.4.1). Read
 * raft_step_term first: every message passes through it, and it is where a node learns that its
 * term is over. Nothing here writes to disk: a changed term or vote reaches stable storage
 * through raft_ready before any message this node queued after the change is sent. */
#include "raft_internal.h"

#include <string.h>

void
raft_become_follower(struct raft *r, uint64_t term, uint32_t leader)
{
    assert(term >= r->term);
    assert(leader <= r->config.node_count);
    if (term > r->term) {
        r->term = term;
        r->vote = 0; /* a new term: no vote cast in it yet */
    }
    r->role = RAFT_FOLLOWER;
    r->leader = leader;
    raft_reset_election_timer(r);
}

void
raft_become_candidate(struct raft *r)
{
    assert(r->role != RAFT_LEADER);
    r->role = RAFT_CANDIDATE;
    r->term++;
    r->vote = r->config.id; /* §5.2: a candidate votes for itself */
    r->leader = 0;
    memset(r->votes_granted, 0, sizeof(r->votes_granted));
    r->votes_granted[r->config.id] = true;
    raft_reset_election_timer(r); /* a split vote times out again, at a new random moment */
    if (raft_quorum(r) == 1) {
        raft_become_leader(r); /* a cluster of one */
        return;
    }
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        if (id == r->config.id) {
            continue;
        }
        struct raft_msg m = {
            .type = RAFT_MSG_VOTE,
            .from = r->config.id,
            .to = id,
            .term = r->term,
            .last_log_index = raft_log_last_index(r),
            .last_log_term = raft_log_last_term(r),
        };
        raft_send(r, &m);
    }
}

void
raft_become_leader(struct raft *r)
{
    assert(r->role == RAFT_CANDIDATE);
    assert(r->vote == r->config.id);
    r->role = RAFT_LEADER;
    r->leader = r->config.id;
    r->heartbeat_elapsed_ticks = 0;
    uint64_t last = raft_log_last_index(r);
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        /* Figure 2: nextIndex starts just past the leader's log, matchIndex at 0. */
        r->progress[id] = (struct raft_progress){.next_index = last + 1, .is_probing = true};
    }
    r->progress[r->config.id].match_index = r->log.stable_index;
    /* §8: a no-op of the new term, so that earlier terms' entries can commit (§5.4.2) without
     * waiting for a client. Out of memory, the first proposal does the same job later. */
    if (!r->config.is_noop_skipped) {
        struct raft_entry noop = {.term = r->term, .index = last + 1, .type = RAFT_ENTRY_NOOP};
        (void)raft_log_append(r, &noop);
    }
    raft_broadcast_append(r, true); /* §5.2: announce the leadership at once */
}

void
raft_tick_election(struct raft *r)
{
    assert(r->role != RAFT_LEADER);
    r->election_elapsed_ticks++;
    if (r->election_elapsed_ticks >= r->election_timeout_ticks) {
        if (r->config.is_pre_vote) {
            raft_pre_vote_start(r); /* part F: ask first */
        } else {
            raft_become_candidate(r);
        }
    }
}

void
raft_tick_heartbeat(struct raft *r)
{
    assert(r->role == RAFT_LEADER);
    r->heartbeat_elapsed_ticks++;
    if (r->heartbeat_elapsed_ticks >= r->config.heartbeat_ticks) {
        r->heartbeat_elapsed_ticks = 0;
        raft_broadcast_append(r, true);
    }
}

/* Answers a request from an earlier term with this node's term, so its sender steps down. */
static void
refuse_stale(struct raft *r, const struct raft_msg *m)
{
    struct raft_msg reply = {.from = r->config.id, .to = m->from, .term = r->term};
    if (m->type == RAFT_MSG_VOTE) {
        reply.type = RAFT_MSG_VOTE_REPLY;
    } else if (m->type == RAFT_MSG_APPEND) {
        reply.type = RAFT_MSG_APPEND_REPLY;
        reply.prev_index = m->prev_index;
    } else {
        return; /* a reply from an earlier term answers a question no longer asked */
    }
    raft_send(r, &reply);
}

bool
raft_step_term(struct raft *r, const struct raft_msg *m)
{
    if (m->term > r->term) {
        /* §5.1: a higher term in any message or reply ends this node's term. An append can
         * only come from that term's leader. */
        raft_become_follower(r, m->term, m->type == RAFT_MSG_APPEND ? m->from : 0);
        return true;
    }
    if (m->term < r->term) {
        refuse_stale(r, m);
        return false;
    }
    return true;
}

/* §5.4.1: the candidate's log is at least as up-to-date as this node's: a later last term, or
 * the same last term and a log at least as long. */
static bool
is_up_to_date(const struct raft *r, const struct raft_msg *m)
{
    uint64_t last_term = raft_log_last_term(r);
    if (m->last_log_term != last_term) {
        return m->last_log_term > last_term;
    }
    return m->last_log_index >= raft_log_last_index(r);
}

void
raft_handle_vote(struct raft *r, const struct raft_msg *m)
{
    assert(m->term == r->term);
    bool is_granted = (r->vote == 0 || r->vote == m->from) && is_up_to_date(r, m);
    if (is_granted) {
        r->vote = m->from;            /* persisted by raft_ready before the reply below is sent */
        raft_reset_election_timer(r); /* Figure 2: granting a vote defers an election */
    }
    struct raft_msg reply = {
        .type = RAFT_MSG_VOTE_REPLY,
        .from = r->config.id,
        .to = m->from,
        .term = r->term,
        .is_granted = is_granted,
    };
    raft_send(r, &reply);
}

void
raft_handle_vote_reply(struct raft *r, const struct raft_msg *m)
{
    assert(m->term == r->term);
    if (r->role != RAFT_CANDIDATE || !m->is_granted) {
        return;
    }
    r->votes_granted[m->from] = true;
    uint32_t votes = 0;
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        votes += r->votes_granted[id];
    }
    if (votes >= raft_quorum(r)) {
        raft_become_leader(r);
    }
}
