/* test_d_exec.c -- part D: pipelines run over morsels on threads (exec.h). On one to four
 * threads, a GROUP BY gives the row-at-a-time groups, a join gives the nested loop's pairs, a
 * sort of a materialized result gives the rows in order, the counts add up, and the first
 * error stops every thread with nothing left pinned. Read
 * test_d_group_by_on_threads_matches_row_at_a_time first. */
#include "agg_test.h"
#include "exec.h"
#include "oom_test.h"
#include "scan_test.h"

#include <fcntl.h>

#define GROUP_ROWS 2048u /* a morsel: 12 of them in a full model table */

static struct model g_model;

static void
run_or_fail(const struct exec_pipeline *p, uint32_t threads, struct exec_result *out,
            struct exec_stats *stats, const char *what)
{
    struct col_error err = {0};
    col_status status = exec_run(p, threads, out, stats, &err);
    if (status != COL_OK) {
        fail_msg("%s, %u threads: exec_run is %s: %s", what, threads, status_name(status),
                 err.message);
    }
}

/* A scan pipeline over every column of the model's table, with filter (may be NULL). */
static void
scan_pipeline(struct exec_pipeline *p, const struct col_table *t, struct col_cache *cache,
              const struct expr *filter)
{
    memset(p, 0, sizeof(*p));
    p->source = EXEC_SOURCE_SCAN;
    p->scan = (struct scan_spec){.table = t, .cache = cache, .column_count = TB_COLUMNS};
    for (uint32_t c = 0; c < TB_COLUMNS; c++) {
        p->scan.columns[c] = c;
        p->sink_types[c] = g_model.schema.columns[c].type;
        p->sink_scales[c] = g_model.schema.columns[c].scale;
    }
    p->sink_column_count = TB_COLUMNS;
    if (filter != NULL) {
        p->scan.filters[p->scan.filter_count++] = filter;
    }
}

static void
setup(char dir[TEST_PATH_MAX], struct kh_rng *rng, struct col_table **t, struct col_cache **cache)
{
    char path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "t" COL_FILE_SUFFIX);
    model_make(&g_model, rng, MODEL_ROWS_MAX, GROUP_ROWS, 10, path);
    *t = table_open_or_fail(path);
    *cache = cache_open_or_fail();
}

static void
teardown(const char *dir, struct col_table *t, struct col_cache *cache)
{
    col_cache_forget(cache, t); /* asserts that nothing is pinned */
    col_cache_close(cache);
    col_table_close(t);
    test_dir_remove(dir);
}

/* ---- GROUP BY ------------------------------------------------------------------------------- */

/* A seeded GROUP BY over the model's columns: keys among the few-valued ones (s, k, t, r), one
 * to five aggregates. */
static void
draw_agg(struct agg_spec *spec, struct kh_rng *rng)
{
    static const uint32_t keys[] = {TB_S, TB_K, TB_T, TB_R};
    static const uint32_t numbers[] = {TB_I, TB_J, TB_P, TB_Q, TB_F};
    memset(spec, 0, sizeof(*spec));
    spec->key_count = (uint32_t)kh_rng_below(rng, 3);
    for (uint32_t k = 0; k < spec->key_count; k++) {
        spec->keys[k] = keys[(k + kh_rng_below(rng, 2)) % KH_ARRAY_LEN(keys)];
    }
    spec->func_count = 1 + (uint32_t)kh_rng_below(rng, 5);
    for (uint32_t f = 0; f < spec->func_count; f++) {
        spec->fns[f] = (enum agg_fn)kh_rng_below(rng, AGG_FN_COUNT);
        bool is_number_only = spec->fns[f] == AGG_SUM || spec->fns[f] == AGG_AVG;
        spec->args[f] = is_number_only ? numbers[kh_rng_below(rng, KH_ARRAY_LEN(numbers))]
                                       : (uint32_t)kh_rng_below(rng, TB_COLUMNS);
    }
}

/* Claim: a scan-and-GROUP-BY pipeline on 1, 2, 3 or 4 threads (each thread its own table, the
 * tables merged at the end) gives the groups of the row-at-a-time GROUP BY of the rows that
 * pass the filter: every group once, every aggregate's value. */
static void
test_d_group_by_on_threads_matches_row_at_a_time(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX];
    struct col_table *t;
    struct col_cache *cache;
    setup(dir, &rng, &t, &cache);
    static struct ref_agg ref;
    static struct expr_pool pool;
    for (uint32_t round = 0; round < 8; round++) {
        pool.used = 0;
        struct expr *filter = kh_rng_below(&rng, 4) ? draw_filter(&pool, &rng, &g_model) : NULL;
        struct exec_pipeline p;
        scan_pipeline(&p, t, cache, filter);
        p.sink = EXEC_SINK_AGGREGATE;
        draw_agg(&p.agg, &rng);
        enum col_type out_types[AGG_KEYS_MAX + AGG_FUNCS_MAX];
        uint8_t out_scales[AGG_KEYS_MAX + AGG_FUNCS_MAX];
        assert_status(agg_spec_resolve(&p.agg, TB_COLUMNS, p.sink_types, p.sink_scales, out_types,
                                       out_scales, NULL),
                      COL_OK);
        ref.groups = 0;
        for (uint32_t row = 0; row < g_model.rows; row++) {
            if (filter == NULL || model_row_passes(&g_model, &filter, 1, row)) {
                ref_add_row(&ref, &p.agg, &g_model.all, row);
            }
        }
        uint32_t threads = 1 + round % 4;
        struct exec_result result;
        run_or_fail(&p, threads, &result, NULL, "GROUP BY");
        const struct mat *m = &result.rows;
        uint32_t want_groups = p.agg.key_count == 0 ? 1 : ref.groups;
        if (!result.has_rows || m->row_count != want_groups) {
            fail_msg("round %u, %u threads: %" PRIu64 " groups; want %u", round, threads,
                     result.has_rows ? m->row_count : 0, want_groups);
        }
        static bool seen[GROUPS_MAX];
        memset(seen, 0, sizeof(seen));
        for (uint64_t row = 0; row < m->row_count; row++) {
            uint32_t g = 0;
            for (; g < ref.groups; g++) {
                uint32_t k = 0;
                while (k < p.agg.key_count && value_matches(ref.g[g].keys[k], m, k, row)) {
                    k++;
                }
                if (k == p.agg.key_count) {
                    break;
                }
            }
            if (g == ref.groups && ref.groups > 0) {
                fail_msg("round %u, %u threads: result row %" PRIu64 " is no group of the rows",
                         round, threads, row);
            }
            if (g < ref.groups && seen[g]) {
                fail_msg("round %u, %u threads: group %u comes out twice", round, threads, g);
            }
            if (g < ref.groups) {
                seen[g] = true;
            }
            for (uint32_t f = 0; f < p.agg.func_count && ref.groups > 0; f++) {
                struct rv want = ref_result(&ref, &p.agg, p.sink_types, p.sink_scales, g, f);
                if (!value_matches(want, m, p.agg.key_count + f, row)) {
                    char text[96];
                    fail_msg("round %u, %u threads: group %u, %s of column %s: want %s", round,
                             threads, g, agg_fn_name(p.agg.fns[f]), tb_names[p.agg.args[f]],
                             rv_text(want, text));
                }
            }
        }
        exec_result_free(&result);
    }
    teardown(dir, t, cache);
}

/* ---- Join ----------------------------------------------------------------------------------- */

/* A digest of a row of values, for comparing multisets of rows. */
static uint64_t
digest(uint64_t h, const struct vec *v, uint32_t row)
{
    if (!vec_is_valid(v, row)) {
        return col_hash_mix(h ^ 0x51ed27ull);
    }
    union col_datum d = vec_value(v, row);
    uint64_t x = v->type == COL_STRING    ? col_hash_bytes(d.str.ptr, d.str.size_bytes)
                 : v->type == COL_FLOAT64 ? (uint64_t)(int64_t)(d.f64 * 64.0)
                                          : (uint64_t)d.i64;
    return col_hash_mix(h + x);
}

static int
u64_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The sorted digests of every row of m. */
static uint64_t *
mat_digests(const struct mat *m)
{
    uint64_t *d = malloc((m->row_count + 1) * sizeof(uint64_t));
    assert_non_null(d);
    for (uint64_t from = 0; from < m->row_count; from += COL_VECTOR_SIZE) {
        struct batch b;
        mat_batch(m, from, &b);
        for (uint32_t row = 0; row < b.row_count; row++) {
            uint64_t h = 0;
            for (uint32_t c = 0; c < b.column_count; c++) {
                h = digest(h, &b.columns[c], row);
            }
            d[from + row] = h;
        }
    }
    qsort(d, m->row_count, sizeof(uint64_t), u64_order);
    return d;
}

#define JOIN_WANT_MAX (1u << 20)

/* Claim: a build pipeline (rows with d < 8100, keyed by i) and a probe pipeline (every row,
 * probing with i, collecting the probe's j and s and the build side's t and d) give, on 1 to 4
 * threads, exactly the pairs of a nested loop over the table with equal, non-NULL i. */
static void
test_d_join_on_threads_matches_nested_loop(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX];
    struct col_table *t;
    struct col_cache *cache;
    setup(dir, &rng, &t, &cache);
    static struct expr_pool pool;
    pool.used = 0;
    /* Build: columns i, t, d WHERE d < 8100. */
    struct expr *cheap = expr_op(&pool, EXPR_LT, 2, expr_column(&pool, 2), expr_date(&pool, 8100));
    enum col_type build_types[3] = {COL_INT32, COL_STRING, COL_DATE};
    uint8_t build_scales[3] = {0, 0, 0};
    resolve_or_fail(cheap, 3, build_types, build_scales);
    struct exec_pipeline build = {.source = EXEC_SOURCE_SCAN,
                                  .scan = {.table = t,
                                           .cache = cache,
                                           .column_count = 3,
                                           .columns = {TB_I, TB_T, TB_D},
                                           .filter_count = 1,
                                           .filters = {cheap}},
                                  .sink = EXEC_SINK_BUILD,
                                  .sink_column_count = 3,
                                  .sink_types = {COL_INT32, COL_STRING, COL_DATE},
                                  .join = {.key_count = 1, .build_keys = {0}, .probe_keys = {0}}};
    /* Probe: columns i, j, s; the build side's i, t, d follow; collect j, s, t, d. */
    struct exec_pipeline probe = {
        .source = EXEC_SOURCE_SCAN,
        .scan = {.table = t, .cache = cache, .column_count = 3, .columns = {TB_I, TB_J, TB_S}},
        .op_count = 2,
        .sink = EXEC_SINK_COLLECT,
        .sink_column_count = 4,
        .sink_types = {COL_INT64, COL_STRING, COL_STRING, COL_DATE}};
    probe.ops[0] = (struct exec_op){.kind = EXEC_PROBE,
                                    .input_column_count = 3,
                                    .input_types = {COL_INT32, COL_INT64, COL_STRING}};
    enum col_type joined_types[6] = {COL_INT32, COL_INT64,  COL_STRING,
                                     COL_INT32, COL_STRING, COL_DATE};
    uint8_t joined_scales[6] = {0};
    struct expr *outs[4] = {expr_column(&pool, 1), expr_column(&pool, 2), expr_column(&pool, 4),
                            expr_column(&pool, 5)};
    probe.ops[1] = (struct exec_op){.kind = EXEC_PROJECT, .expr_count = 4};
    for (uint32_t e = 0; e < 4; e++) {
        resolve_or_fail(outs[e], 6, joined_types, joined_scales);
        probe.ops[1].exprs[e] = outs[e];
    }
    /* The nested loop's pairs, as digests. */
    static uint64_t want[JOIN_WANT_MAX];
    uint64_t want_count = 0;
    const struct batch *all = &g_model.all;
    for (uint32_t b = 0; b < g_model.rows; b++) {
        if (!vec_is_valid(&all->columns[TB_I], b) || !vec_is_valid(&all->columns[TB_D], b) ||
            g_model.d[b] >= 8100) {
            continue;
        }
        for (uint32_t p = 0; p < g_model.rows; p++) {
            if (vec_is_valid(&all->columns[TB_I], p) && g_model.i[p] == g_model.i[b]) {
                assert_true(want_count < JOIN_WANT_MAX);
                uint64_t h = digest(0, &all->columns[TB_J], p);
                h = digest(h, &all->columns[TB_S], p);
                h = digest(h, &all->columns[TB_T], b);
                want[want_count++] = digest(h, &all->columns[TB_D], b);
            }
        }
    }
    qsort(want, want_count, sizeof(uint64_t), u64_order);
    for (uint32_t threads = 1; threads <= 4; threads++) {
        struct exec_result built, joined;
        run_or_fail(&build, threads, &built, NULL, "the build side");
        probe.ops[0].table = built.table;
        run_or_fail(&probe, 5 - threads, &joined, NULL, "the probe side");
        uint64_t *got = mat_digests(&joined.rows);
        uint64_t i = 0;
        while (i < want_count && i < joined.rows.row_count && got[i] == want[i]) {
            i++;
        }
        if (joined.rows.row_count != want_count || i != want_count) {
            fail_msg("built on %u threads, probed on %u: %" PRIu64 " rows, want %" PRIu64
                     " (they first differ at the %" PRIu64 "-th in digest order)",
                     threads, 5 - threads, joined.rows.row_count, want_count, i);
        }
        free(got);
        exec_result_free(&joined);
        exec_result_free(&built);
    }
    teardown(dir, t, cache);
}

/* ---- From a materialized result -------------------------------------------------------------- */

/* Claim: a pipeline whose source is another's result (a struct mat, in morsels of
 * EXEC_MAT_MORSEL_ROWS) filters, projects and sorts it: ORDER BY t, j DESC gives every row
 * with j > 0, in order, on 1 to 4 threads, and LIMIT 100 the first 100 of them. */
static void
test_d_sort_of_a_materialized_result(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX];
    struct col_table *t;
    struct col_cache *cache;
    setup(dir, &rng, &t, &cache);
    struct exec_pipeline all;
    scan_pipeline(&all, t, cache, NULL);
    all.sink = EXEC_SINK_COLLECT;
    struct exec_result rows;
    run_or_fail(&all, 2, &rows, NULL, "collecting the table");
    assert_int_equal(rows.rows.row_count, g_model.rows);
    static struct expr_pool pool;
    pool.used = 0;
    struct expr *positive =
        expr_op(&pool, EXPR_GT, 2, expr_column(&pool, TB_J), expr_int(&pool, 0));
    struct expr *outs[3] = {
        expr_column(&pool, TB_J), expr_column(&pool, TB_T),
        expr_op(&pool, EXPR_MUL, 2, expr_column(&pool, TB_J), expr_int(&pool, 2))};
    resolve_or_fail(positive, TB_COLUMNS, all.sink_types, all.sink_scales);
    struct exec_pipeline sort = {.source = EXEC_SOURCE_MAT,
                                 .mat = &rows.rows,
                                 .op_count = 2,
                                 .sink = EXEC_SINK_SORT,
                                 .sink_column_count = 3,
                                 .sink_types = {COL_INT64, COL_STRING, COL_INT64},
                                 .sort = {.key_count = 2, .keys = {{1, false}, {0, true}}}};
    sort.ops[0] = (struct exec_op){.kind = EXEC_FILTER, .condition = positive};
    sort.ops[1] = (struct exec_op){.kind = EXEC_PROJECT, .expr_count = 3};
    for (uint32_t e = 0; e < 3; e++) {
        resolve_or_fail(outs[e], TB_COLUMNS, all.sink_types, all.sink_scales);
        sort.ops[1].exprs[e] = outs[e];
    }
    uint64_t want = 0;
    for (uint32_t row = 0; row < g_model.rows; row++) {
        want += col_is_valid(g_model.validity[TB_J], row) && g_model.j[row] > 0;
    }
    for (uint32_t round = 0; round < 8; round++) {
        uint32_t threads = 1 + round % 4;
        sort.sort.limit = round < 4 ? 0 : 100;
        struct exec_result sorted;
        run_or_fail(&sort, threads, &sorted, NULL, "the sort");
        const struct mat *m = &sorted.rows;
        uint64_t want_rows = sort.sort.limit ? 100 : want;
        if (m->row_count != want_rows) {
            fail_msg("%u threads, limit %" PRIu64 ": %" PRIu64 " rows; want %" PRIu64, threads,
                     sort.sort.limit, m->row_count, want_rows);
        }
        for (uint64_t r = 0; r < m->row_count; r++) {
            int64_t j = mat_value(m, 0, r).i64;
            if (j <= 0 || mat_value(m, 2, r).i64 != 2 * j) {
                fail_msg("%u threads: row %" PRIu64 " has j = %" PRId64 ", j * 2 = %" PRId64,
                         threads, r, j, mat_value(m, 2, r).i64);
            }
            if (r > 0) {
                /* NULL t first, then by t; equal t by j descending. */
                bool was_null = !mat_is_valid(m, 1, r - 1), is_null = !mat_is_valid(m, 1, r);
                int order = was_null || is_null ? (int)is_null - (int)was_null
                                                : col_str_compare(mat_value(m, 1, r - 1).str,
                                                                  mat_value(m, 1, r).str);
                if (order > 0 || (order == 0 && mat_value(m, 0, r - 1).i64 < j)) {
                    fail_msg("%u threads: rows %" PRIu64 " and %" PRIu64 " are out of order "
                             "(ORDER BY t, j DESC)",
                             threads, r - 1, r);
                }
            }
        }
        exec_result_free(&sorted);
    }
    exec_result_free(&rows);
    teardown(dir, t, cache);
}

/* ---- Counts and errors --------------------------------------------------------------------- */

/* Claim: the counts are exact: the morsels taken add up to the row groups, the source's rows
 * to the scan's, each operator's rows in to the rows out of the one before (a filter, then a
 * projection), the filter's rows out to the rows that pass it, the sink's rows in to the last
 * operator's rows out. */
static void
test_d_counts_add_up(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX];
    struct col_table *t;
    struct col_cache *cache;
    setup(dir, &rng, &t, &cache);
    static struct expr_pool pool;
    for (uint32_t round = 0; round < 6; round++) {
        pool.used = 0;
        struct expr *first = draw_filter(&pool, &rng, &g_model);
        struct expr *second = draw_filter(&pool, &rng, &g_model);
        struct exec_pipeline p;
        scan_pipeline(&p, t, cache, first);
        p.sink = EXEC_SINK_COLLECT;
        p.op_count = 2;
        p.ops[0] = (struct exec_op){.kind = EXEC_FILTER, .condition = second};
        /* Then the rows' j and t only. */
        struct expr *j = expr_column(&pool, TB_J), *t_ = expr_column(&pool, TB_T);
        resolve_or_fail(j, TB_COLUMNS, p.sink_types, p.sink_scales);
        resolve_or_fail(t_, TB_COLUMNS, p.sink_types, p.sink_scales);
        p.ops[1] = (struct exec_op){.kind = EXEC_PROJECT, .expr_count = 2, .exprs = {j, t_}};
        p.sink_column_count = 2;
        p.sink_types[0] = COL_INT64;
        p.sink_types[1] = COL_STRING;
        uint64_t passes_first = 0, passes_both = 0;
        for (uint32_t row = 0; row < g_model.rows; row++) {
            if (model_row_passes(&g_model, &first, 1, row)) {
                passes_first++;
                passes_both += model_row_passes(&g_model, &second, 1, row);
            }
        }
        uint32_t threads = 1 + round % 4;
        struct exec_result r;
        struct exec_stats st;
        run_or_fail(&p, threads, &r, &st, "counting");
        uint64_t morsels = 0;
        for (uint32_t i = 0; i < EXEC_THREADS_MAX; i++) {
            morsels += st.morsels[i];
        }
        if (morsels != col_table_group_count(t) || st.threads != threads ||
            st.source_rows != passes_first || st.scan.rows_out != passes_first ||
            st.ops[0].rows_in != passes_first || st.ops[0].rows_out != passes_both ||
            st.ops[1].rows_in != passes_both || st.ops[1].rows_out != passes_both ||
            st.sink.rows_in != passes_both || st.sink.rows_out != passes_both ||
            r.rows.row_count != passes_both) {
            fail_msg("%u threads: %" PRIu64 " morsels (want %u), source %" PRIu64 " rows, scan "
                     "%" PRIu64 ", filter %" PRIu64 " in and %" PRIu64 " out, sink %" PRIu64
                     " in and %" PRIu64 " held, projection %" PRIu64 " in and %" PRIu64
                     " out; want %" PRIu64 " rows from the scan and %" PRIu64 " past the filter",
                     threads, morsels, col_table_group_count(t), st.source_rows, st.scan.rows_out,
                     st.ops[0].rows_in, st.ops[0].rows_out, st.sink.rows_in, st.sink.rows_out,
                     st.ops[1].rows_in, st.ops[1].rows_out, passes_first, passes_both);
        }
        exec_result_free(&r);
    }
    teardown(dir, t, cache);
}

/* Claim: a corrupt chunk in one morsel stops the run on every thread with COL_CORRUPT and the
 * chunk's message, leaving no result, no pin (the cache asserts at col_cache_forget) and, under
 * ASan, no leak; and exec_run refuses 0 threads or more than EXEC_THREADS_MAX. */
static void
test_d_first_error_stops_every_thread(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    struct col_table *t;
    struct col_cache *cache;
    setup(dir, &rng, &t, &cache);
    test_path(path, dir, "t" COL_FILE_SUFFIX);
    const struct col_chunk_meta *meta = col_table_chunk(t, 7, TB_J);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t at = (off_t)(meta->offset + meta->size_bytes / 2);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0xa5; /* flipped: whatever it was, it is not now */
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);
    struct exec_pipeline p;
    scan_pipeline(&p, t, cache, NULL);
    p.sink = EXEC_SINK_AGGREGATE;
    p.agg = (struct agg_spec){
        .key_count = 1, .keys = {TB_S}, .func_count = 1, .fns = {AGG_SUM}, .args = {TB_J}};
    for (uint32_t threads = 1; threads <= 4; threads++) {
        struct exec_result r = {0};
        struct col_error err = {0};
        col_status status = exec_run(&p, threads, &r, NULL, &err);
        if (status != COL_CORRUPT || strstr(err.message, path) == NULL || r.has_rows) {
            fail_msg("%u threads over a table whose row group 7 has a damaged chunk: %s (%s); "
                     "want COL_CORRUPT with the chunk's message and no result",
                     threads, status_name(status), err.message);
        }
    }
    struct exec_result r = {0};
    assert_status(exec_run(&p, 0, &r, NULL, NULL), COL_INVALID);
    assert_status(exec_run(&p, EXEC_THREADS_MAX + 1, &r, NULL, NULL), COL_INVALID);
    teardown(dir, t, cache);
}

/* ---- Out of memory ---------------------------------------------------------------------- */

static char g_oom_path[TEST_PATH_MAX];

/* Step 0: scan_new. Step 1: a scan-and-GROUP-BY exec_run on one thread. Each with its own
 * cache, so that nothing the call made outlives the scenario. */
static col_status
exec_scenario(int n, bool *did_fail, int step)
{
    struct col_table *t = table_open_or_fail(g_oom_path);
    struct col_cache *cache = cache_open_or_fail();
    struct exec_pipeline p;
    scan_pipeline(&p, t, cache, NULL);
    p.sink = EXEC_SINK_AGGREGATE;
    p.agg = (struct agg_spec){.key_count = 1,
                              .keys = {TB_S},
                              .func_count = 2,
                              .fns = {AGG_SUM, AGG_MAX},
                              .args = {TB_J, TB_T}};
    col_status status;
    if (step == 0) {
        struct scan *s = NULL;
        arm(n);
        status = scan_new(&p.scan, &s, NULL);
        *did_fail = disarm();
        scan_free(s);
    } else {
        struct exec_result r = {0};
        arm(n);
        status = exec_run(&p, 1, &r, NULL, NULL);
        *did_fail = disarm();
        if (status == COL_OK) {
            exec_result_free(&r);
        }
    }
    col_cache_forget(cache, t);
    col_cache_close(cache);
    col_table_close(t);
    return status;
}

/* Claim: when memory runs out, scan_new and exec_run return COL_NOMEM (whichever allocation
 * fails: an operator's state, a sink, a chunk the cache reads), and nothing stays allocated or
 * pinned. */
static void
test_d_out_of_memory_is_a_status(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected, and "
           "each call is only run once\n");
#endif
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(g_oom_path, dir, "t" COL_FILE_SUFFIX);
    model_make(&g_model, &rng, 3 * GROUP_ROWS, GROUP_ROWS, 10, g_oom_path);
    fail_each_allocation("scan_new", exec_scenario, 0, false);
    fail_each_allocation("exec_run", exec_scenario, 1, false);
    test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_group_by_on_threads_matches_row_at_a_time),
        cmocka_unit_test(test_d_join_on_threads_matches_nested_loop),
        cmocka_unit_test(test_d_sort_of_a_materialized_result),
        cmocka_unit_test(test_d_counts_add_up),
        cmocka_unit_test(test_d_first_error_stops_every_thread),
        cmocka_unit_test(test_d_out_of_memory_is_a_status),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
