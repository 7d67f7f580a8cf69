/* node_test.h -- lab 04's tests of one node, message by message: a node made from a given disk
 * state, and its readies carried out by hand (no network, no disk). Shared by the part A and
 * part B tests, and part D's. */
#ifndef KEEL_RAFT_NODE_TEST_H
#define KEEL_RAFT_NODE_TEST_H

#include "cluster.h"

/* The unit tests' config of node id of node_count: the simulator's timeouts, the test's seed,
 * no extra (part F) option. */
static inline struct raft_config
node_config(uint32_t id, uint32_t node_count)
{
    return (struct raft_config){
        .id = id,
        .node_count = node_count,
        .election_ticks = CLUSTER_ELECTION_TICKS,
        .heartbeat_ticks = CLUSTER_HEARTBEAT_TICKS,
        .random_seed = kh_test_seed(),
    };
}

/* A node of config whose disk holds term and vote and a log with the given terms (entry i + 1
 * has terms[i], a no-op). */
static inline struct raft *
node_create(const struct raft_config *config, uint64_t term, uint32_t vote, const uint64_t *terms,
            size_t count)
{
    struct raft_hard_state hs = {term, vote};
    struct raft_entry entries[16];
    assert_true(count <= KH_ARRAY_LEN(entries));
    for (size_t i = 0; i < count; i++) {
        entries[i] = (struct raft_entry){.term = terms[i], .index = i + 1, .type = RAFT_ENTRY_NOOP};
    }
    struct raft *r = NULL;
    assert_raft_status(raft_create(config, &hs, NULL, entries, count, &r), RAFT_OK);
    return r;
}

/* Node id of node_count (node_config) whose disk holds term and vote and a log with the given
 * terms, as node_create. */
static inline struct raft *
node_new(uint32_t id, uint32_t node_count, uint64_t term, uint32_t vote, const uint64_t *terms,
         size_t count)
{
    struct raft_config config = node_config(id, node_count);
    return node_create(&config, term, vote, terms, count);
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

/* Node id of node_count, with the given log, made the leader of term `term` by the votes of the
 * nodes after it; the messages of its election (its appends) go into out (at most out_max;
 * NULL: dropped), their count into *sent. */
static inline struct raft *
leader_of(uint32_t id, uint32_t node_count, uint64_t term, const uint64_t *terms, size_t count,
          struct raft_msg *out, size_t out_max, size_t *sent)
{
    struct raft *r = node_new(id, node_count, term - 1, 0, terms, count);
    node_campaign(r);
    assert_int_equal(raft_term(r), term);
    for (uint32_t k = 1; raft_role(r) == RAFT_CANDIDATE && k < node_count; k++) {
        struct raft_msg grant = {.type = RAFT_MSG_VOTE_REPLY,
                                 .from = (id + k - 1) % node_count + 1,
                                 .to = id,
                                 .term = term,
                                 .is_granted = true};
        assert_raft_status(raft_step(r, &grant), RAFT_OK);
    }
    assert_int_equal(raft_role(r), RAFT_LEADER);
    size_t n = node_drain(r, out, out_max, NULL);
    if (sent != NULL) {
        *sent = n;
    }
    return r;
}

/* Node 1 of 3 as the leader of term `term`, its election's messages taken. */
static inline struct raft *
leader_new(uint64_t term, const uint64_t *terms, size_t count)
{
    return leader_of(1, 3, term, terms, count, NULL, 0, NULL);
}

/* Delivers an append from leader 1 to r and returns r's reply. */
static inline struct raft_msg
append_to(struct raft *r, uint64_t term, uint64_t prev_index, uint64_t prev_term, uint64_t commit,
          const uint64_t *entry_terms, uint32_t count)
{
    struct raft_entry entries[16];
    assert_true(count <= KH_ARRAY_LEN(entries));
    for (uint32_t i = 0; i < count; i++) {
        entries[i] = (struct raft_entry){
            .term = entry_terms[i], .index = prev_index + 1 + i, .type = RAFT_ENTRY_NOOP};
    }
    struct raft_msg m = {.type = RAFT_MSG_APPEND,
                         .from = 1,
                         .to = 2,
                         .term = term,
                         .prev_index = prev_index,
                         .prev_term = prev_term,
                         .commit = commit,
                         .entries = count > 0 ? entries : NULL,
                         .entry_count = count};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
    struct raft_msg reply = {0};
    size_t sent = node_drain_last(r, &reply);
    if (sent != 1 || reply.type != RAFT_MSG_APPEND_REPLY || reply.to != 1) {
        fail_msg("an append (prev %" PRIu64 "/%" PRIu64 ", %u entries) got %zu messages back; "
                 "expected one RAFT_MSG_APPEND_REPLY to the leader",
                 prev_index, prev_term, count, sent);
    }
    return reply;
}

/* Delivers to leader r an append reply from node `from` of r's term. */
static inline void
reply_to(struct raft *r, uint32_t from, bool is_success, uint64_t prev_index, uint64_t match_index,
         uint64_t conflict_index, uint64_t conflict_term)
{
    struct raft_msg m = {.type = RAFT_MSG_APPEND_REPLY,
                         .from = from,
                         .to = r->config.id,
                         .term = raft_term(r),
                         .is_success = is_success,
                         .prev_index = prev_index,
                         .match_index = match_index,
                         .conflict_index = conflict_index,
                         .conflict_term = conflict_term};
    assert_raft_status(raft_step(r, &m), RAFT_OK);
}

#endif
