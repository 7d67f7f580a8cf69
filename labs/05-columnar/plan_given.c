/* plan_given.c -- part E's given code (lab 05): the catalog of a database directory, the
 * planner from a parsed SELECT to pipelines, running them, and EXPLAIN. plan.h says how a
 * SELECT becomes pipelines; read planner_build for the order of the steps. */
#include "plan.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONJUNCTS_MAX 64u
#define DESC_SIZE 512u /* bytes of one line of EXPLAIN */

/* ---- The catalog ----------------------------------------------------------------------------- */

struct catalog_entry {
    char name[SQL_NAME_SIZE_MAX];
    struct col_table *table;
};

struct catalog {
    char dir[PATH_MAX];
    struct col_cache *cache;
    uint32_t count;
    struct catalog_entry tables[CATALOG_TABLES_MAX];
};

col_status
catalog_open(const char *dir, uint64_t cache_bytes, struct catalog **out, struct col_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return col_fail(err, COL_NOT_FOUND, "%s: no such directory", dir);
    }
    if (strlen(dir) >= PATH_MAX - SQL_NAME_SIZE_MAX - 8) {
        return col_fail(err, COL_INVALID, "%s: the path is too long", dir);
    }
    struct catalog *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return col_fail(err, COL_NOMEM, "catalog: out of memory");
    }
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    col_status status = col_cache_open(cache_bytes, cache_bytes, &c->cache, err);
    if (status != COL_OK) {
        free(c);
        return status;
    }
    *out = c;
    return COL_OK;
}

void
catalog_close(struct catalog *c)
{
    if (c == NULL) {
        return;
    }
    for (uint32_t i = 0; i < c->count; i++) {
        col_cache_forget(c->cache, c->tables[i].table);
        col_table_close(c->tables[i].table);
    }
    col_cache_close(c->cache);
    free(c);
}

struct col_cache *
catalog_cache(struct catalog *c)
{
    return c->cache;
}

static int
name_order(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

uint32_t
catalog_list(struct catalog *c, char (*names)[SQL_NAME_SIZE_MAX], uint32_t max)
{
    DIR *d = opendir(c->dir);
    if (d == NULL) {
        return 0;
    }
    uint32_t count = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t size = strlen(e->d_name), suffix = strlen(COL_FILE_SUFFIX);
        if (size > suffix && size - suffix < SQL_NAME_SIZE_MAX &&
            strcmp(e->d_name + size - suffix, COL_FILE_SUFFIX) == 0) {
            if (count < max) {
                snprintf(names[count], SQL_NAME_SIZE_MAX, "%.*s", (int)(size - suffix), e->d_name);
            }
            count++;
        }
    }
    closedir(d);
    qsort(names, count < max ? count : max, SQL_NAME_SIZE_MAX, name_order);
    return count;
}

col_status
catalog_table(struct catalog *c, const char *name, const struct col_table **out,
              struct col_error *err)
{
    for (uint32_t i = 0; i < c->count; i++) {
        if (strcmp(c->tables[i].name, name) == 0) {
            *out = c->tables[i].table;
            return COL_OK;
        }
    }
    /* A table's name is a file's: letters, digits and '_' only, so no name reaches outside. */
    for (const char *p = name; *p != '\0'; p++) {
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9'))) {
            return col_fail(err, COL_NOT_FOUND, "no table '%s' in %s", name, c->dir);
        }
    }
    if (c->count == CATALOG_TABLES_MAX) {
        return col_fail(err, COL_TOO_BIG, "more than %u tables open", CATALOG_TABLES_MAX);
    }
    char path[PATH_MAX + SQL_NAME_SIZE_MAX + 8];
    snprintf(path, sizeof(path), "%s/%s%s", c->dir, name, COL_FILE_SUFFIX);
    struct col_table *t = NULL;
    col_status status = col_table_open(path, &t, err);
    if (status == COL_NOT_FOUND) {
        return col_fail(err, COL_NOT_FOUND, "no table '%s' in %s", name, c->dir);
    }
    if (status != COL_OK) {
        return status;
    }
    struct catalog_entry *e = &c->tables[c->count++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->table = t;
    *out = t;
    return COL_OK;
}

/* ---- The planner's state ------------------------------------------------------------------- */

/* A table of FROM. */
struct binding {
    const struct col_table *table;
    const struct col_schema *schema;
    const char *name;  /* the name a query uses for it: its alias, or its own */
    uint64_t needed;   /* bit c: column c is read somewhere */
    uint32_t pipeline; /* the pipeline that scans it */
};

/* Batch columns: for each, the table and column it is. */
struct layout {
    uint32_t count;
    uint32_t table[VEC_COLUMNS_MAX];
    uint32_t column[VEC_COLUMNS_MAX];
    enum col_type types[VEC_COLUMNS_MAX];
    uint8_t scales[VEC_COLUMNS_MAX];
    const char *names[VEC_COLUMNS_MAX];
};

struct conjunct {
    const struct sql_node *node;
    uint64_t tables; /* bit b: it reads binding b */
    bool is_placed;
};

/* How an expression's names are found: in a layout of table columns, or, after a GROUP BY, as
 * its keys and aggregates. */
struct scope {
    const struct layout *layout;
    bool is_grouped;
};

/* EXPLAIN's words for one pipeline. */
struct pipeline_text {
    char title[DESC_SIZE];
    char source[DESC_SIZE];
    char ops[EXEC_OPS_MAX][DESC_SIZE];
    char sink[DESC_SIZE];
    int32_t build_for; /* the pipeline whose PROBE uses this build, or -1 */
    uint32_t probe_op; /* that PROBE's index */
    char column_names[VEC_COLUMNS_MAX][SQL_NAME_SIZE_MAX]; /* the scan's columns */
};

struct planner {
    struct catalog *catalog;
    const struct sql_select *q;
    const char *text;
    size_t size;
    uint32_t threads;
    struct binding tables[SQL_TABLES_MAX];
    uint32_t table_count;
    struct conjunct conjuncts[CONJUNCTS_MAX];
    uint32_t conjunct_count;
    /* GROUP BY */
    bool is_grouped;
    const struct sql_node *group_by[SQL_GROUP_MAX]; /* a position (GROUP BY 1) as its item */
    const struct sql_node *aggs[AGG_FUNCS_MAX];
    uint32_t agg_count;
    /* expressions: a pool each, freed with the plan */
    struct expr_pool *pools[512];
    uint32_t pool_count;
    char *strings[256]; /* string constants, NUL-terminated copies */
    uint32_t string_count;
    /* pipelines, in the order they run */
    struct exec_pipeline pipes[PLAN_PIPELINES_MAX];
    struct pipeline_text texts[PLAN_PIPELINES_MAX];
    int32_t builds_of[PLAN_PIPELINES_MAX][EXEC_OPS_MAX]; /* a PROBE's build pipeline */
    uint32_t pipe_count;
    struct exec_result results[PLAN_PIPELINES_MAX];
    struct exec_stats stats[PLAN_PIPELINES_MAX];
    bool has_run[PLAN_PIPELINES_MAX];
    /* the result's columns */
    uint32_t item_count;
    char item_names[VEC_COLUMNS_MAX][SQL_NAME_SIZE_MAX];
    bool is_limited;
    uint64_t limit;
    /* errors */
    col_status status;
    struct col_error *err;
    struct sql_position *where;
};

/* Fails the plan with COL_PARSE at byte offset pos of the statement: "line L, column C: ...". */
static col_status plan_fail(struct planner *pl, uint32_t pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static col_status
plan_fail(struct planner *pl, uint32_t pos, const char *format, ...)
{
    if (pl->status != COL_OK) {
        return pl->status; /* the first error is the one to show */
    }
    struct sql_position at = sql_position_of(pl->text, pos < pl->size ? pos : (uint32_t)pl->size);
    if (pl->where != NULL) {
        *pl->where = at;
    }
    char message[COL_ERROR_SIZE];
    va_list ap;
    va_start(ap, format);
    vsnprintf(message, sizeof(message), format, ap);
    va_end(ap);
    pl->status =
        col_fail(pl->err, COL_PARSE, "line %u, column %u: %s", at.line, at.column, message);
    return pl->status;
}

static col_status
plan_engine_fail(struct planner *pl, col_status status)
{
    if (pl->status == COL_OK) {
        pl->status = status;
    }
    return pl->status;
}

static struct expr_pool *
new_pool(struct planner *pl)
{
    if (pl->pool_count == sizeof(pl->pools) / sizeof(pl->pools[0])) {
        plan_fail(pl, 0, "the query has too many expressions");
        return NULL;
    }
    struct expr_pool *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        plan_engine_fail(pl, col_fail(pl->err, COL_NOMEM, "planner: out of memory"));
        return NULL;
    }
    pl->pools[pl->pool_count++] = p;
    return p;
}

/* ---- Names ----------------------------------------------------------------------------------- */

/* Finds the column a COLUMN node names: its binding and column. */
static bool
find_column(struct planner *pl, const struct sql_node *n, uint32_t *table, uint32_t *column)
{
    bool is_found = false;
    for (uint32_t b = 0; b < pl->table_count; b++) {
        if (n->table[0] != '\0' && strcmp(n->table, pl->tables[b].name) != 0) {
            continue;
        }
        const struct col_schema *s = pl->tables[b].schema;
        for (uint32_t c = 0; c < s->column_count; c++) {
            if (strcmp(s->columns[c].name, n->name) == 0) {
                if (is_found) {
                    plan_fail(pl, n->pos, "column '%s' is in more than one table: name its table",
                              n->name);
                    return false;
                }
                *table = b;
                *column = c;
                is_found = true;
            }
        }
    }
    if (!is_found) {
        if (n->table[0] != '\0') {
            bool has_table = false;
            for (uint32_t b = 0; b < pl->table_count; b++) {
                has_table |= strcmp(n->table, pl->tables[b].name) == 0;
            }
            if (!has_table) {
                plan_fail(pl, n->pos, "no table '%s' in FROM", n->table);
                return false;
            }
            plan_fail(pl, n->pos, "no column '%s' in %s", n->name, n->table);
            return false;
        }
        plan_fail(pl, n->pos, "no column '%s' in the tables of FROM", n->name);
    }
    return is_found;
}

/* Whether a and b are the same expression (columns by what they name). */
static bool
same_node(struct planner *pl, const struct sql_node *a, const struct sql_node *b)
{
    if (a->kind != b->kind || a->arg_count != b->arg_count || a->is_negated != b->is_negated) {
        return false;
    }
    switch (a->kind) {
    case SQL_COLUMN: {
        uint32_t ta, ca, tb, cb;
        return find_column(pl, a, &ta, &ca) && find_column(pl, b, &tb, &cb) && ta == tb && ca == cb;
    }
    case SQL_LITERAL:
        if (a->type != b->type || a->scale != b->scale || a->is_null != b->is_null) {
            return false;
        }
        if (a->type == COL_STRING) {
            return col_str_compare(a->value.str, b->value.str) == 0;
        }
        return a->type == COL_FLOAT64 ? a->value.f64 == b->value.f64 : a->value.i64 == b->value.i64;
    case SQL_BINARY:
        if (a->op != b->op) {
            return false;
        }
        break;
    case SQL_AGGREGATE:
        if (a->fn != b->fn) {
            return false;
        }
        break;
    case SQL_CASE:
        if (a->has_else != b->has_else) {
            return false;
        }
        break;
    default:
        break;
    }
    for (uint32_t i = 0; i < a->arg_count; i++) {
        if (!same_node(pl, a->args[i], b->args[i])) {
            return false;
        }
    }
    return true;
}

/* Whether name is a column of some table of FROM. */
static bool
is_column_name(const struct planner *pl, const char *name)
{
    for (uint32_t b = 0; b < pl->table_count; b++) {
        const struct col_schema *s = pl->tables[b].schema;
        for (uint32_t c = 0; c < s->column_count; c++) {
            if (strcmp(s->columns[c].name, name) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* Marks the columns n reads as needed, and returns the bindings it reads. */
static uint64_t
note_columns(struct planner *pl, const struct sql_node *n)
{
    if (n == NULL || pl->status != COL_OK) {
        return 0;
    }
    uint64_t tables = 0;
    if (n->kind == SQL_COLUMN) {
        uint32_t t, c;
        if (find_column(pl, n, &t, &c)) {
            pl->tables[t].needed |= 1ull << c;
            tables |= 1ull << t;
        }
    }
    for (uint32_t i = 0; i < n->arg_count; i++) {
        tables |= note_columns(pl, n->args[i]);
    }
    return tables;
}

static bool
has_aggregate(const struct sql_node *n)
{
    if (n == NULL) {
        return false;
    }
    if (n->kind == SQL_AGGREGATE) {
        return true;
    }
    for (uint32_t i = 0; i < n->arg_count; i++) {
        if (has_aggregate(n->args[i])) {
            return true;
        }
    }
    return false;
}

/* Adds n's aggregates (no two alike) to the planner's list. */
static void
collect_aggregates(struct planner *pl, const struct sql_node *n)
{
    if (n == NULL || pl->status != COL_OK) {
        return;
    }
    if (n->kind == SQL_AGGREGATE) {
        for (uint32_t i = 0; i < n->arg_count; i++) {
            if (has_aggregate(n->args[i])) {
                plan_fail(pl, n->args[i]->pos, "an aggregate inside an aggregate");
                return;
            }
        }
        for (uint32_t i = 0; i < pl->agg_count; i++) {
            if (same_node(pl, pl->aggs[i], n)) {
                return;
            }
        }
        if (pl->agg_count == AGG_FUNCS_MAX) {
            plan_fail(pl, n->pos, "more than %u aggregates", AGG_FUNCS_MAX);
            return;
        }
        pl->aggs[pl->agg_count++] = n;
        return;
    }
    for (uint32_t i = 0; i < n->arg_count; i++) {
        collect_aggregates(pl, n->args[i]);
    }
}

/* The ORDER BY item's select item, when it names one (a position, or an alias), or -1. */
static int32_t
order_item(struct planner *pl, const struct sql_order *o)
{
    const struct sql_node *n = o->expr;
    if (n->kind == SQL_LITERAL && n->type == COL_INT64 && !n->is_null) {
        if (n->value.i64 < 1 || (uint64_t)n->value.i64 > pl->item_count) {
            plan_fail(pl, n->pos, "ORDER BY %" PRId64 ": there are %u columns", n->value.i64,
                      pl->item_count);
            return -1;
        }
        return (int32_t)n->value.i64 - 1;
    }
    if (n->kind == SQL_COLUMN && n->table[0] == '\0') {
        for (uint32_t i = 0; i < pl->q->item_count; i++) {
            if (strcmp(pl->q->items[i].alias, n->name) == 0) {
                return (int32_t)i;
            }
        }
    }
    for (uint32_t i = 0; i < pl->q->item_count; i++) {
        if (same_node(pl, pl->q->items[i].expr, n)) {
            return (int32_t)i;
        }
    }
    return -1;
}

/* ---- Expressions ---------------------------------------------------------------------------- */

static const enum expr_op binary_ops[] = {
    [SQL_ADD] = EXPR_ADD, [SQL_SUB] = EXPR_SUB, [SQL_MUL] = EXPR_MUL, [SQL_DIV] = EXPR_DIV,
    [SQL_EQ] = EXPR_EQ,   [SQL_NE] = EXPR_NE,   [SQL_LT] = EXPR_LT,   [SQL_LE] = EXPR_LE,
    [SQL_GT] = EXPR_GT,   [SQL_GE] = EXPR_GE,   [SQL_AND] = EXPR_AND, [SQL_OR] = EXPR_OR};

static struct expr *compile(struct planner *pl, const struct scope *sc, const struct sql_node *n,
                            struct expr_pool *p);

/* The type n has in scope, when it is a column or a date (for reading strings as dates). */
static bool
is_date(struct planner *pl, const struct scope *sc, const struct sql_node *n)
{
    if (n->kind == SQL_LITERAL) {
        return n->type == COL_DATE;
    }
    if (n->kind != SQL_COLUMN) {
        return false;
    }
    if (sc->is_grouped) { /* after GROUP BY, a column is there only as a key */
        bool is_key = false;
        for (uint32_t k = 0; k < pl->q->group_count && !is_key; k++) {
            is_key = same_node(pl, pl->group_by[k], n);
        }
        if (!is_key) {
            return false;
        }
    }
    uint32_t t, c;
    if (!find_column(pl, n, &t, &c)) {
        return false;
    }
    return pl->tables[t].schema->columns[c].type == COL_DATE;
}

static struct expr *
literal(struct planner *pl, const struct sql_node *n, struct expr_pool *p, bool as_date)
{
    if (n->is_null) {
        return expr_null(p);
    }
    switch (n->type) {
    case COL_STRING: {
        if (as_date) {
            int32_t days;
            if (!col_date_parse(n->value.str.ptr, n->value.str.size_bytes, &days)) {
                plan_fail(pl, n->pos, "'%.*s' is not a date (YYYY-MM-DD)",
                          (int)n->value.str.size_bytes, n->value.str.ptr);
                return NULL;
            }
            return expr_date(p, days);
        }
        /* The tree borrows its strings NUL-terminated: a copy the plan keeps. */
        if (pl->string_count == sizeof(pl->strings) / sizeof(pl->strings[0])) {
            plan_fail(pl, n->pos, "too many strings in the query");
            return NULL;
        }
        char *copy = malloc(n->value.str.size_bytes + 1u);
        if (copy == NULL) {
            plan_engine_fail(pl, col_fail(pl->err, COL_NOMEM, "planner: out of memory"));
            return NULL;
        }
        memcpy(copy, n->value.str.ptr, n->value.str.size_bytes);
        copy[n->value.str.size_bytes] = '\0';
        pl->strings[pl->string_count++] = copy;
        return expr_string(p, copy);
    }
    case COL_DECIMAL:
        return expr_decimal(p, n->value.i64, n->scale);
    case COL_FLOAT64:
        return expr_double(p, n->value.f64);
    case COL_DATE:
        return expr_date(p, (int32_t)n->value.i64);
    default:
        return expr_int(p, n->value.i64);
    }
}

static struct expr *
compile_comparison(struct planner *pl, const struct scope *sc, const struct sql_node *n,
                   struct expr_pool *p)
{
    const struct sql_node *a = n->args[0], *b = n->args[1];
    bool a_str = a->kind == SQL_LITERAL && a->type == COL_STRING && !a->is_null;
    bool b_str = b->kind == SQL_LITERAL && b->type == COL_STRING && !b->is_null;
    struct expr *x = a_str && is_date(pl, sc, b) ? literal(pl, a, p, true) : compile(pl, sc, a, p);
    struct expr *y = b_str && is_date(pl, sc, a) ? literal(pl, b, p, true) : compile(pl, sc, b, p);
    return x == NULL || y == NULL ? NULL : expr_op(p, binary_ops[n->op], 2, x, y);
}

static struct expr *
compile_column(struct planner *pl, const struct scope *sc, const struct sql_node *n,
               struct expr_pool *p)
{
    if (sc->is_grouped) {
        plan_fail(pl, n->pos, "column '%s' must be in GROUP BY or inside an aggregate", n->name);
        return NULL;
    }
    uint32_t t, c;
    if (!find_column(pl, n, &t, &c)) {
        return NULL;
    }
    for (uint32_t i = 0; i < sc->layout->count; i++) {
        if (sc->layout->table[i] == t && sc->layout->column[i] == c) {
            return expr_column(p, i);
        }
    }
    plan_fail(pl, n->pos, "column '%s' is not available here", n->name); /* a planner bug */
    return NULL;
}

static struct expr *
compile(struct planner *pl, const struct scope *sc, const struct sql_node *n, struct expr_pool *p)
{
    if (pl->status != COL_OK) {
        return NULL;
    }
    if (sc->is_grouped) { /* a GROUP BY key, or an aggregate, is a column of the groups */
        for (uint32_t k = 0; k < pl->q->group_count; k++) {
            if (same_node(pl, pl->group_by[k], n)) {
                return expr_column(p, k);
            }
        }
        for (uint32_t i = 0; i < pl->agg_count; i++) {
            if (same_node(pl, pl->aggs[i], n)) {
                return expr_column(p, pl->q->group_count + i);
            }
        }
    }
    struct expr *args[SQL_ARGS_MAX + 1] = {NULL};
    switch (n->kind) {
    case SQL_COLUMN:
        return compile_column(pl, sc, n, p);
    case SQL_LITERAL:
        return literal(pl, n, p, false);
    case SQL_NEGATE: { /* -5 is a constant, for IN lists and zone maps alike */
        const struct sql_node *a = n->args[0];
        bool is_number = a->kind == SQL_LITERAL && !a->is_null &&
                         (a->type == COL_INT64 || a->type == COL_DECIMAL || a->type == COL_FLOAT64);
        if (is_number && (a->type == COL_FLOAT64 || a->value.i64 != INT64_MIN)) {
            struct expr *e = literal(pl, a, p, false);
            if (e != NULL && a->type == COL_FLOAT64) {
                e->value.f64 = -e->value.f64;
            } else if (e != NULL) {
                e->value.i64 = -e->value.i64;
            }
            return e;
        }
        break;
    }
    case SQL_AGGREGATE:
        plan_fail(pl, n->pos, "an aggregate is not allowed here");
        return NULL;
    case SQL_EXTRACT_YEAR:
        plan_fail(pl, n->pos, "EXTRACT is not supported by this engine");
        return NULL;
    case SQL_BINARY:
        if (n->op >= SQL_EQ && n->op <= SQL_GE) {
            return compile_comparison(pl, sc, n, p);
        }
        break;
    default:
        break;
    }
    if (n->kind == SQL_BETWEEN) { /* x twice, as two nodes: a tree shares no node */
        args[3] = compile(pl, sc, n->args[0], p);
    }
    /* BETWEEN's bounds and IN's list are compared with the first argument: a string among them
     * is a date when it is a date. */
    bool is_date_list =
        (n->kind == SQL_BETWEEN || n->kind == SQL_IN) && is_date(pl, sc, n->args[0]);
    for (uint32_t i = 0; i < n->arg_count; i++) {
        const struct sql_node *a = n->args[i];
        bool is_string = a->kind == SQL_LITERAL && a->type == COL_STRING && !a->is_null;
        args[i] =
            i > 0 && is_date_list && is_string ? literal(pl, a, p, true) : compile(pl, sc, a, p);
        if (args[i] == NULL) {
            if (pl->status == COL_OK) {
                plan_fail(pl, n->pos, "the expression is too large");
            }
            return NULL;
        }
    }
    struct expr *e = NULL;
    switch (n->kind) {
    case SQL_NEGATE:
        e = expr_op(p, EXPR_NEG, 1, args[0]);
        break;
    case SQL_NOT:
        e = expr_op(p, EXPR_NOT, 1, args[0]);
        break;
    case SQL_BINARY:
        e = expr_op(p, binary_ops[n->op], 2, args[0], args[1]);
        break;
    case SQL_BETWEEN:
        e = args[3] == NULL ? NULL
                            : expr_op(p, EXPR_AND, 2, expr_op(p, EXPR_GE, 2, args[0], args[1]),
                                      expr_op(p, EXPR_LE, 2, args[3], args[2]));
        break;
    case SQL_IN: {
        e = expr_op(p, EXPR_IN, 1, args[0]);
        if (e != NULL) {
            for (uint32_t i = 1; i < n->arg_count; i++) {
                e->args[e->arg_count++] = args[i];
            }
        }
        break;
    }
    case SQL_LIKE:
        e = expr_op(p, EXPR_LIKE, 2, args[0], args[1]);
        break;
    case SQL_IS_NULL:
        e = expr_op(p, n->is_negated ? EXPR_IS_NOT_NULL : EXPR_IS_NULL, 1, args[0]);
        return e;
    case SQL_CASE:
        e = expr_op(p, EXPR_CASE, 1, args[0]);
        if (e != NULL) {
            for (uint32_t i = 1; i < n->arg_count; i++) {
                e->args[e->arg_count++] = args[i];
            }
        }
        break;
    default:
        break;
    }
    if (e != NULL && n->is_negated && n->kind != SQL_IS_NULL) {
        e = expr_op(p, EXPR_NOT, 1, e);
    }
    if (e == NULL) {
        plan_fail(pl, n->pos, "the expression is too large");
    }
    return e;
}

/* n compiled and typed over the scope, in a pool of its own. */
static struct expr *
compile_typed(struct planner *pl, const struct scope *sc, const struct sql_node *n,
              const enum col_type *types, const uint8_t *scales, uint32_t count)
{
    struct expr_pool *p = new_pool(pl);
    struct expr *e = p != NULL ? compile(pl, sc, n, p) : NULL;
    if (e == NULL) {
        if (pl->status == COL_OK) { /* the pool filled at the top node */
            plan_fail(pl, n->pos, "the expression is too large (at most %u nodes)", EXPR_NODES_MAX);
        }
        return NULL;
    }
    struct col_error err = {0};
    if (expr_resolve(e, count, types, scales, &err) != COL_OK) {
        plan_fail(pl, n->pos, "%s", err.message);
        return NULL;
    }
    return e;
}

static struct expr *
compile_over(struct planner *pl, const struct layout *l, const struct sql_node *n)
{
    struct scope sc = {.layout = l};
    return compile_typed(pl, &sc, n, l->types, l->scales, l->count);
}

static struct expr *
compile_condition(struct planner *pl, const struct layout *l, const struct sql_node *n)
{
    struct expr *e = compile_over(pl, l, n);
    if (e != NULL && e->type != COL_INT32) {
        plan_fail(pl, n->pos, "a condition is needed here (a comparison, AND, OR, ...)");
        return NULL;
    }
    return e;
}

/* ---- Layouts and text --------------------------------------------------------------------- */

static void
layout_add(struct planner *pl, struct layout *l, uint32_t table, uint32_t column)
{
    const struct col_column *col = &pl->tables[table].schema->columns[column];
    l->table[l->count] = table;
    l->column[l->count] = column;
    l->types[l->count] = col->type;
    l->scales[l->count] = col->scale;
    l->names[l->count] = col->name;
    l->count++;
}

static void text_add(char *out, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void
text_add(char *out, const char *format, ...)
{
    size_t used = strlen(out);
    if (used + 1 >= DESC_SIZE) {
        return;
    }
    va_list ap;
    va_start(ap, format);
    vsnprintf(out + used, DESC_SIZE - used, format, ap);
    va_end(ap);
}

static void
text_expr(char *out, const struct expr *e, const struct layout *l)
{
    char text[DESC_SIZE];
    expr_format(e, l->names, text, sizeof(text));
    text_add(out, "%s", text);
}

/* ---- Building the pipelines ---------------------------------------------------------------- */

/* The scan of binding b: its needed columns, its own conjuncts as filters. Fills l with the
 * scan's batch columns. */
static void
plan_scan(struct planner *pl, uint32_t b, struct exec_pipeline *pipe, struct pipeline_text *tx,
          struct layout *l)
{
    struct binding *bd = &pl->tables[b];
    memset(l, 0, sizeof(*l));
    for (uint32_t c = 0; c < bd->schema->column_count; c++) {
        if (bd->needed & (1ull << c)) {
            layout_add(pl, l, b, c);
        }
    }
    if (l->count == 0) { /* SELECT count(*): read its first column for the row count */
        layout_add(pl, l, b, 0);
    }
    pipe->source = EXEC_SOURCE_SCAN;
    pipe->scan = (struct scan_spec){
        .table = bd->table, .cache = catalog_cache(pl->catalog), .column_count = l->count};
    snprintf(tx->source, DESC_SIZE, "SCAN %s (", bd->name);
    for (uint32_t i = 0; i < l->count; i++) {
        pipe->scan.columns[i] = l->column[i];
        snprintf(tx->column_names[i], SQL_NAME_SIZE_MAX, "%s", l->names[i]);
        text_add(tx->source, "%s%s", i ? ", " : "", l->names[i]);
    }
    text_add(tx->source, ")");
    for (uint32_t k = 0; k < pl->conjunct_count; k++) {
        struct conjunct *cj = &pl->conjuncts[k];
        bool is_own = cj->tables == (1ull << b) || (cj->tables == 0 && b == 0);
        if (cj->is_placed || !is_own) {
            continue;
        }
        if (pipe->scan.filter_count == SCAN_CONJUNCTS_MAX) {
            plan_fail(pl, cj->node->pos, "more than %u conditions on one table",
                      SCAN_CONJUNCTS_MAX);
            return;
        }
        struct expr *e = compile_condition(pl, l, cj->node);
        if (e == NULL) {
            return;
        }
        cj->is_placed = true;
        text_add(tx->source, "%s", pipe->scan.filter_count ? " AND " : " WHERE ");
        text_expr(tx->source, e, l);
        pipe->scan.filters[pipe->scan.filter_count++] = e;
    }
    bd->pipeline = pl->pipe_count;
}

static struct exec_op *
add_op(struct planner *pl, struct exec_pipeline *pipe, const struct layout *l, uint32_t pos)
{
    if (pipe->op_count == EXEC_OPS_MAX) {
        plan_fail(pl, pos, "the query needs more than %u operators in one pipeline", EXEC_OPS_MAX);
        return NULL;
    }
    struct exec_op *op = &pipe->ops[pipe->op_count++];
    memset(op, 0, sizeof(*op));
    op->input_column_count = l->count;
    memcpy(op->input_types, l->types, sizeof(l->types));
    memcpy(op->input_scales, l->scales, sizeof(l->scales));
    return op;
}

/* Conjuncts whose tables are all in joined and not yet placed: filters after the last join. */
static void
plan_filters(struct planner *pl, struct exec_pipeline *pipe, struct pipeline_text *tx,
             const struct layout *l, uint64_t joined)
{
    for (uint32_t k = 0; k < pl->conjunct_count && pl->status == COL_OK; k++) {
        struct conjunct *cj = &pl->conjuncts[k];
        if (cj->is_placed || (cj->tables & ~joined) != 0) {
            continue;
        }
        struct exec_op *op = add_op(pl, pipe, l, cj->node->pos);
        struct expr *e = op != NULL ? compile_condition(pl, l, cj->node) : NULL;
        if (e == NULL) {
            return;
        }
        op->kind = EXEC_FILTER;
        op->condition = e;
        cj->is_placed = true;
        snprintf(tx->ops[pipe->op_count - 1], DESC_SIZE, "FILTER ");
        text_expr(tx->ops[pipe->op_count - 1], e, l);
    }
}

/* Whether conjunct k is column = column with one side in table t and the other in joined: the
 * columns then, t's first. */
static bool
join_key_of(struct planner *pl, uint32_t k, uint32_t t, uint64_t joined,
            const struct sql_node **mine, const struct sql_node **theirs)
{
    const struct conjunct *cj = &pl->conjuncts[k];
    const struct sql_node *n = cj->node;
    if (cj->is_placed || n->kind != SQL_BINARY || n->op != SQL_EQ ||
        n->args[0]->kind != SQL_COLUMN || n->args[1]->kind != SQL_COLUMN) {
        return false;
    }
    uint32_t ta, ca, tb, cb;
    if (!find_column(pl, n->args[0], &ta, &ca) || !find_column(pl, n->args[1], &tb, &cb)) {
        return false;
    }
    /* A hash join compares keys as values of one kind: integers of either width, or the same
     * type and scale. Any other pair stays a filter after the join. */
    const struct col_column *a = &pl->tables[ta].schema->columns[ca];
    const struct col_column *b = &pl->tables[tb].schema->columns[cb];
    bool a_int = a->type == COL_INT32 || a->type == COL_INT64;
    bool b_int = b->type == COL_INT32 || b->type == COL_INT64;
    bool is_comparable = (a_int && b_int) || (a->type == b->type && a->scale == b->scale);
    if (!is_comparable) {
        return false;
    }
    if (ta == t && ((joined >> tb) & 1)) {
        *mine = n->args[0];
        *theirs = n->args[1];
        return true;
    }
    if (tb == t && ((joined >> ta) & 1)) {
        *mine = n->args[1];
        *theirs = n->args[0];
        return true;
    }
    return false;
}

static uint32_t
layout_find(const struct layout *l, uint32_t table, uint32_t column)
{
    for (uint32_t i = 0; i < l->count; i++) {
        if (l->table[i] == table && l->column[i] == column) {
            return i;
        }
    }
    return UINT32_MAX;
}

/* Joins binding t to the main pipeline: a pipeline that scans t into a hash table on its keys,
 * and a PROBE in main. */
static void
plan_join(struct planner *pl, uint32_t t, uint32_t main, struct layout *l, uint64_t *joined)
{
    uint32_t b = pl->pipe_count++;
    struct exec_pipeline *build = &pl->pipes[b];
    struct pipeline_text *btx = &pl->texts[b];
    struct layout bl;
    plan_scan(pl, t, build, btx, &bl);
    if (pl->status != COL_OK) {
        return;
    }
    build->sink = EXEC_SINK_BUILD;
    build->sink_column_count = bl.count;
    memcpy(build->sink_types, bl.types, sizeof(bl.types));
    memcpy(build->sink_scales, bl.scales, sizeof(bl.scales));
    snprintf(btx->title, DESC_SIZE, "build %s", pl->tables[t].name);
    snprintf(btx->sink, DESC_SIZE, "BUILD a hash table of %s on", pl->tables[t].name);
    struct exec_pipeline *pipe = &pl->pipes[main];
    struct exec_op *op = add_op(pl, pipe, l, pl->q->tables[t].pos);
    if (op == NULL) {
        return;
    }
    op->kind = EXEC_PROBE;
    char *desc = pl->texts[main].ops[pipe->op_count - 1];
    snprintf(desc, DESC_SIZE, "PROBE %s ON", pl->tables[t].name);
    for (uint32_t k = 0; k < pl->conjunct_count; k++) {
        const struct sql_node *mine, *theirs;
        if (!join_key_of(pl, k, t, *joined, &mine, &theirs)) {
            continue;
        }
        if (build->join.key_count == JOIN_KEYS_MAX) {
            break; /* the rest are checked as filters after the join */
        }
        uint32_t tm, cm, tt, ct;
        find_column(pl, mine, &tm, &cm);
        find_column(pl, theirs, &tt, &ct);
        uint32_t i = build->join.key_count++;
        build->join.build_keys[i] = layout_find(&bl, tm, cm);
        build->join.probe_keys[i] = layout_find(l, tt, ct);
        pl->conjuncts[k].is_placed = true;
        text_add(desc, "%s %s = %s", i ? " AND" : "", bl.names[build->join.build_keys[i]],
                 l->names[build->join.probe_keys[i]]);
        text_add(btx->sink, "%s %s", i ? "," : "", bl.names[build->join.build_keys[i]]);
    }
    btx->build_for = (int32_t)main;
    btx->probe_op = pipe->op_count - 1;
    pl->builds_of[main][pipe->op_count - 1] = (int32_t)b;
    for (uint32_t i = 0; i < bl.count; i++) {
        if (l->count == VEC_COLUMNS_MAX) {
            plan_fail(pl, pl->q->tables[t].pos, "the join needs more than %u columns",
                      VEC_COLUMNS_MAX);
            return;
        }
        l->table[l->count] = bl.table[i];
        l->column[l->count] = bl.column[i];
        l->types[l->count] = bl.types[i];
        l->scales[l->count] = bl.scales[i];
        l->names[l->count] = bl.names[i];
        l->count++;
    }
    *joined |= 1ull << t;
}

/* About how many distinct values column c of binding b holds, from its zone maps: for an
 * integer or a date, the span from the smallest to the largest (keys are mostly dense), at most
 * the row count; for any other type, the row count. */
static double
distinct_values(const struct planner *pl, uint32_t b, uint32_t c)
{
    const struct col_table *t = pl->tables[b].table;
    double rows = (double)col_table_row_count(t);
    enum col_type type = pl->tables[b].schema->columns[c].type;
    if (!(col_type_is_integer(type) || type == COL_DATE)) {
        return rows;
    }
    bool has_any = false;
    int64_t min = 0, max = 0;
    for (uint32_t g = 0; g < col_table_group_count(t); g++) {
        const struct col_zone *z = &col_table_chunk(t, g, c)->zone;
        if (z->has_min_max) {
            min = !has_any || z->min.i64 < min ? z->min.i64 : min;
            max = !has_any || z->max.i64 > max ? z->max.i64 : max;
            has_any = true;
        }
    }
    double span = has_any ? (double)max - (double)min + 1 : 1;
    return span < rows ? span : rows;
}

/* How many rows of binding t each probe row meets, about, when t joins the tables in joined:
 * its rows over the distinct values of its key columns (together at most its rows). Joining
 * the smallest fan-out first keeps the rows in flight few: Q5 joins orders on its key before
 * customer on a nation. */
static double
join_fanout(struct planner *pl, uint32_t t, uint64_t joined)
{
    double rows = (double)col_table_row_count(pl->tables[t].table), distinct = 1;
    for (uint32_t k = 0; k < pl->conjunct_count; k++) {
        const struct sql_node *mine, *theirs;
        uint32_t mt, mc;
        if (join_key_of(pl, k, t, joined, &mine, &theirs) && find_column(pl, mine, &mt, &mc)) {
            distinct *= distinct_values(pl, mt, mc);
        }
    }
    distinct = distinct < rows ? distinct : rows;
    return distinct > 0 ? rows / distinct : rows;
}

/* The main pipeline: the largest table scanned, each other table joined in, the filters that
 * need several tables after the join that completes them. l is left as the pipeline's
 * columns. */
static void
plan_joins(struct planner *pl, uint32_t main, struct layout *l)
{
    uint32_t driver = 0;
    for (uint32_t b = 1; b < pl->table_count; b++) {
        if (col_table_row_count(pl->tables[b].table) >
            col_table_row_count(pl->tables[driver].table)) {
            driver = b;
        }
    }
    pl->pipe_count++;
    plan_scan(pl, driver, &pl->pipes[main], &pl->texts[main], l);
    snprintf(pl->texts[main].title, DESC_SIZE, "main");
    uint64_t joined = 1ull << driver;
    plan_filters(pl, &pl->pipes[main], &pl->texts[main], l, joined);
    for (uint32_t step = 1; step < pl->table_count && pl->status == COL_OK; step++) {
        int32_t next = -1;
        double best_fanout = 0;
        for (uint32_t t = 0; t < pl->table_count; t++) {
            if ((joined >> t) & 1) {
                continue;
            }
            bool has_key = false;
            for (uint32_t k = 0; k < pl->conjunct_count && !has_key; k++) {
                const struct sql_node *a, *b;
                has_key = join_key_of(pl, k, t, joined, &a, &b);
            }
            if (!has_key) {
                continue;
            }
            double fanout = join_fanout(pl, t, joined);
            if (next < 0 || fanout < best_fanout ||
                (fanout == best_fanout && col_table_row_count(pl->tables[t].table) <
                                              col_table_row_count(pl->tables[next].table))) {
                next = (int32_t)t;
                best_fanout = fanout;
            }
        }
        if (next < 0) {
            for (uint32_t t = 0; t < pl->table_count; t++) {
                if (!((joined >> t) & 1)) {
                    plan_fail(pl, pl->q->tables[t].pos,
                              "no join condition (a = b) ties %s to the other tables: cross "
                              "joins are not supported",
                              pl->tables[t].name);
                    return;
                }
            }
        }
        plan_join(pl, (uint32_t)next, main, l, &joined);
        plan_filters(pl, &pl->pipes[main], &pl->texts[main], l, joined);
    }
}

/* The text of the select item at pos, as SQLite names a column: up to its comma, AS or FROM
 * at the top level, spaces trimmed. */
static void
item_text(const struct planner *pl, uint32_t pos, char out[SQL_NAME_SIZE_MAX])
{
    size_t end = pos, depth = 0;
    char quote = 0;
    for (; end < pl->size; end++) {
        char ch = pl->text[end];
        if (quote != 0) {
            quote = ch == quote ? 0 : quote;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '(') {
            depth++;
        } else if (ch == ')') {
            if (depth == 0) {
                break;
            }
            depth--;
        } else if (depth == 0 && (ch == ',' || ch == ';')) {
            break;
        } else if (depth == 0 && (ch == ' ' || ch == '\n' || ch == '\t') && end + 4 < pl->size &&
                   (strncasecmp(pl->text + end + 1, "as ", 3) == 0 ||
                    strncasecmp(pl->text + end + 1, "from", 4) == 0)) {
            break;
        }
    }
    while (end > pos &&
           (pl->text[end - 1] == ' ' || pl->text[end - 1] == '\n' || pl->text[end - 1] == '\t')) {
        end--;
    }
    size_t size = end - pos < SQL_NAME_SIZE_MAX - 1 ? end - pos : SQL_NAME_SIZE_MAX - 1;
    memcpy(out, pl->text + pos, size);
    out[size] = '\0';
    for (size_t i = 0; i < size; i++) {
        out[i] = out[i] == '\n' || out[i] == '\t' ? ' ' : out[i];
    }
}

/* The last projection (the select list, then ORDER BY's other expressions) and the sink. */
static void
plan_output(struct planner *pl, struct exec_pipeline *pipe, struct pipeline_text *tx,
            const struct layout *l, const struct scope *sc)
{
    const struct sql_select *q = pl->q;
    struct exec_op *op = add_op(pl, pipe, l, 0);
    if (op == NULL) {
        return;
    }
    op->kind = EXEC_PROJECT;
    char *desc = tx->ops[pipe->op_count - 1];
    snprintf(desc, DESC_SIZE, "PROJECT ");
    const struct sql_node *outs[VEC_COLUMNS_MAX];
    uint32_t count = 0;
    uint32_t star[VEC_COLUMNS_MAX]; /* SELECT *: the layout column of each, in FROM's order */
    if (q->is_star) {
        for (uint32_t t = 0; t < pl->table_count; t++) {
            for (uint32_t c = 0; c < pl->tables[t].schema->column_count; c++) {
                uint32_t at = layout_find(l, t, c);
                if (at != UINT32_MAX && count < VEC_COLUMNS_MAX) {
                    star[count] = at;
                    outs[count++] = NULL;
                }
            }
        }
    } else {
        for (uint32_t i = 0; i < q->item_count; i++) {
            outs[count++] = q->items[i].expr;
        }
    }
    pl->item_count = count;
    struct sort_spec sort = {.limit = q->has_limit ? q->limit : 0};
    for (uint32_t o = 0; o < q->order_count && pl->status == COL_OK; o++) {
        int32_t item = order_item(pl, &q->order[o]);
        if (item < 0 && pl->status == COL_OK) {
            if (count == VEC_COLUMNS_MAX) {
                plan_fail(pl, q->order[o].expr->pos, "too many columns");
                return;
            }
            item = (int32_t)count;
            outs[count++] = q->order[o].expr;
        }
        sort.keys[sort.key_count++] = (struct sort_key){(uint32_t)item, q->order[o].is_descending};
    }
    for (uint32_t i = 0; i < count && pl->status == COL_OK; i++) {
        struct expr *e;
        if (outs[i] == NULL) { /* SELECT *: the i-th column of FROM's tables */
            struct expr_pool *p = new_pool(pl);
            e = p != NULL ? expr_column(p, star[i]) : NULL;
            if (e == NULL || expr_resolve(e, l->count, l->types, l->scales, pl->err) != COL_OK) {
                plan_engine_fail(pl, COL_NOMEM);
                return;
            }
        } else {
            e = compile_typed(pl, sc, outs[i], l->types, l->scales, l->count);
        }
        if (e == NULL) {
            return;
        }
        op->exprs[i] = e;
        pipe->sink_types[i] = e->type;
        pipe->sink_scales[i] = e->scale;
        text_add(desc, "%s", i ? ", " : "");
        text_expr(desc, e, l);
        if (i < pl->item_count) {
            const char *alias = outs[i] != NULL ? q->items[i].alias : "";
            if (alias[0] != '\0') {
                snprintf(pl->item_names[i], SQL_NAME_SIZE_MAX, "%s", alias);
            } else if (outs[i] == NULL || outs[i]->kind == SQL_COLUMN) {
                snprintf(pl->item_names[i], SQL_NAME_SIZE_MAX, "%s",
                         outs[i] == NULL ? l->names[star[i]] : outs[i]->name);
            } else {
                item_text(pl, q->items[i].pos, pl->item_names[i]);
            }
        }
    }
    op->expr_count = count;
    pipe->sink_column_count = count;
    if (sort.key_count > 0) {
        pipe->sink = EXEC_SINK_SORT;
        pipe->sort = sort;
        snprintf(tx->sink, DESC_SIZE, "SORT BY");
        for (uint32_t k = 0; k < sort.key_count; k++) {
            text_add(tx->sink, "%s #%u%s", k ? "," : "", sort.keys[k].column + 1,
                     sort.keys[k].is_descending ? " DESC" : "");
        }
        if (sort.limit > 0) {
            text_add(tx->sink, " LIMIT %" PRIu64 " (top-N)", sort.limit);
        }
    } else {
        pipe->sink = EXEC_SINK_COLLECT;
        snprintf(tx->sink, DESC_SIZE, "RESULT");
        if (q->has_limit) {
            text_add(tx->sink, " LIMIT %" PRIu64, q->limit);
        }
    }
    /* A sort's limit of 0 keeps every row: LIMIT 0 is cut after it instead. */
    pl->is_limited = q->has_limit && (sort.key_count == 0 || q->limit == 0);
    pl->limit = q->limit;
}

static const enum agg_fn agg_fns[] = {[SQL_COUNT_STAR] = AGG_COUNT_STAR,
                                      [SQL_COUNT] = AGG_COUNT,
                                      [SQL_SUM] = AGG_SUM,
                                      [SQL_AVG] = AGG_AVG,
                                      [SQL_MIN] = AGG_MIN,
                                      [SQL_MAX] = AGG_MAX};

/* GROUP BY: the main pipeline projects the keys and the aggregates' arguments into a hash
 * aggregate; a second pipeline reads its groups, filters them (HAVING) and makes the output. */
static void
plan_group_by(struct planner *pl, uint32_t main, const struct layout *l)
{
    const struct sql_select *q = pl->q;
    struct exec_pipeline *pipe = &pl->pipes[main];
    struct pipeline_text *tx = &pl->texts[main];
    struct exec_op *op = add_op(pl, pipe, l, 0);
    if (op == NULL) {
        return;
    }
    op->kind = EXEC_PROJECT;
    char *desc = tx->ops[pipe->op_count - 1];
    snprintf(desc, DESC_SIZE, "PROJECT ");
    struct agg_spec *spec = &pipe->agg;
    *spec = (struct agg_spec){.key_count = q->group_count, .func_count = pl->agg_count};
    struct layout groups = {0}; /* the groups' columns: keys, then aggregates */
    static const char *const key_names[] = {"key1", "key2", "key3", "key4",
                                            "key5", "key6", "key7", "key8"};
    uint32_t count = 0;
    for (uint32_t k = 0; k < q->group_count && pl->status == COL_OK; k++) {
        if (has_aggregate(pl->group_by[k])) {
            plan_fail(pl, pl->group_by[k]->pos, "an aggregate in GROUP BY");
            return;
        }
        struct expr *e = compile_over(pl, l, pl->group_by[k]);
        if (e == NULL) {
            return;
        }
        spec->keys[k] = count;
        op->exprs[count++] = e;
        text_add(desc, "%s", k ? ", " : "");
        text_expr(desc, e, l);
        groups.names[k] =
            pl->group_by[k]->kind == SQL_COLUMN ? pl->group_by[k]->name : key_names[k];
    }
    for (uint32_t a = 0; a < pl->agg_count && pl->status == COL_OK; a++) {
        const struct sql_node *n = pl->aggs[a];
        spec->fns[a] = agg_fns[n->fn];
        groups.names[q->group_count + a] = agg_fn_name(spec->fns[a]);
        if (n->fn == SQL_COUNT_STAR) {
            continue;
        }
        struct expr *e = compile_over(pl, l, n->args[0]);
        if (e == NULL) {
            return;
        }
        spec->args[a] = count;
        op->exprs[count++] = e;
        text_add(desc, "%s", count > 1 ? ", " : "");
        text_expr(desc, e, l);
    }
    op->expr_count = count;
    pipe->sink = EXEC_SINK_AGGREGATE;
    pipe->sink_column_count = count;
    for (uint32_t i = 0; i < count; i++) {
        pipe->sink_types[i] = op->exprs[i]->type;
        pipe->sink_scales[i] = op->exprs[i]->scale;
    }
    if (count == 0) { /* COUNT(*) alone: the scan's batches go straight to the aggregate */
        pipe->op_count--;
        pipe->sink_column_count = l->count;
        memcpy(pipe->sink_types, l->types, sizeof(l->types));
        memcpy(pipe->sink_scales, l->scales, sizeof(l->scales));
    }
    struct col_error err = {0};
    if (agg_spec_resolve(spec, pipe->sink_column_count, pipe->sink_types, pipe->sink_scales,
                         groups.types, groups.scales, &err) != COL_OK) {
        plan_fail(pl, pl->aggs[0] != NULL ? pl->aggs[0]->pos : 0, "%s", err.message);
        return;
    }
    groups.count = q->group_count + pl->agg_count;
    snprintf(tx->sink, DESC_SIZE, "GROUP BY");
    for (uint32_t k = 0; k < q->group_count; k++) {
        text_add(tx->sink, "%s #%u", k ? "," : "", k + 1);
    }
    text_add(tx->sink, "%s", q->group_count ? ":" : " (one group):");
    for (uint32_t a = 0; a < pl->agg_count; a++) {
        text_add(tx->sink, "%s %s", a ? "," : "", agg_fn_name(spec->fns[a]));
        if (pl->aggs[a]->fn != SQL_COUNT_STAR) {
            text_add(tx->sink, "(#%u)", spec->args[a] + 1);
        }
    }
    /* The groups, filtered and made into the output. */
    uint32_t g = pl->pipe_count++;
    struct exec_pipeline *after = &pl->pipes[g];
    struct pipeline_text *atx = &pl->texts[g];
    after->source = EXEC_SOURCE_MAT;
    snprintf(atx->title, DESC_SIZE, "output");
    snprintf(atx->source, DESC_SIZE, "READ the groups of pipeline %u", main + 1);
    struct scope grouped = {.layout = &groups, .is_grouped = true};
    if (q->having != NULL) {
        struct exec_op *h = add_op(pl, after, &groups, q->having->pos);
        struct expr *e = h != NULL ? compile_typed(pl, &grouped, q->having, groups.types,
                                                   groups.scales, groups.count)
                                   : NULL;
        if (e == NULL) {
            return;
        }
        if (e->type != COL_INT32) {
            plan_fail(pl, q->having->pos, "HAVING needs a condition");
            return;
        }
        h->kind = EXEC_FILTER;
        h->condition = e;
        snprintf(atx->ops[after->op_count - 1], DESC_SIZE, "FILTER (HAVING) ");
        text_expr(atx->ops[after->op_count - 1], e, &groups);
    }
    plan_output(pl, after, atx, &groups, &grouped);
}

/* Reads the FROM list, the conjuncts and the columns each table needs. */
static void
plan_bind(struct planner *pl)
{
    const struct sql_select *q = pl->q;
    for (uint32_t t = 0; t < q->table_count && pl->status == COL_OK; t++) {
        const struct sql_table_ref *ref = &q->tables[t];
        struct binding *b = &pl->tables[pl->table_count++];
        struct col_error err = {0};
        col_status status = catalog_table(pl->catalog, ref->name, &b->table, &err);
        if (status == COL_NOT_FOUND) {
            plan_fail(pl, ref->pos, "%s", err.message);
            return;
        }
        if (status != COL_OK) { /* a damaged or newer file: the table's own error */
            if (pl->err != NULL) {
                *pl->err = err;
            }
            plan_engine_fail(pl, status);
            return;
        }
        b->schema = col_table_schema(b->table);
        b->name = ref->alias[0] != '\0' ? ref->alias : ref->name;
        for (uint32_t o = 0; o < t; o++) {
            if (strcmp(pl->tables[o].name, b->name) == 0) {
                plan_fail(pl, ref->pos, "'%s' is named twice in FROM: give one an alias", b->name);
                return;
            }
        }
    }
    /* Conjuncts of WHERE and of every ON. */
    const struct sql_node *todo[CONJUNCTS_MAX * 2];
    uint32_t n = 0;
    if (q->where != NULL) {
        todo[n++] = q->where;
    }
    for (uint32_t t = 0; t < q->table_count; t++) {
        if (q->tables[t].join_on != NULL) {
            todo[n++] = q->tables[t].join_on;
        }
    }
    while (n > 0 && pl->status == COL_OK) {
        const struct sql_node *c = todo[--n];
        if (c->kind == SQL_BINARY && c->op == SQL_AND && n + 2 <= CONJUNCTS_MAX * 2) {
            todo[n++] = c->args[1];
            todo[n++] = c->args[0];
            continue;
        }
        if (has_aggregate(c)) {
            plan_fail(pl, c->pos, "an aggregate in WHERE or ON (use HAVING)");
            return;
        }
        if (pl->conjunct_count == CONJUNCTS_MAX) {
            plan_fail(pl, c->pos, "more than %u conditions", CONJUNCTS_MAX);
            return;
        }
        struct conjunct *cj = &pl->conjuncts[pl->conjunct_count++];
        cj->node = c;
        cj->tables = note_columns(pl, c);
    }
    for (uint32_t i = 0; i < q->item_count; i++) {
        note_columns(pl, q->items[i].expr);
    }
    if (q->is_star) {
        for (uint32_t t = 0; t < pl->table_count; t++) {
            uint32_t columns = pl->tables[t].schema->column_count;
            pl->tables[t].needed |= columns == 64 ? ~0ull : (1ull << columns) - 1;
        }
    }
    for (uint32_t k = 0; k < q->group_count && pl->status == COL_OK; k++) {
        const struct sql_node *g = q->group_by[k];
        pl->group_by[k] = g;
        if (g->kind == SQL_COLUMN && g->table[0] == '\0' && !is_column_name(pl, g->name)) {
            for (uint32_t i = 0; i < q->item_count; i++) { /* GROUP BY an item's alias */
                if (strcmp(q->items[i].alias, g->name) == 0) {
                    pl->group_by[k] = q->items[i].expr;
                }
            }
        }
        if (g->kind == SQL_LITERAL && g->type == COL_INT64 && !g->is_null) {
            if (q->is_star || g->value.i64 < 1 || (uint64_t)g->value.i64 > q->item_count) {
                plan_fail(pl, g->pos, "GROUP BY %" PRId64 ": there are %u columns", g->value.i64,
                          q->item_count);
                return;
            }
            pl->group_by[k] = q->items[g->value.i64 - 1].expr;
        }
        note_columns(pl, pl->group_by[k]);
    }
    note_columns(pl, q->having);
    for (uint32_t o = 0; o < q->order_count && pl->status == COL_OK; o++) {
        const struct sql_node *e = q->order[o].expr;
        bool is_alias = false;
        for (uint32_t i = 0; i < q->item_count && e->kind == SQL_COLUMN && e->table[0] == '\0';
             i++) {
            is_alias |= strcmp(q->items[i].alias, e->name) == 0;
        }
        if (!is_alias && !(e->kind == SQL_LITERAL && e->type == COL_INT64)) {
            note_columns(pl, e);
        }
    }
}

/* Whether the tree at root is at most SQL_DEPTH_MAX deep, found without recursion: the planner
 * recurses over trees, and the parser builds chains (NOT NOT ..., a + a + ...) as deep as its
 * node limit. Fails the plan when it is deeper. */
static bool
depth_fits(struct planner *pl, const struct sql_node *root)
{
    struct frame {
        const struct sql_node *n;
        uint32_t depth;
    };
    if (root == NULL) {
        return true;
    }
    struct frame *stack = malloc(SQL_NODES_MAX * sizeof(*stack));
    if (stack == NULL) {
        plan_engine_fail(pl, col_fail(pl->err, COL_NOMEM, "planner: out of memory"));
        return false;
    }
    uint32_t top = 0;
    stack[top++] = (struct frame){root, 1};
    bool is_fit = true;
    while (top > 0 && is_fit) {
        struct frame f = stack[--top];
        if (f.depth > SQL_DEPTH_MAX) {
            plan_fail(pl, f.n->pos, "the expression nests deeper than %u", SQL_DEPTH_MAX);
            is_fit = false;
        }
        for (uint32_t i = 0; i < f.n->arg_count && is_fit && top < SQL_NODES_MAX; i++) {
            stack[top++] = (struct frame){f.n->args[i], f.depth + 1};
        }
    }
    free(stack);
    return is_fit;
}

static bool
depths_fit(struct planner *pl)
{
    const struct sql_select *q = pl->q;
    bool is_fit = depth_fits(pl, q->where) && depth_fits(pl, q->having);
    for (uint32_t i = 0; i < q->item_count && is_fit; i++) {
        is_fit = depth_fits(pl, q->items[i].expr);
    }
    for (uint32_t t = 0; t < q->table_count && is_fit; t++) {
        is_fit = depth_fits(pl, q->tables[t].join_on);
    }
    for (uint32_t k = 0; k < q->group_count && is_fit; k++) {
        is_fit = depth_fits(pl, q->group_by[k]);
    }
    for (uint32_t o = 0; o < q->order_count && is_fit; o++) {
        is_fit = depth_fits(pl, q->order[o].expr);
    }
    return is_fit;
}

static void
planner_build(struct planner *pl)
{
    const struct sql_select *q = pl->q;
    if (!depths_fit(pl)) {
        return;
    }
    for (uint32_t p = 0; p < PLAN_PIPELINES_MAX; p++) {
        pl->texts[p].build_for = -1;
        for (uint32_t k = 0; k < EXEC_OPS_MAX; k++) {
            pl->builds_of[p][k] = -1;
        }
    }
    plan_bind(pl);
    if (pl->status != COL_OK) {
        return;
    }
    pl->is_grouped = q->group_count > 0 || q->having != NULL;
    for (uint32_t i = 0; i < q->item_count; i++) {
        pl->is_grouped |= has_aggregate(q->items[i].expr);
    }
    if (pl->is_grouped) {
        if (q->is_star) {
            plan_fail(pl, 0, "SELECT * with GROUP BY or an aggregate");
            return;
        }
        for (uint32_t i = 0; i < q->item_count; i++) {
            collect_aggregates(pl, q->items[i].expr);
        }
        collect_aggregates(pl, q->having);
        for (uint32_t o = 0; o < q->order_count; o++) {
            collect_aggregates(pl, q->order[o].expr);
        }
    }
    /* The main pipeline is first in the list but runs after the builds it probes. */
    uint32_t main = 0;
    struct layout l;
    plan_joins(pl, main, &l);
    if (pl->status != COL_OK) {
        return;
    }
    if (pl->is_grouped) {
        plan_group_by(pl, main, &l);
    } else {
        struct scope sc = {.layout = &l};
        plan_output(pl, &pl->pipes[main], &pl->texts[main], &l, &sc);
    }
}

/* ---- Running ------------------------------------------------------------------------------ */

static uint64_t
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Runs pipeline i after the builds it probes. */
static col_status
run_pipeline(struct planner *pl, uint32_t i, struct col_error *err)
{
    if (pl->has_run[i]) {
        return COL_OK;
    }
    struct exec_pipeline *p = &pl->pipes[i];
    for (uint32_t k = 0; k < p->op_count; k++) {
        int32_t b = pl->builds_of[i][k];
        if (b >= 0) {
            col_status status = run_pipeline(pl, (uint32_t)b, err);
            if (status != COL_OK) {
                return status;
            }
            p->ops[k].table = pl->results[b].table;
        }
    }
    if (p->source == EXEC_SOURCE_MAT) { /* the groups the main pipeline (0) made */
        col_status status = run_pipeline(pl, 0, err);
        if (status != COL_OK) {
            return status;
        }
        p->mat = &pl->results[0].rows;
    }
    col_status status = exec_run(p, pl->threads, &pl->results[i], &pl->stats[i], err);
    pl->has_run[i] = status == COL_OK;
    return status;
}

static void
planner_free(struct planner *pl)
{
    for (uint32_t i = 0; i < pl->pipe_count; i++) {
        if (pl->has_run[i]) {
            exec_result_free(&pl->results[i]);
        }
    }
    for (uint32_t i = 0; i < pl->pool_count; i++) {
        free(pl->pools[i]);
    }
    for (uint32_t i = 0; i < pl->string_count; i++) {
        free(pl->strings[i]);
    }
}

/* ---- EXPLAIN ------------------------------------------------------------------------------ */

struct text {
    char *bytes;
    size_t used;
    size_t size;
    bool is_short; /* out of memory: the text is cut */
};

static void text_put(struct text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void
text_put(struct text *t, const char *format, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, format);
        int n = vsnprintf(t->bytes + t->used, t->size - t->used, format, ap);
        va_end(ap);
        if (n < 0 || (size_t)n < t->size - t->used) {
            t->used += n < 0 ? 0 : (size_t)n;
            return;
        }
        size_t size = t->size * 2 + (size_t)n;
        char *grown = realloc(t->bytes, size);
        if (grown == NULL) {
            t->is_short = true;
            return;
        }
        t->bytes = grown;
        t->size = size;
    }
}

static const char *
count_text(uint64_t n, char out[32])
{
    char digits[32];
    int size = snprintf(digits, sizeof(digits), "%" PRIu64, n), at = 0;
    for (int i = 0; i < size; i++) {
        if (i > 0 && (size - i) % 3 == 0) {
            out[at++] = ',';
        }
        out[at++] = digits[i];
    }
    out[at] = '\0';
    return out;
}

static void
explain_scan_columns(struct text *t, const struct planner *pl, uint32_t i, const char *indent)
{
    const struct exec_stats *st = &pl->stats[i];
    const struct exec_pipeline *p = &pl->pipes[i];
    char a[32], b[32], c[32];
    text_put(t, "%s  row groups: %s of %s pruned by zone maps; rows scanned %s\n", indent,
             count_text(st->scan.groups_pruned, a), count_text(st->scan.groups, b),
             count_text(st->scan.rows_scanned, c));
    for (uint32_t col = 0; col < p->scan.column_count; col++) {
        const struct scan_column_stats *cs = &st->scan.columns[col];
        text_put(t,
                 "%s  %-16s %s bytes, %s rows touched, chunks %" PRIu64 " hot %" PRIu64
                 " warm %" PRIu64 " cold\n",
                 indent, pl->texts[i].column_names[col], count_text(cs->bytes, a),
                 count_text(cs->rows_touched, b), cs->chunks[COL_TIER_HOT],
                 cs->chunks[COL_TIER_WARM], cs->chunks[COL_TIER_COLD]);
    }
}

/* An empty text; is_short when it could not be made. */
static struct text
text_new(void)
{
    struct text t = {.bytes = malloc(4096), .size = 4096};
    if (t.bytes == NULL) {
        t.size = 0;
        t.is_short = true;
        return t;
    }
    t.bytes[0] = '\0';
    return t;
}

static char *
explain_text(const struct planner *pl, bool is_analyzed)
{
    struct text t = text_new();
    if (t.is_short) {
        return NULL;
    }
    char a[32], b[32];
    /* In the order they run: builds, then main, then the output of a GROUP BY. */
    for (uint32_t pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < pl->pipe_count; i++) {
            bool is_build = pl->pipes[i].sink == EXEC_SINK_BUILD;
            if ((pass == 0) != is_build) {
                continue;
            }
            const struct exec_pipeline *p = &pl->pipes[i];
            const struct exec_stats *st = &pl->stats[i];
            text_put(&t, "pipeline %u (%s)", i + 1, pl->texts[i].title);
            if (is_analyzed) {
                text_put(&t, ": %.3f ms on %u threads", (double)st->wall_ns / 1e6, st->threads);
            }
            text_put(&t, "\n  %s", pl->texts[i].source);
            if (is_analyzed) {
                text_put(&t, "  -> %s rows", count_text(st->source_rows, a));
            }
            text_put(&t, "\n");
            if (is_analyzed && p->source == EXEC_SOURCE_SCAN) {
                explain_scan_columns(&t, pl, i, "  ");
            }
            for (uint32_t k = 0; k < p->op_count; k++) {
                text_put(&t, "  %s", pl->texts[i].ops[k]);
                if (pl->builds_of[i][k] >= 0) {
                    text_put(&t, " (the table of pipeline %d)", pl->builds_of[i][k] + 1);
                }
                if (is_analyzed) {
                    text_put(&t, "  -> %s of %s rows", count_text(st->ops[k].rows_out, a),
                             count_text(st->ops[k].rows_in, b));
                }
                text_put(&t, "\n");
            }
            text_put(&t, "  %s", pl->texts[i].sink);
            if (is_analyzed) {
                text_put(&t, "  -> %s rows held", count_text(st->sink.rows_out, a));
            }
            text_put(&t, "\n");
        }
    }
    if (t.is_short) {
        free(t.bytes);
        return NULL;
    }
    return t.bytes;
}

/* A graphviz label: quotes and backslashes escaped. */
static void
dot_label(struct text *t, const char *s)
{
    for (; *s != '\0'; s++) {
        text_put(t, "%s%c", *s == '"' || *s == '\\' ? "\\" : "", *s);
    }
}

static char *
explain_dot(const struct planner *pl, bool is_analyzed)
{
    struct text t = text_new();
    if (t.is_short) {
        return NULL;
    }
    char a[32];
    text_put(&t, "digraph plan {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\", "
                 "fontsize=10];\n");
    for (uint32_t i = 0; i < pl->pipe_count; i++) {
        const struct exec_pipeline *p = &pl->pipes[i];
        const struct exec_stats *st = &pl->stats[i];
        text_put(&t, "  subgraph cluster_%u {\n    label=\"pipeline %u (%s)\";\n", i, i + 1,
                 pl->texts[i].title);
        text_put(&t, "    p%u_src [label=\"", i);
        dot_label(&t, pl->texts[i].source);
        if (is_analyzed) {
            text_put(&t, "\\n%s rows", count_text(st->source_rows, a));
            if (p->source == EXEC_SOURCE_SCAN) {
                uint64_t bytes = 0;
                for (uint32_t c = 0; c < p->scan.column_count; c++) {
                    bytes += st->scan.columns[c].bytes;
                }
                text_put(&t, ", %s bytes read", count_text(bytes, a));
            }
        }
        text_put(&t, "\"];\n");
        for (uint32_t k = 0; k < p->op_count; k++) {
            text_put(&t, "    p%u_op%u [label=\"", i, k);
            dot_label(&t, pl->texts[i].ops[k]);
            if (is_analyzed) {
                text_put(&t, "\\n%s rows", count_text(st->ops[k].rows_out, a));
            }
            text_put(&t, "\"];\n");
        }
        text_put(&t, "    p%u_sink [label=\"", i);
        dot_label(&t, pl->texts[i].sink);
        if (is_analyzed) {
            text_put(&t, "\\n%s rows", count_text(st->sink.rows_out, a));
        }
        text_put(&t, "\", style=rounded];\n");
        text_put(&t, "    p%u_src", i);
        for (uint32_t k = 0; k < p->op_count; k++) {
            text_put(&t, " -> p%u_op%u", i, k);
        }
        text_put(&t, " -> p%u_sink;\n  }\n", i);
    }
    for (uint32_t i = 0; i < pl->pipe_count; i++) {
        for (uint32_t k = 0; k < pl->pipes[i].op_count; k++) {
            if (pl->builds_of[i][k] >= 0) {
                text_put(&t, "  p%d_sink -> p%u_op%u [style=dashed, label=\"hash table\"];\n",
                         pl->builds_of[i][k], i, k);
            }
        }
        if (pl->pipes[i].source == EXEC_SOURCE_MAT) {
            text_put(&t, "  p0_sink -> p%u_src [style=dashed, label=\"groups\"];\n", i);
        }
    }
    text_put(&t, "}\n");
    if (t.is_short) {
        free(t.bytes);
        return NULL;
    }
    return t.bytes;
}

/* ---- The query ---------------------------------------------------------------------------- */

static uint32_t
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)EXEC_THREADS_MAX ? EXEC_THREADS_MAX : (uint32_t)n;
}

col_status
query_run(struct catalog *c, const char *text, size_t size, const struct query_options *options,
          struct query_result *out, size_t *used, struct sql_position *where, struct col_error *err)
{
    uint64_t start = now_ns();
    struct sql_select q;
    col_status status = sql_parse(text, size, &q, used, where, err);
    if (status != COL_OK) {
        return status;
    }
    struct planner *pl = calloc(1, sizeof(*pl));
    if (pl == NULL) {
        sql_select_free(&q);
        return col_fail(err, COL_NOMEM, "planner: out of memory");
    }
    *pl = (struct planner){.catalog = c,
                           .q = &q,
                           .text = text,
                           .size = size,
                           .threads =
                               options != NULL && options->threads > 0 ? options->threads : cores(),
                           .err = err,
                           .where = where};
    planner_build(pl);
    status = pl->status;
    struct query_result r = {0};
    bool is_run = status == COL_OK && (!q.is_explain || q.is_analyze);
    for (uint32_t i = 0; is_run && i < pl->pipe_count && status == COL_OK; i++) {
        status = run_pipeline(pl, i, err);
    }
    if (status == COL_OK && q.is_explain) {
        r.plan_text = explain_text(pl, q.is_analyze);
        r.plan_dot = explain_dot(pl, q.is_analyze);
        if (r.plan_text == NULL || r.plan_dot == NULL) {
            free(r.plan_text);
            free(r.plan_dot);
            status = col_fail(err, COL_NOMEM, "EXPLAIN: out of memory");
        }
    } else if (status == COL_OK) {
        uint32_t last = 0; /* the one pipeline that sorts or collects the output */
        for (uint32_t i = 0; i < pl->pipe_count; i++) {
            if (pl->pipes[i].sink == EXEC_SINK_SORT || pl->pipes[i].sink == EXEC_SINK_COLLECT) {
                last = i;
            }
        }
        r.rows = pl->results[last].rows;
        r.has_rows = true;
        pl->results[last].has_rows = false; /* moved */
        if (pl->is_limited && r.rows.row_count > pl->limit) {
            r.rows.row_count = pl->limit;
        }
        r.column_count = pl->item_count;
        memcpy(r.names, pl->item_names, sizeof(r.names));
    }
    r.wall_ns = now_ns() - start;
    planner_free(pl);
    free(pl);
    sql_select_free(&q);
    if (status == COL_OK) {
        *out = r;
    }
    return status;
}

void
query_result_free(struct query_result *r)
{
    if (r->has_rows) {
        mat_free(&r->rows);
        r->has_rows = false;
    }
    free(r->plan_text);
    free(r->plan_dot);
    r->plan_text = NULL;
    r->plan_dot = NULL;
}

size_t
query_value_text(const struct query_result *r, uint32_t column, uint64_t row, char *out,
                 size_t out_size, bool *is_null)
{
    *is_null = !mat_is_valid(&r->rows, column, row);
    if (*is_null) {
        if (out_size > 0) {
            out[0] = '\0';
        }
        return 0;
    }
    union col_datum d = mat_value(&r->rows, column, row);
    char text[64];
    switch (r->rows.types[column]) {
    case COL_STRING:
        return (size_t)snprintf(out, out_size, "%.*s", (int)d.str.size_bytes, d.str.ptr);
    case COL_DECIMAL:
        col_decimal_format(d.i64, r->rows.scales[column], text, sizeof(text));
        break;
    case COL_DATE:
        col_date_format((int32_t)d.i64, text);
        break;
    case COL_FLOAT64:
        snprintf(text, sizeof(text), "%.15g", d.f64);
        if (strspn(text, "-0123456789") == strlen(text)) {
            strcat(text, ".0"); /* SQLite prints a whole REAL with its point */
        }
        break;
    default:
        snprintf(text, sizeof(text), "%" PRId64, d.i64);
        break;
    }
    return (size_t)snprintf(out, out_size, "%s", text);
}
