/* keel-server.c -- lab 03's build of lab 01's server program: the keyspace can also live in a
 * Bitcask store (part E), as `keel-server --store bitcask:DIR`. */
#include "server.h"
#include "server_backend.h"

int
main(int argc, char **argv)
{
    static const struct store_backend_ops *const backends[] = {&bitcask_backend_ops};
    static const struct server_plugins plugins = {
        .backends = backends,
        .backend_count = sizeof(backends) / sizeof(backends[0]),
    };
    return server_main(argc, argv, &plugins);
}
