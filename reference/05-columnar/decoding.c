/* decoding.c -- part A: a chunk's bytes back into values (encoding.h has the layout). Read
 * col_decode first. The bytes come from a file, so every field is checked against the layout
 * before it is used: a size, an offset, a run end or a code out of range is COL_CORRUPT, never
 * a read past the buffer. */
#include "encoding.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Unpacks value i of the stream. */
static inline uint64_t
bits_get(const uint64_t *words, uint64_t i, uint32_t width)
{
    uint64_t bit = i * width;
    uint64_t word = bit / 64;
    uint32_t shift = (uint32_t)(bit % 64);
    uint64_t x = words[word] >> shift;
    if (shift + width > 64) {
        x |= words[word + 1] << (64 - shift);
    }
    return width == 64 ? x : x & ((1ull << width) - 1);
}

/* What col_decode has read of a chunk so far. */
struct reader {
    const char *chunk; /* the chunk's first byte */
    size_t size_bytes;
    struct col_chunk_header h;
    const char *payload;
    size_t prefix_bytes;
};

static size_t
align8(size_t n)
{
    return (n + 7) / 8 * 8;
}

/* The chunk block: the struct, then validity, then up to two arrays, each 8-byte aligned. */
static struct col_chunk *
chunk_alloc(const struct reader *r, size_t first_bytes, size_t second_bytes, char **first,
            char **second)
{
    bool has_validity = (r->h.flags & COL_CHUNK_HAS_VALIDITY) != 0;
    size_t validity_bytes = has_validity ? col_validity_words(r->h.row_count) * 8u : 0;
    size_t total = align8(sizeof(struct col_chunk)) + validity_bytes + align8(first_bytes) +
                   align8(second_bytes);
    struct col_chunk *c = malloc(total);
    if (c == NULL) {
        return NULL;
    }
    *c = (struct col_chunk){.type = (enum col_type)r->h.type,
                            .encoding = (enum col_encoding)r->h.encoding,
                            .row_count = r->h.row_count,
                            .memory_bytes = total};
    char *p = (char *)c + align8(sizeof(struct col_chunk));
    if (has_validity) {
        memcpy(p, r->chunk + sizeof(struct col_chunk_header), validity_bytes);
        uint64_t *words = (uint64_t *)(void *)p;
        uint32_t nulls = 0;
        for (uint32_t w = 0; w < col_validity_words(r->h.row_count); w++) {
            if (w + 1 == col_validity_words(r->h.row_count) && r->h.row_count % 64 != 0) {
                words[w] |= ~0ull << (r->h.row_count % 64); /* rows past the end are valid */
            }
            nulls += (uint32_t)__builtin_popcountll(~words[w]);
        }
        c->null_count = nulls;
        c->validity = nulls > 0 ? words : NULL;
        p += validity_bytes;
    }
    *first = p;
    *second = p + align8(first_bytes);
    return c;
}

static col_status
decode_plain(const struct reader *r, struct col_chunk **out, struct col_error *err)
{
    uint32_t rows = r->h.row_count;
    char *values, *bytes;
    if (r->h.type != COL_STRING) {
        size_t size = (size_t)rows * col_type_width((enum col_type)r->h.type);
        if (r->h.bit_width != 0 || r->h.arg != 0 || r->prefix_bytes + size != r->size_bytes) {
            return col_fail(err, COL_CORRUPT, "a plain chunk of %u rows is %zu bytes, not %zu",
                            rows, r->size_bytes, r->prefix_bytes + size);
        }
        struct col_chunk *c = chunk_alloc(r, size, 0, &values, &bytes);
        if (c == NULL) {
            return col_fail(err, COL_NOMEM, "out of memory decoding a chunk");
        }
        if (size > 0) {
            memcpy(values, r->payload, size);
        }
        if (r->h.type == COL_FLOAT64) {
            for (uint32_t row = 0; row < rows; row++) {
                if (isnan(((const double *)(void *)values)[row])) {
                    col_chunk_free(c);
                    return col_fail(err, COL_CORRUPT, "row %u holds a NaN", row);
                }
            }
        }
        c->values = values;
        *out = c;
        return COL_OK;
    }
    uint64_t string_bytes = r->h.arg;
    size_t offsets_bytes = ((size_t)rows + 1) * 4;
    if (r->h.bit_width != 0 || string_bytes > r->size_bytes ||
        r->prefix_bytes + offsets_bytes + string_bytes != r->size_bytes) {
        return col_fail(err, COL_CORRUPT, "a plain string chunk of %u rows is %zu bytes", rows,
                        r->size_bytes);
    }
    const uint32_t *offsets = (const uint32_t *)(const void *)r->payload;
    if (offsets[0] != 0 || offsets[rows] != string_bytes) {
        return col_fail(err, COL_CORRUPT, "string offsets run from %u to %u, not 0 to %llu",
                        offsets[0], offsets[rows], (unsigned long long)string_bytes);
    }
    for (uint32_t row = 0; row < rows; row++) {
        if (offsets[row + 1] < offsets[row] ||
            offsets[row + 1] - offsets[row] > COL_STRING_SIZE_MAX) {
            return col_fail(err, COL_CORRUPT, "string offsets %u and %u of row %u", offsets[row],
                            offsets[row + 1], row);
        }
    }
    struct col_chunk *c =
        chunk_alloc(r, (size_t)rows * sizeof(struct col_str), string_bytes, &values, &bytes);
    if (c == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory decoding a chunk");
    }
    if (string_bytes > 0) {
        memcpy(bytes, r->payload + offsets_bytes, string_bytes);
    }
    struct col_str *strings = (struct col_str *)(void *)values;
    for (uint32_t row = 0; row < rows; row++) {
        strings[row] = (struct col_str){bytes + offsets[row], offsets[row + 1] - offsets[row]};
    }
    c->values = values;
    *out = c;
    return COL_OK;
}

static col_status
decode_bitpack(const struct reader *r, struct col_chunk **out, struct col_error *err)
{
    uint32_t rows = r->h.row_count, width = r->h.bit_width;
    size_t type_width = col_type_width((enum col_type)r->h.type);
    if (width > type_width * 8 ||
        r->prefix_bytes + col_packed_bytes(rows, width) != r->size_bytes) {
        return col_fail(err, COL_CORRUPT, "a bitpack chunk of %u rows at %u bits is %zu bytes",
                        rows, width, r->size_bytes);
    }
    char *values, *unused;
    struct col_chunk *c = chunk_alloc(r, (size_t)rows * type_width, 0, &values, &unused);
    if (c == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory decoding a chunk");
    }
    const uint64_t *words = (const uint64_t *)(const void *)r->payload;
    uint64_t base = r->h.arg;
    if (type_width == 8) {
        int64_t *v = (int64_t *)(void *)values;
        for (uint32_t row = 0; row < rows; row++) {
            v[row] = (int64_t)(base + (width ? bits_get(words, row, width) : 0));
        }
    } else {
        int32_t *v = (int32_t *)(void *)values;
        for (uint32_t row = 0; row < rows; row++) {
            int64_t x = (int64_t)(base + (width ? bits_get(words, row, width) : 0));
            if (x < INT32_MIN || x > INT32_MAX) {
                col_chunk_free(c);
                return col_fail(err, COL_CORRUPT, "row %u decodes to %lld, past 32 bits", row,
                                (long long)x);
            }
            v[row] = (int32_t)x;
        }
    }
    c->values = values;
    *out = c;
    return COL_OK;
}

static col_status
decode_rle(const struct reader *r, struct col_chunk **out, struct col_error *err)
{
    uint32_t rows = r->h.row_count;
    uint64_t runs = r->h.arg;
    size_t width = col_type_width((enum col_type)r->h.type);
    if (r->h.bit_width != 0 || runs > rows || (rows > 0) != (runs > 0) ||
        r->prefix_bytes + runs * (width + 4) != r->size_bytes) {
        return col_fail(err, COL_CORRUPT, "an RLE chunk of %u rows and %llu runs is %zu bytes",
                        rows, (unsigned long long)runs, r->size_bytes);
    }
    const char *ends_in = r->payload + runs * width;
    uint32_t previous = 0;
    for (uint64_t i = 0; i < runs; i++) {
        uint32_t end;
        memcpy(&end, ends_in + i * 4, 4);
        if (end <= previous || end > rows || (i + 1 == runs && end != rows)) {
            return col_fail(err, COL_CORRUPT,
                            "run %llu ends at row %u (runs end in order, the "
                            "last at row %u)",
                            (unsigned long long)i, end, rows);
        }
        previous = end;
    }
    char *values, *ends;
    struct col_chunk *c = chunk_alloc(r, runs * width, runs * 4, &values, &ends);
    if (c == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory decoding a chunk");
    }
    if (runs > 0) {
        memcpy(values, r->payload, runs * width);
        memcpy(ends, ends_in, runs * 4);
    }
    for (uint64_t i = 0; r->h.type == COL_FLOAT64 && i < runs; i++) {
        if (isnan(((const double *)(void *)values)[i])) {
            col_chunk_free(c);
            return col_fail(err, COL_CORRUPT, "run %llu holds a NaN", (unsigned long long)i);
        }
    }
    c->run_count = (uint32_t)runs;
    c->run_values = values;
    c->run_ends = (const uint32_t *)(void *)ends;
    *out = c;
    return COL_OK;
}

/* Checks the dictionary's offsets and order; its size by the layout goes in *size. */
static col_status
dict_check(const struct reader *r, uint32_t entries, uint64_t entry_bytes, size_t *size,
           struct col_error *err)
{
    uint32_t rows = r->h.row_count;
    uint32_t width = entries > 1 ? col_bit_width(entries - 1) : 0;
    size_t offsets_bytes = ((size_t)entries + 1) * 4;
    if (entries > COL_DICT_ENTRIES_MAX || (rows > 0) != (entries > 0) || r->h.bit_width != width ||
        entry_bytes > r->size_bytes ||
        r->prefix_bytes + offsets_bytes + entry_bytes > r->size_bytes) {
        return col_fail(err, COL_CORRUPT, "a dictionary of %u entries at %u bits in %zu bytes",
                        entries, r->h.bit_width, r->size_bytes);
    }
    *size = align8(r->prefix_bytes + offsets_bytes + entry_bytes) + col_packed_bytes(rows, width);
    if (*size != r->size_bytes) {
        return col_fail(err, COL_CORRUPT, "a dict chunk of %u rows is %zu bytes, not %zu", rows,
                        r->size_bytes, *size);
    }
    const uint32_t *offsets = (const uint32_t *)(const void *)r->payload;
    const char *bytes = r->payload + offsets_bytes;
    if (offsets[0] != 0 || offsets[entries] != entry_bytes) {
        return col_fail(err, COL_CORRUPT, "dictionary offsets run from %u to %u, not 0 to %llu",
                        offsets[0], offsets[entries], (unsigned long long)entry_bytes);
    }
    for (uint32_t e = 0; e < entries; e++) {
        if (offsets[e + 1] < offsets[e] || offsets[e + 1] - offsets[e] > COL_STRING_SIZE_MAX) {
            return col_fail(err, COL_CORRUPT, "dictionary entry %u's offsets", e);
        }
        struct col_str here = {bytes + offsets[e], offsets[e + 1] - offsets[e]};
        if (e > 0 &&
            col_str_compare((struct col_str){bytes + offsets[e - 1], offsets[e] - offsets[e - 1]},
                            here) >= 0) {
            return col_fail(err, COL_CORRUPT, "dictionary entry %u is not above entry %u", e,
                            e - 1);
        }
    }
    return COL_OK;
}

static col_status
decode_dict(const struct reader *r, struct col_chunk **out, struct col_error *err)
{
    uint32_t rows = r->h.row_count;
    uint32_t entries = (uint32_t)(r->h.arg & 0xffffffffu);
    uint64_t entry_bytes = r->h.arg >> 32;
    size_t size = 0;
    col_status status = dict_check(r, entries, entry_bytes, &size, err);
    if (status != COL_OK) {
        return status;
    }
    size_t offsets_bytes = ((size_t)entries + 1) * 4;
    const uint32_t *offsets = (const uint32_t *)(const void *)r->payload;
    const uint64_t *words =
        (const uint64_t *)(const void *)(r->chunk + size - col_packed_bytes(rows, r->h.bit_width));
    char *codes_block, *dict_block;
    struct col_chunk *c =
        chunk_alloc(r, (size_t)rows * 4, entries * sizeof(struct col_str) + entry_bytes,
                    &codes_block, &dict_block);
    if (c == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory decoding a chunk");
    }
    uint32_t *codes = (uint32_t *)(void *)codes_block;
    for (uint32_t row = 0; row < rows; row++) {
        uint32_t code = r->h.bit_width ? (uint32_t)bits_get(words, row, r->h.bit_width) : 0;
        if (code >= entries) {
            col_chunk_free(c);
            return col_fail(err, COL_CORRUPT,
                            "row %u's code %u is past the dictionary's %u "
                            "entries",
                            row, code, entries);
        }
        codes[row] = code;
    }
    struct col_str *dict = (struct col_str *)(void *)dict_block;
    char *bytes = dict_block + entries * sizeof(struct col_str);
    if (entry_bytes > 0) {
        memcpy(bytes, r->payload + offsets_bytes, entry_bytes);
    }
    for (uint32_t e = 0; e < entries; e++) {
        dict[e] = (struct col_str){bytes + offsets[e], offsets[e + 1] - offsets[e]};
    }
    c->codes = codes;
    c->dict = dict;
    c->dict_count = entries;
    *out = c;
    return COL_OK;
}

col_status
col_decode(const void *bytes, size_t size_bytes, struct col_chunk **out, struct col_error *err)
{
    assert(bytes != NULL && out != NULL);
    assert((uintptr_t)bytes % 8 == 0);
    struct reader r = {.chunk = bytes, .size_bytes = size_bytes};
    if (size_bytes < sizeof(r.h)) {
        return col_fail(err, COL_CORRUPT, "a chunk of %zu bytes, shorter than its header",
                        size_bytes);
    }
    memcpy(&r.h, bytes, sizeof(r.h));
    if (r.h.encoding >= COL_ENCODING_COUNT || r.h.type >= COL_TYPE_COUNT ||
        !col_encoding_applies((enum col_encoding)r.h.encoding, (enum col_type)r.h.type)) {
        return col_fail(err, COL_CORRUPT, "encoding %u on type %u", r.h.encoding, r.h.type);
    }
    if ((r.h.flags & ~COL_CHUNK_HAS_VALIDITY) != 0 || r.h.row_count > COL_GROUP_ROWS_MAX) {
        return col_fail(err, COL_CORRUPT, "flags 0x%02x and %u rows in a chunk header", r.h.flags,
                        r.h.row_count);
    }
    r.prefix_bytes =
        sizeof(r.h) +
        ((r.h.flags & COL_CHUNK_HAS_VALIDITY) ? col_validity_words(r.h.row_count) * 8u : 0);
    if (r.prefix_bytes > size_bytes) {
        return col_fail(err, COL_CORRUPT, "a chunk of %zu bytes cuts its validity short",
                        size_bytes);
    }
    r.payload = r.chunk + r.prefix_bytes;
    switch ((enum col_encoding)r.h.encoding) {
    case COL_ENC_PLAIN:
        return decode_plain(&r, out, err);
    case COL_ENC_BITPACK:
        return decode_bitpack(&r, out, err);
    case COL_ENC_RLE:
        return decode_rle(&r, out, err);
    case COL_ENC_DICT:
        return decode_dict(&r, out, err);
    case COL_ENCODING_COUNT:
        break;
    }
    return col_fail(err, COL_CORRUPT, "unknown encoding %u", r.h.encoding);
}

void
col_chunk_free(struct col_chunk *chunk)
{
    free(chunk);
}
