/* bench_etcd.c -- lab 04: the replicated KV against etcd, the store a user would pick instead.
 * Both run as three processes on loopback, their data on the same disk, every write synced by a
 * majority before it is acknowledged (keel-raftkv's group commit, etcd's WAL fsync). The load is
 * closed-loop writes of 100-byte values over 10,000 keys from 64 connections to the leader, one
 * request in flight each: keel-raftkv in RESP (kh_load), etcd in its own gRPC (etcd_load.h).
 * The two alternate, A B A B, in one run, and the targets take medians. It is one of the lab's
 * PEER_BENCHES: harness/bench runs it with --peers only; run by hand without --peers it
 * measures keel-raftkv alone. Read main() first. */
#include "kh_core.h"
#include "kh_load.h"
#include "kh_net.h"
#include "raftkv.h"

#include "bench/etcd_load.h"
#include "bench/keel_cluster.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODES 3u
#define CONNECTIONS 64u
#define KEYS 10000u
#define VALUE_BYTES 100u
#define WARMUP_MS 500u

struct etcd_cluster {
    struct kh_proc proc[NODES + 1];
    uint16_t client_port[NODES + 1];
    uint16_t leader_port;
};

static char dir[64];
static char etcd_path[256]; /* etcd's full path (kh_proc_spawn does not search PATH) */

/* Finds etcd and etcdctl on PATH; false when either is missing. */
static bool
find_etcd(void)
{
    FILE *f = popen("command -v etcd && command -v etcdctl", "r");
    if (f == NULL) {
        return false;
    }
    bool ok = fgets(etcd_path, sizeof(etcd_path), f) != NULL;
    char second[256];
    ok = ok && fgets(second, sizeof(second), f) != NULL;
    ok = pclose(f) == 0 && ok;
    etcd_path[strcspn(etcd_path, "\n")] = '\0';
    return ok;
}

/* etcd's leader: the member whose status says it is the leader (etcdctl endpoint status). */
static uint16_t
etcd_leader(const struct etcd_cluster *e)
{
    for (int tries = 0; tries < 100; tries++) {
        for (uint32_t id = 1; id <= NODES; id++) {
            char cmd[256], line[4096] = "";
            snprintf(cmd, sizeof(cmd),
                     "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:%u endpoint status -w json "
                     "2>/dev/null",
                     e->client_port[id]);
            FILE *f = popen(cmd, "r");
            if (f == NULL) {
                continue;
            }
            size_t n = fread(line, 1, sizeof(line) - 1, f);
            line[n] = '\0';
            pclose(f);
            const char *member = strstr(line, "\"member_id\":");
            const char *leader = strstr(line, "\"leader\":");
            if (member != NULL && leader != NULL &&
                strtoull(member + 12, NULL, 10) == strtoull(leader + 9, NULL, 10)) {
                return e->client_port[id];
            }
        }
        usleep(100 * 1000);
    }
    return 0;
}

static bool
etcd_start(struct etcd_cluster *e)
{
    memset(e, 0, sizeof(*e));
    uint16_t peer_port[NODES + 1];
    char cluster[512] = "";
    for (uint32_t id = 1; id <= NODES; id++) {
        e->client_port[id] = free_port();
        peer_port[id] = free_port();
        size_t used = strlen(cluster);
        snprintf(cluster + used, sizeof(cluster) - used, "%sn%u=http://127.0.0.1:%u",
                 id > 1 ? "," : "", id, peer_port[id]);
    }
    for (uint32_t id = 1; id <= NODES; id++) {
        char name[8], data[96], client[48], peer[48];
        snprintf(name, sizeof(name), "n%u", id);
        snprintf(data, sizeof(data), "%s/etcd%u", dir, id);
        snprintf(client, sizeof(client), "http://127.0.0.1:%u", e->client_port[id]);
        snprintf(peer, sizeof(peer), "http://127.0.0.1:%u", peer_port[id]);
        const char *argv[] = {etcd_path,    "--name",
                              name,         "--data-dir",
                              data,         "--listen-client-urls",
                              client,       "--advertise-client-urls",
                              client,       "--listen-peer-urls",
                              peer,         "--initial-advertise-peer-urls",
                              peer,         "--initial-cluster",
                              cluster,      "--initial-cluster-state",
                              "new",        "--initial-cluster-token",
                              "keel-bench", "--log-level",
                              "error",      "--logger",
                              "zap",        NULL};
        if (kh_proc_spawn(&e->proc[id], argv) != 0) {
            return false;
        }
    }
    for (uint32_t id = 1; id <= NODES; id++) {
        if (kh_proc_wait_port(&e->proc[id], e->client_port[id], 10000) != 0) {
            char err[512];
            kh_proc_stderr(&e->proc[id], err, sizeof(err));
            fprintf(stderr, "bench_etcd: etcd member %u did not start: %s\n", id, err);
            return false;
        }
    }
    e->leader_port = etcd_leader(e);
    return e->leader_port != 0;
}

static void
etcd_stop(struct etcd_cluster *e)
{
    for (uint32_t id = 1; id <= NODES; id++) {
        kh_proc_kill(&e->proc[id], SIGTERM);
        kh_proc_close(&e->proc[id]);
    }
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), compare_double);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t rounds = kh_bench_sized(&opt, 1, 3, 5);
    uint64_t duration_ms = kh_bench_sized(&opt, 1000, 3000, 10000);
    bool has_etcd = opt.has_peers && find_etcd();
    if (opt.has_peers && !has_etcd) {
        fprintf(stderr, "bench_etcd: etcd or etcdctl is not on PATH (make peers installs them)\n");
        return 1;
    }
    kh_load_raise_fd_limit(4096);
    snprintf(dir, sizeof(dir), "/tmp/keel-bench-etcd-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("bench_etcd: mkdtemp");
        return 1;
    }
    struct keel_cluster keel;
    struct etcd_cluster etcd;
    keel_start(&keel, NODES, dir);
    if (has_etcd && !etcd_start(&etcd)) {
        fprintf(stderr, "bench_etcd: the etcd cluster did not start\n");
        keel_stop(&keel);
        return 1;
    }
    printf("system,round,connections,value_bytes,ops_per_s,p50_us,p99_us\n");
    double ops[2][8], p99[2][8];
    for (uint64_t round = 0; round < rounds; round++) {
        /* A B A B: the order flips each round, so neither side always runs first. */
        for (int k = 0; k < 2; k++) {
            int side = (int)((round + (uint64_t)k) % 2);
            if (side == 1 && !has_etcd) {
                continue;
            }
            double p50;
            if (side == 0) {
                struct kh_load_options o;
                kh_load_options_default(&o);
                o.port = keel.leader_port;
                o.connections = CONNECTIONS;
                o.key_count = KEYS;
                o.value_bytes = VALUE_BYTES;
                o.get_ratio = 0.0;
                o.warmup_ms = WARMUP_MS;
                o.duration_ms = duration_ms;
                o.seed = opt.seed + round;
                struct kh_load_result r;
                kh_load_status st = kh_load_run(&o, &r);
                if (st != KH_LOAD_OK || r.errors > 0) {
                    fprintf(stderr, "bench_etcd: keel-raftkv load: %s (%" PRIu64 " errors) %s\n",
                            kh_load_strerror(st), r.errors, r.message);
                    return 1;
                }
                ops[0][round] = r.ops_per_s;
                p50 = r.latency_us_p50;
                p99[0][round] = r.latency_us_p99;
            } else {
                struct etcd_load_result r;
                if (etcd_load_run(etcd.leader_port, CONNECTIONS, KEYS, VALUE_BYTES, WARMUP_MS,
                                  duration_ms, opt.seed + round, &r) != 0 ||
                    r.errors > 0) {
                    fprintf(stderr, "bench_etcd: etcd load: %s (%" PRIu64 " errors)\n", r.message,
                            r.errors);
                    return 1;
                }
                ops[1][round] = r.ops_per_s;
                p50 = r.latency_us_p50;
                p99[1][round] = r.latency_us_p99;
            }
            printf("%s,%" PRIu64 ",%u,%u,%.0f,%.0f,%.0f\n", side == 0 ? "keel-raftkv" : "etcd",
                   round, CONNECTIONS, VALUE_BYTES, ops[side][round], p50, p99[side][round]);
            fflush(stdout);
        }
    }
    for (int side = 0; side < (has_etcd ? 2 : 1); side++) {
        printf("%s,median,%u,%u,%.0f,,%.0f\n", side == 0 ? "keel-raftkv" : "etcd", CONNECTIONS,
               VALUE_BYTES, median(ops[side], rounds), median(p99[side], rounds));
    }
    keel_stop(&keel);
    if (has_etcd) {
        etcd_stop(&etcd);
    }
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
