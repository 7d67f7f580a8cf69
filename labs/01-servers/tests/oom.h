/* oom.h -- out of memory, injected, for the lab 01 tests that check what a call does when an
 * allocation fails (store.h, pubsub.h and server.h promise a status and nothing changed). A test
 * file that includes it has its own malloc, calloc, realloc and free (an executable's
 * definitions win over the C library's): the countdown-th allocation on the arming thread
 * fails, as SQLite's tests fail its allocator, and live blocks are counted so a test sees a
 * leak. A sanitizer replaces the allocator itself, so its builds leave these out and inject
 * nothing (OOM_IS_INJECTABLE 0): the tests then say so and pass. */
#ifndef KEEL_OOM_H
#define KEEL_OOM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OOM_IS_INJECTABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define OOM_IS_INJECTABLE 0
#endif
#endif
#ifndef OOM_IS_INJECTABLE
#define OOM_IS_INJECTABLE 1
#endif

#if OOM_IS_INJECTABLE
void *__libc_malloc(size_t size_bytes);
void *__libc_calloc(size_t count, size_t size_bytes);
void *__libc_realloc(void *p, size_t size_bytes);
void __libc_free(void *p);

/* The countdown-th allocation from when it is set fails (0: the next one), after which it is
 * OOM_COUNTDOWN_FIRED; OOM_COUNTDOWN_OFF when none is to fail. This thread's only. */
#define OOM_COUNTDOWN_OFF (-1)
#define OOM_COUNTDOWN_FIRED (-2)
static _Thread_local int64_t oom_countdown = OOM_COUNTDOWN_OFF;
/* Blocks this thread allocated minus blocks it freed: a call that leaks nothing leaves it as
 * it found it (read it around calls that allocate and free on this thread only). */
static _Thread_local int64_t oom_live_blocks;

/* Whether this allocation fails. */
static bool
oom_fails_now(void)
{
    if (oom_countdown == 0) {
        oom_countdown = OOM_COUNTDOWN_FIRED;
        return true;
    }
    if (oom_countdown > 0) {
        oom_countdown--;
    }
    return false;
}

void *
malloc(size_t size_bytes)
{
    if (oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_malloc(size_bytes);
    oom_live_blocks += p != NULL;
    return p;
}

void *
calloc(size_t count, size_t size_bytes)
{
    if (oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __libc_calloc(count, size_bytes);
    oom_live_blocks += p != NULL;
    return p;
}

void *
realloc(void *p, size_t size_bytes)
{
    if (oom_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __libc_realloc(p, size_bytes);
    if (p == NULL && q != NULL) {
        oom_live_blocks++;
    } else if (p != NULL && q == NULL && size_bytes == 0) {
        oom_live_blocks--; /* glibc frees p */
    }
    return q;
}

void
free(void *p)
{
    oom_live_blocks -= p != NULL;
    __libc_free(p);
}

/* Arms the countdown-th allocation from now to fail. */
static inline void
oom_arm(int64_t countdown)
{
    oom_countdown = countdown;
}

/* Disarms; returns whether an allocation failed since oom_arm. */
static inline bool
oom_disarm(void)
{
    bool has_fired = oom_countdown == OOM_COUNTDOWN_FIRED;
    oom_countdown = OOM_COUNTDOWN_OFF;
    return has_fired;
}
#endif

#endif
