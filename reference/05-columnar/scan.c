/* scan.c -- part C: a table read as batches, late materialization, zone-map pruning (lab 05).
 * A row group is read a batch at a time. For each batch the conjuncts run in order, each
 * loading only the columns it needs that are not loaded yet, for the rows still selected; the
 * columns no conjunct needs are loaded last, for the survivors. A column's chunk is pinned the
 * first time the group needs it, so a group in which nothing survives never reads them. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

struct conjunct {
    const struct expr *e;
    uint64_t columns; /* bit i: batch column i is an operand */
    struct expr_state *state;
};

struct scan_column {
    uint32_t table_column;
    enum col_type type;
    uint8_t scale;
    const struct col_chunk *chunk; /* pinned for the current group, or NULL */
    uint32_t run;                  /* RLE: the run holding the current batch's first row */
    void *buffer;                  /* RLE expanded at the selected rows: COL_VECTOR_SIZE values */
};

struct scan {
    struct scan_spec spec;
    uint32_t conjunct_count;
    struct conjunct conjuncts[SCAN_CONJUNCTS_MAX];
    struct scan_column columns[VEC_COLUMNS_MAX];
    uint32_t group;      /* the group being read, or the next to look at */
    uint32_t end_group;  /* one past the last group begun */
    bool is_in_group;    /* group's batches are being given */
    uint32_t group_rows; /* of the group being read */
    uint32_t next_row;   /* the next batch's first row in the group */
    uint16_t sel[COL_VECTOR_SIZE];
    struct batch batch;
    struct scan_stats stats;
};

/* A constant vector's validity when its value is NULL: bit 0 clear. */
static const uint64_t null_word = 0;

static uint64_t
columns_of(const struct expr *e)
{
    uint64_t mask = e->op == EXPR_COLUMN ? 1ull << e->column : 0;
    for (uint32_t i = 0; i < e->arg_count; i++) {
        mask |= columns_of(e->args[i]);
    }
    return mask;
}

/* Appends e's top-level conjuncts to s. */
static col_status
split_conjuncts(struct scan *s, const struct expr *e, struct col_error *err)
{
    if (e->op == EXPR_AND) {
        col_status status = split_conjuncts(s, e->args[0], err);
        return status != COL_OK ? status : split_conjuncts(s, e->args[1], err);
    }
    if (s->conjunct_count == SCAN_CONJUNCTS_MAX) {
        return col_fail(err, COL_INVALID, "scan: more than %u conjuncts in the filters",
                        SCAN_CONJUNCTS_MAX);
    }
    s->conjuncts[s->conjunct_count++] = (struct conjunct){e, columns_of(e), NULL};
    return COL_OK;
}

static col_status
check_spec(const struct scan_spec *spec, struct col_error *err)
{
    const struct col_schema *schema = col_table_schema(spec->table);
    if (spec->column_count == 0 || spec->column_count > VEC_COLUMNS_MAX) {
        return col_fail(err, COL_INVALID, "scan: %u columns (1 to %u may be read)",
                        spec->column_count, VEC_COLUMNS_MAX);
    }
    uint64_t seen = 0;
    for (uint32_t i = 0; i < spec->column_count; i++) {
        uint32_t c = spec->columns[i];
        if (c >= schema->column_count) {
            return col_fail(err, COL_INVALID, "scan: column %u of %s is past its %u columns", c,
                            col_table_path(spec->table), schema->column_count);
        }
        if (seen & (1ull << c)) {
            return col_fail(err, COL_INVALID, "scan: column %s is listed twice",
                            schema->columns[c].name);
        }
        seen |= 1ull << c;
    }
    if (spec->filter_count > SCAN_CONJUNCTS_MAX) {
        return col_fail(err, COL_INVALID, "scan: %u filters (at most %u)", spec->filter_count,
                        SCAN_CONJUNCTS_MAX);
    }
    for (uint32_t f = 0; f < spec->filter_count; f++) {
        const struct expr *e = spec->filters[f];
        bool is_past = spec->column_count < 64 && (columns_of(e) >> spec->column_count) != 0;
        if (e == NULL || e->type != COL_INT32 || is_past) {
            return col_fail(err, COL_INVALID,
                            "scan: filter %u is not a condition over the scan's %u columns", f,
                            spec->column_count);
        }
    }
    return COL_OK;
}

col_status
scan_new(const struct scan_spec *spec, struct scan **out, struct col_error *err)
{
    col_status status = check_spec(spec, err);
    if (status != COL_OK) {
        return status;
    }
    struct scan *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return col_fail(err, COL_NOMEM, "scan: out of memory");
    }
    s->spec = *spec;
    const struct col_schema *schema = col_table_schema(spec->table);
    for (uint32_t f = 0; f < spec->filter_count && status == COL_OK; f++) {
        status = split_conjuncts(s, spec->filters[f], err);
    }
    for (uint32_t k = 0; k < s->conjunct_count && status == COL_OK; k++) {
        status = expr_state_new(s->conjuncts[k].e, &s->conjuncts[k].state, err);
    }
    for (uint32_t i = 0; i < spec->column_count && status == COL_OK; i++) {
        const struct col_column *col = &schema->columns[spec->columns[i]];
        s->columns[i] = (struct scan_column){
            .table_column = spec->columns[i], .type = col->type, .scale = col->scale};
        if (col_encoding_applies(COL_ENC_RLE, col->type)) {
            s->columns[i].buffer = malloc((size_t)COL_VECTOR_SIZE * col_type_width(col->type));
            if (s->columns[i].buffer == NULL) {
                status = col_fail(err, COL_NOMEM, "scan: out of memory");
            }
        }
    }
    if (status != COL_OK) {
        scan_free(s);
        return status;
    }
    *out = s;
    return COL_OK;
}

static void
release_pins(struct scan *s)
{
    for (uint32_t i = 0; i < s->spec.column_count; i++) {
        if (s->columns[i].chunk != NULL) {
            col_cache_unpin(s->spec.cache, s->columns[i].chunk);
            s->columns[i].chunk = NULL;
        }
    }
}

void
scan_free(struct scan *s)
{
    if (s == NULL) {
        return;
    }
    release_pins(s);
    for (uint32_t k = 0; k < s->conjunct_count; k++) {
        expr_state_free(s->conjuncts[k].state);
    }
    for (uint32_t i = 0; i < s->spec.column_count; i++) {
        free(s->columns[i].buffer);
    }
    free(s);
}

/* Whether the comparison column OP constant can hold for a value in [min, max]. */
static bool
range_may_match(enum expr_op op, int min_vs_c, int max_vs_c)
{
    switch (op) {
    case EXPR_EQ:
        return min_vs_c <= 0 && max_vs_c >= 0;
    case EXPR_NE:
        return !(min_vs_c == 0 && max_vs_c == 0);
    case EXPR_LT:
        return min_vs_c < 0;
    case EXPR_LE:
        return min_vs_c <= 0;
    case EXPR_GT:
        return max_vs_c > 0;
    default:
        return max_vs_c >= 0;
    }
}

static bool
conjunct_may_match(const struct scan *s, const struct expr *e, uint32_t group)
{
    const struct expr *column = NULL, *constant = NULL;
    enum expr_op op = e->op;
    if (op == EXPR_IS_NULL || op == EXPR_IS_NOT_NULL) {
        column = e->args[0];
    } else if (op >= EXPR_EQ && op <= EXPR_GE) {
        column = e->args[0];
        constant = e->args[1];
        if (column->op == EXPR_CONSTANT) {
            column = e->args[1];
            constant = e->args[0];
            op = expr_op_flipped(op);
        }
        if (constant->op != EXPR_CONSTANT) {
            return true;
        }
    }
    if (column == NULL || column->op != EXPR_COLUMN) {
        return true;
    }
    const struct scan_column *sc = &s->columns[column->column];
    const struct col_zone *zone = &col_table_chunk(s->spec.table, group, sc->table_column)->zone;
    if (op == EXPR_IS_NULL) {
        return zone->null_count > 0;
    }
    if (op == EXPR_IS_NOT_NULL) {
        return zone->null_count < col_table_group_rows(s->spec.table, group);
    }
    if (constant->is_null || !zone->has_min_max) {
        return false; /* NULL on one side: the comparison is never TRUE */
    }
    int min_vs_c = scan_value_compare(sc->type, sc->scale, zone->min, constant->type,
                                      constant->scale, constant->value);
    int max_vs_c = scan_value_compare(sc->type, sc->scale, zone->max, constant->type,
                                      constant->scale, constant->value);
    return range_may_match(op, min_vs_c, max_vs_c);
}

bool
scan_group_may_match(const struct scan *s, uint32_t group)
{
    for (uint32_t k = 0; k < s->conjunct_count; k++) {
        if (!conjunct_may_match(s, s->conjuncts[k].e, group)) {
            return false;
        }
    }
    return true;
}

void
scan_begin(struct scan *s, uint32_t first_group, uint32_t end_group)
{
    release_pins(s);
    s->group = first_group;
    s->end_group = end_group;
    s->is_in_group = false;
}

/* Whether validity (from the batch's first row) says rows [0, count) are all valid (want 1) or
 * all NULL (want 0). */
static bool
rows_all(const uint64_t *validity, uint32_t count, int want)
{
    for (uint32_t w = 0; w * 64 < count; w++) {
        uint64_t mask = count - w * 64 >= 64 ? ~0ull : (1ull << (count - w * 64)) - 1;
        uint64_t bits = validity[w] & mask;
        if (bits != (want ? mask : 0)) {
            return false;
        }
    }
    return true;
}

/* An RLE chunk's vector for rows [start, start + count): constant when one run covers them
 * and they are all valid or all NULL, else its values at the batch's selected rows. */
static void
rle_vector(struct scan_column *sc, const struct batch *b, uint32_t start, struct vec *v)
{
    const struct col_chunk *chunk = sc->chunk;
    while (chunk->run_ends[sc->run] <= start) {
        sc->run++;
    }
    size_t width = col_type_width(sc->type);
    const uint64_t *validity = chunk->validity != NULL ? chunk->validity + start / 64 : NULL;
    if (chunk->run_ends[sc->run] >= start + b->row_count) {
        bool is_valid = validity == NULL || rows_all(validity, b->row_count, 1);
        if (is_valid || rows_all(validity, b->row_count, 0)) {
            v->kind = VEC_CONSTANT;
            v->data = (const char *)chunk->run_values + (size_t)sc->run * width;
            v->validity = is_valid ? NULL : &null_word;
            return;
        }
    }
    uint32_t run = sc->run;
    for (uint32_t i = 0; i < b->selected_count; i++) {
        uint32_t row = batch_row(b, i);
        while (chunk->run_ends[run] <= start + row) {
            run++;
        }
        memcpy((char *)sc->buffer + (size_t)row * width,
               (const char *)chunk->run_values + (size_t)run * width, width);
    }
    v->data = sc->buffer;
    v->validity = validity;
}

/* Makes batch column i hold its values at the batch's selected rows, pinning its chunk the
 * first time the group needs it. */
static col_status
load_column(struct scan *s, uint32_t i, uint32_t start, struct col_error *err)
{
    struct scan_column *sc = &s->columns[i];
    struct scan_column_stats *stats = &s->stats.columns[i];
    if (sc->chunk == NULL) {
        enum col_tier tier;
        col_status status = col_cache_pin(s->spec.cache, s->spec.table, s->group, sc->table_column,
                                          &sc->chunk, &tier, err);
        if (status != COL_OK) {
            return status;
        }
        sc->run = 0;
        stats->chunks[tier]++;
        stats->bytes += col_table_chunk(s->spec.table, s->group, sc->table_column)->size_bytes;
    }
    const struct col_chunk *chunk = sc->chunk;
    struct batch *b = &s->batch;
    struct vec *v = &b->columns[i];
    *v = (struct vec){.type = sc->type, .scale = sc->scale, .kind = VEC_FLAT};
    stats->rows_touched += b->selected_count;
    switch (chunk->encoding) {
    case COL_ENC_RLE:
        rle_vector(sc, b, start, v);
        return COL_OK;
    case COL_ENC_DICT:
        v->kind = VEC_DICT;
        v->data = chunk->codes + start;
        v->dict = chunk->dict;
        v->dict_count = chunk->dict_count;
        break;
    default:
        v->data = (const char *)chunk->values + (size_t)start * col_type_width(sc->type);
        break;
    }
    v->validity = chunk->validity != NULL ? chunk->validity + start / 64 : NULL;
    return COL_OK;
}

/* Runs the conjuncts over the batch of rows [start, start + count) of the current group,
 * loading each one's columns as it comes, then the rest for the survivors. */
static col_status
fill_batch(struct scan *s, uint32_t start, uint32_t count, struct col_error *err)
{
    struct batch *b = &s->batch;
    b->row_count = count;
    b->selected_count = count;
    b->sel = NULL;
    b->column_count = s->spec.column_count;
    uint64_t loaded = 0;
    for (uint32_t k = 0; k < s->conjunct_count && b->selected_count > 0; k++) {
        struct conjunct *c = &s->conjuncts[k];
        for (uint64_t todo = c->columns & ~loaded; todo != 0; todo &= todo - 1) {
            col_status status = load_column(s, (uint32_t)__builtin_ctzll(todo), start, err);
            if (status != COL_OK) {
                return status;
            }
        }
        loaded |= c->columns;
        uint32_t kept = 0;
        col_status status =
            expr_select_rows(c->e, b, b->sel, b->selected_count, c->state, s->sel, &kept, err);
        if (status != COL_OK) {
            return status;
        }
        b->sel = s->sel;
        b->selected_count = kept;
    }
    for (uint32_t i = 0; i < b->column_count && b->selected_count > 0; i++) {
        if (!(loaded & (1ull << i))) {
            col_status status = load_column(s, i, start, err);
            if (status != COL_OK) {
                return status;
            }
        }
    }
    return COL_OK;
}

col_status
scan_next(struct scan *s, struct batch *out, struct col_error *err)
{
    for (;;) {
        if (!s->is_in_group) {
            if (s->group >= s->end_group) {
                out->row_count = 0;
                out->selected_count = 0;
                return COL_OK;
            }
            s->stats.groups++;
            if (!scan_group_may_match(s, s->group)) {
                s->stats.groups_pruned++;
                s->group++;
                continue;
            }
            s->is_in_group = true;
            s->group_rows = col_table_group_rows(s->spec.table, s->group);
            s->next_row = 0;
            s->stats.rows_scanned += s->group_rows;
        }
        if (s->next_row >= s->group_rows) {
            release_pins(s);
            s->is_in_group = false;
            s->group++;
            continue;
        }
        uint32_t start = s->next_row;
        uint32_t count =
            s->group_rows - start < COL_VECTOR_SIZE ? s->group_rows - start : COL_VECTOR_SIZE;
        s->next_row += count;
        col_status status = fill_batch(s, start, count, err);
        if (status != COL_OK) {
            return status;
        }
        if (s->batch.selected_count > 0) {
            s->stats.rows_out += s->batch.selected_count;
            *out = s->batch;
            return COL_OK;
        }
    }
}

void
scan_stats(const struct scan *s, struct scan_stats *out)
{
    *out = s->stats;
}
