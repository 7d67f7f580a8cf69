/* raft_given.c -- lab 04, given: a node's life (create, tick, step, ready, advance), its log in
 * memory and its outbox. Read raft_ready and raft_advance first: they are the one place where
 * what the parts you write decide meets stable storage and the network. Do not change. */
#include "raft_internal.h"

#include <stdlib.h>
#include <string.h>

#define RAFT_STATUS_TEXT(name, text) [name] = (text),
static const char *const raft_status_texts[] = {RAFT_STATUS(RAFT_STATUS_TEXT)};
#undef RAFT_STATUS_TEXT

const char *
raft_strerror(raft_status status)
{
    return (size_t)status < sizeof(raft_status_texts) / sizeof(raft_status_texts[0])
               ? raft_status_texts[status]
               : "unknown status";
}

/* ---- The log ---------------------------------------------------------------------------- */

uint64_t
raft_log_start(const struct raft *r)
{
    return r->log.start;
}

uint64_t
raft_log_last_index(const struct raft *r)
{
    return r->log.start + r->log.count;
}

uint64_t
raft_log_term(const struct raft *r, uint64_t index)
{
    assert(index >= r->log.start);
    assert(index <= raft_log_last_index(r));
    return index == r->log.start ? r->log.start_term
                                 : r->log.entries[index - r->log.start - 1].term;
}

uint64_t
raft_log_last_term(const struct raft *r)
{
    return raft_log_term(r, raft_log_last_index(r));
}

raft_status
raft_log_append(struct raft *r, const struct raft_entry *e)
{
    struct raft_log *log = &r->log;
    assert(e->index == raft_log_last_index(r) + 1);
    assert(e->term >= raft_log_last_term(r)); /* terms never decrease along a log */
    assert(e->size_bytes <= RAFT_ENTRY_BYTES_MAX);
    if (log->count == log->capacity) {
        uint64_t capacity = log->capacity == 0 ? 64 : log->capacity * 2;
        struct raft_entry *grown = realloc(log->entries, capacity * sizeof(*grown));
        if (grown == NULL) {
            return RAFT_NOMEM;
        }
        log->entries = grown;
        log->capacity = capacity;
    }
    uint8_t *data = NULL;
    if (e->size_bytes > 0) {
        data = malloc(e->size_bytes);
        if (data == NULL) {
            return RAFT_NOMEM;
        }
        memcpy(data, e->data, e->size_bytes);
    }
    log->entries[log->count] = *e;
    log->entries[log->count].data = data;
    log->count++;
    if (log->changed_from > e->index) {
        log->changed_from = e->index;
    }
    return RAFT_OK;
}

void
raft_log_truncate(struct raft *r, uint64_t from_index)
{
    struct raft_log *log = &r->log;
    assert(from_index > log->start);
    assert(from_index > r->commit_index); /* a committed entry is never deleted (§5.4) */
    if (raft_log_last_index(r) < from_index) {
        return; /* nothing to delete */
    }
    while (raft_log_last_index(r) >= from_index) {
        free((void *)log->entries[log->count - 1].data);
        log->count--;
    }
    if (log->stable_index > raft_log_last_index(r)) {
        log->stable_index = raft_log_last_index(r);
    }
    if (log->changed_from > from_index) {
        log->changed_from = from_index;
    }
    assert(log->changed_from <= raft_log_last_index(r) + 1);
}

void
raft_log_compact(struct raft *r, uint64_t index, uint64_t term)
{
    struct raft_log *log = &r->log;
    assert(index >= log->start);
    uint64_t last = raft_log_last_index(r);
    uint64_t gone = (index < last ? index : last) - log->start; /* entries to forget */
    for (uint64_t i = 0; i < gone; i++) {
        free((void *)log->entries[i].data);
    }
    if (gone > 0) {
        memmove(log->entries, log->entries + gone, (log->count - gone) * sizeof(*log->entries));
        log->count -= gone;
    }
    if (index > last) {
        assert(log->count == 0);
    }
    log->start = index;
    log->start_term = term;
    /* The stored log keeps nothing through index (the snapshot's save deletes it): a change
     * from below it is a change from just after it. */
    if (log->changed_from != RAFT_UNCHANGED && log->changed_from <= index) {
        log->changed_from = index + 1;
    }
}

/* ---- Snapshots -------------------------------------------------------------------------- */

static void
snapshot_buf_free(struct raft_snapshot_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static raft_status
snapshot_buf_append(struct raft_snapshot_buf *b, const uint8_t *data, uint64_t size_bytes)
{
    if (size_bytes > RAFT_SNAPSHOT_BYTES_MAX - b->size_bytes) {
        return RAFT_TOO_BIG;
    }
    uint64_t size = b->size_bytes + size_bytes;
    if (size > b->capacity) {
        uint64_t capacity = b->capacity == 0 ? 4096 : b->capacity;
        while (capacity < size) {
            capacity *= 2;
        }
        uint8_t *grown = realloc(b->data, capacity);
        if (grown == NULL) {
            return RAFT_NOMEM;
        }
        b->data = grown;
        b->capacity = capacity;
    }
    if (size_bytes > 0) {
        memcpy(b->data + b->size_bytes, data, size_bytes);
    }
    b->size_bytes = size;
    return RAFT_OK;
}

void
raft_incoming_start(struct raft *r, uint64_t index, uint64_t term)
{
    r->incoming.index = index;
    r->incoming.term = term;
    r->incoming.from_term = r->term;
    r->incoming.size_bytes = 0; /* its buffer stays, for the next snapshot */
}

raft_status
raft_incoming_append(struct raft *r, const uint8_t *data, uint32_t size_bytes)
{
    return snapshot_buf_append(&r->incoming, data, size_bytes);
}

void
raft_snapshot_install(struct raft *r)
{
    snapshot_buf_free(&r->snapshot);
    r->snapshot = r->incoming;
    memset(&r->incoming, 0, sizeof(r->incoming));
    r->is_snapshot_unsaved = true;
    r->is_snapshot_unrestored = true;
}

raft_status
raft_compact(struct raft *r, uint64_t index, const void *data, size_t size_bytes)
{
    assert(!r->is_ready_out);
    if (index <= r->log.start || index > r->applied_index) {
        return RAFT_BAD_INDEX;
    }
    if (size_bytes > RAFT_SNAPSHOT_BYTES_MAX) {
        return RAFT_TOO_BIG;
    }
    struct raft_snapshot_buf taken = {.index = index, .term = raft_log_term(r, index)};
    raft_status st = snapshot_buf_append(&taken, data, size_bytes);
    if (st != RAFT_OK) {
        return st;
    }
    raft_log_compact(r, index, taken.term);
    snapshot_buf_free(&r->snapshot);
    r->snapshot = taken;
    r->is_snapshot_unsaved = true;
    /* A follower halfway through the old snapshot starts the new one over. */
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        r->progress[id].snapshot_offset = 0;
    }
    return RAFT_OK;
}

/* ---- Randomness, timers, the outbox ------------------------------------------------------ */

/* splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014). */
static uint64_t
random_next(struct raft *r)
{
    uint64_t z = (r->random_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void
raft_reset_election_timer(struct raft *r)
{
    uint32_t base = r->config.election_ticks;
    r->election_elapsed_ticks = 0;
    r->election_timeout_ticks = base + (uint32_t)(random_next(r) % base);
    assert(r->election_timeout_ticks >= base);
    assert(r->election_timeout_ticks < 2 * base);
}

uint32_t
raft_quorum(const struct raft *r)
{
    return r->config.node_count / 2 + 1;
}

void
raft_send(struct raft *r, const struct raft_msg *m)
{
    assert(m->from == r->config.id);
    assert(m->to >= 1 && m->to <= r->config.node_count);
    assert(m->to != r->config.id);
    assert(m->type != RAFT_MSG_APPEND || m->entry_count <= RAFT_APPEND_ENTRIES_MAX);
    assert(m->type != RAFT_MSG_SNAPSHOT || m->size_bytes <= RAFT_SNAPSHOT_CHUNK_BYTES);
    assert(!r->is_ready_out);
    if (r->outbox.count == RAFT_OUTBOX_MAX) {
        return; /* lost, as the network may lose it: the protocol sends again */
    }
    struct raft_msg *queued = &r->outbox.msgs[r->outbox.count++];
    *queued = *m;
    queued->entries = NULL;
    queued->data = NULL;
    /* Part E: a leader's message carries its read round; a reply, the round it answers. */
    if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT) {
        queued->read_round = r->read_round;
    } else if (m->type == RAFT_MSG_APPEND_REPLY || m->type == RAFT_MSG_SNAPSHOT_REPLY) {
        queued->read_round = r->echo_round;
    }
}

/* ---- Part E: reads -------------------------------------------------------------------------- */

void
raft_read_done(struct raft *r, uint64_t id, raft_status status, uint64_t index)
{
    assert(r->reads_done_count < RAFT_READS_MAX);
    r->reads_done[r->reads_done_count++] = (struct raft_read){id, status, index};
}

raft_status
raft_read_index(struct raft *r, uint64_t id)
{
    assert(!r->is_ready_out);
    if (r->role != RAFT_LEADER) {
        return RAFT_NOT_LEADER;
    }
    if (r->reads_waiting == NULL) {
        r->reads_waiting = malloc(RAFT_READS_MAX * sizeof(*r->reads_waiting));
        r->reads_done = malloc(RAFT_READS_MAX * sizeof(*r->reads_done));
        if (r->reads_waiting == NULL || r->reads_done == NULL) {
            free(r->reads_waiting);
            free(r->reads_done);
            r->reads_waiting = NULL;
            r->reads_done = NULL;
            return RAFT_NOMEM;
        }
    }
    /* A read waits, then is done: room in both for every read asked. */
    if (r->reads_waiting_count + r->reads_done_count >= RAFT_READS_MAX) {
        return RAFT_BUSY;
    }
    raft_read_start(r, id);
    raft_read_advance(r);
    return RAFT_OK;
}

/* A node that no longer leads fails the reads it held: it cannot confirm them any more. */
static void
reads_fail_unless_leader(struct raft *r)
{
    if (r->role == RAFT_LEADER) {
        return;
    }
    for (uint32_t i = 0; i < r->reads_waiting_count; i++) {
        raft_read_done(r, r->reads_waiting[i].id, RAFT_NOT_LEADER, 0);
    }
    r->reads_waiting_count = 0;
}

/* ---- A node's life ---------------------------------------------------------------------- */

static raft_status
check_config(const struct raft_config *c)
{
    if (c->node_count < 1 || c->node_count > RAFT_NODES_MAX || c->id < 1 || c->id > c->node_count ||
        c->election_ticks < 2 || c->heartbeat_ticks < 1 ||
        c->heartbeat_ticks >= c->election_ticks) {
        return RAFT_BAD_CONFIG;
    }
    return RAFT_OK;
}

static raft_status
check_state(const struct raft_config *c, const struct raft_hard_state *hs,
            const struct raft_snapshot *snap, const struct raft_entry *entries, size_t entry_count)
{
    if (hs->vote > c->node_count || snap->term > hs->term ||
        snap->size_bytes > RAFT_SNAPSHOT_BYTES_MAX ||
        (snap->size_bytes > 0 && snap->data == NULL) ||
        (snap->index == 0 && (snap->term != 0 || snap->size_bytes != 0)) ||
        (snap->index > 0 && snap->term == 0) || snap->index > UINT64_MAX - entry_count) {
        return RAFT_BAD_STATE;
    }
    uint64_t term = snap->term;
    for (size_t i = 0; i < entry_count; i++) {
        const struct raft_entry *e = &entries[i];
        if (e->index != snap->index + i + 1 || e->term < term || e->term > hs->term ||
            e->term == 0 || e->type > RAFT_ENTRY_NOOP || e->size_bytes > RAFT_ENTRY_BYTES_MAX ||
            (e->size_bytes > 0 && e->data == NULL)) {
            return RAFT_BAD_STATE;
        }
        term = e->term;
    }
    return RAFT_OK;
}

raft_status
raft_create(const struct raft_config *config, const struct raft_hard_state *hard_state,
            const struct raft_snapshot *snapshot, const struct raft_entry *entries,
            size_t entry_count, struct raft **out)
{
    static const struct raft_hard_state fresh = {0, 0};
    static const struct raft_snapshot none = {0, 0, 0, NULL};
    const struct raft_hard_state *hs = hard_state != NULL ? hard_state : &fresh;
    const struct raft_snapshot *snap = snapshot != NULL ? snapshot : &none;
    raft_status st = check_config(config);
    if (st == RAFT_OK) {
        st = check_state(config, hs, snap, entries, entry_count);
    }
    if (st != RAFT_OK) {
        return st;
    }
    struct raft *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return RAFT_NOMEM;
    }
    r->config = *config;
    r->term = hs->term;
    r->vote = hs->vote;
    r->persisted = *hs;
    r->role = RAFT_FOLLOWER;
    r->random_state = config->random_seed ^ ((uint64_t)config->id << 32);
    r->snapshot.index = snap->index;
    r->snapshot.term = snap->term;
    r->log.start = snap->index;
    r->log.start_term = snap->term;
    /* The snapshot holds committed entries only, applied by the state machine it restores. */
    r->commit_index = snap->index;
    r->applied_index = snap->index;
    if (snapshot_buf_append(&r->snapshot, snap->data, snap->size_bytes) != RAFT_OK) {
        raft_destroy(r);
        return RAFT_NOMEM;
    }
    for (size_t i = 0; i < entry_count; i++) {
        if (raft_log_append(r, &entries[i]) != RAFT_OK) {
            raft_destroy(r);
            return RAFT_NOMEM;
        }
    }
    r->log.stable_index = raft_log_last_index(r); /* it came from stable storage */
    r->log.changed_from = RAFT_UNCHANGED;
    raft_reset_election_timer(r);
    *out = r;
    return RAFT_OK;
}

void
raft_destroy(struct raft *r)
{
    if (r == NULL) {
        return;
    }
    for (uint64_t i = 0; i < r->log.count; i++) {
        free((void *)r->log.entries[i].data);
    }
    free(r->log.entries);
    free(r->reads_waiting);
    free(r->reads_done);
    snapshot_buf_free(&r->snapshot);
    snapshot_buf_free(&r->incoming);
    free(r);
}

void
raft_tick(struct raft *r)
{
    assert(!r->is_ready_out);
    if (r->role == RAFT_LEADER) {
        raft_tick_heartbeat(r);
        if (r->config.is_check_quorum && r->role == RAFT_LEADER) {
            raft_tick_check_quorum(r);
        }
    } else {
        r->quorum_elapsed_ticks = 0; /* part F: a leader's quorum checks count from its election */
        raft_tick_election(r);
    }
    reads_fail_unless_leader(r);
}

/* Whether m can come from a node of this cluster; its fields are checked, not its logic. */
static bool
is_well_formed(const struct raft *r, const struct raft_msg *m)
{
    uint32_t n = r->config.node_count;
    if (m->type > RAFT_MSG_PRE_VOTE_REPLY || m->from < 1 || m->from > n || m->to != r->config.id ||
        m->from == m->to) {
        return false;
    }
    if (m->type == RAFT_MSG_SNAPSHOT) {
        return m->size_bytes <= RAFT_SNAPSHOT_CHUNK_BYTES &&
               (m->size_bytes == 0 || m->data != NULL) &&
               m->offset <= RAFT_SNAPSHOT_BYTES_MAX - m->size_bytes && m->prev_index > 0 &&
               m->prev_term > 0 && m->prev_term <= m->term;
    }
    if (m->type != RAFT_MSG_APPEND) {
        return true;
    }
    if (m->entry_count > RAFT_APPEND_ENTRIES_MAX || (m->entry_count > 0 && m->entries == NULL) ||
        m->prev_index > UINT64_MAX - RAFT_APPEND_ENTRIES_MAX) {
        return false;
    }
    uint64_t term = m->prev_term;
    for (uint32_t i = 0; i < m->entry_count; i++) {
        const struct raft_entry *e = &m->entries[i];
        if (e->index != m->prev_index + 1 + i || e->term < term || e->term > m->term ||
            e->type > RAFT_ENTRY_NOOP || e->size_bytes > RAFT_ENTRY_BYTES_MAX ||
            (e->size_bytes > 0 && e->data == NULL)) {
            return false;
        }
        term = e->term;
    }
    return true;
}

raft_status
raft_step(struct raft *r, const struct raft_msg *m)
{
    assert(!r->is_ready_out);
    if (!is_well_formed(r, m)) {
        return RAFT_BAD_MESSAGE;
    }
    if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT) {
        r->echo_round = m->read_round; /* what its reply carries back (raft_send) */
    }
    /* Part F: a pre-vote asks about a term no one is in yet; its answer may name a later one. */
    if (m->type == RAFT_MSG_PRE_VOTE) {
        raft_handle_pre_vote(r, m);
        return RAFT_OK;
    }
    if (m->type == RAFT_MSG_PRE_VOTE_REPLY) {
        if (m->term > r->term && !m->is_granted) {
            raft_become_follower(r, m->term, 0);
            r->is_pre_candidate = false;
        } else {
            raft_handle_pre_vote_reply(r, m);
        }
        reads_fail_unless_leader(r);
        return RAFT_OK;
    }
    if (m->term >= r->term && (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT)) {
        r->is_pre_candidate = false; /* a leader is heard: no election to prepare */
    }
    if (r->role == RAFT_LEADER && m->term == r->term) {
        r->progress[m->from].is_recent_active = true; /* part F's quorum check */
    }
    if (!raft_step_term(r, m)) {
        reads_fail_unless_leader(r);
        return RAFT_OK;
    }
    switch (m->type) {
    case RAFT_MSG_VOTE:
        raft_handle_vote(r, m);
        break;
    case RAFT_MSG_VOTE_REPLY:
        raft_handle_vote_reply(r, m);
        break;
    case RAFT_MSG_APPEND:
        raft_handle_append(r, m);
        break;
    case RAFT_MSG_APPEND_REPLY:
        raft_handle_append_reply(r, m);
        break;
    case RAFT_MSG_SNAPSHOT:
        raft_handle_snapshot(r, m);
        break;
    default:
        raft_handle_snapshot_reply(r, m);
        break;
    }
    if (r->role == RAFT_LEADER && m->term == r->term &&
        (m->type == RAFT_MSG_APPEND_REPLY || m->type == RAFT_MSG_SNAPSHOT_REPLY)) {
        raft_read_on_reply(r, m);
        raft_read_advance(r);
    }
    reads_fail_unless_leader(r);
    return RAFT_OK;
}

/* ---- Ready and advance ------------------------------------------------------------------ */

bool
raft_has_ready(const struct raft *r)
{
    return r->term != r->persisted.term || r->vote != r->persisted.vote || r->is_snapshot_unsaved ||
           r->log.changed_from != RAFT_UNCHANGED || r->outbox.count > 0 || r->has_unsent_entries ||
           r->applied_index < r->commit_index || r->reads_done_count > 0;
}

/* Hands out the queued messages, an append's entries looked up in the log and a snapshot
 * chunk's data in the snapshot. An append whose term is over, or whose entries the log no longer
 * holds as they were, is dropped; so is a chunk of a snapshot the node no longer has. */
static size_t
ready_messages(struct raft *r)
{
    size_t count = 0;
    for (uint32_t i = 0; i < r->outbox.count; i++) {
        struct raft_msg m = r->outbox.msgs[i];
        bool is_leaders = m.term == r->term && r->role == RAFT_LEADER;
        if (m.type == RAFT_MSG_APPEND) {
            uint64_t last = m.prev_index + m.entry_count;
            if (!is_leaders || m.prev_index < r->log.start || last > raft_log_last_index(r) ||
                raft_log_term(r, m.prev_index) != m.prev_term) {
                continue;
            }
            m.entries = m.entry_count > 0 ? &r->log.entries[m.prev_index - r->log.start] : NULL;
        } else if (m.type == RAFT_MSG_SNAPSHOT) {
            if (!is_leaders || m.prev_index != r->snapshot.index ||
                m.prev_term != r->snapshot.term || m.offset > r->snapshot.size_bytes ||
                m.size_bytes > r->snapshot.size_bytes - m.offset) {
                continue;
            }
            m.data = m.size_bytes > 0 ? r->snapshot.data + m.offset : NULL;
        }
        r->ready_msgs[count++] = m;
    }
    return count;
}

void
raft_ready(struct raft *r, struct raft_ready *rd)
{
    assert(!r->is_ready_out);
    if (r->role == RAFT_LEADER && r->has_unsent_entries) {
        raft_broadcast_append(r, false);
    }
    r->has_unsent_entries = false;
    memset(rd, 0, sizeof(*rd));
    rd->hard_state = (struct raft_hard_state){r->term, r->vote};
    rd->has_hard_state = r->term != r->persisted.term || r->vote != r->persisted.vote;
    rd->has_snapshot = r->is_snapshot_unsaved;
    rd->restore_snapshot = r->is_snapshot_unrestored;
    if (rd->has_snapshot) {
        rd->snapshot = (struct raft_snapshot){r->snapshot.index, r->snapshot.term,
                                              r->snapshot.size_bytes, r->snapshot.data};
    }
    const struct raft_log *log = &r->log;
    uint64_t last = raft_log_last_index(r);
    rd->has_log_change = log->changed_from != RAFT_UNCHANGED;
    if (rd->has_log_change) {
        assert(log->changed_from > log->start);
        assert(log->changed_from <= last + 1);
        rd->log_from_index = log->changed_from;
        rd->entry_count = last + 1 - log->changed_from;
        rd->entries =
            rd->entry_count > 0 ? &log->entries[log->changed_from - log->start - 1] : NULL;
    }
    rd->msg_count = ready_messages(r);
    rd->msgs = rd->msg_count > 0 ? r->ready_msgs : NULL;
    /* Applied after step 1, when the whole log is on this node's disk; after a snapshot the
     * state machine restores, only what follows it. */
    assert(r->commit_index <= last);
    assert(r->applied_index >= log->start);
    if (r->commit_index > r->applied_index) {
        rd->committed = &log->entries[r->applied_index - log->start];
        rd->committed_count = r->commit_index - r->applied_index;
    }
    rd->read_count = r->reads_done_count;
    rd->reads = rd->read_count > 0 ? r->reads_done : NULL;
    r->is_ready_out = true;
}

void
raft_advance(struct raft *r, const struct raft_ready *rd)
{
    assert(r->is_ready_out);
    r->is_ready_out = false;
    if (rd->has_hard_state) {
        r->persisted = rd->hard_state;
    }
    if (rd->has_snapshot) {
        r->is_snapshot_unsaved = false;
        r->is_snapshot_unrestored = false;
        if (r->log.stable_index < rd->snapshot.index) {
            r->log.stable_index = rd->snapshot.index;
        }
    }
    if (rd->has_log_change) {
        assert(rd->log_from_index - 1 + rd->entry_count == raft_log_last_index(r));
        r->log.stable_index = raft_log_last_index(r);
    }
    r->log.changed_from = RAFT_UNCHANGED;
    r->outbox.count = 0;
    r->is_read_round_unsent = false; /* the round's messages went out with the others */
    r->reads_done_count = 0;
    r->applied_index += rd->committed_count;
    assert(r->applied_index <= r->commit_index);
    if (r->role == RAFT_LEADER) {
        r->progress[r->config.id].match_index = r->log.stable_index;
        raft_maybe_commit(r);
        raft_read_advance(r); /* the commit may have reached the leader's own term */
    }
}

/* ---- What a node knows ------------------------------------------------------------------ */

enum raft_role
raft_role(const struct raft *r)
{
    return r->role;
}

uint64_t
raft_term(const struct raft *r)
{
    return r->term;
}

uint32_t
raft_leader(const struct raft *r)
{
    return r->leader;
}

uint64_t
raft_commit_index(const struct raft *r)
{
    return r->commit_index;
}

uint64_t
raft_last_index(const struct raft *r)
{
    return raft_log_last_index(r);
}

void
raft_last_snapshot(const struct raft *r, struct raft_snapshot *s)
{
    *s = (struct raft_snapshot){r->snapshot.index, r->snapshot.term, r->snapshot.size_bytes,
                                r->snapshot.data};
}

bool
raft_entry_at(const struct raft *r, uint64_t index, struct raft_entry *e)
{
    if (index <= r->log.start || index > raft_log_last_index(r)) {
        return false;
    }
    *e = r->log.entries[index - r->log.start - 1];
    return true;
}
