/* bench_queries.c -- lab 05: TPC-H's Q1, Q3, Q5, Q6, Q10 and Q12 (tpch_query) run by keel on
 * one thread and on two, and by SQLite, on the same generated rows, in turns (keel, keel on two
 * threads, SQLite, for each query, then again), medians of the turns. Both sides start warm:
 * each query runs once on each before the turns, keel's chunks are in its cache (a budget of
 * 4 GiB a tier holds every table at scale 1) and SQLite's pages in its own (a cache of 4 GiB).
 * The data is made once per scale and seed under $KEEL_OUT/data (out/ by default) and reused.
 * Prints CSV: query, rows, keel_ms, keel_2t_ms, sqlite_ms, vs_sqlite (SQLite's time over
 * keel's on one thread), two_threads (keel's one-thread time over its two-thread time). */
#include "kh_core.h"
#include "plan.h"
#include "tpch.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TURNS_MAX 9u
#define CACHE_BYTES (4ull << 30)

static const uint32_t queries[] = {1, 3, 5, 6, 10, 12};
#define QUERY_COUNT (sizeof(queries) / sizeof(queries[0]))

static uint64_t
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void
die(const char *what, const char *why)
{
    fprintf(stderr, "bench_queries: %s: %s\n", what, why);
    exit(1);
}

static void
make_dirs(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                die(p, strerror(errno));
            }
            *s = '/';
        }
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        die(p, strerror(errno));
    }
}

static void
progress(void *ctx, enum tpch_table table, uint64_t done, uint64_t total)
{
    (void)ctx;
    if (done >= total || done % (1u << 20) < 16384) {
        fprintf(stderr, "bench_queries: %s: %llu rows\n", tpch_table_name(table),
                (unsigned long long)done);
    }
}

/* Loads the generator's text of every table into a new SQLite database at db_path. */
static void
load_sqlite(const char *dir, const char *db_path)
{
    remove(db_path);
    sqlite3 *db = NULL;
    if (sqlite3_open(db_path, &db) != SQLITE_OK) {
        die(db_path, "cannot open");
    }
    sqlite3_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL, NULL);
    for (uint32_t t = 0; t < TPCH_TABLE_COUNT; t++) {
        const char *name = tpch_table_name((enum tpch_table)t);
        const struct col_schema *s = tpch_schema((enum tpch_table)t);
        char sql[4096], insert[2048];
        int at = snprintf(sql, sizeof(sql), "CREATE TABLE %s(", name);
        int ins = snprintf(insert, sizeof(insert), "INSERT INTO %s VALUES(", name);
        for (uint32_t c = 0; c < s->column_count; c++) {
            enum col_type type = s->columns[c].type;
            const char *decl = type == COL_INT32 || type == COL_INT64       ? "INTEGER"
                               : type == COL_DECIMAL || type == COL_FLOAT64 ? "REAL"
                                                                            : "TEXT";
            at += snprintf(sql + at, sizeof(sql) - (size_t)at, "%s%s %s", c ? ", " : "",
                           s->columns[c].name, decl);
            ins += snprintf(insert + ins, sizeof(insert) - (size_t)ins, "%s?", c ? ", " : "");
        }
        snprintf(sql + at, sizeof(sql) - (size_t)at, ")");
        snprintf(insert + ins, sizeof(insert) - (size_t)ins, ")");
        sqlite3_stmt *st = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, insert, -1, &st, NULL) != SQLITE_OK) {
            die(name, sqlite3_errmsg(db));
        }
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s.tbl", dir, name);
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            die(path, strerror(errno));
        }
        static char line[8192];
        uint64_t rows = 0;
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        while (fgets(line, sizeof(line), f) != NULL) {
            char *field = line;
            for (uint32_t c = 0; c < s->column_count; c++) {
                char *bar = strchr(field, '|');
                if (bar == NULL) {
                    die(path, "a line with too few fields");
                }
                *bar = '\0';
                enum col_type type = s->columns[c].type;
                if (type == COL_INT32 || type == COL_INT64) {
                    sqlite3_bind_int64(st, (int)c + 1, strtoll(field, NULL, 10));
                } else if (type == COL_DECIMAL || type == COL_FLOAT64) {
                    sqlite3_bind_double(st, (int)c + 1, strtod(field, NULL));
                } else {
                    sqlite3_bind_text(st, (int)c + 1, field, -1, SQLITE_TRANSIENT);
                }
                field = bar + 1;
            }
            if (sqlite3_step(st) != SQLITE_DONE) {
                die(name, sqlite3_errmsg(db));
            }
            sqlite3_reset(st);
            rows++;
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_finalize(st);
        fclose(f);
        fprintf(stderr, "bench_queries: SQLite has %s: %llu rows\n", name,
                (unsigned long long)rows);
    }
    sqlite3_close(db);
}

/* The data of scale and seed in dir, made (and loaded into SQLite) unless a stamp says it is
 * there already. */
static void
prepare(const char *dir, double scale, uint64_t seed)
{
    char stamp[PATH_MAX + 16], db[PATH_MAX + 16], want[128], got[128] = "";
    snprintf(stamp, sizeof(stamp), "%s/ready", dir);
    snprintf(db, sizeof(db), "%s/sqlite.db", dir);
    snprintf(want, sizeof(want), "tpch scale %g seed %llu format %u\n", scale,
             (unsigned long long)seed, COL_FORMAT_VERSION);
    FILE *f = fopen(stamp, "r");
    if (f != NULL) {
        if (fgets(got, sizeof(got), f) == NULL) {
            got[0] = '\0';
        }
        fclose(f);
    }
    if (strcmp(got, want) == 0) {
        return;
    }
    fprintf(stderr, "bench_queries: making TPC-H at scale %g in %s (once)\n", scale, dir);
    make_dirs(dir);
    struct tpch_options o = {.scale = scale, .seed = seed, .with_tbl = true, .progress = progress};
    struct col_error err = {0};
    if (tpch_generate(&o, dir, &err) != COL_OK) {
        die("tpch_generate", err.message);
    }
    load_sqlite(dir, db);
    f = fopen(stamp, "w");
    if (f == NULL || fputs(want, f) == EOF || fclose(f) != 0) {
        die(stamp, strerror(errno));
    }
}

/* Runs query number on keel; returns its time and sets *rows. */
static uint64_t
run_keel(struct catalog *c, uint32_t number, uint32_t threads, uint64_t *rows)
{
    const char *sql = tpch_query(number);
    struct query_options o = {.threads = threads};
    struct query_result r;
    struct col_error err = {0};
    size_t used;
    uint64_t t0 = now_ns();
    if (query_run(c, sql, strlen(sql), &o, &r, &used, NULL, &err) != COL_OK) {
        die("keel", err.message);
    }
    uint64_t ns = now_ns() - t0;
    *rows = r.rows.row_count;
    query_result_free(&r);
    return ns;
}

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

static int
u64_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double
median_ms(uint64_t *ns, unsigned count)
{
    qsort(ns, count, sizeof(uint64_t), u64_order);
    return (double)ns[count / 2] / 1e6;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    double scale = (double)kh_bench_sized(&opt, 10, 100, 1000) / 1000.0;
    unsigned turns = (unsigned)kh_bench_sized(&opt, 1, 5, 7);
    const char *out = getenv("KEEL_OUT") != NULL ? getenv("KEEL_OUT") : "out";
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/data/05-columnar/tpch-sf%g-seed%llu", out, scale,
             (unsigned long long)opt.seed);
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
