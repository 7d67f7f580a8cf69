/* bench_search.c -- lab 04: how far the bounded exhaustive searches (tests/search.h) get and how
 * fast. For each depth bound from 1 up, the search explores every history of three nodes
 * (elections up to term 2, one command, every order of delivery) to that many actions; then, in
 * Figure 8's world (no leader no-op, a network that keeps order, timers between exchanges,
 * terms to 4, two commands), every history to its end for each bound on the messages lost from
 * 0 up. The bench prints, as CSV, one row per bound: the distinct states explored, the actions
 * taken, the time, the states a second, whether it exhausted the bound and how many safety
 * violations it found (0, or it stops at the first). Deeper in --full mode. Read main() first. */
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
/* Figure 8's world: the most messages lost (4 is the fewest with which Figure 8 exists). */
#define LOSSES_SMOKE 1u
#define LOSSES_QUICK 4u
#define LOSSES_FULL 5u
#define FIGURE_8_STATES_SMOKE 200000u
#define FIGURE_8_STATES_QUICK 4000000u
#define FIGURE_8_STATES_FULL 8000000u

/* One row; is_bound marks a world's last row, its run's own bound. */
static void
print_row(const char *world, uint32_t losses, const struct search_config *config,
          const struct search_result *res, double ms, uint32_t clean_depth, bool is_bound)
{
    bool is_clean = res->is_exhausted && !res->has_violation;
    printf("%s,%u,%u,%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64 ",%.1f,%.0f,%d,%d,%d,%u,%d\n", world,
           losses, res->depth, config->terms, config->proposals, res->states, res->transitions, ms,
           ms > 0 ? (double)res->states * 1000.0 / ms : 0.0, res->is_exhausted, res->has_violation,
           is_clean, clean_depth, is_bound);
    if (res->has_violation) {
        fprintf(stderr, "bench_search: %s, after:\n", res->violation);
        search_print_trace(res, stderr);
    }
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint32_t depth_max = (uint32_t)kh_bench_sized(&opt, DEPTH_SMOKE, DEPTH_QUICK, DEPTH_FULL);
    uint64_t states_max = kh_bench_sized(&opt, STATES_SMOKE, STATES_QUICK, STATES_FULL);
    uint32_t losses_max = (uint32_t)kh_bench_sized(&opt, LOSSES_SMOKE, LOSSES_QUICK, LOSSES_FULL);
    uint64_t figure_8_states_max =
        kh_bench_sized(&opt, FIGURE_8_STATES_SMOKE, FIGURE_8_STATES_QUICK, FIGURE_8_STATES_FULL);
    static struct search_result res;
    /* depth: the bound (every_order) or the longest history (figure_8); losses: the bound on
     * lost messages (figure_8; 0, unbounded, for every_order); clean_depth: the deepest bound
     * exhausted with no violation so far (every_order; the target reads clean_depth / depth on
     * the bound's row). */
    printf("world,losses,depth,terms,proposals,states,transitions,ms,states_per_s,exhausted,"
           "violations,clean,clean_depth,is_bound\n");
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
        print_row("every_order", 0, &config, &res, ms, clean_depth, is_last);
        if (res.has_violation) {
            break;
        }
    }
    for (uint32_t losses = 0; losses <= losses_max; losses++) {
        struct search_config config = search_figure_8_config(losses, figure_8_states_max);
        uint64_t start_ns = kh_clock_now_ns();
        search_run(&config, &res);
        double ms = (double)(kh_clock_now_ns() - start_ns) / 1e6;
        if (res.depth == SEARCH_DEPTH_MAX) {
            res.is_exhausted = false; /* a history cut at the depth bound: not every one ended */
        }
        bool is_last = losses == losses_max || res.has_violation;
        print_row("figure_8", losses, &config, &res, ms, 0, is_last);
        if (res.has_violation) {
            break;
        }
    }
    return 0;
}
