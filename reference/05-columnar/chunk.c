/* chunk.c -- part A: a chunk on its way into a table file (zone map, encoding, checksum) and
 * on its way back out (read, and checked against the footer). Read col_chunk_read first: it
 * is the one place bytes from disk enter the engine. */
#include "colfile.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

col_status
col_zone_compute(const struct col_values *v, struct col_zone *zone, struct col_error *err)
{
    assert(v != NULL && zone != NULL);
    if ((unsigned)v->type >= COL_TYPE_COUNT) {
        return col_fail(err, COL_INVALID, "unknown type %d", (int)v->type);
    }
    struct col_zone z = {0};
    for (uint32_t row = 0; row < v->count; row++) {
        if (!col_is_valid(v->validity, row)) {
            z.null_count++;
            continue;
        }
        union col_datum x;
        switch (v->type) {
        case COL_INT32:
        case COL_DATE:
            x.i64 = ((const int32_t *)v->data)[row];
            break;
        case COL_INT64:
        case COL_DECIMAL:
            x.i64 = ((const int64_t *)v->data)[row];
            break;
        case COL_FLOAT64:
            x.f64 = ((const double *)v->data)[row];
            break;
        case COL_STRING:
        case COL_TYPE_COUNT:
            x.str = ((const struct col_str *)v->data)[row];
            break;
        }
        if (!z.has_min_max) {
            z.has_min_max = true;
            z.min = z.max = x;
        } else if (v->type == COL_STRING) {
            z.min = col_str_compare(x.str, z.min.str) < 0 ? x : z.min;
            z.max = col_str_compare(x.str, z.max.str) > 0 ? x : z.max;
        } else if (v->type == COL_FLOAT64) {
            z.min.f64 = x.f64 < z.min.f64 ? x.f64 : z.min.f64;
            z.max.f64 = x.f64 > z.max.f64 ? x.f64 : z.max.f64;
        } else {
            z.min.i64 = x.i64 < z.min.i64 ? x.i64 : z.min.i64;
            z.max.i64 = x.i64 > z.max.i64 ? x.i64 : z.max.i64;
        }
    }
    assert(z.null_count <= v->count);
    assert(z.has_min_max == (z.null_count < v->count));
    *zone = z;
    return COL_OK;
}

col_status
col_chunk_build(const struct col_values *v, struct col_chunk_built *out, struct col_error *err)
{
    assert(v != NULL && out != NULL);
    struct col_chunk_built b = {0};
    col_status status = col_zone_compute(v, &b.zone, err);
    if (status != COL_OK) {
        return status;
    }
    b.encoding = col_encoding_choose(v);
    b.size_bytes = col_encoded_size(b.encoding, v);
    if (b.size_bytes == SIZE_MAX) { /* a dictionary sized once, then not again: no memory */
        return col_fail(err, COL_NOMEM, "out of memory sizing a dictionary");
    }
    /* malloc's alignment is 16 on this ABI, the 8 the layout asks for and more. */
    b.bytes = malloc(b.size_bytes);
    if (b.bytes == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a %zu-byte chunk", b.size_bytes);
    }
    status = col_encode(b.encoding, v, b.bytes, b.size_bytes, err);
    if (status != COL_OK) {
        free(b.bytes);
        return status;
    }
    b.crc32c = col_crc32c(0, b.bytes, b.size_bytes);
    *out = b;
    return COL_OK;
}

/* Reads size_bytes at offset of table's file; a short file is COL_CORRUPT, as the footer says
 * the chunk is there. */
static col_status
read_exactly(const struct col_table *table, void *buf, size_t size_bytes, uint64_t offset,
             struct col_error *err)
{
    char *p = buf;
    while (size_bytes > 0) {
        ssize_t n = pread(col_table_fd(table), p, size_bytes, (off_t)offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return col_fail(err, COL_IO, "%s: cannot read at offset %llu: %s",
                            col_table_path(table), (unsigned long long)offset, strerror(errno));
        }
        if (n == 0) {
            return col_fail(err, COL_CORRUPT, "%s: truncated: the file ends at offset %llu",
                            col_table_path(table), (unsigned long long)offset);
        }
        p += n;
        size_bytes -= (size_t)n;
        offset += (uint64_t)n;
    }
    return COL_OK;
}

/* The chunk's header against the footer: what was written there is what the footer says. */
static col_status
header_matches(const struct col_table *table, uint32_t group, uint32_t column, const void *bytes,
               struct col_error *err)
{
    const struct col_chunk_meta *meta = col_table_chunk(table, group, column);
    const struct col_column *col = &col_table_schema(table)->columns[column];
    struct col_chunk_header h;
    memcpy(&h, bytes, sizeof(h));
    if (h.encoding != meta->encoding || h.type != col->type ||
        h.row_count != col_table_group_rows(table, group)) {
        return col_fail(err, COL_CORRUPT,
                        "%s: row group %u, column '%s': the chunk says %s %s of %u rows, the "
                        "footer %s %s of %u",
                        col_table_path(table), group, col->name,
                        col_encoding_name((enum col_encoding)h.encoding),
                        col_type_name((enum col_type)h.type), h.row_count,
                        col_encoding_name(meta->encoding), col_type_name(col->type),
                        col_table_group_rows(table, group));
    }
    return COL_OK;
}

col_status
col_chunk_read(const struct col_table *table, uint32_t group, uint32_t column, void **bytes,
               size_t *size_bytes, struct col_error *err)
{
    assert(table != NULL && bytes != NULL && size_bytes != NULL);
    if (group >= col_table_group_count(table) || column >= col_table_schema(table)->column_count) {
        return col_fail(err, COL_INVALID, "%s: no chunk at row group %u, column %u",
                        col_table_path(table), group, column);
    }
    const struct col_chunk_meta *meta = col_table_chunk(table, group, column);
    assert(meta->size_bytes >= sizeof(struct col_chunk_header)); /* the reader checked */
    void *buf = malloc(meta->size_bytes);
    if (buf == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a %llu-byte chunk",
                        (unsigned long long)meta->size_bytes);
    }
    col_status status = read_exactly(table, buf, meta->size_bytes, meta->offset, err);
    if (status == COL_OK && col_crc32c(0, buf, meta->size_bytes) != meta->crc32c) {
        status =
            col_fail(err, COL_CORRUPT, "%s: row group %u, column '%s' fails its checksum",
                     col_table_path(table), group, col_table_schema(table)->columns[column].name);
    }
    if (status == COL_OK) {
        status = header_matches(table, group, column, buf, err);
    }
    if (status != COL_OK) {
        free(buf);
        return status;
    }
    *bytes = buf;
    *size_bytes = meta->size_bytes;
    return COL_OK;
}
