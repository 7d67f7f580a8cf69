/* bench_ck.c -- the peer: ConcurrencyKit (libck-dev) on lab 02's workloads, with the same
 * CSV rows as bench_locks and bench_queues (bench_common.h): ck_spinlock's FAS, ticket and MCS
 * locks; ck_stack and ck_fifo_mpmc in the pairs workload; ck_ring SPSC and MPMC in the
 * transfer workload. Built only where ck's headers are installed (lab.mk). ck's structures are
 * intrusive and never free: entries are preallocated per thread and recycled, which is the
 * way ck intends them to be used (generation counters stand in for reclamation). */
#include "bench_common.h"

#include <ck_fifo.h>
#include <ck_ring.h>
#include <ck_spinlock.h>
#include <ck_stack.h>

#define RING_SLOTS 1024u
#define ENTRIES_PER_THREAD 4u /* a pairs thread holds at most one entry out at a time */

enum kind { CK_FAS, CK_TICKET, CK_MCS, CK_STACK, CK_FIFO_MPMC, CK_RING_SPSC, CK_RING_MPMC };
static const char *const kind_names[] = {"ck_fas",       "ck_ticket",    "ck_mcs",      "ck_stack",
                                         "ck_fifo_mpmc", "ck_ring_spsc", "ck_ring_mpmc"};

struct peer {
    enum kind kind;
    ck_spinlock_fas_t fas;
    ck_spinlock_ticket_t ticket;
    ck_spinlock_mcs_t mcs;
    _Alignas(64) uint64_t counter;
    _Alignas(64) ck_stack_t stack;
    _Alignas(64) ck_fifo_mpmc_t fifo;
    ck_fifo_mpmc_entry_t fifo_entries[BENCH_THREADS_MAX * ENTRIES_PER_THREAD + 1];
    ck_stack_entry_t stack_entries[BENCH_THREADS_MAX * ENTRIES_PER_THREAD];
    _Alignas(64) ck_ring_t ring;
    ck_ring_buffer_t ring_buffer[RING_SLOTS];
};

static void
peer_init(struct peer *p, enum kind kind)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    ck_spinlock_fas_init(&p->fas);
    ck_spinlock_ticket_init(&p->ticket);
    ck_spinlock_mcs_init(&p->mcs);
    ck_stack_init(&p->stack);
    ck_fifo_mpmc_init(&p->fifo, &p->fifo_entries[BENCH_THREADS_MAX * ENTRIES_PER_THREAD]);
    ck_ring_init(&p->ring, RING_SLOTS);
}

static uint64_t
lock_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    (void)thread;
    struct peer *p = ctx;
    struct ck_spinlock_mcs node;
    uint64_t done = 0;
    while (!bench_should_stop(run)) {
        if (p->kind == CK_FAS) {
            ck_spinlock_fas_lock(&p->fas);
            p->counter++;
            ck_spinlock_fas_unlock(&p->fas);
        } else if (p->kind == CK_TICKET) {
            ck_spinlock_ticket_lock(&p->ticket);
            p->counter++;
            ck_spinlock_ticket_unlock(&p->ticket);
        } else {
            ck_spinlock_mcs_lock(&p->mcs, &node);
            p->counter++;
            ck_spinlock_mcs_unlock(&p->mcs, &node);
        }
        done++;
    }
    return done;
}

static uint64_t
pairs_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct peer *p = ctx;
    ck_stack_entry_t *stack_entry = &p->stack_entries[thread * ENTRIES_PER_THREAD];
    ck_fifo_mpmc_entry_t *fifo_entry = &p->fifo_entries[thread * ENTRIES_PER_THREAD];
    uint64_t pairs = 0;
    while (!bench_should_stop(run)) {
        if (p->kind == CK_STACK) {
            ck_stack_push_mpmc(&p->stack, stack_entry);
            while ((stack_entry = ck_stack_pop_mpmc(&p->stack)) == NULL) {
            }
        } else {
            ck_fifo_mpmc_enqueue(&p->fifo, fifo_entry, (void *)(uintptr_t)pairs);
            void *value = NULL;
            while (!ck_fifo_mpmc_dequeue(&p->fifo, &value, &fifo_entry)) {
            }
        }
        pairs++;
    }
    return pairs;
}

static void
transfer_produce(void *ctx, uint64_t items)
{
    struct peer *p = ctx;
    for (uint64_t i = 0; i < items; i++) {
        void *v = (void *)(uintptr_t)(i + 1);
        if (p->kind == CK_RING_SPSC) {
            while (!ck_ring_enqueue_spsc(&p->ring, p->ring_buffer, v)) {
            }
        } else {
            while (!ck_ring_enqueue_mpmc(&p->ring, p->ring_buffer, v)) {
            }
        }
    }
}

static void
transfer_consume(void *ctx, uint64_t items)
{
    struct peer *p = ctx;
    for (uint64_t i = 0; i < items; i++) {
        void *v = NULL;
        if (p->kind == CK_RING_SPSC) {
            while (!ck_ring_dequeue_spsc(&p->ring, p->ring_buffer, &v)) {
            }
        } else {
            while (!ck_ring_dequeue_mpmc(&p->ring, p->ring_buffer, &v)) {
            }
        }
        bench_expect((uint64_t)(uintptr_t)v, i + 1, kind_names[p->kind]);
    }
}

static void
timed_rows(struct csv *csv, const struct bench_options *opt, struct peer *p, enum kind kind,
           const char *workload,
           uint64_t (*body_cb)(struct bench_timed *run, unsigned thread, void *ctx))
{
    for (size_t t = 0; t < HARNESS_ARRAY_LEN(bench_thread_counts); t++) {
        uint64_t best_items = 0;
        uint64_t best_ns = 1;
        for (unsigned r = 0; r < opt->repeats; r++) {
            peer_init(p, kind);
            uint64_t ns = 0;
            uint64_t items =
                bench_run_timed(bench_thread_counts[t], opt->duration_ms, body_cb, p, &ns);
            if ((double)items / (double)ns > (double)best_items / (double)best_ns) {
                best_items = items;
                best_ns = ns;
            }
        }
        bench_csv_row(csv, kind_names[kind], workload, bench_thread_counts[t], best_items, best_ns);
    }
}

int
main(int argc, char **argv)
{
    struct bench_options opt = bench_parse_options(argc, argv);
    struct csv csv;
    bench_csv_open(&csv);
    static struct peer p;
    timed_rows(&csv, &opt, &p, CK_FAS, "lock", lock_body);
    timed_rows(&csv, &opt, &p, CK_TICKET, "lock", lock_body);
    timed_rows(&csv, &opt, &p, CK_MCS, "lock", lock_body);
    timed_rows(&csv, &opt, &p, CK_STACK, "pairs", pairs_body);
    timed_rows(&csv, &opt, &p, CK_FIFO_MPMC, "pairs", pairs_body);
    const enum kind transfer_kinds[] = {CK_RING_SPSC, CK_RING_MPMC};
    for (size_t k = 0; k < HARNESS_ARRAY_LEN(transfer_kinds); k++) {
        uint64_t best_ns = UINT64_MAX;
        for (unsigned r = 0; r < opt.transfer_repeats; r++) {
            peer_init(&p, transfer_kinds[k]);
            uint64_t ns =
                bench_run_transfer(&p, opt.transfer_items, transfer_produce, transfer_consume);
            best_ns = ns < best_ns ? ns : best_ns;
        }
        bench_csv_row(&csv, kind_names[transfer_kinds[k]], "transfer", 2, opt.transfer_items,
                      best_ns);
    }
    return 0;
}
