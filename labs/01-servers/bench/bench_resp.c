/* bench_resp.c -- RESP2 parser throughput (lab 01-servers, part A): pipelined SET requests fed
 * to resp_parse whole, in 16-byte chunks and one byte per call, beside a memchr line scan that
 * is a floor on any parser's work. Prints CSV to stdout, header first. Read main() first. */
#include "kh_core.h"
#include "resp.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SIZE_BYTES 16u
#define VALUE_SIZE_BYTES 100u
#define LINES_PER_REQUEST 7u /* *3, $3, SET, $16, key, $100, value: each ends in "\r\n" */
#define REQUESTS_SMOKE 2000u
#define REQUESTS_QUICK 100000u /* 14.4 MB: under 1 s in all for the reference */
#define REQUESTS_FULL 1000000u /* 144 MB */
#define REPEATS_SMOKE 1u
#define REPEATS_QUICK 7u
#define REPEATS_FULL 9u
#define CHUNK_BYTES 16u /* a small read: what a slow client's packets look like */

struct options {
    size_t request_count;
    unsigned repeats;
    uint64_t seed;
};

/* One measurement: what it processed and how long its best repeat took. */
struct run {
    size_t requests;
    size_t bytes;
    uint64_t elapsed_ns;
};

/* Builds request_count pipelined "SET key value" requests, keys and values drawn from the seed
 * (printable bytes, so a dump of the buffer is readable). Returns the owned buffer. */
static char *
build_requests(uint64_t seed, size_t request_count, size_t *size_bytes)
{
    static const char header[] = "*3\r\n$3\r\nSET\r\n$16\r\n";
    static const char middle[] = "\r\n$100\r\n";
    size_t request_size_bytes =
        (sizeof(header) - 1) + KEY_SIZE_BYTES + (sizeof(middle) - 1) + VALUE_SIZE_BYTES + 2;
    char *buf = malloc(request_count * request_size_bytes);
    if (buf == NULL) {
        fprintf(stderr, "bench_resp: cannot allocate %zu bytes\n",
                request_count * request_size_bytes);
        exit(1);
    }
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    char *at = buf;
    for (size_t r = 0; r < request_count; r++) {
        memcpy(at, header, sizeof(header) - 1);
        at += sizeof(header) - 1;
        for (size_t i = 0; i < KEY_SIZE_BYTES; i++) {
            *at++ = (char)('a' + kh_rng_below(&rng, 26));
        }
        memcpy(at, middle, sizeof(middle) - 1);
        at += sizeof(middle) - 1;
        for (size_t i = 0; i < VALUE_SIZE_BYTES; i++) {
            *at++ = (char)('!' + kh_rng_below(&rng, 94));
        }
        *at++ = '\r';
        *at++ = '\n';
    }
    *size_bytes = (size_t)(at - buf);
    return buf;
}

/* Parses buf in pieces of chunk_bytes (0: all at once) and returns the number of requests.
 * Exits with a message if the parser fails or a request is not the SET that was built, so a
 * broken parser is never reported as a fast one. */
static size_t
parse_all(const char *buf, size_t size_bytes, size_t chunk_bytes)
{
    struct resp_parser p;
    resp_parser_init(&p, NULL);
    size_t requests = 0;
    size_t at = 0;
    while (at < size_bytes) {
        size_t piece =
            chunk_bytes == 0 || chunk_bytes > size_bytes - at ? size_bytes - at : chunk_bytes;
        size_t piece_end = at + piece;
        while (at < piece_end) {
            size_t consumed = 0;
            struct resp_request *request = NULL;
            resp_status status = resp_parse(&p, buf + at, piece_end - at, &consumed, &request);
            if (status != RESP_OK && status != RESP_NEED_MORE) {
                fprintf(stderr, "bench_resp: resp_parse returned %s at byte %zu (%s)\n",
                        resp_strerror(status), at, resp_parser_error(&p));
                exit(1);
            }
            at += consumed;
            if (status == RESP_NEED_MORE) {
                break;
            }
            if (request->argc != 3 || request->argv[1].size_bytes != KEY_SIZE_BYTES ||
                request->argv[2].size_bytes != VALUE_SIZE_BYTES) {
                fprintf(stderr,
                        "bench_resp: request %zu is not SET with a 16-byte key and a "
                        "100-byte value (argc %zu)\n",
                        requests, request->argc);
                exit(1);
            }
            requests++;
        }
        if (at != piece_end) {
            fprintf(stderr, "bench_resp: resp_parse stopped at byte %zu of a piece ending at %zu\n",
                    at, piece_end);
            exit(1);
        }
    }
    resp_parser_free(&p);
    return requests;
}

/* The floor: finds every "\r\n" with memchr and counts them, touching each byte once. */
static size_t
scan_lines(const char *buf, size_t size_bytes)
{
    size_t lines = 0;
    const char *at = buf;
    const char *end = buf + size_bytes;
    while (at < end) {
        const char *cr = memchr(at, '\r', (size_t)(end - at));
        if (cr == NULL || cr + 1 == end) {
            break;
        }
        lines += cr[1] == '\n';
        at = cr + 2;
    }
    return lines;
}

/* Runs one variant `repeats` times and keeps the fastest: the minimum is the run least
 * disturbed by the other tenants of the machine, the usual choice for throughput. */
static struct run
measure(const char *buf, size_t size_bytes, size_t request_count, unsigned repeats, bool is_scan,
        size_t chunk_bytes)
{
    struct run best = {request_count, size_bytes, UINT64_MAX};
    for (unsigned r = 0; r < repeats; r++) {
        uint64_t start_ns = kh_clock_now_ns();
        size_t counted = is_scan ? scan_lines(buf, size_bytes) / LINES_PER_REQUEST
                                 : parse_all(buf, size_bytes, chunk_bytes);
        uint64_t elapsed_ns = kh_clock_now_ns() - start_ns;
        if (counted != request_count) {
            fprintf(stderr, "bench_resp: %s (chunk %zu) counted %zu requests, built %zu\n",
                    is_scan ? "linescan" : "parser", chunk_bytes, counted, request_count);
            exit(1);
        }
        if (elapsed_ns < best.elapsed_ns) {
            best.elapsed_ns = elapsed_ns;
        }
    }
    return best;
}

/* One CSV row. MB is 10^6 bytes. */
static void
report(struct kh_csv *csv, const char *variant, size_t chunk_bytes, struct run run)
{
    double seconds = (double)(run.elapsed_ns ? run.elapsed_ns : 1) / 1e9;
    kh_csv_str(csv, variant);
    kh_csv_u64(csv, chunk_bytes);
    kh_csv_u64(csv, run.requests);
    kh_csv_u64(csv, run.bytes);
    kh_csv_f64(csv, seconds);
    kh_csv_f64(csv, (double)run.bytes / 1e6 / seconds);
    kh_csv_f64(csv, (double)run.requests / seconds);
    kh_csv_end_row(csv);
}

int
main(int argc, char **argv)
{
    /* --peers is accepted and changes nothing: part A has no peer (no real system exposes its
     * parser alone), and `make bench PEERS=1` runs this bench beside those that have one. */
    struct kh_bench_options shared = kh_bench_options_parse(argc, argv, NULL, 0);
    struct options opt = {kh_bench_sized(&shared, REQUESTS_SMOKE, REQUESTS_QUICK, REQUESTS_FULL),
                          kh_bench_sized(&shared, REPEATS_SMOKE, REPEATS_QUICK, REPEATS_FULL),
                          shared.seed};
    size_t size_bytes = 0;
    char *buf = build_requests(opt.seed, opt.request_count, &size_bytes);
    static const char *const columns[] = {"variant", "chunk_bytes", "requests",      "bytes",
                                          "seconds", "mb_per_s",    "requests_per_s"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    report(&csv, "linescan", 0, measure(buf, size_bytes, opt.request_count, opt.repeats, true, 0));
    static const size_t chunks[] = {0, CHUNK_BYTES, 1};
    for (size_t i = 0; i < KH_ARRAY_LEN(chunks); i++) {
        report(&csv, "parser", chunks[i],
               measure(buf, size_bytes, opt.request_count, opt.repeats, false, chunks[i]));
    }
    free(buf);
    return 0;
}
