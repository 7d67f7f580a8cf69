/* server_backend.h -- lab 03's storage backend for lab 01's server (part E, given): the
 * keyspace written through to a Bitcask store, so an acknowledged write survives kill -9.
 * The interface is struct store_backend_ops in lab 01's store.h. */
#ifndef KEEL_SERVER_BACKEND_H
#define KEEL_SERVER_BACKEND_H

#include "store.h"

/* "bitcask:DIR[:always|none|interval:MS]": opens (or creates) the store in DIR with that sync
 * policy (default always) and loads every live key into the server's store at start-up. */
extern const struct store_backend_ops bitcask_backend_ops;

#endif
