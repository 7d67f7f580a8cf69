/* sql_test.h -- what part E's tests share: the lab's TPC-H tables generated small, loaded into
 * an in-memory SQLite from the generator's own text, and a comparison of the engine's answer to
 * a query with SQLite's answer to the same text: the same rows, numbers within a stated
 * tolerance (SQLite sums decimals as doubles; the engine sums them exactly), in the same order
 * where ORDER BY fixes it. */
#ifndef KEEL_SQL_TEST_H
#define KEEL_SQL_TEST_H

#include "col_test.h"
#include "plan.h"
#include "tpch.h"

#include <math.h>
#include <sqlite3.h>

#define SQL_TEST_SCALE 0.005 /* 30,000 lines: every query of the six returns rows */
#define SQL_TEST_VALUE_MAX 512u
/* Numbers agree when they differ by at most this, relative (or absolute below 1): the error of
 * SQLite's double sums over 30,000 rows is far below it; a wrong row is far above. */
#define SQL_TEST_TOLERANCE 1e-9

struct sql_fixture {
    char dir[TEST_PATH_MAX];
    struct catalog *catalog;
    sqlite3 *db;
};

/* SQLite's column declaration for a column of the lab's type: dates as text (YYYY-MM-DD
 * compares as dates do), decimals as REAL. */
static TEST_UNUSED const char *
sqlite_type(enum col_type type)
{
    switch (type) {
    case COL_INT32:
    case COL_INT64:
        return "INTEGER";
    case COL_DECIMAL:
    case COL_FLOAT64:
        return "REAL";
    default:
        return "TEXT";
    }
}

/* Loads DIR/NAME.tbl into a new SQLite table of the schema's columns. */
static TEST_UNUSED void
sqlite_load(sqlite3 *db, const char *dir, const char *name, const struct col_schema *schema)
{
    char sql[4096];
    int at = snprintf(sql, sizeof(sql), "CREATE TABLE %s(", name);
    for (uint32_t c = 0; c < schema->column_count; c++) {
        at += snprintf(sql + at, sizeof(sql) - (size_t)at, "%s%s %s", c ? ", " : "",
                       schema->columns[c].name, sqlite_type(schema->columns[c].type));
    }
    snprintf(sql + at, sizeof(sql) - (size_t)at, ")");
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    at = snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES(", name);
    for (uint32_t c = 0; c < schema->column_count; c++) {
        at += snprintf(sql + at, sizeof(sql) - (size_t)at, "%s?", c ? ", " : "");
    }
    snprintf(sql + at, sizeof(sql) - (size_t)at, ")");
    sqlite3_stmt *insert = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &insert, NULL), SQLITE_OK);
    char path[TEST_PATH_MAX], file[SQL_NAME_SIZE_MAX + 8];
    snprintf(file, sizeof(file), "%s.tbl", name);
    test_path(path, dir, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[8192];
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *field = line;
        for (uint32_t c = 0; c < schema->column_count; c++) {
            char *bar = strchr(field, '|');
            assert_non_null(bar);
            *bar = '\0';
            switch (schema->columns[c].type) {
            case COL_INT32:
            case COL_INT64:
                sqlite3_bind_int64(insert, (int)c + 1, strtoll(field, NULL, 10));
                break;
            case COL_DECIMAL:
            case COL_FLOAT64:
                sqlite3_bind_double(insert, (int)c + 1, strtod(field, NULL));
                break;
            default:
                sqlite3_bind_text(insert, (int)c + 1, field, -1, SQLITE_TRANSIENT);
                break;
            }
            field = bar + 1;
        }
        assert_int_equal(sqlite3_step(insert), SQLITE_DONE);
        sqlite3_reset(insert);
    }
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_finalize(insert);
    fclose(f);
}

/* The eight tables at SQL_TEST_SCALE (seeded by the test's seed), as table files for the
 * engine and loaded into SQLite. */
static TEST_UNUSED void
sql_fixture_open(struct sql_fixture *fx, uint32_t group_rows)
{
    test_dir_make(fx->dir);
    struct tpch_options o = {.scale = SQL_TEST_SCALE,
                             .seed = kh_test_seed(),
                             .with_tbl = true,
                             .group_rows = group_rows};
    struct col_error err = {0};
    if (tpch_generate(&o, fx->dir, &err) != COL_OK) {
        fail_msg("tpch_generate: %s", err.message);
    }
    assert_status(catalog_open(fx->dir, 256u << 20, &fx->catalog, NULL), COL_OK);
    assert_int_equal(sqlite3_open(":memory:", &fx->db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(fx->db, "PRAGMA case_sensitive_like = ON", NULL, NULL, NULL),
                     SQLITE_OK);
    for (uint32_t t = 0; t < TPCH_TABLE_COUNT; t++) {
        sqlite_load(fx->db, fx->dir, tpch_table_name((enum tpch_table)t),
                    tpch_schema((enum tpch_table)t));
    }
}

static TEST_UNUSED void
sql_fixture_close(struct sql_fixture *fx)
{
    catalog_close(fx->catalog);
    sqlite3_close(fx->db);
    test_dir_remove(fx->dir);
}

/* One answer: rows of column_count values as text, NULL as a NULL pointer. */
struct answer {
    uint32_t column_count;
    uint64_t row_count;
    char **values; /* row_count * column_count */
};

static TEST_UNUSED void
answer_free(struct answer *a)
{
    for (uint64_t i = 0; i < a->row_count * a->column_count; i++) {
        free(a->values[i]);
    }
    free(a->values);
    memset(a, 0, sizeof(*a));
}

static TEST_UNUSED void
answer_grow(struct answer *a, uint64_t rows)
{
    a->values = realloc(a->values, (rows * a->column_count + 1) * sizeof(char *));
    assert_non_null(a->values);
}

/* The engine's answer to sql, on threads threads. */
static TEST_UNUSED struct answer
engine_answer(struct sql_fixture *fx, const char *sql, uint32_t threads)
{
    struct query_options o = {.threads = threads};
    struct query_result r;
    struct col_error err = {0};
    size_t used;
    col_status status = query_run(fx->catalog, sql, strlen(sql), &o, &r, &used, NULL, &err);
    if (status != COL_OK) {
        fail_msg("the engine's answer to %s\nis %s: %s", sql, status_name(status), err.message);
    }
    struct answer a = {.column_count = r.column_count, .row_count = r.rows.row_count};
    answer_grow(&a, a.row_count);
    static char text[COL_STRING_SIZE_MAX + 64];
    for (uint64_t row = 0; row < a.row_count; row++) {
        for (uint32_t c = 0; c < a.column_count; c++) {
            bool is_null;
            query_value_text(&r, c, row, text, sizeof(text), &is_null);
            a.values[row * a.column_count + c] = is_null ? NULL : strdup(text);
        }
    }
    query_result_free(&r);
    return a;
}

/* SQLite's answer to sql. */
static TEST_UNUSED struct answer
sqlite_answer(struct sql_fixture *fx, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(fx->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_msg("SQLite refuses %s: %s", sql, sqlite3_errmsg(fx->db));
    }
    struct answer a = {.column_count = (uint32_t)sqlite3_column_count(st)};
    uint64_t capacity = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (a.row_count == capacity) {
            capacity = capacity * 2 + 64;
            answer_grow(&a, capacity);
        }
        for (uint32_t c = 0; c < a.column_count; c++) {
            const unsigned char *text = sqlite3_column_text(st, (int)c);
            a.values[a.row_count * a.column_count + c] =
                text == NULL ? NULL : strdup((const char *)text);
        }
        a.row_count++;
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return a;
}

/* Whether two values agree: equal text, or both numbers within SQL_TEST_TOLERANCE. */
static TEST_UNUSED bool
values_agree(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    if (strcmp(a, b) == 0) {
        return true;
    }
    char *end_a, *end_b;
    double x = strtod(a, &end_a), y = strtod(b, &end_b);
    if (end_a == a || *end_a != '\0' || end_b == b || *end_b != '\0') {
        return false;
    }
    double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    return fabs(x - y) <= SQL_TEST_TOLERANCE * (scale > 1 ? scale : 1);
}

static uint32_t g_sort_columns;

static int
row_order(const void *pa, const void *pb)
{
    char *const *a = pa, *const *b = pb;
    for (uint32_t c = 0; c < g_sort_columns; c++) {
        if (a[c] == NULL || b[c] == NULL) {
            if (a[c] != b[c]) {
                return a[c] == NULL ? -1 : 1;
            }
            continue;
        }
        char *end_a, *end_b;
        double x = strtod(a[c], &end_a), y = strtod(b[c], &end_b);
        int order = *end_a == '\0' && *end_b == '\0' && end_a != a[c] && end_b != b[c]
                        ? (x > y) - (x < y)
                        : strcmp(a[c], b[c]);
        if (order != 0) {
            return order;
        }
    }
    return 0;
}

/* Sorts a's rows by every column (for queries whose order is not fixed). Rows are runs of
 * column_count pointers, sorted as blocks. */
static TEST_UNUSED void
answer_sort(struct answer *a)
{
    g_sort_columns = a->column_count;
    if (a->column_count > 0) {
        qsort(a->values, a->row_count, a->column_count * sizeof(char *), row_order);
    }
}

/* Fails unless the engine (on threads threads) and SQLite give the same rows for sql; in the
 * same order when is_ordered, else as sets. */
static TEST_UNUSED void
expect_same_answer(struct sql_fixture *fx, const char *sql, bool is_ordered, uint32_t threads)
{
    struct answer want = sqlite_answer(fx, sql), got = engine_answer(fx, sql, threads);
    if (!is_ordered) {
        answer_sort(&want);
        answer_sort(&got);
    }
    if (got.column_count != want.column_count || got.row_count != want.row_count) {
        fail_msg("%s\non %u threads: %" PRIu64 " rows of %u columns; SQLite gives %" PRIu64
                 " rows of %u",
                 sql, threads, got.row_count, got.column_count, want.row_count, want.column_count);
    }
    for (uint64_t row = 0; row < want.row_count; row++) {
        for (uint32_t c = 0; c < want.column_count; c++) {
            const char *g = got.values[row * got.column_count + c];
            const char *w = want.values[row * want.column_count + c];
            if (!values_agree(g, w)) {
                fail_msg("%s\non %u threads: row %" PRIu64 ", column %u is %s; SQLite says %s", sql,
                         threads, row + 1, c + 1, g ? g : "NULL", w ? w : "NULL");
            }
        }
    }
    answer_free(&want);
    answer_free(&got);
}

#endif
