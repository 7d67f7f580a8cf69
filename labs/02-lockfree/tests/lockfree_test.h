/* lockfree_test.h -- helpers shared by lab 02's tests: threads joined against a deadline (so a
 * lost wakeup or a lock never handed over fails with a message instead of a hang), and
 * recorded histories checked for linearizability (harness/lib/concurrency/kh_lincheck.h). */
#ifndef KEEL_LOCKFREE_TEST_H
#define KEEL_LOCKFREE_TEST_H

#include "kh_chaos.h"
#include "ebr.h"
#include "kh_test.h"
#include "kh_lincheck.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEST_THREADS_MAX 16u
#define TEST_DEADLINE_MS                                                                           \
    8000u                   /* every stress test takes under 1 s on the reference, 2 s under       \
                               sanitizers on a busy 2-core machine */
#define HISTORY_OPS_MAX 96u /* per round: 3 threads x 32, checked in well under 1 ms */

/* Iteration counts of the longest loops shrink tenfold in the chaos build (make CHAOS=1),
 * whose random delays make each atomic step microseconds slower, and under ThreadSanitizer,
 * which makes each one 10-50x slower (the SPSC test took 5 s under TSan on a busy machine). */
#if defined(__SANITIZE_THREAD__)
#define TEST_IS_SLOW_BUILD 1
#else
#define TEST_IS_SLOW_BUILD 0
#endif
static inline uint64_t
test_iterations(uint64_t count)
{
    return kh_chaos_is_enabled() || TEST_IS_SLOW_BUILD ? count / 10 + 1 : count;
}

struct test_thread {
    pthread_t id;
    unsigned index;
    void *ctx; /* borrowed: the test's shared state */
};

/* Starts count threads running body(thread), waits for all of them until TEST_DEADLINE_MS
 * has passed, and fails the test naming what did not finish. A stuck thread is left behind:
 * the test process ends with the test. */
static inline void
run_threads(unsigned count, void *(*body)(void *), void *ctx, const char *what)
{
    assert_true(count <= TEST_THREADS_MAX);
    struct test_thread threads[TEST_THREADS_MAX];
    kh_chaos_seed(kh_test_seed());
    for (unsigned i = 0; i < count; i++) {
        threads[i] = (struct test_thread){.index = i, .ctx = ctx};
        assert_int_equal(pthread_create(&threads[i].id, NULL, body, &threads[i]), 0);
    }
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TEST_DEADLINE_MS / 1000;
    for (unsigned i = 0; i < count; i++) {
        if (pthread_timedjoin_np(threads[i].id, NULL, &deadline) != 0) {
            fail_msg("%s: thread %u of %u did not finish within %u ms (a lock never handed "
                     "over, a lost wakeup, or a livelock)",
                     what, i, count, TEST_DEADLINE_MS);
        }
    }
}

/* One round's history: each thread appends its own operations to its own row, then the rows
 * are concatenated for the checker. */
struct history {
    struct kh_lc_op ops[TEST_THREADS_MAX][HISTORY_OPS_MAX];
    size_t counts[TEST_THREADS_MAX];
};

static inline struct kh_lc_op *
history_begin(struct history *h, unsigned thread, uint32_t kind, int64_t value)
{
    assert_true(h->counts[thread] < HISTORY_OPS_MAX);
    struct kh_lc_op *op = &h->ops[thread][h->counts[thread]++];
    *op = (struct kh_lc_op){.kind = kind, .value = value, .thread_id = thread};
    op->call_ns = kh_clock_now_ns();
    return op;
}

static inline void
history_end(struct kh_lc_op *op, int64_t result)
{
    op->return_ns = kh_clock_now_ns();
    op->result = result;
}

/* Checks the round's history and empties it. Returns the checker's verdict; when it is not
 * KH_LC_LINEARIZABLE, prints the shortest failing prefix first (it may run on any thread; the main
 * thread fails the test). */
static inline kh_lc_status
history_check(struct history *h, unsigned threads, const struct kh_lc_model *model, size_t round)
{
    struct kh_lc_op all[TEST_THREADS_MAX * HISTORY_OPS_MAX];
    size_t n = 0;
    for (unsigned t = 0; t < threads; t++) {
        memcpy(&all[n], h->ops[t], h->counts[t] * sizeof(all[0]));
        n += h->counts[t];
    }
    kh_lc_status status = kh_lc_check(model, all, n, NULL);
    memset(h->counts, 0, sizeof(h->counts));
    if (status != KH_LC_LINEARIZABLE) {
        kh_lc_explain(model, all, n, NULL, stdout);
        printf("round %zu: the %s history of %zu operations is %s\n", round, model->name, n,
               kh_lc_strerror(status));
    }
    return status;
}

/* Rounds of recorded operations: all threads start a round together, the first checks it
 * while the others wait, then all learn whether to go on. */
struct rounds_sync {
    pthread_barrier_t start;
    pthread_barrier_t done;
    pthread_barrier_t checked;
    atomic_bool has_failed;
    atomic_size_t failed_round;
    atomic_int failed_status; /* the checker's verdict on failed_round */
};

static inline void
rounds_init(struct rounds_sync *r, unsigned threads)
{
    pthread_barrier_init(&r->start, NULL, threads);
    pthread_barrier_init(&r->done, NULL, threads);
    pthread_barrier_init(&r->checked, NULL, threads);
    atomic_store(&r->has_failed, false);
    atomic_store(&r->failed_status, (int)KH_LC_LINEARIZABLE);
}

static inline void
rounds_destroy(struct rounds_sync *r)
{
    pthread_barrier_destroy(&r->start);
    pthread_barrier_destroy(&r->done);
    pthread_barrier_destroy(&r->checked);
    if (atomic_load(&r->has_failed) && atomic_load(&r->failed_status) == KH_LC_UNKNOWN) {
        fail_msg("round %zu's history could not be checked: the checker ran out of its memory or "
                 "time budget (UNKNOWN counts as a failure, never a pass)",
                 atomic_load(&r->failed_round));
    } else if (atomic_load(&r->has_failed)) {
        fail_msg("round %zu's history is not linearizable (its shortest failing prefix is "
                 "printed above)",
                 atomic_load(&r->failed_round));
    }
}

/* ---- Recorded rounds of a linked structure (the stack's and the queue's histories) ---------
 * Each thread registers with the EBR domain, then per round adds (a value naming the thread
 * and its sequence number) or removes at random, HISTORY_ROUND_OPS times, recording each
 * operation; thread 0 checks the round against the model and empties the structure. */
#define HISTORY_ROUND_OPS 24u /* per thread per round */
/* Two operations in five add, three remove: the structure stays short and a value added is
 * soon taken, which pins down the order of overlapping adds. With half and half, values piled
 * up untaken, and each pair of overlapping adds among them doubled the orders the checker had
 * to keep apart: under CHAOS=1 a 72-operation queue history needed over 256 MiB (4 GiB and
 * 1.5 s to find it linearizable), and the test failed as UNKNOWN in about one run in three. */
#define HISTORY_ADDS_PER_FIVE 2u

struct history_rounds {
    void *target; /* the structure, borrowed */
    struct ebr *domain;
    uint32_t add_kind;    /* KH_LC_PUSH or KH_LC_ENQUEUE */
    uint32_t remove_kind; /* KH_LC_POP or KH_LC_DEQUEUE */
    void (*add_cb)(void *target, struct ebr_thread *t, uint64_t value);
    bool (*remove_cb)(void *target, struct ebr_thread *t, uint64_t *value); /* false: empty */
    struct kh_lc_model model;
    size_t rounds;
    unsigned sync_threads; /* set by history_rounds_run */
    struct rounds_sync sync;
    struct history history;
};

static inline void *
history_rounds_body(void *arg)
{
    struct test_thread *th = arg;
    struct history_rounds *r = th->ctx;
    struct ebr_thread *t = NULL;
    assert_int_equal(ebr_register(r->domain, &t), EBR_OK);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed() * 31 + th->index);
    for (size_t round = 0; round < r->rounds; round++) {
        pthread_barrier_wait(&r->sync.start);
        for (unsigned i = 0; i < HISTORY_ROUND_OPS; i++) {
            if (kh_rng_below(&rng, 5) < HISTORY_ADDS_PER_FIVE) {
                int64_t v = (int64_t)((uint64_t)th->index << 32 | (round * HISTORY_ROUND_OPS + i));
                struct kh_lc_op *op = history_begin(&r->history, th->index, r->add_kind, v);
                r->add_cb(r->target, t, (uint64_t)v);
                history_end(op, 0);
            } else {
                uint64_t v;
                struct kh_lc_op *op = history_begin(&r->history, th->index, r->remove_kind, 0);
                bool has_value = r->remove_cb(r->target, t, &v);
                history_end(op, has_value ? (int64_t)v : KH_LC_EMPTY);
            }
        }
        pthread_barrier_wait(&r->sync.done);
        if (th->index == 0) { /* between rounds: check, then empty the structure */
            kh_lc_status status = history_check(&r->history, r->sync_threads, &r->model, round);
            if (status != KH_LC_LINEARIZABLE) {
                atomic_store(&r->sync.failed_round, round);
                atomic_store(&r->sync.failed_status, (int)status);
                atomic_store(&r->sync.has_failed, true);
            }
            uint64_t v;
            while (r->remove_cb(r->target, t, &v)) {
            }
        }
        pthread_barrier_wait(&r->sync.checked);
        if (atomic_load(&r->sync.has_failed)) {
            break;
        }
    }
    ebr_unregister(t);
    return NULL;
}

/* Runs r->rounds recorded rounds on threads threads; fails the test if one is not
 * linearizable. */
static inline void
history_rounds_run(struct history_rounds *r, unsigned threads, const char *what)
{
    r->sync_threads = threads;
    rounds_init(&r->sync, threads);
    run_threads(threads, history_rounds_body, r, what);
    rounds_destroy(&r->sync);
}

#endif
