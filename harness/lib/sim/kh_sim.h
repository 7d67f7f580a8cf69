/* kh_sim.h -- a deterministic network for tests of distributed protocols: nodes 1..node_count
 * exchange byte messages through queues that delay, drop, duplicate and reorder them, and
 * through links a test can cut, as one seed says. Time is virtual (ticks the driver advances;
 * nothing reads a real clock), so a run replays exactly from its seed. Read kh_sim_send and
 * kh_sim_receive first. Memory: the sim owns a copy of every message in flight and the last one
 * received; nothing is shared between sims and nothing is thread-safe (one driver thread). */
#ifndef KEEL_KH_SIM_H
#define KEEL_KH_SIM_H

#include "kh_core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KH_SIM_NODES_MAX 16u                /* nodes 1..node_count; 0 is never a node */
#define KH_SIM_MESSAGE_BYTES_MAX (8u << 20) /* 8 MiB, one message */
/* Messages queued at once, duplicates included: a full heap is 100,000 x 48 B = 4.8 MB, plus the
 * bytes. A copy beyond it is lost and counted in overflowed, so a protocol that floods the
 * network learns so from its stats, not from a failed send. */
#define KH_SIM_IN_FLIGHT_MAX 100000u
#define KH_SIM_PER_MILLION 1000000u /* the denominator of the fault chances */

#define KH_SIM_STATUS(X)                                                                           \
    X(KH_SIM_OK, "ok")                                                                             \
    X(KH_SIM_BAD_NODE, "a node is not in 1..node_count (or node_count not in 1..NODES_MAX)")       \
    X(KH_SIM_TOO_BIG, "the message is larger than KH_SIM_MESSAGE_BYTES_MAX")                       \
    X(KH_SIM_NOMEM, "out of memory")
#define KH_SIM_STATUS_ENUM(name, text) name,
typedef enum { KH_SIM_STATUS(KH_SIM_STATUS_ENUM) } kh_sim_status;
#undef KH_SIM_STATUS_ENUM

const char *kh_sim_strerror(kh_sim_status status);

/* What the network does to each message sent while these are in force. The default (as
 * kh_sim_create leaves it): delay 1..1, no drops, no duplicates, a reliable FIFO network.
 * Random delays reorder messages, even between one pair of nodes. */
struct kh_sim_faults {
    /* Each copy is delivered after a delay drawn uniformly from [min, max] ticks (min <= max,
     * asserted); 0 delivers within the tick it was sent. */
    uint32_t delay_ticks_min;
    uint32_t delay_ticks_max;
    uint32_t drop_per_million;      /* chance that a sent message is lost (<= KH_SIM_PER_MILLION) */
    uint32_t duplicate_per_million; /* chance it is delivered twice, the copy with its own delay */
};

struct kh_sim_message {
    uint32_t from;
    uint32_t to;
    uint64_t sent_tick;
    uint64_t due_tick; /* when it became deliverable; it is received at or after this */
    /* Borrowed: valid until the next kh_sim_receive or kh_sim_destroy. Never NULL, even when
     * size_bytes is 0. */
    const void *bytes;
    size_t size_bytes;
};

/* Counted since kh_sim_create. Every accepted send is one message; a duplicate adds a copy; each
 * copy ends exactly once as delivered, dropped, cut or overflowed, or is still in flight:
 *   sent + duplicated == delivered + dropped + cut + overflowed + kh_sim_in_flight(sim)   */
struct kh_sim_stats {
    uint64_t sent;       /* kh_sim_send calls that returned KH_SIM_OK */
    uint64_t delivered;  /* returned by kh_sim_receive */
    uint64_t dropped;    /* lost by drop_per_million, or by kh_sim_drop_to */
    uint64_t duplicated; /* copies made by duplicate_per_million */
    uint64_t cut;        /* lost to a cut link, at send or at delivery */
    uint64_t overflowed; /* lost because KH_SIM_IN_FLIGHT_MAX copies were queued */
};

struct kh_sim; /* opaque; defined in sim.c */

/* A network of nodes 1..node_count, all links connected, default faults, time 0, its randomness
 * seeded by seed. On KH_SIM_OK *out is owned: free it with kh_sim_destroy. Returns KH_SIM_OK,
 * KH_SIM_BAD_NODE (node_count not in 1..KH_SIM_NODES_MAX) or KH_SIM_NOMEM. */
kh_sim_status kh_sim_create(uint32_t node_count, uint64_t seed, struct kh_sim **out);
/* Frees the sim, every message in flight and the last one received. NULL does nothing. */
void kh_sim_destroy(struct kh_sim *sim);

/* Applies to messages sent from now on; those in flight keep their fate. Asserts the limits. */
void kh_sim_set_faults(struct kh_sim *sim, const struct kh_sim_faults *faults);

/* ---- Time: virtual ticks, starting at 0; only the driver moves it ------------------------- */

uint64_t kh_sim_now(const struct kh_sim *sim);
void kh_sim_tick(struct kh_sim *sim); /* now += 1 */
/* now = tick (>= now, asserted): skips idle time, e.g. to kh_sim_next_due or a timer. */
void kh_sim_advance_to(struct kh_sim *sim, uint64_t tick);

/* ---- Messages -------------------------------------------------------------------------- */

/* Sends size_bytes of bytes (copied; bytes may be NULL when size_bytes is 0) from node from to
 * node to; a node may send to itself. If the link is cut now, the message is lost (counted in
 * cut) and draws nothing. Otherwise the sim draws, in this order, whether it is dropped, whether
 * it is duplicated, and a delay for each copy; a draw whose outcome is certain (a chance of 0 or
 * of one million, delay min == max) is skipped, and a dropped message draws nothing more. Cost:
 * O(log in_flight) and one allocation per copy. Returns KH_SIM_OK (the message may still be
 * lost: see the stats), KH_SIM_BAD_NODE, KH_SIM_TOO_BIG or KH_SIM_NOMEM; on any error nothing
 * changed, the randomness included. */
kh_sim_status kh_sim_send(struct kh_sim *sim, uint32_t from, uint32_t to, const void *bytes,
                          size_t size_bytes);
/* Takes the next message due at or before now, in (due_tick, send order) order, into *out, and
 * returns true; false when none is due. A message whose link is cut when it comes due is lost
 * (counted in cut) and skipped. Frees the message the previous call returned, whatever this one
 * returns. Cost: O(log in_flight) per message taken or skipped. */
bool kh_sim_receive(struct kh_sim *sim, struct kh_sim_message *out);
/* The earliest due tick in flight, UINT64_MAX when nothing is. That message may yet be cut at
 * delivery, so a receive at that tick can return false. */
uint64_t kh_sim_next_due(const struct kh_sim *sim);
/* Copies queued, whether or not they will be cut at delivery. */
size_t kh_sim_in_flight(const struct kh_sim *sim);
/* Loses every message in flight to node, counted in dropped: a crash, whose socket buffers die
 * with it. Messages the node sent are still delivered. Cost: O(in_flight). */
void kh_sim_drop_to(struct kh_sim *sim, uint32_t node);

/* ---- Links: directed, node from to node to; a node's link to itself is one too ------------
 * A bad node here is a bug in the test, so it is asserted, not returned. A link's state is read
 * twice per message: at send and when it comes due. */

void kh_sim_cut(struct kh_sim *sim, uint32_t from, uint32_t to);
void kh_sim_connect(struct kh_sim *sim, uint32_t from, uint32_t to);
/* Cuts both ways between node and every other node (not its link to itself). */
void kh_sim_isolate(struct kh_sim *sim, uint32_t node);
/* group_of_node[i] is node i's group, for i in 1..node_count (group_of_node[0] is not read):
 * nodes in one group are connected both ways, nodes in different groups cut both ways. Every
 * link is set, so this also heals what an earlier call cut inside a group. */
void kh_sim_partition(struct kh_sim *sim, const uint32_t *group_of_node);
void kh_sim_heal(struct kh_sim *sim); /* every link connected */
bool kh_sim_is_connected(const struct kh_sim *sim, uint32_t from, uint32_t to);

/* ---- Randomness and counts ------------------------------------------------------------- */

/* The sim's randomness, borrowed for the sim's life, for the driver's own choices (which node to
 * crash, when a timer fires): the same stream the network draws from, so one seed replays the
 * whole run. */
struct kh_rng *kh_sim_rng(struct kh_sim *sim);
void kh_sim_stats(const struct kh_sim *sim, struct kh_sim_stats *out);

#endif
