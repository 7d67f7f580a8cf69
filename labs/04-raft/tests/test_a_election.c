/* test_a_election.c -- part A: terms and elections (Raft §5.1, §5.2, §5.4.1). The first tests
 * talk to one node directly, message by message (node_*): the rules, exactly. The rest run
 * whole clusters on the simulated network (cluster.h), where every tick is checked for two
 * leaders in one term and for a vote granted before it was persisted. */
#include "node_test.h"

#define ET CLUSTER_ELECTION_TICKS
#define ELECTION_TICKS_MAX (10u * ET) /* a leader within ten timeouts, or the test fails */

/* ---- One node, message by message ----------------------------------------------------- */

static struct raft_msg
vote_request(uint32_t from, uint32_t to, uint64_t term, uint64_t last_index, uint64_t last_term)
{
    struct raft_msg m = {.type = RAFT_MSG_VOTE,
                         .from = from,
                         .to = to,
                         .term = term,
                         .last_log_index = last_index,
                         .last_log_term = last_term};
    return m;
}

/* Sends a vote request to r and returns whether the (single) reply granted it. */
static bool
ask_vote(struct raft *r, struct raft_msg m, struct raft_hard_state *persisted)
{
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    struct raft_msg out[8];
    size_t count = node_drain(r, out, KH_ARRAY_LEN(out), persisted);
    if (count != 1 || out[0].type != RAFT_MSG_VOTE_REPLY || out[0].to != m.from) {
        fail_msg("a vote request from node %u in term %" PRIu64 " got %zu messages back; "
                 "expected one RAFT_MSG_VOTE_REPLY to node %u",
                 m.from, m.term, count, m.from);
    }
    if (out[0].term != raft_term(r)) {
        fail_msg("the vote reply carries term %" PRIu64 ", the node's term is %" PRIu64,
                 out[0].term, raft_term(r));
    }
    return out[0].is_granted;
}

/* The claim: one vote per term, first come first served, granted again to the same candidate;
 * and the vote is in the hard state of the ready that carries the reply (§5.2). (First, a
 * malformed message is refused and changes nothing: the given code's check.) */
static void
test_a_one_vote_per_term(void **state)
{
    (void)state;
    struct raft *r = node_new(1, 3, 1, 0, NULL, 0);
    /* Bytes no node of this cluster could send are refused, and change nothing. */
    struct raft_msg bad = vote_request(4, 1, 9, 0, 0);
    assert_raft_status(raft_step(r, &bad), RAFT_BAD_MESSAGE);
    bad = vote_request(2, 3, 9, 0, 0);
    assert_raft_status(raft_step(r, &bad), RAFT_BAD_MESSAGE);
    uint8_t wire[128];
    struct raft_msg good = vote_request(2, 1, 2, 0, 0), decoded;
    raft_msg_encode(&good, wire);
    assert_raft_status(raft_msg_decode(wire, raft_msg_encoded_size(&good) - 1, &decoded, NULL, 0),
                       RAFT_BAD_MESSAGE);
    assert_int_equal(raft_term(r), 1);
    assert_false(raft_has_ready(r));
    struct raft_hard_state hs = {0, 0};
    if (!ask_vote(r, vote_request(2, 1, 2, 0, 0), &hs)) {
        fail_msg("node 1 (term 1, no vote, empty log) refused its vote to node 2 in term 2");
    }
    if (hs.term != 2 || hs.vote != 2) {
        fail_msg("the ready with the granted vote persists term %" PRIu64 ", vote %u; expected "
                 "term 2, vote 2: a vote must be on disk before the reply is sent",
                 hs.term, hs.vote);
    }
    if (ask_vote(r, vote_request(3, 1, 2, 5, 1), NULL)) {
        fail_msg("node 1 granted a second vote in term 2 (to node 3, after node 2)");
    }
    if (!ask_vote(r, vote_request(2, 1, 2, 0, 0), NULL)) {
        fail_msg("node 1 refused node 2 a vote it had already given it in term 2 (a retry)");
    }
    struct raft_msg heartbeat = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2};
    assert_raft_status(raft_step(r, &heartbeat), RAFT_OK);
    node_drain(r, NULL, 0, NULL);
    if (raft_leader(r) != 2 || ask_vote(r, vote_request(3, 1, 2, 5, 1), NULL)) {
        fail_msg("after an append from node 2, leader of term 2, node 1 %s: learning the leader "
                 "of its term does not give a node a second vote",
                 raft_leader(r) != 2 ? "does not name it its leader"
                                     : "voted for node 3 in term 2");
    }
    if (!ask_vote(r, vote_request(3, 1, 3, 0, 0), &hs) || hs.vote != 3 || hs.term != 3) {
        fail_msg("in a new term (3) node 1 did not give node 3 its vote, persisted");
    }
    raft_destroy(r);
}

/* The claim: a vote goes only to a candidate whose log is at least as up-to-date (§5.4.1): a
 * later last term wins whatever the lengths; with equal last terms, the longer log. */
static void
test_a_vote_only_for_an_up_to_date_log(void **state)
{
    (void)state;
    const uint64_t terms[] = {1, 1, 2, 2}; /* last index 4, last term 2 */
    const struct {
        uint64_t last_index, last_term;
        bool is_granted;
        const char *why;
    } cases[] = {
        {4, 2, true, "the same last entry"},
        {5, 2, true, "the same last term, a longer log"},
        {3, 2, false, "the same last term, a shorter log"},
        {9, 1, false, "an earlier last term, though longer"},
        {1, 3, true, "a later last term, though shorter"},
        {0, 0, false, "an empty log"},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        struct raft *r = node_new(1, 3, 2, 0, terms, KH_ARRAY_LEN(terms));
        bool got =
            ask_vote(r, vote_request(2, 1, 3, cases[i].last_index, cases[i].last_term), NULL);
        if (got != cases[i].is_granted) {
            fail_msg("voter's log ends at index 4, term 2; a candidate's ends at index %" PRIu64
                     ", term %" PRIu64 " (%s): the vote was %s, expected %s",
                     cases[i].last_index, cases[i].last_term, cases[i].why,
                     got ? "granted" : "refused", cases[i].is_granted ? "granted" : "refused");
        }
        raft_destroy(r);
    }
}

/* The claim: a request from an earlier term is refused with the node's own term (so its sender
 * learns of it); a later term in any message, a reply too, makes the node a follower of that
 * term with no vote (§5.1), whatever its role. */
static void
test_a_terms_order_everything(void **state)
{
    (void)state;
    struct raft *r = node_new(1, 3, 5, 1, NULL, 0);
    if (ask_vote(r, vote_request(2, 1, 4, 10, 4), NULL)) {
        fail_msg("node 1 (term 5) granted a vote request of term 4");
    }
    assert_int_equal(raft_term(r), 5);
    struct raft_msg stale = {
        .type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 4, .prev_index = 7, .prev_term = 4};
    assert_raft_status(raft_step(r, &stale), RAFT_OK);
    struct raft_msg out[4];
    size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    if (count != 1 || out[0].type != RAFT_MSG_APPEND_REPLY || out[0].to != 2 || out[0].term != 5 ||
        out[0].is_success || out[0].prev_index != 7) {
        fail_msg("an append of term 4 (prev_index 7) reached node 1 at term 5: it sent %zu "
                 "messages; expected one refusing RAFT_MSG_APPEND_REPLY to node 2 with term 5 "
                 "and prev_index 7",
                 count);
    }
    struct raft_msg reply = {.type = RAFT_MSG_APPEND_REPLY, .from = 3, .to = 1, .term = 7};
    assert_raft_status(raft_step(r, &reply), RAFT_OK);
    struct raft_hard_state hs = {0, 0};
    node_drain(r, NULL, 0, &hs);
    if (raft_term(r) != 7 || raft_role(r) != RAFT_FOLLOWER || hs.term != 7 || hs.vote != 0) {
        fail_msg("an append reply of term 7 reached node 1 (term 5): now term %" PRIu64
                 ", persisted term %" PRIu64 " vote %u; expected a follower of term 7, no vote",
                 raft_term(r), hs.term, hs.vote);
    }
    /* A leader steps down too. */
    raft_destroy(r);
    r = node_new(1, 3, 1, 0, NULL, 0);
    node_campaign(r);
    struct raft_msg grant = {
        .type = RAFT_MSG_VOTE_REPLY, .from = 2, .to = 1, .term = raft_term(r), .is_granted = true};
    assert_raft_status(raft_step(r, &grant), RAFT_OK);
    if (raft_role(r) != RAFT_LEADER) {
        fail_msg("a candidate of 3 nodes with its own vote and node 2's is not the leader");
    }
    node_drain(r, NULL, 0, NULL);
    struct raft_msg later = vote_request(3, 1, raft_term(r) + 1, 0, 0);
    uint64_t later_term = later.term;
    assert_raft_status(raft_step(r, &later), RAFT_OK);
    if (raft_role(r) != RAFT_FOLLOWER || raft_term(r) != later_term) {
        fail_msg("a leader that saw a vote request of a later term is still %s of term %" PRIu64,
                 raft_role(r) == RAFT_LEADER ? "the leader" : "a candidate", raft_term(r));
    }
    if (raft_leader(r) != 0) {
        fail_msg("after a vote request of a later term, node 1 names node %u its leader; no "
                 "leader of that term is known yet (a candidate asked)",
                 raft_leader(r));
    }
    raft_destroy(r);
}

/* The claim: granting a vote restarts the election timer (Figure 2, Followers): a follower one
 * tick from its timeout that grants a vote waits a whole new timeout before it runs itself. */
static void
test_a_granting_a_vote_defers_an_election(void **state)
{
    (void)state;
    struct raft *r = node_new(1, 3, 2, 0, NULL, 0); /* term 2, no vote yet */
    for (uint32_t t = 0; r->election_elapsed_ticks + 1 < r->election_timeout_ticks; t++) {
        if (t == 2 * ET) { /* a timer that never counts would loop here for ever */
            fail_msg("after %u ticks the election timer reads %u of %u ticks: raft_tick does not "
                     "count toward the timeout",
                     t, r->election_elapsed_ticks, r->election_timeout_ticks);
        }
        raft_tick(r);
    }
    if (!ask_vote(r, vote_request(2, 1, 2, 0, 0), NULL)) {
        fail_msg("node 1 (term 2, no vote, empty log) refused node 2 its vote in term 2");
    }
    for (uint32_t t = 1; t < ET; t++) {
        raft_tick(r);
        if (raft_role(r) != RAFT_FOLLOWER) {
            fail_msg("node 1 started an election %u ticks after granting a vote; a grant restarts "
                     "the timer, and a timeout is at least %u ticks",
                     t, ET);
        }
    }
    raft_destroy(r);
}

/* The claim: a candidate counts each node's vote once, and only in the term it was given: a
 * reply delivered twice (networks duplicate) does not make a majority of one voter, and the
 * votes of a failed election do not count in the next. */
static void
test_a_votes_counted_once_per_node(void **state)
{
    (void)state;
    struct raft *r = node_new(1, 5, 1, 0, NULL, 0);
    node_campaign(r);
    struct raft_msg grant = {
        .type = RAFT_MSG_VOTE_REPLY, .from = 2, .to = 1, .term = raft_term(r), .is_granted = true};
    for (int i = 0; i < 3; i++) {
        assert_raft_status(raft_step(r, &grant), RAFT_OK);
    }
    struct raft_msg refusal = grant;
    refusal.from = 4;
    refusal.is_granted = false;
    assert_raft_status(raft_step(r, &refusal), RAFT_OK);
    if (raft_role(r) != RAFT_CANDIDATE) {
        fail_msg("a candidate of 5 nodes with its own vote, node 2's (delivered 3 times) and "
                 "node 4's refusal became %s: a majority of 5 is 3 distinct nodes",
                 raft_role(r) == RAFT_LEADER ? "the leader" : "a follower");
    }
    /* The election times out; node 2's vote was for the last term, not this one. */
    uint64_t term = raft_term(r);
    for (uint32_t t = 0; t < 2 * ET && raft_term(r) == term; t++) {
        raft_tick(r);
    }
    assert_int_equal(raft_term(r), term + 1);
    node_drain(r, NULL, 0, NULL);
    grant.term = term + 1;
    grant.from = 3;
    assert_raft_status(raft_step(r, &grant), RAFT_OK);
    if (raft_role(r) != RAFT_CANDIDATE) {
        fail_msg("a candidate of 5 nodes in term %" PRIu64 " with its own vote and node 3's became "
                 "the leader: node 2's vote was for term %" PRIu64 ", and votes do not carry over",
                 term + 1, term);
    }
    grant.from = 4;
    assert_raft_status(raft_step(r, &grant), RAFT_OK);
    if (raft_role(r) != RAFT_LEADER) {
        fail_msg("a candidate of 5 nodes with the votes of nodes 1, 3 and 4 is not the leader");
    }
    raft_destroy(r);
}

/* The claim: a follower that hears nothing starts an election after a timeout drawn from
 * [election_ticks, 2 * election_ticks) (§5.2): a new term, its own vote, persisted, no leader
 * known, and a vote request to every other node with its last entry; the timeouts differ from
 * one election to the next. */
static void
test_a_election_timeouts_are_randomized(void **state)
{
    (void)state;
    const uint64_t terms[] = {1, 3};
    struct raft *r = node_new(2, 5, 3, 0, terms, KH_ARRAY_LEN(terms));
    struct raft_msg heartbeat = {
        .type = RAFT_MSG_APPEND, .from = 3, .to = 2, .term = 3, .prev_index = 2, .prev_term = 3};
    assert_raft_status(raft_step(r, &heartbeat), RAFT_OK);
    node_drain(r, NULL, 0, NULL);
    assert_int_equal(raft_leader(r), 3);
    bool seen[2 * ET] = {false};
    unsigned distinct = 0;
    for (unsigned election = 0; election < 30; election++) {
        uint64_t term = raft_term(r);
        unsigned ticks = 0;
        while (raft_term(r) == term) {
            if (++ticks >= 2 * ET) {
                fail_msg("election %u: no new term after %u ticks (timeouts are %u-%u)", election,
                         ticks, ET, 2 * ET - 1);
            }
            raft_tick(r);
        }
        if (ticks < ET) {
            fail_msg("election %u started after %u ticks, before the shortest timeout (%u)",
                     election, ticks, ET);
        }
        distinct += !seen[ticks];
        seen[ticks] = true;
        struct raft_msg out[8];
        struct raft_hard_state hs = {0, 0};
        size_t count = node_drain(r, out, KH_ARRAY_LEN(out), &hs);
        if (raft_leader(r) != 0) {
            fail_msg("candidate 2 of term %" PRIu64 " names node %u its leader; a new term has "
                     "none yet",
                     raft_term(r), raft_leader(r));
        }
        if (raft_role(r) != RAFT_CANDIDATE || hs.term != term + 1 || hs.vote != 2) {
            fail_msg("after its timeout node 2 should be a candidate of term %" PRIu64
                     " with its own vote persisted; it persisted term %" PRIu64 ", vote %u",
                     term + 1, hs.term, hs.vote);
        }
        if (count != 4) {
            fail_msg("a candidate of 5 nodes sent %zu messages; expected a vote request to each "
                     "of the 4 others",
                     count);
        }
        for (size_t i = 0; i < count; i++) {
            if (out[i].type != RAFT_MSG_VOTE || out[i].term != term + 1 ||
                out[i].last_log_index != 2 || out[i].last_log_term != 3) {
                fail_msg("vote request %zu: type %u, term %" PRIu64 ", last entry %" PRIu64
                         "/%" PRIu64 "; expected RAFT_MSG_VOTE, term %" PRIu64 ", last entry 2/3",
                         i, out[i].type, out[i].term, out[i].last_log_index, out[i].last_log_term,
                         term + 1);
            }
        }
    }
    if (distinct < 4) {
        fail_msg("30 elections used only %u distinct timeouts: they must be random (§5.2)",
                 distinct);
    }
    raft_destroy(r);
}

/* Makes candidate r (node 1 of 3) the leader with node 3's vote; returns the messages of the
 * ready that followed. */
static size_t
win_election(struct raft *r, struct raft_msg *out, size_t out_max)
{
    node_campaign(r);
    struct raft_msg grant = {
        .type = RAFT_MSG_VOTE_REPLY, .from = 3, .to = 1, .term = raft_term(r), .is_granted = true};
    assert_raft_status(raft_step(r, &grant), RAFT_OK);
    return node_drain(r, out, out_max, NULL);
}

/* Fails unless the leader sends an append to each follower every heartbeat_ticks exactly, and
 * nothing in between, for four heartbeats. */
static void
assert_heartbeats(struct raft *r, const char *when)
{
    struct raft_msg out[8];
    for (uint32_t tick = 1; tick <= 4 * CLUSTER_HEARTBEAT_TICKS; tick++) {
        raft_tick(r);
        size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
        size_t want = tick % CLUSTER_HEARTBEAT_TICKS == 0 ? 2 : 0;
        if (count != want) {
            fail_msg("%u ticks after %s the leader sent %zu messages; expected %zu (an append to "
                     "each follower every %u ticks)",
                     tick, when, count, want, CLUSTER_HEARTBEAT_TICKS);
        }
    }
}

/* The claim: a leader sends every follower an append as it is elected and then every
 * heartbeat_ticks ticks exactly, nothing in between (README part A), counted afresh at each
 * election. */
static void
test_a_leader_heartbeats_every_heartbeat_ticks(void **state)
{
    (void)state;
    struct raft *r = node_new(1, 3, 1, 0, NULL, 0);
    struct raft_msg out[8];
    size_t count = win_election(r, out, KH_ARRAY_LEN(out));
    if (raft_role(r) != RAFT_LEADER || count != 2 || out[0].type != RAFT_MSG_APPEND ||
        out[1].type != RAFT_MSG_APPEND) {
        fail_msg("a new leader of 3 nodes sent %zu messages as it was elected; expected an append "
                 "to each of the 2 others at once (§5.2)",
                 count);
    }
    assert_heartbeats(r, "its election");
    /* A tick into the next heartbeat, it loses its term; elected again, it counts afresh. */
    raft_tick(r);
    struct raft_msg later = vote_request(2, 1, raft_term(r) + 1, 100, raft_term(r) + 1);
    assert_raft_status(raft_step(r, &later), RAFT_OK);
    node_drain(r, NULL, 0, NULL);
    count = win_election(r, out, KH_ARRAY_LEN(out));
    assert_int_equal(raft_role(r), RAFT_LEADER);
    assert_heartbeats(r, "its second election");
    raft_destroy(r);
}

/* The claim: a cluster of one elects itself at its first timeout. */
static void
test_a_single_node_elects_itself(void **state)
{
    (void)state;
    struct raft *r = node_new(1, 1, 0, 0, NULL, 0);
    for (uint32_t t = 0; t < 2 * ET && raft_role(r) != RAFT_LEADER; t++) {
        raft_tick(r);
        node_drain(r, NULL, 0, NULL);
    }
    if (raft_role(r) != RAFT_LEADER || raft_leader(r) != 1) {
        fail_msg("a 1-node cluster has no leader after %u ticks", 2 * ET);
    }
    raft_destroy(r);
}

/* ---- Clusters ------------------------------------------------------------------------- */

/* Fails unless every running, connected node agrees on term and leader. */
static void
assert_agreement(const struct cluster *c, uint32_t leader)
{
    uint64_t term = raft_term(c->nodes[leader].raft);
    for (uint32_t id = 1; id <= c->node_count; id++) {
        const struct cluster_node *node = &c->nodes[id];
        if (node->raft == NULL || !node->is_connected) {
            continue;
        }
        if (raft_term(node->raft) != term || raft_leader(node->raft) != leader) {
            fail_msg("node %u is at term %" PRIu64
                     " with leader %u; the leader is %u, term %" PRIu64,
                     id, raft_term(node->raft), raft_leader(node->raft), leader, term);
        }
    }
}

/* The claim: three nodes elect one leader, all learn it, and with a healthy network the leader
 * and the term stay put (heartbeats hold off every election) for 50 timeouts. */
static void
test_a_initial_election(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    uint32_t leader = cluster_await_leader(&c, ELECTION_TICKS_MAX);
    cluster_run(&c, 2 * ET);
    assert_agreement(&c, leader);
    uint64_t term = raft_term(c.nodes[leader].raft);
    cluster_run(&c, 50 * ET);
    if (cluster_leader(&c) != leader || raft_term(c.nodes[leader].raft) != term) {
        fail_msg("with no failure, leadership moved from node %u (term %" PRIu64 ") to node %u "
                 "(term %" PRIu64 "): heartbeats should hold off elections",
                 leader, term, cluster_leader(&c), raft_term(c.nodes[cluster_leader(&c)].raft));
    }
    assert_agreement(&c, leader);
    cluster_stop(&c);
}

/* The claim: when the leader is cut off, the other two elect a new one; the old one, back,
 * steps down; with two of three cut off no leader is elected; one back, and there is one. */
static void
test_a_reelection(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    uint32_t first = cluster_await_leader(&c, ELECTION_TICKS_MAX);
    cluster_disconnect(&c, first);
    uint32_t second = cluster_await_leader(&c, ELECTION_TICKS_MAX);
    assert_int_not_equal(second, first);
    cluster_connect(&c, first);
    cluster_run(&c, 4 * ET);
    uint32_t now = cluster_leader(&c);
    assert_int_not_equal(now, 0);
    assert_agreement(&c, now);
    cluster_disconnect(&c, now);
    uint32_t other = now % 3 + 1;
    cluster_disconnect(&c, other);
    cluster_run(&c, 8 * ET);
    if (cluster_leader(&c) != 0) {
        fail_msg("node %u leads with only itself connected: a leader needs a majority",
                 cluster_leader(&c));
    }
    cluster_connect(&c, other);
    cluster_await_leader(&c, ELECTION_TICKS_MAX);
    cluster_connect(&c, now);
    cluster_run(&c, 4 * ET);
    assert_agreement(&c, cluster_leader(&c));
    cluster_stop(&c);
}

/* The claim: seven nodes, three cut off at random and healed ten times over: a majority always
 * elects a leader, and no term ever has two. */
static void
test_a_many_elections(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 7, kh_test_seed());
    cluster_await_leader(&c, ELECTION_TICKS_MAX);
    struct kh_rng *rng = kh_sim_rng(c.sim);
    for (int round = 0; round < 10; round++) {
        uint32_t cut[3];
        for (int i = 0; i < 3; i++) {
            cut[i] = 1 + (uint32_t)kh_rng_below(rng, 7);
            cluster_disconnect(&c, cut[i]);
        }
        cluster_await_leader(&c, ELECTION_TICKS_MAX);
        for (int i = 0; i < 3; i++) {
            cluster_connect(&c, cut[i]);
        }
        cluster_run(&c, 2 * ET);
    }
    cluster_await_leader(&c, ELECTION_TICKS_MAX);
    cluster_stop(&c);
}

/* The claim: a node that crashes and restarts from its disk in the middle of elections never
 * votes twice in a term: it remembers its term and its vote (the cluster checks every tick). */
static void
test_a_restarted_node_remembers_its_vote(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    struct kh_rng *rng = kh_sim_rng(c.sim);
    for (int round = 0; round < 20; round++) {
        uint32_t id = 1 + (uint32_t)kh_rng_below(rng, 5);
        cluster_run(&c, kh_rng_below(rng, 2 * ET));
        cluster_crash(&c, id);
        cluster_run(&c, kh_rng_below(rng, 3));
        cluster_restart(&c, id);
        struct raft *r = c.nodes[id].raft;
        const struct raft_hard_state *disk = &c.nodes[id].disk.hard_state;
        if (raft_term(r) != disk->term) {
            fail_msg("node %u restarted at term %" PRIu64 "; its disk says %" PRIu64, id,
                     raft_term(r), disk->term);
        }
    }
    cluster_await_leader(&c, ELECTION_TICKS_MAX);
    cluster_stop(&c);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_one_vote_per_term),
        cmocka_unit_test(test_a_vote_only_for_an_up_to_date_log),
        cmocka_unit_test(test_a_terms_order_everything),
        cmocka_unit_test(test_a_granting_a_vote_defers_an_election),
        cmocka_unit_test(test_a_votes_counted_once_per_node),
        cmocka_unit_test(test_a_election_timeouts_are_randomized),
        cmocka_unit_test(test_a_leader_heartbeats_every_heartbeat_ticks),
        cmocka_unit_test(test_a_single_node_elects_itself),
        cmocka_unit_test(test_a_initial_election),
        cmocka_unit_test(test_a_reelection),
        cmocka_unit_test(test_a_many_elections),
        cmocka_unit_test(test_a_restarted_node_remembers_its_vote),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
