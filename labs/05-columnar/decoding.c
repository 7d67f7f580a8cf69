/* decoding.c -- part A: a chunk's bytes back into values (encoding.h has the layout). Read
 * col_decode first. The bytes come from a file, so check every field against the layout
 * before you use it: a size, an offset, a run end or a code out of range is COL_CORRUPT,
 * never a read past the buffer. */
#include "encoding.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

col_status
col_decode(const void *bytes, size_t size_bytes, struct col_chunk **out, struct col_error *err)
{
    /* TODO(part A): read the header (size_bytes may be under 16), check encoding, type,
     * flags and row count, then per encoding check that size_bytes is exactly the layout's
     * and every offset, run end and code is in range, and only then allocate one block for
     * the struct col_chunk and everything it points to (so col_chunk_free is one free) and
     * fill it: values for PLAIN and BITPACK, runs for RLE, codes and dictionary for DICT.
     * Strings point into the block, never into bytes, which the caller frees. */
    (void)bytes;
    (void)size_bytes;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "col_decode: not implemented yet (part A)");
}

void
col_chunk_free(struct col_chunk *chunk)
{
    /* TODO(part A): free what col_decode allocated for chunk. */
    free(chunk);
}
