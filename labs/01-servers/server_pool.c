/* server_pool.c -- your thread-pool server (lab 01, part C): a dispatcher and a fixed number
 * of workers, with a bounded queue between them. Read server.h first, then the README. */
#include "server.h"

int
server_run_pool(struct server *server)
{
    /* TODO(part C): server->config.threads workers; a queue of ready clients holding at most
     * server->config.queue_size (when full, the dispatcher waits: backpressure). A client that
     * sends half a command must not hold a worker. When server->config.pool_queue is set, move
     * clients through it instead of your queue (server.h; lab 02 part F plugs a ring in). */
    (void)server;
    return -2;
}
