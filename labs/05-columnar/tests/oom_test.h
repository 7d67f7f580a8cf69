/* oom_test.h -- out of memory, injected (kh_oom.h): what the memory tests of parts B and D
 * share. A scenario makes what it needs, runs one call with the n-th allocation from arm(n)
 * failed, frees all it made, and returns the call's status; fail_each_allocation fails each
 * allocation in turn until the call runs through. Under a sanitizer the allocator is the
 * sanitizer's: nothing is injected and each call runs once. */
#ifndef KEEL_OOM_TEST_H
#define KEEL_OOM_TEST_H

#include "col_test.h"
#include "kh_oom.h"

#define ALLOCATIONS_MAX 200 /* a call that still allocates after this many failed is looping */

/* Arms the n-th allocation from now to fail (none when n < 0, or under a sanitizer). */
static TEST_UNUSED void
arm(int n)
{
#if KH_OOM_IS_INJECTABLE
    if (n >= 0) {
        kh_oom_arm(n);
    }
#else
    (void)n;
#endif
}

/* Stops failing; whether an allocation failed since arm. */
static TEST_UNUSED bool
disarm(void)
{
#if KH_OOM_IS_INJECTABLE
    return kh_oom_disarm();
#else
    return false;
#endif
}

/* Fails allocation n = 0, 1, ... of the scenario's call until it runs through: each failure
 * must be COL_NOMEM (or COL_OK, when may_succeed: a library call that copes by itself), and
 * leave no block allocated once the scenario has freed what it made. */
static TEST_UNUSED void
fail_each_allocation(const char *name, col_status (*scenario)(int, bool *, int), int step,
                     bool may_succeed)
{
#if KH_OOM_IS_INJECTABLE
    for (int n = 0; n <= ALLOCATIONS_MAX; n++) {
        int64_t live = kh_oom_live_blocks();
        bool did_fail = false;
        col_status status = scenario(n, &did_fail, step);
        if (kh_oom_live_blocks() != live) {
            fail_msg("%s with allocation %d failed: %" PRId64 " blocks left allocated", name, n,
                     kh_oom_live_blocks() - live);
        }
        if (!did_fail) {
            if (status != COL_OK) {
                fail_msg("%s with no allocation failed is %s", name, status_name(status));
            }
            return;
        }
        if (status != COL_NOMEM && !(may_succeed && status == COL_OK)) {
            fail_msg("%s with allocation %d failed is %s, want COL_NOMEM", name, n,
                     status_name(status));
        }
    }
    fail_msg("%s still allocates after %d failures", name, ALLOCATIONS_MAX);
#else
    bool did_fail;
    (void)may_succeed;
    if (scenario(-1, &did_fail, step) != COL_OK) {
        fail_msg("%s with no allocation failed is not COL_OK", name);
    }
#endif
}

#endif
