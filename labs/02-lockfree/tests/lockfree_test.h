/* lockfree_test.h -- helpers shared by lab 02's tests: statuses by name, failures recorded in
 * helper threads and reported by the test's own, threads joined against a deadline (so a lost
 * wakeup or a lock never handed over fails with a message instead of a hang), and recorded
 * histories checked for linearizability (harness/lib/concurrency/kh_lincheck.h). */
#ifndef KEEL_LOCKFREE_TEST_H
#define KEEL_LOCKFREE_TEST_H

#include "kh_chaos.h"
#include "ebr.h"
#include "kh_test.h"
#include "kh_lincheck.h"
#include "msqueue.h"
#include "ring.h"
#include "stack.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TEST_THREADS_MAX 16u
#define TEST_DEADLINE_MS                                                                           \
    8000u                   /* every stress test takes under 1 s on the reference, 2 s under       \
                               sanitizers on a busy 2-core machine */
#define HISTORY_OPS_MAX 96u /* per round: 3 threads x 32, checked in well under 1 ms */
/* The longest stress loops also stop once this much wall time has passed since they began, and
 * the test then checks what ran. On an idle machine they finish in well under it; on a busy one
 * (a CI machine running other jobs: two spinning threads sharing a core, a FIFO lock handed to a
 * preempted thread, a wakeup waiting for a time slice) they run fewer iterations instead of
 * missing TEST_DEADLINE_MS. A lost or repeated value, or a lock that lets two in, still fails in
 * the iterations that ran; a thread stuck for good still misses the deadline, which leaves
 * 5 s after the budget for the last iteration under way. */
#define TEST_BUDGET_MS 3000u

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

/* True once TEST_BUDGET_MS has passed since start_ms (a kh_clock_now_ms reading). */
static inline bool
test_budget_is_spent(uint64_t start_ms)
{
    return kh_clock_now_ms() - start_ms >= TEST_BUDGET_MS;
}

/* Fills memory an init function is given with every bit set, as a recycled malloc block or a
 * stack frame may hold: an init that leaves a field to chance then finds a count at -1 or a
 * flag already set, and the test that follows fails instead of passing on zeroed memory. */
static inline void
test_garble(void *memory, size_t size)
{
    memset(memory, 0xff, size);
}

/* ---- Statuses by name ---------------------------------------------------------------------
 * "EBR_UNIMPLEMENTED" for EBR_UNIMPLEMENTED: each enum's own names, from its header's X-macro
 * list, so a failure says which status came back instead of a number. */
#define STATUS_NAME_CASE(name, text)                                                               \
    case name:                                                                                     \
        return #name;

static inline const char *
ebr_status_name(ebr_status status)
{
    switch (status) {
        EBR_STATUS(STATUS_NAME_CASE)
    }
    return "an unknown ebr_status";
}

static inline const char *
stack_status_name(stack_status status)
{
    switch (status) {
        STACK_STATUS(STATUS_NAME_CASE)
    }
    return "an unknown stack_status";
}

static inline const char *
msqueue_status_name(msqueue_status status)
{
    switch (status) {
        MSQUEUE_STATUS(STATUS_NAME_CASE)
    }
    return "an unknown msqueue_status";
}

static inline const char *
ring_status_name(ring_status status)
{
    switch (status) {
        RING_STATUS(STATUS_NAME_CASE)
    }
    return "an unknown ring_status";
}

#undef STATUS_NAME_CASE

/* assert_*_status(expr, expected): KH_ASSERT_STATUS_OF (kh_test.h) for each status type. On the
 * test's own thread only (thread_fail elsewhere). */
#define assert_ebr_status(expr, expected)                                                          \
    KH_ASSERT_STATUS_OF(ebr_status, ebr_status_name, ebr_strerror, expr, expected, #expr)
#define assert_stack_status(expr, expected)                                                        \
    KH_ASSERT_STATUS_OF(stack_status, stack_status_name, stack_strerror, expr, expected, #expr)
#define assert_msqueue_status(expr, expected)                                                      \
    KH_ASSERT_STATUS_OF(msqueue_status, msqueue_status_name, msqueue_strerror, expr, expected,     \
                        #expr)
#define assert_ring_status(expr, expected)                                                         \
    KH_ASSERT_STATUS_OF(ring_status, ring_status_name, ring_strerror, expr, expected, #expr)

/* ---- Failures in helper threads -----------------------------------------------------------
 * A cmocka assertion may fail only on the test's own thread: on any other, cmocka ends the whole
 * process with exit status 255, and the grader cannot say where. Code that runs on a helper
 * thread (a thread body, a callback the structure calls there) reports with thread_fail
 * instead, which keeps the first failure with its file and line and lets the thread return;
 * run_threads fails the test with it once every thread is joined, and a test that starts or
 * calls such code otherwise calls thread_failure_report itself. */
struct thread_failure {
    atomic_bool has_failed;  /* set by the first thread_fail; later ones keep nothing */
    atomic_bool is_recorded; /* file, line and message are written (release) */
    const char *file;
    int line;
    char message[512];
};
static struct thread_failure g_thread_failure __attribute__((unused));

static inline void __attribute__((format(printf, 3, 4)))
thread_fail_at(const char *file, int line, const char *format, ...)
{
    if (atomic_exchange(&g_thread_failure.has_failed, true)) {
        return; /* the first failure is the one to read; later ones often follow from it */
    }
    va_list args;
    va_start(args, format);
    vsnprintf(g_thread_failure.message, sizeof(g_thread_failure.message), format, args);
    va_end(args);
    g_thread_failure.file = file;
    g_thread_failure.line = line;
    atomic_store_explicit(&g_thread_failure.is_recorded, true, memory_order_release);
}
#define thread_fail(...) thread_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* True once any thread has called thread_fail: loops that wait for a thread that gave up check
 * it, so the test ends with that failure instead of a timeout. */
static inline bool
thread_has_failed(void)
{
    return atomic_load(&g_thread_failure.has_failed);
}

/* On the test's own thread, after joining the threads that may have failed: fails the test with
 * the first failure they recorded, at the file and line of its thread_fail (what fail_msg does,
 * with the helper thread's location instead of this one's). */
static inline void
thread_failure_report(void)
{
    if (atomic_load_explicit(&g_thread_failure.is_recorded, memory_order_acquire)) {
        print_error("ERROR: %s (in a thread the test started)\n", g_thread_failure.message);
        _fail(g_thread_failure.file, g_thread_failure.line);
    }
}

/* ebr_register for a helper thread: the slot, or NULL after a thread_fail naming the status. */
static inline struct ebr_thread *
thread_register_at(const char *file, int line, struct ebr *domain)
{
    struct ebr_thread *t = NULL;
    ebr_status status = ebr_register(domain, &t);
    if (status != EBR_OK) {
        thread_fail_at(file, line, "ebr_register in a helper thread is %s (%s), expected EBR_OK",
                       ebr_status_name(status), ebr_strerror(status));
        return NULL;
    }
    return t;
}
#define thread_register(domain) thread_register_at(__FILE__, __LINE__, (domain))

struct test_thread {
    pthread_t id;
    unsigned index;
    void *ctx; /* borrowed: the test's shared state */
};

/* Starts count threads running body(thread), waits for all of them until TEST_DEADLINE_MS
 * has passed, and fails the test naming what did not finish, or with the first thread_fail of
 * a thread. A stuck thread is left behind: the test process ends with the test. */
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
            thread_failure_report(); /* a thread that gave up may be why another waits */
            fail_msg("%s: thread %u of %u did not finish within %u ms (a lock never handed "
                     "over, a lost wakeup, or a livelock)",
                     what, i, count, TEST_DEADLINE_MS);
        }
    }
    thread_failure_report();
}

/* ---- Threads asleep ------------------------------------------------------------------------
 * A blocked call that sleeps in the kernel (a futex wait) shows state S in /proc, one that spins
 * shows R. A test that waits for S before it unblocks the call makes "the wake reaches a thread
 * that is already asleep" happen on every run, not only when the machine happens to allow it. */
#define SLEEP_WAIT_MS 2000u /* a blocked call not asleep by then never will be (it spins) */

/* The calling thread's kernel id, for thread_is_asleep. */
static inline pid_t
test_thread_id(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* True if thread tid of this process is asleep now (state S in /proc/self/task/TID/stat). */
static inline bool
thread_is_asleep(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false; /* the thread has ended */
    }
    char line[512];
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *paren = strrchr(line, ')'); /* "TID (NAME) S ...": NAME may hold anything */
    return paren != NULL && paren[1] == ' ' && paren[2] == 'S';
}

/* Waits until the thread whose id *tid holds (0: not started yet) is asleep and, when is_ready_cb
 * is not NULL, is_ready_cb(ctx) holds too, for at most SLEEP_WAIT_MS. Returns whether it did. */
static inline bool
wait_until_asleep(const atomic_int *tid, bool (*is_ready_cb)(void *ctx), void *ctx)
{
    uint64_t deadline_ms = kh_clock_now_ms() + SLEEP_WAIT_MS;
    for (;;) {
        pid_t id = (pid_t)atomic_load(tid);
        if (id != 0 && thread_is_asleep(id) && (is_ready_cb == NULL || is_ready_cb(ctx))) {
            return true;
        }
        if (kh_clock_now_ms() >= deadline_ms) {
            return false;
        }
        kh_clock_sleep_ms(1);
    }
}

/* One round's history: each thread appends its own operations to its own row, then the rows
 * are concatenated for the checker. */
struct history {
    struct kh_lc_op ops[TEST_THREADS_MAX][HISTORY_OPS_MAX];
    size_t counts[TEST_THREADS_MAX];
};

/* Runs on helper threads: the bound is the test's own (HISTORY_OPS_MAX against the ops per
 * round), so a plain assert, not cmocka's, which could not fail off the test's thread. */
static inline struct kh_lc_op *
history_begin(struct history *h, unsigned thread, uint32_t kind, int64_t value)
{
    assert(h->counts[thread] < HISTORY_OPS_MAX);
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
    /* A thread without a slot still meets the others at every barrier, adding nothing, so the
     * round ends and thread 0 sees the failure; returning early would leave them waiting. */
    struct ebr_thread *t = thread_register(r->domain);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed() * 31 + th->index);
    for (size_t round = 0; round < r->rounds; round++) {
        pthread_barrier_wait(&r->sync.start);
        for (unsigned i = 0; t != NULL && i < HISTORY_ROUND_OPS; i++) {
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
        if (th->index == 0 && thread_has_failed()) { /* every thread's ops are done */
            atomic_store(&r->sync.failed_round, round);
            atomic_store(&r->sync.has_failed, true); /* run_threads reports the thread_fail */
        } else if (th->index == 0) { /* between rounds: check, then empty the structure */
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
    if (t != NULL) {
        ebr_unregister(t);
    }
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
