/* kh_core.h -- libharness's core: what tests and benchmarks alike draw on, and no cmocka
 * (a test includes kh_test.h, which includes this). Seeded PRNG, clocks, a latency histogram,
 * the CSV and JSON writers, the options every benchmark takes, servers under test as child
 * processes, and escaping bytes for a message. Every public name starts with kh_ (KH_ for
 * macros), so none can clash with a student's. Nothing here allocates behind the caller's
 * back unless a comment says "owned". */
#ifndef KEEL_KH_CORE_H
#define KEEL_KH_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define KH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Seeded PRNG (rng.c): xoshiro256** seeded through splitmix64 ------------------------ */

struct kh_rng {
    uint64_t state[4];
};

void kh_rng_seed(struct kh_rng *rng, uint64_t seed);
uint64_t kh_rng_next(struct kh_rng *rng);
/* Uniform in [0, bound); bound must be > 0. Unbiased (rejection sampling). */
uint64_t kh_rng_below(struct kh_rng *rng, uint64_t bound);
/* Uniform in [0, 1). */
double kh_rng_unit(struct kh_rng *rng);
void kh_rng_fill(struct kh_rng *rng, void *buf, size_t size_bytes);

/* ---- Clocks (clock.c): CLOCK_MONOTONIC, never wall time -------------------------------- */

uint64_t kh_clock_now_ns(void);
uint64_t kh_clock_now_us(void);
uint64_t kh_clock_now_ms(void);
void kh_clock_sleep_ms(uint64_t duration_ms);

/* ---- Latency histogram (hist.c) ---------------------------------------------------------
 * Log-linear buckets: values below 2^KH_HIST_SUB_BITS are exact, above that each power of two
 * is split into 2^KH_HIST_SUB_BITS linear buckets, so any recorded value is reported within
 * 1/2^KH_HIST_SUB_BITS (1.6 %) of its true value. Fixed size, no allocation: one per thread,
 * merged at the end. Values are in whatever unit the caller records (name it: lat_ns). */
#define KH_HIST_SUB_BITS 6u
#define KH_HIST_GROUPS 58u /* groups 1..58 reach 2^64 - 1 with 6 sub-bits */
#define KH_HIST_BUCKETS ((KH_HIST_GROUPS + 1u) << KH_HIST_SUB_BITS)

struct kh_hist {
    uint64_t counts[KH_HIST_BUCKETS];
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
};

void kh_hist_init(struct kh_hist *h);
void kh_hist_record(struct kh_hist *h, uint64_t value);
void kh_hist_merge(struct kh_hist *dst, const struct kh_hist *src);
/* The smallest recorded bucket value v with at least percentile% of samples <= v, reported as
 * the bucket's upper bound clamped to max. percentile in [0, 100]. 0 when empty. */
uint64_t kh_hist_percentile(const struct kh_hist *h, double percentile);
double kh_hist_mean(const struct kh_hist *h);

/* ---- CSV writer (csv.c): header first, one row per measurement -------------------------- */

#define KH_CSV_COLUMNS_MAX 32u

struct kh_csv {
    FILE *out;           /* borrowed, must outlive the csv */
    size_t column_count; /* from the header */
    size_t column_index; /* the next cell of the current row */
};

/* Prints the header line. column_count <= KH_CSV_COLUMNS_MAX. */
void kh_csv_open(struct kh_csv *c, FILE *out, const char *const columns[], size_t column_count);
void kh_csv_str(struct kh_csv *c, const char *value); /* quoted when it holds , " or a newline */
void kh_csv_u64(struct kh_csv *c, uint64_t value);
void kh_csv_f64(struct kh_csv *c, double value);
/* Ends the row; asserts that it had exactly column_count cells. Flushes. */
void kh_csv_end_row(struct kh_csv *c);

/* ---- JSON writer (json.c): one value, written as it is built (RFC 8259) -------------------
 * Calls name what comes next; the writer puts in the commas and colons, and asserts that the
 * calls nest: a key only directly inside an object and before each of its values, an end only
 * of what is open, nothing after the top-level value. Compact output, one value per writer. */

#define KH_JSON_DEPTH_MAX 32u /* objects and arrays open at once */

struct kh_json {
    FILE *out;                          /* borrowed, must outlive the writer */
    size_t depth;                       /* objects and arrays open now */
    bool is_object[KH_JSON_DEPTH_MAX];  /* per open level: an object (else an array) */
    bool has_member[KH_JSON_DEPTH_MAX]; /* per open level: holds a value (a comma is due) */
    bool is_key_written;                /* in an object: its key is out, its value is due */
    bool is_done;                       /* the top-level value is complete */
};

void kh_json_open(struct kh_json *j, FILE *out);
void kh_json_object_begin(struct kh_json *j);
void kh_json_object_end(struct kh_json *j);
void kh_json_array_begin(struct kh_json *j);
void kh_json_array_end(struct kh_json *j);
/* The next member's name, inside an object. Escaped as kh_json_str's values are. */
void kh_json_key(struct kh_json *j, const char *key);
/* A string (UTF-8, NUL-terminated): " and \ escaped, control characters as \n, \t, ... or
 * \u00XX; other bytes are written as they are. */
void kh_json_str(struct kh_json *j, const char *value);
void kh_json_i64(struct kh_json *j, int64_t value);
void kh_json_u64(struct kh_json *j, uint64_t value);
/* The shortest decimal that reads back as value (at most 17 digits); null when value is NaN
 * or infinite, which JSON cannot write. */
void kh_json_f64(struct kh_json *j, double value);
void kh_json_bool(struct kh_json *j, bool value);
void kh_json_null(struct kh_json *j);
/* Ends the output with a newline and flushes; asserts the top-level value is complete. */
void kh_json_close(struct kh_json *j);

/* ---- Bench options (bench.c): the flags every benchmark takes ----------------------------
 * --quick (the default; a lab's benches take about a minute on 2 cores), --full (the long
 * runs), --smoke (the smallest run that still writes every row of every CSV: it checks the
 * pipeline from bench to report, and its numbers measure nothing), --peers (also measure the
 * real systems, where they are installed) and --seed N (the bench's random choices; default
 * 1). A bench with flags of its own names them in a table. */

#define KH_BENCH_FLAGS_MAX 8u /* a bench's own flags, beyond the shared ones */

enum kh_bench_size {
    KH_BENCH_SMOKE, /* --smoke */
    KH_BENCH_QUICK, /* --quick, the default */
    KH_BENCH_FULL,  /* --full */
};

struct kh_bench_options {
    enum kh_bench_size size; /* the last of --smoke, --quick, --full given wins */
    bool has_peers;          /* --peers */
    uint64_t seed;           /* --seed N: decimal, or hexadecimal after 0x; default 1 */
};

/* The one of smoke, quick and full that matches opt's size: a bench's sizes in one line,
 * `kh_bench_sized(&opt, 2000, 200000, 1000000)`. */
uint64_t kh_bench_sized(const struct kh_bench_options *opt, uint64_t smoke, uint64_t quick,
                        uint64_t full);

/* One flag of a bench's own. Exactly one of is_set, text and number is non-NULL: a switch
 * (value_name NULL; *is_set becomes true when the flag is given) or a flag that takes the next
 * argument as its value (*text: the argument, borrowed from argv; *number: the whole argument
 * read as an unsigned number, as --seed's). What the pointers point to is left alone when the
 * flag is not given: set the defaults before the call. */
struct kh_bench_flag {
    const char *name;       /* with its dashes: "--only" */
    const char *value_name; /* what the usage line shows after the name: "NAME,..." */
    bool *is_set;
    const char **text;
    uint64_t *number;
};

/* Parses argv[1 .. argc) into the shared options and the bench's own flags[0 .. flag_count)
 * (flag_count <= KH_BENCH_FLAGS_MAX; flags may be NULL when it is 0). On an unknown flag, or a
 * value missing or not a number, prints one line to stderr,
 *   usage: PROGRAM [--smoke|--quick|--full] [--peers] [--seed N] [--only NAME,...] ...
 * and exits with status 2, as any tool does on a usage error. */
struct kh_bench_options
kh_bench_options_parse(int argc, char **argv, const struct kh_bench_flag *flags, size_t flag_count);

/* ---- Process control (proc.c): servers under test ---------------------------------------- */

#define KH_PROC_ARGS_MAX 32u

struct kh_proc {
    pid_t pid;                    /* -1 when not running */
    char *argv[KH_PROC_ARGS_MAX]; /* owned copies, NULL-terminated */
    char stderr_path[64];         /* the child's stderr is appended here (a file under /tmp) */
    int exit_status;              /* as from waitpid, once reaped */
};

/* Starts argv[0] with argv (copied; at most KH_PROC_ARGS_MAX - 1 arguments) in its own process
 * group, stderr appended to a fresh temporary file. Returns 0, or -1 with errno set and nothing
 * left to release (kh_proc_stderr reads "" and kh_proc_close does nothing). */
int kh_proc_spawn(struct kh_proc *p, const char *const argv[]);
/* Waits until 127.0.0.1:port accepts a connection, or the process died, or timeout_ms.
 * Returns 0 when it accepts, -1 otherwise. */
int kh_proc_wait_port(struct kh_proc *p, uint16_t port, int timeout_ms);
/* Waits until the child's stderr holds a line "... port N" (a server started with --port 0
 * prints where it listens) and parses N into *port. Returns 0, or -1 on timeout or death. */
int kh_proc_wait_port_line(struct kh_proc *p, uint16_t *port, int timeout_ms);
/* True while the child runs; once it has ended, reaps it and records exit_status. */
bool kh_proc_is_alive(struct kh_proc *p);
/* Sends sig to the child's process group and reaps it (SIGKILL is a crash; SIGTERM a stop). */
int kh_proc_kill(struct kh_proc *p, int sig);
/* Starts the same argv again (after kh_proc_kill). */
int kh_proc_restart(struct kh_proc *p);
/* Copies up to size_bytes - 1 of the captured stderr into buf, NUL-terminated. */
size_t kh_proc_stderr(const struct kh_proc *p, char *buf, size_t size_bytes);
/* Kills the child if it still runs, removes the stderr file, frees argv. */
void kh_proc_close(struct kh_proc *p);

/* Fills out with the directory of the running executable joined with relative, e.g.
 * "../cmd/keel-server" from a test binary. Returns 0, or -1 if it does not fit. */
int kh_exe_relative(const char *relative, char *out, size_t out_size);

/* ---- Escaping bytes for a message (bytes.c) ---------------------------------------------- */

/* Writes `bytes` escaped (\r \n \t \\ \xNN) into out, truncating with "..." past out_size. */
void kh_bytes_escape(const void *bytes, size_t size_bytes, char *out, size_t out_size);

#endif
