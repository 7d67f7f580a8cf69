/* keel-server.c -- lab 02's build of lab 01's server: the very same program, included whole,
 * and linked with pool_ring.c, which gives `--pool-queue ring` its meaning (part F). */
#include "../../01-servers/cmd/keel-server.c"
