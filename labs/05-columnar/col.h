/* col.h -- lab 05's vocabulary: column types, values in memory, limits, statuses and errors.
 * Every other header of the lab builds on this one; read struct col_values first. Nothing
 * here allocates: the functions given in col_given.c work on the caller's memory. */
#ifndef KEEL_COL_H
#define KEEL_COL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values per batch, as in DuckDB (STANDARD_VECTOR_SIZE 2048): a batch of the widest type,
 * 8 bytes a value, is 16 KiB, so a few columns of one batch stay in a 48 KiB L1 cache. */
#define COL_VECTOR_SIZE 2048u
/* Rows per row group unless the writer is told otherwise: 32 batches. A chunk (one column of
 * one row group) is then at most 512 KiB decoded, the unit the cache holds and a morsel. */
#define COL_GROUP_ROWS_DEFAULT 65536u
#define COL_GROUP_ROWS_MAX (1u << 20) /* rows: a chunk's row ids fit in uint32_t */
#define COL_ROW_GROUPS_MAX (1u << 20) /* per file: 2^40 rows in all */
#define COL_COLUMNS_MAX 64u           /* per table */
#define COL_NAME_SIZE_MAX 64u         /* bytes of a table or column name, with the NUL */
#define COL_STRING_SIZE_MAX 4096u     /* bytes of one string value */
#define COL_DECIMAL_SCALE_MAX 18u     /* digits after the point: 10^18 fits in int64_t */
#define COL_DICT_ENTRIES_MAX 65536u   /* a chunk with more distinct strings stays PLAIN */
#define COL_ERROR_SIZE 256u           /* bytes of an error message, with the NUL */

/* The logical types a column holds, and the C type of each value in memory:
 * INT32 int32_t; DATE int32_t, days since 1970-01-01 (proleptic Gregorian, so 1992-01-01 is
 * 8035); INT64 int64_t; DECIMAL int64_t, the value times 10^scale (12.34 at scale 2 is 1234);
 * FLOAT64 double, never NaN; STRING struct col_str. */
#define COL_TYPE_LIST(X)                                                                           \
    X(COL_INT32, "INTEGER")                                                                        \
    X(COL_INT64, "BIGINT")                                                                         \
    X(COL_DECIMAL, "DECIMAL")                                                                      \
    X(COL_FLOAT64, "DOUBLE")                                                                       \
    X(COL_DATE, "DATE")                                                                            \
    X(COL_STRING, "VARCHAR")

#define COL_TYPE_ENUM_ENTRY(name, text) name,
enum col_type { COL_TYPE_LIST(COL_TYPE_ENUM_ENTRY) COL_TYPE_COUNT };
#undef COL_TYPE_ENUM_ENTRY

#define COL_STATUS_LIST(X)                                                                         \
    X(COL_OK, "ok")                                                                                \
    X(COL_INVALID, "invalid argument")                                                             \
    X(COL_NOT_FOUND, "not found")                                                                  \
    X(COL_CORRUPT, "corrupt: a file failed its checksum or format check")                          \
    X(COL_VERSION, "a file of a newer format version than this reader")                            \
    X(COL_TOO_BIG, "too big: over one of col.h's limits")                                          \
    X(COL_PARSE, "cannot parse the input")                                                         \
    X(COL_IO, "I/O error")                                                                         \
    X(COL_NOMEM, "out of memory")                                                                  \
    X(COL_UNIMPLEMENTED, "not implemented yet")

#define COL_STATUS_ENUM_ENTRY(name, text) name,
typedef enum { COL_STATUS_LIST(COL_STATUS_ENUM_ENTRY) } col_status;
#undef COL_STATUS_ENUM_ENTRY

/* What went wrong, for the person at the keyboard: a status and one sentence that names the
 * file, row, chunk or position concerned. Every function that can fail takes one as its last
 * argument, which may be NULL; on failure it is filled, on success left alone. */
struct col_error {
    col_status status;
    char message[COL_ERROR_SIZE];
};

/* A string value: size_bytes bytes at ptr, not NUL-terminated, borrowed from whatever holds
 * the column (a chunk, a batch, the caller's buffer). Compared as bytes (memcmp), a prefix
 * before any longer string: SQLite's BINARY collation and DuckDB's default. */
struct col_str {
    const char *ptr;
    uint32_t size_bytes;
};

/* One value of any type, as zone maps and constants hold it: i64 for INT32, DATE, INT64 and
 * DECIMAL (the narrower types widened), f64 for FLOAT64, str for STRING. */
union col_datum {
    int64_t i64;
    double f64;
    struct col_str str;
};

/* One column's values for count rows, in memory and decoded: what the writer takes and what
 * operators see. data points to count values of the type's C type (see COL_TYPE_LIST).
 * validity has a bit per row, bit (row % 64) of word row / 64, set when the row is not NULL;
 * validity NULL means no row is NULL. A NULL row's value in data is unspecified: look at
 * validity first. Both pointers are borrowed from the caller. */
struct col_values {
    enum col_type type;
    uint32_t count;
    const void *data;
    const uint64_t *validity;
};

/* A table's columns, in order. scale is the DECIMAL's digits after the point, 0 otherwise. */
struct col_column {
    char name[COL_NAME_SIZE_MAX];
    enum col_type type;
    uint8_t scale;
};

struct col_schema {
    uint32_t column_count;
    struct col_column columns[COL_COLUMNS_MAX];
};

/* Given (col_given.c). */

/* A static text for status ("unknown status" for a value not in the list). */
const char *col_strerror(col_status status);
/* The SQL name of type ("INTEGER", "DECIMAL", ...); "?" for a value not in the list. */
const char *col_type_name(enum col_type type);
/* Bytes one value of type takes in memory: 4, 8, or sizeof(struct col_str). */
size_t col_type_width(enum col_type type);

/* Fills err (when not NULL) with status and the printf-style message; returns status, so a
 * failure reads `return col_fail(err, COL_CORRUPT, "%s: chunk %u ...", path, i);`. */
col_status col_fail(struct col_error *err, col_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether row is not NULL in validity (NULL validity: every row is valid). */
static inline bool
col_is_valid(const uint64_t *validity, uint32_t row)
{
    return validity == NULL || ((validity[row / 64] >> (row % 64)) & 1u) != 0;
}

/* Whether values of type are integers in memory (INT32, DATE, INT64, DECIMAL). */
static inline bool
col_type_is_integer(enum col_type type)
{
    return type == COL_INT32 || type == COL_DATE || type == COL_INT64 || type == COL_DECIMAL;
}

/* Words of a validity bitmap for count rows. */
static inline uint32_t
col_validity_words(uint32_t count)
{
    return (count + 63u) / 64u;
}

/* Compares two strings as bytes, a prefix first: <0, 0 or >0. */
int col_str_compare(struct col_str a, struct col_str b);

/* Hashing. col_hash_mix scrambles 64 bits so that each input bit reaches every output bit
 * (MurmurHash3's 64-bit finalizer, Appleby 2011): a hash table can then take low bits as its
 * bucket. col_hash_bytes hashes bytes, eight at a time, then mixed. Given; O(1) and
 * O(size_bytes). */
uint64_t col_hash_mix(uint64_t h);
uint64_t col_hash_bytes(const void *bytes, size_t size_bytes);

/* CRC-32C (Castagnoli), the checksum of every chunk and footer: the SSE4.2 instruction where
 * the CPU has it, else a table. Chains: col_crc32c(col_crc32c(0, a), b) is the CRC of a then
 * b. Check value: the bytes "123456789" give 0xE3069283 (RFC 3720, B.4). O(size_bytes). */
uint32_t col_crc32c(uint32_t crc, const void *buf, size_t size_bytes);

/* Dates. col_date_parse reads "YYYY-MM-DD" (exactly 10 bytes, a real calendar day between
 * 0001-01-01 and 9999-12-31) into days since 1970-01-01; false on anything else.
 * col_date_format writes "YYYY-MM-DD" and a NUL into out (11 bytes). */
bool col_date_parse(const char *text, size_t size_bytes, int32_t *days);
void col_date_format(int32_t days, char out[11]);
/* Days since 1970-01-01 of a calendar day (month 1-12, day 1-31; not checked). */
int32_t col_date_from_ymd(int32_t year, int32_t month, int32_t day);
void col_date_to_ymd(int32_t days, int32_t *year, int32_t *month, int32_t *day);

/* Decimals. col_decimal_parse reads "-12.3" or "7" into the value times 10^scale; more digits
 * after the point than scale, or a value past 18 digits, is false (never rounded silently).
 * col_decimal_format writes the value with exactly scale digits after the point and a NUL
 * into out, which holds at least 24 bytes; it returns the length. */
bool col_decimal_parse(const char *text, size_t size_bytes, uint8_t scale, int64_t *value);
int col_decimal_format(int64_t value, uint8_t scale, char *out, size_t out_size);
/* 10^scale for scale 0..18. */
int64_t col_pow10(uint8_t scale);

#endif
