/* vec_given.c -- the kit's part of vec.h (lab 05): a vector's value at a row, and struct mat,
 * the columns an operator keeps. Students do not change this file. */
#include "vec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MAT_ROWS_MIN 1024u
#define MAT_ARENA_BLOCK_BYTES (1u << 20) /* strings' bytes, in blocks that never move */

struct mat_arena {
    struct mat_arena *next;
    size_t used_bytes;
    size_t size_bytes;
    char bytes[];
};

/* 0 .. 2047, written out by doubling: each macro is two of the one before. */
#define IDENTITY_4(n) (n), (n) + 1, (n) + 2, (n) + 3
#define IDENTITY_16(n) IDENTITY_4(n), IDENTITY_4((n) + 4), IDENTITY_4((n) + 8), IDENTITY_4((n) + 12)
#define IDENTITY_64(n)                                                                             \
    IDENTITY_16(n), IDENTITY_16((n) + 16), IDENTITY_16((n) + 32), IDENTITY_16((n) + 48)
#define IDENTITY_256(n)                                                                            \
    IDENTITY_64(n), IDENTITY_64((n) + 64), IDENTITY_64((n) + 128), IDENTITY_64((n) + 192)
#define IDENTITY_1024(n)                                                                           \
    IDENTITY_256(n), IDENTITY_256((n) + 256), IDENTITY_256((n) + 512), IDENTITY_256((n) + 768)
_Static_assert(COL_VECTOR_SIZE == 2048, "vec_identity_sel is written out for 2,048 rows");
const uint16_t vec_identity_sel[COL_VECTOR_SIZE] = {IDENTITY_1024(0), IDENTITY_1024(1024)};

union col_datum
vec_value(const struct vec *v, uint32_t row)
{
    uint32_t at = v->kind == VEC_CONSTANT ? 0 : row;
    union col_datum d = {0};
    if (v->kind == VEC_DICT) {
        uint32_t code = ((const uint32_t *)v->data)[at];
        assert(code < v->dict_count);
        d.str = v->dict[code];
        return d;
    }
    switch (v->type) {
    case COL_INT32:
    case COL_DATE:
        d.i64 = ((const int32_t *)v->data)[at];
        break;
    case COL_INT64:
    case COL_DECIMAL:
        d.i64 = ((const int64_t *)v->data)[at];
        break;
    case COL_FLOAT64:
        d.f64 = ((const double *)v->data)[at];
        break;
    case COL_STRING:
        d.str = ((const struct col_str *)v->data)[at];
        break;
    case COL_TYPE_COUNT:
        assert(!"a type of col.h");
    }
    return d;
}

void
mat_init(struct mat *m, uint32_t column_count, const enum col_type *types, const uint8_t *scales)
{
    assert(column_count <= VEC_COLUMNS_MAX);
    memset(m, 0, sizeof(*m));
    m->column_count = column_count;
    for (uint32_t c = 0; c < column_count; c++) {
        m->types[c] = types[c];
        m->scales[c] = scales != NULL ? scales[c] : 0;
    }
}

void
mat_free(struct mat *m)
{
    for (uint32_t c = 0; c < m->column_count; c++) {
        free(m->data[c]);
        free(m->validity[c]);
    }
    while (m->arena != NULL) {
        struct mat_arena *next = m->arena->next;
        free(m->arena);
        m->arena = next;
    }
    memset(m, 0, sizeof(*m));
}

/* Room for at least rows rows in every column. */
static col_status
mat_reserve(struct mat *m, uint64_t rows, struct col_error *err)
{
    if (rows <= m->row_capacity) {
        return COL_OK;
    }
    uint64_t capacity = m->row_capacity ? m->row_capacity : MAT_ROWS_MIN;
    while (capacity < rows) {
        capacity *= 2;
    }
    for (uint32_t c = 0; c < m->column_count; c++) {
        void *data = realloc(m->data[c], capacity * col_type_width(m->types[c]));
        if (data == NULL) {
            return col_fail(err, COL_NOMEM, "out of memory for %llu rows",
                            (unsigned long long)rows);
        }
        m->data[c] = data;
        size_t old_words = (size_t)(m->row_capacity / 64); /* capacities are multiples of 64 */
        uint64_t *validity = realloc(m->validity[c], (capacity / 64) * sizeof(uint64_t));
        if (validity == NULL) {
            return col_fail(err, COL_NOMEM, "out of memory for %llu rows",
                            (unsigned long long)rows);
        }
        memset(validity + old_words, 0xff, (capacity / 64 - old_words) * sizeof(uint64_t));
        m->validity[c] = validity;
    }
    m->row_capacity = capacity;
    return COL_OK;
}

static const char *
mat_copy_string(struct mat *m, struct col_str s)
{
    struct mat_arena *a = m->arena;
    if (a == NULL || a->size_bytes - a->used_bytes < s.size_bytes) {
        size_t size = s.size_bytes > MAT_ARENA_BLOCK_BYTES ? s.size_bytes : MAT_ARENA_BLOCK_BYTES;
        a = malloc(sizeof(*a) + size);
        if (a == NULL) {
            return NULL;
        }
        a->next = m->arena;
        a->used_bytes = 0;
        a->size_bytes = size;
        m->arena = a;
    }
    char *copy = a->bytes + a->used_bytes;
    if (s.size_bytes > 0) {
        memcpy(copy, s.ptr, s.size_bytes);
    }
    a->used_bytes += s.size_bytes;
    m->string_bytes += s.size_bytes;
    return copy;
}

/* Stores value (or NULL) at row of column c; strings copied. */
static col_status
mat_put(struct mat *m, uint32_t c, uint64_t row, union col_datum value, bool is_null,
        struct col_error *err)
{
    if (is_null) {
        m->validity[c][row / 64] &= ~(1ull << (row % 64));
        m->has_null[c] = true;
        memset(&value, 0, sizeof(value));
    }
    switch (m->types[c]) {
    case COL_INT32:
    case COL_DATE:
        ((int32_t *)m->data[c])[row] = (int32_t)value.i64;
        break;
    case COL_INT64:
    case COL_DECIMAL:
        ((int64_t *)m->data[c])[row] = value.i64;
        break;
    case COL_FLOAT64:
        ((double *)m->data[c])[row] = value.f64;
        break;
    case COL_STRING: {
        struct col_str s = is_null ? (struct col_str){"", 0} : value.str;
        const char *copy = s.size_bytes == 0 ? "" : mat_copy_string(m, s);
        if (copy == NULL) {
            return col_fail(err, COL_NOMEM, "out of memory for strings");
        }
        ((struct col_str *)m->data[c])[row] = (struct col_str){copy, s.size_bytes};
        break;
    }
    case COL_TYPE_COUNT:
        assert(!"a type of col.h");
    }
    return COL_OK;
}

col_status
mat_append(struct mat *m, const struct batch *b, const uint32_t *columns, struct col_error *err)
{
    for (uint32_t c = 0; c < m->column_count; c++) {
        const struct vec *v = &b->columns[columns[c]];
        if (v->type != m->types[c]) {
            return col_fail(err, COL_INVALID, "column %u: a %s vector for a %s column", c,
                            col_type_name(v->type), col_type_name(m->types[c]));
        }
    }
    col_status status = mat_reserve(m, m->row_count + b->selected_count, err);
    for (uint32_t c = 0; status == COL_OK && c < m->column_count; c++) {
        const struct vec *v = &b->columns[columns[c]];
        bool is_plain = v->kind == VEC_FLAT && v->type != COL_STRING && v->validity == NULL;
        size_t width = col_type_width(v->type);
        for (uint32_t i = 0; status == COL_OK && i < b->selected_count; i++) {
            uint32_t row = batch_row(b, i);
            if (is_plain) { /* the common case, without a switch a value */
                memcpy((char *)m->data[c] + (m->row_count + i) * width,
                       (const char *)v->data + (size_t)row * width, width);
            } else {
                status =
                    mat_put(m, c, m->row_count + i, vec_value(v, row), !vec_is_valid(v, row), err);
            }
        }
    }
    if (status == COL_OK) {
        m->row_count += b->selected_count;
    }
    return status;
}

col_status
mat_append_row(struct mat *m, const union col_datum *values, const bool *is_null,
               struct col_error *err)
{
    col_status status = mat_reserve(m, m->row_count + 1, err);
    for (uint32_t c = 0; status == COL_OK && c < m->column_count; c++) {
        status = mat_put(m, c, m->row_count, values[c], is_null != NULL && is_null[c], err);
    }
    if (status == COL_OK) {
        m->row_count++;
    }
    return status;
}

void
mat_batch(const struct mat *m, uint64_t from, struct batch *out)
{
    assert(from <= m->row_count);
    uint64_t rows = m->row_count - from < COL_VECTOR_SIZE ? m->row_count - from : COL_VECTOR_SIZE;
    memset(out, 0, sizeof(*out));
    out->row_count = (uint32_t)rows;
    out->selected_count = (uint32_t)rows;
    out->column_count = m->column_count;
    assert(from % 64 == 0 || rows == 0); /* validity words line up: batches start on a word */
    for (uint32_t c = 0; c < m->column_count; c++) {
        out->columns[c] = (struct vec){
            .type = m->types[c],
            .scale = m->scales[c],
            .kind = VEC_FLAT,
            .data = (const char *)m->data[c] + from * col_type_width(m->types[c]),
            .validity = m->has_null[c] ? m->validity[c] + from / 64 : NULL,
        };
    }
}

union col_datum
mat_value(const struct mat *m, uint32_t column, uint64_t row)
{
    assert(column < m->column_count && row < m->row_count);
    struct vec v = {.type = m->types[column], .kind = VEC_FLAT, .data = m->data[column]};
    return vec_value(&v, (uint32_t)row);
}

bool
mat_is_valid(const struct mat *m, uint32_t column, uint64_t row)
{
    assert(column < m->column_count && row < m->row_count);
    return ((m->validity[column][row / 64] >> (row % 64)) & 1u) != 0;
}

col_status
mat_move_rows(struct mat *into, struct mat *from, struct col_error *err)
{
    assert(into->column_count == from->column_count);
    for (uint64_t at = 0; at < from->row_count; at += COL_VECTOR_SIZE) {
        struct batch b;
        mat_batch(from, at, &b);
        uint32_t columns[VEC_COLUMNS_MAX];
        for (uint32_t c = 0; c < from->column_count; c++) {
            columns[c] = c;
        }
        col_status status = mat_append(into, &b, columns, err);
        if (status != COL_OK) {
            return status;
        }
    }
    uint32_t count = from->column_count;
    enum col_type types[VEC_COLUMNS_MAX];
    uint8_t scales[VEC_COLUMNS_MAX];
    memcpy(types, from->types, sizeof(types));
    memcpy(scales, from->scales, sizeof(scales));
    mat_free(from);
    mat_init(from, count, types, scales);
    return COL_OK;
}
