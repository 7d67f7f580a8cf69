/* rclient.c -- a small RESP client for server tests: commands out as multibulk, replies in as
 * whole raw replies (the test compares bytes). Not fast, and not meant to be: it checks. */
#include "kh_net.h"
#include "kh_core.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KH_RCLIENT_DEPTH_MAX 16 /* nesting of arrays a test reply may have */

int
kh_rclient_connect(struct kh_rclient *c, uint16_t port)
{
    memset(c, 0, sizeof(*c));
    c->fd = kh_net_connect(port);
    return c->fd < 0 ? -1 : 0;
}

int
kh_rclient_send(struct kh_rclient *c, size_t argc, const char *const argv[])
{
    size_t size = 32;
    for (size_t i = 0; i < argc; i++) {
        size += strlen(argv[i]) + 32;
    }
    char *request = malloc(size);
    if (request == NULL) {
        return -1;
    }
    size_t used = (size_t)snprintf(request, size, "*%zu\r\n", argc);
    for (size_t i = 0; i < argc; i++) {
        size_t length = strlen(argv[i]);
        used += (size_t)snprintf(request + used, size - used, "$%zu\r\n", length);
        memcpy(request + used, argv[i], length);
        used += length;
        request[used++] = '\r';
        request[used++] = '\n';
    }
    int rc = kh_net_write_all(c->fd, request, used);
    free(request);
    return rc;
}

/* The size of the first complete reply in bytes[0..size), 0 if it is not complete yet. */
static size_t
reply_size(const char *bytes, size_t size)
{
    size_t at = 0;
    long pending[KH_RCLIENT_DEPTH_MAX]; /* elements still due at each open array */
    int depth = 0;
    for (;;) {
        const char *crlf = at < size ? memmem(bytes + at, size - at, "\r\n", 2) : NULL;
        if (crlf == NULL) {
            return 0;
        }
        size_t line_end = (size_t)(crlf - bytes) + 2;
        char type = bytes[at];
        long n = strtol(bytes + at + 1, NULL, 10);
        at = line_end;
        if (type == '$' && n >= 0) {
            if (size - at < (size_t)n + 2) {
                return 0;
            }
            at += (size_t)n + 2;
        } else if (type == '*' && n > 0 && depth < KH_RCLIENT_DEPTH_MAX) {
            pending[depth++] = n;
            continue;
        }
        while (depth > 0 && --pending[depth - 1] == 0) {
            depth--;
        }
        if (depth == 0) {
            return at;
        }
    }
}

static int
receive_more(struct kh_rclient *c, uint64_t deadline_ms)
{
    if (c->capacity_bytes - c->size_bytes < 65536) {
        size_t capacity = c->capacity_bytes == 0 ? 131072 : c->capacity_bytes * 2;
        char *bigger = realloc(c->buf, capacity);
        if (bigger == NULL) {
            return -1;
        }
        c->buf = bigger;
        c->capacity_bytes = capacity;
    }
    uint64_t now_ms = kh_clock_now_ms();
    if (now_ms >= deadline_ms) {
        errno = ETIMEDOUT;
        return -1;
    }
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (poll(&pfd, 1, (int)(deadline_ms - now_ms)) <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    ssize_t n = recv(c->fd, c->buf + c->size_bytes, c->capacity_bytes - c->size_bytes, 0);
    if (n <= 0) {
        errno = n == 0 ? ECONNRESET : errno;
        return -1;
    }
    c->size_bytes += (size_t)n;
    return 0;
}

ssize_t
kh_rclient_reply(struct kh_rclient *c, char *out, size_t out_size, int timeout_ms)
{
    uint64_t deadline_ms = kh_clock_now_ms() + (uint64_t)timeout_ms;
    size_t size;
    while ((size = reply_size(c->buf, c->size_bytes)) == 0) {
        if (receive_more(c, deadline_ms) != 0) {
            return -1;
        }
    }
    if (size >= out_size) {
        return -2;
    }
    memcpy(out, c->buf, size);
    out[size] = '\0';
    memmove(c->buf, c->buf + size, c->size_bytes - size);
    c->size_bytes -= size;
    return (ssize_t)size;
}

bool
kh_rclient_is_closed(struct kh_rclient *c, int timeout_ms)
{
    char byte;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout_ms) <= 0) {
        return false;
    }
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

void
kh_rclient_close(struct kh_rclient *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}
