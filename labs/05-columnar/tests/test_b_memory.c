/* test_b_memory.c -- part B: out of memory in an operator is a status (COL_NOMEM), never a
 * crash, a wrong answer or a leak: each allocation of an aggregate, a join and a sort call is
 * failed in turn (kh_oom.h), and everything made is then freed with nothing left over. Under a
 * sanitizer the allocator is the sanitizer's, and the test says so. */
#include "exec_test.h"
#include "oom_test.h"
#include "ops.h"

static struct test_batch g_batch, g_other; /* g_other's keys are not g_batch's */
static enum col_type g_types[TB_COLUMNS];
static uint8_t g_scales[TB_COLUMNS];

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
