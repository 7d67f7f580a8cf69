/* bench_common.h -- what lab 02's bench drivers share: options, the two workloads, and one
 * CSV row format (structure, workload, threads, items, elapsed_ns, items_per_s), so the lab's
 * structures, pthread baselines and ConcurrencyKit (bench_ck) land in comparable rows.
 * Workloads: "lock" (each thread takes a lock, bumps a counter, releases, for a fixed time),
 * "pairs" (each thread pushes then pops, for a fixed time; an item is one push and one pop)
 * and "transfer" (one producer pushes N items to one consumer). */
#ifndef KEEL_BENCH_COMMON_H
#define KEEL_BENCH_COMMON_H

#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_THREADS_MAX 8u
#define BENCH_DURATION_MS_QUICK 150u /* per point: 6 locks x 4 thread counts = 3.6 s */
#define BENCH_DURATION_MS_FULL 1000u
#define BENCH_TRANSFER_ITEMS_QUICK 2000000u
#define BENCH_TRANSFER_ITEMS_FULL 20000000u
#define BENCH_REPEATS_QUICK 3u /* the best of these is kept: the machine is shared */
#define BENCH_REPEATS_FULL 5u
/* Transfers are short (2 M items take 40-300 ms) and the most sensitive to the other tenants
 * of a shared 2-core machine (the two threads must run at once), so they get more tries. */
#define BENCH_TRANSFER_REPEATS_QUICK 9u
#define BENCH_TRANSFER_REPEATS_FULL 9u

static const unsigned bench_thread_counts[] = {1, 2, 4, 8};

struct bench_options {
    unsigned duration_ms;
    uint64_t transfer_items;
    unsigned repeats;
    unsigned transfer_repeats;
    bool has_peers;
    uint64_t seed;
};

static inline struct bench_options
bench_parse_options(int argc, char **argv)
{
    struct bench_options opt = {BENCH_DURATION_MS_QUICK,
                                BENCH_TRANSFER_ITEMS_QUICK,
                                BENCH_REPEATS_QUICK,
                                BENCH_TRANSFER_REPEATS_QUICK,
                                false,
                                1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            opt.duration_ms = BENCH_DURATION_MS_QUICK;
            opt.transfer_items = BENCH_TRANSFER_ITEMS_QUICK;
            opt.repeats = BENCH_REPEATS_QUICK;
            opt.transfer_repeats = BENCH_TRANSFER_REPEATS_QUICK;
        } else if (strcmp(argv[i], "--full") == 0) {
            opt.duration_ms = BENCH_DURATION_MS_FULL;
            opt.transfer_items = BENCH_TRANSFER_ITEMS_FULL;
            opt.repeats = BENCH_REPEATS_FULL;
            opt.transfer_repeats = BENCH_TRANSFER_REPEATS_FULL;
        } else if (strcmp(argv[i], "--peers") == 0) {
            opt.has_peers = true;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            opt.seed = strtoull(argv[++i], NULL, 0);
        } else {
            fprintf(stderr, "usage: %s [--quick|--full] [--peers] [--seed N]\n", argv[0]);
            exit(2);
        }
    }
    return opt;
}

static inline void
bench_csv_open(struct csv *c)
{
    static const char *const columns[] = {"structure", "workload",   "threads",
                                          "items",     "elapsed_ns", "items_per_s"};
    csv_open(c, stdout, columns, HARNESS_ARRAY_LEN(columns));
}

static inline void
bench_csv_row(struct csv *c, const char *structure, const char *workload, unsigned threads,
              uint64_t items, uint64_t elapsed_ns)
{
    csv_str(c, structure);
    csv_str(c, workload);
    csv_u64(c, threads);
    csv_u64(c, items);
    csv_u64(c, elapsed_ns);
    csv_f64(c, elapsed_ns > 0 ? (double)items * 1e9 / (double)elapsed_ns : 0.0);
    csv_end_row(c);
}

/* A timed run: threads loop on body until main sets stop, each counting what it did. */
struct bench_timed {
    atomic_bool stop;
    atomic_uint ready;
    void *ctx;
    uint64_t (*body_cb)(struct bench_timed *run, unsigned thread, void *ctx);
};

struct bench_worker {
    struct bench_timed *run;
    unsigned index;
    uint64_t items;
};

static inline void *
bench_worker_main(void *arg)
{
    struct bench_worker *w = arg;
    atomic_fetch_add(&w->run->ready, 1);
    w->items = w->run->body_cb(w->run, w->index, w->run->ctx);
    return NULL;
}

/* Runs body_cb on `threads` threads for duration_ms; returns the items all of them did. */
static inline uint64_t
bench_run_timed(unsigned threads, unsigned duration_ms,
                uint64_t (*body_cb)(struct bench_timed *run, unsigned thread, void *ctx), void *ctx,
                uint64_t *elapsed_ns)
{
    struct bench_timed run = {.ctx = ctx, .body_cb = body_cb};
    atomic_init(&run.stop, false);
    atomic_init(&run.ready, 0);
    pthread_t ids[BENCH_THREADS_MAX];
    struct bench_worker workers[BENCH_THREADS_MAX];
    for (unsigned i = 0; i < threads; i++) {
        workers[i] = (struct bench_worker){.run = &run, .index = i};
        if (pthread_create(&ids[i], NULL, bench_worker_main, &workers[i]) != 0) {
            fprintf(stderr, "bench: cannot start thread %u\n", i);
            exit(1);
        }
    }
    while (atomic_load(&run.ready) < threads) {
        sched_yield();
    }
    uint64_t start_ns = clock_now_ns();
    clock_sleep_ms(duration_ms);
    atomic_store(&run.stop, true);
    uint64_t items = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        items += workers[i].items;
    }
    *elapsed_ns = clock_now_ns() - start_ns;
    return items;
}

static inline bool
bench_should_stop(struct bench_timed *run)
{
    /* Relaxed: a flag polled in a loop; a few extra iterations do not matter. */
    return atomic_load_explicit(&run->stop, memory_order_relaxed);
}

/* The transfer workload: a producer and a consumer thread, each given the same context. */
struct bench_transfer {
    void *ctx;
    uint64_t items;
    void (*produce_cb)(void *ctx, uint64_t items);
    void (*consume_cb)(void *ctx, uint64_t items);
};

static inline void *
bench_producer_main(void *arg)
{
    struct bench_transfer *t = arg;
    t->produce_cb(t->ctx, t->items);
    return NULL;
}

/* Runs the transfer; the main thread is the consumer. Returns elapsed ns. */
static inline uint64_t
bench_run_transfer(void *ctx, uint64_t items, void (*produce_cb)(void *ctx, uint64_t items),
                   void (*consume_cb)(void *ctx, uint64_t items))
{
    struct bench_transfer t = {ctx, items, produce_cb, consume_cb};
    uint64_t start_ns = clock_now_ns();
    pthread_t producer;
    if (pthread_create(&producer, NULL, bench_producer_main, &t) != 0) {
        fprintf(stderr, "bench: cannot start the producer\n");
        exit(1);
    }
    consume_cb(ctx, items);
    pthread_join(producer, NULL);
    return clock_now_ns() - start_ns;
}

/* Exits when a consumer got a value the producer never sent: a broken structure is never
 * reported as a fast one. */
static inline void
bench_expect(uint64_t got, uint64_t expected, const char *structure)
{
    if (got != expected) {
        fprintf(stderr, "bench: %s delivered %llu where %llu was due\n", structure,
                (unsigned long long)got, (unsigned long long)expected);
        exit(1);
    }
}

#endif
