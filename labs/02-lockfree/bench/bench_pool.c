/* bench_pool.c -- lab 02 part F: lab 01's thread-pool server with its own mutex+condvar queue
 * against the same server with the MPMC ring as its queue, under redis-benchmark (-c 50,
 * SET and GET, 100-byte values). The two queues alternate (which goes first alternates too),
 * a fresh server per run, and each reports its median run: a burst from the machine's other
 * tenants, or one lucky run, does not decide the ratio. (It used to keep each queue's best run;
 * the best of five moved by 10-20% from one bench to the next.)
 * Rows per (queue, workers, test) plus an "all" row: both tests' requests over both tests'
 * time. Each row also has the server's CPU time per request in that run (from /proc), which
 * shows what the queue costs more steadily than throughput does on a shared machine. CSV to
 * stdout; read main() first. */
#include "../../01-servers/bench/bench_server.h"
#include "kh_core.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REDIS_BENCHMARK_PATH "/usr/bin/redis-benchmark"
#define CONNECTIONS 50u /* redis-benchmark's default -c, the point */
#define VALUE_BYTES 100u
#define KEY_COUNT 10000u
#define REQUESTS_SMOKE 2000u
#define REQUESTS_QUICK 60000u /* ~1.5 s per test at the rates this machine reaches */
#define REQUESTS_FULL 300000u
#define REPEATS_SMOKE 1u
#define REPEATS_QUICK 7u /* odd: the median is a run */
#define REPEATS_FULL 7u
#define REPEATS_MAX 7u
#define TARGET_WORKERS 4u /* SERVER_THREADS_DEFAULT: the pool as keel-server runs it */

static const char *const queues[] = {"mutex", "ring"};
static const unsigned worker_counts_full[] = {2, TARGET_WORKERS, 8};
static const unsigned worker_counts_quick[] = {TARGET_WORKERS};

enum { TEST_SET, TEST_GET, TEST_COUNT };
static const char *const test_names[TEST_COUNT] = {"set", "get"};

struct options {
    uint64_t requests;
    unsigned repeats;
    bool is_full;
};

struct run {
    double server_cpu_us_per_request; /* the server's user + system time over both tests */
    double rps[TEST_COUNT];
    double p50_us[TEST_COUNT];
    double p99_us[TEST_COUNT];
    bool is_ok;
};

/* Parses one line of redis-benchmark --csv ("TEST","rps","avg_ms","min_ms","p50_ms","p95_ms",
 * "p99_ms","max_ms") into r. Other lines (the header) are ignored. */
static void
parse_line(const char *line, struct run *r)
{
    char test[16];
    double rps = 0, avg_ms = 0, min_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
    int fields =
        sscanf(line, "\"%15[A-Za-z]\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"",
               test, &rps, &avg_ms, &min_ms, &p50_ms, &p95_ms, &p99_ms, &max_ms);
    if (fields != 8 || rps <= 0) {
        return;
    }
    for (int t = 0; t < TEST_COUNT; t++) {
        if (strcasecmp(test, test_names[t]) == 0) {
            r->rps[t] = rps;
            r->p50_us[t] = p50_ms * 1e3;
            r->p99_us[t] = p99_ms * 1e3;
        }
    }
}

/* The CPU time process pid has used, in microseconds (utime + stime of /proc/PID/stat), or
 * -1 when it cannot be read. */
static double
process_cpu_us(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *after_name = strrchr(text, ')'); /* the name may hold spaces */
    unsigned long long utime = 0, stime = 0;
    if (after_name == NULL ||
        sscanf(after_name + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2) {
        return -1;
    }
    return (double)(utime + stime) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* One run: a fresh pool server on the queue, redis-benchmark against it, the server stopped. */
static struct run
measure(const struct options *opt, const char *path, const char *queue, unsigned workers)
{
    struct run r = {.is_ok = false};
    char workers_text[16];
    snprintf(workers_text, sizeof(workers_text), "%u", workers);
    const char *const extra[] = {"--pool-queue", queue, "--threads", workers_text, NULL};
    struct kh_proc p;
    uint16_t port = 0;
    char why[640];
    if (server_start_keel(&p, path, "pool", extra, &port, why, sizeof(why)) != 0) {
        fprintf(stderr, "bench_pool: %s\n", why);
        return r;
    }
    char command[320];
    snprintf(command, sizeof(command),
             "%s -h 127.0.0.1 -p %u -c %u -t set,get -n %llu -d %u -r %u --csv 2>&1",
             REDIS_BENCHMARK_PATH, (unsigned)port, CONNECTIONS, (unsigned long long)opt->requests,
             VALUE_BYTES, KEY_COUNT);
    FILE *out = popen(command, "r");
    if (out == NULL) {
        fprintf(stderr, "bench_pool: cannot run %s\n", command);
    } else {
        char line[512];
        while (fgets(line, sizeof(line), out) != NULL) {
            parse_line(line, &r);
        }
        int rc = pclose(out);
        double cpu_us = process_cpu_us(p.pid);
        r.server_cpu_us_per_request = cpu_us < 0 ? 0 : cpu_us / (2.0 * (double)opt->requests);
        r.is_ok = rc == 0 && r.rps[TEST_SET] > 0 && r.rps[TEST_GET] > 0 && kh_proc_is_alive(&p);
        if (!r.is_ok) {
            fprintf(stderr,
                    "bench_pool: redis-benchmark exited with status %d against the %s "
                    "queue, or the server died\n",
                    rc, queue);
        }
    }
    server_stop(&p);
    kh_proc_close(&p);
    return r;
}

/* Both tests' requests over both tests' time. */
static double
combined_rps(const struct run *r)
{
    return r->rps[TEST_SET] > 0 && r->rps[TEST_GET] > 0
               ? 2.0 / (1.0 / r->rps[TEST_SET] + 1.0 / r->rps[TEST_GET])
               : 0.0;
}

static int
compare_combined_rps(const void *a, const void *b)
{
    double x = combined_rps(a);
    double y = combined_rps(b);
    return (x > y) - (x < y);
}

static void
write_rows(struct kh_csv *csv, const char *queue, unsigned workers, const struct run *row,
           const struct options *opt)
{
    for (int t = 0; t <= TEST_COUNT; t++) {
        bool is_all = t == TEST_COUNT;
        kh_csv_str(csv, queue);
        kh_csv_u64(csv, workers);
        kh_csv_str(csv, is_all ? "all" : test_names[t]);
        kh_csv_u64(csv, CONNECTIONS);
        kh_csv_u64(csv, is_all ? 2 * opt->requests : opt->requests);
        kh_csv_f64(csv, is_all ? combined_rps(row) : row->rps[t]);
        if (is_all) {
            kh_csv_str(csv, "");
            kh_csv_str(csv, "");
        } else {
            kh_csv_f64(csv, row->p50_us[t]);
            kh_csv_f64(csv, row->p99_us[t]);
        }
        kh_csv_f64(csv, row->server_cpu_us_per_request);
        kh_csv_str(csv, row->is_ok ? "ok" : "failed");
        kh_csv_end_row(csv);
    }
}

int
main(int argc, char **argv)
{
    /* No peers here (both sides are ours), and no seed: redis-benchmark picks its own keys. */
    struct kh_bench_options shared = kh_bench_options_parse(argc, argv, NULL, 0);
    struct options opt = {
        kh_bench_sized(&shared, REQUESTS_SMOKE, REQUESTS_QUICK, REQUESTS_FULL),
        (unsigned)kh_bench_sized(&shared, REPEATS_SMOKE, REPEATS_QUICK, REPEATS_FULL),
        shared.size == KH_BENCH_FULL};
    char path[PATH_MAX];
    if (server_keel_path(path, sizeof(path)) != 0) {
        fprintf(stderr, "bench_pool: no keel-server at %s (lab 02's build of it)\n", path);
        return 1;
    }
    if (access(REDIS_BENCHMARK_PATH, X_OK) != 0) {
        fprintf(stderr, "bench_pool: %s is not installed (make deps installs redis-tools)\n",
                REDIS_BENCHMARK_PATH);
        return 1;
    }
    static const char *const columns[] = {"queue",       "workers",  "test",
                                          "connections", "requests", "ops_per_s",
                                          "p50_us",      "p99_us",   "server_cpu_us_per_request",
                                          "status"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    const unsigned *workers = opt.is_full ? worker_counts_full : worker_counts_quick;
    size_t worker_count_count =
        opt.is_full ? KH_ARRAY_LEN(worker_counts_full) : KH_ARRAY_LEN(worker_counts_quick);
    for (size_t w = 0; w < worker_count_count; w++) {
        struct run runs[KH_ARRAY_LEN(queues)][REPEATS_MAX];
        size_t ok_count[KH_ARRAY_LEN(queues)] = {0};
        for (unsigned rep = 0; rep < opt.repeats; rep++) {
            for (size_t i = 0; i < KH_ARRAY_LEN(queues); i++) {
                size_t q = rep % 2 == 0 ? i : KH_ARRAY_LEN(queues) - 1 - i;
                struct run r = measure(&opt, path, queues[q], workers[w]);
                fprintf(stderr,
                        "bench_pool: %-5s queue, %u workers, run %u/%u: SET %8.0f/s  GET %8.0f/s"
                        "  server CPU %5.1f us/request%s\n",
                        queues[q], workers[w], rep + 1, opt.repeats, r.rps[TEST_SET],
                        r.rps[TEST_GET], r.server_cpu_us_per_request, r.is_ok ? "" : "  (failed)");
                if (r.is_ok) {
                    runs[q][ok_count[q]++] = r;
                }
            }
        }
        for (size_t q = 0; q < KH_ARRAY_LEN(queues); q++) {
            struct run median = {.is_ok = false};
            if (ok_count[q] > 0) {
                qsort(runs[q], ok_count[q], sizeof(runs[q][0]), compare_combined_rps);
                median = runs[q][ok_count[q] / 2];
            }
            fprintf(stderr, "bench_pool: %-5s queue, %u workers: median of %zu runs %8.0f/s\n",
                    queues[q], workers[w], ok_count[q], combined_rps(&median));
            write_rows(&csv, queues[q], workers[w], &median, &opt);
        }
    }
    return 0;
}
