/* test_b_recovery.c -- part B: reopening rebuilds the keydir; a torn tail is cut back to the last
 * whole record; a corrupt record elsewhere is an error naming file and offset; hint files are
 * used and agree with the data; and crashes with torn unsynced writes lose nothing synced.
 * Read test_b_torn_tail_is_truncated_at_every_byte first. */
#include "bc_internal.h"
#include "crash.h"

#define DATA1 TEST_DIR "/0000000001-00000.data"
#define DATA2 TEST_DIR "/0000000002-00000.data"

/* Three records key0..key2 in DATA1; returns where each one ends. */
static void
three_records(struct test_fs *t, uint64_t ends[3])
{
    struct bc_io io;
    struct bc_db *db = tfs_open_db(t, &io, BC_SYNC_NONE, 0);
    struct model m;
    model_init(&m, 3);
    uint64_t end = 0;
    for (unsigned i = 0; i < 3; i++) {
        char value[VALUE_SIZE_BYTES_MAX];
        assert_int_equal(model_put(db, &m, i, 40 + i), BC_OK);
        end += bc_record_size(7, value_of(i, 40 + i, value));
        ends[i] = end;
    }
    assert_int_equal(bc_close(db), BC_OK);
    assert_int_equal(faultfs_file_size(t->fs, DATA1), (int64_t)ends[2]);
}

/* Claim: cutting the last record anywhere (a torn write) loses only that record: the first two
 * read back, the file is truncated to their end, and the store appends and reopens cleanly. */
static void
test_b_torn_tail_is_truncated_at_every_byte(void **state)
{
    (void)state;
    uint64_t ends[3];
    struct test_fs base;
    tfs_init(&base);
    three_records(&base, ends);
    size_t size;
    unsigned char *bytes = fs_read_all(base.fs, DATA1, &size);
    for (uint64_t cut = ends[1] + 1; cut < ends[2]; cut++) {
        struct test_fs t;
        tfs_init(&t);
        assert_int_equal(faultfs_mkdir(t.fs, TEST_DIR), 0);
        int fd = faultfs_open(t.fs, DATA1, O_RDWR | O_CREAT);
        assert_int_equal(faultfs_pwrite(t.fs, fd, bytes, cut, 0), (ssize_t)cut);
        faultfs_close(t.fs, fd);
        struct bc_io io;
        struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
        struct model m;
        model_init(&m, 3);
        m.ver[0] = 40;
        m.ver[1] = 41;
        model_check(db, &m, "after a torn tail");
        assert_int_equal(faultfs_file_size(t.fs, DATA1), (int64_t)ends[1]);
        assert_int_equal(model_put(db, &m, 2, 99), BC_OK);
        assert_int_equal(bc_close(db), BC_OK);
        db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
        model_check(db, &m, "after appending past a repaired tail and reopening");
        assert_int_equal(bc_close(db), BC_OK);
        faultfs_destroy(t.fs);
    }
    free(bytes);
    faultfs_destroy(base.fs);
}

/* Claim: a flipped bit in the last record of the newest file is a torn tail too (cut, not an
 * error), but in a record with whole records after it, it is an error naming file and offset. */
static void
test_b_flipped_bit_is_a_tail_or_an_error(void **state)
{
    (void)state;
    uint64_t ends[3];
    struct test_fs t;
    tfs_init(&t);
    three_records(&t, ends);
    fs_flip_bit(t.fs, DATA1, ends[1] + 21, 0); /* in the last record's key */
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    assert_int_equal(faultfs_file_size(t.fs, DATA1), (int64_t)ends[1]);
    struct model m;
    model_init(&m, 3);
    assert_int_equal(model_put(db, &m, 2, 42), BC_OK); /* the same bytes again */
    assert_int_equal(bc_close(db), BC_OK);
    assert_int_equal(faultfs_file_size(t.fs, DATA1), (int64_t)ends[2]);
    fs_flip_bit(t.fs, DATA1, ends[0] + 21, 5); /* in the middle record's key */
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    char error[BC_ERROR_MAX] = "";
    assert_int_equal(bc_open(TEST_DIR, &o, &db, error), BC_CORRUPT);
    char offset[32];
    snprintf(offset, sizeof(offset), "offset %llu", (unsigned long long)ends[0]);
    if (strstr(error, "0000000001-00000.data") == NULL || strstr(error, offset) == NULL) {
        fail_msg("the error should name the file and \"%s\"; it says: %s", offset, error);
    }
    faultfs_destroy(t.fs);
}

/* Claim: a corrupt record in an older (not the newest) file refuses the open with a message
 * naming that file and the record's offset; it is never skipped. */
static void
test_b_corrupt_older_file_is_an_error(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 400);
    struct model m;
    model_init(&m, 20);
    for (unsigned i = 0; i < 20; i++) {
        assert_int_equal(model_put(db, &m, i, 7), BC_OK);
    }
    assert_int_equal(bc_close(db), BC_OK);
    size_t size;
    free(fs_read_all(t.fs, DATA2, &size));
    int64_t last_size = faultfs_file_size(t.fs, DATA1);
    fs_flip_bit(t.fs, DATA1, (uint64_t)last_size - 1, 2); /* the last record of file 1 */
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    char error[BC_ERROR_MAX] = "";
    assert_int_equal(bc_open(TEST_DIR, &o, &db, error), BC_CORRUPT);
    assert_non_null(strstr(error, "0000000001-00000.data"));
    assert_non_null(strstr(error, "offset"));
    faultfs_destroy(t.fs);
}

/* Claim: random puts, deletes and reopens match a model (deletes survive reopening). */
static void
test_b_model_with_reopens(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    struct model m;
    model_init(&m, 64);
    struct harness_rng rng;
    rng_seed(&rng, harness_seed());
    for (uint32_t op = 0; op < 4000; op++) {
        unsigned k = (unsigned)rng_below(&rng, 64);
        uint64_t roll = rng_below(&rng, 100);
        if (roll < 2) {
            assert_int_equal(bc_close(db), BC_OK);
            db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
            model_check(db, &m, "after a reopen");
        } else if (roll < 30) {
            bc_status st = model_delete(db, &m, k);
            assert_true(st == BC_OK || st == BC_NOT_FOUND);
        } else {
            assert_int_equal(model_put(db, &m, k, op), BC_OK);
        }
    }
    assert_int_equal(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    model_check(db, &m, "at the end");
    bc_close(db);
    faultfs_destroy(t.fs);
}

/* Claim: after a merge, opening from hint files gives the same keydir as scanning the data,
 * and does not read the data: a value damaged after the merge goes unnoticed by the hinted
 * open (then bc_get reports it) but refuses the open that scans. */
static void
test_b_hint_files_rebuild_the_same_keydir(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    struct model m;
    model_init(&m, 50);
    for (uint32_t round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 50; i++) {
            assert_int_equal(i % 7 == round ? model_delete(db, &m, i) : model_put(db, &m, i, round),
                             i % 7 == round && m.ver[i] < 0 ? BC_NOT_FOUND : BC_OK);
        }
    }
    assert_int_equal(bc_merge(db), BC_OK);
    assert_int_equal(bc_close(db), BC_OK);
    const char *hint = NULL;
    char name[BC_PATH_MAX];
    for (unsigned major = 1; major < 100 && hint == NULL; major++) {
        snprintf(name, sizeof(name), TEST_DIR "/%010u-00001.hint", major);
        hint = faultfs_file_size(t.fs, name) > 0 ? name : NULL;
    }
    assert_non_null(hint);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    model_check(db, &m, "opened from hints");
    bc_close(db);
    char data[BC_PATH_MAX];
    snprintf(data, sizeof(data), "%.*s.data", (int)(strlen(hint) - 5), hint);
    fs_flip_bit(t.fs, data, 22, 1); /* inside the first merged record's key or value */
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    bool saw_corrupt = false;
    for (unsigned i = 0; i < 50; i++) {
        char key[16], buf[VALUE_SIZE_BYTES_MAX];
        size_t size;
        saw_corrupt |= bc_get(db, key, key_of(i, key), buf, sizeof(buf), &size) == BC_CORRUPT;
    }
    assert_true(saw_corrupt);
    bc_close(db);
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    o.is_hints_ignored = true;
    assert_int_equal(bc_open(TEST_DIR, &o, &db, NULL), BC_CORRUPT);
    faultfs_destroy(t.fs);
}

/* Claim: with sync none and explicit bc_sync calls, a crash at every call of the trace, losing
 * the unsynced bytes or keeping a torn prefix of them, keeps everything synced and never
 * returns a value that was not written. */
static void
test_b_crash_with_torn_unsynced_writes(void **state)
{
    (void)state;
    crash_explore(&crash_config_b_torn, harness_seed(), "test_b_crash_with_torn_unsynced_writes");
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_torn_tail_is_truncated_at_every_byte),
        cmocka_unit_test(test_b_flipped_bit_is_a_tail_or_an_error),
        cmocka_unit_test(test_b_corrupt_older_file_is_an_error),
        cmocka_unit_test(test_b_model_with_reopens),
        cmocka_unit_test(test_b_hint_files_rebuild_the_same_keydir),
        cmocka_unit_test(test_b_crash_with_torn_unsynced_writes),
    };
    return harness_main(argc, argv, tests, HARNESS_ARRAY_LEN(tests));
}
