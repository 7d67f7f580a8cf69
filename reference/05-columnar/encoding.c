/* encoding.c -- part A: a chunk's values into bytes (encoding.h has the layout), and the rule
 * that picks the encoding. Read col_encoded_size first: every encoder starts from the same
 * one-pass statistics. decoding.c goes the other way. */
#include "encoding.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES sizeof(struct col_chunk_header)

/* What the encoders need to know of a chunk, from one pass over it. For integer types (and
 * the bits of doubles, for RLE) min and max are of the valid rows; runs counts the runs RLE
 * writes (NULLs continue the run before them). */
struct stats {
    uint32_t null_count;
    bool has_valid;
    int64_t min, max;
    uint32_t runs;
};

/* Row's value as an int64_t: integers widened, a double's bits for FLOAT64. */
static int64_t
raw_at(const struct col_values *v, uint32_t row)
{
    if (v->type == COL_INT32 || v->type == COL_DATE) {
        return ((const int32_t *)v->data)[row];
    }
    int64_t x;
    memcpy(&x, (const char *)v->data + (size_t)row * 8, sizeof(x));
    return x;
}

static void
stats_compute(const struct col_values *v, struct stats *s)
{
    assert(v->type != COL_STRING);
    *s = (struct stats){0};
    int64_t previous = 0;
    for (uint32_t row = 0; row < v->count; row++) {
        if (!col_is_valid(v->validity, row)) {
            s->null_count++;
            continue;
        }
        int64_t x = raw_at(v, row);
        if (!s->has_valid) {
            s->has_valid = true;
            s->min = s->max = x;
            s->runs = 1;
        } else {
            s->min = x < s->min ? x : s->min;
            s->max = x > s->max ? x : s->max;
            s->runs += x != previous;
        }
        previous = x;
    }
    if (v->count > 0 && !s->has_valid) {
        s->runs = 1; /* every row NULL: one run of 0 */
    }
}

uint32_t
col_bit_width(uint64_t max_value)
{
    return max_value == 0 ? 0 : 64u - (uint32_t)__builtin_clzll(max_value);
}

static size_t
prefix_bytes(uint32_t null_count, uint32_t count)
{
    return HEADER_BYTES + (null_count > 0 ? col_validity_words(count) * 8u : 0);
}

/* The distinct strings of a chunk, as DICT writes them: NULLs read as the smallest valid one. */
struct dict {
    uint32_t count;          /* entries */
    uint64_t bytes;          /* of all entries */
    struct col_str *entries; /* sorted */
    uint32_t *codes;         /* per row, when asked for */
    uint32_t null_count;
};

static int
str_order(const void *a, const void *b)
{
    return col_str_compare(*(const struct col_str *)a, *(const struct col_str *)b);
}

static bool
str_equal(struct col_str a, struct col_str b)
{
    return a.size_bytes == b.size_bytes &&
           (a.size_bytes == 0 || !memcmp(a.ptr, b.ptr, a.size_bytes));
}

/* Sorts the entries, then gives each row its code: a slot's entry becomes its place in sorted
 * order. false (nothing left allocated) when out of memory. */
static bool
dict_code(struct dict *d, uint32_t count, const uint32_t *slot_entry, const uint32_t *row_slot)
{
    uint32_t *order = malloc((d->count + 1u) * sizeof(uint32_t));
    d->codes = malloc((count + 1u) * sizeof(uint32_t));
    struct col_str *unsorted = malloc((d->count + 1u) * sizeof(struct col_str));
    if (order == NULL || d->codes == NULL || unsorted == NULL) {
        free(order);
        free(unsorted);
        free(d->codes);
        d->codes = NULL;
        return false;
    }
    memcpy(unsorted, d->entries, d->count * sizeof(struct col_str));
    qsort(d->entries, d->count, sizeof(struct col_str), str_order);
    for (uint32_t e = 0; e < d->count; e++) {
        struct col_str *found =
            bsearch(&unsorted[e], d->entries, d->count, sizeof(struct col_str), str_order);
        assert(found != NULL);
        order[e] = (uint32_t)(found - d->entries);
    }
    for (uint32_t row = 0; row < count; row++) {
        d->codes[row] = order[slot_entry[row_slot[row]] - 1];
    }
    free(order);
    free(unsorted);
    return true;
}

/* Finds the distinct strings by hashing (a slot per distinct string, a table at most half
 * full), then sorts them. With codes, also each row's code. false when out of memory; a chunk
 * over COL_DICT_ENTRIES_MAX distinct strings gives count COL_DICT_ENTRIES_MAX + 1. */
static bool
dict_build(const struct col_values *v, bool with_codes, struct dict *d)
{
    const struct col_str *values = v->data;
    *d = (struct dict){0};
    uint32_t slots = 16;
    while (slots < 2 * (v->count < COL_DICT_ENTRIES_MAX ? v->count : COL_DICT_ENTRIES_MAX) + 2) {
        slots *= 2;
    }
    uint32_t *slot_entry = malloc(slots * sizeof(uint32_t)); /* entry + 1, 0 empty */
    uint32_t *row_slot = with_codes ? malloc((v->count + 1u) * sizeof(uint32_t)) : NULL;
    d->entries = malloc((COL_DICT_ENTRIES_MAX + 1u) * sizeof(struct col_str));
    if (slot_entry == NULL || d->entries == NULL || (with_codes && row_slot == NULL)) {
        free(slot_entry);
        free(row_slot);
        free(d->entries);
        return false;
    }
    memset(slot_entry, 0, slots * sizeof(uint32_t));
    struct col_str smallest = {"", 0};
    bool has_valid = false;
    for (uint32_t row = 0; row < v->count; row++) {
        if (!col_is_valid(v->validity, row)) {
            d->null_count++;
        } else if (!has_valid || col_str_compare(values[row], smallest) < 0) {
            smallest = values[row];
            has_valid = true;
        }
    }
    for (uint32_t row = 0; row < v->count && d->count <= COL_DICT_ENTRIES_MAX; row++) {
        struct col_str s = col_is_valid(v->validity, row) ? values[row] : smallest;
        uint32_t slot = (uint32_t)col_hash_bytes(s.ptr, s.size_bytes) & (slots - 1);
        while (slot_entry[slot] != 0 && !str_equal(d->entries[slot_entry[slot] - 1], s)) {
            slot = (slot + 1) & (slots - 1);
        }
        if (slot_entry[slot] == 0) {
            d->entries[d->count] = s;
            d->bytes += s.size_bytes;
            slot_entry[slot] = ++d->count;
        }
        if (row_slot != NULL) {
            row_slot[row] = slot;
        }
    }
    if (d->count <= COL_DICT_ENTRIES_MAX && with_codes &&
        !dict_code(d, v->count, slot_entry, row_slot)) {
        free(slot_entry);
        free(row_slot);
        free(d->entries);
        return false;
    }
    free(slot_entry);
    free(row_slot);
    return true;
}

static void
dict_free(struct dict *d)
{
    free(d->entries);
    free(d->codes);
}

static size_t
dict_size(const struct dict *d, uint32_t count)
{
    size_t size = prefix_bytes(d->null_count, count) + ((size_t)d->count + 1) * 4 + d->bytes;
    size = (size + 7) / 8 * 8;
    uint32_t width = d->count > 1 ? col_bit_width(d->count - 1) : 0;
    return size + col_packed_bytes(count, width);
}

static size_t
plain_string_size(const struct col_values *v, uint32_t null_count)
{
    const struct col_str *values = v->data;
    size_t bytes = 0;
    for (uint32_t row = 0; row < v->count; row++) {
        bytes += col_is_valid(v->validity, row) ? values[row].size_bytes : 0;
    }
    return prefix_bytes(null_count, v->count) + ((size_t)v->count + 1) * 4 + bytes;
}

static uint32_t
null_count_of(const struct col_values *v)
{
    uint32_t nulls = 0;
    for (uint32_t row = 0; v->validity != NULL && row < v->count; row++) {
        nulls += !col_is_valid(v->validity, row);
    }
    return nulls;
}

/* The size of v in encoding into *size: COL_OK, COL_INVALID (the encoding does not apply, or a
 * dictionary would pass COL_DICT_ENTRIES_MAX) or COL_NOMEM (no memory to count the strings). */
static col_status
encoded_size(enum col_encoding encoding, const struct col_values *v, size_t *size)
{
    if (!col_encoding_applies(encoding, v->type)) {
        return COL_INVALID;
    }
    if (v->type == COL_STRING && encoding == COL_ENC_PLAIN) {
        *size = plain_string_size(v, null_count_of(v));
        return COL_OK;
    }
    if (v->type == COL_STRING) {
        struct dict d;
        if (!dict_build(v, false, &d)) {
            return COL_NOMEM;
        }
        bool fits = d.count <= COL_DICT_ENTRIES_MAX;
        *size = fits ? dict_size(&d, v->count) : 0;
        dict_free(&d);
        return fits ? COL_OK : COL_INVALID;
    }
    struct stats s;
    stats_compute(v, &s);
    size_t width = col_type_width(v->type), prefix = prefix_bytes(s.null_count, v->count);
    if (encoding == COL_ENC_PLAIN) {
        *size = prefix + (size_t)v->count * width;
    } else if (encoding == COL_ENC_BITPACK) {
        uint32_t bits = col_bit_width((uint64_t)s.max - (uint64_t)s.min);
        *size = prefix + col_packed_bytes(v->count, bits);
    } else {
        *size = prefix + (size_t)s.runs * (width + 4); /* RLE */
    }
    return COL_OK;
}

size_t
col_encoded_size(enum col_encoding encoding, const struct col_values *v)
{
    assert(v != NULL);
    size_t size = 0;
    return encoded_size(encoding, v, &size) == COL_OK ? size : SIZE_MAX;
}

enum col_encoding
col_encoding_choose(const struct col_values *v)
{
    enum col_encoding best = COL_ENC_PLAIN;
    size_t best_size = col_encoded_size(COL_ENC_PLAIN, v);
    for (int e = COL_ENC_PLAIN + 1; e < COL_ENCODING_COUNT; e++) {
        size_t size = col_encoded_size((enum col_encoding)e, v);
        if (size < best_size) { /* strictly: a tie stays with the one listed first */
            best = (enum col_encoding)e;
            best_size = size;
        }
    }
    return best;
}

/* Packs count values, values[i] in bits [i * width, (i + 1) * width), into words. */
static void
bits_pack(uint64_t *words, uint32_t count, uint32_t width,
          uint64_t (*value_at)(const void *, uint32_t), const void *ctx)
{
    if (width == 0) {
        return;
    }
    memset(words, 0, col_packed_bytes(count, width));
    for (uint32_t i = 0; i < count; i++) {
        uint64_t x = value_at(ctx, i);
        uint64_t bit = (uint64_t)i * width;
        uint32_t word = (uint32_t)(bit / 64), shift = (uint32_t)(bit % 64);
        words[word] |= x << shift;
        if (shift != 0 && shift + width > 64) { /* the value crosses into the next word */
            words[word + 1] |= x >> (64 - shift);
        }
    }
}

/* The encoders. Each writes its payload at p and returns the byte after it. */

struct int_source {
    const struct col_values *v;
    int64_t base; /* also what a NULL row reads as */
};

static uint64_t
offset_at(const void *ctx, uint32_t row)
{
    const struct int_source *src = ctx;
    int64_t x = col_is_valid(src->v->validity, row) ? raw_at(src->v, row) : src->base;
    return (uint64_t)x - (uint64_t)src->base;
}

static uint64_t
code_at(const void *ctx, uint32_t row)
{
    return ((const uint32_t *)ctx)[row];
}

static char *
encode_plain(const struct col_values *v, char *p)
{
    if (v->type == COL_STRING) {
        const struct col_str *values = v->data;
        uint32_t *offsets = (uint32_t *)(void *)p;
        char *bytes = p + ((size_t)v->count + 1) * 4;
        uint32_t at = 0;
        offsets[0] = 0;
        for (uint32_t row = 0; row < v->count; row++) {
            if (col_is_valid(v->validity, row) && values[row].size_bytes > 0) {
                memcpy(bytes + at, values[row].ptr, values[row].size_bytes);
                at += values[row].size_bytes;
            }
            offsets[row + 1] = at;
        }
        return bytes + at;
    }
    size_t width = col_type_width(v->type);
    if (v->count > 0) {
        memcpy(p, v->data, (size_t)v->count * width);
    }
    for (uint32_t row = 0; v->validity != NULL && row < v->count; row++) {
        if (!col_is_valid(v->validity, row)) {
            memset(p + (size_t)row * width, 0, width);
        }
    }
    return p + (size_t)v->count * width;
}

static char *
encode_rle(const struct col_values *v, const struct stats *s, char *p)
{
    size_t width = col_type_width(v->type);
    char *values = p, *ends = p + (size_t)s->runs * width;
    int64_t current = 0;
    for (uint32_t row = 0; row < v->count; row++) { /* NULL first rows: the first valid value */
        if (col_is_valid(v->validity, row)) {
            current = raw_at(v, row);
            break;
        }
    }
    uint32_t run = 0;
    for (uint32_t row = 0; row < v->count; row++) {
        int64_t x = col_is_valid(v->validity, row) ? raw_at(v, row) : current;
        if (row > 0 && x != current) { /* run ends before row; the next one starts */
            memcpy(ends + (size_t)run * 4, &row, 4);
            run++;
        }
        if (row == 0 || x != current) {
            if (width == 4) {
                int32_t narrow = (int32_t)x;
                memcpy(values + (size_t)run * 4, &narrow, 4);
            } else {
                memcpy(values + (size_t)run * 8, &x, 8);
            }
        }
        current = x;
    }
    if (v->count > 0) {
        memcpy(ends + (size_t)run * 4, &v->count, 4);
        run++;
    }
    assert(run == s->runs);
    return ends + (size_t)run * 4;
}

static char *
encode_dict(const struct dict *d, uint32_t count, char *chunk, char *p)
{
    uint32_t *offsets = (uint32_t *)(void *)p;
    char *bytes = p + ((size_t)d->count + 1) * 4;
    uint32_t at = 0;
    offsets[0] = 0;
    for (uint32_t e = 0; e < d->count; e++) {
        if (d->entries[e].size_bytes > 0) {
            memcpy(bytes + at, d->entries[e].ptr, d->entries[e].size_bytes);
        }
        at += d->entries[e].size_bytes;
        offsets[e + 1] = at;
    }
    size_t used = (size_t)(bytes + at - chunk);
    char *words = chunk + (used + 7) / 8 * 8; /* the padding is zero: col_encode cleared it */
    uint32_t width = d->count > 1 ? col_bit_width(d->count - 1) : 0;
    bits_pack((uint64_t *)(void *)words, count, width, code_at, d->codes);
    return words + col_packed_bytes(count, width);
}

/* Checks v and sizes it: the values no chunk may hold, an encoding that does not apply. */
static col_status
encode_check(enum col_encoding encoding, const struct col_values *v, size_t *size,
             struct col_error *err)
{
    for (uint32_t row = 0; row < v->count; row++) {
        if (!col_is_valid(v->validity, row)) {
            continue;
        }
        if (v->type == COL_FLOAT64 && isnan(((const double *)v->data)[row])) {
            return col_fail(err, COL_INVALID, "row %u: NaN is not a value a column holds", row);
        }
        if (v->type == COL_STRING &&
            ((const struct col_str *)v->data)[row].size_bytes > COL_STRING_SIZE_MAX) {
            return col_fail(err, COL_INVALID, "row %u: a string over %u bytes", row,
                            COL_STRING_SIZE_MAX);
        }
    }
    col_status status = encoded_size(encoding, v, size);
    if (status == COL_NOMEM) {
        return col_fail(err, COL_NOMEM, "out of memory sizing a dictionary");
    }
    if (status != COL_OK) {
        return col_fail(err, COL_INVALID, "%s does not apply to a %s chunk of %u rows",
                        col_encoding_name(encoding), col_type_name(v->type), v->count);
    }
    return COL_OK;
}

/* The header and the validity bitmap, bits past count cleared (the same values always give
 * the same bytes, and the same CRC). Returns where the payload starts. */
static char *
encode_prefix(enum col_encoding encoding, const struct col_values *v, uint32_t null_count,
              uint32_t bit_width, uint64_t arg, char *out)
{
    struct col_chunk_header h = {
        (uint8_t)encoding,  (uint8_t)v->type, null_count > 0 ? COL_CHUNK_HAS_VALIDITY : 0,
        (uint8_t)bit_width, v->count,         arg};
    memcpy(out, &h, sizeof(h));
    char *p = out + sizeof(h);
    if (null_count > 0) {
        size_t words_bytes = (size_t)col_validity_words(v->count) * 8;
        memcpy(p, v->validity, words_bytes);
        if (v->count % 64 != 0) { /* the last word: bits past the last row cleared */
            uint64_t last;
            memcpy(&last, p + words_bytes - 8, 8);
            last &= (1ull << (v->count % 64)) - 1;
            memcpy(p + words_bytes - 8, &last, 8);
        }
        p += words_bytes;
    }
    return p;
}

col_status
col_encode(enum col_encoding encoding, const struct col_values *v, void *out, size_t out_size,
           struct col_error *err)
{
    assert(v != NULL && out != NULL);
    size_t size = 0;
    col_status status = encode_check(encoding, v, &size, err);
    if (status != COL_OK) {
        return status;
    }
    if (out_size < size) {
        return col_fail(err, COL_TOO_BIG, "%zu bytes to write, room for %zu", size, out_size);
    }
    memset(out, 0, size);
    char *end = NULL;
    if (v->type == COL_STRING && encoding == COL_ENC_DICT) {
        struct dict d;
        if (!dict_build(v, true, &d)) {
            return col_fail(err, COL_NOMEM, "out of memory for a dictionary");
        }
        uint32_t width = d.count > 1 ? col_bit_width(d.count - 1) : 0;
        uint64_t arg = d.count | d.bytes << 32;
        char *p = encode_prefix(encoding, v, d.null_count, width, arg, out);
        end = encode_dict(&d, v->count, out, p);
        dict_free(&d);
    } else if (v->type == COL_STRING) {
        uint32_t nulls = null_count_of(v);
        char *p = encode_prefix(encoding, v, nulls, 0, 0, out);
        end = encode_plain(v, p);
        struct col_chunk_header h;
        memcpy(&h, out, sizeof(h));
        h.arg = (uint64_t)(end - p) - ((uint64_t)v->count + 1) * 4; /* the strings' bytes */
        memcpy(out, &h, sizeof(h));
    } else {
        struct stats s;
        stats_compute(v, &s);
        if (encoding == COL_ENC_PLAIN) {
            end = encode_plain(v, encode_prefix(encoding, v, s.null_count, 0, 0, out));
        } else if (encoding == COL_ENC_RLE) {
            end = encode_rle(v, &s, encode_prefix(encoding, v, s.null_count, 0, s.runs, out));
        } else {
            struct int_source src = {v, s.has_valid ? s.min : 0};
            uint32_t width = col_bit_width((uint64_t)s.max - (uint64_t)s.min);
            char *p = encode_prefix(encoding, v, s.null_count, width, (uint64_t)src.base, out);
            bits_pack((uint64_t *)(void *)p, v->count, width, offset_at, &src);
            end = p + col_packed_bytes(v->count, width);
        }
    }
    assert((size_t)(end - (char *)out) == size);
    return COL_OK;
}
