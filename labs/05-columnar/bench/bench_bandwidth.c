/* bench_bandwidth.c -- lab 05: TPC-H Q6 against the memory's read bandwidth, measured in the same
 * run. Q6 reads four of lineitem's columns (l_shipdate, l_discount, l_quantity,
 * l_extendedprice); a plain scan of them reads rows * 28 bytes (a 4-byte date and three 8-byte
 * decimals a row). Q6's bandwidth is those bytes over its time on one thread, warm. The
 * memory's is a sum of as many bytes of int64 values from a buffer in memory, one thread, in
 * turns with Q6 (Q6, then the sum, then again), medians. At scale 0.1 the buffer (17 MB) may sit
 * partly in the last-level cache, which flatters the memory's side; at scale 1 (168 MB) it
 * cannot. Prints CSV: test, bytes, ms, gbps. */
#include "tpch_bench.h"

#define Q6_BYTES_A_ROW 28u

/* Sums count int64s; the volatile sink keeps the loop. */
static volatile uint64_t g_sink;

static uint64_t
read_all(const uint64_t *words, size_t count)
{
    uint64_t t0 = now_ns();
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        sum += words[i];
    }
    g_sink = sum;
    return now_ns() - t0;
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    double scale = (double)kh_bench_sized(&opt, 10, 100, 1000) / 1000.0;
    unsigned turns = (unsigned)kh_bench_sized(&opt, 3, 9, 9);
    char dir[PATH_MAX];
    data_dir(dir, scale, opt.seed);
    prepare(dir, scale, opt.seed);
    struct catalog *c = NULL;
    struct col_error err = {0};
    const struct col_table *lineitem = NULL;
    if (catalog_open(dir, CACHE_BYTES, &c, &err) != COL_OK ||
        catalog_table(c, "lineitem", &lineitem, &err) != COL_OK) {
        die(dir, err.message);
    }
    uint64_t bytes = col_table_row_count(lineitem) * Q6_BYTES_A_ROW;
    size_t words = (size_t)(bytes / sizeof(uint64_t));
    uint64_t *buffer = malloc(words * sizeof(uint64_t));
    if (buffer == NULL) {
        die("bench_bandwidth", "out of memory");
    }
    for (size_t i = 0; i < words; i++) {
        buffer[i] = i * 0x9e3779b97f4a7c15ull; /* touched, so every page is there */
    }
    uint64_t rows;
    run_keel(c, 6, 1, &rows); /* warm: the chunks in keel's cache */
    read_all(buffer, words);
    uint64_t q6_ns[TURNS_MAX], memory_ns[TURNS_MAX];
    for (unsigned turn = 0; turn < turns; turn++) {
        q6_ns[turn] = run_keel(c, 6, 1, &rows);
        memory_ns[turn] = read_all(buffer, words);
    }
    double q6_ms = median_ms(q6_ns, turns), memory_ms = median_ms(memory_ns, turns);
    static const char *const header[] = {"test", "bytes", "ms", "gbps"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, header, KH_ARRAY_LEN(header));
    kh_csv_str(&csv, "q6");
    kh_csv_u64(&csv, bytes);
    kh_csv_f64(&csv, q6_ms);
    kh_csv_f64(&csv, (double)bytes / (q6_ms * 1e6));
    kh_csv_end_row(&csv);
    kh_csv_str(&csv, "memory");
    kh_csv_u64(&csv, bytes);
    kh_csv_f64(&csv, memory_ms);
    kh_csv_f64(&csv, (double)bytes / (memory_ms * 1e6));
    kh_csv_end_row(&csv);
    free(buffer);
    catalog_close(c);
    return 0;
}
