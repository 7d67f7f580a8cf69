/* test_d_snapshot.c -- part D: log compaction and InstallSnapshot (Raft §7, Figure 13). The first
 * tests drive one leader or one follower message by message: chunks sent one at a time and
 * taken only in order, what a follower keeps of its log when it installs a snapshot, a snapshot
 * older than what it knows committed, appends that reach below a snapshot. The rest run clusters
 * (cluster.h) whose nodes compact their logs as they apply, restart from snapshot plus log, and
 * catch up a lagging follower by snapshot; the cluster checks every snapshot a state machine
 * restores against the entries committed through it, byte for byte. */
#include "node_test.h"

#define ET CLUSTER_ELECTION_TICKS
#define AGREE_TICKS_MAX (20u * ET)
#define CHUNK RAFT_SNAPSHOT_CHUNK_BYTES
#define SNAP_BYTES (2u * CHUNK + 18000u) /* three chunks, the last a short one */

/* The test snapshot's bytes: a pattern in which a chunk out of place shows. */
static uint8_t *
snapshot_bytes(size_t size)
{
    uint8_t *data = malloc(size);
    assert_non_null(data);
    for (size_t i = 0; i < size; i++) {
        data[i] = (uint8_t)(i * 7 + i / 251);
    }
    return data;
}

/* A chunk of the snapshot at index of term from leader 1 of term `term` to node 2. */
static struct raft_msg
chunk_of(const uint8_t *data, size_t size, uint64_t term, uint64_t index, uint64_t snap_term,
         uint64_t offset)
{
    uint64_t left = size - offset;
    uint32_t chunk = left < CHUNK ? (uint32_t)left : CHUNK;
    return (struct raft_msg){.type = RAFT_MSG_SNAPSHOT,
                             .from = 1,
                             .to = 2,
                             .term = term,
                             .prev_index = index,
                             .prev_term = snap_term,
                             .offset = offset,
                             .data = data + offset,
                             .size_bytes = chunk,
                             .is_done = chunk == left};
}

/* Delivers m to follower r, carries out its readies, and returns its one reply; the last ready
 * that had a snapshot goes into *saved (when not NULL; its data is not kept). */
static struct raft_msg
deliver(struct raft *r, const struct raft_msg *m, struct raft_ready *saved)
{
    assert_raft_status(raft_step(r, m), RAFT_OK);
    struct raft_msg reply = {0};
    size_t sent = 0;
    while (raft_has_ready(r)) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        if (rd.has_snapshot && saved != NULL) {
            *saved = rd;
            saved->snapshot.data = NULL;
        }
        for (size_t i = 0; i < rd.msg_count; i++, sent++) {
            reply = rd.msgs[i];
            reply.entries = NULL;
            reply.data = NULL;
        }
        raft_advance(r, &rd);
    }
    if (sent != 1 || reply.to != m->from) {
        fail_msg("a message of type %u (offset %" PRIu64 ") got %zu messages back; expected one "
                 "reply to its sender",
                 m->type, m->offset, sent);
    }
    return reply;
}

static void
assert_snapshot_reply(struct raft_msg got, bool is_success, uint64_t prev_index, uint64_t offset,
                      const char *after)
{
    const struct raft_msg *reply = &got;
    if (reply->type != RAFT_MSG_SNAPSHOT_REPLY || reply->is_success != is_success ||
        reply->prev_index != prev_index || (!is_success && reply->offset != offset) ||
        (is_success && reply->match_index != prev_index)) {
        fail_msg("after %s the follower answered type %u, success %d, prev_index %" PRIu64
                 ", offset %" PRIu64 ", match_index %" PRIu64 "; expected a snapshot reply, "
                 "success %d, prev_index %" PRIu64 ", %s %" PRIu64,
                 after, reply->type, reply->is_success, reply->prev_index, reply->offset,
                 reply->match_index, is_success, prev_index, is_success ? "match_index" : "offset",
                 is_success ? prev_index : offset);
    }
}

/* Leader r's messages to node `to` until it has no ready: their count, the last in *last, and
 * if it is a snapshot chunk, its bytes in chunk (when not NULL; RAFT_SNAPSHOT_CHUNK_BYTES). */
static size_t
sent_to(struct raft *r, uint32_t to, struct raft_msg *last, uint8_t *chunk)
{
    size_t count = 0;
    while (raft_has_ready(r)) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        for (size_t i = 0; i < rd.msg_count; i++) {
            if (rd.msgs[i].to != to) {
                continue;
            }
            count++;
            *last = rd.msgs[i];
            if (chunk != NULL && last->type == RAFT_MSG_SNAPSHOT && last->size_bytes > 0) {
                assert_true(last->size_bytes <= CHUNK);
                memcpy(chunk, last->data, last->size_bytes);
            }
            last->data = NULL;
            last->entries = NULL;
        }
        raft_advance(r, &rd);
    }
    return count;
}

static void
snapshot_reply_to(struct raft *r, uint32_t from, bool is_success, uint64_t prev_index,
                  uint64_t offset)
{
    struct raft_msg m = {.type = RAFT_MSG_SNAPSHOT_REPLY,
                         .from = from,
                         .to = r->config.id,
                         .term = raft_term(r),
                         .is_success = is_success,
                         .prev_index = prev_index,
                         .match_index = is_success ? prev_index : 0,
                         .offset = offset};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
}

/* The one chunk leader r sends node 2 next must be the one at offset, with its bytes. */
static void
assert_chunk_sent(struct raft *r, const uint8_t *snap, uint64_t index, uint64_t term,
                  uint64_t offset, const char *after)
{
    struct raft_msg m = {0};
    static uint8_t data[CHUNK];
    size_t count = sent_to(r, 2, &m, data);
    uint64_t left = SNAP_BYTES - offset;
    uint32_t size = left < CHUNK ? (uint32_t)left : CHUNK;
    if (count != 1 || m.type != RAFT_MSG_SNAPSHOT || m.prev_index != index || m.prev_term != term ||
        m.offset != offset || m.size_bytes != size || m.is_done != (size == left) ||
        m.term != raft_term(r)) {
        fail_msg("after %s the leader sent node 2 %zu messages, the last of type %u (index %" PRIu64
                 ", term %" PRIu64 ", offset %" PRIu64 ", %u bytes, done %d); expected one "
                 "chunk of the snapshot at index %" PRIu64 " (term %" PRIu64 "), offset %" PRIu64
                 ", %u bytes, done %d",
                 after, count, m.type, m.prev_index, m.prev_term, m.offset, m.size_bytes, m.is_done,
                 index, term, offset, size, size == left);
    }
    if (memcmp(data, snap + offset, size) != 0) {
        fail_msg("after %s the chunk at offset %" PRIu64 " does not hold the snapshot's bytes "
                 "from there",
                 after, offset);
    }
}

/* The claim (§7, raft.h): a leader compacts its log into a snapshot of what it applied, and a
 * follower that needs entries the snapshot replaced gets the snapshot in chunks of
 * RAFT_SNAPSHOT_CHUNK_BYTES, one at a time: the next when the last is acknowledged, nothing
 * for an acknowledgment heard twice; once the follower holds it, appends go on from past it. */
static void
test_d_leader_sends_the_snapshot_in_chunks(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 2, 2, 3}; /* the no-op of term 7 at 6 */
    struct raft *r = leader_new(7, terms, KH_ARRAY_LEN(terms));
    reply_to(r, 3, true, 5, 6, 0, 0); /* node 3 holds it all: 1..6 commit */
    node_drain(r, NULL, 0, NULL);
    assert_int_equal(raft_commit_index(r), 6);
    uint8_t *snap = snapshot_bytes(SNAP_BYTES);
    assert_raft_status(raft_compact(r, 7, snap, SNAP_BYTES), RAFT_BAD_INDEX);
    assert_raft_status(raft_compact(r, 6, snap, RAFT_SNAPSHOT_BYTES_MAX + 1), RAFT_TOO_BIG);
    assert_raft_status(raft_compact(r, 6, snap, SNAP_BYTES), RAFT_OK);
    assert_raft_status(raft_compact(r, 6, snap, SNAP_BYTES), RAFT_BAD_INDEX);
    struct raft_entry e;
    assert_false(raft_entry_at(r, 6, &e));
    struct raft_ready rd;
    raft_ready(r, &rd);
    assert_true(rd.has_snapshot);
    assert_false(rd.restore_snapshot); /* its state machine is where the snapshot came from */
    assert_int_equal(rd.snapshot.index, 6);
    assert_int_equal(rd.snapshot.term, 7);
    raft_advance(r, &rd);

    /* Node 2 refuses the election's probe: its log ends at 5, and entry 6 is in the snapshot. */
    reply_to(r, 2, false, 5, 0, 6, 0);
    assert_chunk_sent(r, snap, 6, 7, 0, "a refusal whose hint lies in the snapshot");
    for (uint32_t t = 0; t < CLUSTER_HEARTBEAT_TICKS; t++) {
        raft_tick(r);
    }
    struct raft_msg m = {0};
    size_t count = sent_to(r, 2, &m, NULL);
    if (count > 1 || (count == 1 && (m.type != RAFT_MSG_SNAPSHOT || m.offset != 0))) {
        fail_msg("a heartbeat while the first chunk was unanswered sent node 2 %zu messages, the "
                 "last of type %u at offset %" PRIu64 "; expected at most that chunk again",
                 count, m.type, m.offset);
    }
    snapshot_reply_to(r, 2, false, 6, CHUNK);
    assert_chunk_sent(r, snap, 6, 7, CHUNK, "the first chunk's acknowledgment");
    snapshot_reply_to(r, 2, false, 6, CHUNK);
    count = sent_to(r, 2, &m, NULL);
    if (count != 0) {
        fail_msg("the first chunk's acknowledgment, heard a second time, sent node 2 %zu "
                 "messages (type %u, offset %" PRIu64 "); expected none: the second chunk is "
                 "on its way",
                 count, m.type, m.offset);
    }
    snapshot_reply_to(r, 2, false, 6, SNAP_BYTES + 5); /* a broken follower's: start over */
    assert_chunk_sent(r, snap, 6, 7, 0, "an acknowledgment of more bytes than the snapshot has");
    snapshot_reply_to(r, 2, false, 6, 2 * CHUNK);
    assert_chunk_sent(r, snap, 6, 7, 2 * CHUNK, "the second chunk's acknowledgment");
    snapshot_reply_to(r, 2, false, 6, 0); /* node 2 lost what it held (it restarted) */
    assert_chunk_sent(r, snap, 6, 7, 0, "a follower's answer that it holds none of it");
    snapshot_reply_to(r, 2, false, 6, 2 * CHUNK);
    assert_chunk_sent(r, snap, 6, 7, 2 * CHUNK, "the second chunk's acknowledgment again");
    struct raft_msg broken = {.type = RAFT_MSG_SNAPSHOT_REPLY,
                              .from = 2,
                              .to = 1,
                              .term = 7,
                              .is_success = true,
                              .prev_index = 6,
                              .match_index = 1000};
    assert_raft_status(raft_step(r, &broken), RAFT_OK); /* more than the leader has: ignored */
    count = sent_to(r, 2, &m, NULL);
    if (count != 0 || raft_commit_index(r) != 6) {
        fail_msg("a success claiming index 1000 of a 6-entry log sent node 2 %zu messages and "
                 "left the commit index at %" PRIu64 "; expected it ignored",
                 count, raft_commit_index(r));
    }
    snapshot_reply_to(r, 2, true, 6, SNAP_BYTES);
    count = sent_to(r, 2, &m, NULL);
    if (count != 1 || m.type != RAFT_MSG_APPEND || m.prev_index != 6 || m.prev_term != 7) {
        fail_msg("once node 2 held the snapshot the leader sent it %zu messages, the last of "
                 "type %u after index %" PRIu64 " (term %" PRIu64 "); expected one append "
                 "after the snapshot's index 6 (term 7)",
                 count, m.type, m.prev_index, m.prev_term);
    }
    /* A refusal naming a term older than the snapshot's: the leader's search for that term
     * stops at the snapshot, where it knows the last term; it goes on from past the match. */
    reply_to(r, 2, false, 6, 0, 4, 3);
    count = sent_to(r, 2, &m, NULL);
    if (count != 1 || m.type != RAFT_MSG_APPEND || m.prev_index != 6) {
        fail_msg("a refusal with conflict term 3 (older than the snapshot's 7) from node 2, which "
                 "holds 1..6, sent it %zu messages, the last of type %u after index %" PRIu64
                 "; expected one append after 6",
                 count, m.type, m.prev_index);
    }
    free(snap);
    raft_destroy(r);
}

/* The claim: a follower that still answers but acknowledged only entries the leader has since
 * compacted away gets the snapshot at the next heartbeat: no append or heartbeat can point into
 * a snapshot, where the leader knows no term. */
static void
test_d_follower_behind_a_new_snapshot_gets_it(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1}; /* the no-op of term 7 at 2 */
    struct raft *r = leader_new(7, terms, KH_ARRAY_LEN(terms));
    reply_to(r, 2, true, 1, 2, 0, 0);
    reply_to(r, 3, true, 1, 2, 0, 0);
    node_drain(r, NULL, 0, NULL);
    for (int i = 0; i < 10; i++) {
        uint64_t index, term;
        assert_raft_status(raft_propose(r, "x", 1, &index, &term), RAFT_OK);
        node_drain(r, NULL, 0, NULL); /* pipelined to both */
    }
    reply_to(r, 3, true, 2, 12, 0, 0);
    node_drain(r, NULL, 0, NULL);
    assert_int_equal(raft_commit_index(r), 12);
    static const uint8_t data[100];
    assert_raft_status(raft_compact(r, 12, data, sizeof(data)), RAFT_OK);
    node_drain(r, NULL, 0, NULL);
    reply_to(r, 2, true, 2, 4, 0, 0); /* node 2 answers: it holds 1..4 */
    node_drain(r, NULL, 0, NULL);
    for (uint32_t t = 0; t < CLUSTER_HEARTBEAT_TICKS; t++) {
        raft_tick(r);
    }
    struct raft_msg m = {0};
    size_t count = sent_to(r, 2, &m, NULL);
    if (count != 1 || m.type != RAFT_MSG_SNAPSHOT || m.offset != 0 || m.prev_index != 12) {
        fail_msg("the heartbeat after node 2 acknowledged 1..4 and the leader compacted 1..12 "
                 "sent node 2 %zu messages, the last of type %u (index %" PRIu64 ", offset %" PRIu64
                 "); expected one: the first chunk of the snapshot at 12",
                 count, m.type, m.prev_index, m.offset);
    }
    raft_destroy(r);
}

/* The claim (Figure 13): a follower takes a snapshot's chunks in order only, answering any other
 * with the offset to go on from; once it holds the last, it installs the snapshot: the ready
 * persists it and has the state machine restore it, commit_index moves to its index, and the
 * acknowledgment (success, match_index) goes out with that ready, after the snapshot is
 * persisted. */
static void
test_d_follower_takes_chunks_in_order(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 2};
    struct raft *r = node_new(2, 3, 6, 0, terms, KH_ARRAY_LEN(terms));
    node_campaign(r); /* a candidate of term 7 */
    uint8_t *snap = snapshot_bytes(SNAP_BYTES);
    struct raft_ready saved = {0};
    struct raft_msg m = chunk_of(snap, SNAP_BYTES, 7, 6, 7, CHUNK);
    assert_snapshot_reply(deliver(r, &m, &saved), false, 6, 0, "a second chunk before the first");
    if (raft_role(r) != RAFT_FOLLOWER || raft_leader(r) != 1) {
        fail_msg("a candidate of term 7 that got a chunk from the leader of term 7 is role %d "
                 "with leader %u; expected a follower of node 1 (§5.2)",
                 raft_role(r), raft_leader(r));
    }
    m = chunk_of(snap, SNAP_BYTES, 7, 6, 7, 0);
    assert_snapshot_reply(deliver(r, &m, &saved), false, 6, CHUNK, "the first chunk");
    assert_snapshot_reply(deliver(r, &m, &saved), false, 6, CHUNK, "the first chunk again");
    struct raft_msg other = chunk_of(snap, SNAP_BYTES, 7, 8, 7, CHUNK);
    assert_snapshot_reply(deliver(r, &other, &saved), false, 8, 0,
                          "the second chunk of another snapshot (index 8) amid the first's");
    other = chunk_of(snap, SNAP_BYTES, 7, 6, 6, CHUNK);
    assert_snapshot_reply(deliver(r, &other, &saved), false, 6, 0,
                          "the second chunk of a snapshot of another term at the same index");
    m = chunk_of(snap, SNAP_BYTES, 7, 6, 7, 2 * CHUNK);
    assert_snapshot_reply(deliver(r, &m, &saved), false, 6, CHUNK,
                          "the third chunk before the second");
    assert_false(saved.has_snapshot);
    m = chunk_of(snap, SNAP_BYTES, 7, 6, 7, CHUNK);
    assert_snapshot_reply(deliver(r, &m, &saved), false, 6, 2 * CHUNK, "the second chunk");
    assert_false(saved.has_snapshot);
    assert_int_equal(raft_last_index(r), 3);

    /* The last chunk, carried out by hand to see the ready's order. */
    m = chunk_of(snap, SNAP_BYTES, 7, 6, 7, 2 * CHUNK);
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    struct raft_ready rd;
    raft_ready(r, &rd);
    if (!rd.has_snapshot || !rd.restore_snapshot || rd.snapshot.index != 6 ||
        rd.snapshot.term != 7 || rd.snapshot.size_bytes != SNAP_BYTES) {
        fail_msg(
            "the ready after the last chunk: has_snapshot %d, restore_snapshot %d, index %" PRIu64
            ", term %" PRIu64 ", %" PRIu64 " bytes; expected the snapshot at 6 (term 7), "
            "%u bytes, to persist and restore",
            rd.has_snapshot, rd.restore_snapshot, rd.snapshot.index, rd.snapshot.term,
            rd.snapshot.size_bytes, SNAP_BYTES);
    }
    if (memcmp(rd.snapshot.data, snap, SNAP_BYTES) != 0) {
        fail_msg("the installed snapshot's bytes are not the chunks' bytes in order");
    }
    assert_int_equal(rd.committed_count, 0);
    assert_int_equal(rd.msg_count, 1);
    assert_snapshot_reply(rd.msgs[0], true, 6, 0, "the last chunk");
    raft_advance(r, &rd);
    assert_int_equal(raft_commit_index(r), 6);
    assert_int_equal(raft_last_index(r), 6); /* its log (1 1 2) ended before the snapshot's */
    struct raft_snapshot s;
    raft_last_snapshot(r, &s);
    assert_int_equal(s.index, 6);
    free(snap);
    raft_destroy(r);
}

/* Installs a one-chunk snapshot at index of snap_term, from the leader of term 7, in a follower
 * with the given log; returns the follower. */
static struct raft *
installed(const uint64_t *terms, size_t count, uint64_t index, uint64_t snap_term)
{
    struct raft *r = node_new(2, 3, 7, 0, terms, count);
    static const uint8_t data[100];
    struct raft_msg m = chunk_of(data, sizeof(data), 7, index, snap_term, 0);
    struct raft_ready saved = {0};
    struct raft_msg reply = deliver(r, &m, &saved);
    assert_snapshot_reply(reply, true, index, 0, "a whole snapshot in one chunk");
    assert_true(saved.has_snapshot && saved.restore_snapshot);
    assert_int_equal(saved.committed_count, 0);
    return r;
}

/* The claim (Figure 13, 6-8): installing a snapshot keeps the entries after its index if the log
 * holds its index with its term, and discards the whole log otherwise; after it the state
 * machine applies only what follows the snapshot, never an entry the snapshot holds again. */
static void
test_d_install_keeps_only_what_follows_a_match(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 2, 2, 2, 2};
    struct raft *r = installed(terms, KH_ARRAY_LEN(terms), 4, 2);
    struct raft_entry e;
    if (raft_last_index(r) != 6 || !raft_entry_at(r, 5, &e) || e.term != 2 ||
        raft_entry_at(r, 4, &e)) {
        fail_msg("a snapshot at 4 (term 2) over a log 1 1 2 2 2 2: the last index is %" PRIu64
                 "; expected 6, the entries after 4 kept and the rest gone",
                 raft_last_index(r));
    }
    /* The leader's commit reaches 6: only entries 5 and 6 are applied. */
    struct raft_msg m = {.type = RAFT_MSG_APPEND,
                         .from = 1,
                         .to = 2,
                         .term = 7,
                         .prev_index = 6,
                         .prev_term = 2,
                         .commit = 6};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    uint64_t applied_from = 0, applied = 0;
    while (raft_has_ready(r)) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        for (size_t i = 0; i < rd.committed_count; i++) {
            applied_from = applied_from == 0 ? rd.committed[i].index : applied_from;
            applied++;
        }
        raft_advance(r, &rd);
    }
    if (applied_from != 5 || applied != 2) {
        fail_msg("after a snapshot at 4 and a commit to 6, the node handed out %" PRIu64
                 " entries to apply from index %" PRIu64 "; expected 2, from 5: what the "
                 "snapshot holds is applied by restoring it",
                 applied, applied_from);
    }
    raft_destroy(r);

    r = installed(terms, KH_ARRAY_LEN(terms), 4, 3);
    if (raft_last_index(r) != 4 || raft_entry_at(r, 5, &e)) {
        fail_msg("a snapshot at 4 (term 3) over a log 1 1 2 2 2 2, which holds 4 with term 2: "
                 "the last index is %" PRIu64 "; expected 4, the whole log discarded",
                 raft_last_index(r));
    }
    raft_destroy(r);
    r = installed(terms, 2, 4, 2);
    assert_int_equal(raft_last_index(r), 4);
    raft_destroy(r);
}

/* The claim (Figure 13): a snapshot that stands for no more than the follower knows committed
 * is acknowledged (success, match_index its index) and not installed: the state machine is not
 * taken back, the log keeps its entries. */
static void
test_d_older_snapshot_is_not_installed(void **state)
{
    (void)state;
    static const uint64_t terms[] = {1, 1, 2, 2, 2};
    struct raft *r = node_new(2, 3, 7, 0, terms, KH_ARRAY_LEN(terms));
    struct raft_msg m = {.type = RAFT_MSG_APPEND,
                         .from = 1,
                         .to = 2,
                         .term = 7,
                         .prev_index = 5,
                         .prev_term = 2,
                         .commit = 5};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    node_drain(r, NULL, 0, NULL);
    assert_int_equal(raft_commit_index(r), 5);
    uint8_t *snap = snapshot_bytes(SNAP_BYTES);
    for (uint64_t index = 3; index <= 5; index += 2) {
        m = chunk_of(snap, SNAP_BYTES, 7, index, 2, 0);
        struct raft_ready saved = {0};
        struct raft_msg reply = deliver(r, &m, &saved);
        assert_snapshot_reply(reply, true, index, 0, "an old snapshot's first chunk");
        struct raft_entry e;
        if (saved.has_snapshot || raft_last_index(r) != 5 || !raft_entry_at(r, 4, &e) ||
            raft_commit_index(r) != 5) {
            fail_msg("a snapshot at %" PRIu64 " sent to a follower that committed 1..5 was "
                     "installed (ready has_snapshot %d; last index %" PRIu64 ", commit %" PRIu64
                     "); expected it acknowledged and left",
                     index, saved.has_snapshot, raft_last_index(r), raft_commit_index(r));
        }
    }
    free(snap);
    raft_destroy(r);
}

/* The claim: a node restarts from a snapshot and the log after it (raft_create): it knows the
 * snapshot committed; an append that reaches below its snapshot matches there (what a snapshot
 * holds is committed, so the leader has it too), and only its entries past the snapshot count. */
static void
test_d_append_below_the_snapshot_matches(void **state)
{
    (void)state;
    struct raft_config config = {.id = 2,
                                 .node_count = 3,
                                 .election_ticks = ET,
                                 .heartbeat_ticks = CLUSTER_HEARTBEAT_TICKS,
                                 .random_seed = kh_test_seed()};
    struct raft_hard_state hs = {.term = 3};
    struct raft_snapshot snap = {
        .index = 10, .term = 2, .size_bytes = 3, .data = (const uint8_t *)"abc"};
    struct raft_entry log[] = {{.term = 2, .index = 11, .type = RAFT_ENTRY_NOOP},
                               {.term = 2, .index = 12, .type = RAFT_ENTRY_NOOP}};
    struct raft *r = NULL;
    log[0].index = 12;
    assert_raft_status(raft_create(&config, &hs, &snap, log, 2, &r), RAFT_BAD_STATE);
    log[0].index = 11;
    assert_raft_status(raft_create(&config, &hs, &snap, log, 2, &r), RAFT_OK);
    assert_int_equal(raft_commit_index(r), 10);
    assert_int_equal(raft_last_index(r), 12);
    /* A refusal's hint: its term at 12 is 2, whose first index in its log is 11 (10 is the
     * snapshot's; nothing before it is known). */
    struct raft_msg refused = append_to(r, 3, 12, 3, 0, NULL, 0);
    if (refused.is_success || refused.conflict_term != 2 || refused.conflict_index != 11) {
        fail_msg("an append after index 12 of term 3 to a node holding 12 with term 2 after a "
                 "snapshot at 10 (term 2): success %d, conflict term %" PRIu64 ", index %" PRIu64
                 "; expected a refusal naming term 2 from index 11",
                 refused.is_success, refused.conflict_term, refused.conflict_index);
    }

    static const uint64_t terms[] = {1, 1, 2, 2, 2, 2, 2, 3};
    struct raft_msg reply = append_to(r, 3, 5, 1, 0, terms, KH_ARRAY_LEN(terms));
    struct raft_entry e;
    if (!reply.is_success || reply.match_index != 13 || raft_last_index(r) != 13 ||
        !raft_entry_at(r, 13, &e) || e.term != 3) {
        fail_msg("an append after index 5 carrying 6..13 to a node whose snapshot ends at 10: "
                 "success %d, match_index %" PRIu64 ", last index %" PRIu64 "; expected success, "
                 "13, 13",
                 reply.is_success, reply.match_index, raft_last_index(r));
    }
    reply = append_to(r, 3, 2, 1, 0, terms, 3);
    if (!reply.is_success || reply.match_index != 5 || raft_last_index(r) != 13) {
        fail_msg("a late append after index 2 carrying 3..5 to a node whose snapshot ends at 10: "
                 "success %d, match_index %" PRIu64 ", last index %" PRIu64 "; expected success, "
                 "5, and the log left at 13",
                 reply.is_success, reply.match_index, raft_last_index(r));
    }
    raft_destroy(r);
}

/* ---- Clusters that compact ----------------------------------------------------------------- */

/* The claim (§7): a follower cut off while the others committed and compacted past what it holds
 * catches up by the leader's snapshot (three chunks) and then by the log, and applies every
 * command after it as the others did. */
static void
test_d_lagging_follower_catches_up_by_snapshot(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    c.compact_every = 8;
    c.snapshot_bytes = SNAP_BYTES;
    cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_one(&c, "before", 3, AGREE_TICKS_MAX);
    uint32_t follower = cluster_follower_misses(&c, 30, "missed", AGREE_TICKS_MAX);
    if (c.snapshots_restored == 0) {
        fail_msg("node %u caught up with 30 commands the others compacted away without "
                 "restoring a snapshot",
                 follower);
    }
    cluster_stop(&c);
}

/* The claim: nodes that compact as they go restart from their snapshot and the log after it,
 * crash after crash, and still agree: every node's state machine (restored from its snapshot,
 * then replaying its log) applies what the others did. */
static void
test_d_restarts_from_snapshot_and_log(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    c.compact_every = 5;
    c.snapshot_bytes = 3000;
    struct kh_rng *rng = kh_sim_rng(c.sim);
    char command[32];
    unsigned restarts_from_snapshot = 0;
    for (unsigned i = 0; i < 40; i++) {
        cluster_command_of(command, sizeof(command), "restart", i);
        cluster_one(&c, command, 3, 4 * AGREE_TICKS_MAX);
        uint32_t id = 1 + (uint32_t)kh_rng_below(rng, 5);
        if (i % 4 == 3 && c.nodes[id].raft != NULL) {
            cluster_crash(&c, id);
            cluster_run(&c, kh_rng_below(rng, 2 * ET));
            restarts_from_snapshot += c.nodes[id].disk.snapshot.index > 0;
            cluster_restart(&c, id);
        }
    }
    uint64_t last = cluster_one(&c, "restart-last", 5, 4 * AGREE_TICKS_MAX);
    assert_true(last > 40);
    cluster_stop(&c);
    if (restarts_from_snapshot == 0) {
        kh_test_inconclusive("no node restarted from a snapshot");
    }
}

/* The claim: snapshots sent on an unreliable network (chunks lost, late, twice), nodes crashing
 * and restarting from snapshot and log, leaders changing in the middle of a transfer: no two
 * nodes apply different commands, and no state machine restores a snapshot that is not the
 * committed prefix; then a node cut off while the others compact catches up by snapshot. */
static void
test_d_snapshots_on_an_unreliable_network(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    c.compact_every = 6;
    c.snapshot_bytes = SNAP_BYTES;
    struct kh_sim_faults faults = {.delay_ticks_min = 1,
                                   .delay_ticks_max = 6,
                                   .drop_per_million = 50000,
                                   .duplicate_per_million = 20000};
    kh_sim_set_faults(c.sim, &faults);
    struct kh_rng *rng = kh_sim_rng(c.sim);
    uint32_t up = 5;
    for (int round = 0; round < 150; round++) {
        uint32_t leader = cluster_leader(&c);
        if (leader != 0) {
            uint64_t index, term;
            (void)raft_propose(c.nodes[leader].raft, "snap", 4, &index, &term);
            cluster_process(&c, leader);
        }
        cluster_run(&c, kh_rng_below(rng, 2 * ET));
        uint32_t id = 1 + (uint32_t)kh_rng_below(rng, 5);
        if (c.nodes[id].raft != NULL && up > 3 && kh_rng_below(rng, 3) == 0) {
            cluster_crash(&c, id);
            up--;
        } else if (c.nodes[id].raft == NULL) {
            cluster_restart(&c, id);
            up++;
        }
    }
    for (uint32_t id = 1; id <= 5; id++) {
        if (c.nodes[id].raft == NULL) {
            cluster_restart(&c, id);
        }
    }
    uint64_t restored = c.snapshots_restored;
    uint32_t behind = cluster_follower_misses(&c, 20, "unreliable", 8 * AGREE_TICKS_MAX);
    if (c.snapshots_restored == restored) {
        fail_msg("node %u caught up with 20 commands the others compacted away without "
                 "restoring a snapshot",
                 behind);
    }
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    cluster_require(reached, CLUSTER_SAW_LEADER_CHANGED | CLUSTER_SAW_NODE_RESTARTED |
                                 CLUSTER_SAW_MESSAGE_DROPPED | CLUSTER_SAW_MESSAGE_DUPLICATED |
                                 CLUSTER_SAW_TRANSFER_CUT);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_leader_sends_the_snapshot_in_chunks),
        cmocka_unit_test(test_d_follower_behind_a_new_snapshot_gets_it),
        cmocka_unit_test(test_d_follower_takes_chunks_in_order),
        cmocka_unit_test(test_d_install_keeps_only_what_follows_a_match),
        cmocka_unit_test(test_d_older_snapshot_is_not_installed),
        cmocka_unit_test(test_d_append_below_the_snapshot_matches),
        cmocka_unit_test(test_d_lagging_follower_catches_up_by_snapshot),
        cmocka_unit_test(test_d_restarts_from_snapshot_and_log),
        cmocka_unit_test(test_d_snapshots_on_an_unreliable_network),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
