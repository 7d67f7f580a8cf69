/* spinlock.c -- lab 02 part A: TAS, TTAS with backoff, ticket and MCS locks (spinlock.h).
 * Every lock takes the lock with an acquire operation and releases it with a release one;
 * write next to each atomic operation which memory order you chose and what it orders. */
#include "spinlock.h"

#include "kh_chaos.h"

#include <assert.h>
#include <sched.h>

void
spin_pause(void)
{
    /* Given: the x86 `pause` instruction (arm64 `yield`). Do not change. */
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void
spin_wait(uint32_t iteration)
{
    /* Given: pause, and yield every SPIN_YIELD_AFTER iterations. Do not change. */
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
    (void)lock; /* TODO(part A): exchange true into is_locked until it returns false. */
}

bool
spin_tas_trylock(struct spin_tas *lock)
{
    (void)lock; /* TODO(part A): one exchange. */
    return false;
}

void
spin_tas_unlock(struct spin_tas *lock)
{
    (void)lock; /* TODO(part A): which order makes the critical section visible first? */
}

void
spin_ttas_init(struct spin_ttas *lock)
{
    atomic_init(&lock->is_locked, false);
}

void
spin_ttas_lock(struct spin_ttas *lock)
{
    (void)lock; /* TODO(part A): read until free, then exchange; back off after a lost race. */
}

bool
spin_ttas_trylock(struct spin_ttas *lock)
{
    (void)lock; /* TODO(part A) */
    return false;
}

void
spin_ttas_unlock(struct spin_ttas *lock)
{
    (void)lock; /* TODO(part A) */
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
    (void)lock; /* TODO(part A): take a ticket, wait for now_serving to reach it. */
}

void
spin_ticket_unlock(struct spin_ticket *lock)
{
    (void)lock; /* TODO(part A): serve the next ticket. */
}

void
spin_mcs_init(struct spin_mcs *lock)
{
    atomic_init(&lock->tail, NULL);
}

void
spin_mcs_lock(struct spin_mcs *lock, struct spin_mcs_node *node)
{
    (void)lock; /* TODO(part A): exchange yourself into tail, link behind the previous one, */
    (void)node; /* and spin on your own node. */
}

void
spin_mcs_unlock(struct spin_mcs *lock, struct spin_mcs_node *node)
{
    (void)lock; /* TODO(part A): hand over to node->next; with no successor, CAS tail back to */
    (void)node; /* NULL, and if that fails, wait: a successor is about to link itself. */
}
