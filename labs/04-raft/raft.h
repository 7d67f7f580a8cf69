/* raft.h -- lab 04: Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm", USENIX ATC 2014) as a pure state machine. A struct raft is one node: its state and
 * its log, in memory. It reads no clock, no randomness but its seed, no disk and no socket:
 * time comes in as raft_tick, messages as raft_step, commands as raft_propose, and what the
 * node needs done comes out as a struct raft_ready. Read raft_ready's comment first: the order
 * it gives (persist, then send, then apply) is what makes a crash safe. The same code runs under
 * the tests' simulator and in a real server. */
#ifndef KEEL_RAFT_H
#define KEEL_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAFT_NODES_MAX 7u                /* a cluster of 1 to 7 nodes, numbered 1..node_count */
#define RAFT_ENTRY_BYTES_MAX (64u << 10) /* a command's data */
#define RAFT_APPEND_ENTRIES_MAX 64u      /* entries one AppendEntries carries */
/* A leader sends a pipelining follower another append only while fewer entries than this are
 * unacknowledged. */
#define RAFT_INFLIGHT_ENTRIES_MAX 256u
/* Messages waiting for raft_ready; more are dropped, as a network may drop them. */
#define RAFT_OUTBOX_MAX (8u * RAFT_NODES_MAX)
#define RAFT_SNAPSHOT_BYTES_MAX (1ull << 30)  /* a snapshot's data */
#define RAFT_SNAPSHOT_CHUNK_BYTES (64u << 10) /* of it one InstallSnapshot message carries */
/* The largest message raft_msg_encoded_size can return: an append of RAFT_APPEND_ENTRIES_MAX
 * entries of RAFT_ENTRY_BYTES_MAX each. */
#define RAFT_MSG_BYTES_MAX (104u + RAFT_APPEND_ENTRIES_MAX * (24u + RAFT_ENTRY_BYTES_MAX))
/* Reads a leader holds until it confirms it still leads (raft_read_index, part E). */
#define RAFT_READS_MAX 4096u

#define RAFT_STATUS(X)                                                                             \
    X(RAFT_OK, "ok")                                                                               \
    X(RAFT_NOT_LEADER, "this node is not the leader")                                              \
    X(RAFT_TOO_BIG, "command larger than RAFT_ENTRY_BYTES_MAX")                                    \
    X(RAFT_NOMEM, "out of memory")                                                                 \
    X(RAFT_BAD_CONFIG, "bad configuration")                                                        \
    X(RAFT_BAD_STATE, "persisted state that cannot be restored")                                   \
    X(RAFT_BAD_MESSAGE, "malformed message")                                                       \
    X(RAFT_IO, "I/O error on stable storage")                                                      \
    X(RAFT_CORRUPT, "stable storage holds what no save wrote")                                     \
    X(RAFT_BAD_INDEX, "index not applied yet, or already in a snapshot")                           \
    X(RAFT_BUSY, "too many reads waiting (RAFT_READS_MAX)")                                        \
    X(RAFT_UNIMPLEMENTED, "not implemented yet")

#define RAFT_STATUS_ENUM(name, text) name,
typedef enum { RAFT_STATUS(RAFT_STATUS_ENUM) } raft_status;
#undef RAFT_STATUS_ENUM

const char *raft_strerror(raft_status status);

enum raft_role {
    RAFT_FOLLOWER,
    RAFT_CANDIDATE,
    RAFT_LEADER,
};

struct raft_config {
    uint32_t id;              /* this node, in 1..node_count */
    uint32_t node_count;      /* 1..RAFT_NODES_MAX */
    uint32_t election_ticks;  /* a follower or candidate waits a timeout drawn uniformly from
                                 [election_ticks, 2 * election_ticks) (Raft §5.2); >= 2 */
    uint32_t heartbeat_ticks; /* a leader sends AppendEntries this often; < election_ticks */
    uint64_t random_seed;     /* the node's only randomness: its election timeouts */
    /* Part F (extra), both off by default. is_pre_vote: a node whose timeout runs out first asks
     * whether it could win (PreVote, Ongaro's dissertation §9.6), without changing its term,
     * and stands for election only with a majority's yes, so a node cut off for a while cannot
     * disrupt a healthy leader when it comes back. is_check_quorum: a leader that has not heard
     * from a majority within an election timeout steps down (§6.2). */
    bool is_pre_vote;
    bool is_check_quorum;
    /* A new leader appends no no-op (§8): the paper's base algorithm, where an earlier term's
     * entries wait for the leader's first command to commit with it. Figure 8's setting, which
     * the search (tests/search.h) explores; off everywhere else. Reads then wait for that
     * command, since a read needs an entry of the leader's term committed. */
    bool is_noop_skipped;
};

/* What Raft keeps on stable storage besides the log (Figure 2, "Persistent state"). */
struct raft_hard_state {
    uint64_t term; /* currentTerm */
    uint32_t vote; /* votedFor in term: a node id, or 0 for none */
};

enum raft_entry_type {
    RAFT_ENTRY_COMMAND, /* a client's command: apply it */
    RAFT_ENTRY_NOOP,    /* a new leader's first entry (§8): commits earlier terms' entries */
};

struct raft_entry {
    uint64_t term;
    uint64_t index;      /* the log starts at index 1 */
    uint8_t type;        /* enum raft_entry_type */
    uint32_t size_bytes; /* of data; 0 for RAFT_ENTRY_NOOP */
    const uint8_t *data; /* borrowed: see the function that gave the entry */
};

/* A snapshot (Raft §7): the state machine as it is once entries 1..index are applied, which
 * stands in for those entries: a node's log holds only the entries after its snapshot. The data
 * is the application's, opaque to Raft. */
struct raft_snapshot {
    uint64_t index; /* the last entry it includes; 0 for none (and then term 0, no data) */
    uint64_t term;  /* that entry's term */
    uint64_t size_bytes;
    const uint8_t *data; /* borrowed: see the function that gave the snapshot */
};

enum raft_msg_type {
    RAFT_MSG_VOTE, /* RequestVote (§5.2, §5.4.1) */
    RAFT_MSG_VOTE_REPLY,
    RAFT_MSG_APPEND, /* AppendEntries, also the heartbeat (§5.3) */
    RAFT_MSG_APPEND_REPLY,
    RAFT_MSG_SNAPSHOT, /* InstallSnapshot (§7, Figure 13), one chunk of it */
    RAFT_MSG_SNAPSHOT_REPLY,
    RAFT_MSG_PRE_VOTE, /* part F: "would you vote for me in term `term`?" (changes no term) */
    RAFT_MSG_PRE_VOTE_REPLY,
};

/* One message; the fields each type uses are grouped below, the others are 0. */
struct raft_msg {
    uint8_t type; /* enum raft_msg_type */
    uint32_t from, to;
    uint64_t term;
    /* RAFT_MSG_VOTE and RAFT_MSG_PRE_VOTE: the candidate's last entry, for the up-to-date
     * check (§5.4.1); a pre-vote's term is the one the sender would stand in (its own + 1), and
     * its reply's term is that term when granted, else the answering node's own. */
    uint64_t last_log_index, last_log_term;
    /* RAFT_MSG_VOTE_REPLY and RAFT_MSG_PRE_VOTE_REPLY */
    bool is_granted;
    /* RAFT_MSG_APPEND: entries[0].index == prev_index + 1; commit is the leader's. */
    uint64_t prev_index, prev_term, commit;
    const struct raft_entry *entries; /* borrowed: see the function that gave the message */
    uint32_t entry_count;             /* <= RAFT_APPEND_ENTRIES_MAX */
    /* RAFT_MSG_APPEND_REPLY: prev_index is that of the append it answers. On success, the
     * follower's log matches the leader's through match_index (prev_index + entry_count of
     * that append). On a rejection, a hint
     * for the leader's next try (the fast backup of §5.3's last paragraphs): conflict_term is
     * the term of the follower's entry at prev_index and conflict_index the first index of
     * that term in its log; or, when its log is shorter than prev_index, conflict_term 0 and
     * conflict_index its last index + 1. */
    bool is_success;
    uint64_t match_index;
    uint64_t conflict_index, conflict_term;
    /* RAFT_MSG_SNAPSHOT: the snapshot's index and term in prev_index and prev_term (it stands in
     * for the entries through prev_index); the chunk's data, size_bytes of it from byte offset
     * (at most RAFT_SNAPSHOT_CHUNK_BYTES); is_done on the last chunk. Chunks go one at a time.
     * RAFT_MSG_SNAPSHOT_REPLY: prev_index is that of the snapshot it answers; offset the bytes
     * of it the follower holds, where the next chunk starts (0: start over). Once it holds the
     * whole snapshot, or entries past it, is_success with match_index = prev_index. */
    uint64_t offset;
    const uint8_t *data; /* borrowed: see the function that gave the message */
    uint32_t size_bytes;
    bool is_done;
    /* RAFT_MSG_APPEND and RAFT_MSG_SNAPSHOT: the leader's read round when it sent the message
     * (part E, raft_read_index); their replies carry back the round of the message they
     * answer. The given code fills it in: a follower's reply needs no code of yours. */
    uint64_t read_round;
};

/* A read a leader confirmed (or could not), handed out by raft_ready. */
struct raft_read {
    uint64_t id;        /* the caller's, from raft_read_index */
    raft_status status; /* RAFT_OK, or RAFT_NOT_LEADER: the node stopped leading first */
    uint64_t index;     /* RAFT_OK: the read may be answered from a state machine that has
                           applied through index (the leader's commit index when it confirmed) */
};

/* What the node needs done, in this order (Figure 2's "respond to RPCs" only after "update
 * stable storage"; §5.2: a vote counts once it is on disk):
 *   1. persist: if has_hard_state, write hard_state; then, if has_snapshot, write snapshot and
 *      delete every stored entry through snapshot.index; then, if has_log_change, delete every
 *      stored entry at log_from_index or later and append entries (entries[0].index ==
 *      log_from_index when entry_count > 0); and sync;
 *   2. send every message in msgs;
 *   3. if restore_snapshot, replace the state machine by snapshot (a leader sent it); then
 *      apply committed in order (each is committed and persisted, and follows the snapshot);
 *   4. answer the reads in reads (part E): the state machine has now applied through each
 *      one's index.
 * Then call raft_advance. Everything here is borrowed until raft_advance; between the two
 * calls, call nothing else on the node. */
struct raft_ready {
    bool has_hard_state;
    struct raft_hard_state hard_state;
    bool has_snapshot; /* the node took a new snapshot (raft_compact) or received one */
    bool restore_snapshot;
    struct raft_snapshot snapshot;
    bool has_log_change;
    uint64_t log_from_index;
    const struct raft_entry *entries;
    size_t entry_count;
    const struct raft_msg *msgs;
    size_t msg_count;
    const struct raft_entry *committed;
    size_t committed_count;
    const struct raft_read *reads;
    size_t read_count;
};

struct raft;

/* Creates a node from what it persisted: hard_state (NULL for a new node: term 0, no vote), its
 * snapshot (NULL for none) and its log, entry_count entries with indexes snapshot->index + 1,
 * + 2, ... (all copied; the caller keeps its own). A node always starts as a follower knowing
 * nothing committed but its snapshot (§5: commitIndex is volatile); its state machine starts
 * from the snapshot. *out is owned: free it with raft_destroy. Returns RAFT_OK, RAFT_BAD_CONFIG
 * (a field out of its range), RAFT_BAD_STATE (indexes that do not follow the snapshot's; terms
 * decreasing from the snapshot's or above hard_state->term; a vote for no node; a snapshot of
 * index 0 with a term or data, or over RAFT_SNAPSHOT_BYTES_MAX) or RAFT_NOMEM. */
raft_status raft_create(const struct raft_config *config, const struct raft_hard_state *hard_state,
                        const struct raft_snapshot *snapshot, const struct raft_entry *entries,
                        size_t entry_count, struct raft **out);
void raft_destroy(struct raft *r);

/* One unit of time passed: a follower or candidate whose election timeout ran out starts an
 * election (§5.2); a leader sends heartbeats every heartbeat_ticks. */
void raft_tick(struct raft *r);

/* A message arrived (m->to is this node). Returns RAFT_OK, or RAFT_BAD_MESSAGE when it cannot
 * be from a node of this cluster (type, from or to out of range, an append whose entries do not
 * follow prev_index, more than RAFT_APPEND_ENTRIES_MAX of them, an entry too big), and then the
 * node is unchanged; or RAFT_NOMEM (the node is unchanged, as if the message were lost).
 * m's entries are copied into the log; m is not kept. */
raft_status raft_step(struct raft *r, const struct raft_msg *m);

/* On a leader, appends a command to the log: its index and term in *index and *term. It is
 * committed when raft_ready returns it in committed. Returns RAFT_OK, RAFT_NOT_LEADER (see
 * raft_leader for a hint), RAFT_TOO_BIG or RAFT_NOMEM; the data is copied. */
raft_status raft_propose(struct raft *r, const void *data, size_t size_bytes, uint64_t *index,
                         uint64_t *term);

/* Log compaction (§7): the application's state machine, as it was once entries 1..index were
 * applied, is data (size_bytes of it, copied). The node keeps it as its snapshot, to send to
 * followers that need entries it no longer has, and forgets the entries through index; the next
 * raft_ready persists it (has_snapshot, without restore_snapshot: the state machine has it).
 * Returns RAFT_OK; RAFT_BAD_INDEX when index is not applied yet (handed out in committed) or
 * not past the snapshot the node has; RAFT_TOO_BIG over RAFT_SNAPSHOT_BYTES_MAX; or RAFT_NOMEM;
 * the node is unchanged on an error. */
raft_status raft_compact(struct raft *r, uint64_t index, const void *data, size_t size_bytes);

/* A linearizable read without a log entry (ReadIndex: Raft §8, and Ongaro's dissertation,
 * 2014, §6.4). On a leader, holds read id until the leader knows that it still led after this
 * call: a majority (itself included) answered a message it sent after the call. It must also
 * have committed an entry of its own term (its first, a no-op, §8), so that its commit index
 * covers every write acknowledged before the read began. Then raft_ready hands the read out in
 * reads with index, the commit index: a state machine applied through it answers the read as
 * of some moment between the call and the answer, which is linearizable. A leader that steps
 * down first hands out its waiting reads with RAFT_NOT_LEADER. Returns RAFT_OK,
 * RAFT_NOT_LEADER (raft_leader has a hint), RAFT_BUSY (RAFT_READS_MAX are waiting) or
 * RAFT_NOMEM. Cost: one heartbeat to each follower per round; the reads asked before a
 * round's messages go out share it. */
raft_status raft_read_index(struct raft *r, uint64_t id);

/* Whether raft_ready has anything to do. */
bool raft_has_ready(const struct raft *r);
/* Fills *rd with what to do (the struct's comment), possibly nothing. */
void raft_ready(struct raft *r, struct raft_ready *rd);
/* The caller did what rd said: the node may count its persisted entries toward a commit,
 * forget the messages and move on past the applied entries. */
void raft_advance(struct raft *r, const struct raft_ready *rd);

/* What a node knows, for tests, tools and the server. */
enum raft_role raft_role(const struct raft *r);
uint64_t raft_term(const struct raft *r);
uint32_t raft_leader(const struct raft *r); /* the leader of the current term, 0 if unknown */
uint64_t raft_commit_index(const struct raft *r);
uint64_t raft_last_index(const struct raft *r);
/* The node's snapshot (index 0 if none); its data is borrowed until the next call that changes
 * the node. */
void raft_last_snapshot(const struct raft *r, struct raft_snapshot *s);
/* The entry at index (past the snapshot's index, up to raft_last_index): its data is borrowed
 * until the next call that changes the node. Returns false when there is none. */
bool raft_entry_at(const struct raft *r, uint64_t index, struct raft_entry *e);

/* The wire format of a message (little-endian, given): raft_msg_encode writes
 * raft_msg_encoded_size(m) bytes (at most RAFT_MSG_BYTES_MAX) into buf. raft_msg_decode reads
 * size_bytes of buf into *m, with m->entries pointing at entries (entries_max of them,
 * caller-provided) and their data, or a snapshot chunk's, into buf: borrowed while buf and
 * entries live. Returns RAFT_OK or RAFT_BAD_MESSAGE (truncated,
 * trailing bytes, an unknown type, a count or size over its limit). */
size_t raft_msg_encoded_size(const struct raft_msg *m);
void raft_msg_encode(const struct raft_msg *m, uint8_t *buf);
raft_status raft_msg_decode(const uint8_t *buf, size_t size_bytes, struct raft_msg *m,
                            struct raft_entry *entries, size_t entries_max);

#endif
