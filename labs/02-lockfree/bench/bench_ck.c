/* bench_ck.c -- the peer: ConcurrencyKit (libck-dev) on lab 02's workloads, with the same
 * CSV rows as bench_locks and bench_queues (bench_common.h): ck_spinlock's FAS, ticket and MCS
 * locks; ck_stack and ck_fifo_mpmc in the pairs workload; ck_ring SPSC and MPMC in the
 * transfer workload. Built only where ck's headers are installed (lab.mk). ck's structures are
 * intrusive and never free: entries are preallocated per thread and recycled, which is the
 * way ck intends them to be used (generation counters stand in for reclamation). The
 * lock_paired, pairs_paired and transfer_paired rows put the lab's ticket and MCS locks,
 * Treiber stack, MS queue and rings beside ck's in this one process, for the targets
 * (paired_rows, paired_transfer_rows). Then the latency workloads
 * of bench_common.h: lock_handoff, pairs_latency, transfer_latency. */
#include "bench_common.h"
#include "ebr.h"
#include "msqueue.h"
#include "ring.h"
#include "spinlock.h"
#include "stack.h"

#include <ck_fifo.h>
#include <ck_ring.h>
#include <ck_spinlock.h>
#include <ck_stack.h>

#define RING_SLOTS 1024u
#define ENTRIES_PER_THREAD 4u /* a pairs thread holds at most one entry out at a time */

/* Entries on cache lines of their own, as malloc'd nodes of different threads mostly are in
 * bench_queues: packed 8-byte entries of two threads would share a line and make ck look slower
 * than it is. */
struct stack_entry {
    _Alignas(64) ck_stack_entry_t entry; /* first: an entry's address is its stack_entry's */
    uint64_t value; /* ck_stack entries carry no value; ours do, so this one carries one */
};
struct fifo_entry {
    _Alignas(64) ck_fifo_mpmc_entry_t entry;
};

enum kind { CK_FAS, CK_TICKET, CK_MCS, CK_STACK, CK_FIFO_MPMC, CK_RING_SPSC, CK_RING_MPMC };
static const char *const kind_names[] = {"ck_fas",       "ck_ticket",    "ck_mcs",      "ck_stack",
                                         "ck_fifo_mpmc", "ck_ring_spsc", "ck_ring_mpmc"};

/* Every structure under test, ck's and ours, starts on a page of its own (BENCH_PAGE_BYTES),
 * so that the two sides of a paired row sit at the same place in their pages whatever order the
 * linker gives the static structs. Placement moved these rows more than any code did: with ck's
 * ring wherever the struct put it, ck's SPSC ring moved 52-82 M items a second in most processes
 * and up to 149 M in others, and 39-53 M in an LTO build, and 64 bytes of padding in front of it
 * (which moved both structs) took our ticket lock from 6-7 M to 14.6 M handoffs a second. We did
 * not pin the causes down (4K aliasing with other hot data, the adjacent-line prefetcher's
 * 128-byte pairs); a page each takes them out of the comparison. */
#define BENCH_PAGE_BYTES 4096

struct peer {
    enum kind kind;
    _Alignas(BENCH_PAGE_BYTES) ck_spinlock_fas_t fas; /* one lock is used per run */
    ck_spinlock_ticket_t ticket;
    ck_spinlock_mcs_t mcs;
    _Alignas(64) uint64_t counter;
    uint64_t release_ns; /* lock_handoff, as in bench_locks */
    unsigned owner;
    _Alignas(BENCH_PAGE_BYTES) ck_stack_t stack;
    struct stack_entry stack_entries[BENCH_THREADS_MAX * ENTRIES_PER_THREAD];
    _Alignas(BENCH_PAGE_BYTES) ck_fifo_mpmc_t fifo;
    struct fifo_entry fifo_entries[BENCH_THREADS_MAX * ENTRIES_PER_THREAD + 1];
    _Alignas(BENCH_PAGE_BYTES) ck_ring_t ring;
    /* Aligned: ck_ring_t ends with size and mask, which both sides read on every call; a
     * buffer packed right after them would put the first slots on that line. */
    _Alignas(64) ck_ring_buffer_t ring_buffer[RING_SLOTS];
};

static _Atomic uint64_t bench_sink; /* where pairs_body leaves its sum */

static void
peer_init(struct peer *p, enum kind kind)
{
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    ck_spinlock_fas_init(&p->fas);
    ck_spinlock_ticket_init(&p->ticket);
    ck_spinlock_mcs_init(&p->mcs);
    ck_stack_init(&p->stack);
    ck_fifo_mpmc_init(&p->fifo, &p->fifo_entries[BENCH_THREADS_MAX * ENTRIES_PER_THREAD].entry);
    ck_ring_init(&p->ring, RING_SLOTS);
}

static void
lock_acquire(struct peer *p, struct ck_spinlock_mcs *node)
{
    if (p->kind == CK_FAS) {
        ck_spinlock_fas_lock(&p->fas);
    } else if (p->kind == CK_TICKET) {
        ck_spinlock_ticket_lock(&p->ticket);
    } else {
        ck_spinlock_mcs_lock(&p->mcs, node);
    }
}

static void
lock_release(struct peer *p, struct ck_spinlock_mcs *node)
{
    if (p->kind == CK_FAS) {
        ck_spinlock_fas_unlock(&p->fas);
    } else if (p->kind == CK_TICKET) {
        ck_spinlock_ticket_unlock(&p->ticket);
    } else {
        ck_spinlock_mcs_unlock(&p->mcs, node);
    }
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

/* The lab's structures for the paired rows: its ticket and MCS locks in the loop of
 * bench_locks (and of lock_body above), its Treiber stack and MS queue in the pairs loop of
 * bench_queues. */
struct ours {
    enum kind kind;                                       /* the ck structure it stands beside */
    _Alignas(BENCH_PAGE_BYTES) struct spin_ticket ticket; /* pages as in struct peer */
    struct spin_mcs mcs;
    _Alignas(64) uint64_t counter;
    _Alignas(BENCH_PAGE_BYTES) struct ebr domain;
    _Alignas(BENCH_PAGE_BYTES) struct stack stack;
    _Alignas(BENCH_PAGE_BYTES) struct msqueue queue;
    _Alignas(BENCH_PAGE_BYTES) struct ring_spsc spsc;
    _Alignas(64) uint64_t spsc_slots[RING_SLOTS]; /* as in bench_queues */
    _Alignas(BENCH_PAGE_BYTES) struct ring_mpmc mpmc;
    _Alignas(64) struct ring_mpmc_slot mpmc_slots[RING_SLOTS];
};

static void
ours_init(struct ours *o, enum kind kind)
{
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    spin_ticket_init(&o->ticket);
    spin_mcs_init(&o->mcs);
    ebr_init(&o->domain);
    stack_init(&o->stack, &o->domain);
    if (msqueue_init(&o->queue, &o->domain) != MSQUEUE_OK ||
        ring_spsc_init(&o->spsc, o->spsc_slots, RING_SLOTS) != RING_OK ||
        ring_mpmc_init(&o->mpmc, o->mpmc_slots, RING_SLOTS) != RING_OK) {
        fprintf(stderr, "bench_ck: the lab's structures did not initialise\n");
        exit(1);
    }
}

static void
ours_destroy(struct ours *o)
{
    stack_destroy(&o->stack);
    msqueue_destroy(&o->queue);
    ebr_destroy(&o->domain);
}

static uint64_t
ours_lock_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    (void)thread;
    struct ours *o = ctx;
    struct spin_mcs_node node;
    uint64_t done = 0;
    while (!bench_should_stop(run)) {
        if (o->kind == CK_MCS) {
            spin_mcs_lock(&o->mcs, &node);
            o->counter++;
            spin_mcs_unlock(&o->mcs, &node);
        } else {
            spin_ticket_lock(&o->ticket);
            o->counter++;
            spin_ticket_unlock(&o->ticket);
        }
        done++;
    }
    return done;
}

static uint64_t
ours_pairs_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct ours *o = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&o->domain, &t) != EBR_OK) {
        fprintf(stderr, "bench_ck: no EBR slot\n");
        exit(1);
    }
    uint64_t v = (uint64_t)thread << 40, got = 0, pairs = 0;
    if (o->kind == CK_STACK) {
        for (; !bench_should_stop(run); pairs++) {
            while (stack_push(&o->stack, t, v++) != STACK_OK) {
            }
            while (stack_pop(&o->stack, t, &got) != STACK_OK) {
            }
        }
    } else {
        for (; !bench_should_stop(run); pairs++) {
            while (msqueue_enqueue(&o->queue, t, v++) != MSQUEUE_OK) {
            }
            while (msqueue_dequeue(&o->queue, t, &got) != MSQUEUE_OK) {
            }
        }
    }
    ebr_unregister(t);
    bench_sink = got;
    return pairs;
}

/* lock_handoff, exactly as bench_locks measures it. */
static uint64_t
handoff_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct peer *p = ctx;
    struct ck_spinlock_mcs node;
    uint64_t done = 0;
    while (!bench_should_stop(run)) {
        lock_acquire(p, &node);
        uint64_t now_ns = kh_clock_now_ns();
        if (p->owner != thread && p->release_ns != 0) {
            kh_hist_record(&bench_hists[thread], now_ns - p->release_ns);
        }
        p->owner = thread;
        p->counter++;
        p->release_ns = kh_clock_now_ns();
        lock_release(p, &node);
        done++;
    }
    return done;
}

static uint64_t
pairs_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct peer *p = ctx;
    struct stack_entry *stack_entry = &p->stack_entries[thread * ENTRIES_PER_THREAD];
    ck_fifo_mpmc_entry_t *fifo_entry = &p->fifo_entries[thread * ENTRIES_PER_THREAD].entry;
    uint64_t pairs = 0;
    uint64_t sum = 0; /* of the values popped, so that reading them is not optimized away */
    while (!bench_should_stop(run)) {
        if (p->kind == CK_STACK) {
            stack_entry->value = pairs;
            ck_stack_push_mpmc(&p->stack, &stack_entry->entry);
            ck_stack_entry_t *popped;
            while ((popped = ck_stack_pop_mpmc(&p->stack)) == NULL) {
            }
            stack_entry = (struct stack_entry *)popped;
            sum += stack_entry->value;
        } else {
            ck_fifo_mpmc_enqueue(&p->fifo, fifo_entry, (void *)(uintptr_t)pairs);
            void *value = NULL;
            while (!ck_fifo_mpmc_dequeue(&p->fifo, &value, &fifo_entry)) {
            }
            sum += (uint64_t)(uintptr_t)value;
        }
        pairs++;
    }
    bench_sink = sum;
    return pairs;
}

static void
transfer_produce(void *ctx, uint64_t items)
{
    struct peer *p = ctx;
    for (uint64_t i = 0; i < items; i++) {
        void *v = (void *)(uintptr_t)(i + 1);
        if (p->kind == CK_RING_SPSC) {
            for (uint32_t spin = 0; !ck_ring_enqueue_spsc(&p->ring, p->ring_buffer, v); spin++) {
                bench_wait(spin);
            }
        } else {
            for (uint32_t spin = 0; !ck_ring_enqueue_mpmc(&p->ring, p->ring_buffer, v); spin++) {
                bench_wait(spin);
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
            for (uint32_t spin = 0; !ck_ring_dequeue_spsc(&p->ring, p->ring_buffer, &v); spin++) {
                bench_wait(spin);
            }
        } else {
            for (uint32_t spin = 0; !ck_ring_dequeue_mpmc(&p->ring, p->ring_buffer, &v); spin++) {
                bench_wait(spin);
            }
        }
        bench_expect((uint64_t)(uintptr_t)v, i + 1, kind_names[p->kind]);
    }
}

/* The lab's rings in the transfer, as bench_queues runs them. */
static void
ours_transfer_produce(void *ctx, uint64_t items)
{
    struct ours *o = ctx;
    for (uint64_t i = 0; i < items; i++) {
        if (o->kind == CK_RING_SPSC) {
            for (uint32_t spin = 0; ring_spsc_try_push(&o->spsc, i) != RING_OK; spin++) {
                bench_wait(spin);
            }
        } else {
            for (uint32_t spin = 0; ring_mpmc_try_push(&o->mpmc, i) != RING_OK; spin++) {
                bench_wait(spin);
            }
        }
    }
}

static void
ours_transfer_consume(void *ctx, uint64_t items)
{
    struct ours *o = ctx;
    for (uint64_t i = 0; i < items; i++) {
        uint64_t v = 0;
        if (o->kind == CK_RING_SPSC) {
            for (uint32_t spin = 0; ring_spsc_try_pop(&o->spsc, &v) != RING_OK; spin++) {
                bench_wait(spin);
            }
        } else {
            for (uint32_t spin = 0; ring_mpmc_try_pop(&o->mpmc, &v) != RING_OK; spin++) {
                bench_wait(spin);
            }
        }
        bench_expect(v, i, o->kind == CK_RING_SPSC ? "ring_spsc" : "ring_mpmc");
    }
}

/* pairs_latency and transfer_latency, as bench_queues measures them. */
static uint64_t
pairs_latency_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct peer *p = ctx;
    struct stack_entry *stack_entry = &p->stack_entries[thread * ENTRIES_PER_THREAD];
    ck_fifo_mpmc_entry_t *fifo_entry = &p->fifo_entries[thread * ENTRIES_PER_THREAD].entry;
    uint64_t pairs = 0;
    uint64_t now_ns = kh_clock_now_ns();
    for (; !bench_should_stop(run); pairs++) {
        uint64_t pushed_ns = 0;
        if (p->kind == CK_STACK) {
            stack_entry->value = now_ns;
            ck_stack_push_mpmc(&p->stack, &stack_entry->entry);
            ck_stack_entry_t *popped;
            for (uint32_t spin = 0; (popped = ck_stack_pop_mpmc(&p->stack)) == NULL; spin++) {
                bench_wait(spin);
            }
            stack_entry = (struct stack_entry *)popped;
            pushed_ns = stack_entry->value;
        } else {
            ck_fifo_mpmc_enqueue(&p->fifo, fifo_entry, (void *)(uintptr_t)now_ns);
            void *value = NULL;
            for (uint32_t spin = 0; !ck_fifo_mpmc_dequeue(&p->fifo, &value, &fifo_entry); spin++) {
                bench_wait(spin);
            }
            pushed_ns = (uint64_t)(uintptr_t)value;
        }
        now_ns = kh_clock_now_ns();
        kh_hist_record(&bench_hists[thread], now_ns - pushed_ns);
    }
    return pairs;
}

static void
latency_produce(void *ctx, uint64_t items)
{
    struct peer *p = ctx;
    uint64_t deadline_ns = kh_clock_now_ns();
    for (uint64_t i = 0; i < items; i++) {
        deadline_ns += BENCH_LATENCY_PACE_NS;
        void *v = (void *)(uintptr_t)bench_wait_until(deadline_ns);
        if (p->kind == CK_RING_SPSC) {
            for (uint32_t spin = 0; !ck_ring_enqueue_spsc(&p->ring, p->ring_buffer, v); spin++) {
                bench_wait(spin);
            }
        } else {
            for (uint32_t spin = 0; !ck_ring_enqueue_mpmc(&p->ring, p->ring_buffer, v); spin++) {
                bench_wait(spin);
            }
        }
    }
}

static void
latency_consume(void *ctx, uint64_t items)
{
    struct peer *p = ctx;
    for (uint64_t i = 0; i < items; i++) {
        void *v = NULL;
        if (p->kind == CK_RING_SPSC) {
            for (uint32_t spin = 0; !ck_ring_dequeue_spsc(&p->ring, p->ring_buffer, &v); spin++) {
                bench_wait(spin);
            }
        } else {
            for (uint32_t spin = 0; !ck_ring_dequeue_mpmc(&p->ring, p->ring_buffer, &v); spin++) {
                bench_wait(spin);
            }
        }
        kh_hist_record(&bench_hists[0], kh_clock_now_ns() - (uint64_t)(uintptr_t)v);
    }
}

static void
latency_rows(struct kh_csv *csv, const struct bench_options *opt, struct peer *p, enum kind kind,
             const char *workload,
             uint64_t (*body_cb)(struct bench_timed *run, unsigned thread, void *ctx))
{
    size_t first = strcmp(workload, "lock_handoff") == 0 ? 1 : 0; /* a handoff needs 2 */
    for (size_t t = first; t < KH_ARRAY_LEN(bench_thread_counts); t++) {
        if (!bench_is_selected(opt, kind_names[kind], bench_thread_counts[t])) {
            continue;
        }
        peer_init(p, kind);
        bench_hists_reset();
        uint64_t ns = 0;
        bench_run_timed(bench_thread_counts[t], opt->latency_duration_ms, body_cb, p, &ns);
        struct kh_hist all;
        bench_hists_merge(&all);
        bench_csv_latency_row(csv, kind_names[kind], workload, bench_thread_counts[t], &all, ns);
    }
}

static void
timed_rows(struct kh_csv *csv, const struct bench_options *opt, struct peer *p, enum kind kind,
           const char *workload,
           uint64_t (*body_cb)(struct bench_timed *run, unsigned thread, void *ctx))
{
    for (size_t t = 0; t < KH_ARRAY_LEN(bench_thread_counts); t++) {
        if (!bench_is_selected(opt, kind_names[kind], bench_thread_counts[t])) {
            continue;
        }
        uint64_t best_items = 0;
        uint64_t best_ns = 1;
        for (unsigned r = 0; r < bench_repeats_for(opt, bench_thread_counts[t]); r++) {
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

/* Which side try r of a paired row runs: ck's (0) or ours (1), in the order ck, ours, ours,
 * ck, ..., so that neither always goes first. */
static unsigned
paired_side(unsigned r)
{
    return (r % 4 == 1 || r % 4 == 2) ? 1 : 0;
}

/* Workloads lock_paired and pairs_paired: ck's structure and the lab's (named ours_name) at
 * the targets' point, one thread per core, tried in turns in this one process (ck, ours, ours,
 * ck, ...), keeping each one's best try. The rows of bench_locks or bench_queues and those of
 * this file run a minute apart, and the other tenants of a shared machine change its speed in
 * between; tries in turns see the same machine. */
static void
paired_rows(struct kh_csv *csv, const struct bench_options *opt, struct peer *p, enum kind kind,
            const char *ours_name, const char *workload,
            uint64_t (*ck_body)(struct bench_timed *run, unsigned thread, void *ctx),
            uint64_t (*ours_body)(struct bench_timed *run, unsigned thread, void *ctx))
{
    const unsigned threads = BENCH_TARGET_THREADS;
    if (!bench_is_selected(opt, kind_names[kind], threads) &&
        !bench_is_selected(opt, ours_name, threads)) {
        return;
    }
    static struct ours o;
    uint64_t best_items[2] = {0, 0}, best_ns[2] = {1, 1}; /* [0]: ck's, [1]: ours */
    for (unsigned r = 0; r < 2 * bench_repeats_for(opt, threads); r++) {
        unsigned side = paired_side(r);
        uint64_t ns = 0, items;
        if (side == 0) {
            peer_init(p, kind);
            items = bench_run_timed(threads, opt->duration_ms, ck_body, p, &ns);
        } else {
            ours_init(&o, kind);
            items = bench_run_timed(threads, opt->duration_ms, ours_body, &o, &ns);
            ours_destroy(&o);
        }
        if ((double)items / (double)ns > (double)best_items[side] / (double)best_ns[side]) {
            best_items[side] = items;
            best_ns[side] = ns;
        }
    }
    bench_csv_row(csv, ours_name, workload, threads, best_items[1], best_ns[1]);
    bench_csv_row(csv, kind_names[kind], workload, threads, best_items[0], best_ns[0]);
}

/* Workload transfer_paired: ck's ring and the lab's (ours_name) moving the transfer's items,
 * tried in turns as in paired_rows, keeping each one's fastest. */
static void
paired_transfer_rows(struct kh_csv *csv, const struct bench_options *opt, struct peer *p,
                     enum kind kind, const char *ours_name)
{
    if (!bench_is_selected(opt, kind_names[kind], 2) && !bench_is_selected(opt, ours_name, 2)) {
        return;
    }
    static struct ours o;
    uint64_t best_ns[2] = {UINT64_MAX, UINT64_MAX}; /* [0]: ck's, [1]: ours */
    for (unsigned r = 0; r < 2 * opt->transfer_repeats; r++) {
        unsigned side = paired_side(r);
        uint64_t ns;
        if (side == 0) {
            peer_init(p, kind);
            ns = bench_run_transfer(p, opt->transfer_items, transfer_produce, transfer_consume);
        } else {
            ours_init(&o, kind);
            ns = bench_run_transfer(&o, opt->transfer_items, ours_transfer_produce,
                                    ours_transfer_consume);
            ours_destroy(&o);
        }
        best_ns[side] = ns < best_ns[side] ? ns : best_ns[side];
    }
    bench_csv_row(csv, ours_name, "transfer_paired", 2, opt->transfer_items, best_ns[1]);
    bench_csv_row(csv, kind_names[kind], "transfer_paired", 2, opt->transfer_items, best_ns[0]);
}

int
main(int argc, char **argv)
{
    struct bench_options opt = bench_parse_options(argc, argv);
    struct kh_csv csv;
    bench_csv_open(&csv);
    static struct peer p;
    timed_rows(&csv, &opt, &p, CK_FAS, "lock", lock_body);
    timed_rows(&csv, &opt, &p, CK_TICKET, "lock", lock_body);
    timed_rows(&csv, &opt, &p, CK_MCS, "lock", lock_body);
    paired_rows(&csv, &opt, &p, CK_TICKET, "ticket", "lock_paired", lock_body, ours_lock_body);
    paired_rows(&csv, &opt, &p, CK_MCS, "mcs", "lock_paired", lock_body, ours_lock_body);
    timed_rows(&csv, &opt, &p, CK_STACK, "pairs", pairs_body);
    timed_rows(&csv, &opt, &p, CK_FIFO_MPMC, "pairs", pairs_body);
    paired_rows(&csv, &opt, &p, CK_STACK, "treiber_stack", "pairs_paired", pairs_body,
                ours_pairs_body);
    paired_rows(&csv, &opt, &p, CK_FIFO_MPMC, "ms_queue", "pairs_paired", pairs_body,
                ours_pairs_body);
    const enum kind transfer_kinds[] = {CK_RING_SPSC, CK_RING_MPMC};
    for (size_t k = 0; k < KH_ARRAY_LEN(transfer_kinds); k++) {
        if (!bench_is_selected(&opt, kind_names[transfer_kinds[k]], 2)) {
            continue;
        }
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
    paired_transfer_rows(&csv, &opt, &p, CK_RING_SPSC, "ring_spsc");
    paired_transfer_rows(&csv, &opt, &p, CK_RING_MPMC, "ring_mpmc");
    latency_rows(&csv, &opt, &p, CK_FAS, "lock_handoff", handoff_body);
    latency_rows(&csv, &opt, &p, CK_TICKET, "lock_handoff", handoff_body);
    latency_rows(&csv, &opt, &p, CK_MCS, "lock_handoff", handoff_body);
    latency_rows(&csv, &opt, &p, CK_STACK, "pairs_latency", pairs_latency_body);
    latency_rows(&csv, &opt, &p, CK_FIFO_MPMC, "pairs_latency", pairs_latency_body);
    uint64_t items = (uint64_t)opt.latency_duration_ms * 1000000u / BENCH_LATENCY_PACE_NS;
    for (size_t k = 0; k < KH_ARRAY_LEN(transfer_kinds); k++) {
        if (!bench_is_selected(&opt, kind_names[transfer_kinds[k]], 2)) {
            continue;
        }
        peer_init(&p, transfer_kinds[k]);
        bench_hists_reset();
        uint64_t ns = bench_run_transfer(&p, items, latency_produce, latency_consume);
        struct kh_hist all;
        bench_hists_merge(&all);
        bench_csv_latency_row(&csv, kind_names[transfer_kinds[k]], "transfer_latency", 2, &all, ns);
    }
    return 0;
}
