/* bench_search.c -- lab 04: how far the bounded exhaustive search (tests/search.h) gets and how
 * fast. For each depth bound from 1 up, the search explores every history of three nodes
 * (elections up to term 2, one command) to that many actions; the bench prints, as CSV, the
 * distinct states it explored, the actions it took, the time, the states a second, whether it
 * exhausted the bound and how many safety violations it found (0, or it stops at the first).
 * Deeper in --full mode. Read main() first. */
#include "kh_core.h"

#include "tests/search.h"

#define DEPTH_SMOKE 5u
#define DEPTH_QUICK 9u
#define DEPTH_FULL 11u
/* The seen-states table is sized for this many (and cleared each round): past it the search
 * stops and says it did not exhaust the bound. */
#define STATES_SMOKE 100000u
#define STATES_QUICK 2000000u
#define STATES_FULL 40000000u

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint32_t depth_max = (uint32_t)kh_bench_sized(&opt, DEPTH_SMOKE, DEPTH_QUICK, DEPTH_FULL);
    uint64_t states_max = kh_bench_sized(&opt, STATES_SMOKE, STATES_QUICK, STATES_FULL);
    static struct search_result res;
    /* clean_depth: the deepest bound exhausted with no violation so far; is_bound marks the
     * last row, the run's own bound (the target reads clean_depth / depth there). */
    printf("depth,terms,proposals,states,transitions,ms,states_per_s,exhausted,violations,"
           "clean_depth,is_bound\n");
    uint32_t clean_depth = 0;
    for (uint32_t depth = 1; depth <= depth_max; depth++) {
        struct search_config config = {
            .depth = depth, .terms = 2, .proposals = 1, .states_max = states_max};
        uint64_t start_ns = kh_clock_now_ns();
        search_run(&config, &res);
        double ms = (double)(kh_clock_now_ns() - start_ns) / 1e6;
        if (res.is_exhausted && !res.has_violation && clean_depth == depth - 1) {
            clean_depth = depth;
        }
        bool is_last = depth == depth_max || res.has_violation;
        printf("%u,%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64 ",%.1f,%.0f,%d,%d,%u,%d\n", depth,
               config.terms, config.proposals, res.states, res.transitions, ms,
               ms > 0 ? (double)res.states * 1000.0 / ms : 0.0, res.is_exhausted, res.has_violation,
               clean_depth, is_last);
        if (res.has_violation) {
            fprintf(stderr, "bench_search: %s, after:\n", res.violation);
            search_print_trace(&res, stderr);
            break;
        }
    }
    return 0;
}
