/* bench_server.h -- what lab 01's server benchmarks share: finding keel-server next to the bench
 * binary, starting it (or redis-server) on a free loopback port with its output kept out of the
 * CSV, and stopping it within a bounded time. Header-only (static functions), because each bench
 * is built from one .c file. */
#ifndef KEEL_BENCH_SERVER_H
#define KEEL_BENCH_SERVER_H

#include "kh_core.h"
#include "kh_net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERVER_START_MS 5000 /* a server that prints no port in 5 s is reported as not started */
#define SERVER_STOP_MS 2000  /* SIGTERM, then this long for a clean exit, then SIGKILL */
#define REDIS_SERVER_PATH "/usr/bin/redis-server"

/* The keel-server of this build: <dir of /proc/self/exe>/../cmd/keel-server (the bench runs from
 * <builddir>/bench/). Returns 0, or -1 when it is not there or not executable. */
static inline int
server_keel_path(char *path, size_t path_size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        return -1;
    }
    *slash = '\0';
    int written = snprintf(path, path_size, "%s/../cmd/keel-server", self);
    if (written < 0 || (size_t)written >= path_size) {
        return -1;
    }
    return access(path, X_OK);
}

/* kh_proc_spawn with the child's stdout sent to /dev/null, so nothing the server prints can land in
 * the bench's CSV (the child inherits fd 1 at fork, so fd 1 is swapped around the spawn). */
static inline int
server_spawn_quiet(struct kh_proc *p, const char *const argv[])
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved < 0 || null_fd < 0 || dup2(null_fd, STDOUT_FILENO) < 0) {
        return -1;
    }
    int rc = kh_proc_spawn(p, argv);
    int saved_errno = errno;
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(null_fd);
    errno = saved_errno;
    return rc;
}

/* Stops p: SIGTERM to its process group, up to SERVER_STOP_MS for it to exit, then SIGKILL.
 * Returns true when SIGTERM was enough. p stays allocated (kh_proc_close frees it). */
static inline bool
server_stop(struct kh_proc *p)
{
    if (!kh_proc_is_alive(p)) {
        return true;
    }
    kill(-p->pid, SIGTERM);
    uint64_t deadline_ms = kh_clock_now_ms() + SERVER_STOP_MS;
    while (kh_clock_now_ms() < deadline_ms) {
        if (!kh_proc_is_alive(p)) {
            return true;
        }
        kh_clock_sleep_ms(5);
    }
    kh_proc_kill(p, SIGKILL);
    return false;
}

/* Starts keel-server --model model --port 0 plus extra (NULL-terminated, may be NULL) and reads
 * its port from its stderr. Returns 0, or -1 with the reason in why. */
static inline int
server_start_keel(struct kh_proc *p, const char *path, const char *model, const char *const extra[],
                  uint16_t *port, char *why, size_t why_size)
{
    const char *argv[KH_PROC_ARGS_MAX] = {path, "--model", model, "--port", "0"};
    size_t argc = 5;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && argc + 1 < KH_PROC_ARGS_MAX; i++) {
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    if (server_spawn_quiet(p, argv) != 0) {
        snprintf(why, why_size, "cannot start %.300s: %s", path, strerror(errno));
        return -1;
    }
    /* The port line should follow listen(); one connect makes sure, for any server. */
    if (kh_proc_wait_port_line(p, port, SERVER_START_MS) != 0 ||
        kh_proc_wait_port(p, *port, SERVER_START_MS) != 0) {
        char text[512];
        kh_proc_stderr(p, text, sizeof(text));
        snprintf(why, why_size, "keel-server --model %s printed no port in %d ms: %.400s", model,
                 SERVER_START_MS, text);
        server_stop(p);
        kh_proc_close(p);
        return -1;
    }
    return 0;
}

/* Starts redis-server on a free loopback port with persistence off. Returns 0 or -1. */
static inline int
server_start_redis(struct kh_proc *p, uint16_t *port)
{
    for (int attempt = 0; attempt < 3; attempt++) { /* the free port may be taken meanwhile */
        int fd = kh_net_listen_ephemeral(port, 1);
        if (fd < 0) {
            return -1;
        }
        close(fd);
        char port_text[16];
        snprintf(port_text, sizeof(port_text), "%u", (unsigned)*port);
        const char *argv[] = {
            REDIS_SERVER_PATH, "--port", port_text,     "--bind", "127.0.0.1",    "--save", "",
            "--appendonly",    "no",     "--daemonize", "no",     "--maxclients", "12000",  NULL};
        if (server_spawn_quiet(p, argv) != 0) {
            return -1;
        }
        if (kh_proc_wait_port(p, *port, SERVER_START_MS) == 0) {
            return 0;
        }
        server_stop(p);
        kh_proc_close(p);
    }
    return -1;
}

#endif
