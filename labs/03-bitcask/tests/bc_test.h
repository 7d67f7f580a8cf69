/* bc_test.h -- what lab 03's tests share: a struct bc_io over faultfs (with a hook a test can
 * run inside any call), a key/value model the store is checked against, and the crash-test
 * driver (crash_explore), which replays a workload to every point of its I/O trace and checks
 * the store each crash image leaves. */
#ifndef KEEL_BC_TEST_H
#define KEEL_BC_TEST_H

#include "bitcask.h"
#include "kh_faultfs.h"
#include "kh_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_UNUSED __attribute__((unused))
#define TEST_DIR "/db"
#define MODEL_KEYS_MAX 256u
#define VALUE_SIZE_BYTES_MAX 300u

/* ---- Statuses by name --------------------------------------------------------------------- */

/* "BC_CORRUPT" for BC_CORRUPT: the enum's own name, from bitcask.h's list. */
static TEST_UNUSED const char *
status_name(bc_status status)
{
#define STATUS_NAME_CASE(name, text)                                                               \
    case name:                                                                                     \
        return #name;
    switch (status) {
        BC_STATUS_LIST(STATUS_NAME_CASE)
    }
#undef STATUS_NAME_CASE
    return "an unknown status";
}

/* Fails unless expr's status is expected, naming the call and both statuses:
 *   bc_get(db, "a", 1, buf, sizeof(buf), &n) is BC_NOT_FOUND (not found), expected BC_OK */
#define assert_status(expr, expected)                                                              \
    KH_ASSERT_STATUS_OF(bc_status, status_name, bc_strerror, expr, expected, #expr)

/* ---- A bc_io over faultfs --------------------------------------------------------------- */

/* ctx of the test io: the fs, two logical clocks, and an optional hook run before each call. */
struct test_fs {
    struct kh_faultfs *fs;
    uint64_t clock_us; /* now_us: each read advances it 1 us, so timestamps follow the calls */
    /* monotonic_us: each read advances it 1 us too, so a wait the store bounds by N us of it
     * (group commit's) lasts N reads, on any machine. A test may move it on itself. */
    uint64_t monotonic_us;
    /* Runs before every traced call the store makes (op, path); may call the store. */
    void (*hook_cb)(kh_faultfs_op op, const char *path, void *arg);
    void *hook_arg;
    unsigned fsync_delay_us; /* slows every fsync, so concurrent writers overlap */
    /* A read error on one file: while is_pread_failing, every pread of the descriptor the store
     * opened pread_fail_path with fails with -EIO (pread is not a traced call, so faultfs's
     * faults cannot fail it). */
    char pread_fail_path[KH_FAULTFS_PATH_MAX];
    int pread_fail_fd; /* the store's descriptor of pread_fail_path, or -1 */
    bool is_pread_failing;
};

static TEST_UNUSED void
tfs_hook(struct test_fs *t, kh_faultfs_op op, const char *path)
{
    if (t->hook_cb != NULL) {
        t->hook_cb(op, path, t->hook_arg);
    }
}

static TEST_UNUSED int
tfs_open(void *ctx, const char *path, int flags)
{
    struct test_fs *t = ctx;
    if (flags & O_CREAT) {
        tfs_hook(t, KH_FAULTFS_OP_CREATE, path);
    }
    int fd = kh_faultfs_open(t->fs, path, flags);
    if (fd >= 0 && t->pread_fail_path[0] != '\0' && strcmp(path, t->pread_fail_path) == 0) {
        t->pread_fail_fd = fd;
    }
    return fd;
}
static TEST_UNUSED int
tfs_close(void *ctx, int fd)
{
    struct test_fs *t = ctx;
    if (t->pread_fail_path[0] != '\0' && fd == t->pread_fail_fd) {
        t->pread_fail_fd = -1;
    }
    return kh_faultfs_close(t->fs, fd);
}
static TEST_UNUSED ssize_t
tfs_pread(void *ctx, int fd, void *buf, size_t size, uint64_t offset)
{
    struct test_fs *t = ctx;
    if (t->is_pread_failing && t->pread_fail_path[0] != '\0' && fd == t->pread_fail_fd) {
        return -EIO;
    }
    return kh_faultfs_pread(t->fs, fd, buf, size, offset);
}
static TEST_UNUSED ssize_t
tfs_pwrite(void *ctx, int fd, const void *buf, size_t size, uint64_t offset)
{
    return kh_faultfs_pwrite(((struct test_fs *)ctx)->fs, fd, buf, size, offset);
}
static TEST_UNUSED int
tfs_fsync(void *ctx, int fd)
{
    struct test_fs *t = ctx;
    if (t->fsync_delay_us > 0) {
        kh_clock_sleep_ms(t->fsync_delay_us / 1000);
    }
    return kh_faultfs_fsync(t->fs, fd);
}
static TEST_UNUSED int
tfs_ftruncate(void *ctx, int fd, uint64_t size)
{
    return kh_faultfs_ftruncate(((struct test_fs *)ctx)->fs, fd, size);
}
static TEST_UNUSED int
tfs_fsize(void *ctx, int fd, uint64_t *size)
{
    return kh_faultfs_fsize(((struct test_fs *)ctx)->fs, fd, size);
}
static TEST_UNUSED int
tfs_rename(void *ctx, const char *from, const char *to)
{
    struct test_fs *t = ctx;
    tfs_hook(t, KH_FAULTFS_OP_RENAME, from);
    return kh_faultfs_rename(t->fs, from, to);
}
static TEST_UNUSED int
tfs_unlink(void *ctx, const char *path)
{
    return kh_faultfs_unlink(((struct test_fs *)ctx)->fs, path);
}
static TEST_UNUSED int
tfs_mkdir(void *ctx, const char *path)
{
    return kh_faultfs_mkdir(((struct test_fs *)ctx)->fs, path);
}
static TEST_UNUSED int
tfs_list(void *ctx, const char *dir, int (*entry_cb)(const char *name, void *arg), void *arg)
{
    return kh_faultfs_list(((struct test_fs *)ctx)->fs, dir, entry_cb, arg);
}
static TEST_UNUSED int
tfs_lock(void *ctx, int fd)
{
    return kh_faultfs_lock(((struct test_fs *)ctx)->fs, fd);
}
static TEST_UNUSED uint64_t
tfs_now_us(void *ctx)
{
    return __atomic_add_fetch(&((struct test_fs *)ctx)->clock_us, 1, __ATOMIC_RELAXED);
}

static TEST_UNUSED uint64_t
tfs_monotonic_us(void *ctx)
{
    return __atomic_add_fetch(&((struct test_fs *)ctx)->monotonic_us, 1, __ATOMIC_RELAXED);
}

/* Fills io to run on t->fs. */
static TEST_UNUSED void
tfs_io(struct test_fs *t, struct bc_io *io)
{
    *io = (struct bc_io){.open = tfs_open,
                         .close = tfs_close,
                         .pread = tfs_pread,
                         .pwrite = tfs_pwrite,
                         .fsync = tfs_fsync,
                         .ftruncate = tfs_ftruncate,
                         .fsize = tfs_fsize,
                         .rename = tfs_rename,
                         .unlink = tfs_unlink,
                         .mkdir = tfs_mkdir,
                         .list = tfs_list,
                         .lock = tfs_lock,
                         .now_us = tfs_now_us,
                         .monotonic_us = tfs_monotonic_us,
                         .ctx = t};
}

/* *t on image (a crash image the caller owns), *io on t, and *o the default options with that
 * io: what a test needs to open the store a crash left. */
static TEST_UNUSED void
tfs_on_image(struct test_fs *t, struct kh_faultfs *image, struct bc_io *io, struct bc_options *o)
{
    memset(t, 0, sizeof(*t));
    t->fs = image;
    t->pread_fail_fd = -1;
    tfs_io(t, io);
    bc_options_default(o);
    o->io = io;
}

/* A fresh fs with an empty "/db". */
static TEST_UNUSED void
tfs_init(struct test_fs *t)
{
    memset(t, 0, sizeof(*t));
    t->pread_fail_fd = -1;
    t->fs = kh_faultfs_create();
    assert_non_null(t->fs);
}

/* Opens TEST_DIR on t with the given sync policy and file size limit; fails the test if not
 * BC_OK. The io struct must outlive the db: callers keep one per test_fs. */
static TEST_UNUSED struct bc_db *
tfs_open_db(struct test_fs *t, struct bc_io *io, bc_sync_policy sync, uint64_t file_size_max)
{
    struct bc_options o;
    bc_options_default(&o);
    tfs_io(t, io);
    o.io = io;
    o.sync = sync;
    o.sync_interval_ms = 10;
    o.file_size_bytes_max = file_size_max;
    struct bc_db *db = NULL;
    char error[BC_ERROR_MAX];
    bc_status st = bc_open(TEST_DIR, &o, &db, error);
    if (st != BC_OK) {
        fail_msg("bc_open: %s (%s)", bc_strerror(st), error);
    }
    return db;
}

/* ---- Keys, values and the model -------------------------------------------------------- */

/* Key i: "key" and four digits ("key0007"); keys differ in their last bytes only, so a compare
 * of too few bytes mixes them up. */
static TEST_UNUSED size_t
key_of(unsigned i, char key[16])
{
    return (size_t)snprintf(key, 16, "key%04u", i);
}

/* Version ver of key i's value: its size and bytes follow from (i, ver) alone. */
static TEST_UNUSED size_t
value_of(unsigned i, uint32_t ver, char value[VALUE_SIZE_BYTES_MAX])
{
    size_t size = (i * 7919u + ver * 104729u) % VALUE_SIZE_BYTES_MAX;
    for (size_t b = 0; b < size; b++) {
        value[b] = (char)('a' + (i + ver + b) % 26);
    }
    if (size >= 12) {
        snprintf(value, 12, "v%04u.%05u", i, ver % 100000u);
        value[11] = '|';
    }
    return size;
}

/* Which keys exist and the version each holds (-1: absent). */
struct model {
    int64_t ver[MODEL_KEYS_MAX];
    unsigned key_count;
};

/* Fails unless db holds exactly what m says, for every key in the universe. */
static TEST_UNUSED void
model_check(struct bc_db *db, const struct model *m, const char *when)
{
    for (unsigned i = 0; i < m->key_count; i++) {
        char key[16], want[VALUE_SIZE_BYTES_MAX], got[VALUE_SIZE_BYTES_MAX];
        size_t key_size = key_of(i, key), got_size = 0;
        bc_status st = bc_get(db, key, key_size, got, sizeof(got), &got_size);
        if (m->ver[i] < 0) {
            if (st != BC_NOT_FOUND) {
                fail_msg("%s: %s should be missing, bc_get says %s", when, key, bc_strerror(st));
            }
            continue;
        }
        size_t want_size = value_of(i, (uint32_t)m->ver[i], want);
        if (st != BC_OK) {
            fail_msg("%s: %s (version %lld) not read back: %s", when, key, (long long)m->ver[i],
                     bc_strerror(st));
        }
        if (got_size != want_size || memcmp(got, want, want_size) != 0) {
            fail_msg("%s: %s came back with %zu bytes, not version %lld's %zu bytes", when, key,
                     got_size, (long long)m->ver[i], want_size);
        }
    }
}

static TEST_UNUSED bc_status
model_put(struct bc_db *db, struct model *m, unsigned i, uint32_t ver)
{
    char key[16], value[VALUE_SIZE_BYTES_MAX];
    size_t key_size = key_of(i, key);
    size_t value_size = value_of(i, ver, value);
    bc_status st = bc_put(db, key, key_size, value, value_size);
    if (st == BC_OK) {
        m->ver[i] = ver;
    }
    return st;
}

static TEST_UNUSED bc_status
model_delete(struct bc_db *db, struct model *m, unsigned i)
{
    char key[16];
    size_t key_size = key_of(i, key);
    bc_status st = bc_delete(db, key, key_size);
    if (st == BC_OK || st == BC_NOT_FOUND) {
        assert_int_equal(st == BC_OK, m->ver[i] >= 0);
        m->ver[i] = -1;
    }
    return st;
}

static TEST_UNUSED void
model_init(struct model *m, unsigned key_count)
{
    assert_true(key_count <= MODEL_KEYS_MAX);
    m->key_count = key_count;
    for (unsigned i = 0; i < MODEL_KEYS_MAX; i++) {
        m->ver[i] = -1;
    }
}

/* Appends one directory entry's name to the list fs_open_existing prints. */
static TEST_UNUSED int
listing_add(const char *name, void *arg)
{
    char *listing = arg;
    size_t used = strlen(listing);
    snprintf(listing + used, 512 - used, "%s%s", used > 0 ? ", " : "", name);
    return 0;
}

/* Opens a file the store must have made (the test's own access to the disk), or fails the test
 * saying which file is missing and what the store's directory holds instead. */
static TEST_UNUSED int
fs_open_existing(struct kh_faultfs *fs, const char *path, int flags)
{
    int fd = kh_faultfs_open(fs, path, flags);
    if (fd < 0) {
        char listing[512] = "";
        kh_faultfs_list(fs, TEST_DIR, listing_add, listing);
        fail_msg("%s: %s; the test expects the store to have made it (README: \"The files of "
                 "a store\"); %s holds: %s",
                 path, strerror(-fd), TEST_DIR, listing[0] != '\0' ? listing : "nothing");
    }
    return fd;
}

/* Reads the whole of path in fs (owned buffer), for tests that build or damage files. */
static TEST_UNUSED unsigned char *
fs_read_all(struct kh_faultfs *fs, const char *path, size_t *size)
{
    int fd = fs_open_existing(fs, path, O_RDONLY);
    uint64_t n = 0;
    assert_int_equal(kh_faultfs_fsize(fs, fd, &n), 0);
    unsigned char *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(kh_faultfs_pread(fs, fd, buf, n, 0), (ssize_t)n);
    kh_faultfs_close(fs, fd);
    *size = n;
    return buf;
}

static TEST_UNUSED void
fs_write_at(struct kh_faultfs *fs, const char *path, const void *buf, size_t size, uint64_t offset)
{
    int fd = fs_open_existing(fs, path, O_RDWR);
    assert_int_equal(kh_faultfs_pwrite(fs, fd, buf, size, offset), (ssize_t)size);
    kh_faultfs_close(fs, fd);
}

static TEST_UNUSED void
fs_flip_bit(struct kh_faultfs *fs, const char *path, uint64_t offset, unsigned bit)
{
    size_t size;
    unsigned char *buf = fs_read_all(fs, path, &size);
    assert_true(offset < size);
    unsigned char byte = buf[offset] ^ (unsigned char)(1u << bit);
    fs_write_at(fs, path, &byte, 1, offset);
    free(buf);
}

/* Descriptors open in fs now (the store's, and any the test left open): the ones faultfs
 * has left free are opened, counted and closed again. */
static TEST_UNUSED unsigned
fs_open_descriptor_count(struct kh_faultfs *fs)
{
    int fds[KH_FAULTFS_FDS_MAX];
    unsigned free_count = 0;
    for (int fd; free_count < KH_FAULTFS_FDS_MAX &&
                 (fd = kh_faultfs_open(fs, "/", O_RDONLY | O_DIRECTORY)) >= 0;) {
        fds[free_count++] = fd;
    }
    for (unsigned i = 0; i < free_count; i++) {
        kh_faultfs_close(fs, fds[i]);
    }
    return KH_FAULTFS_FDS_MAX - free_count;
}

static TEST_UNUSED int
count_data_file_cb(const char *name, void *arg)
{
    size_t n = strlen(name);
    *(unsigned *)arg += n > 5 && strcmp(name + n - 5, ".data") == 0;
    return 0;
}

/* Data files (names ending in .data) in TEST_DIR. */
static TEST_UNUSED unsigned
fs_data_file_count(struct kh_faultfs *fs)
{
    unsigned count = 0;
    assert_int_equal(kh_faultfs_list(fs, TEST_DIR, count_data_file_cb, &count), 0);
    return count;
}

static TEST_UNUSED void
fs_truncate(struct kh_faultfs *fs, const char *path, uint64_t size)
{
    int fd = fs_open_existing(fs, path, O_RDWR);
    assert_int_equal(kh_faultfs_ftruncate(fs, fd, size), 0);
    kh_faultfs_close(fs, fd);
}

#endif
