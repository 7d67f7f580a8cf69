/* plan.h -- part E: a database directory, and SQL run on it (lab 05). Given code
 * (plan_given.c): the planner turns a parsed SELECT (sql.h) into pipelines (exec.h) and runs
 * them with your engine; EXPLAIN shows the pipelines, and EXPLAIN ANALYZE runs them and shows
 * what each operator did, rows and bytes.
 *
 * How a SELECT becomes pipelines:
 *   - WHERE and every JOIN ... ON are cut at their ANDs into conjuncts. A conjunct over one
 *     table goes into that table's scan (part C runs it first, and prunes by zone maps). A
 *     column = column conjunct between two tables is a join key. Any other conjunct is a
 *     filter after the join that brings its last table in.
 *   - Joins are left-deep: the largest table is scanned and streamed; each other table is
 *     scanned (with its own conjuncts) into a hash table first, then probed in turn. Next comes
 *     the table tied to those already joined whose rows each probe row meets fewest of, by its
 *     zone maps (rows over the span of its key's values), then the smallest. A join key is a
 *     pair of integers, or two columns of one type and scale; a table with no such key to the
 *     others is refused (no cross joins).
 *   - GROUP BY and aggregates: a projection of the keys and the aggregates' arguments, into a
 *     hash aggregate. HAVING, the select list and ORDER BY then run over its groups.
 *   - ORDER BY (with LIMIT, a top-N) sorts the projected rows; LIMIT alone cuts them.
 * A string literal compared with a DATE column is read as a date. */
#ifndef KEEL_PLAN_H
#define KEEL_PLAN_H

#include "exec.h"
#include "sql.h"

#define PLAN_PIPELINES_MAX (SQL_TABLES_MAX + 2u)
#define CATALOG_TABLES_MAX 64u

struct catalog; /* a database directory: its NAME.kcol tables, opened as asked, and a cache */

/* Opens the directory dir as a database (it must exist), with a cache of cache_bytes for hot
 * and as much for warm chunks. Tables are opened when a query first names them. Returns
 * COL_OK with *out owned by the caller (catalog_close), COL_NOT_FOUND, COL_NOMEM. */
col_status catalog_open(const char *dir, uint64_t cache_bytes, struct catalog **out,
                        struct col_error *err);
void catalog_close(struct catalog *c);

/* The tables of the directory, sorted by name, into names (up to max of them); returns how
 * many there are. For the shell's .tables. */
uint32_t catalog_list(struct catalog *c, char (*names)[SQL_NAME_SIZE_MAX], uint32_t max);

/* The table called name (without .kcol), opened on first use. COL_OK; COL_NOT_FOUND ("no table
 * 'x'"), or a status of col_table_open. */
col_status catalog_table(struct catalog *c, const char *name, const struct col_table **out,
                         struct col_error *err);

struct col_cache *catalog_cache(struct catalog *c);

struct query_options {
    uint32_t threads; /* 0: the machine's cores */
};

/* A query's answer: its columns' names and its rows (types and scales in rows); for EXPLAIN,
 * the plan as text and as a graphviz digraph instead (after EXPLAIN ANALYZE, with each
 * operator's rows and each scanned column's bytes). */
struct query_result {
    uint32_t column_count;
    char names[VEC_COLUMNS_MAX][SQL_NAME_SIZE_MAX];
    struct mat rows;
    bool has_rows;
    char *plan_text; /* malloc'd, NUL-terminated; NULL unless EXPLAIN */
    char *plan_dot;  /* malloc'd, NUL-terminated; NULL unless EXPLAIN */
    uint64_t wall_ns;
};

/* Parses and runs the first statement of text[0 .. size) on c. Returns COL_OK with *out (free
 * with query_result_free) and *used the bytes of text the statement took; COL_PARSE from the
 * parser (where set) or the planner (an unknown table or column, an ambiguous column, types that
 * do not go together, an aggregate where none may be, a column neither grouped nor
 * aggregated: each with the position of the name or expression at fault); COL_NOT_FOUND for
 * text with no statement; a status of the engine's (COL_CORRUPT, COL_TOO_BIG, COL_NOMEM). */
col_status query_run(struct catalog *c, const char *text, size_t size,
                     const struct query_options *options, struct query_result *out, size_t *used,
                     struct sql_position *where, struct col_error *err);

void query_result_free(struct query_result *r);

/* Writes row of r's rows, column by column, as text into out (out_size bytes, always
 * NUL-terminated): integers, decimals with their digits after the point, doubles as SQLite's
 * shell prints them (15 significant digits, a whole number with ".0"), dates YYYY-MM-DD, and ""
 * for NULL with *is_null set. Returns the length it needed. */
size_t query_value_text(const struct query_result *r, uint32_t column, uint64_t row, char *out,
                        size_t out_size, bool *is_null);

#endif
