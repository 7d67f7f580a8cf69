/* pool_ring.c -- lab 02 part F: lab 01's pool queue on the MPMC ring (pool_ring.h). The ring
 * moves the clients; this file decides who sleeps and who wakes. Read pool_ring_pop first,
 * then waiters_retry and waiters_wake_one: the handshake that wakes a sleeping worker per
 * client while sleepers outnumber the wakes on their way, and never leaves a client in the ring
 * while every worker sleeps. */
#include "pool_ring.h"

#include "kh_chaos.h"

#include <assert.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- Sleeping and waking ------------------------------------------------------------------
 * A counting semaphore of filled slots is the simple correct queue, but glibc's sem_post makes
 * a futex call whenever any waiter is registered, even when every one of them has been woken
 * already and is on its way: with four sleeping workers, a burst of pushes made one futex call
 * per push. Here the waiters' word counts the sleepers and the wakes sent to them that no
 * sleeper has taken yet; a waker wakes only when there are more sleepers than wakes in flight,
 * as a condition variable's signal does, and with no lock.
 *
 * Sleepers and wakes share one word, so that a waker adds a wake only while it sees more
 * sleepers than wakes, and each sleeper, as it leaves (woken or not), takes one wake back. A wake
 * in flight therefore always has a counted sleeper still to leave and look at the ring. As in
 * ring.c, both sides order "change the condition, then read the other side" with seq_cst
 * read-modify-writes of that one word, which ThreadSanitizer models (it does not model
 * atomic_thread_fence). Every change to the word is a read-modify-write, so a sleeper that leaves
 * synchronizes with every waker that came before it and woke nobody: its next look at the ring sees
 * their pushes.
 *
 * Tried and not kept: one wake in flight at a time, the woken worker waking the next while
 * clients remain. It made a third of this code's futex calls, and served as many requests per
 * second under bench_pool, but with the server pinned to one CPU (redis-benchmark on the other)
 * it served 155-163 k requests/s against this code's 168-172 k: on one CPU, waking the workers
 * one after another costs more than waking them at once. */

#define WAITERS_SLEEPER 1u    /* low half of the word: sleepers (asleep or about to be) */
#define WAITERS_WAKE 0x10000u /* high half: wakes sent that no sleeper has taken back */
#define WAITERS_SLEEPERS(state) ((state)&0xffffu)
#define WAITERS_WAKES(state) ((state) >> 16)

struct pool_waiters {
    _Alignas(RING_CACHE_LINE_BYTES) atomic_uint futex_word; /* bumped by every wake */
    atomic_uint state; /* WAITERS_SLEEPER * sleepers + WAITERS_WAKE * wakes in flight */
};

struct pool_queue {
    struct ring_mpmc ring;
    struct pool_waiters workers;    /* workers asleep on an empty ring */
    struct pool_waiters dispatcher; /* the dispatcher asleep on a full ring (backpressure) */
    struct ring_mpmc_slot slots[];  /* pool_ring_slots_for(capacity) of them */
};

static void
waiters_init(struct pool_waiters *w)
{
    atomic_init(&w->futex_word, 0);
    atomic_init(&w->state, 0);
}

/* Retries try_cb(r, value) until it succeeds, sleeping between tries. A sleeper is counted
 * before its last try, so a waker either sees it counted or made the change that try sees. */
static void
waiters_retry(struct pool_waiters *w, bool (*try_cb)(struct ring_mpmc *r, uint64_t *value),
              struct ring_mpmc *r, uint64_t *value)
{
    assert(try_cb != NULL);
    assert(value != NULL);
    while (!try_cb(r, value)) {
        /* Relaxed: the futex call compares the word itself, atomically with going to sleep. A
         * waker that counts me bumps it after its CAS, which my read precedes (its CAS
         * synchronizes with my count below); a bump by a waker that did not count me only ends
         * my wait early. */
        unsigned word = atomic_load_explicit(&w->futex_word, memory_order_relaxed);
        /* Seq_cst read-modify-write: either a waker's comes after mine and counts me, or mine
         * comes after the waker's and synchronizes with it, and my try below sees its change. */
        unsigned before =
            atomic_fetch_add_explicit(&w->state, WAITERS_SLEEPER, memory_order_seq_cst);
        assert(WAITERS_SLEEPERS(before) < 0xffffu); /* the low half must not carry into wakes */
        KH_CHAOS_POINT();
        bool is_done = try_cb(r, value);
        if (!is_done) {
            syscall(SYS_futex, &w->futex_word, FUTEX_WAIT_PRIVATE, word, NULL, NULL, 0);
        }
        /* Done, woken, or the word moved before I slept, or a signal: I leave, and take back one
         * wake in flight, whoever it was sent to (if it was sent to another sleeper, that one
         * finds none left to take, and a later change may wake one more than needed). Seq_cst:
         * my next try must see the changes of every waker that found as many wakes in flight
         * as sleepers and woke nobody. */
        unsigned state = atomic_load_explicit(&w->state, memory_order_relaxed);
        unsigned left;
        do {
            left = state - WAITERS_SLEEPER - (WAITERS_WAKES(state) > 0 ? WAITERS_WAKE : 0);
        } while (!atomic_compare_exchange_weak_explicit(
            &w->state, &state, left, memory_order_seq_cst, memory_order_relaxed));
        assert(WAITERS_SLEEPERS(state) >= 1); /* I was counted until this CAS */
        if (is_done) {
            return;
        }
    }
}

/* Wakes one sleeper, unless every sleeper has a wake on its way already. Call after making the
 * condition true. */
static void
waiters_wake_one(struct pool_waiters *w)
{
    /* Seq_cst read-modify-write (adding 0), not a plain load: see waiters_retry. */
    unsigned state = atomic_fetch_add_explicit(&w->state, 0, memory_order_seq_cst);
    do {
        if (WAITERS_SLEEPERS(state) <= WAITERS_WAKES(state)) {
            return;
        }
    } while (!atomic_compare_exchange_weak_explicit(&w->state, &state, state + WAITERS_WAKE,
                                                    memory_order_seq_cst, memory_order_relaxed));
    assert(WAITERS_WAKES(state) < WAITERS_SLEEPERS(state)); /* never more wakes than sleepers */
    KH_CHAOS_POINT();
    /* Relaxed: the syscalls order the word; a sleeper that read the old word fails its wait. */
    atomic_fetch_add_explicit(&w->futex_word, 1, memory_order_relaxed);
    syscall(SYS_futex, &w->futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The tries waiters_retry repeats: a client in (or out of) the ring as a uint64_t. */
static bool
try_push(struct ring_mpmc *r, uint64_t *value)
{
    return ring_mpmc_try_push(r, *value) == RING_OK;
}

static bool
try_pop(struct ring_mpmc *r, uint64_t *value)
{
    return ring_mpmc_try_pop(r, value) == RING_OK;
}

/* ---- The queue ---------------------------------------------------------------------------- */

static struct pool_queue *
pool_ring_create(size_t capacity)
{
    size_t slot_count = pool_ring_slots_for(capacity);
    if (slot_count == 0) {
        return NULL;
    }
    /* aligned_alloc: the ring's indices sit on their own cache lines (_Alignas in ring.h), and
     * its size must be a multiple of the alignment. */
    size_t size_bytes = sizeof(struct pool_queue) + slot_count * sizeof(struct ring_mpmc_slot);
    size_bytes =
        (size_bytes + RING_CACHE_LINE_BYTES - 1) / RING_CACHE_LINE_BYTES * RING_CACHE_LINE_BYTES;
    struct pool_queue *q = aligned_alloc(RING_CACHE_LINE_BYTES, size_bytes);
    if (q == NULL) {
        return NULL;
    }
    if (ring_mpmc_init(&q->ring, q->slots, slot_count) != RING_OK) {
        free(q);
        return NULL;
    }
    waiters_init(&q->workers);
    waiters_init(&q->dispatcher);
    assert(q->ring.mask + 1 >= capacity);
    return q;
}

static void
pool_ring_push(struct pool_queue *q, struct client *c)
{
    assert(q != NULL);
    assert(c != NULL); /* the queue carries clients; 0 could not be told from "no value" */
    uint64_t value = (uint64_t)(uintptr_t)(void *)c;
    waiters_retry(&q->dispatcher, try_push, &q->ring, &value); /* full: backpressure */
    waiters_wake_one(&q->workers);
}

/* No spinning before sleeping: on two cores a spinning worker takes CPU from the dispatcher
 * and the other workers (with 64 tries first, the pool used 1-2 us more CPU per request). */
static struct client *
pool_ring_pop(struct pool_queue *q)
{
    assert(q != NULL);
    uint64_t value = 0;
    waiters_retry(&q->workers, try_pop, &q->ring, &value);
    waiters_wake_one(&q->dispatcher);                 /* there is room now */
    return (struct client *)(void *)(uintptr_t)value; // NOLINT(performance-no-int-to-ptr)
}

static void
pool_ring_destroy(struct pool_queue *q)
{
    free(q);
}

const struct pool_queue_ops pool_ring_ops = {
    .name = "ring",
    .create_cb = pool_ring_create,
    .push_cb = pool_ring_push,
    .pop_cb = pool_ring_pop,
    .destroy_cb = pool_ring_destroy,
};
