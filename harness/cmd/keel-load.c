/* keel-load -- the load generator of harness/lib/net/kh_load.h as a command: drives a RESP server
 * on 127.0.0.1 with a GET/SET mix from N connections, P requests in flight on each, and prints one
 * CSV row (header first) with throughput and latency percentiles. Read main() first. */
#include "kh_core.h"
#include "kh_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void
usage(void)
{
    fprintf(stderr,
            "usage: keel-load --port P [--connections N] [--pipeline P] [--threads T]\n"
            "                 [--keys N] [--value-bytes N] [--get-ratio 0.9]\n"
            "                 [--duration-ms N | --requests N] [--warmup-ms N]\n"
            "                 [--timeout-ms N] [--seed N]\n"
            "Drives 127.0.0.1:P with GET/SET (defaults: 50 connections, pipeline 1, 1 thread,\n"
            "100000 keys, 100-byte values, 90%% GET, 1000 ms after 200 ms of warm-up).\n"
            "Prints a CSV header and one row. Exit 0 on a clean run, 1 when requests failed or\n"
            "the run stopped early, 2 on a usage error.\n");
    exit(2);
}

/* Parses argv[*i + 1] as an unsigned number no larger than max. Exits via usage() if not. */
static uint64_t
number_arg(int argc, char **argv, int *i, uint64_t max)
{
    if (*i + 1 >= argc) {
        usage();
    }
    const char *text = argv[++*i];
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || value > max || text[0] == '-') {
        fprintf(stderr, "keel-load: %s: bad number %s (at most %llu)\n", argv[*i - 1], text,
                (unsigned long long)max);
        exit(2);
    }
    return value;
}

static void
parse_options(int argc, char **argv, struct kh_load_options *o)
{
    kh_load_options_default(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--port") == 0) {
            o->port = (uint16_t)number_arg(argc, argv, &i, 65535);
        } else if (strcmp(a, "--connections") == 0) {
            o->connections = (unsigned)number_arg(argc, argv, &i, KH_LOAD_CONNECTIONS_MAX);
        } else if (strcmp(a, "--pipeline") == 0) {
            o->pipeline = (unsigned)number_arg(argc, argv, &i, KH_LOAD_PIPELINE_MAX);
        } else if (strcmp(a, "--threads") == 0) {
            o->threads = (unsigned)number_arg(argc, argv, &i, KH_LOAD_THREADS_MAX);
        } else if (strcmp(a, "--keys") == 0) {
            o->key_count = number_arg(argc, argv, &i, KH_LOAD_KEYS_MAX);
        } else if (strcmp(a, "--value-bytes") == 0) {
            o->value_bytes = (size_t)number_arg(argc, argv, &i, KH_LOAD_VALUE_BYTES_MAX);
        } else if (strcmp(a, "--get-ratio") == 0 && i + 1 < argc) {
            char *end = NULL;
            o->get_ratio = strtod(argv[++i], &end);
            if (end == argv[i] || *end != '\0' || !(o->get_ratio >= 0 && o->get_ratio <= 1)) {
                usage();
            }
        } else if (strcmp(a, "--duration-ms") == 0) {
            o->duration_ms = number_arg(argc, argv, &i, KH_LOAD_DURATION_MS_MAX);
        } else if (strcmp(a, "--requests") == 0) {
            o->request_count = number_arg(argc, argv, &i, UINT64_MAX / 2);
            o->duration_ms = 0;
        } else if (strcmp(a, "--warmup-ms") == 0) {
            o->warmup_ms = number_arg(argc, argv, &i, KH_LOAD_DURATION_MS_MAX);
        } else if (strcmp(a, "--timeout-ms") == 0) {
            o->timeout_ms = number_arg(argc, argv, &i, KH_LOAD_DURATION_MS_MAX);
        } else if (strcmp(a, "--seed") == 0) {
            o->seed = number_arg(argc, argv, &i, UINT64_MAX);
        } else {
            usage();
        }
    }
    if (o->port == 0) {
        fprintf(stderr, "keel-load: --port is required\n");
        usage();
    }
}

int
main(int argc, char **argv)
{
    struct kh_load_options o;
    parse_options(argc, argv, &o);
    if (kh_load_raise_fd_limit((uint64_t)o.connections + 64) != 0) {
        fprintf(stderr, "keel-load: cannot raise the descriptor limit to %u: %s\n",
                o.connections + 64, strerror(errno));
        return 1;
    }
    struct kh_load_result r;
    kh_load_status status = kh_load_run(&o, &r);
    if (status == KH_LOAD_BAD_OPTION || status == KH_LOAD_NO_MEMORY || status == KH_LOAD_SYSTEM) {
        fprintf(stderr, "keel-load: %s\n", kh_load_strerror(status));
        return status == KH_LOAD_BAD_OPTION ? 2 : 1;
    }
    static const char *const columns[] = {"connections",
                                          "pipeline",
                                          "requests",
                                          "errors",
                                          "closed",
                                          "connect_failures",
                                          "connections_served",
                                          "seconds",
                                          "ops_per_s",
                                          "p50_us",
                                          "p90_us",
                                          "p99_us",
                                          "p999_us",
                                          "max_us",
                                          "status"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    kh_csv_u64(&csv, o.connections);
    kh_csv_u64(&csv, o.pipeline);
    kh_csv_u64(&csv, r.requests);
    kh_csv_u64(&csv, r.errors);
    kh_csv_u64(&csv, r.closed);
    kh_csv_u64(&csv, r.connect_failures);
    kh_csv_u64(&csv, r.connections_served);
    kh_csv_f64(&csv, (double)r.elapsed_ns / 1e9);
    kh_csv_f64(&csv, r.ops_per_s);
    kh_csv_f64(&csv, r.latency_us_p50);
    kh_csv_f64(&csv, r.latency_us_p90);
    kh_csv_f64(&csv, r.latency_us_p99);
    kh_csv_f64(&csv, r.latency_us_p999);
    kh_csv_f64(&csv, r.latency_us_max);
    kh_csv_str(&csv, status == KH_LOAD_OK ? "ok" : kh_load_strerror(status));
    kh_csv_end_row(&csv);
    if (r.message[0] != '\0') {
        fprintf(stderr, "keel-load: first problem: %s\n", r.message);
    }
    bool is_clean =
        status == KH_LOAD_OK && r.errors == 0 && r.closed == 0 && r.connect_failures == 0;
    return is_clean ? 0 : 1;
}
