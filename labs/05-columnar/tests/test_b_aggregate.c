/* test_b_aggregate.c -- part B: hash aggregation (ops.h), checked against a row-at-a-time
 * GROUP BY written here from ops.h's table: every group, every aggregate, NULL keys and NULL
 * values, and the same answer when the rows are split over two tables and merged. Read
 * test_b_group_by_matches_row_at_a_time first. */
#include "agg_test.h"

#define ROUNDS 24u /* seeded GROUP BYs: about 0.2 s, the row-at-a-time search the most of it */
#define BATCHES_MAX 3u

/* A random GROUP BY over the test batch's columns: 0 to 3 keys, 1 to 6 aggregates. */
static void
spec_make(struct agg_spec *spec, struct kh_rng *rng)
{
    static const uint32_t key_columns[] = {TB_I, TB_S, TB_T, TB_K, TB_D, TB_P};
    static const uint32_t number_columns[] = {TB_I, TB_J, TB_P, TB_Q, TB_F, TB_K, TB_R};
    memset(spec, 0, sizeof(*spec));
    spec->key_count = (uint32_t)kh_rng_below(rng, 4);
    for (uint32_t k = 0; k < spec->key_count; k++) {
        spec->keys[k] = key_columns[kh_rng_below(rng, KH_ARRAY_LEN(key_columns))];
    }
    spec->func_count = 1 + (uint32_t)kh_rng_below(rng, 6);
    for (uint32_t f = 0; f < spec->func_count; f++) {
        spec->fns[f] = (enum agg_fn)kh_rng_below(rng, AGG_FN_COUNT);
        bool takes_any = spec->fns[f] != AGG_SUM && spec->fns[f] != AGG_AVG;
        spec->args[f] = takes_any && kh_rng_below(rng, 3) == 0
                            ? (uint32_t)kh_rng_below(rng, TB_COLUMNS)
                            : number_columns[kh_rng_below(rng, KH_ARRAY_LEN(number_columns))];
    }
}

/* Fails unless every reference group is a row of out with the reference's aggregates. */
static void
expect_groups(const struct agg_spec *spec, const struct ref_agg *r, const struct mat *out,
              const enum col_type *types, const uint8_t *scales, bool is_merged, unsigned round)
{
    for (uint32_t g = 0; g < r->groups; g++) { /* find each reference group among the rows */
        uint64_t row = 0;
        for (; row < out->row_count; row++) {
            uint32_t k = 0;
            while (k < spec->key_count && value_matches(r->g[g].keys[k], out, k, row)) {
                k++;
            }
            if (k == spec->key_count) {
                break;
            }
        }
        if (row == out->row_count) {
            char a[96];
            fail_msg("round %u: no row for group %u (first key %s)", round, g,
                     spec->key_count ? rv_text(r->g[g].keys[0], a) : "-");
        }
        for (uint32_t f = 0; f < spec->func_count; f++) {
            struct rv want = ref_result(r, spec, types, scales, g, f);
            if (!value_matches(want, out, spec->key_count + f, row)) {
                char a[96], b[96];
                struct rv got = {.is_null = !mat_is_valid(out, spec->key_count + f, row),
                                 .type = out->types[spec->key_count + f],
                                 .scale = out->scales[spec->key_count + f],
                                 .v = mat_value(out, spec->key_count + f, row)};
                fail_msg("round %u%s: %s(#%u) of group %u is %s, want %s", round,
                         is_merged ? " (merged)" : "", agg_fn_name(spec->fns[f]), spec->args[f], g,
                         rv_text(got, a), rv_text(want, b));
            }
        }
    }
}

/* Runs spec over the batches into one table, or two merged; checks the rows against ref. */
static void
check_group_by(const struct agg_spec *spec, struct test_batch *batches, uint32_t batch_count,
               bool is_merged, unsigned round)
{
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(&batches[0], types, scales);
    struct agg_table *t[2] = {NULL, NULL};
    struct col_error err = {0};
    for (int i = 0; i < 2; i++) {
        if (agg_table_new(spec, TB_COLUMNS, types, scales, &t[i], &err) != COL_OK) {
            fail_msg("round %u: agg_table_new: %s", round, err.message);
        }
    }
    static struct ref_agg ref;
    ref.groups = 0;
    for (uint32_t n = 0; n < batch_count; n++) {
        struct agg_table *into = is_merged ? t[n % 2] : t[0];
        col_status status = agg_table_add(into, &batches[n].b, &err);
        if (status != COL_OK) {
            fail_msg("round %u: agg_table_add is %s: %s", round, status_name(status), err.message);
        }
        ref_add(&ref, spec, &batches[n].b);
    }
    if (is_merged) {
        assert_status(agg_table_merge(t[0], t[1], &err), COL_OK);
        assert_int_equal(agg_table_group_count(t[1]), 0);
        /* The emptied table takes rows again, and holds their groups only. */
        static struct ref_agg again;
        again.groups = 0;
        assert_status(agg_table_add(t[1], &batches[0].b, &err), COL_OK);
        ref_add(&again, spec, &batches[0].b);
        uint64_t want = spec->key_count == 0 ? 1 : again.groups;
        if (agg_table_group_count(t[1]) != want) {
            fail_msg("round %u: a table emptied by a merge, given one batch again, holds %llu "
                     "groups; the batch has %llu",
                     round, (unsigned long long)agg_table_group_count(t[1]),
                     (unsigned long long)want);
        }
    }
    if (spec->key_count == 0 && ref.groups == 0) {
        ref.groups = 1; /* no keys: one row, also over no rows */
        memset(&ref.g[0], 0, sizeof(ref.g[0]));
    }
    struct mat out;
    col_status status = agg_table_finish(t[0], &out, &err);
    if (status != COL_OK) {
        fail_msg("round %u: agg_table_finish is %s: %s", round, status_name(status), err.message);
    }
    if (out.row_count != ref.groups) {
        fail_msg("round %u (%u keys%s): %llu groups, want %u", round, spec->key_count,
                 is_merged ? ", merged" : "", (unsigned long long)out.row_count, ref.groups);
    }
    expect_groups(spec, &ref, &out, types, scales, is_merged, round);
    mat_free(&out);
    agg_table_free(t[0]);
    agg_table_free(t[1]);
}

/* Claim: a hash GROUP BY gives one row per group the row-at-a-time GROUP BY finds, with every
 * aggregate's value (COUNT(*), COUNT, SUM, AVG, MIN, MAX over integers, decimals, doubles,
 * dates and strings; NULL keys one group; NULL values skipped), on seeded keys and aggregates
 * over batches of flat, constant and dictionary vectors with selections. */
static void
test_b_group_by_matches_row_at_a_time(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch batches[BATCHES_MAX];
    for (unsigned round = 0; round < ROUNDS; round++) {
        struct agg_spec spec;
        spec_make(&spec, &rng);
        uint32_t count = (uint32_t)kh_rng_below(&rng, BATCHES_MAX + 1);
        for (uint32_t n = 0; n < count; n++) {
            test_batch_make(&batches[n], &rng,
                            1 + (uint32_t)kh_rng_below(&rng, COL_VECTOR_SIZE / 2),
                            round % 3 == 0 ? 0 : 20, n % 2 == 1);
        }
        if (count == 0) {
            test_batch_make(&batches[0], &rng, 1, 0, false); /* for the types only */
        }
        check_group_by(&spec, batches, count, false, round);
    }
}

/* Claim: the rows split between two tables and merged give the groups one table gives (each
 * group once, its aggregates combined), and leave the merged-from table empty. */
static void
test_b_group_by_merges_tables(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch batches[BATCHES_MAX];
    for (unsigned round = 0; round < ROUNDS / 2; round++) {
        struct agg_spec spec;
        spec_make(&spec, &rng);
        for (uint32_t n = 0; n < BATCHES_MAX; n++) {
            test_batch_make(&batches[n], &rng,
                            1 + (uint32_t)kh_rng_below(&rng, COL_VECTOR_SIZE / 2), 20, n % 2 == 1);
        }
        check_group_by(&spec, batches, BATCHES_MAX, true, round);
    }
}

/* Claim: SUM past 64 bits is COL_TOO_BIG naming it, not a wrapped sum; a GROUP BY of
 * 100,000 distinct keys keeps them all apart; MAX and MIN of 61,440 strings keep the right
 * ones, however many copies that takes. */
static void
test_b_group_by_limits(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch t;
    test_batch_make(&t, &rng, COL_VECTOR_SIZE, 0, false);
    for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
        t.j[row] = INT64_MAX / 1024;
    }
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(&t, types, scales);
    struct agg_spec sum = {.key_count = 0, .func_count = 1, .fns = {AGG_SUM}, .args = {TB_J}};
    struct agg_table *a = NULL;
    assert_status(agg_table_new(&sum, TB_COLUMNS, types, scales, &a, NULL), COL_OK);
    assert_status(agg_table_add(a, &t.b, NULL), COL_OK);
    struct mat out;
    struct col_error err = {0};
    assert_status(agg_table_finish(a, &out, &err), COL_TOO_BIG);
    if (strstr(err.message, "sum") == NULL) {
        fail_msg("a SUM past 64 bits should say so: %s", err.message);
    }
    agg_table_free(a);
    struct agg_spec distinct = {
        .key_count = 1, .keys = {TB_J}, .func_count = 1, .fns = {AGG_COUNT_STAR}};
    assert_status(agg_table_new(&distinct, TB_COLUMNS, types, scales, &a, NULL), COL_OK);
    for (uint32_t n = 0; n < 50; n++) {
        for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
            t.j[row] = (int64_t)(n * COL_VECTOR_SIZE + row) % 100000;
        }
        assert_status(agg_table_add(a, &t.b, NULL), COL_OK);
    }
    assert_int_equal(agg_table_group_count(a), 100000);
    assert_status(agg_table_finish(a, &out, NULL), COL_OK);
    int64_t total = 0;
    for (uint64_t row = 0; row < out.row_count; row++) {
        total += mat_value(&out, 1, row).i64;
    }
    assert_int_equal(total, 50 * COL_VECTOR_SIZE);
    mat_free(&out);
    agg_table_free(a);
    /* MAX of 60,000 ever larger strings: each a new copy the table keeps, megabytes in all. */
    struct agg_spec longest = {.func_count = 2, .fns = {AGG_MAX, AGG_MIN}, .args = {TB_T, TB_T}};
    assert_status(agg_table_new(&longest, TB_COLUMNS, types, scales, &a, NULL), COL_OK);
    static char text[COL_VECTOR_SIZE][16];
    for (uint32_t n = 0; n < 30; n++) {
        for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
            int size = snprintf(text[row], sizeof(text[row]), "k%08u", n * COL_VECTOR_SIZE + row);
            t.t[row] = (struct col_str){text[row], (uint32_t)size};
        }
        assert_status(agg_table_add(a, &t.b, NULL), COL_OK);
    }
    assert_status(agg_table_finish(a, &out, NULL), COL_OK);
    struct col_str max = mat_value(&out, 0, 0).str, min = mat_value(&out, 1, 0).str;
    if (max.size_bytes != 9 || memcmp(max.ptr, "k00061439", 9) != 0 || min.size_bytes != 9 ||
        memcmp(min.ptr, "k00000000", 9) != 0) {
        fail_msg("MAX and MIN of k00000000 .. k00061439 are '%.*s' and '%.*s'", (int)max.size_bytes,
                 max.ptr, (int)min.size_bytes, min.ptr);
    }
    mat_free(&out);
    agg_table_free(a);
}

/* Claim: a merge takes MIN and MAX from the table that has values when the other's group has
 * only NULLs, and -0.0 and 0.0 are one group. */
static void
test_b_group_by_merge_edges(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch t;
    test_batch_make(&t, &rng, 4, 0, false);
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(&t, types, scales);
    struct agg_spec spec = {.key_count = 1,
                            .keys = {TB_F},
                            .func_count = 3,
                            .fns = {AGG_MIN, AGG_MAX, AGG_COUNT_STAR},
                            .args = {TB_I, TB_I}};
    struct agg_table *a = NULL, *b = NULL;
    assert_status(agg_table_new(&spec, TB_COLUMNS, types, scales, &a, NULL), COL_OK);
    assert_status(agg_table_new(&spec, TB_COLUMNS, types, scales, &b, NULL), COL_OK);
    for (uint32_t row = 0; row < 4; row++) {
        t.f[row] = row % 2 ? -0.0 : 0.0;
        t.i[row] = 5 + (int32_t)row;
    }
    assert_status(agg_table_add(a, &t.b, NULL), COL_OK); /* table a: 5, 6, 7, 8 */
    uint64_t all_null = 0;
    t.b.columns[TB_I].validity = &all_null; /* table b, merged into a: all NULL */
    assert_status(agg_table_add(b, &t.b, NULL), COL_OK);
    t.b.columns[TB_I].validity = NULL;
    assert_status(agg_table_merge(a, b, NULL), COL_OK);
    struct mat out;
    assert_status(agg_table_finish(a, &out, NULL), COL_OK);
    if (out.row_count != 1 || mat_value(&out, 1, 0).i64 != 5 || mat_value(&out, 2, 0).i64 != 8 ||
        mat_value(&out, 3, 0).i64 != 8) {
        fail_msg("GROUP BY -0.0 / 0.0 merged: %llu groups, MIN %lld, MAX %lld, COUNT %lld; want "
                 "1 group, 5, 8, 8",
                 (unsigned long long)out.row_count, (long long)mat_value(&out, 1, 0).i64,
                 (long long)mat_value(&out, 2, 0).i64, (long long)mat_value(&out, 3, 0).i64);
    }
    mat_free(&out);
    agg_table_free(a);
    agg_table_free(b);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_group_by_matches_row_at_a_time),
        cmocka_unit_test(test_b_group_by_merges_tables),
        cmocka_unit_test(test_b_group_by_limits),
        cmocka_unit_test(test_b_group_by_merge_edges),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
