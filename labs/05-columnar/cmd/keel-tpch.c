/* keel-tpch.c -- lab 05's data: writes the eight TPC-H tables (tpch.h) at a scale factor into
 * a directory, as table files and, with --tbl, as dbgen's text for SQLite and DuckDB:
 *   keel-tpch --sf 1 --out out/data/05-columnar/sf1 --tbl */
#include "tpch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: keel-tpch [--sf SCALE] [--seed N] [--group-rows N] [--tbl] --out DIR\n"
    "  --sf SCALE       scale factor, > 0 and at most 100 (default 0.01; 1 is 6 M lines)\n"
    "  --seed N         the tables' seed (default 1): the same seed, the same bytes\n"
    "  --group-rows N   rows per row group of the table files (default 65536)\n"
    "  --tbl            also write NAME.tbl, '|'-separated as dbgen writes them\n"
    "  --out DIR        where to write (made if missing)\n";

struct progress {
    bool is_tty;
    struct timespec start;
    enum tpch_table last;
};

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
show(void *ctx, enum tpch_table table, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    bool is_done = done >= total && table != TPCH_LINEITEM;
    if (p->is_tty) {
        fprintf(stderr, "\r%-9s %12llu of %s%llu rows  %6.1f s", tpch_table_name(table),
                (unsigned long long)done, table == TPCH_LINEITEM ? "~" : "",
                (unsigned long long)total, seconds_since(&p->start));
        if (is_done) {
            fputc('\n', stderr);
        }
    } else if (is_done || (done % 1048576 < 16384 && done >= 1048576)) {
        fprintf(stderr, "%-9s %12llu rows  %6.1f s\n", tpch_table_name(table),
                (unsigned long long)done, seconds_since(&p->start));
    }
    p->last = table;
}

int
main(int argc, char **argv)
{
    struct tpch_options o = {.scale = 0.01, .seed = 1};
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--tbl") == 0) {
            o.with_tbl = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (v == NULL) {
            fprintf(stderr, "keel-tpch: %s needs a value\n%s", a, usage);
            return 2;
        }
        i++;
        if (strcmp(a, "--sf") == 0) {
            o.scale = strtod(v, &end);
        } else if (strcmp(a, "--seed") == 0) {
            o.seed = strtoull(v, &end, 10);
        } else if (strcmp(a, "--group-rows") == 0) {
            o.group_rows = (uint32_t)strtoul(v, &end, 10);
        } else if (strcmp(a, "--out") == 0) {
            dir = v;
            continue;
        } else {
            fprintf(stderr, "keel-tpch: unknown option %s\n%s", a, usage);
            return 2;
        }
        if (end == v || *end != '\0') {
            fprintf(stderr, "keel-tpch: %s takes a number, not '%s'\n", a, v);
            return 2;
        }
    }
    if (dir == NULL) {
        fprintf(stderr, "keel-tpch: where to? give --out DIR\n%s", usage);
        return 2;
    }
    struct progress p = {.is_tty = isatty(2)};
    clock_gettime(CLOCK_MONOTONIC, &p.start);
    o.progress = show;
    o.progress_ctx = &p;
    struct col_error err = {0};
    col_status status = tpch_generate(&o, dir, &err);
    if (p.is_tty) {
        fputc('\n', stderr);
    }
    if (status != COL_OK) {
        fprintf(stderr, "keel-tpch: %s\n", err.message);
        return 1;
    }
    fprintf(stderr, "keel-tpch: scale factor %g, seed %llu: 8 tables in %s (%.1f s)\n", o.scale,
            (unsigned long long)o.seed, dir, seconds_since(&p.start));
    return 0;
}
