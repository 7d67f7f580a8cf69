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
raft_log_last_index(const struct raft *r)
{
    return r->log.count;
}

uint64_t
raft_log_term(const struct raft *r, uint64_t index)
{
    assert(index <= r->log.count);
    return index == 0 ? 0 : r->log.entries[index - 1].term;
}

uint64_t
raft_log_last_term(const struct raft *r)
{
    return raft_log_term(r, r->log.count);
}

raft_status
raft_log_append(struct raft *r, const struct raft_entry *e)
{
    struct raft_log *log = &r->log;
    assert(e->index == log->count + 1);
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
    assert(from_index >= 1);
    assert(from_index > r->commit_index); /* a committed entry is never deleted (§5.4) */
    if (log->count < from_index) {
        return; /* nothing to delete */
    }
    while (log->count >= from_index) {
        free((void *)log->entries[log->count - 1].data);
        log->count--;
    }
    if (log->stable_index > log->count) {
        log->stable_index = log->count;
    }
    if (log->changed_from > from_index) {
        log->changed_from = from_index;
    }
    assert(log->changed_from <= log->count + 1);
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
    assert(!r->is_ready_out);
    if (r->outbox.count == RAFT_OUTBOX_MAX) {
        return; /* lost, as the network may lose it: the protocol sends again */
    }
    struct raft_msg *queued = &r->outbox.msgs[r->outbox.count++];
    *queued = *m;
    queued->entries = NULL;
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
            const struct raft_entry *entries, size_t entry_count)
{
    if (hs->vote > c->node_count) {
        return RAFT_BAD_STATE;
    }
    uint64_t term = 0;
    for (size_t i = 0; i < entry_count; i++) {
        const struct raft_entry *e = &entries[i];
        if (e->index != i + 1 || e->term < term || e->term > hs->term || e->term == 0 ||
            e->type > RAFT_ENTRY_NOOP || e->size_bytes > RAFT_ENTRY_BYTES_MAX ||
            (e->size_bytes > 0 && e->data == NULL)) {
            return RAFT_BAD_STATE;
        }
        term = e->term;
    }
    return RAFT_OK;
}

raft_status
raft_create(const struct raft_config *config, const struct raft_hard_state *hard_state,
            const struct raft_entry *entries, size_t entry_count, struct raft **out)
{
    static const struct raft_hard_state fresh = {0, 0};
    const struct raft_hard_state *hs = hard_state != NULL ? hard_state : &fresh;
    raft_status st = check_config(config);
    if (st == RAFT_OK) {
        st = check_state(config, hs, entries, entry_count);
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
    for (size_t i = 0; i < entry_count; i++) {
        if (raft_log_append(r, &entries[i]) != RAFT_OK) {
            raft_destroy(r);
            return RAFT_NOMEM;
        }
    }
    r->log.stable_index = r->log.count; /* it came from stable storage */
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
    free(r);
}

void
raft_tick(struct raft *r)
{
    assert(!r->is_ready_out);
    if (r->role == RAFT_LEADER) {
        raft_tick_heartbeat(r);
    } else {
        raft_tick_election(r);
    }
}

/* Whether m can come from a node of this cluster; its fields are checked, not its logic. */
static bool
is_well_formed(const struct raft *r, const struct raft_msg *m)
{
    uint32_t n = r->config.node_count;
    if (m->type > RAFT_MSG_APPEND_REPLY || m->from < 1 || m->from > n || m->to != r->config.id ||
        m->from == m->to) {
        return false;
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
    if (!raft_step_term(r, m)) {
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
    default:
        raft_handle_append_reply(r, m);
        break;
    }
    return RAFT_OK;
}

/* ---- Ready and advance ------------------------------------------------------------------ */

bool
raft_has_ready(const struct raft *r)
{
    return r->term != r->persisted.term || r->vote != r->persisted.vote ||
           r->log.changed_from != RAFT_UNCHANGED || r->outbox.count > 0 || r->has_unsent_entries ||
           r->applied_index < r->commit_index;
}

/* Hands out the queued messages, an append's entries looked up in the log. An append whose
 * term is over, or whose entries the log no longer holds as they were, is dropped. */
static size_t
ready_messages(struct raft *r)
{
    size_t count = 0;
    for (uint32_t i = 0; i < r->outbox.count; i++) {
        struct raft_msg m = r->outbox.msgs[i];
        if (m.type == RAFT_MSG_APPEND) {
            uint64_t last = m.prev_index + m.entry_count;
            if (m.term != r->term || r->role != RAFT_LEADER || last > r->log.count ||
                raft_log_term(r, m.prev_index) != m.prev_term) {
                continue;
            }
            m.entries = m.entry_count > 0 ? &r->log.entries[m.prev_index] : NULL;
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
    const struct raft_log *log = &r->log;
    rd->has_log_change = log->changed_from != RAFT_UNCHANGED;
    if (rd->has_log_change) {
        assert(log->changed_from >= 1);
        assert(log->changed_from <= log->count + 1);
        rd->log_from_index = log->changed_from;
        rd->entry_count = log->count + 1 - log->changed_from;
        rd->entries = rd->entry_count > 0 ? &log->entries[log->changed_from - 1] : NULL;
    }
    rd->msg_count = ready_messages(r);
    rd->msgs = rd->msg_count > 0 ? r->ready_msgs : NULL;
    /* Applied after step 1, when the whole log is on this node's disk. */
    assert(r->commit_index <= log->count);
    if (r->commit_index > r->applied_index) {
        rd->committed = &log->entries[r->applied_index];
        rd->committed_count = r->commit_index - r->applied_index;
    }
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
    if (rd->has_log_change) {
        assert(rd->log_from_index - 1 + rd->entry_count == r->log.count);
        r->log.stable_index = r->log.count;
    }
    r->log.changed_from = RAFT_UNCHANGED;
    r->outbox.count = 0;
    r->applied_index += rd->committed_count;
    assert(r->applied_index <= r->commit_index);
    if (r->role == RAFT_LEADER) {
        r->progress[r->config.id].match_index = r->log.stable_index;
        raft_maybe_commit(r);
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
    return r->log.count;
}

bool
raft_entry_at(const struct raft *r, uint64_t index, struct raft_entry *e)
{
    if (index < 1 || index > r->log.count) {
        return false;
    }
    *e = r->log.entries[index - 1];
    return true;
}
