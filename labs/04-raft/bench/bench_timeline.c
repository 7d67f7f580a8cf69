/* bench_timeline.c -- lab 04: the timeline of a failing run, for the writeup. The grader draws
 * one whenever a cluster test fails (harness/py/timeline.py); this bench makes a failure on
 * purpose, with a disk that loses a node's vote when it crashes (the bug of a store that grants
 * a vote before it is durable, Raft §5.2), and finds the first seed whose run breaks election
 * safety. Three nodes, a crash and restart every 15 ticks, commands proposed all along. It prints
 * the run as the drawing's pieces (CSV, one row a piece): role segments, downtime, the leaders'
 * terms, applied entries and the tick where the check broke, with why; bench_timeline.gp draws
 * them as bench_search's plot is drawn. Read main() first. */
#include "kh_core.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf broken;
static char broke_why[512];
#define CLUSTER_FAIL(...) (snprintf(broke_why, sizeof(broke_why), __VA_ARGS__), longjmp(broken, 1))
#define CLUSTER_INCONCLUSIVE(...) CLUSTER_FAIL(__VA_ARGS__)
#define CLUSTER_TIMELINE_STREAM timeline_sink
static FILE *timeline_sink; /* the KEEL-TIMELINE lines are not wanted here: /dev/null */
#include "tests/cluster.h"

#define NODES 3u
#define SEEDS_MAX 2000u
#define TICKS_MAX 1500u

static struct cluster c;

/* Runs seed's scenario on c; returns true when a safety check broke (c keeps its events). */
static bool
run_seed(uint64_t seed)
{
    cluster_start(&c, NODES, seed);
    struct kh_sim_faults late = {.delay_ticks_min = 1, .delay_ticks_max = 8};
    kh_sim_set_faults(c.sim, &late); /* vote requests arrive spread out */
    struct kh_rng *rng = kh_sim_rng(c.sim);
    uint32_t down = 0;
    if (setjmp(broken) != 0) {
        return true;
    }
    for (uint64_t t = 0; t < TICKS_MAX; t++) {
        uint32_t leader = cluster_leader(&c);
        if (leader != 0 && t % 4 == 0) {
            uint64_t index, term;
            raft_propose(c.nodes[leader].raft, "x", 1, &index, &term);
            cluster_process(&c, leader);
        }
        if (t % 4 == 3) {
            if (down != 0) {
                c.nodes[down].disk.hard_state.vote = 0; /* the lost vote */
                cluster_restart(&c, down);
                down = 0;
            } else { /* a node that voted for another, so that it has a vote to lose */
                uint32_t pick = 1 + (uint32_t)kh_rng_below(rng, NODES);
                for (uint32_t k = 0; k < NODES && down == 0; k++) {
                    uint32_t id = (pick + k - 1) % NODES + 1;
                    uint32_t vote = c.nodes[id].disk.hard_state.vote;
                    down = vote != 0 && vote != id ? id : 0;
                }
                if (down != 0) {
                    cluster_crash(&c, down);
                }
            }
        }
        cluster_step(&c);
        cluster_check(&c);
    }
    cluster_stop(&c);
    return false;
}

static const char *const role_names[] = {"follower", "candidate", "leader"};

/* One row a piece of the drawing, from the run's events (as timeline.py does for the grader). */
static void
print_pieces(uint64_t seed)
{
    uint64_t first = c.event_count > CLUSTER_EVENTS_MAX ? c.event_count - CLUSTER_EVENTS_MAX : 0;
    uint64_t end = kh_sim_now(c.sim);
    uint64_t since[NODES + 1] = {0}, down_since[NODES + 1] = {0};
    int role[NODES + 1] = {0}; /* 0 follower, 1 candidate, 2 leader, -1 down */
    printf("piece,tick,node,length,role,text\n");
    for (uint64_t i = first; i < c.event_count; i++) {
        const struct cluster_event *e = &c.events[i % CLUSTER_EVENTS_MAX];
        uint32_t n = e->node;
        if (e->kind == CLUSTER_EV_BROKEN) {
            end = e->tick;
            continue;
        }
        if (n < 1 || n > NODES) {
            continue;
        }
        bool is_role = e->kind == CLUSTER_EV_FOLLOWER || e->kind == CLUSTER_EV_CANDIDATE ||
                       e->kind == CLUSTER_EV_LEADER;
        if ((is_role || e->kind == CLUSTER_EV_CRASH) && role[n] >= 0 && e->tick > since[n]) {
            printf("role,%" PRIu64 ",%u,%" PRIu64 ",%d,%s\n", since[n], n, e->tick - since[n],
                   role[n] + 1, role_names[role[n]]);
        }
        if (is_role) {
            role[n] = e->kind == CLUSTER_EV_FOLLOWER ? 0 : e->kind == CLUSTER_EV_CANDIDATE ? 1 : 2;
            since[n] = e->tick;
            if (e->kind == CLUSTER_EV_LEADER) {
                printf("leader,%" PRIu64 ",%u,0,3,T%" PRIu64 "\n", e->tick, n, e->term);
            }
        } else if (e->kind == CLUSTER_EV_CRASH) {
            role[n] = -1;
            down_since[n] = e->tick;
        } else if (e->kind == CLUSTER_EV_RESTART) {
            printf("down,%" PRIu64 ",%u,%" PRIu64 ",0,down\n", down_since[n], n,
                   e->tick - down_since[n]);
            role[n] = 0;
            since[n] = e->tick;
        } else if (e->kind == CLUSTER_EV_APPLIED) {
            printf("applied,%" PRIu64 ",%u,0,0,%" PRIu64 "\n", e->tick, n, e->value);
        }
    }
    for (uint32_t n = 1; n <= NODES; n++) {
        if (role[n] >= 0 && end > since[n]) {
            printf("role,%" PRIu64 ",%u,%" PRIu64 ",%d,%s\n", since[n], n, end - since[n],
                   role[n] + 1, role_names[role[n]]);
        } else if (role[n] < 0) {
            printf("down,%" PRIu64 ",%u,%" PRIu64 ",0,down\n", down_since[n], n,
                   end - down_since[n]);
        }
    }
    for (char *p = broke_why; *p != '\0'; p++) { /* the text is one CSV field */
        if (*p == ',' || *p == '\n') {
            *p = ';';
        }
    }
    printf("broken,%" PRIu64 ",0,0,0,seed %" PRIu64 ": %s\n", end, seed, broke_why);
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    timeline_sink = fopen("/dev/null", "w");
    if (timeline_sink == NULL) {
        perror("bench_timeline: /dev/null");
        return 1;
    }
    for (uint64_t i = 0; i < SEEDS_MAX; i++) {
        uint64_t seed = opt.seed * 1000003u + i;
        if (run_seed(seed)) {
            print_pieces(seed);
            fprintf(stderr,
                    "bench_timeline: seed %" PRIu64 " (the %" PRIu64 "th tried) broke: %s\n", seed,
                    i + 1, broke_why);
            return 0;
        }
    }
    fprintf(stderr, "bench_timeline: no seed of %u broke election safety with lost votes\n",
            SEEDS_MAX);
    return 1;
}
