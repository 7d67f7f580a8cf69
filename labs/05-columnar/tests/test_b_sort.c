/* test_b_sort.c -- part B: ORDER BY and top-N (ops.h): the output is in key order (NULL
 * first ascending, last descending), holds every input row once (or, with a limit, the first
 * rows of the full order), also after a merge. Read test_b_sort_orders_every_row first. */
#include "exec_test.h"
#include "ops.h"

#define ROUNDS 30u
#define BATCHES 4u       /* up to 8,192 rows */
#define MANY_BATCHES 20u /* 40,960 rows: a top-N cuts its rows back many times */

static const uint32_t sort_columns[] = {TB_I, TB_P, TB_F, TB_D, TB_S, TB_T, TB_R, TB_Q};

/* The order of two rows by the spec's keys, from the rules alone: NULL smallest, then values. */
static int
ref_order(const struct sort_spec *spec, const struct mat *m, uint64_t a, uint64_t b)
{
    for (uint32_t k = 0; k < spec->key_count; k++) {
        uint32_t c = spec->keys[k].column;
        bool va = mat_is_valid(m, c, a), vb = mat_is_valid(m, c, b);
        int order = 0;
        if (!va || !vb) {
            order = (int)va - (int)vb;
        } else {
            struct rv x = {.type = m->types[c], .scale = m->scales[c], .v = mat_value(m, c, a)};
            struct rv y = {.type = m->types[c], .scale = m->scales[c], .v = mat_value(m, c, b)};
            order = rv_compare(x, y);
        }
        if (order != 0) {
            return spec->keys[k].is_descending ? -order : order;
        }
    }
    return 0;
}

static const struct sort_spec *g_spec; /* for qsort's comparator */
static const struct mat *g_mat;

static int
by_ref_order(const void *a, const void *b)
{
    return ref_order(g_spec, g_mat, *(const uint64_t *)a, *(const uint64_t *)b);
}

/* Sorts the input itself (all rows in a mat) and checks out against it. */
static void
check_sorted(const struct sort_spec *spec, const struct mat *in, const struct mat *out,
             unsigned round)
{
    uint64_t want_rows = spec->limit && spec->limit < in->row_count ? spec->limit : in->row_count;
    if (out->row_count != want_rows) {
        fail_msg("round %u: %llu rows out, want %llu", round, (unsigned long long)out->row_count,
                 (unsigned long long)want_rows);
    }
    uint64_t *order = malloc((in->row_count + 1) * sizeof(uint64_t));
    assert_non_null(order);
    for (uint64_t r = 0; r < in->row_count; r++) {
        order[r] = r;
    }
    g_spec = spec;
    g_mat = in;
    qsort(order, in->row_count, sizeof(uint64_t), by_ref_order);
    static uint8_t used[MANY_BATCHES * COL_VECTOR_SIZE];
    memset(used, 0, sizeof(used));
    for (uint64_t r = 0; r < out->row_count; r++) {
        int64_t id = mat_value(out, TB_J, r).i64;
        if (id < 0 || (uint64_t)id >= in->row_count || used[id]) {
            fail_msg("round %u: output row %llu is input row %lld: not an input row, or twice",
                     round, (unsigned long long)r, (long long)id);
        }
        used[id] = 1;
        /* Its keys are those of the row the full order puts here (ties may swap rows). */
        if (ref_order(spec, in, (uint64_t)id, order[r]) != 0) {
            fail_msg("round %u: output row %llu (input row %lld) is out of order: the order puts "
                     "input row %llu here",
                     round, (unsigned long long)r, (long long)id, (unsigned long long)order[r]);
        }
    }
    free(order);
}

static void
run_sort(const struct sort_spec *spec, struct test_batch *batches, uint32_t batch_count,
         bool is_merged, unsigned round)
{
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(&batches[0], types, scales);
    struct sort_table *t[2];
    for (int i = 0; i < 2; i++) {
        assert_status(sort_table_new(spec, TB_COLUMNS, types, scales, &t[i], NULL), COL_OK);
    }
    struct mat in;
    mat_init(&in, TB_COLUMNS, types, scales);
    uint32_t columns[TB_COLUMNS];
    for (uint32_t c = 0; c < TB_COLUMNS; c++) {
        columns[c] = c;
    }
    for (uint32_t n = 0; n < batch_count; n++) {
        assert_status(sort_table_add(t[is_merged ? n % 2 : 0], &batches[n].b, NULL), COL_OK);
        assert_status(mat_append(&in, &batches[n].b, columns, NULL), COL_OK);
    }
    if (is_merged) {
        assert_status(sort_table_merge(t[0], t[1], NULL), COL_OK);
    }
    struct mat out;
    struct col_error err = {0};
    if (sort_table_finish(t[0], &out, &err) != COL_OK) {
        fail_msg("round %u: sort_table_finish: %s", round, err.message);
    }
    check_sorted(spec, &in, &out, round);
    mat_free(&out);
    mat_free(&in);
    sort_table_free(t[0]);
    sort_table_free(t[1]);
}

/* Claim: on seeded keys (one to three, each ascending or descending; integers, decimals,
 * doubles, dates, strings flat and dictionary-coded, constants, NULLs), the rows come out in
 * key order, NULL first ascending and last descending, each input row once; with a limit, the
 * first rows of that order; the same after a merge of two tables. */
static void
test_b_sort_orders_every_row(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch batches[BATCHES];
    for (unsigned round = 0; round < ROUNDS; round++) { /* limits: none, 1-20, 1-3,000 */
        struct sort_spec spec = {.key_count = 1 + (uint32_t)kh_rng_below(&rng, 3)};
        for (uint32_t k = 0; k < spec.key_count; k++) {
            spec.keys[k].column = sort_columns[kh_rng_below(&rng, KH_ARRAY_LEN(sort_columns))];
            spec.keys[k].is_descending = kh_rng_below(&rng, 2) == 1;
        }
        spec.limit = round % 3 == 0   ? 0
                     : round % 3 == 1 ? 1 + kh_rng_below(&rng, 20)
                                      : 1 + kh_rng_below(&rng, 3000);
        uint32_t id = 0;
        for (uint32_t n = 0; n < BATCHES; n++) {
            test_batch_make(&batches[n], &rng, 1 + (uint32_t)kh_rng_below(&rng, COL_VECTOR_SIZE),
                            15, n % 2 == 1);
            batches[n].b.columns[TB_J].validity = NULL;
            for (uint32_t i = 0; i < batches[n].b.selected_count; i++) {
                batches[n].j[batch_row(&batches[n].b, i)] = id++; /* ids in arrival order */
            }
        }
        run_sort(&spec, batches, BATCHES, round % 4 == 3, round);
    }
}

/* Claim: ORDER BY ... LIMIT n over 40,960 rows, far past what a top-N keeps between its cuts,
 * gives the first n rows of the full order, for n of 1, 10 and 3,000, merged or not. */
static void
test_b_top_n_over_many_rows(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static struct test_batch batches[MANY_BATCHES];
    static const uint64_t limits[] = {1, 10, 3000};
    for (unsigned round = 0; round < KH_ARRAY_LEN(limits); round++) {
        struct sort_spec spec = {.key_count = 2, .limit = limits[round]};
        spec.keys[0] = (struct sort_key){TB_S, round == 1};
        spec.keys[1] = (struct sort_key){TB_P, round != 1};
        uint32_t id = 0;
        for (uint32_t n = 0; n < MANY_BATCHES; n++) {
            test_batch_make(&batches[n], &rng, COL_VECTOR_SIZE, 5, false);
            batches[n].b.columns[TB_J].validity = NULL;
            for (uint32_t row = 0; row < COL_VECTOR_SIZE; row++) {
                batches[n].j[row] = id++;
            }
        }
        run_sort(&spec, batches, MANY_BATCHES, round == 2, round);
    }
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_sort_orders_every_row),
        cmocka_unit_test(test_b_top_n_over_many_rows),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
