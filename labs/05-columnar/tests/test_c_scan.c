/* test_c_scan.c -- part C: a scan (scan.h) gives exactly the rows its filters keep, in order,
 * with every column right at every row; zone maps prune a row group only when it cannot match;
 * columns are read only for the rows (and row groups) that need them, as the scan's counts
 * say; RLE and dictionary chunks travel as constant and dictionary vectors; a corrupt chunk is
 * an error naming it, unless no row needs it. Read test_c_scan_matches_row_at_a_time first. */
#include "scan_test.h"
#include "tpch.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>

#define SCANS_PER_TABLE 30u

static struct model g_model;

/* Scans spec's table from its first row group to its last and checks every batch against the
 * model: the rows that pass want_filters (over the model's columns), in order, each column
 * right. Returns the scan's counts. */
static void
scan_and_check(const struct model *m, const struct scan_spec *spec, struct expr *const *want,
               uint32_t want_count, const char *what, struct scan_stats *stats_out)
{
    struct scan *s = scan_new_or_fail(spec);
    scan_begin(s, 0, col_table_group_count(spec->table));
    uint32_t model_row = 0;
    uint64_t nth = 0;
    struct col_error err = {0};
    for (;;) {
        struct batch out;
        col_status status = scan_next(s, &out, &err);
        if (status != COL_OK) {
            fail_msg("%s: scan_next is %s: %s", what, status_name(status), err.message);
        }
        if (out.row_count == 0) {
            if (out.selected_count != 0) {
                fail_msg("%s: the end of the scan (0 rows) says %u rows are selected", what,
                         out.selected_count);
            }
            break;
        }
        if (out.selected_count == 0 || out.column_count != spec->column_count ||
            out.row_count > COL_VECTOR_SIZE) {
            fail_msg("%s: a batch of %u rows, %u selected, %u columns (want %u columns, and a "
                     "batch only when a row passes)",
                     what, out.row_count, out.selected_count, out.column_count, spec->column_count);
        }
        for (uint32_t i = 0; i < out.selected_count; i++) {
            while (model_row < m->rows && !model_row_passes(m, want, want_count, model_row)) {
                model_row++;
            }
            if (model_row == m->rows) {
                fail_msg("%s: output row %" PRIu64 " is one more than the %" PRIu64
                         " rows that pass",
                         what, nth, nth);
            }
            uint32_t row = batch_row(&out, i);
            if (row >= out.row_count || (i > 0 && row <= batch_row(&out, i - 1))) {
                fail_msg("%s: selection entry %u is row %u of a %u-row batch (ascending, in it)",
                         what, i, row, out.row_count);
            }
            expect_row(m, &out, row, model_row, spec->columns, nth, what);
            model_row++;
            nth++;
        }
    }
    while (model_row < m->rows && !model_row_passes(m, want, want_count, model_row)) {
        model_row++;
    }
    if (model_row < m->rows) {
        fail_msg("%s: the scan stopped after %" PRIu64 " rows; table row %u passes too", what, nth,
                 model_row);
    }
    struct scan_stats stats;
    scan_stats(s, &stats);
    scan_free(s);
    if (stats.rows_out != nth || stats.groups != col_table_group_count(spec->table) ||
        stats.groups_pruned > stats.groups) {
        fail_msg("%s: counts say %" PRIu64 " rows out of %" PRIu64 " groups (%" PRIu64
                 " pruned); the scan gave %" PRIu64 " rows of %u groups",
                 what, stats.rows_out, stats.groups, stats.groups_pruned, nth,
                 col_table_group_count(spec->table));
    }
    if (stats_out != NULL) {
        *stats_out = stats;
    }
}

/* Claim: a scan gives exactly the rows on which every filter is TRUE by the row-at-a-time
 * rules, in table order, with each of its columns equal to the table's at that row: on seeded
 * tables (row groups that are and are not multiples of a batch, NULLs, every encoding), seeded
 * filters of every kind (one to three, ANDs inside them), and the columns read in a random
 * order, some only filtered, some only read. */
static void
test_c_scan_matches_row_at_a_time(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "t" COL_FILE_SUFFIX);
    static const uint32_t group_rows[] = {1000, 2048, 3001, 65536};
    static struct expr_pool want_pool, scan_pool;
    struct col_cache *cache = cache_open_or_fail();
    for (uint32_t table = 0; table < 3; table++) {
        /* Table 0 always has several groups of 5,000 rows (RLE runs cross their batches, and
         * each group starts its runs afresh); the others any size and grouping. */
        uint32_t rows = table == 0 ? 12000 + (uint32_t)kh_rng_below(&rng, MODEL_ROWS_MAX - 12000)
                                   : 1 + (uint32_t)kh_rng_below(&rng, MODEL_ROWS_MAX);
        static const unsigned nulls[] = {0, 10, 40};
        model_make(&g_model, &rng, rows, table == 0 ? 5000 : group_rows[kh_rng_below(&rng, 4)],
                   nulls[kh_rng_below(&rng, 3)], path);
        struct col_table *t = table_open_or_fail(path);
        for (uint32_t n = 0; n < SCANS_PER_TABLE; n++) {
            want_pool.used = 0;
            scan_pool.used = 0;
            struct expr *want[3];
            uint32_t filter_count = (uint32_t)kh_rng_below(&rng, 4);
            uint64_t needed = 0;
            for (uint32_t f = 0; f < filter_count; f++) {
                want[f] = draw_filter(&want_pool, &rng, &g_model);
                needed |= columns_used(want[f]);
            }
            /* The scan's columns: those the filters need and some others, shuffled. */
            struct scan_spec spec = {.table = t, .cache = cache};
            uint32_t order[TB_COLUMNS], pos_of[TB_COLUMNS];
            for (uint32_t c = 0; c < TB_COLUMNS; c++) {
                order[c] = c;
            }
            for (uint32_t c = TB_COLUMNS - 1; c > 0; c--) {
                uint32_t other = (uint32_t)kh_rng_below(&rng, c + 1);
                uint32_t x = order[c];
                order[c] = order[other];
                order[other] = x;
            }
            enum col_type types[TB_COLUMNS];
            uint8_t scales[TB_COLUMNS];
            for (uint32_t c = 0; c < TB_COLUMNS; c++) {
                if ((needed & (1ull << order[c])) || kh_rng_below(&rng, 2) == 0 ||
                    (spec.column_count == 0 && c == TB_COLUMNS - 1)) {
                    pos_of[order[c]] = spec.column_count;
                    types[spec.column_count] = g_model.schema.columns[order[c]].type;
                    scales[spec.column_count] = g_model.schema.columns[order[c]].scale;
                    spec.columns[spec.column_count++] = order[c];
                }
            }
            for (uint32_t f = 0; f < filter_count; f++) {
                struct expr *e = tree_copy(&scan_pool, want[f], pos_of);
                resolve_or_fail(e, spec.column_count, types, scales);
                spec.filters[spec.filter_count++] = e;
            }
            char what[600], text[160];
            size_t at =
                (size_t)snprintf(what, sizeof(what), "table %u (%u rows, groups of %u), scan %u",
                                 table, rows, g_model.group_rows, n);
            for (uint32_t f = 0; f < filter_count && at < sizeof(what); f++) {
                expr_format(want[f], tb_names, text, sizeof(text));
                at += (size_t)snprintf(what + at, sizeof(what) - at, "%s%s",
                                       f ? " AND " : ", WHERE ", text);
            }
            scan_and_check(&g_model, &spec, want, filter_count, what, NULL);
        }
        col_cache_forget(cache, t);
        col_table_close(t);
    }
    col_cache_close(cache);
    test_dir_remove(dir);
}

/* ---- Zone maps ------------------------------------------------------------------------------ */

#define ZONE_GROUPS 10u
#define ZONE_GROUP_ROWS 1000u
#define ZONE_ROWS (ZONE_GROUPS * ZONE_GROUP_ROWS)

enum { Z_X, Z_Y, Z_W, Z_Z, Z_N, Z_C, Z_COLUMNS };

/* x INT64: the row number; y DECIMAL(2): the row number and a half; w FLOAT64: the row
 * number / 4; z STRING: "k" and the row number in 5 digits; n INT32: all NULL in groups 0-2,
 * no NULL in 3-5, every third row NULL after; c INT32: 5 everywhere. */
static struct zone_table {
    int64_t x[ZONE_ROWS], y[ZONE_ROWS];
    double w[ZONE_ROWS];
    struct col_str z[ZONE_ROWS];
    char z_text[ZONE_ROWS][16];
    int32_t n[ZONE_ROWS], c[ZONE_ROWS];
    uint64_t n_validity[ZONE_ROWS / 64 + 1];
} g_zone;

static const char *const zone_names[Z_COLUMNS] = {"x", "y", "w", "z", "n", "c"};

static bool
zone_n_is_valid(uint32_t row)
{
    uint32_t group = row / ZONE_GROUP_ROWS;
    return group < 3 ? false : group < 6 ? true : row % 3 != 0;
}

static void
zone_table_write(const char *path)
{
    struct col_schema schema = {Z_COLUMNS,
                                {{"x", COL_INT64, 0},
                                 {"y", COL_DECIMAL, 2},
                                 {"w", COL_FLOAT64, 0},
                                 {"z", COL_STRING, 0},
                                 {"n", COL_INT32, 0},
                                 {"c", COL_INT32, 0}}};
    memset(g_zone.n_validity, 0, sizeof(g_zone.n_validity));
    for (uint32_t row = 0; row < ZONE_ROWS; row++) {
        g_zone.x[row] = row;
        g_zone.y[row] = (int64_t)row * 100 + 50;
        g_zone.w[row] = row / 4.0;
        int size = snprintf(g_zone.z_text[row], sizeof(g_zone.z_text[row]), "k%05u", row);
        g_zone.z[row] = (struct col_str){g_zone.z_text[row], (uint32_t)size};
        g_zone.n[row] = (int32_t)(row % 100);
        g_zone.c[row] = 5;
        if (zone_n_is_valid(row)) {
            g_zone.n_validity[row / 64] |= 1ull << (row % 64);
        }
    }
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &schema, ZONE_GROUP_ROWS, &w, NULL), COL_OK);
    for (uint32_t from = 0; from < ZONE_ROWS; from += 2048) {
        uint32_t count = ZONE_ROWS - from < 2048 ? ZONE_ROWS - from : 2048;
        struct col_values columns[Z_COLUMNS] = {
            {COL_INT64, count, g_zone.x + from, NULL},
            {COL_DECIMAL, count, g_zone.y + from, NULL},
            {COL_FLOAT64, count, g_zone.w + from, NULL},
            {COL_STRING, count, g_zone.z + from, NULL},
            {COL_INT32, count, g_zone.n + from, g_zone.n_validity + from / 64},
            {COL_INT32, count, g_zone.c + from, NULL}};
        assert_status(col_writer_append(w, columns, NULL), COL_OK);
    }
    assert_status(col_writer_finish(w, NULL), COL_OK);
}

/* The zone table's column at row, as a comparison reads it. */
static struct rv
zone_value(uint32_t column, uint32_t row)
{
    switch (column) {
    case Z_X:
        return (struct rv){.type = COL_INT64, .v.i64 = g_zone.x[row]};
    case Z_Y:
        return (struct rv){.type = COL_DECIMAL, .scale = 2, .v.i64 = g_zone.y[row]};
    case Z_W:
        return (struct rv){.type = COL_FLOAT64, .v.f64 = g_zone.w[row]};
    case Z_Z:
        return (struct rv){.type = COL_STRING, .v.str = g_zone.z[row]};
    case Z_N:
        return (struct rv){
            .is_null = !zone_n_is_valid(row), .type = COL_INT32, .v.i64 = g_zone.n[row]};
    default:
        return (struct rv){.type = COL_INT32, .v.i64 = g_zone.c[row]};
    }
}

/* Whether the conjunct e (resolved over the zone table) is TRUE at some row of group. */
static bool
zone_some_row_passes(const struct expr *e, uint32_t group)
{
    for (uint32_t row = group * ZONE_GROUP_ROWS; row < (group + 1) * ZONE_GROUP_ROWS; row++) {
        const struct expr *col = e->args[0]->op == EXPR_COLUMN ? e->args[0] : e->args[1];
        struct rv x = zone_value(col->column, row);
        if (e->op == EXPR_IS_NULL || e->op == EXPR_IS_NOT_NULL) {
            if (x.is_null == (e->op == EXPR_IS_NULL)) {
                return true;
            }
            continue;
        }
        const struct expr *k = col == e->args[0] ? e->args[1] : e->args[0];
        struct rv c = {.is_null = k->is_null, .type = k->type, .scale = k->scale, .v = k->value};
        if (x.is_null || c.is_null) {
            continue;
        }
        int order = col == e->args[0] ? rv_compare(x, c) : rv_compare(c, x);
        if (expr_order_holds(e->op, order)) {
            return true;
        }
    }
    return false;
}

/* Whether the group's bounds let the conjunct e hold (scan.h's rule, from the rows' own
 * smallest and largest valid values and NULLs); some_row_passes implies it. */
static bool
zone_bounds_allow(const struct expr *e, uint32_t group)
{
    const struct expr *col = e->args[0]->op == EXPR_COLUMN ? e->args[0] : e->args[1];
    static struct rv mins[Z_COLUMNS][ZONE_GROUPS], maxes[Z_COLUMNS][ZONE_GROUPS];
    static uint32_t null_counts[Z_COLUMNS][ZONE_GROUPS];
    static bool is_known[Z_COLUMNS][ZONE_GROUPS];
    if (!is_known[col->column][group]) {
        struct rv lo = {.is_null = true}, hi = {.is_null = true};
        uint32_t n = 0;
        for (uint32_t row = group * ZONE_GROUP_ROWS; row < (group + 1) * ZONE_GROUP_ROWS; row++) {
            struct rv x = zone_value(col->column, row);
            if (x.is_null) {
                n++;
            } else {
                lo = lo.is_null || rv_compare(x, lo) < 0 ? x : lo;
                hi = hi.is_null || rv_compare(x, hi) > 0 ? x : hi;
            }
        }
        mins[col->column][group] = lo;
        maxes[col->column][group] = hi;
        null_counts[col->column][group] = n;
        is_known[col->column][group] = true;
    }
    uint32_t nulls = null_counts[col->column][group];
    struct rv min = mins[col->column][group], max = maxes[col->column][group];
    if (e->op == EXPR_IS_NULL || e->op == EXPR_IS_NOT_NULL) {
        return e->op == EXPR_IS_NULL ? nulls > 0 : nulls < ZONE_GROUP_ROWS;
    }
    const struct expr *k = col == e->args[0] ? e->args[1] : e->args[0];
    struct rv c = {.is_null = k->is_null, .type = k->type, .scale = k->scale, .v = k->value};
    if (c.is_null || min.is_null) {
        return false;
    }
    bool is_flipped = col != e->args[0];
    /* col OP c over [min, max]: a strict miss of a bound rules it out. */
    int lo = rv_compare(min, c), hi = rv_compare(max, c);
    enum expr_op op = e->op;
    if (is_flipped) {
        op = op == EXPR_LT   ? EXPR_GT
             : op == EXPR_LE ? EXPR_GE
             : op == EXPR_GT ? EXPR_LT
             : op == EXPR_GE ? EXPR_LE
                             : op;
    }
    switch (op) {
    case EXPR_EQ:
        return lo <= 0 && hi >= 0;
    case EXPR_NE:
        return !(lo == 0 && hi == 0);
    case EXPR_LT:
        return lo < 0;
    case EXPR_LE:
        return lo <= 0;
    case EXPR_GT:
        return hi > 0;
    default:
        return hi >= 0;
    }
}

/* A constant near group's bounds for column, the pick-th of a few. */
static struct expr *
zone_constant(struct expr_pool *p, uint32_t column, uint32_t group, uint32_t pick)
{
    uint32_t lo = group * ZONE_GROUP_ROWS, hi = lo + ZONE_GROUP_ROWS - 1;
    static const int32_t offsets[] = {-1, 0, 1, -1, 0, 1};
    int64_t at = (int64_t)(pick < 3 ? lo : hi) + offsets[pick % 6];
    switch (column) {
    case Z_Y: /* the bound itself at scale 2, at scale 1, and integers around it */
        return pick % 3 == 1 ? expr_decimal(p, at * 100 + 50, 2)
               : pick % 2    ? expr_decimal(p, at * 10 + 5, 1)
                             : expr_int(p, at + (pick < 3 ? 0 : 1));
    case Z_W:
        return expr_double(p, (double)at / 4.0);
    case Z_Z: {
        static char text[6][16];
        snprintf(text[pick % 6], sizeof(text[0]), "k%05lld", (long long)(at < 0 ? 0 : at));
        return expr_string(p, text[pick % 6]);
    }
    case Z_N:
        return expr_int(p, (int64_t)(pick * 20));
    case Z_C:
        return expr_int(p, 4 + pick % 3);
    default:
        return expr_int(p, at);
    }
}

static const enum col_type zone_types[Z_COLUMNS] = {COL_INT64,  COL_DECIMAL, COL_FLOAT64,
                                                    COL_STRING, COL_INT32,   COL_INT32};
static const uint8_t zone_scales[Z_COLUMNS] = {0, 2, 0, 0, 0, 0};

/* Claim: scan_group_may_match is false exactly when a conjunct holds for no row of the group,
 * for comparisons of a column with a constant either way round at and around each group's
 * bounds (where only a strict miss may prune), across types and scales (a DECIMAL(2) column
 * against integers and DECIMAL(1) constants, doubles, strings); for a NULL constant; for IS
 * NULL and IS NOT NULL; and on a column with no valid row. Most columns are dense, so a group
 * whose bounds allow a match mostly has one. */
static void
test_c_zone_maps_prune_exactly(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "zones" COL_FILE_SUFFIX);
    zone_table_write(path);
    struct col_table *t = table_open_or_fail(path);
    struct col_cache *cache = cache_open_or_fail();
    static const enum expr_op ops[] = {EXPR_EQ, EXPR_NE, EXPR_LT,      EXPR_LE,
                                       EXPR_GT, EXPR_GE, EXPR_IS_NULL, EXPR_IS_NOT_NULL};
    static struct expr_pool pool;
    uint32_t checked = 0;
    for (uint32_t column = 0; column < Z_COLUMNS; column++) {
        for (uint32_t o = 0; o < KH_ARRAY_LEN(ops); o++) {
            for (uint32_t group = 0; group < ZONE_GROUPS; group++) {
                for (uint32_t pick = 0; pick < 7; pick++) {
                    bool is_flipped = pick % 2 == 1;
                    pool.used = 0;
                    struct expr *col = expr_column(&pool, column);
                    struct expr *k =
                        pick == 6 ? expr_null(&pool) : zone_constant(&pool, column, group, pick);
                    struct expr *e = ops[o] >= EXPR_IS_NULL ? expr_op(&pool, ops[o], 1, col)
                                     : is_flipped           ? expr_op(&pool, ops[o], 2, k, col)
                                                            : expr_op(&pool, ops[o], 2, col, k);
                    resolve_or_fail(e, Z_COLUMNS, zone_types, zone_scales);
                    struct scan_spec spec = {.table = t,
                                             .cache = cache,
                                             .column_count = Z_COLUMNS,
                                             .columns = {0, 1, 2, 3, 4, 5},
                                             .filter_count = 1,
                                             .filters = {e}};
                    struct scan *s = scan_new_or_fail(&spec);
                    for (uint32_t g = 0; g < ZONE_GROUPS; g++) {
                        bool want = zone_bounds_allow(e, g);
                        if (!want && zone_some_row_passes(e, g)) {
                            fail_msg("the test's rule is wrong: a row passes"); /* never */
                        }
                        if (scan_group_may_match(s, g) != want) {
                            char text[160];
                            expr_format(e, zone_names, text, sizeof(text));
                            fail_msg("row group %u (rows %u-%u), WHERE %s: scan_group_may_match "
                                     "is %s; %s",
                                     g, g * ZONE_GROUP_ROWS, (g + 1) * ZONE_GROUP_ROWS - 1, text,
                                     want ? "false" : "true",
                                     want ? "its bounds allow a match" : "its bounds rule one out");
                        }
                        checked++;
                    }
                    scan_free(s);
                    if (ops[o] >= EXPR_IS_NULL) {
                        break; /* no constant */
                    }
                }
            }
        }
    }
    assert_true(checked > 2000);
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* Claim: scan_next skips the groups zone maps prune and counts them, reads no chunk of them,
 * and counts the rows of the groups it reads: x >= 5500 AND x < 7200 AND z <> 'k' reads groups 5,
 * 6 and 7 only, one chunk of each column each, and gives 1,700 rows. */
static void
test_c_pruned_groups_are_never_read(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "zones" COL_FILE_SUFFIX);
    zone_table_write(path);
    struct col_table *t = table_open_or_fail(path);
    struct col_cache *cache = cache_open_or_fail();
    static struct expr_pool pool;
    pool.used = 0;
    /* Batch columns: z, x, y (x and z filtered, y only read). */
    struct expr *e = expr_op(
        &pool, EXPR_AND, 2,
        expr_op(&pool, EXPR_GE, 2, expr_column(&pool, 1), expr_int(&pool, 5500)),
        expr_op(&pool, EXPR_AND, 2,
                expr_op(&pool, EXPR_LT, 2, expr_column(&pool, 1), expr_int(&pool, 7200)),
                expr_op(&pool, EXPR_NE, 2, expr_column(&pool, 0), expr_string(&pool, "k"))));
    enum col_type types[3] = {COL_STRING, COL_INT64, COL_DECIMAL};
    uint8_t scales[3] = {0, 0, 2};
    resolve_or_fail(e, 3, types, scales);
    struct scan_spec spec = {.table = t,
                             .cache = cache,
                             .column_count = 3,
                             .columns = {Z_Z, Z_X, Z_Y},
                             .filter_count = 1,
                             .filters = {e}};
    struct scan *s = scan_new_or_fail(&spec);
    scan_begin(s, 0, ZONE_GROUPS);
    struct batch out;
    int64_t next_x = 5500;
    for (;;) {
        assert_status(scan_next(s, &out, NULL), COL_OK);
        if (out.row_count == 0) {
            break;
        }
        for (uint32_t i = 0; i < out.selected_count; i++) {
            int64_t x = vec_value(&out.columns[1], batch_row(&out, i)).i64;
            int64_t y = vec_value(&out.columns[2], batch_row(&out, i)).i64;
            if (x != next_x || y != x * 100 + 50) {
                fail_msg("row %" PRId64 " came out as x = %" PRId64 ", y = %" PRId64, next_x, x, y);
            }
            next_x++;
        }
    }
    struct scan_stats st;
    scan_stats(s, &st);
    scan_free(s);
    if (next_x != 7200 || st.groups != ZONE_GROUPS || st.groups_pruned != ZONE_GROUPS - 3 ||
        st.rows_scanned != 3 * ZONE_GROUP_ROWS || st.rows_out != 1700) {
        fail_msg("rows 5500.. came out to %" PRId64 " (want 7200); counts: %" PRIu64
                 " groups, %" PRIu64 " pruned, %" PRIu64 " rows scanned, %" PRIu64
                 " out (want 10, 7, 3000, 1700)",
                 next_x, st.groups, st.groups_pruned, st.rows_scanned, st.rows_out);
    }
    for (uint32_t i = 0; i < 3; i++) {
        uint64_t chunks = 0;
        for (uint32_t tier = 0; tier < COL_TIER_COUNT; tier++) {
            chunks += st.columns[i].chunks[tier];
        }
        uint64_t bytes = 0;
        for (uint32_t g = 5; g < 8; g++) {
            bytes += col_table_chunk(t, g, spec.columns[i])->size_bytes;
        }
        if (chunks != 3 || st.columns[i].chunks[COL_TIER_COLD] != 3 ||
            st.columns[i].bytes != bytes) {
            fail_msg("column %s: %" PRIu64 " chunks (%" PRIu64 " cold) of %" PRIu64
                     " bytes; want the 3 of groups 5-7, read cold, %" PRIu64 " bytes",
                     zone_names[spec.columns[i]], chunks, st.columns[i].chunks[COL_TIER_COLD],
                     st.columns[i].bytes, bytes);
        }
    }
    struct col_cache_stats cs;
    col_cache_stats(cache, &cs);
    if (cs.hits[COL_TIER_COLD] != 9) {
        fail_msg("the cache read %" PRIu64 " chunks from the file; want 9 (3 columns of 3 groups)",
                 cs.hits[COL_TIER_COLD]);
    }
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* ---- Late materialization ------------------------------------------------------------------- */

#define LATE_GROUPS 5u
#define LATE_GROUP_ROWS 4096u /* two batches a group */
#define LATE_ROWS (LATE_GROUPS * LATE_GROUP_ROWS)
#define LATE_ODD_ROW 9000u /* group 2's: the only odd a */

static struct {
    int64_t a[LATE_ROWS], b[LATE_ROWS];
    struct col_str c[LATE_ROWS];
    char c_text[LATE_ROWS][16];
} g_late;

/* a: even numbers 0-18 in every group, and 7 at LATE_ODD_ROW; b: row * 7 % 1000; c: text. */
static void
late_table_write(const char *path)
{
    struct col_schema schema = {3,
                                {{"a", COL_INT64, 0}, {"b", COL_INT64, 0}, {"c", COL_STRING, 0}}};
    for (uint32_t row = 0; row < LATE_ROWS; row++) {
        g_late.a[row] = row == LATE_ODD_ROW ? 7 : (int64_t)(row * 13 % 10) * 2;
        g_late.b[row] = (int64_t)row * 7 % 1000;
        int size = snprintf(g_late.c_text[row], sizeof(g_late.c_text[0]), "c%u", row % 5000);
        g_late.c[row] = (struct col_str){g_late.c_text[row], (uint32_t)size};
    }
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &schema, LATE_GROUP_ROWS, &w, NULL), COL_OK);
    for (uint32_t from = 0; from < LATE_ROWS; from += LATE_GROUP_ROWS) {
        struct col_values columns[3] = {{COL_INT64, LATE_GROUP_ROWS, g_late.a + from, NULL},
                                        {COL_INT64, LATE_GROUP_ROWS, g_late.b + from, NULL},
                                        {COL_STRING, LATE_GROUP_ROWS, g_late.c + from, NULL}};
        assert_status(col_writer_append(w, columns, NULL), COL_OK);
    }
    assert_status(col_writer_finish(w, NULL), COL_OK);
}

struct late_want {
    uint64_t chunks[3]; /* per batch column: a, b, c */
    uint64_t bytes[3];
    uint64_t rows_touched[3];
    uint64_t rows_out;
    int64_t b_sum; /* of the rows out */
};

/* What a scan of (a, b, c) WHERE a <= a_max AND b = b_value (b_value < 0: no second
 * conjunct) must touch, batch by batch: a every row; b the rows a kept, in batches where a kept
 * some; c the rows both kept, in batches where they kept some; each column's chunk once per
 * group that needed it. */
static struct late_want
late_expect(const struct col_table *t, int64_t a_max, int64_t b_value)
{
    struct late_want w = {0};
    for (uint32_t g = 0; g < LATE_GROUPS; g++) {
        bool needs[3] = {true, false, false};
        for (uint32_t start = 0; start < LATE_GROUP_ROWS; start += COL_VECTOR_SIZE) {
            uint32_t first = 0, both = 0;
            for (uint32_t i = 0; i < COL_VECTOR_SIZE; i++) {
                uint32_t row = g * LATE_GROUP_ROWS + start + i;
                if (g_late.a[row] <= a_max) {
                    first++;
                    if (b_value < 0 || g_late.b[row] == b_value) {
                        both++;
                        w.b_sum += g_late.b[row];
                    }
                }
            }
            w.rows_touched[0] += COL_VECTOR_SIZE;
            w.rows_touched[1] += first;
            w.rows_touched[2] += both;
            needs[1] |= first > 0;
            needs[2] |= both > 0;
            w.rows_out += both;
        }
        for (uint32_t c = 0; c < 3; c++) {
            if (needs[c]) {
                w.chunks[c]++;
                w.bytes[c] += col_table_chunk(t, g, c)->size_bytes;
            }
        }
    }
    return w;
}

static void
late_scan(const struct col_table *t, struct col_cache *cache, int64_t a_max, int64_t b_value,
          bool is_one_tree, enum col_tier tier)
{
    static struct expr_pool pool;
    pool.used = 0;
    struct expr *first = expr_op(&pool, EXPR_LE, 2, expr_column(&pool, 0), expr_int(&pool, a_max));
    struct expr *second =
        expr_op(&pool, EXPR_EQ, 2, expr_int(&pool, b_value), expr_column(&pool, 1));
    enum col_type types[3] = {COL_INT64, COL_INT64, COL_STRING};
    uint8_t scales[3] = {0, 0, 0};
    struct scan_spec spec = {.table = t, .cache = cache, .column_count = 3, .columns = {0, 1, 2}};
    if (b_value < 0) {
        spec.filters[spec.filter_count++] = first;
    } else if (is_one_tree) {
        spec.filters[spec.filter_count++] = expr_op(&pool, EXPR_AND, 2, first, second);
    } else {
        spec.filters[spec.filter_count++] = first;
        spec.filters[spec.filter_count++] = second;
    }
    for (uint32_t f = 0; f < spec.filter_count; f++) {
        resolve_or_fail((struct expr *)spec.filters[f], 3, types, scales);
    }
    struct late_want want = late_expect(t, a_max, b_value);
    struct scan *s = scan_new_or_fail(&spec);
    scan_begin(s, 0, LATE_GROUPS);
    struct batch out;
    int64_t b_sum = 0;
    uint64_t rows = 0;
    for (;;) {
        assert_status(scan_next(s, &out, NULL), COL_OK);
        if (out.row_count == 0) {
            break;
        }
        for (uint32_t i = 0; i < out.selected_count; i++) {
            b_sum += vec_value(&out.columns[1], batch_row(&out, i)).i64;
            rows++;
        }
    }
    struct scan_stats st;
    scan_stats(s, &st);
    scan_free(s);
    char what[128];
    snprintf(what, sizeof(what), "WHERE a <= %" PRId64 "%s%s", a_max,
             b_value < 0 ? "" : (is_one_tree ? " AND b = ..." : ", then b = ..."),
             tier == COL_TIER_HOT ? " (again, from the hot tier)" : "");
    if (rows != want.rows_out || b_sum != want.b_sum || st.rows_out != want.rows_out) {
        fail_msg("%s: %" PRIu64 " rows out (counted %" PRIu64 "), sum of b %" PRId64
                 "; want %" PRIu64 " and %" PRId64,
                 what, rows, st.rows_out, b_sum, want.rows_out, want.b_sum);
    }
    static const char *const names[3] = {"a", "b", "c"};
    for (uint32_t c = 0; c < 3; c++) {
        const struct scan_column_stats *got = &st.columns[c];
        uint64_t chunks =
            got->chunks[COL_TIER_HOT] + got->chunks[COL_TIER_WARM] + got->chunks[COL_TIER_COLD];
        if (chunks != want.chunks[c] || got->chunks[tier] != want.chunks[c] ||
            got->bytes != want.bytes[c] || got->rows_touched != want.rows_touched[c]) {
            fail_msg("%s: column %s: %" PRIu64 " chunks (%" PRIu64 " %s), %" PRIu64
                     " bytes, %" PRIu64 " rows touched; want %" PRIu64 " chunks (each %s), %" PRIu64
                     " bytes, %" PRIu64 " rows (a column is read only for the rows and row "
                     "groups the conjuncts before it kept)",
                     what, names[c], chunks, got->chunks[tier], col_tier_name(tier), got->bytes,
                     got->rows_touched, want.chunks[c], col_tier_name(tier), want.bytes[c],
                     want.rows_touched[c]);
        }
    }
}

/* Claim: a column is read only where it is needed, and the counts say so exactly. WHERE a = 7
 * (a's zone maps do not prune: every group has 0-18) keeps one row, so b and c are read in one
 * row group only, for one row. WHERE a <= 2 AND b = ... (as one tree or two filters): b is
 * read for the rows a kept, c for the rows both kept, each chunk once per group that needed it;
 * read again through the same cache, every chunk is hot. */
static void
test_c_columns_are_read_only_for_survivors(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "late" COL_FILE_SUFFIX);
    late_table_write(path);
    struct col_table *t = table_open_or_fail(path);
    struct col_cache *cache = cache_open_or_fail();
    static struct expr_pool pool;
    pool.used = 0;
    struct expr *only = expr_op(&pool, EXPR_EQ, 2, expr_column(&pool, 0), expr_int(&pool, 7));
    enum col_type types[3] = {COL_INT64, COL_INT64, COL_STRING};
    uint8_t scales[3] = {0, 0, 0};
    resolve_or_fail(only, 3, types, scales);
    struct scan_spec spec = {.table = t,
                             .cache = cache,
                             .column_count = 3,
                             .columns = {0, 1, 2},
                             .filter_count = 1,
                             .filters = {only}};
    struct scan *s = scan_new_or_fail(&spec);
    scan_begin(s, 0, LATE_GROUPS);
    struct batch out;
    uint32_t rows = 0;
    for (;;) {
        assert_status(scan_next(s, &out, NULL), COL_OK);
        if (out.row_count == 0) {
            break;
        }
        rows += out.selected_count;
        struct col_str c = vec_value(&out.columns[2], batch_row(&out, 0)).str;
        if (out.selected_count != 1 ||
            vec_value(&out.columns[1], batch_row(&out, 0)).i64 != g_late.b[LATE_ODD_ROW] ||
            col_str_compare(c, g_late.c[LATE_ODD_ROW]) != 0) {
            fail_msg("WHERE a = 7: a batch of %u rows, b and c not row %u's", out.selected_count,
                     LATE_ODD_ROW);
        }
    }
    struct scan_stats st;
    scan_stats(s, &st);
    scan_free(s);
    uint32_t odd_group = LATE_ODD_ROW / LATE_GROUP_ROWS;
    for (uint32_t c = 1; c < 3; c++) {
        if (rows != 1 || st.groups_pruned != 0 || st.columns[c].chunks[COL_TIER_COLD] != 1 ||
            st.columns[c].rows_touched != 1 ||
            st.columns[c].bytes != col_table_chunk(t, odd_group, c)->size_bytes) {
            fail_msg("WHERE a = 7 (one row, in group %u; no group pruned): %u rows, %" PRIu64
                     " groups pruned; column %s: %" PRIu64 " chunks read, %" PRIu64
                     " bytes, %" PRIu64 " rows touched (want 1, that chunk's %" PRIu64 ", 1)",
                     odd_group, rows, st.groups_pruned, c == 1 ? "b" : "c",
                     st.columns[c].chunks[COL_TIER_COLD], st.columns[c].bytes,
                     st.columns[c].rows_touched, col_table_chunk(t, odd_group, c)->size_bytes);
        }
    }
    /* One row left after the first conjunct still meets the second: a = 7 AND b = its b,
     * then a = 7 AND b = another value (no row). */
    for (int64_t delta = 0; delta < 2; delta++) {
        pool.used = 0;
        struct expr *both =
            expr_op(&pool, EXPR_AND, 2,
                    expr_op(&pool, EXPR_EQ, 2, expr_column(&pool, 0), expr_int(&pool, 7)),
                    expr_op(&pool, EXPR_EQ, 2, expr_column(&pool, 1),
                            expr_int(&pool, g_late.b[LATE_ODD_ROW] + delta)));
        resolve_or_fail(both, 3, types, scales);
        spec.filters[0] = both;
        s = scan_new_or_fail(&spec);
        scan_begin(s, 0, LATE_GROUPS);
        rows = 0;
        for (;;) {
            assert_status(scan_next(s, &out, NULL), COL_OK);
            if (out.row_count == 0) {
                break;
            }
            rows += out.selected_count;
        }
        scan_free(s);
        if (rows != (delta == 0 ? 1u : 0u)) {
            fail_msg("WHERE a = 7 AND b = %" PRId64 ": %u rows; want %u (after a = 7 one row is "
                     "left, and the second conjunct still decides it)",
                     g_late.b[LATE_ODD_ROW] + delta, rows, delta == 0 ? 1u : 0u);
        }
    }
    col_cache_forget(cache, t);
    late_scan(t, cache, 2, -1, false, COL_TIER_COLD);
    late_scan(t, cache, 2, -1, false, COL_TIER_HOT);
    col_cache_forget(cache, t);
    late_scan(t, cache, 2, 70, true, COL_TIER_COLD);
    late_scan(t, cache, 2, 70, false, COL_TIER_HOT);
    col_cache_forget(cache, t);
    late_scan(t, cache, 0, 700, false, COL_TIER_COLD);
    /* Begun again after one batch (as a LIMIT stops a scan): the first batch's pins are let go
     * (col_cache_close asserts), and the second run gives every row. */
    spec.filter_count = 0;
    s = scan_new_or_fail(&spec);
    scan_begin(s, 0, LATE_GROUPS);
    assert_status(scan_next(s, &out, NULL), COL_OK);
    scan_begin(s, 1, LATE_GROUPS);
    assert_status(scan_next(s, &out, NULL), COL_OK);
    if (vec_value(&out.columns[0], 0).i64 != g_late.a[LATE_GROUP_ROWS]) {
        fail_msg("a scan begun again at row group 1 gives a = %" PRId64
                 " first; want row %u's %" PRId64 " (group 0's chunk still in use?)",
                 vec_value(&out.columns[0], 0).i64, LATE_GROUP_ROWS, g_late.a[LATE_GROUP_ROWS]);
    }
    scan_begin(s, 0, LATE_GROUPS);
    rows = 0;
    for (;;) {
        assert_status(scan_next(s, &out, NULL), COL_OK);
        if (out.row_count == 0) {
            break;
        }
        assert_int_equal(vec_value(&out.columns[0], 0).i64, g_late.a[rows]);
        rows += out.selected_count;
    }
    if (rows != LATE_ROWS) {
        fail_msg("a scan begun again gave %u rows; want %u", rows, LATE_ROWS);
    }
    scan_begin(s, 0, 1);
    assert_status(scan_next(s, &out, NULL), COL_OK);
    scan_free(s);
    col_cache_forget(cache, t); /* asserts that no chunk is still pinned */
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* ---- Vectors that keep the encoding ---------------------------------------------------------- */

#define RUNS_ROWS (6u * COL_VECTOR_SIZE)

#define TAIL_GROUP_ROWS (COL_VECTOR_SIZE + 100u) /* a full batch, then 100 rows */

/* Two row groups of TAIL_GROUP_ROWS rows: 0 until row 2000 of each, then 2^40 (two runs, so RLE;
 * the second covers the short last batch). Group 0 has a NULL at row 5 (so its chunk has a
 * validity bitmap) and its last batch all valid: a constant. Group 1's last row is NULL: flat.
 * Group 2's last batch is all NULL: a NULL constant. */
static void
runs_in_short_batches(const char *dir, struct col_cache *cache)
{
    char path[TEST_PATH_MAX];
    test_path(path, dir, "tail" COL_FILE_SUFFIX);
    static int64_t v[3 * TAIL_GROUP_ROWS];
    static uint64_t validity[3 * TAIL_GROUP_ROWS / 64 + 1];
    memset(validity, 0, sizeof(validity));
    for (uint32_t row = 0; row < 3 * TAIL_GROUP_ROWS; row++) {
        v[row] = row % TAIL_GROUP_ROWS < 2000 ? 0 : 1ll << 40;
        /* Group 1's first 28 rows are NULL too: whatever a chunk keeps of the bits past its
         * last row, they are then not "valid". */
        bool is_null = row == 5 || row == 2 * TAIL_GROUP_ROWS - 1 ||
                       (row >= TAIL_GROUP_ROWS && row < TAIL_GROUP_ROWS + 28) ||
                       row >= 2 * TAIL_GROUP_ROWS + COL_VECTOR_SIZE;
        validity[row / 64] |= (uint64_t)!is_null << (row % 64);
    }
    struct col_schema schema = {1, {{"v", COL_INT64, 0}}};
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &schema, TAIL_GROUP_ROWS, &w, NULL), COL_OK);
    struct col_values column = {COL_INT64, 3 * TAIL_GROUP_ROWS, v, validity};
    assert_status(col_writer_append(w, &column, NULL), COL_OK);
    assert_status(col_writer_finish(w, NULL), COL_OK);
    struct col_table *t = table_open_or_fail(path);
    assert_int_equal(col_table_chunk(t, 0, 0)->encoding, COL_ENC_RLE);
    struct scan_spec spec = {.table = t, .cache = cache, .column_count = 1, .columns = {0}};
    struct scan *s = scan_new_or_fail(&spec);
    scan_begin(s, 0, 3);
    static const enum vec_kind want_kind[6] = {VEC_FLAT, VEC_CONSTANT, VEC_FLAT,
                                               VEC_FLAT, VEC_FLAT,     VEC_CONSTANT};
    struct batch out;
    for (uint32_t batch = 0; batch < 6; batch++) {
        assert_status(scan_next(s, &out, NULL), COL_OK);
        uint32_t first = (batch / 2) * TAIL_GROUP_ROWS + (batch % 2) * COL_VECTOR_SIZE;
        if (out.row_count != (batch % 2 ? 100u : COL_VECTOR_SIZE) ||
            out.columns[0].kind != want_kind[batch]) {
            fail_msg("batch %u (rows %u..): %u rows, a vector of kind %d; want %u rows, kind %d "
                     "(%s)",
                     batch, first, out.row_count, (int)out.columns[0].kind,
                     batch % 2 ? 100u : COL_VECTOR_SIZE, (int)want_kind[batch],
                     want_kind[batch] == VEC_CONSTANT
                         ? "one run, its 100 rows all valid or all NULL"
                         : "runs or NULLs change in it");
        }
        for (uint32_t row = 0; row < out.row_count; row++) {
            bool is_valid = col_is_valid(validity, first + row);
            if (vec_is_valid(&out.columns[0], row) != is_valid ||
                (is_valid && vec_value(&out.columns[0], row).i64 != v[first + row])) {
                fail_msg("table row %u: the short batch's value or NULL is wrong", first + row);
            }
        }
    }
    assert_status(scan_next(s, &out, NULL), COL_OK);
    assert_int_equal(out.row_count, 0);
    scan_free(s);
    col_cache_forget(cache, t);
    col_table_close(t);
}

/* Claim: an RLE chunk's batch is a constant vector when one run covers its rows and they are
 * all valid (or all NULL: a NULL constant), and flat otherwise, right at every selected row; a
 * dictionary chunk's batch is a dictionary vector. One row group of six batches: runs 7 (rows
 * 0-4999), 8 (row 5000), 9 (the rest); batch 1 NULL at its first row only, batch 3 all NULL,
 * batch 5 NULL at a few rows. Then short last batches (100 rows), all valid or NULL at the last
 * row only. */
static void
test_c_batches_keep_runs_and_codes(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "runs" COL_FILE_SUFFIX);
    static int64_t r[RUNS_ROWS], id[RUNS_ROWS];
    static struct col_str s[RUNS_ROWS];
    static uint64_t validity[RUNS_ROWS / 64];
    static const char *const words[] = {"AIR", "MAIL", "SHIP"};
    memset(validity, 0xff, sizeof(validity));
    for (uint32_t row = 0; row < RUNS_ROWS; row++) {
        r[row] = row < 5000 ? 7 : row == 5000 ? 8 : 9;
        id[row] = row;
        s[row] = (struct col_str){words[row % 3], (uint32_t)strlen(words[row % 3])};
        bool is_null = row == COL_VECTOR_SIZE ||
                       (row >= 3 * COL_VECTOR_SIZE && row < 4 * COL_VECTOR_SIZE) ||
                       (row >= 5 * COL_VECTOR_SIZE && row % 97 == 0);
        if (is_null) {
            validity[row / 64] &= ~(1ull << (row % 64));
        }
    }
    struct col_schema schema = {3,
                                {{"r", COL_INT64, 0}, {"s", COL_STRING, 0}, {"id", COL_INT64, 0}}};
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &schema, RUNS_ROWS, &w, NULL), COL_OK);
    struct col_values columns[3] = {{COL_INT64, RUNS_ROWS, r, validity},
                                    {COL_STRING, RUNS_ROWS, s, NULL},
                                    {COL_INT64, RUNS_ROWS, id, NULL}};
    assert_status(col_writer_append(w, columns, NULL), COL_OK);
    assert_status(col_writer_finish(w, NULL), COL_OK);
    struct col_table *t = table_open_or_fail(path);
    assert_int_equal(col_table_chunk(t, 0, 0)->encoding, COL_ENC_RLE);
    assert_int_equal(col_table_chunk(t, 0, 1)->encoding, COL_ENC_DICT);
    struct col_cache *cache = cache_open_or_fail();
    static const enum vec_kind want_kind[6] = {VEC_CONSTANT, VEC_FLAT,     VEC_FLAT,
                                               VEC_CONSTANT, VEC_CONSTANT, VEC_FLAT};
    for (uint32_t pass = 0; pass < 2; pass++) {
        /* Pass 0 reads every row; pass 1 only rows where id % 5 = 3 (a filter on id first, so
         * r and s are loaded for those rows only). */
        static struct expr_pool pool;
        pool.used = 0;
        struct scan_spec spec = {
            .table = t, .cache = cache, .column_count = 3, .columns = {0, 1, 2}};
        if (pass == 1) {
            struct expr *e =
                expr_op(&pool, EXPR_EQ, 2,
                        expr_op(&pool, EXPR_SUB, 2, expr_column(&pool, 2),
                                expr_op(&pool, EXPR_MUL, 2,
                                        expr_op(&pool, EXPR_DIV, 2, expr_column(&pool, 2),
                                                expr_int(&pool, 5)),
                                        expr_int(&pool, 5))),
                        expr_int(&pool, 3));
            enum col_type types[3] = {COL_INT64, COL_STRING, COL_INT64};
            uint8_t scales[3] = {0, 0, 0};
            resolve_or_fail(e, 3, types, scales);
            spec.filters[spec.filter_count++] = e;
        }
        struct scan *s_ = scan_new_or_fail(&spec);
        scan_begin(s_, 0, 1);
        struct batch out;
        uint32_t batch = 0, rows = 0;
        for (;; batch++) {
            assert_status(scan_next(s_, &out, NULL), COL_OK);
            if (out.row_count == 0) {
                break;
            }
            assert_true(batch < 6);
            const struct vec *rv = &out.columns[0];
            if (rv->kind != want_kind[batch] || out.columns[1].kind != VEC_DICT) {
                fail_msg("pass %u, batch %u (rows %u-%u): r is a vector of kind %d, s of kind %d; "
                         "want %d (%s) and %d (dictionary)",
                         pass, batch, batch * COL_VECTOR_SIZE, (batch + 1) * COL_VECTOR_SIZE - 1,
                         (int)rv->kind, (int)out.columns[1].kind, (int)want_kind[batch],
                         want_kind[batch] == VEC_CONSTANT ? "one run, all valid or all NULL"
                                                          : "runs or NULLs change in it",
                         (int)VEC_DICT);
            }
            for (uint32_t i = 0; i < out.selected_count; i++) {
                uint32_t row = batch_row(&out, i);
                uint32_t at = batch * COL_VECTOR_SIZE + row;
                bool is_valid = col_is_valid(validity, at);
                struct col_str got_s = vec_value(&out.columns[1], row).str;
                if (vec_value(&out.columns[2], row).i64 != at ||
                    vec_is_valid(rv, row) != is_valid ||
                    (is_valid && vec_value(rv, row).i64 != r[at]) ||
                    col_str_compare(got_s, s[at]) != 0) {
                    fail_msg("pass %u: table row %u: r is %s%" PRId64 ", s '%.*s'; want %s%" PRId64
                             ", '%s'",
                             pass, at, vec_is_valid(rv, row) ? "" : "NULL ", vec_value(rv, row).i64,
                             (int)got_s.size_bytes, got_s.ptr, is_valid ? "" : "NULL ", r[at],
                             words[at % 3]);
                }
                rows++;
            }
        }
        scan_free(s_);
        uint32_t want_rows = pass == 0 ? RUNS_ROWS : (RUNS_ROWS + 1) / 5;
        if (rows != want_rows) {
            fail_msg("pass %u: %u rows out; want %u", pass, rows, want_rows);
        }
    }
    col_cache_forget(cache, t);
    col_table_close(t);
    runs_in_short_batches(dir, cache);
    col_cache_close(cache);
    test_dir_remove(dir);
}

/* ---- Errors ---------------------------------------------------------------------------------- */

/* Claim: scan_new refuses, with COL_INVALID and a message, a spec with no columns or too many,
 * a column past the table's or listed twice, a filter that is not a condition or reads a column
 * past the scan's, and more than SCAN_CONJUNCTS_MAX conjuncts. */
static void
test_c_scan_refuses_bad_specs(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "late" COL_FILE_SUFFIX);
    late_table_write(path);
    struct col_table *t = table_open_or_fail(path);
    struct col_cache *cache = cache_open_or_fail();
    static struct expr_pool pool;
    pool.used = 0;
    enum col_type types[3] = {COL_INT64, COL_INT64, COL_STRING};
    uint8_t scales[3] = {0, 0, 0};
    struct expr *sum = expr_op(&pool, EXPR_ADD, 2, expr_column(&pool, 0), expr_int(&pool, 1));
    resolve_or_fail(sum, 3, types, scales);
    struct expr *past = expr_op(&pool, EXPR_GT, 2, expr_column(&pool, 2), expr_string(&pool, "c1"));
    resolve_or_fail(past, 3, types, scales); /* column 2 of 3: past a scan of 2 columns */
    struct expr *many = expr_op(&pool, EXPR_GT, 2, expr_column(&pool, 0), expr_int(&pool, 1));
    for (uint32_t i = 0; i < SCAN_CONJUNCTS_MAX; i++) {
        many = expr_op(&pool, EXPR_AND, 2, many,
                       expr_op(&pool, EXPR_GT, 2, expr_column(&pool, 0), expr_int(&pool, i)));
    }
    resolve_or_fail(many, 3, types, scales);
    struct {
        const char *what;
        struct scan_spec spec;
    } bad[] = {
        {"no columns", {t, cache, 0, {0}, 0, {NULL}}},
        {"a column past the table's", {t, cache, 2, {0, 3}, 0, {NULL}}},
        {"a column listed twice", {t, cache, 3, {0, 1, 0}, 0, {NULL}}},
        {"a filter that is not a condition", {t, cache, 3, {0, 1, 2}, 1, {sum}}},
        {"a filter on a column past the scan's", {t, cache, 2, {0, 1}, 1, {past}}},
        {"more conjuncts than SCAN_CONJUNCTS_MAX", {t, cache, 3, {0, 1, 2}, 1, {many}}},
        {"more columns than VEC_COLUMNS_MAX", {t, cache, VEC_COLUMNS_MAX + 1, {0}, 0, {NULL}}},
    };
    for (uint32_t i = 0; i < KH_ARRAY_LEN(bad); i++) {
        struct scan *s = NULL;
        struct col_error err = {0};
        col_status status = scan_new(&bad[i].spec, &s, &err);
        if (status != COL_INVALID || s != NULL || err.message[0] == '\0') {
            fail_msg("scan_new of a spec with %s is %s (%s); want COL_INVALID with a message, and "
                     "no scan",
                     bad[i].what, status_name(status), err.message);
        }
    }
    /* And the most columns a scan may read, VEC_COLUMNS_MAX, are fine. */
    char wide_path[TEST_PATH_MAX];
    test_path(wide_path, dir, "wide" COL_FILE_SUFFIX);
    struct col_schema wide = {COL_COLUMNS_MAX, {{"", COL_INT32, 0}}};
    static int32_t values[COL_COLUMNS_MAX][10];
    struct col_values columns[COL_COLUMNS_MAX];
    for (uint32_t c = 0; c < COL_COLUMNS_MAX; c++) {
        wide.columns[c] = (struct col_column){.type = COL_INT32};
        snprintf(wide.columns[c].name, COL_NAME_SIZE_MAX, "w%u", c);
        for (uint32_t row = 0; row < 10; row++) {
            values[c][row] = (int32_t)(c * 100 + row);
        }
        columns[c] = (struct col_values){COL_INT32, 10, values[c], NULL};
    }
    struct col_writer *w = NULL;
    assert_status(col_writer_open(wide_path, &wide, 10, &w, NULL), COL_OK);
    assert_status(col_writer_append(w, columns, NULL), COL_OK);
    assert_status(col_writer_finish(w, NULL), COL_OK);
    struct col_table *wt = table_open_or_fail(wide_path);
    struct scan_spec all = {.table = wt, .cache = cache, .column_count = VEC_COLUMNS_MAX};
    for (uint32_t c = 0; c < VEC_COLUMNS_MAX; c++) {
        all.columns[c] = VEC_COLUMNS_MAX - 1 - c;
    }
    struct scan *s = scan_new_or_fail(&all);
    scan_begin(s, 0, 1);
    struct batch out;
    assert_status(scan_next(s, &out, NULL), COL_OK);
    if (out.row_count != 10 || out.column_count != VEC_COLUMNS_MAX ||
        vec_value(&out.columns[0], 3).i64 != (VEC_COLUMNS_MAX - 1) * 100 + 3) {
        fail_msg("a scan of all %u columns (in reverse) gives %u rows of %u columns",
                 VEC_COLUMNS_MAX, out.row_count, out.column_count);
    }
    scan_free(s);
    col_cache_forget(cache, wt);
    col_table_close(wt);
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* Flips a byte in the middle of chunk (group, column) of the file at path. */
static void
damage_chunk(const char *path, const struct col_table *t, uint32_t group, uint32_t column)
{
    const struct col_chunk_meta *meta = col_table_chunk(t, group, column);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t at = (off_t)(meta->offset + meta->size_bytes / 2);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0x5a;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);
}

/* Claim: a scan that needs a corrupt chunk stops with COL_CORRUPT naming the file, the row group
 * and the column, and can then be freed with nothing pinned; a scan that needs no row of it
 * (its row group has no survivor) never reads it and succeeds. */
static void
test_c_corrupt_chunk_stops_only_the_scans_that_need_it(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "late" COL_FILE_SUFFIX);
    late_table_write(path);
    struct col_table *t = table_open_or_fail(path);
    damage_chunk(path, t, 3, 2); /* c in group 3: LATE_ODD_ROW is in group 2 */
    struct col_cache *cache = cache_open_or_fail();
    static struct expr_pool pool;
    pool.used = 0;
    enum col_type types[3] = {COL_INT64, COL_INT64, COL_STRING};
    uint8_t scales[3] = {0, 0, 0};
    struct expr *only = expr_op(&pool, EXPR_EQ, 2, expr_column(&pool, 0), expr_int(&pool, 7));
    resolve_or_fail(only, 3, types, scales);
    for (uint32_t pass = 0; pass < 3; pass++) {
        if (pass == 2) { /* a filter's own column damaged: a, in group 4 */
            damage_chunk(path, t, 4, 0);
            col_cache_forget(cache, t);
        }
        struct scan_spec spec = {.table = t,
                                 .cache = cache,
                                 .column_count = 3,
                                 .columns = {0, 1, 2},
                                 .filter_count = pass == 1 ? 0 : 1,
                                 .filters = {only}};
        struct scan *s = scan_new_or_fail(&spec);
        scan_begin(s, 0, LATE_GROUPS);
        struct batch out;
        struct col_error err = {0};
        col_status status;
        uint32_t rows = 0;
        while ((status = scan_next(s, &out, &err)) == COL_OK && out.row_count > 0) {
            rows += out.selected_count;
        }
        scan_free(s);
        if (pass == 0 && (status != COL_OK || rows != 1)) {
            fail_msg(
                "WHERE a = 7 needs no row of group 3 (whose column c is damaged), yet the scan "
                "is %s (%s) after %u rows; want COL_OK and 1 row",
                status_name(status), err.message, rows);
        }
        /* The message without the file's name must still say "3" and "c". */
        char rest[sizeof(err.message)];
        const char *named = strstr(err.message, path);
        snprintf(rest, sizeof(rest), "%.*s%s", named ? (int)(named - err.message) : 0, err.message,
                 named ? named + strlen(path) : "");
        if (pass == 2 && (status != COL_CORRUPT || named == NULL || strstr(rest, "4") == NULL)) {
            fail_msg("WHERE a = 7 over a table whose a is damaged in group 4 is %s (%s); want "
                     "COL_CORRUPT naming the file and row group 4",
                     status_name(status), err.message);
        }
        if (pass == 1 && (status != COL_CORRUPT || named == NULL || strstr(rest, "3") == NULL ||
                          strchr(rest, 'c') == NULL || rows != 3 * LATE_GROUP_ROWS)) {
            fail_msg("a scan of every row is %s (%s) after %u rows; want COL_CORRUPT after the "
                     "%u rows of groups 0-2, naming %s, row group 3 and column c",
                     status_name(status), err.message, rows, 3 * LATE_GROUP_ROWS, path);
        }
    }
    col_cache_forget(cache, t); /* asserts that nothing is pinned */
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* ---- Morsels --------------------------------------------------------------------------------- */

#define MORSEL_THREADS 2u

/* What the rows a scan gave of one row group add up to: their count and a hash of every
 * column's value at each, in order. */
struct group_digest {
    uint64_t rows;
    uint64_t hash;
};

static uint64_t
digest_value(uint64_t h, const struct vec *v, uint32_t row)
{
    if (!vec_is_valid(v, row)) {
        return col_hash_mix(h ^ 0x9e3779b97f4a7c15ull);
    }
    union col_datum d = vec_value(v, row);
    uint64_t x = v->type == COL_STRING    ? col_hash_bytes(d.str.ptr, d.str.size_bytes)
                 : v->type == COL_FLOAT64 ? (uint64_t)(int64_t)(d.f64 * 64.0)
                                          : (uint64_t)d.i64;
    return col_hash_mix(h + x);
}

struct morsel_run {
    const struct scan_spec *spec;
    atomic_uint next_group;
    uint32_t group_count;
    struct group_digest *digests;
    struct scan_stats stats[MORSEL_THREADS];
    col_status status[MORSEL_THREADS];
    atomic_uint index;
};

static void *
morsel_worker(void *arg)
{
    struct morsel_run *run = arg;
    unsigned me = atomic_fetch_add(&run->index, 1);
    struct scan *s = NULL;
    struct col_error err = {0};
    run->status[me] = scan_new(run->spec, &s, &err);
    for (uint32_t g; run->status[me] == COL_OK &&
                     (g = atomic_fetch_add(&run->next_group, 1)) < run->group_count;) {
        scan_begin(s, g, g + 1);
        struct batch out;
        while ((run->status[me] = scan_next(s, &out, &err)) == COL_OK && out.row_count > 0) {
            for (uint32_t i = 0; i < out.selected_count; i++) {
                uint64_t h = run->digests[g].hash;
                for (uint32_t c = 0; c < out.column_count; c++) {
                    h = digest_value(h, &out.columns[c], batch_row(&out, i));
                }
                run->digests[g].hash = h;
                run->digests[g].rows++;
            }
        }
    }
    if (s != NULL) {
        scan_stats(s, &run->stats[me]);
        scan_free(s);
    }
    return NULL;
}

/* Claim: row groups handed one at a time to two threads, each with its own scan over one
 * shared cache and table, give every group's rows exactly as the row-at-a-time rules keep them,
 * and the threads' counts added (scan_stats_add) are one whole scan's. */
static void
test_c_morsels_from_two_threads_cover_the_table(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "m" COL_FILE_SUFFIX);
    model_make(&g_model, &rng, MODEL_ROWS_MAX, 1500, 10, path);
    struct col_table *t = table_open_or_fail(path);
    struct col_cache *cache = cache_open_or_fail();
    uint32_t groups = col_table_group_count(t);
    static struct group_digest want[MODEL_ROWS_MAX / 1500 + 1], got[MODEL_ROWS_MAX / 1500 + 1];
    for (uint32_t round = 0; round < 8; round++) {
        static struct expr_pool pool;
        pool.used = 0;
        struct expr *filter = draw_filter(&pool, &rng, &g_model);
        struct scan_spec spec = {.table = t,
                                 .cache = cache,
                                 .column_count = TB_COLUMNS,
                                 .columns = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                                 .filter_count = 1,
                                 .filters = {filter}};
        memset(want, 0, sizeof(want));
        memset(got, 0, sizeof(got));
        for (uint32_t row = 0; row < g_model.rows; row++) {
            if (model_row_passes(&g_model, &filter, 1, row)) {
                struct group_digest *d = &want[row / 1500];
                for (uint32_t c = 0; c < TB_COLUMNS; c++) {
                    d->hash = digest_value(d->hash, &g_model.all.columns[c], row);
                }
                d->rows++;
            }
        }
        struct scan_stats whole;
        scan_and_check(&g_model, &spec, &filter, 1, "one thread", &whole);
        struct morsel_run run = {.spec = &spec, .group_count = groups, .digests = got};
        pthread_t threads[MORSEL_THREADS];
        for (uint32_t i = 0; i < MORSEL_THREADS; i++) {
            assert_int_equal(pthread_create(&threads[i], NULL, morsel_worker, &run), 0);
        }
        for (uint32_t i = 0; i < MORSEL_THREADS; i++) {
            assert_int_equal(pthread_join(threads[i], NULL), 0);
        }
        struct scan_stats sum = {0};
        for (uint32_t i = 0; i < MORSEL_THREADS; i++) { /* stats[i] is the i-th to start's */
            assert_status(run.status[i], COL_OK);
            scan_stats_add(&sum, &run.stats[i]);
        }
        char text[200];
        expr_format(filter, tb_names, text, sizeof(text));
        for (uint32_t g = 0; g < groups; g++) {
            if (got[g].rows != want[g].rows || got[g].hash != want[g].hash) {
                fail_msg("WHERE %s, row group %u by morsels: %" PRIu64 " rows (hash %016" PRIx64
                         "); want %" PRIu64 " (hash %016" PRIx64 ")",
                         text, g, got[g].rows, got[g].hash, want[g].rows, want[g].hash);
            }
        }
        if (sum.groups != whole.groups || sum.groups_pruned != whole.groups_pruned ||
            sum.rows_scanned != whole.rows_scanned || sum.rows_out != whole.rows_out) {
            fail_msg("WHERE %s: the threads' counts add up to %" PRIu64 " groups, %" PRIu64
                     " pruned, %" PRIu64 " rows scanned, %" PRIu64 " out; one scan's are %" PRIu64
                     ", %" PRIu64 ", %" PRIu64 ", %" PRIu64,
                     text, sum.groups, sum.groups_pruned, sum.rows_scanned, sum.rows_out,
                     whole.groups, whole.groups_pruned, whole.rows_scanned, whole.rows_out);
        }
    }
    col_cache_forget(cache, t);
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* ---- On the lab's data -------------------------------------------------------------------- */

/* Q6's filter and sum, row at a time over lineitem.tbl (the generator's text of the same rows):
 * the count of rows kept and sum(l_extendedprice * l_discount) in units of 1/10,000. */
static void
q6_from_text(const char *path, uint64_t *rows, int64_t *revenue)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    *rows = 0;
    *revenue = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *field[16], *at = line;
        for (uint32_t c = 0; c < 16; c++) {
            field[c] = at;
            at = strchr(at, '|');
            assert_non_null(at);
            *at++ = '\0';
        }
        int64_t quantity, price, discount;
        assert_true(col_decimal_parse(field[4], strlen(field[4]), 2, &quantity));
        assert_true(col_decimal_parse(field[5], strlen(field[5]), 2, &price));
        assert_true(col_decimal_parse(field[6], strlen(field[6]), 2, &discount));
        if (strcmp(field[10], "1994-01-01") >= 0 && strcmp(field[10], "1995-01-01") < 0 &&
            discount >= 5 && discount <= 7 && quantity < 2400) {
            (*rows)++;
            *revenue += price * discount;
        }
    }
    fclose(f);
}

/* Claim: on the lab's generated lineitem (tpch.h, scale 0.002), a scan with TPC-H Q6's filter,
 * written as the planner writes it (l_shipdate >= date AND l_shipdate < date AND l_discount
 * BETWEEN 0.05 AND 0.07 AND l_quantity < 24), keeps the rows the generator's own text says
 * it should: their count and sum(l_extendedprice * l_discount), exactly; and reads
 * l_extendedprice only for them. */
static void
test_c_q6_filter_on_generated_lineitem(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX], text[TEST_PATH_MAX];
    test_dir_make(dir);
    struct tpch_options o = {
        .scale = 0.002, .seed = kh_test_seed(), .with_tbl = true, .group_rows = 4096};
    struct col_error err = {0};
    if (tpch_generate(&o, dir, &err) != COL_OK) {
        fail_msg("tpch_generate: %s", err.message);
    }
    test_path(path, dir, "lineitem" COL_FILE_SUFFIX);
    test_path(text, dir, "lineitem.tbl");
    uint64_t want_rows;
    int64_t want_revenue;
    q6_from_text(text, &want_rows, &want_revenue);
    struct col_table *t = table_open_or_fail(path);
    struct col_cache *cache = cache_open_or_fail();
    /* Batch columns: l_shipdate, l_discount, l_quantity, l_extendedprice. */
    static struct expr_pool pool;
    pool.used = 0;
    int32_t from = col_date_from_ymd(1994, 1, 1), to = col_date_from_ymd(1995, 1, 1);
    struct expr *filters[4] = {
        expr_op(&pool, EXPR_GE, 2, expr_column(&pool, 0), expr_date(&pool, from)),
        expr_op(&pool, EXPR_LT, 2, expr_column(&pool, 0), expr_date(&pool, to)),
        expr_op(&pool, EXPR_AND, 2,
                expr_op(&pool, EXPR_GE, 2, expr_column(&pool, 1), expr_decimal(&pool, 5, 2)),
                expr_op(&pool, EXPR_LE, 2, expr_column(&pool, 1), expr_decimal(&pool, 7, 2))),
        expr_op(&pool, EXPR_LT, 2, expr_column(&pool, 2), expr_int(&pool, 24))};
    enum col_type types[4] = {COL_DATE, COL_DECIMAL, COL_DECIMAL, COL_DECIMAL};
    uint8_t scales[4] = {0, 2, 2, 2};
    struct scan_spec spec = {
        .table = t, .cache = cache, .column_count = 4, .columns = {10, 6, 4, 5}, .filter_count = 4};
    for (uint32_t f = 0; f < 4; f++) {
        resolve_or_fail(filters[f], 4, types, scales);
        spec.filters[f] = filters[f];
    }
    struct scan *s = scan_new_or_fail(&spec);
    scan_begin(s, 0, col_table_group_count(t));
    struct batch out;
    uint64_t rows = 0;
    int64_t revenue = 0;
    for (;;) {
        col_status status = scan_next(s, &out, &err);
        if (status != COL_OK) {
            fail_msg("scan_next is %s: %s", status_name(status), err.message);
        }
        if (out.row_count == 0) {
            break;
        }
        for (uint32_t i = 0; i < out.selected_count; i++) {
            uint32_t row = batch_row(&out, i);
            revenue += vec_value(&out.columns[3], row).i64 * vec_value(&out.columns[1], row).i64;
            rows++;
        }
    }
    struct scan_stats st;
    scan_stats(s, &st);
    scan_free(s);
    if (rows != want_rows || revenue != want_revenue || st.columns[3].rows_touched != rows ||
        want_rows == 0) {
        fail_msg("Q6 on lineitem at scale 0.002 (seed %" PRIu64 "): %" PRIu64
                 " rows, revenue %" PRId64 " (l_extendedprice read for %" PRIu64
                 " rows); the .tbl text says %" PRIu64 " rows, %" PRId64,
                 o.seed, rows, revenue, st.columns[3].rows_touched, want_rows, want_revenue);
    }
    col_cache_forget(cache, t);
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_scan_matches_row_at_a_time),
        cmocka_unit_test(test_c_zone_maps_prune_exactly),
        cmocka_unit_test(test_c_pruned_groups_are_never_read),
        cmocka_unit_test(test_c_columns_are_read_only_for_survivors),
        cmocka_unit_test(test_c_batches_keep_runs_and_codes),
        cmocka_unit_test(test_c_scan_refuses_bad_specs),
        cmocka_unit_test(test_c_corrupt_chunk_stops_only_the_scans_that_need_it),
        cmocka_unit_test(test_c_morsels_from_two_threads_cover_the_table),
        cmocka_unit_test(test_c_q6_filter_on_generated_lineitem),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
