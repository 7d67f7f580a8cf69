/* raft_prevote.c -- lab 04 part F (an extra), reference: PreVote (Ongaro's dissertation §9.6)
 * and CheckQuorum (§6.2). A node cut off from the others times out again and again; plain Raft
 * has it stand for election each time, so it comes back with a term far above the leader's and
 * forces an election nobody needed. With PreVote it first asks whether it could win, changing
 * nothing; the others say no while they hear a leader. CheckQuorum is the leader's half: one
 * that hears from no majority for an election timeout steps down, so that clients go elsewhere
 * and a node following it learns it is gone. */
#include "raft_internal.h"

#include <string.h>

void
raft_pre_vote_start(struct raft *r)
{
    r->is_pre_candidate = true;
    r->leader = 0; /* it has heard none for a timeout: others' pre-votes get a yes too */
    memset(r->pre_votes_granted, 0, sizeof(r->pre_votes_granted));
    r->pre_votes_granted[r->config.id] = true;
    raft_reset_election_timer(r); /* no majority in time: ask again, at a new random moment */
    if (raft_quorum(r) == 1) {
        r->is_pre_candidate = false;
        raft_become_candidate(r);
        return;
    }
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        if (id == r->config.id) {
            continue;
        }
        struct raft_msg m = {
            .type = RAFT_MSG_PRE_VOTE,
            .from = r->config.id,
            .to = id,
            .term = r->term + 1, /* the term it would stand in; its own stays */
            .last_log_index = raft_log_last_index(r),
            .last_log_term = raft_log_last_term(r),
        };
        raft_send(r, &m);
    }
}

/* §5.4.1's test, as raft_handle_vote makes it. */
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
raft_handle_pre_vote(struct raft *r, const struct raft_msg *m)
{
    /* Yes only for a later term than this node's, to a log at least as up-to-date, and only if
     * this node has not heard a leader within the shortest election timeout (a leader, too,
     * says no): while one is heard, nobody needs an election. Nothing changes here. */
    bool is_leader_heard = r->role == RAFT_LEADER ||
                           (r->leader != 0 && r->election_elapsed_ticks < r->config.election_ticks);
    bool is_granted = m->term > r->term && is_up_to_date(r, m) && !is_leader_heard;
    struct raft_msg reply = {
        .type = RAFT_MSG_PRE_VOTE_REPLY,
        .from = r->config.id,
        .to = m->from,
        .term = is_granted ? m->term : r->term,
        .is_granted = is_granted,
    };
    raft_send(r, &reply);
}

void
raft_handle_pre_vote_reply(struct raft *r, const struct raft_msg *m)
{
    if (!r->is_pre_candidate || !m->is_granted || m->term != r->term + 1) {
        return; /* not asking, a no, or an answer to an earlier round */
    }
    r->pre_votes_granted[m->from] = true;
    uint32_t granted = 0;
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        granted += r->pre_votes_granted[id];
    }
    if (granted >= raft_quorum(r)) {
        r->is_pre_candidate = false;
        raft_become_candidate(r); /* now the real election, in term + 1 */
    }
}

void
raft_tick_check_quorum(struct raft *r)
{
    r->quorum_elapsed_ticks++;
    if (r->quorum_elapsed_ticks < r->config.election_ticks) {
        return;
    }
    r->quorum_elapsed_ticks = 0;
    uint32_t active = 1; /* itself */
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        if (id != r->config.id) {
            active += r->progress[id].is_recent_active;
            r->progress[id].is_recent_active = false;
        }
    }
    if (active < raft_quorum(r)) {
        raft_become_follower(r, r->term, 0); /* no majority heard: it may no longer lead */
    }
}
