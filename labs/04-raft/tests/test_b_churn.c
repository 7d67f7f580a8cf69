/* test_b_churn.c -- part B: churn, the classic suite's last word on replication (tests/churn.h:
 * clients proposing all the time while nodes crash, restart and are cut off; safety every tick,
 * every acknowledged command in the agreed log exactly once at the end). */
#include "churn.h"

/* A run that acknowledged few commands checked little: inconclusive, not a pass (the runner
 * tries further seeds). Most runs acknowledge hundreds. */
static void
churn_require_progress(size_t acked)
{
    if (acked < 30) {
        kh_test_inconclusive("only %zu commands were acknowledged in %u ticks of churn (at least "
                             "30 wanted): too few to check",
                             acked, CHURN_TICKS);
    }
}

static void
test_b_reliable_churn(void **state)
{
    /* Claim: on a reliable network, five nodes crashed, restarted and cut off about every 25
     * ticks for 3,000 ticks while three clients propose all the time stay safe, and every
     * command a leader acknowledged is in the final agreed log exactly once. */
    (void)state;
    struct cluster c;
    cluster_start(&c, CHURN_NODES, kh_test_seed());
    size_t acked = churn_run(&c);
    assert_int_equal(acked, ch.acked_count); /* every acknowledged command found, once each */
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    churn_require_progress(acked);
    cluster_require(reached, CLUSTER_SAW_NODE_RESTARTED | CLUSTER_SAW_LEADER_CHANGED |
                                 CLUSTER_SAW_ENTRIES_REPLACED);
}

static void
test_b_unreliable_churn(void **state)
{
    /* Claim: the same churn while the network also loses, delays, reorders and doubles
     * messages: still safe, every acknowledged command in the agreed log exactly once. */
    (void)state;
    struct cluster c;
    cluster_start(&c, CHURN_NODES, kh_test_seed());
    churn_unreliable(&c);
    size_t acked = churn_run(&c);
    assert_int_equal(acked, ch.acked_count); /* every acknowledged command found, once each */
    unsigned reached = cluster_reached(&c);
    cluster_stop(&c);
    churn_require_progress(acked);
    cluster_require(reached, CLUSTER_SAW_NODE_RESTARTED | CLUSTER_SAW_MESSAGE_DROPPED |
                                 CLUSTER_SAW_MESSAGE_DUPLICATED);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_reliable_churn),
        cmocka_unit_test(test_b_unreliable_churn),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
