/* spinlock.h -- four spinlocks built on C11 atomics (lab 02, part A): test-and-set,
 * test-and-test-and-set with exponential backoff, the ticket lock and the MCS queue lock
 * (Mellor-Crummey & Scott 1991). Every lock is caller-provided memory; none allocates.
 * Waiters spin, then yield the CPU after SPIN_YIELD_AFTER tries: on a machine with fewer cores
 * than threads, the holder may be descheduled, and spinning for a whole time slice helps no one. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SPIN_CACHE_LINE_BYTES 64u /* x86-64 and most arm64 cores */
#define SPIN_YIELD_AFTER 256u     /* spins before a waiter calls sched_yield() */
#define SPIN_BACKOFF_MIN 4u       /* TTAS: pause iterations after the first failed attempt */
#define SPIN_BACKOFF_MAX 1024u    /* TTAS: the backoff doubles up to this many */

/* Test-and-set: one flag, every waiter hammers it with an atomic exchange. */
struct spin_tas {
    _Alignas(SPIN_CACHE_LINE_BYTES) atomic_bool is_locked;
};
void spin_tas_init(struct spin_tas *lock);
void spin_tas_lock(struct spin_tas *lock);
bool spin_tas_trylock(struct spin_tas *lock); /* true when it took the lock */
void spin_tas_unlock(struct spin_tas *lock);

/* Test-and-test-and-set: waiters read (a shared cache line) until the lock looks free, then
 * try the exchange; after a failed exchange they back off exponentially. */
struct spin_ttas {
    _Alignas(SPIN_CACHE_LINE_BYTES) atomic_bool is_locked;
};
void spin_ttas_init(struct spin_ttas *lock);
void spin_ttas_lock(struct spin_ttas *lock);
bool spin_ttas_trylock(struct spin_ttas *lock);
void spin_ttas_unlock(struct spin_ttas *lock);

/* Ticket lock: take a number, wait until it is served. FIFO: threads enter in the order their
 * fetch-and-add on next_ticket happened. The two counters share a cache line: a handoff then
 * moves one line between cores, not two (ConcurrencyKit's ticket lock packs both into one
 * word). Two lines would keep arriving threads from disturbing the waiters' reads of
 * now_serving, which pays only with many waiters; with two threads, one per core, the shared
 * line took about 20% more handoffs per second. */
struct spin_ticket {
    _Alignas(SPIN_CACHE_LINE_BYTES) atomic_uint next_ticket; /* the number the next arrival takes */
    atomic_uint now_serving;                                 /* the ticket that holds the lock */
};
void spin_ticket_init(struct spin_ticket *lock);
void spin_ticket_lock(struct spin_ticket *lock);
void spin_ticket_unlock(struct spin_ticket *lock);

/* MCS lock: a queue of waiters, each spinning on its own node, so a handoff touches one cache
 * line of one waiter. FIFO in the order of the exchange on tail. The caller provides the node,
 * which must stay valid from spin_mcs_lock until spin_mcs_unlock returns, and passes the same
 * node to both (one node per thread per lock held; a stack variable works). */
struct spin_mcs_node {
    _Alignas(SPIN_CACHE_LINE_BYTES) _Atomic(struct spin_mcs_node *) next; /* my successor */
    atomic_bool is_waiting; /* true until my predecessor hands me the lock */
};
struct spin_mcs {
    _Alignas(
        SPIN_CACHE_LINE_BYTES) _Atomic(struct spin_mcs_node *) tail; /* last in line, or NULL */
};
void spin_mcs_init(struct spin_mcs *lock);
void spin_mcs_lock(struct spin_mcs *lock, struct spin_mcs_node *node);
void spin_mcs_unlock(struct spin_mcs *lock, struct spin_mcs_node *node);

/* The pause every spin loop runs once per iteration: the x86 `pause` (or arm64 `yield`)
 * instruction, which tells the core it is spinning. Also used by the other parts. */
void spin_pause(void);
/* Call once per iteration of a wait loop with the count of iterations so far; yields the CPU
 * every SPIN_YIELD_AFTER iterations and pauses otherwise. */
void spin_wait(uint32_t iteration);

#endif
