/* csv_given.c -- the kit's CSV loader (colfile.h, lab 05): lines into typed batches of
 * COL_VECTOR_SIZE rows, appended to a col_writer. Read col_load_csv first. Students do not
 * change this file. */
#include "colfile.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BYTES (1u << 20) /* string bytes of a batch; a batch is appended early when full */
#define SHOWN_BYTES_MAX 40     /* of a bad field, in an error message */

struct csv_field {
    char *text; /* unquoted in place; not NUL-terminated */
    uint32_t size_bytes;
    bool is_quoted;
};

struct csv_reader {
    FILE *file;
    const char *path;
    char *record; /* one record: a line, or more when a quoted field holds newlines */
    size_t record_size, record_capacity;
    uint64_t line; /* of the record's first line, from 1 */
    uint64_t next_line;
    struct csv_field fields[COL_COLUMNS_MAX + 1];
    uint32_t field_count;
};

struct csv_batch {
    uint32_t rows;
    void *values[COL_COLUMNS_MAX];
    uint64_t validity[COL_COLUMNS_MAX][COL_VECTOR_SIZE / 64];
    char *arena;
    size_t arena_used;
};

/* Appends the physical line read by getline to the record. */
static bool
record_append(struct csv_reader *r, const char *line, size_t size)
{
    if (r->record_size + size + 1 > r->record_capacity) {
        size_t capacity = r->record_capacity ? r->record_capacity : 4096;
        while (capacity < r->record_size + size + 1) {
            capacity *= 2;
        }
        char *p = realloc(r->record, capacity);
        if (p == NULL) {
            return false;
        }
        r->record = p;
        r->record_capacity = capacity;
    }
    memcpy(r->record + r->record_size, line, size);
    r->record_size += size;
    r->record[r->record_size] = '\0';
    return true;
}

/* Whether the record so far ends inside a quoted field. */
static bool
record_in_quotes(const struct csv_reader *r)
{
    bool in_quotes = false;
    for (size_t i = 0; i < r->record_size; i++) {
        if (r->record[i] == '"') {
            in_quotes = !in_quotes; /* "" inside quotes flips twice: a literal quote */
        }
    }
    return in_quotes;
}

/* Reads the next non-empty record. Returns 1, 0 at the end of the file, or a status. */
static int
record_read(struct csv_reader *r, struct col_error *err)
{
    char *line = NULL;
    size_t capacity = 0;
    int result = 0;
    r->record_size = 0;
    r->line = r->next_line;
    for (;;) {
        ssize_t n = getline(&line, &capacity, r->file);
        if (n < 0) {
            if (ferror(r->file)) {
                result = -col_fail(err, COL_IO, "%s: %s", r->path, strerror(errno));
            } else if (r->record_size > 0) {
                result = -col_fail(err, COL_PARSE, "%s:%llu: a quoted field is never closed",
                                   r->path, (unsigned long long)r->line);
            }
            break;
        }
        r->next_line++;
        if (!record_append(r, line, (size_t)n)) {
            result = -col_fail(err, COL_NOMEM, "%s:%llu: out of memory", r->path,
                               (unsigned long long)r->line);
            break;
        }
        if (record_in_quotes(r)) {
            continue;
        }
        while (r->record_size > 0 &&
               (r->record[r->record_size - 1] == '\n' || r->record[r->record_size - 1] == '\r')) {
            r->record[--r->record_size] = '\0';
        }
        if (r->record_size == 0) { /* an empty line is skipped */
            r->line = r->next_line;
            continue;
        }
        result = 1;
        break;
    }
    free(line);
    return result;
}

/* Splits the record at the delimiter into fields, unquoting in place. */
static col_status
record_split(struct csv_reader *r, char delimiter, struct col_error *err)
{
    r->field_count = 0;
    char *p = r->record, *end = r->record + r->record_size;
    for (;;) {
        if (r->field_count == COL_COLUMNS_MAX + 1) {
            return col_fail(err, COL_PARSE, "%s:%llu: more than %u fields", r->path,
                            (unsigned long long)r->line, COL_COLUMNS_MAX);
        }
        struct csv_field *f = &r->fields[r->field_count++];
        f->text = p;
        f->is_quoted = p < end && *p == '"';
        char *out = p;
        if (f->is_quoted) {
            p++;
            while (p < end && !(*p == '"' && (p + 1 >= end || p[1] != '"'))) {
                p += *p == '"' ? 1 : 0; /* "" is one quote */
                *out++ = *p++;
            }
            p++; /* the closing quote */
            if (p < end && *p != delimiter) {
                return col_fail(err, COL_PARSE, "%s:%llu: field %u: text after a closing quote",
                                r->path, (unsigned long long)r->line, r->field_count);
            }
        } else {
            while (p < end && *p != delimiter) {
                *out++ = *p++;
            }
        }
        f->size_bytes = (uint32_t)(out - f->text);
        if (p >= end) {
            return COL_OK;
        }
        p++; /* the delimiter: a field follows, empty if the record ends here */
    }
}

static col_status
field_error(const struct csv_reader *r, const struct col_column *col, const struct csv_field *f,
            const char *what, struct col_error *err)
{
    int shown = f->size_bytes > SHOWN_BYTES_MAX ? SHOWN_BYTES_MAX : (int)f->size_bytes;
    return col_fail(err, COL_PARSE, "%s:%llu: column '%s': '%.*s%s' is not %s", r->path,
                    (unsigned long long)r->line, col->name, shown, f->text,
                    (uint32_t)shown < f->size_bytes ? "..." : "", what);
}

/* Parses one field into row of a fixed-width column. */
static col_status
field_number(const struct csv_reader *r, const struct col_column *col, const struct csv_field *f,
             void *values, uint32_t row, struct col_error *err)
{
    char text[64];
    if (f->size_bytes >= sizeof(text)) {
        return field_error(r, col, f, "a number of under 64 characters", err);
    }
    memcpy(text, f->text, f->size_bytes);
    text[f->size_bytes] = '\0';
    char *end = NULL;
    errno = 0;
    switch (col->type) {
    case COL_INT32: {
        long long v = strtoll(text, &end, 10);
        if (*end != '\0' || end == text || errno != 0 || v < INT32_MIN || v > INT32_MAX) {
            return field_error(r, col, f, "an INTEGER (32 bits)", err);
        }
        ((int32_t *)values)[row] = (int32_t)v;
        return COL_OK;
    }
    case COL_INT64: {
        long long v = strtoll(text, &end, 10);
        if (*end != '\0' || end == text || errno != 0) {
            return field_error(r, col, f, "a BIGINT", err);
        }
        ((int64_t *)values)[row] = v;
        return COL_OK;
    }
    case COL_FLOAT64: {
        double v = strtod(text, &end);
        if (*end != '\0' || end == text || !isfinite(v)) {
            return field_error(r, col, f, "a finite DOUBLE", err);
        }
        ((double *)values)[row] = v;
        return COL_OK;
    }
    case COL_DECIMAL:
        if (!col_decimal_parse(text, f->size_bytes, col->scale, &((int64_t *)values)[row])) {
            char what[64];
            snprintf(what, sizeof(what), "a DECIMAL of at most %u digits after the point",
                     col->scale);
            return field_error(r, col, f, what, err);
        }
        return COL_OK;
    case COL_DATE:
        if (!col_date_parse(text, f->size_bytes, &((int32_t *)values)[row])) {
            return field_error(r, col, f, "a DATE (YYYY-MM-DD, a real day)", err);
        }
        return COL_OK;
    case COL_STRING:
    case COL_TYPE_COUNT:
        break;
    }
    assert(!"a fixed-width type");
    return COL_INVALID;
}

static col_status
batch_append(struct col_writer *writer, const struct col_schema *schema, struct csv_batch *b,
             struct col_error *err)
{
    if (b->rows == 0) {
        return COL_OK;
    }
    struct col_values columns[COL_COLUMNS_MAX];
    for (uint32_t c = 0; c < schema->column_count; c++) {
        columns[c] =
            (struct col_values){schema->columns[c].type, b->rows, b->values[c], b->validity[c]};
    }
    col_status status = col_writer_append(writer, columns, err);
    b->rows = 0;
    b->arena_used = 0;
    memset(b->validity, 0xff, sizeof(b->validity));
    return status;
}

/* Parses the split record into the batch's next row. */
static col_status
row_parse(const struct csv_reader *r, const struct col_schema *schema, struct csv_batch *b,
          struct col_error *err)
{
    uint32_t fields = r->field_count;
    const struct csv_field *last = &r->fields[fields - 1];
    if (fields == schema->column_count + 1 && last->size_bytes == 0 && !last->is_quoted) {
        fields--; /* one delimiter after the last field, as in dbgen's .tbl files */
    }
    if (fields != schema->column_count) {
        return col_fail(err, COL_PARSE, "%s:%llu: %u fields, the table has %u columns", r->path,
                        (unsigned long long)r->line, r->field_count, schema->column_count);
    }
    uint32_t row = b->rows;
    for (uint32_t c = 0; c < schema->column_count; c++) {
        const struct col_column *col = &schema->columns[c];
        const struct csv_field *f = &r->fields[c];
        if (f->size_bytes == 0 && !f->is_quoted) {
            b->validity[c][row / 64] &= ~(1ull << (row % 64));
            memset((char *)b->values[c] + row * col_type_width(col->type), 0,
                   col_type_width(col->type));
            continue;
        }
        if (col->type != COL_STRING) {
            col_status status = field_number(r, col, f, b->values[c], row, err);
            if (status != COL_OK) {
                return status;
            }
            continue;
        }
        if (f->size_bytes > COL_STRING_SIZE_MAX) {
            return field_error(r, col, f, "a string of at most 4096 bytes", err);
        }
        assert(b->arena_used + f->size_bytes <= ARENA_BYTES);
        memcpy(b->arena + b->arena_used, f->text, f->size_bytes);
        ((struct col_str *)b->values[c])[row] =
            (struct col_str){b->arena + b->arena_used, f->size_bytes};
        b->arena_used += f->size_bytes;
    }
    b->rows++;
    return COL_OK;
}

static col_status
load_rows(struct csv_reader *r, const struct col_schema *schema,
          const struct col_csv_options *options, struct col_writer *writer, uint64_t *rows,
          struct col_error *err)
{
    struct csv_batch *b = calloc(1, sizeof(*b));
    col_status status = b == NULL ? COL_NOMEM : COL_OK;
    for (uint32_t c = 0; status == COL_OK && c < schema->column_count; c++) {
        b->values[c] = malloc(COL_VECTOR_SIZE * col_type_width(schema->columns[c].type));
        status = b->values[c] == NULL ? COL_NOMEM : COL_OK;
    }
    if (status == COL_OK && (b->arena = malloc(ARENA_BYTES)) == NULL) {
        status = COL_NOMEM;
    }
    if (status != COL_OK) {
        col_fail(err, status, "out of memory for a batch");
    } else {
        memset(b->validity, 0xff, sizeof(b->validity));
    }
    while (status == COL_OK) {
        int got = record_read(r, err);
        if (got <= 0) {
            status = (col_status)-got;
            break;
        }
        if (r->line == 1 && options->has_header) {
            continue;
        }
        status = record_split(r, options->delimiter, err);
        if (status == COL_OK && options->rows_max > 0 && *rows >= options->rows_max) {
            status = col_fail(err, COL_TOO_BIG, "%s:%llu: more than %llu rows", r->path,
                              (unsigned long long)r->line, (unsigned long long)options->rows_max);
        }
        /* A batch is appended when full, or early when this record's strings might not fit. */
        if (status == COL_OK &&
            (b->rows == COL_VECTOR_SIZE || ARENA_BYTES - b->arena_used < r->record_size)) {
            status = batch_append(writer, schema, b, err);
        }
        if (status == COL_OK && (status = row_parse(r, schema, b, err)) == COL_OK) {
            (*rows)++;
        }
    }
    if (status == COL_OK) {
        status = batch_append(writer, schema, b, err);
    }
    for (uint32_t c = 0; b != NULL && c < schema->column_count; c++) {
        free(b->values[c]);
    }
    if (b != NULL) {
        free(b->arena);
    }
    free(b);
    return status;
}

col_status
col_load_csv(const char *csv_path, const struct col_schema *schema,
             const struct col_csv_options *options, const char *table_path, uint64_t *rows_loaded,
             struct col_error *err)
{
    assert(csv_path != NULL && schema != NULL && options != NULL && table_path != NULL);
    struct csv_reader r = {.path = csv_path, .next_line = 1};
    r.file = fopen(csv_path, "r");
    if (r.file == NULL) {
        return col_fail(err, errno == ENOENT ? COL_NOT_FOUND : COL_IO, "%s: cannot open: %s",
                        csv_path, strerror(errno));
    }
    struct col_writer *writer = NULL;
    uint32_t group_rows = options->group_rows ? options->group_rows : COL_GROUP_ROWS_DEFAULT;
    col_status status = col_writer_open(table_path, schema, group_rows, &writer, err);
    uint64_t rows = 0;
    if (status == COL_OK) {
        status = load_rows(&r, schema, options, writer, &rows, err);
        if (status == COL_OK) {
            status = col_writer_finish(writer, err);
        } else {
            col_writer_abort(writer);
        }
    }
    fclose(r.file);
    free(r.record);
    if (status == COL_OK && rows_loaded != NULL) {
        *rows_loaded = rows;
    }
    return status;
}
