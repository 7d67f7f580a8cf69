/* search.h -- lab 04: a bounded exhaustive search over a small cluster. Where the simulator
 * (cluster.h) follows one seeded history at a time, this tries them all: from a cluster of
 * SEARCH_NODES nodes, every action in every order (deliver any message in flight, lose it, let
 * a node's election timer run out or a leader's heartbeat come, propose a command), up to a
 * depth, each state hashed so that one reached twice is explored once, checking Raft's safety
 * properties in every state. Read search_run first, then search_step.
 *
 * What a state is: each node's Raft state (its term, vote, role, log, commit and applied
 * indexes, a candidate's votes, a leader's view of its followers) and the messages in flight
 * (as a multiset: their order in the network does not matter, since any may be delivered next).
 * Timers are not part of it: "a node's timer runs out" is an action that can come at any
 * moment, which covers every timing the real timers could produce. */
#ifndef KEEL_RAFT_SEARCH_H
#define KEEL_RAFT_SEARCH_H

#include "raft_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_NODES 3u
#define SEARCH_BAG_MAX 8u     /* messages in flight; one more is lost, as a network may lose it */
#define SEARCH_ENTRIES_MAX 8u /* entries a message carries here (logs stay short) */
#define SEARCH_TERMS_MAX 8u   /* terms the election-safety record keeps */
#define SEARCH_LOG_MAX 8u     /* committed entries the state-machine-safety record keeps */
#define SEARCH_DEPTH_MAX 128u
#define SEARCH_ELECTION_TICKS 10u
#define SEARCH_HEARTBEAT_TICKS 2u

struct search_config {
    uint32_t depth;      /* actions from the start, at most (<= SEARCH_DEPTH_MAX) */
    uint64_t terms;      /* no election timer runs out on a node already at this term */
    uint32_t proposals;  /* commands proposed in all, at most */
    uint64_t states_max; /* distinct states explored, at most: past it the search stops */
    /* Figure 8's setting: the nodes run the paper's base algorithm (raft_config's
     * is_noop_skipped); no message is lost, though any may stay in flight for ever (is_loss_off);
     * a leader's heartbeat timer never runs out (is_heartbeat_off), so that only elections and
     * commands make messages and every history ends: with is_single_round, one round to depth
     * explores all of them instead of deepening one action at a time. */
    bool is_noop_skipped;
    bool is_loss_off;
    bool is_heartbeat_off;
    bool is_single_round;
    /* A network that keeps order (is_fifo): the oldest message in flight is the next delivered
     * or lost, at most `losses` lost in all, and a timer runs out (or a command is proposed) only
     * when no message is in flight. Histories then differ only in what is lost and in what
     * happens between exchanges, so they stay few while reaching far deeper than every order of
     * delivery can. */
    bool is_fifo;
    uint32_t losses;
};

/* A message in flight, with copies of the entries it carries (one-byte commands). */
struct search_msg {
    struct raft_msg m;
    struct raft_entry entries[SEARCH_ENTRIES_MAX];
    uint8_t data[SEARCH_ENTRIES_MAX];
};

enum search_action_kind { SEARCH_DELIVER, SEARCH_LOSE, SEARCH_TIMEOUT, SEARCH_PROPOSE };

struct search_action {
    uint8_t kind;      /* enum search_action_kind */
    uint32_t node;     /* TIMEOUT, PROPOSE */
    uint32_t index;    /* DELIVER, LOSE: the message's place in the world's bag */
    struct raft_msg m; /* DELIVER, LOSE: a copy, for the trace (its entries not kept) */
};

struct search_world {
    struct raft *nodes[SEARCH_NODES + 1];
    struct search_msg bag[SEARCH_BAG_MAX];
    uint32_t bag_count;
    bool is_fifo; /* the bag is a queue, oldest first (search_config's is_fifo) */
    uint32_t losses;
    uint32_t proposals;
    /* What the safety checks remember of the history (part of the state: hashed too). */
    uint32_t leader_of_term[SEARCH_TERMS_MAX + 1];
    uint64_t committed_count;
    uint64_t committed_term[SEARCH_LOG_MAX + 1];
    uint64_t commit_term[SEARCH_LOG_MAX + 1]; /* the first applier's term: when it committed */
    uint8_t committed_data[SEARCH_LOG_MAX + 1];
};

struct search_result {
    uint64_t states;      /* distinct states explored */
    uint64_t transitions; /* actions taken, those reaching a known state included */
    uint32_t depth;       /* the deepest state explored */
    bool is_exhausted;    /* every state within the bounds was explored */
    bool saw_leader;      /* some state had a leader */
    bool saw_commit;      /* some state had a command applied */
    bool has_violation;
    char violation[256];
    struct search_action trace[SEARCH_DEPTH_MAX]; /* the actions that led to it */
    uint32_t trace_length;
};

/* ---- Worlds ------------------------------------------------------------------------------ */

/* A deep copy of node r (its log, its snapshots), or NULL out of memory. */
static inline struct raft *
search_node_clone(const struct raft *r)
{
    struct raft *copy = malloc(sizeof(*copy));
    if (copy == NULL) {
        return NULL;
    }
    memcpy(copy, r, sizeof(*copy));
    copy->log.entries = NULL;
    copy->snapshot.data = NULL;
    copy->incoming.data = NULL;
    if (r->log.capacity > 0) {
        copy->log.entries = malloc(r->log.capacity * sizeof(*copy->log.entries));
        if (copy->log.entries == NULL) {
            free(copy);
            return NULL;
        }
        for (uint64_t i = 0; i < r->log.count; i++) {
            copy->log.entries[i] = r->log.entries[i];
            if (r->log.entries[i].size_bytes > 0) {
                uint8_t *data = malloc(r->log.entries[i].size_bytes);
                if (data == NULL) {
                    copy->log.count = i;
                    raft_destroy(copy);
                    return NULL;
                }
                memcpy(data, r->log.entries[i].data, r->log.entries[i].size_bytes);
                copy->log.entries[i].data = data;
            }
        }
    }
    copy->snapshot.capacity = 0; /* the search takes no snapshots */
    copy->reads_waiting = NULL;  /* nor reads */
    copy->reads_done = NULL;
    copy->incoming.capacity = 0;
    return copy;
}

static inline void
search_world_free(struct search_world *w)
{
    for (uint32_t id = 1; id <= SEARCH_NODES; id++) {
        raft_destroy(w->nodes[id]);
        w->nodes[id] = NULL;
    }
}

/* Points a message's entries (and theirs data) at its own copies, after it moved. */
static inline void
search_msg_fix(struct search_msg *s)
{
    s->m.entries = s->m.entry_count > 0 ? s->entries : NULL;
    for (uint32_t k = 0; k < s->m.entry_count; k++) {
        s->entries[k].data = s->entries[k].size_bytes > 0 ? &s->data[k] : NULL;
    }
}

static inline bool
search_world_clone(const struct search_world *w, struct search_world *out)
{
    memcpy(out, w, sizeof(*out));
    for (uint32_t id = 1; id <= SEARCH_NODES; id++) {
        out->nodes[id] = NULL;
    }
    for (uint32_t id = 1; id <= SEARCH_NODES; id++) {
        out->nodes[id] = search_node_clone(w->nodes[id]);
        if (out->nodes[id] == NULL) {
            search_world_free(out);
            return false;
        }
    }
    for (uint32_t i = 0; i < out->bag_count; i++) {
        search_msg_fix(&out->bag[i]);
    }
    return true;
}

/* ---- The safety checks ------------------------------------------------------------------- */

static inline bool search_violation(struct search_result *res, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static inline bool
search_violation(struct search_result *res, const char *format, ...)
{
    res->has_violation = true;
    va_list ap;
    va_start(ap, format);
    vsnprintf(res->violation, sizeof(res->violation), format, ap);
    va_end(ap);
    return false;
}

/* Election safety and leader completeness, for node id, a leader: checked once a term, when
 * it is first seen leading it. */
static inline bool
search_check_leader(struct search_world *w, uint32_t id, struct search_result *res)
{
    const struct raft *r = w->nodes[id];
    uint64_t term = raft_term(r);
    res->saw_leader = true;
    if (term > SEARCH_TERMS_MAX || w->leader_of_term[term] == id) {
        return true;
    }
    if (w->leader_of_term[term] != 0 && w->leader_of_term[term] != id) {
        return search_violation(res, "nodes %u and %u both led term %" PRIu64 " (election safety)",
                                w->leader_of_term[term], id, term);
    }
    w->leader_of_term[term] = id;
    for (uint64_t i = 1; i <= w->committed_count; i++) {
        struct raft_entry e;
        if (w->commit_term[i] >= term) {
            continue; /* §5.4 binds the leaders of later terms only */
        }
        if (!raft_entry_at(r, i, &e) || e.term != w->committed_term[i]) {
            return search_violation(res,
                                    "node %u leads term %" PRIu64
                                    " without committed entry %" PRIu64 " (leader completeness)",
                                    id, term, i);
        }
    }
    return true;
}

/* Log matching between every two nodes: an index where both hold the same term holds the same
 * entries up to it. */
static inline bool
search_check_logs(const struct search_world *w, struct search_result *res)
{
    for (uint32_t a = 1; a <= SEARCH_NODES; a++) {
        for (uint32_t b = a + 1; b <= SEARCH_NODES; b++) {
            const struct raft *ra = w->nodes[a], *rb = w->nodes[b];
            uint64_t last = raft_last_index(ra) < raft_last_index(rb) ? raft_last_index(ra)
                                                                      : raft_last_index(rb);
            bool is_same_after = false; /* an index above holds the same term on both */
            for (uint64_t i = last; i >= 1; i--) {
                struct raft_entry ea, eb;
                raft_entry_at(ra, i, &ea);
                raft_entry_at(rb, i, &eb);
                bool is_same = ea.term == eb.term && ea.type == eb.type &&
                               ea.size_bytes == eb.size_bytes &&
                               (ea.size_bytes == 0 || ea.data[0] == eb.data[0]);
                if (is_same_after && !is_same) {
                    return search_violation(res,
                                            "nodes %u and %u agree after index %" PRIu64
                                            " but not at it (log matching)",
                                            a, b, i);
                }
                is_same_after = is_same_after || ea.term == eb.term;
            }
        }
    }
    return true;
}

/* ---- Carrying out a node's readies ------------------------------------------------------- */

/* Puts m (with copies of its entries) in flight; a full network loses it. */
static inline void
search_send(struct search_world *w, const struct raft_msg *m)
{
    if (w->bag_count == SEARCH_BAG_MAX || m->entry_count > SEARCH_ENTRIES_MAX) {
        return;
    }
    struct search_msg *s = &w->bag[w->bag_count++];
    s->m = *m;
    for (uint32_t k = 0; k < m->entry_count; k++) {
        s->entries[k] = m->entries[k];
        s->data[k] = m->entries[k].size_bytes > 0 ? m->entries[k].data[0] : 0;
        s->entries[k].data = m->entries[k].size_bytes > 0 ? &s->data[k] : NULL;
    }
    s->m.entries = m->entry_count > 0 ? s->entries : NULL;
}

/* State machine safety: every node applies the same entry at each index. */
static inline bool
search_apply(struct search_world *w, uint32_t id, const struct raft_ready *rd,
             struct search_result *res)
{
    for (size_t i = 0; i < rd->committed_count; i++) {
        const struct raft_entry *e = &rd->committed[i];
        if (e->index > SEARCH_LOG_MAX) {
            continue;
        }
        uint8_t data = e->size_bytes > 0 ? e->data[0] : 0;
        res->saw_commit = res->saw_commit || e->type == RAFT_ENTRY_COMMAND;
        if (e->index > w->committed_count) {
            w->committed_count = e->index;
            w->committed_term[e->index] = e->term;
            w->commit_term[e->index] = raft_term(w->nodes[id]);
            w->committed_data[e->index] = data;
        } else if (w->committed_term[e->index] != e->term || w->committed_data[e->index] != data) {
            return search_violation(res,
                                    "node %u applied term %" PRIu64 " at index %" PRIu64
                                    ", where another applied term %" PRIu64
                                    " (state machine safety)",
                                    id, e->term, e->index, w->committed_term[e->index]);
        }
    }
    return true;
}

/* Carries out node id's readies (its disk never fails here); false on a broken property. */
static inline bool
search_process(struct search_world *w, uint32_t id, struct search_result *res)
{
    struct raft *r = w->nodes[id];
    while (raft_has_ready(r)) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        for (size_t i = 0; i < rd.msg_count; i++) {
            search_send(w, &rd.msgs[i]);
        }
        bool is_ok = search_apply(w, id, &rd, res);
        raft_advance(r, &rd);
        if (!is_ok) {
            return false;
        }
    }
    return raft_role(r) != RAFT_LEADER || search_check_leader(w, id, res);
}

/* ---- Hashing states ---------------------------------------------------------------------- */

static inline uint64_t
search_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
    return h * 0xbf58476d1ce4e5b9u;
}

static inline uint64_t
search_msg_hash(const struct search_msg *s)
{
    const struct raft_msg *m = &s->m;
    const uint64_t fields[] = {m->type,           m->from,           m->to,           m->term,
                               m->last_log_index, m->last_log_term,  m->is_granted,   m->prev_index,
                               m->prev_term,      m->commit,         m->entry_count,  m->is_success,
                               m->match_index,    m->conflict_index, m->conflict_term};
    uint64_t h = 0x51;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        h = search_mix(h, fields[i]);
    }
    for (uint32_t k = 0; k < m->entry_count; k++) {
        h = search_mix(h, s->entries[k].term * 1024 + s->entries[k].type * 256 + s->data[k]);
    }
    return h;
}

static inline int
search_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The state's hash: what each node will do next depends on, and the messages in flight as a
 * multiset (sorted), and what the checks remember. */
static inline uint64_t
search_hash(const struct search_world *w)
{
    uint64_t h = 0x4b45454c;
    for (uint32_t id = 1; id <= SEARCH_NODES; id++) {
        const struct raft *r = w->nodes[id];
        const uint64_t fields[] = {
            r->term,         r->vote,          r->role,      r->leader,
            r->commit_index, r->applied_index, r->log.count, r->has_unsent_entries};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            h = search_mix(h, fields[i]);
        }
        for (uint64_t i = 0; i < r->log.count; i++) {
            const struct raft_entry *e = &r->log.entries[i];
            h = search_mix(h,
                           e->term * 1024 + e->type * 256 + (e->size_bytes > 0 ? e->data[0] : 0));
        }
        for (uint32_t k = 1; k <= SEARCH_NODES; k++) {
            if (r->role == RAFT_CANDIDATE) {
                h = search_mix(h, r->votes_granted[k]);
            } else if (r->role == RAFT_LEADER) {
                const struct raft_progress *p = &r->progress[k];
                h = search_mix(h, p->next_index * 4 + p->is_probing * 2 + p->is_active);
                h = search_mix(h, p->match_index);
            }
        }
    }
    uint64_t msgs[SEARCH_BAG_MAX];
    for (uint32_t i = 0; i < w->bag_count; i++) {
        msgs[i] = search_msg_hash(&w->bag[i]);
    }
    if (!w->is_fifo) {
        qsort(msgs, w->bag_count, sizeof(msgs[0]), search_cmp_u64);
    }
    h = search_mix(h, w->losses);
    for (uint32_t i = 0; i < w->bag_count; i++) {
        h = search_mix(h, msgs[i]);
    }
    h = search_mix(h, w->proposals);
    for (uint32_t t = 1; t <= SEARCH_TERMS_MAX; t++) {
        h = search_mix(h, w->leader_of_term[t]);
    }
    for (uint64_t i = 1; i <= w->committed_count; i++) {
        h = search_mix(h, w->committed_term[i] * 256 + w->committed_data[i]);
        h = search_mix(h, w->commit_term[i]);
    }
    return h | 1; /* 0 marks an empty slot */
}

/* ---- Actions ----------------------------------------------------------------------------- */

/* Node id's timer runs out: a follower or candidate stands for election, a leader sends its
 * heartbeats. */
static inline void
search_timeout(struct raft *r)
{
    if (raft_role(r) == RAFT_LEADER) {
        for (uint32_t t = 0; t < SEARCH_HEARTBEAT_TICKS; t++) {
            raft_tick(r);
        }
        return;
    }
    uint64_t term = raft_term(r);
    for (uint32_t t = 0; t < 2 * SEARCH_ELECTION_TICKS && raft_term(r) == term; t++) {
        raft_tick(r);
    }
}

/* Carries out action a on w; false when it broke a safety property (res says which), or the
 * node's code returned what raft.h does not allow. */
static inline bool
search_step(struct search_world *w, const struct search_action *a, struct search_result *res)
{
    switch (a->kind) {
    case SEARCH_DELIVER:
    case SEARCH_LOSE: {
        struct search_msg m = w->bag[a->index];
        w->bag_count--;
        for (uint32_t i = a->index; i < w->bag_count; i++) { /* the order kept */
            w->bag[i] = w->bag[i + 1];
            search_msg_fix(&w->bag[i]); /* moved */
        }
        if (a->kind == SEARCH_LOSE) {
            w->losses += w->is_fifo; /* counted only where bounded: else it would split states */
            return true;
        }
        search_msg_fix(&m);
        raft_status st = raft_step(w->nodes[m.m.to], &m.m);
        if (st != RAFT_OK && st != RAFT_NOMEM) {
            return search_violation(res, "raft_step returned %d for a message of node %u", st,
                                    m.m.from);
        }
        return search_process(w, m.m.to, res);
    }
    case SEARCH_TIMEOUT:
        search_timeout(w->nodes[a->node]);
        return search_process(w, a->node, res);
    default: {
        uint8_t command = (uint8_t)('a' + w->proposals++);
        uint64_t index, term;
        (void)raft_propose(w->nodes[a->node], &command, 1, &index, &term);
        return search_process(w, a->node, res);
    }
    }
}

/* The actions possible in w within the bounds: into out (room for all), their count. */
static inline uint32_t
search_actions(const struct search_world *w, const struct search_config *config,
               struct search_action *out)
{
    uint32_t count = 0;
    if (config->is_fifo && w->bag_count > 0) {
        out[count++] = (struct search_action){.kind = SEARCH_DELIVER, .m = w->bag[0].m};
        if (w->losses < config->losses) {
            out[count++] = (struct search_action){.kind = SEARCH_LOSE, .m = w->bag[0].m};
        }
        return count;
    }
    uint64_t hashes[SEARCH_BAG_MAX];
    for (uint32_t i = 0; i < w->bag_count; i++) {
        hashes[i] = search_msg_hash(&w->bag[i]);
        bool is_duplicate = false; /* the same message twice: one choice, not two */
        for (uint32_t k = 0; k < i && !is_duplicate; k++) {
            is_duplicate = hashes[k] == hashes[i];
        }
        if (is_duplicate) {
            continue;
        }
        out[count++] = (struct search_action){.kind = SEARCH_DELIVER, .index = i, .m = w->bag[i].m};
        if (!config->is_loss_off) {
            out[count++] =
                (struct search_action){.kind = SEARCH_LOSE, .index = i, .m = w->bag[i].m};
        }
    }
    for (uint32_t id = 1; id <= SEARCH_NODES; id++) {
        const struct raft *r = w->nodes[id];
        bool is_leader = raft_role(r) == RAFT_LEADER;
        if ((is_leader && !config->is_heartbeat_off) ||
            (!is_leader && raft_term(r) < config->terms)) {
            out[count++] = (struct search_action){.kind = SEARCH_TIMEOUT, .node = id};
        }
        if (raft_role(r) == RAFT_LEADER && w->proposals < config->proposals) {
            out[count++] = (struct search_action){.kind = SEARCH_PROPOSE, .node = id};
        }
    }
    return count;
}

/* The states seen, with the least depth each was reached at: an open-addressing table of
 * hashes (a collision, one in 2^64 a pair, would skip a state: the search says "states hashed",
 * not "states compared"). A state reached again at a lesser depth is explored again, since
 * depth first, it may have been cut at the bound the first time: so within the bound every
 * state is explored. */
struct search_seen {
    uint64_t *hashes;
    uint8_t *depths;
    uint64_t capacity; /* a power of two */
    uint64_t count;
};

/* Records h at depth; false when it was seen at that depth or less already. */
static inline bool
search_seen_add(struct search_seen *s, uint64_t h, uint32_t depth)
{
    uint64_t i = h & (s->capacity - 1);
    while (s->hashes[i] != 0 && s->hashes[i] != h) {
        i = (i + 1) & (s->capacity - 1);
    }
    if (s->hashes[i] == h && s->depths[i] <= depth) {
        return false;
    }
    s->count += s->hashes[i] == 0;
    s->hashes[i] = h;
    s->depths[i] = (uint8_t)depth;
    return true;
}

/* ---- The search -------------------------------------------------------------------------- */

struct search {
    const struct search_config *config;
    uint32_t depth; /* this round's bound */
    struct search_seen seen;
    struct search_result *res;
    struct search_action path[SEARCH_DEPTH_MAX];
};

/* Explores every action from w (at depth), depth first; false once a violation is found. */
static inline bool
search_explore(struct search *s, const struct search_world *w, uint32_t depth)
{
    struct search_result *res = s->res;
    if (depth > res->depth) {
        res->depth = depth;
    }
    if (depth == s->depth) {
        return true;
    }
    struct search_action actions[2 * SEARCH_BAG_MAX + 2 * SEARCH_NODES];
    uint32_t count = search_actions(w, s->config, actions);
    for (uint32_t i = 0; i < count; i++) {
        struct search_world next;
        if (!search_world_clone(w, &next)) {
            return search_violation(res, "out of memory");
        }
        s->path[depth] = actions[i];
        res->transitions++;
        bool is_ok = search_step(&next, &actions[i], res) && search_check_logs(&next, res);
        if (!is_ok) {
            res->trace_length = depth + 1;
            memcpy(res->trace, s->path, res->trace_length * sizeof(res->trace[0]));
            search_world_free(&next);
            return false;
        }
        bool is_new = false;
        if (s->seen.count < s->config->states_max) {
            is_new = search_seen_add(&s->seen, search_hash(&next), depth + 1);
        } else {
            res->is_exhausted = false;
        }
        if (is_new) {
            res->states = s->seen.count;
            if (!search_explore(s, &next, depth + 1)) {
                search_world_free(&next);
                return false;
            }
        }
        search_world_free(&next);
    }
    return true;
}

/* Node id of a new cluster of SEARCH_NODES, as the search starts it; NULL on an error. */
static inline struct raft *
search_node_new(const struct search_config *search, uint32_t id)
{
    struct raft_config config = {.id = id,
                                 .node_count = SEARCH_NODES,
                                 .election_ticks = SEARCH_ELECTION_TICKS,
                                 .heartbeat_ticks = SEARCH_HEARTBEAT_TICKS,
                                 .random_seed = id,
                                 .is_noop_skipped = search->is_noop_skipped};
    struct raft *r = NULL;
    return raft_create(&config, NULL, NULL, NULL, 0, &r) == RAFT_OK ? r : NULL;
}

/* Figure 8's world (see struct search_config): the paper's base algorithm, a network that keeps
 * order and loses at most `losses` messages, timers between exchanges, terms to 4, two commands,
 * every history run to its end. */
static inline struct search_config
search_figure_8_config(uint32_t losses, uint64_t states_max)
{
    return (struct search_config){.depth = SEARCH_DEPTH_MAX,
                                  .terms = 4,
                                  .proposals = 2,
                                  .states_max = states_max,
                                  .is_noop_skipped = true,
                                  .is_heartbeat_off = true,
                                  .is_single_round = true,
                                  .is_fifo = true,
                                  .losses = losses};
}

/* Searches from a new cluster of SEARCH_NODES nodes, within config's bounds, deepening one action
 * at a time (so the shortest history that breaks a property is the one found, at a cost of about a
 * third more states). Returns what it found in *res: the last round's counts. */
static inline void
search_run(const struct search_config *config, struct search_result *res)
{
    memset(res, 0, sizeof(*res));
    struct search s = {.config = config, .res = res};
    s.seen.capacity = 1;
    while (s.seen.capacity < 2 * config->states_max) {
        s.seen.capacity *= 2;
    }
    s.seen.hashes = malloc(s.seen.capacity * sizeof(*s.seen.hashes));
    s.seen.depths = malloc(s.seen.capacity * sizeof(*s.seen.depths));
    struct search_world start;
    memset(&start, 0, sizeof(start));
    start.is_fifo = config->is_fifo;
    bool is_started = true;
    for (uint32_t id = 1; id <= SEARCH_NODES; id++) {
        start.nodes[id] = search_node_new(config, id);
        is_started = is_started && start.nodes[id] != NULL;
    }
    if (s.seen.hashes == NULL || s.seen.depths == NULL || !is_started) {
        search_violation(res, "out of memory");
    }
    s.depth = config->is_single_round ? config->depth : 1;
    for (; s.depth <= config->depth && !res->has_violation; s.depth++) {
        memset(s.seen.hashes, 0, s.seen.capacity * sizeof(*s.seen.hashes));
        s.seen.count = 0;
        res->states = 1;
        res->transitions = 0;
        res->depth = 0;
        res->is_exhausted = true;
        search_seen_add(&s.seen, search_hash(&start), 0);
        search_explore(&s, &start, 0);
    }
    search_world_free(&start);
    free(s.seen.hashes);
    free(s.seen.depths);
}

/* Prints the actions of a violating history, one a line. */
static inline void
search_print_trace(const struct search_result *res, FILE *out)
{
    static const char *const types[] = {"vote request", "vote reply", "append",
                                        "append reply", "snapshot",   "snapshot reply"};
    for (uint32_t i = 0; i < res->trace_length; i++) {
        const struct search_action *a = &res->trace[i];
        const struct raft_msg *m = &a->m;
        if (a->kind == SEARCH_TIMEOUT) {
            fprintf(out, "  %2u. node %u's timer runs out\n", i + 1, a->node);
            continue;
        }
        if (a->kind == SEARCH_PROPOSE) {
            fprintf(out, "  %2u. a command is proposed on node %u\n", i + 1, a->node);
            continue;
        }
        char what[96];
        switch (m->type) {
        case RAFT_MSG_VOTE:
            snprintf(what, sizeof(what), "last entry %" PRIu64 " of term %" PRIu64,
                     m->last_log_index, m->last_log_term);
            break;
        case RAFT_MSG_VOTE_REPLY:
            snprintf(what, sizeof(what), "%s", m->is_granted ? "granted" : "refused");
            break;
        case RAFT_MSG_APPEND:
            snprintf(what, sizeof(what),
                     "after entry %" PRIu64 " of term %" PRIu64 ", %u entries, commit %" PRIu64,
                     m->prev_index, m->prev_term, m->entry_count, m->commit);
            break;
        case RAFT_MSG_APPEND_REPLY:
            snprintf(what, sizeof(what), "%s, match %" PRIu64,
                     m->is_success ? "success" : "refused", m->match_index);
            break;
        default:
            snprintf(what, sizeof(what), "type %u", m->type);
            break;
        }
        fprintf(out, "  %2u. %s %s %u -> %u, term %" PRIu64 " (%s)\n", i + 1,
                a->kind == SEARCH_DELIVER ? "deliver" : "lose   ",
                m->type < 6 ? types[m->type] : "?", m->from, m->to, m->term, what);
    }
}

#endif
