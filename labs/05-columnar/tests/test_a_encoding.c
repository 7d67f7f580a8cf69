/* test_a_encoding.c -- part A: encoding.h's contract, one claim per test: every encoding
 * round-trips every type at its edges, sizes follow the layout to the byte, the choice is the
 * smallest, NULLs follow the rule, and col_decode trusts nothing it reads. Read
 * test_a_each_encoding_round_trips first. */
#include "col_test.h"

#define ROUNDS 40u        /* random chunks per (type, encoding, shape): about 0.3 s in all */
#define ROWS_MAX 9000u    /* past four batches of 2,048, so runs cross batch boundaries */
#define FUZZ_ROUNDS 3000u /* damaged chunks col_decode must refuse or read safely */

static const enum col_type all_types[] = {COL_INT32,   COL_INT64, COL_DECIMAL,
                                          COL_FLOAT64, COL_DATE,  COL_STRING};

/* Round-trips v through encoding: encode at exactly its size, decode, compare every row. */
static void
round_trip(enum col_encoding encoding, const struct col_values *v, const char *what)
{
    size_t size;
    void *bytes = encode_or_fail(encoding, v, &size);
    struct col_chunk *chunk = NULL;
    struct col_error err = {0};
    col_status status = col_decode(bytes, size, &chunk, &err);
    if (status != COL_OK) {
        fail_msg("%s: col_decode of what col_encode(%s) wrote is %s: %s", what,
                 col_encoding_name(encoding), status_name(status), err.message);
    }
    if (chunk->encoding != encoding) {
        fail_msg("%s: decoded as %s, written as %s", what, col_encoding_name(chunk->encoding),
                 col_encoding_name(encoding));
    }
    expect_chunk_holds(chunk, v, what);
    col_chunk_free(chunk);
    free(bytes);
}

/* The edges every encoding meets: no rows, one row, every row NULL, one valid row among
 * NULLs. */
static void
round_trip_edges(enum col_type type, enum col_encoding encoding)
{
    static const char *const names[] = {"empty", "one row", "all NULL", "one valid among NULLs"};
    int64_t numbers[3] = {-5, 0, 7};
    struct col_str strings[3] = {{"x", 1}, {"", 0}, {"yz", 2}};
    double doubles[3] = {-0.5, 0, 2.25};
    int32_t narrow[3] = {-5, 0, 7};
    const void *data = type == COL_STRING          ? (const void *)strings
                       : type == COL_FLOAT64       ? (const void *)doubles
                       : col_type_width(type) == 4 ? (const void *)narrow
                                                   : (const void *)numbers;
    uint64_t no_rows = 0, middle_only = 0x2;
    const struct col_values cases[] = {{type, 0, data, NULL},
                                       {type, 1, data, NULL},
                                       {type, 3, data, &no_rows},
                                       {type, 3, data, &middle_only}};
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        char what[128];
        snprintf(what, sizeof(what), "%s, %s, %s", col_type_name(type), names[i],
                 col_encoding_name(encoding));
        round_trip(encoding, &cases[i], what);
    }
}

/* Claim: every encoding that applies to a type gives back, decoded, exactly the rows it was
 * given (values and NULLs): at the edges (no rows, one row, all NULL) and on seeded chunks
 * of every shape (runs across batch boundaries, the type's extreme values, 4 KiB strings). */
static void
test_a_each_encoding_round_trips(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (size_t t = 0; t < KH_ARRAY_LEN(all_types); t++) {
        for (int e = 0; e < COL_ENCODING_COUNT; e++) {
            if (!col_encoding_applies((enum col_encoding)e, all_types[t])) {
                continue;
            }
            round_trip_edges(all_types[t], (enum col_encoding)e);
            for (int shape = 0; shape < SHAPE_COUNT; shape++) {
                for (unsigned round = 0; round < ROUNDS / SHAPE_COUNT + 1; round++) {
                    uint32_t rows = (uint32_t)kh_rng_below(&rng, ROWS_MAX);
                    unsigned nulls = round % 3 == 0 ? 0 : (unsigned)kh_rng_below(&rng, 60);
                    struct test_column c;
                    test_column_make(&c, &rng, all_types[t], rows, (enum shape)shape, nulls);
                    char what[128];
                    snprintf(what, sizeof(what), "%s, shape %d, %u rows, %u%% NULL",
                             col_type_name(all_types[t]), shape, rows, nulls);
                    round_trip((enum col_encoding)e, &c.v, what);
                    test_column_free(&c);
                }
            }
        }
    }
}

/* Claim: col_bit_width gives the bits needed for every value up to max_value. */
static void
test_a_bit_width_edges(void **state)
{
    (void)state;
    static const struct {
        uint64_t max;
        uint32_t bits;
    } cases[] = {
        {0, 0},          {1, 1},   {2, 2},           {3, 2},           {4, 3},
        {255, 8},        {256, 9}, {UINT32_MAX, 32}, {1ull << 32, 33}, {UINT64_MAX >> 1, 63},
        {UINT64_MAX, 64}};
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        uint32_t got = col_bit_width(cases[i].max);
        if (got != cases[i].bits) {
            fail_msg("col_bit_width(%" PRIu64 ") is %u, want %u", cases[i].max, got, cases[i].bits);
        }
    }
    for (uint32_t bits = 1; bits < 64; bits++) {
        assert_int_equal(col_bit_width((1ull << bits) - 1), bits);
        assert_int_equal(col_bit_width(1ull << bits), bits + 1);
    }
}

/* Claim: BITPACK at every width from 0 to 64 writes the width the values need, in
 * ceil(rows * width / 64) words, and reads back every value, those that straddle two words
 * included (row counts that are not multiples of 64 put values across every word boundary). */
static void
test_a_bitpack_every_width(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    int64_t *values = malloc(1000 * sizeof(int64_t));
    assert_non_null(values);
    for (uint32_t width = 0; width <= 64; width++) {
        uint32_t rows = 64 + (uint32_t)kh_rng_below(&rng, 900);
        uint64_t span = width == 64 ? UINT64_MAX : (1ull << width) - 1;
        /* Wide spans start at INT64_MIN, so base + span never overflows. */
        int64_t base = width >= 62 ? INT64_MIN : (int64_t)kh_rng_below(&rng, 1u << 30) - (1 << 29);
        for (uint32_t row = 0; row < rows; row++) {
            uint64_t offset = width == 0 ? 0 : kh_rng_next(&rng) & span;
            values[row] = (int64_t)((uint64_t)base + offset);
        }
        values[0] = base;                                    /* the smallest: the base */
        values[rows - 1] = (int64_t)((uint64_t)base + span); /* the largest: all ones */
        struct col_values v = {COL_INT64, rows, values, NULL};
        size_t size;
        void *bytes = encode_or_fail(COL_ENC_BITPACK, &v, &size);
        struct col_chunk_header h;
        memcpy(&h, bytes, sizeof(h));
        if (h.bit_width != width || (int64_t)h.arg != base) {
            fail_msg("BITPACK of %u rows spanning %u bits: header says width %u, base %" PRId64
                     "; want %u and %" PRId64,
                     rows, width, h.bit_width, (int64_t)h.arg, width, base);
        }
        size_t want = sizeof(h) + col_packed_bytes(rows, width);
        if (size != want) {
            fail_msg("BITPACK of %u rows at %u bits is %zu bytes, the layout says %zu", rows, width,
                     size, want);
        }
        free(bytes);
        char what[64];
        snprintf(what, sizeof(what), "INT64 at bit width %u, %u rows", width, rows);
        round_trip(COL_ENC_BITPACK, &v, what);
    }
    free(values);
}

/* The layout's bytes for one small input per encoding, written out by hand. */
static void
expect_exact_bytes(enum col_encoding encoding, const struct col_values *v, const void *want,
                   size_t want_size, const char *what)
{
    size_t size;
    void *got = encode_or_fail(encoding, v, &size);
    if (size != want_size || memcmp(got, want, size) != 0) {
        size_t at = 0;
        while (at < size && at < want_size &&
               ((const uint8_t *)got)[at] == ((const uint8_t *)want)[at]) {
            at++;
        }
        fail_msg("%s: %zu bytes written, the layout says %zu; first difference at byte %zu", what,
                 size, want_size, at);
    }
    free(got);
}

/* Claim: the bytes col_encode writes are the layout of encoding.h, to the byte (a file written
 * by one implementation is read by another): checked on one small chunk per encoding. */
static void
test_a_bytes_follow_the_layout(void **state)
{
    (void)state;
    int32_t ints[5] = {7, 7, 9, 7, 8};
    struct col_values v = {COL_INT32, 5, ints, NULL};
    /* PLAIN: header (encoding 0, type 0, flags 0, width 0, 5 rows, arg 0), then 5 values. */
    uint8_t plain[36] = {0, 0, 0, 0, 5, 0, 0, 0};
    memcpy(plain + 16, ints, sizeof(ints));
    expect_exact_bytes(COL_ENC_PLAIN, &v, plain, sizeof(plain), "PLAIN of 5 INT32s");
    /* BITPACK: base 7, width 2 (offsets 0 0 2 0 1): bits 0b01_00_10_00_00 in one word. */
    uint8_t bitpack[24] = {1, 0, 0, 2, 5, 0, 0, 0, 7};
    uint64_t word = 0 | 0u << 2 | 2u << 4 | 0u << 6 | 1u << 8;
    memcpy(bitpack + 16, &word, 8);
    expect_exact_bytes(COL_ENC_BITPACK, &v, bitpack, sizeof(bitpack), "BITPACK of 5 INT32s");
    /* RLE: 4 runs (7 7 | 9 | 7 | 8): values 7 9 7 8, ends 2 3 4 5. */
    uint8_t rle[48] = {2, 0, 0, 0, 5, 0, 0, 0, 4};
    int32_t runs[8] = {7, 9, 7, 8, 2, 3, 4, 5};
    memcpy(rle + 16, runs, sizeof(runs));
    expect_exact_bytes(COL_ENC_RLE, &v, rle, sizeof(rle), "RLE of 5 INT32s");
    /* DICT over "b" NULL "a" (so the validity word follows the header): entries "a" "b" (the
     * NULL reads as "a", the smallest valid value), offsets 0 1 2, bytes "ab", zero padding to
     * 40, then codes 1 0 0 at width 1. */
    struct col_str strings[3] = {{"b", 1}, {"zzz", 3}, {"a", 1}};
    uint64_t validity = ~0x2ull; /* bits past the third row set: the layout clears them */
    struct col_values s = {COL_STRING, 3, strings, &validity};
    uint8_t dict[48] = {3, 5, 1, 1, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 5};
    uint32_t offsets[3] = {0, 1, 2};
    memcpy(dict + 24, offsets, sizeof(offsets));
    memcpy(dict + 36, "ab", 2);
    dict[40] = 0x1; /* codes 1, 0, 0 */
    expect_exact_bytes(COL_ENC_DICT, &s, dict, sizeof(dict), "DICT of 3 strings, one NULL");
    /* PLAIN strings: offsets 0 1 1 2 (the NULL is empty), then "ba"; arg is 2 bytes. */
    uint8_t plain_strings[42] = {0, 5, 1, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5};
    uint32_t string_offsets[4] = {0, 1, 1, 2};
    memcpy(plain_strings + 24, string_offsets, sizeof(string_offsets));
    memcpy(plain_strings + 40, "ba", 2);
    expect_exact_bytes(COL_ENC_PLAIN, &s, plain_strings, sizeof(plain_strings),
                       "PLAIN of 3 strings, one NULL");
}

/* The size by the layout, computed here from the values alone. */
static size_t
layout_size(enum col_encoding encoding, const struct col_values *v)
{
    if (!col_encoding_applies(encoding, v->type)) {
        return SIZE_MAX;
    }
    uint32_t nulls = 0, runs = 0, width = (uint32_t)col_type_width(v->type);
    bool has_valid = false;
    union col_datum min = {0}, max = {0}, last = {0};
    for (uint32_t row = 0; row < v->count; row++) {
        if (!col_is_valid(v->validity, row)) {
            nulls++;
            continue;
        }
        union col_datum x = values_at(v, row);
        uint64_t bits_x, bits_last;
        memcpy(&bits_x, &x, 8);
        memcpy(&bits_last, &last, 8);
        runs += !has_valid || bits_x != bits_last;
        min = has_valid && min.i64 < x.i64 ? min : x;
        max = has_valid && max.i64 > x.i64 ? max : x;
        has_valid = true;
        last = x;
    }
    runs += v->count > 0 && !has_valid;
    size_t prefix = 16 + (nulls > 0 ? col_validity_words(v->count) * 8u : 0);
    switch (encoding) {
    case COL_ENC_PLAIN:
        return prefix + (size_t)v->count * width;
    case COL_ENC_BITPACK:
        return prefix +
               col_packed_bytes(v->count, col_bit_width((uint64_t)max.i64 - (uint64_t)min.i64));
    case COL_ENC_RLE:
        return prefix + (size_t)runs * (width + 4);
    default:
        return SIZE_MAX;
    }
}

/* Claim: col_encoded_size is the layout's size for every fixed-width type, encoding and shape
 * (SIZE_MAX where the encoding does not apply), and col_encoding_choose picks the smallest,
 * a tie going to the encoding listed first. */
static void
test_a_choice_is_the_smallest(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (size_t t = 0; t < KH_ARRAY_LEN(all_types); t++) {
        for (int shape = 0; shape < SHAPE_COUNT; shape++) {
            for (unsigned round = 0; round < 6; round++) {
                struct test_column c;
                uint32_t rows = (uint32_t)kh_rng_below(&rng, ROWS_MAX);
                test_column_make(&c, &rng, all_types[t], rows, (enum shape)shape,
                                 round % 2 ? 0 : (unsigned)kh_rng_below(&rng, 30));
                enum col_encoding best = COL_ENC_PLAIN;
                size_t best_size = SIZE_MAX;
                for (int e = 0; e < COL_ENCODING_COUNT; e++) {
                    size_t size = col_encoded_size((enum col_encoding)e, &c.v);
                    size_t want = layout_size((enum col_encoding)e, &c.v);
                    if (all_types[t] != COL_STRING && size != want) {
                        fail_msg("col_encoded_size(%s) of a %s chunk of %u rows (shape %d) is "
                                 "%zu, the layout says %zu",
                                 col_encoding_name((enum col_encoding)e),
                                 col_type_name(all_types[t]), rows, shape, size, want);
                    }
                    if (size < best_size) {
                        best = (enum col_encoding)e;
                        best_size = size;
                    }
                }
                enum col_encoding got = col_encoding_choose(&c.v);
                if (got != best) {
                    fail_msg("a %s chunk of %u rows (shape %d): chose %s, the smallest is %s",
                             col_type_name(all_types[t]), rows, shape, col_encoding_name(got),
                             col_encoding_name(best));
                }
                test_column_free(&c);
            }
        }
    }
}

/* Claim: the rule picks what its documentation says for the plain cases: an empty chunk is
 * PLAIN, one repeated integer BITPACK at width 0, long runs of doubles RLE, a handful of
 * distinct strings DICT, distinct random integers PLAIN. */
static void
test_a_choice_on_known_shapes(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static const struct {
        enum col_type type;
        enum shape shape;
        uint32_t rows;
        enum col_encoding want;
    } cases[] = {
        {COL_INT64, SHAPE_RANDOM, 0, COL_ENC_PLAIN},
        {COL_INT32, SHAPE_CONSTANT, 5000, COL_ENC_BITPACK},
        {COL_FLOAT64, SHAPE_CONSTANT, 5000, COL_ENC_RLE},
        {COL_STRING, SHAPE_FEW_DISTINCT, 5000, COL_ENC_DICT},
        {COL_INT64, SHAPE_RANDOM, 5000, COL_ENC_PLAIN},
        {COL_DECIMAL, SHAPE_SMALL_RANGE, 5000, COL_ENC_BITPACK},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        struct test_column c;
        test_column_make(&c, &rng, cases[i].type, cases[i].rows, cases[i].shape, 0);
        enum col_encoding got = col_encoding_choose(&c.v);
        if (got != cases[i].want) {
            fail_msg("case %zu, a %s chunk of %u rows: chose %s, want %s", i,
                     col_type_name(cases[i].type), cases[i].rows, col_encoding_name(got),
                     col_encoding_name(cases[i].want));
        }
        test_column_free(&c);
    }
    /* Sorted keys in runs of 4 (lineitem's l_orderkey): wide values, few runs: RLE. */
    int64_t keys[4096];
    for (uint32_t row = 0; row < 4096; row++) {
        keys[row] = (int64_t)(row / 4) * 1000003;
    }
    struct col_values v = {COL_INT64, 4096, keys, NULL};
    assert_int_equal(col_encoding_choose(&v), COL_ENC_RLE);
}

/* Claim: NULLs follow encoding.h's rule: they never widen BITPACK (read as the smallest
 * valid value), never add a DICT entry nor an RLE run, and PLAIN writes 0 for them. */
static void
test_a_nulls_follow_the_rule(void **state)
{
    (void)state;
    int64_t values[8] = {1000, -99999, 1003, 1001, 77777777, 1000, 1000, 1002};
    uint64_t validity = 0xff & ~(1u << 1) & ~(1u << 4); /* rows 1 and 4 NULL */
    struct col_values v = {COL_INT64, 8, values, &validity};
    size_t size;
    void *bytes = encode_or_fail(COL_ENC_BITPACK, &v, &size);
    struct col_chunk_header h;
    memcpy(&h, bytes, sizeof(h));
    if (h.bit_width != 2 || h.arg != 1000) {
        fail_msg("BITPACK of 1000..1003 with two NULLs: width %u, base %" PRId64
                 "; want 2 and 1000 (a NULL must not widen it)",
                 h.bit_width, (int64_t)h.arg);
    }
    free(bytes);
    /* RLE: 1000 (NULL) 1003 1001 (NULL) 1000 1000 1002: the NULLs continue their runs. */
    assert_int_equal(col_encoded_size(COL_ENC_RLE, &v), 16 + 8 + 5 * 12);
    bytes = encode_or_fail(COL_ENC_PLAIN, &v, &size);
    int64_t slot;
    memcpy(&slot, (char *)bytes + 24 + 8, 8);
    if (slot != 0) {
        fail_msg("PLAIN wrote %" PRId64 " for a NULL row, want 0", slot);
    }
    free(bytes);
    struct col_str strings[4] = {{"m", 1}, {"zz", 2}, {"k", 1}, {"m", 1}};
    uint64_t string_validity = 0xd; /* row 1 NULL */
    struct col_values s = {COL_STRING, 4, strings, &string_validity};
    bytes = encode_or_fail(COL_ENC_DICT, &s, &size);
    memcpy(&h, bytes, sizeof(h));
    if ((h.arg & 0xffffffffu) != 2) {
        fail_msg("DICT of 'm' 'k' 'm' and a NULL: %u entries, want 2 (a NULL adds none)",
                 (unsigned)(h.arg & 0xffffffffu));
    }
    free(bytes);
    round_trip(COL_ENC_DICT, &s, "DICT with a NULL");
}

/* Claim: col_encode refuses what no chunk may hold (NaN, a string over COL_STRING_SIZE_MAX),
 * an encoding that does not apply (COL_INVALID), and a buffer too small (COL_TOO_BIG). */
static void
test_a_encode_refuses_bad_input(void **state)
{
    (void)state;
    char out[256] __attribute__((aligned(8)));
    double doubles[2] = {1.0, __builtin_nan("")};
    struct col_values nan_values = {COL_FLOAT64, 2, doubles, NULL};
    assert_status(col_encode(COL_ENC_PLAIN, &nan_values, out, sizeof(out), NULL), COL_INVALID);
    char *big = calloc(COL_STRING_SIZE_MAX + 1, 1);
    assert_non_null(big);
    struct col_str too_long = {big, COL_STRING_SIZE_MAX + 1};
    struct col_values long_values = {COL_STRING, 1, &too_long, NULL};
    assert_status(col_encode(COL_ENC_PLAIN, &long_values, out, sizeof(out), NULL), COL_INVALID);
    free(big);
    int32_t ints[3] = {1, 2, 3};
    struct col_values v = {COL_INT32, 3, ints, NULL};
    assert_status(col_encode(COL_ENC_DICT, &v, out, sizeof(out), NULL), COL_INVALID);
    assert_true(col_encoded_size(COL_ENC_DICT, &v) == SIZE_MAX);
    assert_true(col_encoded_size(COL_ENC_BITPACK, &nan_values) == SIZE_MAX);
    assert_status(col_encode(COL_ENC_PLAIN, &v, out, col_encoded_size(COL_ENC_PLAIN, &v) - 1, NULL),
                  COL_TOO_BIG);
}

/* Decodes a damaged chunk: it must be refused as COL_CORRUPT with a message, or, if every
 * field still fits the layout, read back as a chunk whose every row can be read. */
static void
decode_damaged(const void *bytes, size_t size, const char *what)
{
    struct col_chunk *chunk = NULL;
    struct col_error err = {0};
    col_status status = col_decode(bytes, size, &chunk, &err);
    if (status == COL_CORRUPT) {
        if (err.status != COL_CORRUPT || err.message[0] == '\0') {
            fail_msg("%s: COL_CORRUPT without a message", what);
        }
        return;
    }
    if (status != COL_OK) {
        fail_msg("%s: col_decode is %s, want COL_CORRUPT or COL_OK", what, status_name(status));
    }
    for (uint32_t row = 0; row < chunk->row_count; row++) {
        (void)chunk_at(chunk, row); /* under ASan, a read outside the chunk stops here */
    }
    col_chunk_free(chunk);
}

/* One field of a chunk set to a value the layout forbids. */
static void
expect_corrupt(const void *good, size_t size, size_t at, const void *value, size_t value_size,
               const char *what)
{
    char *bad = malloc(size + 8);
    assert_non_null(bad);
    memcpy(bad, good, size);
    memcpy(bad + at, value, value_size);
    struct col_chunk *chunk = NULL;
    struct col_error err = {0};
    col_status status = col_decode(bad, size, &chunk, &err);
    if (status != COL_CORRUPT) {
        fail_msg("a chunk with %s: col_decode is %s, want COL_CORRUPT", what, status_name(status));
    }
    free(bad);
}

/* Fields a damaged file could hold that the fuzzing below rarely builds: a NaN in the first
 * row of plain doubles and in a run, string and dictionary offsets that do not start at 0, a
 * dictionary entry twice. */
static void
expect_corrupt_fields(void)
{
    double doubles[3] = {1.5, 2.5, 2.5};
    struct col_values d = {COL_FLOAT64, 3, doubles, NULL};
    size_t size;
    double nan = __builtin_nan("");
    void *plain = encode_or_fail(COL_ENC_PLAIN, &d, &size);
    expect_corrupt(plain, size, 16, &nan, 8, "a NaN in row 0 of plain doubles");
    uint8_t flags = 0x02;
    expect_corrupt(plain, size, 2, &flags, 1, "a flag bit the layout does not define");
    free(plain);
    void *rle = encode_or_fail(COL_ENC_RLE, &d, &size);
    expect_corrupt(rle, size, 16 + 8, &nan, 8, "a NaN in a run of doubles");
    free(rle);
    struct col_str strings[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    struct col_values s = {COL_STRING, 3, strings, NULL};
    uint32_t one = 1;
    void *text = encode_or_fail(COL_ENC_PLAIN, &s, &size);
    expect_corrupt(text, size, 16, &one, 4, "string offsets that start at 1");
    uint32_t back[2] = {2, 1}; /* offsets 0 2 1 3: the second string ends before it starts */
    expect_corrupt(text, size, 16 + 4, back, sizeof(back), "string offsets that go back");
    free(text);
    void *dict = encode_or_fail(COL_ENC_DICT, &s, &size);
    expect_corrupt(dict, size, 16, &one, 4, "dictionary offsets that start at 1");
    expect_corrupt(dict, size, 16 + 16 + 1, "a", 1, "a dictionary entry twice ('a' 'a' 'c')");
    free(dict);
}

/* Claim: col_decode trusts nothing: each field set out of range is COL_CORRUPT (an unknown
 * encoding, a bit width past the type, a size that is not the layout's, run ends out of order,
 * a code past the dictionary, an unsorted or repeating dictionary, offsets that do not start at
 * 0, a NaN), and thousands of random damages and
 * truncations are refused or read safely, never a read outside the buffer. */
static void
test_a_decode_trusts_nothing(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    int32_t ints[6] = {5, 5, 6, 6, 6, 9};
    struct col_values v = {COL_INT32, 6, ints, NULL};
    size_t size;
    void *rle = encode_or_fail(COL_ENC_RLE, &v, &size);
    uint8_t b = 9;
    expect_corrupt(rle, size, 0, &b, 1, "encoding 9");
    b = COL_ENC_DICT;
    expect_corrupt(rle, size, 0, &b, 1, "DICT on an INT32");
    uint32_t end = 1; /* the second run's end before the first's */
    expect_corrupt(rle, size, 16 + 3 * 4 + 4, &end, 4, "run ends out of order");
    expect_corrupt(rle, size - 4, 0, rle, 0, "a chunk 4 bytes short");
    free(rle);
    void *packed = encode_or_fail(COL_ENC_BITPACK, &v, &size);
    b = 33;
    expect_corrupt(packed, size, 3, &b, 1, "an INT32 at 33 bits");
    free(packed);
    struct col_str strings[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    struct col_values s = {COL_STRING, 3, strings, NULL};
    void *dict = encode_or_fail(COL_ENC_DICT, &s, &size);
    expect_corrupt(dict, size, 16 + 16, "cba", 3, "an unsorted dictionary");
    b = 0xff; /* codes 3 and up in a dictionary of 3 */
    expect_corrupt(dict, size, size - 8, &b, 1, "a code past the dictionary");
    free(dict);
    expect_corrupt_fields();
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        struct test_column c;
        enum col_type type = all_types[kh_rng_below(&rng, KH_ARRAY_LEN(all_types))];
        test_column_make(&c, &rng, type, (uint32_t)kh_rng_below(&rng, 300),
                         (enum shape)kh_rng_below(&rng, SHAPE_COUNT), 20);
        enum col_encoding e = col_encoding_choose(&c.v);
        void *good = encode_or_fail(e, &c.v, &size);
        uint8_t *bad = malloc(size + 8);
        assert_non_null(bad);
        memcpy(bad, good, size);
        size_t bad_size = size;
        if (round % 4 == 0) {
            bad_size = (size_t)kh_rng_below(&rng, size); /* truncated */
        } else {
            for (unsigned flips = 1 + (unsigned)kh_rng_below(&rng, 3); flips > 0; flips--) {
                size_t at = (size_t)kh_rng_below(&rng, size);
                bad[at] ^= (uint8_t)(1u << kh_rng_below(&rng, 8));
            }
        }
        char what[96];
        snprintf(what, sizeof(what), "round %u: a %s %s chunk damaged", round, col_encoding_name(e),
                 col_type_name(type));
        decode_damaged(bad, bad_size, what);
        free(bad);
        free(good);
        test_column_free(&c);
    }
}

/* Claim: DICT takes a chunk of exactly COL_DICT_ENTRIES_MAX distinct strings and gives them
 * back, and refuses one more (SIZE_MAX, COL_INVALID). */
static void
test_a_dictionary_at_its_limit(void **state)
{
    (void)state;
    uint32_t count = COL_DICT_ENTRIES_MAX + 1;
    char *text = malloc((size_t)count * 8);
    struct col_str *strings = malloc(count * sizeof(struct col_str));
    assert_non_null(text);
    assert_non_null(strings);
    for (uint32_t i = 0; i < count; i++) {
        snprintf(text + (size_t)i * 8, 8, "%07x", i * 2654435761u % 0x10000000u);
        strings[i] = (struct col_str){text + (size_t)i * 8, 7};
    }
    struct col_values at_limit = {COL_STRING, COL_DICT_ENTRIES_MAX, strings, NULL};
    round_trip(COL_ENC_DICT, &at_limit, "DICT of 65,536 distinct strings");
    struct col_values past = {COL_STRING, count, strings, NULL};
    assert_true(col_encoded_size(COL_ENC_DICT, &past) == SIZE_MAX);
    static char out[64] __attribute__((aligned(8)));
    assert_status(col_encode(COL_ENC_DICT, &past, out, sizeof(out), NULL), COL_INVALID);
    free(strings);
    free(text);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_each_encoding_round_trips),
        cmocka_unit_test(test_a_bit_width_edges),
        cmocka_unit_test(test_a_bitpack_every_width),
        cmocka_unit_test(test_a_bytes_follow_the_layout),
        cmocka_unit_test(test_a_choice_is_the_smallest),
        cmocka_unit_test(test_a_choice_on_known_shapes),
        cmocka_unit_test(test_a_nulls_follow_the_rule),
        cmocka_unit_test(test_a_encode_refuses_bad_input),
        cmocka_unit_test(test_a_decode_trusts_nothing),
        cmocka_unit_test(test_a_dictionary_at_its_limit),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
