/* test_b_replication.c -- part B: log replication (Raft §5.3) and commitment (§5.4.2). The
 * first tests drive one follower or one leader message by message: the consistency check, what
 * a follower deletes (only a conflict and what follows it), the fast backup hint, and Figure 8's
 * rule. The rest run clusters on the simulated network (cluster.h), where every node must apply
 * the same command at each index; the last ones crash nodes and lose, duplicate and reorder
 * messages, as the paper's Figure 8 scenarios do. */
#include "node_test.h"
#include "kh_oom.h"

#define ET CLUSTER_ELECTION_TICKS
#define AGREE_TICKS_MAX (20u * ET) /* a command commits within 20 timeouts, or the test fails */

/* ---- One node, message by message ----------------------------------------------------- */

/* Entries in the appends to node `to` among msgs[0, count). */
static uint64_t
entries_sent_to(const struct raft_msg *msgs, size_t count, uint32_t to)
{
    uint64_t entries = 0;
    for (size_t i = 0; i < count; i++) {
        entries += msgs[i].type == RAFT_MSG_APPEND && msgs[i].to == to ? msgs[i].entry_count : 0;
    }
    return entries;
}

/* The terms of r's log, as a string like "1 1 2" (for messages). */
static const char *
log_terms(const struct raft *r, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint64_t i = 1; i <= raft_last_index(r) && used + 24 < size; i++) {
        struct raft_entry e;
        assert_true(raft_entry_at(r, i, &e));
        used += (size_t)snprintf(buf + used, size - used, "%s%" PRIu64, i > 1 ? " " : "", e.term);
    }
    return buf;
}

static void
assert_log_terms(const struct raft *r, const uint64_t *want, size_t count, const char *after)
{
    char got[256];
    bool is_same = raft_last_index(r) == count;
    for (size_t i = 0; is_same && i < count; i++) {
        struct raft_entry e;
        is_same = raft_entry_at(r, i + 1, &e) && e.term == want[i];
    }
    if (!is_same) {
        char expected[256];
        size_t used = 0;
        expected[0] = '\0';
        for (size_t i = 0; i < count; i++) {
            used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%" PRIu64,
                                     i > 0 ? " " : "", want[i]);
        }
        fail_msg("after %s the log's terms are [%s]; expected [%s]", after,
                 log_terms(r, got, sizeof(got)), expected);
    }
}

/* The claim: a follower refuses an append whose prev_index it lacks or holds with another term,
 * with the hint raft.h defines; it accepts one that matches, answering how far its log now
 * matches the leader's. */
static void
test_b_append_consistency_check_and_hint(void **state)
{
    (void)state;
    const uint64_t terms[] = {1, 1, 1, 2, 2, 2, 2}; /* indexes 1-7 */
    struct raft *r = node_new(2, 3, 3, 0, terms, KH_ARRAY_LEN(terms));
    const struct {
        uint64_t prev_index, prev_term, conflict_index, conflict_term;
        const char *why;
    } refusals[] = {
        {9, 3, 8, 0, "the log has 7 entries: its last + 1, term 0"},
        {6, 3, 4, 2, "index 6 is of term 2, which runs from index 4"},
        {2, 5, 1, 1, "index 2 is of term 1, which runs from index 1"},
    };
    struct raft_msg reply;
    for (size_t i = 0; i < KH_ARRAY_LEN(refusals); i++) {
        reply = append_to(r, 3, refusals[i].prev_index, refusals[i].prev_term, 0, NULL, 0);
        if (reply.is_success || reply.conflict_index != refusals[i].conflict_index ||
            reply.conflict_term != refusals[i].conflict_term) {
            fail_msg("an append after index %" PRIu64 " of term %" PRIu64 " to a log of terms "
                     "[1 1 1 2 2 2 2]: success %d, conflict index %" PRIu64 ", term %" PRIu64
                     "; expected a refusal with index %" PRIu64 ", term %" PRIu64 " (%s)",
                     refusals[i].prev_index, refusals[i].prev_term, reply.is_success,
                     reply.conflict_index, reply.conflict_term, refusals[i].conflict_index,
                     refusals[i].conflict_term, refusals[i].why);
        }
    }
    assert_log_terms(r, terms, KH_ARRAY_LEN(terms), "three refused appends");
    const uint64_t two[] = {3, 3};
    reply = append_to(r, 3, 3, 1, 0, two, 2);
    const uint64_t want[] = {1, 1, 1, 3, 3};
    assert_log_terms(r, want, KH_ARRAY_LEN(want),
                     "an append of two term-3 entries after index 3 (term 1)");
    if (!reply.is_success || reply.match_index != 5) {
        fail_msg("the accepted append: success %d, match_index %" PRIu64 "; expected success, 5",
                 reply.is_success, reply.match_index);
    }
    raft_destroy(r);
}

/* The claim: a follower deletes entries only from the first conflict on (Figure 2,
 * AppendEntries 3): an append whose entries it already has, an old append delayed in the
 * network, or a heartbeat leaves every entry after it in place. */
static void
test_b_matching_append_truncates_nothing(void **state)
{
    (void)state;
    const uint64_t terms[] = {1, 2, 2, 3, 3};
    struct raft *r = node_new(2, 3, 3, 0, terms, KH_ARRAY_LEN(terms));
    append_to(r, 3, 5, 3, 0, NULL, 0);
    assert_log_terms(r, terms, KH_ARRAY_LEN(terms), "a heartbeat after index 5");
    append_to(r, 3, 2, 2, 0, NULL, 0);
    assert_log_terms(r, terms, KH_ARRAY_LEN(terms), "a heartbeat after index 2");
    const uint64_t old[] = {2, 3};
    struct raft_msg reply = append_to(r, 3, 2, 2, 0, old, 2);
    assert_log_terms(r, terms, KH_ARRAY_LEN(terms),
                     "a delayed append of entries 3-4 that the log already holds");
    if (!reply.is_success || reply.match_index != 4) {
        fail_msg("the delayed append: success %d, match_index %" PRIu64 "; expected success, 4 "
                 "(as far as that append vouches)",
                 reply.is_success, reply.match_index);
    }
    raft_destroy(r);
}

/* The claim: a follower's commit index moves to the leader's, but no further than the last
 * entry of the append that vouches for it, and never back; matching entries is not committing
 * them. */
static void
test_b_commit_index_follows_the_append(void **state)
{
    (void)state;
    const uint64_t terms[] = {1, 1, 1, 1, 1, 1}; /* entries 4-6 may differ from the leader's */
    struct raft *r = node_new(2, 3, 2, 0, terms, KH_ARRAY_LEN(terms));
    append_to(r, 2, 2, 1, 1, NULL, 0);
    if (raft_commit_index(r) != 1) {
        fail_msg("a heartbeat matching through index 2 with leader commit 1: commit index %" PRIu64
                 "; expected 1 (what the leader committed, not what matches)",
                 raft_commit_index(r));
    }
    append_to(r, 2, 3, 1, 6, NULL, 0);
    if (raft_commit_index(r) != 3) {
        fail_msg("a heartbeat matching through index 3 with leader commit 6: commit index %" PRIu64
                 "; expected 3 (entries 4-6 are not known to match the leader's)",
                 raft_commit_index(r));
    }
    append_to(r, 2, 1, 1, 2, NULL, 0);
    if (raft_commit_index(r) != 3) {
        fail_msg("an older heartbeat (leader commit 2) moved the commit index from 3 to %" PRIu64,
                 raft_commit_index(r));
    }
    raft_destroy(r);
}

/* The claim (Figure 8, §5.4.2): a leader does not commit an entry of an earlier term because a
 * majority holds it; it commits once an entry of its own term is on a majority, and everything
 * before it with that entry. */
static void
test_b_commit_only_by_an_entry_of_the_leaders_term(void **state)
{
    (void)state;
    const uint64_t terms[] = {1, 2}; /* index 2 from term 2; the leader is elected in term 4 */
    struct raft *r = leader_new(4, terms, KH_ARRAY_LEN(terms));
    /* Its no-op is index 3, term 4, and on its own disk now. */
    reply_to(r, 2, true, 2, 2, 0, 0);
    node_drain(r, NULL, 0, NULL);
    if (raft_commit_index(r) != 0) {
        fail_msg("leader of term 4: index 2 (term 2) is on 2 of 3 nodes, index 3 (term 4) on 1; "
                 "commit index %" PRIu64 ", expected 0: an earlier term's entry is not committed "
                 "by counting replicas (Figure 8)",
                 raft_commit_index(r));
    }
    reply_to(r, 2, true, 2, 3, 0, 0);
    node_drain(r, NULL, 0, NULL);
    if (raft_commit_index(r) != 3) {
        fail_msg("leader of term 4 with index 3 (term 4) on 2 of 3 nodes: commit index %" PRIu64
                 ", expected 3",
                 raft_commit_index(r));
    }
    raft_destroy(r);
}

/* The claim: a leader commits the highest index a majority holds (its own persisted log
 * counted), whichever followers hold it. */
static void
test_b_commit_is_what_a_majority_holds(void **state)
{
    (void)state;
    struct raft *r = leader_of(3, 5, 2, NULL, 0, NULL, 0, NULL); /* its no-op is index 1 */
    uint64_t index, term;
    for (int i = 0; i < 9; i++) {
        assert_raft_status(raft_propose(r, "c", 1, &index, &term), RAFT_OK);
    }
    node_drain(r, NULL, 0, NULL); /* entries 1-10, all of term 2, on the leader's disk */
    const struct {
        uint32_t from;
        uint64_t match, commit;
    } replies[] = {
        {1, 6, 0}, {2, 8, 6}, {4, 2, 6}, {5, 4, 6}, /* 10, 8, 6 (node 1), 4, 2 */
        {2, 9, 6}, {4, 7, 7}, {5, 8, 8},            /* 10, 9, 8 (node 5), 7, 6 */
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(replies); i++) {
        reply_to(r, replies[i].from, true, 0, replies[i].match, 0, 0);
        node_drain(r, NULL, 0, NULL);
        if (raft_commit_index(r) != replies[i].commit) {
            fail_msg(
                "leader 3 of 5 (10 entries persisted) after node %u acknowledged index %" PRIu64
                ": commit index %" PRIu64 ", expected %" PRIu64 " (the highest "
                "index 3 of the 5 nodes hold)",
                replies[i].from, replies[i].match, raft_commit_index(r), replies[i].commit);
        }
    }
    raft_destroy(r);
}

/* The claim: after a refusal the leader's next try starts where the hint says (raft.h): past
 * its own last entry of the follower's conflicting term if it has that term, else at the
 * follower's first entry of that term, or at the follower's end when it is too short. */
static void
test_b_leader_backs_up_by_the_hint(void **state)
{
    (void)state;
    static const uint64_t long_log[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6}; /* no-op at 11 */
    static const uint64_t short_log[] = {1, 3, 3};                     /* no-op at 4 */
    const struct {
        const uint64_t *terms;
        size_t count;
        uint64_t conflict_index, conflict_term, next_index;
        const char *why;
    } cases[] = {
        {long_log, 10, 5, 4, 6,
         "the follower's term 4 starts at 5; the leader's last term-4 entry is 5"},
        {long_log, 10, 3, 2, 3, "the follower's term 2 (from index 3) is not in the leader's log"},
        {long_log, 10, 4, 0, 4, "the follower's log ends at index 3"},
        {long_log, 10, 1, 1, 4,
         "the follower's term 1 starts at 1; the leader's last term-1 entry is 3"},
        {short_log, 3, 1, 1, 2,
         "the follower's term 1 starts at 1; the leader's last term-1 entry is 1"},
        {long_log, 10, 11, 0, 11, "the follower's log ends at index 10"},
        {long_log, 10, 13, 0, 12, "a hint just past the leader's log (a broken follower): its end"},
        {long_log, 10, 1000, 0, 12,
         "a hint far past the leader's log (a broken follower): its end"},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        struct raft *r = leader_new(7, cases[i].terms, cases[i].count);
        reply_to(r, 2, false, raft_last_index(r) - 1, 0, cases[i].conflict_index,
                 cases[i].conflict_term);
        struct raft_msg sent = {0};
        size_t count = node_drain_last(r, &sent);
        if (count != 1 || sent.type != RAFT_MSG_APPEND || sent.to != 2 ||
            sent.prev_index + 1 != cases[i].next_index) {
            fail_msg("refusal with conflict index %" PRIu64 ", term %" PRIu64 " (%s): the leader "
                     "sent %zu messages, the last an append to %u after index %" PRIu64
                     "; expected one append starting at index %" PRIu64,
                     cases[i].conflict_index, cases[i].conflict_term, cases[i].why, count, sent.to,
                     sent.prev_index, cases[i].next_index);
        }
        /* Until that probe is answered, new entries do not go to node 2. */
        uint64_t index, term;
        assert_raft_status(raft_propose(r, "x", 1, &index, &term), RAFT_OK);
        struct raft_msg out[8];
        count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
        if (entries_sent_to(out, count, 2) != 0) {
            fail_msg("after a refusal (%s), a proposal went to node 2 before it answered the "
                     "probe: a follower that refused is probed, one append a heartbeat",
                     cases[i].why);
        }
        raft_destroy(r);
    }
}

/* The claim: a follower's next_index stays past its match_index: a success that reports more
 * than the probe guessed moves it past, and a late refusal cannot send it below. */
static void
test_b_next_index_stays_past_match(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    struct raft *r = leader_new(7, terms, KH_ARRAY_LEN(terms)); /* no-op at 11 */
    reply_to(r, 2, false, 10, 0, 4, 0);                         /* too short: probe from 4 */
    node_drain(r, NULL, 0, NULL);
    reply_to(r, 2, true, 3, 8, 0, 0); /* a late success: it holds 1-8 */
    struct raft_msg out[8];
    size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    if (count < 1 || out[0].type != RAFT_MSG_APPEND || out[0].to != 2 || out[0].prev_index != 8) {
        fail_msg("node 2 answered that it holds entries 1-8: the leader sent %zu messages, the "
                 "first %s after index %" PRIu64 "; expected an append of what follows 8 at once",
                 count, count > 0 && out[0].type == RAFT_MSG_APPEND ? "an append" : "not an append",
                 count > 0 ? out[0].prev_index : 0);
    }
    reply_to(r, 2, false, 10, 0, 8, 0); /* a late refusal, from before: "my log ends at 7" */
    count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    if (count != 1 || out[0].type != RAFT_MSG_APPEND || out[0].prev_index != 8) {
        fail_msg("a late refusal hinting index 8 reached a leader that knows node 2 holds 1-8: "
                 "it sent %zu messages, the first after index %" PRIu64 "; expected one append "
                 "after index 8 (next_index never falls to match_index or below)",
                 count, count > 0 ? out[0].prev_index : 0);
    }
    uint64_t index, term;
    assert_raft_status(raft_propose(r, "x", 1, &index, &term), RAFT_OK);
    count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    if (entries_sent_to(out, count, 2) != 0) {
        fail_msg("node 2 refused, and a proposal went to it before it answered the probe: a "
                 "follower that refuses is probed, pipelining or not");
    }
    raft_destroy(r);
}

/* The claim: a new leader's first append to each follower goes at once (README part A) and
 * carries its no-op, after the last entry it had: Figure 2's nextIndex for every follower. */
static void
test_b_new_leader_sends_its_noop_at_once(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1};
    struct raft_msg out[8];
    size_t count = 0;
    struct raft *r = leader_of(2, 3, 3, terms, KH_ARRAY_LEN(terms), out, KH_ARRAY_LEN(out), &count);
    bool has_sent[4] = {false};
    for (size_t i = 0; i < count && i < KH_ARRAY_LEN(out); i++) {
        const struct raft_msg *m = &out[i];
        if (m->type != RAFT_MSG_APPEND || m->to == 2 || m->to > 3 || m->prev_index != 2 ||
            m->prev_term != 1 || m->entry_count != 1 || m->commit != 0) {
            fail_msg("node 2, elected leader of term 3 with a log of 2 entries, sent a message of "
                     "type %u to node %u after index %" PRIu64 " (term %" PRIu64 ") with %u "
                     "entries; expected an append to each of nodes 1 and 3 after index 2 (term 1) "
                     "with its no-op",
                     m->type, m->to, m->prev_index, m->prev_term, m->entry_count);
        }
        has_sent[m->to] = true;
    }
    if (!has_sent[1] || !has_sent[3]) {
        fail_msg("node 2, elected leader of 3, sent no append to node %u as it was elected",
                 has_sent[1] ? 3 : 1);
    }
    struct raft_entry noop;
    assert_true(raft_entry_at(r, 3, &noop));
    assert_int_equal(noop.term, 3);
    assert_int_equal(noop.type, RAFT_ENTRY_NOOP);
    raft_destroy(r);
}

/* The claim: raft_ready sends a pipelining follower the new entries at once, and nothing to a
 * follower being probed; a pipeline takes new appends only while fewer than
 * RAFT_INFLIGHT_ENTRIES_MAX entries are unacknowledged. */
static void
test_b_ready_sends_new_entries_within_the_window(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1};
    struct raft *r = leader_new(2, terms, KH_ARRAY_LEN(terms)); /* its no-op is index 2 */
    reply_to(r, 2, true, 1, 2, 0, 0); /* node 2 pipelines; node 3 has not answered */
    node_drain(r, NULL, 0, NULL);
    uint64_t index, term;
    assert_raft_status(raft_propose(r, "one", 3, &index, &term), RAFT_OK);
    struct raft_msg out[64];
    size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    if (count != 1 || out[0].to != 2 || out[0].entry_count != 1 || out[0].prev_index != 2) {
        fail_msg("one proposal: the ready held %zu messages; expected exactly one append of the "
                 "new entry to node 2 (pipelining), none to node 3 (not yet answered)",
                 count);
    }
    reply_to(r, 2, true, 2, 3, 0, 0); /* nothing unacknowledged now */
    node_drain(r, NULL, 0, NULL);
    const struct {
        uint32_t proposals;
        uint64_t entries_sent;
    } steps[] = {
        {RAFT_INFLIGHT_ENTRIES_MAX - 1, RAFT_INFLIGHT_ENTRIES_MAX - 1}, /* all of them */
        {1, 1}, /* fewer than the window unacknowledged: one more append */
        {1, 0}, /* a full window unacknowledged: it waits */
    };
    uint64_t unacknowledged = 0;
    for (size_t i = 0; i < KH_ARRAY_LEN(steps); i++) {
        for (uint32_t k = 0; k < steps[i].proposals; k++) {
            assert_raft_status(raft_propose(r, "many", 4, &index, &term), RAFT_OK);
        }
        count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
        uint64_t sent = entries_sent_to(out, count, 2);
        if (sent != steps[i].entries_sent || entries_sent_to(out, count, 3) != 0) {
            fail_msg("%" PRIu64 " entries unacknowledged by node 2, %u more proposed: %" PRIu64
                     " went to node 2 and %" PRIu64 " to node 3; expected %" PRIu64 " to node 2 "
                     "(an append goes while fewer than %u are unacknowledged), none to node 3",
                     unacknowledged, steps[i].proposals, sent, entries_sent_to(out, count, 3),
                     steps[i].entries_sent, RAFT_INFLIGHT_ENTRIES_MAX);
        }
        unacknowledged += sent;
    }
    raft_destroy(r);
}

/* The claim: raft_propose works on a leader only, takes up to RAFT_ENTRY_BYTES_MAX bytes (a copy:
 * the entry holds them), refuses more with RAFT_TOO_BIG, and out of memory returns RAFT_NOMEM
 * with nothing appended. */
static void
test_b_propose_on_a_leader_only(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1};
    struct raft *follower = node_new(2, 3, 1, 0, terms, KH_ARRAY_LEN(terms));
    uint64_t index = 0, term = 0;
    assert_raft_status(raft_propose(follower, "x", 1, &index, &term), RAFT_NOT_LEADER);
    raft_destroy(follower);
    struct raft *r = leader_new(2, terms, KH_ARRAY_LEN(terms)); /* its no-op is index 2 */
    static uint8_t big[RAFT_ENTRY_BYTES_MAX + 1];
    memset(big, 'b', sizeof(big));
    assert_raft_status(raft_propose(r, big, sizeof(big), &index, &term), RAFT_TOO_BIG);
    assert_raft_status(raft_propose(r, big, RAFT_ENTRY_BYTES_MAX, &index, &term), RAFT_OK);
    big[0] = 'c'; /* the entry holds a copy */
    struct raft_entry e;
    if (index != 3 || term != 2 || !raft_entry_at(r, 3, &e) ||
        e.size_bytes != RAFT_ENTRY_BYTES_MAX || e.type != RAFT_ENTRY_COMMAND || e.data[0] != 'b') {
        fail_msg("a proposal of RAFT_ENTRY_BYTES_MAX bytes on the leader of term 2 (last index 2) "
                 "gave index %" PRIu64 ", term %" PRIu64 "; expected index 3, term 2, a command "
                 "entry holding a copy of the bytes",
                 index, term);
    }
#if KH_OOM_IS_INJECTABLE
    kh_oom_arm(0);
    raft_status st = raft_propose(r, "y", 1, &index, &term);
    kh_oom_disarm();
    assert_raft_status(st, RAFT_NOMEM);
    assert_int_equal(raft_last_index(r), 3);
    assert_raft_status(raft_propose(r, "y", 1, &index, &term), RAFT_OK);
    assert_int_equal(index, 4);
#else
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#endif
    raft_destroy(r);
}

/* The claim: a follower that runs out of memory in an append answers as if the append were
 * lost (no success for entries it does not hold), keeps a prefix of the leader's log, and takes
 * the append again later. */
static void
test_b_append_out_of_memory_is_as_if_lost(void **state)
{
    (void)state;
#if KH_OOM_IS_INJECTABLE
    static const uint64_t terms[] = {1, 1};
    struct raft *r = node_new(2, 3, 2, 0, terms, KH_ARRAY_LEN(terms));
    static const uint8_t data[] = {'a', 'b', 'c'};
    struct raft_entry entries[3];
    for (uint32_t i = 0; i < 3; i++) {
        entries[i] = (struct raft_entry){.term = 2,
                                         .index = 3 + i,
                                         .type = RAFT_ENTRY_COMMAND,
                                         .size_bytes = 1,
                                         .data = &data[i]};
    }
    struct raft_msg m = {.type = RAFT_MSG_APPEND,
                         .from = 1,
                         .to = 2,
                         .term = 2,
                         .prev_index = 2,
                         .prev_term = 1,
                         .entries = entries,
                         .entry_count = 3};
    kh_oom_arm(1); /* the second entry's copy fails */
    raft_status st = raft_step(r, &m);
    bool has_fired = kh_oom_disarm();
    assert_true(has_fired);
    assert_raft_status(st, RAFT_OK);
    struct raft_msg out[4];
    size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    for (size_t i = 0; i < count; i++) {
        if (out[i].type == RAFT_MSG_APPEND_REPLY && out[i].is_success &&
            out[i].match_index > raft_last_index(r)) {
            fail_msg("out of memory after appending %" PRIu64 " of 3 entries, the follower "
                     "answered success with match_index %" PRIu64 ": it does not hold them",
                     raft_last_index(r) - 2, out[i].match_index);
        }
    }
    for (uint64_t i = 3; i <= raft_last_index(r); i++) {
        struct raft_entry e;
        assert_true(raft_entry_at(r, i, &e));
        assert_int_equal(e.term, 2);
        assert_int_equal(e.data[0], data[i - 3]);
    }
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    struct raft_msg reply = {0};
    node_drain_last(r, &reply);
    if (!reply.is_success || reply.match_index != 5 || raft_last_index(r) != 5) {
        fail_msg("the same append again, with memory: success %d, match_index %" PRIu64
                 ", last index %" PRIu64 "; expected success, 5, 5",
                 reply.is_success, reply.match_index, raft_last_index(r));
    }
    raft_destroy(r);
#else
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#endif
}

/* The claim: a pipelining leader that hears nothing back for a whole heartbeat sends the
 * unacknowledged entries again (from the follower's match_index): a lost append is not waited
 * for forever; while the follower answers, nothing is sent twice. */
/* Ticks r `ticks` times and returns the entries it sent node 2 meanwhile, and in *prev_index the
 * prev_index of the last append to node 2 that carried entries. */
static uint64_t
tick_and_count(struct raft *r, uint32_t ticks, uint64_t *prev_index)
{
    uint64_t entries = 0;
    for (uint32_t t = 0; t < ticks; t++) {
        raft_tick(r);
        struct raft_msg out[8];
        size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
        for (size_t i = 0; i < count && i < KH_ARRAY_LEN(out); i++) {
            if (out[i].type == RAFT_MSG_APPEND && out[i].to == 2 && out[i].entry_count > 0) {
                entries += out[i].entry_count;
                *prev_index = out[i].prev_index;
            }
        }
    }
    return entries;
}

static void
test_b_lost_append_is_resent(void **state)
{
    (void)state;
    const uint64_t terms[] = {1};
    struct raft *r = leader_new(2, terms, KH_ARRAY_LEN(terms)); /* its no-op is index 2 */
    reply_to(r, 2, true, 1, 2, 0, 0);                           /* node 2 pipelines now */
    node_drain(r, NULL, 0, NULL);
    uint64_t index, term, prev_index = 0;
    assert_raft_status(raft_propose(r, "a", 1, &index, &term), RAFT_OK);
    node_drain(r, NULL, 0, NULL); /* the append of index 3 */
    assert_raft_status(raft_propose(r, "b", 1, &index, &term), RAFT_OK);
    node_drain(r, NULL, 0, NULL);     /* the append of index 4: lost */
    reply_to(r, 2, true, 2, 3, 0, 0); /* index 3 is acknowledged */
    node_drain(r, NULL, 0, NULL);
    if (tick_and_count(r, CLUSTER_HEARTBEAT_TICKS, &prev_index) != 0) {
        fail_msg("node 2 answered within the last heartbeat, and the leader sent entries again "
                 "at the heartbeat: only a pipeline silent for a whole heartbeat is probed");
    }
    if (tick_and_count(r, 2 * CLUSTER_HEARTBEAT_TICKS, &prev_index) == 0 || prev_index != 3) {
        fail_msg("node 2 acknowledged index 3, index 4 went unanswered for 2 more heartbeats, and "
                 "the leader did not send it again after index 3");
    }
    raft_destroy(r);
}

/* ---- Clusters ------------------------------------------------------------------------- */

/* The claim: three nodes agree on a sequence of commands: each proposed on the leader is applied
 * by all three at consecutive indexes; a non-leader refuses proposals with RAFT_NOT_LEADER, and
 * a leader refuses one over RAFT_ENTRY_BYTES_MAX with RAFT_TOO_BIG. */
static void
test_b_basic_agreement(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
    uint64_t index = 0, term = 0;
    assert_raft_status(raft_propose(c.nodes[leader % 3 + 1].raft, "x", 1, &index, &term),
                       RAFT_NOT_LEADER);
    static const char big[RAFT_ENTRY_BYTES_MAX + 1];
    assert_raft_status(raft_propose(c.nodes[leader].raft, big, sizeof(big), &index, &term),
                       RAFT_TOO_BIG);
    uint64_t previous = 0;
    for (unsigned i = 0; i < 5; i++) {
        char command[32];
        cluster_command_of(command, sizeof(command), "basic", i);
        uint64_t at = cluster_one(&c, command, 3, AGREE_TICKS_MAX);
        if (previous != 0 && at != previous + 1) {
            fail_msg("command %u was applied at index %" PRIu64 ", after index %" PRIu64, i, at,
                     previous);
        }
        previous = at;
    }
    cluster_stop(&c);
}

/* The claim: a cut-off follower does not stop the other two from agreeing; back, it catches up
 * with every command it missed. */
static void
test_b_follower_catches_up(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_one(&c, "before", 3, AGREE_TICKS_MAX);
    cluster_follower_misses(&c, 40, "missed", AGREE_TICKS_MAX);
    cluster_stop(&c);
}

/* The claim: with three of five nodes cut off, a command proposed on the leader is not
 * committed; once they are back, the cluster agrees again. */
static void
test_b_no_agreement_without_a_majority(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_one(&c, "all", 5, AGREE_TICKS_MAX);
    for (uint32_t k = 1; k <= 3; k++) {
        cluster_disconnect(&c, (leader + k - 1) % 5 + 1);
    }
    uint64_t index = 0, term = 0;
    assert_raft_status(raft_propose(c.nodes[leader].raft, "lonely", 6, &index, &term), RAFT_OK);
    cluster_process(&c, leader);
    cluster_run(&c, 4 * ET);
    if (raft_commit_index(c.nodes[leader].raft) >= index) {
        fail_msg("leader %u committed index %" PRIu64 " with 2 of 5 nodes reachable", leader,
                 index);
    }
    for (uint32_t k = 1; k <= 3; k++) {
        cluster_connect(&c, (leader + k - 1) % 5 + 1);
    }
    cluster_one(&c, "healed", 5, AGREE_TICKS_MAX);
    cluster_stop(&c);
}

/* The claim: a leader cut off with commands nobody else got, then back after others led and
 * committed, gives those commands up: its log is made the new leader's (§5.3). */
static void
test_b_rejoining_leader_gives_up_its_entries(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    uint32_t first = cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_one(&c, "common", 3, AGREE_TICKS_MAX);
    cluster_disconnect(&c, first);
    uint64_t index, term;
    for (int i = 0; i < 3; i++) {
        assert_raft_status(raft_propose(c.nodes[first].raft, "orphan", 6, &index, &term), RAFT_OK);
    }
    cluster_process(&c, first);
    cluster_one(&c, "second", 2, AGREE_TICKS_MAX);
    uint32_t second = cluster_leader(&c);
    cluster_disconnect(&c, second);
    cluster_connect(&c, first);
    cluster_one(&c, "third", 2, AGREE_TICKS_MAX);
    cluster_connect(&c, second);
    cluster_one(&c, "everyone", 3, AGREE_TICKS_MAX);
    cluster_stop(&c);
}

/* The claim: a follower far behind with many conflicting entries is brought back in a few
 * round trips: the leader skips a whole term per refusal (the fast backup), so the refusals
 * number a few per election, not one per conflicting entry. */
static void
test_b_backup_is_fast(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_one(&c, "start", 5, AGREE_TICKS_MAX);
    /* The leader and one follower take 150 commands that never commit. */
    uint32_t partner = leader % 5 + 1;
    for (uint32_t id = 1; id <= 5; id++) {
        if (id != leader && id != partner) {
            cluster_disconnect(&c, id);
        }
    }
    uint64_t index, term;
    for (int i = 0; i < 150; i++) {
        assert_raft_status(raft_propose(c.nodes[leader].raft, "lost", 4, &index, &term), RAFT_OK);
        cluster_process(&c, leader);
    }
    cluster_run(&c, 2);
    /* The other three elect a leader and commit 150 commands of their own. */
    cluster_disconnect(&c, leader);
    cluster_disconnect(&c, partner);
    for (uint32_t id = 1; id <= 5; id++) {
        if (id != leader && id != partner) {
            cluster_connect(&c, id);
        }
    }
    for (int i = 0; i < 150; i++) {
        char command[32];
        cluster_command_of(command, sizeof(command), "kept", (unsigned)i);
        uint32_t l = cluster_await_leader(&c, AGREE_TICKS_MAX);
        assert_raft_status(raft_propose(c.nodes[l].raft, command, strlen(command), &index, &term),
                           RAFT_OK);
        cluster_process(&c, l);
    }
    cluster_one(&c, "kept-last", 3, AGREE_TICKS_MAX);
    /* That leader goes and the two with 150 conflicting entries come back: a new leader, whose
     * log ends past theirs, must bring them back in a few round trips. */
    cluster_disconnect(&c, cluster_leader(&c));
    cluster_connect(&c, leader);
    cluster_connect(&c, partner);
    uint64_t refused_before = c.appends_refused;
    cluster_one(&c, "together", 4, AGREE_TICKS_MAX);
    uint64_t refused = c.appends_refused - refused_before;
    if (refused > 40) {
        fail_msg("bringing back two nodes with 150 conflicting entries took %" PRIu64 " refused "
                 "appends: back up a term at a time, not an entry",
                 refused);
    }
    cluster_stop(&c);
}

/* The claim: many proposals in one tick are batched: 200 commands reach 3 nodes in far fewer
 * messages than one append per command per follower. */
static void
test_b_proposals_are_batched(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_one(&c, "warm", 3, AGREE_TICKS_MAX);
    uint64_t sent_before = c.messages_sent, index = 0, term;
    for (int i = 0; i < 200; i++) {
        assert_raft_status(raft_propose(c.nodes[leader].raft, "batch", 5, &index, &term), RAFT_OK);
    }
    cluster_process(&c, leader);
    while (cluster_applied_by(&c, index) < 3 && kh_sim_now(c.sim) < 1000000) {
        cluster_step(&c);
    }
    cluster_check(&c);
    uint64_t sent = c.messages_sent - sent_before;
    if (sent > 60) {
        fail_msg("200 proposals made in one tick took %" PRIu64 " messages to commit on 3 nodes;"
                 " RAFT_APPEND_ENTRIES_MAX entries fit in one append",
                 sent);
    }
    cluster_stop(&c);
}

/* The claim: on a network that drops 10%, duplicates 5% and delays 1-5 ticks (so reorders),
 * five nodes agree on 60 commands. */
static void
test_b_unreliable_agreement(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    struct kh_sim_faults faults = {.delay_ticks_min = 1,
                                   .delay_ticks_max = 5,
                                   .drop_per_million = 100000,
                                   .duplicate_per_million = 50000};
    kh_sim_set_faults(c.sim, &faults);
    for (unsigned i = 0; i < 60; i++) {
        char command[32];
        cluster_command_of(command, sizeof(command), "unreliable", i);
        cluster_one(&c, command, 3, 4 * AGREE_TICKS_MAX);
    }
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    cluster_require(reached, CLUSTER_SAW_MESSAGE_DROPPED | CLUSTER_SAW_MESSAGE_DUPLICATED);
}

/* The claim (the paper's Figure 8, played at random): five nodes on an unreliable network,
 * leaders crashing and restarting from their disks, nodes cut off and back, commands proposed
 * all along: no two nodes ever apply different commands at one index, and once the faults stop,
 * all five agree on a last command. */
static void
test_b_figure_8_unreliable(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    struct kh_sim_faults faults = {.delay_ticks_min = 1,
                                   .delay_ticks_max = 8,
                                   .drop_per_million = 50000,
                                   .duplicate_per_million = 20000};
    kh_sim_set_faults(c.sim, &faults);
    struct kh_rng *rng = kh_sim_rng(c.sim);
    uint32_t up = 5;
    for (int round = 0; round < 200; round++) {
        uint32_t leader = cluster_leader(&c);
        if (leader != 0) {
            uint64_t index, term;
            (void)raft_propose(c.nodes[leader].raft, "fig8", 4, &index, &term);
            cluster_process(&c, leader);
        }
        cluster_run(&c,
                    kh_rng_below(rng, 2) == 0 ? kh_rng_below(rng, 3) : kh_rng_below(rng, 2 * ET));
        if (leader != 0 && c.nodes[leader].raft != NULL && kh_rng_below(rng, 2) == 0) {
            cluster_crash(&c, leader);
            up--;
        }
        if (up < 3) {
            uint32_t id = 1 + (uint32_t)kh_rng_below(rng, 5);
            if (c.nodes[id].raft == NULL) {
                cluster_restart(&c, id);
                up++;
            }
        }
    }
    for (uint32_t id = 1; id <= 5; id++) {
        if (c.nodes[id].raft == NULL) {
            cluster_restart(&c, id);
        }
    }
    kh_sim_set_faults(c.sim, &(struct kh_sim_faults){.delay_ticks_min = 1, .delay_ticks_max = 1});
    cluster_one(&c, "fig8-last", 5, 4 * AGREE_TICKS_MAX);
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    cluster_require(reached, CLUSTER_SAW_LEADER_CHANGED | CLUSTER_SAW_NODE_RESTARTED |
                                 CLUSTER_SAW_ENTRIES_REPLACED | CLUSTER_SAW_MESSAGE_DROPPED);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_append_consistency_check_and_hint),
        cmocka_unit_test(test_b_matching_append_truncates_nothing),
        cmocka_unit_test(test_b_commit_index_follows_the_append),
        cmocka_unit_test(test_b_commit_only_by_an_entry_of_the_leaders_term),
        cmocka_unit_test(test_b_commit_is_what_a_majority_holds),
        cmocka_unit_test(test_b_leader_backs_up_by_the_hint),
        cmocka_unit_test(test_b_next_index_stays_past_match),
        cmocka_unit_test(test_b_new_leader_sends_its_noop_at_once),
        cmocka_unit_test(test_b_ready_sends_new_entries_within_the_window),
        cmocka_unit_test(test_b_propose_on_a_leader_only),
        cmocka_unit_test(test_b_append_out_of_memory_is_as_if_lost),
        cmocka_unit_test(test_b_lost_append_is_resent),
        cmocka_unit_test(test_b_basic_agreement),
        cmocka_unit_test(test_b_follower_catches_up),
        cmocka_unit_test(test_b_no_agreement_without_a_majority),
        cmocka_unit_test(test_b_rejoining_leader_gives_up_its_entries),
        cmocka_unit_test(test_b_backup_is_fast),
        cmocka_unit_test(test_b_proposals_are_batched),
        cmocka_unit_test(test_b_unreliable_agreement),
        cmocka_unit_test(test_b_figure_8_unreliable),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
