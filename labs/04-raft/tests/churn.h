/* churn.h -- lab 04's churn (part B's classic tests, test_b_churn.c, and the long mode of
 * bench_seeds): clients propose commands all the time to whichever node they pick, while nodes
 * crash and restart from their disks and are cut off and joined back; the cluster's checks
 * (Figure 3's safety properties) run every tick; once the churn stops, every command a leader
 * applied (acknowledged to its client) must be in the log all five nodes agree on, exactly
 * once. Read churn_run first. */
#ifndef KEEL_RAFT_CHURN_H
#define KEEL_RAFT_CHURN_H

#include "cluster.h"

#define CHURN_NODES 5u
#define CHURN_CLIENTS 3u
#define CHURN_TICKS 3000u
#define CHURN_ACKED_MAX 4096u

struct churn {
    /* A client's command in flight: "c<client>-<n>", proposed on node at index in term. */
    struct {
        bool is_waiting;
        uint32_t node;
        uint64_t index, term;
        unsigned n;
    } clients[CHURN_CLIENTS];
    char acked[CHURN_ACKED_MAX][16]; /* commands their node applied: acknowledged to the client */
    size_t acked_count;
    uint64_t proposals;
};

static struct churn ch; /* one churn at a time: the cluster's ready hook has no context */

/* A client's command is acknowledged when the node it was proposed on applies it there. */
static inline void
churn_on_ready(struct cluster *c, uint32_t id, const struct raft_ready *rd)
{
    for (uint32_t k = 0; k < CHURN_CLIENTS; k++) {
        if (!ch.clients[k].is_waiting || ch.clients[k].node != id || rd->committed_count == 0) {
            continue;
        }
        uint64_t first = rd->committed[0].index;
        uint64_t index = ch.clients[k].index;
        if (index < first || index >= first + rd->committed_count) {
            continue;
        }
        const struct raft_entry *e = &rd->committed[index - first];
        ch.clients[k].is_waiting = false; /* applied, or another leader's entry took its place */
        if (e->term == ch.clients[k].term) {
            CLUSTER_REQUIRE(ch.acked_count < CHURN_ACKED_MAX &&
                            e->size_bytes < sizeof(ch.acked[0]));
            memcpy(ch.acked[ch.acked_count], e->data, e->size_bytes);
            ch.acked[ch.acked_count++][e->size_bytes] = '\0';
        }
    }
    (void)c;
}

/* Each client not waiting proposes its next command on a random running node (one that does
 * not lead says so, and the client tries again next tick); one waiting too long gives up. */
static inline void
churn_propose(struct cluster *c, struct kh_rng *rng)
{
    for (uint32_t k = 0; k < CHURN_CLIENTS; k++) {
        uint32_t node = 1 + (uint32_t)kh_rng_below(rng, CHURN_NODES);
        if (ch.clients[k].is_waiting && kh_rng_below(rng, 40) != 0) {
            continue;
        }
        if (c->nodes[node].raft == NULL) {
            continue;
        }
        char command[16];
        int n = snprintf(command, sizeof(command), "c%u-%u", k, ch.clients[k].n);
        uint64_t index, term;
        if (raft_propose(c->nodes[node].raft, command, (size_t)n, &index, &term) != RAFT_OK) {
            continue;
        }
        ch.clients[k].is_waiting = true;
        ch.clients[k].node = node;
        ch.clients[k].index = index;
        ch.clients[k].term = term;
        ch.clients[k].n++;
        ch.proposals++;
        cluster_process(c, node);
    }
}

/* The network of the unreliable churn: messages lost, late (1-6 ticks, so reordered) and
 * doubled. */
static inline void
churn_unreliable(struct cluster *c)
{
    struct kh_sim_faults faults = {.delay_ticks_min = 1,
                                   .delay_ticks_max = 6,
                                   .drop_per_million = 50000,
                                   .duplicate_per_million = 30000};
    kh_sim_set_faults(c->sim, &faults);
}

/* Runs the churn on c, then heals it and checks every acknowledged command: returns how many
 * it found in the agreed log exactly once (all of them, or the run has failed). */
static inline size_t
churn_run(struct cluster *c)
{
    memset(&ch, 0, sizeof(ch));
    c->ready_cb = churn_on_ready;
    struct kh_rng *rng = kh_sim_rng(c->sim);
    for (uint64_t t = 0; t < CHURN_TICKS; t++) {
        churn_propose(c, rng);
        if (kh_rng_below(rng, 25) == 0) { /* about every 25 ticks, one change of membership */
            uint32_t id = 1 + (uint32_t)kh_rng_below(rng, CHURN_NODES);
            uint32_t what = (uint32_t)kh_rng_below(rng, 4);
            if (c->nodes[id].raft == NULL) {
                cluster_restart(c, id);
            } else if (what == 0) {
                cluster_crash(c, id);
            } else if (c->nodes[id].is_connected && what == 1) {
                cluster_disconnect(c, id);
            } else if (!c->nodes[id].is_connected) {
                cluster_connect(c, id);
            }
        }
        cluster_step(c);
        cluster_check(c);
    }
    for (uint32_t id = 1; id <= CHURN_NODES; id++) {
        if (c->nodes[id].raft == NULL) {
            cluster_restart(c, id);
        }
        cluster_connect(c, id);
    }
    kh_sim_set_faults(c->sim, &(struct kh_sim_faults){.delay_ticks_min = 1, .delay_ticks_max = 1});
    uint64_t last = cluster_one(c, "end-of-churn", CHURN_NODES, 40u * CLUSTER_ELECTION_TICKS);
    /* Every acknowledged command is in the agreed log once: c->applied holds it, all five
     * applied through `last` (cluster_one), and the checks saw them all apply the same. */
    size_t once = 0;
    for (size_t i = 0; i < ch.acked_count; i++) {
        unsigned found = 0;
        for (uint64_t index = 1; index <= last; index++) {
            const struct cluster_applied *a = &c->applied[index];
            found += a->size_bytes == strlen(ch.acked[i]) &&
                     memcmp(a->data, ch.acked[i], a->size_bytes) == 0;
        }
        if (found != 1) {
            CLUSTER_FAIL_RUN(
                c,
                "command \"%s\" was applied by the leader that took it (acknowledged), "
                "and the agreed log holds it %u times; expected once",
                ch.acked[i], found);
        }
        once++;
    }
    return once;
}

#endif
