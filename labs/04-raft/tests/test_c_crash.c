/* test_c_crash.c -- part C: the store crashed. Read test_c_every_crash_keeps_what_was_saved
 * first: the machine dies at every call a seeded workload of saves makes, and each crash's disk
 * (unsynced bytes lost, kept or torn) must reopen with what the acknowledged saves wrote. Then a
 * cluster whose nodes keep their state in stores and die in the middle of saves. */
#include "store_test.h"

/* Fails unless what img reopens with is what `saved` saves made durable, give or take the save
 * that was under way: its hard state or the one before, and a log that is the one before or a
 * prefix of the new one at least as long as the part the two share (the save cut the log and
 * appended). Then a node can start from it, and the store takes a new save. */
static void
check_image(struct kh_faultfs *img, const struct saved *models, uint32_t saved, const char *when)
{
    struct fixture f;
    memset(&f, 0, sizeof(f));
    tfs_init(&f.t);
    kh_faultfs_destroy(f.t.fs);
    f.t.fs = img;
    fixture_io(&f);
    raft_status st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.snap, &f.entries, &f.count);
    if (st != RAFT_OK) {
        fail_msg("%s: the crashed store does not open: %s", when, raft_status_name(st));
    }
    const struct saved *before = &models[saved];
    const struct saved *after = &models[saved < WORKLOAD_SAVES ? saved + 1 : saved];
    bool is_hs_ok = (f.hs.term == before->hs.term && f.hs.vote == before->hs.vote) ||
                    (f.hs.term == after->hs.term && f.hs.vote == after->hs.vote);
    uint64_t shared = common_prefix(after, before->entries, before->count);
    bool is_log_ok =
        (f.count == before->count && common_prefix(before, f.entries, f.count) == f.count) ||
        (f.count >= shared && f.count <= after->count &&
         common_prefix(after, f.entries, f.count) == f.count);
    if (!is_hs_ok || !is_log_ok) {
        fail_msg("%s, after %u acknowledged saves: reopened with term %" PRIu64 ", vote %u and "
                 "%zu entries; the last acknowledged save left term %" PRIu64 ", vote %u, %" PRIu64
                 " entries (the save under way: term %" PRIu64 ", vote %u, %" PRIu64 " entries)",
                 when, saved, f.hs.term, f.hs.vote, f.count, before->hs.term, before->hs.vote,
                 before->count, after->hs.term, after->hs.vote, after->count);
    }
    assert_creates(&f.hs, f.entries, f.count, when);
    struct raft_entry next = {
        .term = f.hs.term > 0 ? f.hs.term : 1, .index = f.count + 1, .type = RAFT_ENTRY_NOOP};
    struct raft_ready rd = {.has_hard_state = f.hs.term == 0,
                            .hard_state = {1, 0},
                            .has_log_change = true,
                            .log_from_index = f.count + 1,
                            .entries = &next,
                            .entry_count = 1};
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    fixture_stop(&f);
}

/* The claim (raft_storage.h, raft_storage_save): once a save returns RAFT_OK what it saved
 * survives a crash. The workload runs with the machine crashing at its first call, then at its
 * second, and so on through every call it makes; each crash's disk (unsynced writes lost, all
 * kept, or the last one torn) reopens with what the acknowledged saves wrote. */
static void
test_c_every_crash_keeps_what_was_saved(void **state)
{
    (void)state;
    uint64_t seed = kh_test_seed();
    struct saved *models = workload_models(seed);
    struct fixture f;
    fixture_start(&f, NULL);
    uint64_t first = kh_faultfs_trace_count(f.t.fs);
    assert_int_equal(workload_run(f.s, seed, models), WORKLOAD_SAVES);
    uint64_t calls = kh_faultfs_trace_count(f.t.fs) - first;
    fixture_stop(&f);
    for (uint64_t c = 0; c <= calls; c++) {
        fixture_start(&f, NULL);
        kh_faultfs_crash_at(f.t.fs, kh_faultfs_trace_count(f.t.fs) + c);
        uint32_t saved = workload_run(f.s, seed, models);
        uint64_t ends[64];
        size_t pending = kh_faultfs_pending_ends(f.t.fs, ends, KH_ARRAY_LEN(ends));
        const uint64_t keeps[] = {0, UINT64_MAX, pending > 0 ? ends[pending - 1] - 1 : 0};
        for (size_t k = 0; k < KH_ARRAY_LEN(keeps); k++) {
            char when[96];
            snprintf(when, sizeof(when),
                     "crash at call %" PRIu64 " of %" PRIu64 " (unsynced "
                     "bytes kept: %s)",
                     c, calls,
                     k == 0   ? "none"
                     : k == 1 ? "all"
                              : "all but the "
                                "last, torn");
            check_image(kh_faultfs_crash_image(f.t.fs, keeps[k]), models, saved, when);
        }
        fixture_stop(&f);
    }
    free(models);
}

/* ---- A cluster on these stores ---------------------------------------------------------- */

#define CLUSTER_NODES 5u

/* Each node of a cluster on a store of its own, on its own file system. A crash keeps what the
 * disk would (crash_keep: unsynced bytes lost, all kept, or the last write torn). */
struct disks {
    struct fixture nodes[CLUSTER_NODES + 1];
    struct kh_rng *rng;
    unsigned mid_save_crashes;
};

static raft_status
disks_save_cb(void *ctx, uint32_t id, const struct raft_ready *rd)
{
    struct disks *d = ctx;
    return raft_storage_save(d->nodes[id].s, rd);
}

/* The node's machine died: what its disk holds now is a crash image; the store is reopened on
 * it (a store that does not open fails the test), ready for the node's restart. */
static void
disks_crash_cb(void *ctx, uint32_t id)
{
    struct disks *d = ctx;
    struct fixture *f = &d->nodes[id];
    d->mid_save_crashes += kh_faultfs_has_crashed(f->t.fs);
    raft_storage_close(f->s);
    f->s = NULL;
    uint64_t ends[64];
    size_t pending = kh_faultfs_pending_ends(f->t.fs, ends, KH_ARRAY_LEN(ends));
    uint64_t roll = kh_rng_below(d->rng, 3);
    uint64_t keep = roll == 0 ? 0 : roll == 1 || pending == 0 ? UINT64_MAX : ends[pending - 1] - 1;
    struct kh_faultfs *img = kh_faultfs_crash_image(f->t.fs, keep);
    CLUSTER_REQUIRE(img != NULL);
    kh_faultfs_destroy(f->t.fs);
    memset(f->is_fd_open, 0, sizeof(f->is_fd_open));
    f->t.fs = img;
    fixture_open(f);
}

static raft_status
disks_load_cb(void *ctx, uint32_t id, struct raft_hard_state *hs, struct raft_snapshot *snapshot,
              const struct raft_entry **entries, size_t *count)
{
    struct disks *d = ctx;
    *hs = d->nodes[id].hs;
    *snapshot = d->nodes[id].snap;
    *entries = d->nodes[id].entries;
    *count = d->nodes[id].count;
    return RAFT_OK;
}

/* The claim: a cluster whose nodes keep their state in these stores stays safe when machines
 * die in the middle of a save (the machine crashing at a call of the store chosen at random)
 * and between saves, each restarting from what its disk kept; and once they are all back, the
 * five agree on a command. The cluster checks every tick: one leader a term, every node the
 * same command at each index, a vote on disk before it is granted. */
static void
test_c_cluster_restarts_from_its_disks(void **state)
{
    (void)state;
    static struct disks d;
    memset(&d, 0, sizeof(d));
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        fixture_start(&d.nodes[id], NULL);
    }
    struct cluster_storage storage = {
        .save_cb = disks_save_cb, .crash_cb = disks_crash_cb, .load_cb = disks_load_cb, .ctx = &d};
    struct cluster c;
    cluster_start_with(&c, CLUSTER_NODES, kh_test_seed(), &storage);
    d.rng = kh_sim_rng(c.sim);
    for (int round = 0; round < 60; round++) {
        uint32_t leader = cluster_leader(&c);
        if (leader != 0) {
            uint64_t index, term;
            (void)raft_propose(c.nodes[leader].raft, "disk", 4, &index, &term);
            cluster_process(&c, leader);
        }
        uint32_t id = 1 + (uint32_t)kh_rng_below(d.rng, CLUSTER_NODES);
        if (c.nodes[id].raft != NULL && kh_rng_below(d.rng, 3) == 0) {
            struct kh_faultfs *fs = d.nodes[id].t.fs; /* dies at one of its next calls */
            kh_faultfs_crash_at(fs, kh_faultfs_trace_count(fs) + kh_rng_below(d.rng, 12));
        } else if (c.nodes[id].raft != NULL && kh_rng_below(d.rng, 4) == 0) {
            cluster_crash(&c, id);
        }
        cluster_run(&c, 1 + kh_rng_below(d.rng, 2 * CLUSTER_ELECTION_TICKS));
        for (uint32_t k = 1; k <= CLUSTER_NODES; k++) {
            if (c.nodes[k].raft == NULL && kh_rng_below(d.rng, 2) == 0) {
                cluster_restart(&c, k);
            }
        }
    }
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        kh_faultfs_crash_at(d.nodes[id].t.fs, UINT64_MAX); /* a crash armed and not yet met */
        if (c.nodes[id].raft == NULL) {
            cluster_restart(&c, id);
        }
    }
    cluster_one(&c, "disks-last", CLUSTER_NODES, 40u * CLUSTER_ELECTION_TICKS);
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        fixture_stop(&d.nodes[id]);
    }
    if (d.mid_save_crashes == 0) {
        kh_test_inconclusive("no machine died in the middle of a save");
    }
    cluster_require(reached, CLUSTER_SAW_LEADER_CHANGED | CLUSTER_SAW_NODE_RESTARTED);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_every_crash_keeps_what_was_saved),
        cmocka_unit_test(test_c_cluster_restarts_from_its_disks),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
