/* load.c -- the closed-loop RESP load generator of kh_load.h: per thread one epoll loop over its
 * connections, each a small state machine (connecting, open, dead) with an output buffer, an
 * input buffer and a ring of the requests in flight. Read kh_load_run() first, then worker_loop().
 * Replies are parsed here by a minimal parser that checks each one is what its request asks for,
 * so a server that answers fast but wrong is counted as wrong, not as fast. */
#include "kh_load.h"
#include "kh_core.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#define KH_LOAD_EVENTS_MAX 256u     /* epoll events taken per wait */
#define KH_LOAD_POLL_MS 20          /* the longest one wait sleeps: deadlines are checked after */
#define KH_LOAD_LINE_BYTES_MAX 512u /* a +, - or : reply line longer than this is garbage */
#define KH_LOAD_READ_BYTES 16384u   /* input room beyond one reply: a read takes many replies */
/* A SET request's bytes besides its key and value: "*3\r\n$3\r\nSET\r\n$16\r\n", "\r\n$N\r\n",
 * "\r\n". */
#define KH_LOAD_REQUEST_OVERHEAD 64u
#define KH_LOAD_NO_KEY UINT64_MAX /* note_error's key when the error is not about one */
/* 1 GiB of buffers in all: options that need more are refused as absurd. */
#define KH_LOAD_BUFFERS_BYTES_MAX (1ull << 30)

#define KH_LOAD_STATUS_TEXT(name, text) [name] = (text),
static const char *const kh_load_status_texts[] = {KH_LOAD_STATUS(KH_LOAD_STATUS_TEXT)};
#undef KH_LOAD_STATUS_TEXT

const char *
kh_load_strerror(kh_load_status status)
{
    if ((size_t)status >= KH_ARRAY_LEN(kh_load_status_texts)) {
        return "unknown load status";
    }
    return kh_load_status_texts[status];
}

/* One request in flight: what was asked and when its first byte was handed to write(). */
struct pending {
    uint64_t sent_ns;
    uint64_t key;
    bool is_get;
};

enum conn_state { CONN_CONNECTING, CONN_OPEN, CONN_DEAD };

struct conn {
    int fd;
    enum conn_state state;
    bool wants_write; /* EPOLLOUT is registered */
    char *out;        /* [out_sent, out_len) still to write; capacity out_cap */
    size_t out_len, out_sent;
    char *in; /* [in_pos, in_len) received, not parsed yet; capacity in_cap */
    size_t in_len, in_pos;
    struct pending *ring; /* pipeline slots; [head, head + count) in flight, oldest first */
    unsigned head, count;
    uint64_t replies_in_window;
};

/* One generator thread and everything it owns. Read-only fields come from kh_load_run. */
struct worker {
    const struct kh_load_options *o;
    const char *value; /* value_bytes of seeded printable bytes, shared read-only */
    struct conn *conns;
    unsigned conn_count;
    char *slab; /* every buffer of every connection, one allocation */
    size_t out_cap, in_cap;
    int epfd;
    struct kh_rng rng;
    uint64_t window_start_ns, window_end_ns;
    uint64_t quota;          /* request mode: replies to measure; UINT64_MAX in duration mode */
    uint64_t issued_counted; /* requests sent inside the window (request mode stops issuing) */
    uint64_t last_reply_ns;  /* for the stall timeout */
    uint64_t exit_ns;
    struct kh_hist latency_ns;
    uint64_t requests, errors, closed, connect_failures;
    unsigned live; /* connections not dead */
    unsigned served;
    bool is_stalled;
    char message[160];
    pthread_t thread;
};

void
kh_load_options_default(struct kh_load_options *o)
{
    memset(o, 0, sizeof(*o));
    o->connections = 50;
    o->pipeline = 1;
    o->threads = 1;
    o->key_count = 100000;
    o->value_bytes = 100;
    o->get_ratio = 0.9;
    o->duration_ms = 1000;
    o->warmup_ms = 200;
    o->timeout_ms = 5000;
    o->seed = 1;
}

int
kh_load_raise_fd_limit(uint64_t descriptors)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return -1;
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= descriptors) {
        return 0;
    }
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < descriptors) {
        errno = EMFILE;
        return -1;
    }
    lim.rlim_cur = descriptors;
    return setrlimit(RLIMIT_NOFILE, &lim);
}

static void
note_error(struct worker *w, const char *what, uint64_t key)
{
    if (w->message[0] != '\0') {
        return;
    }
    if (key == KH_LOAD_NO_KEY) {
        snprintf(w->message, sizeof(w->message), "%s", what);
    } else {
        snprintf(w->message, sizeof(w->message), "%s (key %llu)", what, (unsigned long long)key);
    }
}

/* Writes "key:" and key as 12 zero-padded digits: KH_LOAD_KEY_BYTES bytes, no NUL. */
static void
format_key(char *at, uint64_t key)
{
    assert(key < KH_LOAD_KEYS_MAX);
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): RESP bytes, not a string
    memcpy(at, "key:", 4);
    for (int i = (int)KH_LOAD_KEY_BYTES - 1; i >= 4; i--) {
        at[i] = (char)('0' + key % 10);
        key /= 10;
    }
}

/* Appends one request to c's output and its slot to the ring. The SET value is the shared
 * value with the key written over its first bytes, so a GET can check it got its own key's. */
static void
add_request(struct worker *w, struct conn *c, uint64_t now_ns)
{
    const struct kh_load_options *o = w->o;
    assert(c->count < o->pipeline);
    uint64_t key = kh_rng_below(&w->rng, o->key_count);
    bool is_get = kh_rng_unit(&w->rng) < o->get_ratio;
    if (c->out_len + KH_LOAD_REQUEST_OVERHEAD + o->value_bytes > w->out_cap) {
        memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
        c->out_len -= c->out_sent;
        c->out_sent = 0;
    }
    char *at = c->out + c->out_len;
    if (is_get) {
        // NOLINTNEXTLINE(bugprone-not-null-terminated-result): RESP bytes, not a string
        memcpy(at, "*2\r\n$3\r\nGET\r\n$16\r\n", 18);
        at += 18;
    } else {
        // NOLINTNEXTLINE(bugprone-not-null-terminated-result): RESP bytes, not a string
        memcpy(at, "*3\r\n$3\r\nSET\r\n$16\r\n", 18);
        at += 18;
    }
    format_key(at, key);
    at += KH_LOAD_KEY_BYTES;
    if (!is_get) {
        at += sprintf(at, "\r\n$%zu\r\n", o->value_bytes);
        memcpy(at, w->value, o->value_bytes);
        format_key(at, key); /* value_bytes >= KH_LOAD_KEY_BYTES is checked by kh_load_run */
        at += o->value_bytes;
    }
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): RESP bytes, not a string
    memcpy(at, "\r\n", 2);
    at += 2;
    c->out_len = (size_t)(at - c->out);
    assert(c->out_len <= w->out_cap);
    struct pending *slot = &c->ring[(c->head + c->count) % o->pipeline];
    *slot = (struct pending){now_ns, key, is_get};
    c->count++;
    if (now_ns >= w->window_start_ns) {
        w->issued_counted++;
    }
}

static void
conn_kill(struct worker *w, struct conn *c, bool is_connect_failure)
{
    assert(c->state != CONN_DEAD);
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = CONN_DEAD;
    c->count = 0;
    assert(w->live > 0);
    w->live--;
    if (is_connect_failure) {
        w->connect_failures++;
    } else {
        w->closed++;
    }
}

static void
set_wants_write(struct worker *w, struct conn *c, bool wants_write)
{
    if (c->wants_write == wants_write) {
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (wants_write ? EPOLLOUT : 0u), .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) {
        c->wants_write = wants_write;
    }
}

/* Writes what c has pending; on EAGAIN waits for EPOLLOUT. A failed write kills c. */
static void
conn_flush(struct worker *w, struct conn *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_wants_write(w, c, true);
            return;
        } else {
            note_error(w, "write failed: the server closed the connection", KH_LOAD_NO_KEY);
            conn_kill(w, c, false);
            return;
        }
    }
    c->out_len = c->out_sent = 0;
    set_wants_write(w, c, false);
}

/* Tops c up to pipeline requests in flight (fewer once a request-mode quota is issued). */
static void
conn_refill(struct worker *w, struct conn *c, uint64_t now_ns)
{
    while (c->count < w->o->pipeline && w->issued_counted < w->quota) {
        add_request(w, c, now_ns);
    }
    conn_flush(w, c);
}

/* ---- Replies ----------------------------------------------------------------------------- */

enum reply_kind { REPLY_STATUS, REPLY_ERROR, REPLY_INTEGER, REPLY_BULK, REPLY_NULL };

struct reply {
    enum reply_kind kind;
    const char *data; /* the line after the type byte, or the bulk's bytes */
    size_t size_bytes;
};

/* Parses one reply at the start of buf[0, size_bytes). Returns the bytes it took (> 0), 0 when
 * more must arrive, or -1 when the bytes are not a reply this generator can have asked for
 * (an array, an unknown type byte, a bad length, a line too long, a bulk larger than room). */
static ssize_t
parse_reply(const char *buf, size_t size_bytes, size_t bulk_bytes_max, struct reply *r)
{
    size_t scan = size_bytes < KH_LOAD_LINE_BYTES_MAX ? size_bytes : KH_LOAD_LINE_BYTES_MAX;
    const char *lf = memchr(buf, '\n', scan);
    if (lf == NULL) {
        return size_bytes >= KH_LOAD_LINE_BYTES_MAX ? -1 : 0;
    }
    size_t line_end = (size_t)(lf - buf); /* index of '\n' */
    if (line_end < 2 || buf[line_end - 1] != '\r') {
        return -1;
    }
    r->data = buf + 1;
    r->size_bytes = line_end - 2;
    switch (buf[0]) {
    case '+':
        r->kind = REPLY_STATUS;
        return (ssize_t)line_end + 1;
    case '-':
        r->kind = REPLY_ERROR;
        return (ssize_t)line_end + 1;
    case ':':
        r->kind = REPLY_INTEGER;
        return (ssize_t)line_end + 1;
    case '$':
        break;
    default:
        return -1;
    }
    if (r->size_bytes == 2 && memcmp(r->data, "-1", 2) == 0) {
        r->kind = REPLY_NULL;
        return (ssize_t)line_end + 1;
    }
    size_t length = 0;
    for (size_t i = 0; i < r->size_bytes; i++) {
        if (buf[1 + i] < '0' || buf[1 + i] > '9' || length > bulk_bytes_max) {
            return -1;
        }
        length = length * 10 + (size_t)(buf[1 + i] - '0');
    }
    if (r->size_bytes == 0 || length > bulk_bytes_max) {
        return -1;
    }
    size_t total = line_end + 1 + length + 2;
    if (size_bytes < total) {
        return 0;
    }
    if (buf[total - 2] != '\r' || buf[total - 1] != '\n') {
        return -1;
    }
    r->kind = REPLY_BULK;
    r->data = buf + line_end + 1;
    r->size_bytes = length;
    return (ssize_t)total;
}

/* True when r is the right answer to p: +OK for a SET; for a GET a null (never set) or this
 * key's value, recognised by its length and by the key written over its first bytes. */
static bool
reply_matches(const struct worker *w, const struct pending *p, const struct reply *r)
{
    if (!p->is_get) {
        return r->kind == REPLY_STATUS && r->size_bytes == 2 && memcmp(r->data, "OK", 2) == 0;
    }
    if (r->kind == REPLY_NULL) {
        return true;
    }
    if (r->kind != REPLY_BULK || r->size_bytes != w->o->value_bytes) {
        return false;
    }
    char key[KH_LOAD_KEY_BYTES];
    format_key(key, p->key);
    return memcmp(r->data, key, KH_LOAD_KEY_BYTES) == 0;
}

/* Takes one parsed reply off c's ring: counts it when inside the window, records latency. */
static void
complete(struct worker *w, struct conn *c, const struct reply *r, uint64_t now_ns)
{
    assert(c->count > 0);
    const struct pending *p = &c->ring[c->head];
    bool is_counted = p->sent_ns >= w->window_start_ns && now_ns < w->window_end_ns;
    bool is_right = reply_matches(w, p, r);
    if (!is_right) {
        note_error(w,
                   r->kind == REPLY_ERROR ? "the server answered an error"
                   : p->is_get            ? "a GET got a reply that is not its key's value"
                                          : "a SET got a reply that is not +OK",
                   p->key);
    }
    if (is_counted) {
        if (is_right) {
            w->requests++;
            kh_hist_record(&w->latency_ns, now_ns - p->sent_ns);
        } else {
            w->errors++;
        }
        c->replies_in_window++;
    }
    c->head = (c->head + 1) % w->o->pipeline;
    c->count--;
    w->last_reply_ns = now_ns;
}

/* Reads once, parses every whole reply, then refills the pipeline. A reply nobody asked for
 * or bytes that are no reply break the connection: it is closed and counted. */
static void
conn_read(struct worker *w, struct conn *c)
{
    if (c->in_pos == c->in_len) {
        c->in_pos = c->in_len = 0;
    } else if (c->in_pos > 0 && c->in_len == w->in_cap) {
        memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
        c->in_len -= c->in_pos;
        c->in_pos = 0;
    }
    ssize_t n = recv(c->fd, c->in + c->in_len, w->in_cap - c->in_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        note_error(w, n == 0 ? "the server closed a connection" : "read failed", KH_LOAD_NO_KEY);
        conn_kill(w, c, false);
        return;
    }
    c->in_len += (size_t)n;
    uint64_t now_ns = kh_clock_now_ns();
    size_t bulk_bytes_max = w->in_cap - KH_LOAD_REQUEST_OVERHEAD;
    while (c->in_pos < c->in_len) {
        struct reply r;
        ssize_t used = parse_reply(c->in + c->in_pos, c->in_len - c->in_pos, bulk_bytes_max, &r);
        if (used == 0) {
            break;
        }
        if (used < 0 || c->count == 0) {
            note_error(w,
                       used < 0 ? "a reply is malformed or of a type never asked for"
                                : "a reply arrived that no request asked for",
                       0);
            w->errors++;
            conn_kill(w, c, false);
            return;
        }
        c->in_pos += (size_t)used;
        complete(w, c, &r, now_ns);
    }
    if (now_ns < w->window_end_ns) {
        conn_refill(w, c, now_ns);
    }
}

/* ---- Connections and the loop -------------------------------------------------------------- */

/* Starts a non-blocking connect to 127.0.0.1:port; completion arrives as EPOLLOUT. */
static void
conn_start(struct worker *w, struct conn *c)
{
    c->state = CONN_DEAD;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        note_error(w, "socket() failed (descriptor limit?)", KH_LOAD_NO_KEY);
        w->connect_failures++;
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(w->o->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(c->fd, (struct sockaddr *)&addr, sizeof(addr));
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if ((rc != 0 && errno != EINPROGRESS) || epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        note_error(w, "connect() failed", KH_LOAD_NO_KEY);
        close(c->fd);
        c->fd = -1;
        w->connect_failures++;
        return;
    }
    c->state = CONN_CONNECTING;
    c->wants_write = true;
    w->live++;
}

/* One epoll event for c: connect completion, readable, writable, or hung up. */
static void
conn_event(struct worker *w, struct conn *c, uint32_t events)
{
    if (c->state == CONN_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            note_error(w, "a connection was refused", KH_LOAD_NO_KEY);
            conn_kill(w, c, true);
            return;
        }
        c->state = CONN_OPEN;
        uint64_t now_ns = kh_clock_now_ns();
        if (now_ns < w->window_end_ns) {
            conn_refill(w, c, now_ns);
        }
        return;
    }
    assert(c->state == CONN_OPEN);
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        conn_read(w, c); /* a hang-up shows as a read of 0 bytes */
    }
    if (c->state == CONN_OPEN && (events & EPOLLOUT)) {
        conn_flush(w, c);
    }
}

/* True once this worker is finished: the window ended, its quota came back, every connection
 * died, or nothing arrived for timeout_ms. */
static bool
is_done(struct worker *w, uint64_t now_ns)
{
    if (now_ns >= w->window_end_ns) {
        return true;
    }
    if (w->quota != UINT64_MAX && w->requests + w->errors >= w->quota) {
        return true;
    }
    if (w->live == 0) {
        return true;
    }
    if (now_ns - w->last_reply_ns >= w->o->timeout_ms * 1000000u) {
        w->is_stalled = true;
        snprintf(w->message, sizeof(w->message), "no reply for %llu ms",
                 (unsigned long long)w->o->timeout_ms);
        return true;
    }
    return false;
}

static void *
worker_loop(void *arg)
{
    struct worker *w = arg;
    assert(w->epfd >= 0);
    for (unsigned i = 0; i < w->conn_count; i++) {
        conn_start(w, &w->conns[i]);
    }
    w->last_reply_ns = kh_clock_now_ns();
    struct epoll_event events[KH_LOAD_EVENTS_MAX];
    uint64_t now_ns = w->last_reply_ns;
    while (!is_done(w, now_ns)) {
        int n = epoll_wait(w->epfd, events, KH_LOAD_EVENTS_MAX, KH_LOAD_POLL_MS);
        for (int i = 0; i < n; i++) {
            conn_event(w, events[i].data.ptr, events[i].events);
        }
        now_ns = kh_clock_now_ns();
    }
    w->exit_ns = now_ns;
    for (unsigned i = 0; i < w->conn_count; i++) {
        struct conn *c = &w->conns[i];
        w->served += c->replies_in_window > 0;
        if (c->state == CONN_CONNECTING) {
            conn_kill(w, c, true); /* never connected: the server's backlog was full */
        } else if (c->state == CONN_OPEN) {
            close(c->fd);
            c->state = CONN_DEAD;
        }
    }
    assert(w->exit_ns >= w->window_start_ns || w->requests == 0);
    return NULL;
}

/* ---- The run --------------------------------------------------------------------------------- */

static kh_load_status
check_options(const struct kh_load_options *o)
{
    bool is_ok =
        o->port != 0 && o->connections >= 1 && o->connections <= KH_LOAD_CONNECTIONS_MAX &&
        o->pipeline >= 1 && o->pipeline <= KH_LOAD_PIPELINE_MAX && o->threads >= 1 &&
        o->threads <= KH_LOAD_THREADS_MAX && o->threads <= o->connections && o->key_count >= 1 &&
        o->key_count <= KH_LOAD_KEYS_MAX && o->value_bytes >= KH_LOAD_KEY_BYTES &&
        o->value_bytes <= KH_LOAD_VALUE_BYTES_MAX && o->get_ratio >= 0.0 && o->get_ratio <= 1.0 &&
        o->timeout_ms >= 1 && o->duration_ms <= KH_LOAD_DURATION_MS_MAX &&
        o->warmup_ms <= KH_LOAD_DURATION_MS_MAX && (o->duration_ms > 0 || o->request_count > 0);
    if (!is_ok) {
        return KH_LOAD_BAD_OPTION;
    }
    uint64_t per_conn_bytes = (uint64_t)o->pipeline * (KH_LOAD_REQUEST_OVERHEAD + o->value_bytes) +
                              o->value_bytes + KH_LOAD_REQUEST_OVERHEAD + KH_LOAD_READ_BYTES;
    return per_conn_bytes * o->connections > KH_LOAD_BUFFERS_BYTES_MAX ? KH_LOAD_BAD_OPTION
                                                                       : KH_LOAD_OK;
}

/* Sets worker t up: its share of the connections (t, t + threads, ...), their buffers carved
 * from one slab, its epoll instance, its own rng stream and histogram. */
static kh_load_status
worker_init(struct worker *w, unsigned t, const struct kh_load_options *o, const char *value,
            uint64_t start_ns)
{
    memset(w, 0, sizeof(*w));
    w->o = o;
    w->value = value;
    w->epfd = -1;
    w->conn_count = o->connections / o->threads + (t < o->connections % o->threads);
    w->out_cap = (size_t)o->pipeline * (KH_LOAD_REQUEST_OVERHEAD + o->value_bytes);
    w->in_cap = o->value_bytes + KH_LOAD_REQUEST_OVERHEAD + KH_LOAD_READ_BYTES;
    size_t ring_bytes = o->pipeline * sizeof(struct pending);
    size_t per_conn = w->out_cap + w->in_cap + ring_bytes;
    w->conns = calloc(w->conn_count, sizeof(struct conn));
    w->slab = malloc(per_conn * w->conn_count);
    if (w->conns == NULL || w->slab == NULL) {
        return KH_LOAD_NO_MEMORY;
    }
    for (unsigned i = 0; i < w->conn_count; i++) {
        char *base = w->slab + per_conn * i;
        w->conns[i] = (struct conn){.fd = -1, .state = CONN_DEAD};
        w->conns[i].ring = (struct pending *)base; /* first: struct pending's alignment */
        w->conns[i].out = base + ring_bytes;
        w->conns[i].in = base + ring_bytes + w->out_cap;
    }
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0) {
        return KH_LOAD_SYSTEM;
    }
    kh_rng_seed(&w->rng, o->seed * 0x9e3779b97f4a7c15ull + t + 1);
    kh_hist_init(&w->latency_ns);
    w->window_start_ns = start_ns + o->warmup_ms * 1000000u;
    uint64_t span_ms = o->duration_ms > 0 ? o->duration_ms : KH_LOAD_DURATION_MS_MAX;
    w->window_end_ns = w->window_start_ns + span_ms * 1000000u;
    w->quota = UINT64_MAX;
    if (o->duration_ms == 0) {
        w->quota = o->request_count / o->threads + (t < o->request_count % o->threads);
    }
    assert(w->conn_count >= 1);
    return KH_LOAD_OK;
}

static void
worker_free(struct worker *w)
{
    if (w->epfd >= 0) {
        close(w->epfd);
    }
    free(w->slab);
    free(w->conns);
}

/* Sums the workers into *r; latency percentiles from the merged histograms. */
static void
merge_results(struct worker *workers, unsigned count, struct kh_hist *all, struct kh_load_result *r)
{
    uint64_t elapsed_ns = 1;
    for (unsigned t = 0; t < count; t++) {
        struct worker *w = &workers[t];
        r->requests += w->requests;
        r->errors += w->errors;
        r->closed += w->closed;
        r->connect_failures += w->connect_failures;
        r->connections_served += w->served;
        kh_hist_merge(all, &w->latency_ns);
        uint64_t end_ns = w->exit_ns < w->window_end_ns ? w->exit_ns : w->window_end_ns;
        if (end_ns > w->window_start_ns && end_ns - w->window_start_ns > elapsed_ns) {
            elapsed_ns = end_ns - w->window_start_ns;
        }
        if (r->message[0] == '\0' && w->message[0] != '\0') {
            snprintf(r->message, sizeof(r->message), "%s", w->message);
        }
    }
    r->elapsed_ns = elapsed_ns;
    r->ops_per_s = (double)r->requests / ((double)elapsed_ns / 1e9);
    r->latency_us_p50 = (double)kh_hist_percentile(all, 50.0) / 1e3;
    r->latency_us_p90 = (double)kh_hist_percentile(all, 90.0) / 1e3;
    r->latency_us_p99 = (double)kh_hist_percentile(all, 99.0) / 1e3;
    r->latency_us_p999 = (double)kh_hist_percentile(all, 99.9) / 1e3;
    r->latency_us_max = (double)all->max / 1e3;
}

/* Builds value_bytes of seeded printable bytes: what every SET sends, with its key on top. */
static char *
make_value(const struct kh_load_options *o)
{
    char *value = malloc(o->value_bytes);
    if (value == NULL) {
        return NULL;
    }
    struct kh_rng rng;
    kh_rng_seed(&rng, o->seed);
    for (size_t i = 0; i < o->value_bytes; i++) {
        value[i] = (char)('!' + kh_rng_below(&rng, 94));
    }
    return value;
}

kh_load_status
kh_load_run(const struct kh_load_options *o, struct kh_load_result *result)
{
    memset(result, 0, sizeof(*result));
    kh_load_status status = check_options(o);
    if (status != KH_LOAD_OK) {
        snprintf(result->message, sizeof(result->message), "%s", kh_load_strerror(status));
        return status;
    }
    struct worker *workers = calloc(o->threads, sizeof(struct worker));
    struct kh_hist *all = malloc(sizeof(struct kh_hist));
    char *value = make_value(o);
    unsigned ready = 0, started = 0;
    status = workers == NULL || all == NULL || value == NULL ? KH_LOAD_NO_MEMORY : KH_LOAD_OK;
    uint64_t start_ns = kh_clock_now_ns();
    for (; status == KH_LOAD_OK && ready < o->threads; ready++) {
        status = worker_init(&workers[ready], ready, o, value, start_ns);
    }
    for (; status == KH_LOAD_OK && started < o->threads; started++) {
        if (pthread_create(&workers[started].thread, NULL, worker_loop, &workers[started]) != 0) {
            status = KH_LOAD_SYSTEM;
            break;
        }
    }
    bool is_stalled = false;
    for (unsigned t = 0; t < started; t++) {
        pthread_join(workers[t].thread, NULL);
        is_stalled |= workers[t].is_stalled;
    }
    if (status == KH_LOAD_OK) {
        kh_hist_init(all);
        merge_results(workers, o->threads, all, result);
        if (result->connect_failures == o->connections) {
            status = KH_LOAD_NO_CONNECTION;
        } else if (is_stalled) {
            status = KH_LOAD_STALLED;
        }
    } else {
        snprintf(result->message, sizeof(result->message), "%s", kh_load_strerror(status));
    }
    for (unsigned t = 0; t < ready; t++) {
        worker_free(&workers[t]);
    }
    free(value);
    free(all);
    free(workers);
    assert(status != KH_LOAD_OK || result->elapsed_ns > 0);
    return status;
}
