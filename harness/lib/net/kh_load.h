/* kh_load.h -- a closed-loop RESP load generator (libharness): `connections` sockets to
 * 127.0.0.1:port, each keeping `pipeline` GET/SET requests in flight, driven by one epoll loop
 * per thread. Read kh_load_run() first. All memory is allocated by kh_load_run before the clock
 * starts and freed before it returns; nothing is allocated per request. */
#ifndef KEEL_KH_LOAD_H
#define KEEL_KH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#define KH_LOAD_CONNECTIONS_MAX 16384u   /* sockets; each also costs the server a descriptor */
#define KH_LOAD_PIPELINE_MAX 1024u       /* requests in flight per connection */
#define KH_LOAD_THREADS_MAX 16u          /* generator threads; connections are dealt round-robin */
#define KH_LOAD_VALUE_BYTES_MAX 1048576u /* 1 MiB per SET value */
#define KH_LOAD_KEY_BYTES 16u            /* "key:" and 12 decimal digits: every key has one size */
#define KH_LOAD_KEYS_MAX 1000000000000u  /* what 12 digits can name */
#define KH_LOAD_DURATION_MS_MAX 3600000u /* one hour: a run never outlives this */

#define KH_LOAD_STATUS(X)                                                                          \
    X(KH_LOAD_OK, "ok")                                                                            \
    X(KH_LOAD_BAD_OPTION, "an option is out of range")                                             \
    X(KH_LOAD_NO_MEMORY, "out of memory")                                                          \
    X(KH_LOAD_SYSTEM, "a system call failed (epoll, socket, thread)")                              \
    X(KH_LOAD_NO_CONNECTION, "no connection could be established")                                 \
    X(KH_LOAD_STALLED, "no reply arrived for timeout_ms; the run stopped early")
#define KH_LOAD_STATUS_ENUM(name, text) name,
typedef enum { KH_LOAD_STATUS(KH_LOAD_STATUS_ENUM) } kh_load_status;
#undef KH_LOAD_STATUS_ENUM

const char *kh_load_strerror(kh_load_status status);

struct kh_load_options {
    uint16_t port;        /* 127.0.0.1:port; required */
    unsigned connections; /* 1..KH_LOAD_CONNECTIONS_MAX; default 50 */
    unsigned pipeline;    /* 1..KH_LOAD_PIPELINE_MAX requests in flight per connection; default 1 */
    unsigned threads;     /* 1..KH_LOAD_THREADS_MAX, at most connections; default 1 */
    uint64_t key_count;   /* keys drawn uniformly from [0, key_count); default 100,000 */
    size_t value_bytes;   /* SET value size, 1..KH_LOAD_VALUE_BYTES_MAX; default 100 */
    double get_ratio;     /* share of GETs in [0, 1]; the rest are SETs; default 0.9 */
    uint64_t duration_ms; /* measured time; 0 means run until request_count replies */
    uint64_t request_count; /* used when duration_ms is 0: replies to measure, all threads */
    uint64_t warmup_ms;     /* traffic before the measured window, not counted; default 200 */
    uint64_t timeout_ms;    /* a thread that sees no reply for this long stops; default 5,000 */
    uint64_t seed;          /* key choice, GET/SET choice and value bytes; default 1 */
};

/* What one run measured. Latency is from the write of a request's first byte to its reply
 * fully parsed; a request counts when its reply arrives inside the measured window. */
struct kh_load_result {
    uint64_t requests;           /* replies of the right type in the window */
    uint64_t errors;             /* error replies (-ERR ...), wrong types, wrong GET values */
    uint64_t closed;             /* connections the server closed or broke (never reopened) */
    uint64_t connect_failures;   /* connections refused or not established by the end */
    unsigned connections_served; /* connections that got at least one reply in the window */
    uint64_t elapsed_ns;         /* the measured window */
    double ops_per_s;            /* requests / elapsed */
    double latency_us_p50;
    double latency_us_p90;
    double latency_us_p99;
    double latency_us_p999;
    double latency_us_max;
    char message[160]; /* the first error seen, for a human ("" when none) */
};

/* Fills o with the defaults above (port 0: the caller must set it). */
void kh_load_options_default(struct kh_load_options *o);

/* Runs the workload of o against 127.0.0.1:o->port and fills *result. Connections that cannot
 * connect or are closed by the server are counted, not retried, so a server that refuses or
 * starves clients shows it in the result. Stops by itself: after warmup_ms + duration_ms, or
 * after request_count replies, or when a thread sees no reply for timeout_ms (KH_LOAD_STALLED,
 * with *result filled from what was measured), and never after KH_LOAD_DURATION_MS_MAX.
 * Returns KH_LOAD_OK, KH_LOAD_STALLED, KH_LOAD_BAD_OPTION, KH_LOAD_NO_MEMORY, KH_LOAD_SYSTEM or
 * KH_LOAD_NO_CONNECTION (not one socket connected). */
kh_load_status kh_load_run(const struct kh_load_options *o, struct kh_load_result *result);

/* Raises this process's soft RLIMIT_NOFILE to at least descriptors (up to the hard limit).
 * Returns 0, or -1 when the hard limit is lower (errno EMFILE). Child processes inherit it. */
int kh_load_raise_fd_limit(uint64_t descriptors);

#endif
