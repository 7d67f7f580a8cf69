/* test_e_sql.c -- part E: whole queries. The engine, driven by the given parser and planner,
 * answers TPC-H's Q1, Q3, Q5, Q6, Q10 and Q12 on the lab's generated tables as SQLite answers
 * the same text on the same rows, on one thread and on two; EXPLAIN shows the pipelines and
 * EXPLAIN ANALYZE what each did; bad SQL and damaged tables give clear errors and leave the
 * database answering. Read test_e_q1_matches_sqlite first. */
#include "scan_test.h"
#include "sql_test.h"

#include <fcntl.h>

/* Checks one query on one and on two threads, over tables of row groups of 4,096 rows (so
 * several morsels). */
static void
check_query(const char *sql)
{
    struct sql_fixture fx;
    sql_fixture_open(&fx, 4096);
    expect_same_answer(&fx, sql, true, 1);
    expect_same_answer(&fx, sql, true, 2);
    sql_fixture_close(&fx);
}

/* Claim: TPC-H Q1 (a scan, a filter, GROUP BY with exact decimal sums, averages and counts,
 * ORDER BY) gives SQLite's rows, numbers within 1e-9 relative. */
static void
test_e_q1_matches_sqlite(void **state)
{
    (void)state;
    check_query(tpch_query(1));
}

/* Claim: Q3 (three tables joined, a GROUP BY on three keys, a top-10) gives SQLite's rows. */
static void
test_e_q3_matches_sqlite(void **state)
{
    (void)state;
    check_query(tpch_query(3));
}

/* Claim: Q5 (six tables, a join on two keys at once) gives SQLite's rows. */
static void
test_e_q5_matches_sqlite(void **state)
{
    (void)state;
    check_query(tpch_query(5));
}

/* Claim: Q6 (a selective filter of four conjuncts and one sum) gives SQLite's revenue. */
static void
test_e_q6_matches_sqlite(void **state)
{
    (void)state;
    check_query(tpch_query(6));
}

/* Claim: Q10 (four tables, GROUP BY seven keys with strings, a top-20) gives SQLite's rows. */
static void
test_e_q10_matches_sqlite(void **state)
{
    (void)state;
    check_query(tpch_query(10));
}

/* Claim: Q12 (CASE inside SUM, IN, comparisons of two columns) gives SQLite's rows. */
static void
test_e_q12_matches_sqlite(void **state)
{
    (void)state;
    check_query(tpch_query(12));
}

/* Claim: EXPLAIN shows the pipelines (scans with their filters, builds, probes, the GROUP BY,
 * the sort) without running them; EXPLAIN ANALYZE runs them and shows each operator's rows,
 * which agree with the query's answer, and the bytes each scanned column cost; both come with
 * a graphviz digraph. */
static void
test_e_explain_shows_pipelines_and_counts(void **state)
{
    (void)state;
    struct sql_fixture fx;
    sql_fixture_open(&fx, 4096);
    static char sql[4096];
    for (uint32_t analyze = 0; analyze < 2; analyze++) {
        snprintf(sql, sizeof(sql), "EXPLAIN %s%s", analyze ? "ANALYZE " : "", tpch_query(3));
        struct query_result r;
        struct col_error err = {0};
        size_t used;
        col_status status = query_run(fx.catalog, sql, strlen(sql), NULL, &r, &used, NULL, &err);
        if (status != COL_OK) {
            fail_msg("%s is %s: %s", sql, status_name(status), err.message);
        }
        static const char *const words[] = {"SCAN lineitem", "SCAN orders", "SCAN customer",
                                            "BUILD",         "PROBE",       "GROUP BY",
                                            "SORT",          "LIMIT 10"};
        for (uint32_t w = 0; w < KH_ARRAY_LEN(words); w++) {
            if (strstr(r.plan_text, words[w]) == NULL) {
                fail_msg("EXPLAIN%s of Q3 does not mention '%s':\n%s", analyze ? " ANALYZE" : "",
                         words[w], r.plan_text);
            }
        }
        if (strncmp(r.plan_dot, "digraph", 7) != 0 || strchr(r.plan_dot, '}') == NULL) {
            fail_msg("EXPLAIN's graphviz text is not a digraph:\n%s", r.plan_dot);
        }
        bool has_counts = strstr(r.plan_text, "rows touched") != NULL &&
                          strstr(r.plan_text, "-> 10 rows held") != NULL &&
                          strstr(r.plan_text, "pruned by zone maps") != NULL;
        if (has_counts != (analyze == 1)) {
            fail_msg("EXPLAIN%s of Q3 %s the counts of a run (rows touched per column, the 10 "
                     "rows held by the top-N, row groups pruned):\n%s",
                     analyze ? " ANALYZE" : "", analyze ? "lacks" : "shows", r.plan_text);
        }
        query_result_free(&r);
    }
    sql_fixture_close(&fx);
}

/* Runs sql, which must fail with status, its message holding want (and, for COL_PARSE, the
 * position line and column). */
static void
expect_error(struct sql_fixture *fx, const char *sql, col_status want_status, const char *want,
             uint32_t line, uint32_t column)
{
    struct query_result r;
    struct col_error err = {0};
    struct sql_position where = {0};
    size_t used;
    col_status status = query_run(fx->catalog, sql, strlen(sql), NULL, &r, &used, &where, &err);
    if (status == COL_OK) {
        query_result_free(&r);
    }
    if (status != want_status || strstr(err.message, want) == NULL ||
        (want_status == COL_PARSE && (where.line != line || where.column != column))) {
        fail_msg("%s\nis %s (%s) at line %u, column %u; want %s naming '%s' at line %u, column %u",
                 sql, status_name(status), err.message, where.line, where.column,
                 status_name(want_status), want, line, column);
    }
}

/* Claim: bad SQL is COL_PARSE with the line and column of the mistake and a message that names
 * it (a misspelt keyword, an unknown table or column, an ambiguous column, a column neither
 * grouped nor aggregated, an aggregate in WHERE, types that do not go together, a cross join),
 * and the database goes on answering: Q6 after them gives SQLite's answer. */
static void
test_e_bad_sql_is_named_and_harmless(void **state)
{
    (void)state;
    struct sql_fixture fx;
    sql_fixture_open(&fx, 4096);
    expect_error(&fx, "SELECT l_orderkey FORM lineitem;", COL_PARSE, "FORM", 1, 19);
    expect_error(&fx, "SELECT x FROM nosuch;", COL_PARSE, "nosuch", 1, 15);
    expect_error(&fx, "SELECT l_nosuch FROM lineitem;", COL_PARSE, "l_nosuch", 1, 8);
    expect_error(&fx, "SELECT n_name FROM nation a, nation b WHERE a.n_nationkey = b.n_regionkey;",
                 COL_PARSE, "n_name", 1, 8);
    expect_error(&fx, "SELECT l_orderkey, count(*) FROM lineitem\nGROUP BY l_linenumber;",
                 COL_PARSE, "l_orderkey", 1, 8);
    expect_error(&fx, "SELECT count(*) FROM lineitem WHERE sum(l_tax) > 1;", COL_PARSE, "aggregate",
                 1, 37);
    expect_error(&fx, "SELECT l_comment + 1 FROM lineitem;", COL_PARSE, "+", 1, 8);
    expect_error(&fx, "SELECT count(*) FROM region, nation;", COL_PARSE, "cross join", 1, 22);
    expect_same_answer(&fx, tpch_query(6), true, 2);
    sql_fixture_close(&fx);
}

/* Flips a byte in the middle of chunk (group, column) of table name in dir. */
static void
damage(const struct sql_fixture *fx, const char *name, uint32_t group, uint32_t column)
{
    char path[TEST_PATH_MAX], file[64];
    snprintf(file, sizeof(file), "%s%s", name, COL_FILE_SUFFIX);
    test_path(path, fx->dir, file);
    struct col_table *t = table_open_or_fail(path);
    const struct col_chunk_meta *m = col_table_chunk(t, group, column);
    off_t at = (off_t)(m->offset + m->size_bytes / 2);
    col_table_close(t);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0xff;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);
}

/* Claim: a query that needs a damaged chunk stops with COL_CORRUPT naming the file, and one that
 * needs none of it (another column, or another table) still answers as SQLite does; a
 * truncated table is COL_CORRUPT at its first use. */
static void
test_e_damaged_tables_give_clear_errors(void **state)
{
    (void)state;
    struct sql_fixture fx;
    sql_fixture_open(&fx, 4096);
    damage(&fx, "lineitem", 1, 10); /* l_shipdate of row group 1 */
    expect_error(&fx, tpch_query(6), COL_CORRUPT, "lineitem", 0, 0);
    expect_same_answer(&fx, "SELECT count(*), sum(l_quantity) FROM lineitem;", true, 2);
    expect_same_answer(&fx, "SELECT o_orderpriority, count(*) FROM orders GROUP BY 1;", false, 1);
    char path[TEST_PATH_MAX];
    test_path(path, fx.dir, "orders" COL_FILE_SUFFIX);
    assert_int_equal(truncate(path, 1000), 0);
    expect_error(&fx,
                 "SELECT count(*) FROM part, partsupp, orders WHERE p_partkey = ps_partkey "
                 "AND ps_suppkey = o_custkey;",
                 COL_CORRUPT, "orders", 0, 0);
    expect_same_answer(&fx, "SELECT p_brand, count(*) FROM part GROUP BY p_brand;", false, 2);
    sql_fixture_close(&fx);
}

/* Claim: the forms of SQL the six queries do not use give SQLite's rows too: SELECT * over a
 * join (columns in FROM's order), JOIN ... ON, HAVING over a grouped date, GROUP BY and ORDER BY
 * an alias, BETWEEN dates and IN decimals, a negative constant, LIKE, ORDER BY positions and
 * DESC, LIMIT. */
static void
test_e_sql_forms_match_sqlite(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "SELECT * FROM region, nation WHERE r_regionkey = n_regionkey ORDER BY n_nationkey;",
        "SELECT o_orderdate, count(*) FROM orders GROUP BY o_orderdate\n"
        "HAVING o_orderdate >= '1998-07-01' ORDER BY 1;",
        "SELECT l_returnflag AS f, count(*) AS n FROM lineitem GROUP BY f HAVING count(*) > 10\n"
        "ORDER BY n DESC;",
        "SELECT n_name, count(*) FROM nation JOIN region ON n_regionkey = r_regionkey\n"
        "WHERE r_name <> 'ASIA' GROUP BY n_name ORDER BY n_name LIMIT 5;",
        "SELECT count(*), sum(l_quantity) FROM lineitem\n"
        "WHERE l_shipdate BETWEEN '1995-01-01' AND '1995-03-31' AND l_discount IN (0.05, 0.06);",
        "SELECT c_mktsegment, count(*), min(c_name), max(c_phone) FROM customer\n"
        "WHERE c_acctbal > -100 GROUP BY 1 ORDER BY 2 DESC, 1;",
        "SELECT p_brand, p_size, count(*) FROM part WHERE p_size > -5 AND p_brand LIKE 'Brand#1%'\n"
        "GROUP BY p_brand, p_size ORDER BY 3 DESC, 1, 2 LIMIT 7;",
        "SELECT s_name, ps_availqty FROM supplier, partsupp\n"
        "WHERE s_suppkey = ps_suppkey AND ps_partkey = 7 ORDER BY s_name;",
    };
    struct sql_fixture fx;
    sql_fixture_open(&fx, 4096);
    for (uint32_t i = 0; i < KH_ARRAY_LEN(forms); i++) {
        expect_same_answer(&fx, forms[i], true, 1 + i % 2);
    }
    sql_fixture_close(&fx);
}

/* ---- Seeded queries over a seeded table ------------------------------------------------ */

#define RANDOM_ROWS 6000u  /* six row groups of 1,000: several morsels */
#define RANDOM_QUERIES 60u /* about 0.3 s with SQLite's share */

static struct model g_model;

/* The model's rows into SQLite's table t: decimals as doubles, dates as YYYY-MM-DD. */
static void
sqlite_load_model(sqlite3 *db, const struct model *m)
{
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE t(i INTEGER, j INTEGER, p REAL, q REAL, f REAL, "
                                  "d TEXT, s TEXT, t TEXT, k INTEGER, r REAL)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (uint32_t row = 0; row < m->rows; row++) {
        for (uint32_t c = 0; c < TB_COLUMNS; c++) {
            const struct vec *v = &m->all.columns[c];
            union col_datum d = vec_value(v, row);
            int at = (int)c + 1;
            if (!vec_is_valid(v, row)) {
                sqlite3_bind_null(st, at);
            } else if (v->type == COL_DECIMAL) {
                sqlite3_bind_double(st, at, (double)d.i64 / (double)col_pow10(v->scale));
            } else if (v->type == COL_FLOAT64) {
                sqlite3_bind_double(st, at, d.f64);
            } else if (v->type == COL_DATE) {
                char text[11];
                col_date_format((int32_t)d.i64, text);
                sqlite3_bind_text(st, at, text, -1, SQLITE_TRANSIENT);
            } else if (v->type == COL_STRING) {
                sqlite3_bind_text(st, at, d.str.ptr, (int)d.str.size_bytes, SQLITE_TRANSIENT);
            } else {
                sqlite3_bind_int64(st, at, d.i64);
            }
        }
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_finalize(st);
}

/* Appends a seeded condition over t's columns to out: comparisons with constants of every
 * type, BETWEEN, IN, IS [NOT] NULL, NOT, AND, OR. */
static void
random_condition(char *out, size_t size, struct kh_rng *rng, unsigned depth)
{
    static const char *const numbers[] = {"i", "j", "p", "q", "f", "k", "r"};
    static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
    size_t at = strlen(out);
    const char *num = numbers[kh_rng_below(rng, KH_ARRAY_LEN(numbers))];
    const char *op = ops[kh_rng_below(rng, KH_ARRAY_LEN(ops))];
    int64_t n = (int64_t)kh_rng_below(rng, 2001) - 1000;
    switch (depth == 0 ? kh_rng_below(rng, 6) : kh_rng_below(rng, 9)) {
    case 0:
        snprintf(out + at, size - at, "%s %s %s", num, op,
                 kh_rng_below(rng, 2)   ? "7"
                 : kh_rng_below(rng, 2) ? "-12.5"
                                        : "300");
        if (kh_rng_below(rng, 2)) {
            snprintf(out + at, size - at, "%s %s %lld.%02u", num, op, (long long)n / 10,
                     (unsigned)kh_rng_below(rng, 100));
        }
        break;
    case 1: {
        char date[11];
        col_date_format(8000 + (int32_t)kh_rng_below(rng, 3000), date);
        snprintf(out + at, size - at, "d %s '%s'", op, date);
        break;
    }
    case 2:
        snprintf(out + at, size - at, "%s %s '%s'", kh_rng_below(rng, 2) ? "s" : "t", op,
                 tb_words[kh_rng_below(rng, KH_ARRAY_LEN(tb_words))]);
        break;
    case 3:
        snprintf(out + at, size - at, "%s IS %sNULL", tb_names[kh_rng_below(rng, TB_COLUMNS)],
                 kh_rng_below(rng, 2) ? "NOT " : "");
        break;
    case 4:
        snprintf(out + at, size - at, "%s BETWEEN %lld AND %lld", num, (long long)n,
                 (long long)n + (int64_t)kh_rng_below(rng, 900));
        break;
    case 5:
        if (kh_rng_below(rng, 2)) {
            snprintf(out + at, size - at, "%s IN (7, %lld, 700)", num, (long long)n);
        } else {
            snprintf(out + at, size - at, "t IN ('MAIL', '%s', 'zz')",
                     tb_words[kh_rng_below(rng, KH_ARRAY_LEN(tb_words))]);
        }
        break;
    case 6:
        snprintf(out + at, size - at, "NOT (");
        random_condition(out, size, rng, depth - 1);
        at = strlen(out);
        snprintf(out + at, size - at, ")");
        break;
    default:
        snprintf(out + at, size - at, "(");
        random_condition(out, size, rng, depth - 1);
        at = strlen(out);
        snprintf(out + at, size - at, kh_rng_below(rng, 2) ? " AND " : " OR ");
        random_condition(out, size, rng, depth - 1);
        at = strlen(out);
        snprintf(out + at, size - at, ")");
        break;
    }
}

/* A seeded query over t: columns and arithmetic, or a GROUP BY with aggregates, under a seeded
 * WHERE, ordered by every output column (so that the order, and a LIMIT, are fixed). */
static void
random_query(char *out, size_t size, struct kh_rng *rng)
{
    static const char *const plain[] = {"i", "j", "p", "q",     "f",         "d",         "s",
                                        "t", "k", "r", "i + j", "k * 3 - i", "j - 2 * k", "p * 2"};
    static const char *const keys[] = {"s", "k", "t", "r"};
    static const char *const aggs[] = {"count(*)", "count(r)", "sum(i)", "sum(p)", "min(t)",
                                       "max(d)",   "avg(j)",   "min(q)", "max(s)", "sum(f)"};
    uint32_t columns = 1 + (uint32_t)kh_rng_below(rng, 4);
    bool is_grouped = kh_rng_below(rng, 2);
    uint32_t key_count = is_grouped ? (uint32_t)kh_rng_below(rng, 3) : 0;
    int at = snprintf(out, size, "SELECT ");
    for (uint32_t k = 0; k < key_count; k++) {
        at += snprintf(out + at, size - (size_t)at, "%s%s", k ? ", " : "",
                       keys[(k * 2 + kh_rng_below(rng, 2)) % 4]);
    }
    for (uint32_t c = 0; c < columns; c++) {
        const char *e = is_grouped ? aggs[kh_rng_below(rng, KH_ARRAY_LEN(aggs))]
                                   : plain[kh_rng_below(rng, KH_ARRAY_LEN(plain))];
        at += snprintf(out + at, size - (size_t)at, "%s%s", c || key_count ? ", " : "", e);
    }
    at += snprintf(out + at, size - (size_t)at, " FROM t");
    if (kh_rng_below(rng, 5) != 0) {
        at += snprintf(out + at, size - (size_t)at, " WHERE ");
        random_condition(out, size, rng, (unsigned)kh_rng_below(rng, 3));
        at = (int)strlen(out);
    }
    if (key_count > 0) {
        at += snprintf(out + at, size - (size_t)at, " GROUP BY");
        for (uint32_t k = 0; k < key_count; k++) {
            at += snprintf(out + at, size - (size_t)at, "%s %u", k ? "," : "", k + 1);
        }
    }
    at += snprintf(out + at, size - (size_t)at, " ORDER BY");
    for (uint32_t c = 0; c < key_count + columns; c++) {
        at += snprintf(out + at, size - (size_t)at, "%s %u%s", c ? "," : "", c + 1,
                       kh_rng_below(rng, 3) == 0 ? " DESC" : "");
    }
    if (kh_rng_below(rng, 3) == 0) {
        at += snprintf(out + at, size - (size_t)at, " LIMIT %u", (unsigned)kh_rng_below(rng, 40));
    }
    snprintf(out + at, size - (size_t)at, ";");
}

/* Claim: seeded queries over a seeded table (every type, NULLs, row groups of 1,000 rows) give
 * SQLite's rows, in order: filters of every kind, arithmetic, GROUP BY with every aggregate,
 * ORDER BY ascending and descending, LIMIT; on one thread and on two. */
static void
test_e_random_queries_match_sqlite(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    struct sql_fixture fx;
    test_dir_make(fx.dir);
    char path[TEST_PATH_MAX];
    test_path(path, fx.dir, "t" COL_FILE_SUFFIX);
    model_make(&g_model, &rng, RANDOM_ROWS, 1000, 15, path);
    assert_status(catalog_open(fx.dir, 64u << 20, &fx.catalog, NULL), COL_OK);
    assert_int_equal(sqlite3_open(":memory:", &fx.db), SQLITE_OK);
    sqlite_load_model(fx.db, &g_model);
    static char sql[4096];
    for (uint32_t n = 0; n < RANDOM_QUERIES; n++) {
        random_query(sql, sizeof(sql), &rng);
        expect_same_answer(&fx, sql, true, 1 + n % 2);
    }
    sql_fixture_close(&fx);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_q1_matches_sqlite),
        cmocka_unit_test(test_e_q3_matches_sqlite),
        cmocka_unit_test(test_e_q5_matches_sqlite),
        cmocka_unit_test(test_e_q6_matches_sqlite),
        cmocka_unit_test(test_e_q10_matches_sqlite),
        cmocka_unit_test(test_e_q12_matches_sqlite),
        cmocka_unit_test(test_e_explain_shows_pipelines_and_counts),
        cmocka_unit_test(test_e_bad_sql_is_named_and_harmless),
        cmocka_unit_test(test_e_damaged_tables_give_clear_errors),
        cmocka_unit_test(test_e_random_queries_match_sqlite),
        cmocka_unit_test(test_e_sql_forms_match_sqlite),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
