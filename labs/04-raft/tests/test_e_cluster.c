/* test_e_cluster.c -- part E on the simulated cluster: every node applies the committed log to
 * its own struct kv (raft_kv.h, on its own in-memory file system), compacts it into kv
 * snapshots, and restarts or catches up from them. Clients with sessions retry through leader
 * changes, crashes and lost messages; each increment must take effect exactly once, and every
 * node must end with the same keys. */
#include "cluster.h"
#include "kv_test.h"

#define NODES 5u
#define CLIENTS 4u
#define INCRS_PER_CLIENT 40u
#define RETRY_TICKS 6u /* a client resends after this long: often before its first copy commits */
#define RUN_TICKS_MAX 60000u
#define COMPACT_EVERY 12u /* entries applied past the last snapshot */

/* A client: registers, then increments the shared key "c" INCRS_PER_CLIENT times, one command
 * at a time, resending the same command (same seq) to whoever leads until it is answered. */
struct client {
    uint64_t id;  /* 0 until registered */
    uint64_t seq; /* the command in flight */
    uint32_t node;
    uint64_t index, term; /* where its node put it */
    uint64_t sent_tick;
    bool is_waiting;
    unsigned done;
};

struct world {
    struct kv_node nodes[NODES + 1];
    struct client clients[CLIENTS];
    bool is_seen[CLIENTS * INCRS_PER_CLIENT + 1]; /* the values the increments returned */
    uint64_t retries, duplicates, replies_lost, snapshots_taken, snapshots_restored;
};

static struct world w;

/* The command client k sends now. */
static struct kv_command
client_command(const struct client *cl)
{
    return cl->id == 0 ? kv_cmd(KV_OP_REGISTER, 0, 0, NULL, NULL, 0)
                       : kv_cmd(KV_OP_INCR, cl->id, cl->seq, "c", NULL, 1);
}

static void
client_send(struct cluster *c, struct client *cl)
{
    uint32_t leader = cluster_leader(c);
    if (leader == 0) {
        return;
    }
    struct kv_command cmd = client_command(cl);
    uint8_t buf[KV_COMMAND_HEADER_BYTES + 8];
    assert_true(kv_command_encoded_size(&cmd) <= sizeof(buf));
    kv_command_encode(&cmd, buf);
    raft_status st = raft_propose(c->nodes[leader].raft, buf, kv_command_encoded_size(&cmd),
                                  &cl->index, &cl->term);
    assert_raft_status(st, RAFT_OK);
    w.retries += cl->is_waiting;
    cl->is_waiting = true;
    cl->node = leader;
    cl->sent_tick = kh_sim_now(c->sim);
    cluster_process(c, leader);
}

/* Entry e, applied on node id with result r, answers client cl if it is the one cl waits for
 * on that node (its REGISTER by index and term; an INCR by session and seq, a duplicate too). */
static void
client_answer(struct cluster *c, uint32_t id, struct client *cl, const struct raft_entry *e,
              const struct kv_result *r)
{
    if (!cl->is_waiting || id != cl->node || e->type != RAFT_ENTRY_COMMAND) {
        return;
    }
    struct kv_command cmd;
    if (kv_command_decode(e->data, e->size_bytes, &cmd) != KV_OK) {
        return;
    }
    if (cl->id == 0) {
        if (cmd.op != KV_OP_REGISTER || e->index != cl->index || e->term != cl->term) {
            return;
        }
        cl->id = (uint64_t)r->number;
        cl->seq = 1;
        cl->is_waiting = false;
        return;
    }
    if (cmd.op != KV_OP_INCR || cmd.client_id != cl->id || cmd.seq != cl->seq) {
        return;
    }
    if (kh_rng_below(kh_sim_rng(c->sim), 3) == 0) {
        w.replies_lost++; /* the answer never reaches the client: it will resend */
        return;
    }
    if (r->code != KV_CODE_OK) {
        CLUSTER_FAIL_RUN(c, "client %" PRIu64 "'s INCR c (seq %" PRIu64 ") ended %s on node %u",
                         cl->id, cl->seq, kv_code_name(r->code), id);
    }
    w.duplicates += r->is_duplicate;
    if (r->number < 1 || r->number > (int64_t)(CLIENTS * INCRS_PER_CLIENT) ||
        (w.is_seen[r->number] && !r->is_duplicate)) {
        CLUSTER_FAIL_RUN(c,
                         "client %" PRIu64 "'s INCR c (seq %" PRIu64 ") returned %" PRId64
                         ", a value another increment already returned or out of range: an "
                         "increment took effect twice",
                         cl->id, cl->seq, r->number);
    }
    w.is_seen[r->number] = true;
    cl->done++;
    cl->seq++;
    cl->is_waiting = false;
}

/* Each ready: the committed entries go into the node's kv; their results answer clients. */
static void
kv_on_ready(struct cluster *c, uint32_t id, const struct raft_ready *rd)
{
    struct kv *kv = w.nodes[id].kv;
    for (size_t i = 0; i < rd->committed_count; i++) {
        const struct raft_entry *e = &rd->committed[i];
        struct kv_result r;
        kv_status st = kv_apply(kv, e->index, e->type, e->data, e->size_bytes, &r);
        if (st != KV_OK) {
            CLUSTER_FAIL_RUN(c, "node %u: kv_apply of committed entry %" PRIu64 " returned %s", id,
                             e->index, kv_status_name(st));
        }
        for (uint32_t k = 0; k < CLIENTS; k++) {
            client_answer(c, id, &w.clients[k], e, &r);
        }
    }
}

/* A restarted node's kv starts empty; a snapshot replaces it whole. */
static void
kv_on_restore(struct cluster *c, uint32_t id, const struct raft_snapshot *s)
{
    struct kv_node *n = &w.nodes[id];
    if (s->index == 0) {
        kv_close(n->kv);
        n->kv = NULL;
        assert_kv_status(kv_open(TEST_DIR, &n->options, &n->kv), KV_OK);
        return;
    }
    kv_status st = kv_restore(n->kv, s->data, s->size_bytes);
    if (st != KV_OK || kv_applied_index(n->kv) != s->index) {
        CLUSTER_FAIL_RUN(c,
                         "node %u: kv_restore of the snapshot at %" PRIu64 " (%" PRIu64
                         " bytes) returned %s, applied index %" PRIu64,
                         id, s->index, s->size_bytes, kv_status_name(st), kv_applied_index(n->kv));
    }
    w.snapshots_restored++;
}

/* After each ready: a node that applied COMPACT_EVERY entries past its snapshot takes one. */
static void
kv_on_compact(struct cluster *c, uint32_t id)
{
    struct kv *kv = w.nodes[id].kv;
    struct raft_snapshot last;
    raft_last_snapshot(c->nodes[id].raft, &last);
    if (kv_applied_index(kv) < last.index + COMPACT_EVERY) {
        return;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    assert_kv_status(kv_snapshot(kv, &data, &size), KV_OK);
    raft_status st = raft_compact(c->nodes[id].raft, kv_applied_index(kv), data, size);
    free(data);
    assert_raft_status(st, RAFT_OK);
    w.snapshots_taken++;
}

static void
test_e_increments_apply_exactly_once_across_failures(void **state)
{
    /* Claim: four clients with sessions increment one key 40 times each through a cluster of
     * five whose messages are lost, delayed and doubled, whose leaders crash and whose nodes
     * restart from kv snapshots or catch up by InstallSnapshot; each resends its command (same
     * seq) until it hears the answer, and a third of the answers are lost on the way. Every
     * increment takes effect exactly once (the key ends at 160, the answers are 1..160 each once),
     * and every node ends with the same kv, sessions and all. */
    (void)state;
    memset(&w, 0, sizeof(w));
    struct cluster c;
    cluster_start(&c, NODES, kh_test_seed());
    for (uint32_t id = 1; id <= NODES; id++) {
        kv_node_start(&w.nodes[id]);
    }
    c.ready_cb = kv_on_ready;
    c.restore_cb = kv_on_restore;
    c.compact_cb = kv_on_compact;
    struct kh_sim_faults faults = {.delay_ticks_min = 1,
                                   .delay_ticks_max = 5,
                                   .drop_per_million = 40000,
                                   .duplicate_per_million = 20000};
    kh_sim_set_faults(c.sim, &faults);
    struct kh_rng *rng = kh_sim_rng(c.sim);
    uint32_t crashed = 0;
    uint64_t t = 0;
    for (;; t++) {
        unsigned done = 0;
        for (uint32_t k = 0; k < CLIENTS; k++) {
            struct client *cl = &w.clients[k];
            done += cl->done;
            if (cl->done < INCRS_PER_CLIENT &&
                (!cl->is_waiting || kh_sim_now(c.sim) - cl->sent_tick > RETRY_TICKS ||
                 c.nodes[cl->node].raft == NULL)) {
                client_send(&c, cl);
            }
        }
        if (done == CLIENTS * INCRS_PER_CLIENT) {
            break;
        }
        if (t == RUN_TICKS_MAX) {
            CLUSTER_FAIL_RUN(&c, "the clients finished %u of %u increments in %u ticks", done,
                             CLIENTS * INCRS_PER_CLIENT, RUN_TICKS_MAX);
        }
        if (t % 60 == 0 && t > 0) { /* a crash, mostly of the leader, then back */
            if (crashed != 0) {
                cluster_restart(&c, crashed);
                crashed = 0;
            } else {
                uint32_t leader = cluster_leader(&c);
                crashed = leader != 0 && kh_rng_below(rng, 3) != 0
                              ? leader
                              : 1 + (uint32_t)kh_rng_below(rng, NODES);
                cluster_crash(&c, crashed);
            }
        }
        cluster_step(&c);
        cluster_check(&c);
    }
    if (crashed != 0) {
        cluster_restart(&c, crashed);
    }
    kh_sim_set_faults(c.sim, &(struct kh_sim_faults){.delay_ticks_min = 1, .delay_ticks_max = 1});
    cluster_one(&c, "", NODES, 40u * CLUSTER_ELECTION_TICKS); /* a no-op command: all apply */
    char want[16];
    snprintf(want, sizeof(want), "%u", CLIENTS * INCRS_PER_CLIENT);
    for (uint32_t id = 1; id <= NODES; id++) {
        struct kv_result r;
        assert_kv_status(kv_get(w.nodes[id].kv, "c", 1, &r), KV_OK);
        if (r.code != KV_CODE_OK || r.value_size_bytes != strlen(want) ||
            memcmp(r.value, want, strlen(want)) != 0) {
            CLUSTER_FAIL_RUN(&c,
                             "node %u holds c = \"%.*s\"; expected \"%s\" (%u increments, each "
                             "once)",
                             id, (int)r.value_size_bytes,
                             r.value != NULL ? (const char *)r.value : "", want,
                             CLIENTS * INCRS_PER_CLIENT);
        }
    }
    /* Snapshots are canonical: nodes in the same state write the same bytes. */
    uint8_t *first = NULL;
    size_t first_size = 0;
    assert_kv_status(kv_snapshot(w.nodes[1].kv, &first, &first_size), KV_OK);
    for (uint32_t id = 2; id <= NODES; id++) {
        uint8_t *data = NULL;
        size_t size = 0;
        assert_kv_status(kv_snapshot(w.nodes[id].kv, &data, &size), KV_OK);
        bool is_same = size == first_size && memcmp(data, first, size) == 0;
        free(data);
        if (!is_same) {
            free(first);
            CLUSTER_FAIL_RUN(&c,
                             "node %u's kv (keys, sessions, applied index) differs from node "
                             "1's after both applied the same log",
                             id);
        }
    }
    free(first);
    uint64_t restored = w.snapshots_restored;
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    for (uint32_t id = 1; id <= NODES; id++) {
        kv_node_stop(&w.nodes[id]);
    }
    uint64_t duplicates = w.duplicates;
    if (duplicates == 0 || restored == 0) {
        kh_test_inconclusive("the run answered %" PRIu64 " resent commands from their sessions "
                             "and restored %" PRIu64 " kv snapshots: exactly once was not tried",
                             duplicates, restored);
    }
    cluster_require(reached, CLUSTER_SAW_MESSAGE_DROPPED | CLUSTER_SAW_NODE_RESTARTED);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_increments_apply_exactly_once_across_failures),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
