/* raft_read.c -- lab 04 part E: linearizable reads without log entries (ReadIndex: Raft §8;
 * Ongaro's dissertation, 2014, §6.4). A leader may answer a read only once it knows it still
 * led after the read was asked: a majority answered a message it sent after that. Read the
 * README's part E and raft_read_index in raft.h first; the given code stamps every append and
 * snapshot chunk with r->read_round and carries the round back in the replies. */
#include "raft_internal.h"

void
raft_read_start(struct raft *r, uint64_t id)
{
    /* TODO(part E): hold the read in r->reads_waiting with the round whose answers confirm
     * it. Only messages sent after this call prove anything: start a new round (and send every
     * follower an append it cannot refuse) unless the current round's messages are still
     * unsent (r->is_read_round_unsent), in which case the read may share them. */
    (void)r;
    (void)id;
}

void
raft_read_on_reply(struct raft *r, const struct raft_msg *m)
{
    /* TODO(part E): the follower answered a message of round m->read_round: remember the
     * highest round each follower answered (r->progress). */
    (void)r;
    (void)m;
}

void
raft_read_advance(struct raft *r)
{
    /* TODO(part E): hand out (raft_read_done, in the order asked) each waiting read whose round
     * a majority answered, the leader counting itself, with the commit index as its index; but
     * none before the leader has committed an entry of its own term. */
    (void)r;
}
