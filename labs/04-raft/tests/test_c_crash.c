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

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_every_crash_keeps_what_was_saved),
        cmocka_unit_test(test_c_cluster_restarts_from_its_disks),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
