/* test_f_pool.c -- lab 02 part F: lab 01's thread pool on the MPMC ring. First the queue alone
 * (pool_ring_ops, called as lab 01's pool calls it), then keel-server --model pool
 * --pool-queue ring over loopback: the pool scenarios of lab 01's part C, through the ring. This
 * binary's allocations fail on demand (kh_oom.h, plain builds) for the create out of memory. */
#include "../../01-servers/tests/server_scenarios.h"
#include "kh_oom.h"
#include "lockfree_test.h"
#include "pool_ring.h"

#include <inttypes.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>

#define HANDOVER_PRODUCERS 2u
#define HANDOVER_CONSUMERS 2u
#define HANDOVER_PER_PRODUCER 20000u
#define HANDOVER_CAPACITY 8u /* small: producers meet a full queue and wait */
#define BLOCKED_FOR_MS 50u   /* a call still waiting this long later is waiting, not slow */
#define ANNOUNCEMENT "the pool's ring queue took its first client"
#define SLEEPERS 4u        /* the pool's default worker count */
#define SLEEPER_ROUNDS 10u /* a queue that strands clients may still get lucky in a round */
#define SLEEPERS_SETTLE_MS 20u
#define DRIFT_CLIENTS 65535u /* 2^16 - 1: see test_f_ring_queue_still_wakes_after_65535_clients */
/* Allocations a create may make before the test calls it a loop. */
#define OOM_ALLOCATIONS_MAX 16

/* A client pointer that is never dereferenced: the queue only carries it. It encodes the
 * producer and its sequence number, so the consumer can tell which push it came from. */
static struct client *
token(unsigned producer, uint64_t seq)
{
    return (struct client *)(uintptr_t)((((uint64_t)producer << 32) | (seq + 1)) << 4);
}

static void
untoken(const struct client *c, unsigned *producer, uint64_t *seq)
{
    uint64_t bits = (uint64_t)(uintptr_t)c >> 4;
    *producer = (unsigned)(bits >> 32);
    *seq = (bits & 0xffffffffu) - 1;
}

static struct pool_queue *
create_or_fail(size_t capacity)
{
    struct pool_queue *q = pool_ring_ops.create_cb(capacity);
    if (q == NULL) {
        fail_msg("pool_ring_ops.create_cb(%zu) returned NULL (it should return a queue for %zu "
                 "clients in %zu ring slots)",
                 capacity, capacity, pool_ring_slots_for(capacity));
    }
    return q;
}

struct handover {
    struct pool_queue *q;
    uint64_t per_producer;
    atomic_uchar seen[HANDOVER_PRODUCERS][HANDOVER_PER_PRODUCER];
    atomic_bool has_failed;
    char failure[256];
};

/* Keeps the first failure (a consumer thread cannot fail the test itself). */
static void __attribute__((format(printf, 2, 3)))
handover_fail(struct handover *h, const char *fmt, ...)
{
    if (!atomic_exchange(&h->has_failed, true)) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(h->failure, sizeof(h->failure), fmt, args);
        va_end(args);
    }
}

static void *
handover_thread(void *arg)
{
    struct test_thread *th = arg;
    struct handover *h = th->ctx;
    if (th->index < HANDOVER_PRODUCERS) {
        for (uint64_t seq = 0; seq < h->per_producer; seq++) {
            pool_ring_ops.push_cb(h->q, token(th->index, seq));
        }
        return NULL;
    }
    uint64_t last[HANDOVER_PRODUCERS];
    memset(last, 0xff, sizeof(last)); /* UINT64_MAX: nothing yet from that producer */
    for (uint64_t i = 0; i < h->per_producer; i++) {
        struct client *c = pool_ring_ops.pop_cb(h->q);
        unsigned producer;
        uint64_t seq;
        untoken(c, &producer, &seq);
        if (c == NULL || producer >= HANDOVER_PRODUCERS || seq >= h->per_producer) {
            handover_fail(h, "pop returned %u/%" PRIu64 ", which nobody pushed", producer, seq);
        } else if (atomic_fetch_add(&h->seen[producer][seq], 1) != 0) {
            handover_fail(h, "producer %u's client %" PRIu64 " was popped twice", producer, seq);
        } else if (last[producer] != UINT64_MAX && seq <= last[producer]) {
            handover_fail(h, "producer %u's client %" PRIu64 " came out after a later one",
                          producer, seq);
        } else {
            last[producer] = seq;
        }
    }
    return NULL;
}

/* Claim: two producers and two consumers pass 40,000 clients through a queue of 8: each is
 * popped exactly once, and each producer's clients come out in the order pushed. */
static void
test_f_ring_queue_hands_over_every_client(void **state)
{
    (void)state;
    static struct handover h;
    memset(&h, 0, sizeof(h));
    h.per_producer = test_iterations(HANDOVER_PER_PRODUCER);
    h.q = create_or_fail(HANDOVER_CAPACITY);
    run_threads(HANDOVER_PRODUCERS + HANDOVER_CONSUMERS, handover_thread, &h,
                "2 producers and 2 consumers through the pool's ring queue");
    pool_ring_ops.destroy_cb(h.q);
    if (atomic_load(&h.has_failed)) {
        fail_msg("%s", h.failure);
    }
    for (unsigned p = 0; p < HANDOVER_PRODUCERS; p++) {
        for (uint64_t seq = 0; seq < h.per_producer; seq++) {
            if (atomic_load(&h.seen[p][seq]) != 1) {
                fail_msg("producer %u's client %" PRIu64 " was popped %u times", p, seq,
                         (unsigned)atomic_load(&h.seen[p][seq]));
            }
        }
    }
}

struct waiter {
    struct pool_queue *q;
    struct client *popped;
    atomic_bool is_done;
    atomic_int tid; /* the waiting thread's kernel id, once it runs */
};

static void *
pop_one(void *arg)
{
    struct waiter *w = arg;
    atomic_store(&w->tid, test_thread_id());
    w->popped = pool_ring_ops.pop_cb(w->q);
    atomic_store(&w->is_done, true);
    return NULL;
}

static void *
push_one(void *arg)
{
    struct waiter *w = arg;
    atomic_store(&w->tid, test_thread_id());
    pool_ring_ops.push_cb(w->q, token(9, 0));
    atomic_store(&w->is_done, true);
    return NULL;
}

/* Starts body on w, checks it is still waiting BLOCKED_FOR_MS later, waits until it is asleep
 * in the kernel (for at most SLEEP_WAIT_MS: a queue whose calls spin instead is not failed for
 * it, only unblocked later), runs unblock, and checks that body then finishes. So the wake comes
 * to a thread that is already asleep, on every run. */
static void
expect_waits_until(void *(*body)(void *), struct waiter *w, void (*unblock)(struct waiter *),
                   const char *what)
{
    pthread_t thread;
    atomic_store(&w->is_done, false);
    atomic_store(&w->tid, 0);
    assert_int_equal(pthread_create(&thread, NULL, body, w), 0);
    kh_clock_sleep_ms(BLOCKED_FOR_MS);
    if (atomic_load(&w->is_done)) {
        fail_msg("%s returned at once; it must wait", what);
    }
    (void)wait_until_asleep(&w->tid, NULL, NULL);
    unblock(w);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TEST_DEADLINE_MS / 1000;
    if (pthread_timedjoin_np(thread, NULL, &deadline) != 0) {
        fail_msg("%s still waits %u ms after it could go on (a lost wakeup)", what,
                 TEST_DEADLINE_MS);
    }
}

static void
push_a_client(struct waiter *w)
{
    pool_ring_ops.push_cb(w->q, token(1, 7));
}

/* Fails unless pop returned want, the client pushed at that place in line (what is which). */
static void
expect_popped(struct client *got, struct client *want, const char *what)
{
    if (got != want) {
        fail_msg("pop returned %p, not %s (%p): clients come out once each, in the order pushed",
                 (void *)got, what, (void *)want);
    }
}

static void
pop_a_client(struct waiter *w)
{
    expect_popped(pool_ring_ops.pop_cb(w->q), token(0, 0), "the first client pushed");
}

/* Claim: pop waits while the queue is empty and returns the client pushed meanwhile; push
 * waits while it is full (the pool's backpressure) and goes on once a client is popped. */
static void
test_f_ring_queue_waits_while_empty_and_while_full(void **state)
{
    (void)state;
    struct waiter w = {.q = create_or_fail(1)};
    expect_waits_until(pop_one, &w, push_a_client, "pop on an empty queue");
    expect_popped(w.popped, token(1, 7), "the client pushed while it waited");
    size_t slot_count = pool_ring_slots_for(1);
    for (size_t i = 0; i < slot_count; i++) {
        pool_ring_ops.push_cb(w.q, token(0, i)); /* fills the ring: none of these may wait */
    }
    expect_waits_until(push_one, &w, pop_a_client, "push on a full queue");
    for (size_t i = 1; i < slot_count; i++) {
        expect_popped(pool_ring_ops.pop_cb(w.q), token(0, i), "the next client that filled it");
    }
    expect_popped(pool_ring_ops.pop_cb(w.q), token(9, 0), "the client whose push had waited");
    pool_ring_ops.destroy_cb(w.q);
}

/* A worker waits on the empty queue until a push, then the dispatcher waits on the full queue
 * until a pop: each wake comes to a thread already asleep (expect_waits_until). */
static void
expect_both_sides_wake(struct pool_queue *q, const char *when)
{
    struct waiter w = {.q = q};
    char what[160];
    snprintf(what, sizeof(what), "%s, pop on an empty queue", when);
    expect_waits_until(pop_one, &w, push_a_client, what);
    expect_popped(w.popped, token(1, 7), "the client pushed while it waited");
    size_t slot_count = pool_ring_slots_for(1);
    for (size_t i = 0; i < slot_count; i++) {
        pool_ring_ops.push_cb(q, token(0, i)); /* fills the ring: none of these may wait */
    }
    snprintf(what, sizeof(what), "%s, push on a full queue", when);
    expect_waits_until(push_one, &w, pop_a_client, what);
    for (size_t i = 1; i < slot_count; i++) {
        expect_popped(pool_ring_ops.pop_cb(q), token(0, i), "the next client that filled it");
    }
    expect_popped(pool_ring_ops.pop_cb(q), token(9, 0), "the client whose push had waited");
}

/* Claim: create_cb sets every field the queue relies on, so the queue works in memory that held
 * other bytes before. With M_PERTURB set to a nonzero value, glibc fills each block malloc (and
 * aligned_alloc) returns with the complement of the value's low byte (mallopt(3)): 0x100 gives
 * 0xff bytes, all ones, where a count left uninitialized is at its limit. AddressSanitizer
 * ignores mallopt and fills new blocks with 0xbe itself: the plain build is the one that shows
 * it. Then a worker and the dispatcher each sleep on the queue and are woken. */
static void
test_f_ring_queue_starts_clean_in_dirty_memory(void **state)
{
    (void)state;
    mallopt(M_PERTURB, 0x100);
    struct pool_queue *q = pool_ring_ops.create_cb(1);
    mallopt(M_PERTURB, 0); /* before fail_msg or anything else allocates */
    if (q == NULL) {
        fail_msg("pool_ring_ops.create_cb(1) returned NULL");
    }
    expect_both_sides_wake(q, "a queue made in memory of 0xff bytes");
    pool_ring_ops.destroy_cb(q);
}

/* Claim: the queue's count of who sleeps and who was woken does not drift with use: after
 * 65,535 clients went through it one at a time (each push and pop finding no one asleep), a
 * worker and then the dispatcher that sleep on it are still woken. 65,535 = 2^16 - 1: a count
 * that gains one per client without cause, kept in half a 32-bit word as the reference keeps
 * its sleepers and wakes, is at its limit there. */
static void
test_f_ring_queue_still_wakes_after_65535_clients(void **state)
{
    (void)state;
    struct pool_queue *q = create_or_fail(1);
    for (uint64_t seq = 0; seq < DRIFT_CLIENTS; seq++) {
        pool_ring_ops.push_cb(q, token(2, seq));
        expect_popped(pool_ring_ops.pop_cb(q), token(2, seq), "the client just pushed");
    }
    expect_both_sides_wake(q, "after 65,535 clients");
    pool_ring_ops.destroy_cb(q);
}

/* The claim: create_cb returns NULL when out of memory (server.h, struct pool_queue_ops) and
 * leaves nothing allocated. Each allocation of a create fails in turn, as a malloc that fails
 * once, until a create meets none; a queue it returns (also past a failed allocation) works,
 * and destroy_cb frees all it took. For capacities 1, 8 and 1,000. Plain builds only. */
static void
test_f_ring_queue_create_out_of_memory_returns_null(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#else
    static const size_t capacities[] = {1, HANDOVER_CAPACITY, 1000};
    for (size_t c = 0; c < KH_ARRAY_LEN(capacities); c++) {
        bool has_fired = true;
        for (int64_t fail_at = 0; has_fired; fail_at++) {
            if (fail_at == OOM_ALLOCATIONS_MAX) {
                fail_msg("create_cb(%zu) still allocates after %d allocations failed",
                         capacities[c], OOM_ALLOCATIONS_MAX);
            }
            int64_t live_before = kh_oom_live_blocks();
            kh_oom_arm(fail_at); /* no cmocka call until disarmed: cmocka allocates */
            struct pool_queue *q = pool_ring_ops.create_cb(capacities[c]);
            has_fired = kh_oom_disarm();
            if (q != NULL) {
                pool_ring_ops.push_cb(q, token(0, (uint64_t)fail_at));
                expect_popped(pool_ring_ops.pop_cb(q), token(0, (uint64_t)fail_at),
                              "the one client pushed on a new queue");
                pool_ring_ops.destroy_cb(q);
                if (kh_oom_live_blocks() != live_before) {
                    fail_msg("create_cb(%zu) with allocation %" PRId64 " failing, then "
                             "destroy_cb, left %" PRId64 " blocks allocated",
                             capacities[c], fail_at, kh_oom_live_blocks() - live_before);
                }
                continue;
            }
            if (!has_fired) {
                fail_msg("create_cb(%zu) returned NULL though no allocation failed", capacities[c]);
            }
            if (kh_oom_live_blocks() != live_before) {
                fail_msg("create_cb(%zu) returned NULL (allocation %" PRId64 " failed) and left "
                         "%" PRId64 " blocks allocated: a create that fails must leak nothing",
                         capacities[c], fail_at, kh_oom_live_blocks() - live_before);
            }
        }
    }
#endif
}

/* Runs thread on cpu alone, when cpu is not -1. */
static void
pin_to_cpu(pthread_t thread, int cpu)
{
    if (cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_setaffinity_np(thread, sizeof(one), &one);
    }
}

/* Claim: four workers wait on an empty queue; four clients pushed back to back wake all four,
 * each popping one, ten rounds over. A worker busy with one slow client must not leave the
 * others queued while the rest of the pool sleeps: a queue that wakes one sleeper per burst
 * must have the woken worker wake the next while clients remain. The workers run on one CPU
 * and the pushes on another: on a shared CPU the first woken worker would run before the
 * second push, and the burst would not be a burst. */
static void
test_f_ring_queue_wakes_a_worker_for_each_waiting_client(void **state)
{
    (void)state;
    struct pool_queue *q = create_or_fail(SLEEPERS);
    cpu_set_t cpus; /* the caller's, restored at the end */
    CPU_ZERO(&cpus);
    pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus);
    int pusher_cpu = -1; /* the first two CPUs the caller may use, if it may use two */
    int worker_cpu = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE && worker_cpu < 0; cpu++) {
        if (CPU_ISSET(cpu, &cpus)) {
            *(pusher_cpu < 0 ? &pusher_cpu : &worker_cpu) = cpu;
        }
    }
    if (worker_cpu < 0) {
        pusher_cpu = -1;
    }
    pin_to_cpu(pthread_self(), pusher_cpu);
    for (unsigned round = 0; round < SLEEPER_ROUNDS; round++) {
        struct waiter w[SLEEPERS];
        pthread_t threads[SLEEPERS];
        for (unsigned i = 0; i < SLEEPERS; i++) {
            w[i] = (struct waiter){.q = q, .popped = NULL};
            atomic_init(&w[i].is_done, false);
            assert_int_equal(pthread_create(&threads[i], NULL, pop_one, &w[i]), 0);
            pin_to_cpu(threads[i], worker_cpu);
        }
        kh_clock_sleep_ms(SLEEPERS_SETTLE_MS); /* long enough for all four to fall asleep */
        for (unsigned i = 0; i < SLEEPERS; i++) {
            pool_ring_ops.push_cb(q, token(round, i));
        }
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += TEST_DEADLINE_MS / 1000;
        unsigned returned = 0;
        for (unsigned i = 0; i < SLEEPERS; i++) {
            returned += pthread_timedjoin_np(threads[i], NULL, &deadline) == 0;
        }
        if (returned != SLEEPERS) {
            fail_msg("round %u: %u clients were pushed to a queue on which %u workers waited, "
                     "and only %u of the workers returned within %u ms: the other clients sat "
                     "in the queue while workers slept (a lost wakeup)",
                     round, SLEEPERS, SLEEPERS, returned, TEST_DEADLINE_MS);
        }
        bool seen[SLEEPERS] = {false};
        for (unsigned i = 0; i < SLEEPERS; i++) {
            unsigned producer;
            uint64_t seq;
            untoken(w[i].popped, &producer, &seq);
            if (w[i].popped == NULL || producer != round || seq >= SLEEPERS || seen[seq]) {
                fail_msg("round %u: a worker popped %p, which is not one of this round's "
                         "clients or was popped twice",
                         round, (void *)w[i].popped);
            }
            seen[seq] = true;
        }
    }
    pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
    pool_ring_ops.destroy_cb(q);
}

/* Fails unless the server said that its pool pushed a client through the ring. */
static void
expect_ring_was_used(struct test_server *s)
{
    char err[8192];
    kh_proc_stderr(&s->proc, err, sizeof(err));
    if (strstr(err, ANNOUNCEMENT) == NULL) {
        fail_msg("the pool served clients but never through the ring: server_run_pool must use "
                 "server->config.pool_queue when it is set (lab 01's server.h, struct "
                 "pool_queue_ops; README part F). Its stderr:\n%.1500s",
                 err);
    }
}

/* Claim: 50 clients INCR one counter 10,000 times in all through a pool of two workers fed by
 * the ring: the total is exact, and the ring carried the clients. */
static void
test_f_pool_on_ring_serves_many_clients(void **state)
{
    (void)state;
    const char *const extra[] = {"--pool-queue", "ring", "--threads", "2", NULL};
    many_clients_share_one_store("pool", extra, expect_ring_was_used);
}

/* Claim: with one worker and a queue of one (two ring slots), 64 clients that all send at once
 * all get their reply, five rounds over: a full ring slows the dispatcher, never stops it. */
static void
test_f_pool_on_ring_full_queue_does_not_deadlock(void **state)
{
    (void)state;
    const char *const extra[] = {"--pool-queue", "ring", "--threads", "1", "--queue", "1", NULL};
    full_queue_does_not_deadlock("pool", extra, expect_ring_was_used);
}

/* Claim: a pool of two workers on the ring serves eight clients while a ninth sits on half a
 * command. */
static void
test_f_pool_on_ring_stalled_client_does_not_block_others(void **state)
{
    (void)state;
    const char *const extra[] = {"--pool-queue", "ring", "--threads", "2", NULL};
    stalled_client_does_not_block_others("pool", extra, expect_ring_was_used);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f_ring_queue_hands_over_every_client),
        cmocka_unit_test(test_f_ring_queue_waits_while_empty_and_while_full),
        cmocka_unit_test(test_f_ring_queue_wakes_a_worker_for_each_waiting_client),
        cmocka_unit_test(test_f_ring_queue_starts_clean_in_dirty_memory),
        cmocka_unit_test(test_f_ring_queue_still_wakes_after_65535_clients),
        cmocka_unit_test(test_f_ring_queue_create_out_of_memory_returns_null),
        cmocka_unit_test(test_f_pool_on_ring_serves_many_clients),
        cmocka_unit_test(test_f_pool_on_ring_full_queue_does_not_deadlock),
        cmocka_unit_test(test_f_pool_on_ring_stalled_client_does_not_block_others),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
