/* test_b_memory.c -- part B: out of memory in an operator is a status (COL_NOMEM), never a
 * crash, a wrong answer or a leak: each allocation of an aggregate, a join and a sort call is
 * failed in turn (kh_oom.h), and everything made is then freed with nothing left over. Under a
 * sanitizer the allocator is the sanitizer's, and the test says so. */
#include "exec_test.h"
#include "kh_oom.h"
#include "ops.h"

#define ALLOCATIONS_MAX 200 /* a call that still allocates after this many failed is looping */

static struct test_batch g_batch, g_other; /* g_other's keys are not g_batch's */
static enum col_type g_types[TB_COLUMNS];
static uint8_t g_scales[TB_COLUMNS];

/* Arms the n-th allocation from now to fail (none when n < 0, or under a sanitizer). */
static void
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
static bool
disarm(void)
{
#if KH_OOM_IS_INJECTABLE
    return kh_oom_disarm();
#else
    return false;
#endif
}

/* Each scenario makes what it needs, runs one call with allocation n failed, frees all, and
 * returns that call's status; *did_fail says whether an allocation failed. */
typedef col_status scenario_fn(int n, bool *did_fail);

static col_status
aggregate_scenario(int n, bool *did_fail, int step)
{
    struct agg_spec spec = {.key_count = 2,
                            .keys = {TB_T, TB_I},
                            .func_count = 3,
                            .fns = {AGG_SUM, AGG_MAX, AGG_COUNT},
                            .args = {TB_P, TB_S, TB_D}};
    struct agg_table *a = NULL, *b = NULL;
    struct mat out = {0};
    col_status status = COL_OK;
    *did_fail = false;
    if (step == 0) {
        arm(n);
        status = agg_table_new(&spec, TB_COLUMNS, g_types, g_scales, &a, NULL);
        *did_fail = disarm();
    } else {
        assert_status(agg_table_new(&spec, TB_COLUMNS, g_types, g_scales, &a, NULL), COL_OK);
        assert_status(agg_table_new(&spec, TB_COLUMNS, g_types, g_scales, &b, NULL), COL_OK);
        if (step >= 2) { /* so that a merge makes groups */
            assert_status(agg_table_add(a, &g_batch.b, NULL), COL_OK);
            assert_status(agg_table_add(b, &g_other.b, NULL), COL_OK);
        }
        arm(n);
        status = step == 1   ? agg_table_add(a, &g_batch.b, NULL)
                 : step == 2 ? agg_table_merge(a, b, NULL)
                             : agg_table_finish(a, &out, NULL);
        *did_fail = disarm();
    }
    if (status == COL_OK && step == 3) {
        mat_free(&out);
    }
    agg_table_free(a);
    agg_table_free(b);
    return status;
}

static col_status
join_scenario(int n, bool *did_fail, int step)
{
    struct join_spec spec = {
        .key_count = 2, .build_keys = {TB_I, TB_S}, .probe_keys = {TB_I, TB_T}};
    struct join_table *t = NULL;
    struct join_probe *p = NULL;
    assert_status(join_table_new(&spec, TB_COLUMNS, g_types, g_scales, &t, NULL), COL_OK);
    col_status status;
    if (step == 0) {
        arm(n);
        status = join_table_add(t, &g_batch.b, NULL);
    } else {
        assert_status(join_table_add(t, &g_batch.b, NULL), COL_OK);
        arm(n);
        status = join_table_finish(t, NULL);
        if (step == 2 && status == COL_OK) {
            disarm();
            arm(n);
            status = join_probe_new(t, TB_COLUMNS, g_types, g_scales, &p, NULL);
        }
    }
    *did_fail = disarm();
    join_probe_free(p);
    join_table_free(t);
    return status;
}

static col_status
sort_scenario(int n, bool *did_fail, int step)
{
    struct sort_spec spec = {.key_count = 2, .keys = {{TB_T, false}, {TB_P, true}}, .limit = 100};
    struct sort_table *t = NULL;
    struct mat out = {0};
    assert_status(sort_table_new(&spec, TB_COLUMNS, g_types, g_scales, &t, NULL), COL_OK);
    col_status status;
    if (step == 0) {
        arm(n);
        status = sort_table_add(t, &g_batch.b, NULL);
    } else {
        assert_status(sort_table_add(t, &g_batch.b, NULL), COL_OK);
        arm(n);
        status = sort_table_finish(t, &out, NULL);
    }
    *did_fail = disarm();
    if (status == COL_OK && step == 1) {
        assert_int_equal(out.row_count, spec.limit); /* whole, whatever failed on the way */
        mat_free(&out);
    }
    sort_table_free(t);
    return status;
}

/* Fails allocation n = 0, 1, ... of the scenario's call until it runs through: each failure
 * must be COL_NOMEM (or COL_OK, when may_succeed: a library call that copes by itself), and
 * leave no block allocated once the scenario has freed what it made. */
static void
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

/* Claim: when memory runs out, agg_table_new, _add, _merge and _finish, join_table_add and
 * _finish, join_probe_new, and sort_table_add and _finish each return COL_NOMEM, and freeing
 * what was made leaves nothing allocated. */
static void
test_b_out_of_memory_is_a_status(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected, and "
           "each call is only run once\n");
#endif
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    test_batch_make(&g_batch, &rng, COL_VECTOR_SIZE, 10, true);
    test_batch_make(&g_other, &rng, COL_VECTOR_SIZE, 10, true);
    for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
        g_other.i[row] += 5000; /* past g_batch's keys, -1,000 .. 1,000 */
    }
    test_batch_types(&g_batch, g_types, g_scales);
    static const char *const agg_names[] = {"agg_table_new", "agg_table_add", "agg_table_merge",
                                            "agg_table_finish"};
    for (int step = 0; step < 4; step++) {
        fail_each_allocation(agg_names[step], aggregate_scenario, step, false);
    }
    static const char *const join_names[] = {"join_table_add", "join_table_finish",
                                             "join_probe_new"};
    for (int step = 0; step < 3; step++) {
        fail_each_allocation(join_names[step], join_scenario, step, false);
    }
    fail_each_allocation("sort_table_add", sort_scenario, 0, false);
    /* qsort_r takes memory of its own and sorts in place when it cannot: a finish may then
     * succeed, and must give every row. */
    fail_each_allocation("sort_table_finish", sort_scenario, 1, true);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_out_of_memory_is_a_status),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
