/* encoding.h -- part A: one chunk's values as bytes, and back (lab 05).
 * A chunk is one column of one row group. col_encode turns its values into the bytes the
 * table file keeps (the layout below), col_decode turns those bytes into a struct col_chunk
 * that operators read, and col_encoding_choose picks the encoding by the rule documented at
 * it. Read the layout first, then col_encoded_size. Your code goes in encoding.c and
 * decoding.c.
 *
 * Chunk layout (all integers little-endian; a chunk starts 8-byte aligned, in memory and in
 * the file):
 *
 *   offset  size  field
 *   0       1     encoding (enum col_encoding)
 *   1       1     type (enum col_type)
 *   2       1     flags: bit 0 set when a validity bitmap follows the header
 *   3       1     bit_width: BITPACK, of each value's offset from base; DICT, of each code;
 *                 0 for PLAIN and RLE
 *   4       4     row_count
 *   8       8     arg: BITPACK the base (int64, the smallest valid value); RLE the run count
 *                 (low 32 bits); DICT the dictionary's entry count (low 32 bits) and its
 *                 string bytes (high 32 bits); PLAIN strings, their bytes in all; else 0
 *   16      ...   validity, when flagged: col_validity_words(row_count) uint64_t words
 *   then the payload:
 *     PLAIN    fixed-width types: row_count values, 4 or 8 bytes each;
 *              STRING: uint32_t offsets[row_count + 1] (offsets[0] 0, non-decreasing), then
 *              the bytes of every string, one after another
 *     BITPACK  ceil(row_count * bit_width / 64) uint64_t words: value i's offset from base,
 *              (uint64_t)value - (uint64_t)base, in bits [i * bit_width, (i + 1) * bit_width)
 *              of the stream, least significant bit first, a value crossing from one word to
 *              the next split there (bit_width 0: no words, every value is base)
 *     RLE      run_count values (4 or 8 bytes each), then uint32_t ends[run_count]: run r
 *              holds its value for rows [ends[r - 1], ends[r]) (ends[-1] being 0), ends
 *              strictly increasing, the last equal to row_count
 *     DICT     uint32_t offsets[entries + 1], then the entries' bytes, then zero bytes to
 *              the next multiple of 8 from the chunk's start, then the codes packed as
 *              BITPACK packs offsets (base 0): code i is row i's entry. The entries are
 *              distinct and sorted (col_str_compare), so code order is value order.
 *
 * Which encoding applies to which type:
 *   PLAIN    every type
 *   BITPACK  INT32, DATE, INT64, DECIMAL
 *   RLE      INT32, DATE, INT64, DECIMAL, FLOAT64
 *   DICT     STRING
 *
 * NULL rows: PLAIN writes 0 (STRING: the empty string); BITPACK and DICT write the chunk's
 * smallest valid value, so a NULL never widens a bit width nor adds a dictionary entry; RLE
 * continues the run before it (NULL first rows take the first valid value), so a NULL never
 * adds a run. With no valid row at all, a NULL is 0 (the empty string) everywhere. Decoded, a
 * NULL row holds whatever was written: look at validity first. */
#ifndef KEEL_ENCODING_H
#define KEEL_ENCODING_H

#include "col.h"

#define COL_ENCODING_LIST(X)                                                                       \
    X(COL_ENC_PLAIN, "plain")                                                                      \
    X(COL_ENC_BITPACK, "bitpack")                                                                  \
    X(COL_ENC_RLE, "rle")                                                                          \
    X(COL_ENC_DICT, "dict")

#define COL_ENCODING_ENUM_ENTRY(name, text) name,
enum col_encoding { COL_ENCODING_LIST(COL_ENCODING_ENUM_ENTRY) COL_ENCODING_COUNT };
#undef COL_ENCODING_ENUM_ENTRY

#define COL_CHUNK_HAS_VALIDITY 0x01u /* flags bit 0 */

/* The 16 bytes every chunk opens with (the layout above). */
struct col_chunk_header {
    uint8_t encoding;
    uint8_t type;
    uint8_t flags;
    uint8_t bit_width;
    uint32_t row_count;
    uint64_t arg;
};
_Static_assert(sizeof(struct col_chunk_header) == 16, "the chunk header is 16 bytes on disk");

/* A chunk decoded: what the cache's hot tier holds and operators read. Which fields are set
 * depends on encoding:
 *   PLAIN, BITPACK  values: row_count values of the type's C type (STRING: struct col_str)
 *   RLE             run_count runs: run_values (the type's C type) and run_ends (as in the
 *                   layout); values is NULL, so a scan can sum or compare a run at once
 *   DICT            codes[row] indexes dict[0 .. dict_count), sorted and distinct; values NULL
 * validity is NULL when null_count is 0. Every pointer points into the chunk's own block, so
 * the chunk holds memory_bytes bytes in all and owns them until col_chunk_free. */
struct col_chunk {
    enum col_type type;
    enum col_encoding encoding;
    uint32_t row_count;
    uint32_t null_count;
    const uint64_t *validity;
    const void *values;
    uint32_t run_count;
    const void *run_values;
    const uint32_t *run_ends;
    uint32_t dict_count;
    const struct col_str *dict;
    const uint32_t *codes;
    size_t memory_bytes;
};

/* Given (col_given.c): "plain", "bitpack", "rle", "dict"; "?" for a value not in the list. */
const char *col_encoding_name(enum col_encoding encoding);
/* Given: whether encoding applies to type (the table above). */
bool col_encoding_applies(enum col_encoding encoding, enum col_type type);

/* Bytes of count values packed at bit_width bits: whole 64-bit words. */
static inline size_t
col_packed_bytes(uint32_t count, uint32_t bit_width)
{
    return (size_t)(((uint64_t)count * bit_width + 63) / 64) * 8;
}

/* Yours (encoding.c). */

/* Bits needed to write every value from 0 to max_value: 0 for 0, 1 for 1, 64 for
 * UINT64_MAX. O(1). */
uint32_t col_bit_width(uint64_t max_value);

/* Bytes col_encode writes for v in encoding, header and validity included; SIZE_MAX when the
 * encoding does not apply to v's type (the table above), or DICT over a chunk with more than
 * COL_DICT_ENTRIES_MAX distinct strings, or over more than memory allows to count them (so the
 * writer picks another encoding rather than fail). v is read-only. O(count) for PLAIN, BITPACK and
 * RLE, O(count log count) for DICT. */
size_t col_encoded_size(enum col_encoding encoding, const struct col_values *v);

/* The encoding the writer uses for v: the one of smallest col_encoded_size; a tie goes to
 * the one listed first in COL_ENCODING_LIST (PLAIN, BITPACK, RLE, DICT), the cheaper to
 * decode. So an empty chunk is PLAIN, a chunk of one repeated value is RLE (or BITPACK at
 * width 0, the same size or smaller), and a column of a few distinct strings is DICT. */
enum col_encoding col_encoding_choose(const struct col_values *v);

/* Writes v in encoding into out, exactly col_encoded_size(encoding, v) bytes; out is
 * caller-provided, 8-byte aligned, of out_size bytes. Returns COL_OK; COL_INVALID when the
 * encoding does not apply to v (SIZE_MAX above) or v holds a NaN or a string over
 * COL_STRING_SIZE_MAX; COL_TOO_BIG when out_size is short. On failure out's content is
 * unspecified. */
col_status col_encode(enum col_encoding encoding, const struct col_values *v, void *out,
                      size_t out_size, struct col_error *err);

/* Decodes the size_bytes bytes of one chunk at bytes (8-byte aligned, borrowed for the call)
 * into a new chunk, *out, owned by the caller (col_chunk_free). Trusts nothing: returns
 * COL_CORRUPT, naming the field, for any byte that breaks the layout (an unknown encoding or
 * type, an encoding that does not apply to the type, a bit width over 64 or over the type's,
 * a size other than the layout's, offsets or run ends out of order or out of range, a code
 * past the dictionary, a dictionary out of order or repeating an entry); COL_NOMEM; else
 * COL_OK. On failure *out is untouched. O(size_bytes + row_count). */
col_status col_decode(const void *bytes, size_t size_bytes, struct col_chunk **out,
                      struct col_error *err);

/* Frees a chunk col_decode made; NULL is a no-op. */
void col_chunk_free(struct col_chunk *chunk);

#endif
