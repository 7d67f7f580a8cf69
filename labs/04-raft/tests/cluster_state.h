/* cluster_state.h -- lab 04's tests: what the simulated cluster (cluster.h) keeps and checks:
 * the nodes, their disks and their state machine (a digest of what they applied, and its
 * snapshots), the safety checks' record of what was committed and who led each term, the
 * situations a run reached (its fault coverage) and its timeline (the drawing of a failed run).
 * cluster.h includes it; read cluster.h first. */
#ifndef KEEL_RAFT_CLUSTER_STATE_H
#define KEEL_RAFT_CLUSTER_STATE_H
#include "kh_sim.h"
#include "raft_internal.h"

/* A test fails the running test; a benchmark defines CLUSTER_FAIL before it includes this
 * header (to print and exit), since it has no cmocka. */
#ifndef CLUSTER_FAIL
#include "kh_test.h"
#define CLUSTER_FAIL(...) fail_msg(__VA_ARGS__)
#define assert_raft_status(expr, expected)                                                         \
    KH_ASSERT_STATUS_OF(raft_status, raft_status_name, raft_strerror, (expr), (expected), #expr)
#endif
/* A benchmark has no runner to tell of an inconclusive run either: it defines this too. */
#ifndef CLUSTER_INCONCLUSIVE
#define CLUSTER_INCONCLUSIVE(...) kh_test_inconclusive(__VA_ARGS__)
#endif
#define CLUSTER_REQUIRE(condition)                                                                 \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            CLUSTER_FAIL("%s:%d: %s does not hold", __FILE__, __LINE__, #condition);               \
        }                                                                                          \
    } while (0)

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_ELECTION_TICKS 10u /* a timeout is 10-19 ticks; a message takes 1 tick or more */
#define CLUSTER_HEARTBEAT_TICKS 2u
#define CLUSTER_TERMS_MAX 100000u     /* terms the election-safety check keeps track of */
#define CLUSTER_APPLIED_MAX 200000u   /* committed entries the safety check keeps */
#define CLUSTER_EVENTS_MAX 4096u      /* the timeline keeps the last this many events */
#define CLUSTER_COMMAND_BYTES_MAX 64u /* the tests' commands: short strings */
#define CLUSTER_MESSAGE_BYTES_MAX RAFT_MSG_BYTES_MAX

#define RAFT_STATUS_NAME_CASE(name, text)                                                          \
    case name:                                                                                     \
        return #name;
static inline const char *
raft_status_name(raft_status status)
{
    switch (status) {
        RAFT_STATUS(RAFT_STATUS_NAME_CASE)
    }
    return "(not a raft_status)";
}
#undef RAFT_STATUS_NAME_CASE

/* What a node has on stable storage: what its raft_ready said to persist, all of it (this
 * simulated disk never loses a write; part C's tests crash a real one). */
struct cluster_disk {
    struct raft_hard_state hard_state;
    struct raft_snapshot snapshot; /* data owned */
    struct raft_entry *entries;    /* entries[i] has index snapshot.index + i + 1, data owned */
    uint64_t count;
};

/* Each node's state machine is a digest of the entries it applied, in order; its snapshot is
 * the digest, with its index, padded with bytes that depend on both to the size the test asks
 * for (so that a snapshot can take several chunks, and a chunk out of place shows). */
struct cluster_node {
    struct raft *raft; /* NULL while crashed */
    struct cluster_disk disk;
    uint64_t applied_index; /* the last entry its state machine applied */
    uint64_t digest;        /* of entries 1..applied_index */
    bool is_connected;
    enum raft_role shown_role; /* as the timeline last recorded it */
    uint64_t shown_term;
};

/* A committed entry as first applied by any node: every node must apply the same. */
struct cluster_applied {
    uint64_t term;
    uint64_t commit_term; /* the term of the node that applied it first: when it was committed */
    uint64_t digest;      /* of entries 1..this one */
    uint8_t type;
    uint8_t size_bytes;
    char data[CLUSTER_COMMAND_BYTES_MAX];
};

/* Situations a randomized cluster test exists to check (the fault coverage): the
 * cluster records which a run reached, and a test that did not reach what it requires is
 * inconclusive (cluster_require): not a pass. */
#define CLUSTER_SITUATIONS(X)                                                                      \
    X(LEADER_CHANGED, "a second leader elected")                                                   \
    X(NODE_RESTARTED, "a node restarted from its disk")                                            \
    X(ENTRIES_REPLACED, "stored entries deleted for a later leader's (Figure 8's rollback)")       \
    X(MESSAGE_DROPPED, "a message lost by the network")                                            \
    X(MESSAGE_DUPLICATED, "a message delivered twice")                                             \
    X(SNAPSHOT_RESTORED, "a state machine restored from a leader's snapshot")                      \
    X(TRANSFER_CUT, "a snapshot transfer cut short by a crash")
#define CLUSTER_SITUATION_BIT(name, text) CLUSTER_SAW_##name##_BIT,
enum { CLUSTER_SITUATIONS(CLUSTER_SITUATION_BIT) };
#undef CLUSTER_SITUATION_BIT
#define CLUSTER_SITUATION_FLAG(name, text) CLUSTER_SAW_##name = 1u << CLUSTER_SAW_##name##_BIT,
enum { CLUSTER_SITUATIONS(CLUSTER_SITUATION_FLAG) };
#undef CLUSTER_SITUATION_FLAG

/* The timeline: what happened to each node, for the drawing of a failed run (the grader draws
 * the KEEL-TIMELINE lines a failing test prints; harness/grade). */
#define CLUSTER_EVENT_KINDS(X)                                                                     \
    X(FOLLOWER, "follower")                                                                        \
    X(CANDIDATE, "candidate")                                                                      \
    X(LEADER, "leader")                                                                            \
    X(CRASH, "crash")                                                                              \
    X(RESTART, "restart")                                                                          \
    X(CUT, "cut")                                                                                  \
    X(JOIN, "join")                                                                                \
    X(APPLIED, "applied")                                                                          \
    X(SNAPSHOT, "snapshot")                                                                        \
    X(BROKEN, "broken")
#define CLUSTER_EVENT_ENUM(name, text) CLUSTER_EV_##name,
enum cluster_event_kind { CLUSTER_EVENT_KINDS(CLUSTER_EVENT_ENUM) };
#undef CLUSTER_EVENT_ENUM

struct cluster_event {
    uint64_t tick;
    uint64_t term;  /* a role's term */
    uint64_t value; /* APPLIED: the last index applied; SNAPSHOT: its index */
    uint32_t node;  /* 0: the cluster (BROKEN) */
    uint8_t kind;   /* enum cluster_event_kind */
};

/* Where the nodes' stable storage is. By default (save_cb NULL) a node's disk is its
 * struct cluster_disk, which never loses a write. A test may give the cluster real storage:
 * save_cb carries out step 1 of node id's ready and returns RAFT_OK, or anything else when the
 * node crashed in the middle of it (the cluster then crashes the node: nothing of that ready is
 * sent); crash_cb is told of every crash; load_cb gives the state a node boots from (borrowed
 * until the next call on that node's storage). */
struct cluster_storage {
    raft_status (*save_cb)(void *ctx, uint32_t id, const struct raft_ready *rd);
    void (*crash_cb)(void *ctx, uint32_t id);
    raft_status (*load_cb)(void *ctx, uint32_t id, struct raft_hard_state *hs,
                           struct raft_snapshot *snapshot, const struct raft_entry **entries,
                           size_t *count);
    void *ctx;
};

struct cluster {
    uint32_t node_count;
    uint64_t seed;
    struct kh_sim *sim;
    struct cluster_node nodes[RAFT_NODES_MAX + 1];
    uint8_t *wire;            /* one encoded message */
    uint32_t *leader_of_term; /* [term]: the node that led it, 0 if none seen */
    struct cluster_applied *applied;
    uint64_t applied_count; /* entries 1..applied_count are known committed */
    uint64_t messages_sent;
    uint64_t appends_refused;    /* append replies that said no */
    uint64_t snapshots_restored; /* by a node's state machine, from a leader's snapshot */
    /* Part D: a node compacts its log when it has applied compact_every entries past its
     * snapshot (0: never), into a snapshot of snapshot_bytes (>= 16). */
    uint64_t compact_every;
    uint64_t snapshot_bytes;
    struct cluster_storage storage;
    struct cluster_event *events; /* the last CLUSTER_EVENTS_MAX, a ring */
    uint64_t event_count;         /* recorded in all */
    unsigned reached;             /* CLUSTER_SAW_* */
    uint64_t leaders;             /* terms seen led */
    bool has_failed;
    char failure[512];
    /* Part E: a test's own look at each ready a node carries out, after it applied what was
     * committed (the reads it hands out, the entries it applied); NULL for none. */
    void (*ready_cb)(struct cluster *c, uint32_t id, const struct raft_ready *rd);
    void *ready_ctx;
    /* Part E: a test's own state machine in place of the digest's snapshots. restore_cb makes
     * node id's state machine the snapshot s (index 0: empty), once the cluster checked that s
     * stands for a committed prefix; compact_cb may take a snapshot (raft_compact) after each
     * ready. NULL: the digest's own (cluster_restore, cluster_maybe_compact). */
    void (*restore_cb)(struct cluster *c, uint32_t id, const struct raft_snapshot *s);
    void (*compact_cb)(struct cluster *c, uint32_t id);
    /* Part F: the nodes' raft_config.is_pre_vote and is_check_quorum (cluster_start_extra). */
    bool is_pre_vote, is_check_quorum;
};

static inline void
cluster_record(struct cluster *c, uint32_t node, enum cluster_event_kind kind, uint64_t term,
               uint64_t value)
{
    if (c->events == NULL) {
        return;
    }
    c->events[c->event_count++ % CLUSTER_EVENTS_MAX] =
        (struct cluster_event){kh_sim_now(c->sim), term, value, node, (uint8_t)kind};
}

#ifndef CLUSTER_TIMELINE_STREAM
#define CLUSTER_TIMELINE_STREAM stdout
#endif

/* Prints the timeline as KEEL-TIMELINE lines (tab-separated): a header with the node count, the
 * seed and the tick the kept events start from (0 unless older ones were dropped), then one line an
 * event (tick, node, kind, term, value), then the end tick and why the run failed. The grader draws
 * it. */
static inline void
cluster_print_timeline(const struct cluster *c, const char *why)
{
    static const char *const kinds[] = {
#define CLUSTER_EVENT_TEXT(name, text) text,
        CLUSTER_EVENT_KINDS(CLUSTER_EVENT_TEXT)
#undef CLUSTER_EVENT_TEXT
    };
    FILE *out = CLUSTER_TIMELINE_STREAM;
    uint64_t first = c->event_count > CLUSTER_EVENTS_MAX ? c->event_count - CLUSTER_EVENTS_MAX : 0;
    uint64_t from_tick = first > 0 ? c->events[first % CLUSTER_EVENTS_MAX].tick : 0;
    fprintf(out, "KEEL-TIMELINE\tnodes\t%u\t%" PRIu64 "\t%" PRIu64 "\n", c->node_count, c->seed,
            from_tick);
    for (uint64_t i = first; c->events != NULL && i < c->event_count; i++) {
        const struct cluster_event *e = &c->events[i % CLUSTER_EVENTS_MAX];
        fprintf(out, "KEEL-TIMELINE\t%" PRIu64 "\t%u\t%s\t%" PRIu64 "\t%" PRIu64 "\n", e->tick,
                e->node, kinds[e->kind], e->term, e->value);
    }
    fprintf(out, "KEEL-TIMELINE\tend\t%" PRIu64 "\t", kh_sim_now(c->sim));
    for (const char *p = why; *p != '\0'; p++) { /* one line */
        fputc(*p == '\t' || *p == '\n' ? ' ' : *p, out);
    }
    fputc('\n', out);
    fflush(out);
}

/* Fails the test as CLUSTER_FAIL does, printing the run's timeline first. */
#define CLUSTER_FAIL_RUN(c, ...)                                                                   \
    do {                                                                                           \
        char why_[512];                                                                            \
        snprintf(why_, sizeof(why_), __VA_ARGS__);                                                 \
        cluster_print_timeline((c), why_);                                                         \
        CLUSTER_FAIL("%s", why_);                                                                  \
    } while (0)

static inline void cluster_failf(struct cluster *c, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first broken property (later ones follow from it); cluster_check reports it. */
static inline void
cluster_failf(struct cluster *c, const char *format, ...)
{
    if (c->has_failed) {
        return;
    }
    c->has_failed = true;
    cluster_record(c, 0, CLUSTER_EV_BROKEN, 0, 0);
    int used = snprintf(c->failure, sizeof(c->failure), "tick %" PRIu64 ": ", kh_sim_now(c->sim));
    va_list ap;
    va_start(ap, format);
    vsnprintf(c->failure + used, sizeof(c->failure) - (size_t)used, format, ap);
    va_end(ap);
}

/* Fails the test if a safety property broke. */
static inline void
cluster_check(struct cluster *c)
{
    if (c->has_failed) {
        CLUSTER_FAIL_RUN(c, "%s", c->failure);
    }
}

static inline struct raft_config
cluster_config(const struct cluster *c, uint32_t id)
{
    struct raft_config config = {
        .id = id,
        .node_count = c->node_count,
        .election_ticks = CLUSTER_ELECTION_TICKS,
        .heartbeat_ticks = CLUSTER_HEARTBEAT_TICKS,
        .random_seed = c->seed * 1000003u + id,
        .is_pre_vote = c->is_pre_vote,
        .is_check_quorum = c->is_check_quorum,
    };
    return config;
}

/* ---- The nodes' state machine ----------------------------------------------------------- */

/* The digest after applying e to a state machine of digest `digest` (FNV-1a, chained). */
static inline uint64_t
cluster_digest(uint64_t digest, const struct raft_entry *e)
{
    uint64_t h = digest ^ 0xcbf29ce484222325u;
    const uint64_t words[] = {e->term, e->index, e->type, e->size_bytes};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        h = (h ^ words[i]) * 0x100000001b3u;
    }
    for (uint32_t i = 0; i < e->size_bytes; i++) {
        h = (h ^ e->data[i]) * 0x100000001b3u;
    }
    return h;
}

/* Byte i of the snapshot at index with digest (bytes 0-15 are the two themselves). */
static inline uint8_t
cluster_snapshot_byte(uint64_t index, uint64_t digest, uint64_t i)
{
    if (i < 16) {
        return (uint8_t)((i < 8 ? index : digest) >> (8 * (i % 8)));
    }
    uint64_t z = (digest ^ (index * 0x9e3779b97f4a7c15u)) + (i / 8) * 0xbf58476d1ce4e5b9u;
    z ^= z >> 29;
    return (uint8_t)(z >> (8 * (i % 8)));
}

/* Node id's state machine restores snapshot s: it must be the snapshot of a committed prefix,
 * byte for byte. */
static inline void
cluster_restore(struct cluster *c, uint32_t id, const struct raft_snapshot *s)
{
    struct cluster_node *node = &c->nodes[id];
    if (s->index == 0) {
        node->applied_index = 0;
        node->digest = 0;
        if (c->restore_cb != NULL) {
            c->restore_cb(c, id, s);
        }
        return;
    }
    if (c->restore_cb != NULL) { /* the test's own state machine: its bytes are its own */
        if (s->index > c->applied_count || s->term != c->applied[s->index].term) {
            cluster_failf(c,
                          "node %u restored a snapshot at index %" PRIu64 " (term %" PRIu64
                          ") that no committed entry of that term is at",
                          id, s->index, s->term);
            return;
        }
        node->applied_index = s->index;
        node->digest = c->applied[s->index].digest;
        c->restore_cb(c, id, s);
        return;
    }
    uint64_t digest = 0;
    for (uint64_t i = 8; i < 16 && i < s->size_bytes; i++) {
        digest |= (uint64_t)s->data[i] << (8 * (i - 8));
    }
    if (s->index > c->applied_count || s->term != c->applied[s->index].term ||
        digest != c->applied[s->index].digest) {
        cluster_failf(c,
                      "node %u restored a snapshot at index %" PRIu64 " (term %" PRIu64
                      ") that is not the state of the entries committed through it",
                      id, s->index, s->term);
        return;
    }
    for (uint64_t i = 0; i < s->size_bytes; i++) {
        if (s->data[i] != cluster_snapshot_byte(s->index, digest, i)) {
            cluster_failf(c,
                          "node %u restored a snapshot at index %" PRIu64 " whose byte %" PRIu64
                          " of %" PRIu64 " is not what the node that took it wrote",
                          id, s->index, i, s->size_bytes);
            return;
        }
    }
    if (s->size_bytes != (c->snapshot_bytes > 16 ? c->snapshot_bytes : 16)) {
        cluster_failf(c,
                      "node %u restored a snapshot of %" PRIu64 " bytes, not the %" PRIu64 " taken",
                      id, s->size_bytes, c->snapshot_bytes);
        return;
    }
    node->applied_index = s->index;
    node->digest = digest;
}

/* Node id compacts its log when it applied compact_every entries past its snapshot. */
static inline void
cluster_maybe_compact(struct cluster *c, uint32_t id)
{
    struct cluster_node *node = &c->nodes[id];
    if (c->compact_cb != NULL) {
        c->compact_cb(c, id);
        return;
    }
    struct raft_snapshot s;
    raft_last_snapshot(node->raft, &s);
    if (c->compact_every == 0 || node->applied_index < s.index + c->compact_every) {
        return;
    }
    uint64_t size = c->snapshot_bytes > 16 ? c->snapshot_bytes : 16;
    uint8_t *data = malloc(size);
    CLUSTER_REQUIRE(data != NULL);
    for (uint64_t i = 0; i < size; i++) {
        data[i] = cluster_snapshot_byte(node->applied_index, node->digest, i);
    }
    raft_status st = raft_compact(node->raft, node->applied_index, data, size);
    free(data);
    if (st != RAFT_OK) {
        CLUSTER_FAIL("node %u: raft_compact at its applied index %" PRIu64 " returned %s", id,
                     node->applied_index, raft_status_name(st));
    }
}

#endif
