/* join.c -- part B: the inner hash join (ops.h). Read join_probe_next first. The build side's
 * rows sit in a struct mat; join_table_finish chains them by hash (a head per bucket, a next per
 * row), so a probe row walks only the rows of its bucket. A probe fills its output a match at
 * a time, remembering where it stopped, because one probe row may match many build rows and a
 * batch holds at most COL_VECTOR_SIZE. */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define NO_ROW 0u /* in heads and next: rows are stored + 1 */

struct join_table {
    struct join_spec spec;
    uint32_t column_count;
    enum col_type types[VEC_COLUMNS_MAX];
    uint8_t scales[VEC_COLUMNS_MAX];
    struct mat rows;
    uint64_t *hashes; /* per row */
    uint64_t hash_capacity;
    uint64_t *heads; /* per bucket: its first row + 1 */
    uint64_t *next;  /* per row: the next row + 1 of its bucket */
    uint64_t bucket_count;
    bool is_finished;
};

struct join_probe {
    const struct join_table *t;
    uint32_t column_count; /* the probe side's */
    const struct batch *in;
    uint32_t next_index; /* selection index of the probe row under way */
    bool is_started;     /* that row's chain has been begun */
    uint64_t chain;      /* the next build row + 1 to look at in it */
    uint64_t hashes[COL_VECTOR_SIZE];
    bool has_null_key[COL_VECTOR_SIZE];
    uint16_t probe_rows[COL_VECTOR_SIZE]; /* the output's matches */
    uint64_t build_rows[COL_VECTOR_SIZE];
    void *columns[VEC_COLUMNS_MAX]; /* gathered values, COL_VECTOR_SIZE of up to 16 bytes */
    uint64_t validity[VEC_COLUMNS_MAX][COL_VECTOR_SIZE / 64];
};

/* Integers of any width hash by value, so INT32 and INT64 keys meet. */
static uint64_t
key_part_hash(enum col_type type, union col_datum d)
{
    if (type == COL_STRING) {
        return col_hash_bytes(d.str.ptr, d.str.size_bytes);
    }
    if (type == COL_FLOAT64 && d.f64 == 0) {
        d.f64 = 0; /* -0.0 = 0.0 */
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    return col_hash_mix(bits);
}

static bool
key_part_equal(enum col_type type, union col_datum a, union col_datum b)
{
    if (type == COL_STRING) {
        return col_str_compare(a.str, b.str) == 0;
    }
    return type == COL_FLOAT64 ? a.f64 == b.f64 : a.i64 == b.i64;
}

/* Whether keys of these two types and scales can be equal. */
static bool
keys_comparable(enum col_type a, uint8_t scale_a, enum col_type b, uint8_t scale_b)
{
    bool is_int_a = a == COL_INT32 || a == COL_INT64, is_int_b = b == COL_INT32 || b == COL_INT64;
    return (is_int_a && is_int_b) || (a == b && scale_a == scale_b);
}

col_status
join_table_new(const struct join_spec *spec, uint32_t build_column_count,
               const enum col_type *types, const uint8_t *scales, struct join_table **out,
               struct col_error *err)
{
    assert(spec != NULL && out != NULL);
    if (spec->key_count == 0 || spec->key_count > JOIN_KEYS_MAX ||
        build_column_count > VEC_COLUMNS_MAX) {
        return col_fail(err, COL_INVALID, "a join on %u keys of %u columns", spec->key_count,
                        build_column_count);
    }
    for (uint32_t k = 0; k < spec->key_count; k++) {
        if (spec->build_keys[k] >= build_column_count) {
            return col_fail(err, COL_INVALID, "join key %u is build column #%u of %u", k,
                            spec->build_keys[k], build_column_count);
        }
    }
    struct join_table *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a join");
    }
    t->spec = *spec;
    t->column_count = build_column_count;
    for (uint32_t c = 0; c < build_column_count; c++) {
        t->types[c] = types[c];
        t->scales[c] = scales != NULL ? scales[c] : 0;
    }
    mat_init(&t->rows, build_column_count, t->types, t->scales);
    *out = t;
    return COL_OK;
}

void
join_table_free(struct join_table *t)
{
    if (t == NULL) {
        return;
    }
    mat_free(&t->rows);
    free(t->hashes);
    free(t->heads);
    free(t->next);
    free(t);
}

uint64_t
join_table_row_count(const struct join_table *t)
{
    return t->rows.row_count;
}

col_status
join_table_add(struct join_table *t, const struct batch *b, struct col_error *err)
{
    assert(!t->is_finished);
    if (t->rows.row_count + b->selected_count > JOIN_ROWS_MAX) {
        return col_fail(err, COL_TOO_BIG, "a join's build side past %llu rows",
                        (unsigned long long)JOIN_ROWS_MAX);
    }
    uint32_t columns[VEC_COLUMNS_MAX];
    for (uint32_t c = 0; c < t->column_count; c++) {
        columns[c] = c;
    }
    return mat_append(&t->rows, b, columns, err);
}

col_status
join_table_merge(struct join_table *into, struct join_table *from, struct col_error *err)
{
    assert(!into->is_finished && !from->is_finished);
    return mat_move_rows(&into->rows, &from->rows, err);
}

/* The hash of build row r's keys, or false when one of them is NULL (it matches nothing). */
static bool
build_hash(const struct join_table *t, uint64_t r, uint64_t *h)
{
    *h = 0x9e3779b97f4a7c15ull;
    for (uint32_t k = 0; k < t->spec.key_count; k++) {
        uint32_t c = t->spec.build_keys[k];
        if (!mat_is_valid(&t->rows, c, r)) {
            return false;
        }
        *h = col_hash_mix(*h ^ key_part_hash(t->types[c], mat_value(&t->rows, c, r)));
    }
    return true;
}

col_status
join_table_finish(struct join_table *t, struct col_error *err)
{
    assert(!t->is_finished);
    uint64_t rows = t->rows.row_count;
    uint64_t buckets = 16;
    while (buckets < rows) { /* a bucket per row at most: chains of one or two */
        buckets *= 2;
    }
    t->heads = calloc(buckets, sizeof(uint64_t));
    t->next = calloc(rows + 1, sizeof(uint64_t));
    t->hashes = malloc((rows + 1) * sizeof(uint64_t));
    if (t->heads == NULL || t->next == NULL || t->hashes == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory indexing %llu rows",
                        (unsigned long long)rows);
    }
    t->bucket_count = buckets;
    for (uint64_t r = rows; r-- > 0;) { /* backwards, so each chain lists its rows in order */
        if (!build_hash(t, r, &t->hashes[r])) {
            continue;
        }
        uint64_t b = t->hashes[r] & (buckets - 1);
        t->next[r] = t->heads[b];
        t->heads[b] = r + 1;
    }
    t->is_finished = true;
    return COL_OK;
}

col_status
join_probe_new(const struct join_table *t, uint32_t probe_column_count, const enum col_type *types,
               const uint8_t *scales, struct join_probe **out, struct col_error *err)
{
    assert(t->is_finished);
    if (probe_column_count + t->column_count > VEC_COLUMNS_MAX) {
        return col_fail(err, COL_INVALID, "a join of %u and %u columns, over %u",
                        probe_column_count, t->column_count, VEC_COLUMNS_MAX);
    }
    for (uint32_t k = 0; k < t->spec.key_count; k++) {
        uint32_t pc = t->spec.probe_keys[k], bc = t->spec.build_keys[k];
        if (pc >= probe_column_count || !keys_comparable(types[pc], scales != NULL ? scales[pc] : 0,
                                                         t->types[bc], t->scales[bc])) {
            return col_fail(err, COL_INVALID, "join key %u: probe column #%u cannot equal a %s", k,
                            pc, col_type_name(t->types[bc]));
        }
    }
    struct join_probe *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a probe");
    }
    p->t = t;
    p->column_count = probe_column_count;
    for (uint32_t c = 0; c < probe_column_count + t->column_count; c++) {
        p->columns[c] = malloc((size_t)COL_VECTOR_SIZE * 16);
        if (p->columns[c] == NULL) {
            join_probe_free(p);
            return col_fail(err, COL_NOMEM, "out of memory for a probe");
        }
    }
    *out = p;
    return COL_OK;
}

void
join_probe_free(struct join_probe *p)
{
    if (p == NULL) {
        return;
    }
    for (uint32_t c = 0; c < VEC_COLUMNS_MAX; c++) {
        free(p->columns[c]);
    }
    free(p);
}

void
join_probe_begin(struct join_probe *p, const struct batch *in)
{
    p->in = in;
    p->next_index = 0;
    p->is_started = false;
    const struct join_spec *spec = &p->t->spec;
    for (uint32_t i = 0; i < in->selected_count; i++) { /* every probe row's hash, first */
        uint32_t row = batch_row(in, i);
        uint64_t h = 0x9e3779b97f4a7c15ull;
        bool has_null = false;
        for (uint32_t k = 0; k < spec->key_count; k++) {
            const struct vec *v = &in->columns[spec->probe_keys[k]];
            has_null |= !vec_is_valid(v, row);
            h = col_hash_mix(h ^
                             key_part_hash(p->t->types[spec->build_keys[k]], vec_value(v, row)));
        }
        p->hashes[i] = h;
        p->has_null_key[i] = has_null;
    }
}

static bool
keys_equal(const struct join_probe *p, uint32_t row, uint64_t build_row)
{
    const struct join_table *t = p->t;
    for (uint32_t k = 0; k < t->spec.key_count; k++) {
        uint32_t bc = t->spec.build_keys[k];
        union col_datum a = vec_value(&p->in->columns[t->spec.probe_keys[k]], row);
        if (!key_part_equal(t->types[bc], a, mat_value(&t->rows, bc, build_row))) {
            return false;
        }
    }
    return true;
}

/* Finds up to COL_VECTOR_SIZE matches from where the last call stopped; returns how many. */
static uint32_t
find_matches(struct join_probe *p)
{
    const struct join_table *t = p->t;
    uint32_t n = 0;
    while (n < COL_VECTOR_SIZE && p->next_index < p->in->selected_count) {
        uint32_t i = p->next_index, row = batch_row(p->in, i);
        if (!p->is_started) {
            p->is_started = true;
            p->chain = p->has_null_key[i] ? NO_ROW : t->heads[p->hashes[i] & (t->bucket_count - 1)];
        }
        while (p->chain != NO_ROW && n < COL_VECTOR_SIZE) {
            uint64_t r = p->chain - 1;
            p->chain = t->next[r];
            if (t->hashes[r] == p->hashes[i] && keys_equal(p, row, r)) {
                p->probe_rows[n] = (uint16_t)row;
                p->build_rows[n] = r;
                n++;
            }
        }
        if (p->chain == NO_ROW) {
            p->next_index++;
            p->is_started = false;
        }
    }
    return n;
}

static void
set_bit(uint64_t *words, uint32_t i, bool is_set)
{
    uint64_t bit = 1ull << (i % 64);
    words[i / 64] = is_set ? words[i / 64] | bit : words[i / 64] & ~bit;
}

/* Column c of out: values of src at rows[0 .. n) (probe rows), copied into the probe's
 * buffer; a constant stays one. */
static void
gather_probe(struct join_probe *p, uint32_t c, const struct vec *src, uint32_t n, struct vec *out)
{
    *out = *src;
    if (src->kind == VEC_CONSTANT) {
        return;
    }
    size_t width = src->kind == VEC_DICT ? sizeof(uint32_t) : col_type_width(src->type);
    char *dst = p->columns[c];
    for (uint32_t i = 0; i < n; i++) {
        memcpy(dst + i * width, (const char *)src->data + (size_t)p->probe_rows[i] * width, width);
    }
    out->data = dst;
    if (src->validity != NULL) {
        for (uint32_t i = 0; i < n; i++) {
            set_bit(p->validity[c], i, vec_is_valid(src, p->probe_rows[i]));
        }
        out->validity = p->validity[c];
    }
}

/* Column c of out: build column bc at build_rows[0 .. n). */
static void
gather_build(struct join_probe *p, uint32_t c, uint32_t bc, uint32_t n, struct vec *out)
{
    const struct mat *m = &p->t->rows;
    size_t width = col_type_width(m->types[bc]);
    char *dst = p->columns[c];
    for (uint32_t i = 0; i < n; i++) {
        memcpy(dst + i * width, (const char *)m->data[bc] + p->build_rows[i] * width, width);
    }
    *out =
        (struct vec){.type = m->types[bc], .scale = m->scales[bc], .kind = VEC_FLAT, .data = dst};
    if (m->has_null[bc]) {
        for (uint32_t i = 0; i < n; i++) {
            set_bit(p->validity[c], i, mat_is_valid(m, bc, p->build_rows[i]));
        }
        out->validity = p->validity[c];
    }
}

col_status
join_probe_next(struct join_probe *p, struct batch *out, struct col_error *err)
{
    (void)err;
    assert(p->in != NULL);
    uint32_t n = find_matches(p);
    out->row_count = n;
    out->selected_count = n;
    out->sel = NULL;
    out->column_count = p->column_count + p->t->column_count;
    for (uint32_t c = 0; c < p->column_count; c++) {
        gather_probe(p, c, &p->in->columns[c], n, &out->columns[c]);
    }
    for (uint32_t bc = 0; bc < p->t->column_count; bc++) {
        gather_build(p, p->column_count + bc, bc, n, &out->columns[p->column_count + bc]);
    }
    return COL_OK;
}
