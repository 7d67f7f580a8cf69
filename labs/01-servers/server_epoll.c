/* server_epoll.c -- your event-loop server (lab 01, part D): one thread, epoll, non-blocking
 * clients. Read server.h first, then the README's part D. */
#include "server.h"

int
server_run_epoll(struct server *server)
{
    /* TODO(part D): register the listener and every client with epoll; read, feed, flush what
     * the socket takes and watch for EPOLLOUT while replies wait; run server_cron and close
     * idle clients every SERVER_CRON_INTERVAL_MS. */
    (void)server;
    return -2;
}
