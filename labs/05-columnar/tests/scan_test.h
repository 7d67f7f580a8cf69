/* scan_test.h -- what the scan's tests share (parts C and D): a seeded table written to a
 * column file with the same ten columns as exec_test.h's batch (so its seeded conditions apply
 * to the table), kept beside the file as one flat batch over every row for the row-at-a-time
 * evaluator, and a check that a scan gives exactly the rows the evaluator keeps, in order. */
#ifndef KEEL_SCAN_TEST_H
#define KEEL_SCAN_TEST_H

#include "exec_test.h"
#include "scan.h"

#define MODEL_ROWS_MAX 24576u /* 12 batches: a table of several row groups, written in 0.1 s */

/* The table as the test knows it: every row of each column in one flat vector. k and r are
 * constant within each 2,048 rows written (a run each: RLE chunks whose runs cross the scan's
 * batches when row groups are not a multiple of 2,048 rows); d rises with the row (a clustered
 * date: zone maps prune on it). */
struct model {
    uint32_t rows;
    uint32_t group_rows;
    struct col_schema schema;
    int32_t i[MODEL_ROWS_MAX], d[MODEL_ROWS_MAX], k[MODEL_ROWS_MAX];
    int64_t j[MODEL_ROWS_MAX], p[MODEL_ROWS_MAX], q[MODEL_ROWS_MAX], r[MODEL_ROWS_MAX];
    double f[MODEL_ROWS_MAX];
    struct col_str s[MODEL_ROWS_MAX], t[MODEL_ROWS_MAX];
    uint64_t validity[TB_COLUMNS][MODEL_ROWS_MAX / 64];
    struct batch all; /* flat, over every row: for ref_eval */
};

/* Copies the rows [from, from + count) of t into m's columns. */
static TEST_UNUSED void
model_take(struct model *m, const struct test_batch *t, uint32_t from, uint32_t count)
{
    for (uint32_t row = 0; row < count; row++) {
        uint32_t at = from + row;
        m->i[at] = t->i[row];
        m->j[at] = t->j[row];
        m->p[at] = t->p[row];
        m->q[at] = t->q[row];
        m->f[at] = t->f[row];
        m->s[at] = t->s_dict[t->s_codes[row]];
        m->t[at] = t->t[row];
        m->k[at] = t->k;
        m->r[at] = t->r;
        for (uint32_t c = 0; c < TB_COLUMNS; c++) {
            bool is_valid = c == TB_R ? t->constant_null != 0 : col_is_valid(t->validity[c], row);
            if (c == TB_K) {
                is_valid = true;
            }
            if (!is_valid) {
                m->validity[c][at / 64] &= ~(1ull << (at % 64));
            }
        }
    }
}

/* Writes m to path: row groups of m->group_rows, appended in slices of up to 2,048 rows. */
static TEST_UNUSED void
model_write(const struct model *m, const char *path)
{
    struct col_writer *w = NULL;
    struct col_error err = {0};
    col_status status = col_writer_open(path, &m->schema, m->group_rows, &w, &err);
    if (status != COL_OK) {
        fail_msg("col_writer_open(%s) is %s: %s", path, status_name(status), err.message);
    }
    const void *data[TB_COLUMNS] = {m->i, m->j, m->p, m->q, m->f, m->d, m->s, m->t, m->k, m->r};
    for (uint32_t from = 0; from < m->rows; from += COL_VECTOR_SIZE) {
        uint32_t count = m->rows - from < COL_VECTOR_SIZE ? m->rows - from : COL_VECTOR_SIZE;
        struct col_values columns[TB_COLUMNS];
        for (uint32_t c = 0; c < TB_COLUMNS; c++) {
            enum col_type type = m->schema.columns[c].type;
            columns[c] = (struct col_values){type, count,
                                             (const char *)data[c] + from * col_type_width(type),
                                             m->validity[c] + from / 64};
        }
        status = col_writer_append(w, columns, &err);
        if (status != COL_OK) {
            fail_msg("col_writer_append of rows %u.. is %s: %s", from, status_name(status),
                     err.message);
        }
    }
    status = col_writer_finish(w, &err);
    if (status != COL_OK) {
        fail_msg("col_writer_finish(%s) is %s: %s", path, status_name(status), err.message);
    }
}

/* A seeded table of rows rows (at most MODEL_ROWS_MAX) in row groups of group_rows, NULLs at
 * null_percent, written to path. */
static TEST_UNUSED void
model_make(struct model *m, struct kh_rng *rng, uint32_t rows, uint32_t group_rows,
           unsigned null_percent, const char *path)
{
    assert_true(rows <= MODEL_ROWS_MAX);
    memset(m, 0, sizeof(*m));
    memset(m->validity, 0xff, sizeof(m->validity));
    m->rows = rows;
    m->group_rows = group_rows;
    static struct test_batch t;
    for (uint32_t from = 0; from < rows; from += COL_VECTOR_SIZE) {
        uint32_t count = rows - from < COL_VECTOR_SIZE ? rows - from : COL_VECTOR_SIZE;
        test_batch_make(&t, rng, count, null_percent, false);
        model_take(m, &t, from, count);
    }
    for (uint32_t row = 0; row < rows; row++) {
        m->d[row] = 8000 + (int32_t)((uint64_t)row * 3000 / rows);
    }
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    test_batch_types(&t, types, scales);
    m->schema.column_count = TB_COLUMNS;
    const void *data[TB_COLUMNS] = {m->i, m->j, m->p, m->q, m->f, m->d, m->s, m->t, m->k, m->r};
    m->all = (struct batch){.row_count = rows, .selected_count = rows, .column_count = TB_COLUMNS};
    for (uint32_t c = 0; c < TB_COLUMNS; c++) {
        m->schema.columns[c] = (struct col_column){.type = types[c], .scale = scales[c]};
        snprintf(m->schema.columns[c].name, COL_NAME_SIZE_MAX, "%s", tb_names[c]);
        m->all.columns[c] = (struct vec){.type = types[c],
                                         .scale = scales[c],
                                         .kind = VEC_FLAT,
                                         .data = data[c],
                                         .validity = m->validity[c]};
    }
    model_write(m, path);
}

/* ---- Opening and scanning ----------------------------------------------------------------- */

static TEST_UNUSED struct col_cache *
cache_open_or_fail(void)
{
    struct col_cache *c = NULL;
    assert_status(col_cache_open(64u << 20, 64u << 20, &c, NULL), COL_OK);
    return c;
}

static TEST_UNUSED struct scan *
scan_new_or_fail(const struct scan_spec *spec)
{
    struct scan *s = NULL;
    struct col_error err = {0};
    col_status status = scan_new(spec, &s, &err);
    if (status != COL_OK) {
        fail_msg("scan_new is %s: %s", status_name(status), err.message);
    }
    return s;
}

/* Whether every filter of want (over the model's columns) is TRUE at row. */
static TEST_UNUSED bool
model_row_passes(const struct model *m, struct expr *const *filters, uint32_t filter_count,
                 uint32_t row)
{
    for (uint32_t f = 0; f < filter_count; f++) {
        if (!rv_is_true(ref_eval(filters[f], &m->all, row))) {
            return false;
        }
    }
    return true;
}

/* Fails unless out's column i at its row equals the model's table column columns[i] at
 * model_row, for every i. what names the scan in the message. */
static TEST_UNUSED void
expect_row(const struct model *m, const struct batch *out, uint32_t row, uint32_t model_row,
           const uint32_t *columns, uint64_t nth, const char *what)
{
    for (uint32_t i = 0; i < out->column_count; i++) {
        const struct vec *want_vec = &m->all.columns[columns[i]];
        struct rv want = {.is_null = !vec_is_valid(want_vec, model_row),
                          .type = want_vec->type,
                          .scale = want_vec->scale,
                          .v = vec_value(want_vec, model_row)};
        if (out->columns[i].type != want.type || !rv_same(want, &out->columns[i], row)) {
            char want_text[96], got_text[96];
            struct rv got = {.is_null = !vec_is_valid(&out->columns[i], row),
                             .type = want.type,
                             .scale = want.scale,
                             .v = vec_value(&out->columns[i], row)};
            fail_msg("%s: output row %" PRIu64 " (table row %u, at row %u of its batch), column "
                     "%s (kind %d) is %s; want %s",
                     what, nth, model_row, row, tb_names[columns[i]], (int)out->columns[i].kind,
                     rv_text(got, got_text), rv_text(want, want_text));
        }
    }
}

/* ---- Seeded filters ------------------------------------------------------------------------ */

/* A copy of the tree e into pool, column i renamed pos_of[i]: the same filter over the scan's
 * batch, whose columns are in another order. */
static TEST_UNUSED struct expr *
tree_copy(struct expr_pool *pool, const struct expr *e, const uint32_t *pos_of)
{
    assert_true(pool->used < EXPR_NODES_MAX);
    struct expr *n = &pool->nodes[pool->used++];
    *n = *e;
    if (e->op == EXPR_COLUMN) {
        n->column = pos_of[e->column];
    }
    for (uint32_t a = 0; a < e->arg_count; a++) {
        n->args[a] = tree_copy(pool, e->args[a], pos_of);
    }
    return n;
}

static TEST_UNUSED uint64_t
columns_used(const struct expr *e)
{
    uint64_t mask = e->op == EXPR_COLUMN ? 1ull << e->column : 0;
    for (uint32_t a = 0; a < e->arg_count; a++) {
        mask |= columns_used(e->args[a]);
    }
    return mask;
}

static TEST_UNUSED void
resolve_or_fail(struct expr *e, uint32_t column_count, const enum col_type *types,
                const uint8_t *scales)
{
    struct col_error err = {0};
    if (expr_resolve(e, column_count, types, scales, &err) != COL_OK) {
        fail_msg("a test's tree does not resolve: %s", err.message);
    }
}

/* Whether e overflows at some row of the model (such a tree is drawn again). */
static TEST_UNUSED bool
overflows_somewhere(const struct model *m, const struct expr *e)
{
    for (uint32_t row = 0; row < m->rows; row++) {
        if (ref_eval(e, &m->all, row).overflow) {
            return true;
        }
    }
    return false;
}

/* A seeded condition over the model's columns that overflows nowhere: sometimes a comparison
 * of the clustered date d with a constant, so that zone maps have something to prune. */
static TEST_UNUSED struct expr *
draw_filter(struct expr_pool *pool, struct kh_rng *rng, const struct model *m)
{
    enum col_type types[TB_COLUMNS];
    uint8_t scales[TB_COLUMNS];
    for (uint32_t c = 0; c < TB_COLUMNS; c++) {
        types[c] = m->all.columns[c].type;
        scales[c] = m->all.columns[c].scale;
    }
    for (;;) {
        uint32_t used = pool->used;
        struct expr *e;
        if (kh_rng_below(rng, 3) == 0) {
            static const enum expr_op ops[] = {EXPR_EQ, EXPR_NE, EXPR_LT,
                                               EXPR_LE, EXPR_GT, EXPR_GE};
            enum expr_op op = ops[kh_rng_below(rng, KH_ARRAY_LEN(ops))];
            struct expr *d = expr_column(pool, TB_D);
            struct expr *c = expr_date(pool, 7990 + (int32_t)kh_rng_below(rng, 3020));
            e = kh_rng_below(rng, 2) ? expr_op(pool, op, 2, d, c) : expr_op(pool, op, 2, c, d);
        } else {
            e = gen_condition(pool, rng, (unsigned)kh_rng_below(rng, 3));
        }
        assert_non_null(e);
        /* gen_condition draws some trees the rules refuse (an IN list of another type). */
        if (expr_resolve(e, TB_COLUMNS, types, scales, NULL) == COL_OK &&
            !overflows_somewhere(m, e)) {
            return e;
        }
        pool->used = used;
    }
}

#endif
