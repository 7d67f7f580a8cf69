/* encoding.c -- part A: a chunk's values into bytes (encoding.h has the layout), and the rule
 * that picks the encoding. Start with col_bit_width and col_encoded_size: col_encode writes
 * exactly the bytes the size promises, and col_encoding_choose is a loop over the sizes.
 * decoding.c goes the other way. */
#include "encoding.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

uint32_t
col_bit_width(uint64_t max_value)
{
    /* TODO(part A): the bits needed to write max_value: 0 for 0, 64 for UINT64_MAX.
     * __builtin_clzll counts leading zeros in one instruction (it is undefined for 0). */
    (void)max_value;
    return 0;
}

size_t
col_encoded_size(enum col_encoding encoding, const struct col_values *v)
{
    /* TODO(part A): the size of v in encoding by encoding.h's layout: the 16-byte header,
     * the validity words when a row is NULL, then the payload. One pass gives what the
     * integer encodings need (the smallest and largest valid value, the runs); DICT needs the
     * distinct strings (a hash table finds them in one pass). SIZE_MAX where the encoding
     * does not apply (col_encoding_applies) or a dictionary would pass COL_DICT_ENTRIES_MAX. */
    (void)encoding;
    (void)v;
    return SIZE_MAX;
}

enum col_encoding
col_encoding_choose(const struct col_values *v)
{
    /* TODO(part A): the encoding of smallest col_encoded_size; a tie stays with the one
     * listed first. */
    (void)v;
    return COL_ENC_PLAIN;
}

col_status
col_encode(enum col_encoding encoding, const struct col_values *v, void *out, size_t out_size,
           struct col_error *err)
{
    /* TODO(part A): check v (NaN, strings over COL_STRING_SIZE_MAX, an encoding that does
     * not apply) and out_size, then write the header, the validity (bits past the last row
     * cleared), and the payload. Follow the NULL rule at the top of encoding.h: PLAIN writes
     * 0, BITPACK and DICT the smallest valid value, RLE continues the run. A value packed
     * across two words is split there: its low bits end one word, its high bits start the
     * next. */
    (void)encoding;
    (void)v;
    (void)out;
    (void)out_size;
    return col_fail(err, COL_UNIMPLEMENTED, "col_encode: not implemented yet (part A)");
}
