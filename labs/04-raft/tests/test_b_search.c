/* test_b_search.c -- part B: every history of a small cluster, not one seed's (tests/search.h).
 * Three nodes, every order of delivery, every message lost or not, every moment a timer can run
 * out, a command proposed, up to a depth; every state reached is checked for election safety,
 * log matching, leader completeness and state machine safety, and explored once. A broken
 * property prints the history that broke it, action by action. The second search goes deeper
 * in a narrower world, Figure 8's: a network that keeps order, timers that run out between
 * exchanges, no leader's no-op. */
#include "cluster.h" /* the test's helpers: raft_status_name, assert_raft_status */
#include "search.h"

/* The depth: 9 actions (about 660,000 states, 3.5 s plain); 7 under ASan and TSan (about 41,000
 * states: a second under ASan, 4 s under TSan), which run this single-threaded search about 6 and
 * 20 times slower: the plain run checks the deeper bound, the sanitized ones the memory and
 * threads of the same code (ASan's 8 took 5 s of the lab's make test budget; 7 is the least
 * depth at which a command is applied, so TSan's cannot go lower). Not exhausting the bound is
 * a failure, so a slower machine shows as a timeout, never a pass. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SEARCH_DEPTH 7u
#else
#define SEARCH_DEPTH 9u
#endif

/* Figure 8's search: losses 4 (about 1.4 million states, 7 s plain), the fewest with which its
 * history exists; 1 under ASan and 0 under TSan (about 31,000 and 4,000 states, a second or
 * two there), which check the memory and threads of the same code. */
#if defined(__SANITIZE_THREAD__)
#define FIGURE_8_LOSSES 0u
#elif defined(__SANITIZE_ADDRESS__)
#define FIGURE_8_LOSSES 1u
#else
#define FIGURE_8_LOSSES 4u
#endif
#define FIGURE_8_STATES_MAX 4000000u

/* Runs the search of config, prints what it explored, and fails on a violation (printing the
 * history) or when it stopped short of its bounds; inconclusive when no history elected a
 * leader and applied a command. world names the search in the line it prints. */
static void
search_expect_clean(const struct search_config *config, const char *world)
{
    static struct search_result res;
    uint64_t start_ms = kh_clock_now_ms();
    search_run(config, &res);
    uint64_t ms = kh_clock_now_ms() - start_ms;
    printf("search: %s: %" PRIu64 " states, histories of up to %u actions, %" PRIu64
           " transitions, %" PRIu64 " ms (%.0f states/s)%s\n",
           world, res.states, res.depth, res.transitions, ms,
           res.states * 1000.0 / (double)(ms + 1),
           res.is_exhausted ? ", exhausted" : ", stopped at the state bound");
    if (res.has_violation) {
        search_print_trace(&res, stdout);
        fail_msg("%s, after the %u actions above", res.violation, res.trace_length);
    }
    if (!res.is_exhausted || (config->is_single_round && res.depth == config->depth)) {
        fail_msg("the search stopped at its bound (%" PRIu64 " states, %u actions) before "
                 "exploring every history within it: not every history was checked",
                 config->states_max, config->depth);
    }
    if (!res.saw_leader || !res.saw_commit) {
        kh_test_inconclusive("no history within the bounds %s, so the search checked nothing",
                             res.saw_leader ? "applied a command" : "elected a leader");
    }
}

/* The claim: no history of three nodes within the bounds (elections up to term 2, one command,
 * SEARCH_DEPTH actions) breaks a safety property. */
static void
test_b_search_every_history_of_three_nodes(void **state)
{
    (void)state;
    struct search_config config = {
        .depth = SEARCH_DEPTH, .terms = 2, .proposals = 1, .states_max = 4000000};
    char world[64];
    snprintf(world, sizeof(world), "every order of delivery, depth %u", config.depth);
    search_expect_clean(&config, world);
}

/* The claim (Figure 8, §5.4.2): in the paper's base algorithm (a new leader appends no no-op),
 * no history of three nodes breaks a safety property in which: the network keeps order and
 * loses up to FIGURE_8_LOSSES messages; elections go up to term 4; two commands are proposed;
 * and a timer runs out, or a command is proposed, whenever no message is in flight. Every such
 * history is explored to its end. Figure 8 is one of them: a leader that commits an earlier
 * term's entry once a majority holds it breaks leader completeness in 39 actions with 4 losses,
 * and the search finds that history by itself (node 1 leads term 1 with a command no one else
 * holds, node 2 leads term 2, node 1 leads term 3, copies its command to node 3 and commits it
 * by count, and node 2, whose last entry is of term 2, a later one, wins term 4). */
static void
test_b_search_finds_no_figure_8(void **state)
{
    (void)state;
    struct search_config config = search_figure_8_config(FIGURE_8_LOSSES, FIGURE_8_STATES_MAX);
    char world[64];
    snprintf(world, sizeof(world), "Figure 8's, %u losses", config.losses);
    search_expect_clean(&config, world);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_search_every_history_of_three_nodes),
        cmocka_unit_test(test_b_search_finds_no_figure_8),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
