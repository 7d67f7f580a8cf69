/* raft_prevote.c -- lab 04 part F (an extra): PreVote (Ongaro's dissertation §9.6) and
 * CheckQuorum (§6.2). Both are off unless raft_config asks (is_pre_vote, is_check_quorum), so
 * parts A to E never call this file. Read the README's part F first. */
#include "raft_internal.h"

void
raft_pre_vote_start(struct raft *r)
{
    /* TODO(part F): become a pre-candidate (r->is_pre_candidate, r->pre_votes_granted with your
     * own yes, no leader known) and ask every other node for a pre-vote in r->term + 1, with
     * your last entry; your own term stays. Restart the election timer; a cluster of one needs
     * nobody. */
    (void)r;
}

void
raft_handle_pre_vote(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part F): answer yes only to a term above yours, to a log at least as up-to-date, and
     * only if you have not heard a leader within election_ticks (a leader says no). Change
     * nothing: no term, no vote, no timer. */
    (void)r;
    (void)m;
}

void
raft_handle_pre_vote_reply(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part F): count the yeses of this round; with a majority, stand for election. */
    (void)r;
    (void)m;
}

void
raft_tick_check_quorum(struct raft *r)
{
    /* TODO(part F): every election_ticks, step down (keeping the term) unless a majority,
     * yourself included, sent you something since the last check (progress[].is_recent_active,
     * which the given raft_step sets). */
    (void)r;
}
