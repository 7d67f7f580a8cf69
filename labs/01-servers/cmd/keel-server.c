/* keel-server.c -- lab 01's server program: parses the flags, creates the store, and runs the
 * chosen model until killed. Given: students do not change it (`make bin` builds it from
 * their sources into out/bin/keel-server). Lab 03 builds this same file with a storage
 * backend linked in (labs/03-bitcask/server_backend.c), which gives --store a meaning, and lab
 * 02 builds it with its ring (labs/02-lockfree/pool_ring.c), which gives --pool-queue ring one. */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void
usage(void)
{
    fprintf(stderr, "usage: keel-server [--model sequential|threads|pool|epoll] [--port N]\n"
                    "                   [--max-clients N] [--threads N] [--queue N]\n"
                    "                   [--idle-timeout-ms N] [--output-limit-bytes N]\n"
                    "                   [--pool-queue mutex|ring] [--store bitcask:DIR]\n"
                    "  --port 0 picks a free port; the port is printed to stderr either way.\n"
                    "  --pool-queue ring: the pool's queue is lab 02's lock-free ring (lab 02's\n"
                    "    build of keel-server); mutex, the default, is the pool's own.\n"
                    "  --store keeps the keyspace on disk (lab 03's build of keel-server).\n");
    exit(2);
}

static unsigned long long
number(const char *flag, const char *text, unsigned long long max)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value > max) {
        fprintf(stderr, "keel-server: %s takes a number up to %llu, not '%s'\n", flag, max, text);
        exit(2);
    }
    return value;
}

/* A storage backend (lab 03 links one in; lab 01's build has none): loads what spec names into
 * store and persists every write to it from then on. Returns 0, or -1 after printing why. */
int keel_store_backend_open(const char *spec, struct store *store, uint64_t now_ms)
    __attribute__((weak));

static const char *store_spec; /* --store, or NULL for memory only */

/* Lab 02 part F's pool queue on the MPMC ring (pool_ring.c; lab 01's build has none). */
extern const struct pool_queue_ops pool_ring_ops __attribute__((weak));

/* The pool queue the flag names, wrapped so that the server says once, on stderr, that a
 * client went through it: the tests check that the pool really uses the queue it was given. */
static const struct pool_queue_ops *chosen_queue;
static atomic_bool has_announced_push;

static struct pool_queue *
announced_create(size_t capacity)
{
    return chosen_queue->create_cb(capacity);
}

static void
announced_push(struct pool_queue *q, struct client *c)
{
    if (!atomic_load_explicit(&has_announced_push, memory_order_relaxed) &&
        !atomic_exchange(&has_announced_push, true)) {
        fprintf(stderr, "keel-server: the pool's %s queue took its first client\n",
                chosen_queue->name);
    }
    chosen_queue->push_cb(q, c);
}

static struct client *
announced_pop(struct pool_queue *q)
{
    return chosen_queue->pop_cb(q);
}

static void
announced_destroy(struct pool_queue *q)
{
    chosen_queue->destroy_cb(q);
}

static const struct pool_queue_ops announced_queue = {
    .name = "announced",
    .create_cb = announced_create,
    .push_cb = announced_push,
    .pop_cb = announced_pop,
    .destroy_cb = announced_destroy,
};

static void
choose_pool_queue(const char *name, struct server_config *config)
{
    if (strcmp(name, "mutex") == 0) {
        config->pool_queue = NULL;
        return;
    }
    if (strcmp(name, "ring") != 0) {
        fprintf(stderr, "keel-server: --pool-queue takes mutex or ring, not '%s'\n", name);
        usage();
    }
    if (&pool_ring_ops == NULL) {
        fprintf(stderr, "keel-server: --pool-queue ring needs lab 02's ring: use lab 02's build "
                        "(make bin LAB=02-lockfree)\n");
        exit(2);
    }
    chosen_queue = &pool_ring_ops;
    config->pool_queue = &announced_queue;
}

static void
parse_flags(int argc, char **argv, struct server_config *config)
{
    enum server_model model = SERVER_EPOLL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0 && server_model_parse(argv[i + 1], &model) != 0) {
            fprintf(stderr, "keel-server: unknown model '%s'\n", argv[i + 1]);
            usage();
        }
    }
    server_config_default(config, model);
    for (int i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (value == NULL) {
            usage();
        } else if (strcmp(flag, "--model") == 0) {
            continue;
        } else if (strcmp(flag, "--port") == 0) {
            config->port = (uint16_t)number(flag, value, 65535);
        } else if (strcmp(flag, "--max-clients") == 0) {
            config->clients_max = number(flag, value, 1000000);
        } else if (strcmp(flag, "--threads") == 0) {
            config->threads = number(flag, value, 1024);
        } else if (strcmp(flag, "--queue") == 0) {
            config->queue_size = number(flag, value, 1000000);
        } else if (strcmp(flag, "--idle-timeout-ms") == 0) {
            config->idle_timeout_ms = number(flag, value, UINT32_MAX);
        } else if (strcmp(flag, "--output-limit-bytes") == 0) {
            config->output_size_bytes_max = number(flag, value, SIZE_MAX / 4);
        } else if (strcmp(flag, "--pool-queue") == 0) {
            choose_pool_queue(value, config);
        } else if (strcmp(flag, "--store") == 0) {
            store_spec = value;
        } else {
            usage();
        }
    }
}

int
main(int argc, char **argv)
{
    struct server_config config;
    parse_flags(argc, argv, &config);
    signal(SIGPIPE, SIG_IGN); /* a client that left is an EPIPE to handle, not a death */
    struct rlimit limit;      /* as many connections as the hard limit allows */
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    struct store *store = store_create((uint64_t)server_now_ms());
    if (store != NULL && store_spec != NULL) {
        if (keel_store_backend_open == NULL) {
            fprintf(stderr, "keel-server: --store needs a storage backend: use lab 03's build "
                            "(make bin LAB=03-bitcask)\n");
            return 2;
        }
        if (keel_store_backend_open(store_spec, store, server_now_ms()) != 0) {
            return 1;
        }
    }
    struct server server;
    if (store == NULL || server_open(&server, &config, store) != 0) {
        fprintf(stderr, "keel-server: cannot start\n");
        return 1;
    }
    int rc = -1;
    switch (config.model) {
    case SERVER_SEQUENTIAL:
        rc = server_run_sequential(&server);
        break;
    case SERVER_THREADS:
        rc = server_run_threads(&server);
        break;
    case SERVER_POOL:
        rc = server_run_pool(&server);
        break;
    case SERVER_EPOLL:
        rc = server_run_epoll(&server);
        break;
    }
    fprintf(stderr, "keel-server: the %s model stopped (%s)\n", server_model_name(config.model),
            rc == -2 ? "not implemented yet" : "could not run");
    server_close(&server);
    store_destroy(store);
    return 1;
}
