/* test_b_restarts.c -- part B: agreement across restarts (the classic persistence scenarios).
 * A node that crashes loses everything but its disk (here the cluster's disk, which keeps
 * what each ready persisted) and restarts knowing nothing committed; these tests crash whole
 * clusters, leaders and followers, some of them cut off first, and check that every command
 * once applied survives and the cluster agrees again. The cluster checks Raft's safety
 * properties at every tick (cluster.h). */
#include "cluster.h"

#define ET CLUSTER_ELECTION_TICKS
#define AGREE_TICKS_MAX (20u * ET)

static void
crash_and_restart(struct cluster *c, uint32_t id)
{
    cluster_crash(c, id);
    cluster_run(c, ET / 2);
    cluster_restart(c, id);
}

/* The claim: a cluster agrees after all of it restarts at once, after its leader restarts,
 * after a cut-off leader restarts and rejoins, and after a cut-off follower does. */
static void
test_b_every_kind_of_restart(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    cluster_one(&c, "before", 3, AGREE_TICKS_MAX);
    for (uint32_t id = 1; id <= 3; id++) {
        cluster_crash(&c, id);
    }
    for (uint32_t id = 1; id <= 3; id++) {
        cluster_restart(&c, id);
    }
    cluster_one(&c, "after-all-restarted", 3, AGREE_TICKS_MAX);

    crash_and_restart(&c, cluster_await_leader(&c, AGREE_TICKS_MAX));
    cluster_one(&c, "after-the-leader-restarted", 3, AGREE_TICKS_MAX);

    uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
    cluster_disconnect(&c, leader);
    cluster_one(&c, "without-the-old-leader", 2, AGREE_TICKS_MAX);
    crash_and_restart(&c, leader);
    cluster_connect(&c, leader);
    cluster_one(&c, "with-the-old-leader-back", 3, AGREE_TICKS_MAX);

    uint32_t follower = cluster_await_leader(&c, AGREE_TICKS_MAX) % 3 + 1;
    cluster_disconnect(&c, follower);
    cluster_one(&c, "without-a-follower", 2, AGREE_TICKS_MAX);
    crash_and_restart(&c, follower);
    cluster_connect(&c, follower);
    uint64_t last = cluster_one(&c, "with-the-follower-back", 3, AGREE_TICKS_MAX);
    if (cluster_applied_by(&c, last) != 3) {
        fail_msg("after the restarts, %u of 3 nodes applied the last command",
                 cluster_applied_by(&c, last));
    }
    cluster_stop(&c);
}

/* The claim: a command the three connected nodes of five hold survives when exactly those
 * three crash and the two that missed it come back first: the two cannot elect one of
 * themselves without a restarted node, and any leader then has the command (§5.4.1). Five
 * rounds. */
static void
test_b_committed_survives_its_holders_crashing(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 5, kh_test_seed());
    char command[32];
    for (unsigned round = 0; round < 5; round++) {
        cluster_command_of(command, sizeof(command), "all-five", round);
        cluster_one(&c, command, 5, AGREE_TICKS_MAX);
        uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
        uint32_t missed[2] = {leader % 5 + 1, (leader + 1) % 5 + 1};
        cluster_disconnect(&c, missed[0]);
        cluster_disconnect(&c, missed[1]);
        cluster_command_of(command, sizeof(command), "held-by-three", round);
        uint64_t held = cluster_one(&c, command, 3, AGREE_TICKS_MAX);
        for (uint32_t id = 1; id <= 5; id++) {
            if (id != missed[0] && id != missed[1]) {
                cluster_crash(&c, id);
            }
        }
        cluster_connect(&c, missed[0]);
        cluster_connect(&c, missed[1]);
        cluster_run(&c, 3 * ET);
        for (uint32_t id = 1; id <= 5; id++) {
            if (c.nodes[id].raft == NULL) {
                cluster_restart(&c, id);
                cluster_run(&c, ET / 2);
            }
        }
        cluster_command_of(command, sizeof(command), "after-the-crashes", round);
        uint64_t after = cluster_one(&c, command, 5, AGREE_TICKS_MAX);
        if (after <= held) {
            fail_msg("round %u: \"%s\" took index %" PRIu64 ", at or before index %" PRIu64
                     " of the command the three crashed nodes held: that command was lost",
                     round, command, after, held);
        }
    }
    cluster_stop(&c);
}

/* The claim: with a follower cut off, the leader and the other follower agree on a command and
 * both crash; the cut-off follower comes back, then the old leader restarts: the two agree on
 * a new command after the one the cut-off node missed, and the third, restarted last, has
 * both. */
static void
test_b_partitioned_leader_and_follower_restart(void **state)
{
    (void)state;
    struct cluster c;
    cluster_start(&c, 3, kh_test_seed());
    cluster_one(&c, "first", 3, AGREE_TICKS_MAX);
    uint32_t leader = cluster_await_leader(&c, AGREE_TICKS_MAX);
    uint32_t cut = leader % 3 + 1;
    uint32_t other = cut % 3 + 1;
    cluster_disconnect(&c, cut);
    uint64_t missed = cluster_one(&c, "missed-by-one", 2, AGREE_TICKS_MAX);
    cluster_crash(&c, leader);
    cluster_crash(&c, other);
    cluster_connect(&c, cut);
    cluster_restart(&c, leader);
    uint64_t next = cluster_one(&c, "two-again", 2, AGREE_TICKS_MAX);
    if (next <= missed || c.nodes[cut].applied_index < missed) {
        fail_msg("the command the cut-off node missed (index %" PRIu64 ") was not kept: the next "
                 "took index %" PRIu64 ", and node %u applied through %" PRIu64,
                 missed, next, cut, c.nodes[cut].applied_index);
    }
    cluster_restart(&c, other);
    cluster_one(&c, "all-three", 3, AGREE_TICKS_MAX);
    cluster_stop(&c);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_every_kind_of_restart),
        cmocka_unit_test(test_b_committed_survives_its_holders_crashing),
        cmocka_unit_test(test_b_partitioned_leader_and_follower_restart),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
