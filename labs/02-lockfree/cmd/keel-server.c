/* keel-server.c -- lab 02's build of lab 01's server program: the pool can also run on this
 * lab's MPMC ring (part F), as `keel-server --model pool --pool-queue ring`. */
#include "pool_ring.h"
#include "server.h"

int
main(int argc, char **argv)
{
    static const struct pool_queue_ops *const queues[] = {&pool_ring_ops};
    static const struct server_plugins plugins = {
        .pool_queues = queues,
        .pool_queue_count = sizeof(queues) / sizeof(queues[0]),
    };
    return server_main(argc, argv, &plugins);
}
