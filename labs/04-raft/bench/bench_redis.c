/* bench_redis.c -- lab 04: the replicated KV through redis-benchmark, Redis's own load tool, as
 * a user of keel-raftkv would try it: a 3-node cluster on loopback with fsync on, redis-benchmark
 * at its leader with 50 connections (its default), SET through the log and GET through ReadIndex,
 * 100-byte values over 10,000 keys, pipelines of 1 and 16. It prints redis-benchmark's own numbers
 * (CSV): requests a second, p50 and p99 latency. Reported, not gated: etcd is the peer
 * (bench_etcd), and kh_load's closed loop (bench_raftkv) is the measure the targets read. Read
 * main() first. */
#include "kh_core.h"

#include "bench/keel_cluster.h"

#include <inttypes.h>
#include <sys/stat.h>

#define REDIS_BENCHMARK_PATH "/usr/bin/redis-benchmark"
#define CONNECTIONS 50u
#define KEYS 10000u
#define VALUE_BYTES 100u

/* What redis-benchmark --csv says of one test: "TEST","rps","avg_ms","min_ms","p50_ms",
 * "p95_ms","p99_ms","max_ms" (redis-benchmark 7). False for another line (the header). */
static bool
parse_line(const char *line, char test[16], double *rps, double *p50_ms, double *p99_ms)
{
    double avg_ms, min_ms, p95_ms, max_ms;
    int fields =
        sscanf(line, "\"%15[A-Za-z]\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"",
               test, rps, &avg_ms, &min_ms, p50_ms, &p95_ms, p99_ms, &max_ms);
    return fields == 8 && *rps > 0;
}

/* Runs redis-benchmark at port with pipeline and prints a row per test; false if it failed or
 * printed no row for SET and GET both. */
static bool
run(uint16_t port, unsigned pipeline, uint64_t requests)
{
    char command[256];
    snprintf(command, sizeof(command),
             "%s -h 127.0.0.1 -p %u -c %u -P %u -t set,get -n %llu -d %u -r %u --csv 2>&1",
             REDIS_BENCHMARK_PATH, (unsigned)port, CONNECTIONS, pipeline,
             (unsigned long long)requests, VALUE_BYTES, KEYS);
    FILE *out = popen(command, "r");
    if (out == NULL) {
        fprintf(stderr, "bench_redis: cannot run %s\n", command);
        return false;
    }
    char line[512];
    unsigned rows = 0;
    while (fgets(line, sizeof(line), out) != NULL) {
        char test[16];
        double rps, p50_ms, p99_ms;
        if (!parse_line(line, test, &rps, &p50_ms, &p99_ms)) {
            if (strstr(line, "\"test\"") == NULL) {
                fprintf(stderr, "bench_redis: redis-benchmark said: %s", line);
            }
            continue;
        }
        for (char *c = test; *c != '\0'; c++) {
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        }
        printf("%s,%u,%u,%" PRIu64 ",%.0f,%.0f,%.0f\n", test, CONNECTIONS, pipeline, requests, rps,
               p50_ms * 1e3, p99_ms * 1e3);
        fflush(stdout);
        rows++;
    }
    int rc = pclose(out);
    if (rc != 0 || rows != 2) {
        fprintf(stderr, "bench_redis: redis-benchmark exited with status %d after %u rows\n", rc,
                rows);
        return false;
    }
    return true;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t requests = kh_bench_sized(&opt, 2000, 40000, 200000);
    if (access(REDIS_BENCHMARK_PATH, X_OK) != 0) {
        fprintf(stderr, "bench_redis: no %s (Debian's redis-tools; make deps installs it)\n",
                REDIS_BENCHMARK_PATH);
        return 1;
    }
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/keel-bench-redis-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("bench_redis: mkdtemp");
        return 1;
    }
    printf("test,connections,pipeline,requests,requests_per_s,p50_us,p99_us\n");
    struct keel_cluster k;
    keel_start(&k, 3, dir);
    bool is_ok = run(k.leader_port, 1, requests) && run(k.leader_port, 16, 4 * requests);
    keel_stop(&k);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return is_ok && system(cmd) == 0 ? 0 : 1;
}
