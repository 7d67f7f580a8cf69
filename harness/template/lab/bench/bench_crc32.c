/* bench_crc32.c -- CRC-32 throughput (lab @LAB@, part A).
 * crc32_update against the bitwise definition, on the same bytes, in calls of 64 B, 4 KiB
 * and 1 MiB. Prints CSV to stdout, header first. Read main() first. */
#include "crc32.h"
#include "kh_core.h"

#include <stdlib.h>
#include <string.h>

#define DATA_SIZE_SMOKE (64u << 10)
#define DATA_SIZE_QUICK (4u << 20) /* bytes per measurement: ~25 ms bitwise, a few table */
#define DATA_SIZE_FULL (32u << 20)
#define REPEATS_SMOKE 1u
#define REPEATS_QUICK 5u /* measurements per variant and size; the CSV has the median */
#define REPEATS_FULL 15u
#define REPEATS_MAX 15u

struct options {
    size_t data_size_bytes;
    unsigned repeats;
    uint64_t seed;
};

/* A checksum to measure: the bitwise definition (the baseline) or the lab's crc32_update. */
typedef uint32_t crc_fn(uint32_t crc, const unsigned char *buf, size_t size_bytes);

static uint32_t
crc_bitwise(uint32_t crc, const unsigned char *buf, size_t size_bytes)
{
    return crc32_bitwise(crc, buf, size_bytes);
}

static uint32_t
crc_table(uint32_t crc, const unsigned char *buf, size_t size_bytes)
{
    uint32_t out = 0;
    crc32_status status = crc32_update(crc, buf, size_bytes, &out);
    if (status != CRC32_OK) {
        fprintf(stderr, "bench_crc32: crc32_update returned %s\n", crc32_strerror(status));
        exit(1);
    }
    return out;
}

/* The CRC of all data_size_bytes at data, in calls of call_size_bytes; *elapsed_ns its time. */
static uint32_t
crc_in_calls(crc_fn *fn, const unsigned char *data, size_t data_size_bytes, size_t call_size_bytes,
             uint64_t *elapsed_ns)
{
    uint64_t start_ns = kh_clock_now_ns();
    uint32_t crc = 0;
    for (size_t at = 0; at < data_size_bytes; at += call_size_bytes) {
        crc = fn(crc, data + at, call_size_bytes);
    }
    *elapsed_ns = kh_clock_now_ns() - start_ns;
    return crc;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t
median_u64(uint64_t *values, size_t count)
{
    qsort(values, count, sizeof(values[0]), compare_u64);
    return values[count / 2];
}

/* One CSV row. MB is 10^6 bytes. */
static void
report(struct kh_csv *csv, const char *variant, size_t call_size_bytes, size_t data_size_bytes,
       uint64_t elapsed_ns)
{
    double seconds = (double)(elapsed_ns ? elapsed_ns : 1) / 1e9;
    kh_csv_str(csv, variant);
    kh_csv_u64(csv, call_size_bytes);
    kh_csv_u64(csv, data_size_bytes / call_size_bytes);
    kh_csv_u64(csv, data_size_bytes);
    kh_csv_f64(csv, seconds);
    kh_csv_f64(csv, (double)data_size_bytes / 1e6 / seconds);
    kh_csv_end_row(csv);
}

int
main(int argc, char **argv)
{
    /* --peers is accepted and changes nothing: there is no peer here (zlib's crc32 would be
     * one), and `make bench PEERS=1` runs every bench with the same flags. */
    struct kh_bench_options shared = kh_bench_options_parse(argc, argv, NULL, 0);
    struct options opt = {kh_bench_sized(&shared, DATA_SIZE_SMOKE, DATA_SIZE_QUICK, DATA_SIZE_FULL),
                          kh_bench_sized(&shared, REPEATS_SMOKE, REPEATS_QUICK, REPEATS_FULL),
                          shared.seed};
    unsigned char *data = malloc(opt.data_size_bytes);
    if (data == NULL) {
        fprintf(stderr, "bench_crc32: cannot allocate %zu bytes\n", opt.data_size_bytes);
        return 1;
    }
    struct kh_rng rng;
    kh_rng_seed(&rng, opt.seed);
    kh_rng_fill(&rng, data, opt.data_size_bytes);
    /* Every measurement checksums the same bytes, so every one must give this CRC: a wrong
     * answer is never reported as a fast one. */
    uint32_t want = crc32_bitwise(0, data, opt.data_size_bytes);

    static const char *const columns[] = {"variant", "size_bytes", "calls",
                                          "bytes",   "seconds",    "mb_per_s"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, columns, KH_ARRAY_LEN(columns));
    static const size_t call_sizes[] = {64, 4096, 1u << 20}; /* all divide the data size */
    static const char *const names[] = {"bitwise", "table"};
    crc_fn *const fns[] = {crc_bitwise, crc_table};
    /* Every (call size, variant) takes its turn in each repeat, so a burst of load from the
     * machine's other tenants slows all of them alike, and every ratio a target takes is of
     * measurements made side by side. Each row is the median of its repeats. */
    uint64_t elapsed_ns[KH_ARRAY_LEN(call_sizes)][2][REPEATS_MAX];
    for (unsigned r = 0; r < opt.repeats; r++) {
        for (size_t s = 0; s < KH_ARRAY_LEN(call_sizes); s++) {
            for (size_t v = 0; v < 2; v++) {
                uint32_t got = crc_in_calls(fns[v], data, opt.data_size_bytes, call_sizes[s],
                                            &elapsed_ns[s][v][r]);
                if (got != want) {
                    fprintf(stderr, "bench_crc32: %s in %zu-byte calls gave 0x%08x, not 0x%08x\n",
                            names[v], call_sizes[s], got, want);
                    return 1;
                }
            }
        }
    }
    for (size_t s = 0; s < KH_ARRAY_LEN(call_sizes); s++) {
        for (size_t v = 0; v < 2; v++) {
            report(&csv, names[v], call_sizes[s], opt.data_size_bytes,
                   median_u64(elapsed_ns[s][v], opt.repeats));
        }
    }
    free(data);
    return 0;
}
