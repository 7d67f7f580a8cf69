/* keel-server.c -- lab 01's server program: parses the flags, creates the store, and runs the
 * chosen model until killed. Given: students do not change it (`make bin` builds it from
 * their sources into out/bin/keel-server). Lab 03 builds this same file with a storage
 * backend linked in (labs/03-bitcask/server_backend.c), which gives --store a meaning. */
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
                    "                   [--store bitcask:DIR]\n"
                    "  --port 0 picks a free port; the port is printed to stderr either way.\n"
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
