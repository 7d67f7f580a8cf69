/* server_blocking.c -- your sequential and thread-per-connection servers (lab 01, part C).
 * Read server.h first, then the README's part C. */
#include "server.h"

int
server_run_sequential(struct server *server)
{
    /* TODO(part C): accept one client at a time and serve it until it leaves (read, feed,
     * flush); run server_cron every SERVER_CRON_INTERVAL_MS from a thread of its own. */
    (void)server;
    return -2;
}

int
server_run_threads(struct server *server)
{
    /* TODO(part C): a detached thread per accepted client, with a small stack (1,000 clients
     * must fit); published messages must reach a client whose thread waits in read(). */
    (void)server;
    return -2;
}
