/* keel_cluster.h -- lab 04's benches: a keel-raftkv cluster (raftkv.h) of forked processes on
 * loopback, each node in its own directory under the bench's, its leader found by a write that
 * goes through (following MOVED). Shared by bench_raftkv and bench_etcd. */
#ifndef KEEL_BENCH_KEEL_CLUSTER_H
#define KEEL_BENCH_KEEL_CLUSTER_H

#include "kh_core.h"
#include "kh_net.h"
#include "raftkv.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEL_NODES_MAX 5u

struct keel_cluster {
    uint32_t node_count;
    struct raftkv_config config[KEEL_NODES_MAX + 1];
    pid_t pid[KEEL_NODES_MAX + 1];
    uint16_t leader_port;
};

/* A loopback port for a node, outside the kernel's ephemeral range (kh_net_port_for_server). */
static inline uint16_t
free_port(void)
{
    uint16_t port = kh_net_port_for_server();
    if (port == 0) {
        perror("bench: no free port for a node");
        exit(1);
    }
    return port;
}

/* The client port of the node that takes a write, following MOVED; 0 if none within 10 s. */
static inline uint16_t
keel_leader(const struct keel_cluster *k)
{
    uint16_t port = k->config[1].nodes[1].client_port;
    for (int tries = 0; tries < 500; tries++) {
        struct kh_rclient c;
        char out[256] = "";
        if (kh_rclient_connect(&c, port) == 0) {
            if (kh_rclient_send(&c, 3, (const char *[]){"SET", "probe", "x"}) != 0 ||
                kh_rclient_reply(&c, out, sizeof(out), 1000) < 0) {
                out[0] = '\0';
            }
            kh_rclient_close(&c);
        }
        unsigned moved = 0;
        if (strcmp(out, "+OK\r\n") == 0) {
            return port;
        }
        if (sscanf(out, "-MOVED 0 127.0.0.1:%u", &moved) == 1) {
            port = (uint16_t)moved;
            continue;
        }
        usleep(20 * 1000);
    }
    return 0;
}

/* Starts node_count nodes with keel-raftkv's default settings, their data under dir, and waits
 * for a leader; exits the bench if none is elected in 10 s. */
static inline void
keel_start(struct keel_cluster *k, uint32_t node_count, const char *dir)
{
    memset(k, 0, sizeof(*k));
    k->node_count = node_count;
    struct raftkv_node nodes[RAFT_NODES_MAX + 1];
    memset(nodes, 0, sizeof(nodes));
    for (uint32_t id = 1; id <= node_count; id++) {
        snprintf(nodes[id].host, sizeof(nodes[id].host), "127.0.0.1");
        nodes[id].peer_port = free_port();
        nodes[id].client_port = free_port();
    }
    for (uint32_t id = 1; id <= node_count; id++) {
        struct raftkv_config *c = &k->config[id];
        char err[256];
        char *argv[] = {"keel-raftkv", "--id", "1", "--peers", "x:1:1", "--data", "x", NULL};
        if (raftkv_parse_args(7, argv, c, err, sizeof(err)) != 0) { /* the defaults */
            fprintf(stderr, "bench: %s\n", err);
            exit(1);
        }
        c->id = id;
        c->node_count = node_count;
        memcpy(c->nodes, nodes, sizeof(nodes));
        snprintf(c->data_dir, sizeof(c->data_dir), "%s/keel%u", dir, id);
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            _exit(raftkv_run(c));
        }
        k->pid[id] = pid;
    }
    k->leader_port = keel_leader(k);
    if (k->leader_port == 0) {
        fprintf(stderr, "bench: keel-raftkv elected no leader in 10 s\n");
        exit(1);
    }
}

static inline void
keel_stop(struct keel_cluster *k)
{
    for (uint32_t id = 1; id <= k->node_count; id++) {
        kill(k->pid[id], SIGTERM);
        waitpid(k->pid[id], NULL, 0);
    }
}

#endif
