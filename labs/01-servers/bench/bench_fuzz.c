/* bench_fuzz.c -- lab 01's epoll server under seeded garbage: valid RESP requests mutated (bits
 * flipped, bytes inserted or cut, absurd lengths, binary junk, endless lines) sent on a few
 * connections that are reopened now and then, while one well-behaved client keeps doing
 * SET/GET/INCR and checks every answer. The server must stay up and keep serving the good
 * client. CSV to stdout; read main() first, then mutate(). */
#include "bench_server.h"
#include "kh_core.h"
#include "kh_net.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define REQUESTS_SMOKE 500u
#define REQUESTS_QUICK 5000u
#define REQUESTS_FULL 100000u
#define FUZZ_SLOTS 8u                /* connections the garbage goes over */
#define FUZZ_REQUEST_BYTES_MAX 4096u /* an ordinary mutated request */
#define FUZZ_LONG_LINE_BYTES 70000u  /* past a 64 KiB inline-line limit, sent 1 time in 1000 */
#define FUZZ_REOPEN_ONE_IN 16u       /* a slot is reopened before 1 request in 16 */
#define FUZZ_DRAIN_EVERY 64u         /* requests between polls of all slots for replies */
#define FUZZ_SETTLE_MS 300           /* after the last request, for the last replies */
#define GOOD_TIMEOUT_MS 3000         /* the good client's patience per command */
#define GOOD_KEYS 64u
#define CONNECT_FAILURES_MAX 50u /* in a row: the server is gone, stop */

/* One garbage connection and the state of its reply scanner, which counts the reply lines
 * that start with '-' (errors) and those of them that mention "protocol". */
struct slot {
    int fd;
    bool is_line_start, is_error_line;
    char line[64];
    size_t line_len;
    unsigned sent_since_open;
};

struct fuzz_counts {
    uint64_t requests, bytes_sent, error_replies, protocol_error_replies, closes, send_stalls,
        connect_failures;
};

/* The good client: runs on its own thread until told to stop. */
struct good_client {
    uint16_t port;
    atomic_bool should_stop;
    uint64_t ops, errors;
    char first_error[160];
    pthread_t thread;
};

static int
connect_port(uint16_t port)
{
    int fd = kh_net_connect(port);
    if (fd >= 0) {
        struct timeval tv = {.tv_sec = GOOD_TIMEOUT_MS / 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

/* ---- The good client --------------------------------------------------------------------- */

/* Sends request and checks that exactly expected comes back (the reply's length is known). */
static bool
good_exchange(struct good_client *g, int fd, const char *request, size_t request_size,
              const char *expected, size_t expected_size)
{
    char reply[256];
    assert(expected_size <= sizeof(reply));
    ssize_t n = -1;
    if (kh_net_write_all(fd, request, request_size) == 0) {
        n = kh_net_read_exact(fd, reply, expected_size, GOOD_TIMEOUT_MS);
    }
    g->ops++;
    if (n == (ssize_t)expected_size && memcmp(reply, expected, expected_size) == 0) {
        return true;
    }
    g->errors++;
    if (g->first_error[0] == '\0') {
        char got[64];
        kh_bytes_escape(reply, n > 0 ? (size_t)n : 0, got, sizeof(got));
        snprintf(g->first_error, sizeof(g->first_error), "expected %.*s got '%s'%s",
                 (int)(expected_size < 40 ? expected_size - 2 : 40), expected, got,
                 n < 0 ? " (no reply)" : "");
    }
    return false;
}

/* SET good:K vI, GET good:K, INCR good:counter: the counter must count exactly this client's
 * INCRs. A failed exchange reopens the connection (its byte stream is no longer in step). */
static void *
good_loop(void *arg)
{
    struct good_client *g = arg;
    int fd = -1;
    uint64_t counter = 0;
    char req[160], want[96];
    for (uint64_t i = 0; !atomic_load(&g->should_stop); i++) {
        if (fd < 0 && (fd = connect_port(g->port)) < 0) {
            g->errors++;
            kh_clock_sleep_ms(10);
            continue;
        }
        char key[24], value[24];
        int key_len = snprintf(key, sizeof(key), "good:%u", (unsigned)(i % GOOD_KEYS));
        int value_len = snprintf(value, sizeof(value), "v%llu", (unsigned long long)i);
        int n = snprintf(req, sizeof(req), "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", key_len,
                         key, value_len, value);
        bool is_ok = good_exchange(g, fd, req, (size_t)n, "+OK\r\n", 5);
        n = snprintf(req, sizeof(req), "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", key_len, key);
        int w = snprintf(want, sizeof(want), "$%d\r\n%s\r\n", value_len, value);
        is_ok = is_ok && good_exchange(g, fd, req, (size_t)n, want, (size_t)w);
        n = snprintf(req, sizeof(req), "*2\r\n$4\r\nINCR\r\n$12\r\ngood:counter\r\n");
        w = snprintf(want, sizeof(want), ":%llu\r\n", (unsigned long long)(counter + 1));
        is_ok = is_ok && good_exchange(g, fd, req, (size_t)n, want, (size_t)w);
        counter += is_ok;
        if (!is_ok) { /* the counter's value is unknown now: reset it from a fresh connection */
            close(fd);
            fd = -1;
            counter = 0;
            char del[] = "*2\r\n$3\r\nDEL\r\n$12\r\ngood:counter\r\n";
            int fresh = connect_port(g->port);
            if (fresh >= 0) {
                char reply[16];
                kh_net_write_all(fresh, del, sizeof(del) - 1);
                kh_net_read_exact(fresh, reply, 4, GOOD_TIMEOUT_MS); /* ":0\r\n" or ":1\r\n" */
                close(fresh);
            }
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

/* ---- The garbage ---------------------------------------------------------------------------- */

/* Writes one valid request (a command this server should know, or one it should reject
 * politely) into buf; keys are fuzz:N, never the good client's. Returns its size. */
static size_t
valid_request(struct kh_rng *rng, char *buf, size_t size)
{
    unsigned key = (unsigned)kh_rng_below(rng, 100);
    switch (kh_rng_below(rng, 9)) {
    case 0:
        return (size_t)snprintf(buf, size, "*1\r\n$4\r\nPING\r\n");
    case 1:
        return (size_t)snprintf(buf, size, "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n");
    case 2:
        return (size_t)snprintf(buf, size, "*3\r\n$3\r\nSET\r\n$7\r\nfuzz:%02u\r\n$5\r\nvalue\r\n",
                                key);
    case 3:
        return (size_t)snprintf(buf, size, "*2\r\n$3\r\nGET\r\n$7\r\nfuzz:%02u\r\n", key);
    case 4:
        return (size_t)snprintf(buf, size, "*2\r\n$4\r\nINCR\r\n$7\r\nfuzz:%02u\r\n", key);
    case 5:
        return (size_t)snprintf(buf, size,
                                "*5\r\n$4\r\nMSET\r\n$7\r\nfuzz:%02u\r\n$1\r\na\r\n$7\r\nfuzz:%02u"
                                "\r\n$1\r\nb\r\n",
                                key, (key + 1) % 100);
    case 6:
        return (size_t)snprintf(buf, size, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n*\r\n");
    case 7:
        return (size_t)snprintf(buf, size, "*2\r\n$6\r\nFOOBAR\r\n$1\r\nx\r\n");
    default:
        return (size_t)snprintf(buf, size, "PING\r\n"); /* the inline form */
    }
}

/* A request whose count or length is absurd: negative, zero, huge, overflowing, not a number. */
static size_t
absurd_request(struct kh_rng *rng, char *buf, size_t size)
{
    static const char *const lengths[] = {
        "-5", "-1", "0",  "-2147483649", "2147483648", "4294967296", "18446744073709551616", "1e3",
        "",   "+3", " 3", "3 ",          "0x10",       "999999999",  "00000000003"};
    const char *len = lengths[kh_rng_below(rng, KH_ARRAY_LEN(lengths))];
    switch (kh_rng_below(rng, 3)) {
    case 0:
        return (size_t)snprintf(buf, size, "*%s\r\n$4\r\nPING\r\n", len);
    case 1:
        return (size_t)snprintf(buf, size, "*2\r\n$3\r\nGET\r\n$%s\r\nfuzz:01\r\n", len);
    default:
        return (size_t)snprintf(buf, size, "*1\r\n$%s\r\nPING\r\n", len);
    }
}

/* Writes the i-th piece of garbage into buf (capacity FUZZ_LONG_LINE_BYTES) and returns its
 * size: a valid request mutated one of eight ways, or something that was never a request. */
static size_t
mutate(struct kh_rng *rng, char *buf)
{
    size_t size = valid_request(rng, buf, FUZZ_REQUEST_BYTES_MAX);
    size_t at = (size_t)kh_rng_below(rng, size);
    switch (kh_rng_below(rng, 10)) {
    case 0:
        break; /* unchanged: the server must keep serving between the garbage */
    case 1:
        for (uint64_t flips = 1 + kh_rng_below(rng, 4); flips > 0; flips--) {
            buf[kh_rng_below(rng, size)] ^= (char)(1u << kh_rng_below(rng, 8));
        }
        break;
    case 2: {
        size_t extra = 1 + (size_t)kh_rng_below(rng, 8);
        memmove(buf + at + extra, buf + at, size - at);
        kh_rng_fill(rng, buf + at, extra);
        size += extra;
        break;
    }
    case 3: { /* cut a range out */
        size_t cut = 1 + (size_t)kh_rng_below(rng, size - at);
        memmove(buf + at, buf + at + cut, size - at - cut);
        size -= cut;
        break;
    }
    case 4:
        size = at;
        break; /* truncated: the next piece continues it */
    case 5:
        size = absurd_request(rng, buf, FUZZ_REQUEST_BYTES_MAX);
        break;
    case 6:
        size = 1 + (size_t)kh_rng_below(rng, 256);
        kh_rng_fill(rng, buf, size);
        break;
    case 7: /* a valid request repeated, with one copy corrupted in the middle */
        memcpy(buf + size, buf, size);
        memcpy(buf + 2 * size, buf, size);
        buf[size + kh_rng_below(rng, size)] = (char)kh_rng_below(rng, 256);
        size *= 3;
        break;
    case 8:
        size = (size_t)snprintf(buf, FUZZ_REQUEST_BYTES_MAX, "\r\n\r\n \r\nSET a\r\n*0\r\n");
        break;
    default:
        if (kh_rng_below(rng, 100) == 0) { /* 1 in 1000 of all pieces: an endless inline line */
            memset(buf, 'a', FUZZ_LONG_LINE_BYTES);
            size = FUZZ_LONG_LINE_BYTES;
        } else { /* a header promising a million arguments, then a few */
            size = (size_t)snprintf(buf, FUZZ_REQUEST_BYTES_MAX,
                                    "*1000000\r\n$4\r\nPING\r\n$4\r\nPING\r\n");
        }
    }
    assert(size <= FUZZ_LONG_LINE_BYTES);
    return size;
}

/* ---- Garbage connections ----------------------------------------------------------------------
 */

static void
slot_close(struct slot *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    s->fd = -1;
}

static bool
slot_open(struct slot *s, uint16_t port, struct fuzz_counts *counts)
{
    slot_close(s);
    s->fd = kh_net_connect(port);
    if (s->fd < 0) {
        counts->connect_failures++;
        return false;
    }
    s->is_line_start = true;
    s->is_error_line = false;
    s->line_len = 0;
    s->sent_since_open = 0;
    return true;
}

/* Feeds received bytes to s's line scanner. */
static void
scan_replies(struct slot *s, const char *bytes, size_t size, struct fuzz_counts *counts)
{
    for (size_t i = 0; i < size; i++) {
        char c = bytes[i];
        if (s->is_line_start) {
            s->is_error_line = c == '-';
            s->line_len = 0;
        }
        s->is_line_start = c == '\n';
        if (s->is_error_line && c != '\n' && s->line_len + 1 < sizeof(s->line)) {
            s->line[s->line_len++] = c;
        }
        if (s->is_error_line && c == '\n') {
            s->line[s->line_len] = '\0';
            counts->error_replies++;
            counts->protocol_error_replies += strcasestr(s->line, "protocol") != NULL;
            s->is_error_line = false;
        }
    }
}

/* Reads whatever s has received without waiting; a closed connection is counted and dropped. */
static void
slot_drain(struct slot *s, struct fuzz_counts *counts)
{
    char buf[16384];
    for (int reads = 0; s->fd >= 0 && reads < 64; reads++) {
        ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            scan_replies(s, buf, (size_t)n, counts);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return;
        }
        counts->closes++; /* EOF or reset: the server hung up on the garbage */
        slot_close(s);
    }
}

/* Sends one piece without blocking: a server that stopped reading this connection (its buffer
 * is full) gets the connection closed, counted as a stall. */
static void
slot_send(struct slot *s, const char *buf, size_t size, struct fuzz_counts *counts)
{
    size_t sent = 0;
    while (s->fd >= 0 && sent < size) {
        ssize_t n = send(s->fd, buf + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
            if (poll(&pfd, 1, 50) == 1) {
                continue;
            }
            counts->send_stalls++;
        } else {
            counts->closes++;
        }
        slot_close(s);
    }
    counts->bytes_sent += sent;
    s->sent_since_open++;
}

/* Sends request_count pieces of seeded garbage; stops early only when the server cannot be
 * reached CONNECT_FAILURES_MAX times in a row. */
static void
fuzz(uint16_t port, uint64_t seed, uint64_t request_count, struct fuzz_counts *counts)
{
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    struct slot slots[FUZZ_SLOTS];
    char *buf = malloc(FUZZ_LONG_LINE_BYTES);
    assert(buf != NULL);
    for (size_t i = 0; i < FUZZ_SLOTS; i++) {
        slots[i].fd = -1;
    }
    unsigned failures_in_row = 0;
    for (uint64_t i = 0; i < request_count && failures_in_row < CONNECT_FAILURES_MAX; i++) {
        struct slot *s = &slots[kh_rng_below(&rng, FUZZ_SLOTS)];
        bool should_reopen = s->fd < 0 || kh_rng_below(&rng, FUZZ_REOPEN_ONE_IN) == 0;
        if (should_reopen && !slot_open(s, port, counts)) {
            failures_in_row++;
            kh_clock_sleep_ms(10);
            continue;
        }
        failures_in_row = 0;
        size_t size = mutate(&rng, buf);
        slot_send(s, buf, size, counts);
        counts->requests++;
        slot_drain(s, counts);
        if (i % FUZZ_DRAIN_EVERY == 0) {
            for (size_t k = 0; k < FUZZ_SLOTS; k++) {
                slot_drain(&slots[k], counts);
            }
        }
    }
    kh_clock_sleep_ms(FUZZ_SETTLE_MS);
    for (size_t k = 0; k < FUZZ_SLOTS; k++) {
        slot_drain(&slots[k], counts);
        slot_close(&slots[k]);
    }
    free(buf);
}

/* True when p still runs and a fresh connection gets +PONG; otherwise says how it ended. */
static bool
server_answers(struct kh_proc *p, uint16_t port, char *how, size_t how_size)
{
    if (!kh_proc_is_alive(p)) {
        int st = p->exit_status;
        if (WIFSIGNALED(st)) {
            snprintf(how, how_size, "killed by signal %d", WTERMSIG(st));
        } else {
            snprintf(how, how_size, "exited with status %d", WEXITSTATUS(st));
        }
        return false;
    }
    int fd = connect_port(port);
    char reply[7] = {0};
    bool is_ok = fd >= 0 && kh_net_write_all(fd, "*1\r\n$4\r\nPING\r\n", 14) == 0 &&
                 kh_net_read_exact(fd, reply, 7, GOOD_TIMEOUT_MS) == 7 &&
                 memcmp(reply, "+PONG\r\n", 7) == 0;
    if (fd >= 0) {
        close(fd);
    }
    snprintf(how, how_size, "%s", is_ok ? "running" : "running, but not answering PING");
    return is_ok;
}

/* The one CSV row, header first. */
static void
write_row(const struct fuzz_counts *counts, double seconds, uint64_t seed, bool is_alive,
          const char *how, const struct good_client *good)
{
    static const char *const columns[] = {"requests",        "bytes_sent",
                                          "seconds",         "seed",
                                          "server_alive",    "server_state",
                                          "good_client_ops", "good_client_errors",
                                          "error_replies",   "protocol_error_replies",
                                          "closes",          "send_stalls",
                                          "connect_failures"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    kh_csv_u64(&csv, counts->requests);
    kh_csv_u64(&csv, counts->bytes_sent);
    kh_csv_f64(&csv, seconds);
    kh_csv_u64(&csv, seed);
    kh_csv_u64(&csv, is_alive);
    kh_csv_str(&csv, how);
    kh_csv_u64(&csv, good->ops);
    kh_csv_u64(&csv, good->errors);
    kh_csv_u64(&csv, counts->error_replies);
    kh_csv_u64(&csv, counts->protocol_error_replies);
    kh_csv_u64(&csv, counts->closes);
    kh_csv_u64(&csv, counts->send_stalls);
    kh_csv_u64(&csv, counts->connect_failures);
    kh_csv_end_row(&csv);
}

int
main(int argc, char **argv)
{
    /* --peers changes nothing: no peer here, Redis is not the subject. */
    struct kh_bench_options shared = kh_bench_options_parse(argc, argv, NULL, 0);
    uint64_t request_count = kh_bench_sized(&shared, REQUESTS_SMOKE, REQUESTS_QUICK, REQUESTS_FULL);
    uint64_t seed = shared.seed;
    char path[PATH_MAX], why[640], how[64];
    if (server_keel_path(path, sizeof(path)) != 0) {
        fprintf(stderr, "bench_fuzz: no keel-server at %s\n", path);
        return 1;
    }
    static const char *const extra[] = {"--max-clients", "1024", NULL};
    struct kh_proc p;
    uint16_t port = 0;
    if (server_start_keel(&p, path, "epoll", extra, &port, why, sizeof(why)) != 0) {
        fprintf(stderr, "bench_fuzz: %s\n", why);
        return 1;
    }
    static struct good_client good; /* static: atomics and a thread, zeroed */
    good.port = port;
    atomic_init(&good.should_stop, false);
    if (pthread_create(&good.thread, NULL, good_loop, &good) != 0) {
        fprintf(stderr, "bench_fuzz: cannot start the good client's thread\n");
        kh_proc_close(&p);
        return 1;
    }
    struct fuzz_counts counts = {0};
    uint64_t start_ns = kh_clock_now_ns();
    fuzz(port, seed, request_count, &counts);
    double seconds = (double)(kh_clock_now_ns() - start_ns) / 1e9;
    atomic_store(&good.should_stop, true);
    pthread_join(good.thread, NULL);
    bool is_alive = server_answers(&p, port, how, sizeof(how));
    write_row(&counts, seconds, seed, is_alive, how, &good);
    fprintf(stderr,
            "bench_fuzz: %llu pieces of garbage in %.1f s; server %s; good client %llu "
            "ops, %llu errors%s%s\n",
            (unsigned long long)counts.requests, seconds, how, (unsigned long long)good.ops,
            (unsigned long long)good.errors, good.first_error[0] ? ": first: " : "",
            good.first_error);
    if (!is_alive) {
        fprintf(stderr, "bench_fuzz: replay with: %s --seed %llu\n", argv[0],
                (unsigned long long)seed);
    }
    server_stop(&p);
    kh_proc_close(&p);
    return 0;
}
