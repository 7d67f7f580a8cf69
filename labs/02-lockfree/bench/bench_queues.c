/* bench_queues.c -- lab 02 parts C-E: throughput of the Treiber stack, the Michael-Scott
 * queue and the two rings, against a pthread mutex ring and a mutex+condvar ring (what lab 01's
 * thread pool uses). "pairs" runs 1-8 threads that each push then pop; "transfer" moves items
 * from one producer to one consumer. Then the same with timestamps for values: latency
 * percentiles from push to pop (pairs_latency) and from producer to consumer at a light load
 * (transfer_latency). Prints CSV (bench_common.h). Read main() first. */
#include "bench_common.h"
#include "ebr.h"
#include "msqueue.h"
#include "ring.h"
#include "stack.h"

#define RING_SLOTS 1024u

/* The baseline: a ring under one mutex, with condition variables for the blocking calls. */
struct mutex_ring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    uint64_t slots[RING_SLOTS];
    size_t head;
    size_t count;
};

static void
mutex_ring_init(struct mutex_ring *m)
{
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->not_empty, NULL);
    pthread_cond_init(&m->not_full, NULL);
    m->head = 0;
    m->count = 0;
}

static bool
mutex_ring_try_push(struct mutex_ring *m, uint64_t v)
{
    pthread_mutex_lock(&m->lock);
    bool ok = m->count < RING_SLOTS;
    if (ok) {
        m->slots[(m->head + m->count++) % RING_SLOTS] = v;
    }
    pthread_mutex_unlock(&m->lock);
    return ok;
}

static bool
mutex_ring_try_pop(struct mutex_ring *m, uint64_t *v)
{
    pthread_mutex_lock(&m->lock);
    bool ok = m->count > 0;
    if (ok) {
        *v = m->slots[m->head];
        m->head = (m->head + 1) % RING_SLOTS;
        m->count--;
    }
    pthread_mutex_unlock(&m->lock);
    return ok;
}

static void
mutex_ring_push(struct mutex_ring *m, uint64_t v)
{
    pthread_mutex_lock(&m->lock);
    while (m->count == RING_SLOTS) {
        pthread_cond_wait(&m->not_full, &m->lock);
    }
    m->slots[(m->head + m->count++) % RING_SLOTS] = v;
    pthread_cond_signal(&m->not_empty);
    pthread_mutex_unlock(&m->lock);
}

static uint64_t
mutex_ring_pop(struct mutex_ring *m)
{
    pthread_mutex_lock(&m->lock);
    while (m->count == 0) {
        pthread_cond_wait(&m->not_empty, &m->lock);
    }
    uint64_t v = m->slots[m->head];
    m->head = (m->head + 1) % RING_SLOTS;
    m->count--;
    pthread_cond_signal(&m->not_full);
    pthread_mutex_unlock(&m->lock);
    return v;
}

enum kind { TREIBER_STACK, MS_QUEUE, RING_MPMC, RING_SPSC, MUTEX_RING, MUTEX_CONDVAR_RING };
static const char *const kind_names[] = {"treiber_stack", "ms_queue",   "ring_mpmc",
                                         "ring_spsc",     "mutex_ring", "mutex_condvar_ring"};

struct subject {
    enum kind kind;
    struct ebr domain;
    struct stack stack;
    struct msqueue queue;
    struct ring_mpmc mpmc;
    _Alignas(64) struct ring_mpmc_slot mpmc_slots[RING_SLOTS]; /* slots start a cache line, */
    struct ring_spsc spsc;
    _Alignas(64) uint64_t spsc_slots[RING_SLOTS]; /* as ck's buffer does in bench_ck */
    _Alignas(64) struct mutex_ring mutex;
};

static void
subject_init(struct subject *s, enum kind kind)
{
    s->kind = kind;
    ebr_init(&s->domain);
    stack_init(&s->stack, &s->domain);
    if (msqueue_init(&s->queue, &s->domain) != MSQUEUE_OK ||
        ring_mpmc_init(&s->mpmc, s->mpmc_slots, RING_SLOTS) != RING_OK ||
        ring_spsc_init(&s->spsc, s->spsc_slots, RING_SLOTS) != RING_OK) {
        fprintf(stderr, "bench_queues: the structures did not initialise\n");
        exit(1);
    }
    mutex_ring_init(&s->mutex);
}

static void
subject_destroy(struct subject *s)
{
    stack_destroy(&s->stack);
    msqueue_destroy(&s->queue);
    ebr_destroy(&s->domain);
}

/* Each structure gets its own loop, with the push and pop called directly (no dispatch per
 * item), as bench_ck's loops call ck's inline functions: the two measure the same loop. */
static uint64_t
pairs_loop(struct subject *s, struct bench_timed *run, struct ebr_thread *t, uint64_t v)
{
    uint64_t pairs = 0;
    uint64_t got = 0;
    switch (s->kind) {
    case TREIBER_STACK:
        for (; !bench_should_stop(run); pairs++) {
            while (stack_push(&s->stack, t, v++) != STACK_OK) {
            }
            while (stack_pop(&s->stack, t, &got) != STACK_OK) {
            }
        }
        break;
    case MS_QUEUE:
        for (; !bench_should_stop(run); pairs++) {
            while (msqueue_enqueue(&s->queue, t, v++) != MSQUEUE_OK) {
            }
            while (msqueue_dequeue(&s->queue, t, &got) != MSQUEUE_OK) {
            }
        }
        break;
    case RING_MPMC:
        for (; !bench_should_stop(run); pairs++) {
            while (ring_mpmc_try_push(&s->mpmc, v++) != RING_OK) {
            }
            while (ring_mpmc_try_pop(&s->mpmc, &got) != RING_OK) {
            }
        }
        break;
    default:
        for (; !bench_should_stop(run); pairs++) {
            while (!mutex_ring_try_push(&s->mutex, v++)) {
            }
            while (!mutex_ring_try_pop(&s->mutex, &got)) {
            }
        }
        break;
    }
    return pairs;
}

static uint64_t
pairs_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct subject *s = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&s->domain, &t) != EBR_OK) {
        fprintf(stderr, "bench_queues: no EBR slot\n");
        exit(1);
    }
    uint64_t pairs = pairs_loop(s, run, t, (uint64_t)thread << 40);
    ebr_unregister(t);
    return pairs;
}

/* The transfer's two sides. The structure is chosen per item, as bench_ck's loops do: a
 * branch that always goes the same way, and the calls are direct. */
static void
transfer_produce(void *ctx, uint64_t items)
{
    struct subject *s = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&s->domain, &t) != EBR_OK) {
        exit(1);
    }
    for (uint64_t i = 0; i < items; i++) {
        switch (s->kind) {
        case RING_SPSC:
            for (uint32_t spin = 0; ring_spsc_try_push(&s->spsc, i) != RING_OK; spin++) {
                bench_wait(spin);
            }
            break;
        case RING_MPMC:
            for (uint32_t spin = 0; ring_mpmc_try_push(&s->mpmc, i) != RING_OK; spin++) {
                bench_wait(spin);
            }
            break;
        case MS_QUEUE:
            while (msqueue_enqueue(&s->queue, t, i) != MSQUEUE_OK) {
            }
            break;
        default:
            mutex_ring_push(&s->mutex, i);
            break;
        }
    }
    ebr_unregister(t);
}

static void
transfer_consume(void *ctx, uint64_t items)
{
    struct subject *s = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&s->domain, &t) != EBR_OK) {
        exit(1);
    }
    for (uint64_t i = 0; i < items; i++) {
        uint64_t v = 0;
        switch (s->kind) {
        case RING_SPSC:
            for (uint32_t spin = 0; ring_spsc_try_pop(&s->spsc, &v) != RING_OK; spin++) {
                bench_wait(spin);
            }
            break;
        case RING_MPMC:
            for (uint32_t spin = 0; ring_mpmc_try_pop(&s->mpmc, &v) != RING_OK; spin++) {
                bench_wait(spin);
            }
            break;
        case MS_QUEUE:
            for (uint32_t spin = 0; msqueue_dequeue(&s->queue, t, &v) != MSQUEUE_OK; spin++) {
                bench_wait(spin);
            }
            break;
        default:
            v = mutex_ring_pop(&s->mutex);
            break;
        }
        bench_expect(v, i, kind_names[s->kind]);
    }
    ebr_unregister(t);
}

/* ---- Latency: the same structures, with timestamps for values ---------------------------
 * Dispatch per call is fine here: a clock read per item costs more than the switch. */

static bool
subject_try_push(struct subject *s, struct ebr_thread *t, uint64_t v)
{
    switch (s->kind) {
    case TREIBER_STACK:
        return stack_push(&s->stack, t, v) == STACK_OK;
    case MS_QUEUE:
        return msqueue_enqueue(&s->queue, t, v) == MSQUEUE_OK;
    case RING_MPMC:
        return ring_mpmc_try_push(&s->mpmc, v) == RING_OK;
    case RING_SPSC:
        return ring_spsc_try_push(&s->spsc, v) == RING_OK;
    default:
        return mutex_ring_try_push(&s->mutex, v);
    }
}

static bool
subject_try_pop(struct subject *s, struct ebr_thread *t, uint64_t *v)
{
    switch (s->kind) {
    case TREIBER_STACK:
        return stack_pop(&s->stack, t, v) == STACK_OK;
    case MS_QUEUE:
        return msqueue_dequeue(&s->queue, t, v) == MSQUEUE_OK;
    case RING_MPMC:
        return ring_mpmc_try_pop(&s->mpmc, v) == RING_OK;
    case RING_SPSC:
        return ring_spsc_try_pop(&s->spsc, v) == RING_OK;
    default:
        return mutex_ring_try_pop(&s->mutex, v);
    }
}

/* pairs_latency: push the time, pop a value (a time someone pushed), record the difference.
 * One clock read per pair: the read after a pop is also the next push's value. */
static uint64_t
pairs_latency_body(struct bench_timed *run, unsigned thread, void *ctx)
{
    struct subject *s = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&s->domain, &t) != EBR_OK) {
        fprintf(stderr, "bench_queues: no EBR slot\n");
        exit(1);
    }
    uint64_t pairs = 0;
    uint64_t now_ns = kh_clock_now_ns();
    for (; !bench_should_stop(run); pairs++) {
        for (uint32_t spin = 0; !subject_try_push(s, t, now_ns); spin++) {
            bench_wait(spin);
        }
        uint64_t pushed_ns = 0;
        for (uint32_t spin = 0; !subject_try_pop(s, t, &pushed_ns); spin++) {
            bench_wait(spin);
        }
        now_ns = kh_clock_now_ns();
        kh_hist_record(&bench_hists[thread], now_ns - pushed_ns);
    }
    ebr_unregister(t);
    return pairs;
}

/* transfer_latency: the producer pushes its clock every BENCH_LATENCY_PACE_NS; the consumer
 * records how long each value took to reach it. */
static void
latency_produce(void *ctx, uint64_t items)
{
    struct subject *s = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&s->domain, &t) != EBR_OK) {
        exit(1);
    }
    uint64_t deadline_ns = kh_clock_now_ns();
    for (uint64_t i = 0; i < items; i++) {
        deadline_ns += BENCH_LATENCY_PACE_NS;
        uint64_t now_ns = bench_wait_until(deadline_ns);
        if (s->kind == MUTEX_CONDVAR_RING) {
            mutex_ring_push(&s->mutex, now_ns);
            continue;
        }
        for (uint32_t spin = 0; !subject_try_push(s, t, now_ns); spin++) {
            bench_wait(spin);
        }
    }
    ebr_unregister(t);
}

static void
latency_consume(void *ctx, uint64_t items)
{
    struct subject *s = ctx;
    struct ebr_thread *t = NULL;
    if (ebr_register(&s->domain, &t) != EBR_OK) {
        exit(1);
    }
    for (uint64_t i = 0; i < items; i++) {
        uint64_t pushed_ns = 0;
        if (s->kind == MUTEX_CONDVAR_RING) {
            pushed_ns = mutex_ring_pop(&s->mutex);
        } else {
            for (uint32_t spin = 0; !subject_try_pop(s, t, &pushed_ns); spin++) {
                bench_wait(spin);
            }
        }
        kh_hist_record(&bench_hists[0], kh_clock_now_ns() - pushed_ns);
    }
    ebr_unregister(t);
}

static void
latency_rows(struct kh_csv *csv, const struct bench_options *opt, struct subject *s)
{
    const enum kind pairs_kinds[] = {TREIBER_STACK, MS_QUEUE, RING_MPMC, MUTEX_RING};
    for (size_t k = 0; k < KH_ARRAY_LEN(pairs_kinds); k++) {
        for (size_t t = 0; t < KH_ARRAY_LEN(bench_thread_counts); t++) {
            unsigned threads = bench_thread_counts[t];
            if (!bench_is_selected(opt, kind_names[pairs_kinds[k]], threads)) {
                continue;
            }
            subject_init(s, pairs_kinds[k]);
            bench_hists_reset();
            uint64_t ns = 0;
            bench_run_timed(threads, opt->latency_duration_ms, pairs_latency_body, s, &ns);
            subject_destroy(s);
            struct kh_hist all;
            bench_hists_merge(&all);
            bench_csv_latency_row(csv, kind_names[pairs_kinds[k]], "pairs_latency", threads, &all,
                                  ns);
        }
    }
    const enum kind transfer_kinds[] = {RING_SPSC, RING_MPMC, MS_QUEUE, MUTEX_CONDVAR_RING};
    uint64_t items = (uint64_t)opt->latency_duration_ms * 1000000u / BENCH_LATENCY_PACE_NS;
    for (size_t k = 0; k < KH_ARRAY_LEN(transfer_kinds); k++) {
        if (!bench_is_selected(opt, kind_names[transfer_kinds[k]], 2)) {
            continue;
        }
        subject_init(s, transfer_kinds[k]);
        bench_hists_reset();
        uint64_t ns = bench_run_transfer(s, items, latency_produce, latency_consume);
        subject_destroy(s);
        struct kh_hist all;
        bench_hists_merge(&all);
        bench_csv_latency_row(csv, kind_names[transfer_kinds[k]], "transfer_latency", 2, &all, ns);
    }
}

/* The tries of different structures take turns (try r of each, then try r + 1 of each), so
 * that a busy spell of a shared machine falls on all of them, not on one structure's tries. */
#define PAIRS_KINDS 4u
#define TRANSFER_KINDS 4u

static void
pairs_rows(struct kh_csv *csv, const struct bench_options *opt, struct subject *s)
{
    const enum kind kinds[PAIRS_KINDS] = {TREIBER_STACK, MS_QUEUE, RING_MPMC, MUTEX_RING};
    enum { THREAD_COUNTS = KH_ARRAY_LEN(bench_thread_counts) };
    uint64_t best_items[PAIRS_KINDS][THREAD_COUNTS] = {{0}};
    uint64_t best_ns[PAIRS_KINDS][THREAD_COUNTS];
    for (size_t t = 0; t < THREAD_COUNTS; t++) {
        for (unsigned r = 0; r < bench_repeats_for(opt, bench_thread_counts[t]); r++) {
            for (size_t k = 0; k < PAIRS_KINDS; k++) {
                if (r == 0) {
                    best_ns[k][t] = 1;
                }
                if (!bench_is_selected(opt, kind_names[kinds[k]], bench_thread_counts[t])) {
                    continue;
                }
                subject_init(s, kinds[k]);
                uint64_t ns = 0;
                uint64_t items =
                    bench_run_timed(bench_thread_counts[t], opt->duration_ms, pairs_body, s, &ns);
                subject_destroy(s);
                if ((double)items / (double)ns > (double)best_items[k][t] / (double)best_ns[k][t]) {
                    best_items[k][t] = items;
                    best_ns[k][t] = ns;
                }
            }
        }
    }
    for (size_t k = 0; k < PAIRS_KINDS; k++) {
        for (size_t t = 0; t < THREAD_COUNTS; t++) {
            if (bench_is_selected(opt, kind_names[kinds[k]], bench_thread_counts[t])) {
                bench_csv_row(csv, kind_names[kinds[k]], "pairs", bench_thread_counts[t],
                              best_items[k][t], best_ns[k][t]);
            }
        }
    }
}

static void
transfer_rows(struct kh_csv *csv, const struct bench_options *opt, struct subject *s)
{
    const enum kind kinds[TRANSFER_KINDS] = {RING_SPSC, RING_MPMC, MS_QUEUE, MUTEX_CONDVAR_RING};
    uint64_t best_ns[TRANSFER_KINDS] = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
    for (unsigned r = 0; r < opt->transfer_repeats; r++) {
        for (size_t k = 0; k < TRANSFER_KINDS; k++) {
            if (!bench_is_selected(opt, kind_names[kinds[k]], 2)) {
                continue;
            }
            subject_init(s, kinds[k]);
            uint64_t ns =
                bench_run_transfer(s, opt->transfer_items, transfer_produce, transfer_consume);
            subject_destroy(s);
            best_ns[k] = ns < best_ns[k] ? ns : best_ns[k];
        }
    }
    for (size_t k = 0; k < TRANSFER_KINDS; k++) {
        if (bench_is_selected(opt, kind_names[kinds[k]], 2)) {
            bench_csv_row(csv, kind_names[kinds[k]], "transfer", 2, opt->transfer_items,
                          best_ns[k]);
        }
    }
}

int
main(int argc, char **argv)
{
    struct bench_options opt = bench_parse_options(argc, argv);
    struct kh_csv csv;
    bench_csv_open(&csv);
    static struct subject s;
    pairs_rows(&csv, &opt, &s);
    transfer_rows(&csv, &opt, &s);
    latency_rows(&csv, &opt, &s);
    return 0;
}
