/* bench_queries.c -- lab 05: TPC-H's Q1, Q3, Q5, Q6, Q10 and Q12 (tpch_query) run by keel on
 * one thread and on two, and by SQLite, on the same generated rows, in turns (keel, keel on two
 * threads, SQLite, for each query, then again), medians of the turns. Both sides start warm:
 * each query runs once on each before the turns, keel's chunks are in its cache (a budget of
 * 4 GiB a tier holds every table at scale 1) and SQLite's pages in its own (a cache of 4 GiB).
 * The data is made once per scale and seed under $KEEL_OUT/data (out/ by default) and reused.
 * Prints CSV: query, rows, keel_ms, keel_2t_ms, sqlite_ms, vs_sqlite (SQLite's time over
 * keel's on one thread), two_threads (keel's one-thread time over its two-thread time). */
#include "tpch_bench.h"

static uint64_t
run_sqlite(sqlite3 *db, uint32_t number, uint64_t *rows)
{
    sqlite3_stmt *st = NULL;
    uint64_t t0 = now_ns();
    if (sqlite3_prepare_v2(db, tpch_query(number), -1, &st, NULL) != SQLITE_OK) {
        die("SQLite", sqlite3_errmsg(db));
    }
    *rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        (*rows)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        die("SQLite", sqlite3_errmsg(db));
    }
    return now_ns() - t0;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    double scale = (double)kh_bench_sized(&opt, 10, 100, 1000) / 1000.0;
    unsigned turns = (unsigned)kh_bench_sized(&opt, 1, 5, 7);
    char dir[PATH_MAX];
    data_dir(dir, scale, opt.seed);
    prepare(dir, scale, opt.seed);
    struct catalog *c = NULL;
    struct col_error err = {0};
    if (catalog_open(dir, CACHE_BYTES, &c, &err) != COL_OK) {
        die(dir, err.message);
    }
    char db_path[PATH_MAX + 16];
    snprintf(db_path, sizeof(db_path), "%s/sqlite.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        die(db_path, "cannot open");
    }
    sqlite3_exec(db, "PRAGMA cache_size = -4194304; PRAGMA case_sensitive_like = ON", NULL, NULL,
                 NULL);
    static uint64_t keel_ns[QUERY_COUNT][TURNS_MAX], keel2_ns[QUERY_COUNT][TURNS_MAX],
        sqlite_ns[QUERY_COUNT][TURNS_MAX];
    uint64_t rows[QUERY_COUNT];
    for (uint32_t q = 0; q < QUERY_COUNT; q++) { /* warm both, and check they agree on rows */
        uint64_t keel_rows, sqlite_rows;
        run_keel(c, queries[q], 1, &keel_rows);
        run_sqlite(db, queries[q], &sqlite_rows);
        if (keel_rows != sqlite_rows) {
            fprintf(stderr, "bench_queries: Q%u: keel gives %llu rows, SQLite %llu\n", queries[q],
                    (unsigned long long)keel_rows, (unsigned long long)sqlite_rows);
            return 1;
        }
        rows[q] = keel_rows;
    }
    for (unsigned turn = 0; turn < turns; turn++) {
        for (uint32_t q = 0; q < QUERY_COUNT; q++) {
            uint64_t n;
            keel_ns[q][turn] = run_keel(c, queries[q], 1, &n);
            keel2_ns[q][turn] = run_keel(c, queries[q], 2, &n);
            sqlite_ns[q][turn] = run_sqlite(db, queries[q], &n);
        }
        fprintf(stderr, "bench_queries: turn %u of %u done\n", turn + 1, turns);
    }
    static const char *const header[] = {"query",     "rows",      "keel_ms",    "keel_2t_ms",
                                         "sqlite_ms", "vs_sqlite", "two_threads"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, header, KH_ARRAY_LEN(header));
    for (uint32_t q = 0; q < QUERY_COUNT; q++) {
        char name[8];
        snprintf(name, sizeof(name), "q%u", queries[q]);
        double k1 = median_ms(keel_ns[q], turns), k2 = median_ms(keel2_ns[q], turns);
        double s = median_ms(sqlite_ns[q], turns);
        kh_csv_str(&csv, name);
        kh_csv_u64(&csv, rows[q]);
        kh_csv_f64(&csv, k1);
        kh_csv_f64(&csv, k2);
        kh_csv_f64(&csv, s);
        kh_csv_f64(&csv, s / k1);
        kh_csv_f64(&csv, k1 / k2);
        kh_csv_end_row(&csv);
    }
    sqlite3_close(db);
    catalog_close(c);
    return 0;
}
