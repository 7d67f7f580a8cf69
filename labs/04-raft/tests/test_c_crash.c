/* test_c_crash.c -- part C: the store crashed. Read test_c_every_crash_keeps_what_was_saved
 * first: the machine dies at every call a seeded workload of saves makes (store_test.h,
 * workload_crashed_everywhere), and each crash's disk (unsynced bytes lost, kept or torn) must
 * reopen with what the acknowledged saves wrote. Then a cluster whose nodes keep their state in
 * stores and die in the middle of saves. */
#include "store_test.h"

/* Fails unless what img reopens with is what `saved` saves made durable, give or take the save
 * that was under way: its hard state or the one before, and a log that is the one before or a
 * prefix of the new one at least as long as the part the two share (the save cut the log and
 * appended). Then a node can start from it, and the store takes a new save. */
static void
check_image(struct kh_faultfs *img, const struct crash *crash)
{
    const struct saved *models = crash->models;
    uint32_t saved = crash->saved;
    const char *when = crash->when;
    struct fixture f;
    fixture_open_image(&f, img, when);
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
    assert_creates(&f.hs, NULL, f.entries, f.count, when);
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
    workload_crashed_everywhere(WORKLOAD_PART_C, check_image);
}

/* ---- A cluster on these stores ---------------------------------------------------------- */

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
    struct cluster c;
    disks_cluster_start(&d, &c, kh_test_seed());
    disks_cluster_run(&d, &c, 60);
    unsigned reached = cluster_reached(&c);
    disks_cluster_stop(&d, &c);
    if (d.mid_save_crashes == 0) {
        kh_test_inconclusive("no machine died in the middle of a save");
    }
    cluster_require(reached, CLUSTER_SAW_LEADER_CHANGED | CLUSTER_SAW_NODE_RESTARTED);
}

#define TRACE_COMMANDS 6u

/* One run of the traced workload on d's cluster, replayed alike by the test's seed: a leader is
 * elected, and the machine of `victim` (0: the leader; 1: the node after it) is set to die at its
 * store's call number crash_call (UINT64_MAX: never); the cluster agrees on TRACE_COMMANDS
 * commands (four nodes of five enough); then the victim restarts from its disk if it died, and
 * all five agree on a last command. Returns the leader; *armed_at and *calls: the victim's
 * store's call count when the crash was armed and after the commands. */
static uint32_t
trace_run(struct disks *d, struct cluster *c, uint32_t victim, uint64_t crash_call,
          uint64_t *armed_at, uint64_t *calls)
{
    disks_cluster_start(d, c, kh_test_seed());
    uint32_t leader = cluster_await_leader(c, 20u * CLUSTER_ELECTION_TICKS);
    uint32_t id = (leader + victim - 1) % CLUSTER_NODES + 1;
    struct kh_faultfs *fs = d->nodes[id].t.fs;
    *armed_at = kh_faultfs_trace_count(fs);
    kh_faultfs_crash_at(fs, crash_call);
    char command[32];
    for (unsigned i = 0; i < TRACE_COMMANDS; i++) {
        cluster_command_of(command, sizeof(command), "traced", i);
        cluster_one(c, command, CLUSTER_NODES - 1, 20u * CLUSTER_ELECTION_TICKS);
    }
    fs = d->nodes[id].t.fs; /* a crash replaced it by its image */
    *calls = kh_faultfs_trace_count(fs);
    kh_faultfs_crash_at(fs, UINT64_MAX);
    if (c->nodes[id].raft == NULL) {
        cluster_restart(c, id);
    }
    cluster_one(c, "traced-last", CLUSTER_NODES, 40u * CLUSTER_ELECTION_TICKS);
    return leader;
}

/* The claim (raft_storage.h with raft.h's ready order): in one cluster run, replayed exactly by
 * the seed, whichever call of the leader's store, or a follower's, its machine dies at (each in
 * turn, the disk keeping unsynced bytes lost, whole or torn), the node restarts from what its
 * disk kept and the cluster agrees on every command again: nothing committed is lost, and at no
 * tick does a node apply a command another did not at that index. */
static void
test_c_every_crash_point_of_a_cluster_run(void **state)
{
    (void)state;
    static struct disks d;
    struct cluster c;
    unsigned runs = 0;
    for (uint32_t victim = 0; victim < 2; victim++) {
        uint64_t armed_at = 0, calls = 0, unused = 0;
        uint32_t leader = trace_run(&d, &c, victim, UINT64_MAX, &armed_at, &calls);
        disks_cluster_stop(&d, &c);
        for (uint64_t call = armed_at; call < calls; call++) {
            if (trace_run(&d, &c, victim, call, &unused, &unused) != leader) {
                fail_msg("the run crashing at call %" PRIu64 " elected another first leader: "
                         "the runs are not replayed alike",
                         call);
            }
            if (d.mid_save_crashes == 0) {
                fail_msg("the %s's machine, set to die at its store's call %" PRIu64 " of %" PRIu64
                         ", did not",
                         victim == 0 ? "leader" : "follower", call, calls);
            }
            disks_cluster_stop(&d, &c);
            runs++;
        }
    }
    if (runs < 2 * TRACE_COMMANDS) {
        kh_test_inconclusive("only %u crash points: too few calls to crash at", runs);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_every_crash_keeps_what_was_saved),
        cmocka_unit_test(test_c_cluster_restarts_from_its_disks),
        cmocka_unit_test(test_c_every_crash_point_of_a_cluster_run),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
