/* kh_net.h -- libharness's network helpers for tests and benchmarks of servers: loopback sockets
 * on ephemeral ports (net.c) and a RESP client that returns whole raw replies (rclient.c). The
 * load generator has its own header, kh_load.h. */
#ifndef KEEL_KH_NET_H
#define KEEL_KH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- Loopback networking (net.c): ephemeral ports, and ports for servers ---------------- */

/* Listens on 127.0.0.1 port 0 and reads the port the kernel chose back into *port.
 * Returns the listening fd, or -1 with errno set. */
int kh_net_listen_ephemeral(uint16_t *port, int backlog);
/* A loopback port for a server the caller will start in another process: below the kernel's
 * range of ephemeral ports (so that no connect() anywhere can take it before the server binds
 * it, as one from the kernel's own range can be under load), drawn at random, free now (nothing
 * bound to it), and none of the last 64 this thread handed out (which may not be bound yet).
 * Returns the port, or 0 with errno set when 64 draws found none. */
uint16_t kh_net_port_for_server(void);
/* Connects to 127.0.0.1:port (blocking). Returns the fd or -1 with errno set. */
int kh_net_connect(uint16_t port);
/* Writes all size_bytes, retrying short writes and EINTR. Returns 0 or -1 with errno set. */
int kh_net_write_all(int fd, const void *buf, size_t size_bytes);
/* Reads until exactly size_bytes arrived, EOF, or timeout_ms passed. Returns the number of
 * bytes read (less than size_bytes on EOF or timeout), or -1 with errno set. */
ssize_t kh_net_read_exact(int fd, void *buf, size_t size_bytes, int timeout_ms);
/* Reads whatever arrives until EOF or until timeout_ms passes with nothing new. */
ssize_t kh_net_read_some(int fd, void *buf, size_t size_bytes, int timeout_ms);

/* ---- A RESP client for server tests (rclient.c) -------------------------------------------
 * Sends commands and reads replies one whole reply at a time, however the server split its
 * bytes. Replies are returned raw (e.g. "$3\r\nbar\r\n") for byte-exact comparison. */

struct kh_rclient {
    int fd;
    char *buf; /* owned: bytes received and not yet returned */
    size_t size_bytes;
    size_t capacity_bytes;
};

/* Connects to 127.0.0.1:port. Returns 0, or -1 with errno set. */
int kh_rclient_connect(struct kh_rclient *c, uint16_t port);
/* Sends argv as one multibulk request (argv[i] are C strings). Returns 0 or -1. */
int kh_rclient_send(struct kh_rclient *c, size_t argc, const char *const argv[]);
/* Waits up to timeout_ms for one complete reply and copies it, NUL-terminated, into out.
 * Returns its size in bytes; -1 on timeout or if the connection closed first (errno ETIMEDOUT
 * or ECONNRESET); -2 when it does not fit in out_size - 1. */
ssize_t kh_rclient_reply(struct kh_rclient *c, char *out, size_t out_size, int timeout_ms);
/* True when the server closed the connection (EOF) within timeout_ms. */
bool kh_rclient_is_closed(struct kh_rclient *c, int timeout_ms);
void kh_rclient_close(struct kh_rclient *c);

#endif
