/* test_e_read.c -- part E: linearizable reads without log entries (ReadIndex, Raft §8). One
 * leader, message by message: a read is handed out only once a majority answered a message
 * sent after it was asked, and only once the leader committed an entry of its own term; reads
 * asked together share a round; a leader that steps down fails what it held. Then a cluster:
 * clients write and read a register through any node, leaders cut off and nodes crashing, and
 * the history they record must be linearizable (lab 02's checker, harness/lib/concurrency). */
#include "history.h"
#include "node_test.h"

#define READS_SEEN_MAX 64u

/* What a node handed out while its readies were carried out. */
struct drained {
    struct raft_msg msgs[4 * RAFT_OUTBOX_MAX];
    size_t msg_count;
    struct raft_read reads[READS_SEEN_MAX];
    size_t read_count;
};

/* Carries out r's readies until it has none, keeping the messages and the reads. */
static void
drain(struct raft *r, struct drained *d)
{
    memset(d, 0, sizeof(*d));
    while (raft_has_ready(r)) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        for (size_t i = 0; i < rd.msg_count; i++, d->msg_count++) {
            assert_true(d->msg_count < KH_ARRAY_LEN(d->msgs));
            d->msgs[d->msg_count] = rd.msgs[i];
            d->msgs[d->msg_count].entries = NULL;
        }
        for (size_t i = 0; i < rd.read_count; i++, d->read_count++) {
            assert_true(d->read_count < KH_ARRAY_LEN(d->reads));
            d->reads[d->read_count] = rd.reads[i];
        }
        raft_advance(r, &rd);
    }
}

/* The read round of the messages r sent to `to` in d (the highest), failing if it sent none. */
static uint64_t
round_sent_to(const struct drained *d, uint32_t to)
{
    uint64_t round = 0;
    bool is_sent = false;
    for (size_t i = 0; i < d->msg_count; i++) {
        if (d->msgs[i].to == to && d->msgs[i].type == RAFT_MSG_APPEND) {
            is_sent = true;
            round = d->msgs[i].read_round > round ? d->msgs[i].read_round : round;
        }
    }
    if (!is_sent) {
        fail_msg("a leader asked for a read sent node %u no append: only the answers to messages "
                 "sent after the read can confirm that it still leads",
                 to);
    }
    return round;
}

/* Delivers to leader r node from's successful answer to an append at match, of read round. */
static void
answer(struct raft *r, uint32_t from, uint64_t match, uint64_t round)
{
    struct raft_msg m = {.type = RAFT_MSG_APPEND_REPLY,
                         .from = from,
                         .to = r->config.id,
                         .term = raft_term(r),
                         .is_success = true,
                         .prev_index = match,
                         .match_index = match,
                         .read_round = round};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
}

static void
assert_read(const struct drained *d, size_t i, uint64_t id, raft_status status, uint64_t index)
{
    assert_true(i < d->read_count);
    const struct raft_read *got = &d->reads[i];
    if (got->id != id || got->status != status || (status == RAFT_OK && got->index != index)) {
        fail_msg("read %zu handed out: id %" PRIu64 ", %s, index %" PRIu64 "; expected id %" PRIu64
                 ", %s, index %" PRIu64,
                 i, got->id, raft_strerror(got->status), got->index, id, raft_strerror(status),
                 index);
    }
}

/* Leader `leader` of node_count in term 2 whose no-op (index 2, after an entry of term 1) the
 * node_count / 2 nodes after it hold, so it is committed. */
static struct raft *
leader_committed_as(uint32_t leader, uint32_t node_count)
{
    static const uint64_t terms[] = {1};
    struct raft *r = leader_of(leader, node_count, 2, terms, 1, NULL, 0, NULL);
    for (uint32_t k = 1; k <= node_count / 2; k++) {
        answer(r, (leader + k - 1) % node_count + 1, 2, 0);
    }
    struct drained d;
    drain(r, &d);
    assert_int_equal(raft_commit_index(r), 2);
    return r;
}

/* Leader 1 of node_count, its no-op committed. */
static struct raft *
leader_committed(uint32_t node_count)
{
    return leader_committed_as(1, node_count);
}

static void
test_e_read_on_a_follower_is_refused(void **state)
{
    /* Claim: only a leader takes reads; a follower or candidate says RAFT_NOT_LEADER. */
    (void)state;
    struct raft *r = node_new(2, 3, 1, 0, NULL, 0);
    assert_raft_status(raft_read_index(r, 1), RAFT_NOT_LEADER);
    node_campaign(r);
    assert_raft_status(raft_read_index(r, 2), RAFT_NOT_LEADER);
    struct drained d;
    drain(r, &d);
    assert_int_equal(d.read_count, 0);
    raft_destroy(r);
}

static void
test_e_read_waits_for_a_majority_of_a_later_round(void **state)
{
    /* Claim: a read is handed out once a majority (the leader counted) answered a message sent
     * after it was asked; answers to earlier messages, or from too few nodes, confirm
     * nothing. */
    (void)state;
    struct raft *r = leader_committed(5);
    assert_int_equal(raft_commit_index(r), 2);
    struct drained d;
    assert_raft_status(raft_read_index(r, 6), RAFT_OK); /* an earlier read, confirmed */
    drain(r, &d);
    uint64_t earlier = round_sent_to(&d, 2);
    answer(r, 2, 2, earlier);
    answer(r, 3, 2, earlier);
    drain(r, &d);
    assert_int_equal(d.read_count, 1);
    assert_read(&d, 0, 6, RAFT_OK, 2);
    assert_raft_status(raft_read_index(r, 7), RAFT_OK);
    drain(r, &d);
    assert_int_equal(d.read_count, 0);
    uint64_t round = round_sent_to(&d, 2);
    assert_true(round > earlier);
    for (uint32_t id = 3; id <= 5; id++) {
        assert_int_equal(round_sent_to(&d, id), round);
    }
    answer(r, 2, 2, earlier); /* answers to messages sent before read 7 */
    answer(r, 3, 2, earlier);
    answer(r, 4, 2, round);
    drain(r, &d);
    if (d.read_count > 0) {
        fail_msg("a leader of 5 handed a read out with one answer to a message sent after it (and "
                 "two to older ones): two of five is no majority");
    }
    answer(r, 5, 2, round);
    drain(r, &d);
    assert_int_equal(d.read_count, 1);
    assert_read(&d, 0, 7, RAFT_OK, 2);
    raft_destroy(r);
}

static void
test_e_read_round_reaches_every_follower(void **state)
{
    /* Claim: whichever node of a cluster of RAFT_NODES_MAX leads, a read sends every other node
     * an append of a new round, and is handed out once a bare majority (the leader and
     * RAFT_NODES_MAX / 2 others) answered that round, not one answer sooner. */
    (void)state;
    const uint32_t n = RAFT_NODES_MAX;
    for (uint32_t leader = 1; leader <= n; leader++) {
        struct raft *r = leader_committed_as(leader, n);
        struct drained d;
        assert_raft_status(raft_read_index(r, 100 + leader), RAFT_OK);
        drain(r, &d);
        uint64_t round = 0;
        for (uint32_t to = 1; to <= n; to++) {
            if (to == leader) {
                continue;
            }
            uint64_t sent = round_sent_to(&d, to);
            if (round != 0 && sent != round) {
                fail_msg("leader %u of %u sent one read's round as %" PRIu64 " and %" PRIu64,
                         leader, n, round, sent);
            }
            round = sent;
        }
        /* The others answer from the leader's lowest id on, so node 1 is among them. */
        uint32_t answered = 0;
        for (uint32_t from = 1; answered < n / 2; from++) {
            if (from == leader) {
                continue;
            }
            drain(r, &d);
            if (d.read_count > 0) {
                fail_msg("leader %u of %u handed a read out with %u answers to its round: with "
                         "itself, %u of %u is no majority",
                         leader, n, answered, answered + 1, n);
            }
            answer(r, from, 2, round);
            answered++;
        }
        drain(r, &d);
        if (d.read_count != 1) {
            fail_msg("leader %u of %u handed out %zu reads once %u others answered the read's "
                     "round; expected 1 (with itself, a majority)",
                     leader, n, d.read_count, answered);
        }
        assert_read(&d, 0, 100 + leader, RAFT_OK, 2);
        raft_destroy(r);
    }
}

static void
test_e_answers_in_any_order_confirm_reads(void **state)
{
    /* Claim: an answer to a later round confirms the reads of every earlier round too, and a
     * late answer to an earlier round takes back nothing a later answer of the same node
     * confirmed: followers answer at their own pace, out of order. */
    (void)state;
    struct raft *r = leader_committed(5);
    struct drained d;
    assert_raft_status(raft_read_index(r, 20), RAFT_OK);
    drain(r, &d);
    uint64_t early = round_sent_to(&d, 2);
    assert_raft_status(raft_read_index(r, 21), RAFT_OK);
    drain(r, &d);
    uint64_t late = round_sent_to(&d, 2);
    assert_true(late > early);
    answer(r, 2, 2, early); /* a slow follower answers the first round */
    drain(r, &d);
    assert_int_equal(d.read_count, 0);
    answer(r, 3, 2, late); /* a fast one, already the second */
    drain(r, &d);
    if (d.read_count != 1) {
        fail_msg("5 nodes: node 2 answered read 20's round, node 3 the round of read 21, asked "
                 "after it; %zu reads handed out, expected read 20 (three of five answered a "
                 "message sent after it was asked)",
                 d.read_count);
    }
    assert_read(&d, 0, 20, RAFT_OK, 2);
    answer(r, 3, 2, early); /* node 3's answer to the first round, delayed on the way */
    answer(r, 4, 2, late);
    drain(r, &d);
    if (d.read_count != 1) {
        fail_msg("5 nodes: nodes 3 and 4 answered read 21's round (then node 3's late answer to "
                 "an earlier one came); %zu reads handed out, expected read 21: a late answer "
                 "to an earlier round takes nothing back",
                 d.read_count);
    }
    assert_read(&d, 0, 21, RAFT_OK, 2);
    raft_destroy(r);
}

static void
test_e_read_waits_for_the_leaders_first_commit(void **state)
{
    /* Claim: a new leader answers no read before an entry of its own term commits (its
     * commit index may miss what earlier leaders acknowledged); then the read's index is the
     * commit index. */
    (void)state;
    static const uint64_t terms[] = {1};
    struct raft *r = leader_of(1, 3, 2, terms, 1, NULL, 0, NULL);
    assert_int_equal(raft_commit_index(r), 0);
    assert_raft_status(raft_read_index(r, 3), RAFT_OK);
    struct drained d;
    drain(r, &d);
    uint64_t round = round_sent_to(&d, 2);
    answer(r, 2, 1, round); /* a majority confirms the round, but holds only entry 1 */
    answer(r, 3, 1, round);
    drain(r, &d);
    if (d.read_count > 0) {
        fail_msg("a leader handed out a read before its no-op committed (commit index %" PRIu64
                 "): its commit index may lack entries earlier leaders committed",
                 raft_commit_index(r));
    }
    answer(r, 2, 2, round);
    drain(r, &d);
    assert_int_equal(raft_commit_index(r), 2);
    assert_int_equal(d.read_count, 1);
    assert_read(&d, 0, 3, RAFT_OK, 2);
    raft_destroy(r);
}

static void
test_e_reads_share_a_round_until_it_is_sent(void **state)
{
    /* Claim: reads asked before a round's messages go out share them (one append to each
     * follower); a read asked after they went out needs a new round, which the answers to the
     * old one do not confirm. Reads come out in the order asked. */
    (void)state;
    struct raft *r = leader_committed(3);
    for (uint64_t id = 10; id < 13; id++) {
        assert_raft_status(raft_read_index(r, id), RAFT_OK);
    }
    struct drained d;
    drain(r, &d);
    if (d.msg_count != 2) {
        fail_msg("three reads asked together sent %zu messages; expected one append to each of "
                 "the 2 followers",
                 d.msg_count);
    }
    uint64_t first = round_sent_to(&d, 2);
    assert_raft_status(raft_read_index(r, 13), RAFT_OK);
    drain(r, &d);
    uint64_t second = round_sent_to(&d, 3);
    assert_true(second > first);
    answer(r, 2, 2, first);
    drain(r, &d);
    assert_int_equal(d.read_count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_read(&d, i, 10 + i, RAFT_OK, 2);
    }
    answer(r, 3, 2, first);
    drain(r, &d);
    if (d.read_count > 0) {
        fail_msg("a read was handed out on answers to messages sent before it was asked");
    }
    answer(r, 3, 2, second);
    drain(r, &d);
    assert_int_equal(d.read_count, 1);
    assert_read(&d, 0, 13, RAFT_OK, 2);
    raft_destroy(r);
}

static void
test_e_read_index_is_the_commit_index_when_confirmed(void **state)
{
    /* Claim: a read's index is the commit index when it is confirmed, which covers a write
     * committed while the read waited. */
    (void)state;
    struct raft *r = leader_committed(3);
    assert_raft_status(raft_read_index(r, 1), RAFT_OK);
    struct drained d;
    drain(r, &d);
    uint64_t round = round_sent_to(&d, 2);
    uint64_t index, term;
    assert_raft_status(raft_propose(r, "w", 1, &index, &term), RAFT_OK);
    drain(r, &d);
    answer(r, 3, index, round); /* commits the write and confirms the read at once */
    drain(r, &d);
    assert_int_equal(raft_commit_index(r), index);
    assert_int_equal(d.read_count, 1);
    assert_read(&d, 0, 1, RAFT_OK, index);
    raft_destroy(r);
}

static void
test_e_stepping_down_fails_waiting_reads(void **state)
{
    /* Claim: a leader that learns of a later term hands out every read it held with
     * RAFT_NOT_LEADER (it can no longer confirm them), and takes no more. */
    (void)state;
    struct raft *r = leader_committed(3);
    assert_raft_status(raft_read_index(r, 4), RAFT_OK);
    assert_raft_status(raft_read_index(r, 5), RAFT_OK);
    struct drained d;
    drain(r, &d);
    struct raft_msg later = {.type = RAFT_MSG_APPEND,
                             .from = 3,
                             .to = 1,
                             .term = raft_term(r) + 1,
                             .prev_index = 2,
                             .prev_term = 2};
    assert_raft_status(raft_step(r, &later), RAFT_OK);
    assert_int_equal(raft_role(r), RAFT_FOLLOWER);
    drain(r, &d);
    assert_int_equal(d.read_count, 2);
    assert_read(&d, 0, 4, RAFT_NOT_LEADER, 0);
    assert_read(&d, 1, 5, RAFT_NOT_LEADER, 0);
    assert_raft_status(raft_read_index(r, 6), RAFT_NOT_LEADER);
    raft_destroy(r);
}

static void
test_e_single_node_reads_at_once(void **state)
{
    /* Claim: a cluster of one is its own majority: once its no-op commits, a read comes out at
     * the next ready, with no message sent. */
    (void)state;
    struct raft *r = node_new(1, 1, 0, 0, NULL, 0);
    struct drained d;
    for (uint32_t t = 0; t < 2 * CLUSTER_ELECTION_TICKS && raft_role(r) != RAFT_LEADER; t++) {
        raft_tick(r);
        drain(r, &d);
    }
    assert_int_equal(raft_role(r), RAFT_LEADER);
    assert_int_equal(raft_commit_index(r), 1);
    assert_raft_status(raft_read_index(r, 9), RAFT_OK);
    drain(r, &d);
    assert_int_equal(d.msg_count, 0);
    assert_int_equal(d.read_count, 1);
    assert_read(&d, 0, 9, RAFT_OK, 1);
    raft_destroy(r);
}

static void
test_e_reads_past_the_bound_are_busy(void **state)
{
    /* Claim: a leader holds at most RAFT_READS_MAX reads; one more is RAFT_BUSY, and a read
     * handed out makes room again. */
    (void)state;
    struct raft *r = leader_committed(3);
    struct drained d;
    for (uint64_t id = 0; id < RAFT_READS_MAX; id++) {
        assert_raft_status(raft_read_index(r, id), RAFT_OK);
    }
    assert_raft_status(raft_read_index(r, RAFT_READS_MAX), RAFT_BUSY);
    uint64_t round = 0;
    for (size_t i = 0; i < 4 && raft_has_ready(r); i++) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        for (size_t k = 0; k < rd.msg_count; k++) {
            round = rd.msgs[k].read_round > round ? rd.msgs[k].read_round : round;
        }
        assert_int_equal(rd.read_count, 0);
        raft_advance(r, &rd);
    }
    answer(r, 2, 2, round);
    struct raft_ready rd;
    raft_ready(r, &rd);
    assert_int_equal(rd.read_count, RAFT_READS_MAX);
    for (size_t i = 0; i < rd.read_count; i++) {
        assert_int_equal(rd.reads[i].id, i);
    }
    raft_advance(r, &rd);
    assert_raft_status(raft_read_index(r, 1), RAFT_OK);
    drain(r, &d);
    raft_destroy(r);
}

static void
test_e_replies_carry_the_round_back(void **state)
{
    /* Claim: a follower's answer to an append carries the append's read round back, on the
     * wire too (the given code does it; a broken round confirms nothing). */
    (void)state;
    struct raft *f = node_new(2, 3, 1, 0, NULL, 0);
    struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 2, .read_round = 41};
    uint8_t wire[256];
    assert_true(raft_msg_encoded_size(&m) <= sizeof(wire));
    raft_msg_encode(&m, wire);
    struct raft_msg got;
    assert_raft_status(raft_msg_decode(wire, raft_msg_encoded_size(&m), &got, NULL, 0), RAFT_OK);
    assert_int_equal(got.read_round, 41);
    assert_raft_status(raft_step(f, &got), RAFT_OK);
    struct raft_msg reply = {0};
    assert_int_equal(node_drain_last(f, &reply), 1);
    assert_int_equal(reply.type, RAFT_MSG_APPEND_REPLY);
    assert_int_equal(reply.read_round, 41);
    raft_destroy(f);
}

static void
test_e_reads_and_writes_are_linearizable(void **state)
{
    /* Claim: three clients reading (ReadIndex) and writing (the log) one register through any
     * node of five, while the network loses, delays and duplicates messages, leaders are cut
     * off for a while (and still asked: they must not answer) and nodes crash and restart,
     * record a linearizable history; reads and writes keep completing. */
    (void)state;
    static struct history h;
    struct cluster c;
    cluster_start(&c, HISTORY_NODES, kh_test_seed());
    history_run(&c, &h);
    uint64_t asked = h.asked_of_cut_off_leader, reads = h.reads_done, writes = h.writes_done;
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    if (asked == 0) {
        kh_test_inconclusive("no client asked a leader while it was cut off, so stale reads "
                             "were never tried");
    }
    if (reads < 30 || writes < 30) { /* most runs complete 200-300 of each */
        kh_test_inconclusive("only %" PRIu64 " reads and %" PRIu64 " writes completed in 3,000 "
                             "ticks (at least 30 of each wanted): too few to check",
                             reads, writes);
    }
    cluster_require(reached, CLUSTER_SAW_MESSAGE_DROPPED | CLUSTER_SAW_NODE_RESTARTED);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_read_on_a_follower_is_refused),
        cmocka_unit_test(test_e_read_waits_for_a_majority_of_a_later_round),
        cmocka_unit_test(test_e_read_round_reaches_every_follower),
        cmocka_unit_test(test_e_answers_in_any_order_confirm_reads),
        cmocka_unit_test(test_e_read_waits_for_the_leaders_first_commit),
        cmocka_unit_test(test_e_reads_share_a_round_until_it_is_sent),
        cmocka_unit_test(test_e_read_index_is_the_commit_index_when_confirmed),
        cmocka_unit_test(test_e_stepping_down_fails_waiting_reads),
        cmocka_unit_test(test_e_single_node_reads_at_once),
        cmocka_unit_test(test_e_reads_past_the_bound_are_busy),
        cmocka_unit_test(test_e_replies_carry_the_round_back),
        cmocka_unit_test(test_e_reads_and_writes_are_linearizable),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
