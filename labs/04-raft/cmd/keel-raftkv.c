/* keel-raftkv.c -- lab 04's server program: one node of the replicated key-value store
 * (raftkv.h). Start one per node, e.g. three on loopback:
 *   keel-raftkv --id 1 --peers 127.0.0.1:7001:6401,127.0.0.1:7002:6402,127.0.0.1:7003:6403 \
 *               --data /tmp/kv1
 * then `redis-cli -c -p 6401 SET k v`. */
#include "raftkv.h"

int
main(int argc, char **argv)
{
    return raftkv_main(argc, argv);
}
