/* test_e_sql.c -- part E: whole queries. The engine, driven by the given parser and planner,
 * answers TPC-H's Q1, Q3, Q5, Q6, Q10 and Q12 on the lab's generated tables as SQLite answers
 * the same text on the same rows, on one thread and on two; EXPLAIN shows the pipelines and
 * EXPLAIN ANALYZE what each did; bad SQL and damaged tables give clear errors and leave the
 * database answering. Read test_e_q1_matches_sqlite first. */
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
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
