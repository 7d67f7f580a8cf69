/* chunk.c -- part A: a chunk on its way into a table file (zone map, encoding, checksum) and
 * on its way back out (read, and checked against the footer). col_chunk_read is the one place
 * bytes from disk enter the engine: trust nothing it reads. */
#include "colfile.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

col_status
col_zone_compute(const struct col_values *v, struct col_zone *zone, struct col_error *err)
{
    /* TODO(part A): the NULL count and the smallest and largest valid value, compared as
     * the type compares (col_str_compare for strings, as doubles for FLOAT64, as int64_t
     * for the rest). */
    (void)v;
    (void)zone;
    return col_fail(err, COL_UNIMPLEMENTED, "col_zone_compute: not implemented yet (part A)");
}

col_status
col_chunk_build(const struct col_values *v, struct col_chunk_built *out, struct col_error *err)
{
    /* TODO(part A): the zone map, the chosen encoding, its bytes (malloc'd at the size
     * col_encoded_size gives) and their col_crc32c. On failure free what you allocated. */
    (void)v;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "col_chunk_build: not implemented yet (part A)");
}

col_status
col_chunk_read(const struct col_table *table, uint32_t group, uint32_t column, void **bytes,
               size_t *size_bytes, struct col_error *err)
{
    /* TODO(part A): pread the chunk's bytes where the footer says (col_table_chunk), all of
     * them (pread may return fewer; 0 means the file ends: truncated), check their CRC-32C
     * and that the chunk's header agrees with the footer, and name the file, row group and
     * column in every error. */
    (void)table;
    (void)group;
    (void)column;
    (void)bytes;
    (void)size_bytes;
    return col_fail(err, COL_UNIMPLEMENTED, "col_chunk_read: not implemented yet (part A)");
}
