/* kh_oom.h -- out of memory on demand, for tests that check what a call promises when an
 * allocation fails (a status, nothing changed, nothing leaked) or that it allocates nothing.
 *
 * A test file that includes this header defines malloc, calloc, realloc, free, aligned_alloc,
 * memalign and posix_memalign itself; an executable's definitions win over the C library's, so
 * every allocation of the code under test comes here first, as SQLite's tests fail its
 * allocator. Include it in one file of a test
 * binary only. Everything is per thread: only the thread that arms a failure sees it, so helper
 * threads and the test framework are not disturbed (but call no cmocka function while armed:
 * cmocka allocates).
 *
 * - kh_oom_arm(n): the n-th allocation from now fails (0: the next one), once.
 * - kh_oom_arm_all(on): while on, every allocation fails.
 * - kh_oom_disarm(): stops both; returns whether an allocation failed since kh_oom_arm.
 * - kh_oom_live_blocks(): blocks allocated minus blocks freed by this thread; a call that leaks
 *   nothing leaves it as it found it (read it around calls that allocate and free on this
 *   thread; mmap, which glibc uses for blocks of 128 KiB and more inside malloc, is counted as the
 *   malloc it serves).
 * - kh_oom_allocations(): allocations this thread made (successful or failed), so a test can
 *   check that a call allocates nothing.
 *
 * A sanitizer replaces the allocator itself, so its builds define none of this
 * (KH_OOM_IS_INJECTABLE is 0; the two counts then read 0): a test then says so and checks what
 * it can without it. */
#ifndef KEEL_KH_OOM_H
#define KEEL_KH_OOM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KH_OOM_IS_INJECTABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define KH_OOM_IS_INJECTABLE 0
#endif
#endif
#ifndef KH_OOM_IS_INJECTABLE
#define KH_OOM_IS_INJECTABLE 1
#endif

#if KH_OOM_IS_INJECTABLE
void *__libc_malloc(size_t size_bytes);
void *__libc_calloc(size_t count, size_t size_bytes);
void *__libc_realloc(void *p, size_t size_bytes);
void __libc_free(void *p);
void *__libc_memalign(size_t alignment, size_t size_bytes);
void *memalign(size_t alignment, size_t size_bytes); /* <malloc.h>'s, declared here alone */

#define KH_OOM_COUNTDOWN_OFF (-1)
#define KH_OOM_COUNTDOWN_FIRED (-2)
/* The countdown-th allocation from when it is set fails, after which it is
 * KH_OOM_COUNTDOWN_FIRED; KH_OOM_COUNTDOWN_OFF when none is to fail. */
static _Thread_local int64_t kh_oom_countdown = KH_OOM_COUNTDOWN_OFF;
static _Thread_local bool kh_oom_is_all_failing;
static _Thread_local int64_t kh_oom_live_count;
static _Thread_local uint64_t kh_oom_allocation_count;

/* Whether this allocation fails; counts it either way. */
static bool
kh_oom_fails_now(void)
{
    kh_oom_allocation_count++;
    if (kh_oom_is_all_failing) {
        return true;
    }
    if (kh_oom_countdown == 0) {
        kh_oom_countdown = KH_OOM_COUNTDOWN_FIRED;
        return true;
    }
    if (kh_oom_countdown > 0) {
        kh_oom_countdown--;
    }
    return false;
}

void *
malloc(size_t size_bytes)
{
    if (kh_oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_malloc(size_bytes);
    kh_oom_live_count += p != NULL;
    return p;
}

void *
calloc(size_t count, size_t size_bytes)
{
    if (kh_oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_calloc(count, size_bytes);
    kh_oom_live_count += p != NULL;
    return p;
}

void *
realloc(void *p, size_t size_bytes)
{
    if (kh_oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __libc_realloc(p, size_bytes);
    if (p == NULL && q != NULL) {
        kh_oom_live_count++;
    } else if (p != NULL && q == NULL && size_bytes == 0) {
        kh_oom_live_count--; /* glibc frees p */
    }
    return q;
}

/* Aligned memory (a queue's indices on cache lines of their own) fails and counts the same. */
void *
aligned_alloc(size_t alignment, size_t size_bytes)
{
    if (kh_oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_memalign(alignment, size_bytes);
    kh_oom_live_count += p != NULL;
    return p;
}

void *
memalign(size_t alignment, size_t size_bytes)
{
    return aligned_alloc(alignment, size_bytes);
}

int
posix_memalign(void **p, size_t alignment, size_t size_bytes)
{
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    void *q = aligned_alloc(alignment, size_bytes);
    if (q == NULL) {
        return ENOMEM;
    }
    *p = q;
    return 0;
}

void
free(void *p)
{
    kh_oom_live_count -= p != NULL;
    __libc_free(p);
}

static inline void
kh_oom_arm(int64_t countdown)
{
    kh_oom_countdown = countdown;
}

static inline void
kh_oom_arm_all(bool is_on)
{
    kh_oom_is_all_failing = is_on;
}

static inline bool
kh_oom_disarm(void)
{
    bool has_fired = kh_oom_countdown == KH_OOM_COUNTDOWN_FIRED;
    kh_oom_countdown = KH_OOM_COUNTDOWN_OFF;
    kh_oom_is_all_failing = false;
    return has_fired;
}

static inline int64_t
kh_oom_live_blocks(void)
{
    return kh_oom_live_count;
}

static inline uint64_t
kh_oom_allocations(void)
{
    return kh_oom_allocation_count;
}
#else
/* A sanitizer's build counts nothing: both read 0, so a check built on them holds there. */
static inline int64_t
kh_oom_live_blocks(void)
{
    return 0;
}

static inline uint64_t
kh_oom_allocations(void)
{
    return 0;
}
#endif

#endif
