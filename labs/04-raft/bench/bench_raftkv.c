/* bench_raftkv.c -- lab 04: keel-raftkv's synced writes on a real loopback cluster, against the
 * cluster's size (3 and 5 nodes) and against batching (1, 16 and 64 connections, each with one
 * write in flight to the leader: what one round of the leader's loop can carry to disk with
 * one fsync). 100-byte values over 10,000 keys, kh_load's closed loop. Prints writes a second
 * and the p50 and p99 latency (CSV). Read main() first. */
#include "kh_core.h"
#include "kh_load.h"

#include "bench/keel_cluster.h"

#include <inttypes.h>
#include <sys/stat.h>

#define KEYS 10000u
#define VALUE_BYTES 100u
#define WARMUP_MS 300u

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t duration_ms = kh_bench_sized(&opt, 500, 2000, 5000);
    kh_load_raise_fd_limit(4096);
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/keel-bench-raftkv-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("bench_raftkv: mkdtemp");
        return 1;
    }
    printf("nodes,connections,ops_per_s,p50_us,p99_us\n");
    const uint32_t sizes[] = {3, 5};
    const unsigned connections[] = {1, 16, 64};
    for (size_t s = 0; s < KH_ARRAY_LEN(sizes); s++) {
        char sub[96];
        snprintf(sub, sizeof(sub), "%s/n%u", dir, sizes[s]);
        if (mkdir(sub, 0755) != 0) {
            perror("bench_raftkv: mkdir");
            return 1;
        }
        struct keel_cluster k;
        keel_start(&k, sizes[s], sub);
        for (size_t i = 0; i < KH_ARRAY_LEN(connections); i++) {
            struct kh_load_options o;
            kh_load_options_default(&o);
            o.port = k.leader_port;
            o.connections = connections[i];
            o.key_count = KEYS;
            o.value_bytes = VALUE_BYTES;
            o.get_ratio = 0.0;
            o.warmup_ms = WARMUP_MS;
            o.duration_ms = duration_ms;
            o.seed = opt.seed;
            struct kh_load_result r;
            kh_load_status st = kh_load_run(&o, &r);
            if (st != KH_LOAD_OK || r.errors > 0) {
                fprintf(stderr,
                        "bench_raftkv: %u nodes, %u connections: %s (%" PRIu64 " errors) %s\n",
                        sizes[s], connections[i], kh_load_strerror(st), r.errors, r.message);
                keel_stop(&k);
                return 1;
            }
            printf("%u,%u,%.0f,%.0f,%.0f\n", sizes[s], connections[i], r.ops_per_s,
                   r.latency_us_p50, r.latency_us_p99);
            fflush(stdout);
        }
        keel_stop(&k);
    }
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
