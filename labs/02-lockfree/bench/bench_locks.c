/* bench_locks.c -- lab 02 part A: lock handoff rate (critical sections per second) of the
 * four spinlocks against pthread's mutex and spinlock, at 1, 2, 4 and 8 threads on however
 * many cores the machine has: with more threads than cores, the holder or the next in line
 * gets preempted, and FIFO locks pay for it. Then the handoff latency (lock_handoff, 2-8
 * threads): unlock to the next acquire by another thread. Prints CSV (bench_common.h). Read
 * main() first. */
#include "bench_common.h"
#include "spinlock.h"

#include <sched.h>

enum lock_kind { LOCK_MUTEX, LOCK_PTHREAD_SPIN, LOCK_TAS, LOCK_TTAS, LOCK_TICKET, LOCK_MCS };
static const char *const lock_names[] = {"pthread_mutex", "pthread_spin", "tas",
                                         "ttas",          "ticket",       "mcs"};

struct locks {
    enum lock_kind kind;
    pthread_mutex_t mutex;
    pthread_spinlock_t spin;
    struct spin_tas tas;
    struct spin_ttas ttas;
    struct spin_ticket ticket;
    struct spin_mcs mcs;
    /* The critical section's data, on a line of its own; written only under the lock. */
    _Alignas(64) uint64_t counter;
    uint64_t release_ns; /* lock_handoff: when the last holder unlocked (0: nobody yet) */
    unsigned owner;      /* lock_handoff: which thread that was */
};

static void
lock_acquire(struct locks *l, struct spin_mcs_node *node)
{
    switch (l->kind) {
    case LOCK_MUTEX:
        pthread_mutex_lock(&l->mutex);
        break;
    case LOCK_PTHREAD_SPIN:
        pthread_spin_lock(&l->spin);
        break;
    case LOCK_TAS:
        spin_tas_lock(&l->tas);
        break;
    case LOCK_TTAS:
        spin_ttas_lock(&l->ttas);
        break;
    case LOCK_TICKET:
        spin_ticket_lock(&l->ticket);
        break;
    case LOCK_MCS:
        spin_mcs_lock(&l->mcs, node);
        break;
    }
}

static void
lock_release(struct locks *l, struct spin_mcs_node *node)
{
    switch (l->kind) {
    case LOCK_MUTEX:
        pthread_mutex_unlock(&l->mutex);
        break;
    case LOCK_PTHREAD_SPIN:
        pthread_spin_unlock(&l->spin);
        break;
    case LOCK_TAS:
        spin_tas_unlock(&l->tas);
        break;
    case LOCK_TTAS:
        spin_ttas_unlock(&l->ttas);
        break;
    case LOCK_TICKET:
        spin_ticket_unlock(&l->ticket);
        break;
    case LOCK_MCS:
        spin_mcs_unlock(&l->mcs, node);
        break;
    }
}

/* The throughput loop calls each lock directly (as it did before the latency rows were added,
 * and as bench_ck's does), so that no call or switch sits between a release and an acquire. */
static uint64_t
lock_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    (void)thread;
    struct locks *l = ctx;
    struct spin_mcs_node node;
    uint64_t done = 0;
    while (!bench_should_stop(run)) {
        switch (l->kind) {
        case LOCK_MUTEX:
            pthread_mutex_lock(&l->mutex);
            l->counter++;
            pthread_mutex_unlock(&l->mutex);
            break;
        case LOCK_PTHREAD_SPIN:
            pthread_spin_lock(&l->spin);
            l->counter++;
            pthread_spin_unlock(&l->spin);
            break;
        case LOCK_TAS:
            spin_tas_lock(&l->tas);
            l->counter++;
            spin_tas_unlock(&l->tas);
            break;
        case LOCK_TTAS:
            spin_ttas_lock(&l->ttas);
            l->counter++;
            spin_ttas_unlock(&l->ttas);
            break;
        case LOCK_TICKET:
            spin_ticket_lock(&l->ticket);
            l->counter++;
            spin_ticket_unlock(&l->ticket);
            break;
        case LOCK_MCS:
            spin_mcs_lock(&l->mcs, &node);
            l->counter++;
            spin_mcs_unlock(&l->mcs, &node);
            break;
        }
        done++;
    }
    return done;
}

/* lock_handoff: the holder notes who it is and when it unlocks; the next holder, if it is
 * another thread, records the gap. Both clock reads are inside the critical section. */
static uint64_t
handoff_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct locks *l = ctx;
    struct spin_mcs_node node;
    uint64_t done = 0;
    while (!bench_should_stop(run)) {
        lock_acquire(l, &node);
        uint64_t now_ns = kh_clock_now_ns();
        if (l->owner != thread && l->release_ns != 0) {
            kh_hist_record(&bench_hists[thread], now_ns - l->release_ns);
        }
        l->owner = thread;
        l->counter++;
        l->release_ns = kh_clock_now_ns();
        lock_release(l, &node);
        done++;
    }
    return done;
}

static void
locks_init(struct locks *l, enum lock_kind kind)
{
    memset(l, 0, sizeof(*l));
    l->kind = kind;
    pthread_mutex_init(&l->mutex, NULL);
    pthread_spin_init(&l->spin, PTHREAD_PROCESS_PRIVATE);
    spin_tas_init(&l->tas);
    spin_ttas_init(&l->ttas);
    spin_ticket_init(&l->ticket);
    spin_mcs_init(&l->mcs);
}

int
main(int argc, char **argv)
{
    struct bench_options opt = bench_parse_options(argc, argv);
    struct kh_csv csv;
    bench_csv_open(&csv);
    static struct locks l;
    for (size_t k = 0; k < KH_ARRAY_LEN(lock_names); k++) {
        for (size_t t = 0; t < KH_ARRAY_LEN(bench_thread_counts); t++) {
            unsigned threads = bench_thread_counts[t];
            if (!bench_is_selected(&opt, lock_names[k], threads)) {
                continue;
            }
            uint64_t best_items = 0;
            uint64_t best_ns = 1;
            for (unsigned r = 0; r < bench_repeats_for(&opt, threads); r++) {
                locks_init(&l, (enum lock_kind)k);
                uint64_t ns = 0;
                uint64_t items = bench_run_timed(threads, opt.duration_ms, lock_body, &l, &ns);
                bench_expect(l.counter, items, lock_names[k]);
                if ((double)items / (double)ns > (double)best_items / (double)best_ns) {
                    best_items = items;
                    best_ns = ns;
                }
            }
            bench_csv_row(&csv, lock_names[k], "lock", threads, best_items, best_ns);
        }
    }
    for (size_t k = 0; k < KH_ARRAY_LEN(lock_names); k++) {
        for (size_t t = 1; t < KH_ARRAY_LEN(bench_thread_counts); t++) { /* from 2 */
            unsigned threads = bench_thread_counts[t];
            if (!bench_is_selected(&opt, lock_names[k], threads)) {
                continue;
            }
            locks_init(&l, (enum lock_kind)k);
            bench_hists_reset();
            uint64_t ns = 0;
            uint64_t items =
                bench_run_timed(threads, opt.latency_duration_ms, handoff_body, &l, &ns);
            bench_expect(l.counter, items, lock_names[k]);
            struct kh_hist all;
            bench_hists_merge(&all);
            bench_csv_latency_row(&csv, lock_names[k], "lock_handoff", threads, &all, ns);
        }
    }
    return 0;
}
