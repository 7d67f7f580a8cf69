/* keel-server.c -- lab 03's build of lab 01's server: the very same program, included whole, and
 * linked with server_backend.c, which gives `--store bitcask:DIR` its meaning (part E). */
#include "../../01-servers/cmd/keel-server.c"
