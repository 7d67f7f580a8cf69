/* expr.c -- part B: an expression's value for the selected rows of a batch (expr.h). Read
 * expr_eval_rows first: it evaluates the arguments, then runs one loop over the rows for the
 * node. Numbers are brought to the node's type first (as_i64, as_f64), so each operator's loop
 * is over plain arrays; NULLs travel as validity words, ANDed a word at a time. */
#include "expr.h"

#include <assert.h>
#include <string.h>

#define HALF_VALUES_BYTES (EXPR_VALUES_BYTES / 2) /* an int64 per row: the values area's half */

static const uint16_t *
rows_of(const uint16_t *sel)
{
    return sel != NULL ? sel : vec_identity_sel;
}

static void *
node_values(const struct expr_state *s, const struct expr *e)
{
    return s->values[e->id];
}

static void *
node_scratch(const struct expr_state *s, const struct expr *e)
{
    return (char *)s->values[e->id] + EXPR_VALUES_BYTES;
}

static void
set_valid(uint64_t *validity, uint32_t row, bool is_valid)
{
    uint64_t bit = 1ull << (row % 64);
    validity[row / 64] = is_valid ? validity[row / 64] | bit : validity[row / 64] & ~bit;
}

/* Word w of v's validity: all ones when v has no NULL. */
static uint64_t
validity_word(const struct vec *v, uint32_t w)
{
    if (v->validity == NULL) {
        return ~0ull;
    }
    if (v->kind == VEC_CONSTANT) {
        return (v->validity[0] & 1u) ? ~0ull : 0;
    }
    return v->validity[w];
}

/* The AND of a's and b's validity (b may be NULL) into dst, or NULL when neither has a NULL. */
static uint64_t *
validity_and(const struct vec *a, const struct vec *b, uint32_t row_count, uint64_t *dst)
{
    if (a->validity == NULL && (b == NULL || b->validity == NULL)) {
        return NULL;
    }
    for (uint32_t w = 0; w < col_validity_words(row_count); w++) {
        dst[w] = validity_word(a, w) & (b != NULL ? validity_word(b, w) : ~0ull);
    }
    return dst;
}

/* An all-valid bitmap in dst, for a node that makes NULLs of its own (x / 0). */
static uint64_t *
validity_writable(const uint64_t *from, uint32_t row_count, uint64_t *dst)
{
    for (uint32_t w = 0; w < col_validity_words(row_count); w++) {
        dst[w] = from != NULL ? from[w] : ~0ull;
    }
    return dst;
}

static bool
is_wide(enum col_type type)
{
    return type == COL_INT64 || type == COL_DECIMAL;
}

/* v's values at rows, as int64_t at scale (v an integer, date or decimal of scale at most
 * scale): v's own data when it already is that, else dst filled at those rows. */
static const int64_t *
as_i64(const struct vec *v, const uint16_t *rows, uint32_t count, uint8_t scale, int64_t *dst,
       bool *overflow)
{
    assert(v->type != COL_FLOAT64 && v->type != COL_STRING);
    assert(v->scale <= scale);
    int64_t factor = col_pow10((uint8_t)(scale - v->scale));
    bool is_over = false;
    if (v->kind == VEC_CONSTANT) {
        int64_t x = is_wide(v->type) ? *(const int64_t *)v->data : *(const int32_t *)v->data;
        int64_t scaled;
        is_over = __builtin_mul_overflow(x, factor, &scaled);
        for (uint32_t i = 0; i < count; i++) {
            dst[rows[i]] = scaled;
        }
    } else if (is_wide(v->type)) {
        const int64_t *src = v->data;
        if (factor == 1) {
            return src;
        }
        for (uint32_t i = 0; i < count; i++) {
            int64_t scaled; /* through a local, as in loop_i64 */
            is_over |= __builtin_mul_overflow(src[rows[i]], factor, &scaled);
            dst[rows[i]] = scaled;
        }
    } else {
        const int32_t *src = v->data;
        for (uint32_t i = 0; i < count; i++) {
            int64_t scaled;
            is_over |= __builtin_mul_overflow((int64_t)src[rows[i]], factor, &scaled);
            dst[rows[i]] = scaled;
        }
    }
    *overflow |= is_over;
    return dst;
}

/* v's values at rows as doubles (decimals divided by 10^scale). */
static const double *
as_f64(const struct vec *v, const uint16_t *rows, uint32_t count, double *dst)
{
    if (v->type == COL_FLOAT64 && v->kind == VEC_FLAT) {
        return v->data;
    }
    double unit = (double)col_pow10(v->scale);
    uint32_t stride = v->kind == VEC_CONSTANT ? 0 : 1;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t at = rows[i] * stride;
        double x = v->type == COL_FLOAT64 ? ((const double *)v->data)[at]
                   : is_wide(v->type)     ? (double)((const int64_t *)v->data)[at] / unit
                                          : (double)((const int32_t *)v->data)[at] / unit;
        dst[rows[i]] = x;
    }
    return dst;
}

static col_status
overflow_error(const struct expr *e, struct col_error *err)
{
    char text[128];
    expr_format(e, NULL, text, sizeof(text));
    return col_fail(err, COL_TOO_BIG, "integer overflow in %s", text);
}

static void
flat_out(struct vec *out, const struct expr *e, const void *data, const uint64_t *validity)
{
    *out = (struct vec){
        .type = e->type, .scale = e->scale, .kind = VEC_FLAT, .data = data, .validity = validity};
}

static col_status
eval_constant(const struct expr *e, struct expr_state *s, struct vec *out)
{
    void *value = node_values(s, e);
    uint64_t *validity = s->validity[e->id];
    if (e->type == COL_INT32 || e->type == COL_DATE) {
        *(int32_t *)value = (int32_t)e->value.i64;
    } else {
        memcpy(value, &e->value, col_type_width(e->type));
    }
    validity[0] = e->is_null ? 0 : 1;
    *out = (struct vec){.type = e->type,
                        .scale = e->scale,
                        .kind = VEC_CONSTANT,
                        .data = value,
                        .validity = e->is_null ? validity : NULL};
    return COL_OK;
}

/* x op y over int64s at one scale (+, -, and * when the scales add up). */
static bool
loop_i64(enum expr_op op, const int64_t *x, const int64_t *y, const uint16_t *rows, uint32_t count,
         int64_t *o)
{
    /* The result goes through a local: x may be o (a conversion done in place), and GCC 12
     * reads the operands of __builtin_add_overflow again after storing its result. */
    bool is_over = false;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        int64_t v;
        is_over |= op == EXPR_ADD   ? __builtin_add_overflow(x[r], y[r], &v)
                   : op == EXPR_SUB ? __builtin_sub_overflow(x[r], y[r], &v)
                                    : __builtin_mul_overflow(x[r], y[r], &v);
        o[r] = v;
    }
    return is_over;
}

static void
loop_f64(enum expr_op op, const double *x, const double *y, const uint16_t *rows, uint32_t count,
         double *o, uint64_t *validity)
{
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        switch (op) {
        case EXPR_ADD:
            o[r] = x[r] + y[r];
            break;
        case EXPR_SUB:
            o[r] = x[r] - y[r];
            break;
        case EXPR_MUL:
            o[r] = x[r] * y[r];
            break;
        default:
            if (y[r] == 0) {
                set_valid(validity, r, false); /* x / 0 is NULL, as in SQLite */
                o[r] = 0;
            } else {
                o[r] = x[r] / y[r];
            }
            break;
        }
    }
}

/* Integer division, truncating toward 0; by 0 is NULL. */
static bool
loop_div_i64(const int64_t *x, const int64_t *y, const uint16_t *rows, uint32_t count, int64_t *o,
             uint64_t *validity)
{
    bool is_over = false;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        if (y[r] == 0) {
            set_valid(validity, r, false);
            o[r] = 0;
        } else if (x[r] == INT64_MIN && y[r] == -1) {
            is_over = true;
        } else {
            o[r] = x[r] / y[r];
        }
    }
    return is_over;
}

static col_status
eval_arith(const struct expr *e, const struct vec *a, const struct vec *c, const struct batch *b,
           const uint16_t *rows, uint32_t count, struct expr_state *s, struct vec *out,
           struct col_error *err)
{
    uint64_t *validity = validity_and(a, c, b->row_count, s->validity[e->id]);
    if (e->op == EXPR_DIV) {
        validity = validity_writable(validity, b->row_count, s->validity[e->id]);
    }
    if (e->type == COL_FLOAT64) {
        double *o = node_values(s, e);
        const double *x = as_f64(a, rows, count, o);
        const double *y = as_f64(c, rows, count, node_scratch(s, e));
        loop_f64(e->op, x, y, rows, count, o, validity);
        flat_out(out, e, o, validity);
        return COL_OK;
    }
    /* + and - bring both sides to the result's scale; * multiplies the scaled values as they
     * are (the scales add); integer / has scale 0. */
    bool is_mul = e->op == EXPR_MUL;
    uint8_t scale_a = is_mul ? a->scale : e->scale, scale_c = is_mul ? c->scale : e->scale;
    bool is_over = false;
    int64_t *o = node_values(s, e);
    const int64_t *x = as_i64(a, rows, count, e->type == COL_DATE ? 0 : scale_a, o, &is_over);
    const int64_t *y =
        as_i64(c, rows, count, e->type == COL_DATE ? 0 : scale_c, node_scratch(s, e), &is_over);
    if (e->op == EXPR_DIV) {
        is_over |= loop_div_i64(x, y, rows, count, o, validity);
    } else {
        is_over |= loop_i64(e->op, x, y, rows, count, o);
    }
    if (is_over && validity != NULL) {
        /* An overflow counts only in a row that is not NULL: a NULL row's slot holds whatever
         * its encoder wrote there. Rare, so checked again only then, over the valid rows. */
        uint16_t valid_rows[COL_VECTOR_SIZE] = {0};
        uint32_t n = 0;
        for (uint32_t i = 0; i < count; i++) {
            valid_rows[n] = rows[i];
            n += (validity[rows[i] / 64] >> (rows[i] % 64)) & 1u;
        }
        is_over = false;
        x = as_i64(a, valid_rows, n, e->type == COL_DATE ? 0 : scale_a, o, &is_over);
        y = as_i64(c, valid_rows, n, e->type == COL_DATE ? 0 : scale_c, node_scratch(s, e),
                   &is_over);
        is_over |= e->op == EXPR_DIV ? loop_div_i64(x, y, valid_rows, n, o, validity)
                                     : loop_i64(e->op, x, y, valid_rows, n, o);
    }
    if (e->type == COL_DATE) { /* days back to int32_t, in the upper half of the values */
        int32_t *o32 = (int32_t *)(void *)((char *)o + HALF_VALUES_BYTES);
        for (uint32_t i = 0; i < count; i++) {
            uint32_t r = rows[i];
            is_over |= o[r] < INT32_MIN || o[r] > INT32_MAX;
            o32[r] = (int32_t)o[r];
        }
        flat_out(out, e, o32, validity);
    } else {
        flat_out(out, e, o, validity);
    }
    return is_over ? overflow_error(e, err) : COL_OK;
}

static col_status
eval_neg(const struct expr *e, const struct vec *a, const struct batch *b, const uint16_t *rows,
         uint32_t count, struct expr_state *s, struct vec *out, struct col_error *err)
{
    uint64_t *validity = validity_and(a, NULL, b->row_count, s->validity[e->id]);
    if (e->type == COL_FLOAT64) {
        double *o = node_values(s, e);
        const double *x = as_f64(a, rows, count, o);
        for (uint32_t i = 0; i < count; i++) {
            o[rows[i]] = -x[rows[i]];
        }
        flat_out(out, e, o, validity);
        return COL_OK;
    }
    bool is_over = false;
    int64_t *o = node_values(s, e);
    const int64_t *x = as_i64(a, rows, count, e->scale, o, &is_over);
    for (uint32_t i = 0; i < count; i++) {
        int64_t v; /* through a local, as in loop_i64: x may be o */
        is_over |= __builtin_sub_overflow((int64_t)0, x[rows[i]], &v);
        o[rows[i]] = v;
    }
    flat_out(out, e, o, validity);
    return is_over ? overflow_error(e, err) : COL_OK;
}

static struct col_str
str_at(const struct vec *v, uint32_t row)
{
    if (v->kind == VEC_DICT) {
        return v->dict[((const uint32_t *)v->data)[row]];
    }
    return ((const struct col_str *)v->data)[v->kind == VEC_CONSTANT ? 0 : row];
}

/* The sign of a[r] - c[r] for each row, into cmp[r] (both rows valid or not): strings as
 * bytes, doubles as doubles, integers and decimals exactly (in 128 bits, so a scale never
 * overflows). x_buf and y_buf: COL_VECTOR_SIZE int64s or doubles each. */
static void
compare_rows(const struct vec *a, const struct vec *c, const uint16_t *rows, uint32_t count,
             void *x_buf, void *y_buf, int8_t *cmp)
{
    if (a->type == COL_STRING) {
        /* A NULL row's string may point anywhere (a CASE that took no branch there): only the
         * valid ones are read. */
        for (uint32_t i = 0; i < count; i++) {
            uint32_t r = rows[i];
            int order = vec_is_valid(a, r) && vec_is_valid(c, r)
                            ? col_str_compare(str_at(a, r), str_at(c, r))
                            : 0;
            cmp[r] = (int8_t)((order > 0) - (order < 0));
        }
    } else if (a->type == COL_FLOAT64 || c->type == COL_FLOAT64) {
        const double *x = as_f64(a, rows, count, x_buf), *y = as_f64(c, rows, count, y_buf);
        for (uint32_t i = 0; i < count; i++) {
            uint32_t r = rows[i];
            cmp[r] = (int8_t)((x[r] > y[r]) - (x[r] < y[r]));
        }
    } else {
        bool never = false; /* at their own scales nothing is rescaled, so nothing overflows */
        const int64_t *x = as_i64(a, rows, count, a->scale, x_buf, &never);
        const int64_t *y = as_i64(c, rows, count, c->scale, y_buf, &never);
        uint8_t scale = a->scale > c->scale ? a->scale : c->scale;
        __int128 fx = col_pow10((uint8_t)(scale - a->scale));
        __int128 fy = col_pow10((uint8_t)(scale - c->scale));
        for (uint32_t i = 0; i < count; i++) {
            uint32_t r = rows[i];
            __int128 p = x[r] * fx, q = y[r] * fy;
            cmp[r] = (int8_t)((p > q) - (p < q));
        }
    }
}

/* A condition's buffers: x and y in the values area, the int32 result and cmp in scratch. A
 * dictionary's per-entry results, when there is one, take y's place. */
struct condition_buffers {
    void *x, *y;
    int32_t *o;
    int8_t *cmp;
};

static struct condition_buffers
condition_buffers(const struct expr_state *s, const struct expr *e)
{
    char *values = node_values(s, e), *scratch = node_scratch(s, e);
    _Static_assert((size_t)COL_VECTOR_SIZE * 5 <= EXPR_SCRATCH_BYTES, "o and cmp fit the scratch");
    _Static_assert(COL_DICT_ENTRIES_MAX / 8 <= HALF_VALUES_BYTES, "a bit per entry fits in y");
    return (struct condition_buffers){values, values + HALF_VALUES_BYTES,
                                      (int32_t *)(void *)scratch,
                                      (int8_t *)(scratch + (size_t)COL_VECTOR_SIZE * 4)};
}

static col_status
eval_compare(const struct expr *e, const struct vec *a, const struct vec *c, const struct batch *b,
             const uint16_t *rows, uint32_t count, struct expr_state *s, struct vec *out)
{
    struct condition_buffers buf = condition_buffers(s, e);
    compare_rows(a, c, rows, count, buf.x, buf.y, buf.cmp);
    for (uint32_t i = 0; i < count; i++) {
        buf.o[rows[i]] = expr_order_holds(e->op, buf.cmp[rows[i]]);
    }
    flat_out(out, e, buf.o, validity_and(a, c, b->row_count, s->validity[e->id]));
    return COL_OK;
}

static bool
bit_at(const struct vec *v, uint32_t row)
{
    return (validity_word(v, row / 64) >> (row % 64)) & 1u;
}

/* AND, OR and NOT by SQL's three values: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE. */
static col_status
eval_logic(const struct expr *e, const struct vec *a, const struct vec *c, const uint16_t *rows,
           uint32_t count, struct expr_state *s, struct vec *out)
{
    struct condition_buffers buf = condition_buffers(s, e);
    bool never = false;
    const int64_t *x = as_i64(a, rows, count, 0, buf.x, &never);
    const int64_t *y = c != NULL ? as_i64(c, rows, count, 0, buf.y, &never) : x;
    uint64_t *validity = s->validity[e->id];
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        bool va = bit_at(a, r), vc = c != NULL ? bit_at(c, r) : va;
        bool p = va && x[r] != 0, q = vc && y[r] != 0;   /* TRUE */
        bool np = va && x[r] == 0, nq = vc && y[r] == 0; /* FALSE */
        bool is_true = e->op == EXPR_AND ? p && q : e->op == EXPR_OR ? p || q : np;
        bool is_false = e->op == EXPR_AND ? np || nq : e->op == EXPR_OR ? np && nq : p;
        buf.o[r] = is_true;
        set_valid(validity, r, is_true || is_false);
    }
    flat_out(out, e, buf.o, validity);
    return COL_OK;
}

static col_status
eval_is_null(const struct expr *e, const struct vec *a, const uint16_t *rows, uint32_t count,
             struct expr_state *s, struct vec *out)
{
    struct condition_buffers buf = condition_buffers(s, e);
    for (uint32_t i = 0; i < count; i++) {
        buf.o[rows[i]] = bit_at(a, rows[i]) == (e->op == EXPR_IS_NOT_NULL);
    }
    flat_out(out, e, buf.o, NULL);
    return COL_OK;
}

/* args[0] IN (args[1], ...): 1 on a match; else NULL if args[0] or any constant is NULL; else
 * 0. Each constant is compared with every row in one loop. */
static col_status
eval_in(const struct expr *e, const struct vec *a, const struct batch *b, const uint16_t *rows,
        uint32_t count, struct expr_state *s, struct vec *out, struct col_error *err)
{
    struct condition_buffers buf = condition_buffers(s, e);
    bool has_null_constant = false;
    for (uint32_t i = 0; i < count; i++) {
        buf.o[rows[i]] = 0;
    }
    for (uint32_t k = 1; k < e->arg_count; k++) {
        struct vec constant;
        col_status status = expr_eval_rows(e->args[k], b, rows, count, s, &constant, err);
        if (status != COL_OK) {
            return status;
        }
        if (e->args[k]->is_null) {
            has_null_constant = true;
            continue;
        }
        compare_rows(a, &constant, rows, count, buf.x, buf.y, buf.cmp);
        for (uint32_t i = 0; i < count; i++) {
            buf.o[rows[i]] |= buf.cmp[rows[i]] == 0;
        }
    }
    uint64_t *validity = s->validity[e->id];
    for (uint32_t i = 0; i < count; i++) {
        uint32_t r = rows[i];
        set_valid(validity, r, bit_at(a, r) && (buf.o[r] || !has_null_constant));
    }
    flat_out(out, e, buf.o, validity);
    return COL_OK;
}

/* LIKE: on a dictionary, each entry is matched once and rows look up their code's answer. */
static col_status
eval_like(const struct expr *e, const struct vec *a, const struct batch *b, const uint16_t *rows,
          uint32_t count, struct expr_state *s, struct vec *out)
{
    struct condition_buffers buf = condition_buffers(s, e);
    struct col_str pattern = e->args[1]->value.str;
    if (a->kind == VEC_DICT) {
        uint8_t *matches = buf.y;
        for (uint32_t d = 0; d < a->dict_count; d++) {
            matches[d] = expr_like(a->dict[d], pattern);
        }
        const uint32_t *codes = a->data;
        for (uint32_t i = 0; i < count; i++) {
            buf.o[rows[i]] = matches[codes[rows[i]]];
        }
    } else {
        for (uint32_t i = 0; i < count; i++) {
            buf.o[rows[i]] = expr_like(str_at(a, rows[i]), pattern);
        }
    }
    flat_out(out, e, buf.o, validity_and(a, NULL, b->row_count, s->validity[e->id]));
    return COL_OK;
}

/* Copies the values of v at rows into out (of CASE's type and scale), with their validity. */
static void
case_copy(const struct expr *e, const struct vec *v, const uint16_t *rows, uint32_t count,
          void *out, uint64_t *validity)
{
    bool never = false;
    if (v->kind == VEC_CONSTANT && !bit_at(v, 0)) { /* THEN NULL: no value, whatever its type */
        size_t width = col_type_width(e->type);
        for (uint32_t i = 0; i < count; i++) {
            set_valid(validity, rows[i], false);
            memset((char *)out + (size_t)rows[i] * width, 0, width);
        }
        return;
    }
    if (e->type == COL_STRING) {
        for (uint32_t i = 0; i < count; i++) {
            ((struct col_str *)out)[rows[i]] = str_at(v, rows[i]);
        }
    } else if (e->type == COL_FLOAT64) {
        const double *x = as_f64(v, rows, count, out);
        for (uint32_t i = 0; x != out && i < count; i++) {
            ((double *)out)[rows[i]] = x[rows[i]];
        }
    } else if (e->type == COL_DATE) {
        uint32_t stride = v->kind == VEC_CONSTANT ? 0 : 1;
        for (uint32_t i = 0; i < count; i++) {
            ((int32_t *)out)[rows[i]] = ((const int32_t *)v->data)[(size_t)rows[i] * stride];
        }
    } else {
        const int64_t *x = as_i64(v, rows, count, e->scale, out, &never);
        for (uint32_t i = 0; x != out && i < count; i++) {
            ((int64_t *)out)[rows[i]] = x[rows[i]];
        }
    }
    for (uint32_t i = 0; i < count; i++) {
        set_valid(validity, rows[i], bit_at(v, rows[i]));
    }
}

/* Removes the rows of hit (a subsequence) from rows, in place; returns the count left. */
static uint32_t
rows_minus(uint16_t *rows, uint32_t count, const uint16_t *hit, uint32_t hit_count)
{
    uint32_t kept = 0, h = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (h < hit_count && hit[h] == rows[i]) {
            h++;
        } else {
            rows[kept++] = rows[i];
        }
    }
    return kept;
}

/* CASE: each WHEN is selected among the rows no earlier WHEN took; its THEN is evaluated for
 * the rows it takes only, so a THEN that divides by 0 elsewhere costs nothing there. */
static col_status
eval_case(const struct expr *e, const struct batch *b, const uint16_t *rows, uint32_t count,
          struct expr_state *s, struct vec *out, struct col_error *err)
{
    void *values = node_values(s, e);
    uint64_t *validity = s->validity[e->id];
    uint16_t *left = node_scratch(s, e), *hit = left + COL_VECTOR_SIZE;
    memcpy(left, rows, count * sizeof(uint16_t));
    uint32_t left_count = count;
    bool has_else = e->arg_count % 2 == 1;
    uint32_t pairs = e->arg_count / 2;
    for (uint32_t p = 0; p <= pairs && left_count > 0; p++) {
        uint32_t hit_count = left_count;
        const struct expr *result = NULL;
        col_status status = COL_OK;
        if (p < pairs) {
            status = expr_select_rows(e->args[(size_t)2 * p], b, left, left_count, s, hit,
                                      &hit_count, err);
            result = e->args[2 * p + 1];
        } else if (has_else) {
            memcpy(hit, left, left_count * sizeof(uint16_t));
            result = e->args[e->arg_count - 1];
        } else {
            size_t width = col_type_width(e->type);
            for (uint32_t i = 0; i < left_count; i++) { /* no ELSE: NULL, its slot zeroed */
                set_valid(validity, left[i], false);
                memset((char *)values + (size_t)left[i] * width, 0, width);
            }
            break;
        }
        struct vec v;
        if (status == COL_OK && hit_count > 0) {
            status = expr_eval_rows(result, b, hit, hit_count, s, &v, err);
        }
        if (status != COL_OK) {
            return status;
        }
        if (hit_count > 0) {
            case_copy(e, &v, hit, hit_count, values, validity);
        }
        left_count = rows_minus(left, left_count, hit, hit_count);
    }
    flat_out(out, e, values, validity);
    return COL_OK;
}

/* The arguments of a node with one or two, evaluated first. */
static col_status
eval_args(const struct expr *e, const struct batch *b, const uint16_t *sel, uint32_t count,
          struct expr_state *s, struct vec *a, struct vec *c, struct col_error *err)
{
    col_status status = expr_eval_rows(e->args[0], b, sel, count, s, a, err);
    *c = *a; /* a node of one argument reads only a */
    if (status == COL_OK && e->arg_count > 1 && e->op != EXPR_IN && e->op != EXPR_LIKE) {
        status = expr_eval_rows(e->args[1], b, sel, count, s, c, err);
    }
    return status;
}

col_status
expr_eval_rows(const struct expr *e, const struct batch *b, const uint16_t *sel, uint32_t count,
               struct expr_state *s, struct vec *out, struct col_error *err)
{
    assert(e->id < s->node_count);
    assert(count <= b->row_count);
    const uint16_t *rows = rows_of(sel);
    if (e->op == EXPR_COLUMN) {
        *out = b->columns[e->column];
        return COL_OK;
    }
    if (e->op == EXPR_CONSTANT) {
        return eval_constant(e, s, out);
    }
    if (e->op == EXPR_CASE) {
        return eval_case(e, b, rows, count, s, out, err);
    }
    struct vec a, c;
    col_status status = eval_args(e, b, sel, count, s, &a, &c, err);
    if (status != COL_OK) {
        return status;
    }
    switch (e->op) {
    case EXPR_ADD:
    case EXPR_SUB:
    case EXPR_MUL:
    case EXPR_DIV:
        return eval_arith(e, &a, &c, b, rows, count, s, out, err);
    case EXPR_NEG:
        return eval_neg(e, &a, b, rows, count, s, out, err);
    case EXPR_AND:
    case EXPR_OR:
        return eval_logic(e, &a, &c, rows, count, s, out);
    case EXPR_NOT:
        return eval_logic(e, &a, NULL, rows, count, s, out);
    case EXPR_IS_NULL:
    case EXPR_IS_NOT_NULL:
        return eval_is_null(e, &a, rows, count, s, out);
    case EXPR_IN:
        return eval_in(e, &a, b, rows, count, s, out, err);
    case EXPR_LIKE:
        return eval_like(e, &a, b, rows, count, s, out);
    default:
        return eval_compare(e, &a, &c, b, rows, count, s, out);
    }
}
