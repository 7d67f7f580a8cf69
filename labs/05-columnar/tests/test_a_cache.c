/* test_a_cache.c -- part A: the chunk cache (cache.h): each pin says which tier answered,
 * budgets hold and the least recently used chunk goes first, pinned chunks stay, threads share
 * chunks without reading one twice, and a chunk that fails its checks is kept nowhere. Read
 * test_a_cache_tiers_answer_in_order first. */
#include "col_test.h"

#include <fcntl.h>
#include <pthread.h>

#define GROUPS 8u
#define GROUP_ROWS 4096u
#define THREADS 4u
#define PINS_PER_THREAD 400u

/* A table of GROUPS row groups and two columns (INT64 ids, a row's id times 3; strings) at
 * path; each chunk's values follow from its row, so any chunk can be checked alone. */
static void
table_write(const char *path)
{
    struct col_schema schema = {2, {{"id", COL_INT64, 0}, {"name", COL_STRING, 0}}};
    struct col_writer *w = NULL;
    struct col_error err = {0};
    if (col_writer_open(path, &schema, GROUP_ROWS, &w, &err) != COL_OK) {
        fail_msg("col_writer_open: %s", err.message);
    }
    static int64_t ids[GROUP_ROWS];
    static struct col_str names[GROUP_ROWS];
    static char text[GROUP_ROWS][16];
    for (uint32_t g = 0; g < GROUPS; g++) {
        for (uint32_t i = 0; i < GROUP_ROWS; i++) {
            uint32_t row = g * GROUP_ROWS + i;
            ids[i] = (int64_t)row * 3 + (row % 7 == 0 ? 1000000 : 0); /* not one encoding */
            int size = snprintf(text[i], sizeof(text[i]), "n%u", row % 97);
            names[i] = (struct col_str){text[i], (uint32_t)size};
        }
        struct col_values columns[2] = {{COL_INT64, GROUP_ROWS, ids, NULL},
                                        {COL_STRING, GROUP_ROWS, names, NULL}};
        if (col_writer_append(w, columns, &err) != COL_OK) {
            fail_msg("col_writer_append: %s", err.message);
        }
    }
    if (col_writer_finish(w, &err) != COL_OK) {
        fail_msg("col_writer_finish: %s", err.message);
    }
}

/* Fails unless chunk is group's id column (checked at a few rows) or name column. */
static void
chunk_check(const struct col_chunk *chunk, uint32_t group, uint32_t column)
{
    assert_int_equal(chunk->row_count, GROUP_ROWS);
    for (uint32_t i = 0; i < GROUP_ROWS; i += 511) {
        uint32_t row = group * GROUP_ROWS + i;
        union col_datum d = chunk_at(chunk, i);
        if (column == 0) {
            int64_t want = (int64_t)row * 3 + (row % 7 == 0 ? 1000000 : 0);
            if (d.i64 != want) {
                fail_msg("group %u, id at row %u is %" PRId64 ", want %" PRId64, group, i, d.i64,
                         want);
            }
        } else {
            char want[16];
            int size = snprintf(want, sizeof(want), "n%u", row % 97);
            if (d.str.size_bytes != (uint32_t)size || memcmp(d.str.ptr, want, (size_t)size) != 0) {
                fail_msg("group %u, name at row %u is '%.*s', want '%s'", group, i,
                         (int)d.str.size_bytes, d.str.ptr, want);
            }
        }
    }
}

struct fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX];
    struct col_table *table;
    struct col_cache *cache;
};

static void
fixture_open(struct fixture *f, uint64_t hot_budget, uint64_t warm_budget)
{
    test_dir_make(f->dir);
    test_path(f->path, f->dir, "t.kcol");
    table_write(f->path);
    struct col_error err = {0};
    if (col_table_open(f->path, &f->table, &err) != COL_OK) {
        fail_msg("col_table_open: %s", err.message);
    }
    assert_status(col_cache_open(hot_budget, warm_budget, &f->cache, NULL), COL_OK);
}

static void
fixture_close(struct fixture *f)
{
    col_cache_forget(f->cache, f->table);
    col_cache_close(f->cache);
    col_table_close(f->table);
    test_dir_remove(f->dir);
}

/* Replaces the fixture's cache with an empty one of these budgets. */
static void
cache_reopen(struct fixture *f, uint64_t hot_budget, uint64_t warm_budget)
{
    col_cache_close(f->cache);
    assert_status(col_cache_open(hot_budget, warm_budget, &f->cache, NULL), COL_OK);
}

/* Pins (group, column), checks the tier it came from and its values, and unpins it. */
static void
pin_expect(struct fixture *f, uint32_t group, uint32_t column, enum col_tier want)
{
    const struct col_chunk *chunk = NULL;
    enum col_tier tier = COL_TIER_COUNT;
    struct col_error err = {0};
    col_status status = col_cache_pin(f->cache, f->table, group, column, &chunk, &tier, &err);
    if (status != COL_OK) {
        fail_msg("col_cache_pin(group %u, column %u) is %s: %s", group, column, status_name(status),
                 err.message);
    }
    if (tier != want) {
        fail_msg("col_cache_pin(group %u, column %u) came from the %s tier, want %s", group, column,
                 col_tier_name(tier), col_tier_name(want));
    }
    chunk_check(chunk, group, column);
    col_cache_unpin(f->cache, chunk);
}

/* The bytes one chunk takes in each tier, measured by pinning it in a cache of its own. */
static void
chunk_sizes(struct fixture *f, uint32_t group, uint32_t column, uint64_t *hot, uint64_t *warm)
{
    struct col_cache *c = NULL;
    assert_status(col_cache_open(UINT64_MAX, UINT64_MAX, &c, NULL), COL_OK);
    const struct col_chunk *chunk = NULL;
    assert_status(col_cache_pin(c, f->table, group, column, &chunk, NULL, NULL), COL_OK);
    col_cache_unpin(c, chunk);
    struct col_cache_stats s;
    col_cache_stats(c, &s);
    *hot = s.hot_bytes;
    *warm = s.warm_bytes;
    assert_int_equal(s.warm_bytes, col_table_chunk(f->table, group, column)->size_bytes);
    col_cache_close(c);
}

/* Claim: a chunk is cold the first time, hot the next; once the hot tier has had to drop it
 * (its budget too small for two), it is warm (decoded again from bytes kept in memory); and
 * the counts say so: hits per tier, bytes read from the file. */
static void
test_a_cache_tiers_answer_in_order(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, UINT64_MAX, UINT64_MAX);
    uint64_t hot, warm;
    chunk_sizes(&f, 0, 0, &hot, &warm);
    cache_reopen(&f, hot + hot / 2, UINT64_MAX);
    pin_expect(&f, 0, 0, COL_TIER_COLD);
    pin_expect(&f, 0, 0, COL_TIER_HOT);
    pin_expect(&f, 1, 0, COL_TIER_COLD); /* the hot tier holds one: group 0 goes */
    pin_expect(&f, 0, 0, COL_TIER_WARM);
    pin_expect(&f, 1, 0, COL_TIER_WARM);
    struct col_cache_stats s;
    col_cache_stats(f.cache, &s);
    if (s.hits[COL_TIER_COLD] != 2 || s.hits[COL_TIER_HOT] != 1 || s.hits[COL_TIER_WARM] != 2) {
        fail_msg("hits: %" PRIu64 " hot, %" PRIu64 " warm, %" PRIu64 " cold; want 1, 2, 2",
                 s.hits[COL_TIER_HOT], s.hits[COL_TIER_WARM], s.hits[COL_TIER_COLD]);
    }
    uint64_t both =
        col_table_chunk(f.table, 0, 0)->size_bytes + col_table_chunk(f.table, 1, 0)->size_bytes;
    assert_int_equal(s.read_bytes, both);
    assert_int_equal(s.warm_bytes, both);
    assert_int_equal(s.hot_chunks, 1);
    assert_true(s.evictions[COL_TIER_HOT] >= 3);
    fixture_close(&f);
}

/* Claim: with nothing pinned, each tier holds no more than its budget after every unpin, and
 * evicts the least recently used chunk first: of chunks touched in order A B C, with room for
 * two, A is the one gone; touch A again, and B goes next. */
static void
test_a_cache_budget_evicts_least_recent(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, UINT64_MAX, UINT64_MAX);
    uint64_t hot, warm;
    chunk_sizes(&f, 0, 0, &hot, &warm);
    /* Chunks of column 0 are all of one size (same encoding, same rows): room for two hot. */
    uint64_t hot_budget = 2 * hot + hot / 2;
    cache_reopen(&f, hot_budget, 0);
    pin_expect(&f, 2, 0, COL_TIER_COLD);
    pin_expect(&f, 3, 0, COL_TIER_COLD);
    pin_expect(&f, 4, 0, COL_TIER_COLD);
    pin_expect(&f, 3, 0, COL_TIER_HOT);
    pin_expect(&f, 4, 0, COL_TIER_HOT);
    pin_expect(&f, 2, 0, COL_TIER_COLD); /* warm budget 0: nothing kept warm */
    pin_expect(&f, 4, 0, COL_TIER_HOT);  /* 3 was the least recent, it went */
    pin_expect(&f, 3, 0, COL_TIER_COLD);
    struct col_cache_stats s;
    col_cache_stats(f.cache, &s);
    if (s.hot_bytes > hot_budget || s.warm_bytes != 0) {
        fail_msg("with nothing pinned the cache holds %" PRIu64 " hot bytes (budget %" PRIu64
                 ") and %" PRIu64 " warm (budget 0)",
                 s.hot_bytes, hot_budget, s.warm_bytes);
    }
    /* A mixed run: after every unpin both tiers fit their budgets. */
    uint64_t warm_budget = 3 * warm;
    cache_reopen(&f, hot_budget, warm_budget);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (unsigned i = 0; i < 200; i++) {
        const struct col_chunk *chunk = NULL;
        uint32_t g = (uint32_t)kh_rng_below(&rng, GROUPS), c = (uint32_t)kh_rng_below(&rng, 2);
        assert_status(col_cache_pin(f.cache, f.table, g, c, &chunk, NULL, NULL), COL_OK);
        chunk_check(chunk, g, c);
        col_cache_unpin(f.cache, chunk);
        col_cache_stats(f.cache, &s);
        if (s.hot_bytes > hot_budget || s.warm_bytes > warm_budget) {
            fail_msg("after pin %u the cache holds %" PRIu64 " hot and %" PRIu64
                     " warm bytes, budgets %" PRIu64 " and %" PRIu64,
                     i, s.hot_bytes, s.warm_bytes, hot_budget, warm_budget);
        }
    }
    fixture_close(&f);
}

/* Claim: a pinned chunk is never evicted, whatever the budget (0 here): every chunk pinned at
 * once stays readable and right; pinning one twice gives the same chunk, held until the second
 * unpin; once all are unpinned, the tiers are back within budget (empty). */
static void
test_a_cache_never_evicts_pinned(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, 0, 0);
    const struct col_chunk *pinned[GROUPS][2];
    for (uint32_t g = 0; g < GROUPS; g++) {
        for (uint32_t c = 0; c < 2; c++) {
            assert_status(col_cache_pin(f.cache, f.table, g, c, &pinned[g][c], NULL, NULL), COL_OK);
        }
    }
    const struct col_chunk *again = NULL;
    enum col_tier tier;
    assert_status(col_cache_pin(f.cache, f.table, 5, 1, &again, &tier, NULL), COL_OK);
    assert_ptr_equal(again, pinned[5][1]);
    assert_int_equal(tier, COL_TIER_HOT);
    for (uint32_t g = 0; g < GROUPS; g++) {
        for (uint32_t c = 0; c < 2; c++) {
            chunk_check(pinned[g][c], g, c);
            col_cache_unpin(f.cache, pinned[g][c]);
        }
    }
    chunk_check(again, 5, 1); /* still pinned once */
    col_cache_unpin(f.cache, again);
    struct col_cache_stats s;
    col_cache_stats(f.cache, &s);
    if (s.hot_bytes != 0 || s.warm_bytes != 0 || s.hot_chunks != 0) {
        fail_msg("budget 0, nothing pinned: %" PRIu64 " hot bytes in %" PRIu64
                 " chunks and %" PRIu64 " warm bytes are still held",
                 s.hot_bytes, s.hot_chunks, s.warm_bytes);
    }
    fixture_close(&f);
}

struct worker {
    struct fixture *f;
    uint64_t seed;
    char failure[512];
};

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    struct kh_rng rng;
    kh_rng_seed(&rng, w->seed);
    for (unsigned i = 0; i < PINS_PER_THREAD && w->failure[0] == '\0'; i++) {
        uint32_t g = (uint32_t)kh_rng_below(&rng, GROUPS), c = (uint32_t)kh_rng_below(&rng, 2);
        const struct col_chunk *chunk = NULL;
        struct col_error err = {0};
        if (col_cache_pin(w->f->cache, w->f->table, g, c, &chunk, NULL, &err) != COL_OK) {
            snprintf(w->failure, sizeof(w->failure), "pin (%u, %u): %s", g, c, err.message);
            break;
        }
        uint32_t row = (uint32_t)kh_rng_below(&rng, GROUP_ROWS);
        union col_datum d = chunk_at(chunk, row);
        uint32_t global = g * GROUP_ROWS + row;
        int64_t want = (int64_t)global * 3 + (global % 7 == 0 ? 1000000 : 0);
        if (c == 0 && d.i64 != want) {
            snprintf(w->failure, sizeof(w->failure),
                     "(%u, %u) row %u is %" PRId64 ", want %" PRId64, g, c, row, d.i64, want);
        }
        col_cache_unpin(w->f->cache, chunk);
    }
    return NULL;
}

/* Claim: threads pinning and unpinning at once each see the right values, the hits add up to
 * the pins, and with room for everything no chunk is read from the file twice. */
static void
test_a_cache_threads_share_chunks(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, UINT64_MAX, UINT64_MAX);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        workers[t] = (struct worker){&f, kh_test_seed() + t, ""};
        assert_int_equal(pthread_create(&threads[t], NULL, worker_run, &workers[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
    for (unsigned t = 0; t < THREADS; t++) {
        if (workers[t].failure[0] != '\0') {
            fail_msg("thread %u: %s", t, workers[t].failure);
        }
    }
    struct col_cache_stats s;
    col_cache_stats(f.cache, &s);
    uint64_t hits = s.hits[COL_TIER_HOT] + s.hits[COL_TIER_WARM] + s.hits[COL_TIER_COLD];
    assert_int_equal(hits, THREADS * PINS_PER_THREAD);
    uint64_t all = 0;
    for (uint32_t g = 0; g < GROUPS; g++) {
        for (uint32_t c = 0; c < 2; c++) {
            all += col_table_chunk(f.table, g, c)->size_bytes;
        }
    }
    if (s.read_bytes != all || s.hits[COL_TIER_COLD] != GROUPS * 2) {
        fail_msg("%" PRIu64 " cold pins read %" PRIu64 " bytes; the %u chunks are %" PRIu64
                 " bytes, each to be read once",
                 s.hits[COL_TIER_COLD], s.read_bytes, GROUPS * 2, all);
    }
    fixture_close(&f);
}

/* Claim: a chunk that fails its checksum is refused by col_cache_pin with COL_CORRUPT and
 * kept in no tier, the other chunks still pin, and col_cache_forget drops all of a table's. */
static void
test_a_cache_keeps_nothing_corrupt(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, UINT64_MAX, UINT64_MAX);
    const struct col_chunk_meta *meta = col_table_chunk(f.table, 3, 1);
    int fd = open(f.path, O_WRONLY);
    assert_true(fd >= 0);
    uint8_t byte = 0xa5;
    assert_int_equal(pwrite(fd, &byte, 1, (off_t)(meta->offset + meta->size_bytes / 2)), 1);
    close(fd);
    const struct col_chunk *chunk = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        assert_status(col_cache_pin(f.cache, f.table, 3, 1, &chunk, NULL, NULL), COL_CORRUPT);
    }
    struct col_cache_stats s;
    col_cache_stats(f.cache, &s);
    if (s.hot_bytes != 0 || s.warm_bytes != 0) {
        fail_msg("after a corrupt chunk the cache holds %" PRIu64 " hot and %" PRIu64
                 " warm bytes, want none",
                 s.hot_bytes, s.warm_bytes);
    }
    pin_expect(&f, 3, 0, COL_TIER_COLD);
    pin_expect(&f, 2, 1, COL_TIER_COLD);
    col_cache_forget(f.cache, f.table);
    col_cache_stats(f.cache, &s);
    assert_int_equal(s.hot_bytes + s.warm_bytes + s.hot_chunks + s.warm_chunks, 0);
    pin_expect(&f, 3, 0, COL_TIER_COLD);
    fixture_close(&f);
}

#define MANY_GROUPS 3000u /* row groups of one row: 6,000 chunks, past any first table size */

/* Claim: the cache keeps thousands of chunks apart: 6,000 pinned at once (three tables' worth
 * of a small cache's first hash table) each unpin the chunk they pinned, in any order, and
 * pinned again all are hot and right; a chunk past the table's is COL_INVALID. */
static void
test_a_cache_holds_thousands_of_chunks(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "many.kcol");
    struct col_schema schema = {2, {{"id", COL_INT64, 0}, {"half", COL_INT32, 0}}};
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &schema, 1, &w, NULL), COL_OK);
    static int64_t ids[MANY_GROUPS];
    static int32_t halves[MANY_GROUPS];
    for (uint32_t row = 0; row < MANY_GROUPS; row++) {
        ids[row] = (int64_t)row * 7919;
        halves[row] = (int32_t)(row / 2);
    }
    struct col_values columns[2] = {{COL_INT64, MANY_GROUPS, ids, NULL},
                                    {COL_INT32, MANY_GROUPS, halves, NULL}};
    assert_status(col_writer_append(w, columns, NULL), COL_OK);
    assert_status(col_writer_finish(w, NULL), COL_OK);
    struct col_table *t = NULL;
    assert_status(col_table_open(path, &t, NULL), COL_OK);
    struct col_cache *c = NULL;
    assert_status(col_cache_open(UINT64_MAX, UINT64_MAX, &c, NULL), COL_OK);
    static const struct col_chunk *pinned[MANY_GROUPS * 2];
    static uint32_t order[MANY_GROUPS * 2];
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t k = 0; k < MANY_GROUPS * 2; k++) {
            enum col_tier tier;
            assert_status(col_cache_pin(c, t, k / 2, k % 2, &pinned[k], &tier, NULL), COL_OK);
            assert_int_equal(tier, round == 0 ? COL_TIER_COLD : COL_TIER_HOT);
            order[k] = k;
        }
        for (uint32_t k = MANY_GROUPS * 2 - 1; k > 0; k--) { /* a seeded shuffle */
            uint32_t j = (uint32_t)kh_rng_below(&rng, k + 1), swap = order[k];
            order[k] = order[j];
            order[j] = swap;
        }
        for (uint32_t i = 0; i < MANY_GROUPS * 2; i++) {
            uint32_t k = order[i], g = k / 2;
            int64_t want = k % 2 == 0 ? ids[g] : halves[g];
            if (pinned[k]->row_count != 1 || chunk_at(pinned[k], 0).i64 != want) {
                fail_msg("chunk (group %u, column %u) holds %" PRId64 ", want %" PRId64, g, k % 2,
                         chunk_at(pinned[k], 0).i64, want);
            }
            col_cache_unpin(c, pinned[k]);
        }
    }
    const struct col_chunk *chunk = NULL;
    assert_status(col_cache_pin(c, t, MANY_GROUPS, 0, &chunk, NULL, NULL), COL_INVALID);
    assert_status(col_cache_pin(c, t, 0, 2, &chunk, NULL, NULL), COL_INVALID);
    col_cache_close(c);
    col_table_close(t);
    test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_cache_tiers_answer_in_order),
        cmocka_unit_test(test_a_cache_budget_evicts_least_recent),
        cmocka_unit_test(test_a_cache_never_evicts_pinned),
        cmocka_unit_test(test_a_cache_threads_share_chunks),
        cmocka_unit_test(test_a_cache_keeps_nothing_corrupt),
        cmocka_unit_test(test_a_cache_holds_thousands_of_chunks),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
