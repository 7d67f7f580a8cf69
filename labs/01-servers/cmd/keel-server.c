/* keel-server.c -- lab 01's build of the server program: no plugins, so the pool has only its
 * own queue and the keyspace lives in memory. The program itself is server_main (server.h). */
#include "server.h"

int
main(int argc, char **argv)
{
    static const struct server_plugins none = {0};
    return server_main(argc, argv, &none);
}
