/* sql_parse_given.c -- the kit's SQL parser (lab 05, part E); the grammar, the tree and the
 * limits are in sql.h, so read that first. A recursive-descent parser with one function per
 * precedence level, over the tokens of sql_lex_given.c (sql_lex.h). Every node and string comes
 * from the statement's arena, so a failure anywhere frees everything at once.
 * Students do not change this file. */
#include "sql_lex.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Names and literals -------------------------------------------------------------------- */

/* Like any error, out of memory leaves the parser at the end, so every loop stops. */
static void
fail_nomem(struct sql_parser *p)
{
    if (p->status == COL_OK) {
        p->status = col_fail(p->err, COL_NOMEM, "out of memory parsing a statement");
    }
    p->tok = (struct sql_token){SQL_TOKEN_END, p->tok.offset, 0};
}

static struct sql_node *
node_new(struct sql_parser *p, enum sql_kind kind, uint32_t pos)
{
    if (p->status != COL_OK) {
        return NULL;
    }
    if (p->node_count == SQL_NODES_MAX) {
        sql_fail_at(p, COL_TOO_BIG, p->tok.offset, "statement over SQL_NODES_MAX (%u nodes)",
                    SQL_NODES_MAX);
        return NULL;
    }
    struct sql_node *n = sql_arena_alloc(p->arena, sizeof(*n));
    if (n == NULL) {
        fail_nomem(p);
        return NULL;
    }
    p->node_count++;
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->pos = pos;
    return n;
}

static struct sql_node *
literal_new(struct sql_parser *p, enum col_type type, uint32_t pos)
{
    struct sql_node *n = node_new(p, SQL_LITERAL, pos);
    if (n != NULL) {
        n->type = type;
    }
    return n;
}

/* Adds arg to n's args; a full list is COL_TOO_BIG, what saying which list. */
static void
add_arg(struct sql_parser *p, struct sql_node *n, struct sql_node *arg, const char *what)
{
    if (n == NULL || arg == NULL) {
        return;
    }
    if (n->arg_count == SQL_ARGS_MAX) {
        sql_fail_at(p, COL_TOO_BIG, arg->pos, "%s over SQL_ARGS_MAX (%u)", what, SQL_ARGS_MAX);
        return;
    }
    n->args[n->arg_count++] = arg;
}

static struct sql_node *
binary_new(struct sql_parser *p, enum sql_binary_op op, struct sql_node *left,
           struct sql_node *right)
{
    struct sql_node *n = left != NULL && right != NULL ? node_new(p, SQL_BINARY, left->pos) : NULL;
    if (n != NULL) {
        n->op = op;
        add_arg(p, n, left, "arguments");
        add_arg(p, n, right, "arguments");
    }
    return n;
}

/* The current INTEGER token's value into *value; false (and an error) past INT64_MAX. */
static bool
integer_value(struct sql_parser *p, int64_t *value)
{
    assert(p->tok.kind == SQL_TOKEN_INTEGER);
    uint64_t v = 0;
    for (uint32_t i = 0; i < p->tok.size_bytes; i++) {
        uint64_t digit = (uint64_t)(p->text[p->tok.offset + i] - '0');
        if (v > ((uint64_t)INT64_MAX - digit) / 10) {
            sql_fail_found(p, "integer out of range", " (BIGINT)");
            return false;
        }
        v = v * 10 + digit;
    }
    *value = (int64_t)v;
    return true;
}

static struct sql_node *
parse_number(struct sql_parser *p)
{
    struct sql_token t = p->tok;
    const char *s = p->text + t.offset;
    struct sql_node *n = literal_new(p, COL_INT64, t.offset);
    if (n == NULL) {
        return NULL;
    }
    if (t.kind == SQL_TOKEN_INTEGER) {
        integer_value(p, &n->value.i64);
    } else if (t.kind == SQL_TOKEN_DECIMAL) {
        const char *point = memchr(s, '.', t.size_bytes);
        size_t scale = t.size_bytes - (size_t)(point - s) - 1;
        n->type = COL_DECIMAL;
        n->scale = (uint8_t)scale;
        if (scale > COL_DECIMAL_SCALE_MAX ||
            !col_decimal_parse(s, t.size_bytes, n->scale, &n->value.i64)) {
            sql_fail_found(p, "decimal out of range", " (at most 18 digits)");
        }
    } else {
        char digits[64];
        n->type = COL_FLOAT64;
        if (t.size_bytes >= sizeof(digits)) {
            sql_fail_found(p, "number too long", " (at most 63 characters)");
            return NULL;
        }
        memcpy(digits, s, t.size_bytes);
        digits[t.size_bytes] = '\0';
        n->value.f64 = strtod(digits, NULL);
        if (!isfinite(n->value.f64)) {
            sql_fail_found(p, "number out of range", " (DOUBLE)");
        }
    }
    sql_advance(p);
    return n;
}

/* A 'string' literal, its '' turned into ', copied into the arena. */
static struct sql_node *
parse_string(struct sql_parser *p)
{
    struct sql_token t = p->tok;
    struct sql_node *n = literal_new(p, COL_STRING, t.offset);
    char *copy = n != NULL ? sql_arena_alloc(p->arena, t.size_bytes) : NULL;
    if (n != NULL && copy == NULL) {
        fail_nomem(p);
        return NULL;
    }
    if (n == NULL) {
        return NULL;
    }
    uint32_t size_bytes = 0;
    for (uint32_t i = t.offset + 1; i + 1 < t.offset + t.size_bytes; i++) {
        copy[size_bytes++] = p->text[i];
        i += p->text[i] == '\'';
    }
    n->value.str = (struct col_str){copy, size_bytes};
    sql_advance(p);
    return n;
}

/* ---- Dates and intervals ------------------------------------------------------------------- */

static int64_t
days_in_month(int32_t year, int32_t month)
{
    int32_t next = col_date_from_ymd(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1);
    return next - col_date_from_ymd(year, month, 1);
}

/* Adds amount of unit to days; false when the sum leaves DATE's years 1 to 9999. A month past
 * its last day lands on the last day, as in PostgreSQL and DuckDB. */
static bool
date_add(int32_t *days, int64_t amount, const char *unit)
{
    int32_t year, month, day;
    col_date_to_ymd(*days, &year, &month, &day);
    int64_t result = *days + amount;
    if (strcmp(unit, "day") != 0) {
        int64_t months = (int64_t)year * 12 + (month - 1) + amount * (unit[0] == 'y' ? 12 : 1);
        if (months < 12 || months > 9999 * 12 + 11) {
            return false;
        }
        year = (int32_t)(months / 12);
        month = (int32_t)(months % 12) + 1;
        day = day < days_in_month(year, month) ? day : (int32_t)days_in_month(year, month);
        result = col_date_from_ymd(year, month, day);
    }
    if (result < col_date_from_ymd(1, 1, 1) || result > col_date_from_ymd(9999, 12, 31)) {
        return false;
    }
    *days = (int32_t)result;
    return true;
}

/* Ten million days, months or years or more leaves years 1 to 9999 whatever the start. */
#define INTERVAL_AMOUNT_MAX 10000000

/* INTERVAL 'n' unit or INTERVAL n unit, the current token being the amount ('-3' may carry a
 * sign); adds it (negated when is_minus) to *days. */
static void
parse_interval(struct sql_parser *p, int32_t *days, bool is_minus)
{
    struct sql_token t = p->tok;
    bool is_string = t.kind == SQL_TOKEN_STRING;
    const char *s = p->text + t.offset + is_string;
    uint32_t size_bytes = t.size_bytes - 2u * is_string;
    bool is_negative = is_string && size_bytes > 0 && s[0] == '-';
    if (is_string && size_bytes > 0 && (s[0] == '-' || s[0] == '+')) {
        s++;
        size_bytes--;
    }
    /* Anything but digits, or too many of them, saturates to the maximum and is refused. */
    int64_t amount = size_bytes == 0 ? INTERVAL_AMOUNT_MAX : 0;
    for (uint32_t i = 0; i < size_bytes; i++) {
        bool is_ok = s[i] >= '0' && s[i] <= '9' && amount < INTERVAL_AMOUNT_MAX;
        amount = is_ok ? amount * 10 + (s[i] - '0') : INTERVAL_AMOUNT_MAX;
    }
    if ((t.kind != SQL_TOKEN_INTEGER && !is_string) || amount >= INTERVAL_AMOUNT_MAX) {
        sql_expected(p, "an interval's whole number ('3' or 3, under ten million)");
        return;
    }
    sql_advance(p);
    const char *unit = sql_is_keyword(p, "day")     ? "day"
                       : sql_is_keyword(p, "month") ? "month"
                       : sql_is_keyword(p, "year")  ? "year"
                                                    : NULL;
    if (unit == NULL) {
        sql_expected(p, "DAY, MONTH or YEAR");
        return;
    }
    if (!date_add(days, is_negative != is_minus ? -amount : amount, unit)) {
        sql_fail_at(p, COL_PARSE, t.offset, "date out of range: past 0001-01-01 to 9999-12-31");
        return;
    }
    sql_advance(p);
    /* qgen writes Q1's interval as DAY (3), the field's precision in digits: read, ignored. */
    if (p->tok.kind == SQL_TOKEN_LPAREN && sql_peek(p).kind == SQL_TOKEN_INTEGER) {
        sql_advance(p);
        sql_advance(p);
        sql_expect_token(p, SQL_TOKEN_RPAREN, "')'");
    }
}

/* DATE 'YYYY-MM-DD' {+|- INTERVAL ...}, folded into one DATE literal at DATE's position. */
static struct sql_node *
parse_date(struct sql_parser *p)
{
    struct sql_node *n = literal_new(p, COL_DATE, p->tok.offset);
    sql_advance(p);
    assert(p->status != COL_OK || p->tok.kind == SQL_TOKEN_STRING);
    int32_t days = 0;
    if (n != NULL && !col_date_parse(p->text + p->tok.offset + 1, p->tok.size_bytes - 2, &days)) {
        sql_expected(p, "a date 'YYYY-MM-DD'");
        return NULL;
    }
    sql_advance(p);
    while ((p->tok.kind == SQL_TOKEN_PLUS || p->tok.kind == SQL_TOKEN_MINUS) &&
           p->status == COL_OK) {
        struct sql_token next = sql_peek(p);
        if (!sql_token_is(p, &next, "interval")) {
            break;
        }
        bool is_minus = p->tok.kind == SQL_TOKEN_MINUS;
        sql_advance(p);
        sql_advance(p);
        parse_interval(p, &days, is_minus);
    }
    if (n != NULL) {
        n->value.i64 = days;
    }
    return p->status == COL_OK ? n : NULL;
}

/* ---- Expressions --------------------------------------------------------------------------- */

static struct sql_node *parse_expr(struct sql_parser *p);
static struct sql_node *parse_additive(struct sql_parser *p);

/* name or table.name, each a word or a "quoted name". */
static struct sql_node *
parse_column(struct sql_parser *p)
{
    struct sql_node *n = node_new(p, SQL_COLUMN, p->tok.offset);
    if (n == NULL) {
        return NULL;
    }
    sql_take_name(p, n->name, "a column");
    if (sql_accept_token(p, SQL_TOKEN_DOT)) {
        memcpy(n->table, n->name, sizeof(n->table));
        sql_take_name(p, n->name, "a column name after the '.'");
    }
    return p->status == COL_OK ? n : NULL;
}

/* CASE [x] WHEN a THEN b ... [ELSE c] END; with x, each WHEN v becomes x = v. */
static struct sql_node *
parse_case(struct sql_parser *p)
{
    struct sql_node *n = node_new(p, SQL_CASE, p->tok.offset);
    sql_advance(p);
    struct sql_node *subject = sql_is_keyword(p, "when") ? NULL : parse_expr(p);
    if (!sql_is_keyword(p, "when")) {
        sql_expected(p, "WHEN");
    }
    while (sql_accept(p, "when")) {
        struct sql_node *condition = parse_expr(p);
        add_arg(p, n, subject != NULL ? binary_new(p, SQL_EQ, subject, condition) : condition,
                "CASE's WHEN, THEN and ELSE expressions");
        sql_expect(p, "then", "THEN");
        add_arg(p, n, parse_expr(p), "CASE's WHEN, THEN and ELSE expressions");
    }
    if (sql_accept(p, "else")) {
        add_arg(p, n, parse_expr(p), "CASE's WHEN, THEN and ELSE expressions");
        if (n != NULL) {
            n->has_else = true;
        }
    }
    sql_expect(p, "end", "END");
    return p->status == COL_OK ? n : NULL;
}

/* name( ...: an aggregate or EXTRACT(YEAR FROM x), the current token being the name. */
static struct sql_node *
parse_call(struct sql_parser *p)
{
    static const char *const names[] = {"count", "sum", "avg", "min", "max"};
    static const enum sql_aggregate fns[] = {SQL_COUNT, SQL_SUM, SQL_AVG, SQL_MIN, SQL_MAX};
    struct sql_token name = p->tok;
    bool is_extract = sql_token_is(p, &name, "extract");
    size_t f = 0;
    while (f < 5 && !sql_token_is(p, &name, names[f])) {
        f++;
    }
    if (!is_extract && f == 5) {
        sql_fail_at(p, COL_PARSE, name.offset,
                    "unknown function '%.*s': there are COUNT, SUM, AVG, MIN, MAX and EXTRACT",
                    (int)(name.size_bytes < 40 ? name.size_bytes : 40), p->text + name.offset);
        return NULL;
    }
    struct sql_node *n = node_new(p, is_extract ? SQL_EXTRACT_YEAR : SQL_AGGREGATE, name.offset);
    sql_advance(p);
    sql_advance(p); /* the '(' */
    if (is_extract) {
        sql_expect(p, "year", "YEAR (EXTRACT takes only YEAR)");
        sql_expect(p, "from", "FROM");
    } else if (sql_is_keyword(p, "distinct")) {
        sql_fail_at(p, COL_PARSE, p->tok.offset, "DISTINCT is not supported in an aggregate");
    }
    if (n != NULL) {
        n->fn = fns[f < 5 ? f : 0];
    }
    if (!is_extract && f == 0 && sql_accept_token(p, SQL_TOKEN_STAR)) {
        if (n != NULL) {
            n->fn = SQL_COUNT_STAR;
        }
    } else {
        add_arg(p, n, parse_expr(p), "arguments");
    }
    sql_expect_token(p, SQL_TOKEN_RPAREN, "')'");
    return p->status == COL_OK ? n : NULL;
}

static struct sql_node *
parse_word(struct sql_parser *p)
{
    struct sql_token t = p->tok;
    if (sql_is_keyword(p, "null") || sql_is_keyword(p, "true") || sql_is_keyword(p, "false")) {
        struct sql_node *n =
            literal_new(p, sql_is_keyword(p, "null") ? COL_INT64 : COL_INT32, t.offset);
        if (n != NULL) {
            n->is_null = sql_is_keyword(p, "null");
            n->value.i64 = sql_is_keyword(p, "true");
        }
        sql_advance(p);
        return n;
    }
    if (sql_is_keyword(p, "case")) {
        return parse_case(p);
    }
    if (sql_is_keyword(p, "select")) {
        sql_fail_at(p, COL_PARSE, t.offset, "subqueries are not supported, found 'SELECT'");
        return NULL;
    }
    struct sql_token next = sql_peek(p);
    if (sql_is_keyword(p, "date") && next.kind == SQL_TOKEN_STRING) {
        return parse_date(p);
    }
    if (sql_is_keyword(p, "interval") &&
        (next.kind == SQL_TOKEN_STRING || next.kind == SQL_TOKEN_INTEGER)) {
        sql_fail_at(p, COL_PARSE, t.offset,
                    "an INTERVAL is supported only after DATE '...' + or -");
        return NULL;
    }
    if (next.kind == SQL_TOKEN_LPAREN && !sql_is_reserved(p, &t)) {
        return parse_call(p);
    }
    if (sql_is_reserved(p, &t)) {
        sql_expected(p, "an expression");
        return NULL;
    }
    return parse_column(p);
}

static struct sql_node *
parse_primary(struct sql_parser *p)
{
    uint32_t offset = p->tok.offset;
    struct sql_node *n = NULL;
    switch (p->tok.kind) {
    case SQL_TOKEN_LPAREN:
        sql_advance(p);
        n = parse_expr(p);
        sql_expect_token(p, SQL_TOKEN_RPAREN, "')'");
        if (n != NULL) {
            n->pos = offset; /* the parenthesized expression starts at its '(' */
        }
        break;
    case SQL_TOKEN_INTEGER:
    case SQL_TOKEN_DECIMAL:
    case SQL_TOKEN_FLOAT:
        n = parse_number(p);
        break;
    case SQL_TOKEN_STRING:
        n = parse_string(p);
        break;
    case SQL_TOKEN_QUOTED:
        n = parse_column(p);
        break;
    case SQL_TOKEN_WORD:
        n = parse_word(p);
        break;
    default:
        sql_expected(p, "an expression");
        break;
    }
    return p->status == COL_OK ? n : NULL;
}

/* A chain of prefix operators (NOT or -) over an operand, built top down by a loop rather
 * than by recursion, so "NOT NOT ... x" takes no stack. */
static struct sql_node *
parse_prefixed(struct sql_parser *p, enum sql_kind kind,
               struct sql_node *(*operand)(struct sql_parser *))
{
    struct sql_node *top = NULL;
    struct sql_node **hole = &top;
    while (kind == SQL_NOT ? sql_is_keyword(p, "not") : p->tok.kind == SQL_TOKEN_MINUS) {
        struct sql_node *n = node_new(p, kind, p->tok.offset);
        if (n == NULL) {
            return NULL;
        }
        sql_advance(p);
        n->arg_count = 1;
        *hole = n;
        hole = &n->args[0];
    }
    *hole = operand(p);
    return *hole != NULL ? top : NULL;
}

static struct sql_node *
parse_negated(struct sql_parser *p)
{
    return parse_prefixed(p, SQL_NEGATE, parse_primary);
}

static struct sql_node *
parse_multiplicative(struct sql_parser *p)
{
    struct sql_node *left = parse_negated(p);
    while (left != NULL && (p->tok.kind == SQL_TOKEN_STAR || p->tok.kind == SQL_TOKEN_SLASH)) {
        enum sql_binary_op op = p->tok.kind == SQL_TOKEN_STAR ? SQL_MUL : SQL_DIV;
        sql_advance(p);
        left = binary_new(p, op, left, parse_negated(p));
    }
    return left;
}

static struct sql_node *
parse_additive(struct sql_parser *p)
{
    struct sql_node *left = parse_multiplicative(p);
    while (left != NULL && (p->tok.kind == SQL_TOKEN_PLUS || p->tok.kind == SQL_TOKEN_MINUS)) {
        enum sql_binary_op op = p->tok.kind == SQL_TOKEN_PLUS ? SQL_ADD : SQL_SUB;
        sql_advance(p);
        left = binary_new(p, op, left, parse_multiplicative(p));
    }
    return left;
}

/* After left: [NOT] BETWEEN a AND b, [NOT] IN (list), [NOT] LIKE 'pattern', IS [NOT] NULL. */
static struct sql_node *
parse_predicate(struct sql_parser *p, struct sql_node *left)
{
    bool is_is = sql_accept(p, "is");
    bool is_negated = sql_accept(p, "not");
    enum sql_kind kind = is_is                          ? SQL_IS_NULL
                         : sql_is_keyword(p, "between") ? SQL_BETWEEN
                         : sql_is_keyword(p, "in")      ? SQL_IN
                                                        : SQL_LIKE;
    if (!is_is && kind == SQL_LIKE && !sql_is_keyword(p, "like")) {
        sql_expected(p, "BETWEEN, IN or LIKE after NOT");
    }
    struct sql_node *n = node_new(p, kind, left->pos);
    if (n == NULL) {
        return NULL;
    }
    n->is_negated = is_negated;
    add_arg(p, n, left, "arguments");
    if (kind == SQL_IS_NULL) {
        sql_expect(p, "null", is_negated ? "NULL" : "NULL or NOT NULL");
    } else if (kind == SQL_BETWEEN) {
        sql_advance(p);
        add_arg(p, n, parse_additive(p), "arguments");
        sql_expect(p, "and", "AND");
        add_arg(p, n, parse_additive(p), "arguments");
    } else if (kind == SQL_IN) {
        sql_advance(p);
        sql_expect_token(p, SQL_TOKEN_LPAREN, "'('");
        do {
            if (n->arg_count == SQL_ARGS_MAX) {
                sql_fail_at(p, COL_TOO_BIG, p->tok.offset,
                            "IN list over SQL_ARGS_MAX - 1 (%u values)", SQL_ARGS_MAX - 1);
            }
            add_arg(p, n, parse_expr(p), "IN list values");
        } while (sql_accept_token(p, SQL_TOKEN_COMMA));
        sql_expect_token(p, SQL_TOKEN_RPAREN, "')'");
    } else {
        sql_advance(p);
        add_arg(p, n, p->tok.kind == SQL_TOKEN_STRING ? parse_string(p) : NULL, "arguments");
        if (n->arg_count == 1) {
            sql_expected(p, "a 'pattern' string");
        }
    }
    return p->status == COL_OK ? n : NULL;
}

static struct sql_node *
parse_comparison(struct sql_parser *p)
{
    static const enum sql_binary_op ops[] = {SQL_EQ, SQL_NE, SQL_LT, SQL_LE, SQL_GT, SQL_GE};
    struct sql_node *left = parse_additive(p);
    if (left == NULL) {
        return NULL;
    }
    if (p->tok.kind >= SQL_TOKEN_EQ && p->tok.kind <= SQL_TOKEN_GE) {
        enum sql_binary_op op = ops[p->tok.kind - SQL_TOKEN_EQ];
        sql_advance(p);
        return binary_new(p, op, left, parse_additive(p));
    }
    if (sql_is_keyword(p, "is") || sql_is_keyword(p, "not") || sql_is_keyword(p, "between") ||
        sql_is_keyword(p, "in") || sql_is_keyword(p, "like")) {
        return parse_predicate(p, left);
    }
    return left;
}

static struct sql_node *
parse_not(struct sql_parser *p)
{
    return parse_prefixed(p, SQL_NOT, parse_comparison);
}

static struct sql_node *
parse_and(struct sql_parser *p)
{
    struct sql_node *left = parse_not(p);
    while (left != NULL && sql_accept(p, "and")) {
        left = binary_new(p, SQL_AND, left, parse_not(p));
    }
    return left;
}

/* Every recursion of the parser passes through here, so the depth limit bounds its stack. */
static struct sql_node *
parse_expr(struct sql_parser *p)
{
    if (p->depth == SQL_DEPTH_MAX) {
        sql_fail_at(p, COL_TOO_BIG, p->tok.offset,
                    "expressions nested over SQL_DEPTH_MAX (%u) deep", SQL_DEPTH_MAX);
        return NULL;
    }
    p->depth++;
    struct sql_node *left = parse_and(p);
    while (left != NULL && sql_accept(p, "or")) {
        left = binary_new(p, SQL_OR, left, parse_and(p));
    }
    p->depth--;
    return left;
}

/* ---- The statement ------------------------------------------------------------------------- */

/* [[AS] alias] into out ("" when none). Without AS a word is an alias only when what follows
 * it may follow an alias, so "SELECT x FORM t" stops at FORM: "expected FROM". */
static void
parse_alias(struct sql_parser *p, char out[SQL_NAME_SIZE_MAX])
{
    out[0] = '\0';
    if (sql_accept(p, "as")) {
        sql_take_name(p, out, "an alias");
        return;
    }
    if (p->tok.kind != SQL_TOKEN_QUOTED &&
        (p->tok.kind != SQL_TOKEN_WORD || sql_is_reserved(p, &p->tok))) {
        return;
    }
    struct sql_token next = sql_peek(p);
    if (next.kind == SQL_TOKEN_END || next.kind == SQL_TOKEN_COMMA ||
        next.kind == SQL_TOKEN_SEMICOLON || next.kind == SQL_TOKEN_RPAREN ||
        sql_is_reserved(p, &next)) {
        sql_take_name(p, out, "an alias");
    }
}

static void
parse_items(struct sql_parser *p, struct sql_select *s)
{
    do {
        if (s->item_count == SQL_ITEMS_MAX) {
            sql_fail_at(p, COL_TOO_BIG, p->tok.offset, "select items over SQL_ITEMS_MAX (%u)",
                        SQL_ITEMS_MAX);
            return;
        }
        struct sql_item *item = &s->items[s->item_count++];
        item->pos = p->tok.offset;
        item->expr = parse_expr(p);
        parse_alias(p, item->alias);
    } while (sql_accept_token(p, SQL_TOKEN_COMMA));
}

static struct sql_table_ref *
parse_table_ref(struct sql_parser *p, struct sql_select *s)
{
    if (s->table_count == SQL_TABLES_MAX) {
        sql_fail_at(p, COL_TOO_BIG, p->tok.offset, "tables over SQL_TABLES_MAX (%u)",
                    SQL_TABLES_MAX);
        return NULL;
    }
    struct sql_table_ref *t = &s->tables[s->table_count++];
    t->pos = p->tok.offset;
    sql_take_name(p, t->name, "a table name");
    parse_alias(p, t->alias);
    return t;
}

/* table_ref {, table_ref | [INNER] JOIN table_ref ON expr}; other joins are refused by name. */
static void
parse_from(struct sql_parser *p, struct sql_select *s)
{
    static const char *const refused[] = {"left", "right", "full", "outer", "cross", "natural"};
    parse_table_ref(p, s);
    for (;;) {
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
            if (sql_is_keyword(p, refused[i])) {
                sql_fail_found(p, "only inner joins are supported ([INNER] JOIN ... ON, or commas)",
                               "");
                return;
            }
        }
        if (sql_accept_token(p, SQL_TOKEN_COMMA)) {
            parse_table_ref(p, s);
        } else if (sql_is_keyword(p, "inner") || sql_is_keyword(p, "join")) {
            sql_accept(p, "inner");
            sql_expect(p, "join", "JOIN");
            struct sql_table_ref *t = parse_table_ref(p, s);
            sql_expect(p, "on", "ON (a join's condition)");
            struct sql_node *on = parse_expr(p);
            if (t != NULL) {
                t->join_on = on;
            }
        } else {
            return;
        }
    }
}

static void
parse_group_by(struct sql_parser *p, struct sql_select *s)
{
    do {
        if (s->group_count == SQL_GROUP_MAX) {
            sql_fail_at(p, COL_TOO_BIG, p->tok.offset,
                        "GROUP BY expressions over SQL_GROUP_MAX (%u)", SQL_GROUP_MAX);
            return;
        }
        s->group_by[s->group_count++] = parse_expr(p);
    } while (sql_accept_token(p, SQL_TOKEN_COMMA));
}

static void
parse_order_by(struct sql_parser *p, struct sql_select *s)
{
    do {
        if (s->order_count == SQL_ORDER_MAX) {
            sql_fail_at(p, COL_TOO_BIG, p->tok.offset, "ORDER BY items over SQL_ORDER_MAX (%u)",
                        SQL_ORDER_MAX);
            return;
        }
        struct sql_order *o = &s->order[s->order_count++];
        o->expr = parse_expr(p);
        o->is_descending = sql_accept(p, "desc");
        if (!o->is_descending) {
            sql_accept(p, "asc");
        }
    } while (sql_accept_token(p, SQL_TOKEN_COMMA));
}

static void
parse_select(struct sql_parser *p, struct sql_select *s)
{
    sql_expect(p, "select", "SELECT");
    if (sql_is_keyword(p, "distinct")) {
        sql_fail_found(p, "SELECT DISTINCT is not supported (GROUP BY gives distinct rows)", "");
    }
    if (sql_accept_token(p, SQL_TOKEN_STAR)) {
        s->is_star = true;
    } else {
        parse_items(p, s);
    }
    sql_expect(p, "from", "FROM");
    parse_from(p, s);
    if (sql_accept(p, "where")) {
        s->where = parse_expr(p);
    }
    if (sql_accept(p, "group")) {
        sql_expect(p, "by", "BY");
        parse_group_by(p, s);
    }
    if (sql_accept(p, "having")) {
        s->having = parse_expr(p);
    }
    if (sql_accept(p, "order")) {
        sql_expect(p, "by", "BY");
        parse_order_by(p, s);
    }
    if (sql_accept(p, "limit")) {
        int64_t limit = 0;
        if (p->tok.kind != SQL_TOKEN_INTEGER) {
            sql_expected(p, "a row count (an integer, 0 or more)");
        } else if (integer_value(p, &limit)) {
            s->has_limit = true;
            s->limit = (uint64_t)limit;
            sql_advance(p);
        }
    }
}

col_status
sql_parse(const char *text, size_t size, struct sql_select *out, size_t *used,
          struct sql_position *where, struct col_error *err)
{
    assert(text != NULL || size == 0);
    assert(out != NULL);
    assert(used != NULL);
    memset(out, 0, sizeof(*out));
    struct sql_parser p = {.text = text, .size = size, .where = where, .err = err};
    p.end = size < SQL_TEXT_MAX ? size : SQL_TEXT_MAX;
    sql_lex(&p, 0, &p.tok);
    if (p.status != COL_OK) {
        return p.status;
    }
    if (p.tok.kind == SQL_TOKEN_END) {
        *used = size;
        return col_fail(err, COL_NOT_FOUND, "no statement: only spaces and comments");
    }
    if (p.tok.kind == SQL_TOKEN_SEMICOLON) { /* an empty statement, as sqlite3 allows: ";;" */
        *used = (size_t)p.tok.offset + 1;
        return col_fail(err, COL_NOT_FOUND, "no statement before ';'");
    }
    out->arena = calloc(1, sizeof(*out->arena));
    if (out->arena == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory parsing a statement");
    }
    p.arena = out->arena;
    out->is_explain = sql_accept(&p, "explain");
    out->is_analyze = out->is_explain && sql_accept(&p, "analyze");
    parse_select(&p, out);
    size_t used_bytes = size;
    if (p.tok.kind == SQL_TOKEN_SEMICOLON) {
        used_bytes = (size_t)p.tok.offset + 1; /* the next statement is not read, not even lexed */
    } else if (p.tok.kind != SQL_TOKEN_END) {
        sql_expected(&p, "end of statement");
    }
    if (p.status != COL_OK) {
        sql_select_free(out);
        return p.status;
    }
    assert(p.depth == 0);
    assert(used_bytes <= size);
    *used = used_bytes;
    return COL_OK;
}
