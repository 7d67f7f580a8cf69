/* sql.h -- part E: SQL text to a syntax tree (lab 05). Given code (sql_parse_given.c, over the
 * tokens of sql_lex_given.c): the student's work is the engine; the parser is the kit's, and
 * real. It reads one statement of the SELECT subset the lab runs (TPC-H's Q1, Q3, Q5, Q6, Q10
 * and Q12 among them) and gives a tree the planner (plan.h) types and turns into operators. A
 * mistake is an error with the position of the token where the text stopped making sense.
 *
 * The grammar (keywords in any case; identifiers folded to lower case unless "quoted"):
 *
 *   statement   [EXPLAIN [ANALYZE]] select [;]
 *   select      SELECT [DISTINCT is refused] item {, item}
 *               FROM table_ref {, table_ref | [INNER] JOIN table_ref ON expr}
 *               [WHERE expr] [GROUP BY expr {, expr}] [HAVING expr]
 *               [ORDER BY expr [ASC | DESC] {, ...}] [LIMIT integer]
 *   item        * | expr [[AS] alias]
 *   table_ref   name [[AS] alias]
 *   expr        the usual precedence, loosest first: OR; AND; NOT; comparison (= <> != < <= >
 *               >=), [NOT] BETWEEN a AND b, [NOT] IN (list), [NOT] LIKE 'pattern', IS [NOT]
 *               NULL; + -; * /; unary -; then primary
 *   primary     literal | column | (expr) | CASE [x] WHEN .. THEN .. [ELSE ..] END
 *               | COUNT(*) | COUNT(expr) | SUM | AVG | MIN | MAX (expr)
 *               | EXTRACT(YEAR FROM expr)
 *   column      name | table.name
 *   literal     integer (fits int64), decimal (1.25: DECIMAL of its digits after the point, at
 *               most 18), 1e3 or 1.5e-2 (FLOAT64), 'string' ('' for a quote), NULL, TRUE,
 *               FALSE, DATE 'YYYY-MM-DD', and DATE '...' +/- INTERVAL 'n' DAY|MONTH|YEAR folded
 *               to a DATE (a month past its last day lands on the last day: 1994-01-31 + 1
 *               month is 1994-02-28); n may be unquoted, and qgen's DAY (3) is read too
 *   comments    -- to the end of the line, and / * ... * /
 */
#ifndef KEEL_SQL_H
#define KEEL_SQL_H

#include "col.h"

#define SQL_NAME_SIZE_MAX 64u   /* an identifier's bytes, with the NUL */
#define SQL_ARGS_MAX 16u        /* of one node: IN lists, CASE arms */
#define SQL_ITEMS_MAX 64u       /* select items */
#define SQL_TABLES_MAX 8u       /* tables in FROM: Q5 has 6 */
#define SQL_GROUP_MAX 8u        /* GROUP BY expressions */
#define SQL_ORDER_MAX 8u        /* ORDER BY items */
#define SQL_TEXT_MAX (1u << 20) /* bytes of one statement */
/* Expressions inside one another, "((1))" being 3 deep: the parser recurses once a level, about
 * 0.5 KiB of stack (1 KiB under ASan), so the deepest fits in 256 KiB. */
#define SQL_DEPTH_MAX 200u
#define SQL_NODES_MAX 65536u /* of one statement: at most ~20 MiB of nodes, ~300 bytes each */

enum sql_kind {
    SQL_COLUMN,      /* table (may be "") and name */
    SQL_LITERAL,     /* type, scale, is_null, value */
    SQL_NEGATE,      /* - args[0] */
    SQL_NOT,         /* NOT args[0] */
    SQL_BINARY,      /* args[0] op args[1] */
    SQL_BETWEEN,     /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    SQL_IN,          /* args[0] [NOT] IN (args[1], ...) */
    SQL_LIKE,        /* args[0] [NOT] LIKE args[1] */
    SQL_IS_NULL,     /* args[0] IS [NOT] NULL */
    SQL_CASE,        /* WHEN args[0] THEN args[1] ... [ELSE args[arg_count - 1] when has_else];
                      * CASE x WHEN v ... is given as WHEN x = v (x's node repeated) */
    SQL_AGGREGATE,   /* fn over args[0], or COUNT(*) with no args */
    SQL_EXTRACT_YEAR /* EXTRACT(YEAR FROM args[0]) */
};

enum sql_binary_op {
    SQL_ADD,
    SQL_SUB,
    SQL_MUL,
    SQL_DIV,
    SQL_EQ,
    SQL_NE,
    SQL_LT,
    SQL_LE,
    SQL_GT,
    SQL_GE,
    SQL_AND,
    SQL_OR
};

enum sql_aggregate { SQL_COUNT_STAR, SQL_COUNT, SQL_SUM, SQL_AVG, SQL_MIN, SQL_MAX };

struct sql_node {
    enum sql_kind kind;
    uint32_t pos;                  /* byte offset in the statement's text where the node starts */
    char table[SQL_NAME_SIZE_MAX]; /* COLUMN: the qualifier, "" when none */
    char name[SQL_NAME_SIZE_MAX];  /* COLUMN */
    enum col_type type;            /* LITERAL: INT64, DECIMAL, FLOAT64, STRING, DATE; INT32 for
                                    * TRUE (1) and FALSE (0) */
    uint8_t scale;                 /* LITERAL DECIMAL */
    bool is_null;                  /* LITERAL NULL (its type INT64, as expr_null's) */
    union col_datum value;         /* LITERAL; a string points into the statement's arena */
    enum sql_binary_op op;         /* BINARY */
    enum sql_aggregate fn;         /* AGGREGATE */
    bool is_negated;               /* NOT BETWEEN, NOT IN, NOT LIKE, IS NOT NULL */
    bool has_else;                 /* CASE */
    uint32_t arg_count;
    struct sql_node *args[SQL_ARGS_MAX];
};

struct sql_item {
    struct sql_node *expr;
    char alias[SQL_NAME_SIZE_MAX]; /* "" when none */
    uint32_t pos;
};

struct sql_table_ref {
    char name[SQL_NAME_SIZE_MAX];
    char alias[SQL_NAME_SIZE_MAX]; /* "" when none */
    uint32_t pos;
    struct sql_node *join_on; /* JOIN ... ON: its condition; NULL for a comma */
};

struct sql_order {
    struct sql_node *expr; /* an expression, an alias (a COLUMN with no table), or an item's
                            * number (an INT64 literal: 1 is the first item) */
    bool is_descending;
};

struct sql_arena; /* the nodes and strings of one statement */

struct sql_select {
    bool is_explain;
    bool is_analyze;
    bool is_star; /* SELECT *: item_count is 0 */
    uint32_t item_count;
    struct sql_item items[SQL_ITEMS_MAX];
    uint32_t table_count;
    struct sql_table_ref tables[SQL_TABLES_MAX];
    struct sql_node *where; /* NULL when none */
    uint32_t group_count;
    struct sql_node *group_by[SQL_GROUP_MAX];
    struct sql_node *having; /* NULL when none */
    uint32_t order_count;
    struct sql_order order[SQL_ORDER_MAX];
    bool has_limit;
    uint64_t limit;
    struct sql_arena *arena; /* owns every node */
};

/* Where a parse stopped: the byte offset of the offending token in the text, and its line and
 * column (from 1). */
struct sql_position {
    uint32_t offset;
    uint32_t line;
    uint32_t column;
};

/* The line and column (from 1) of byte offset in text, which holds at least offset bytes. */
struct sql_position sql_position_of(const char *text, uint32_t offset);

/* Parses the first statement of text[0 .. size) into *out (freed by sql_select_free), and
 * *used the bytes it took (through the ';' that ends it, or all of them). Returns COL_OK;
 * COL_PARSE with a message "line L, column C: ..." that names what was expected and what was
 * found ("expected FROM, found 'FORM'"), and *where (may be NULL) set; COL_TOO_BIG for a
 * statement over SQL_TEXT_MAX or a list over its limit (naming it); COL_NOMEM. On failure
 * nothing is left allocated. Text with nothing but spaces and comments is COL_NOT_FOUND (*used
 * all of it), and so is an empty statement, a ';' alone (*used through it). */
col_status sql_parse(const char *text, size_t size, struct sql_select *out, size_t *used,
                     struct sql_position *where, struct col_error *err);

void sql_select_free(struct sql_select *s);

/* Writes a caret line for an error at where under the statement's line, e.g.
 *   SELECT x FORM t
 *            ^
 * into out; returns the length it needed. As snprintf: at most out_size - 1 bytes and a NUL
 * (out may be NULL when out_size is 0), no newline after the caret. Tabs in the line are kept
 * under it so the caret lines up; other control bytes show as '?'. For the shell's messages. */
size_t sql_caret(const char *text, size_t size, const struct sql_position *where, char *out,
                 size_t out_size);

#endif
