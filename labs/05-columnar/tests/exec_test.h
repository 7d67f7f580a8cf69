/* exec_test.h -- what part B's tests share: a seeded batch of every kind of vector (flat,
 * constant, dictionary; NULLs in all), seeded expression trees of every type, and a
 * row-at-a-time evaluator written from expr.h's rules alone, which the engine's batch-at-a-time
 * answers are checked against row by row. Read ref_eval first. */
#ifndef KEEL_EXEC_TEST_H
#define KEEL_EXEC_TEST_H

#include "col_test.h"
#include "expr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- A batch of every kind of vector ------------------------------------------------------ */

enum {
    TB_I, /* INT32, flat */
    TB_J, /* INT64, flat */
    TB_P, /* DECIMAL(2), flat */
    TB_Q, /* DECIMAL(4), flat */
    TB_F, /* FLOAT64, flat */
    TB_D, /* DATE, flat */
    TB_S, /* STRING, dictionary */
    TB_T, /* STRING, flat */
    TB_K, /* INT32, constant */
    TB_R, /* DECIMAL(2), constant, NULL in some batches */
    TB_COLUMNS
};

static const char *const tb_names[TB_COLUMNS] = {"i", "j", "p", "q", "f", "d", "s", "t", "k", "r"};
static const char *const tb_words[] = {"",      "AIR",     "FOB",   "MAIL", "RAIL",       "SHIP",
                                       "TRUCK", "REG AIR", "abc%d", "a_c",  "Customer#1", "zz"};

struct test_batch {
    struct batch b;
    int32_t i[COL_VECTOR_SIZE], k, d[COL_VECTOR_SIZE];
    int64_t j[COL_VECTOR_SIZE], p[COL_VECTOR_SIZE], q[COL_VECTOR_SIZE], r;
    double f[COL_VECTOR_SIZE];
    uint32_t s_codes[COL_VECTOR_SIZE];
    struct col_str s_dict[8], t[COL_VECTOR_SIZE];
    uint64_t validity[TB_COLUMNS][COL_VECTOR_SIZE / 64];
    uint64_t constant_null;
    uint16_t sel[COL_VECTOR_SIZE];
};

static TEST_UNUSED int
tb_str_order(const void *a, const void *b)
{
    return col_str_compare(*(const struct col_str *)a, *(const struct col_str *)b);
}

static TEST_UNUSED struct col_str
tb_word(struct kh_rng *rng)
{
    const char *w = tb_words[kh_rng_below(rng, KH_ARRAY_LEN(tb_words))];
    return (struct col_str){w, (uint32_t)strlen(w)};
}

/* t's dictionary for column s: up to 8 words, sorted and distinct, as a chunk's dictionary
 * is; returns how many. */
static TEST_UNUSED uint32_t
tb_dict_make(struct test_batch *t, struct kh_rng *rng)
{
    uint32_t dict_count = 1 + (uint32_t)kh_rng_below(rng, 8);
    for (uint32_t e = 0; e < dict_count; e++) {
        t->s_dict[e] = tb_word(rng);
    }
    qsort(t->s_dict, dict_count, sizeof(struct col_str), tb_str_order);
    uint32_t distinct = 1;
    for (uint32_t e = 1; e < dict_count; e++) {
        if (col_str_compare(t->s_dict[e], t->s_dict[distinct - 1]) != 0) {
            t->s_dict[distinct++] = t->s_dict[e];
        }
    }
    return distinct;
}

/* Fills t with rows rows of small values (no product of three overflows), NULLs at
 * null_percent, and a random selection of about half the rows when is_selected. Values in a
 * NULL row are 0 (as PLAIN writes them). */
static TEST_UNUSED void
test_batch_make(struct test_batch *t, struct kh_rng *rng, uint32_t rows, unsigned null_percent,
                bool is_selected)
{
    memset(t, 0, sizeof(*t));
    memset(t->validity, 0xff, sizeof(t->validity));
    uint32_t distinct = tb_dict_make(t, rng);
    for (uint32_t row = 0; row < rows; row++) {
        t->i[row] = (int32_t)kh_rng_below(rng, 2001) - 1000;
        t->j[row] = (int64_t)kh_rng_below(rng, 2000001) - 1000000;
        t->p[row] = (int64_t)kh_rng_below(rng, 200001) - 100000;
        t->q[row] = (int64_t)kh_rng_below(rng, 2000001) - 1000000;
        t->f[row] = (double)((int64_t)kh_rng_below(rng, 200001) - 100000) / 64.0;
        t->d[row] = 8000 + (int32_t)kh_rng_below(rng, 3000);
        t->s_codes[row] = (uint32_t)kh_rng_below(rng, distinct);
        t->t[row] = tb_word(rng);
        if (kh_rng_below(rng, 10) == 0) { /* repeats, so = finds something */
            t->i[row] = 7;
            t->j[row] = 7;
            t->p[row] = 700;
        }
        for (uint32_t c = 0; c < TB_COLUMNS; c++) {
            if (c != TB_K && c != TB_R && kh_rng_below(rng, 100) < null_percent) {
                t->validity[c][row / 64] &= ~(1ull << (row % 64));
            }
        }
    }
    for (uint32_t row = 0; row < rows; row++) { /* NULL rows hold 0 */
        if (!col_is_valid(t->validity[TB_I], row)) {
            t->i[row] = 0;
        }
        if (!col_is_valid(t->validity[TB_J], row)) {
            t->j[row] = 0;
        }
    }
    t->k = (int32_t)kh_rng_below(rng, 21) - 10;
    t->r = (int64_t)kh_rng_below(rng, 2001) - 1000;
    t->constant_null = kh_rng_below(rng, 4) == 0 ? 0 : 1;
    struct batch *b = &t->b;
    b->row_count = rows;
    b->column_count = TB_COLUMNS;
    const void *data[TB_COLUMNS] = {t->i, t->j,       t->p, t->q,  t->f,
                                    t->d, t->s_codes, t->t, &t->k, &t->r};
    static const enum col_type types[TB_COLUMNS] = {
        COL_INT32, COL_INT64,  COL_DECIMAL, COL_DECIMAL, COL_FLOAT64,
        COL_DATE,  COL_STRING, COL_STRING,  COL_INT32,   COL_DECIMAL};
    static const uint8_t scales[TB_COLUMNS] = {0, 0, 2, 4, 0, 0, 0, 0, 0, 2};
    for (uint32_t c = 0; c < TB_COLUMNS; c++) {
        struct vec *v = &b->columns[c];
        *v = (struct vec){.type = types[c],
                          .scale = scales[c],
                          .kind = VEC_FLAT,
                          .data = data[c],
                          .validity = null_percent > 0 ? t->validity[c] : NULL};
    }
    b->columns[TB_S].kind = VEC_DICT;
    b->columns[TB_S].dict = t->s_dict;
    b->columns[TB_S].dict_count = distinct;
    b->columns[TB_K].kind = VEC_CONSTANT;
    b->columns[TB_K].validity = NULL;
    b->columns[TB_R].kind = VEC_CONSTANT;
    b->columns[TB_R].validity = &t->constant_null;
    b->selected_count = rows;
    if (is_selected) {
        uint32_t n = 0;
        for (uint32_t row = 0; row < rows; row++) {
            t->sel[n] = (uint16_t)row;
            n += kh_rng_below(rng, 2) == 0;
        }
        b->sel = t->sel;
        b->selected_count = n;
    }
}

static TEST_UNUSED void
test_batch_types(const struct test_batch *t, enum col_type *types, uint8_t *scales)
{
    for (uint32_t c = 0; c < TB_COLUMNS; c++) {
        types[c] = t->b.columns[c].type;
        scales[c] = t->b.columns[c].scale;
    }
}

/* ---- The row-at-a-time evaluator ----------------------------------------------------------- */

/* One value: what a node gives for one row. overflow: an integer went past int64_t. */
struct rv {
    bool is_null;
    bool overflow;
    enum col_type type;
    uint8_t scale;
    union col_datum v;
};

static TEST_UNUSED bool
rv_is_true(struct rv x)
{
    return !x.is_null && x.v.i64 != 0;
}

/* x at scale as an int64 (x an integer, date or decimal of at most that scale). */
static TEST_UNUSED int64_t
rv_scaled(struct rv x, uint8_t scale, bool *overflow)
{
    int64_t out;
    *overflow |= __builtin_mul_overflow(x.v.i64, col_pow10((uint8_t)(scale - x.scale)), &out);
    return out;
}

static TEST_UNUSED double
rv_double(struct rv x)
{
    return x.type == COL_FLOAT64 ? x.v.f64 : (double)x.v.i64 / (double)col_pow10(x.scale);
}

/* The sign of x - y, exactly. */
static TEST_UNUSED int
rv_compare(struct rv x, struct rv y)
{
    if (x.type == COL_STRING) {
        int order = col_str_compare(x.v.str, y.v.str);
        return (order > 0) - (order < 0);
    }
    if (x.type == COL_FLOAT64 || y.type == COL_FLOAT64) {
        double a = rv_double(x), b = rv_double(y);
        return (a > b) - (a < b);
    }
    uint8_t scale = x.scale > y.scale ? x.scale : y.scale;
    __int128 a = (__int128)x.v.i64 * col_pow10((uint8_t)(scale - x.scale));
    __int128 b = (__int128)y.v.i64 * col_pow10((uint8_t)(scale - y.scale));
    return (a > b) - (a < b);
}

static TEST_UNUSED struct rv ref_eval(const struct expr *e, const struct batch *b, uint32_t row);

static TEST_UNUSED struct rv
ref_arith(const struct expr *e, struct rv x, struct rv y)
{
    struct rv out = {.type = e->type, .scale = e->scale};
    if (x.is_null || y.is_null) {
        out.is_null = true;
        return out;
    }
    if (e->type == COL_FLOAT64) {
        double a = rv_double(x), c = rv_double(y);
        out.is_null = e->op == EXPR_DIV && c == 0;
        out.v.f64 = e->op == EXPR_ADD   ? a + c
                    : e->op == EXPR_SUB ? a - c
                    : e->op == EXPR_MUL ? a * c
                    : out.is_null       ? 0
                                        : a / c;
        return out;
    }
    bool is_mul = e->op == EXPR_MUL;
    uint8_t scale_x = e->type == COL_DATE ? 0 : is_mul ? x.scale : e->scale;
    uint8_t scale_y = e->type == COL_DATE ? 0 : is_mul ? y.scale : e->scale;
    int64_t a = rv_scaled(x, scale_x, &out.overflow), c = rv_scaled(y, scale_y, &out.overflow);
    switch (e->op) {
    case EXPR_ADD:
        out.overflow |= __builtin_add_overflow(a, c, &out.v.i64);
        break;
    case EXPR_SUB:
        out.overflow |= __builtin_sub_overflow(a, c, &out.v.i64);
        break;
    case EXPR_MUL:
        out.overflow |= __builtin_mul_overflow(a, c, &out.v.i64);
        break;
    default:
        out.is_null = c == 0;
        out.overflow |= a == INT64_MIN && c == -1;
        out.v.i64 = c == 0 || out.overflow ? 0 : a / c;
        break;
    }
    if (e->type == COL_DATE) {
        out.overflow |= out.v.i64 < INT32_MIN || out.v.i64 > INT32_MAX;
    }
    return out;
}

/* CASE's result x brought to CASE's type. */
static TEST_UNUSED struct rv
ref_cast(const struct expr *e, struct rv x)
{
    struct rv out = {.is_null = x.is_null, .type = e->type, .scale = e->scale};
    if (x.is_null) {
        return out;
    }
    if (e->type == COL_FLOAT64) {
        out.v.f64 = rv_double(x);
    } else if (e->type == COL_STRING || e->type == COL_DATE) {
        out.v = x.v;
    } else {
        out.v.i64 = rv_scaled(x, e->scale, &out.overflow);
    }
    return out;
}

static TEST_UNUSED struct rv
ref_condition(bool is_null, bool value)
{
    return (struct rv){.is_null = is_null, .type = COL_INT32, .v.i64 = is_null ? 0 : value};
}

static TEST_UNUSED struct rv
ref_logic(const struct expr *e, const struct batch *b, uint32_t row)
{
    struct rv x = ref_eval(e->args[0], b, row);
    struct rv y = e->arg_count > 1 ? ref_eval(e->args[1], b, row) : x;
    bool xt = rv_is_true(x), xf = !x.is_null && x.v.i64 == 0;
    bool yt = rv_is_true(y), yf = !y.is_null && y.v.i64 == 0;
    struct rv out;
    if (e->op == EXPR_AND) {
        out = ref_condition(!(xf || yf) && !(xt && yt), xt && yt);
    } else if (e->op == EXPR_OR) {
        out = ref_condition(!(xt || yt) && !(xf && yf), xt || yt);
    } else {
        out = ref_condition(x.is_null, xf);
    }
    out.overflow = x.overflow || y.overflow;
    return out;
}

static TEST_UNUSED struct rv
ref_case(const struct expr *e, const struct batch *b, uint32_t row)
{
    uint32_t pairs = e->arg_count / 2;
    struct rv cond = {0};
    for (uint32_t p = 0; p < pairs; p++) {
        cond = ref_eval(e->args[2 * p], b, row);
        if (cond.overflow) {
            return cond;
        }
        if (rv_is_true(cond)) {
            return ref_cast(e, ref_eval(e->args[2 * p + 1], b, row));
        }
    }
    if (e->arg_count % 2 == 1) {
        return ref_cast(e, ref_eval(e->args[e->arg_count - 1], b, row));
    }
    return (struct rv){.is_null = true, .type = e->type, .scale = e->scale};
}

static TEST_UNUSED struct rv
ref_in(const struct expr *e, const struct batch *b, uint32_t row)
{
    struct rv x = ref_eval(e->args[0], b, row);
    bool has_null = false;
    for (uint32_t k = 1; k < e->arg_count; k++) {
        struct rv c = ref_eval(e->args[k], b, row);
        if (c.is_null) {
            has_null = true;
        } else if (!x.is_null && rv_compare(x, c) == 0) {
            return ref_condition(false, true);
        }
    }
    return ref_condition(x.is_null || has_null, false);
}

/* e's value at row of b, by expr.h's rules, one row at a time. */
static TEST_UNUSED struct rv
ref_eval(const struct expr *e, const struct batch *b, uint32_t row)
{
    struct rv out = {.type = e->type, .scale = e->scale};
    switch (e->op) {
    case EXPR_COLUMN: {
        const struct vec *v = &b->columns[e->column];
        out.is_null = !vec_is_valid(v, row);
        out.v = vec_value(v, row);
        return out;
    }
    case EXPR_CONSTANT:
        out.is_null = e->is_null;
        out.v = e->value;
        return out;
    case EXPR_ADD:
    case EXPR_SUB:
    case EXPR_MUL:
    case EXPR_DIV: {
        struct rv x = ref_eval(e->args[0], b, row), y = ref_eval(e->args[1], b, row);
        out = ref_arith(e, x, y);
        out.overflow |= x.overflow || y.overflow;
        return out;
    }
    case EXPR_NEG: {
        struct rv x = ref_eval(e->args[0], b, row);
        out.is_null = x.is_null;
        out.overflow = x.overflow;
        if (e->type == COL_FLOAT64) {
            out.v.f64 = x.is_null ? 0 : -rv_double(x);
        } else if (!x.is_null) {
            out.overflow |= __builtin_sub_overflow((int64_t)0, x.v.i64, &out.v.i64);
        }
        return out;
    }
    case EXPR_AND:
    case EXPR_OR:
    case EXPR_NOT:
        return ref_logic(e, b, row);
    case EXPR_IS_NULL:
    case EXPR_IS_NOT_NULL: {
        struct rv x = ref_eval(e->args[0], b, row);
        out = ref_condition(false, x.is_null == (e->op == EXPR_IS_NULL));
        out.overflow = x.overflow;
        return out;
    }
    case EXPR_IN:
        return ref_in(e, b, row);
    case EXPR_LIKE: {
        struct rv x = ref_eval(e->args[0], b, row);
        return ref_condition(x.is_null, !x.is_null && expr_like(x.v.str, e->args[1]->value.str));
    }
    case EXPR_CASE:
        return ref_case(e, b, row);
    default: {
        struct rv x = ref_eval(e->args[0], b, row), y = ref_eval(e->args[1], b, row);
        bool is_null = x.is_null || y.is_null;
        int order = is_null ? 0 : rv_compare(x, y);
        bool value = e->op == EXPR_EQ   ? order == 0
                     : e->op == EXPR_NE ? order != 0
                     : e->op == EXPR_LT ? order < 0
                     : e->op == EXPR_LE ? order <= 0
                     : e->op == EXPR_GT ? order > 0
                                        : order >= 0;
        out = ref_condition(is_null, value);
        out.overflow = x.overflow || y.overflow;
        return out;
    }
    }
}

/* ---- Seeded trees --------------------------------------------------------------------------- */

enum gen_class { GEN_NUMBER, GEN_DATE, GEN_STRING, GEN_CONDITION };

static struct expr *gen_tree(struct expr_pool *p, struct kh_rng *rng, enum gen_class class,
                             unsigned depth);

/* A constant of class: small, or one of the values the batch's columns repeat (7, 7.00), so
 * that = and < meet rows equal to it. */
static TEST_UNUSED struct expr *
gen_constant(struct expr_pool *p, struct kh_rng *rng, enum gen_class class)
{
    switch (class) {
    case GEN_DATE:
        return expr_date(p, 8000 + (int32_t)kh_rng_below(rng, 3000));
    case GEN_STRING:
        return expr_string(p, tb_words[kh_rng_below(rng, KH_ARRAY_LEN(tb_words))]);
    default:
        switch (kh_rng_below(rng, 10)) {
        case 0:
            return expr_null(p);
        case 1:
        case 2:
            return expr_int(p, (int64_t)kh_rng_below(rng, 201) - 100);
        case 3:
        case 4:
            return expr_decimal(p, (int64_t)kh_rng_below(rng, 20001) - 10000,
                                (uint8_t)(1 + kh_rng_below(rng, 3)));
        case 5:
            return expr_double(p, (double)((int64_t)kh_rng_below(rng, 2001) - 1000) / 8.0);
        case 6:
        case 7:
            return expr_int(p, 7);
        default:
            return expr_decimal(p, 700, 2);
        }
    }
}

static TEST_UNUSED struct expr *
gen_leaf(struct expr_pool *p, struct kh_rng *rng, enum gen_class class)
{
    static const uint32_t numbers[] = {TB_I, TB_J, TB_P, TB_Q, TB_F, TB_K, TB_R};
    if (kh_rng_below(rng, 3) == 0) {
        return gen_constant(p, rng, class);
    }
    switch (class) {
    case GEN_DATE:
        return expr_column(p, TB_D);
    case GEN_STRING:
        return expr_column(p, kh_rng_below(rng, 2) ? TB_S : TB_T);
    default:
        return expr_column(p, numbers[kh_rng_below(rng, KH_ARRAY_LEN(numbers))]);
    }
}

static TEST_UNUSED struct expr *
gen_condition(struct expr_pool *p, struct kh_rng *rng, unsigned depth)
{
    static const enum expr_op comparisons[] = {EXPR_EQ, EXPR_NE, EXPR_LT,
                                               EXPR_LE, EXPR_GT, EXPR_GE};
    enum expr_op cmp = comparisons[kh_rng_below(rng, KH_ARRAY_LEN(comparisons))];
    enum gen_class side = (enum gen_class)kh_rng_below(rng, 3);
    switch (depth == 0 ? kh_rng_below(rng, 2) : kh_rng_below(rng, 11)) {
    case 0: /* column against constant, either way round: the fast paths */
    case 8:
    case 9:
    case 10: {
        static const uint32_t flat_numbers[] = {TB_I, TB_J, TB_P, TB_Q, TB_F};
        struct expr *col = expr_column(
            p, side == GEN_DATE     ? TB_D
               : side == GEN_STRING ? (kh_rng_below(rng, 2) ? TB_S : TB_T)
                                    : flat_numbers[kh_rng_below(rng, KH_ARRAY_LEN(flat_numbers))]);
        struct expr *c = gen_constant(p, rng, side);
        return kh_rng_below(rng, 2) ? expr_op(p, cmp, 2, col, c) : expr_op(p, cmp, 2, c, col);
    }
    case 1:
        return expr_op(p, cmp, 2, gen_tree(p, rng, side, depth ? depth - 1 : 0),
                       gen_leaf(p, rng, side));
    case 2:
        return expr_op(p, kh_rng_below(rng, 2) ? EXPR_AND : EXPR_OR, 2,
                       gen_condition(p, rng, depth - 1), gen_condition(p, rng, depth - 1));
    case 3:
        return expr_op(p, EXPR_NOT, 1, gen_condition(p, rng, depth - 1));
    case 4:
        return expr_op(p, kh_rng_below(rng, 2) ? EXPR_IS_NULL : EXPR_IS_NOT_NULL, 1,
                       gen_tree(p, rng, side, depth - 1));
    case 5:
        return expr_op(p, EXPR_IN, 4, gen_leaf(p, rng, side), gen_leaf(p, rng, side),
                       gen_leaf(p, rng, side), gen_leaf(p, rng, side));
    case 6: {
        static const char *const patterns[] = {"%AIR", "A%", "%a_c%", "_", "%", "M__L", "abc\\%d"};
        return expr_op(p, EXPR_LIKE, 2, gen_leaf(p, rng, GEN_STRING),
                       expr_string(p, patterns[kh_rng_below(rng, KH_ARRAY_LEN(patterns))]));
    }
    default: /* BETWEEN */
        return expr_op(p, EXPR_AND, 2,
                       expr_op(p, EXPR_GE, 2, expr_column(p, TB_P), gen_leaf(p, rng, GEN_NUMBER)),
                       expr_op(p, EXPR_LE, 2, expr_column(p, TB_P), gen_leaf(p, rng, GEN_NUMBER)));
    }
}

/* A tree of class, at most depth levels of operators. */
static TEST_UNUSED struct expr *
gen_tree(struct expr_pool *p, struct kh_rng *rng, enum gen_class class, unsigned depth)
{
    if (class == GEN_CONDITION) {
        return gen_condition(p, rng, depth);
    }
    if (depth == 0 || kh_rng_below(rng, 3) == 0) {
        return gen_leaf(p, rng, class);
    }
    if (kh_rng_below(rng, 5) == 0) { /* with an ELSE, or without (NULL where no WHEN holds) */
        struct expr *when = gen_condition(p, rng, depth - 1);
        struct expr *then = gen_tree(p, rng, class, depth - 1);
        if (kh_rng_below(rng, 3) == 0) {
            return expr_op(p, EXPR_CASE, 2, when, then);
        }
        return expr_op(p, EXPR_CASE, 3, when, then, gen_tree(p, rng, class, depth - 1));
    }
    if (class == GEN_DATE) {
        return expr_op(p, kh_rng_below(rng, 2) ? EXPR_ADD : EXPR_SUB, 2, gen_leaf(p, rng, GEN_DATE),
                       expr_int(p, (int64_t)kh_rng_below(rng, 100)));
    }
    if (class == GEN_STRING) {
        return gen_leaf(p, rng, GEN_STRING);
    }
    static const enum expr_op ops[] = {EXPR_ADD, EXPR_SUB, EXPR_MUL, EXPR_DIV, EXPR_NEG, EXPR_SUB};
    enum expr_op op = ops[kh_rng_below(rng, KH_ARRAY_LEN(ops))];
    if (op == EXPR_NEG) {
        return expr_op(p, EXPR_NEG, 1, gen_tree(p, rng, GEN_NUMBER, depth - 1));
    }
    if (op == EXPR_SUB && kh_rng_below(rng, 4) == 0) { /* DATE - DATE: days */
        return expr_op(p, EXPR_SUB, 2, gen_leaf(p, rng, GEN_DATE), gen_leaf(p, rng, GEN_DATE));
    }
    return expr_op(p, op, 2, gen_tree(p, rng, GEN_NUMBER, depth - 1),
                   gen_tree(p, rng, GEN_NUMBER, depth - 1));
}

/* ---- Comparing a vector with the row-at-a-time answer --------------------------------------- */

static TEST_UNUSED const char *
rv_text(struct rv x, char out[96])
{
    if (x.is_null) {
        snprintf(out, 96, "NULL");
    } else if (x.type == COL_STRING) {
        snprintf(out, 96, "'%.*s'", (int)x.v.str.size_bytes, x.v.str.ptr);
    } else if (x.type == COL_FLOAT64) {
        snprintf(out, 96, "%.17g", x.v.f64);
    } else if (x.type == COL_DECIMAL) {
        col_decimal_format(x.v.i64, x.scale, out, 96);
    } else {
        snprintf(out, 96, "%" PRId64, x.v.i64);
    }
    return out;
}

static TEST_UNUSED bool
rv_same(struct rv want, const struct vec *got, uint32_t row)
{
    bool is_null = !vec_is_valid(got, row);
    if (is_null || want.is_null) {
        return is_null == want.is_null;
    }
    union col_datum d = vec_value(got, row);
    if (want.type == COL_STRING) {
        return col_str_compare(d.str, want.v.str) == 0;
    }
    if (want.type == COL_FLOAT64) {
        return d.f64 == want.v.f64;
    }
    return d.i64 == want.v.i64;
}

#endif
