/* select.c -- part B: narrowing a selection to the rows where a condition is TRUE (expr.h).
 * Read expr_select_rows first. A comparison of a column with a constant, the filter of almost
 * every query, gets a loop of its own: integers as one unsigned range check a row, a
 * dictionary column by comparing each entry once and then only codes. Anything else is
 * evaluated by expr_eval_rows and its TRUE rows kept. */
#include "expr.h"

#include <assert.h>
#include <string.h>

static const uint16_t *
rows_of(const uint16_t *sel)
{
    return sel != NULL ? sel : vec_identity_sel;
}

static bool
row_valid(const struct vec *v, uint32_t row)
{
    return v->validity == NULL || ((v->validity[row / 64] >> (row % 64)) & 1u) != 0;
}

/* x op c as lo <= x <= hi over int64s; false when nothing can hold (x < INT64_MIN). NE is not
 * a range: its caller handles it. */
static bool
as_range(enum expr_op op, int64_t c, int64_t *lo, int64_t *hi)
{
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    switch (op) {
    case EXPR_EQ:
        *lo = *hi = c;
        return true;
    case EXPR_LT:
        *hi = c - 1;
        return c != INT64_MIN;
    case EXPR_LE:
        *hi = c;
        return true;
    case EXPR_GT:
        *lo = c + 1;
        return c != INT64_MAX;
    default: /* GE */
        *lo = c;
        return true;
    }
}

/* The rows of an integer column in [lo, hi] (or, when is_ne, other than lo), kept in order.
 * (uint64_t)(x - lo) <= hi - lo is the range in one unsigned compare, and the row is written
 * whether it is kept or not, so the loop has no branch to mispredict. */
static inline __attribute__((always_inline)) uint32_t
keep_int_range_loop(const void *data, bool is_narrow, const uint64_t *validity, bool is_ne,
                    const uint16_t *rows, uint32_t count, int64_t lo, uint64_t span, uint16_t *out)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        int64_t x = is_narrow ? ((const int32_t *)data)[r] : ((const int64_t *)data)[r];
        uint32_t keep = is_ne ? x != lo : (uint64_t)x - (uint64_t)lo <= span;
        if (validity != NULL) {
            keep &= (uint32_t)(validity[r / 64] >> (r % 64)) & 1u;
        }
        out[kept] = (uint16_t)r;
        kept += keep;
    }
    return kept;
}

static uint32_t
keep_int_range(const struct vec *v, const uint16_t *rows, uint32_t count, int64_t lo, int64_t hi,
               bool is_ne, uint16_t *out)
{
    /* One loop for each case, the constants inlined, so that none tests its case a row. */
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    bool is_narrow = v->type == COL_INT32 || v->type == COL_DATE;
    if (v->validity != NULL) {
        return keep_int_range_loop(v->data, is_narrow, v->validity, is_ne, rows, count, lo, span,
                                   out);
    }
    if (is_ne) {
        return is_narrow
                   ? keep_int_range_loop(v->data, true, NULL, true, rows, count, lo, span, out)
                   : keep_int_range_loop(v->data, false, NULL, true, rows, count, lo, span, out);
    }
    return is_narrow ? keep_int_range_loop(v->data, true, NULL, false, rows, count, lo, span, out)
                     : keep_int_range_loop(v->data, false, NULL, false, rows, count, lo, span, out);
}

/* The constant c brought to scale exactly, if it can be: 1.50 at scale 1 is 15, 1.55 is not. */
static bool
constant_at_scale(const struct expr *c, uint8_t scale, int64_t *value)
{
    if (c->type == COL_FLOAT64 || c->type == COL_STRING) {
        return false;
    }
    if (c->scale <= scale) {
        return !__builtin_mul_overflow(c->value.i64, col_pow10((uint8_t)(scale - c->scale)), value);
    }
    int64_t unit = col_pow10((uint8_t)(c->scale - scale));
    if (c->value.i64 % unit != 0) {
        return false;
    }
    *value = c->value.i64 / unit;
    return true;
}

/* A dictionary column against a string: each entry compared once, then a lookup a row. */
static uint32_t
keep_dict(const struct vec *v, enum expr_op op, struct col_str c, const uint16_t *rows,
          uint32_t count, uint8_t *matches, uint16_t *out)
{
    for (uint32_t d = 0; d < v->dict_count; d++) {
        matches[d] = expr_order_holds(op, col_str_compare(v->dict[d], c));
    }
    const uint32_t *codes = v->data;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        out[kept] = (uint16_t)r;
        kept += matches[codes[r]] && row_valid(v, r);
    }
    return kept;
}

static uint32_t
keep_strings(const struct vec *v, enum expr_op op, struct col_str c, const uint16_t *rows,
             uint32_t count, uint16_t *out)
{
    const struct col_str *values = v->data;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        out[kept] = (uint16_t)r;
        kept += expr_order_holds(op, col_str_compare(values[r], c)) && row_valid(v, r);
    }
    return kept;
}

static uint32_t
keep_doubles(const struct vec *v, enum expr_op op, double c, const uint16_t *rows, uint32_t count,
             uint16_t *out)
{
    const double *values = v->data;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        double x = values[r];
        out[kept] = (uint16_t)r;
        kept += expr_order_holds(op, (x > c) - (x < c)) && row_valid(v, r);
    }
    return kept;
}

/* column op constant, by the loops above; false when this pair is not one they take (the
 * caller evaluates it the general way). */
static bool
select_column_constant(const struct expr *e, const struct batch *b, const uint16_t *rows,
                       uint32_t count, struct expr_state *s, uint16_t *out, uint32_t *kept)
{
    const struct expr *col = e->args[0], *c = e->args[1];
    enum expr_op op = e->op;
    if (col->op == EXPR_CONSTANT) {
        col = e->args[1];
        c = e->args[0];
        op = expr_op_flipped(op);
    }
    if (col->op != EXPR_COLUMN || c->op != EXPR_CONSTANT || c->is_null) {
        return false;
    }
    const struct vec *v = &b->columns[col->column];
    if (v->kind == VEC_DICT && c->type == COL_STRING) {
        *kept = keep_dict(v, op, c->value.str, rows, count, s->values[e->id], out);
        return true;
    }
    if (v->kind != VEC_FLAT) {
        return false;
    }
    if (v->type == COL_STRING && c->type == COL_STRING) {
        *kept = keep_strings(v, op, c->value.str, rows, count, out);
        return true;
    }
    if (v->type == COL_FLOAT64 && c->type != COL_STRING) {
        double cd = c->type == COL_FLOAT64 ? c->value.f64
                                           : (double)c->value.i64 / (double)col_pow10(c->scale);
        *kept = keep_doubles(v, op, cd, rows, count, out);
        return true;
    }
    int64_t value, lo, hi;
    if (v->type == COL_FLOAT64 || v->type == COL_STRING ||
        !constant_at_scale(c, v->scale, &value)) {
        return false;
    }
    if (op == EXPR_NE) {
        *kept = keep_int_range(v, rows, count, value, value, true, out);
    } else if (as_range(op, value, &lo, &hi)) {
        *kept = keep_int_range(v, rows, count, lo, hi, false, out);
    } else {
        *kept = 0;
    }
    return true;
}

/* The rows where e's value is TRUE, by evaluating it. */
static col_status
select_evaluated(const struct expr *e, const struct batch *b, const uint16_t *sel, uint32_t count,
                 struct expr_state *s, uint16_t *out, uint32_t *kept, struct col_error *err)
{
    struct vec v;
    col_status status = expr_eval_rows(e, b, sel, count, s, &v, err);
    if (status != COL_OK) {
        return status;
    }
    const uint16_t *rows = rows_of(sel);
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        union col_datum d = vec_value(&v, r);
        out[n] = (uint16_t)r;
        n += vec_is_valid(&v, r) && d.i64 != 0;
    }
    *kept = n;
    return COL_OK;
}

/* Merges two ascending selections into out, each row once. */
static uint32_t
rows_union(const uint16_t *a, uint32_t na, const uint16_t *b, uint32_t nb, uint16_t *out)
{
    uint32_t i = 0, j = 0, n = 0;
    while (i < na || j < nb) {
        if (j == nb || (i < na && a[i] < b[j])) {
            out[n++] = a[i++];
        } else if (i == na || b[j] < a[i]) {
            out[n++] = b[j++];
        } else {
            out[n++] = a[i++];
            j++;
        }
    }
    return n;
}

col_status
expr_select_rows(const struct expr *e, const struct batch *b, const uint16_t *sel, uint32_t count,
                 struct expr_state *s, uint16_t *sel_out, uint32_t *count_out,
                 struct col_error *err)
{
    assert(e->id < s->node_count);
    assert(count <= b->row_count);
    const uint16_t *rows = rows_of(sel);
    col_status status = COL_OK;
    switch (e->op) {
    case EXPR_AND: /* each argument narrows what the one before kept */
        status = expr_select_rows(e->args[0], b, sel, count, s, sel_out, count_out, err);
        if (status == COL_OK && *count_out > 0) {
            status =
                expr_select_rows(e->args[1], b, sel_out, *count_out, s, sel_out, count_out, err);
        }
        return status;
    case EXPR_OR: { /* the union of each argument's rows, both taken from the rows given */
        uint16_t *first = s->values[e->id], *second = first + COL_VECTOR_SIZE;
        uint32_t n1 = 0, n2 = 0;
        status = expr_select_rows(e->args[0], b, sel, count, s, first, &n1, err);
        if (status == COL_OK) {
            status = expr_select_rows(e->args[1], b, sel, count, s, second, &n2, err);
        }
        if (status == COL_OK) {
            *count_out = rows_union(first, n1, second, n2, sel_out);
        }
        return status;
    }
    case EXPR_EQ:
    case EXPR_NE:
    case EXPR_LT:
    case EXPR_LE:
    case EXPR_GT:
    case EXPR_GE:
        if (select_column_constant(e, b, rows, count, s, sel_out, count_out)) {
            return COL_OK;
        }
        break;
    default:
        break;
    }
    return select_evaluated(e, b, sel, count, s, sel_out, count_out, err);
}
