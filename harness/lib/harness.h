/* harness.h -- libharness: what every Keel test and benchmark links against.
 * Read the test runner first (harness_main), then the helpers in the order below.
 * Nothing here allocates behind the caller's back unless a comment says "owned". */
#ifndef KEEL_HARNESS_H
#define KEEL_HARNESS_H

#include <setjmp.h> /* cmocka.h needs these four before it */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define HARNESS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Test runner (runner.c) ------------------------------------------------------------- */

/* The main of every test binary. Runs each selected test in its own forked child (its own
 * process group), so a crash, a hang, an early exit() or a stray fork fails that test alone.
 * Flags: --list            print the test names, one a line, and exit 0
 *        --run NAME        run only NAME (may be given more than once)
 *        --seed N          the seed every randomized test draws from (default: fixed per test)
 *        --timeout-s N     per-test wall clock; default from the lab's tests/rubric, else 10 s
 * For each test it prints the test's own output, then one line the grader parses:
 *   KEEL-RESULT name status signal elapsed_ms seed first_failure_line   (tab-separated;
 *   status is PASS, FAIL, TIMEOUT or CRASH; signal is SIGxxx or -).
 * Returns 0 when every selected test passed, 1 when one did not, 2 on a usage error. */
int harness_run_tests(int argc, char **argv, const struct CMUnitTest *tests, size_t test_count,
                      const char *rubric_path);

/* The build compiles each test file with KEEL_RUBRIC set to its lab's tests/rubric, which is
 * where the runner finds each test's timeout. */
#ifndef KEEL_RUBRIC
#define KEEL_RUBRIC NULL
#endif
static inline int
harness_main(int argc, char **argv, const struct CMUnitTest *tests, size_t test_count)
{
    return harness_run_tests(argc, argv, tests, test_count, KEEL_RUBRIC);
}

/* The seed of the running test. Randomized tests must draw only from it; the runner prints it
 * with every failure, so `--run NAME --seed N` replays the failure exactly. */
uint64_t harness_seed(void);

/* ---- Seeded PRNG (rng.c): xoshiro256** seeded through splitmix64 ------------------------ */

struct harness_rng {
    uint64_t state[4];
};

void rng_seed(struct harness_rng *rng, uint64_t seed);
uint64_t rng_next(struct harness_rng *rng);
/* Uniform in [0, bound); bound must be > 0. Unbiased (rejection sampling). */
uint64_t rng_below(struct harness_rng *rng, uint64_t bound);
/* Uniform in [0, 1). */
double rng_unit(struct harness_rng *rng);
void rng_fill(struct harness_rng *rng, void *buf, size_t size_bytes);

/* ---- Clocks (clock.c): CLOCK_MONOTONIC, never wall time -------------------------------- */

uint64_t clock_now_ns(void);
uint64_t clock_now_us(void);
uint64_t clock_now_ms(void);
void clock_sleep_ms(uint64_t duration_ms);

/* ---- Latency histogram (hist.c) ---------------------------------------------------------
 * Log-linear buckets: values below 2^HIST_SUB_BITS are exact, above that each power of two
 * is split into 2^HIST_SUB_BITS linear buckets, so any recorded value is reported within
 * 1/2^HIST_SUB_BITS (1.6 %) of its true value. Fixed size, no allocation: one per thread,
 * merged at the end. Values are in whatever unit the caller records (name it: lat_ns). */
#define HIST_SUB_BITS 6u
#define HIST_GROUPS 58u /* groups 1..58 reach 2^64 - 1 with 6 sub-bits */
#define HIST_BUCKETS ((HIST_GROUPS + 1u) << HIST_SUB_BITS)

struct hist {
    uint64_t counts[HIST_BUCKETS];
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t value);
void hist_merge(struct hist *dst, const struct hist *src);
/* The smallest recorded bucket value v with at least percentile% of samples <= v, reported as
 * the bucket's upper bound clamped to max. percentile in [0, 100]. 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double percentile);
double hist_mean(const struct hist *h);

/* ---- Loopback networking (net.c): ephemeral ports only ---------------------------------- */

/* Listens on 127.0.0.1 port 0 and reads the port the kernel chose back into *port.
 * Returns the listening fd, or -1 with errno set. */
int net_listen_ephemeral(uint16_t *port, int backlog);
/* Connects to 127.0.0.1:port (blocking). Returns the fd or -1 with errno set. */
int net_connect(uint16_t port);
/* Writes all size_bytes, retrying short writes and EINTR. Returns 0 or -1 with errno set. */
int net_write_all(int fd, const void *buf, size_t size_bytes);
/* Reads until exactly size_bytes arrived, EOF, or timeout_ms passed. Returns the number of
 * bytes read (less than size_bytes on EOF or timeout), or -1 with errno set. */
ssize_t net_read_exact(int fd, void *buf, size_t size_bytes, int timeout_ms);
/* Reads whatever arrives until EOF or until timeout_ms passes with nothing new. */
ssize_t net_read_some(int fd, void *buf, size_t size_bytes, int timeout_ms);

/* ---- Process control (proc.c): servers under test ---------------------------------------- */

#define PROC_ARGS_MAX 32u

struct proc {
    pid_t pid;                 /* -1 when not running */
    char *argv[PROC_ARGS_MAX]; /* owned copies, NULL-terminated */
    char stderr_path[64];      /* the child's stderr is appended here (a file under /tmp) */
    int exit_status;           /* as from waitpid, once reaped */
};

/* Starts argv[0] with argv (copied; at most PROC_ARGS_MAX - 1 arguments) in its own process
 * group, stderr appended to a fresh temporary file. Returns 0 or -1 with errno set. */
int proc_spawn(struct proc *p, const char *const argv[]);
/* Waits until 127.0.0.1:port accepts a connection, or the process died, or timeout_ms.
 * Returns 0 when it accepts, -1 otherwise. */
int proc_wait_port(struct proc *p, uint16_t port, int timeout_ms);
/* Waits until the child's stderr holds a line "... port N" (a server started with --port 0
 * prints where it listens) and parses N into *port. Returns 0, or -1 on timeout or death. */
int proc_wait_port_line(struct proc *p, uint16_t *port, int timeout_ms);
/* True while the child runs; once it has ended, reaps it and records exit_status. */
bool proc_is_alive(struct proc *p);
/* Sends sig to the child's process group and reaps it (SIGKILL is a crash; SIGTERM a stop). */
int proc_kill(struct proc *p, int sig);
/* Starts the same argv again (after proc_kill). */
int proc_restart(struct proc *p);
/* Copies up to size_bytes - 1 of the captured stderr into buf, NUL-terminated. */
size_t proc_stderr(const struct proc *p, char *buf, size_t size_bytes);
/* Kills the child if it still runs, removes the stderr file, frees argv. */
void proc_close(struct proc *p);

/* ---- A RESP client for server tests (rclient.c) -------------------------------------------
 * Sends commands and reads replies one whole reply at a time, however the server split its
 * bytes. Replies are returned raw (e.g. "$3\r\nbar\r\n") for byte-exact comparison. */

struct rclient {
    int fd;
    char *buf; /* owned: bytes received and not yet returned */
    size_t size_bytes;
    size_t capacity_bytes;
};

/* Connects to 127.0.0.1:port. Returns 0, or -1 with errno set. */
int rclient_connect(struct rclient *c, uint16_t port);
/* Sends argv as one multibulk request (argv[i] are C strings). Returns 0 or -1. */
int rclient_send(struct rclient *c, size_t argc, const char *const argv[]);
/* Waits up to timeout_ms for one complete reply and copies it, NUL-terminated, into out.
 * Returns its size in bytes; -1 on timeout or if the connection closed first (errno ETIMEDOUT
 * or ECONNRESET); -2 when it does not fit in out_size - 1. */
ssize_t rclient_reply(struct rclient *c, char *out, size_t out_size, int timeout_ms);
/* True when the server closed the connection (EOF) within timeout_ms. */
bool rclient_is_closed(struct rclient *c, int timeout_ms);
void rclient_close(struct rclient *c);

/* Fills out with the directory of the running executable joined with relative, e.g.
 * "../cmd/keel-server" from a test binary. Returns 0, or -1 if it does not fit. */
int harness_exe_relative(const char *relative, char *out, size_t out_size);

/* ---- Byte-exact protocol checks (bytes.c) ------------------------------------------------ */

/* Writes `bytes` escaped (\r \n \t \\ \xNN) into out, truncating with "..." past out_size. */
void bytes_escape(const void *bytes, size_t size_bytes, char *out, size_t out_size);
/* Fails the running test unless got equals expected byte for byte. The message shows what
 * was sent, what was expected and what came back, escaped, with the first difference marked. */
#define assert_bytes_equal(sent, sent_size, expected, expected_size, got, got_size)                \
    harness_check_bytes((sent), (sent_size), (expected), (expected_size), (got), (got_size),       \
                        __FILE__, __LINE__)
void harness_check_bytes(const void *sent, size_t sent_size, const void *expected,
                         size_t expected_size, const void *got, size_t got_size, const char *file,
                         int line);

/* ---- CSV writer (csv.c): header first, one row per measurement -------------------------- */

#define CSV_COLUMNS_MAX 32u

struct csv {
    FILE *out;           /* borrowed, must outlive the csv */
    size_t column_count; /* from the header */
    size_t column_index; /* the next cell of the current row */
};

/* Prints the header line. column_count <= CSV_COLUMNS_MAX. */
void csv_open(struct csv *c, FILE *out, const char *const columns[], size_t column_count);
void csv_str(struct csv *c, const char *value); /* quoted when it holds , " or a newline */
void csv_u64(struct csv *c, uint64_t value);
void csv_f64(struct csv *c, double value);
/* Ends the row; asserts that it had exactly column_count cells. Flushes. */
void csv_end_row(struct csv *c);

#endif
