/* test_b_recovery.c -- part B: reopening rebuilds the keydir; a torn tail is cut back to the last
 * whole record; a corrupt record elsewhere is an error naming file and offset; hint files are
 * used and agree with the data; crashes with torn unsynced writes lose nothing synced, and
 * neither does a crash in recovery itself. Read test_b_reopen_reads_same_bytes, then
 * test_b_torn_tail_is_truncated_at_every_byte. */
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
        assert_status(model_put(db, &m, i, 40 + i), BC_OK);
        end += bc_record_size(7, value_of(i, 40 + i, value));
        ends[i] = end;
    }
    assert_status(bc_close(db), BC_OK);
    assert_int_equal(kh_faultfs_file_size(t->fs, DATA1), (int64_t)ends[2]);
}

/* Claim: what was put is read back, byte for byte, after a clean close and reopen. */
static void
test_b_reopen_reads_same_bytes(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    struct model m;
    model_init(&m, 200);
    for (unsigned i = 0; i < 200; i++) {
        assert_status(model_put(db, &m, i, i), BC_OK);
    }
    for (unsigned i = 0; i < 200; i += 2) {
        assert_status(model_delete(db, &m, i), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    model_check(db, &m, "after reopening");
    assert_status(bc_close(db), BC_OK);
    kh_faultfs_destroy(t.fs);
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
        assert_int_equal(kh_faultfs_mkdir(t.fs, TEST_DIR), 0);
        int fd = kh_faultfs_open(t.fs, DATA1, O_RDWR | O_CREAT);
        assert_int_equal(kh_faultfs_pwrite(t.fs, fd, bytes, cut, 0), (ssize_t)cut);
        kh_faultfs_close(t.fs, fd);
        struct bc_io io;
        struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
        struct model m;
        model_init(&m, 3);
        m.ver[0] = 40;
        m.ver[1] = 41;
        model_check(db, &m, "after a torn tail");
        assert_int_equal(kh_faultfs_file_size(t.fs, DATA1), (int64_t)ends[1]);
        assert_status(model_put(db, &m, 2, 99), BC_OK);
        assert_status(bc_close(db), BC_OK);
        db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
        model_check(db, &m, "after appending past a repaired tail and reopening");
        assert_status(bc_close(db), BC_OK);
        kh_faultfs_destroy(t.fs);
    }
    free(bytes);
    kh_faultfs_destroy(base.fs);
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
    assert_int_equal(kh_faultfs_file_size(t.fs, DATA1), (int64_t)ends[1]);
    struct model m;
    model_init(&m, 3);
    assert_status(model_put(db, &m, 2, 42), BC_OK); /* the same bytes again */
    assert_status(bc_close(db), BC_OK);
    assert_int_equal(kh_faultfs_file_size(t.fs, DATA1), (int64_t)ends[2]);
    fs_flip_bit(t.fs, DATA1, ends[0] + 21, 5); /* in the middle record's key */
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    char error[BC_ERROR_MAX] = "";
    assert_status(bc_open(TEST_DIR, &o, &db, error), BC_CORRUPT);
    char offset[32];
    snprintf(offset, sizeof(offset), "offset %llu", (unsigned long long)ends[0]);
    if (strstr(error, "0000000001-00000.data") == NULL || strstr(error, offset) == NULL) {
        fail_msg("the error should name the file and \"%s\"; it says: %s", offset, error);
    }
    fs_flip_bit(t.fs, DATA1, ends[0] + 21, 5); /* the key is whole again */
    /* A flipped bit in the middle record's value_size: its header no longer says where it
     * ends (too big to be a record, or past the end of the file), but a whole record still
     * follows it, so it is not a torn tail: truncating there would lose that record. */
    static const struct {
        unsigned byte, bit;
        const char *what;
    } flips[] = {{11, 6, "value_size over the limit"}, {10, 0, "value_size past the end"}};
    for (size_t i = 0; i < KH_ARRAY_LEN(flips); i++) {
        fs_flip_bit(t.fs, DATA1, ends[0] + flips[i].byte, flips[i].bit);
        error[0] = '\0';
        bc_status st = bc_open(TEST_DIR, &o, &db, error);
        if (st == BC_OK) {
            bc_close(db);
        }
        if (st != BC_CORRUPT || strstr(error, offset) == NULL) {
            fail_msg("a bit flipped in the middle record's header (%s), with a whole record "
                     "after it: expected BC_CORRUPT naming \"%s\", got %s (%s); the file now "
                     "holds %lld bytes of %llu",
                     flips[i].what, offset, bc_strerror(st), error,
                     (long long)kh_faultfs_file_size(t.fs, DATA1), (unsigned long long)ends[2]);
        }
        fs_flip_bit(t.fs, DATA1, ends[0] + flips[i].byte, flips[i].bit);
    }
    kh_faultfs_destroy(t.fs);
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
        assert_status(model_put(db, &m, i, 7), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    size_t size;
    free(fs_read_all(t.fs, DATA2, &size));
    int64_t last_size = kh_faultfs_file_size(t.fs, DATA1);
    fs_flip_bit(t.fs, DATA1, (uint64_t)last_size - 1, 2); /* the last record of file 1 */
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    char error[BC_ERROR_MAX] = "";
    assert_status(bc_open(TEST_DIR, &o, &db, error), BC_CORRUPT);
    assert_non_null(strstr(error, "0000000001-00000.data"));
    assert_non_null(strstr(error, "offset"));
    kh_faultfs_destroy(t.fs);
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
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (uint32_t op = 0; op < 4000; op++) {
        unsigned k = (unsigned)kh_rng_below(&rng, 64);
        uint64_t roll = kh_rng_below(&rng, 100);
        if (roll < 2) {
            assert_status(bc_close(db), BC_OK);
            db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
            model_check(db, &m, "after a reopen");
        } else if (roll < 30) {
            bc_status st = model_delete(db, &m, k);
            assert_true(st == BC_OK || st == BC_NOT_FOUND);
        } else {
            assert_status(model_put(db, &m, k, op), BC_OK);
        }
    }
    assert_status(bc_close(db), BC_OK);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 4096);
    model_check(db, &m, "at the end");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Claim: after a merge, opening from hint files gives the same keydir as scanning the data,
 * and does not read the data: a value damaged after the merge goes unnoticed by the hinted
 * open (then bc_get reports it) but refuses the open that scans. */
/* Rewrites the first hint of hint file path as rec and key (CRC and all), keeping the hints
 * after it: a hint that lies with a CRC that holds, which only the loader's other checks and
 * bc_get's can catch. */
static void
rewrite_first_hint(struct kh_faultfs *fs, const char *path, const struct bc_record *rec,
                   const void *key)
{
    size_t size = 0;
    unsigned char *hints = fs_read_all(fs, path, &size);
    struct bc_record old;
    assert_status(bc_hint_decode_header(hints, &old), BC_OK);
    size_t old_size = BC_HINT_HEADER_BYTES + old.key_size_bytes;
    size_t new_size = BC_HINT_HEADER_BYTES + rec->key_size_bytes;
    unsigned char *rewritten = malloc(new_size + (size - old_size));
    assert_non_null(rewritten);
    bc_hint_encode(rewritten, rec, key);
    assert_true(bc_hint_is_intact(rewritten, new_size));
    memcpy(rewritten + new_size, hints + old_size, size - old_size);
    fs_truncate(fs, path, 0);
    fs_write_at(fs, path, rewritten, new_size + (size - old_size), 0);
    free(rewritten);
    free(hints);
}

/* The first hint of hint file path, and a copy of its key in key. */
static struct bc_record
first_hint(struct kh_faultfs *fs, const char *path, char key[BC_KEY_SIZE_MAX])
{
    size_t size = 0;
    unsigned char *hints = fs_read_all(fs, path, &size);
    struct bc_record rec;
    assert_status(bc_hint_decode_header(hints, &rec), BC_OK);
    memcpy(key, hints + BC_HINT_HEADER_BYTES, rec.key_size_bytes);
    free(hints);
    return rec;
}

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
    assert_status(bc_merge(db), BC_OK);
    assert_status(bc_close(db), BC_OK);
    const char *hint = NULL;
    char name[BC_PATH_MAX];
    for (unsigned major = 1; major < 100 && hint == NULL; major++) {
        snprintf(name, sizeof(name), TEST_DIR "/%010u-00001.hint", major);
        hint = kh_faultfs_file_size(t.fs, name) > 0 ? name : NULL;
    }
    assert_non_null(hint);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    model_check(db, &m, "opened from hints");
    bc_close(db);

    /* A hint whose CRC holds but whose key is one byte short of its record's, and its value
     * one byte long, so that every size still adds up: the short key must not read back the
     * record's last key byte and value as its value. */
    size_t hints_size = 0;
    unsigned char *hints = fs_read_all(t.fs, hint, &hints_size); /* to put back */
    char short_key[BC_KEY_SIZE_MAX];
    struct bc_record lie = first_hint(t.fs, hint, short_key);
    size_t short_size = lie.key_size_bytes - 1u;
    lie.key_size_bytes = (uint16_t)short_size;
    lie.value_size_bytes++;
    rewrite_first_hint(t.fs, hint, &lie, short_key);
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 2048);
    char got[VALUE_SIZE_BYTES_MAX];
    size_t got_size = 0;
    bc_status st = bc_get(db, short_key, short_size, got, sizeof(got), &got_size);
    if (st == BC_OK) {
        fail_msg("a hint one byte short of its record's key made bc_get(\"%.*s\") return %zu "
                 "bytes of another key's record; a get must check the record's key size too",
                 (int)short_size, short_key, got_size);
    }
    bc_close(db);
    fs_truncate(t.fs, hint, 0);
    fs_write_at(t.fs, hint, hints, hints_size, 0);
    free(hints);
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
    assert_status(bc_open(TEST_DIR, &o, &db, NULL), BC_CORRUPT);
    kh_faultfs_destroy(t.fs);
}

/* ---- Many hint files --------------------------------------------------------------------- */

#define MANY_KEYS 6000u
#define MANY_FILE_BYTES (32u << 10) /* small files: dozens of hint files */

/* Fails unless key i holds version ver[i] (0: absent) for every i < MANY_KEYS. */
static void
many_check(struct bc_db *db, const uint32_t *ver, const char *when)
{
    for (unsigned i = 0; i < MANY_KEYS; i++) {
        char key[16], want[VALUE_SIZE_BYTES_MAX], got[VALUE_SIZE_BYTES_MAX];
        size_t got_size = 0;
        bc_status st = bc_get(db, key, key_of(i, key), got, sizeof(got), &got_size);
        if (ver[i] == 0) {
            if (st != BC_NOT_FOUND) {
                fail_msg("%s: %s should be missing, bc_get says %s", when, key, bc_strerror(st));
            }
            continue;
        }
        size_t want_size = value_of(i, ver[i], want);
        if (st != BC_OK || got_size != want_size || memcmp(got, want, want_size) != 0) {
            fail_msg("%s: %s does not read back as version %u (%s, %zu bytes)", when, key,
                     (unsigned)ver[i], bc_strerror(st), got_size);
        }
    }
}

/* Opens the store, checks it against ver, closes it. */
static void
many_reopen_check(struct test_fs *t, struct bc_io *io, const uint32_t *ver, const char *when)
{
    struct bc_db *db = tfs_open_db(t, io, BC_SYNC_NONE, MANY_FILE_BYTES);
    many_check(db, ver, when);
    bc_close(db);
}

struct hint_names {
    char names[256][BC_PATH_MAX];
    size_t count;
};

static int
hint_name_cb(const char *name, void *arg)
{
    struct hint_names *h = arg;
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".hint") == 0 && h->count < 256) {
        snprintf(h->names[h->count++], BC_PATH_MAX, "%s/%s", TEST_DIR, name);
    }
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Where the last hint of hint file path that starts at or before offset starts. */
static uint64_t
hint_start_before(struct kh_faultfs *fs, const char *path, uint64_t offset)
{
    size_t size;
    unsigned char *hints = fs_read_all(fs, path, &size);
    uint64_t start = 0;
    for (size_t at = 0; at < size && at <= offset;) {
        struct bc_record rec;
        assert_status(bc_hint_decode_header(hints + at, &rec), BC_OK);
        start = at;
        at += BC_HINT_HEADER_BYTES + rec.key_size_bytes;
    }
    free(hints);
    return start;
}

/* Rewrites hint file path with its last hint moved to the front. Each hint carries its own CRC,
 * so every hint stays intact; only their order changes. */
static void
move_last_hint_first(struct kh_faultfs *fs, const char *path)
{
    size_t last = (size_t)hint_start_before(fs, path, UINT64_MAX);
    size_t size;
    unsigned char *hints = fs_read_all(fs, path, &size);
    unsigned char *moved = malloc(size);
    assert_non_null(moved);
    memcpy(moved, hints + last, size - last);
    memcpy(moved + (size - last), hints, last);
    fs_write_at(fs, path, moved, size, 0);
    free(moved);
    free(hints);
}

/* A file's bytes, kept to put back later. */
struct saved_file {
    char path[BC_PATH_MAX];
    unsigned char *bytes; /* owned */
    size_t size;
};

static void
put_back(struct kh_faultfs *fs, const struct saved_file *f)
{
    int fd = kh_faultfs_open(fs, f->path, O_RDWR | O_CREAT);
    assert_true(fd >= 0);
    assert_int_equal(kh_faultfs_pwrite(fs, fd, f->bytes, f->size, 0), (ssize_t)f->size);
    assert_int_equal(kh_faultfs_fsync(fs, fd), 0);
    kh_faultfs_close(fs, fd);
}

static void
many_put(struct bc_db *db, uint32_t *ver, unsigned step, uint32_t version)
{
    char key[16], value[VALUE_SIZE_BYTES_MAX];
    for (unsigned i = 0; i < MANY_KEYS; i += step) {
        ver[i] = version;
        assert_status(bc_put(db, key, key_of(i, key), value, value_of(i, version, value)), BC_OK);
    }
}

/* Claim: thousands of keys in dozens of hint files open with every key's latest value, also
 * when one hint file holds its hints in another order, has a flipped bit, or lost its second
 * half of whole hints, and when a crash in a merge left both its inputs and its outputs (two hinted
 * copies of each key: the newer must win). A damaged hint file is not trusted: its data file is
 * read instead (so a corrupt record there now refuses the open). */
static void
test_b_many_hint_files_and_a_damaged_one(void **state)
{
    (void)state;
    uint64_t thread_bytes_min = bc_hint_thread_bytes_min;
    bc_hint_thread_bytes_min = 0; /* the reference checks hints on a second thread: here too */
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, MANY_FILE_BYTES);
    uint32_t *ver = calloc(MANY_KEYS, sizeof(*ver));
    struct hint_names *h = calloc(1, sizeof(*h));
    assert_true(ver != NULL && h != NULL);
    many_put(db, ver, 1, 1);
    assert_status(bc_merge(db), BC_OK);
    /* Keep the first merge's outputs, to put back after the second merge has replaced them:
     * what a crash after the second merge's renames and before its deletes leaves. */
    assert_int_equal(kh_faultfs_list(t.fs, TEST_DIR, hint_name_cb, h), 0);
    if (h->count < 8) {
        fail_msg("expected the merge to write at least 8 hint files, found %zu", h->count);
    }
    qsort(h->names, h->count, sizeof(h->names[0]), compare_names);
    size_t saved_count = 2 * h->count;
    struct saved_file *saved = calloc(saved_count, sizeof(*saved));
    assert_non_null(saved);
    for (size_t i = 0; i < h->count; i++) {
        snprintf(saved[2 * i].path, BC_PATH_MAX, "%s", h->names[i]);
        snprintf(saved[2 * i + 1].path, BC_PATH_MAX, "%.*s.data", (int)(strlen(h->names[i]) - 5),
                 h->names[i]);
    }
    for (size_t i = 0; i < saved_count; i++) {
        saved[i].bytes = fs_read_all(t.fs, saved[i].path, &saved[i].size);
    }
    many_put(db, ver, 3, 2);
    assert_status(bc_merge(db), BC_OK);
    many_put(db, ver, 5, 3); /* newer files, not merged */
    char key[16];
    for (unsigned i = 0; i < MANY_KEYS; i += 11) {
        ver[i] = 0;
        assert_status(bc_delete(db, key, key_of(i, key)), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    struct hint_names *h2 = calloc(1, sizeof(*h2)); /* the second merge's */
    assert_non_null(h2);
    assert_int_equal(kh_faultfs_list(t.fs, TEST_DIR, hint_name_cb, h2), 0);
    qsort(h2->names, h2->count, sizeof(h2->names[0]), compare_names);
    many_reopen_check(&t, &io, ver, "opened from the hint files");

    const char *hint = h2->names[h2->count / 2];
    struct saved_file good_hint;
    snprintf(good_hint.path, BC_PATH_MAX, "%s", hint);
    good_hint.bytes = fs_read_all(t.fs, hint, &good_hint.size);
    move_last_hint_first(t.fs, hint);
    many_reopen_check(&t, &io, ver, "opened with one hint file's last hint moved first");

    fs_flip_bit(t.fs, hint, (uint64_t)kh_faultfs_file_size(t.fs, hint) / 2, 3);
    many_reopen_check(&t, &io, ver, "opened with a bit flipped in the middle of one hint file");

    put_back(t.fs, &good_hint);
    uint64_t half = hint_start_before(t.fs, hint, (uint64_t)kh_faultfs_file_size(t.fs, hint) / 2);
    fs_truncate(t.fs, hint, half); /* every hint left is whole, and its CRC holds */
    many_reopen_check(&t, &io, ver, "opened with one hint file cut to its first half");

    put_back(t.fs, &good_hint);
    /* Its first hint pointing so far into the data file that offset + size wraps to 0, with a
     * CRC that holds: a bounds check that adds them lets it through. */
    char first_key[BC_KEY_SIZE_MAX];
    struct bc_record wrapped = first_hint(t.fs, hint, first_key);
    wrapped.offset = 0 - bc_record_size(wrapped.key_size_bytes, wrapped.value_size_bytes);
    rewrite_first_hint(t.fs, hint, &wrapped, first_key);
    many_reopen_check(&t, &io, ver,
                      "opened with one hint's offset so large that offset + size wraps past 2^64");

    put_back(t.fs, &good_hint);
    for (size_t i = 0; i < saved_count; i++) {
        put_back(t.fs, &saved[i]);
    }
    many_reopen_check(&t, &io, ver, "opened with the first merge's outputs put back");

    fs_flip_bit(t.fs, hint, (uint64_t)kh_faultfs_file_size(t.fs, hint) / 2, 3);
    many_reopen_check(&t, &io, ver,
                      "opened with the first merge's outputs and a damaged hint file");

    char data[BC_PATH_MAX];
    snprintf(data, sizeof(data), "%.*s.data", (int)(strlen(hint) - 5), hint);
    fs_flip_bit(t.fs, data, BC_RECORD_HEADER_BYTES + 2, 0); /* in the first record's key */
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    o.file_size_bytes_max = MANY_FILE_BYTES;
    char error[BC_ERROR_MAX] = "";
    assert_status(bc_open(TEST_DIR, &o, &db, error), BC_CORRUPT);
    if (strstr(error, data + strlen(TEST_DIR) + 1) == NULL) {
        fail_msg("the open should name %s, whose hint file is damaged; it said: %s", data, error);
    }
    for (size_t i = 0; i < saved_count; i++) {
        free(saved[i].bytes);
    }
    free(saved);
    free(good_hint.bytes);
    free(h2);
    free(h);
    free(ver);
    kh_faultfs_destroy(t.fs);
    bc_hint_thread_bytes_min = thread_bytes_min;
}

/* ---- Hint files that cannot be used ------------------------------------------------------ */

#define BAD_HINT_KEYS 1000u             /* 25 KiB of hints merged: their run loads in two rounds */
#define BAD_HINT_FILE_BYTES (32u << 10) /* so the merge writes a few outputs */
#define JUNK_HINT_BYTES (300u << 10)    /* sizes the keydir for 7,000 keys it never gets */

/* Fails unless keys [0, BAD_HINT_KEYS) read back as version 1. */
static void
bad_hint_check(struct test_fs *t, const char *when)
{
    struct bc_io io;
    struct bc_db *db = tfs_open_db(t, &io, BC_SYNC_NONE, BAD_HINT_FILE_BYTES);
    for (unsigned i = 0; i < BAD_HINT_KEYS; i++) {
        char key[16], want[VALUE_SIZE_BYTES_MAX], got[VALUE_SIZE_BYTES_MAX];
        size_t got_size = 0, want_size = value_of(i, 1, want);
        bc_status st = bc_get(db, key, key_of(i, key), got, sizeof(got), &got_size);
        if (st != BC_OK || got_size != want_size || memcmp(got, want, want_size) != 0) {
            fail_msg("%s: %s does not read back (%s, %zu bytes of %zu)", when, key, bc_strerror(st),
                     got_size, want_size);
        }
    }
    bc_close(db);
}

/* Writes size zero bytes to a new durable file at path (an empty data file when size is 0). */
static void
fs_write_zeros(struct kh_faultfs *fs, const char *path, size_t size)
{
    int fd = kh_faultfs_open(fs, path, O_RDWR | O_CREAT);
    assert_true(fd >= 0);
    unsigned char *zeros = calloc(size > 0 ? size : 1, 1);
    assert_non_null(zeros);
    assert_int_equal(kh_faultfs_pwrite(fs, fd, zeros, size, 0), (ssize_t)size);
    assert_int_equal(kh_faultfs_fsync(fs, fd), 0);
    kh_faultfs_close(fs, fd);
    free(zeros);
}

/* Claim: a hint file that cannot be used is passed over for its data file, and the hint files
 * after it still load: one that cannot be read (EIO) in the middle of a run of hinted files,
 * and one that is huge and all zeros (so a keydir sized from the hint files' sizes is far
 * bigger than the next run of hints needs) in a run of its own. */
static void
test_b_unusable_hint_files_are_passed_over(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, BAD_HINT_FILE_BYTES);
    for (unsigned i = 0; i < BAD_HINT_KEYS; i++) {
        char key[16], value[VALUE_SIZE_BYTES_MAX];
        assert_status(bc_put(db, key, key_of(i, key), value, value_of(i, 1, value)), BC_OK);
    }
    assert_status(bc_merge(db), BC_OK);
    assert_status(bc_close(db), BC_OK);
    struct hint_names *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    assert_int_equal(kh_faultfs_list(t.fs, TEST_DIR, hint_name_cb, h), 0);
    if (h->count < 2) {
        fail_msg("expected the merge of %u keys into %u-byte files to write 2 or more hint files, "
                 "found %zu",
                 BAD_HINT_KEYS, BAD_HINT_FILE_BYTES, h->count);
    }
    qsort(h->names, h->count, sizeof(h->names[0]), compare_names);
    bad_hint_check(&t, "opened from hint files");

    snprintf(t.pread_fail_path, sizeof(t.pread_fail_path), "%s", h->names[1]);
    t.is_pread_failing = true; /* every read of the second hint file is EIO */
    bad_hint_check(&t, "opened with the second hint file unreadable (EIO)");
    t.is_pread_failing = false;
    t.pread_fail_path[0] = '\0';

    /* Files (0, 1) and (0, 2) sort before the merge's outputs: an empty data file with a hint
     * file of 300 KiB of zeros, and an empty data file without one, which ends that run. */
    fs_write_zeros(t.fs, TEST_DIR "/0000000000-00001.data", 0);
    fs_write_zeros(t.fs, TEST_DIR "/0000000000-00001.hint", JUNK_HINT_BYTES);
    fs_write_zeros(t.fs, TEST_DIR "/0000000000-00002.data", 0);
    bad_hint_check(&t, "opened with a 300 KiB hint file of zeros before the merge's hint files");
    free(h);
    kh_faultfs_destroy(t.fs);
}

/* Claim: files being written end in .tmp and are deleted on open (bc_internal.h): a crash in a
 * merge leaves its outputs as .tmp files, and the next open removes them and reads the rest. */
static void
test_b_open_deletes_leftover_tmp_files(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    struct model m;
    model_init(&m, 10);
    for (unsigned i = 0; i < 10; i++) {
        assert_status(model_put(db, &m, i, i), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    const char *leftovers[] = {TEST_DIR "/0000000001-00001.data.tmp",
                               TEST_DIR "/0000000001-00001.hint.tmp"};
    for (size_t i = 0; i < KH_ARRAY_LEN(leftovers); i++) {
        fs_write_zeros(t.fs, leftovers[i], 100);
    }
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    model_check(db, &m, "after opening a store with a merge's .tmp files in it");
    for (size_t i = 0; i < KH_ARRAY_LEN(leftovers); i++) {
        if (kh_faultfs_file_size(t.fs, leftovers[i]) != -ENOENT) {
            fail_msg("%s is still there after bc_open: files ending in .tmp are deleted on open",
                     leftovers[i]);
        }
    }
    assert_status(bc_close(db), BC_OK);
    kh_faultfs_destroy(t.fs);
}

/* Claim: with sync none and explicit bc_sync calls, a crash at every call of the trace, losing
 * the unsynced bytes or keeping a torn prefix of them, keeps everything synced and never
 * returns a value that was not written. */
static void
test_b_crash_with_torn_unsynced_writes(void **state)
{
    (void)state;
    crash_explore(&crash_config_b_torn, kh_test_seed(), "test_b_crash_with_torn_unsynced_writes");
}

/* ---- A crash during recovery ------------------------------------------------------------- */

#define RECOVERY_KEYS 24u
#define RECOVERY_OPS 120u
#define RECOVERY_FILE_BYTES 2048u    /* rotations while the store is built: a dozen data files */
#define RECOVERY_TORN_VERSION 90000u /* the torn record's: never acknowledged */
#define RECOVERY_TMP_VERSION 91000u  /* the leftover .tmp file's: never acknowledged */
#define RECOVERY_POINTS_MIN 30u      /* first crash points over the cases; fewer: inconclusive */
#define RECOVERY_SECOND_POINTS_MIN 60u
#define RECOVERY_RECORD_BYTES_MAX (BC_RECORD_HEADER_BYTES + 16u + VALUE_SIZE_BYTES_MAX)

/* A store for recovery to repair, and the file size limit recovery runs with: 1 byte makes
 * the repaired newest file full, so that recovery also starts a new active file after it. */
struct recovery_case {
    const char *what;
    unsigned cut_kind; /* the torn record cut 0: in its header, 1: in its key, 2: in its value */
    uint64_t file_bytes_max;
};

static const struct recovery_case recovery_cases[] = {
    {"torn in a header, the newest file stays active", 0, RECOVERY_FILE_BYTES},
    {"torn in a key, the newest file stays active", 1, RECOVERY_FILE_BYTES},
    {"torn in a value, the newest file stays active", 2, RECOVERY_FILE_BYTES},
    {"torn in a header, a new active file after it", 0, 1},
    {"torn in a key, a new active file after it", 1, 1},
    {"torn in a value, a new active file after it", 2, 1},
};

/* Where one crash image of a recovery came from, for a failure message. */
struct recovery_crash {
    const struct recovery_case *c;
    uint64_t point, keep;               /* the first crash: its call, and unsynced bytes kept */
    uint64_t second_point, second_keep; /* the second, in the next recovery; UINT64_MAX: none */
    struct kh_faultfs *crashed;         /* the file system that crashed last, for its trace */
};

struct recovery_counts {
    uint64_t points;        /* calls of a first recovery crashed at */
    uint64_t second_points; /* calls of a second recovery (on a first crash's image) */
    uint64_t torn;          /* torn prefixes of unsynced writes */
    uint64_t images;        /* crash images opened and checked */
};

/* Encodes a whole record of key k's version ver in out; returns its size. */
static size_t
recovery_record(unsigned k, uint32_t ver, unsigned char out[RECOVERY_RECORD_BYTES_MAX])
{
    char key[16], value[VALUE_SIZE_BYTES_MAX];
    size_t key_size = key_of(k, key), value_size = value_of(k, ver, value);
    struct bc_record rec = {.key_size_bytes = (uint16_t)key_size,
                            .value_size_bytes = (uint32_t)value_size,
                            .timestamp_us = 1};
    bc_record_encode(out, &rec, key, value);
    return (size_t)bc_record_size(key_size, value_size);
}

/* Appends size bytes to path (made if missing) and fsyncs it. */
static void
fs_append_durable(struct kh_faultfs *fs, const char *path, const void *bytes, size_t size)
{
    int fd = kh_faultfs_open(fs, path, O_RDWR | O_CREAT);
    assert_true(fd >= 0);
    uint64_t end = 0;
    assert_int_equal(kh_faultfs_fsize(fs, fd, &end), 0);
    assert_int_equal(kh_faultfs_pwrite(fs, fd, bytes, size, end), (ssize_t)size);
    assert_int_equal(kh_faultfs_fsync(fs, fd), 0);
    kh_faultfs_close(fs, fd);
}

static int
newest_data_cb(const char *name, void *arg)
{
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".data") == 0 && strcmp(name, arg) > 0) {
        snprintf(arg, BC_PATH_MAX, "%s", name); /* fixed-width names sort in id order */
    }
    return 0;
}

/* A store for a crash in its recovery: data files from rotations, hint files from a merge,
 * deletes, a merge's leftover .tmp files (one holding a whole record of a value never put),
 * and the newest data file ending in a record cut short (a torn tail). Every name and byte is
 * durable, and no call is traced yet. Fills m with what the store holds. Owned by the caller. */
static struct kh_faultfs *
recovery_store(uint64_t seed, unsigned cut_kind, struct model *m)
{
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, RECOVERY_FILE_BYTES);
    model_init(m, RECOVERY_KEYS);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    for (uint32_t op = 0; op < RECOVERY_OPS; op++) {
        unsigned k = (unsigned)kh_rng_below(&rng, RECOVERY_KEYS);
        if (op == RECOVERY_OPS / 2) {
            assert_status(bc_merge(db), BC_OK); /* hint files for the older half */
        }
        bool is_delete = m->ver[k] >= 0 && kh_rng_below(&rng, 5) == 0 && op + 1 < RECOVERY_OPS;
        assert_status(is_delete ? model_delete(db, m, k) : model_put(db, m, k, op), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    unsigned char record[RECOVERY_RECORD_BYTES_MAX] = {0};
    size_t size = recovery_record(0, RECOVERY_TMP_VERSION, record);
    fs_append_durable(t.fs, TEST_DIR "/0000000001-00099.data.tmp", record, size);
    fs_append_durable(t.fs, TEST_DIR "/0000000001-00099.hint.tmp", record, BC_HINT_HEADER_BYTES);
    char newest[BC_PATH_MAX] = "", path[2 * BC_PATH_MAX];
    assert_int_equal(kh_faultfs_list(t.fs, TEST_DIR, newest_data_cb, newest), 0);
    snprintf(path, sizeof(path), "%s/%s", TEST_DIR, newest);
    uint32_t ver = RECOVERY_TORN_VERSION;
    while ((size = recovery_record(1, ver, record)) < BC_RECORD_HEADER_BYTES + 7u + 8u) {
        ver++; /* a value of 8 bytes or more, to cut inside */
    }
    size_t cuts[] = {BC_RECORD_HEADER_BYTES / 2, BC_RECORD_HEADER_BYTES + 3u, size - 2u};
    fs_append_durable(t.fs, path, record, cuts[cut_kind]);
    int dir_fd = kh_faultfs_open(t.fs, TEST_DIR, O_RDONLY | O_DIRECTORY);
    assert_true(dir_fd >= 0);
    assert_int_equal(kh_faultfs_fsync(t.fs, dir_fd), 0); /* the .tmp files' names durable */
    kh_faultfs_close(t.fs, dir_fd);
    struct kh_faultfs *store = kh_faultfs_crash_image(t.fs, UINT64_MAX);
    assert_non_null(store);
    kh_faultfs_destroy(t.fs);
    return store;
}

/* Opens the store on fs with recovery's file size limit and closes it; returns bc_open's
 * status, and its message in error. */
static bc_status
recovery_run(struct kh_faultfs *fs, uint64_t file_bytes_max, char error[BC_ERROR_MAX])
{
    struct test_fs t;
    struct bc_io io;
    struct bc_options o;
    tfs_on_image(&t, fs, &io, &o);
    o.file_size_bytes_max = file_bytes_max;
    struct bc_db *db = NULL;
    error[0] = '\0';
    bc_status st = bc_open(TEST_DIR, &o, &db, error);
    if (st == BC_OK) {
        bc_close(db);
    }
    return st;
}

/* "no unsynced byte", "every unsynced byte" or "N unsynced bytes", for keep_bytes keep. */
static void
keep_text(uint64_t keep, char out[48])
{
    if (keep == 0 || keep == UINT64_MAX) {
        snprintf(out, 48, "%s unsynced byte", keep == 0 ? "no" : "every");
    } else {
        snprintf(out, 48, "%llu unsynced bytes", (unsigned long long)keep);
    }
}

/* Says where image x came from, with the calls before the (last) crash. */
static void
recovery_context(const struct recovery_crash *x, char *out, size_t out_size)
{
    uint64_t last = x->second_point == UINT64_MAX ? x->point : x->second_point;
    char trace[2048];
    kh_faultfs_trace_print(x->crashed, last > 6 ? last - 6 : 0, 8, trace, sizeof(trace));
    char keep[48], second_keep[48];
    keep_text(x->keep, keep);
    keep_text(x->second_keep, second_keep);
    int n = snprintf(out, out_size,
                     "a store %s (file_size_bytes_max %llu): recovery crashed at its call %llu, "
                     "keeping %s",
                     x->c->what, (unsigned long long)x->c->file_bytes_max,
                     (unsigned long long)x->point, keep);
    if (x->second_point != UINT64_MAX && n > 0 && (size_t)n < out_size) {
        n += snprintf(out + n, out_size - (size_t)n,
                      "; the next recovery crashed at its call %llu, keeping %s",
                      (unsigned long long)x->second_point, second_keep);
    }
    if (n > 0 && (size_t)n < out_size) {
        snprintf(out + n, out_size - (size_t)n, "; the calls before the crash:\n%s", trace);
    }
}

/* Fails unless image opens and holds exactly m: every key's value as before the crash, no
 * deleted key back, nothing from the torn record or the .tmp files. */
static void
recovery_check_image(struct kh_faultfs *image, const struct model *m,
                     const struct recovery_crash *x)
{
    struct test_fs t;
    struct bc_io io;
    struct bc_options o;
    tfs_on_image(&t, image, &io, &o);
    o.file_size_bytes_max = x->c->file_bytes_max;
    struct bc_db *db = NULL;
    char error[BC_ERROR_MAX] = "", when[4096];
    bc_status st = bc_open(TEST_DIR, &o, &db, error);
    if (st != BC_OK) {
        recovery_context(x, when, sizeof(when));
        fail_msg("%s\nthen bc_open says %s (%s)", when, status_name(st), error);
    }
    for (unsigned k = 0; k < m->key_count; k++) {
        char key[16], want[VALUE_SIZE_BYTES_MAX], got[VALUE_SIZE_BYTES_MAX];
        size_t got_size = 0, want_size = 0;
        st = bc_get(db, key, key_of(k, key), got, sizeof(got), &got_size);
        bool is_ok = m->ver[k] < 0 ? st == BC_NOT_FOUND : st == BC_OK;
        if (is_ok && m->ver[k] >= 0) {
            want_size = value_of(k, (uint32_t)m->ver[k], want);
            is_ok = got_size == want_size && memcmp(got, want, want_size) == 0;
        }
        if (!is_ok) {
            recovery_context(x, when, sizeof(when));
            fail_msg("%s\nthen %s reads %s (%zu bytes); before the crash it held %s %lld (%zu "
                     "bytes): a crash in recovery may not change what the store holds",
                     when, key, status_name(st), st == BC_OK ? got_size : 0,
                     m->ver[k] < 0 ? "nothing, deleted or never put," : "version",
                     (long long)m->ver[k], want_size);
        }
    }
    bc_close(db);
}

/* The calls recovery of a copy of store makes, crash-free (it must open). */
static uint64_t
recovery_call_count(struct kh_faultfs *store, const struct recovery_case *c)
{
    struct kh_faultfs *fs = kh_faultfs_crash_image(store, UINT64_MAX); /* a copy */
    assert_non_null(fs);
    char error[BC_ERROR_MAX];
    bc_status st = recovery_run(fs, c->file_bytes_max, error);
    if (st != BC_OK) {
        fail_msg("a store %s does not open, with no crash: %s (%s)", c->what, status_name(st),
                 error);
    }
    uint64_t count = kh_faultfs_trace_count(fs);
    kh_faultfs_destroy(fs);
    return count;
}

/* Crashes recovery of a copy of store at each of its calls (and not at all); checks every
 * image each crash leaves against m. When x->point is UINT64_MAX this is the first recovery;
 * otherwise store is a first crash's image and this the second. */
static void
recovery_crash_each_call(struct kh_faultfs *store, const struct model *m, struct recovery_crash *x,
                         struct recovery_counts *n)
{
    bool is_first = x->point == UINT64_MAX;
    uint64_t calls = recovery_call_count(store, x->c);
    for (uint64_t point = 0; point <= calls; point++) {
        struct kh_faultfs *fs = kh_faultfs_crash_image(store, UINT64_MAX);
        assert_non_null(fs);
        kh_faultfs_crash_at(fs, point);
        char error[BC_ERROR_MAX];
        recovery_run(fs, x->c->file_bytes_max, error); /* fails at the crash, if it comes */
        uint64_t keeps[CRASH_KEEPS_MAX];
        size_t keep_count = crash_keeps(fs, keeps, &n->torn);
        for (size_t i = 0; i < keep_count; i++) {
            struct kh_faultfs *image = kh_faultfs_crash_image(fs, keeps[i]);
            assert_non_null(image);
            *(is_first ? &x->point : &x->second_point) = point;
            *(is_first ? &x->keep : &x->second_keep) = keeps[i];
            x->crashed = fs;
            recovery_check_image(image, m, x);
            n->images++;
            /* A second crash, in the recovery of this image: of all unsynced bytes lost, and
             * of the last kept (a torn write when there is one). */
            if (is_first && (i == 0 || i + 1 == keep_count)) {
                recovery_crash_each_call(image, m, x, n);
                x->second_point = x->second_keep = UINT64_MAX;
            }
            kh_faultfs_destroy(image);
        }
        kh_faultfs_destroy(fs);
        *(is_first ? &n->points : &n->second_points) += 1;
    }
    if (is_first) {
        x->point = UINT64_MAX;
    }
}

/* Claim: a crash in the middle of recovery loses nothing: a store with several data files,
 * hint files, leftover .tmp files and a torn tail is opened with the machine dying at each call
 * of bc_open (and of the bc_close after it), keeping no unsynced byte, all of them, or a torn
 * prefix; each image then opens to exactly what the store held (no value lost, no deleted key
 * back, nothing of the torn record or the .tmp files), and so does each image of a second crash
 * at each call of that reopen. */
static void
test_b_crash_during_recovery_loses_nothing(void **state)
{
    (void)state;
    uint64_t seed = kh_test_seed();
    struct recovery_counts n = {0};
    for (size_t i = 0; i < KH_ARRAY_LEN(recovery_cases); i++) {
        struct model m;
        struct kh_faultfs *store = recovery_store(seed + i, recovery_cases[i].cut_kind, &m);
        struct recovery_crash x = {.c = &recovery_cases[i],
                                   .point = UINT64_MAX,
                                   .second_point = UINT64_MAX,
                                   .second_keep = UINT64_MAX};
        recovery_crash_each_call(store, &m, &x, &n);
        kh_faultfs_destroy(store);
    }
    printf("test_b_crash_during_recovery_loses_nothing: %zu stores, %llu crash points in "
           "recovery, %llu in the recovery after a crash, %llu torn prefixes, %llu images "
           "checked (seed %llu)\n",
           KH_ARRAY_LEN(recovery_cases), (unsigned long long)n.points,
           (unsigned long long)n.second_points, (unsigned long long)n.torn,
           (unsigned long long)n.images, (unsigned long long)seed);
    if (n.points < RECOVERY_POINTS_MIN || n.second_points < RECOVERY_SECOND_POINTS_MIN) {
        fail_msg("inconclusive: %llu crash points in recovery and %llu in a second recovery, the "
                 "test needs %u and %u (does bc_open repair the torn tail and delete the .tmp "
                 "files through the io?)",
                 (unsigned long long)n.points, (unsigned long long)n.second_points,
                 RECOVERY_POINTS_MIN, RECOVERY_SECOND_POINTS_MIN);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_reopen_reads_same_bytes),
        cmocka_unit_test(test_b_torn_tail_is_truncated_at_every_byte),
        cmocka_unit_test(test_b_flipped_bit_is_a_tail_or_an_error),
        cmocka_unit_test(test_b_corrupt_older_file_is_an_error),
        cmocka_unit_test(test_b_model_with_reopens),
        cmocka_unit_test(test_b_hint_files_rebuild_the_same_keydir),
        cmocka_unit_test(test_b_many_hint_files_and_a_damaged_one),
        cmocka_unit_test(test_b_unusable_hint_files_are_passed_over),
        cmocka_unit_test(test_b_open_deletes_leftover_tmp_files),
        cmocka_unit_test(test_b_crash_with_torn_unsynced_writes),
        cmocka_unit_test(test_b_crash_during_recovery_loses_nothing),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
