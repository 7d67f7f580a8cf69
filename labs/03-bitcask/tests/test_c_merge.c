/* test_c_merge.c -- part C: rotation past the size limit, merge (newest values kept, deleted
 * keys dropped, disk space given back), gets and puts while a merge runs, and crashes at
 * every call of a merge-heavy workload. Read test_c_put_during_merge_wins first. */
#include "bc_internal.h"
#include "crash.h"

#include <pthread.h>
#include <unistd.h>

/* Claim: past file_size_bytes_max the store starts a new file, and all of them read back. */
static void
test_c_rotation_past_size_limit(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 1024);
    struct model m;
    model_init(&m, 100);
    for (unsigned i = 0; i < 100; i++) {
        assert_status(model_put(db, &m, i, i), BC_OK);
    }
    struct bc_stats stats;
    bc_stats(db, &stats);
    if (stats.file_count < 10) {
        fail_msg("100 records of up to 327 bytes in 1 KiB files should need 10 or more files, "
                 "not %llu",
                 (unsigned long long)stats.file_count);
    }
    assert_true(kh_faultfs_file_size(t.fs, TEST_DIR "/0000000001-00000.data") <= 1024);
    model_check(db, &m, "after rotating");
    assert_status(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 1024);
    model_check(db, &m, "after rotating and reopening");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Claim: merge keeps each key's newest value, drops deleted keys, and shrinks the disk to about
 * the live data; the result survives a reopen. */
static void
test_c_merge_keeps_newest_and_drops_deleted(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    struct model m;
    model_init(&m, 60);
    for (uint32_t round = 0; round < 10; round++) {
        for (unsigned i = 0; i < 60; i++) {
            assert_status(model_put(db, &m, i, round * 100 + i), BC_OK);
        }
    }
    for (unsigned i = 0; i < 60; i += 4) {
        assert_status(model_delete(db, &m, i), BC_OK);
    }
    struct bc_stats before, after;
    bc_stats(db, &before);
    assert_status(bc_merge(db), BC_OK);
    bc_stats(db, &after);
    model_check(db, &m, "after the merge");
    if (after.disk_bytes > after.live_bytes + 2 * 4096) {
        fail_msg("after the merge the files hold %llu bytes for %llu live bytes (before: %llu)",
                 (unsigned long long)after.disk_bytes, (unsigned long long)after.live_bytes,
                 (unsigned long long)before.disk_bytes);
    }
    assert_int_equal(after.merge_count, 1);
    assert_status(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    model_check(db, &m, "after the merge and a reopen");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Claim: random puts, deletes, merges and reopens match a model. */
/* The data file with the largest id. */
struct newest_file {
    uint64_t id;
};

static int
newest_file_cb(const char *name, void *arg)
{
    struct newest_file *n = arg;
    unsigned major = 0, minor = 0;
    char rest[8] = "";
    if (strlen(name) == 21 && sscanf(name, "%10u-%5u%7s", &major, &minor, rest) == 3 &&
        strcmp(rest, ".data") == 0 && BC_FILE_ID(major, minor) > n->id) {
        n->id = BC_FILE_ID(major, minor);
    }
    return 0;
}

/* Renames file id's data file and hint file (if any) to id to. */
static void
renumber(struct kh_faultfs *fs, uint64_t id, uint64_t to)
{
    const char *suffixes[] = {".data", ".hint"};
    for (size_t i = 0; i < KH_ARRAY_LEN(suffixes); i++) {
        char from_path[BC_PATH_MAX], to_path[BC_PATH_MAX];
        snprintf(from_path, sizeof(from_path), TEST_DIR "/%010u-%05u%s",
                 (unsigned)BC_FILE_MAJOR(id), (unsigned)BC_FILE_MINOR(id), suffixes[i]);
        snprintf(to_path, sizeof(to_path), TEST_DIR "/%010u-%05u%s", (unsigned)BC_FILE_MAJOR(to),
                 (unsigned)BC_FILE_MINOR(to), suffixes[i]);
        int rc = kh_faultfs_rename(fs, from_path, to_path);
        assert_true(rc == 0 || (i == 1 && rc == -ENOENT));
    }
}

static void
test_c_model_with_merges_and_reopens(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    struct model m;
    model_init(&m, 40);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (uint32_t op = 0; op < 3000; op++) {
        unsigned k = (unsigned)kh_rng_below(&rng, 40);
        uint64_t roll = kh_rng_below(&rng, 1000);
        if (roll < 10) {
            assert_status(bc_merge(db), BC_OK);
            model_check(db, &m, "after a merge");
        } else if (roll < 20) {
            assert_status(bc_close(db), BC_OK);
            db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
            model_check(db, &m, "after a reopen");
        } else if (roll < 300) {
            bc_status st = model_delete(db, &m, k);
            assert_true(st == BC_OK || st == BC_NOT_FOUND);
        } else {
            assert_status(model_put(db, &m, k, op), BC_OK);
        }
    }
    model_check(db, &m, "at the end");

    /* File numbers: a merge names its outputs after the newest input's major, minors on from
     * its own, and a name holds five digits of minor. Renumber the newest file 99999 in its
     * major, as a store that merges often and rotates seldom would get to: the next open
     * starts a new active file, and the next merge's outputs need names that a later open still
     * reads. */
    assert_status(bc_merge(db), BC_OK);
    assert_status(bc_close(db), BC_OK);
    struct newest_file newest = {0};
    assert_int_equal(kh_faultfs_list(t.fs, TEST_DIR, newest_file_cb, &newest), 0);
    assert_true(newest.id != 0);
    renumber(t.fs, newest.id, BC_FILE_ID(BC_FILE_MAJOR(newest.id), BC_FILE_MINOR_MAX));
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    model_check(db, &m, "with the newest file renumbered 99999");
    for (uint32_t round = 0; round < 2; round++) {
        assert_status(bc_merge(db), BC_OK);
        model_check(db, &m, "after a merge past minor 99999");
        assert_status(bc_close(db), BC_OK);
        db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
        model_check(db, &m, "reopened after a merge past minor 99999");
    }
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

struct during_merge {
    struct bc_db *db;
    struct model *m;
    bool has_run;
};

/* Runs inside the merge, just before it renames its first output into place. */
static void
put_during_merge_cb(kh_faultfs_op op, const char *path, void *arg)
{
    struct during_merge *d = arg;
    if (op == KH_FAULTFS_OP_RENAME && strstr(path, ".data.tmp") != NULL && !d->has_run) {
        d->has_run = true;
        assert_status(bc_merge(d->db), BC_BUSY); /* one merge at a time */
        for (unsigned i = 0; i < 20; i++) {
            if (i % 2 == 0) {
                assert_status(model_put(d->db, d->m, i, 1000 + i), BC_OK);
            } else {
                assert_status(model_delete(d->db, d->m, i), BC_OK);
            }
        }
    }
}

/* Claim: puts and deletes that land while a merge is copying win over the merge's copies: the
 * merge must not point the keydir back at the older values it copied. A second bc_merge while
 * one runs is BC_BUSY. */
static void
test_c_put_during_merge_wins(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    struct model m;
    model_init(&m, 20);
    for (unsigned i = 0; i < 20; i++) {
        assert_status(model_put(db, &m, i, i), BC_OK);
    }
    for (unsigned i = 0; i < 20; i++) {
        assert_status(model_put(db, &m, i, 100 + i), BC_OK);
    }
    struct during_merge d = {.db = db, .m = &m};
    t.hook_cb = put_during_merge_cb;
    t.hook_arg = &d;
    assert_status(bc_merge(db), BC_OK);
    t.hook_cb = NULL;
    assert_true(d.has_run);
    model_check(db, &m, "after puts and deletes during the merge");
    assert_status(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    model_check(db, &m, "after a reopen");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

#define READERS 3
#define CONCURRENT_KEYS 64u

struct reader_arg {
    struct bc_db *db;
    int done; /* atomic */
    uint64_t reads;
    char failure[256];
};

/* Each key's value is always some version of it: check the prefix value_of writes. */
static void *
reader_main(void *arg)
{
    struct reader_arg *r = arg;
    while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && r->failure[0] == '\0') {
        for (unsigned i = 0; i < CONCURRENT_KEYS; i++) {
            char key[16], buf[VALUE_SIZE_BYTES_MAX], want[VALUE_SIZE_BYTES_MAX];
            size_t size;
            bc_status st = bc_get(r->db, key, key_of(i, key), buf, sizeof(buf), &size);
            unsigned ver;
            if (st != BC_OK || size < 12 || sscanf(buf + 6, "%5u", &ver) != 1 ||
                value_of(i, ver, want) != size || memcmp(want, buf, size) != 0) {
                snprintf(r->failure, sizeof(r->failure), "%s read %s (%zu bytes) during a merge",
                         key, bc_strerror(st), size);
                break;
            }
            r->reads++;
        }
    }
    return NULL;
}

/* Versions whose values are at least 12 bytes, so readers can parse the version back. */
static uint32_t
long_version(unsigned i, uint32_t from)
{
    char value[VALUE_SIZE_BYTES_MAX];
    while (value_of(i, from, value) < 12) {
        from++;
    }
    return from;
}

/* Claim: readers and a writer run while merges run, and nobody sees a missing or wrong value. */
static void
test_c_gets_and_puts_during_merge(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 8192);
    struct model m;
    model_init(&m, CONCURRENT_KEYS);
    for (unsigned i = 0; i < CONCURRENT_KEYS; i++) {
        assert_status(model_put(db, &m, i, long_version(i, 0)), BC_OK);
    }
    struct reader_arg readers[READERS];
    pthread_t threads[READERS];
    for (int r = 0; r < READERS; r++) {
        readers[r] = (struct reader_arg){.db = db};
        assert_int_equal(pthread_create(&threads[r], NULL, reader_main, &readers[r]), 0);
    }
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (unsigned round = 0; round < 20; round++) {
        for (unsigned n = 0; n < 200; n++) {
            unsigned i = (unsigned)kh_rng_below(&rng, CONCURRENT_KEYS);
            assert_status(model_put(db, &m, i, long_version(i, (uint32_t)m.ver[i] + 1)), BC_OK);
        }
        assert_status(bc_merge(db), BC_OK);
    }
    for (int r = 0; r < READERS; r++) {
        __atomic_store_n(&readers[r].done, 1, __ATOMIC_RELEASE);
        pthread_join(threads[r], NULL);
        if (readers[r].failure[0] != '\0') {
            fail_msg("reader %d: %s", r, readers[r].failure);
        }
    }
    model_check(db, &m, "after concurrent merges");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Fails unless db holds no more descriptors than one a data file, the directory's and LOCK's. */
static void
check_descriptors(struct test_fs *t, const char *when)
{
    unsigned open_count = fs_open_descriptor_count(t->fs);
    unsigned data_count = fs_data_file_count(t->fs);
    if (open_count > data_count + 2) {
        fail_msg("%s: the store holds %u descriptors, and the directory holds %u data files: at "
                 "most one a data file, plus the directory's and LOCK's (a file merged away, or a "
                 "hint file read at open, is closed)",
                 when, open_count, data_count);
    }
}

/* Claim: the store keeps no descriptor of a file it is done with: after each merge, and after
 * an open that read hint files, it holds at most one a data file, plus the directory's and
 * LOCK's; after bc_close, none. */
static void
test_c_merge_and_close_release_every_descriptor(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 1024);
    struct model m;
    model_init(&m, 60);
    for (uint32_t round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 60; i++) {
            assert_status(model_put(db, &m, i, round * 100 + i), BC_OK);
        }
        assert_status(bc_merge(db), BC_OK);
        check_descriptors(&t, "after a merge");
    }
    assert_status(bc_close(db), BC_OK);
    unsigned open_count = fs_open_descriptor_count(t.fs);
    if (open_count != 0) {
        fail_msg("after bc_close, %u descriptors are still open", open_count);
    }
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 1024);
    check_descriptors(&t, "after an open from hint files");
    model_check(db, &m, "after an open from hint files");
    assert_status(bc_close(db), BC_OK);
    open_count = fs_open_descriptor_count(t.fs);
    if (open_count != 0) {
        fail_msg("after an open from hint files and bc_close, %u descriptors are still open",
                 open_count);
    }
    kh_faultfs_destroy(t.fs);
}

#define BIG_VALUE_BYTES (3u << 19) /* 1.5 MiB: more than a merge may buffer whole */

/* Fails unless key "big" holds big and the model's keys their versions. */
static void
failed_merge_check(struct bc_db *db, const struct model *m, const char *big, const char *when)
{
    static char got[BIG_VALUE_BYTES];
    size_t got_size = 0;
    bc_status st = bc_get(db, "big", 3, got, sizeof(got), &got_size);
    if (st != BC_OK || got_size != BIG_VALUE_BYTES || memcmp(got, big, BIG_VALUE_BYTES) != 0) {
        fail_msg("%s: the 1.5 MiB value of \"big\" does not read back (%s, %zu bytes)", when,
                 bc_strerror(st), got_size);
    }
    model_check(db, m, when);
}

/* Claim: a merge that fails, on a write error in its output or a read error in an input,
 * returns the error, says so in bc_last_error, and keeps the old files: every value reads back,
 * then and after a reopen, and the next merge succeeds. The oldest file holds one value of
 * 1.5 MiB, which a merge may write straight through instead of buffering it. */
static void
test_c_failed_merge_keeps_every_value(void **state)
{
    (void)state;
    static char big[BIG_VALUE_BYTES];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (char)('A' + (i * 7 + i / 4096) % 26);
    }
    struct test_fs t;
    tfs_init(&t);
    /* noted before the open, so the store's descriptor of the oldest file is the one to fail */
    snprintf(t.pread_fail_path, sizeof(t.pread_fail_path), "%s", TEST_DIR "/0000000001-00000.data");
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    assert_status(bc_put(db, "big", 3, big, sizeof(big)), BC_OK);
    struct model m;
    model_init(&m, 30);
    for (unsigned i = 0; i < 30; i++) {
        assert_status(model_put(db, &m, i, i), BC_OK);
    }
    assert_status(bc_sync(db), BC_OK); /* nothing buffered: the merge's own write comes first */

    struct kh_faultfs_fault f = {.op = KH_FAULTFS_OP_PWRITE, .count = 1, .error = EIO};
    assert_int_equal(kh_faultfs_inject(t.fs, &f), 0);
    bc_status st = bc_merge(db);
    kh_faultfs_clear_faults(t.fs);
    if (st != BC_IO) {
        fail_msg("bc_merge with its first write failing (EIO) returned %s, expected BC_IO",
                 status_name(st));
    }
    char error[BC_ERROR_MAX] = "";
    bc_last_error(db, error);
    if (error[0] == '\0') {
        fail_msg("bc_merge failed with BC_IO and bc_last_error says nothing");
    }
    failed_merge_check(db, &m, big, "after a merge whose write failed");

    t.is_pread_failing = true; /* every read of the oldest file, the merge's first input */
    st = bc_merge(db);
    t.is_pread_failing = false;
    if (st != BC_IO) {
        fail_msg("bc_merge with every read of an input failing (EIO) returned %s, expected BC_IO",
                 status_name(st));
    }
    failed_merge_check(db, &m, big, "after a merge whose reads failed");
    assert_status(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    failed_merge_check(db, &m, big, "after two failed merges and a reopen");
    assert_status(bc_merge(db), BC_OK);
    failed_merge_check(db, &m, big, "after a merge that succeeded");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Claim: a merge commits in README part C's order: each output's data is fsynced before it is
 * renamed into place, the directory is fsynced after the last rename, and only then is an old
 * file deleted. The trace shows it; a crash image cannot, since faultfs makes a directory's
 * renames and unlinks durable together at its fsync, where a real file system may make an
 * unlink durable before a rename that came first. */
static void
test_c_merge_syncs_the_directory_before_deleting_inputs(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 1024);
    struct model m;
    model_init(&m, 40);
    for (unsigned i = 0; i < 80; i++) {
        assert_status(model_put(db, &m, i % 40, i), BC_OK);
    }
    uint64_t first = kh_faultfs_trace_count(t.fs);
    assert_status(bc_merge(db), BC_OK);
    uint64_t end = kh_faultfs_trace_count(t.fs);
    static char synced[64][KH_FAULTFS_PATH_MAX];
    size_t synced_count = 0;
    uint64_t last_rename = UINT64_MAX, dir_sync = UINT64_MAX;
    for (uint64_t i = first; i < end; i++) {
        struct kh_faultfs_event ev;
        assert_int_equal(kh_faultfs_trace_get(t.fs, i, &ev), 0);
        if (ev.op == KH_FAULTFS_OP_FSYNC && synced_count < 64) {
            snprintf(synced[synced_count++], KH_FAULTFS_PATH_MAX, "%s", ev.path);
        } else if (ev.op == KH_FAULTFS_OP_RENAME) {
            bool is_synced = !ends_with(ev.path, ".data.tmp");
            for (size_t k = 0; k < synced_count && !is_synced; k++) {
                is_synced = strcmp(synced[k], ev.path) == 0;
            }
            if (!is_synced) {
                fail_msg("call %llu renames %s, which was never fsynced: an output's data must be "
                         "durable before its name",
                         (unsigned long long)i, ev.path);
            }
            last_rename = i;
            dir_sync = UINT64_MAX;
        } else if (ev.op == KH_FAULTFS_OP_FSYNC_DIR && last_rename != UINT64_MAX) {
            dir_sync = i;
        } else if (ev.op == KH_FAULTFS_OP_UNLINK && !ends_with(ev.path, ".tmp")) {
            if (last_rename == UINT64_MAX || dir_sync == UINT64_MAX) {
                char trace[2048];
                kh_faultfs_trace_print(t.fs, i > 6 ? i - 6 : 0, 8, trace, sizeof(trace));
                fail_msg("call %llu deletes %s before %s: rename the outputs, fsync the "
                         "directory, and only then delete the old files; the calls:\n%s",
                         (unsigned long long)i, ev.path,
                         last_rename == UINT64_MAX ? "any output was renamed into place"
                                                   : "the directory was fsynced after the renames",
                         trace);
            }
        }
    }
    if (last_rename == UINT64_MAX) {
        fail_msg("the merge renamed no output into place");
    }
    model_check(db, &m, "after the merge");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Claim: a crash at any call of a merge-heavy workload (sync always) loses no acknowledged
 * write and resurrects no deleted key. */
static void
test_c_crash_during_merge_loses_nothing(void **state)
{
    (void)state;
    crash_explore(&crash_config_c_merge, kh_test_seed(), "test_c_crash_during_merge_loses_nothing");
}

/* Opens dir on the real file system (bc_io_posix, which can map files) with 4 KiB files. */
static struct bc_db *
posix_open_db(const char *dir, bc_sync_policy sync)
{
    struct bc_options o;
    bc_options_default(&o);
    o.sync = sync;
    o.file_size_bytes_max = 4096;
    struct bc_db *db = NULL;
    char error[BC_ERROR_MAX];
    bc_status st = bc_open(dir, &o, &db, error);
    if (st != BC_OK) {
        fail_msg("bc_open %s: %s (%s)", dir, bc_strerror(st), error);
    }
    return db;
}

static int
remove_entry_cb(const char *name, void *arg)
{
    char path[BC_PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/%s", (const char *)arg, name);
    return unlink(path) == 0 ? 0 : -errno;
}

/* Keeps the name of a hint file in arg (the last one listed). */
static int
find_hint_cb(const char *name, void *arg)
{
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".hint") == 0) {
        snprintf(arg, BC_PATH_MAX * 2, "%s", name);
    }
    return 0;
}

/* Claim: on real files (bc_io_posix, where a store may read through mmap), every value reads
 * back while it is still buffered, once written, after rotation, across a merge that puts run
 * into, and after reopening under each sync policy. */
static void
test_c_real_files_read_back_through_merges(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    char dir[BC_PATH_MAX - 32];
    snprintf(dir, sizeof(dir), "%s/keel-test-c-XXXXXX", tmp != NULL ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    struct model m;
    model_init(&m, MODEL_KEYS_MAX);
    bc_sync_policy policies[] = {BC_SYNC_NONE, BC_SYNC_ALWAYS, BC_SYNC_NONE};
    for (uint32_t round = 0; round < KH_ARRAY_LEN(policies); round++) {
        struct bc_db *db = posix_open_db(dir, policies[round]);
        model_check(db, &m, "after reopening real files");
        for (unsigned k = 0; k < MODEL_KEYS_MAX; k++) {
            assert_status(model_put(db, &m, k, round * MODEL_KEYS_MAX + k), BC_OK);
            if (k % 64 == 63) {
                model_check(db, &m, "real files, between puts");
                assert_status(bc_merge(db), BC_OK);
                model_check(db, &m, "real files, after a merge");
            }
        }
        for (unsigned k = 0; k < MODEL_KEYS_MAX; k += 3) {
            assert_status(model_delete(db, &m, k), BC_OK);
        }
        model_check(db, &m, "real files, after deletes");
        assert_status(bc_close(db), BC_OK);
    }
    struct bc_db *db = posix_open_db(dir, BC_SYNC_NONE);
    model_check(db, &m, "real files, at the end");
    bc_close(db);
    /* Absurd sizes: a merge's hint file grown to 1000 MiB and 24 hint files that have no data
     * file grown as far, all sparse, so they take no disk. Sized from them, a keydir would need
     * 2^30 slots (48 GiB); none of them may stop the store opening. */
    char hint[BC_PATH_MAX * 2] = "";
    assert_int_equal(bc_io_posix.list(NULL, dir, find_hint_cb, hint), 0);
    if (hint[0] == '\0') {
        fail_msg("expected the merges to leave a hint file in %s", dir);
    }
    char path[BC_PATH_MAX * 3];
    snprintf(path, sizeof(path), "%s/%s", dir, hint);
    assert_int_equal(truncate(path, (off_t)1000 << 20), 0);
    for (unsigned i = 0; i < 24; i++) {
        snprintf(path, sizeof(path), "%s/00000099%02u-00001.hint", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)1000 << 20), 0);
        close(fd);
    }
    db = posix_open_db(dir, BC_SYNC_NONE);
    model_check(db, &m, "real files, with 25 sparse hint files of 1000 MiB");
    bc_close(db);
    assert_int_equal(bc_io_posix.list(NULL, dir, remove_entry_cb, dir), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_rotation_past_size_limit),
        cmocka_unit_test(test_c_merge_keeps_newest_and_drops_deleted),
        cmocka_unit_test(test_c_model_with_merges_and_reopens),
        cmocka_unit_test(test_c_put_during_merge_wins),
        cmocka_unit_test(test_c_gets_and_puts_during_merge),
        cmocka_unit_test(test_c_crash_during_merge_loses_nothing),
        cmocka_unit_test(test_c_real_files_read_back_through_merges),
        cmocka_unit_test(test_c_merge_and_close_release_every_descriptor),
        cmocka_unit_test(test_c_failed_merge_keeps_every_value),
        cmocka_unit_test(test_c_merge_syncs_the_directory_before_deleting_inputs),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
