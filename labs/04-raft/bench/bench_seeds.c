/* bench_seeds.c -- lab 04's long mode: the randomized cluster scenarios of the tests run over
 * many seeds, 10,000 each with --full (1,000 quick, 10 smoke), every one with its logs compacted
 * into snapshots as it goes: the unreliable churn of part B (tests/churn.h: every acknowledged
 * command in the agreed log exactly once) and the register clients of part E
 * (tests/history.h: reads by ReadIndex and writes by the log, linearizable). The cluster's safety
 * checks run every tick of every seed. A violation ends the bench at once, printing the seed that
 * replays it (and the run's timeline): a CSV exists only when every seed was clean. Read main()
 * first. */
#include "kh_core.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t seed_now; /* the seed running: a violation names it */
#define CLUSTER_FAIL(...)                                                                          \
    (fprintf(stderr, "bench_seeds: seed %" PRIu64 " broke: ", seed_now),                           \
     fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(1))
#define CLUSTER_INCONCLUSIVE(...) CLUSTER_FAIL(__VA_ARGS__)
#define CLUSTER_TIMELINE_STREAM stderr
#include "tests/churn.h"
#include "tests/history.h"

#define COMPACT_EVERY 10u
#define SNAPSHOT_BYTES 300u

enum scenario { SCENARIO_CHURN, SCENARIO_REGISTER };

/* One seed of a scenario; returns the operations it checked (acknowledged commands, or
 * operations of the history). */
static uint64_t
one_seed(enum scenario which, uint64_t seed, uint64_t *snapshots)
{
    static struct history h;
    struct cluster c;
    seed_now = seed;
    cluster_start(&c, which == SCENARIO_CHURN ? CHURN_NODES : HISTORY_NODES, seed);
    c.compact_every = COMPACT_EVERY;
    c.snapshot_bytes = SNAPSHOT_BYTES;
    uint64_t ops;
    if (which == SCENARIO_CHURN) {
        churn_unreliable(&c);
        churn_run(&c);
        ops = ch.acked_count;
    } else {
        history_run(&c, &h);
        ops = h.reads_done + h.writes_done;
    }
    *snapshots += c.snapshots_restored;
    cluster_stop(&c);
    return ops;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t seeds = kh_bench_sized(&opt, 10, 1000, 10000);
    printf("scenario,seeds,clean,ops,snapshots_restored,seconds,seeds_per_s\n");
    const char *const names[] = {"churn", "register"};
    for (int which = SCENARIO_CHURN; which <= SCENARIO_REGISTER; which++) {
        uint64_t ops = 0, snapshots = 0;
        uint64_t start_ns = kh_clock_now_ns();
        for (uint64_t i = 0; i < seeds; i++) {
            uint64_t seed = opt.seed * 1000003u + i;
            ops += one_seed((enum scenario)which, seed, &snapshots);
            if ((i + 1) % 1000 == 0) {
                fprintf(stderr, "bench_seeds: %s, %" PRIu64 " of %" PRIu64 " seeds clean\n",
                        names[which], i + 1, seeds);
            }
        }
        double seconds = (double)(kh_clock_now_ns() - start_ns) / 1e9;
        printf("%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.2f,%.0f\n", names[which],
               seeds, seeds, ops, snapshots, seconds, (double)seeds / seconds);
        fflush(stdout);
    }
    return 0;
}
