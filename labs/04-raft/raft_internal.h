/* raft_internal.h -- lab 04: the fields of struct raft (Figure 2 of the paper, as C) and what
 * the given code (raft_given.c: the log in memory, the outbox, raft_ready) offers the parts you
 * write: raft_election.c (part A) and raft_replication.c (part B). Read struct raft first. */
#ifndef KEEL_RAFT_INTERNAL_H
#define KEEL_RAFT_INTERNAL_H

#include "raft.h"

#include <assert.h>

/* A leader's view of one follower (Figure 2, "Volatile state on leaders"). */
struct raft_progress {
    uint64_t next_index;      /* the next entry to send it; at or below the snapshot's index, it
                                 needs the snapshot (part D) */
    uint64_t match_index;     /* the highest entry known to be in its log */
    uint64_t snapshot_offset; /* the bytes of the leader's snapshot it acknowledged holding; 0
                                 whenever the leader takes a new snapshot */
    /* While probing, a leader sends one append per heartbeat and waits for its answer, since
     * next_index is a guess; once one succeeds it pipelines: it sends every new entry at once,
     * moving next_index past it without waiting (up to RAFT_INFLIGHT_ENTRIES_MAX beyond
     * match_index), and goes back to probing when a reply rejects. */
    bool is_probing;
    bool is_active;        /* it answered since the last heartbeat: a pipeline that is silent for a
                              whole heartbeat lost a message, and probing from match_index resends */
    uint64_t read_round;   /* part E: the highest read round it carried back in a reply of the
                              leader's term */
    bool is_recent_active; /* part F: a message of the leader's term came from it since the
                              leader's last quorum check (given: raft_step sets it) */
};

/* Part E: a read a leader holds until a majority answered a message of round or later. */
struct raft_read_wait {
    uint64_t id;
    uint64_t round;
};

/* The log in memory: the entries after the snapshot's, entries[i] with index start + i + 1,
 * each owning its data (freed when the entry is deleted). The given functions below keep the
 * bookkeeping of what is persisted. */
struct raft_log {
    struct raft_entry *entries;
    uint64_t start;      /* the snapshot's index: the entries through it are gone (part D) */
    uint64_t start_term; /* the snapshot's term */
    uint64_t count;      /* entries held: the last index is start + count */
    uint64_t capacity;
    uint64_t stable_index; /* entries 1..stable_index are on stable storage */
    uint64_t changed_from; /* the first index appended or deleted since the last
                              raft_advance, RAFT_UNCHANGED if none: persisted from there */
};
#define RAFT_UNCHANGED UINT64_MAX

/* A snapshot's bytes, owned. */
struct raft_snapshot_buf {
    uint64_t index, term;
    uint64_t from_term; /* incoming: the term of the leader sending it */
    uint8_t *data;
    uint64_t size_bytes, capacity;
};

/* A message waiting for raft_ready. An append's entries are named by range and looked up in
 * the log when raft_ready hands the message out, so the log can grow meanwhile. */
struct raft_outbox {
    struct raft_msg msgs[RAFT_OUTBOX_MAX];
    uint32_t count;
};

struct raft {
    struct raft_config config;
    /* Persistent state on all servers (Figure 2): written through raft_ready before any
     * message that depends on it is sent. */
    uint64_t term; /* currentTerm */
    uint32_t vote; /* votedFor in term, 0 for none */
    struct raft_log log;
    /* Volatile state on all servers. */
    enum raft_role role;
    uint32_t leader;                 /* the leader of term, 0 while unknown */
    uint64_t commit_index;           /* highest entry known committed */
    uint64_t applied_index;          /* highest entry handed out by raft_ready to apply */
    uint32_t election_elapsed_ticks; /* since the timer was last reset */
    uint32_t election_timeout_ticks; /* drawn at each reset (raft_reset_election_timer) */
    uint32_t heartbeat_elapsed_ticks;
    /* A candidate's votes, by node id (index 0 unused). */
    bool votes_granted[RAFT_NODES_MAX + 1];
    /* A leader's followers, by node id (index 0 unused; its own entry's match_index is its
     * stable_index, the part of its log it has persisted). */
    struct raft_progress progress[RAFT_NODES_MAX + 1];
    bool has_unsent_entries; /* a leader appended entries raft_ready has not sent yet */
    /* Part D. The node's snapshot, which the log starts after (log.start == snapshot.index);
     * and on a follower, the one a leader is sending it, chunk by chunk. */
    struct raft_snapshot_buf snapshot;
    struct raft_snapshot_buf incoming;
    bool is_snapshot_unsaved;    /* raft_ready persists snapshot (has_snapshot) */
    bool is_snapshot_unrestored; /* ... and has the state machine restore it (restore_snapshot) */
    /* Part E. A leader's read rounds: read_round counts them, and every append or snapshot
     * chunk it sends carries the current one (the given raft_send stamps it). A read waits in
     * reads_waiting with the round it needs answered; confirmed, it moves to reads_done for
     * raft_ready. While is_read_round_unsent, the current round's messages are queued and not
     * yet sent, so a read asked now may wait for that round too. Both arrays hold
     * RAFT_READS_MAX and are allocated at the node's first read (given). */
    uint64_t read_round;
    bool is_read_round_unsent;
    struct raft_read_wait *reads_waiting;
    uint32_t reads_waiting_count;
    struct raft_read *reads_done;
    uint32_t reads_done_count;
    uint64_t echo_round; /* a follower: the read_round of the message it is answering (given) */
    /* Part F. A follower whose timeout ran out with is_pre_vote asks first: is_pre_candidate
     * while it waits for the answers, counted in pre_votes_granted (index 0 unused). A leader
     * with is_check_quorum counts quorum_elapsed_ticks to its next check (0 at its election:
     * the given raft_tick zeroes it while the node does not lead). */
    bool is_pre_candidate;
    bool pre_votes_granted[RAFT_NODES_MAX + 1];
    uint32_t quorum_elapsed_ticks;
    /* Given: randomness, the outbox, and what raft_ready last handed out. */
    uint64_t random_state;
    struct raft_outbox outbox;
    struct raft_hard_state persisted; /* as of the last raft_advance */
    bool is_ready_out;                /* between raft_ready and raft_advance */
    struct raft_msg ready_msgs[RAFT_OUTBOX_MAX];
};

/* ---- Given: little-endian integers, for the wire format and the files of part C ---------- */

static inline void
raft_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline void
raft_put_u64(uint8_t *p, uint64_t v)
{
    raft_put_u32(p, (uint32_t)v);
    raft_put_u32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t
raft_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
raft_get_u64(const uint8_t *p)
{
    return (uint64_t)raft_get_u32(p) | (uint64_t)raft_get_u32(p + 4) << 32;
}

/* ---- Given (raft_given.c) ------------------------------------------------------------------ */

/* Entries. raft_log_term(r, index) is the term of the entry at index, for index from
 * raft_log_start (the snapshot's index: its term; 0 when there is no snapshot) to the last. */
uint64_t raft_log_start(const struct raft *r);
uint64_t raft_log_last_index(const struct raft *r);
uint64_t raft_log_last_term(const struct raft *r);
uint64_t raft_log_term(const struct raft *r, uint64_t index);
/* Appends a copy of e (e->index must be the last index + 1). RAFT_OK or RAFT_NOMEM (nothing
 * appended). */
raft_status raft_log_append(struct raft *r, const struct raft_entry *e);
/* Deletes the entries at from_index and after (from_index > raft_log_start). Never below
 * commit_index. */
void raft_log_truncate(struct raft *r, uint64_t from_index);

/* Queues m to send. For an append, m->entries is ignored: the entry_count entries after
 * prev_index are taken from the log when raft_ready hands the message out. An append of a
 * term that is over by then is dropped, as a network may drop it. */
void raft_send(struct raft *r, const struct raft_msg *m);

/* Restarts the election timer with a fresh random timeout (Raft §5.2). */
void raft_reset_election_timer(struct raft *r);
/* A majority of the cluster. */
uint32_t raft_quorum(const struct raft *r);

/* ---- Part A (raft_election.c) -------------------------------------------------------------- */

/* Called by raft_tick: a follower or candidate counts toward its election timeout; a leader
 * toward its next heartbeat. */
void raft_tick_election(struct raft *r);
void raft_tick_heartbeat(struct raft *r);
/* Called by raft_step for every message before its handler: the rules for all servers on
 * terms (Figure 2). Returns false when the message is stale and done with (any answer sent),
 * true when its handler should see it. */
bool raft_step_term(struct raft *r, const struct raft_msg *m);
void raft_handle_vote(struct raft *r, const struct raft_msg *m);
void raft_handle_vote_reply(struct raft *r, const struct raft_msg *m);
void raft_become_follower(struct raft *r, uint64_t term, uint32_t leader);
void raft_become_candidate(struct raft *r);
void raft_become_leader(struct raft *r);

/* ---- Given for part D -------------------------------------------------------------------- */

/* Forgets the entries through index, which a snapshot of term `term` at index now stands for:
 * the log starts after it (raft_log_start(r) == index, raft_log_term(r, index) == term). The
 * entries after index stay; if the log does not reach index, every entry goes. */
void raft_log_compact(struct raft *r, uint64_t index, uint64_t term);
/* r->incoming becomes the node's snapshot (incoming is left empty), which the next raft_ready
 * persists and has the state machine restore. The log, commit_index and applied_index are left
 * to the caller. */
void raft_snapshot_install(struct raft *r);
/* r->incoming drops what it held: it receives the snapshot at index of term from the leader
 * of the node's term, from byte 0. */
void raft_incoming_start(struct raft *r, uint64_t index, uint64_t term);
/* Appends size_bytes of data to r->incoming. RAFT_OK, RAFT_TOO_BIG (past
 * RAFT_SNAPSHOT_BYTES_MAX) or RAFT_NOMEM, with incoming unchanged. */
raft_status raft_incoming_append(struct raft *r, const uint8_t *data, uint32_t size_bytes);

/* ---- Part B (raft_replication.c) ----------------------------------------------------------- */

/* Sends node `to` an append: entries from its next_index, or none (a heartbeat). */
void raft_send_append(struct raft *r, uint32_t to);
/* Sends every follower what it should get now: called by raft_ready when has_unsent_entries
 * (so many proposals share one append), and by a leader's heartbeat with is_heartbeat. */
void raft_broadcast_append(struct raft *r, bool is_heartbeat);
void raft_handle_append(struct raft *r, const struct raft_msg *m);
void raft_handle_append_reply(struct raft *r, const struct raft_msg *m);
/* A leader commits the highest index a majority has in its log, if that entry is of its own
 * term (Raft §5.4.2). Called when a match_index moves, and by raft_advance. */
void raft_maybe_commit(struct raft *r);

/* ---- Given for part E ---------------------------------------------------------------------- */

/* Hands out the read as done (raft_ready's reads) with status and index. */
void raft_read_done(struct raft *r, uint64_t id, raft_status status, uint64_t index);

/* ---- Part E (raft_read.c) ------------------------------------------------------------------ */

/* Called by raft_read_index on a leader with room for one more read: holds read id in
 * reads_waiting with the round whose answers will confirm it, starting a round (a heartbeat to
 * every follower) unless the current one's messages are still unsent. */
void raft_read_start(struct raft *r, uint64_t id);
/* Called by raft_step on a leader for each append or snapshot reply of its term: the follower
 * answered a message of round m->read_round. */
void raft_read_on_reply(struct raft *r, const struct raft_msg *m);
/* Called by raft_step, raft_read_index and raft_advance on a leader: hands out every waiting
 * read that is now confirmed (raft_read_done), in the order they were asked. */
void raft_read_advance(struct raft *r);

/* ---- Part F, an extra (raft_prevote.c) ------------------------------------------------------ */

/* Called by raft_tick_election (part A) instead of raft_become_candidate when the timeout runs
 * out on a node with is_pre_vote: asks every other node for a pre-vote in its term + 1. */
void raft_pre_vote_start(struct raft *r);
/* Called by raft_step for every RAFT_MSG_PRE_VOTE, before (and instead of) raft_step_term: a
 * pre-vote changes no term, no vote and no timer. */
void raft_handle_pre_vote(struct raft *r, const struct raft_msg *m);
/* Called by raft_step for every RAFT_MSG_PRE_VOTE_REPLY that does not carry a later term than
 * this node's (one that does makes it a follower of that term first, given). */
void raft_handle_pre_vote_reply(struct raft *r, const struct raft_msg *m);
/* Called by raft_tick on a leader with is_check_quorum, after raft_tick_heartbeat. */
void raft_tick_check_quorum(struct raft *r);

/* ---- Part D (raft_snapshot.c) -------------------------------------------------------------- */

/* Sends node `to` the chunk of the leader's snapshot that starts at its snapshot_offset: what
 * raft_send_append does instead when the entries the node needs are in the snapshot. */
void raft_send_snapshot(struct raft *r, uint32_t to);
void raft_handle_snapshot(struct raft *r, const struct raft_msg *m);
void raft_handle_snapshot_reply(struct raft *r, const struct raft_msg *m);

#endif
