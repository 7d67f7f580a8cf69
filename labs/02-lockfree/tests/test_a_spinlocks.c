/* test_a_spinlocks.c -- part A: the four spinlocks (spinlock.h). Read exclusion_body first:
 * threads take the lock, check that nobody else is inside, and bump a plain counter, so a
 * broken lock shows up as two threads inside at once or as lost increments (and, under
 * ThreadSanitizer, as a data race on the counter). The FIFO tests queue threads one at a time
 * behind a held lock and check that they enter in that order. This binary counts each thread's
 * allocations (kh_oom.h, plain builds), for the locks that must make none. */
#include "kh_oom.h"
#include "lockfree_test.h"
#include "spinlock.h"

#include <inttypes.h>
#include <sched.h>

#define EXCLUSION_THREADS 3u /* more than the 2 cores: handoffs to a preempted thread */
#define EXCLUSION_ROUNDS                                                                           \
    5000u /* per thread: 0.5 s for ticket and MCS on 2 cores, 20 ms for TAS                        \
           */
#define FIFO_WAITERS 6u
#define QUEUE_WAIT_MS 2000u /* a waiter that has not queued by then never will */
/* How long a holder keeps the lock once another thread waits for it, unless that thread gets
 * in first (which a working lock never lets it): 20 ms is thousands of spins and yields. */
#define HOLD_FOR_ENTRY_MS 20u

enum lock_kind { LOCK_TAS, LOCK_TTAS, LOCK_TICKET, LOCK_MCS };

struct exclusion {
    enum lock_kind kind;
    struct spin_tas tas;
    struct spin_ttas ttas;
    struct spin_ticket ticket;
    struct spin_mcs mcs;
    /* inside, overlaps and waiting are changed by relaxed read-modify-writes only. A seq_cst
     * one is a release and an acquire: the next holder's increment of inside would read the
     * last holder's decrement and order the two holders' increments of counter by itself, so
     * ThreadSanitizer would see no race on counter under a lock whose exchange takes it without
     * acquire (or whose store frees it without release). Relaxed, the lock alone orders them. */
    atomic_uint inside;   /* threads in the critical section: must never exceed 1 */
    atomic_uint overlaps; /* times a thread found someone else inside */
    uint64_t counter;     /* plain: only the lock protects it */
    atomic_uint ready;    /* threads at the start line: none starts before all are there */
    atomic_uint waiting;  /* threads between "about to lock" and holding the lock */
    atomic_uint done;     /* threads that finished their rounds */
    atomic_uint rounds;   /* rounds run, summed over the threads (TEST_BUDGET_MS may cut them) */
};

/* How long a holder keeps the lock once it sees another thread trying to take it, and the
 * most it waits for one to try. */
#define HOLD_AFTER_WAITER_NS 200000u
#define HOLD_FOR_WAITER_NS 2000000u

/* Every 64th round the holder keeps the lock until another thread is about to take it, and
 * then a little longer: a lock that excludes nothing lets that thread in (inside reaches 2),
 * however the machine schedules the threads; a real one keeps it waiting. Bounded, so the
 * last thread running never waits for a taker that will not come. */
static void
hold_for_a_waiter(struct exclusion *x)
{
    uint64_t start = kh_clock_now_ns();
    uint64_t seen_at = 0;
    for (;;) {
        uint64_t now = kh_clock_now_ns();
        if (atomic_load(&x->inside) > 1 || now - start > HOLD_FOR_WAITER_NS ||
            (seen_at != 0 && now - seen_at > HOLD_AFTER_WAITER_NS) ||
            atomic_load(&x->done) == EXCLUSION_THREADS - 1) {
            return;
        }
        if (seen_at == 0 && atomic_load(&x->waiting) > 0) {
            seen_at = now;
        }
        sched_yield();
    }
}

static void
lock_take(struct exclusion *x, struct spin_mcs_node *node)
{
    switch (x->kind) {
    case LOCK_TAS:
        spin_tas_lock(&x->tas);
        break;
    case LOCK_TTAS:
        spin_ttas_lock(&x->ttas);
        break;
    case LOCK_TICKET:
        spin_ticket_lock(&x->ticket);
        break;
    case LOCK_MCS:
        spin_mcs_lock(&x->mcs, node);
        break;
    }
}

static void
lock_give(struct exclusion *x, struct spin_mcs_node *node)
{
    switch (x->kind) {
    case LOCK_TAS:
        spin_tas_unlock(&x->tas);
        break;
    case LOCK_TTAS:
        spin_ttas_unlock(&x->ttas);
        break;
    case LOCK_TICKET:
        spin_ticket_unlock(&x->ticket);
        break;
    case LOCK_MCS:
        spin_mcs_unlock(&x->mcs, node);
        break;
    }
}

static void *
exclusion_body(void *arg)
{
    struct test_thread *t = arg;
    struct exclusion *x = t->ctx;
    struct spin_mcs_node node;
    /* All start together: a lock that excludes nothing passed when the machine was busy and
     * each thread ran its rounds before the next one was scheduled. */
    atomic_fetch_add(&x->ready, 1);
    while (atomic_load(&x->ready) < EXCLUSION_THREADS) {
        sched_yield();
    }
    uint64_t start_ms = kh_clock_now_ms();
    unsigned i = 0;
    for (; i < EXCLUSION_ROUNDS && (i % 64 != 0 || !test_budget_is_spent(start_ms)); i++) {
        atomic_fetch_add_explicit(&x->waiting, 1, memory_order_relaxed);
        lock_take(x, &node);
        atomic_fetch_sub_explicit(&x->waiting, 1, memory_order_relaxed);
        if (atomic_fetch_add_explicit(&x->inside, 1, memory_order_relaxed) != 0) {
            atomic_fetch_add_explicit(&x->overlaps, 1, memory_order_relaxed);
        }
        x->counter++;
        if (i % 64 == 0) {
            hold_for_a_waiter(x);
        }
        atomic_fetch_sub_explicit(&x->inside, 1, memory_order_relaxed);
        lock_give(x, &node);
    }
    atomic_fetch_add(&x->rounds, i);
    atomic_fetch_add(&x->done, 1);
    return NULL;
}

static void
check_exclusion(enum lock_kind kind, const char *name)
{
    static struct exclusion x; /* static: the locks are cache-line aligned and large */
    memset(&x, 0, sizeof(x));
    x.kind = kind;
    spin_tas_init(&x.tas);
    spin_ttas_init(&x.ttas);
    spin_ticket_init(&x.ticket);
    spin_mcs_init(&x.mcs);
    run_threads(EXCLUSION_THREADS, exclusion_body, &x, name);
    unsigned rounds = atomic_load(&x.rounds);
    if (rounds < EXCLUSION_THREADS * EXCLUSION_ROUNDS) {
        printf("%s: %u of %u rounds within %u ms (a busy machine)\n", name, rounds,
               EXCLUSION_THREADS * EXCLUSION_ROUNDS, TEST_BUDGET_MS);
    }
    if (atomic_load(&x.overlaps) != 0 || x.counter != rounds) {
        fail_msg("%s: %u times a thread found another inside; the counter is %llu, expected %u",
                 name, atomic_load(&x.overlaps), (unsigned long long)x.counter, rounds);
    }
}

/* The claim: at most one thread at a time holds a test-and-set lock. */
static void
test_a_tas_mutual_exclusion(void **state)
{
    (void)state;
    check_exclusion(LOCK_TAS, "TAS lock");
}

/* The claim: at most one thread at a time holds a TTAS lock. */
static void
test_a_ttas_mutual_exclusion(void **state)
{
    (void)state;
    check_exclusion(LOCK_TTAS, "TTAS lock");
}

/* The claim: at most one thread at a time holds a ticket lock, and every ticket is served. */
static void
test_a_ticket_mutual_exclusion(void **state)
{
    (void)state;
    check_exclusion(LOCK_TICKET, "ticket lock");
}

/* The claim: at most one thread at a time holds an MCS lock, and every waiter is handed it. */
static void
test_a_mcs_mutual_exclusion(void **state)
{
    (void)state;
    check_exclusion(LOCK_MCS, "MCS lock");
}

/* Fails unless a trylock call returned what a lock in that state must: true (taken) on a
 * free lock, false on a held one. */
static void
expect_trylock(bool got, bool expected, const char *call, const char *lock_state)
{
    if (got != expected) {
        fail_msg("%s on a %s lock returned %s; it must return %s (%s)", call, lock_state,
                 got ? "true" : "false", expected ? "true" : "false",
                 expected ? "take a free lock" : "refuse a held one, without waiting");
    }
}

/* The claim: trylock takes a free lock and refuses a held one, without waiting. */
static void
test_a_trylock_takes_only_a_free_lock(void **state)
{
    (void)state;
    struct spin_tas tas;
    struct spin_ttas ttas;
    spin_tas_init(&tas);
    spin_ttas_init(&ttas);
    expect_trylock(spin_tas_trylock(&tas), true, "spin_tas_trylock", "fresh, free");
    expect_trylock(spin_tas_trylock(&tas), false, "spin_tas_trylock", "held");
    spin_tas_unlock(&tas);
    expect_trylock(spin_tas_trylock(&tas), true, "spin_tas_trylock", "just unlocked, free");
    spin_tas_unlock(&tas);
    expect_trylock(spin_ttas_trylock(&ttas), true, "spin_ttas_trylock", "fresh, free");
    expect_trylock(spin_ttas_trylock(&ttas), false, "spin_ttas_trylock", "held");
    spin_ttas_unlock(&ttas);
    expect_trylock(spin_ttas_trylock(&ttas), true, "spin_ttas_trylock", "just unlocked, free");
    spin_ttas_unlock(&ttas);
}

static const char *const lock_kind_names[] = {"TAS", "TTAS", "ticket", "MCS"};

/* Two threads on one lock: thread 0 takes it and holds it until thread 1 waits for it, and then
 * until thread 1 gets in or HOLD_FOR_ENTRY_MS pass, so thread 1's lock spins (or queues) before
 * it is handed the lock; thread 1 must not get in before (a lock that does not lock allocates
 * nothing either). Each thread counts its own allocations. */
static void *
allocation_count_body(void *arg)
{
    struct test_thread *t = arg;
    struct exclusion *x = t->ctx;
    struct spin_mcs_node node;
    uint64_t before = kh_oom_allocations();
    if (t->index == 0) {
        lock_take(x, &node);
        atomic_store(&x->inside, 1);
        atomic_store(&x->ready, 1);
        while (atomic_load(&x->waiting) == 0) {
            sched_yield();
        }
        uint64_t start_ms = kh_clock_now_ms();
        while (atomic_load(&x->done) == 0 && kh_clock_now_ms() - start_ms < HOLD_FOR_ENTRY_MS) {
            sched_yield();
        }
        atomic_store(&x->inside, 0);
        lock_give(x, &node);
    } else {
        while (atomic_load(&x->ready) == 0) {
            sched_yield();
        }
        atomic_fetch_add(&x->waiting, 1);
        lock_take(x, &node);
        bool is_held_by_other = atomic_load(&x->inside) != 0;
        atomic_store(&x->done, 1); /* got in: the holder need not wait longer */
        lock_give(x, &node);
        if (is_held_by_other) {
            thread_fail("the %s lock let a second thread in while the first held it",
                        lock_kind_names[x->kind]);
            return NULL;
        }
    }
    uint64_t made = kh_oom_allocations() - before;
    if (made != 0) {
        thread_fail("the %s lock: the thread that %s allocated memory (%" PRIu64 " calls to "
                    "malloc, calloc or realloc; spinlock.h: no lock allocates)",
                    lock_kind_names[x->kind],
                    t->index == 0 ? "held it while another waited" : "waited for it", made);
    }
    return NULL;
}

/* The claim: every lock is caller-provided memory and none allocates (spinlock.h): init, lock,
 * unlock and (TAS, TTAS) trylock of each kind make no allocation, on one thread and with a
 * second thread waiting for the lock, which must not get in while the first holds it.
 * Allocations are counted in plain builds only (kh_oom.h). */
static void
test_a_locks_allocate_nothing(void **state)
{
    (void)state;
    if (!KH_OOM_IS_INJECTABLE) {
        printf("a sanitizer owns the allocator in this build: allocations are not counted\n");
    }
    static struct exclusion x; /* static: the locks are cache-line aligned and large */
    for (int kind = LOCK_TAS; kind <= LOCK_MCS; kind++) {
        memset(&x, 0, sizeof(x));
        x.kind = (enum lock_kind)kind;
        struct spin_mcs_node node;
        uint64_t before = kh_oom_allocations();
        spin_tas_init(&x.tas);
        spin_ttas_init(&x.ttas);
        spin_ticket_init(&x.ticket);
        spin_mcs_init(&x.mcs);
        lock_take(&x, &node);
        lock_give(&x, &node);
        /* A trylock on the free lock, then one on the held lock (what they return is
         * test_a_trylock_takes_only_a_free_lock's business). */
        if (x.kind == LOCK_TAS && spin_tas_trylock(&x.tas)) {
            (void)spin_tas_trylock(&x.tas);
            spin_tas_unlock(&x.tas);
        } else if (x.kind == LOCK_TTAS && spin_ttas_trylock(&x.ttas)) {
            (void)spin_ttas_trylock(&x.ttas);
            spin_ttas_unlock(&x.ttas);
        }
        uint64_t made = kh_oom_allocations() - before;
        if (made != 0) {
            fail_msg("the %s lock's init, lock, unlock and trylock allocated memory (%" PRIu64
                     " calls to malloc, calloc or realloc; spinlock.h: no lock allocates)",
                     lock_kind_names[kind], made);
        }
        run_threads(2, allocation_count_body, &x, lock_kind_names[kind]);
    }
}

/* FIFO: waiters queue one at a time behind the main thread, which holds the lock. */
struct fifo {
    enum lock_kind kind;
    struct spin_ticket ticket;
    struct spin_mcs mcs;
    struct spin_mcs_node nodes[FIFO_WAITERS + 1];
    unsigned order[FIFO_WAITERS]; /* who entered, in order; written under the lock */
    unsigned entered;
};

static void *
fifo_body(void *arg)
{
    struct test_thread *t = arg;
    struct fifo *f = t->ctx;
    unsigned me = (unsigned)(uintptr_t)t->index;
    if (f->kind == LOCK_TICKET) {
        spin_ticket_lock(&f->ticket);
        f->order[f->entered++] = me;
        spin_ticket_unlock(&f->ticket);
    } else {
        spin_mcs_lock(&f->mcs, &f->nodes[me + 1]);
        f->order[f->entered++] = me;
        spin_mcs_unlock(&f->mcs, &f->nodes[me + 1]);
    }
    return NULL;
}

/* True once waiter `index` has queued: taken its ticket, or swapped itself into tail. */
static bool
has_queued(struct fifo *f, unsigned index)
{
    if (f->kind == LOCK_TICKET) {
        return atomic_load(&f->ticket.next_ticket) == index + 2; /* main holds ticket 0 */
    }
    return atomic_load(&f->mcs.tail) == &f->nodes[index + 1];
}

static void
check_fifo(enum lock_kind kind, const char *name)
{
    static struct fifo f;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    spin_ticket_init(&f.ticket);
    spin_mcs_init(&f.mcs);
    if (kind == LOCK_TICKET) {
        spin_ticket_lock(&f.ticket);
    } else {
        spin_mcs_lock(&f.mcs, &f.nodes[0]);
    }
    pthread_t ids[FIFO_WAITERS];
    struct test_thread threads[FIFO_WAITERS];
    for (unsigned i = 0; i < FIFO_WAITERS; i++) {
        threads[i] = (struct test_thread){.index = i, .ctx = &f};
        assert_int_equal(pthread_create(&ids[i], NULL, fifo_body, &threads[i]), 0);
        uint64_t deadline_ms = kh_clock_now_ms() + QUEUE_WAIT_MS;
        while (!has_queued(&f, i)) {
            if (kh_clock_now_ms() > deadline_ms) {
                fail_msg("%s: waiter %u did not queue within %u ms", name, i, QUEUE_WAIT_MS);
            }
            sched_yield();
        }
    }
    if (kind == LOCK_TICKET) {
        spin_ticket_unlock(&f.ticket);
    } else {
        spin_mcs_unlock(&f.mcs, &f.nodes[0]);
    }
    for (unsigned i = 0; i < FIFO_WAITERS; i++) {
        pthread_join(ids[i], NULL);
    }
    if (f.entered != FIFO_WAITERS) {
        fail_msg("%s: %u of %u waiters entered the critical section", name, f.entered,
                 FIFO_WAITERS);
    }
    for (unsigned i = 0; i < FIFO_WAITERS; i++) {
        if (f.order[i] != i) {
            fail_msg("%s: the waiter queued %u-th entered %u-th", name, f.order[i], i);
        }
    }
}

/* The claim: ticket lock waiters enter in the order they took their tickets. */
static void
test_a_ticket_is_fifo(void **state)
{
    (void)state;
    check_fifo(LOCK_TICKET, "ticket lock");
}

/* The claim: MCS waiters enter in the order they swapped themselves into tail. */
static void
test_a_mcs_is_fifo(void **state)
{
    (void)state;
    check_fifo(LOCK_MCS, "MCS lock");
}

struct late_link {
    struct spin_mcs lock;
    struct spin_mcs_node holder;
    struct spin_mcs_node late; /* a successor the test plays by hand */
    atomic_bool has_returned;
};

static void *
late_unlock_body(void *arg)
{
    struct test_thread *th = arg;
    struct late_link *l = th->ctx;
    spin_mcs_unlock(&l->lock, &l->holder);
    atomic_store(&l->has_returned, true);
    return NULL;
}

/* The claim: when a successor has swapped itself into tail but not yet linked itself behind
 * the holder, the holder's unlock waits for the link and then hands the lock over, rather
 * than leaving the successor to spin forever. The test plays the successor step by step. */
static void
test_a_mcs_unlock_waits_for_a_late_link(void **state)
{
    (void)state;
    static struct late_link l;
    memset(&l, 0, sizeof(l));
    spin_mcs_init(&l.lock);
    spin_mcs_lock(&l.lock, &l.holder);
    /* The successor's first step (as in spin_mcs_lock): init its node, swap itself in. */
    atomic_store(&l.late.next, NULL);
    atomic_store(&l.late.is_waiting, true);
    struct spin_mcs_node *before = atomic_exchange(&l.lock.tail, &l.late);
    if (before != &l.holder) {
        fail_msg("after spin_mcs_lock(&lock, &holder) on a free lock, lock.tail is %p, not the "
                 "holder's node %p: taking the lock must swap the caller's node into tail",
                 (void *)before, (void *)&l.holder);
    }
    pthread_t unlocker;
    struct test_thread th = {.ctx = &l};
    assert_int_equal(pthread_create(&unlocker, NULL, late_unlock_body, &th), 0);
    kh_clock_sleep_ms(50); /* the unlock must be waiting for the link by now */
    bool returned_early = atomic_load(&l.has_returned);
    atomic_store(&l.holder.next, &l.late); /* the successor's second step: link */
    uint64_t deadline_ms = kh_clock_now_ms() + QUEUE_WAIT_MS;
    while (atomic_load(&l.late.is_waiting) && kh_clock_now_ms() < deadline_ms) {
        sched_yield();
    }
    bool is_handed_over = !atomic_load(&l.late.is_waiting);
    if (is_handed_over) {
        pthread_join(unlocker, NULL);
    }
    if (returned_early || !is_handed_over) {
        fail_msg("MCS unlock %s and the successor that linked late was %s",
                 returned_early ? "returned before the successor linked" : "waited",
                 is_handed_over ? "handed the lock" : "never handed the lock");
    }
    spin_mcs_unlock(&l.lock, &l.late);
    if (atomic_load(&l.lock.tail) != NULL) {
        fail_msg("after the last holder's spin_mcs_unlock, lock.tail is %p, not NULL: an unlock "
                 "with no successor must swing tail back to NULL",
                 (void *)atomic_load(&l.lock.tail));
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_tas_mutual_exclusion),
        cmocka_unit_test(test_a_ttas_mutual_exclusion),
        cmocka_unit_test(test_a_ticket_mutual_exclusion),
        cmocka_unit_test(test_a_mcs_mutual_exclusion),
        cmocka_unit_test(test_a_trylock_takes_only_a_free_lock),
        cmocka_unit_test(test_a_locks_allocate_nothing),
        cmocka_unit_test(test_a_ticket_is_fifo),
        cmocka_unit_test(test_a_mcs_is_fifo),
        cmocka_unit_test(test_a_mcs_unlock_waits_for_a_late_link),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
