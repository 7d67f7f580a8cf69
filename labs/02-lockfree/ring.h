/* ring.h -- bounded rings of uint64_t values (lab 02, part E), in caller-provided memory.
 * ring_mpmc: any number of producers and consumers; each slot carries a sequence number that
 *   says whose turn it is (Vyukov's bounded MPMC queue), so a producer and a consumer touch
 *   only the slot they claimed and one shared index each.
 * ring_spsc: exactly one producer thread and one consumer thread (the contract is in the
 *   name; a second producer corrupts it). Each side caches the other side's index and reads
 *   the shared one only when the cache says full or empty (as ck_ring and rigtorp's
 *   SPSCQueue do), so in steady state a push touches no line the consumer writes.
 * try_ functions never wait. The blocking ones wait until they can (spinning a while, then
 * sleeping on a futex) and never miss a wakeup: a value pushed while a consumer falls asleep
 * wakes it. */
#ifndef KEEL_RING_H
#define KEEL_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_CACHE_LINE_BYTES 64u
#define RING_CAPACITY_MAX (1u << 30) /* slots; a power of two */
#define RING_SPINS_BEFORE_SLEEP 128u /* a blocking call retries this often before sleeping */

#define RING_STATUS(X)                                                                             \
    X(RING_OK, "ok")                                                                               \
    X(RING_FULL, "the ring is full")                                                               \
    X(RING_EMPTY, "the ring is empty")                                                             \
    X(RING_BAD_CAPACITY, "capacity must be a power of two in [2, RING_CAPACITY_MAX]")              \
    X(RING_UNIMPLEMENTED, "not implemented yet")
#define RING_STATUS_ENUM(name, text) name,
typedef enum { RING_STATUS(RING_STATUS_ENUM) } ring_status;
#undef RING_STATUS_ENUM
const char *ring_strerror(ring_status status);

/* Sleeping and waking for the blocking variants: a futex word per direction, and the number
 * of threads asleep (or about to sleep) on it. */
struct ring_waiters {
    _Alignas(RING_CACHE_LINE_BYTES) atomic_uint futex_word; /* bumped by every wake */
    atomic_uint sleeper_count;
};

struct ring_mpmc_slot {
    atomic_size_t sequence; /* == position: free for the producer of position;
                               == position + 1: holds position's value for its consumer */
    uint64_t value;
};

struct ring_mpmc {
    _Alignas(RING_CACHE_LINE_BYTES) atomic_size_t push_position;  /* next position to fill */
    _Alignas(RING_CACHE_LINE_BYTES) atomic_size_t pop_position;   /* next position to empty */
    _Alignas(RING_CACHE_LINE_BYTES) struct ring_mpmc_slot *slots; /* borrowed, capacity of them */
    size_t mask;                                                  /* capacity - 1 */
    struct ring_waiters not_empty;                                /* consumers asleep wait here */
    struct ring_waiters not_full;                                 /* producers asleep wait here */
};

/* slots: capacity entries, caller-provided, must outlive the ring. *r may hold any bytes
 * before (it need not be zeroed). Returns RING_OK or RING_BAD_CAPACITY. */
ring_status ring_mpmc_init(struct ring_mpmc *r, struct ring_mpmc_slot *slots, size_t capacity);
ring_status ring_mpmc_try_push(struct ring_mpmc *r, uint64_t value); /* RING_OK or RING_FULL */
ring_status ring_mpmc_try_pop(struct ring_mpmc *r, uint64_t *value); /* RING_OK or RING_EMPTY */
void ring_mpmc_push(struct ring_mpmc *r, uint64_t value);            /* waits while full */
uint64_t ring_mpmc_pop(struct ring_mpmc *r);                         /* waits while empty */

struct ring_spsc {
    /* The producer's line: what it writes, and its cache of the consumer's index. */
    _Alignas(RING_CACHE_LINE_BYTES) atomic_size_t push_position;
    size_t pop_position_cached;
    /* The consumer's line. */
    _Alignas(RING_CACHE_LINE_BYTES) atomic_size_t pop_position;
    size_t push_position_cached;
    /* Read-only after init. */
    _Alignas(RING_CACHE_LINE_BYTES) uint64_t *slots; /* borrowed, capacity of them */
    size_t mask;
    struct ring_waiters not_empty;
    struct ring_waiters not_full;
};

/* As ring_mpmc_init: *r may hold any bytes before. */
ring_status ring_spsc_init(struct ring_spsc *r, uint64_t *slots, size_t capacity);
ring_status ring_spsc_try_push(struct ring_spsc *r, uint64_t value); /* producer thread only */
ring_status ring_spsc_try_pop(struct ring_spsc *r, uint64_t *value); /* consumer thread only */
void ring_spsc_push(struct ring_spsc *r, uint64_t value);
uint64_t ring_spsc_pop(struct ring_spsc *r);

#endif
