/* test_b_expr.c -- part B: expressions over batches (expr.h), checked row by row against a
 * row-at-a-time evaluator written from expr.h's rules (exec_test.h): values, NULLs, decimals,
 * three-valued logic, CASE, and the selection a condition leaves. Read
 * test_b_values_match_row_at_a_time first. */
#include "exec_test.h"

#define TREES 400u /* seeded trees per test: about 0.2 s */

/* Resolves e for the test batch and makes its state; NULL when the tree is not well typed
 * (the generator may pair types the rules refuse: such trees are skipped). */
static struct expr_state *
prepare(struct expr *e, const struct test_batch *t)
{
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(t, types, scales);
    if (expr_resolve(e, TB_COLUMNS, types, scales, NULL) != COL_OK) {
        return NULL;
    }
    struct expr_state *s = NULL;
    assert_status(expr_state_new(e, &s, NULL), COL_OK);
    return s;
}

/* Whether the row-at-a-time answer overflows on a row of b's selection. */
static bool
overflows(const struct expr *e, const struct batch *b)
{
    for (uint32_t i = 0; i < b->selected_count; i++) {
        if (ref_eval(e, b, batch_row(b, i)).overflow) {
            return true;
        }
    }
    return false;
}

/* Claim: expr_eval gives, for every selected row, the value and NULL-ness the row-at-a-time
 * rules give, on hundreds of seeded trees of every type over flat, constant and dictionary
 * vectors with NULLs, with and without a selection; and COL_TOO_BIG exactly where a selected
 * row overflows. */
static void
test_b_values_match_row_at_a_time(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch t;
    static struct expr_pool pool;
    unsigned checked = 0;
    for (unsigned tree = 0; tree < TREES; tree++) {
        /* Every fifth batch full and unselected: loops must stop at the last row. */
        uint32_t rows =
            tree % 5 == 0 ? COL_VECTOR_SIZE : 1 + (uint32_t)kh_rng_below(&rng, COL_VECTOR_SIZE);
        test_batch_make(&t, &rng, rows, tree % 4 == 0 ? 0 : 15, tree % 2 == 1 && tree % 5 != 0);
        pool.used = 0;
        struct expr *e = gen_tree(&pool, &rng, (enum gen_class)kh_rng_below(&rng, 4), 3);
        struct expr_state *s = prepare(e, &t);
        if (s == NULL) {
            continue;
        }
        char text[512];
        expr_format(e, tb_names, text, sizeof(text));
        struct vec out;
        struct col_error err = {0};
        col_status status = expr_eval(e, &t.b, s, &out, &err);
        bool want_overflow = overflows(e, &t.b);
        if (want_overflow != (status == COL_TOO_BIG) || (status != COL_OK && !want_overflow)) {
            fail_msg("tree %u, %s: expr_eval is %s (%s); an overflow in a selected row: %s", tree,
                     text, status_name(status), err.message, want_overflow ? "yes" : "no");
        }
        for (uint32_t i = 0; status == COL_OK && i < t.b.selected_count; i++) {
            uint32_t row = batch_row(&t.b, i);
            struct rv want = ref_eval(e, &t.b, row);
            if (!rv_same(want, &out, row)) {
                char a[96], b[96];
                struct rv got = {.is_null = !vec_is_valid(&out, row),
                                 .type = e->type,
                                 .scale = e->scale,
                                 .v = vec_value(&out, row)};
                fail_msg("tree %u, %s, row %u: got %s, want %s", tree, text, row, rv_text(got, a),
                         rv_text(want, b));
            }
        }
        checked++;
        expr_state_free(s);
    }
    if (checked < TREES / 2) {
        fail_msg("only %u of %u seeded trees were well typed", checked, TREES);
    }
}

/* Claim: expr_select keeps exactly the selected rows where the condition is TRUE (not FALSE,
 * not NULL), in order, on seeded conditions of every kind (column against constant on flat,
 * constant and dictionary vectors, AND, OR, NOT, IN, LIKE, IS NULL, BETWEEN), also when its
 * output is the batch's own selection. */
static void
test_b_select_matches_row_at_a_time(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch t;
    static struct expr_pool pool;
    static uint16_t out[COL_VECTOR_SIZE];
    for (unsigned tree = 0; tree < TREES; tree++) {
        uint32_t rows =
            tree % 5 == 0 ? COL_VECTOR_SIZE : 1 + (uint32_t)kh_rng_below(&rng, COL_VECTOR_SIZE);
        test_batch_make(&t, &rng, rows, tree % 4 == 0 ? 0 : 15, tree % 2 == 1 && tree % 5 != 0);
        pool.used = 0;
        struct expr *e = gen_tree(&pool, &rng, GEN_CONDITION, 2);
        struct expr_state *s = prepare(e, &t);
        if (s == NULL || overflows(e, &t.b)) {
            expr_state_free(s);
            continue;
        }
        char text[512];
        expr_format(e, tb_names, text, sizeof(text));
        bool is_in_place = tree % 3 == 0 && t.b.sel != NULL;
        uint16_t *dst = is_in_place ? t.sel : out;
        uint32_t count = 0;
        struct col_error err = {0};
        uint32_t want_rows[COL_VECTOR_SIZE], want = 0;
        for (uint32_t i = 0; i < t.b.selected_count; i++) {
            uint32_t row = batch_row(&t.b, i);
            if (rv_is_true(ref_eval(e, &t.b, row))) {
                want_rows[want++] = row;
            }
        }
        col_status status = expr_select(e, &t.b, s, dst, &count, &err);
        if (status != COL_OK) {
            fail_msg("tree %u, %s: expr_select is %s: %s", tree, text, status_name(status),
                     err.message);
        }
        for (uint32_t i = 0; i < count || i < want; i++) {
            if (i >= count || i >= want || dst[i] != want_rows[i]) {
                fail_msg("tree %u, %s%s: selection %u is row %d, want row %d (%u rows kept, want "
                         "%u)",
                         tree, text, is_in_place ? " (in place)" : "", i,
                         i < count ? (int)dst[i] : -1, i < want ? (int)want_rows[i] : -1, count,
                         want);
            }
        }
        expr_state_free(s);
    }
}

/* Evaluates e (built over the test batch) at row 0 of a one-row batch. */
static struct rv
eval_one(struct expr *e, const struct test_batch *t, col_status *status)
{
    struct expr_state *s = prepare(e, t);
    assert_non_null(s);
    struct vec out;
    *status = expr_eval(e, &t->b, s, &out, NULL);
    struct rv got = {.is_null = !vec_is_valid(&out, 0),
                     .type = e->type,
                     .scale = e->scale,
                     .v = vec_value(&out, 0)};
    expr_state_free(s);
    return got;
}

static void
expect_result(struct expr *e, const struct test_batch *t, const char *want)
{
    col_status status;
    struct rv got = eval_one(e, t, &status);
    char text[256], value[96];
    expr_format(e, tb_names, text, sizeof(text));
    if (status != COL_OK || strcmp(rv_text(got, value), want) != 0) {
        fail_msg("%s is %s (%s), want %s", text, value, status_name(status), want);
    }
}

/* Claim: the typing rules hold at their edges: decimals add at the larger scale and multiply
 * at the sum of scales, exactly; integer division truncates toward 0; anything divided by 0
 * is NULL; a date plus days is a date, a date minus a date is days; FALSE AND NULL is FALSE,
 * TRUE OR NULL is TRUE, NOT NULL is NULL; IN with no match and a NULL in its list is NULL. */
static void
test_b_rules_at_their_edges(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch t;
    test_batch_make(&t, &rng, 1, 0, false);
    struct expr_pool *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    expect_result(expr_op(p, EXPR_ADD, 2, expr_decimal(p, 110, 2), expr_decimal(p, 2205, 3)), &t,
                  "3.305");
    expect_result(expr_op(p, EXPR_MUL, 2, expr_decimal(p, 1, 1), expr_decimal(p, 2, 1)), &t,
                  "0.02");
    expect_result(expr_op(p, EXPR_SUB, 2, expr_int(p, 1), expr_decimal(p, 6, 2)), &t, "0.94");
    expect_result(expr_op(p, EXPR_DIV, 2, expr_int(p, -7), expr_int(p, 2)), &t, "-3");
    expect_result(expr_op(p, EXPR_DIV, 2, expr_int(p, 7), expr_int(p, 0)), &t, "NULL");
    expect_result(expr_op(p, EXPR_DIV, 2, expr_decimal(p, 15, 1), expr_double(p, 0)), &t, "NULL");
    expect_result(expr_op(p, EXPR_DIV, 2, expr_decimal(p, 15, 1), expr_int(p, 4)), &t, "0.375");
    expect_result(expr_op(p, EXPR_ADD, 2, expr_date(p, 8035), expr_int(p, 90)), &t, "8125");
    expect_result(expr_op(p, EXPR_SUB, 2, expr_date(p, 8035), expr_date(p, 8000)), &t, "35");
    expect_result(expr_op(p, EXPR_EQ, 2, expr_decimal(p, 150, 2), expr_decimal(p, 15, 1)), &t, "1");
    struct expr *true_ = expr_op(p, EXPR_EQ, 2, expr_int(p, 1), expr_int(p, 1));
    struct expr *false_ = expr_op(p, EXPR_EQ, 2, expr_int(p, 1), expr_int(p, 2));
    struct expr *null_ = expr_op(p, EXPR_EQ, 2, expr_int(p, 1), expr_null(p));
    expect_result(expr_op(p, EXPR_AND, 2, false_, null_), &t, "0");
    expect_result(expr_op(p, EXPR_OR, 2, true_, null_), &t, "1");
    expect_result(expr_op(p, EXPR_AND, 2, true_, null_), &t, "NULL");
    expect_result(expr_op(p, EXPR_NOT, 1, null_), &t, "NULL");
    expect_result(expr_op(p, EXPR_IS_NULL, 1, null_), &t, "1");
    expect_result(expr_op(p, EXPR_IN, 3, expr_int(p, 5), expr_int(p, 4), expr_null(p)), &t, "NULL");
    expect_result(expr_op(p, EXPR_IN, 3, expr_int(p, 4), expr_int(p, 4), expr_null(p)), &t, "1");
    expect_result(expr_op(p, EXPR_CASE, 2, false_, expr_int(p, 3)), &t, "NULL");
    /* A CASE with no ELSE, evaluated on one state twice: every row taken, then none: the
     * second time every row is NULL, whatever the first left in the buffers. */
    static struct test_batch full;
    test_batch_make(&full, &rng, COL_VECTOR_SIZE, 0, false);
    struct expr *taken_or_not =
        expr_op(p, EXPR_CASE, 2, expr_op(p, EXPR_GE, 2, expr_column(p, TB_K), expr_int(p, 0)),
                expr_column(p, TB_I));
    struct expr_state *s = prepare(taken_or_not, &full);
    assert_non_null(s);
    struct vec out;
    full.k = 5;
    assert_status(expr_eval(taken_or_not, &full.b, s, &out, NULL), COL_OK);
    full.k = -5;
    assert_status(expr_eval(taken_or_not, &full.b, s, &out, NULL), COL_OK);
    for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
        if (vec_is_valid(&out, row)) {
            fail_msg("CASE WHEN k >= 0 THEN i END with k = -5: row %u is not NULL", row);
        }
    }
    expr_state_free(s);
    free(p);
}

/* Claim: an integer overflow is COL_TOO_BIG with a message naming the expression, not a
 * wrapped value, also from inside a CASE and from a filter's AND; and CASE evaluates a THEN
 * only for the rows its WHEN takes, so a THEN that would overflow elsewhere does not. */
static void
test_b_overflow_is_an_error(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch t;
    test_batch_make(&t, &rng, COL_VECTOR_SIZE, 0, false);
    struct expr_pool *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    struct expr *big = expr_op(p, EXPR_ADD, 2, expr_int(p, INT64_MAX), expr_column(p, TB_I));
    struct expr_state *s = prepare(big, &t);
    assert_non_null(s);
    struct vec out;
    struct col_error err = {0};
    assert_status(expr_eval(big, &t.b, s, &out, &err), COL_TOO_BIG);
    if (strstr(err.message, "overflow") == NULL ||
        strstr(err.message, "9223372036854775807") == NULL) {
        fail_msg("the message for an overflow should name it and its expression: %s", err.message);
    }
    expr_state_free(s);
    /* CASE WHEN i <= 0 THEN INT64_MAX + i ELSE 0 END: the THEN overflows for every i > 0,
     * about half the rows, and for none that its WHEN takes. */
    struct expr *guarded = expr_op(
        p, EXPR_CASE, 3, expr_op(p, EXPR_LE, 2, expr_column(p, TB_I), expr_int(p, 0)),
        expr_op(p, EXPR_ADD, 2, expr_int(p, INT64_MAX), expr_column(p, TB_I)), expr_int(p, 0));
    s = prepare(guarded, &t);
    assert_non_null(s);
    col_status status = expr_eval(guarded, &t.b, s, &out, &err);
    if (status != COL_OK) {
        fail_msg("CASE WHEN i <= 0 THEN 9223372036854775807 + i ELSE 0 END is %s (%s): the THEN "
                 "ran on rows its WHEN did not take",
                 status_name(status), err.message);
    }
    for (uint32_t row = 0; row < t.b.row_count; row++) {
        int64_t want = t.i[row] <= 0 ? INT64_MAX + t.i[row] : 0;
        assert_int_equal(vec_value(&out, row).i64, want);
    }
    expr_state_free(s);
    /* The same THEN where its WHEN holds for the rows that overflow: the error comes out of
     * CASE, and out of a filter's AND whose first argument is that CASE. */
    struct expr *taken = expr_op(
        p, EXPR_CASE, 3, expr_op(p, EXPR_GE, 2, expr_column(p, TB_I), expr_int(p, 0)),
        expr_op(p, EXPR_ADD, 2, expr_int(p, INT64_MAX), expr_column(p, TB_I)), expr_int(p, 0));
    s = prepare(taken, &t);
    assert_non_null(s);
    assert_status(expr_eval(taken, &t.b, s, &out, &err), COL_TOO_BIG);
    expr_state_free(s);
    struct expr *filter =
        expr_op(p, EXPR_AND, 2,
                expr_op(p, EXPR_GT, 2,
                        expr_op(p, EXPR_ADD, 2, expr_int(p, INT64_MAX), expr_column(p, TB_I)),
                        expr_int(p, 0)),
                expr_op(p, EXPR_EQ, 2, expr_column(p, TB_I), expr_column(p, TB_I)));
    s = prepare(filter, &t);
    assert_non_null(s);
    static uint16_t kept[COL_VECTOR_SIZE];
    uint32_t kept_count = 0;
    assert_status(expr_select(filter, &t.b, s, kept, &kept_count, &err), COL_TOO_BIG);
    expr_state_free(s);
    /* An overflow two levels down: (INT64_MAX + i) * 1. */
    struct expr *nested = expr_op(
        p, EXPR_MUL, 2, expr_op(p, EXPR_ADD, 2, expr_int(p, INT64_MAX), expr_column(p, TB_I)),
        expr_int(p, 1));
    s = prepare(nested, &t);
    assert_non_null(s);
    assert_status(expr_eval(nested, &t.b, s, &out, &err), COL_TOO_BIG);
    expr_state_free(s);
    free(p);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_values_match_row_at_a_time),
        cmocka_unit_test(test_b_select_matches_row_at_a_time),
        cmocka_unit_test(test_b_rules_at_their_edges),
        cmocka_unit_test(test_b_overflow_is_an_error),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
