/* sort.c -- part B: ORDER BY, and ORDER BY ... LIMIT n as a top-N (ops.h). Rows are kept in a
 * struct mat and put in order by sorting their numbers; with a limit, whenever the kept rows
 * pass twice the limit they are sorted and cut back to the limit, so a top-N holds O(n) rows
 * whatever its input, at O(log n) a row amortized. */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define PRUNE_ROWS_MIN 4096u /* a top-N sorts and cuts no more often than every this many rows */

struct sort_table {
    struct sort_spec spec;
    uint32_t column_count;
    enum col_type types[VEC_COLUMNS_MAX];
    uint8_t scales[VEC_COLUMNS_MAX];
    struct mat rows;
};

col_status
sort_table_new(const struct sort_spec *spec, uint32_t column_count, const enum col_type *types,
               const uint8_t *scales, struct sort_table **out, struct col_error *err)
{
    assert(spec != NULL && out != NULL);
    if (spec->key_count > SORT_KEYS_MAX || column_count > VEC_COLUMNS_MAX) {
        return col_fail(err, COL_INVALID, "an ORDER BY of %u keys over %u columns", spec->key_count,
                        column_count);
    }
    for (uint32_t k = 0; k < spec->key_count; k++) {
        if (spec->keys[k].column >= column_count) {
            return col_fail(err, COL_INVALID, "sort key %u is column #%u of %u", k,
                            spec->keys[k].column, column_count);
        }
    }
    struct sort_table *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a sort");
    }
    t->spec = *spec;
    t->column_count = column_count;
    for (uint32_t c = 0; c < column_count; c++) {
        t->types[c] = types[c];
        t->scales[c] = scales != NULL ? scales[c] : 0;
    }
    mat_init(&t->rows, column_count, t->types, t->scales);
    *out = t;
    return COL_OK;
}

void
sort_table_free(struct sort_table *t)
{
    if (t == NULL) {
        return;
    }
    mat_free(&t->rows);
    free(t);
}

/* The order of rows a and b of m by the keys: NULL first, then values; descending keys flip. */
static int
rows_order(const struct sort_table *t, const struct mat *m, uint64_t a, uint64_t b)
{
    for (uint32_t k = 0; k < t->spec.key_count; k++) {
        uint32_t c = t->spec.keys[k].column;
        bool va = mat_is_valid(m, c, a), vb = mat_is_valid(m, c, b);
        int order;
        if (!va || !vb) {
            order = (int)va - (int)vb; /* NULL is the smallest */
        } else {
            union col_datum x = mat_value(m, c, a), y = mat_value(m, c, b);
            order = t->types[c] == COL_STRING    ? col_str_compare(x.str, y.str)
                    : t->types[c] == COL_FLOAT64 ? (x.f64 > y.f64) - (x.f64 < y.f64)
                                                 : (x.i64 > y.i64) - (x.i64 < y.i64);
        }
        if (order != 0) {
            return t->spec.keys[k].is_descending ? -order : order;
        }
    }
    return 0;
}

static int
by_keys(const void *a, const void *b, void *ctx)
{
    const struct sort_table *t = ctx;
    int order = rows_order(t, &t->rows, *(const uint64_t *)a, *(const uint64_t *)b);
    if (order != 0) {
        return order;
    }
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; /* ties: arrival order */
    return (x > y) - (x < y);
}

/* The first keep rows of t in order, as a new mat into out. */
static col_status
ordered_rows(struct sort_table *t, uint64_t keep, struct mat *out, struct col_error *err)
{
    uint64_t rows = t->rows.row_count;
    uint64_t *order = malloc((rows + 1) * sizeof(uint64_t));
    if (order == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory sorting %llu rows",
                        (unsigned long long)rows);
    }
    for (uint64_t r = 0; r < rows; r++) {
        order[r] = r;
    }
    qsort_r(order, rows, sizeof(uint64_t), by_keys, t);
    mat_init(out, t->column_count, t->types, t->scales);
    col_status status = COL_OK;
    union col_datum values[VEC_COLUMNS_MAX];
    bool is_null[VEC_COLUMNS_MAX];
    for (uint64_t i = 0; status == COL_OK && i < rows && i < keep; i++) {
        for (uint32_t c = 0; c < t->column_count; c++) {
            is_null[c] = !mat_is_valid(&t->rows, c, order[i]);
            values[c] = mat_value(&t->rows, c, order[i]);
        }
        status = mat_append_row(out, values, is_null, err);
    }
    free(order);
    if (status != COL_OK) {
        mat_free(out);
    }
    return status;
}

/* A top-N cuts its rows back to the limit once they pass twice it. */
static col_status
maybe_prune(struct sort_table *t, struct col_error *err)
{
    uint64_t limit = t->spec.limit;
    uint64_t bound = limit * 2 > PRUNE_ROWS_MIN ? limit * 2 : PRUNE_ROWS_MIN;
    if (limit == 0 || t->rows.row_count <= bound) {
        return COL_OK;
    }
    struct mat kept;
    col_status status = ordered_rows(t, limit, &kept, err);
    if (status == COL_OK) {
        mat_free(&t->rows);
        t->rows = kept;
    }
    return status;
}

col_status
sort_table_add(struct sort_table *t, const struct batch *b, struct col_error *err)
{
    uint32_t columns[VEC_COLUMNS_MAX];
    for (uint32_t c = 0; c < t->column_count; c++) {
        columns[c] = c;
    }
    col_status status = mat_append(&t->rows, b, columns, err);
    return status == COL_OK ? maybe_prune(t, err) : status;
}

col_status
sort_table_merge(struct sort_table *into, struct sort_table *from, struct col_error *err)
{
    col_status status = mat_move_rows(&into->rows, &from->rows, err);
    return status == COL_OK ? maybe_prune(into, err) : status;
}

col_status
sort_table_finish(struct sort_table *t, struct mat *out, struct col_error *err)
{
    return ordered_rows(t, t->spec.limit ? t->spec.limit : UINT64_MAX, out, err);
}
