/* expr_given.c -- the kit's part of expr.h (lab 05): building trees, typing them
 * (expr_resolve, whose rules are in expr.h), writing them as text, the per-thread state
 * evaluation works in, and LIKE. Students do not change this file. */
#include "expr.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
expr_op_name(enum expr_op op)
{
    switch (op) {
#define EXPR_OP_TEXT(name, text)                                                                   \
    case name:                                                                                     \
        return text;
        EXPR_OP_LIST(EXPR_OP_TEXT)
#undef EXPR_OP_TEXT
    case EXPR_OP_COUNT:
        break;
    }
    return "?";
}

static struct expr *
node_new(struct expr_pool *p, enum expr_op op)
{
    if (p->used == EXPR_NODES_MAX) {
        return NULL;
    }
    struct expr *e = &p->nodes[p->used++];
    memset(e, 0, sizeof(*e));
    e->op = op;
    return e;
}

static struct expr *
constant_new(struct expr_pool *p, enum col_type type, uint8_t scale)
{
    struct expr *e = node_new(p, EXPR_CONSTANT);
    if (e != NULL) {
        e->type = type;
        e->scale = scale;
    }
    return e;
}

struct expr *
expr_column(struct expr_pool *p, uint32_t column)
{
    struct expr *e = node_new(p, EXPR_COLUMN);
    if (e != NULL) {
        e->column = column;
    }
    return e;
}

struct expr *
expr_int(struct expr_pool *p, int64_t value)
{
    struct expr *e = constant_new(p, COL_INT64, 0);
    if (e != NULL) {
        e->value.i64 = value;
    }
    return e;
}

struct expr *
expr_decimal(struct expr_pool *p, int64_t scaled, uint8_t scale)
{
    struct expr *e = constant_new(p, COL_DECIMAL, scale);
    if (e != NULL) {
        e->value.i64 = scaled;
    }
    return e;
}

struct expr *
expr_double(struct expr_pool *p, double value)
{
    struct expr *e = constant_new(p, COL_FLOAT64, 0);
    if (e != NULL) {
        e->value.f64 = value;
    }
    return e;
}

struct expr *
expr_date(struct expr_pool *p, int32_t days)
{
    struct expr *e = constant_new(p, COL_DATE, 0);
    if (e != NULL) {
        e->value.i64 = days;
    }
    return e;
}

struct expr *
expr_string(struct expr_pool *p, const char *text)
{
    struct expr *e = constant_new(p, COL_STRING, 0);
    if (e != NULL) {
        e->value.str = (struct col_str){text, (uint32_t)strlen(text)};
    }
    return e;
}

struct expr *
expr_null(struct expr_pool *p)
{
    struct expr *e = constant_new(p, COL_INT64, 0);
    if (e != NULL) {
        e->is_null = true;
    }
    return e;
}

struct expr *
expr_op(struct expr_pool *p, enum expr_op op, uint32_t arg_count, ...)
{
    assert(arg_count <= EXPR_ARGS_MAX);
    struct expr *e = node_new(p, op);
    va_list args;
    va_start(args, arg_count);
    for (uint32_t i = 0; i < arg_count; i++) {
        struct expr *arg = va_arg(args, struct expr *);
        if (e != NULL) {
            e->args[i] = arg;
        }
    }
    va_end(args);
    if (e != NULL) {
        e->arg_count = arg_count;
    }
    return e;
}

/* ---- Typing -------------------------------------------------------------------------------- */

static bool
is_integer(enum col_type t)
{
    return t == COL_INT32 || t == COL_INT64;
}

static bool
is_number(enum col_type t)
{
    return is_integer(t) || t == COL_DECIMAL || t == COL_FLOAT64;
}

static bool
is_null_constant(const struct expr *e)
{
    return e->op == EXPR_CONSTANT && e->is_null;
}

/* The type numbers a and b promote to for + and CASE: INT64, DECIMAL of the larger scale, or
 * FLOAT64. */
static void
promote(const struct expr *a, const struct expr *b, enum col_type *type, uint8_t *scale)
{
    if (a->type == COL_FLOAT64 || b->type == COL_FLOAT64) {
        *type = COL_FLOAT64;
        *scale = 0;
    } else if (a->type == COL_DECIMAL || b->type == COL_DECIMAL) {
        *type = COL_DECIMAL;
        *scale = a->scale > b->scale ? a->scale : b->scale;
    } else {
        *type = COL_INT64;
        *scale = 0;
    }
}

/* Whether a and b may be compared: two numbers, two strings, two dates, or a NULL literal. */
static bool
comparable(const struct expr *a, const struct expr *b)
{
    if (is_null_constant(a) || is_null_constant(b)) {
        return true;
    }
    return (is_number(a->type) && is_number(b->type)) || a->type == b->type;
}

struct resolver {
    uint32_t column_count;
    const enum col_type *types;
    const uint8_t *scales;
    uint32_t next_id;
    struct col_error *err;
};

static col_status
type_error(struct resolver *r, const struct expr *e, const char *what)
{
    char types[96] = "";
    for (uint32_t i = 0; i < e->arg_count && i < 3; i++) {
        size_t used = strlen(types);
        snprintf(types + used, sizeof(types) - used, "%s%s", i ? ", " : " (given ",
                 is_null_constant(e->args[i]) ? "NULL" : col_type_name(e->args[i]->type));
    }
    return col_fail(r->err, COL_INVALID, "%s %s%s%s", expr_op_name(e->op), what, types,
                    e->arg_count ? ")" : "");
}

static col_status
resolve_arithmetic(struct resolver *r, struct expr *e)
{
    struct expr *a = e->args[0], *b = e->args[1];
    if (is_null_constant(a) || is_null_constant(b)) { /* NULL + x: x's type, always NULL */
        const struct expr *other = is_null_constant(a) ? b : a;
        e->type = other->type == COL_INT32 ? COL_INT64 : other->type;
        e->scale = other->scale;
        return COL_OK;
    }
    bool is_date_a = a->type == COL_DATE, is_date_b = b->type == COL_DATE;
    if ((e->op == EXPR_ADD || e->op == EXPR_SUB) && (is_date_a || is_date_b)) {
        if (is_date_a && is_integer(b->type)) {
            e->type = COL_DATE;
        } else if (e->op == EXPR_ADD && is_date_b && is_integer(a->type)) {
            e->type = COL_DATE;
        } else if (e->op == EXPR_SUB && is_date_a && is_date_b) {
            e->type = COL_INT64;
        } else {
            return type_error(r, e, "a date takes an integer number of days");
        }
        e->scale = 0;
        return COL_OK;
    }
    if (!is_number(a->type) || !is_number(b->type)) {
        return type_error(r, e, "arithmetic needs numbers");
    }
    promote(a, b, &e->type, &e->scale);
    if (e->op == EXPR_MUL && e->type == COL_DECIMAL) {
        unsigned scale = (unsigned)a->scale + b->scale;
        e->type = scale <= COL_DECIMAL_SCALE_MAX ? COL_DECIMAL : COL_FLOAT64;
        e->scale = scale <= COL_DECIMAL_SCALE_MAX ? (uint8_t)scale : 0;
    } else if (e->op == EXPR_DIV && e->type != COL_INT64) {
        e->type = COL_FLOAT64;
        e->scale = 0;
    }
    return COL_OK;
}

/* CASE: conditions at even places; results at odd places and the ELSE, of one type. */
static col_status
resolve_case(struct resolver *r, struct expr *e)
{
    if (e->arg_count < 2) {
        return type_error(r, e, "needs a WHEN and a THEN");
    }
    const struct expr *first = NULL;
    e->type = COL_INT64;
    e->scale = 0;
    for (uint32_t i = 0; i < e->arg_count; i++) {
        const struct expr *arg = e->args[i];
        bool is_condition = i % 2 == 0 && i + 1 < e->arg_count;
        if (is_condition) {
            if (!is_integer(arg->type) && !is_null_constant(arg)) {
                return type_error(r, e, "a WHEN needs a condition");
            }
            continue;
        }
        if (is_null_constant(arg)) {
            continue;
        }
        if (first == NULL) {
            first = arg;
            e->type = arg->type == COL_INT32 ? COL_INT64 : arg->type;
            e->scale = arg->scale;
        } else if (is_number(first->type) && is_number(arg->type)) {
            struct expr so_far = {.type = e->type, .scale = e->scale};
            promote(&so_far, arg, &e->type, &e->scale);
        } else if (arg->type != first->type) {
            return type_error(r, e, "results of different types");
        }
    }
    return COL_OK;
}

static col_status
resolve_node(struct resolver *r, struct expr *e)
{
    switch (e->op) {
    case EXPR_COLUMN:
        if (e->column >= r->column_count) {
            return col_fail(r->err, COL_INVALID, "column #%u of a batch of %u columns", e->column,
                            r->column_count);
        }
        e->type = r->types[e->column];
        e->scale = r->scales != NULL ? r->scales[e->column] : 0;
        return COL_OK;
    case EXPR_CONSTANT:
        return COL_OK;
    case EXPR_ADD:
    case EXPR_SUB:
    case EXPR_MUL:
    case EXPR_DIV:
        return resolve_arithmetic(r, e);
    case EXPR_NEG:
        if (!is_number(e->args[0]->type)) {
            return type_error(r, e, "needs a number");
        }
        e->type = e->args[0]->type == COL_INT32 ? COL_INT64 : e->args[0]->type;
        e->scale = e->args[0]->scale;
        return COL_OK;
    case EXPR_EQ:
    case EXPR_NE:
    case EXPR_LT:
    case EXPR_LE:
    case EXPR_GT:
    case EXPR_GE:
        if (!comparable(e->args[0], e->args[1])) {
            return type_error(r, e, "compares two numbers, two strings or two dates");
        }
        break;
    case EXPR_AND:
    case EXPR_OR:
    case EXPR_NOT:
        for (uint32_t i = 0; i < e->arg_count; i++) {
            if (!is_integer(e->args[i]->type) && !is_null_constant(e->args[i])) {
                return type_error(r, e, "takes conditions");
            }
        }
        break;
    case EXPR_IS_NULL:
    case EXPR_IS_NOT_NULL:
        break;
    case EXPR_IN:
        for (uint32_t i = 1; i < e->arg_count; i++) {
            if (e->args[i]->op != EXPR_CONSTANT || !comparable(e->args[0], e->args[i])) {
                return type_error(r, e, "takes constants of the left side's type");
            }
        }
        break;
    case EXPR_LIKE:
        if (e->args[0]->type != COL_STRING || e->args[1]->op != EXPR_CONSTANT ||
            e->args[1]->type != COL_STRING || e->args[1]->is_null) {
            return type_error(r, e, "takes a string and a constant pattern");
        }
        break;
    case EXPR_CASE:
        return resolve_case(r, e);
    case EXPR_OP_COUNT:
        return col_fail(r->err, COL_INVALID, "unknown expression %d", (int)e->op);
    }
    e->type = COL_INT32; /* a condition */
    e->scale = 0;
    return COL_OK;
}

/* The arguments each op takes: exactly, or at least (IN, CASE). */
static bool
arity_fits(const struct expr *e)
{
    switch (e->op) {
    case EXPR_COLUMN:
    case EXPR_CONSTANT:
        return e->arg_count == 0;
    case EXPR_NEG:
    case EXPR_NOT:
    case EXPR_IS_NULL:
    case EXPR_IS_NOT_NULL:
        return e->arg_count == 1;
    case EXPR_IN:
    case EXPR_CASE:
        return e->arg_count >= 2;
    default:
        return e->arg_count == 2;
    }
}

static col_status
resolve_tree(struct resolver *r, struct expr *e)
{
    if (e == NULL) {
        return col_fail(r->err, COL_INVALID, "a missing expression (an expr_pool ran out?)");
    }
    if ((unsigned)e->op >= EXPR_OP_COUNT || e->arg_count > EXPR_ARGS_MAX || !arity_fits(e)) {
        return col_fail(r->err, COL_INVALID, "%s with %u arguments", expr_op_name(e->op),
                        e->arg_count);
    }
    for (uint32_t i = 0; i < e->arg_count; i++) {
        col_status status = resolve_tree(r, e->args[i]);
        if (status != COL_OK) {
            return status;
        }
    }
    if (r->next_id == EXPR_NODES_MAX) {
        return col_fail(r->err, COL_INVALID, "an expression of over %u nodes", EXPR_NODES_MAX);
    }
    e->id = r->next_id++;
    return resolve_node(r, e);
}

col_status
expr_resolve(struct expr *e, uint32_t column_count, const enum col_type *types,
             const uint8_t *scales, struct col_error *err)
{
    struct resolver r = {column_count, types, scales, 0, err};
    return resolve_tree(&r, e);
}

uint32_t
expr_node_count(const struct expr *e)
{
    return e->id + 1; /* post-order: the root is numbered last */
}

/* ---- Text ---------------------------------------------------------------------------------- */

struct writer {
    char *out;
    size_t size, used;
};

static void put(struct writer *w, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct writer *w, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(w->used < w->size ? w->out + w->used : NULL,
                      w->used < w->size ? w->size - w->used : 0, format, args);
    va_end(args);
    w->used += n > 0 ? (size_t)n : 0;
}

static void
format_constant(struct writer *w, const struct expr *e)
{
    char text[32];
    if (e->is_null) {
        put(w, "NULL");
        return;
    }
    switch (e->type) {
    case COL_DECIMAL:
        col_decimal_format(e->value.i64, e->scale, text, sizeof(text));
        put(w, "%s", text);
        break;
    case COL_FLOAT64:
        put(w, "%.17g", e->value.f64);
        break;
    case COL_DATE:
        col_date_format((int32_t)e->value.i64, text);
        put(w, "DATE '%s'", text);
        break;
    case COL_STRING:
        put(w, "'%.*s'", (int)e->value.str.size_bytes, e->value.str.ptr);
        break;
    default:
        put(w, "%lld", (long long)e->value.i64);
        break;
    }
}

static void
format_node(struct writer *w, const struct expr *e, const char *const *names)
{
    switch (e->op) {
    case EXPR_COLUMN:
        if (names != NULL) {
            put(w, "%s", names[e->column]);
        } else {
            put(w, "#%u", e->column);
        }
        return;
    case EXPR_CONSTANT:
        format_constant(w, e);
        return;
    case EXPR_NEG:
    case EXPR_NOT:
        put(w, "%s(", e->op == EXPR_NEG ? "-" : "NOT ");
        format_node(w, e->args[0], names);
        put(w, ")");
        return;
    case EXPR_IS_NULL:
    case EXPR_IS_NOT_NULL:
        put(w, "(");
        format_node(w, e->args[0], names);
        put(w, " %s)", expr_op_name(e->op));
        return;
    case EXPR_IN:
    case EXPR_CASE:
        put(w, e->op == EXPR_IN ? "(" : "CASE");
        for (uint32_t i = 0; i < e->arg_count; i++) {
            bool is_else = e->op == EXPR_CASE && i % 2 == 0 && i + 1 == e->arg_count;
            const char *before = e->op == EXPR_IN ? (i == 0   ? ""
                                                     : i == 1 ? " IN ("
                                                              : ", ")
                                 : is_else        ? " ELSE "
                                 : i % 2 == 0     ? " WHEN "
                                                  : " THEN ";
            put(w, "%s", before);
            format_node(w, e->args[i], names);
        }
        put(w, e->op == EXPR_IN ? "))" : " END");
        return;
    default:
        put(w, "(");
        format_node(w, e->args[0], names);
        put(w, " %s ", expr_op_name(e->op));
        format_node(w, e->args[1], names);
        put(w, ")");
        return;
    }
}

size_t
expr_format(const struct expr *e, const char *const *names, char *out, size_t out_size)
{
    struct writer w = {out, out_size, 0};
    if (out_size > 0) {
        out[0] = '\0';
    }
    format_node(&w, e, names);
    return w.used;
}

/* ---- State --------------------------------------------------------------------------------- */

col_status
expr_state_new(const struct expr *root, struct expr_state **out, struct col_error *err)
{
    struct expr_state *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for an expression's state");
    }
    s->root = root;
    s->node_count = expr_node_count(root);
    for (uint32_t i = 0; i < s->node_count; i++) {
        s->values[i] = aligned_alloc(64, EXPR_NODE_BUFFER_BYTES);
        s->validity[i] = aligned_alloc(64, COL_VECTOR_SIZE / 8);
        if (s->values[i] == NULL || s->validity[i] == NULL) {
            s->node_count = i + 1;
            expr_state_free(s);
            return col_fail(err, COL_NOMEM, "out of memory for an expression's state");
        }
    }
    *out = s;
    return COL_OK;
}

void
expr_state_free(struct expr_state *s)
{
    if (s == NULL) {
        return;
    }
    for (uint32_t i = 0; i < s->node_count; i++) {
        free(s->values[i]);
        free(s->validity[i]);
    }
    free(s);
}

/* ---- LIKE ---------------------------------------------------------------------------------- */

/* Matches by dynamic programming over the pattern, one row of booleans per byte of s: at most
 * |s| * |p| steps, never the exponential backtracking a naive recursion takes on "%a%a%a%b". */
bool
expr_like(struct col_str s, struct col_str pattern)
{
    uint32_t n = pattern.size_bytes;
    bool stack_row[256];
    bool *row = n + 1 <= 256 ? stack_row : malloc(n + 1);
    if (row == NULL) {
        return false;
    }
    row[0] = true; /* the empty prefix of s matches the pattern's prefixes that are all '%' */
    for (uint32_t j = 1; j <= n; j++) {
        row[j] = row[j - 1] && pattern.ptr[j - 1] == '%';
    }
    for (uint32_t i = 0; i < s.size_bytes; i++) {
        bool diagonal = row[0]; /* row[j - 1] of the previous byte */
        row[0] = false;
        for (uint32_t j = 1; j <= n; j++) {
            bool above = row[j];
            char p = pattern.ptr[j - 1];
            if (p == '%') {
                row[j] = row[j - 1] || above;
            } else {
                row[j] = diagonal && (p == '_' || p == s.ptr[i]);
            }
            diagonal = above;
        }
    }
    bool is_match = row[n];
    if (row != stack_row) {
        free(row);
    }
    return is_match;
}
