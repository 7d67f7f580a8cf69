/* aggregate.c -- part B: hash aggregation (ops.h). Read agg_table_add first: it hashes every
 * row's keys, then finds every row's group, then runs one loop per aggregate over the rows, so
 * each loop does one thing over plain arrays. Groups live in an open-addressing table of group
 * numbers; their keys in a struct mat, their aggregates in one array, one accumulator per
 * aggregate a group (acc_stride of them). */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_MIN 64u
#define NULL_HASH 0x2545f4914f6cdd1dull     /* what a NULL key hashes as */
#define KEY_HASH_SEED 0x9e3779b97f4a7c15ull /* a row's hash before its first key */
#define STRING_BLOCK_BYTES (64u << 10)      /* MIN and MAX strings, in blocks that never move */

/* One aggregate of one group. sum: integers and decimals exactly; sum_f: doubles; count: the
 * values seen (not NULL); extreme: MIN or MAX so far, valid once count > 0. */
struct acc {
    __int128 sum;
    double sum_f;
    int64_t count;
    union col_datum extreme;
};

struct string_block {
    struct string_block *next;
    size_t used_bytes, size_bytes;
    char bytes[];
};

struct agg_table {
    struct agg_spec spec;
    enum col_type types[VEC_COLUMNS_MAX]; /* input columns */
    uint8_t scales[VEC_COLUMNS_MAX];
    enum col_type out_types[AGG_KEYS_MAX + AGG_FUNCS_MAX];
    uint8_t out_scales[AGG_KEYS_MAX + AGG_FUNCS_MAX];
    uint64_t group_count;
    struct mat keys;     /* a row per group (no columns when there are no keys) */
    uint64_t *hashes;    /* per group */
    struct acc *accs;    /* acc_stride per group */
    uint32_t acc_stride; /* func_count, at least 1 so a group of keys alone still has a row */
    uint64_t group_capacity;
    uint32_t *slots; /* group + 1; 0 is empty */
    uint64_t slot_count;
    struct string_block *strings;
    uint64_t hash[COL_VECTOR_SIZE]; /* the batch's rows */
    uint64_t *dict_hashes;          /* a dictionary vector's entries, hashed once a batch */
    uint32_t dict_hash_capacity;
    uint32_t group[COL_VECTOR_SIZE];
};

/* The hash of one value: numbers by their bits (1.50 and 1.5 never meet: a key column has one
 * type and scale), strings by their bytes. */
static uint64_t
hash_value(enum col_type type, union col_datum d, bool is_valid)
{
    if (!is_valid) {
        return NULL_HASH;
    }
    if (type == COL_STRING) {
        return col_hash_bytes(d.str.ptr, d.str.size_bytes);
    }
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    return col_hash_mix(bits);
}

col_status
agg_table_new(const struct agg_spec *spec, uint32_t column_count, const enum col_type *types,
              const uint8_t *scales, struct agg_table **out, struct col_error *err)
{
    assert(spec != NULL && out != NULL);
    struct agg_table *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for a GROUP BY");
    }
    col_status status =
        agg_spec_resolve(spec, column_count, types, scales, t->out_types, t->out_scales, err);
    if (status != COL_OK) {
        free(t);
        return status;
    }
    t->spec = *spec;
    t->acc_stride = spec->func_count > 0 ? spec->func_count : 1;
    memcpy(t->types, types, column_count * sizeof(types[0]));
    for (uint32_t c = 0; c < column_count; c++) {
        t->scales[c] = scales != NULL ? scales[c] : 0;
    }
    mat_init(&t->keys, spec->key_count, t->out_types, t->out_scales);
    *out = t;
    return COL_OK;
}

void
agg_table_free(struct agg_table *t)
{
    if (t == NULL) {
        return;
    }
    mat_free(&t->keys);
    free(t->hashes);
    free(t->accs);
    free(t->slots);
    free(t->dict_hashes);
    while (t->strings != NULL) {
        struct string_block *next = t->strings->next;
        free(t->strings);
        t->strings = next;
    }
    free(t);
}

uint64_t
agg_table_group_count(const struct agg_table *t)
{
    return t->group_count;
}

/* A copy of s that lives as long as the table. */
static bool
string_keep(struct agg_table *t, struct col_str *s)
{
    struct string_block *b = t->strings;
    if (b == NULL || b->size_bytes - b->used_bytes < s->size_bytes) {
        size_t size = s->size_bytes > STRING_BLOCK_BYTES ? s->size_bytes : STRING_BLOCK_BYTES;
        b = malloc(sizeof(*b) + size);
        if (b == NULL) {
            return false;
        }
        b->next = t->strings;
        b->used_bytes = 0;
        b->size_bytes = size;
        t->strings = b;
    }
    char *copy = b->bytes + b->used_bytes;
    if (s->size_bytes > 0) {
        memcpy(copy, s->ptr, s->size_bytes);
    }
    b->used_bytes += s->size_bytes;
    s->ptr = copy;
    return true;
}

/* Room for one more group: the arrays grow by doubling, and the slots stay under half full. */
static col_status
groups_reserve(struct agg_table *t, uint64_t groups, struct col_error *err)
{
    if (groups > AGG_GROUPS_MAX) {
        return col_fail(err, COL_TOO_BIG, "a GROUP BY of over %u groups", AGG_GROUPS_MAX);
    }
    if (groups > t->group_capacity) {
        uint64_t capacity = t->group_capacity ? t->group_capacity * 2 : SLOTS_MIN / 2;
        uint64_t *hashes = realloc(t->hashes, capacity * sizeof(uint64_t));
        if (hashes != NULL) {
            t->hashes = hashes;
        }
        struct acc *accs = realloc(t->accs, capacity * t->acc_stride * sizeof(struct acc));
        if (accs != NULL) {
            t->accs = accs;
        }
        if (hashes == NULL || accs == NULL) {
            return col_fail(err, COL_NOMEM, "out of memory for %llu groups",
                            (unsigned long long)capacity);
        }
        t->group_capacity = capacity;
    }
    if (groups * 2 <= t->slot_count) {
        return COL_OK;
    }
    uint64_t slot_count = t->slot_count ? t->slot_count * 2 : SLOTS_MIN;
    uint32_t *slots = calloc(slot_count, sizeof(uint32_t));
    if (slots == NULL) {
        return col_fail(err, COL_NOMEM, "out of memory for %llu groups",
                        (unsigned long long)groups);
    }
    for (uint64_t g = 0; g + 1 < groups; g++) { /* the groups there are, placed again */
        uint64_t at = t->hashes[g] & (slot_count - 1);
        while (slots[at] != 0) {
            at = (at + 1) & (slot_count - 1);
        }
        slots[at] = (uint32_t)(g + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->slot_count = slot_count;
    return COL_OK;
}

/* One row's keys, gathered: values and whether each is valid. */
struct key_row {
    union col_datum values[AGG_KEYS_MAX];
    bool is_valid[AGG_KEYS_MAX];
};

static bool
key_equal(const struct agg_table *t, const struct key_row *k, uint64_t group)
{
    for (uint32_t i = 0; i < t->spec.key_count; i++) {
        bool is_valid = mat_is_valid(&t->keys, i, group);
        if (is_valid != k->is_valid[i]) {
            return false;
        }
        if (!is_valid) {
            continue; /* NULL keys are one group */
        }
        union col_datum d = mat_value(&t->keys, i, group);
        enum col_type type = t->out_types[i];
        bool is_same = type == COL_STRING    ? col_str_compare(d.str, k->values[i].str) == 0
                       : type == COL_FLOAT64 ? d.f64 == k->values[i].f64
                                             : d.i64 == k->values[i].i64;
        if (!is_same) {
            return false;
        }
    }
    return true;
}

/* The group of keys k (hash h), made when there is none yet. */
static col_status
group_of(struct agg_table *t, const struct key_row *k, uint64_t h, uint32_t *group,
         struct col_error *err)
{
    uint64_t mask = t->slot_count - 1;
    uint64_t at = h & mask;
    for (; t->slot_count > 0 && t->slots[at] != 0; at = (at + 1) & mask) {
        uint32_t g = t->slots[at] - 1;
        if (t->hashes[g] == h && key_equal(t, k, g)) {
            *group = g;
            return COL_OK;
        }
    }
    col_status status = groups_reserve(t, t->group_count + 1, err);
    bool is_null[AGG_KEYS_MAX];
    for (uint32_t i = 0; i < t->spec.key_count; i++) {
        is_null[i] = !k->is_valid[i];
    }
    if (status == COL_OK) {
        status = mat_append_row(&t->keys, k->values, is_null, err);
    }
    if (status != COL_OK) {
        return status;
    }
    uint32_t g = (uint32_t)t->group_count++;
    t->hashes[g] = h;
    memset(&t->accs[(uint64_t)g * t->acc_stride], 0, t->acc_stride * sizeof(struct acc));
    mask = t->slot_count - 1; /* the slots may have grown */
    for (at = h & mask; t->slots[at] != 0; at = (at + 1) & mask) {
    }
    t->slots[at] = g + 1;
    *group = g;
    return COL_OK;
}

static void
key_row_of(const struct agg_table *t, const struct batch *b, uint32_t row, struct key_row *k)
{
    for (uint32_t j = 0; j < t->spec.key_count; j++) {
        const struct vec *v = &b->columns[t->spec.keys[j]];
        k->is_valid[j] = vec_is_valid(v, row);
        k->values[j] = k->is_valid[j] ? vec_value(v, row) : (union col_datum){0};
    }
}

/* Folds key column j of b into every selected row's hash (KEY_HASH_SEED, then each key's
 * hash_value mixed in turn): a dictionary's entries hashed once each, a constant's value each
 * row as any other. -0.0 hashes as 0.0. */
static col_status
hash_column(struct agg_table *t, const struct batch *b, uint32_t j, struct col_error *err)
{
    const struct vec *v = &b->columns[t->spec.keys[j]];
    enum col_type type = t->out_types[j];
    if (v->kind == VEC_DICT) {
        if (v->dict_count > t->dict_hash_capacity) {
            uint64_t *grown = realloc(t->dict_hashes, v->dict_count * sizeof(uint64_t));
            if (grown == NULL) {
                return col_fail(err, COL_NOMEM, "out of memory hashing a dictionary");
            }
            t->dict_hashes = grown;
            t->dict_hash_capacity = v->dict_count;
        }
        for (uint32_t e = 0; e < v->dict_count; e++) {
            t->dict_hashes[e] = hash_value(type, (union col_datum){.str = v->dict[e]}, true);
        }
        const uint32_t *codes = v->data;
        for (uint32_t i = 0; i < b->selected_count; i++) {
            uint32_t row = batch_row(b, i);
            uint64_t hv = vec_is_valid(v, row) ? t->dict_hashes[codes[row]] : NULL_HASH;
            t->hash[i] = col_hash_mix(t->hash[i] ^ hv);
        }
        return COL_OK;
    }
    for (uint32_t i = 0; i < b->selected_count; i++) {
        uint32_t row = v->kind == VEC_CONSTANT ? 0 : batch_row(b, i);
        bool is_valid = vec_is_valid(v, row);
        union col_datum d = is_valid ? vec_value(v, row) : (union col_datum){0};
        if (type == COL_FLOAT64 && d.f64 == 0) {
            d.f64 = 0; /* -0.0 = 0.0, so they hash alike */
        }
        t->hash[i] = col_hash_mix(t->hash[i] ^ hash_value(type, d, is_valid));
    }
    return COL_OK;
}

/* Every selected row's hash, a key column at a time, then every row's group: t->group[i] for
 * selection index i. Two passes, so the first is tight loops the second's memory stalls do not
 * interrupt. */
static col_status
rows_to_groups(struct agg_table *t, const struct batch *b, struct col_error *err)
{
    struct key_row k;
    for (uint32_t i = 0; i < b->selected_count; i++) {
        t->hash[i] = KEY_HASH_SEED;
    }
    for (uint32_t j = 0; j < t->spec.key_count; j++) {
        col_status status = hash_column(t, b, j, err);
        if (status != COL_OK) {
            return status;
        }
    }
    for (uint32_t i = 0; i < b->selected_count; i++) {
        key_row_of(t, b, batch_row(b, i), &k);
        col_status status = group_of(t, &k, t->hash[i], &t->group[i], err);
        if (status != COL_OK) {
            return status;
        }
    }
    return COL_OK;
}

/* x improves on the extreme so far for MIN (is_min) or MAX. */
static bool
is_better(enum col_type type, bool is_min, union col_datum x, union col_datum so_far)
{
    int order = type == COL_STRING    ? col_str_compare(x.str, so_far.str)
                : type == COL_FLOAT64 ? (x.f64 > so_far.f64) - (x.f64 < so_far.f64)
                                      : (x.i64 > so_far.i64) - (x.i64 < so_far.i64);
    return is_min ? order < 0 : order > 0;
}

/* Folds value x (valid) into acc for fn over a column of type. */
static bool
acc_add(struct agg_table *t, struct acc *a, enum agg_fn fn, enum col_type type, union col_datum x)
{
    if (fn == AGG_SUM || fn == AGG_AVG) {
        if (type == COL_FLOAT64) {
            a->sum_f += x.f64;
        } else {
            a->sum += x.i64;
        }
    } else if ((fn == AGG_MIN || fn == AGG_MAX) &&
               (a->count == 0 || is_better(type, fn == AGG_MIN, x, a->extreme))) {
        a->extreme = x;
        if (type == COL_STRING && !string_keep(t, &a->extreme.str)) {
            return false;
        }
    }
    a->count++;
    return true;
}

/* One aggregate's loop over the batch's rows. */
static col_status
update(struct agg_table *t, uint32_t f, const struct batch *b, struct col_error *err)
{
    enum agg_fn fn = t->spec.fns[f];
    struct acc *accs = t->accs + f;
    if (fn == AGG_COUNT_STAR) {
        for (uint32_t i = 0; i < b->selected_count; i++) {
            accs[(uint64_t)t->group[i] * t->acc_stride].count++;
        }
        return COL_OK;
    }
    const struct vec *v = &b->columns[t->spec.args[f]];
    bool is_wide = v->type == COL_INT64 || v->type == COL_DECIMAL;
    if ((fn == AGG_SUM || fn == AGG_AVG) && is_wide && v->kind == VEC_FLAT &&
        v->validity == NULL) { /* the common case: a sum over a plain column */
        const int64_t *x = v->data;
        for (uint32_t i = 0; i < b->selected_count; i++) {
            struct acc *a = &accs[(uint64_t)t->group[i] * t->acc_stride];
            a->sum += x[batch_row(b, i)];
            a->count++;
        }
        return COL_OK;
    }
    for (uint32_t i = 0; i < b->selected_count; i++) {
        uint32_t row = batch_row(b, i);
        if (vec_is_valid(v, row) && !acc_add(t, &accs[(uint64_t)t->group[i] * t->acc_stride], fn,
                                             v->type, vec_value(v, row))) {
            return col_fail(err, COL_NOMEM, "out of memory for %s", agg_fn_name(fn));
        }
    }
    return COL_OK;
}

/* The table with no keys has its one group from the start, so it answers over no rows. */
static col_status
single_group(struct agg_table *t, struct col_error *err)
{
    if (t->spec.key_count > 0 || t->group_count > 0) {
        return COL_OK;
    }
    struct key_row none = {0};
    uint32_t g;
    return group_of(t, &none, KEY_HASH_SEED, &g, err); /* the hash of no keys */
}

col_status
agg_table_add(struct agg_table *t, const struct batch *b, struct col_error *err)
{
    assert(t != NULL && b != NULL);
    col_status status = single_group(t, err);
    if (status == COL_OK) {
        status = rows_to_groups(t, b, err);
    }
    for (uint32_t f = 0; status == COL_OK && f < t->spec.func_count; f++) {
        status = update(t, f, b, err);
    }
    return status;
}

/* Folds from's accumulator into into's. */
static bool
acc_merge(struct agg_table *t, struct acc *into, const struct acc *from, enum agg_fn fn,
          enum col_type type)
{
    if ((fn == AGG_MIN || fn == AGG_MAX) && from->count > 0 &&
        (into->count == 0 || is_better(type, fn == AGG_MIN, from->extreme, into->extreme))) {
        into->extreme = from->extreme;
        if (type == COL_STRING && !string_keep(t, &into->extreme.str)) {
            return false;
        }
    }
    into->sum += from->sum;
    into->sum_f += from->sum_f;
    into->count += from->count;
    return true;
}

col_status
agg_table_merge(struct agg_table *into, struct agg_table *from, struct col_error *err)
{
    assert(into != NULL && from != NULL);
    assert(into->spec.key_count == from->spec.key_count);
    assert(into->acc_stride == from->acc_stride);
    col_status status = single_group(into, err);
    for (uint64_t g = 0; status == COL_OK && g < from->group_count; g++) {
        struct key_row k;
        for (uint32_t j = 0; j < from->spec.key_count; j++) {
            k.is_valid[j] = mat_is_valid(&from->keys, j, g);
            k.values[j] = mat_value(&from->keys, j, g);
        }
        uint32_t target;
        status = group_of(into, &k, from->hashes[g], &target, err);
        for (uint32_t f = 0; status == COL_OK && f < from->spec.func_count; f++) {
            enum col_type type =
                from->spec.fns[f] == AGG_COUNT_STAR ? COL_INT64 : from->types[from->spec.args[f]];
            if (!acc_merge(into, &into->accs[(uint64_t)target * into->acc_stride + f],
                           &from->accs[g * from->acc_stride + f], from->spec.fns[f], type)) {
                status = col_fail(err, COL_NOMEM, "out of memory merging groups");
            }
        }
    }
    if (status == COL_OK) { /* from is left empty, ready to fill again */
        mat_free(&from->keys);
        mat_init(&from->keys, from->spec.key_count, from->out_types, from->out_scales);
        from->group_count = 0;
        if (from->slots != NULL) { /* a table that never took a row has no index yet */
            memset(from->slots, 0, from->slot_count * sizeof(uint32_t));
        }
    }
    return status;
}

/* Aggregate f of group g as a value of the result. */
static col_status
result_of(const struct agg_table *t, uint32_t f, uint64_t g, union col_datum *value, bool *is_null,
          struct col_error *err)
{
    const struct acc *a = &t->accs[g * t->acc_stride + f];
    enum agg_fn fn = t->spec.fns[f];
    enum col_type in = fn == AGG_COUNT_STAR ? COL_INT64 : t->types[t->spec.args[f]];
    uint8_t scale = fn == AGG_COUNT_STAR ? 0 : t->scales[t->spec.args[f]];
    *is_null = fn != AGG_COUNT && fn != AGG_COUNT_STAR && a->count == 0;
    memset(value, 0, sizeof(*value));
    if (fn == AGG_COUNT || fn == AGG_COUNT_STAR) {
        value->i64 = a->count;
    } else if (*is_null) {
        return COL_OK;
    } else if (fn == AGG_MIN || fn == AGG_MAX) {
        *value = a->extreme;
    } else if (in == COL_FLOAT64) {
        value->f64 = fn == AGG_AVG ? a->sum_f / (double)a->count : a->sum_f;
    } else if (fn == AGG_AVG) {
        value->f64 = (double)a->sum / (double)col_pow10(scale) / (double)a->count;
    } else if (a->sum > INT64_MAX || a->sum < INT64_MIN) {
        return col_fail(err, COL_TOO_BIG, "sum(#%u) of a group is past 64 bits", t->spec.args[f]);
    } else {
        value->i64 = (int64_t)a->sum;
    }
    return COL_OK;
}

col_status
agg_table_finish(struct agg_table *t, struct mat *out, struct col_error *err)
{
    assert(t != NULL && out != NULL);
    uint32_t keys = t->spec.key_count, columns = keys + t->spec.func_count;
    mat_init(out, columns, t->out_types, t->out_scales);
    col_status status = single_group(t, err);
    for (uint64_t g = 0; status == COL_OK && g < t->group_count; g++) {
        union col_datum values[AGG_KEYS_MAX + AGG_FUNCS_MAX];
        bool is_null[AGG_KEYS_MAX + AGG_FUNCS_MAX];
        for (uint32_t k = 0; k < keys; k++) {
            is_null[k] = !mat_is_valid(&t->keys, k, g);
            values[k] = mat_value(&t->keys, k, g);
        }
        for (uint32_t f = 0; status == COL_OK && f < t->spec.func_count; f++) {
            status = result_of(t, f, g, &values[keys + f], &is_null[keys + f], err);
        }
        if (status == COL_OK) {
            status = mat_append_row(out, values, is_null, err);
        }
    }
    if (status != COL_OK) {
        mat_free(out);
    }
    return status;
}
