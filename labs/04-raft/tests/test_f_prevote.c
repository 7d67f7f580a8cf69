/* test_f_prevote.c -- part F (an extra): PreVote and CheckQuorum. One node message by message
 * (a pre-vote changes no term; who says yes), then clusters: a node cut off for a long time
 * comes back without disturbing the leader, and a leader that hears from no majority steps
 * down. */
#include "node_test.h"

/* Node id of node_count with PreVote and CheckQuorum on, from term `term` with the given log. */
static struct raft *
node_f(uint32_t id, uint32_t node_count, uint64_t term, const uint64_t *terms, size_t count)
{
    struct raft_config config = node_config(id, node_count);
    config.is_pre_vote = true;
    config.is_check_quorum = true;
    return node_create(&config, term, 0, terms, count);
}

/* Ticks r until it sends something, at most its longest timeout; returns how many it sent
 * (their first few in out) and the hard state it persisted meanwhile in *hs. */
static size_t
tick_until_sent(struct raft *r, struct raft_msg *out, size_t out_max, struct raft_hard_state *hs)
{
    for (uint32_t t = 0; t < 2 * CLUSTER_ELECTION_TICKS; t++) {
        raft_tick(r);
        size_t sent = node_drain(r, out, out_max, hs);
        if (sent > 0) {
            return sent;
        }
    }
    fail_msg("a node that heard nothing for %u ticks sent nothing (its timeout is at most %u)",
             2 * CLUSTER_ELECTION_TICKS, 2 * CLUSTER_ELECTION_TICKS - 1);
    return 0;
}

static struct raft_msg
pre_vote_to(struct raft *r, uint32_t from, uint64_t term, uint64_t last_index, uint64_t last_term)
{
    struct raft_msg m = {.type = RAFT_MSG_PRE_VOTE,
                         .from = from,
                         .to = r->config.id,
                         .term = term,
                         .last_log_index = last_index,
                         .last_log_term = last_term};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    struct raft_msg reply = {0};
    size_t sent = node_drain_last(r, &reply);
    if (sent != 1 || reply.type != RAFT_MSG_PRE_VOTE_REPLY || reply.to != from) {
        fail_msg("a pre-vote request got %zu messages back; expected one RAFT_MSG_PRE_VOTE_REPLY",
                 sent);
    }
    return reply;
}

/* Fails unless out holds sent pre-votes for term `term`, one to each node of node_count but
 * `from`. */
static void
expect_pre_votes(const struct raft_msg *out, size_t sent, uint32_t from, uint32_t node_count,
                 uint64_t term)
{
    bool is_asked[RAFT_NODES_MAX + 1] = {false};
    for (size_t i = 0; i < sent; i++) {
        if (out[i].type != RAFT_MSG_PRE_VOTE || out[i].term != term || out[i].to < 1 ||
            out[i].to > node_count || out[i].to == from || is_asked[out[i].to]) {
            fail_msg("node %u's message %zu: type %u to node %u, term %" PRIu64 "; expected one "
                     "RAFT_MSG_PRE_VOTE for term %" PRIu64 " to each other node",
                     from, i, out[i].type, out[i].to, out[i].term, term);
        }
        is_asked[out[i].to] = true;
    }
    if (sent != node_count - 1) {
        fail_msg("node %u of %u sent %zu pre-votes; expected one to each of the %u other nodes "
                 "(node 1 too)",
                 from, node_count, sent, node_count - 1);
    }
}

/* Delivers to r a yes to its pre-vote for term `term` from node `from`. */
static void
pre_vote_yes(struct raft *r, uint32_t from, uint64_t term)
{
    struct raft_msg yes = {.type = RAFT_MSG_PRE_VOTE_REPLY,
                           .from = from,
                           .to = r->config.id,
                           .term = term,
                           .is_granted = true};
    assert_raft_status(raft_step(r, &yes), RAFT_OK);
}

static void
test_f_a_pre_vote_changes_no_term(void **state)
{
    /* Claim: with PreVote, a node whose timeout runs out asks every other node for a pre-vote in
     * its term + 1, with its last entry, and keeps its term and vote: nothing to persist. */
    (void)state;
    static const uint64_t terms[] = {1, 3};
    struct raft *r = node_f(1, 3, 3, terms, 2);
    struct raft_msg out[8];
    struct raft_hard_state hs = {0, 0};
    size_t sent = tick_until_sent(r, out, KH_ARRAY_LEN(out), &hs);
    assert_int_equal(sent, 2);
    for (size_t i = 0; i < sent; i++) {
        if (out[i].type != RAFT_MSG_PRE_VOTE || out[i].term != 4 || out[i].last_log_index != 2 ||
            out[i].last_log_term != 3) {
            fail_msg("message %zu: type %u, term %" PRIu64 ", last entry %" PRIu64 "/%" PRIu64
                     "; expected a RAFT_MSG_PRE_VOTE for term 4 with last entry 2/3",
                     i, out[i].type, out[i].term, out[i].last_log_index, out[i].last_log_term);
        }
    }
    assert_int_equal(raft_term(r), 3);
    assert_int_equal(raft_role(r), RAFT_FOLLOWER);
    assert_int_equal(hs.term, 0); /* no hard state was handed out to persist */
    raft_destroy(r);
}

static void
test_f_pre_votes_are_granted_only_without_a_leader(void **state)
{
    /* Claim: a node says yes to a pre-vote for a later term and an up-to-date log (§5.4.1: a
     * later last term, however short the log; the same last term, a log as long), but no while
     * it has heard a leader within an election timeout, no to a log behind its own, no to a
     * term not above its own; and a pre-vote changes neither its term nor its vote. */
    (void)state;
    static const uint64_t terms[] = {1, 2};
    struct raft *r = node_f(2, 3, 2, terms, 2);
    struct raft_msg reply = pre_vote_to(r, 3, 3, 2, 2);
    assert_true(reply.is_granted);
    assert_int_equal(reply.term, 3);
    assert_int_equal(raft_term(r), 2);
    reply = pre_vote_to(r, 3, 3, 5, 1); /* longer, but of an earlier last term */
    assert_false(reply.is_granted);
    reply = pre_vote_to(r, 3, 3, 1, 3); /* shorter, but of a later last term */
    if (!reply.is_granted) {
        fail_msg("a pre-vote whose last entry 1/3 has a later term than the node's last 2/2 was "
                 "refused; §5.4.1: a later last term is more up-to-date, however short the log");
    }
    reply = pre_vote_to(r, 3, 3, 1, 2); /* the same last term, shorter */
    assert_false(reply.is_granted);
    reply = pre_vote_to(r, 3, 2, 2, 2); /* its own term */
    assert_false(reply.is_granted);
    /* A leader of term 2 is heard: no pre-vote while it may still lead. */
    append_to(r, 2, 2, 2, 0, NULL, 0);
    reply = pre_vote_to(r, 3, 3, 9, 2);
    if (reply.is_granted) {
        fail_msg("a node that had just heard the leader of its term granted a pre-vote: a "
                 "returning node could disrupt a healthy leader");
    }
    assert_int_equal(reply.term, 2);
    struct raft_hard_state hs = {0, 0};
    struct raft_msg sink;
    node_drain(r, &sink, 1, &hs);
    assert_int_equal(hs.term, 0);
    assert_int_equal(raft_term(r), 2);
    raft_destroy(r);
}

static void
test_f_a_majority_of_pre_votes_starts_the_election(void **state)
{
    /* Claim: a pre-candidate with a majority of yeses (itself counted) stands for election in
     * term + 1 and asks for real votes; one yes short, it waits. */
    (void)state;
    struct raft *r = node_f(1, 5, 4, NULL, 0);
    struct raft_msg out[8];
    tick_until_sent(r, out, KH_ARRAY_LEN(out), NULL);
    struct raft_msg yes = {.type = RAFT_MSG_PRE_VOTE_REPLY, .to = 1, .term = 5, .is_granted = true};
    yes.from = 2;
    assert_raft_status(raft_step(r, &yes), RAFT_OK);
    assert_raft_status(raft_step(r, &yes), RAFT_OK); /* the same yes twice is one */
    assert_int_equal(raft_role(r), RAFT_FOLLOWER);
    assert_int_equal(raft_term(r), 4);
    yes.from = 4;
    assert_raft_status(raft_step(r, &yes), RAFT_OK);
    if (raft_role(r) != RAFT_CANDIDATE || raft_term(r) != 5) {
        fail_msg("with 3 of 5 pre-votes the node is a %s of term %" PRIu64 "; expected a "
                 "candidate of term 5",
                 raft_role(r) == RAFT_LEADER ? "leader" : "follower", raft_term(r));
    }
    size_t sent = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    assert_int_equal(sent, 4);
    assert_int_equal(out[0].type, RAFT_MSG_VOTE);
    raft_destroy(r);
}

static void
test_f_an_unanswered_pre_vote_is_asked_again_after_a_timeout(void **state)
{
    /* Claim: a pre-candidate asks every other node (node 1 too), and one without a majority
     * asks them all again only when a new election timeout runs out (at least election_ticks
     * later); only the yeses of the round count: one yes in each of two rounds is not a
     * majority of 5, while two in the second round (the last node's one of them) are. */
    (void)state;
    struct raft *r = node_f(3, 5, 4, NULL, 0);
    struct raft_msg out[8];
    size_t sent = tick_until_sent(r, out, KH_ARRAY_LEN(out), NULL);
    expect_pre_votes(out, sent, 3, 5, 5);
    pre_vote_yes(r, 1, 5);
    for (uint32_t t = 1; t < CLUSTER_ELECTION_TICKS; t++) {
        raft_tick(r);
        sent = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
        if (sent > 0) {
            fail_msg("a pre-candidate sent %zu messages %u ticks after asking for pre-votes; "
                     "expected it to wait a new election timeout (at least %u ticks)",
                     sent, t, CLUSTER_ELECTION_TICKS);
        }
    }
    sent = tick_until_sent(r, out, KH_ARRAY_LEN(out), NULL);
    expect_pre_votes(out, sent, 3, 5, 5);
    pre_vote_yes(r, 2, 5);
    if (raft_role(r) != RAFT_FOLLOWER || raft_term(r) != 4) {
        fail_msg("a yes from node 1 in the first round and from node 2 in the second made node 3 "
                 "of 5 a %s of term %" PRIu64 "; expected a follower of term 4: a round counts "
                 "only its own yeses",
                 raft_role(r) == RAFT_LEADER ? "leader" : "candidate", raft_term(r));
    }
    pre_vote_yes(r, 5, 5);
    if (raft_role(r) != RAFT_CANDIDATE || raft_term(r) != 5) {
        fail_msg("with its own yes and those of nodes 2 and 5 in one round, node 3 of 5 is a %s "
                 "of term %" PRIu64 "; expected a candidate of term 5",
                 raft_role(r) == RAFT_LEADER ? "leader" : "follower", raft_term(r));
    }
    raft_destroy(r);
}

static void
test_f_a_single_node_with_pre_vote_elects_itself(void **state)
{
    /* Claim: a cluster of one with PreVote needs nobody's yes: at its first timeout it leads
     * term + 1. */
    (void)state;
    struct raft *r = node_f(1, 1, 2, NULL, 0);
    for (uint32_t t = 0; t < 2 * CLUSTER_ELECTION_TICKS && raft_role(r) != RAFT_LEADER; t++) {
        raft_tick(r);
        node_drain(r, NULL, 0, NULL);
    }
    if (raft_role(r) != RAFT_LEADER || raft_term(r) != 3) {
        fail_msg("a cluster of one with PreVote is a %s of term %" PRIu64 " after %u ticks; "
                 "expected the leader of term 3 (its timeout is at most %u ticks)",
                 raft_role(r) == RAFT_CANDIDATE ? "candidate" : "follower", raft_term(r),
                 2 * CLUSTER_ELECTION_TICKS, 2 * CLUSTER_ELECTION_TICKS - 1);
    }
    raft_destroy(r);
}

static void
test_f_a_leader_is_heard_for_election_ticks(void **state)
{
    /* Claim: a follower refuses pre-votes election_ticks - 1 ticks after it heard the leader,
     * and grants them election_ticks ticks after (if its own timeout has not run out then);
     * once it asks itself it knows no leader, and grants another's pre-vote at once. */
    (void)state;
    static const uint64_t terms[] = {1, 2};
    struct raft *r = node_f(2, 3, 2, terms, 2);
    for (uint32_t attempt = 0; attempt < 20; attempt++) {
        append_to(r, 2, 2, 2, 0, NULL, 0);
        for (uint32_t t = 1; t < CLUSTER_ELECTION_TICKS; t++) {
            raft_tick(r);
            assert_int_equal(node_drain(r, NULL, 0, NULL), 0);
        }
        struct raft_msg reply = pre_vote_to(r, 3, 3, 2, 2);
        if (reply.is_granted) {
            fail_msg("a follower granted a pre-vote %u ticks after it heard the leader; expected "
                     "a no while it heard one within election_ticks (%u)",
                     CLUSTER_ELECTION_TICKS - 1, CLUSTER_ELECTION_TICKS);
        }
        raft_tick(r);
        if (node_drain(r, NULL, 0, NULL) > 0) {
            continue; /* its own timeout was election_ticks: it asks itself; try a new one */
        }
        reply = pre_vote_to(r, 3, 3, 2, 2);
        if (!reply.is_granted) {
            fail_msg("a follower refused a pre-vote %u ticks after it last heard the leader; "
                     "expected a yes: it heard none within election_ticks (%u)",
                     CLUSTER_ELECTION_TICKS, CLUSTER_ELECTION_TICKS);
        }
        /* Once its own timeout runs out it asks, and knows no leader: another's pre-vote that
         * comes right after gets a yes, though its timer has just restarted. */
        uint32_t ticks = 0;
        for (; ticks < 2 * CLUSTER_ELECTION_TICKS && node_drain(r, NULL, 0, NULL) == 0; ticks++) {
            raft_tick(r);
        }
        reply = pre_vote_to(r, 3, 3, 2, 2);
        if (ticks == 2 * CLUSTER_ELECTION_TICKS || raft_leader(r) != 0 || !reply.is_granted) {
            fail_msg("a follower that asked for pre-votes (after %u more ticks) knows leader %u "
                     "and %s another's; expected it asked within two timeouts, knows no leader "
                     "and grants it",
                     ticks, raft_leader(r), reply.is_granted ? "grants" : "refuses");
        }
        raft_destroy(r);
        return;
    }
    fail_msg("20 election timeouts in a row were exactly election_ticks; expected them drawn "
             "from [%u, %u)",
             CLUSTER_ELECTION_TICKS, 2 * CLUSTER_ELECTION_TICKS);
}

static void
test_f_a_returning_node_does_not_disturb_the_leader(void **state)
{
    /* Claim: with PreVote, a node cut off for 30 election timeouts neither raises its term nor,
     * once back, makes the healthy leader step down: the same leader in the same term, and
     * commands go on committing. */
    (void)state;
    struct cluster c;
    cluster_start_extra(&c, 5, kh_test_seed(), NULL, true, true);
    uint32_t leader = cluster_await_leader(&c, 20u * CLUSTER_ELECTION_TICKS);
    cluster_one(&c, "before", 5, 20u * CLUSTER_ELECTION_TICKS);
    uint64_t term = raft_term(c.nodes[leader].raft);
    uint32_t away = leader % 5 + 1;
    cluster_disconnect(&c, away);
    cluster_run(&c, 30u * CLUSTER_ELECTION_TICKS);
    if (raft_term(c.nodes[away].raft) != term) {
        fail_msg("node %u, cut off for 30 timeouts, is in term %" PRIu64
                 "; the cluster's is %" PRIu64 ": a pre-vote must not raise the term",
                 away, raft_term(c.nodes[away].raft), term);
    }
    cluster_connect(&c, away);
    cluster_run(&c, 10u * CLUSTER_ELECTION_TICKS);
    cluster_one(&c, "after", 5, 20u * CLUSTER_ELECTION_TICKS);
    if (cluster_leader(&c) != leader || raft_term(c.nodes[leader].raft) != term) {
        fail_msg("after node %u came back, node %u leads term %" PRIu64 "; expected node %u still "
                 "leading term %" PRIu64,
                 away, cluster_leader(&c), raft_term(c.nodes[cluster_leader(&c)].raft), leader,
                 term);
    }
    cluster_stop(&c);
}

static void
test_f_a_leader_without_a_majority_steps_down(void **state)
{
    /* Claim: with CheckQuorum, a leader cut off from every other node stops leading within two
     * election timeouts (keeping its term), while one that still hears a majority (2 of 4
     * followers cut off) goes on leading. */
    (void)state;
    struct cluster c;
    cluster_start_extra(&c, 5, kh_test_seed(), NULL, true, true);
    uint32_t leader = cluster_await_leader(&c, 20u * CLUSTER_ELECTION_TICKS);
    uint64_t term = raft_term(c.nodes[leader].raft);
    cluster_disconnect(&c, leader % 5 + 1);
    cluster_disconnect(&c, (leader + 1) % 5 + 1);
    cluster_run(&c, 4u * CLUSTER_ELECTION_TICKS);
    if (raft_role(c.nodes[leader].raft) != RAFT_LEADER || raft_term(c.nodes[leader].raft) != term) {
        fail_msg("a leader that hears 2 of its 4 followers (a majority with itself) stepped down");
    }
    cluster_disconnect(&c, leader);
    cluster_run(&c, 2u * CLUSTER_ELECTION_TICKS);
    if (raft_role(c.nodes[leader].raft) == RAFT_LEADER) {
        fail_msg("a leader cut off from every other node still leads after two election "
                 "timeouts; with CheckQuorum it steps down within one or two");
    }
    assert_int_equal(raft_term(c.nodes[leader].raft), term);
    cluster_stop(&c);
}

/* Ticks leader r through ticks ticks, its messages dropped, failing unless it still leads at
 * each; `why` says what it heard. */
static void
tick_leading(struct raft *r, uint32_t ticks, const char *why)
{
    for (uint32_t t = 1; t <= ticks; t++) {
        raft_tick(r);
        node_drain(r, NULL, 0, NULL);
        if (raft_role(r) != RAFT_LEADER) {
            fail_msg("a leader stepped down at tick %u of %u, %s; expected it to lead on", t, ticks,
                     why);
        }
    }
}

/* Makes r, node 2 of 3, the leader of its term + 1 by node 1's pre-vote and vote, its messages
 * dropped. */
static void
elect_by_node_1(struct raft *r)
{
    uint64_t term = raft_term(r) + 1;
    tick_until_sent(r, NULL, 0, NULL);
    pre_vote_yes(r, 1, term);
    assert_int_equal(raft_role(r), RAFT_CANDIDATE);
    node_drain(r, NULL, 0, NULL);
    struct raft_msg grant = {
        .type = RAFT_MSG_VOTE_REPLY, .from = 1, .to = 2, .term = term, .is_granted = true};
    assert_raft_status(raft_step(r, &grant), RAFT_OK);
    assert_int_equal(raft_role(r), RAFT_LEADER);
    node_drain(r, NULL, 0, NULL);
}

static void
test_f_check_quorum_counts_each_election_timeout(void **state)
{
    /* Claim: with CheckQuorum, leader 2 of 3 that heard node 1 in its first election_ticks
     * (a majority with itself) goes on leading; hearing nobody in the next election_ticks, it
     * steps down at exactly their end, to a follower of the same term that knows no leader. */
    (void)state;
    struct raft *r = node_f(2, 3, 1, NULL, 0);
    elect_by_node_1(r);
    tick_leading(r, 1, "having heard nobody yet");
    reply_to(r, 1, true, 0, 1, 0, 0); /* node 1 holds the leader's no-op */
    tick_leading(r, CLUSTER_ELECTION_TICKS - 1, "having heard node 1 in this election timeout");
    tick_leading(r, CLUSTER_ELECTION_TICKS - 1, "having heard nobody since its last check");
    raft_tick(r);
    node_drain(r, NULL, 0, NULL);
    if (raft_role(r) != RAFT_FOLLOWER || raft_term(r) != 2 || raft_leader(r) != 0) {
        fail_msg("a leader that heard nobody for election_ticks (%u) since its last check is a "
                 "%s of term %" PRIu64 " with leader %u; expected a follower of term 2 that "
                 "knows no leader (0)",
                 CLUSTER_ELECTION_TICKS, raft_role(r) == RAFT_LEADER ? "leader" : "candidate",
                 raft_term(r), raft_leader(r));
    }
    raft_destroy(r);
}

static void
test_f_a_reelected_leader_checks_from_its_election(void **state)
{
    /* Claim: with CheckQuorum, a leader that lost its term to a later one election_ticks - 1
     * ticks into a window and is elected again counts a whole election_ticks from its new
     * election before its first check: it does not step down at its first tick. */
    (void)state;
    struct raft *r = node_f(2, 3, 1, NULL, 0);
    elect_by_node_1(r);
    tick_leading(r, CLUSTER_ELECTION_TICKS - 1, "in its first term");
    struct raft_msg vote = {.type = RAFT_MSG_VOTE, .from = 3, .to = 2, .term = 3};
    assert_raft_status(raft_step(r, &vote), RAFT_OK); /* node 3's later term ends its term */
    node_drain(r, NULL, 0, NULL);
    assert_int_equal(raft_role(r), RAFT_FOLLOWER);
    elect_by_node_1(r);
    assert_int_equal(raft_term(r), 4);
    tick_leading(r, CLUSTER_ELECTION_TICKS - 1, "elected again and not yet checked");
    raft_tick(r);
    node_drain(r, NULL, 0, NULL);
    if (raft_role(r) != RAFT_FOLLOWER || raft_term(r) != 4) {
        fail_msg("a leader that heard nobody in the election_ticks (%u) since its election still "
                 "leads; expected it to step down at their end",
                 CLUSTER_ELECTION_TICKS);
    }
    raft_destroy(r);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f_a_pre_vote_changes_no_term),
        cmocka_unit_test(test_f_pre_votes_are_granted_only_without_a_leader),
        cmocka_unit_test(test_f_a_majority_of_pre_votes_starts_the_election),
        cmocka_unit_test(test_f_an_unanswered_pre_vote_is_asked_again_after_a_timeout),
        cmocka_unit_test(test_f_a_single_node_with_pre_vote_elects_itself),
        cmocka_unit_test(test_f_a_leader_is_heard_for_election_ticks),
        cmocka_unit_test(test_f_a_returning_node_does_not_disturb_the_leader),
        cmocka_unit_test(test_f_a_leader_without_a_majority_steps_down),
        cmocka_unit_test(test_f_check_quorum_counts_each_election_timeout),
        cmocka_unit_test(test_f_a_reelected_leader_checks_from_its_election),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
