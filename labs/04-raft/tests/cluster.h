/* cluster.h -- lab 04's tests: a cluster of raft nodes on the kit's simulated network
 * (harness/lib/sim/kh_sim.h), in virtual time, replayed exactly by the test's seed. Read
 * cluster_step first: it delivers what is due, ticks every node and carries out each node's
 * raft_ready as raft.h orders it (persist to the node's simulated disk, send, apply), and checks
 * Raft's safety properties (Figure 3) as it goes: a broken one fails the test at the tick it
 * broke, with the seed that replays it. */
#ifndef KEEL_RAFT_CLUSTER_H
#define KEEL_RAFT_CLUSTER_H

#include "cluster_state.h"

static inline void disk_free(struct cluster_disk *disk);
static inline void disk_write(struct cluster *c, uint32_t id, const struct raft_ready *rd);
static inline void cluster_crash(struct cluster *c, uint32_t id);

/* Starts node id from its disk (a new node's disk is empty). */
static inline void
cluster_boot(struct cluster *c, uint32_t id)
{
    struct cluster_node *node = &c->nodes[id];
    CLUSTER_REQUIRE(node->raft == NULL);
    if (c->storage.load_cb != NULL) {
        struct raft_ready loaded = {
            .has_hard_state = true, .has_snapshot = true, .has_log_change = true};
        raft_status st = c->storage.load_cb(c->storage.ctx, id, &loaded.hard_state,
                                            &loaded.snapshot, &loaded.entries, &loaded.entry_count);
        if (st != RAFT_OK) {
            CLUSTER_FAIL("node %u: its storage does not load: %s", id, raft_status_name(st));
        }
        loaded.log_from_index = loaded.snapshot.index + 1;
        disk_free(&node->disk); /* the mirror the checks read becomes what the storage holds */
        disk_write(c, id, &loaded);
    }
    struct raft_config config = cluster_config(c, id);
    raft_status st = raft_create(&config, &node->disk.hard_state, &node->disk.snapshot,
                                 node->disk.entries, node->disk.count, &node->raft);
    if (st != RAFT_OK) {
        CLUSTER_FAIL("raft_create of node %u from its disk (term %" PRIu64 ", snapshot at %" PRIu64
                     ", %" PRIu64 " entries) returned %s",
                     id, node->disk.hard_state.term, node->disk.snapshot.index, node->disk.count,
                     raft_status_name(st));
    }
    /* Its state machine starts over from the snapshot and replays the log. */
    cluster_restore(c, id, &node->disk.snapshot);
}

/* Starts node_count new nodes on storage (NULL: the simulated disks), with part F's PreVote
 * and CheckQuorum as asked. */
static inline void
cluster_start_extra(struct cluster *c, uint32_t node_count, uint64_t seed,
                    const struct cluster_storage *storage, bool is_pre_vote, bool is_check_quorum)
{
    memset(c, 0, sizeof(*c));
    if (storage != NULL) {
        c->storage = *storage;
    }
    c->is_pre_vote = is_pre_vote;
    c->is_check_quorum = is_check_quorum;
    c->node_count = node_count;
    c->seed = seed;
    CLUSTER_REQUIRE(kh_sim_create(node_count, c->seed, &c->sim) == KH_SIM_OK);
    c->wire = malloc(CLUSTER_MESSAGE_BYTES_MAX);
    c->leader_of_term = calloc(CLUSTER_TERMS_MAX, sizeof(*c->leader_of_term));
    c->applied = calloc(CLUSTER_APPLIED_MAX, sizeof(*c->applied));
    c->events = calloc(CLUSTER_EVENTS_MAX, sizeof(*c->events));
    CLUSTER_REQUIRE(c->events != NULL);
    CLUSTER_REQUIRE(c->wire != NULL);
    CLUSTER_REQUIRE(c->leader_of_term != NULL);
    CLUSTER_REQUIRE(c->applied != NULL);
    for (uint32_t id = 1; id <= node_count; id++) {
        c->nodes[id].is_connected = true;
        cluster_boot(c, id);
    }
}

static inline void
cluster_start_with(struct cluster *c, uint32_t node_count, uint64_t seed,
                   const struct cluster_storage *storage)
{
    cluster_start_extra(c, node_count, seed, storage, false, false);
}

static inline void
cluster_start(struct cluster *c, uint32_t node_count, uint64_t seed)
{
    cluster_start_with(c, node_count, seed, NULL);
}

static inline void
disk_free(struct cluster_disk *disk)
{
    for (uint64_t i = 0; i < disk->count; i++) {
        free((void *)disk->entries[i].data);
    }
    free(disk->entries);
    free((void *)disk->snapshot.data);
    memset(disk, 0, sizeof(*disk));
}

/* A snapshot on disk replaces the one there, and the entries through its index go; those after
 * it stay only if the disk holds its index with its term (as raft_storage.h does it). */
static inline void
disk_write_snapshot(struct cluster *c, uint32_t id, const struct raft_snapshot *s)
{
    struct cluster_disk *disk = &c->nodes[id].disk;
    if (s->index < disk->snapshot.index) {
        cluster_failf(c, "node %u saved a snapshot at %" PRIu64 " over one at %" PRIu64, id,
                      s->index, disk->snapshot.index);
        return;
    }
    uint64_t start = disk->snapshot.index;
    bool keeps = s->index <= start + disk->count && s->index > start &&
                 disk->entries[s->index - start - 1].term == s->term;
    uint64_t gone = keeps ? s->index - start : disk->count;
    for (uint64_t i = 0; i < gone; i++) {
        free((void *)disk->entries[i].data);
    }
    if (gone > 0) {
        memmove(disk->entries, disk->entries + gone, (disk->count - gone) * sizeof(*disk->entries));
        disk->count -= gone;
    }
    uint8_t *data = NULL;
    if (s->size_bytes > 0) {
        data = malloc(s->size_bytes);
        CLUSTER_REQUIRE(data != NULL);
        memcpy(data, s->data, s->size_bytes);
    }
    free((void *)disk->snapshot.data);
    disk->snapshot = *s;
    disk->snapshot.data = data;
}

static inline void
cluster_stop(struct cluster *c)
{
    for (uint32_t id = 1; id <= c->node_count; id++) {
        raft_destroy(c->nodes[id].raft);
        disk_free(&c->nodes[id].disk);
    }
    kh_sim_destroy(c->sim);
    free(c->wire);
    free(c->leader_of_term);
    free(c->applied);
    free(c->events);
}

/* ---- Carrying out a ready --------------------------------------------------------------- */

static inline void
disk_write(struct cluster *c, uint32_t id, const struct raft_ready *rd)
{
    struct cluster_disk *disk = &c->nodes[id].disk;
    if (rd->has_hard_state) {
        if (rd->hard_state.term < disk->hard_state.term) {
            cluster_failf(c,
                          "node %u persisted term %" PRIu64 " after term %" PRIu64
                          ": a term never goes back",
                          id, rd->hard_state.term, disk->hard_state.term);
        }
        disk->hard_state = rd->hard_state;
    }
    if (rd->has_snapshot) {
        disk_write_snapshot(c, id, &rd->snapshot);
    }
    if (!rd->has_log_change) {
        return;
    }
    uint64_t start = disk->snapshot.index;
    if (rd->log_from_index <= start + disk->count) {
        c->reached |= CLUSTER_SAW_ENTRIES_REPLACED;
    }
    CLUSTER_REQUIRE(rd->log_from_index > start && rd->log_from_index <= start + disk->count + 1);
    for (uint64_t i = rd->log_from_index - start; i <= disk->count; i++) {
        free((void *)disk->entries[i - 1].data);
    }
    disk->count = rd->log_from_index - start - 1;
    uint64_t count = disk->count + rd->entry_count;
    disk->entries = realloc(disk->entries, (count + 1) * sizeof(*disk->entries));
    CLUSTER_REQUIRE(disk->entries != NULL);
    for (size_t i = 0; i < rd->entry_count; i++) {
        struct raft_entry e = rd->entries[i];
        CLUSTER_REQUIRE(e.index == start + disk->count + 1);
        void *data = NULL;
        if (e.size_bytes > 0) {
            data = malloc(e.size_bytes);
            CLUSTER_REQUIRE(data != NULL);
            memcpy(data, e.data, e.size_bytes);
        }
        e.data = data;
        disk->entries[disk->count++] = e;
    }
}

/* A vote granted must be on disk first (§5.2); a term leads at most once (election safety). */
static inline void
check_sent(struct cluster *c, uint32_t id, const struct raft_msg *m)
{
    const struct cluster_disk *disk = &c->nodes[id].disk;
    if (m->type == RAFT_MSG_VOTE_REPLY && m->is_granted &&
        (disk->hard_state.term != m->term || disk->hard_state.vote != m->to)) {
        cluster_failf(c,
                      "node %u granted node %u its vote in term %" PRIu64 ", but its disk says "
                      "term %" PRIu64 ", vote %u: a vote must be persisted before it is granted",
                      id, m->to, m->term, disk->hard_state.term, disk->hard_state.vote);
    }
    /* A pre-vote names the term its sender would stand in, and a yes to it that term (part F):
     * neither is a term anyone is in. */
    bool is_prospective =
        m->type == RAFT_MSG_PRE_VOTE || (m->type == RAFT_MSG_PRE_VOTE_REPLY && m->is_granted);
    if (m->term > disk->hard_state.term && !is_prospective) {
        cluster_failf(c,
                      "node %u sent a message of term %" PRIu64 " with term %" PRIu64
                      " on its disk: a term must be persisted before it is used",
                      id, m->term, disk->hard_state.term);
    }
}

static inline void
send_all(struct cluster *c, uint32_t id, const struct raft_ready *rd)
{
    for (size_t i = 0; i < rd->msg_count; i++) {
        const struct raft_msg *m = &rd->msgs[i];
        check_sent(c, id, m);
        size_t size = raft_msg_encoded_size(m);
        CLUSTER_REQUIRE(size <= CLUSTER_MESSAGE_BYTES_MAX);
        raft_msg_encode(m, c->wire);
        CLUSTER_REQUIRE(kh_sim_send(c->sim, id, m->to, c->wire, size) == KH_SIM_OK);
        c->messages_sent++;
        c->appends_refused += m->type == RAFT_MSG_APPEND_REPLY && !m->is_success;
    }
}

/* State machine safety (§5.4.3): every node applies the same entry at each index. */
static inline void
apply_all(struct cluster *c, uint32_t id, const struct raft_ready *rd)
{
    struct cluster_node *node = &c->nodes[id];
    for (size_t i = 0; i < rd->committed_count; i++) {
        const struct raft_entry *e = &rd->committed[i];
        if (e->index != node->applied_index + 1) {
            cluster_failf(c,
                          "node %u applied index %" PRIu64 " after %" PRIu64
                          ": entries are applied once each, in order",
                          id, e->index, node->applied_index);
            return;
        }
        node->applied_index = e->index;
        node->digest = cluster_digest(node->digest, e);
        CLUSTER_REQUIRE(e->index < CLUSTER_APPLIED_MAX);
        CLUSTER_REQUIRE(e->size_bytes <= CLUSTER_COMMAND_BYTES_MAX);
        struct cluster_applied *known = &c->applied[e->index];
        if (e->index > c->applied_count) {
            CLUSTER_REQUIRE(e->index == c->applied_count + 1);
            known->term = e->term;
            known->commit_term = raft_term(node->raft);
            known->digest = node->digest;
            known->type = e->type;
            known->size_bytes = (uint8_t)e->size_bytes;
            if (e->size_bytes > 0) {
                memcpy(known->data, e->data, e->size_bytes);
            }
            c->applied_count = e->index;
        } else if (known->term != e->term || known->type != e->type ||
                   known->size_bytes != e->size_bytes ||
                   (e->size_bytes > 0 && memcmp(known->data, e->data, e->size_bytes) != 0)) {
            cluster_failf(c,
                          "node %u applied \"%.*s\" (term %" PRIu64 ") at index %" PRIu64
                          ", where another node applied \"%.*s\" (term %" PRIu64 ")",
                          id, (int)e->size_bytes, e->size_bytes > 0 ? (const char *)e->data : "",
                          e->term, e->index, (int)known->size_bytes, known->data, known->term);
        }
    }
}

/* Election safety and leader completeness (§5.4): one leader a term, holding every entry
 * known committed. */
static inline void
check_leader(struct cluster *c, uint32_t id)
{
    const struct raft *r = c->nodes[id].raft;
    if (raft_role(r) != RAFT_LEADER) {
        return;
    }
    uint64_t term = raft_term(r);
    CLUSTER_REQUIRE(term < CLUSTER_TERMS_MAX);
    if (c->leader_of_term[term] == id) {
        return;
    }
    if (c->leader_of_term[term] != 0) {
        cluster_failf(c, "nodes %u and %u both led term %" PRIu64 " (election safety, §5.2)",
                      c->leader_of_term[term], id, term);
        return;
    }
    c->leader_of_term[term] = id;
    c->leaders++;
    if (c->leaders > 1) {
        c->reached |= CLUSTER_SAW_LEADER_CHANGED;
    }
    struct raft_snapshot s;
    raft_last_snapshot(r, &s);
    if (s.index > c->applied_count || (s.index > 0 && s.term != c->applied[s.index].term)) {
        cluster_failf(c,
                      "node %u leads term %" PRIu64 " with a snapshot at %" PRIu64 " (term %" PRIu64
                      ") that no committed entry matches",
                      id, term, s.index, s.term);
        return;
    }
    for (uint64_t i = s.index + 1; i <= c->applied_count; i++) {
        struct raft_entry e;
        if (c->applied[i].commit_term >= term) {
            continue; /* §5.4 binds the leaders of later terms only: a late vote reply can still
                         elect a candidate of an earlier term, which then learns it is stale */
        }
        if (!raft_entry_at(r, i, &e) || e.term != c->applied[i].term) {
            cluster_failf(c,
                          "node %u leads term %" PRIu64 " without committed entry %" PRIu64
                          " (term %" PRIu64 ") in its log (leader completeness, §5.4)",
                          id, term, i, c->applied[i].term);
            return;
        }
    }
}

/* Carries out node id's readies until it has none. */
static inline void
cluster_process(struct cluster *c, uint32_t id)
{
    struct raft *r = c->nodes[id].raft;
    for (int round = 0; r != NULL && raft_has_ready(r); round++) {
        CLUSTER_REQUIRE(round < 100); /* a ready that never empties */
        struct raft_ready rd;
        raft_ready(r, &rd);
        if (c->storage.save_cb != NULL && c->storage.save_cb(c->storage.ctx, id, &rd) != RAFT_OK) {
            cluster_crash(c, id); /* it died mid-save: nothing of this ready goes out */
            return;
        }
        disk_write(c, id, &rd);
        send_all(c, id, &rd);
        if (rd.restore_snapshot) {
            CLUSTER_REQUIRE(rd.has_snapshot);
            cluster_restore(c, id, &rd.snapshot);
            c->snapshots_restored++;
            cluster_record(c, id, CLUSTER_EV_SNAPSHOT, 0, rd.snapshot.index);
            c->reached |= CLUSTER_SAW_SNAPSHOT_RESTORED;
        }
        apply_all(c, id, &rd);
        if (rd.committed_count > 0) {
            cluster_record(c, id, CLUSTER_EV_APPLIED, 0, c->nodes[id].applied_index);
        }
        if (c->ready_cb != NULL) {
            c->ready_cb(c, id, &rd);
        }
        raft_advance(r, &rd);
        check_leader(c, id);
        struct cluster_node *node = &c->nodes[id];
        if (raft_role(r) != node->shown_role || raft_term(r) != node->shown_term) {
            node->shown_role = raft_role(r);
            node->shown_term = raft_term(r);
            cluster_record(c, id,
                           node->shown_role == RAFT_LEADER      ? CLUSTER_EV_LEADER
                           : node->shown_role == RAFT_CANDIDATE ? CLUSTER_EV_CANDIDATE
                                                                : CLUSTER_EV_FOLLOWER,
                           node->shown_term, 0);
        }
        cluster_maybe_compact(c, id);
    }
}

/* ---- Time, the network and failures ----------------------------------------------------- */

/* One tick: every message due is delivered (to a running node), then every node ticks. */
static inline void
cluster_step(struct cluster *c)
{
    kh_sim_tick(c->sim);
    struct kh_sim_message msg;
    struct raft_entry entries[RAFT_APPEND_ENTRIES_MAX];
    while (kh_sim_receive(c->sim, &msg)) {
        struct raft *r = c->nodes[msg.to].raft;
        if (r == NULL) {
            continue; /* sent to a node that has crashed since */
        }
        struct raft_msg m;
        raft_status decoded =
            raft_msg_decode(msg.bytes, msg.size_bytes, &m, entries, RAFT_APPEND_ENTRIES_MAX);
        if (decoded != RAFT_OK) {
            CLUSTER_FAIL("a message node %u sent does not decode: %s", msg.from,
                         raft_status_name(decoded));
        }
        raft_status st = raft_step(r, &m);
        if (st != RAFT_OK) {
            CLUSTER_FAIL("node %u: raft_step of a message from node %u returned %s", msg.to,
                         msg.from, raft_status_name(st));
        }
        cluster_process(c, msg.to);
    }
    for (uint32_t id = 1; id <= c->node_count; id++) {
        if (c->nodes[id].raft != NULL) {
            raft_tick(c->nodes[id].raft);
            cluster_process(c, id);
        }
    }
}

static inline void
cluster_run(struct cluster *c, uint64_t ticks)
{
    for (uint64_t i = 0; i < ticks && !c->has_failed; i++) {
        cluster_step(c);
    }
    cluster_check(c);
}

/* Cuts node id off from every other node, both ways (it keeps running). */
static inline void
cluster_disconnect(struct cluster *c, uint32_t id)
{
    c->nodes[id].is_connected = false;
    kh_sim_isolate(c->sim, id);
    cluster_record(c, id, CLUSTER_EV_CUT, 0, 0);
}

/* Joins node id back to every connected node. */
static inline void
cluster_connect(struct cluster *c, uint32_t id)
{
    c->nodes[id].is_connected = true;
    cluster_record(c, id, CLUSTER_EV_JOIN, 0, 0);
    for (uint32_t other = 1; other <= c->node_count; other++) {
        if (other != id && c->nodes[other].is_connected) {
            kh_sim_connect(c->sim, id, other);
            kh_sim_connect(c->sim, other, id);
        }
    }
}

/* Stops node id as a crash would: its memory is gone, its disk stays, and so do the messages
 * in flight to it. */
static inline void
cluster_crash(struct cluster *c, uint32_t id)
{
    if (c->nodes[id].raft->incoming.size_bytes > 0) {
        c->reached |= CLUSTER_SAW_TRANSFER_CUT;
    }
    raft_destroy(c->nodes[id].raft);
    c->nodes[id].raft = NULL;
    cluster_record(c, id, CLUSTER_EV_CRASH, 0, 0);
    kh_sim_drop_to(c->sim, id);
    if (c->storage.crash_cb != NULL) {
        c->storage.crash_cb(c->storage.ctx, id);
    }
}

static inline void
cluster_restart(struct cluster *c, uint32_t id)
{
    c->reached |= CLUSTER_SAW_NODE_RESTARTED;
    cluster_record(c, id, CLUSTER_EV_RESTART, 0, 0);
    c->nodes[id].shown_term = UINT64_MAX; /* its role is recorded afresh */
    cluster_boot(c, id);
    cluster_process(c, id);
}

/* ---- What the cluster knows ------------------------------------------------------------- */

/* The leader of the highest term among running, connected nodes, or 0. */
static inline uint32_t
cluster_leader(const struct cluster *c)
{
    uint32_t leader = 0;
    uint64_t term = 0;
    for (uint32_t id = 1; id <= c->node_count; id++) {
        const struct cluster_node *node = &c->nodes[id];
        if (node->raft != NULL && node->is_connected && raft_role(node->raft) == RAFT_LEADER &&
            raft_term(node->raft) >= term) {
            leader = id;
            term = raft_term(node->raft);
        }
    }
    return leader;
}

/* Runs until a connected node leads, for at most ticks_max; returns it or fails the test. */
static inline uint32_t
cluster_await_leader(struct cluster *c, uint64_t ticks_max)
{
    for (uint64_t t = 0; t < ticks_max; t++) {
        uint32_t leader = cluster_leader(c);
        if (leader != 0) {
            return leader;
        }
        cluster_step(c);
        cluster_check(c);
    }
    CLUSTER_FAIL_RUN(c, "no leader after %" PRIu64 " ticks (election timeouts are %u-%u ticks)",
                     ticks_max, CLUSTER_ELECTION_TICKS, 2 * CLUSTER_ELECTION_TICKS - 1);
    return 0;
}

/* How many running nodes applied index, and (if any did) the command in *known. */
static inline uint32_t
cluster_applied_by(const struct cluster *c, uint64_t index)
{
    uint32_t count = 0;
    for (uint32_t id = 1; id <= c->node_count; id++) {
        count += c->nodes[id].raft != NULL && c->nodes[id].applied_index >= index;
    }
    return count;
}

/* Proposes command on the leader (retrying through leader changes) until at least `nodes`
 * nodes applied it, for at most ticks_max; returns its index or fails the test. */
static inline uint64_t
cluster_one(struct cluster *c, const char *command, uint32_t nodes, uint64_t ticks_max)
{
    size_t size = strlen(command);
    CLUSTER_REQUIRE(size <= CLUSTER_COMMAND_BYTES_MAX);
    uint64_t index = 0;
    for (uint64_t t = 0; t < ticks_max; t++) {
        uint32_t leader = cluster_leader(c);
        if (index == 0 && leader != 0) {
            uint64_t term;
            raft_status st = raft_propose(c->nodes[leader].raft, command, size, &index, &term);
            if (st != RAFT_OK) {
                CLUSTER_FAIL("raft_propose on leader %u returned %s", leader, raft_status_name(st));
            }
            cluster_process(c, leader);
        }
        if (index != 0 && index <= c->applied_count && cluster_applied_by(c, index) >= nodes) {
            const struct cluster_applied *a = &c->applied[index];
            if (a->size_bytes == size && memcmp(a->data, command, size) == 0) {
                return index;
            }
            index = 0; /* another command took that index: its leader lost; propose again */
        }
        if (index != 0 && t % (4 * CLUSTER_ELECTION_TICKS) == 4 * CLUSTER_ELECTION_TICKS - 1) {
            index = 0; /* not committed in a while: the leader may have lost; propose again */
        }
        cluster_step(c);
        cluster_check(c);
    }
    CLUSTER_FAIL_RUN(c, "\"%s\" was not applied by %u nodes within %" PRIu64 " ticks", command,
                     nodes, ticks_max);
    return 0;
}

/* The tests' commands: "what-i". */
static inline void
cluster_command_of(char *buf, size_t size, const char *what, unsigned i)
{
    snprintf(buf, size, "%s-%u", what, i);
}

/* Cuts off a follower of the current leader while the others agree on `count` commands
 * ("what-0", ...), joins it back, and has every running node agree on one more ("what-last");
 * fails the test if the follower then lacks any of them. Returns the follower. */
static inline uint32_t
cluster_follower_misses(struct cluster *c, unsigned count, const char *what, uint64_t ticks_max)
{
    uint32_t leader = cluster_await_leader(c, ticks_max);
    uint32_t follower = leader % c->node_count + 1;
    cluster_disconnect(c, follower);
    char command[32];
    for (unsigned i = 0; i < count; i++) {
        cluster_command_of(command, sizeof(command), what, i);
        cluster_one(c, command, c->node_count - 1, ticks_max);
    }
    cluster_connect(c, follower);
    snprintf(command, sizeof(command), "%s-last", what);
    uint64_t last = cluster_one(c, command, c->node_count, ticks_max);
    if (c->nodes[follower].applied_index < last) {
        CLUSTER_FAIL_RUN(c,
                         "node %u, back after %u commands, applied only through index %" PRIu64
                         " of %" PRIu64,
                         follower, count, c->nodes[follower].applied_index, last);
    }
    return follower;
}

/* What the run reached so far: CLUSTER_SAW_* flags. */
static inline unsigned
cluster_reached(const struct cluster *c)
{
    struct kh_sim_stats stats;
    kh_sim_stats(c->sim, &stats);
    return c->reached | (stats.dropped > 0 ? CLUSTER_SAW_MESSAGE_DROPPED : 0u) |
           (stats.duplicated > 0 ? CLUSTER_SAW_MESSAGE_DUPLICATED : 0u);
}

/* Ends the test as inconclusive unless the run reached every situation in `situations`
 * (CLUSTER_SAW_* flags; `reached` is what cluster_reached said), naming those it did not: a run
 * that never met them checked nothing. Call it after cluster_stop: the test ends here. */
static inline void
cluster_require(unsigned reached, unsigned situations)
{
    static const char *const texts[] = {
#define CLUSTER_SITUATION_TEXT(name, text) text,
        CLUSTER_SITUATIONS(CLUSTER_SITUATION_TEXT)
#undef CLUSTER_SITUATION_TEXT
    };
    unsigned missing = situations & ~reached;
    if (missing == 0) {
        return;
    }
    char list[256] = "";
    size_t used = 0;
    for (unsigned bit = 0; bit < sizeof(texts) / sizeof(texts[0]); bit++) {
        if ((missing >> bit & 1u) != 0 && used < sizeof(list)) {
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used > 0 ? "; " : "",
                                     texts[bit]);
        }
    }
    CLUSTER_INCONCLUSIVE("the run never reached: %s", list);
}

#endif
