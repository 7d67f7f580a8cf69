/* bench_duckdb.c -- lab 05, a peer bench (PEERS=1, after `make peers`): TPC-H's Q1, Q3, Q5, Q6,
 * Q10 and Q12 on keel and on DuckDB (@duckdb/node-api, run by duckdb_peer.js in a process of its
 * own), both on one thread, on the same generated rows, in turns (keel, then DuckDB, query by
 * query, then again), medians of the turns. Both start warm: each query runs once on each side
 * first; DuckDB holds the tables in memory, keel's chunks are in its cache. DuckDB's time is
 * taken inside its process, around the query alone, so the pipe between costs it nothing.
 * Prints CSV: query, rows, keel_ms, duckdb_ms, vs_duckdb (DuckDB's time over keel's). */
#include "tpch_bench.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define PEER_SCRIPT "labs/05-columnar/bench/duckdb_peer.js"

struct peer {
    pid_t pid;
    FILE *to;
    FILE *from;
};

/* Starts node on duckdb_peer.js, with the package `make peers` installed. */
static void
peer_start(struct peer *p)
{
    const char *root = getenv("KEEL_OUT") != NULL ? getenv("KEEL_OUT") : "out";
    char modules[PATH_MAX];
    snprintf(modules, sizeof(modules), "%s/peers/duckdb", root);
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
        die("pipe", strerror(errno));
    }
    p->pid = fork();
    if (p->pid < 0) {
        die("fork", strerror(errno));
    }
    if (p->pid == 0) {
        dup2(down[0], 0);
        dup2(up[1], 1);
        close(down[1]);
        close(up[0]);
        setenv("KEEL_DUCKDB_DIR", modules, 1);
        execlp("node", "node", PEER_SCRIPT, (char *)NULL);
        fprintf(stderr, "bench_duckdb: cannot run node: %s\n", strerror(errno));
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    p->to = fdopen(down[1], "w");
    p->from = fdopen(up[0], "r");
    if (p->to == NULL || p->from == NULL) {
        die("fdopen", strerror(errno));
    }
}

/* Sends one request and reads its answer into answer; dies on "error ...". */
static void
peer_ask(struct peer *p, const char *request, char *answer, size_t size)
{
    fprintf(p->to, "%s\n", request);
    fflush(p->to);
    if (fgets(answer, (int)size, p->from) == NULL) {
        die("DuckDB's process", "ended without an answer (is `make peers` done?)");
    }
    answer[strcspn(answer, "\n")] = '\0';
    if (strncmp(answer, "error", 5) == 0) {
        die("DuckDB", answer);
    }
}

static void
peer_stop(struct peer *p)
{
    fclose(p->to);
    fclose(p->from);
    waitpid(p->pid, NULL, 0);
}

/* Runs query number on DuckDB; returns its time as DuckDB measured it and sets *rows. */
static uint64_t
run_duckdb(struct peer *p, uint32_t number, uint64_t *rows)
{
    static char request[8192], answer[256];
    snprintf(request, sizeof(request), "run %s", tpch_query(number));
    for (char *c = request; *c != '\0'; c++) {
        *c = *c == '\n' ? ' ' : *c; /* one request a line */
    }
    peer_ask(p, request, answer, sizeof(answer));
    double ms = 0;
    unsigned long long n = 0;
    if (sscanf(answer, "%lf %llu", &ms, &n) != 2) {
        die("DuckDB's answer", answer);
    }
    *rows = n;
    return (uint64_t)(ms * 1e6);
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
    signal(SIGPIPE, SIG_IGN);
    struct peer duck;
    peer_start(&duck);
    char answer[256], request[PATH_MAX + 16];
    peer_ask(&duck, "threads 1", answer, sizeof(answer));
    snprintf(request, sizeof(request), "load %s", dir);
    peer_ask(&duck, request, answer, sizeof(answer));
    fprintf(stderr, "bench_duckdb: DuckDB loaded the tables (%s ms)\n", answer + 3);
    static uint64_t keel_ns[QUERY_COUNT][TURNS_MAX], duck_ns[QUERY_COUNT][TURNS_MAX];
    uint64_t rows[QUERY_COUNT];
    for (uint32_t q = 0; q < QUERY_COUNT; q++) { /* warm both, and check they agree on rows */
        uint64_t keel_rows, duck_rows;
        run_keel(c, queries[q], 1, &keel_rows);
        run_duckdb(&duck, queries[q], &duck_rows);
        if (keel_rows != duck_rows) {
            fprintf(stderr, "bench_duckdb: Q%u: keel gives %llu rows, DuckDB %llu\n", queries[q],
                    (unsigned long long)keel_rows, (unsigned long long)duck_rows);
            return 1;
        }
        rows[q] = keel_rows;
    }
    for (unsigned turn = 0; turn < turns; turn++) {
        for (uint32_t q = 0; q < QUERY_COUNT; q++) {
            uint64_t n;
            keel_ns[q][turn] = run_keel(c, queries[q], 1, &n);
            duck_ns[q][turn] = run_duckdb(&duck, queries[q], &n);
        }
    }
    peer_stop(&duck);
    static const char *const header[] = {"query", "rows", "keel_ms", "duckdb_ms", "vs_duckdb"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, header, KH_ARRAY_LEN(header));
    for (uint32_t q = 0; q < QUERY_COUNT; q++) {
        char name[8];
        snprintf(name, sizeof(name), "q%u", queries[q]);
        double k = median_ms(keel_ns[q], turns), d = median_ms(duck_ns[q], turns);
        kh_csv_str(&csv, name);
        kh_csv_u64(&csv, rows[q]);
        kh_csv_f64(&csv, k);
        kh_csv_f64(&csv, d);
        kh_csv_f64(&csv, d / k);
        kh_csv_end_row(&csv);
    }
    catalog_close(c);
    return 0;
}
