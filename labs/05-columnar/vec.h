/* vec.h -- part B: data in flight (lab 05). Operators pass batches of up to COL_VECTOR_SIZE rows;
 * a batch holds one vector per column and a selection vector that says which of its rows are
 * still in play, so a filter never moves values: it shortens the selection. A vector may be
 * flat (a value per row), constant (one value for every row: a run of an RLE chunk) or
 * dictionary-coded (a code per row into a sorted dictionary: a DICT chunk), so operators can
 * work on encoded data where they know how. Read struct batch first, then struct mat, the
 * columns an operator keeps (a join's build side, a sort's rows, a query's result). */
#ifndef KEEL_VEC_H
#define KEEL_VEC_H

#include "col.h"

#define VEC_COLUMNS_MAX 64u /* per batch: a query's columns, joined tables' included */

enum vec_kind {
    VEC_FLAT,     /* data: a value per row (row-indexed, selected or not) */
    VEC_CONSTANT, /* data: one value, every row's; validity bit 0 says if it is NULL */
    VEC_DICT,     /* data: a uint32_t code per row into dict[0 .. dict_count), sorted, distinct;
                   * dict_count at most COL_DICT_ENTRIES_MAX */
};

/* One column of a batch. Pointers are borrowed from whoever made the batch (a pinned chunk,
 * an operator's buffers), valid until that operator's next call. */
struct vec {
    enum col_type type;
    uint8_t scale; /* DECIMAL's digits after the point */
    enum vec_kind kind;
    const void *data;
    const uint64_t *validity; /* NULL: no row is NULL */
    const struct col_str *dict;
    uint32_t dict_count;
};

/* A batch: row_count rows in every vector, of which selected_count are in play: rows sel[0 ..
 * selected_count), ascending, or rows 0 .. row_count - 1 when sel is NULL (selected_count
 * equals row_count then). */
struct batch {
    uint32_t row_count;
    uint32_t selected_count;
    const uint16_t *sel;
    uint32_t column_count;
    struct vec columns[VEC_COLUMNS_MAX];
};

/* The row of selection index i. */
static inline uint32_t
batch_row(const struct batch *b, uint32_t i)
{
    return b->sel != NULL ? b->sel[i] : i;
}

/* Given: 0, 1, ..., COL_VECTOR_SIZE - 1: the selection of every row, for loops that always
 * go through a selection. */
extern const uint16_t vec_identity_sel[COL_VECTOR_SIZE];

/* Whether row of v is not NULL. */
static inline bool
vec_is_valid(const struct vec *v, uint32_t row)
{
    return col_is_valid(v->validity, v->kind == VEC_CONSTANT ? 0 : row);
}

/* Given (vec_given.c): row's value of v, whatever its kind, widened as union col_datum holds
 * it (integers in i64, doubles in f64, strings in str). Slow (a switch a value): for tests,
 * keys and row-at-a-time code, never an operator's inner loop. */
union col_datum vec_value(const struct vec *v, uint32_t row);

/* ---- Materialized columns ----------------------------------------------------------------- */

/* Columns an operator keeps: rows appended batch by batch, in typed arrays that grow, strings
 * copied into the mat's own arena, so nothing points into a chunk once its batch is gone.
 * Owned by whoever made it (mat_free). Not thread-safe: one thread appends. */
struct mat {
    uint32_t column_count;
    enum col_type types[VEC_COLUMNS_MAX];
    uint8_t scales[VEC_COLUMNS_MAX];
    uint64_t row_count;
    uint64_t row_capacity;
    void *data[VEC_COLUMNS_MAX];         /* row_capacity values each */
    uint64_t *validity[VEC_COLUMNS_MAX]; /* row_capacity bits each; all ones until a NULL */
    bool has_null[VEC_COLUMNS_MAX];
    struct mat_arena *arena;
    uint64_t string_bytes; /* in the arena */
};

/* Given (vec_given.c). */

/* An empty mat of these columns. */
void mat_init(struct mat *m, uint32_t column_count, const enum col_type *types,
              const uint8_t *scales);
void mat_free(struct mat *m);

/* Appends the selected rows of columns[0 .. m->column_count) of b (b's columns in that order,
 * of the mat's types) as rows. Returns COL_OK, COL_INVALID (a type that differs) or
 * COL_NOMEM. O(selected rows). */
col_status mat_append(struct mat *m, const struct batch *b, const uint32_t *columns,
                      struct col_error *err);

/* Appends one row given as values (strings copied); is_null[c] for NULLs (may be NULL). */
col_status mat_append_row(struct mat *m, const union col_datum *values, const bool *is_null,
                          struct col_error *err);

/* A batch over rows [from, from + COL_VECTOR_SIZE) of m (fewer at the end), every row
 * selected, flat vectors pointing into m: valid until m next changes. */
void mat_batch(const struct mat *m, uint64_t from, struct batch *out);

/* Row's value of column c. */
union col_datum mat_value(const struct mat *m, uint32_t column, uint64_t row);
bool mat_is_valid(const struct mat *m, uint32_t column, uint64_t row);

/* Moves every row of from to the end of into (same columns), leaving from empty. */
col_status mat_move_rows(struct mat *into, struct mat *from, struct col_error *err);

#endif
