/* col_test.h -- what lab 05's tests share: statuses by name, a scratch directory, seeded
 * columns of every shape (runs, few distinct values, extremes, NULLs), a plain reader of a
 * decoded chunk that the tests trust (values, runs and dictionaries alike), and comparisons
 * that name the first row that differs. */
#ifndef KEEL_COL_TEST_H
#define KEEL_COL_TEST_H

#include "cache.h"
#include "kh_test.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_UNUSED __attribute__((unused))
#define TEST_PATH_MAX 512u

/* ---- Statuses by name --------------------------------------------------------------------- */

/* "COL_CORRUPT" for COL_CORRUPT: the enum's own name, from col.h's list. */
static TEST_UNUSED const char *
status_name(col_status status)
{
#define STATUS_NAME_CASE(name, text)                                                               \
    case name:                                                                                     \
        return #name;
    switch (status) {
        COL_STATUS_LIST(STATUS_NAME_CASE)
    }
#undef STATUS_NAME_CASE
    return "an unknown status";
}

/* Fails unless expr's status is expected, naming the call and both statuses. */
#define assert_status(expr, expected)                                                              \
    KH_ASSERT_STATUS_OF(col_status, status_name, col_strerror, expr, expected, #expr)

/* ---- A scratch directory ------------------------------------------------------------------ */

/* Makes a fresh directory for the test's files (under $TMPDIR, else /tmp) into dir. */
static TEST_UNUSED void
test_dir_make(char dir[TEST_PATH_MAX])
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, TEST_PATH_MAX, "%.300s/keel-col-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        fail_msg("cannot make a scratch directory %s", dir);
    }
}

static int
test_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static TEST_UNUSED void
test_dir_remove(const char *dir)
{
    nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static TEST_UNUSED void
test_path(char out[TEST_PATH_MAX], const char *dir, const char *name)
{
    if ((size_t)snprintf(out, TEST_PATH_MAX, "%.400s/%.100s", dir, name) >= TEST_PATH_MAX) {
        fail_msg("a scratch path over %u bytes", TEST_PATH_MAX);
    }
}

/* ---- Seeded columns ----------------------------------------------------------------------- */

/* The shapes a column is drawn in: each makes a different encoding the smallest. */
enum shape {
    SHAPE_RANDOM,       /* values over the type's whole range: PLAIN */
    SHAPE_SMALL_RANGE,  /* a few bits above a random base: BITPACK */
    SHAPE_RUNS,         /* runs of 1 to 5,000 rows, some across a batch boundary: RLE */
    SHAPE_CONSTANT,     /* one value */
    SHAPE_FEW_DISTINCT, /* a handful of values in any order: DICT for strings */
    SHAPE_EXTREMES,     /* the type's smallest and largest values, and 0 */
    SHAPE_COUNT
};

/* A column the test owns: count values of type, NULLs at the chance asked for. */
struct test_column {
    struct col_values v;
    void *data;
    uint64_t *validity;
    char *bytes; /* strings' bytes */
};

static TEST_UNUSED int64_t
test_int_in_type(struct kh_rng *rng, enum col_type type, enum shape shape, int64_t base)
{
    bool is_narrow = type == COL_INT32 || type == COL_DATE;
    switch (shape) {
    case SHAPE_RANDOM:
        return is_narrow ? (int32_t)kh_rng_next(rng) : (int64_t)kh_rng_next(rng);
    case SHAPE_SMALL_RANGE:
        return base + (int64_t)kh_rng_below(rng, 1000);
    case SHAPE_EXTREMES: {
        static const int64_t wide[] = {INT64_MIN, INT64_MAX, 0, -1, 1};
        static const int64_t narrow[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
        return is_narrow ? narrow[kh_rng_below(rng, 5)] : wide[kh_rng_below(rng, 5)];
    }
    default:
        return base + (int64_t)kh_rng_below(rng, 7);
    }
}

static TEST_UNUSED void
test_set(struct test_column *c, uint32_t row, int64_t x, double f, struct col_str s)
{
    switch (c->v.type) {
    case COL_INT32:
    case COL_DATE:
        ((int32_t *)c->data)[row] = (int32_t)x;
        break;
    case COL_INT64:
    case COL_DECIMAL:
        ((int64_t *)c->data)[row] = x;
        break;
    case COL_FLOAT64:
        ((double *)c->data)[row] = f;
        break;
    case COL_STRING:
    case COL_TYPE_COUNT:
        ((struct col_str *)c->data)[row] = s;
        break;
    }
}

/* A string of 0 to size_max bytes drawn into bytes at *used; few distinct when asked. */
static TEST_UNUSED struct col_str
test_string(struct kh_rng *rng, struct test_column *c, size_t *used, uint32_t size_max,
            uint64_t pick)
{
    uint32_t size = (uint32_t)(pick % (size_max + 1u));
    char *p = c->bytes + *used;
    for (uint32_t i = 0; i < size; i++) {
        p[i] = (char)('a' + (pick + i * 7) % 26);
    }
    if (size > 0 && rng != NULL) {
        p[0] = (char)(' ' + kh_rng_below(rng, 90)); /* any printable byte first */
    }
    *used += size;
    return (struct col_str){p, size};
}

/* Draws count values of type in shape, each NULL with chance null_percent / 100. */
static TEST_UNUSED void
test_column_make(struct test_column *c, struct kh_rng *rng, enum col_type type, uint32_t count,
                 enum shape shape, unsigned null_percent)
{
    *c = (struct test_column){.v = {type, count, NULL, NULL}};
    c->data = calloc(count + 1u, col_type_width(type));
    c->validity = malloc((col_validity_words(count) + 1u) * 8u);
    uint32_t string_max = shape == SHAPE_EXTREMES ? COL_STRING_SIZE_MAX : 40;
    c->bytes = type == COL_STRING ? malloc((size_t)count * (string_max + 1u) + 1u) : NULL;
    assert_non_null(c->data);
    assert_non_null(c->validity);
    memset(c->validity, 0xff, (col_validity_words(count) + 1u) * 8u);
    int64_t base = (int64_t)kh_rng_below(rng, 1u << 20) - (1 << 19);
    uint64_t pick = kh_rng_next(rng);
    int64_t current = test_int_in_type(rng, type, shape, base);
    uint32_t run_left = 0;
    size_t used = 0;
    uint32_t nulls = 0;
    for (uint32_t row = 0; row < count; row++) {
        if (shape == SHAPE_RUNS && run_left-- == 0) {
            run_left = (uint32_t)kh_rng_below(rng, kh_rng_below(rng, 4) == 0 ? 5000 : 8);
            current = test_int_in_type(rng, type, SHAPE_SMALL_RANGE, base);
            pick = kh_rng_next(rng) % 5;
        }
        int64_t x = shape == SHAPE_RUNS || shape == SHAPE_CONSTANT
                        ? current
                        : test_int_in_type(rng, type, shape, base);
        uint64_t string_pick = shape == SHAPE_RUNS || shape == SHAPE_CONSTANT ? pick
                               : shape == SHAPE_FEW_DISTINCT                  ? kh_rng_below(rng, 5)
                                                                              : kh_rng_next(rng);
        double f = shape == SHAPE_RANDOM ? (kh_rng_unit(rng) - 0.5) * 1e12 : (double)x / 4.0;
        struct col_str s = {"", 0};
        if (type == COL_STRING) {
            bool is_few = shape != SHAPE_RANDOM && shape != SHAPE_EXTREMES;
            s = test_string(is_few ? NULL : rng, c, &used, string_max, string_pick);
        }
        test_set(c, row, x, f, s);
        if (null_percent > 0 && kh_rng_below(rng, 100) < null_percent) {
            c->validity[row / 64] &= ~(1ull << (row % 64));
            nulls++;
        }
    }
    c->v.data = c->data;
    c->v.validity = nulls > 0 ? c->validity : NULL;
}

static TEST_UNUSED void
test_column_free(struct test_column *c)
{
    free(c->data);
    free(c->validity);
    free(c->bytes);
}

/* ---- Reading values back, as the tests trust them ----------------------------------------- */

/* Row's value of v, widened as union col_datum holds it. */
static TEST_UNUSED union col_datum
values_at(const struct col_values *v, uint32_t row)
{
    union col_datum d = {0};
    switch (v->type) {
    case COL_INT32:
    case COL_DATE:
        d.i64 = ((const int32_t *)v->data)[row];
        break;
    case COL_INT64:
    case COL_DECIMAL:
        d.i64 = ((const int64_t *)v->data)[row];
        break;
    case COL_FLOAT64:
        d.f64 = ((const double *)v->data)[row];
        break;
    case COL_STRING:
    case COL_TYPE_COUNT:
        d.str = ((const struct col_str *)v->data)[row];
        break;
    }
    return d;
}

/* Row's value of a decoded chunk, whatever its encoding: values, a run (found by binary search
 * over the run ends) or a dictionary entry. */
static TEST_UNUSED union col_datum
chunk_at(const struct col_chunk *c, uint32_t row)
{
    if (c->encoding == COL_ENC_DICT) {
        assert_non_null(c->codes);
        assert_true(c->codes[row] < c->dict_count);
        return (union col_datum){.str = c->dict[c->codes[row]]};
    }
    if (c->encoding == COL_ENC_RLE) {
        uint32_t lo = 0, hi = c->run_count;
        while (lo < hi) { /* the first run whose end is past row */
            uint32_t mid = lo + (hi - lo) / 2;
            if (c->run_ends[mid] <= row) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        assert_true(lo < c->run_count);
        struct col_values runs = {c->type, c->run_count, c->run_values, NULL};
        return values_at(&runs, lo);
    }
    assert_non_null(c->values);
    struct col_values plain = {c->type, c->row_count, c->values, NULL};
    return values_at(&plain, row);
}

static TEST_UNUSED bool
datum_equal(enum col_type type, union col_datum a, union col_datum b)
{
    if (type == COL_STRING) {
        return col_str_compare(a.str, b.str) == 0;
    }
    if (type == COL_FLOAT64) {
        return a.f64 == b.f64;
    }
    return a.i64 == b.i64;
}

/* Writes a value for a message: numbers as numbers, strings quoted (the first 40 bytes). */
static TEST_UNUSED const char *
datum_text(enum col_type type, union col_datum d, char out[64])
{
    if (type == COL_STRING) {
        int shown = d.str.size_bytes > 40 ? 40 : (int)d.str.size_bytes;
        snprintf(out, 64, "'%.*s'%s (%u bytes)", shown, d.str.ptr,
                 d.str.size_bytes > 40 ? "..." : "", d.str.size_bytes);
    } else if (type == COL_FLOAT64) {
        snprintf(out, 64, "%.17g", d.f64);
    } else {
        snprintf(out, 64, "%" PRId64, d.i64);
    }
    return out;
}

/* Fails unless chunk holds v: the same rows, the same NULLs, the same valid values. */
static TEST_UNUSED void
expect_chunk_holds(const struct col_chunk *chunk, const struct col_values *v, const char *what)
{
    if (chunk->type != v->type || chunk->row_count != v->count) {
        fail_msg("%s: decoded %s of %u rows, want %s of %u", what, col_type_name(chunk->type),
                 chunk->row_count, col_type_name(v->type), v->count);
    }
    uint32_t nulls = 0;
    for (uint32_t row = 0; row < v->count; row++) {
        bool want_valid = col_is_valid(v->validity, row);
        nulls += !want_valid;
        if (col_is_valid(chunk->validity, row) != want_valid) {
            fail_msg("%s (%s): row %u decoded as %s, want %s", what,
                     col_encoding_name(chunk->encoding), row, want_valid ? "NULL" : "valid",
                     want_valid ? "valid" : "NULL");
        }
        if (!want_valid) {
            continue;
        }
        union col_datum want = values_at(v, row), got = chunk_at(chunk, row);
        if (!datum_equal(v->type, want, got)) {
            char a[64], b[64];
            fail_msg("%s (%s): row %u decoded as %s, want %s", what,
                     col_encoding_name(chunk->encoding), row, datum_text(v->type, got, a),
                     datum_text(v->type, want, b));
        }
    }
    if (chunk->null_count != nulls) {
        fail_msg("%s: null_count %u, want %u", what, chunk->null_count, nulls);
    }
}

/* Encodes v in encoding into a buffer of exactly col_encoded_size bytes (8-byte aligned,
 * owned by the caller), failing the test on any status but COL_OK. */
static TEST_UNUSED void *
encode_or_fail(enum col_encoding encoding, const struct col_values *v, size_t *size_bytes)
{
    size_t size = col_encoded_size(encoding, v);
    if (size == SIZE_MAX || size < sizeof(struct col_chunk_header)) {
        fail_msg("col_encoded_size(%s, %s chunk of %u rows) is %zu", col_encoding_name(encoding),
                 col_type_name(v->type), v->count, size);
    }
    void *out = malloc(size + 8);
    assert_non_null(out);
    struct col_error err = {0};
    col_status status = col_encode(encoding, v, out, size, &err);
    if (status != COL_OK) {
        fail_msg("col_encode(%s, %s chunk of %u rows) is %s: %s", col_encoding_name(encoding),
                 col_type_name(v->type), v->count, status_name(status), err.message);
    }
    *size_bytes = size;
    return out;
}

/* Opens the table file at path, failing the test on any status but COL_OK. */
static TEST_UNUSED struct col_table *
table_open_or_fail(const char *path)
{
    struct col_table *t = NULL;
    struct col_error err = {0};
    col_status status = col_table_open(path, &t, &err);
    if (status != COL_OK) {
        fail_msg("col_table_open(%s) is %s: %s", path, status_name(status), err.message);
    }
    return t;
}

#endif
