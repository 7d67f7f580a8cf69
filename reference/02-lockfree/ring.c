/* ring.c -- lab 02 part E: the bounded MPMC ring with per-slot sequence numbers, the SPSC ring
 * with cached indices, and their blocking variants (ring.h). Read ring_mpmc_try_push first:
 * a producer claims a position with a CAS only when the slot's sequence says it is free, then
 * fills the slot and publishes it by advancing the sequence. Then waiters_sleep/waiters_wake:
 * the handshake that keeps a sleeping consumer from missing a push. */
#include "ring.h"

#include "kh_chaos.h"

#include <assert.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RING_STATUS_TEXT(name, text) [name] = (text),
static const char *const ring_status_texts[] = {RING_STATUS(RING_STATUS_TEXT)};
#undef RING_STATUS_TEXT

const char *
ring_strerror(ring_status status)
{
    return (size_t)status < sizeof(ring_status_texts) / sizeof(ring_status_texts[0])
               ? ring_status_texts[status]
               : "unknown status";
}

static bool
is_valid_capacity(size_t capacity)
{
    return capacity >= 2 && capacity <= RING_CAPACITY_MAX && (capacity & (capacity - 1)) == 0;
}

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* ---- Sleeping and waking ------------------------------------------------------------------
 * A waiter reads the futex word, announces itself in sleeper_count, checks its condition once
 * more, and sleeps only if the word has not changed. A waker changes the condition (pushes),
 * then reads sleeper_count and, if anyone sleeps, bumps the word and wakes them. Both sides
 * put a full fence between their store and their load (the waiter: increment, then check; the
 * waker: push, then read the count), so at least one of them sees the other's store: either
 * the waiter finds the value, or the waker finds the waiter and wakes it. The "fence" is a
 * seq_cst read-modify-write of sleeper_count on both sides, which C11 and ThreadSanitizer
 * both reason about (TSan does not model atomic_thread_fence). */

static void
waiters_init(struct ring_waiters *w)
{
    atomic_init(&w->futex_word, 0);
    atomic_init(&w->sleeper_count, 0);
}

/* Sleeps until woken, unless is_ready_cb says the condition already holds. */
static void
waiters_sleep(struct ring_waiters *w, bool (*is_ready_cb)(void *ctx), void *ctx)
{
    assert(is_ready_cb != NULL);
    /* Relaxed: the futex syscall compares the word itself, atomically with going to sleep. */
    unsigned word = atomic_load_explicit(&w->futex_word, memory_order_relaxed);
    /* Seq_cst read-modify-write: my announcement is ordered against the waker's RMW of the
     * same counter. If mine comes first, the waker sees me; if the waker's comes first, its
     * release (after its push) synchronizes with my acquire, and my re-check sees the push. */
    atomic_fetch_add_explicit(&w->sleeper_count, 1, memory_order_seq_cst);
    KH_CHAOS_POINT();
    if (!is_ready_cb(ctx)) {
        syscall(SYS_futex, &w->futex_word, FUTEX_WAIT_PRIVATE, word, NULL, NULL, 0);
    }
    /* Relaxed: the count only tells wakers whether to make a syscall. */
    unsigned sleepers = atomic_fetch_sub_explicit(&w->sleeper_count, 1, memory_order_relaxed);
    assert(sleepers >= 1); /* I was one of them */
}

/* Wakes every sleeper, if there is any. Call after making the condition true. */
static void
waiters_wake(struct ring_waiters *w)
{
    /* Seq_cst read-modify-write (adding 0), not a plain load: see waiters_sleep. A load could
     * read a count older than a sleeper's announcement while that sleeper's re-check misses my
     * push (store-load reordering), and both would wait for the other. */
    if (atomic_fetch_add_explicit(&w->sleeper_count, 0, memory_order_seq_cst) == 0) {
        return;
    }
    /* Relaxed: the syscalls order the word; a sleeper that read the old word fails its wait. */
    atomic_fetch_add_explicit(&w->futex_word, 1, memory_order_relaxed);
    syscall(SYS_futex, &w->futex_word, FUTEX_WAKE_PRIVATE, __INT_MAX__, NULL, NULL, 0);
}

/* ---- MPMC ---------------------------------------------------------------------------------- */

ring_status
ring_mpmc_init(struct ring_mpmc *r, struct ring_mpmc_slot *slots, size_t capacity)
{
    assert(r != NULL);
    if (!is_valid_capacity(capacity)) {
        return RING_BAD_CAPACITY;
    }
    assert(slots != NULL);
    for (size_t i = 0; i < capacity; i++) {
        atomic_init(&slots[i].sequence, i);
        slots[i].value = 0;
    }
    atomic_init(&r->push_position, 0);
    atomic_init(&r->pop_position, 0);
    r->slots = slots;
    r->mask = capacity - 1;
    waiters_init(&r->not_empty);
    waiters_init(&r->not_full);
    assert(r->mask + 1 == capacity);
    return RING_OK;
}

ring_status
ring_mpmc_try_push(struct ring_mpmc *r, uint64_t value)
{
    /* Relaxed: a guess at the position; the slot's sequence and the CAS decide. */
    size_t position = atomic_load_explicit(&r->push_position, memory_order_relaxed);
    for (;;) {
        struct ring_mpmc_slot *slot = &r->slots[position & r->mask];
        /* Acquire: pairs with the consumer's release of this sequence, so its read of the
         * old value is done before I overwrite it. */
        size_t sequence = atomic_load_explicit(&slot->sequence, memory_order_acquire);
        intptr_t lag = (intptr_t)sequence - (intptr_t)position;
        KH_CHAOS_POINT();
        if (lag == 0) {
            /* Relaxed: the CAS only claims the position; the slot's sequence publishes. */
            if (atomic_compare_exchange_weak_explicit(&r->push_position, &position, position + 1,
                                                      memory_order_relaxed, memory_order_relaxed)) {
                slot->value = value;
                /* Release: the value is written before a consumer sees the slot full. */
                atomic_store_explicit(&slot->sequence, position + 1, memory_order_release);
                return RING_OK;
            }
        } else if (lag < 0) {
            return RING_FULL; /* the slot still holds the value of position - capacity */
        } else {
            position = atomic_load_explicit(&r->push_position, memory_order_relaxed);
        }
    }
}

ring_status
ring_mpmc_try_pop(struct ring_mpmc *r, uint64_t *value)
{
    /* Relaxed: a guess, as in try_push. */
    size_t position = atomic_load_explicit(&r->pop_position, memory_order_relaxed);
    for (;;) {
        struct ring_mpmc_slot *slot = &r->slots[position & r->mask];
        /* Acquire: pairs with the producer's release, so the value is readable. */
        size_t sequence = atomic_load_explicit(&slot->sequence, memory_order_acquire);
        intptr_t lag = (intptr_t)sequence - (intptr_t)(position + 1);
        KH_CHAOS_POINT();
        if (lag == 0) {
            if (atomic_compare_exchange_weak_explicit(&r->pop_position, &position, position + 1,
                                                      memory_order_relaxed, memory_order_relaxed)) {
                assert(value != NULL);
                *value = slot->value;
                /* Release: my read of the value is done before a producer refills the slot,
                 * which it may at position + capacity. */
                atomic_store_explicit(&slot->sequence, position + r->mask + 1,
                                      memory_order_release);
                return RING_OK;
            }
        } else if (lag < 0) {
            return RING_EMPTY; /* the producer of this position has not finished */
        } else {
            position = atomic_load_explicit(&r->pop_position, memory_order_relaxed);
        }
    }
}

/* The conditions a sleeper re-checks: is there a value (room) at the next position? */
static bool
mpmc_has_value(void *ctx)
{
    struct ring_mpmc *r = ctx;
    size_t position = atomic_load_explicit(&r->pop_position, memory_order_relaxed);
    size_t sequence =
        atomic_load_explicit(&r->slots[position & r->mask].sequence, memory_order_relaxed);
    return (intptr_t)sequence - (intptr_t)(position + 1) >= 0;
}

static bool
mpmc_has_room(void *ctx)
{
    struct ring_mpmc *r = ctx;
    size_t position = atomic_load_explicit(&r->push_position, memory_order_relaxed);
    size_t sequence =
        atomic_load_explicit(&r->slots[position & r->mask].sequence, memory_order_relaxed);
    return (intptr_t)sequence - (intptr_t)position >= 0;
}

void
ring_mpmc_push(struct ring_mpmc *r, uint64_t value)
{
    for (uint32_t i = 0; ring_mpmc_try_push(r, value) != RING_OK; i++) {
        if (i < RING_SPINS_BEFORE_SLEEP) {
            cpu_relax();
        } else {
            waiters_sleep(&r->not_full, mpmc_has_room, r);
        }
    }
    waiters_wake(&r->not_empty);
}

uint64_t
ring_mpmc_pop(struct ring_mpmc *r)
{
    uint64_t value = 0;
    for (uint32_t i = 0; ring_mpmc_try_pop(r, &value) != RING_OK; i++) {
        if (i < RING_SPINS_BEFORE_SLEEP) {
            cpu_relax();
        } else {
            waiters_sleep(&r->not_empty, mpmc_has_value, r);
        }
    }
    waiters_wake(&r->not_full);
    return value;
}

/* ---- SPSC ---------------------------------------------------------------------------------- */

ring_status
ring_spsc_init(struct ring_spsc *r, uint64_t *slots, size_t capacity)
{
    assert(r != NULL);
    if (!is_valid_capacity(capacity)) {
        return RING_BAD_CAPACITY;
    }
    assert(slots != NULL);
    atomic_init(&r->push_position, 0);
    atomic_init(&r->pop_position, 0);
    r->pop_position_cached = 0;
    r->push_position_cached = 0;
    r->slots = slots;
    r->mask = capacity - 1;
    waiters_init(&r->not_empty);
    waiters_init(&r->not_full);
    assert(r->mask + 1 == capacity);
    return RING_OK;
}

ring_status
ring_spsc_try_push(struct ring_spsc *r, uint64_t value)
{
    /* Relaxed: only this thread writes push_position. */
    size_t position = atomic_load_explicit(&r->push_position, memory_order_relaxed);
    if (position - r->pop_position_cached > r->mask) {
        /* Looks full by the cache: read the consumer's real index. Acquire: pairs with its
         * release, so its read of the slot I am about to overwrite is done. */
        r->pop_position_cached = atomic_load_explicit(&r->pop_position, memory_order_acquire);
        /* The consumer is never ahead of me, nor more than a ring behind (as in try_pop). */
        assert(position - r->pop_position_cached <= r->mask + 1);
        if (position - r->pop_position_cached > r->mask) {
            return RING_FULL;
        }
    }
    r->slots[position & r->mask] = value;
    KH_CHAOS_POINT();
    /* Release: the value is written before the consumer sees the new position. */
    atomic_store_explicit(&r->push_position, position + 1, memory_order_release);
    return RING_OK;
}

ring_status
ring_spsc_try_pop(struct ring_spsc *r, uint64_t *value)
{
    /* Relaxed: only this thread writes pop_position. */
    size_t position = atomic_load_explicit(&r->pop_position, memory_order_relaxed);
    if (position == r->push_position_cached) {
        /* Looks empty by the cache. Acquire: pairs with the producer's release, so the values
         * up to its position are readable. */
        r->push_position_cached = atomic_load_explicit(&r->push_position, memory_order_acquire);
        /* The producer is never behind me, nor more than a ring ahead. */
        assert(r->push_position_cached - position <= r->mask + 1);
        if (position == r->push_position_cached) {
            return RING_EMPTY;
        }
    }
    *value = r->slots[position & r->mask];
    KH_CHAOS_POINT();
    /* Release: my read of the slot is done before the producer sees it free. */
    atomic_store_explicit(&r->pop_position, position + 1, memory_order_release);
    return RING_OK;
}

static bool
spsc_has_value(void *ctx)
{
    struct ring_spsc *r = ctx;
    return atomic_load_explicit(&r->push_position, memory_order_relaxed) !=
           atomic_load_explicit(&r->pop_position, memory_order_relaxed);
}

static bool
spsc_has_room(void *ctx)
{
    struct ring_spsc *r = ctx;
    return atomic_load_explicit(&r->push_position, memory_order_relaxed) -
               atomic_load_explicit(&r->pop_position, memory_order_relaxed) <=
           r->mask;
}

void
ring_spsc_push(struct ring_spsc *r, uint64_t value)
{
    for (uint32_t i = 0; ring_spsc_try_push(r, value) != RING_OK; i++) {
        if (i < RING_SPINS_BEFORE_SLEEP) {
            cpu_relax();
        } else {
            waiters_sleep(&r->not_full, spsc_has_room, r);
        }
    }
    waiters_wake(&r->not_empty);
}

uint64_t
ring_spsc_pop(struct ring_spsc *r)
{
    uint64_t value = 0;
    for (uint32_t i = 0; ring_spsc_try_pop(r, &value) != RING_OK; i++) {
        if (i < RING_SPINS_BEFORE_SLEEP) {
            cpu_relax();
        } else {
            waiters_sleep(&r->not_empty, spsc_has_value, r);
        }
    }
    waiters_wake(&r->not_full);
    return value;
}
