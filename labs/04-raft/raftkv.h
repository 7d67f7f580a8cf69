/* raftkv.h -- lab 04 part E, given: keel-raftkv, the replicated key-value store as a server. Each
 * process is one Raft node (raft.h) on real sockets: it keeps its Raft state in a raft_storage
 * directory (part C), its keys in a struct kv (raft_kv.h: a lab 03 Bitcask store), talks to its
 * peers over TCP and to clients in RESP (lab 01's parser), so redis-cli and redis-benchmark
 * work against the cluster. Writes go through the log; GET through ReadIndex (raft_read_index).
 * One thread, one epoll loop: the node is pure, so the loop alone decides when time passes. */
#ifndef KEEL_RAFTKV_H
#define KEEL_RAFTKV_H

#include "raft.h"

#include <stdbool.h>
#include <stdint.h>

#define RAFTKV_HOST_MAX 64u
#define RAFTKV_DIR_MAX 200u
#define RAFTKV_PENDING_MAX 65536u           /* client requests waiting for the log or a read */
#define RAFTKV_PEER_QUEUE_BYTES (64u << 20) /* unsent bytes to one peer; past it, messages drop */
#define RAFTKV_CLIENT_OUT_BYTES (64u << 20) /* unsent replies to one client; past it, it is cut */

/* One node of the cluster: where its peers reach it, and where clients do. */
struct raftkv_node {
    char host[RAFTKV_HOST_MAX];
    uint16_t peer_port;
    uint16_t client_port;
};

struct raftkv_config {
    uint32_t id;                                  /* this node, 1..node_count */
    uint32_t node_count;                          /* the peers given, this node among them */
    struct raftkv_node nodes[RAFT_NODES_MAX + 1]; /* by id; [0] unused */
    char data_dir[RAFTKV_DIR_MAX];                /* holds raft/ and kv/, created if missing */
    uint32_t tick_ms;                             /* one raft_tick per this many ms */
    uint32_t election_ticks;
    uint32_t heartbeat_ticks;
    uint64_t compact_every; /* snapshot once this many entries were applied past the last */
    bool is_verbose;        /* role changes on stderr */
};

/* Defaults (tick 10 ms, elections after 300-600 ms, heartbeats every 50 ms, a snapshot every
 * 100,000 entries), then argv: --id N --peers HOST:PEER_PORT:CLIENT_PORT,... (the cluster, in id
 * order) --data DIR [--tick-ms MS] [--election-ticks N] [--heartbeat-ticks N]
 * [--compact-every N] [--verbose]. Returns 0, or -1 with a one-line reason in err. */
int raftkv_parse_args(int argc, char **argv, struct raftkv_config *config, char *err,
                      size_t err_size);

/* Runs the node until SIGINT or SIGTERM, then closes its stores. Returns 0, or 1 after printing
 * on stderr why it could not start or had to stop (a store that failed: its state may be
 * behind the others', so it must not go on). */
int raftkv_run(const struct raftkv_config *config);

/* keel-raftkv's main: --help, the arguments, then raftkv_run. */
int raftkv_main(int argc, char **argv);

#endif
