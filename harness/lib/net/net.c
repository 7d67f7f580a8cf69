/* net.c -- loopback sockets for tests: ephemeral ports (bind port 0, read the port back), so two
 * tests, or two graders on one machine, never fight over a port number; and, for a server a test
 * starts in another process, which must bind a number it is given, a port drawn below the
 * ephemeral range (kh_net_port_for_server). */
#include "kh_net.h"
#include "kh_core.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in
loopback(uint16_t port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

int
kh_net_listen_ephemeral(uint16_t *port, int backlog)
{
    assert(port != NULL);
    assert(backlog > 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in addr = loopback(0);
    socklen_t addr_size = sizeof(addr);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_size) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    *port = ntohs(addr.sin_port);
    assert(*port != 0); /* the kernel chose one: port 0 is never where a socket listens */
    return fd;
}

/* The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
static unsigned
ephemeral_low(void)
{
    unsigned low = 32768, high = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f != NULL) {
        if (fscanf(f, "%u %u", &low, &high) != 2) {
            low = 32768;
        }
        fclose(f);
    }
    return low;
}

uint16_t
kh_net_port_for_server(void)
{
    enum { PORT_MIN = 10000 };
    unsigned low = ephemeral_low();
    if (low <= PORT_MIN + 1000) {
        low = 65535; /* an odd range: draw from above PORT_MIN all the same */
    }
    /* The ports handed out last: not bound yet, so a bind cannot tell they are taken (two of
     * one cluster drew the same, and its node could not listen on both). */
    static __thread uint16_t recent[64];
    static __thread unsigned recent_count;
    static __thread uint64_t state;
    if (state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec;
    }
    for (int draw = 0; draw < 64; draw++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull; /* Knuth's MMIX LCG */
        uint16_t port = (uint16_t)(PORT_MIN + (state >> 33) % (low - PORT_MIN));
        bool is_recent = false;
        for (unsigned i = 0; i < recent_count && i < KH_ARRAY_LEN(recent); i++) {
            is_recent = is_recent || recent[i] == port;
        }
        if (is_recent) {
            continue;
        }
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return 0;
        }
        struct sockaddr_in addr = loopback(port);
        int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
        close(fd);
        if (rc == 0) {
            recent[recent_count++ % KH_ARRAY_LEN(recent)] = port;
            return port;
        }
    }
    errno = EADDRINUSE;
    return 0;
}

int
kh_net_connect(uint16_t port)
{
    assert(port != 0); /* nothing listens there: a caller that forgot to read the port back */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in addr = loopback(port);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* requests, not streams */
    return fd;
}

int
kh_net_write_all(int fd, const void *buf, size_t size_bytes)
{
    assert(buf != NULL || size_bytes == 0);
    const char *p = buf;
    while (size_bytes > 0) {
        ssize_t n = send(fd, p, size_bytes, MSG_NOSIGNAL); /* a closed peer is EPIPE, not death */
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        assert((size_t)n <= size_bytes); /* send never reports more than it was given */
        p += n;
        size_bytes -= (size_t)n;
    }
    return 0;
}

/* Waits until fd is readable or the deadline passes. Returns 1, 0 on timeout, -1 on error. */
static int
wait_readable(int fd, uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now_ms = kh_clock_now_ms();
        if (now_ms >= deadline_ms) {
            return 0;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int rc = poll(&pfd, 1, (int)(deadline_ms - now_ms));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        assert(rc <= 1); /* one descriptor polled */
        return rc < 0 ? -1 : rc;
    }
}

ssize_t
kh_net_read_exact(int fd, void *buf, size_t size_bytes, int timeout_ms)
{
    assert(buf != NULL || size_bytes == 0);
    assert(timeout_ms >= 0);
    uint64_t deadline_ms = kh_clock_now_ms() + (uint64_t)timeout_ms;
    size_t got = 0;
    while (got < size_bytes) {
        int rc = wait_readable(fd, deadline_ms);
        if (rc <= 0) {
            return rc < 0 ? -1 : (ssize_t)got;
        }
        ssize_t n = recv(fd, (char *)buf + got, size_bytes - got, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno == ECONNRESET ? (ssize_t)got : -1;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    assert(got <= size_bytes);
    return (ssize_t)got;
}

ssize_t
kh_net_read_some(int fd, void *buf, size_t size_bytes, int timeout_ms)
{
    assert(buf != NULL || size_bytes == 0);
    assert(timeout_ms >= 0);
    size_t got = 0;
    while (got < size_bytes) {
        int rc = wait_readable(fd, kh_clock_now_ms() + (uint64_t)timeout_ms);
        if (rc <= 0) {
            return rc < 0 ? -1 : (ssize_t)got;
        }
        ssize_t n = recv(fd, (char *)buf + got, size_bytes - got, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 && errno != ECONNRESET ? -1 : (ssize_t)got;
        }
        got += (size_t)n;
    }
    assert(got == size_bytes); /* the loop ends early only through a return */
    return (ssize_t)got;
}
