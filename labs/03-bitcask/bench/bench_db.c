/* bench_db.c -- db_bench-style workloads (LevelDB's db_bench: fillseq, fillrandom, overwrite,
 * readrandom, readseq, deleterandom) on this store and, with --peers, on LevelDB, RocksDB, LMDB
 * and SQLite (WAL) where their -dev headers were found at build time; plus durable puts
 * (sync always, 1 and 8 writers) and the machine's raw fdatasync rate, measured in the same run.
 * Read run_engine first. Keys are 16 bytes ("%016u"); values 100 bytes and 1 KiB. Data lives in
 * a mkdtemp directory under $TMPDIR (default /tmp), removed after each engine. CSV on stdout. */
#include "bitcask.h"
#include "kh_core.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_BYTES 16u
#define SYNC_THREADS_MAX 8u

/* A store under test: each call returns 0 on success. */
struct engine {
    const char *name;
    bool is_peer;
    void *(*open)(const char *dir, bool is_sync);
    int (*put)(void *db, const char *key, const void *value, size_t value_size);
    int (*get)(void *db, const char *key, void *buf, size_t buf_size);
    int (*del)(void *db, const char *key);
    void (*close)(void *db);
    bool is_thread_safe; /* may take 8 concurrent writers */
};

/* ---- This store -------------------------------------------------------------------------- */

static void *
bc_engine_open(const char *dir, bool is_sync)
{
    struct bc_options o;
    bc_options_default(&o);
    o.sync = is_sync ? BC_SYNC_ALWAYS : BC_SYNC_NONE;
    struct bc_db *db = NULL;
    return bc_open(dir, &o, &db, NULL) == BC_OK ? db : NULL;
}
static int
bc_engine_put(void *db, const char *key, const void *value, size_t value_size)
{
    return bc_put(db, key, KEY_BYTES, value, value_size) == BC_OK ? 0 : -1;
}
static int
bc_engine_get(void *db, const char *key, void *buf, size_t buf_size)
{
    size_t size;
    return bc_get(db, key, KEY_BYTES, buf, buf_size, &size) == BC_OK ? 0 : -1;
}
static int
bc_engine_del(void *db, const char *key)
{
    bc_status st = bc_delete(db, key, KEY_BYTES);
    return st == BC_OK || st == BC_NOT_FOUND ? 0 : -1;
}
static void
bc_engine_close(void *db)
{
    bc_close(db);
}
static const struct engine bitcask_engine = {"bitcask",       false,         bc_engine_open,
                                             bc_engine_put,   bc_engine_get, bc_engine_del,
                                             bc_engine_close, true};

#include "peers.h" /* the peers' adapters, each only when its header exists */

/* ---- Workloads --------------------------------------------------------------------------- */

static void
key_of(uint32_t i, char key[KEY_BYTES + 1])
{
    snprintf(key, KEY_BYTES + 1, "%016u", i);
}

static void
row(struct kh_csv *csv, const char *engine, const char *workload, size_t value_bytes,
    unsigned threads, uint64_t ops, uint64_t elapsed_ns)
{
    double seconds = (double)elapsed_ns / 1e9;
    kh_csv_str(csv, engine);
    kh_csv_str(csv, workload);
    kh_csv_u64(csv, value_bytes);
    kh_csv_u64(csv, threads);
    kh_csv_u64(csv, ops);
    kh_csv_f64(csv, seconds);
    kh_csv_f64(csv, seconds > 0 ? (double)ops / seconds : 0);
    kh_csv_f64(csv, seconds > 0 ? (double)ops * (KEY_BYTES + value_bytes) / seconds / 1e6 : 0);
    kh_csv_end_row(csv);
}

static char *
make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(256);
    snprintf(dir, 256, "%s/keel-bench-db-XXXXXX", tmp != NULL ? tmp : "/tmp");
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
        fprintf(stderr, "bench_db: could not remove %s\n", dir);
    }
    free(dir);
}

/* Runs op over `count` keys (in order, or drawn from the seed), timing the whole loop. */
enum op { OP_PUT, OP_GET, OP_DEL };

static uint64_t
run_ops(const struct engine *e, void *db, enum op op, uint32_t count, bool is_random, uint64_t seed,
        size_t value_bytes, uint64_t *failures)
{
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    char key[KEY_BYTES + 1];
    static char value[1024], buf[2048];
    memset(value, 'v', sizeof(value));
    uint64_t start = kh_clock_now_ns();
    for (uint32_t n = 0; n < count; n++) {
        uint32_t i = is_random ? (uint32_t)kh_rng_below(&rng, count) : n;
        key_of(i, key);
        value[n % value_bytes] = (char)('a' + n % 26);
        int rc = op == OP_PUT   ? e->put(db, key, value, value_bytes)
                 : op == OP_GET ? e->get(db, key, buf, sizeof(buf))
                                : e->del(db, key);
        *failures += rc != 0 && op != OP_GET; /* a random read may miss after deleterandom */
    }
    return kh_clock_now_ns() - start;
}

/* The six db_bench workloads at one value size, sync off. */
static void
run_engine(struct kh_csv *csv, const struct engine *e, size_t value_bytes, uint32_t count,
           uint64_t seed)
{
    uint64_t failures = 0;
    char *dir = make_dir();
    void *db = e->open(dir, false);
    if (db == NULL) {
        fprintf(stderr, "bench_db: %s would not open %s\n", e->name, dir);
        remove_dir(dir);
        return;
    }
    row(csv, e->name, "fillseq", value_bytes, 1, count,
        run_ops(e, db, OP_PUT, count, false, seed, value_bytes, &failures));
    e->close(db);
    remove_dir(dir);
    dir = make_dir();
    db = e->open(dir, false);
    row(csv, e->name, "fillrandom", value_bytes, 1, count,
        run_ops(e, db, OP_PUT, count, true, seed, value_bytes, &failures));
    row(csv, e->name, "overwrite", value_bytes, 1, count,
        run_ops(e, db, OP_PUT, count, true, seed + 1, value_bytes, &failures));
    row(csv, e->name, "readrandom", value_bytes, 1, count,
        run_ops(e, db, OP_GET, count, true, seed + 2, value_bytes, &failures));
    row(csv, e->name, "readseq", value_bytes, 1, count,
        run_ops(e, db, OP_GET, count, false, seed, value_bytes, &failures));
    row(csv, e->name, "deleterandom", value_bytes, 1, count,
        run_ops(e, db, OP_DEL, count, true, seed + 3, value_bytes, &failures));
    e->close(db);
    remove_dir(dir);
    if (failures > 0) {
        fprintf(stderr, "bench_db: %s: %llu operations failed\n", e->name,
                (unsigned long long)failures);
    }
}

struct sync_writer {
    const struct engine *e;
    void *db;
    uint32_t first;
    uint32_t count;
    uint64_t failures;
};

static void *
sync_writer_main(void *arg)
{
    struct sync_writer *w = arg;
    char key[KEY_BYTES + 1], value[100];
    memset(value, 's', sizeof(value));
    for (uint32_t n = 0; n < w->count; n++) {
        key_of(w->first + n, key);
        w->failures += w->e->put(w->db, key, value, sizeof(value)) != 0;
    }
    return NULL;
}

/* Durable puts (sync on), 100-byte values, by `threads` writers at once. */
static void
run_sync(struct kh_csv *csv, const struct engine *e, unsigned threads, uint32_t per_thread)
{
    char *dir = make_dir();
    void *db = e->open(dir, true);
    if (db == NULL) {
        remove_dir(dir);
        return;
    }
    struct sync_writer w[SYNC_THREADS_MAX];
    pthread_t tid[SYNC_THREADS_MAX];
    uint64_t start = kh_clock_now_ns();
    for (unsigned t = 0; t < threads; t++) {
        w[t] = (struct sync_writer){.e = e, .db = db, .first = t * per_thread, .count = per_thread};
        pthread_create(&tid[t], NULL, sync_writer_main, &w[t]);
    }
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
    }
    row(csv, e->name, "fillsync", 100, threads, (uint64_t)threads * per_thread,
        kh_clock_now_ns() - start);
    e->close(db);
    remove_dir(dir);
}

/* The floor for one durable writer: a 116-byte append and an fdatasync, back to back. */
static void
run_fdatasync(struct kh_csv *csv, uint32_t count)
{
    char *dir = make_dir();
    char path[300];
    snprintf(path, sizeof(path), "%s/f", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    char record[KEY_BYTES + 100];
    memset(record, 'r', sizeof(record));
    uint64_t start = kh_clock_now_ns();
    for (uint32_t n = 0; n < count && fd >= 0; n++) {
        if (pwrite(fd, record, sizeof(record), (off_t)n * sizeof(record)) < 0 || fdatasync(fd)) {
            perror("fdatasync");
            break;
        }
    }
    row(csv, "fdatasync", "fillsync", 100, 1, count, kh_clock_now_ns() - start);
    if (fd >= 0) {
        close(fd);
    }
    remove_dir(dir);
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    /* Quick: 200,000 x 116 B = 23 MB and 50,000 x 1 KiB = 52 MB per engine, a few seconds each. */
    uint32_t count_small = (uint32_t)kh_bench_sized(&opt, 2000, 200000, 1000000);
    uint32_t count_large = (uint32_t)kh_bench_sized(&opt, 500, 50000, 250000);
    uint32_t sync_ops = (uint32_t)kh_bench_sized(&opt, 200, 2000, 8000);
    static const char *const columns[] = {"engine", "workload", "value_bytes", "threads",
                                          "ops",    "seconds",  "ops_per_s",   "mb_per_s"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    const struct engine *engines[8] = {&bitcask_engine};
    size_t engine_count = 1;
    if (opt.has_peers) {
        engine_count += peers_list(engines + 1, KH_ARRAY_LEN(engines) - 1);
    }
    run_fdatasync(&csv, sync_ops);
    for (size_t i = 0; i < engine_count; i++) {
        run_engine(&csv, engines[i], 100, count_small, opt.seed);
        run_engine(&csv, engines[i], 1024, count_large, opt.seed);
        run_sync(&csv, engines[i], 1, sync_ops);
        if (engines[i]->is_thread_safe) {
            run_sync(&csv, engines[i], SYNC_THREADS_MAX, sync_ops / 2);
        }
    }
    return 0;
}
