/* test_b_search.c -- part B: every history of a small cluster, not one seed's (tests/search.h).
 * Three nodes, every order of delivery, every message lost or not, every moment a timer can run
 * out, a command proposed, up to a depth; every state reached is checked for election safety,
 * log matching, leader completeness and state machine safety, and explored once. A broken
 * property prints the history that broke it, action by action. */
#include "cluster.h" /* the test's helpers: raft_status_name, assert_raft_status */
#include "search.h"

/* The depth: 9 actions (about 660,000 states, 3 s plain); 8 (about 165,000, 5 s) under ASan
 * and 7 under TSan, which run this single-threaded search about 6 and 20 times slower: the
 * plain run checks the deeper bound, the sanitized ones the memory and threads of the same
 * code. Not exhausting the bound is a failure, so a slower machine shows as a timeout, never a
 * pass. */
#if defined(__SANITIZE_THREAD__)
#define SEARCH_DEPTH 7u
#elif defined(__SANITIZE_ADDRESS__)
#define SEARCH_DEPTH 8u
#else
#define SEARCH_DEPTH 9u
#endif

/* The claim: no history of three nodes within the bounds (elections up to term 2, one command,
 * SEARCH_DEPTH actions) breaks a safety property. */
static void
test_b_search_every_history_of_three_nodes(void **state)
{
    (void)state;
    static struct search_result res;
    struct search_config config = {
        .depth = SEARCH_DEPTH, .terms = 2, .proposals = 1, .states_max = 4000000};
    uint64_t start_ms = kh_clock_now_ms();
    search_run(&config, &res);
    uint64_t ms = kh_clock_now_ms() - start_ms;
    printf("search: depth %u, %" PRIu64 " states, %" PRIu64 " transitions, %" PRIu64 " ms (%.0f "
           "states/s)%s\n",
           res.depth, res.states, res.transitions, ms, res.states * 1000.0 / (double)(ms + 1),
           res.is_exhausted ? ", exhausted" : ", stopped at the state bound");
    if (res.has_violation) {
        search_print_trace(&res, stdout);
        fail_msg("%s, after the %u actions above", res.violation, res.trace_length);
    }
    if (!res.is_exhausted) {
        fail_msg("the search stopped at its bound of %" PRIu64 " states before exhausting depth "
                 "%u: every history was not checked",
                 config.states_max, config.depth);
    }
    if (!res.saw_leader || !res.saw_commit) {
        kh_test_inconclusive("no history within the bounds %s, so the search checked nothing",
                             res.saw_leader ? "applied a command" : "elected a leader");
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_search_every_history_of_three_nodes),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
