/* lockfree_test.h -- helpers shared by lab 02's tests: threads joined against a deadline (so a
 * lost wakeup or a lock never handed over fails with a message instead of a hang), and
 * recorded histories checked for linearizability (harness/lib/lincheck.h). */
#ifndef KEEL_LOCKFREE_TEST_H
#define KEEL_LOCKFREE_TEST_H

#include "chaos.h"
#include "harness.h"
#include "lincheck.h"

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
    return chaos_is_enabled() || TEST_IS_SLOW_BUILD ? count / 10 + 1 : count;
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
    chaos_seed(harness_seed());
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
    struct lc_op ops[TEST_THREADS_MAX][HISTORY_OPS_MAX];
    size_t counts[TEST_THREADS_MAX];
};

static inline struct lc_op *
history_begin(struct history *h, unsigned thread, uint32_t kind, int64_t value)
{
    assert_true(h->counts[thread] < HISTORY_OPS_MAX);
    struct lc_op *op = &h->ops[thread][h->counts[thread]++];
    *op = (struct lc_op){.kind = kind, .value = value, .thread_id = thread};
    op->call_ns = clock_now_ns();
    return op;
}

static inline void
history_end(struct lc_op *op, int64_t result)
{
    op->return_ns = clock_now_ns();
    op->result = result;
}

/* Checks the round's history and empties it. On failure prints the shortest failing prefix
 * and returns false (it may run on any thread; the main thread fails the test). */
static inline bool
history_check(struct history *h, unsigned threads, const struct lc_model *model, size_t round)
{
    struct lc_op all[TEST_THREADS_MAX * HISTORY_OPS_MAX];
    size_t n = 0;
    for (unsigned t = 0; t < threads; t++) {
        memcpy(&all[n], h->ops[t], h->counts[t] * sizeof(all[0]));
        n += h->counts[t];
    }
    lc_status status = lc_check(model, all, n, NULL);
    memset(h->counts, 0, sizeof(h->counts));
    if (status != LC_LINEARIZABLE) {
        lc_explain(model, all, n, NULL, stdout);
        printf("round %zu: the %s history of %zu operations is %s\n", round, model->name, n,
               lc_strerror(status));
        return false;
    }
    return true;
}

/* Rounds of recorded operations: all threads start a round together, the first checks it
 * while the others wait, then all learn whether to go on. */
struct rounds_sync {
    pthread_barrier_t start;
    pthread_barrier_t done;
    pthread_barrier_t checked;
    atomic_bool has_failed;
    atomic_size_t failed_round;
};

static inline void
rounds_init(struct rounds_sync *r, unsigned threads)
{
    pthread_barrier_init(&r->start, NULL, threads);
    pthread_barrier_init(&r->done, NULL, threads);
    pthread_barrier_init(&r->checked, NULL, threads);
    atomic_store(&r->has_failed, false);
}

static inline void
rounds_destroy(struct rounds_sync *r)
{
    pthread_barrier_destroy(&r->start);
    pthread_barrier_destroy(&r->done);
    pthread_barrier_destroy(&r->checked);
    if (atomic_load(&r->has_failed)) {
        fail_msg("round %zu's history is not linearizable (its shortest failing prefix is "
                 "printed above)",
                 atomic_load(&r->failed_round));
    }
}

#endif
