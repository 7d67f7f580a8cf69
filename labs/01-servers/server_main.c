/* server_main.c -- the keel-server program every lab builds (given; students do not change it):
 * parses the flags, opens the store and the storage backend, and runs the chosen model until
 * killed. Read server_main first. A lab's cmd/keel-server.c passes the plugins it was built
 * with (struct server_plugins in server.h): lab 02 a pool queue, lab 03 a storage backend. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The longest storage backend name --store accepts before its ':' ("bitcask", "raft"). */
#define SERVER_BACKEND_NAME_SIZE_MAX 32u

/* What the flags chose, beside the server's own config. */
struct server_flags {
    struct server_config config;
    const char *store_spec;                 /* --store NAME:ARGS, or NULL for memory only */
    const struct pool_queue_ops *queue_ops; /* --pool-queue NAME, or NULL for the pool's own */
};

static void
usage(const struct server_plugins *plugins)
{
    fprintf(stderr, "usage: keel-server [--model sequential|threads|pool|epoll] [--port N]\n"
                    "                   [--max-clients N] [--threads N] [--queue N]\n"
                    "                   [--idle-timeout-ms N] [--output-limit-bytes N]\n"
                    "                   [--pool-queue NAME] [--store NAME:ARGS]\n"
                    "  --port 0 picks a free port; the port is printed to stderr either way.\n"
                    "  --pool-queue: mutex (the pool's own, the default)");
    for (size_t i = 0; i < plugins->pool_queue_count; i++) {
        fprintf(stderr, ", %s", plugins->pool_queues[i]->name);
    }
    fprintf(stderr, "\n  --store: mem (memory only, the default)");
    for (size_t i = 0; i < plugins->backend_count; i++) {
        fprintf(stderr, ", %s", plugins->backends[i]->usage);
    }
    fprintf(stderr, "\n  A later lab's build of keel-server adds its own: lab 02's the ring "
                    "queue, lab 03's the bitcask store.\n");
}

/* Parses a decimal flag value up to max. Returns 0, or -1 after saying why on stderr. */
static int
parse_number(const char *flag, const char *text, unsigned long long max, unsigned long long *value)
{
    char *end = NULL;
    errno = 0;
    *value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || *value > max) {
        fprintf(stderr, "keel-server: %s takes a number up to %llu, not '%s'\n", flag, max, text);
        return -1;
    }
    return 0;
}

/* The pool queue the flag names, wrapped so that the server says once, on stderr, that a
 * client went through it: the tests check that the pool really uses the queue it was given.
 * One server per process, so the wrapped queue is a process-wide choice. */
static const struct pool_queue_ops *announced_inner;
static atomic_bool has_announced_push;

static struct pool_queue *
announced_create(size_t capacity)
{
    return announced_inner->create_cb(capacity);
}

static void
announced_push(struct pool_queue *q, struct client *c)
{
    if (!atomic_load_explicit(&has_announced_push, memory_order_relaxed) &&
        !atomic_exchange(&has_announced_push, true)) {
        fprintf(stderr, "keel-server: the pool's %s queue took its first client\n",
                announced_inner->name);
    }
    announced_inner->push_cb(q, c);
}

static struct client *
announced_pop(struct pool_queue *q)
{
    return announced_inner->pop_cb(q);
}

static void
announced_destroy(struct pool_queue *q)
{
    announced_inner->destroy_cb(q);
}

static const struct pool_queue_ops announced_queue = {
    .name = "announced",
    .create_cb = announced_create,
    .push_cb = announced_push,
    .pop_cb = announced_pop,
    .destroy_cb = announced_destroy,
};

/* Finds the pool queue called name among the plugins ("mutex" is the pool's own: NULL). */
static int
choose_pool_queue(const char *name, const struct server_plugins *plugins,
                  const struct pool_queue_ops **ops)
{
    *ops = NULL;
    if (strcmp(name, "mutex") == 0) {
        return 0;
    }
    for (size_t i = 0; i < plugins->pool_queue_count; i++) {
        if (strcmp(plugins->pool_queues[i]->name, name) == 0) {
            *ops = plugins->pool_queues[i];
            return 0;
        }
    }
    fprintf(stderr, "keel-server: this build has no pool queue '%s'%s\n", name,
            strcmp(name, "ring") == 0 ? ": it is lab 02's, use lab 02's build "
                                        "(make bin LAB=02-lockfree)"
                                      : "");
    return -1;
}

/* Finds the backend spec names ("NAME:ARGS") among the plugins. Returns 0 with *ops NULL for
 * "mem", 0 with *ops and *args set for a plugin, or -1 after saying why on stderr. */
static int
choose_backend(const char *spec, const struct server_plugins *plugins,
               const struct store_backend_ops **ops, const char **args)
{
    *ops = NULL;
    *args = NULL;
    if (strcmp(spec, "mem") == 0) {
        return 0;
    }
    const char *colon = strchr(spec, ':');
    size_t name_size = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
    for (size_t i = 0; i < plugins->backend_count; i++) {
        const struct store_backend_ops *b = plugins->backends[i];
        if (strlen(b->name) == name_size && strncmp(b->name, spec, name_size) == 0) {
            if (colon == NULL) {
                fprintf(stderr, "keel-server: --store takes %s\n", b->usage);
                return -1;
            }
            *ops = b;
            *args = colon + 1;
            return 0;
        }
    }
    fprintf(
        stderr, "keel-server: this build has no storage backend '%.*s'%s\n",
        (int)(name_size < SERVER_BACKEND_NAME_SIZE_MAX ? name_size : SERVER_BACKEND_NAME_SIZE_MAX),
        spec,
        strncmp(spec, "bitcask", name_size) == 0 && name_size == 7
            ? ": it is lab 03's, use lab 03's build (make bin LAB=03-bitcask)"
            : "");
    return -1;
}

/* Applies one flag and its value to f. Returns 0, or -1 after saying why on stderr. */
static int
parse_flag(const char *flag, const char *value, const struct server_plugins *plugins,
           struct server_flags *f)
{
    struct server_config *config = &f->config;
    unsigned long long n = 0;
    if (strcmp(flag, "--model") == 0) {
        return 0; /* read first, by parse_flags */
    } else if (strcmp(flag, "--port") == 0) {
        return parse_number(flag, value, 65535, &n) == 0 ? (config->port = (uint16_t)n, 0) : -1;
    } else if (strcmp(flag, "--max-clients") == 0) {
        return parse_number(flag, value, 1000000, &n) == 0 ? (config->clients_max = n, 0) : -1;
    } else if (strcmp(flag, "--threads") == 0) {
        return parse_number(flag, value, 1024, &n) == 0 ? (config->threads = n, 0) : -1;
    } else if (strcmp(flag, "--queue") == 0) {
        return parse_number(flag, value, 1000000, &n) == 0 ? (config->queue_size = n, 0) : -1;
    } else if (strcmp(flag, "--idle-timeout-ms") == 0) {
        return parse_number(flag, value, UINT32_MAX, &n) == 0 ? (config->idle_timeout_ms = n, 0)
                                                              : -1;
    } else if (strcmp(flag, "--output-limit-bytes") == 0) {
        return parse_number(flag, value, SIZE_MAX / 4, &n) == 0
                   ? (config->output_size_bytes_max = n, 0)
                   : -1;
    } else if (strcmp(flag, "--pool-queue") == 0) {
        return choose_pool_queue(value, plugins, &f->queue_ops);
    } else if (strcmp(flag, "--store") == 0) {
        f->store_spec = value;
        return 0;
    }
    fprintf(stderr, "keel-server: unknown flag '%s'\n", flag);
    return -1;
}

/* Fills f from argv: --model first (it picks the defaults), then every other flag. */
static int
parse_flags(int argc, char **argv, const struct server_plugins *plugins, struct server_flags *f)
{
    enum server_model model = SERVER_EPOLL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0 && server_model_parse(argv[i + 1], &model) != 0) {
            fprintf(stderr, "keel-server: unknown model '%s'\n", argv[i + 1]);
            return -1;
        }
    }
    memset(f, 0, sizeof(*f));
    server_config_default(&f->config, model);
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "keel-server: %s needs a value\n", argv[i]);
            return -1;
        }
        if (parse_flag(argv[i], argv[i + 1], plugins, f) != 0) {
            return -1;
        }
    }
    if (f->queue_ops != NULL) {
        announced_inner = f->queue_ops;
        f->config.pool_queue = &announced_queue;
    }
    return 0;
}

/* Runs the model config names until it stops (it returns only when it cannot run). */
static int
run_model(struct server *server)
{
    switch (server->config.model) {
    case SERVER_SEQUENTIAL:
        return server_run_sequential(server);
    case SERVER_THREADS:
        return server_run_threads(server);
    case SERVER_POOL:
        return server_run_pool(server);
    case SERVER_EPOLL:
        return server_run_epoll(server);
    }
    return -1;
}

/* As many connections as the hard limit allows: a server of 10,000 clients needs more than the
 * usual soft limit of 1,024 open files. */
static void
raise_open_files_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &limit); /* failing leaves the soft limit: still runs */
    }
}

int
server_main(int argc, char **argv, const struct server_plugins *plugins)
{
    assert(plugins != NULL);
    assert(argc >= 1);
    struct server_flags f;
    const struct store_backend_ops *backend_ops = NULL;
    const char *backend_args = NULL;
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(plugins);
        return 0;
    }
    if (parse_flags(argc, argv, plugins, &f) != 0 ||
        (f.store_spec != NULL &&
         choose_backend(f.store_spec, plugins, &backend_ops, &backend_args) != 0)) {
        usage(plugins);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client that left is an EPIPE to handle, not a death */
    raise_open_files_limit();
    struct server server;
    bool is_server_open = false;
    struct store *store = store_create((uint64_t)server_now_ms());
    if (store == NULL) {
        fprintf(stderr, "keel-server: out of memory\n");
        goto fail;
    }
    if (backend_ops != NULL) {
        f.config.backend_ops = backend_ops;
        f.config.backend = backend_ops->open_cb(backend_args, store, server_now_ms());
        if (f.config.backend == NULL) {
            goto fail; /* open_cb said why */
        }
    }
    if (server_open(&server, &f.config, store) != 0) {
        fprintf(stderr, "keel-server: cannot start\n");
        goto fail;
    }
    is_server_open = true;
    int model_rc = run_model(&server); /* returns only when the model cannot run */
    fprintf(stderr, "keel-server: the %s model stopped (%s)\n", server_model_name(f.config.model),
            model_rc == -2 ? "not implemented yet" : "could not run");
fail:
    if (is_server_open) {
        server_close(&server);
    }
    if (f.config.backend != NULL) {
        backend_ops->close_cb(f.config.backend);
    }
    store_destroy(store);
    return 1;
}
