/* expr.h -- part B: expressions over batches (lab 05). A query's arithmetic, comparisons and
 * conditions are trees of struct expr; expr_eval computes one for every selected row of a
 * batch into a vector, a batch at a time, and expr_select narrows a batch's selection to the
 * rows where a condition is TRUE. Read the typing rules at expr_resolve first: SQL's NULLs and
 * decimals are where the bugs live. Your code goes in expr.c and select.c. */
#ifndef KEEL_EXPR_H
#define KEEL_EXPR_H

#include "vec.h"

#define EXPR_ARGS_MAX 16u   /* arguments of one node: an IN list of 15 constants, 8 WHENs */
#define EXPR_NODES_MAX 256u /* nodes in one tree */

#define EXPR_OP_LIST(X)                                                                            \
    X(EXPR_COLUMN, "column")                                                                       \
    X(EXPR_CONSTANT, "constant")                                                                   \
    X(EXPR_ADD, "+")                                                                               \
    X(EXPR_SUB, "-")                                                                               \
    X(EXPR_MUL, "*")                                                                               \
    X(EXPR_DIV, "/")                                                                               \
    X(EXPR_NEG, "negate")                                                                          \
    X(EXPR_EQ, "=")                                                                                \
    X(EXPR_NE, "<>")                                                                               \
    X(EXPR_LT, "<")                                                                                \
    X(EXPR_LE, "<=")                                                                               \
    X(EXPR_GT, ">")                                                                                \
    X(EXPR_GE, ">=")                                                                               \
    X(EXPR_AND, "AND")                                                                             \
    X(EXPR_OR, "OR")                                                                               \
    X(EXPR_NOT, "NOT")                                                                             \
    X(EXPR_IS_NULL, "IS NULL")                                                                     \
    X(EXPR_IS_NOT_NULL, "IS NOT NULL")                                                             \
    X(EXPR_IN, "IN")                                                                               \
    X(EXPR_LIKE, "LIKE")                                                                           \
    X(EXPR_CASE, "CASE")

#define EXPR_OP_ENUM_ENTRY(name, text) name,
enum expr_op { EXPR_OP_LIST(EXPR_OP_ENUM_ENTRY) EXPR_OP_COUNT };
#undef EXPR_OP_ENUM_ENTRY

/* One node. The builder fills op, column or value, and args; expr_resolve fills type, scale
 * and id. args:
 *   ADD SUB MUL DIV, comparisons, AND OR    args[0] and args[1]
 *   NEG NOT IS_NULL IS_NOT_NULL             args[0]
 *   IN                                      args[0] IN (args[1], ...): every one a CONSTANT
 *   LIKE                                    args[0] LIKE args[1], a STRING CONSTANT: '%' any
 *                                           run of bytes, '_' one byte, case-sensitive
 *   CASE                                    WHEN args[0] THEN args[1] WHEN args[2] THEN ...
 *                                           [ELSE args[arg_count - 1] when arg_count is odd] */
struct expr {
    enum expr_op op;
    enum col_type type; /* of the result; a condition's is INT32, 1 TRUE and 0 FALSE */
    uint8_t scale;      /* the result's, when DECIMAL */
    uint32_t id;        /* 0 .. node count - 1, in post-order: expr_state keeps a buffer per node */
    uint32_t column;    /* COLUMN: index of the batch's column */
    bool is_null;       /* CONSTANT: the NULL literal */
    union col_datum value; /* CONSTANT; strings borrowed from whoever built the tree */
    uint32_t arg_count;
    struct expr *args[EXPR_ARGS_MAX];
};

/* Given (expr_given.c): building and typing. */

/* Names: "+", "AND", "column", ... */
const char *expr_op_name(enum expr_op op);

/* Types the tree rooted at e for a batch whose columns have types types[0 .. column_count) and
 * scales scales[...], filling every node's type, scale and id (post-order). The rules, as
 * SQLite and DuckDB agree on them where they can:
 *   - INT32 and INT64 are integers; arithmetic on integers is INT64 (an overflow is an error
 *     at run time); `/` on integers truncates toward 0 (SQLite's), and dividing by 0 is NULL.
 *   - DECIMAL with an integer or a DECIMAL: + and - give the larger scale; * gives the sum of
 *     scales (up to 18, else FLOAT64); / gives FLOAT64.
 *   - FLOAT64 with any number gives FLOAT64.
 *   - DATE + integer and DATE - integer give DATE (days); DATE - DATE gives INT64 (days).
 *   - Comparisons take two numbers (compared by value, 1.50 = 1.5), two strings (bytes, a
 *     prefix first) or two dates, and give INT32 0 or 1. AND, OR, NOT take conditions.
 *   - Any operand NULL makes arithmetic and comparisons NULL; AND and OR follow SQL's three
 *     values (FALSE AND NULL is FALSE, TRUE OR NULL is TRUE); IS NULL is never NULL.
 *   - CASE's results are of one type (numbers promoted as for +); a CASE with no ELSE gives
 *     NULL where no WHEN is TRUE.
 * Returns COL_OK, or COL_INVALID with a message naming the node (a column past column_count,
 * types that do not go together, an IN list or LIKE pattern that is not constant, a tree over
 * EXPR_NODES_MAX nodes). */
col_status expr_resolve(struct expr *e, uint32_t column_count, const enum col_type *types,
                        const uint8_t *scales, struct col_error *err);

/* Nodes for building trees: a pool a tree's nodes come from (the caller's; nothing to free),
 * and one builder per kind of node. Each returns NULL when the pool is full, and a node with a
 * NULL argument is refused by expr_resolve, so a tree can be built in one expression and
 * checked once. Strings are borrowed: they must outlive the tree. */
struct expr_pool {
    uint32_t used;
    struct expr nodes[EXPR_NODES_MAX];
};

struct expr *expr_column(struct expr_pool *p, uint32_t column);
struct expr *expr_int(struct expr_pool *p, int64_t value);                     /* INT64 */
struct expr *expr_decimal(struct expr_pool *p, int64_t scaled, uint8_t scale); /* 1.5: 15, 1 */
struct expr *expr_double(struct expr_pool *p, double value);
struct expr *expr_date(struct expr_pool *p, int32_t days);
struct expr *expr_string(struct expr_pool *p, const char *text); /* NUL-terminated */
struct expr *expr_null(struct expr_pool *p);
/* op with arg_count arguments, given after it as struct expr *. */
struct expr *expr_op(struct expr_pool *p, enum expr_op op, uint32_t arg_count, ...);

/* Nodes in the tree (the largest id + 1), once resolved. */
uint32_t expr_node_count(const struct expr *e);

/* Writes e as SQL-ish text ("(l_quantity < 24)" with column names from names, or "#3" when
 * names is NULL) into out; returns the length it needed. For EXPLAIN and messages. */
size_t expr_format(const struct expr *e, const char *const *names, char *out, size_t out_size);

/* ---- Evaluation ---------------------------------------------------------------------------- */

/* What one thread needs to evaluate one resolved tree: per node, a buffer of
 * EXPR_NODE_BUFFER_BYTES, room for COL_VECTOR_SIZE values of up to 16 bytes followed by
 * EXPR_SCRATCH_BYTES of scratch (an argument converted to the node's type, or selections the
 * node needs while it works), and a validity bitmap of COL_VECTOR_SIZE bits. Owned by the
 * caller (expr_state_free); not shared between threads. Given (expr_given.c). */
#define EXPR_VALUES_BYTES ((size_t)COL_VECTOR_SIZE * 16u)
#define EXPR_SCRATCH_BYTES ((size_t)COL_VECTOR_SIZE * 8u)
#define EXPR_NODE_BUFFER_BYTES (EXPR_VALUES_BYTES + EXPR_SCRATCH_BYTES)

struct expr_state {
    const struct expr *root;
    uint32_t node_count;
    void *values[EXPR_NODES_MAX];
    uint64_t *validity[EXPR_NODES_MAX];
};

col_status expr_state_new(const struct expr *root, struct expr_state **out, struct col_error *err);
void expr_state_free(struct expr_state *s);

/* Yours (expr.c). Evaluates e, resolved, for rows sel[0 .. count) of b (ascending; sel NULL
 * means rows 0 .. count - 1) into out: a vector of e's type whose value for each of those rows
 * sits at that row (other rows hold anything), flat, or constant when e is a constant. out
 * points into s's buffers (or into b, for a column): valid until the next call with s. Work
 * per node, a loop over the rows each, never a switch per row. A condition's value is 1, 0 or
 * NULL by SQL's three-valued logic. Returns COL_OK, or COL_TOO_BIG naming the node for an
 * integer or decimal overflow. */
col_status expr_eval_rows(const struct expr *e, const struct batch *b, const uint16_t *sel,
                          uint32_t count, struct expr_state *s, struct vec *out,
                          struct col_error *err);

/* Yours (select.c). Writes to sel_out (COL_VECTOR_SIZE entries, caller-provided; it may be
 * sel itself) those of rows sel[0 .. count) of b, in order, for which the resolved condition e
 * is TRUE (neither FALSE nor NULL), and their number to *count_out. A comparison of a column
 * with a constant runs in one loop over the column; on a dictionary vector it compares each
 * dictionary entry once and then only codes; on a constant vector, once. AND narrows the rows
 * argument by argument. Returns COL_OK or a status of expr_eval_rows. */
col_status expr_select_rows(const struct expr *e, const struct batch *b, const uint16_t *sel,
                            uint32_t count, struct expr_state *s, uint16_t *sel_out,
                            uint32_t *count_out, struct col_error *err);

/* The same over b's own selection. */
static inline col_status
expr_eval(const struct expr *e, const struct batch *b, struct expr_state *s, struct vec *out,
          struct col_error *err)
{
    return expr_eval_rows(e, b, b->sel, b->selected_count, s, out, err);
}

static inline col_status
expr_select(const struct expr *e, const struct batch *b, struct expr_state *s, uint16_t *sel_out,
            uint32_t *count_out, struct col_error *err)
{
    return expr_select_rows(e, b, b->sel, b->selected_count, s, sel_out, count_out, err);
}

/* Given: whether a comparison op (EQ .. GE) holds of two values whose order is order (<0, 0 or
 * >0, as col_str_compare gives it). */
static inline bool
expr_order_holds(enum expr_op op, int order)
{
    switch (op) {
    case EXPR_EQ:
        return order == 0;
    case EXPR_NE:
        return order != 0;
    case EXPR_LT:
        return order < 0;
    case EXPR_LE:
        return order <= 0;
    case EXPR_GT:
        return order > 0;
    default:
        return order >= 0;
    }
}

/* Given: the comparison c op x turned around to x op' c (< to >, <= to >=; =, <> as they are). */
static inline enum expr_op
expr_op_flipped(enum expr_op op)
{
    switch (op) {
    case EXPR_LT:
        return EXPR_GT;
    case EXPR_LE:
        return EXPR_GE;
    case EXPR_GT:
        return EXPR_LT;
    case EXPR_GE:
        return EXPR_LE;
    default:
        return op;
    }
}

/* Given: whether the string s matches the LIKE pattern (bytes, '%' and '_'). O(|s| * |p|). */
bool expr_like(struct col_str s, struct col_str pattern);

#endif
