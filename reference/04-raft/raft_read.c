/* raft_read.c -- lab 04 part E, reference: linearizable reads without log entries (ReadIndex:
 * Raft §8; Ongaro's dissertation, 2014, §6.4). A leader answers a read only once it knows it
 * still led after the read was asked: a majority answered a message it sent after that. Rounds
 * number those messages, so the answers to one round confirm every read that waits for it. */
#include "raft_internal.h"

/* An empty append at what `to` is known to hold, so it cannot be refused for a gap. A follower
 * that needs the snapshot gets none: the chunks it is sent carry the round as well. */
static void
send_read_heartbeat(struct raft *r, uint32_t to)
{
    const struct raft_progress *p = &r->progress[to];
    if (p->match_index < raft_log_start(r)) {
        return;
    }
    struct raft_msg m = {
        .type = RAFT_MSG_APPEND,
        .from = r->config.id,
        .to = to,
        .term = r->term,
        .prev_index = p->match_index,
        .prev_term = raft_log_term(r, p->match_index),
        .commit = r->commit_index,
    };
    raft_send(r, &m);
}

void
raft_read_start(struct raft *r, uint64_t id)
{
    /* A round's messages that have not gone out yet still follow this call: the read may wait
     * for them. Otherwise a new round, which only messages sent from now on carry. */
    if (!r->is_read_round_unsent) {
        r->read_round++;
        r->is_read_round_unsent = true;
        for (uint32_t to = 1; to <= r->config.node_count; to++) {
            if (to != r->config.id) {
                send_read_heartbeat(r, to);
            }
        }
    }
    r->reads_waiting[r->reads_waiting_count++] = (struct raft_read_wait){id, r->read_round};
}

void
raft_read_on_reply(struct raft *r, const struct raft_msg *m)
{
    struct raft_progress *p = &r->progress[m->from];
    if (m->read_round > p->read_round && m->read_round <= r->read_round) {
        p->read_round = m->read_round;
    }
}

/* The highest round a majority has answered, the leader counting itself for every round. */
static uint64_t
round_confirmed(const struct raft *r)
{
    uint64_t rounds[RAFT_NODES_MAX] = {0};
    uint32_t n = 0;
    for (uint32_t id = 1; id <= r->config.node_count; id++) {
        uint64_t round = id == r->config.id ? r->read_round : r->progress[id].read_round;
        uint32_t k = n++;
        for (; k > 0 && rounds[k - 1] < round; k--) {
            rounds[k] = rounds[k - 1]; /* descending */
        }
        rounds[k] = round;
    }
    return rounds[raft_quorum(r) - 1];
}

void
raft_read_advance(struct raft *r)
{
    /* Until an entry of its own term commits, a new leader's commit index may miss writes that
     * earlier leaders acknowledged (§8): no read may be answered from it yet. */
    if (r->reads_waiting_count == 0 || raft_log_term(r, r->commit_index) != r->term) {
        return;
    }
    uint64_t confirmed = round_confirmed(r);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < r->reads_waiting_count; i++) {
        struct raft_read_wait w = r->reads_waiting[i];
        if (w.round <= confirmed) {
            raft_read_done(r, w.id, RAFT_OK, r->commit_index);
        } else {
            r->reads_waiting[kept++] = w;
        }
    }
    r->reads_waiting_count = kept;
}
