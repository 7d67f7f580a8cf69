/* tpch_bench.h -- what lab 05's query benchmarks share: the generated data, made once per scale
 * and seed under $KEEL_OUT/data (out/ by default) with SQLite's copy beside it, keel's run of a
 * query, and medians. */
#ifndef KEEL_TPCH_BENCH_H
#define KEEL_TPCH_BENCH_H

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

/* The directory of the data at scale and seed. */
static void
data_dir(char out[PATH_MAX], double scale, uint64_t seed)
{
    const char *root = getenv("KEEL_OUT") != NULL ? getenv("KEEL_OUT") : "out";
    snprintf(out, PATH_MAX, "%s/data/05-columnar/tpch-sf%g-seed%llu", root, scale,
             (unsigned long long)seed);
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

#endif
