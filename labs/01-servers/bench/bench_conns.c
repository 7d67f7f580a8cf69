/* bench_conns.c -- what an idle connection costs the epoll model: opens 10,000 connections to
 * one keel-server, checks that every one answers a PING, and reports the server's resident
 * memory growth per connection (VmRSS from /proc/<pid>/status; kernel socket buffers are not in
 * it). With --peers, redis-server the same way. CSV to stdout; read main() first. */
#include "bench_server.h"
#include "kh_core.h"
#include "kh_net.h"
#include "kh_load.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#define CONNECTIONS_WANTED 10000u
#define FD_SPARE 256u          /* descriptors beyond the connections: stdio, epoll, files */
#define PING_TIMEOUT_MS 5000   /* per connection; an epoll server answers in microseconds */
#define PHASE_TIMEOUT_MS 60000 /* connecting, or pinging, all of them: never longer than this */
#define SETTLE_MS 100          /* lets the server finish its accepts before RSS is read */

static const char ping[] = "*1\r\n$4\r\nPING\r\n";
static const char pong[] = "+PONG\r\n";

/* What one server showed. */
struct conns_result {
    unsigned wanted, open, answered;
    uint64_t rss_kib_before, rss_kib_after;
    const char *limited_by; /* "none", "RLIMIT_NOFILE", "connect", "server" */
};

/* VmRSS of pid in KiB, or 0 when it cannot be read (the process is gone). */
static uint64_t
rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmRSS: %llu kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    return kib;
}

/* Sends PING on fd and waits up to PING_TIMEOUT_MS for exactly +PONG. */
static bool
answers_ping(int fd)
{
    char reply[sizeof(pong) - 1];
    if (kh_net_write_all(fd, ping, sizeof(ping) - 1) != 0) {
        return false;
    }
    ssize_t n = kh_net_read_exact(fd, reply, sizeof(reply), PING_TIMEOUT_MS);
    return n == (ssize_t)sizeof(reply) && memcmp(reply, pong, sizeof(reply)) == 0;
}

/* Connects to 127.0.0.1:port within timeout_ms. Returns a blocking fd, or -1 (errno set). */
static int
connect_within(uint16_t port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
        goto fail;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof(err);
    if (poll(&pfd, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
        errno = err != 0 ? err : ETIMEDOUT;
        goto fail;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* Opens up to r->wanted connections into fds; stops at the first failure or at the phase's
 * time limit, and says why in r->limited_by. */
static void
open_all(uint16_t port, int *fds, struct conns_result *r)
{
    uint64_t deadline_ms = kh_clock_now_ms() + PHASE_TIMEOUT_MS;
    for (r->open = 0; r->open < r->wanted; r->open++) {
        fds[r->open] = -1;
        if (kh_clock_now_ms() > deadline_ms) {
            r->limited_by = "connect";
            fprintf(stderr, "bench_conns: connecting took over %d ms; stopped at %u\n",
                    PHASE_TIMEOUT_MS, r->open);
            return;
        }
        fds[r->open] = connect_within(port, PING_TIMEOUT_MS);
        if (fds[r->open] < 0) {
            r->limited_by = "connect";
            fprintf(stderr, "bench_conns: connection %u failed: %s\n", r->open + 1,
                    strerror(errno));
            return;
        }
    }
    assert(r->open == r->wanted);
}

/* PINGs every open connection, counting the ones that answer +PONG. */
static void
ping_all(const int *fds, struct conns_result *r)
{
    uint64_t deadline_ms = kh_clock_now_ms() + PHASE_TIMEOUT_MS;
    r->answered = 0;
    for (unsigned i = 0; i < r->open && kh_clock_now_ms() <= deadline_ms; i++) {
        r->answered += answers_ping(fds[i]);
    }
    if (r->answered < r->open) {
        fprintf(stderr, "bench_conns: %u of %u connections did not answer PING\n",
                r->open - r->answered, r->open);
    }
}

/* The measurement against a started server p on port: RSS with one connection used and closed,
 * then with r->wanted connections open, each having answered one PING (an epoll server
 * allocates per-connection buffers on first use), idle. */
static void
measure(struct kh_proc *p, uint16_t port, int *fds, struct conns_result *r)
{
    int fd = connect_within(port, PING_TIMEOUT_MS);
    if (fd < 0 || !answers_ping(fd)) {
        r->limited_by = "server";
        fprintf(stderr, "bench_conns: the server does not answer a first PING\n");
    }
    if (fd >= 0) {
        close(fd);
    }
    kh_clock_sleep_ms(SETTLE_MS);
    r->rss_kib_before = rss_kib(p->pid);
    open_all(port, fds, r);
    ping_all(fds, r);
    kh_clock_sleep_ms(SETTLE_MS);
    r->rss_kib_after = rss_kib(p->pid);
    for (unsigned i = 0; i < r->open; i++) {
        close(fds[i]);
    }
    assert(r->answered <= r->open);
}

static void
write_row(struct kh_csv *csv, const char *server, const struct conns_result *r)
{
    bool is_measured = r->open > 0 && r->rss_kib_after > 0;
    double bytes_per_conn = 0;
    if (is_measured && r->rss_kib_after > r->rss_kib_before) {
        bytes_per_conn = (double)(r->rss_kib_after - r->rss_kib_before) * 1024.0 / r->open;
    }
    const char *status = !is_measured            ? "failed"
                         : r->answered < r->open ? "unanswered"
                         : r->open < r->wanted   ? "fewer"
                                                 : "ok";
    kh_csv_str(csv, server);
    kh_csv_u64(csv, r->wanted);
    kh_csv_u64(csv, r->open);
    kh_csv_u64(csv, r->answered);
    kh_csv_u64(csv, r->rss_kib_before);
    kh_csv_u64(csv, r->rss_kib_after);
    kh_csv_f64(csv, bytes_per_conn);
    kh_csv_str(csv, r->limited_by);
    kh_csv_str(csv, status);
    kh_csv_end_row(csv);
    fprintf(stderr,
            "bench_conns: %-12s %u of %u open, %u answered PING; RSS %llu -> %llu KiB: "
            "%.0f bytes per connection (%s)\n",
            server, r->open, r->wanted, r->answered, (unsigned long long)r->rss_kib_before,
            (unsigned long long)r->rss_kib_after, bytes_per_conn, status);
}

/* Raises RLIMIT_NOFILE for wanted connections (the server, spawned later, inherits it); when
 * the hard limit is lower, measures fewer and says so. */
static void
fit_fd_limit(struct conns_result *r)
{
    r->limited_by = "none";
    struct rlimit lim;
    while (kh_load_raise_fd_limit((uint64_t)r->wanted + FD_SPARE) != 0 && r->wanted > 100) {
        if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_max > 2 * FD_SPARE &&
            lim.rlim_max - FD_SPARE < r->wanted) {
            r->wanted = (unsigned)(lim.rlim_max - FD_SPARE);
        } else {
            r->wanted /= 2;
        }
        r->limited_by = "RLIMIT_NOFILE";
    }
    if (strcmp(r->limited_by, "none") != 0) {
        fprintf(stderr, "bench_conns: the descriptor limit allows only %u connections\n",
                r->wanted);
    }
}

int
main(int argc, char **argv)
{
    /* --quick and --full open the same 10,000 connections, and nothing here is random: of the
     * shared options only --peers changes what runs. */
    bool has_peers = kh_bench_options_parse(argc, argv, NULL, 0).has_peers;
    char path[PATH_MAX];
    if (server_keel_path(path, sizeof(path)) != 0) {
        fprintf(stderr, "bench_conns: no keel-server at %s\n", path);
        return 1;
    }
    struct conns_result base = {.wanted = CONNECTIONS_WANTED};
    fit_fd_limit(&base);
    int *fds = malloc(sizeof(int) * base.wanted);
    if (fds == NULL) {
        fprintf(stderr, "bench_conns: out of memory\n");
        return 1;
    }
    static const char *const columns[] = {
        "server",         "connections_wanted", "connections_open", "connections_answered",
        "rss_kib_before", "rss_kib_after",      "bytes_per_conn",   "limited_by",
        "status"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    char max_clients[32], why[640];
    snprintf(max_clients, sizeof(max_clients), "%u", base.wanted + 100);
    const char *const extra[] = {"--max-clients", max_clients, "--idle-timeout-ms", "3600000",
                                 NULL};
    struct kh_proc p;
    uint16_t port = 0;
    struct conns_result r = base;
    if (server_start_keel(&p, path, "epoll", extra, &port, why, sizeof(why)) != 0) {
        fprintf(stderr, "bench_conns: %s\n", why);
        r.limited_by = "server";
    } else {
        measure(&p, port, fds, &r);
        server_stop(&p);
        kh_proc_close(&p);
    }
    write_row(&csv, "keel-server", &r);
    if (has_peers && access(REDIS_SERVER_PATH, X_OK) == 0) {
        r = base;
        if (server_start_redis(&p, &port) == 0) {
            measure(&p, port, fds, &r);
            server_stop(&p);
            kh_proc_close(&p);
        }
        write_row(&csv, "redis-server", &r);
    }
    free(fds);
    return 0;
}
