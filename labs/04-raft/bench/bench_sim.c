/* bench_sim.c -- lab 04: how fast a cluster replaces a crashed leader, from simulation. For each
 * trial (its own seed), a cluster of 3 or 5 nodes on a reliable network elects a leader, runs
 * for a while, and loses the leader to a crash; the bench counts the ticks until a running node
 * leads again. Prints the distribution as a CDF (CSV, header first): the fraction of trials
 * elected within each number of ticks. Also the simulator's own speed. Read main() first. */
#include "kh_core.h"

#include <stdio.h>
#include <stdlib.h>

#define CLUSTER_FAIL(...) (fprintf(stderr, "bench_sim: " __VA_ARGS__), exit(1))
#define CLUSTER_INCONCLUSIVE(...) CLUSTER_FAIL(__VA_ARGS__)
#define CLUSTER_TIMELINE_STREAM stderr
#include "tests/cluster.h"

#define TRIALS_SMOKE 50u
#define TRIALS_QUICK 2000u
#define TRIALS_FULL 20000u
#define SETTLE_TICKS (5u * CLUSTER_ELECTION_TICKS)    /* a steady leader, heartbeats flowing */
#define WAIT_TICKS_MAX (40u * CLUSTER_ELECTION_TICKS) /* a trial that takes longer is a failure */

/* Ticks from the leader's crash until a running node leads; the run's safety checks hold. */
static uint64_t
one_trial(uint32_t nodes, uint64_t seed, uint64_t *ticks_run)
{
    struct cluster c;
    cluster_start(&c, nodes, seed);
    uint32_t leader = cluster_await_leader(&c, WAIT_TICKS_MAX);
    cluster_run(&c, SETTLE_TICKS);
    leader = cluster_leader(&c);
    CLUSTER_REQUIRE(leader != 0);
    cluster_crash(&c, leader);
    uint64_t crashed_at = kh_sim_now(c.sim);
    cluster_await_leader(&c, WAIT_TICKS_MAX);
    uint64_t ticks = kh_sim_now(c.sim) - crashed_at;
    *ticks_run += kh_sim_now(c.sim);
    cluster_stop(&c);
    return ticks;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t trials = kh_bench_sized(&opt, TRIALS_SMOKE, TRIALS_QUICK, TRIALS_FULL);
    printf("nodes,election_ticks,trials,ticks,cdf,sim_ticks_per_s\n");
    const uint32_t sizes[] = {3, 5};
    for (size_t s = 0; s < KH_ARRAY_LEN(sizes); s++) {
        uint64_t counts[WAIT_TICKS_MAX + 1] = {0};
        uint64_t ticks_run = 0;
        uint64_t start_ns = kh_clock_now_ns();
        for (uint64_t t = 0; t < trials; t++) {
            uint64_t ticks = one_trial(sizes[s], opt.seed * 1000003u + t, &ticks_run);
            counts[ticks <= WAIT_TICKS_MAX ? ticks : WAIT_TICKS_MAX]++;
        }
        double seconds = (double)(kh_clock_now_ns() - start_ns) / 1e9;
        uint64_t seen = 0;
        for (uint64_t ticks = 0; ticks <= 8u * CLUSTER_ELECTION_TICKS; ticks++) {
            seen += counts[ticks];
            printf("%u,%u,%" PRIu64 ",%" PRIu64 ",%.5f,%.0f\n", sizes[s], CLUSTER_ELECTION_TICKS,
                   trials, ticks, (double)seen / (double)trials, (double)ticks_run / seconds);
        }
    }
    return 0;
}
