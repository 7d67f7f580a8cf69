/* colfile.h -- part A: a table in one column file, its zone maps, and a loader from CSV (lab 05).
 * A table file holds row groups of up to group_rows rows; each row group holds one chunk per
 * column (encoding.h), checksummed, with a zone map (the chunk's NULL count, smallest and
 * largest value) kept in the footer so a scan can skip a row group without reading it. Read
 * the file layout, then col_chunk_build and col_chunk_read (yours, in chunk.c); the writer,
 * the reader's footer checks and the CSV loader are given (colwriter_given.c,
 * colreader_given.c, csv_given.c).
 *
 * File layout, format version 1 (integers little-endian, every chunk 8-byte aligned):
 *
 *   header    16 bytes at offset 0: the magic "KEELCOLF", uint32_t version, uint32_t CRC-32C
 *             of the 12 bytes before it
 *   chunks    row group 0's chunks in column order, then row group 1's, ...: each the bytes
 *             col_encode wrote, then zero bytes to the next multiple of 8
 *   footer    struct col_file_footer; column_count struct col_file_column; group_count
 *             uint64_t row counts (one per row group); group_count * column_count struct
 *             col_file_chunk (row group 0's columns first); then strings_size_bytes bytes
 *             that string zone maps point into
 *   trailer   struct col_file_trailer, the file's last 24 bytes: where the footer is, its
 *             size and CRC-32C, and the magic "KCFT"
 *
 * A reader that meets a version above COL_FORMAT_VERSION stops at the header with
 * COL_VERSION: a newer writer may have changed anything after it. */
#ifndef KEEL_COLFILE_H
#define KEEL_COLFILE_H

#include "encoding.h"

#define COL_FORMAT_VERSION 1u
#define COL_FILE_MAGIC "KEELCOLF"     /* 8 bytes, no NUL */
#define COL_TRAILER_MAGIC 0x5446434bu /* "KCFT" little-endian */
#define COL_FILE_SUFFIX ".kcol"

struct col_file_header {
    char magic[8];
    uint32_t version;
    uint32_t crc32c;
};

struct col_file_footer {
    uint32_t column_count;
    uint32_t group_count;
    uint64_t row_count;
    uint32_t group_rows; /* the most rows a row group holds; every group but the last has them */
    uint32_t strings_size_bytes;
};

struct col_file_column {
    char name[COL_NAME_SIZE_MAX]; /* NUL-terminated */
    uint8_t type;
    uint8_t scale;
    uint8_t reserved[6];
};

/* One chunk's place and zone map. min and max are int64 (INT32, DATE, INT64, DECIMAL) or
 * the bits of a double (FLOAT64); for STRING, the low 32 bits are an offset into the footer's
 * strings and the high 32 bits a size. */
struct col_file_chunk {
    uint64_t offset;
    uint64_t size_bytes;
    uint32_t crc32c;
    uint32_t null_count;
    uint8_t encoding;
    uint8_t has_min_max;
    uint8_t reserved[6];
    uint64_t min;
    uint64_t max;
};

struct col_file_trailer {
    uint64_t footer_offset;
    uint64_t footer_size_bytes;
    uint32_t footer_crc32c;
    uint32_t magic;
};

_Static_assert(sizeof(struct col_file_header) == 16, "the file header is 16 bytes on disk");
_Static_assert(sizeof(struct col_file_footer) == 24, "the footer's head is 24 bytes on disk");
_Static_assert(sizeof(struct col_file_column) == 72, "a column entry is 72 bytes on disk");
_Static_assert(sizeof(struct col_file_chunk) == 48, "a chunk entry is 48 bytes on disk");
_Static_assert(sizeof(struct col_file_trailer) == 24, "the trailer is 24 bytes on disk");

/* A chunk's zone map. null_count counts NULL rows; has_min_max is false when no row is valid
 * (an empty chunk, or every row NULL), and then min and max mean nothing. Otherwise min and
 * max are the smallest and largest valid values (as union col_datum holds them; STRING
 * bounds borrowed from the values, or from the table's footer once written). */
struct col_zone {
    uint32_t null_count;
    bool has_min_max;
    union col_datum min;
    union col_datum max;
};

/* What the reader knows of one chunk without reading it. */
struct col_chunk_meta {
    uint64_t offset;
    uint64_t size_bytes;
    uint32_t crc32c;
    enum col_encoding encoding;
    struct col_zone zone;
};

/* One chunk made ready to write: the writer (given) asks for it once per column per row
 * group. bytes is owned (free() it), size_bytes long, 8-byte aligned. */
struct col_chunk_built {
    void *bytes;
    size_t size_bytes;
    uint32_t crc32c;
    enum col_encoding encoding;
    struct col_zone zone;
};

struct col_writer; /* a table file being written */
struct col_table;  /* a table file open for reading: its footer in memory and a descriptor */

/* Yours (chunk.c). */

/* The zone map of v (NaN never appears: the writer refuses it). STRING bounds point into v.
 * Returns COL_OK, or COL_INVALID for a type not in col.h. O(count). */
col_status col_zone_compute(const struct col_values *v, struct col_zone *zone,
                            struct col_error *err);

/* Makes v into a chunk to write: its zone map, the encoding col_encoding_choose picks, the
 * bytes col_encode writes in it, and their CRC-32C. On COL_OK *out holds them (bytes owned by
 * the caller); on failure (a status of col_encode, or COL_NOMEM) *out is untouched and
 * nothing is left allocated. */
col_status col_chunk_build(const struct col_values *v, struct col_chunk_built *out,
                           struct col_error *err);

/* Reads the bytes of one chunk, group and column of table, from its file into *bytes
 * (malloc'd, 8-byte aligned, owned by the caller) and their size into *size_bytes, and checks
 * them: a file shorter than the footer says is COL_CORRUPT ("truncated"), bytes whose CRC-32C
 * is not the footer's are COL_CORRUPT, and so is a chunk header that disagrees with the footer
 * (its encoding, its type, or its row count and the row group's). Each message names the
 * file, the row group and the column. A failed read is COL_IO; an out-of-range group or
 * column, COL_INVALID. On failure *bytes is untouched. Thread-safe (pread). */
col_status col_chunk_read(const struct col_table *table, uint32_t group, uint32_t column,
                          void **bytes, size_t *size_bytes, struct col_error *err);

/* Given (colwriter_given.c): the writer. */

/* COL_OK when schema is one a table may have: 1 .. COL_COLUMNS_MAX columns, each with a name
 * of 1 .. COL_NAME_SIZE_MAX - 1 bytes no other column has, a known type, and a scale of at
 * most COL_DECIMAL_SCALE_MAX on a DECIMAL only; else COL_INVALID naming the column. */
col_status col_schema_check(const struct col_schema *schema, struct col_error *err);

/* Starts a table file at path with schema, group_rows rows per row group (1 ..
 * COL_GROUP_ROWS_MAX). It writes to path + ".tmp" and replaces path only in
 * col_writer_finish, so whatever happens before, a table already at path is untouched.
 * Returns COL_OK with *out owned by the caller (col_writer_finish or col_writer_abort);
 * COL_INVALID for a bad schema (no columns, over COL_COLUMNS_MAX, an empty, long or repeated
 * name, a scale over COL_DECIMAL_SCALE_MAX or on a type other than DECIMAL) or group_rows;
 * COL_IO. */
col_status col_writer_open(const char *path, const struct col_schema *schema, uint32_t group_rows,
                           struct col_writer **out, struct col_error *err);

/* Appends columns[0 .. column_count) as rows: each of the schema's type, all of one count
 * (up to COL_VECTOR_SIZE * 16 rows a call). Values are copied; columns stay the caller's.
 * Returns COL_OK; COL_INVALID (a type or count that does not match, a NaN), COL_TOO_BIG (a
 * string over COL_STRING_SIZE_MAX, a file over COL_ROW_GROUPS_MAX row groups), COL_IO or
 * COL_NOMEM. After a failure the writer is failed: every later call returns that status. */
col_status col_writer_append(struct col_writer *writer, const struct col_values *columns,
                             struct col_error *err);

/* Writes the last row group, the footer and the trailer, syncs, and renames the file into
 * place at path (then syncs the directory). Frees writer, whatever it returns; on failure the
 * temporary file is removed and path is as it was. */
col_status col_writer_finish(struct col_writer *writer, struct col_error *err);

/* Frees writer and removes its temporary file; path is as it was. NULL is a no-op. */
void col_writer_abort(struct col_writer *writer);

/* Given (colreader_given.c): the reader. */

/* Opens the table file at path and reads its footer, checking everything the layout says
 * (magic, version, checksums of header and footer, sizes, every chunk inside the file,
 * every count within col.h's limits) before trusting any of it. Returns COL_OK with *out
 * owned by the caller (col_table_close); COL_NOT_FOUND; COL_VERSION for a newer format;
 * COL_CORRUPT, naming the field; COL_IO; COL_NOMEM. Chunks are not read here. */
col_status col_table_open(const char *path, struct col_table **out, struct col_error *err);
void col_table_close(struct col_table *table);

/* About an open table; pointers borrowed until col_table_close. Thread-safe. */
const char *col_table_path(const struct col_table *table);
const struct col_schema *col_table_schema(const struct col_table *table);
uint64_t col_table_row_count(const struct col_table *table);
uint32_t col_table_group_count(const struct col_table *table);
uint32_t col_table_group_rows_max(const struct col_table *table);
/* Rows in row group group (< col_table_group_count). */
uint32_t col_table_group_rows(const struct col_table *table, uint32_t group);
/* The footer's entry for one chunk (group < group count, column < column count). */
const struct col_chunk_meta *col_table_chunk(const struct col_table *table, uint32_t group,
                                             uint32_t column);
/* The descriptor to pread chunks from, open for reading until col_table_close. */
int col_table_fd(const struct col_table *table);
/* A number no other table opened by this process has had: the cache keys chunks by it, since
 * a pointer may be reused by the next table opened. */
uint64_t col_table_id(const struct col_table *table);

/* Given (csv_given.c): the loader. */

struct col_csv_options {
    char delimiter;      /* ',' for CSV, '|' for dbgen's .tbl files */
    bool has_header;     /* the first line names the columns: skipped */
    uint32_t group_rows; /* 0: COL_GROUP_ROWS_DEFAULT */
    uint64_t rows_max;   /* 0: no limit; else stop with COL_TOO_BIG past this many */
};

/* Loads the CSV file at csv_path into a new table file at table_path with schema. A line is
 * one row: fields split at the delimiter (one after the last field is allowed, as in .tbl
 * files), a field in double quotes may hold the delimiter, a newline and "" for a quote; an
 * empty field not in quotes is NULL. Values are parsed as col.h says for their type (INTEGER
 * within int32_t, DECIMAL with at most its scale's digits after the point, DATE as YYYY-MM-DD,
 * DOUBLE by strtod but never NaN or infinite). Returns COL_OK with *rows_loaded set; COL_PARSE
 * naming the file, line, column and text of the first bad field (or a wrong field count, or
 * an unclosed quote); a status of the writer's. On failure table_path is as it was. */
col_status col_load_csv(const char *csv_path, const struct col_schema *schema,
                        const struct col_csv_options *options, const char *table_path,
                        uint64_t *rows_loaded, struct col_error *err);

#endif
