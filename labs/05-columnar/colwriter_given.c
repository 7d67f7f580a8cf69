/* colwriter_given.c -- the kit's table writer (colfile.h, lab 05): it buffers rows into row
 * groups, asks col_chunk_build (yours, chunk.c) for each chunk, writes the chunks and then the
 * footer to a temporary file, and renames it into place. Students do not change this file. */
#include "colfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARENA_BLOCK_BYTES (1u << 20) /* string bytes of a row group, in blocks that never move */
#define APPEND_ROWS_MAX (COL_VECTOR_SIZE * 16u)

struct arena_block {
    struct arena_block *next;
    size_t used_bytes;
    size_t size_bytes;
    char bytes[];
};

struct col_writer {
    char path[PATH_MAX];
    char tmp_path[PATH_MAX];
    int fd;
    struct col_schema schema;
    uint32_t group_rows;
    col_status failed; /* COL_OK until a call fails; then every call returns it */
    struct col_error failure;
    uint64_t next_offset; /* where the next chunk goes */
    uint64_t row_count;
    /* The row group being filled: buffered rows, a column's values, its validity (all ones
     * until a NULL comes), and the string bytes its col_str values point into. */
    uint32_t buffered;
    void *values[COL_COLUMNS_MAX];
    uint64_t *validity[COL_COLUMNS_MAX];
    bool has_null[COL_COLUMNS_MAX];
    struct arena_block *arena;
    /* What the footer will say. */
    struct col_file_chunk *chunks;
    size_t chunk_count, chunk_capacity;
    uint64_t *group_row_counts;
    uint32_t group_count;
    size_t group_capacity;
    char *strings;
    size_t strings_size_bytes, strings_capacity;
};

static col_status
write_all(int fd, const void *buf, size_t size_bytes, uint64_t offset, const char *path,
          struct col_error *err)
{
    const char *p = buf;
    while (size_bytes > 0) {
        ssize_t n = pwrite(fd, p, size_bytes, (off_t)offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return col_fail(err, COL_IO, "%s: cannot write %zu bytes at offset %llu: %s", path,
                            size_bytes, (unsigned long long)offset,
                            n < 0 ? strerror(errno) : "no progress");
        }
        p += n;
        size_bytes -= (size_t)n;
        offset += (uint64_t)n;
    }
    return COL_OK;
}

/* Grows *array (of element_size elements, *capacity of them) to hold at least needed. */
static bool
grow(void **array, size_t *capacity, size_t needed, size_t element_size)
{
    if (needed <= *capacity) {
        return true;
    }
    size_t capacity_new = *capacity ? *capacity * 2 : 64;
    while (capacity_new < needed) {
        capacity_new *= 2;
    }
    void *p = realloc(*array, capacity_new * element_size);
    if (p == NULL) {
        return false;
    }
    *array = p;
    *capacity = capacity_new;
    return true;
}

col_status
col_schema_check(const struct col_schema *schema, struct col_error *err)
{
    if (schema->column_count == 0 || schema->column_count > COL_COLUMNS_MAX) {
        return col_fail(err, COL_INVALID, "a table has 1 to %u columns, not %u", COL_COLUMNS_MAX,
                        schema->column_count);
    }
    for (uint32_t c = 0; c < schema->column_count; c++) {
        const struct col_column *col = &schema->columns[c];
        size_t length = strnlen(col->name, COL_NAME_SIZE_MAX);
        if (length == 0 || length == COL_NAME_SIZE_MAX) {
            return col_fail(err, COL_INVALID, "column %u: a name of 1 to %u bytes", c,
                            COL_NAME_SIZE_MAX - 1);
        }
        if ((unsigned)col->type >= COL_TYPE_COUNT) {
            return col_fail(err, COL_INVALID, "column '%s': unknown type %d", col->name,
                            (int)col->type);
        }
        if (col->scale > COL_DECIMAL_SCALE_MAX || (col->scale > 0 && col->type != COL_DECIMAL)) {
            return col_fail(err, COL_INVALID, "column '%s': scale %u on a %s", col->name,
                            col->scale, col_type_name(col->type));
        }
        for (uint32_t before = 0; before < c; before++) {
            if (strcmp(schema->columns[before].name, col->name) == 0) {
                return col_fail(err, COL_INVALID, "column '%s' named twice", col->name);
            }
        }
    }
    return COL_OK;
}

static void
writer_free(struct col_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
    }
    for (uint32_t c = 0; c < w->schema.column_count; c++) {
        free(w->values[c]);
        free(w->validity[c]);
    }
    while (w->arena != NULL) {
        struct arena_block *next = w->arena->next;
        free(w->arena);
        w->arena = next;
    }
    free(w->chunks);
    free(w->group_row_counts);
    free(w->strings);
    free(w);
}

col_status
col_writer_open(const char *path, const struct col_schema *schema, uint32_t group_rows,
                struct col_writer **out, struct col_error *err)
{
    assert(path != NULL && schema != NULL && out != NULL);
    col_status status = col_schema_check(schema, err);
    if (status != COL_OK) {
        return status;
    }
    if (group_rows == 0 || group_rows > COL_GROUP_ROWS_MAX) {
        return col_fail(err, COL_INVALID, "a row group holds 1 to %u rows, not %u",
                        COL_GROUP_ROWS_MAX, group_rows);
    }
    struct col_writer *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a writer");
    }
    w->fd = -1;
    w->schema = *schema;
    w->group_rows = group_rows;
    if ((size_t)snprintf(w->path, sizeof(w->path), "%s", path) >= sizeof(w->path) ||
        (size_t)snprintf(w->tmp_path, sizeof(w->tmp_path), "%s.tmp", path) >= sizeof(w->tmp_path)) {
        writer_free(w);
        return col_fail(err, COL_INVALID, "%s: path too long", path);
    }
    for (uint32_t c = 0; c < schema->column_count; c++) {
        w->values[c] = malloc((size_t)group_rows * col_type_width(schema->columns[c].type));
        w->validity[c] = malloc(col_validity_words(group_rows) * sizeof(uint64_t));
        if (w->values[c] == NULL || w->validity[c] == NULL) {
            writer_free(w);
            return col_fail(err, COL_NOMEM, "out of memory for a row group of %u rows", group_rows);
        }
        memset(w->validity[c], 0xff, col_validity_words(group_rows) * sizeof(uint64_t));
    }
    w->fd = open(w->tmp_path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        status = col_fail(err, COL_IO, "%s: cannot create: %s", w->tmp_path, strerror(errno));
        writer_free(w);
        return status;
    }
    struct col_file_header header = {.version = COL_FORMAT_VERSION};
    memcpy(header.magic, COL_FILE_MAGIC, sizeof(header.magic));
    header.crc32c = col_crc32c(0, &header, offsetof(struct col_file_header, crc32c));
    status = write_all(w->fd, &header, sizeof(header), 0, w->tmp_path, err);
    if (status != COL_OK) {
        col_writer_abort(w);
        return status;
    }
    w->next_offset = sizeof(header);
    *out = w;
    return COL_OK;
}

static col_status
writer_failed(struct col_writer *w, col_status status, const struct col_error *err)
{
    assert(status != COL_OK);
    w->failed = status;
    if (err != NULL) {
        w->failure = *err;
    } else {
        w->failure.status = status;
        snprintf(w->failure.message, sizeof(w->failure.message), "%s", col_strerror(status));
    }
    return status;
}

/* Copies size_bytes string bytes into the row group's arena; NULL when out of memory. */
static const char *
arena_copy(struct col_writer *w, const char *bytes, uint32_t size_bytes)
{
    struct arena_block *b = w->arena;
    if (b == NULL || b->size_bytes - b->used_bytes < size_bytes) {
        size_t block_size = size_bytes > ARENA_BLOCK_BYTES ? size_bytes : ARENA_BLOCK_BYTES;
        b = malloc(sizeof(*b) + block_size);
        if (b == NULL) {
            return NULL;
        }
        b->next = w->arena;
        b->used_bytes = 0;
        b->size_bytes = block_size;
        w->arena = b;
    }
    char *copy = b->bytes + b->used_bytes;
    if (size_bytes > 0) {
        memcpy(copy, bytes, size_bytes);
    }
    b->used_bytes += size_bytes;
    return copy;
}

/* Keeps the string zone bound s in the footer's strings; its place is offset | size << 32. */
static bool
footer_string(struct col_writer *w, struct col_str s, uint64_t *place)
{
    if (!grow((void **)&w->strings, &w->strings_capacity, w->strings_size_bytes + s.size_bytes,
              1)) {
        return false;
    }
    if (w->strings_size_bytes + s.size_bytes > UINT32_MAX) {
        return false;
    }
    if (s.size_bytes > 0) {
        memcpy(w->strings + w->strings_size_bytes, s.ptr, s.size_bytes);
    }
    *place = (uint64_t)w->strings_size_bytes | (uint64_t)s.size_bytes << 32;
    w->strings_size_bytes += s.size_bytes;
    return true;
}

static col_status
footer_entry(struct col_writer *w, const struct col_chunk_built *built, enum col_type type,
             uint64_t offset, struct col_error *err)
{
    struct col_file_chunk e = {.offset = offset,
                               .size_bytes = built->size_bytes,
                               .crc32c = built->crc32c,
                               .null_count = built->zone.null_count,
                               .encoding = (uint8_t)built->encoding,
                               .has_min_max = built->zone.has_min_max};
    if (built->zone.has_min_max && type == COL_STRING) {
        if (!footer_string(w, built->zone.min.str, &e.min) ||
            !footer_string(w, built->zone.max.str, &e.max)) {
            return col_fail(err, COL_NOMEM, "out of memory for the footer's zone maps");
        }
    } else if (built->zone.has_min_max) {
        memcpy(&e.min, &built->zone.min, sizeof(e.min)); /* i64, or a double's bits */
        memcpy(&e.max, &built->zone.max, sizeof(e.max));
    }
    if (!grow((void **)&w->chunks, &w->chunk_capacity, w->chunk_count + 1, sizeof(e))) {
        return col_fail(err, COL_NOMEM, "out of memory for the footer");
    }
    w->chunks[w->chunk_count++] = e;
    return COL_OK;
}

/* Writes the buffered rows as one row group: a chunk per column, then empties the buffers. */
static col_status
writer_flush_group(struct col_writer *w, struct col_error *err)
{
    assert(w->buffered > 0);
    if (w->group_count >= COL_ROW_GROUPS_MAX) {
        return col_fail(err, COL_TOO_BIG, "%s: over %u row groups", w->path, COL_ROW_GROUPS_MAX);
    }
    static const uint8_t zeros[8];
    for (uint32_t c = 0; c < w->schema.column_count; c++) {
        enum col_type type = w->schema.columns[c].type;
        struct col_values v = {type, w->buffered, w->values[c],
                               w->has_null[c] ? w->validity[c] : NULL};
        struct col_chunk_built built;
        col_status status = col_chunk_build(&v, &built, err);
        if (status != COL_OK) {
            return status;
        }
        uint64_t offset = w->next_offset;
        status = write_all(w->fd, built.bytes, built.size_bytes, offset, w->tmp_path, err);
        size_t padding = (8 - built.size_bytes % 8) % 8;
        if (status == COL_OK && padding > 0) {
            status = write_all(w->fd, zeros, padding, offset + built.size_bytes, w->tmp_path, err);
        }
        if (status == COL_OK) {
            status = footer_entry(w, &built, type, offset, err);
        }
        free(built.bytes);
        if (status != COL_OK) {
            return status;
        }
        w->next_offset = offset + built.size_bytes + padding;
        memset(w->validity[c], 0xff, col_validity_words(w->group_rows) * sizeof(uint64_t));
        w->has_null[c] = false;
    }
    if (!grow((void **)&w->group_row_counts, &w->group_capacity, (size_t)w->group_count + 1,
              sizeof(uint64_t))) {
        return col_fail(err, COL_NOMEM, "out of memory for the footer");
    }
    w->group_row_counts[w->group_count++] = w->buffered;
    w->row_count += w->buffered;
    w->buffered = 0;
    while (w->arena != NULL && w->arena->next != NULL) { /* keep one block for the next group */
        struct arena_block *next = w->arena->next;
        free(w->arena);
        w->arena = next;
    }
    if (w->arena != NULL) {
        w->arena->used_bytes = 0;
    }
    return COL_OK;
}

static col_status
append_check(const struct col_writer *w, const struct col_values *columns, struct col_error *err)
{
    uint32_t count = columns[0].count;
    if (count > APPEND_ROWS_MAX) {
        return col_fail(err, COL_INVALID, "%s: %u rows in one append, over %u", w->path, count,
                        APPEND_ROWS_MAX);
    }
    for (uint32_t c = 0; c < w->schema.column_count; c++) {
        const struct col_column *col = &w->schema.columns[c];
        const struct col_values *v = &columns[c];
        if (v->type != col->type || v->count != count || (count > 0 && v->data == NULL)) {
            return col_fail(err, COL_INVALID,
                            "%s: column '%s' is %s with %u rows; %s with %u was given", w->path,
                            col->name, col_type_name(col->type), count, col_type_name(v->type),
                            v->count);
        }
        for (uint32_t row = 0; row < count; row++) {
            if (!col_is_valid(v->validity, row)) {
                continue;
            }
            if (col->type == COL_FLOAT64 && isnan(((const double *)v->data)[row])) {
                return col_fail(err, COL_INVALID, "%s: column '%s', row %llu: NaN", w->path,
                                col->name, (unsigned long long)(w->row_count + w->buffered + row));
            }
            if (col->type == COL_STRING &&
                ((const struct col_str *)v->data)[row].size_bytes > COL_STRING_SIZE_MAX) {
                return col_fail(err, COL_TOO_BIG,
                                "%s: column '%s', row %llu: a string over %u bytes", w->path,
                                col->name, (unsigned long long)(w->row_count + w->buffered + row),
                                COL_STRING_SIZE_MAX);
            }
        }
    }
    return COL_OK;
}

/* Copies rows [from, from + count) of v to the buffered row group of column c. */
static col_status
append_span(struct col_writer *w, uint32_t c, const struct col_values *v, uint32_t from,
            uint32_t count, struct col_error *err)
{
    size_t width = col_type_width(v->type);
    char *dst = (char *)w->values[c] + (size_t)w->buffered * width;
    memcpy(dst, (const char *)v->data + (size_t)from * width, (size_t)count * width);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t at = w->buffered + i;
        if (!col_is_valid(v->validity, from + i)) {
            w->validity[c][at / 64] &= ~(1ull << (at % 64));
            w->has_null[c] = true;
        } else if (v->type == COL_STRING) {
            struct col_str *s = (struct col_str *)dst + i;
            const char *copy = arena_copy(w, s->ptr, s->size_bytes);
            if (copy == NULL) {
                return col_fail(err, COL_NOMEM, "out of memory for a row group's strings");
            }
            s->ptr = copy;
        }
    }
    if (v->type == COL_STRING) { /* a NULL string is the empty one, pointing nowhere */
        for (uint32_t i = 0; i < count; i++) {
            if (!col_is_valid(v->validity, from + i)) {
                ((struct col_str *)dst)[i] = (struct col_str){"", 0};
            }
        }
    }
    return COL_OK;
}

col_status
col_writer_append(struct col_writer *w, const struct col_values *columns, struct col_error *err)
{
    assert(w != NULL && columns != NULL);
    if (w->failed != COL_OK) {
        return col_fail(err, w->failed, "%s", w->failure.message);
    }
    struct col_error local;
    struct col_error *e = err != NULL ? err : &local;
    col_status status = append_check(w, columns, e);
    uint32_t count = columns[0].count;
    for (uint32_t done = 0; status == COL_OK && done < count;) {
        uint32_t span = w->group_rows - w->buffered;
        span = span < count - done ? span : count - done;
        for (uint32_t c = 0; status == COL_OK && c < w->schema.column_count; c++) {
            status = append_span(w, c, &columns[c], done, span, e);
        }
        if (status != COL_OK) {
            break;
        }
        w->buffered += span;
        done += span;
        if (w->buffered == w->group_rows) {
            status = writer_flush_group(w, e);
        }
    }
    return status == COL_OK ? COL_OK : writer_failed(w, status, e);
}

/* Lays the footer out in memory: head, columns, group row counts, chunks, strings. */
static void *
footer_bytes(const struct col_writer *w, size_t *size_bytes)
{
    uint32_t columns = w->schema.column_count;
    size_t size = sizeof(struct col_file_footer) + columns * sizeof(struct col_file_column) +
                  w->group_count * sizeof(uint64_t) +
                  w->chunk_count * sizeof(struct col_file_chunk) + w->strings_size_bytes;
    char *bytes = calloc(1, size);
    if (bytes == NULL) {
        return NULL;
    }
    struct col_file_footer head = {columns, w->group_count, w->row_count, w->group_rows,
                                   (uint32_t)w->strings_size_bytes};
    char *p = bytes;
    memcpy(p, &head, sizeof(head));
    p += sizeof(head);
    for (uint32_t c = 0; c < columns; c++, p += sizeof(struct col_file_column)) {
        struct col_file_column col = {.type = (uint8_t)w->schema.columns[c].type,
                                      .scale = w->schema.columns[c].scale};
        memcpy(col.name, w->schema.columns[c].name, sizeof(col.name));
        memcpy(p, &col, sizeof(col));
    }
    if (w->group_count > 0) { /* an empty table has no groups, and no arrays to copy */
        memcpy(p, w->group_row_counts, w->group_count * sizeof(uint64_t));
        p += w->group_count * sizeof(uint64_t);
        memcpy(p, w->chunks, w->chunk_count * sizeof(struct col_file_chunk));
        p += w->chunk_count * sizeof(struct col_file_chunk);
    }
    if (w->strings_size_bytes > 0) {
        memcpy(p, w->strings, w->strings_size_bytes);
    }
    *size_bytes = size;
    return bytes;
}

static col_status
writer_sync_and_rename(struct col_writer *w, struct col_error *err)
{
    if (fsync(w->fd) != 0) {
        return col_fail(err, COL_IO, "%s: fsync: %s", w->tmp_path, strerror(errno));
    }
    if (rename(w->tmp_path, w->path) != 0) {
        return col_fail(err, COL_IO, "cannot rename %s to %s: %s", w->tmp_path, w->path,
                        strerror(errno));
    }
    /* The new name is durable only once its directory is synced. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", w->path);
    int dir_fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        (void)fsync(dir_fd);
        close(dir_fd);
    }
    return COL_OK;
}

col_status
col_writer_finish(struct col_writer *w, struct col_error *err)
{
    assert(w != NULL);
    struct col_error local;
    struct col_error *e = err != NULL ? err : &local;
    col_status status = w->failed;
    if (status != COL_OK) {
        col_fail(e, status, "%s", w->failure.message);
    }
    if (status == COL_OK && w->buffered > 0) {
        status = writer_flush_group(w, e);
    }
    size_t footer_size = 0;
    void *footer = status == COL_OK ? footer_bytes(w, &footer_size) : NULL;
    if (status == COL_OK && footer == NULL) {
        status = col_fail(e, COL_NOMEM, "out of memory for the footer");
    }
    if (status == COL_OK) {
        struct col_file_trailer trailer = {w->next_offset, footer_size,
                                           col_crc32c(0, footer, footer_size), COL_TRAILER_MAGIC};
        status = write_all(w->fd, footer, footer_size, w->next_offset, w->tmp_path, e);
        if (status == COL_OK) {
            status = write_all(w->fd, &trailer, sizeof(trailer), w->next_offset + footer_size,
                               w->tmp_path, e);
        }
    }
    free(footer);
    if (status == COL_OK) {
        status = writer_sync_and_rename(w, e);
    }
    if (status != COL_OK) {
        col_writer_abort(w);
        return status;
    }
    writer_free(w);
    return COL_OK;
}

void
col_writer_abort(struct col_writer *w)
{
    if (w == NULL) {
        return;
    }
    (void)unlink(w->tmp_path);
    writer_free(w);
}
