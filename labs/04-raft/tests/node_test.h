/* node_test.h -- lab 04's tests of one node, message by message: a node made from a given disk
 * state, and its readies carried out by hand (no network, no disk). Shared by the part A and
 * part B tests. */
#ifndef KEEL_RAFT_NODE_TEST_H
#define KEEL_RAFT_NODE_TEST_H

#include "cluster.h"

/* Node id of node_count whose disk holds term and vote and a log with the given terms (entry
 * i + 1 has terms[i], a no-op), created with the test's seed. */
static inline struct raft *
node_new(uint32_t id, uint32_t node_count, uint64_t term, uint32_t vote, const uint64_t *terms,
         size_t count)
{
    struct raft_config config = {
        .id = id,
        .node_count = node_count,
        .election_ticks = CLUSTER_ELECTION_TICKS,
        .heartbeat_ticks = CLUSTER_HEARTBEAT_TICKS,
        .random_seed = kh_test_seed(),
    };
    struct raft_hard_state hs = {term, vote};
    struct raft_entry entries[16];
    assert_true(count <= KH_ARRAY_LEN(entries));
    for (size_t i = 0; i < count; i++) {
        entries[i] = (struct raft_entry){.term = terms[i], .index = i + 1, .type = RAFT_ENTRY_NOOP};
    }
    struct raft *r = NULL;
    assert_raft_status(raft_create(&config, &hs, NULL, entries, count, &r), RAFT_OK);
    return r;
}

/* Carries out r's readies until it has none, as if every step worked: copies the first out_max
 * messages into out (their entries are not kept: borrowed until raft_advance) and the last hard
 * state it asked to persist into *persisted (when not NULL). Returns how many messages it sent,
 * all of them. */
static inline size_t
node_drain(struct raft *r, struct raft_msg *out, size_t out_max, struct raft_hard_state *persisted)
{
    size_t count = 0;
    while (raft_has_ready(r)) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        if (rd.has_hard_state && persisted != NULL) {
            *persisted = rd.hard_state;
        }
        for (size_t i = 0; i < rd.msg_count; i++, count++) {
            if (count < out_max) {
                out[count] = rd.msgs[i];
                out[count].entries = NULL;
            }
        }
        raft_advance(r, &rd);
    }
    return count;
}

/* Ticks r until it stands for election (at most its longest timeout), and fails the test if
 * it does not; its vote requests are carried out and dropped. */
static inline void
node_campaign(struct raft *r)
{
    for (uint32_t t = 0; t < 2 * CLUSTER_ELECTION_TICKS && raft_role(r) != RAFT_CANDIDATE; t++) {
        raft_tick(r);
    }
    if (raft_role(r) != RAFT_CANDIDATE) {
        fail_msg("a node that heard nothing for %u ticks did not stand for election (its "
                 "timeout is at most %u)",
                 2 * CLUSTER_ELECTION_TICKS, 2 * CLUSTER_ELECTION_TICKS - 1);
    }
    node_drain(r, NULL, 0, NULL);
}

/* node_drain keeping only the last message sent, in *last; returns how many were sent. */
static inline size_t
node_drain_last(struct raft *r, struct raft_msg *last)
{
    struct raft_msg out[4 * RAFT_OUTBOX_MAX];
    size_t count = node_drain(r, out, KH_ARRAY_LEN(out), NULL);
    assert_true(count <= KH_ARRAY_LEN(out));
    if (count > 0) {
        *last = out[count - 1];
    }
    return count;
}

#endif
