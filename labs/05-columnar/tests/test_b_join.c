/* test_b_join.c -- part B: the inner hash join (ops.h), checked against a nested loop over
 * every pair of rows: each probe row meets exactly the build rows whose keys equal its own
 * (NULLs meeting none), in probe order, however many batches the matches take. Read
 * test_b_join_matches_nested_loop first. */
#include "exec_test.h"
#include "ops.h"

#define ROUNDS 24u
#define SIDE_BATCHES 3u

/* Key pairs that can be equal: (build column, probe column). */
static const uint32_t key_pairs[][2] = {
    {TB_I, TB_I}, {TB_I, TB_K}, {TB_S, TB_T}, {TB_T, TB_S},
    {TB_D, TB_D}, {TB_P, TB_P}, {TB_S, TB_S},
};

/* Batches of one side, with column j set to each row's number on that side. */
static uint32_t
side_make(struct test_batch *batches, struct kh_rng *rng, uint32_t rows_max, uint32_t first_id)
{
    uint32_t id = first_id;
    for (uint32_t n = 0; n < SIDE_BATCHES; n++) {
        test_batch_make(&batches[n], rng, 1 + (uint32_t)kh_rng_below(rng, rows_max), 10,
                        n % 2 == 1);
        batches[n].b.columns[TB_J].validity = NULL;
        for (uint32_t row = 0; row < batches[n].b.row_count; row++) {
            batches[n].j[row] = id++;
        }
    }
    return id - first_id;
}

static bool
keys_match(const struct join_spec *spec, const struct batch *probe, uint32_t prow,
           const struct batch *build, uint32_t brow)
{
    for (uint32_t k = 0; k < spec->key_count; k++) {
        struct rv a = {.is_null = !vec_is_valid(&probe->columns[spec->probe_keys[k]], prow),
                       .type = probe->columns[spec->probe_keys[k]].type,
                       .scale = probe->columns[spec->probe_keys[k]].scale,
                       .v = vec_value(&probe->columns[spec->probe_keys[k]], prow)};
        struct rv b = {.is_null = !vec_is_valid(&build->columns[spec->build_keys[k]], brow),
                       .type = build->columns[spec->build_keys[k]].type,
                       .scale = build->columns[spec->build_keys[k]].scale,
                       .v = vec_value(&build->columns[spec->build_keys[k]], brow)};
        if (a.is_null || b.is_null || rv_compare(a, b) != 0) {
            return false;
        }
    }
    return true;
}

/* Marks in seen[] (by build id) every build row whose keys equal probe row prow's; returns how
 * many there are. */
static uint32_t
mark_matches(const struct join_spec *spec, const struct batch *in, uint32_t prow,
             struct test_batch *build, uint8_t *seen)
{
    uint32_t count = 0;
    for (uint32_t bn = 0; bn < SIDE_BATCHES; bn++) {
        for (uint32_t s = 0; s < build[bn].b.selected_count; s++) {
            uint32_t brow = batch_row(&build[bn].b, s);
            if (keys_match(spec, in, prow, &build[bn].b, brow)) {
                if (seen != NULL) {
                    seen[build[bn].j[brow]] = 1;
                }
                count++;
            }
        }
    }
    return count;
}

/* Fails if probe row prow (probe id id) has a match: the join gave it no output row. */
static void
expect_unmatched(const struct join_spec *spec, const struct batch *in, uint32_t prow,
                 struct test_batch *build, int64_t id, unsigned round)
{
    if (mark_matches(spec, in, prow, build, NULL) > 0) {
        fail_msg("round %u: probe row %lld has matches but no output row", round, (long long)id);
    }
}

/* Runs the join of build batches into a table (or two merged), probes with each probe batch,
 * and checks every output row against the nested loop. */
static void
check_join(const struct join_spec *spec, struct test_batch *build, struct test_batch *probe,
           bool is_merged, unsigned round)
{
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(&build[0], types, scales);
    struct join_table *t[2];
    for (int i = 0; i < 2; i++) {
        assert_status(join_table_new(spec, TB_COLUMNS, types, scales, &t[i], NULL), COL_OK);
    }
    for (uint32_t n = 0; n < SIDE_BATCHES; n++) {
        assert_status(join_table_add(t[is_merged ? n % 2 : 0], &build[n].b, NULL), COL_OK);
    }
    if (is_merged) {
        assert_status(join_table_merge(t[0], t[1], NULL), COL_OK);
        assert_int_equal(join_table_row_count(t[1]), 0);
    }
    assert_status(join_table_finish(t[0], NULL), COL_OK);
    struct join_probe *p = NULL;
    assert_status(join_probe_new(t[0], TB_COLUMNS, types, scales, &p, NULL), COL_OK);
    for (uint32_t n = 0; n < SIDE_BATCHES; n++) {
        const struct batch *in = &probe[n].b;
        join_probe_begin(p, in);
        /* want[i]: how many times build row i is still owed to the probe row under way */
        uint32_t i = 0, owed = 0, last_probe = UINT32_MAX;
        static uint8_t seen[SIDE_BATCHES * COL_VECTOR_SIZE];
        struct batch out;
        for (;;) {
            assert_status(join_probe_next(p, &out, NULL), COL_OK);
            if (out.row_count == 0) {
                break;
            }
            assert_int_equal(out.column_count, 2 * TB_COLUMNS);
            for (uint32_t r = 0; r < out.row_count; r++) {
                int64_t probe_id = vec_value(&out.columns[TB_J], r).i64;
                int64_t build_id = vec_value(&out.columns[TB_COLUMNS + TB_J], r).i64;
                if (probe_id != (int64_t)last_probe) { /* a new probe row: the last is done */
                    if (owed != 0) {
                        fail_msg("round %u: probe row %u met %u fewer build rows than it should",
                                 round, last_probe, owed);
                    }
                    while (i < in->selected_count && probe[n].j[batch_row(in, i)] != probe_id) {
                        uint32_t skipped = batch_row(in, i++);
                        expect_unmatched(spec, in, skipped, build, probe[n].j[skipped], round);
                    }
                    if (i == in->selected_count) {
                        fail_msg(
                            "round %u: an output row for probe row %lld, not selected or out of "
                            "order",
                            round, (long long)probe_id);
                    }
                    memset(seen, 0, sizeof(seen));
                    owed = mark_matches(spec, in, batch_row(in, i), build, seen);
                    last_probe = (uint32_t)probe_id;
                    i++;
                }
                if (build_id < 0 || build_id >= (int64_t)sizeof(seen) || seen[build_id] != 1) {
                    fail_msg("round %u: probe row %lld met build row %lld: keys differ, or met "
                             "twice",
                             round, (long long)probe_id, (long long)build_id);
                }
                seen[build_id] = 2;
                owed--;
            }
        }
        if (owed != 0) {
            fail_msg("round %u: the last probe row met %u fewer build rows than it should", round,
                     owed);
        }
        for (; i < in->selected_count; i++) { /* rows after the last output: no matches */
            expect_unmatched(spec, in, batch_row(in, i), build, probe[n].j[batch_row(in, i)],
                             round);
        }
    }
    join_probe_free(p);
    join_table_free(t[0]);
    join_table_free(t[1]);
}

/* Claim: on seeded keys (integers, strings flat and dictionary-coded, dates, decimals, one and
 * two columns, NULLs), every probe row meets exactly the build rows whose keys equal its own,
 * in probe order, over as many output batches as the matches take; the same when the build
 * side was split over two tables and merged. */
static void
test_b_join_matches_nested_loop(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch build[SIDE_BATCHES], probe[SIDE_BATCHES];
    for (unsigned round = 0; round < ROUNDS; round++) {
        struct join_spec spec = {.key_count = 1 + (uint32_t)kh_rng_below(&rng, 2)};
        bool has_strings = false;
        for (uint32_t k = 0; k < spec.key_count; k++) {
            uint32_t pair = (uint32_t)kh_rng_below(&rng, KH_ARRAY_LEN(key_pairs));
            spec.build_keys[k] = key_pairs[pair][0];
            spec.probe_keys[k] = key_pairs[pair][1];
            has_strings |= key_pairs[pair][0] == TB_S || key_pairs[pair][0] == TB_T;
        }
        /* Few rows: the nested loop that checks the join costs probe rows times build rows. */
        uint32_t rows_max = has_strings && spec.key_count == 1 ? 100 : 700;
        side_make(build, &rng, rows_max, 0);
        side_make(probe, &rng, rows_max, 0);
        check_join(&spec, build, probe, round % 3 == 2, round);
    }
}

/* -0.0 meets 0.0; probe columns that are not keys may be of any type; a join of no keys, of a
 * key past the columns, or of keys that cannot be equal is COL_INVALID. */
static void
check_key_kinds(struct kh_rng *rng, const enum col_type *types, const uint8_t *scales)
{
    struct join_table *t = NULL;
    struct join_probe *p = NULL;
    struct batch out;
    /* -0.0 and 0.0 are equal keys (they hash alike); a probe side whose other columns differ
     * in type from the build side's joins all the same. */
    static struct test_batch f;
    test_batch_make(&f, rng, 2, 0, false);
    f.f[0] = -0.0;
    f.f[1] = 0.0;
    struct join_spec doubles = {.key_count = 1, .build_keys = {TB_F}, .probe_keys = {TB_F}};
    assert_status(join_table_new(&doubles, TB_COLUMNS, types, scales, &t, NULL), COL_OK);
    assert_status(join_table_add(t, &f.b, NULL), COL_OK);
    assert_status(join_table_finish(t, NULL), COL_OK);
    enum col_type other_types[TB_COLUMNS];
    memcpy(other_types, types, sizeof(other_types));
    other_types[TB_I] = COL_STRING; /* column 0 of the probe side: not a key */
    f.b.columns[TB_I].type = COL_STRING;
    f.b.columns[TB_I].data = f.t;
    assert_status(join_probe_new(t, TB_COLUMNS, other_types, scales, &p, NULL), COL_OK);
    join_probe_begin(p, &f.b);
    assert_status(join_probe_next(p, &out, NULL), COL_OK);
    if (out.row_count != 4) {
        fail_msg("keys -0.0 and 0.0 against -0.0 and 0.0 gave %u matches, want 4", out.row_count);
    }
    join_probe_free(p);
    join_table_free(t);
    struct join_spec no_keys = {.key_count = 0};
    assert_status(join_table_new(&no_keys, TB_COLUMNS, types, scales, &t, NULL), COL_INVALID);
    struct join_spec past = {.key_count = 1, .build_keys = {TB_COLUMNS}, .probe_keys = {TB_I}};
    assert_status(join_table_new(&past, TB_COLUMNS, types, scales, &t, NULL), COL_INVALID);
    /* Keys that can never be equal: a string against an integer, decimals of two scales. */
    struct join_spec strings = {.key_count = 1, .build_keys = {TB_S}, .probe_keys = {TB_I}};
    struct join_spec scales_differ = {.key_count = 1, .build_keys = {TB_P}, .probe_keys = {TB_Q}};
    struct join_spec numbers = {.key_count = 1, .build_keys = {TB_I}, .probe_keys = {TB_T}};
    const struct join_spec *bad[] = {&strings, &scales_differ, &numbers};
    for (size_t i = 0; i < KH_ARRAY_LEN(bad); i++) {
        assert_status(join_table_new(bad[i], TB_COLUMNS, types, scales, &t, NULL), COL_OK);
        assert_status(join_table_finish(t, NULL), COL_OK);
        assert_status(join_probe_new(t, TB_COLUMNS, types, scales, &p, NULL), COL_INVALID);
        join_table_free(t);
    }
}

/* Claim: one probe row that matches 5,000 build rows gets all 5,000, over three output
 * batches, each build row once; a NULL key meets nothing, not even a NULL; -0.0 meets 0.0;
 * a join of no keys, or of keys that can never be equal (a string and an integer, decimals of
 * two scales), is COL_INVALID. */
static void
test_b_join_many_matches_and_nulls(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch b;
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_make(&b, &rng, COL_VECTOR_SIZE, 0, false);
    test_batch_types(&b, types, scales);
    struct join_spec spec = {.key_count = 1, .build_keys = {TB_I}, .probe_keys = {TB_I}};
    struct join_table *t = NULL;
    assert_status(join_table_new(&spec, TB_COLUMNS, types, scales, &t, NULL), COL_OK);
    uint32_t build_rows = 0;
    for (uint32_t n = 0; n < 3; n++) { /* 5,000 rows of key 7, then rows of key NULL */
        for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
            b.i[row] = 7;
            b.j[row] = build_rows + row;
        }
        b.b.selected_count = b.b.row_count = n < 2 ? COL_VECTOR_SIZE : 5000 - 2 * COL_VECTOR_SIZE;
        assert_status(join_table_add(t, &b.b, NULL), COL_OK);
        build_rows += b.b.row_count;
    }
    uint64_t null_key = 0;
    b.b.columns[TB_I].validity = &null_key; /* 64 rows of NULL keys */
    b.b.row_count = b.b.selected_count = 64;
    assert_status(join_table_add(t, &b.b, NULL), COL_OK);
    assert_status(join_table_finish(t, NULL), COL_OK);
    struct join_probe *p = NULL;
    assert_status(join_probe_new(t, TB_COLUMNS, types, scales, &p, NULL), COL_OK);
    join_probe_begin(p, &b.b); /* probing with the NULL keys: nothing */
    struct batch out;
    assert_status(join_probe_next(p, &out, NULL), COL_OK);
    assert_int_equal(out.row_count, 0);
    static struct test_batch one;
    test_batch_make(&one, &rng, 1, 0, false);
    one.i[0] = 7;
    join_probe_begin(p, &one.b);
    static uint8_t seen[5000];
    uint32_t total = 0, batches = 0;
    for (;;) {
        assert_status(join_probe_next(p, &out, NULL), COL_OK);
        if (out.row_count == 0) {
            break;
        }
        batches++;
        for (uint32_t r = 0; r < out.row_count; r++) {
            int64_t id = vec_value(&out.columns[TB_COLUMNS + TB_J], r).i64;
            assert_true(id >= 0 && id < 5000 && !seen[id]);
            seen[id] = 1;
        }
        total += out.row_count;
    }
    if (total != 5000 || batches != 3) {
        fail_msg("one probe row of key 7 met %u build rows in %u batches, want 5000 in 3", total,
                 batches);
    }
    join_probe_free(p);
    join_table_free(t);
    check_key_kinds(&rng, types, scales);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_join_matches_nested_loop),
        cmocka_unit_test(test_b_join_many_matches_and_nulls),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
