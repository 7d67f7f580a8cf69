/* test_a_memory.c -- part A: out of memory is a status (col.h's COL_NOMEM), never a crash, a
 * leak or a half-made result: every allocation of a decode, a chunk build, a dictionary encode
 * and a cache pin is failed in turn (kh_oom.h), and the call must say so and leave nothing
 * behind. Under a sanitizer the allocator is the sanitizer's, and the test says so. */
#include "col_test.h"
#include "kh_oom.h"

#define ALLOCATIONS_MAX 64 /* a call that still allocates after this many failed is looping */

/* The calls the test fails, each a closure over its arguments: run returns its status and
 * undo frees what a success made. */
struct call {
    const char *name;
    col_status (*run)(struct call *c);
    void (*undo)(struct call *c);
    /* When not NULL, the call may also succeed with an allocation failed (a chunk build that
     * could not size a dictionary picks another encoding): this checks what it made. */
    void (*check)(struct call *c);
    const struct col_values *v;
    const void *bytes;
    size_t size_bytes;
    void *made;
    struct col_cache *cache;
    const struct col_table *table;
};

static col_status
run_decode(struct call *c)
{
    return col_decode(c->bytes, c->size_bytes, (struct col_chunk **)&c->made, NULL);
}

static void
undo_decode(struct call *c)
{
    col_chunk_free(c->made);
}

static col_status
run_build(struct call *c)
{
    struct col_chunk_built *built = c->made;
    return col_chunk_build(c->v, built, NULL);
}

static void
undo_build(struct call *c)
{
    free(((struct col_chunk_built *)c->made)->bytes);
}

/* A chunk built with an allocation failed still holds the rows. */
static void
check_build(struct call *c)
{
    const struct col_chunk_built *built = c->made;
    struct col_chunk *chunk = NULL;
    assert_status(col_decode(built->bytes, built->size_bytes, &chunk, NULL), COL_OK);
    expect_chunk_holds(chunk, c->v, "a chunk built while memory ran out");
    col_chunk_free(chunk);
}

static col_status
run_pin(struct call *c)
{
    return col_cache_pin(c->cache, c->table, 0, 1, (const struct col_chunk **)&c->made, NULL, NULL);
}

static void
undo_pin(struct call *c)
{
    col_cache_unpin(c->cache, c->made);
    col_cache_forget(c->cache, c->table);
}

/* Fails the call's n-th allocation for n = 0, 1, ... until it succeeds: each failure must be
 * COL_NOMEM with every block it allocated freed. */
static void
fail_each_allocation(struct call *c)
{
#if KH_OOM_IS_INJECTABLE
    for (int n = 0; n <= ALLOCATIONS_MAX; n++) {
        int64_t live = kh_oom_live_blocks();
        kh_oom_arm(n);
        col_status status = c->run(c);
        bool did_fail = kh_oom_disarm();
        if (!did_fail) {
            if (status != COL_OK) {
                fail_msg("%s with no allocation failed is %s", c->name, status_name(status));
            }
            c->undo(c);
            return;
        }
        if (status == COL_OK && c->check != NULL) {
            c->check(c);
            c->undo(c);
            continue;
        }
        if (status != COL_NOMEM) {
            fail_msg("%s with allocation %d failed is %s, want COL_NOMEM", c->name, n,
                     status_name(status));
        }
        if (kh_oom_live_blocks() != live) {
            fail_msg("%s with allocation %d failed left %" PRId64 " blocks allocated", c->name, n,
                     kh_oom_live_blocks() - live);
        }
    }
    fail_msg("%s still allocates after %d failures", c->name, ALLOCATIONS_MAX);
#else
    assert_status(c->run(c), COL_OK);
    c->undo(c);
#endif
}

/* Claim: when memory runs out, col_decode (every encoding), col_chunk_build (a dictionary of
 * strings, bit-packed integers) and col_cache_pin return COL_NOMEM and free whatever they had
 * allocated (or, for a build that could not size a dictionary, pick another encoding that
 * still holds every row), and the cache holds nothing for the chunk afterwards. */
static void
test_a_out_of_memory_is_a_status(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected, and "
           "each call is only run once\n");
#endif
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static const enum col_type types[] = {COL_INT64, COL_STRING, COL_FLOAT64, COL_STRING};
    static const enum shape shapes[] = {SHAPE_SMALL_RANGE, SHAPE_FEW_DISTINCT, SHAPE_RUNS,
                                        SHAPE_RANDOM};
    for (size_t i = 0; i < KH_ARRAY_LEN(types); i++) {
        struct test_column col;
        test_column_make(&col, &rng, types[i], 3000, shapes[i], 10);
        struct col_chunk_built built;
        struct call build = {.name = "col_chunk_build",
                             .run = run_build,
                             .undo = undo_build,
                             .check = check_build,
                             .v = &col.v,
                             .made = &built};
        fail_each_allocation(&build);
        size_t size;
        void *bytes = encode_or_fail(col_encoding_choose(&col.v), &col.v, &size);
        struct call decode = {.name = "col_decode",
                              .run = run_decode,
                              .undo = undo_decode,
                              .bytes = bytes,
                              .size_bytes = size};
        fail_each_allocation(&decode);
        free(bytes);
        test_column_free(&col);
    }
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "t.kcol");
    struct test_column a, b;
    test_column_make(&a, &rng, COL_INT64, 5000, SHAPE_RANDOM, 0);
    test_column_make(&b, &rng, COL_STRING, 5000, SHAPE_FEW_DISTINCT, 5);
    struct col_schema schema = {2, {{"a", COL_INT64, 0}, {"b", COL_STRING, 0}}};
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &schema, 5000, &w, NULL), COL_OK);
    struct col_values columns[2] = {a.v, b.v};
    assert_status(col_writer_append(w, columns, NULL), COL_OK);
    assert_status(col_writer_finish(w, NULL), COL_OK);
    struct col_table *t = NULL;
    assert_status(col_table_open(path, &t, NULL), COL_OK);
    struct col_cache *cache = NULL;
    assert_status(col_cache_open(UINT64_MAX, UINT64_MAX, &cache, NULL), COL_OK);
    struct call pin = {
        .name = "col_cache_pin", .run = run_pin, .undo = undo_pin, .cache = cache, .table = t};
    fail_each_allocation(&pin);
    struct col_cache_stats stats;
    col_cache_stats(cache, &stats);
    assert_int_equal(stats.hot_bytes + stats.warm_bytes, 0);
    col_cache_close(cache);
    col_table_close(t);
    test_column_free(&a);
    test_column_free(&b);
    test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_out_of_memory_is_a_status),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
