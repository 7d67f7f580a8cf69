/* clock.c -- monotonic time for tests and benchmarks (never the wall clock, which jumps). */
#include "kh_core.h"

#include <assert.h>
#include <errno.h>
#include <time.h>

uint64_t
kh_clock_now_ns(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    assert(rc == 0);
    (void)rc;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
kh_clock_now_us(void)
{
    return kh_clock_now_ns() / 1000u;
}

uint64_t
kh_clock_now_ms(void)
{
    return kh_clock_now_ns() / 1000000u;
}

void
kh_clock_sleep_ms(uint64_t duration_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(duration_ms / 1000u),
                          .tv_nsec = (long)(duration_ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
