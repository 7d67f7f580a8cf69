/* history.h -- lab 04's clients of a replicated register on the simulated cluster (part E's
 * test_e_read.c, and the long mode of bench_seeds): three clients write (through the log) and
 * read (ReadIndex) one register through any node, while the network and the nodes fail; each
 * operation's call, return and result go into a history that lab 02's linearizability checker
 * (kh_lincheck.h) must accept. Read history_run first. */
#ifndef KEEL_RAFT_HISTORY_H
#define KEEL_RAFT_HISTORY_H

#include "cluster.h"
#include "kh_lincheck.h"

#define HISTORY_CLIENTS 3u
#define HISTORY_OPS_MAX 1500u
#define HISTORY_NODES 5u
#define HISTORY_TICKS 3000u
#define CLIENT_PATIENCE_TICKS (6u * CLUSTER_ELECTION_TICKS) /* then a client gives up on an op */
#define WRITES_MAX 4096u                                    /* log indexes the history follows */

/* A client has at most one operation outstanding, on one node: a write of a value to the
 * register (a command "w-VALUE"), or a read. */
struct client {
    bool is_busy;
    bool is_read;
    uint32_t node;
    uint64_t read_id;
    uint64_t index, term; /* a write: where its node put it */
    uint64_t asked_tick;
    size_t op; /* its entry in the history */
    uint32_t leader_hint;
};

struct history {
    struct client clients[HISTORY_CLIENTS];
    struct kh_lc_op ops[HISTORY_OPS_MAX];
    bool is_dropped[HISTORY_OPS_MAX]; /* took no effect: left out of the check */
    /* The write proposed at each index, by op and term (several terms may have tried one index):
     * once any node applies it, it took effect, whether or not its client still waits. */
    struct {
        size_t op;
        uint64_t term;
    } write_at[WRITES_MAX][4];
    size_t op_count;
    uint64_t next_value, next_read_id;
    uint64_t reads_done, writes_done;
    uint64_t asked_of_cut_off_leader; /* operations asked of a leader cut off from the rest */
};

/* The register as of index: the value of the last write at or before it (0 if none). */
static inline int64_t
register_at(const struct cluster *c, uint64_t index)
{
    for (uint64_t i = index; i >= 1; i--) {
        const struct cluster_applied *a = &c->applied[i];
        if (a->type == RAFT_ENTRY_COMMAND && a->size_bytes > 2 && a->data[0] == 'w' &&
            a->data[1] == '-') { /* a write; the run's last command, "end", is not */
            char text[CLUSTER_COMMAND_BYTES_MAX + 1];
            memcpy(text, a->data + 2, a->size_bytes - 2u);
            text[a->size_bytes - 2u] = '\0';
            return (int64_t)strtoull(text, NULL, 10);
        }
    }
    return 0;
}

static inline void
op_done(struct cluster *c, size_t op, int64_t result)
{
    struct history *h = c->ready_ctx;
    h->ops[op].result = result;
    h->ops[op].return_ns = kh_sim_now(c->sim) * 1000; /* a tick prints as 1 "us" */
    h->ops[op].is_pending = false;
}

static inline void
client_done(struct cluster *c, struct client *cl, int64_t result)
{
    op_done(c, cl->op, result);
    cl->is_busy = false;
}

/* A write proposed at index in term: the history's op. */
static inline void
write_proposed(struct history *h, size_t op, uint64_t index, uint64_t term)
{
    CLUSTER_REQUIRE(index < WRITES_MAX);
    for (size_t k = 0; k < KH_ARRAY_LEN(h->write_at[index]); k++) {
        if (h->write_at[index][k].term == 0) {
            h->write_at[index][k].op = op;
            h->write_at[index][k].term = term;
            return;
        }
    }
    CLUSTER_FAIL("more than %zu writes proposed at index %" PRIu64,
                 KH_ARRAY_LEN(h->write_at[index]), index);
}

/* Entries applied: a write whose entry it is took effect by now, even if its client gave up;
 * one whose index now holds another entry never will, and is left out. */
static inline void
writes_applied(struct cluster *c, struct history *h, const struct raft_ready *rd)
{
    for (size_t i = 0; i < rd->committed_count; i++) {
        const struct raft_entry *e = &rd->committed[i];
        for (size_t k = 0; e->index < WRITES_MAX && k < KH_ARRAY_LEN(h->write_at[e->index]); k++) {
            size_t op = h->write_at[e->index][k].op;
            if (h->write_at[e->index][k].term == 0 || !h->ops[op].is_pending) {
                continue;
            }
            if (h->write_at[e->index][k].term == e->term) {
                op_done(c, op, 0);
            } else {
                h->is_dropped[op] = true;
                h->ops[op].is_pending = false;
            }
        }
    }
}

/* Each ready a node carries out: its clients' writes it applied, its reads it handed out. */
static inline void
history_on_ready(struct cluster *c, uint32_t id, const struct raft_ready *rd)
{
    struct history *h = c->ready_ctx;
    for (uint32_t k = 0; k < HISTORY_CLIENTS; k++) {
        struct client *cl = &h->clients[k];
        if (!cl->is_busy || cl->node != id) {
            continue;
        }
        if (!cl->is_read && rd->committed_count > 0 && rd->committed[0].index <= cl->index &&
            cl->index < rd->committed[0].index + rd->committed_count) {
            /* Its own node applied it, or another entry took its place. */
            h->writes_done += rd->committed[cl->index - rd->committed[0].index].term == cl->term;
            cl->is_busy = false;
        }
        for (size_t i = 0; cl->is_read && cl->is_busy && i < rd->read_count; i++) {
            if (rd->reads[i].id != cl->read_id) {
                continue;
            }
            if (rd->reads[i].status == RAFT_OK) {
                h->reads_done++;
                client_done(c, cl, register_at(c, rd->reads[i].index));
            } else {
                h->is_dropped[cl->op] = true;
                cl->is_busy = false;
                cl->leader_hint = raft_leader(c->nodes[id].raft);
            }
        }
    }
    writes_applied(c, h, rd);
}

/* Whether node id leads but hears none of the others. */
static inline bool
is_cut_off_leader(const struct cluster *c, uint32_t id)
{
    return c->nodes[id].raft != NULL && raft_role(c->nodes[id].raft) == RAFT_LEADER &&
           !c->nodes[id].is_connected;
}

/* Idle clients ask a node (the leader they last heard of, or any) for a read or a write. */
static inline void
history_ask(struct cluster *c, struct history *h, struct kh_rng *rng)
{
    uint64_t now = kh_sim_now(c->sim);
    for (uint32_t k = 0; k < HISTORY_CLIENTS; k++) {
        struct client *cl = &h->clients[k];
        if (cl->is_busy && now - cl->asked_tick > CLIENT_PATIENCE_TICKS) {
            cl->is_busy = false; /* a write stays pending (it may yet apply); a read, dropped */
            h->is_dropped[cl->op] = h->is_dropped[cl->op] || cl->is_read;
            cl->leader_hint = 0;
        }
        if (cl->is_busy || h->op_count == HISTORY_OPS_MAX || kh_rng_below(rng, 3) != 0) {
            continue;
        }
        uint32_t node = cl->leader_hint != 0 && kh_rng_below(rng, 2) == 0
                            ? cl->leader_hint
                            : 1 + (uint32_t)kh_rng_below(rng, c->node_count);
        struct raft *r = c->nodes[node].raft;
        if (r == NULL) {
            cl->leader_hint = 0;
            continue;
        }
        struct kh_lc_op *op = &h->ops[h->op_count];
        *op = (struct kh_lc_op){.call_ns = now * 1000, .thread_id = k, .is_pending = true};
        cl->is_read = kh_rng_below(rng, 2) == 0;
        raft_status st;
        if (cl->is_read) {
            cl->read_id = ++h->next_read_id;
            op->kind = KH_LC_READ;
            st = raft_read_index(r, cl->read_id);
        } else {
            char command[32];
            int64_t value = (int64_t)++h->next_value;
            int n = snprintf(command, sizeof(command), "w-%" PRId64, value);
            op->kind = KH_LC_WRITE;
            op->value = value;
            st = raft_propose(r, command, (size_t)n, &cl->index, &cl->term);
        }
        if (st == RAFT_NOT_LEADER) {
            cl->leader_hint = raft_leader(r);
            continue;
        }
        if (st != RAFT_OK) {
            CLUSTER_FAIL("node %u: %s returned %s", node,
                         cl->is_read ? "raft_read_index" : "raft_propose", raft_status_name(st));
        }
        if (!cl->is_read) {
            write_proposed(h, h->op_count, cl->index, cl->term);
        }
        h->asked_of_cut_off_leader += is_cut_off_leader(c, node);
        cl->is_busy = true;
        cl->node = node;
        cl->asked_tick = now;
        cl->op = h->op_count++;
        cluster_process(c, node);
    }
}

/* Checks the recorded history against a register, printing the shortest failing part. */
static inline void
history_check(struct cluster *c, struct history *h)
{
    static struct kh_lc_op kept[HISTORY_OPS_MAX];
    size_t count = 0;
    for (size_t i = 0; i < h->op_count; i++) {
        if (!h->is_dropped[i]) {
            kept[count++] = h->ops[i];
        }
    }
    struct kh_lc_model model = kh_lc_model_register();
    kh_lc_status st = kh_lc_check(&model, kept, count, NULL);
    if (st == KH_LC_NOT_LINEARIZABLE) {
        fprintf(stderr, "the clients' history (a tick prints as 1 us; thread = client):\n");
        kh_lc_explain(&model, kept, count, NULL, stderr);
        CLUSTER_FAIL_RUN(c,
                         "the history of %zu reads and writes of one register is not "
                         "linearizable (above: its shortest failing part); a read missed a "
                         "write acknowledged before it began, or saw one that never was",
                         count);
    }
    if (st != KH_LC_LINEARIZABLE) {
        CLUSTER_FAIL_RUN(c, "the history of %zu operations could not be checked: %s", count,
                         kh_lc_strerror(st));
    }
}

/* Runs the scenario on c (HISTORY_NODES nodes, new): the network loses, delays and doubles
 * messages; every 50 ticks a leader may be cut off (it goes on believing it leads, and clients
 * still ask it) or a node crash, and come back 50 ticks later; clients ask all the while. Then
 * everything heals, every write gets time to apply or be replaced, and the history is checked. */
static inline void
history_run(struct cluster *c, struct history *h)
{
    memset(h, 0, sizeof(*h));
    c->ready_cb = history_on_ready;
    c->ready_ctx = h;
    struct kh_sim_faults faults = {.delay_ticks_min = 1,
                                   .delay_ticks_max = 4,
                                   .drop_per_million = 30000,
                                   .duplicate_per_million = 20000};
    kh_sim_set_faults(c->sim, &faults);
    struct kh_rng *rng = kh_sim_rng(c->sim);
    uint32_t cut_off = 0, crashed = 0;
    for (uint64_t t = 0; t < HISTORY_TICKS; t++) {
        if (t % 50 == 0) {
            uint32_t leader = cluster_leader(c);
            if (cut_off != 0) {
                cluster_connect(c, cut_off);
                cut_off = 0;
            } else if (leader != 0 && kh_rng_below(rng, 2) == 0) {
                cut_off = leader; /* it goes on believing it leads for a while */
                cluster_disconnect(c, cut_off);
            }
            if (crashed != 0) {
                cluster_restart(c, crashed);
                crashed = 0;
            } else if (kh_rng_below(rng, 3) == 0) {
                crashed = 1 + (uint32_t)kh_rng_below(rng, HISTORY_NODES);
                if (crashed == cut_off) {
                    crashed = 0;
                } else {
                    cluster_crash(c, crashed);
                }
            }
        }
        history_ask(c, h, rng);
        cluster_step(c);
        cluster_check(c);
    }
    /* All back, and time for every write proposed to apply or be replaced: few stay pending. */
    if (cut_off != 0) {
        cluster_connect(c, cut_off);
    }
    if (crashed != 0) {
        cluster_restart(c, crashed);
    }
    kh_sim_set_faults(c->sim, &(struct kh_sim_faults){.delay_ticks_min = 1, .delay_ticks_max = 1});
    cluster_one(c, "end", HISTORY_NODES, 20u * CLUSTER_ELECTION_TICKS); /* not a write: reads
                                                                          still running see none */
    history_check(c, h);
}

#endif
