/* bench_servers.c -- lab 01's four server models under the same closed-loop load: throughput and
 * latency for each model x connections {1, 8, 64, 512} x pipeline {1, 16}, plus epoll at 50
 * connections for the targets (best of 3); with --peers, redis-server under the same generator
 * (at 50, alternating with epoll) and redis-benchmark's own numbers. A fresh server per point.
 * CSV to stdout; read main() first. */
#include "bench_server.h"
#include "kh_core.h"
#include "kh_load.h"

#include <stdlib.h>
#include <string.h>

#define KEY_COUNT 10000u        /* small enough to preload, large enough to spread the dict */
#define VALUE_BYTES 100u        /* what redis-benchmark's -d defaults to is 3; 100 is typical */
#define GET_RATIO 0.9           /* a read-mostly cache */
#define PRELOAD_REQUESTS 30000u /* 3x the keys in random SETs: ~95% of the keys exist */
#define DURATION_MS_SMOKE 50u
#define DURATION_MS_QUICK 800u /* 38 points x ~1.1 s: the sweep takes 45 s, 70 s with peers */
#define DURATION_MS_FULL 5000u
#define WARMUP_MS_SMOKE 10u
#define WARMUP_MS_QUICK 200u
#define WARMUP_MS_FULL 1000u
#define TARGET_CONNECTIONS 50u /* the targets' point, as redis-benchmark's default -c 50 */
#define TARGET_REPEATS 3u      /* runs of each server at the targets' point; the best counts */
#define REDIS_BENCHMARK_PATH "/usr/bin/redis-benchmark"

struct options {
    uint64_t duration_ms;
    uint64_t warmup_ms;
    uint64_t seed;
    bool has_peers;
};

static const char *const models[] = {"sequential", "threads", "pool", "epoll"};
static const unsigned connection_counts[] = {1, 8, TARGET_CONNECTIONS, 64, 512};
static const unsigned pipelines[] = {1, 16};

static const char *const columns[] = {"server",
                                      "model",
                                      "connections",
                                      "pipeline",
                                      "requests",
                                      "errors",
                                      "closed",
                                      "connect_failures",
                                      "connections_served",
                                      "seconds",
                                      "ops_per_s",
                                      "p50_us",
                                      "p90_us",
                                      "p99_us",
                                      "p999_us",
                                      "max_us",
                                      "status"};

/* One row; status says in a word what went wrong, if anything. */
static void
write_row(struct kh_csv *csv, const char *server, const char *model, unsigned connections,
          unsigned pipeline, const struct kh_load_result *r, const char *status)
{
    kh_csv_str(csv, server);
    kh_csv_str(csv, model);
    kh_csv_u64(csv, connections);
    kh_csv_u64(csv, pipeline);
    kh_csv_u64(csv, r->requests);
    kh_csv_u64(csv, r->errors);
    kh_csv_u64(csv, r->closed);
    kh_csv_u64(csv, r->connect_failures);
    kh_csv_u64(csv, r->connections_served);
    kh_csv_f64(csv, (double)r->elapsed_ns / 1e9);
    kh_csv_f64(csv, r->ops_per_s);
    kh_csv_f64(csv, r->latency_us_p50);
    kh_csv_f64(csv, r->latency_us_p90);
    kh_csv_f64(csv, r->latency_us_p99);
    kh_csv_f64(csv, r->latency_us_p999);
    kh_csv_f64(csv, r->latency_us_max);
    kh_csv_str(csv, status);
    kh_csv_end_row(csv);
}

/* Sets ~95% of the keys from one connection (the sequential model serves one at a time), so
 * the measured GETs mostly find a 100-byte value, as a cache in use would. */
static void
preload(uint16_t port, uint64_t seed)
{
    struct kh_load_options o;
    kh_load_options_default(&o);
    o.port = port;
    o.connections = 1;
    o.pipeline = 64;
    o.key_count = KEY_COUNT;
    o.value_bytes = VALUE_BYTES;
    o.get_ratio = 0.0;
    o.duration_ms = 0;
    o.request_count = PRELOAD_REQUESTS;
    o.warmup_ms = 0;
    o.seed = seed ^ 0x5eedu;
    struct kh_load_result r;
    kh_load_status status = kh_load_run(&o, &r);
    if (status != KH_LOAD_OK || r.errors > 0) {
        fprintf(stderr, "bench_servers: preload: %s, %llu errors %s\n", kh_load_strerror(status),
                (unsigned long long)r.errors, r.message);
    }
}

/* The word for a point's status column: "ok" only when every connection was served without
 * an error; otherwise the most telling problem. */
static const char *
point_status(kh_load_status status, const struct kh_load_result *r, unsigned connections,
             bool is_server_alive)
{
    if (!is_server_alive) {
        return "server died";
    }
    if (status == KH_LOAD_NO_CONNECTION) {
        return "refused";
    }
    if (status == KH_LOAD_STALLED) {
        return "stalled";
    }
    if (r->errors > 0) {
        return "errors";
    }
    if (r->closed > 0 || r->connect_failures > 0) {
        return "closed";
    }
    return r->connections_served < connections ? "starved" : "ok";
}

/* One measured point: what the generator saw and the word for the status column. */
struct point {
    struct kh_load_result r;
    const char *status;
};

/* Runs the workload once against the server p listens for on port. */
static struct point
measure(const struct options *opt, struct kh_proc *p, uint16_t port, unsigned connections,
        unsigned pipeline)
{
    preload(port, opt->seed);
    struct kh_load_options o;
    kh_load_options_default(&o);
    o.port = port;
    o.connections = connections;
    o.pipeline = pipeline;
    o.key_count = KEY_COUNT;
    o.value_bytes = VALUE_BYTES;
    o.get_ratio = GET_RATIO;
    o.duration_ms = opt->duration_ms;
    o.warmup_ms = opt->warmup_ms;
    o.seed = opt->seed;
    struct point pt;
    kh_load_status status = kh_load_run(&o, &pt.r);
    pt.status = point_status(status, &pt.r, connections, kh_proc_is_alive(p));
    return pt;
}

static void
progress(const char *server, const char *model, unsigned connections, unsigned pipeline,
         const struct point *pt)
{
    fprintf(stderr,
            "bench_servers: %-12s %-10s c=%-3u P=%-2u %9.0f ops/s  p99 %8.0f us  served %u/%u  "
            "%s%s%s\n",
            server, model, connections, pipeline, pt->r.ops_per_s, pt->r.latency_us_p99,
            pt->r.connections_served, connections, pt->status, pt->r.message[0] ? ": " : "",
            pt->r.message);
}

/* One keel-server point: a fresh server, the workload, a bounded stop. A server that does not
 * start still gets its row (status "no start"), so nothing is skipped silently. */
static struct point
keel_point(const struct options *opt, const char *path, const char *model, unsigned connections,
           unsigned pipeline)
{
    struct point pt = {.status = "no start"};
    struct kh_proc p;
    uint16_t port = 0;
    char why[640];
    static const char *const extra[] = {"--max-clients", "1024", NULL};
    if (server_start_keel(&p, path, model, extra, &port, why, sizeof(why)) != 0) {
        fprintf(stderr, "bench_servers: %s\n", why);
    } else {
        pt = measure(opt, &p, port, connections, pipeline);
        if (!server_stop(&p)) {
            fprintf(stderr, "bench_servers: keel-server --model %s ignored SIGTERM for %d ms\n",
                    model, SERVER_STOP_MS);
        }
        kh_proc_close(&p);
    }
    progress("keel-server", model, connections, pipeline, &pt);
    return pt;
}

static struct point
redis_point(const struct options *opt, unsigned connections, unsigned pipeline)
{
    struct point pt = {.status = "no start"};
    struct kh_proc p;
    uint16_t port = 0;
    if (server_start_redis(&p, &port) != 0) {
        fprintf(stderr, "bench_servers: cannot start %s\n", REDIS_SERVER_PATH);
    } else {
        pt = measure(opt, &p, port, connections, pipeline);
        server_stop(&p);
        kh_proc_close(&p);
    }
    progress("redis-server", "redis", connections, pipeline, &pt);
    return pt;
}

/* The targets' point, TARGET_CONNECTIONS at one pipeline depth: epoll and (with --peers)
 * redis-server alternately, TARGET_REPEATS times each, keeping each one's fastest run, so a
 * burst from the machine's other tenants does not decide a ratio. Writes epoll's row; redis's
 * best goes to *best_redis, written in its own sweep (rows stay in connection order). */
static void
target_points(struct kh_csv *csv, const struct options *opt, const char *path, unsigned pipeline,
              struct point *best_redis)
{
    struct point best_keel = {.status = "no start"};
    *best_redis = (struct point){.status = "no start"};
    for (unsigned rep = 0; rep < TARGET_REPEATS; rep++) {
        struct point pt = keel_point(opt, path, "epoll", TARGET_CONNECTIONS, pipeline);
        if (rep == 0 || pt.r.ops_per_s > best_keel.r.ops_per_s) {
            best_keel = pt;
        }
        if (opt->has_peers) {
            pt = redis_point(opt, TARGET_CONNECTIONS, pipeline);
            if (rep == 0 || pt.r.ops_per_s > best_redis->r.ops_per_s) {
                *best_redis = pt;
            }
        }
    }
    write_row(csv, "keel-server", "epoll", TARGET_CONNECTIONS, pipeline, &best_keel.r,
              best_keel.status);
}

/* One line of redis-benchmark --csv: "TEST","rps","avg_ms","min_ms","p50_ms","p95_ms","p99_ms",
 * "max_ms" (redis-benchmark 7). It reports no p90 and no p99.9: those cells stay empty. */
static void
redis_benchmark_row(struct kh_csv *csv, const char *line, unsigned pipeline, uint64_t request_count)
{
    char test[16];
    double rps = 0, avg_ms = 0, min_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
    int fields =
        sscanf(line, "\"%15[A-Za-z]\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"",
               test, &rps, &avg_ms, &min_ms, &p50_ms, &p95_ms, &p99_ms, &max_ms);
    if (fields != 8 || rps <= 0) {
        return; /* the header, or a line this parser does not know */
    }
    for (char *c = test; *c != '\0'; c++) {
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    }
    kh_csv_str(csv, "redis-benchmark");
    kh_csv_str(csv, test);
    kh_csv_u64(csv, TARGET_CONNECTIONS);
    kh_csv_u64(csv, pipeline);
    kh_csv_u64(csv, request_count);
    kh_csv_u64(csv, 0);
    kh_csv_u64(csv, 0);
    kh_csv_u64(csv, 0);
    kh_csv_u64(csv, TARGET_CONNECTIONS);
    kh_csv_f64(csv, (double)request_count / rps);
    kh_csv_f64(csv, rps);
    kh_csv_f64(csv, p50_ms * 1e3);
    kh_csv_str(csv, "");
    kh_csv_f64(csv, p99_ms * 1e3);
    kh_csv_str(csv, "");
    kh_csv_f64(csv, max_ms * 1e3);
    kh_csv_str(csv, "ok");
    kh_csv_end_row(csv);
    fprintf(stderr, "bench_servers: %-12s %-10s c=%-3u P=%-2u %9.0f ops/s  p99 %8.0f us\n",
            "redis-bench", test, TARGET_CONNECTIONS, pipeline, rps, p99_ms * 1e3);
}

/* redis-benchmark against a fresh redis-server: its own client, its own numbers, beside ours. */
static void
redis_benchmark_point(struct kh_csv *csv, const struct options *opt, unsigned pipeline)
{
    struct kh_proc p;
    uint16_t port = 0;
    if (server_start_redis(&p, &port) != 0) {
        fprintf(stderr, "bench_servers: cannot start %s\n", REDIS_SERVER_PATH);
        return;
    }
    /* About 1 s per test at the rates this machine reaches; 5x in full mode. */
    uint64_t request_count =
        (pipeline > 1 ? 500000u : 100000u) * (opt->duration_ms == DURATION_MS_FULL ? 5u : 1u);
    char command[256];
    snprintf(command, sizeof(command),
             "%s -h 127.0.0.1 -p %u -c %u -P %u -t set,get -n %llu -d %u -r %u --csv 2>&1",
             REDIS_BENCHMARK_PATH, (unsigned)port, TARGET_CONNECTIONS, pipeline,
             (unsigned long long)request_count, VALUE_BYTES, KEY_COUNT);
    FILE *out = popen(command, "r");
    if (out == NULL) {
        fprintf(stderr, "bench_servers: cannot run %s\n", command);
    } else {
        char line[512];
        while (fgets(line, sizeof(line), out) != NULL) {
            redis_benchmark_row(csv, line, pipeline, request_count);
        }
        int rc = pclose(out);
        if (rc != 0) {
            fprintf(stderr, "bench_servers: redis-benchmark exited with status %d\n", rc);
        }
    }
    server_stop(&p);
    kh_proc_close(&p);
}

int
main(int argc, char **argv)
{
    struct kh_bench_options shared = kh_bench_options_parse(argc, argv, NULL, 0);
    struct options opt = {
        kh_bench_sized(&shared, DURATION_MS_SMOKE, DURATION_MS_QUICK, DURATION_MS_FULL),
        kh_bench_sized(&shared, WARMUP_MS_SMOKE, WARMUP_MS_QUICK, WARMUP_MS_FULL), shared.seed,
        shared.has_peers};
    char path[PATH_MAX];
    if (server_keel_path(path, sizeof(path)) != 0) {
        fprintf(stderr,
                "bench_servers: no keel-server at %s (is labs/01-servers/cmd/"
                "keel-server.c built?)\n",
                path);
        return 1;
    }
    if (kh_load_raise_fd_limit(2048) != 0) { /* 512 clients here, 512 + 1 in the server */
        fprintf(stderr, "bench_servers: cannot raise RLIMIT_NOFILE to 2048\n");
        return 1;
    }
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    bool has_redis = opt.has_peers && access(REDIS_SERVER_PATH, X_OK) == 0;
    if (opt.has_peers && !has_redis) {
        fprintf(stderr, "bench_servers: --peers: %s is not installed (make peers)\n",
                REDIS_SERVER_PATH);
    }
    opt.has_peers = has_redis;
    struct point redis_at_target[KH_ARRAY_LEN(pipelines)];
    for (size_t m = 0; m < KH_ARRAY_LEN(models); m++) {
        bool is_epoll = strcmp(models[m], "epoll") == 0;
        for (size_t pl = 0; pl < KH_ARRAY_LEN(pipelines); pl++) {
            for (size_t c = 0; c < KH_ARRAY_LEN(connection_counts); c++) {
                unsigned conns = connection_counts[c];
                if (conns == TARGET_CONNECTIONS) {
                    if (is_epoll) { /* the other models are not compared at 50 */
                        target_points(&csv, &opt, path, pipelines[pl], &redis_at_target[pl]);
                    }
                    continue;
                }
                struct point pt = keel_point(&opt, path, models[m], conns, pipelines[pl]);
                write_row(&csv, "keel-server", models[m], conns, pipelines[pl], &pt.r, pt.status);
            }
        }
    }
    for (size_t pl = 0; has_redis && pl < KH_ARRAY_LEN(pipelines); pl++) {
        for (size_t c = 0; c < KH_ARRAY_LEN(connection_counts); c++) {
            unsigned conns = connection_counts[c];
            struct point pt = conns == TARGET_CONNECTIONS ? redis_at_target[pl]
                                                          : redis_point(&opt, conns, pipelines[pl]);
            write_row(&csv, "redis-server", "redis", conns, pipelines[pl], &pt.r, pt.status);
        }
    }
    for (size_t pl = 0;
         has_redis && access(REDIS_BENCHMARK_PATH, X_OK) == 0 && pl < KH_ARRAY_LEN(pipelines);
         pl++) {
        redis_benchmark_point(&csv, &opt, pipelines[pl]);
    }
    return 0;
}
