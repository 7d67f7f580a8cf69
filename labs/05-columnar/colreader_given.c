/* colreader_given.c -- the kit's table reader (colfile.h, lab 05): a table file's header,
 * trailer and footer, each checked field by field before any of it is trusted. The chunks are
 * read by col_chunk_read (yours, chunk.c). Students do not change this file. */
#include "colfile.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOOTER_SIZE_MAX (1ull << 32) /* bytes: 2^20 groups of 2 columns, or 2^16 of 64, fit */

struct col_table {
    char *path;
    int fd;
    uint64_t id;
    struct col_schema schema;
    uint64_t row_count;
    uint32_t group_count;
    uint32_t group_rows_max;
    uint32_t *group_rows;
    struct col_chunk_meta *chunks; /* group_count * column_count, group-major */
    char *strings;                 /* string zone maps point here */
};

static atomic_uint_fast64_t next_table_id = 1;

static col_status
read_all(int fd, void *buf, size_t size_bytes, uint64_t offset, const char *path,
         struct col_error *err)
{
    char *p = buf;
    while (size_bytes > 0) {
        ssize_t n = pread(fd, p, size_bytes, (off_t)offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return col_fail(err, COL_IO, "%s: cannot read at offset %llu: %s", path,
                            (unsigned long long)offset, strerror(errno));
        }
        if (n == 0) {
            return col_fail(err, COL_CORRUPT, "%s: truncated: the file ends at offset %llu", path,
                            (unsigned long long)offset);
        }
        p += n;
        size_bytes -= (size_t)n;
        offset += (uint64_t)n;
    }
    return COL_OK;
}

static col_status
header_check(int fd, const char *path, uint64_t file_size, struct col_error *err)
{
    if (file_size < sizeof(struct col_file_header) + sizeof(struct col_file_trailer)) {
        return col_fail(err, COL_CORRUPT,
                        "%s: truncated: %llu bytes, a table file has at least %zu", path,
                        (unsigned long long)file_size,
                        sizeof(struct col_file_header) + sizeof(struct col_file_trailer));
    }
    struct col_file_header header;
    col_status status = read_all(fd, &header, sizeof(header), 0, path, err);
    if (status != COL_OK) {
        return status;
    }
    if (memcmp(header.magic, COL_FILE_MAGIC, sizeof(header.magic)) != 0) {
        return col_fail(err, COL_CORRUPT,
                        "%s: not a Keel column file (its first 8 bytes are not %s)", path,
                        COL_FILE_MAGIC);
    }
    if (header.crc32c != col_crc32c(0, &header, offsetof(struct col_file_header, crc32c))) {
        return col_fail(err, COL_CORRUPT, "%s: the header fails its checksum", path);
    }
    if (header.version > COL_FORMAT_VERSION) {
        return col_fail(err, COL_VERSION,
                        "%s: format version %u is newer than this reader's (%u): read it with the "
                        "kit that wrote it, or load the data again",
                        path, header.version, COL_FORMAT_VERSION);
    }
    if (header.version == 0) {
        return col_fail(err, COL_CORRUPT, "%s: format version 0 does not exist", path);
    }
    return COL_OK;
}

/* Reads and checks the trailer, then the footer's bytes into *footer (malloc'd). */
static col_status
footer_read(int fd, const char *path, uint64_t file_size, void **footer, size_t *footer_size,
            struct col_error *err)
{
    struct col_file_trailer t;
    col_status status = read_all(fd, &t, sizeof(t), file_size - sizeof(t), path, err);
    if (status != COL_OK) {
        return status;
    }
    if (t.magic != COL_TRAILER_MAGIC) {
        return col_fail(err, COL_CORRUPT,
                        "%s: no trailer at the end of the file: truncated, or not finished", path);
    }
    uint64_t footer_end = file_size - sizeof(t);
    if (t.footer_offset < sizeof(struct col_file_header) || t.footer_offset % 8 != 0 ||
        t.footer_offset > footer_end || t.footer_size_bytes != footer_end - t.footer_offset ||
        t.footer_size_bytes < sizeof(struct col_file_footer) ||
        t.footer_size_bytes > FOOTER_SIZE_MAX) {
        return col_fail(
            err, COL_CORRUPT,
            "%s: the trailer puts a %llu-byte footer at offset %llu of a %llu-byte file", path,
            (unsigned long long)t.footer_size_bytes, (unsigned long long)t.footer_offset,
            (unsigned long long)file_size);
    }
    void *bytes = malloc(t.footer_size_bytes);
    if (bytes == NULL) {
        return col_fail(err, COL_NOMEM, "%s: out of memory for a %llu-byte footer", path,
                        (unsigned long long)t.footer_size_bytes);
    }
    status = read_all(fd, bytes, t.footer_size_bytes, t.footer_offset, path, err);
    if (status == COL_OK && col_crc32c(0, bytes, t.footer_size_bytes) != t.footer_crc32c) {
        status = col_fail(err, COL_CORRUPT, "%s: the footer fails its checksum", path);
    }
    if (status != COL_OK) {
        free(bytes);
        return status;
    }
    *footer = bytes;
    *footer_size = t.footer_size_bytes;
    return COL_OK;
}

/* The schema from the footer's column entries, checked as col_writer_open checks one. */
static col_status
footer_schema(struct col_table *t, const struct col_file_footer *head,
              const struct col_file_column *cols, struct col_error *err)
{
    if (head->column_count == 0 || head->column_count > COL_COLUMNS_MAX) {
        return col_fail(err, COL_CORRUPT, "%s: the footer says %u columns", t->path,
                        head->column_count);
    }
    t->schema.column_count = head->column_count;
    for (uint32_t c = 0; c < head->column_count; c++) {
        struct col_file_column col;
        memcpy(&col, &cols[c], sizeof(col));
        if (memchr(col.name, 0, sizeof(col.name)) == NULL) {
            return col_fail(err, COL_CORRUPT, "%s: column %u's name has no end", t->path, c);
        }
        memcpy(t->schema.columns[c].name, col.name, sizeof(col.name));
        t->schema.columns[c].type = (enum col_type)col.type;
        t->schema.columns[c].scale = col.scale;
    }
    col_status status = col_schema_check(&t->schema, err);
    if (status != COL_OK) {
        return col_fail(err, COL_CORRUPT, "%s: the footer's schema: %s", t->path,
                        err != NULL ? err->message : col_strerror(status));
    }
    return COL_OK;
}

/* Row counts: every group but the last holds group_rows, the last 1 .. group_rows, and they
 * add up to row_count. */
static col_status
footer_groups(struct col_table *t, const struct col_file_footer *head, const char *counts,
              struct col_error *err)
{
    if (head->group_rows == 0 || head->group_rows > COL_GROUP_ROWS_MAX ||
        head->group_count > COL_ROW_GROUPS_MAX) {
        return col_fail(err, COL_CORRUPT, "%s: the footer says %u groups of %u rows", t->path,
                        head->group_count, head->group_rows);
    }
    t->group_rows = malloc((head->group_count + 1) * sizeof(uint32_t));
    if (t->group_rows == NULL) {
        return col_fail(err, COL_NOMEM, "%s: out of memory for the footer", t->path);
    }
    uint64_t total = 0;
    for (uint32_t g = 0; g < head->group_count; g++) {
        uint64_t rows;
        memcpy(&rows, counts + g * sizeof(uint64_t), sizeof(rows));
        bool is_last = g + 1 == head->group_count;
        if (rows == 0 || rows > head->group_rows || (!is_last && rows != head->group_rows)) {
            return col_fail(err, COL_CORRUPT, "%s: row group %u holds %llu rows (groups hold %u)",
                            t->path, g, (unsigned long long)rows, head->group_rows);
        }
        t->group_rows[g] = (uint32_t)rows;
        total += rows;
    }
    if (total != head->row_count) {
        return col_fail(err, COL_CORRUPT, "%s: the row groups hold %llu rows, the footer says %llu",
                        t->path, (unsigned long long)total, (unsigned long long)head->row_count);
    }
    t->group_count = head->group_count;
    t->group_rows_max = head->group_rows;
    t->row_count = head->row_count;
    return COL_OK;
}

/* A string zone bound: offset | size << 32 inside the footer's strings. */
static bool
footer_string_at(const struct col_table *t, uint64_t place, uint32_t strings_size,
                 struct col_str *out)
{
    uint64_t offset = place & 0xffffffffu, size = place >> 32;
    if (offset > strings_size || size > strings_size - offset || size > COL_STRING_SIZE_MAX) {
        return false;
    }
    *out = (struct col_str){t->strings + offset, (uint32_t)size};
    return true;
}

static col_status
footer_chunk(struct col_table *t, const struct col_file_chunk *e, uint32_t g, uint32_t c,
             uint64_t footer_offset, uint32_t strings_size, struct col_error *err)
{
    const struct col_column *col = &t->schema.columns[c];
    uint32_t rows = t->group_rows[g];
    bool has_min_max = e->null_count < rows;
    if (e->offset < sizeof(struct col_file_header) || e->offset % 8 != 0 ||
        e->size_bytes < sizeof(struct col_chunk_header) || e->offset > footer_offset ||
        e->size_bytes > footer_offset - e->offset || e->encoding >= COL_ENCODING_COUNT ||
        e->null_count > rows || e->has_min_max != has_min_max) {
        return col_fail(err, COL_CORRUPT,
                        "%s: the footer's entry for row group %u, column '%s' is not a chunk "
                        "of this file",
                        t->path, g, col->name);
    }
    struct col_chunk_meta *m = &t->chunks[(size_t)g * t->schema.column_count + c];
    *m = (struct col_chunk_meta){.offset = e->offset,
                                 .size_bytes = e->size_bytes,
                                 .crc32c = e->crc32c,
                                 .encoding = (enum col_encoding)e->encoding,
                                 .zone = {.null_count = e->null_count, .has_min_max = has_min_max}};
    if (!has_min_max) {
        return COL_OK;
    }
    if (col->type == COL_STRING) {
        if (!footer_string_at(t, e->min, strings_size, &m->zone.min.str) ||
            !footer_string_at(t, e->max, strings_size, &m->zone.max.str)) {
            return col_fail(err, COL_CORRUPT,
                            "%s: row group %u, column '%s': a zone map outside the footer", t->path,
                            g, col->name);
        }
    } else {
        memcpy(&m->zone.min, &e->min, sizeof(e->min));
        memcpy(&m->zone.max, &e->max, sizeof(e->max));
    }
    return COL_OK;
}

static col_status
footer_parse(struct col_table *t, const char *bytes, size_t size, uint64_t footer_offset,
             struct col_error *err)
{
    struct col_file_footer head;
    memcpy(&head, bytes, sizeof(head));
    uint64_t columns = head.column_count, groups = head.group_count;
    uint64_t fixed = sizeof(head) + columns * sizeof(struct col_file_column) +
                     groups * sizeof(uint64_t) + groups * columns * sizeof(struct col_file_chunk);
    if (columns > COL_COLUMNS_MAX || groups > COL_ROW_GROUPS_MAX ||
        fixed + head.strings_size_bytes != size) {
        return col_fail(err, COL_CORRUPT,
                        "%s: a footer of %zu bytes cannot hold %llu row groups of %llu columns",
                        t->path, size, (unsigned long long)groups, (unsigned long long)columns);
    }
    col_status status = footer_schema(t, &head, (const void *)(bytes + sizeof(head)), err);
    if (status != COL_OK) {
        return status;
    }
    const char *counts = bytes + sizeof(head) + columns * sizeof(struct col_file_column);
    status = footer_groups(t, &head, counts, err);
    if (status != COL_OK) {
        return status;
    }
    t->strings = malloc(head.strings_size_bytes + 1u);
    t->chunks = malloc((groups * columns + 1) * sizeof(struct col_chunk_meta));
    if (t->strings == NULL || t->chunks == NULL) {
        return col_fail(err, COL_NOMEM, "%s: out of memory for the footer", t->path);
    }
    memcpy(t->strings, bytes + fixed, head.strings_size_bytes);
    const char *entries = counts + groups * sizeof(uint64_t);
    for (uint32_t g = 0; g < head.group_count; g++) {
        for (uint32_t c = 0; c < head.column_count; c++) {
            struct col_file_chunk e;
            memcpy(&e, entries + ((size_t)g * columns + c) * sizeof(e), sizeof(e));
            status = footer_chunk(t, &e, g, c, footer_offset, head.strings_size_bytes, err);
            if (status != COL_OK) {
                return status;
            }
        }
    }
    return COL_OK;
}

static col_status
table_load(struct col_table *t, struct col_error *err)
{
    struct stat st;
    if (fstat(t->fd, &st) != 0) {
        return col_fail(err, COL_IO, "%s: fstat: %s", t->path, strerror(errno));
    }
    uint64_t file_size = (uint64_t)st.st_size;
    col_status status = header_check(t->fd, t->path, file_size, err);
    void *footer = NULL;
    size_t footer_size = 0;
    if (status == COL_OK) {
        status = footer_read(t->fd, t->path, file_size, &footer, &footer_size, err);
    }
    if (status == COL_OK) {
        uint64_t footer_offset = file_size - sizeof(struct col_file_trailer) - footer_size;
        status = footer_parse(t, footer, footer_size, footer_offset, err);
    }
    free(footer);
    return status;
}

col_status
col_table_open(const char *path, struct col_table **out, struct col_error *err)
{
    assert(path != NULL && out != NULL);
    struct col_table *t = calloc(1, sizeof(*t));
    if (t == NULL || (t->path = strdup(path)) == NULL) {
        free(t);
        return col_fail(err, COL_NOMEM, "%s: out of memory", path);
    }
    t->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->fd < 0) {
        int saved = errno;
        col_table_close(t);
        return col_fail(err, saved == ENOENT ? COL_NOT_FOUND : COL_IO, "%s: cannot open: %s", path,
                        strerror(saved));
    }
    col_status status = table_load(t, err);
    if (status != COL_OK) {
        col_table_close(t);
        return status;
    }
    t->id = atomic_fetch_add(&next_table_id, 1);
    *out = t;
    return COL_OK;
}

void
col_table_close(struct col_table *t)
{
    if (t == NULL) {
        return;
    }
    if (t->fd >= 0) {
        close(t->fd);
    }
    free(t->path);
    free(t->group_rows);
    free(t->chunks);
    free(t->strings);
    free(t);
}

const char *
col_table_path(const struct col_table *t)
{
    return t->path;
}

const struct col_schema *
col_table_schema(const struct col_table *t)
{
    return &t->schema;
}

uint64_t
col_table_row_count(const struct col_table *t)
{
    return t->row_count;
}

uint32_t
col_table_group_count(const struct col_table *t)
{
    return t->group_count;
}

uint32_t
col_table_group_rows_max(const struct col_table *t)
{
    return t->group_rows_max;
}

uint32_t
col_table_group_rows(const struct col_table *t, uint32_t group)
{
    assert(group < t->group_count);
    return t->group_rows[group];
}

const struct col_chunk_meta *
col_table_chunk(const struct col_table *t, uint32_t group, uint32_t column)
{
    assert(group < t->group_count);
    assert(column < t->schema.column_count);
    return &t->chunks[(size_t)group * t->schema.column_count + column];
}

int
col_table_fd(const struct col_table *t)
{
    return t->fd;
}

uint64_t
col_table_id(const struct col_table *t)
{
    return t->id;
}
