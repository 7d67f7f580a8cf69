/* bench_bitcask.c -- what only this store has: start-up time against key count with and without
 * hint files, and disk usage over an overwrite-heavy run with merges (space amplification =
 * bytes in data files / bytes of live records). Data in a mkdtemp directory under $TMPDIR
 * (default /tmp), removed at the end. CSV on stdout, one row per measurement, with a `bench`
 * column saying which of the two it is. */
#include "bitcask.h"
#include "kh_core.h"

#include <stdlib.h>
#include <string.h>

#define KEY_BYTES 16u
#define VALUE_BYTES_MAX 1024u
#define FILE_BYTES_MAX (4u << 20) /* small files, so merges have whole files to rewrite */

static char *
make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(256);
    snprintf(dir, 256, "%s/keel-bench-bitcask-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    return dir;
}

static void
remove_dir(char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_bitcask: could not remove %s\n", dir);
    }
    free(dir);
}

static struct bc_db *
open_db(const char *dir, bool is_hints_ignored)
{
    struct bc_options o;
    bc_options_default(&o);
    o.file_size_bytes_max = FILE_BYTES_MAX;
    o.is_hints_ignored = is_hints_ignored;
    struct bc_db *db = NULL;
    char error[BC_ERROR_MAX];
    bc_status st = bc_open(dir, &o, &db, error);
    if (st != BC_OK) {
        fprintf(stderr, "bench_bitcask: bc_open %s: %s (%s)\n", dir, bc_strerror(st), error);
        exit(1);
    }
    return db;
}

static void
put_key(struct bc_db *db, uint32_t i, uint32_t round, size_t value_bytes)
{
    char key[KEY_BYTES + 1], value[VALUE_BYTES_MAX];
    snprintf(key, sizeof(key), "%016u", i);
    memset(value, 'a' + (int)(round % 26), value_bytes);
    if (bc_put(db, key, KEY_BYTES, value, value_bytes) != BC_OK) {
        fprintf(stderr, "bench_bitcask: put failed\n");
        exit(1);
    }
}

static void
row(struct kh_csv *csv, const char *bench, const char *hints, uint64_t keys, size_t value_bytes,
    uint64_t phase, double ms, const struct bc_stats *stats)
{
    kh_csv_str(csv, bench);
    kh_csv_str(csv, hints);
    kh_csv_u64(csv, keys);
    kh_csv_u64(csv, value_bytes);
    kh_csv_u64(csv, phase);
    kh_csv_f64(csv, ms);
    kh_csv_u64(csv, stats->disk_bytes);
    kh_csv_u64(csv, stats->live_bytes);
    kh_csv_f64(csv,
               stats->live_bytes > 0 ? (double)stats->disk_bytes / (double)stats->live_bytes : 0);
    kh_csv_end_row(csv);
}

/* Fills `keys` keys, merges (which writes hints), then times the best of three opens each way. */
static void
startup(struct kh_csv *csv, uint32_t keys, size_t value_bytes)
{
    char *dir = make_dir();
    struct bc_db *db = open_db(dir, false);
    for (uint32_t i = 0; i < keys; i++) {
        put_key(db, i, 0, value_bytes);
    }
    bc_sync(db);
    bc_merge(db);
    struct bc_stats stats;
    bc_stats(db, &stats);
    bc_close(db);
    for (int hinted = 1; hinted >= 0; hinted--) {
        uint64_t best_ns = UINT64_MAX;
        for (int run = 0; run < 3; run++) {
            uint64_t start = kh_clock_now_ns();
            db = open_db(dir, !hinted);
            uint64_t elapsed = kh_clock_now_ns() - start;
            best_ns = elapsed < best_ns ? elapsed : best_ns;
            bc_close(db);
        }
        row(csv, "startup", hinted ? "yes" : "no", keys, value_bytes, 0, (double)best_ns / 1e6,
            &stats);
    }
    remove_dir(dir);
}

/* Overwrites `keys` keys `phases` times in random order, merging after every other phase and at
 * the end; one row per phase. */
static void
space(struct kh_csv *csv, uint32_t keys, unsigned phases, uint64_t seed)
{
    char *dir = make_dir();
    struct bc_db *db = open_db(dir, false);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    struct bc_stats stats;
    for (unsigned phase = 0; phase <= phases; phase++) {
        uint64_t start = kh_clock_now_ns();
        for (uint32_t n = 0; n < keys; n++) {
            put_key(db, phase == 0 ? n : (uint32_t)kh_rng_below(&rng, keys), phase, 100);
        }
        if (phase % 2 == 1) {
            bc_merge(db);
        }
        bc_stats(db, &stats);
        row(csv, "space", "-", keys, 100, phase, (double)(kh_clock_now_ns() - start) / 1e6, &stats);
    }
    uint64_t start = kh_clock_now_ns();
    bc_merge(db);
    bc_stats(db, &stats);
    row(csv, "space_final", "-", keys, 100, phases + 1, (double)(kh_clock_now_ns() - start) / 1e6,
        &stats);
    bc_close(db);
    remove_dir(dir);
}

int
main(int argc, char **argv)
{
    /* --peers changes nothing: what is measured here only this store has. */
    struct kh_bench_options shared = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t seed = shared.seed;
    static const char *const columns[] = {"bench",       "hints",      "keys",
                                          "value_bytes", "phase",      "ms",
                                          "disk_bytes",  "live_bytes", "space_amp"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    /* Start-up is reading plus one keydir insert per key; hints save the reading, so they pay
     * most with large values: 1 M x 100 B (136 MB) and, in quick mode, 200,000 x 1 KiB
     * (208 MB; 1 M in full mode, 1 GB). Each is written once and merged once (twice the disk). */
    startup(&csv, (uint32_t)kh_bench_sized(&shared, 10000, 100000, 100000), 100);
    startup(&csv, 1000000, 100); /* in every mode: a target picks its row by keys=1000000 */
    startup(&csv, (uint32_t)kh_bench_sized(&shared, 10000, 200000, 1000000), 1024);
    space(&csv, (uint32_t)kh_bench_sized(&shared, 10000, 200000, 500000),
          (unsigned)kh_bench_sized(&shared, 2, 8, 20), seed);
    return 0;
}
