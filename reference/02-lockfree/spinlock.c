/* spinlock.c -- lab 02 part A: TAS, TTAS with backoff, ticket and MCS locks (spinlock.h).
 * Read spin_tas_* first: every lock takes the lock with an acquire operation (what the critical
 * section reads cannot move before it) and releases with a release operation (what it wrote
 * is visible before the next holder's acquire). The rest is who spins on which cache line. */
#include "spinlock.h"

#include "kh_chaos.h"

#include <assert.h>
#include <sched.h>

void
spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void
spin_wait(uint32_t iteration)
{
    if (iteration % SPIN_YIELD_AFTER == SPIN_YIELD_AFTER - 1) {
        sched_yield();
    } else {
        spin_pause();
    }
}

void
spin_tas_init(struct spin_tas *lock)
{
    atomic_init(&lock->is_locked, false);
}

void
spin_tas_lock(struct spin_tas *lock)
{
    /* Acquire: the critical section's loads and stores stay after the exchange that won. */
    for (uint32_t i = 0; atomic_exchange_explicit(&lock->is_locked, true, memory_order_acquire);
         i++) {
        spin_wait(i);
    }
    assert(atomic_load_explicit(&lock->is_locked, memory_order_relaxed)); /* and it is mine */
    KH_CHAOS_POINT();
}

bool
spin_tas_trylock(struct spin_tas *lock)
{
    /* Acquire, as in spin_tas_lock, when the exchange finds the lock free. */
    return !atomic_exchange_explicit(&lock->is_locked, true, memory_order_acquire);
}

void
spin_tas_unlock(struct spin_tas *lock)
{
    assert(atomic_load_explicit(&lock->is_locked, memory_order_relaxed));
    KH_CHAOS_POINT();
    /* Release: the critical section's stores are visible before the lock reads as free. */
    atomic_store_explicit(&lock->is_locked, false, memory_order_release);
}

void
spin_ttas_init(struct spin_ttas *lock)
{
    atomic_init(&lock->is_locked, false);
}

void
spin_ttas_lock(struct spin_ttas *lock)
{
    uint32_t backoff = SPIN_BACKOFF_MIN;
    uint32_t spins = 0;
    for (;;) {
        /* Relaxed: only a hint that the exchange may succeed; the exchange orders. Reading
         * keeps the line shared among the waiters instead of bouncing it between them. */
        while (atomic_load_explicit(&lock->is_locked, memory_order_relaxed)) {
            spin_wait(spins++);
        }
        KH_CHAOS_POINT();
        /* Acquire: as in spin_tas_lock. */
        if (!atomic_exchange_explicit(&lock->is_locked, true, memory_order_acquire)) {
            return;
        }
        /* Lost the race: others saw it free too. Wait a growing while before the next try. */
        for (uint32_t i = 0; i < backoff; i++) {
            spin_pause();
        }
        backoff = backoff < SPIN_BACKOFF_MAX ? backoff * 2 : SPIN_BACKOFF_MAX;
    }
}

bool
spin_ttas_trylock(struct spin_ttas *lock)
{
    /* Relaxed read as a hint, then acquire on the exchange that takes it. */
    return !atomic_load_explicit(&lock->is_locked, memory_order_relaxed) &&
           !atomic_exchange_explicit(&lock->is_locked, true, memory_order_acquire);
}

void
spin_ttas_unlock(struct spin_ttas *lock)
{
    assert(atomic_load_explicit(&lock->is_locked, memory_order_relaxed));
    KH_CHAOS_POINT();
    /* Release: as in spin_tas_unlock. */
    atomic_store_explicit(&lock->is_locked, false, memory_order_release);
}

void
spin_ticket_init(struct spin_ticket *lock)
{
    atomic_init(&lock->next_ticket, 0);
    atomic_init(&lock->now_serving, 0);
}

void
spin_ticket_lock(struct spin_ticket *lock)
{
    /* Relaxed: taking a number orders nothing by itself; the acquire load below does. */
    unsigned ticket = atomic_fetch_add_explicit(&lock->next_ticket, 1, memory_order_relaxed);
    KH_CHAOS_POINT();
    /* Acquire: once now_serving reads my ticket, the previous holder's critical section (which
     * it released by the store in unlock) is visible to mine. */
    for (uint32_t i = 0; atomic_load_explicit(&lock->now_serving, memory_order_acquire) != ticket;
         i++) {
        spin_wait(i);
    }
}

void
spin_ticket_unlock(struct spin_ticket *lock)
{
    /* Relaxed: only the holder writes now_serving, so this reads its own last value. */
    unsigned serving = atomic_load_explicit(&lock->now_serving, memory_order_relaxed);
    assert(serving != atomic_load_explicit(&lock->next_ticket, memory_order_relaxed));
    KH_CHAOS_POINT();
    /* Release: my critical section is visible before the next ticket's holder sees its turn. */
    atomic_store_explicit(&lock->now_serving, serving + 1, memory_order_release);
}

void
spin_mcs_init(struct spin_mcs *lock)
{
    atomic_init(&lock->tail, NULL);
}

void
spin_mcs_lock(struct spin_mcs *lock, struct spin_mcs_node *node)
{
    atomic_store_explicit(&node->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&node->is_waiting, true, memory_order_relaxed);
    /* Acq_rel: release publishes my node's initialised fields to the successor that finds it
     * through tail; acquire pairs with a predecessor's release so its node is valid to link. */
    struct spin_mcs_node *prev = atomic_exchange_explicit(&lock->tail, node, memory_order_acq_rel);
    assert(prev != node); /* a node waits in one queue, once: this one was queued already */
    if (prev == NULL) {
        return; /* the queue was empty: the lock is mine */
    }
    KH_CHAOS_POINT();
    /* Release: my is_waiting = true is written before my predecessor can see me and clear it. */
    atomic_store_explicit(&prev->next, node, memory_order_release);
    /* Acquire: pairs with the predecessor's release in unlock, so its critical section is
     * visible to mine. I spin on my own node's line only. */
    for (uint32_t i = 0; atomic_load_explicit(&node->is_waiting, memory_order_acquire); i++) {
        spin_wait(i);
    }
}

void
spin_mcs_unlock(struct spin_mcs *lock, struct spin_mcs_node *node)
{
    /* Acquire: pairs with the successor's release store of my next, so its node is valid. */
    struct spin_mcs_node *next = atomic_load_explicit(&node->next, memory_order_acquire);
    if (next == NULL) {
        struct spin_mcs_node *expected = node;
        /* Read tail before trying the CAS: when a successor has already swapped itself in (and
         * is about to link), the CAS would fail anyway, and a failed CAS still takes the line
         * away from the successor that just wrote it. Relaxed: the CAS decides. Release: when
         * no one is queued, the CAS to NULL frees the lock, and my critical section must be
         * visible to whoever exchanges tail next. */
        if (atomic_load_explicit(&lock->tail, memory_order_relaxed) == node &&
            atomic_compare_exchange_strong_explicit(&lock->tail, &expected, NULL,
                                                    memory_order_release, memory_order_relaxed)) {
            return;
        }
        KH_CHAOS_POINT();
        /* Someone swapped tail after me but has not linked itself yet: wait for the link, or
         * it would spin forever on a lock nobody hands over. Acquire as above. */
        for (uint32_t i = 0;
             (next = atomic_load_explicit(&node->next, memory_order_acquire)) == NULL; i++) {
            spin_wait(i);
        }
    }
    assert(next != node);
    /* Release: my critical section is visible before the successor stops waiting. */
    atomic_store_explicit(&next->is_waiting, false, memory_order_release);
}
