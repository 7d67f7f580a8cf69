/* client.c -- your client processing (lab 01, parts C and E): parse a client's requests,
 * execute them (pub/sub here, everything else through server_execute), queue the replies in
 * c->out, and write them. Read server.h first. Creating and freeing a client, its output
 * lock and delivering a published message are given in server_given.c; each TODO here returns
 * an error until you write it. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

void
client_enforce_output_limit(struct client *c)
{
    /* TODO(part D): a client whose unsent replies pass server->config.output_size_bytes_max is
     * cut off: drop what it has not read and mark it closing (the caller holds out_lock). */
    (void)c;
}

int
client_feed(struct client *c, const char *bytes, size_t size_bytes, uint64_t now_ms)
{
    /* TODO(part C): record the activity time; in the locked models take server->lock, then
     * out_lock (always in that order); loop resp_parse over the bytes, calling client_execute
     * for each complete request; on a protocol error append "-ERR " + the parser's message and
     * mark the client closing; check the output limit; unlock in reverse order. */
    (void)bytes;
    (void)size_bytes;
    (void)now_ms;
    c->is_closing = true;
    return -1;
}

int
client_execute(struct client *c, const struct resp_request *request, uint64_t now_ms)
{
    /* TODO(part C): hand the request to server_execute(c, request, now_ms) (cmd_execute, or the
     * storage backend a later lab plugs in, then the server's own commands) and act on its
     * status (CMD_QUIT closes after the reply is written; CMD_NOT_MINE is pub/sub).
     * TODO(part E): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE and PUBLISH with the
     * replies Redis sends, and the rule that a subscribed client may only manage its
     * subscriptions, PING and QUIT. */
    (void)c;
    (void)request;
    (void)now_ms;
    return -1;
}

int
client_flush(struct client *c)
{
    /* TODO(part C): send what c->out holds from out_sent_bytes on, under out_lock. A
     * non-blocking socket may take only part of it (EAGAIN): keep the rest and return 1. Reset
     * the buffer once everything went out. */
    (void)c;
    return -1;
}
