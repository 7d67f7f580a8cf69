/* raft_election.c -- lab 04 part A: terms and elections (Raft §5.1, §5.2, §5.4.1). Start with
 * raft_step_term: every message passes through it, and it is where a node learns that its term
 * is over. Nothing here writes to disk: change r->term and r->vote, and raft_ready persists them
 * before any message you queue after the change is sent. raft_internal.h lists what the given
 * code offers (raft_send, raft_reset_election_timer, raft_quorum, the log). */
#include "raft_internal.h"

#include <string.h>

void
raft_become_follower(struct raft *r, uint64_t term, uint32_t leader)
{
    /* TODO(part A): become a follower of term (a later term than r->term clears the vote),
     * remember its leader (0 if unknown) and restart the election timer. */
    (void)r;
    (void)term;
    (void)leader;
}

void
raft_become_candidate(struct raft *r)
{
    /* TODO(part A): §5.2 "to begin an election": a new term, a vote for yourself, a fresh
     * timeout, and a RAFT_MSG_VOTE to every other node with your last entry (§5.4.1). A
     * cluster of one needs no one else's vote. */
    (void)r;
}

void
raft_become_leader(struct raft *r)
{
    /* TODO(part A): take the lead: Figure 2's nextIndex and matchIndex for every node (the
     * leader's own match_index is what it has persisted, r->log.stable_index), a no-op entry of
     * the new term (§8; none with config.is_noop_skipped), and an append to every follower at
     * once (raft_broadcast_append). */
    (void)r;
}

void
raft_tick_election(struct raft *r)
{
    /* TODO(part A): count the tick; start an election when the timeout has run out (part F,
     * with config.is_pre_vote: raft_pre_vote_start instead). */
    (void)r;
}

void
raft_tick_heartbeat(struct raft *r)
{
    /* TODO(part A): every heartbeat_ticks, send every follower an append (a heartbeat). */
    (void)r;
}

bool
raft_step_term(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part A): Figure 2, "Rules for Servers", all servers: a later term in any message
     * makes this node a follower of it (an append names its leader). A request (vote or
     * append) from an earlier term gets a refusal carrying this node's term, so that its
     * sender learns it is behind; a reply from an earlier term is ignored. Return whether the
     * message's handler should see it. */
    (void)r;
    (void)m;
    return true;
}

void
raft_handle_vote(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part A): RequestVote (Figure 2): grant at most one vote per term, and only to a
     * candidate whose log is at least as up-to-date as yours (§5.4.1); restart the election
     * timer when you grant. Reply either way. */
    (void)r;
    (void)m;
}

void
raft_handle_vote_reply(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part A): a candidate counts the votes granted to it (once per node); a majority
     * makes it the leader. */
    (void)r;
    (void)m;
}
