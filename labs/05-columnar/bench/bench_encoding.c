/* bench_encoding.c -- part A: what the encodings save and what they cost (lab 05).
 * Columns shaped like TPC-H lineitem's (dbgen's distributions, clause 4.2.3 of the
 * specification), cut into chunks of 65,536 rows: for each, the bytes of each encoding the
 * chooser picks, and the speed of col_chunk_build (zone map, choice, encode, checksum) and
 * col_decode, beside a plain copy of the decoded values (memory's own speed), taken in turns.
 * Prints CSV to stdout, header first. Read main() first. */
#include "colfile.h"
#include "kh_core.h"

#include <stdlib.h>
#include <string.h>

#define ROWS_SMOKE 65536u
#define ROWS_QUICK (2u * 1048576u) /* 32 chunks a column: about 20 s in all */
#define ROWS_FULL (6u * 1048576u)  /* lineitem at scale factor 1 */
#define REPEATS_SMOKE 1u
#define REPEATS_QUICK 5u
#define REPEATS_FULL 9u
#define REPEATS_MAX 9u
#define CHUNK_ROWS COL_GROUP_ROWS_DEFAULT
#define COMMENT_SIZE_MAX 43u /* l_comment is 10 to 43 characters (TPC-H 4.2.3) */

/* One lineitem-like column. */
struct column {
    const char *name;
    enum col_type type;
    void *data;  /* rows values */
    char *bytes; /* strings' bytes */
};

static const char *const ship_modes[] = {"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"};
static const char *const return_flags[] = {"A", "N", "R"};

/* dbgen's shapes: l_orderkey ascends with 1-7 lines an order (sparse keys: 8 of every 32);
 * l_quantity 1-50; l_extendedprice is quantity times a part's price (90,000 to 200,000 cents
 * in 1/100); l_discount 0.00-0.10; l_shipdate an order date (1992-01-01 plus up to 2,406
 * days) plus 1-121 days; l_returnflag and l_shipmode from short lists; l_comment random text. */
static void
columns_make(struct column *cols, uint32_t rows, uint64_t seed)
{
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    int64_t *orderkey = malloc(rows * sizeof(int64_t)), *quantity = malloc(rows * sizeof(int64_t));
    int64_t *price = malloc(rows * sizeof(int64_t)), *discount = malloc(rows * sizeof(int64_t));
    int32_t *shipdate = malloc(rows * sizeof(int32_t));
    struct col_str *flag = malloc(rows * sizeof(struct col_str));
    struct col_str *mode = malloc(rows * sizeof(struct col_str));
    struct col_str *comment = malloc(rows * sizeof(struct col_str));
    char *text = malloc((size_t)rows * COMMENT_SIZE_MAX);
    if (!orderkey || !quantity || !price || !discount || !shipdate || !flag || !mode || !comment ||
        !text) {
        fprintf(stderr, "bench_encoding: out of memory for %u rows\n", rows);
        exit(1);
    }
    int64_t key = 1;
    uint32_t lines_left = 0;
    int32_t order_date = 0, start = col_date_from_ymd(1992, 1, 1);
    for (uint32_t row = 0; row < rows; row++) {
        if (lines_left-- == 0) {
            lines_left = (uint32_t)kh_rng_below(&rng, 7);
            key += (key % 8 == 7) ? 25 : 1;
            order_date = start + (int32_t)kh_rng_below(&rng, 2407);
        }
        orderkey[row] = key;
        quantity[row] = 1 + (int64_t)kh_rng_below(&rng, 50);
        price[row] = quantity[row] * (90000 + (int64_t)kh_rng_below(&rng, 110001)) / 100;
        discount[row] = (int64_t)kh_rng_below(&rng, 11);
        shipdate[row] = order_date + 1 + (int32_t)kh_rng_below(&rng, 121);
        const char *f = return_flags[kh_rng_below(&rng, 3)];
        flag[row] = (struct col_str){f, (uint32_t)strlen(f)};
        const char *m = ship_modes[kh_rng_below(&rng, 7)];
        mode[row] = (struct col_str){m, (uint32_t)strlen(m)};
        uint32_t size = 10 + (uint32_t)kh_rng_below(&rng, COMMENT_SIZE_MAX - 9);
        char *t = text + (size_t)row * COMMENT_SIZE_MAX;
        for (uint32_t i = 0; i < size; i++) {
            t[i] = (char)('a' + kh_rng_below(&rng, 26));
        }
        comment[row] = (struct col_str){t, size};
    }
    cols[0] = (struct column){"l_orderkey", COL_INT64, orderkey, NULL};
    cols[1] = (struct column){"l_quantity", COL_DECIMAL, quantity, NULL};
    cols[2] = (struct column){"l_extendedprice", COL_DECIMAL, price, NULL};
    cols[3] = (struct column){"l_discount", COL_DECIMAL, discount, NULL};
    cols[4] = (struct column){"l_shipdate", COL_DATE, shipdate, NULL};
    cols[5] = (struct column){"l_returnflag", COL_STRING, flag, NULL};
    cols[6] = (struct column){"l_shipmode", COL_STRING, mode, NULL};
    cols[7] = (struct column){"l_comment", COL_STRING, comment, text};
}

#define COLUMNS 8u

/* A column's chunks, built once: their bytes, sizes and encodings. */
struct built {
    uint32_t chunks;
    struct col_chunk_built *chunk;
    uint64_t plain_bytes, encoded_bytes;
    uint32_t encodings[COL_ENCODING_COUNT]; /* chunks in each */
};

static struct col_values
chunk_values(const struct column *c, uint32_t chunk, uint32_t rows)
{
    uint32_t from = chunk * CHUNK_ROWS;
    uint32_t count = rows - from < CHUNK_ROWS ? rows - from : CHUNK_ROWS;
    return (struct col_values){
        c->type, count, (const char *)c->data + (size_t)from * col_type_width(c->type), NULL};
}

static void
die(const char *what, const struct col_error *err)
{
    fprintf(stderr, "bench_encoding: %s: %s\n", what, err->message);
    exit(1);
}

/* Builds every chunk of c; returns the time taken. */
static uint64_t
build_all(const struct column *c, uint32_t rows, struct built *b)
{
    struct col_error err = {0};
    uint64_t start = kh_clock_now_ns();
    for (uint32_t k = 0; k < b->chunks; k++) {
        struct col_values v = chunk_values(c, k, rows);
        if (col_chunk_build(&v, &b->chunk[k], &err) != COL_OK) {
            die(c->name, &err);
        }
    }
    return kh_clock_now_ns() - start;
}

/* Decodes every chunk of b and checks a value of each against the column; returns the time. */
static uint64_t
decode_all(const struct column *c, uint32_t rows, const struct built *b)
{
    struct col_error err = {0};
    uint64_t elapsed = 0;
    for (uint32_t k = 0; k < b->chunks; k++) {
        struct col_chunk *chunk = NULL;
        uint64_t start = kh_clock_now_ns();
        if (col_decode(b->chunk[k].bytes, b->chunk[k].size_bytes, &chunk, &err) != COL_OK) {
            die(c->name, &err);
        }
        elapsed += kh_clock_now_ns() - start;
        struct col_values v = chunk_values(c, k, rows);
        if (chunk->row_count != v.count) {
            fprintf(stderr, "bench_encoding: %s chunk %u decoded %u rows, not %u\n", c->name, k,
                    chunk->row_count, v.count);
            exit(1);
        }
        col_chunk_free(chunk);
    }
    return elapsed;
}

/* Copies the column's decoded values, chunk by chunk, into a buffer of one chunk: what reading
 * them costs with no encoding at all. Returns the time. */
static uint64_t
copy_all(const struct column *c, uint32_t rows, const struct built *b, void *buffer)
{
    uint64_t start = kh_clock_now_ns();
    for (uint32_t k = 0; k < b->chunks; k++) {
        struct col_values v = chunk_values(c, k, rows);
        memcpy(buffer, v.data, (size_t)v.count * col_type_width(c->type));
        __asm__ volatile("" : : "r"(buffer) : "memory"); /* the copy is used */
    }
    return kh_clock_now_ns() - start;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t
median(uint64_t *values, unsigned count)
{
    qsort(values, count, sizeof(values[0]), compare_u64);
    return values[count / 2];
}

static double
mvalues_per_s(uint32_t rows, uint64_t ns)
{
    return (double)rows / ((double)(ns ? ns : 1) / 1e9) / 1e6;
}

static const char *
main_encoding(const struct built *b)
{
    int best = 0;
    for (int e = 1; e < COL_ENCODING_COUNT; e++) {
        best = b->encodings[e] > b->encodings[best] ? e : best;
    }
    return col_encoding_name((enum col_encoding)best);
}

int
main(int argc, char **argv)
{
    struct kh_bench_options opt = kh_bench_options_parse(argc, argv, NULL, 0);
    uint32_t rows = (uint32_t)kh_bench_sized(&opt, ROWS_SMOKE, ROWS_QUICK, ROWS_FULL);
    unsigned repeats = (unsigned)kh_bench_sized(&opt, REPEATS_SMOKE, REPEATS_QUICK, REPEATS_FULL);
    struct column cols[COLUMNS];
    columns_make(cols, rows, opt.seed);
    void *buffer = malloc((size_t)CHUNK_ROWS * sizeof(struct col_str));
    static struct built built[COLUMNS];
    uint64_t build_ns[COLUMNS][REPEATS_MAX], decode_ns[COLUMNS][REPEATS_MAX],
        copy_ns[COLUMNS][REPEATS_MAX];
    for (uint32_t c = 0; c < COLUMNS; c++) {
        built[c].chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
        built[c].chunk = calloc(built[c].chunks, sizeof(struct col_chunk_built));
        if (built[c].chunk == NULL || buffer == NULL) {
            fprintf(stderr, "bench_encoding: out of memory\n");
            return 1;
        }
    }
    /* Each repeat builds, decodes and copies every column in turn, so a burst of load from
     * the machine's other tenants slows all three alike; each row is the median. */
    for (unsigned r = 0; r < repeats; r++) {
        for (uint32_t c = 0; c < COLUMNS; c++) {
            struct built *b = &built[c];
            for (uint32_t k = 0; r > 0 && k < b->chunks; k++) {
                free(b->chunk[k].bytes);
            }
            build_ns[c][r] = build_all(&cols[c], rows, b);
            decode_ns[c][r] = decode_all(&cols[c], rows, b);
            copy_ns[c][r] = copy_all(&cols[c], rows, b, buffer);
        }
    }
    static const char *const header[] = {"column",      "type",          "encoding",
                                         "plain_bytes", "encoded_bytes", "ratio",
                                         "build_mvps",  "decode_mvps",   "copy_mvps"};
    struct kh_csv csv;
    kh_csv_open(&csv, stdout, header, KH_ARRAY_LEN(header));
    uint64_t plain_all = 0, encoded_all = 0;
    for (uint32_t c = 0; c < COLUMNS; c++) {
        struct built *b = &built[c];
        for (uint32_t k = 0; k < b->chunks; k++) {
            struct col_values v = chunk_values(&cols[c], k, rows);
            b->plain_bytes += col_encoded_size(COL_ENC_PLAIN, &v);
            b->encoded_bytes += b->chunk[k].size_bytes;
            b->encodings[b->chunk[k].encoding]++;
        }
        plain_all += b->plain_bytes;
        encoded_all += b->encoded_bytes;
        kh_csv_str(&csv, cols[c].name);
        kh_csv_str(&csv, col_type_name(cols[c].type));
        kh_csv_str(&csv, main_encoding(b));
        kh_csv_u64(&csv, b->plain_bytes);
        kh_csv_u64(&csv, b->encoded_bytes);
        kh_csv_f64(&csv, (double)b->encoded_bytes / (double)b->plain_bytes);
        kh_csv_f64(&csv, mvalues_per_s(rows, median(build_ns[c], repeats)));
        kh_csv_f64(&csv, mvalues_per_s(rows, median(decode_ns[c], repeats)));
        kh_csv_f64(&csv, mvalues_per_s(rows, median(copy_ns[c], repeats)));
        kh_csv_end_row(&csv);
    }
    kh_csv_str(&csv, "all");
    kh_csv_str(&csv, "-");
    kh_csv_str(&csv, "-");
    kh_csv_u64(&csv, plain_all);
    kh_csv_u64(&csv, encoded_all);
    kh_csv_f64(&csv, (double)encoded_all / (double)plain_all);
    kh_csv_f64(&csv, 0);
    kh_csv_f64(&csv, 0);
    kh_csv_f64(&csv, 0);
    kh_csv_end_row(&csv);
    return 0;
}
