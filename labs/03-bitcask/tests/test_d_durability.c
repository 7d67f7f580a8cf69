/* test_d_durability.c -- part D: sync policies, group commit, the lock file, and I/O errors
 * (EIO, ENOSPC, short writes) and running out of memory, which leave the store readable. Read
 * test_d_crash_at_every_point_keeps_acknowledged_writes first: it is the promise of
 * BC_SYNC_ALWAYS, checked at every call of a recorded trace (and, with several writers in
 * flight, by test_d_crash_with_writers_in_flight_keeps_acknowledged_puts). */
#include "bc_internal.h"
#include "crash.h"
#include "kh_oom.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* Claim: the policy texts parse, and bad ones are BC_INVALID; so is bc_open with interval 0 or
 * a directory name too long for its files' paths. */
static void
test_d_sync_policy_parse(void **state)
{
    (void)state;
    struct bc_options o;
    bc_options_default(&o);
    assert_status(bc_sync_parse("always", &o), BC_OK);
    assert_int_equal(o.sync, BC_SYNC_ALWAYS);
    assert_status(bc_sync_parse("interval:250", &o), BC_OK);
    assert_int_equal(o.sync, BC_SYNC_INTERVAL);
    assert_int_equal(o.sync_interval_ms, 250);
    assert_status(bc_sync_parse("none", &o), BC_OK);
    assert_int_equal(o.sync, BC_SYNC_NONE);
    const char *bad[] = {"", "sometimes", "interval:", "interval:0", "interval:5x", "ALWAYS"};
    for (size_t i = 0; i < KH_ARRAY_LEN(bad); i++) {
        assert_status(bc_sync_parse(bad[i], &o), BC_INVALID);
    }
    struct test_fs t; /* bc_open's bad options: BC_INVALID, and no handle */
    tfs_init(&t);
    struct bc_io io;
    tfs_io(&t, &io);
    o.io = &io;
    o.sync = BC_SYNC_INTERVAL;
    o.sync_interval_ms = 0;
    struct bc_db *db = NULL;
    assert_status(bc_open(TEST_DIR, &o, &db, NULL), BC_INVALID);
    o.sync = BC_SYNC_NONE;
    char long_dir[BC_PATH_MAX];
    memset(long_dir, 'd', sizeof(long_dir) - 1);
    long_dir[0] = '/';
    long_dir[sizeof(long_dir) - 1] = '\0';
    assert_status(bc_open(long_dir, &o, &db, NULL), BC_INVALID);
    kh_faultfs_destroy(t.fs);
}

/* Claim: under BC_SYNC_ALWAYS, a crash at any call (and with any torn prefix of unsynced
 * bytes) keeps every put and delete that returned BC_OK. */
static void
test_d_crash_at_every_point_keeps_acknowledged_writes(void **state)
{
    (void)state;
    crash_explore(&crash_config_d_always, kh_test_seed(),
                  "test_d_crash_at_every_point_keeps_acknowledged_writes");
}

#define BUFFER_ROUNDS 6u /* 6 x 256 puts of ~170 bytes: 260 KiB, four append buffers */

/* Reads the image's value of key k and says whether it is one of versions lo..hi. */
static bool
image_holds(struct bc_db *db, unsigned k, int64_t lo, uint32_t hi)
{
    char key[16], got[VALUE_SIZE_BYTES_MAX], want[VALUE_SIZE_BYTES_MAX];
    size_t key_size = key_of(k, key), got_size = 0;
    bc_status st = bc_get(db, key, key_size, got, sizeof(got), &got_size);
    if (st != BC_OK) {
        return st == BC_NOT_FOUND && lo < 0;
    }
    for (int64_t v = lo < 0 ? 0 : lo; v <= (int64_t)hi; v++) {
        size_t want_size = value_of(k, (uint32_t)v, want);
        if (want_size == got_size && memcmp(want, got, want_size) == 0) {
            return true;
        }
    }
    return false;
}

/* Claim: under BC_SYNC_NONE gets see every put at once; a process crash (every byte handed to
 * the OS survives) loses at most BC_APPEND_BUFFER_BYTES of the newest puts, as bitcask.h says;
 * and after bc_sync a machine crash (unsynced bytes lost) loses none. */
static void
test_d_sync_none_loses_at_most_the_append_buffer(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    struct model m;
    model_init(&m, MODEL_KEYS_MAX);
    static uint64_t end_bytes[BUFFER_ROUNDS][MODEL_KEYS_MAX]; /* where each put's record ends */
    uint64_t log_bytes = 0;
    for (uint32_t round = 0; round < BUFFER_ROUNDS; round++) {
        for (unsigned k = 0; k < MODEL_KEYS_MAX; k++) {
            char key[16], value[VALUE_SIZE_BYTES_MAX];
            log_bytes += 20 + key_of(k, key) + value_of(k, round, value);
            end_bytes[round][k] = log_bytes;
            assert_status(model_put(db, &m, k, round), BC_OK);
        }
    }
    model_check(db, &m, "under sync none, before any sync");
    struct kh_faultfs *image = kh_faultfs_crash_image(t.fs, UINT64_MAX);
    assert_non_null(image);
    struct test_fs crashed = {.fs = image};
    struct bc_io crashed_io; /* db borrows io until it closes */
    struct bc_db *db2 = tfs_open_db(&crashed, &crashed_io, BC_SYNC_NONE, 0);
    for (unsigned k = 0; k < MODEL_KEYS_MAX; k++) {
        int64_t must = -1; /* the newest version followed by a full buffer of later puts */
        for (uint32_t round = 0; round < BUFFER_ROUNDS; round++) {
            must = end_bytes[round][k] + BC_APPEND_BUFFER_BYTES <= log_bytes ? round : must;
        }
        if (!image_holds(db2, k, must, BUFFER_ROUNDS - 1)) {
            fail_msg("a process crash lost key %u's version %lld, which %u bytes of later puts "
                     "followed (at most BC_APPEND_BUFFER_BYTES may be lost)",
                     k, (long long)must, BC_APPEND_BUFFER_BYTES);
        }
    }
    bc_close(db2);
    kh_faultfs_destroy(image);
    assert_status(bc_sync(db), BC_OK);
    image = kh_faultfs_crash_image(t.fs, 0);
    crashed.fs = image;
    db2 = tfs_open_db(&crashed, &crashed_io, BC_SYNC_NONE, 0);
    model_check(db2, &m, "after bc_sync and a machine crash");
    bc_close(db2);
    kh_faultfs_destroy(image);
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

#define WRITERS 8
#define PUTS_PER_WRITER 40

struct writer_arg {
    struct bc_db *db;
    unsigned id;
    bc_status status;
};

static void *
writer_main(void *arg)
{
    struct writer_arg *w = arg;
    for (unsigned n = 0; n < PUTS_PER_WRITER && w->status == BC_OK; n++) {
        char key[32], value[32];
        int key_size = snprintf(key, sizeof(key), "w%u-%u", w->id, n);
        int value_size = snprintf(value, sizeof(value), "value %u of writer %u", n, w->id);
        w->status = bc_put(w->db, key, (size_t)key_size, value, (size_t)value_size);
    }
    return NULL;
}

/* Claim: concurrent writers under BC_SYNC_ALWAYS share fsyncs (group commit): with a 2 ms
 * fsync, 8 writers x 40 puts take well under one fsync per put, and every put is durable. */
static void
test_d_group_commit_shares_fsyncs(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    t.fsync_delay_us = 2000;
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_ALWAYS, 0);
    uint64_t fsyncs_before = 0;
    for (uint64_t i = 0; i < kh_faultfs_trace_count(t.fs); i++) {
        struct kh_faultfs_event ev;
        kh_faultfs_trace_get(t.fs, i, &ev);
        fsyncs_before += ev.op == KH_FAULTFS_OP_FSYNC;
    }
    struct writer_arg writers[WRITERS];
    pthread_t threads[WRITERS];
    for (unsigned w = 0; w < WRITERS; w++) {
        writers[w] = (struct writer_arg){.db = db, .id = w, .status = BC_OK};
        assert_int_equal(pthread_create(&threads[w], NULL, writer_main, &writers[w]), 0);
    }
    for (unsigned w = 0; w < WRITERS; w++) {
        pthread_join(threads[w], NULL);
        assert_status(writers[w].status, BC_OK);
    }
    struct kh_faultfs *image = kh_faultfs_crash_image(t.fs, 0);
    uint64_t fsyncs = 0;
    for (uint64_t i = 0; i < kh_faultfs_trace_count(t.fs); i++) {
        struct kh_faultfs_event ev;
        kh_faultfs_trace_get(t.fs, i, &ev);
        fsyncs += ev.op == KH_FAULTFS_OP_FSYNC;
    }
    fsyncs -= fsyncs_before;
    printf("group commit: %u puts, %llu fsyncs\n", WRITERS * PUTS_PER_WRITER,
           (unsigned long long)fsyncs);
    /* At most one fsync for every two puts: without group commit it is one per put (320). The
     * reference takes 40-55 on a quiet machine, but 80-120 when its writers share the CPUs
     * with other work, which a bound of a third (106) failed. */
    if (fsyncs > WRITERS * PUTS_PER_WRITER / 2) {
        fail_msg("%u puts by %u writers took %llu fsyncs: group commit should share them",
                 WRITERS * PUTS_PER_WRITER, WRITERS, (unsigned long long)fsyncs);
    }
    bc_close(db);
    kh_faultfs_destroy(t.fs);
    t.fs = image; /* everything acknowledged is in the image that lost all unsynced bytes */
    t.fsync_delay_us = 0;
    db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    struct bc_stats stats;
    bc_stats(db, &stats);
    assert_int_equal(stats.key_count, WRITERS * PUTS_PER_WRITER);
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* ---- Crash images with writers in flight ------------------------------------------------- */

#define INFLIGHT_WRITERS 6u
#define INFLIGHT_KEYS_PER_WRITER 4u
#define INFLIGHT_KEYS (INFLIGHT_WRITERS * INFLIGHT_KEYS_PER_WRITER)
#define INFLIGHT_PUTS_PER_WRITER 24u
#define INFLIGHT_VERSIONS (INFLIGHT_PUTS_PER_WRITER / INFLIGHT_KEYS_PER_WRITER + 1u) /* and 0 */
#define INFLIGHT_FILE_BYTES 2048u      /* rotations while the writers run */
#define INFLIGHT_THINK_US_MAX 1500u    /* a writer's pause before each put: they come and go */
#define INFLIGHT_FSYNC_AFTER_US 1000u  /* an fsync returns this long after it took effect */
#define INFLIGHT_POINTS_MIN 100u       /* fewer crash points: inconclusive */
#define INFLIGHT_SHARED_POINTS_MIN 30u /* points with two writers' records unsynced, at least */
#define INFLIGHT_NEVER UINT64_MAX

/* The store's io for the writers: faultfs, with a crash image taken before every call that
 * changes the disk (a crash point), and checked at once against what the writers had been told
 * by then. A put is judged by crash point index: started[k][v] is the number of points taken
 * when key k's version v was handed to bc_put, acked[k][v] when its BC_OK was seen. So an image
 * of point p must hold, for each key, a version at least the newest acked at or before p (one
 * acknowledged later may have been durable already: lenient, never wrong), and at most the
 * newest started at or before p; whatever order the threads ran in. */
struct inflight {
    struct test_fs t; /* first: the io's other calls take ctx for a struct test_fs */
    struct bc_io io;  /* the store's: t's, with a crash point before each call that writes */
    /* Orders the calls that change the disk, the images taken before them and the writers'
     * records of their puts. Not held across an fsync's delay, so writers append meanwhile. */
    pthread_mutex_t mutex;
    bool is_recording;
    uint64_t points;        /* crash points taken (calls that changed the disk, while recording) */
    uint64_t shared_points; /* points with two or more records unsynced */
    uint64_t torn;          /* images with a write torn */
    uint64_t images;        /* images opened and checked */
    uint64_t started[INFLIGHT_KEYS][INFLIGHT_VERSIONS];
    uint64_t acked[INFLIGHT_KEYS][INFLIGHT_VERSIONS];
    bool has_failed;
    char failure[4096]; /* the first image that failed, reported by the main thread */
};

/* The newest version whose crash point index in when is at most point (version 0's always is). */
static uint32_t
inflight_newest(const uint64_t when[INFLIGHT_VERSIONS], uint64_t point)
{
    uint32_t newest = 0;
    for (uint32_t v = 0; v < INFLIGHT_VERSIONS; v++) {
        newest = when[v] <= point ? v : newest;
    }
    return newest;
}

/* Opens image, a crash at point f->points keeping keep of ends unsynced bytes, and checks every
 * key against the writers' records; on a mismatch notes the first failure in f (this runs on a
 * writer's thread: no cmocka call). f->mutex held. */
static void
inflight_check_image(struct inflight *f, struct kh_faultfs *image, uint64_t keep, uint64_t ends)
{
    struct test_fs t;
    struct bc_io io;
    struct bc_options o;
    tfs_on_image(&t, image, &io, &o);
    struct bc_db *db = NULL;
    char error[BC_ERROR_MAX] = "", what[512] = "";
    bc_status st = bc_open(TEST_DIR, &o, &db, error);
    if (st != BC_OK) {
        snprintf(what, sizeof(what), "bc_open says %s (%s)", status_name(st), error);
    }
    for (unsigned k = 0; st == BC_OK && k < INFLIGHT_KEYS && what[0] == '\0'; k++) {
        uint32_t lo = inflight_newest(f->acked[k], f->points);
        uint32_t hi = inflight_newest(f->started[k], f->points);
        char key[16], got[VALUE_SIZE_BYTES_MAX], want[VALUE_SIZE_BYTES_MAX];
        size_t got_size = 0;
        bc_status got_st = bc_get(db, key, key_of(k, key), got, sizeof(got), &got_size);
        bool is_ok = false;
        for (uint32_t v = lo; v <= hi && got_st == BC_OK && !is_ok; v++) {
            size_t want_size = value_of(k, v, want);
            is_ok = want_size == got_size && memcmp(want, got, want_size) == 0;
        }
        if (!is_ok) {
            snprintf(what, sizeof(what),
                     "%s reads %s (%zu bytes), which is none of versions %u (acknowledged before "
                     "this point) to %u (the newest handed to bc_put)",
                     key, status_name(got_st), got_st == BC_OK ? got_size : 0, lo, hi);
        }
    }
    if (db != NULL && st == BC_OK) {
        bc_close(db);
    }
    if (what[0] != '\0' && !f->has_failed) {
        uint64_t call = kh_faultfs_trace_count(f->t.fs);
        char trace[2048];
        kh_faultfs_trace_print(f->t.fs, call > 7 ? call - 7 : 0, 8, trace, sizeof(trace));
        snprintf(f->failure, sizeof(f->failure),
                 "%u writers under sync always, a crash before call %llu (crash point %llu) "
                 "keeping %llu of %llu unsynced bytes: %s; the calls before the crash:\n%s",
                 INFLIGHT_WRITERS, (unsigned long long)call, (unsigned long long)f->points,
                 (unsigned long long)(keep < ends ? keep : ends), (unsigned long long)ends, what,
                 trace);
        f->has_failed = true;
    }
}

/* Before a call that changes the disk: the images a crash now leaves (unsynced bytes all lost,
 * all kept, the older half of the unsynced writes kept, the newest write torn in half), each
 * checked. f->mutex held. */
static void
inflight_point(struct inflight *f)
{
    if (!f->is_recording || f->has_failed) {
        return;
    }
    uint64_t ends[64];
    size_t end_count = kh_faultfs_pending_ends(f->t.fs, ends, 64);
    uint64_t all = end_count > 0 ? ends[end_count - 1] : 0;
    uint64_t keeps[4] = {0, UINT64_MAX};
    size_t keep_count = 2;
    if (end_count >= 2) {
        keeps[keep_count++] = ends[end_count / 2 - 1];
    }
    if (end_count >= 1) {
        uint64_t start = end_count >= 2 ? ends[end_count - 2] : 0;
        if (all - start >= 2) {
            keeps[keep_count++] = start + (all - start) / 2;
            f->torn++;
        }
    }
    for (size_t i = 0; i < keep_count; i++) {
        struct kh_faultfs *image = kh_faultfs_crash_image(f->t.fs, keeps[i]);
        if (image == NULL) {
            snprintf(f->failure, sizeof(f->failure), "kh_faultfs_crash_image: out of memory");
            f->has_failed = true;
            return;
        }
        inflight_check_image(f, image, keeps[i], all);
        kh_faultfs_destroy(image);
        f->images++;
    }
    f->shared_points += end_count >= 2;
    f->points++;
}

static int
inflight_open(void *ctx, const char *path, int flags)
{
    struct inflight *f = ctx;
    pthread_mutex_lock(&f->mutex);
    if (flags & O_CREAT) {
        inflight_point(f);
    }
    int rc = tfs_open(&f->t, path, flags);
    pthread_mutex_unlock(&f->mutex);
    return rc;
}

static ssize_t
inflight_pwrite(void *ctx, int fd, const void *buf, size_t size, uint64_t offset)
{
    struct inflight *f = ctx;
    pthread_mutex_lock(&f->mutex);
    inflight_point(f);
    ssize_t rc = tfs_pwrite(&f->t, fd, buf, size, offset);
    pthread_mutex_unlock(&f->mutex);
    return rc;
}

/* The fsync takes effect at once and returns INFLIGHT_FSYNC_AFTER_US later: a record appended
 * meanwhile is not covered by it, and a store that takes it to be has acknowledged too early. */
static int
inflight_fsync(void *ctx, int fd)
{
    struct inflight *f = ctx;
    pthread_mutex_lock(&f->mutex);
    inflight_point(f);
    int rc = tfs_fsync(&f->t, fd);
    pthread_mutex_unlock(&f->mutex);
    usleep(INFLIGHT_FSYNC_AFTER_US);
    return rc;
}

static int
inflight_ftruncate(void *ctx, int fd, uint64_t size)
{
    struct inflight *f = ctx;
    pthread_mutex_lock(&f->mutex);
    inflight_point(f);
    int rc = tfs_ftruncate(&f->t, fd, size);
    pthread_mutex_unlock(&f->mutex);
    return rc;
}

static int
inflight_rename(void *ctx, const char *from, const char *to)
{
    struct inflight *f = ctx;
    pthread_mutex_lock(&f->mutex);
    inflight_point(f);
    int rc = tfs_rename(&f->t, from, to);
    pthread_mutex_unlock(&f->mutex);
    return rc;
}

static int
inflight_unlink(void *ctx, const char *path)
{
    struct inflight *f = ctx;
    pthread_mutex_lock(&f->mutex);
    inflight_point(f);
    int rc = tfs_unlink(&f->t, path);
    pthread_mutex_unlock(&f->mutex);
    return rc;
}

struct inflight_writer {
    struct inflight *f;
    struct bc_db *db;
    unsigned id;
    uint64_t seed;
    bc_status status;
};

/* Puts versions 1, 2, ... of the writer's own keys in turn, pausing a seeded while before each,
 * and records when each put started and when it was acknowledged, in crash points. */
static void *
inflight_writer_main(void *arg)
{
    struct inflight_writer *w = arg;
    struct kh_rng rng;
    kh_rng_seed(&rng, w->seed);
    for (unsigned n = 0; n < INFLIGHT_PUTS_PER_WRITER && w->status == BC_OK; n++) {
        unsigned k = w->id * INFLIGHT_KEYS_PER_WRITER + n % INFLIGHT_KEYS_PER_WRITER;
        uint32_t v = n / INFLIGHT_KEYS_PER_WRITER + 1;
        usleep((useconds_t)kh_rng_below(&rng, INFLIGHT_THINK_US_MAX));
        char key[16], value[VALUE_SIZE_BYTES_MAX];
        size_t key_size = key_of(k, key), value_size = value_of(k, v, value);
        pthread_mutex_lock(&w->f->mutex);
        w->f->started[k][v] = w->f->points;
        pthread_mutex_unlock(&w->f->mutex);
        w->status = bc_put(w->db, key, key_size, value, value_size);
        if (w->status == BC_OK) {
            pthread_mutex_lock(&w->f->mutex);
            w->f->acked[k][v] = w->f->points;
            pthread_mutex_unlock(&w->f->mutex);
        }
    }
    return NULL;
}

/* Opens a new store on f's io under sync always, with version 0 of every key acknowledged
 * before the crash points start. */
static struct bc_db *
inflight_open_store(struct inflight *f)
{
    tfs_init(&f->t);
    pthread_mutex_init(&f->mutex, NULL);
    for (unsigned k = 0; k < INFLIGHT_KEYS; k++) {
        for (uint32_t v = 0; v < INFLIGHT_VERSIONS; v++) {
            f->started[k][v] = f->acked[k][v] = v == 0 ? 0 : INFLIGHT_NEVER;
        }
    }
    tfs_io(&f->t, &f->io);
    f->io.open = inflight_open;
    f->io.pwrite = inflight_pwrite;
    f->io.fsync = inflight_fsync;
    f->io.ftruncate = inflight_ftruncate;
    f->io.rename = inflight_rename;
    f->io.unlink = inflight_unlink;
    f->io.ctx = f;
    struct bc_options o;
    bc_options_default(&o);
    o.io = &f->io;
    o.sync = BC_SYNC_ALWAYS;
    o.file_size_bytes_max = INFLIGHT_FILE_BYTES;
    struct bc_db *db = NULL;
    assert_status(bc_open(TEST_DIR, &o, &db, NULL), BC_OK);
    for (unsigned k = 0; k < INFLIGHT_KEYS; k++) {
        char key[16], value[VALUE_SIZE_BYTES_MAX];
        assert_status(bc_put(db, key, key_of(k, key), value, value_of(k, 0, value)), BC_OK);
    }
    return db;
}

/* Claim: under BC_SYNC_ALWAYS with several writers in flight (group commit), a crash at any
 * call while other writers' records are unsynced (losing those bytes, keeping them, or tearing
 * one) keeps every put that had returned BC_OK, and each key reads its old or its new value,
 * never a torn or mixed one. Six writers with seeded pauses, each fsync returning 1 ms after it
 * took effect; an image is taken before every call that changes the disk and checked against
 * the puts acknowledged before that call, whatever order the threads ran in. */
static void
test_d_crash_with_writers_in_flight_keeps_acknowledged_puts(void **state)
{
    (void)state;
    uint64_t seed = kh_test_seed();
    struct inflight *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    struct bc_db *db = inflight_open_store(f);
    pthread_mutex_lock(&f->mutex);
    f->is_recording = true;
    pthread_mutex_unlock(&f->mutex);
    struct inflight_writer writers[INFLIGHT_WRITERS];
    pthread_t threads[INFLIGHT_WRITERS];
    for (unsigned w = 0; w < INFLIGHT_WRITERS; w++) {
        writers[w] = (struct inflight_writer){
            .f = f, .db = db, .id = w, .seed = seed * INFLIGHT_WRITERS + w, .status = BC_OK};
        assert_int_equal(pthread_create(&threads[w], NULL, inflight_writer_main, &writers[w]), 0);
    }
    for (unsigned w = 0; w < INFLIGHT_WRITERS; w++) {
        pthread_join(threads[w], NULL);
    }
    pthread_mutex_lock(&f->mutex);
    f->is_recording = false;
    pthread_mutex_unlock(&f->mutex);
    assert_status(bc_close(db), BC_OK);
    printf("test_d_crash_with_writers_in_flight_keeps_acknowledged_puts: %u writers x %u puts, "
           "%llu crash points (%llu with two or more records unsynced), %llu torn writes, %llu "
           "images checked (seed %llu)\n",
           INFLIGHT_WRITERS, INFLIGHT_PUTS_PER_WRITER, (unsigned long long)f->points,
           (unsigned long long)f->shared_points, (unsigned long long)f->torn,
           (unsigned long long)f->images, (unsigned long long)seed);
    if (f->has_failed) {
        fail_msg("%s", f->failure);
    }
    for (unsigned w = 0; w < INFLIGHT_WRITERS; w++) {
        if (writers[w].status != BC_OK) {
            fail_msg("writer %u: bc_put returned %s on a healthy disk", w,
                     status_name(writers[w].status));
        }
    }
    if (f->points < INFLIGHT_POINTS_MIN || f->shared_points < INFLIGHT_SHARED_POINTS_MIN) {
        fail_msg("inconclusive: %llu crash points, %llu of them with two or more records "
                 "unsynced; the test needs %u and %u (do the puts reach the io?)",
                 (unsigned long long)f->points, (unsigned long long)f->shared_points,
                 INFLIGHT_POINTS_MIN, INFLIGHT_SHARED_POINTS_MIN);
    }
    pthread_mutex_destroy(&f->mutex);
    kh_faultfs_destroy(f->t.fs);
    free(f);
}

/* Fsyncs (of files and of directories) in the trace of t's fs so far. */
static uint64_t
traced_fsyncs(struct test_fs *t)
{
    uint64_t count = 0;
    for (uint64_t i = 0; i < kh_faultfs_trace_count(t->fs); i++) {
        struct kh_faultfs_event ev;
        assert_int_equal(kh_faultfs_trace_get(t->fs, i, &ev), 0);
        count += ev.op == KH_FAULTFS_OP_FSYNC || ev.op == KH_FAULTFS_OP_FSYNC_DIR;
    }
    return count;
}

struct data_files {
    char names[64][KH_FAULTFS_PATH_MAX];
    size_t count;
};

static int
data_file_cb(const char *name, void *arg)
{
    struct data_files *d = arg;
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".data") == 0 && d->count < 64) {
        snprintf(d->names[d->count++], KH_FAULTFS_PATH_MAX, "%s/%s", TEST_DIR, name);
    }
    return 0;
}

/* Fails unless stats counts m's live keys, the data files in TEST_DIR and their bytes, and the
 * bytes of the live keys' records. */
static void
stats_check(struct test_fs *t, struct bc_db *db, const struct model *m, const char *when)
{
    struct bc_stats s;
    bc_stats(db, &s);
    uint64_t key_count = 0, live_bytes = 0, disk_bytes = 0;
    for (unsigned i = 0; i < m->key_count; i++) {
        char key[16], value[VALUE_SIZE_BYTES_MAX];
        if (m->ver[i] >= 0) {
            key_count++;
            live_bytes += bc_record_size(key_of(i, key), value_of(i, (uint32_t)m->ver[i], value));
        }
    }
    struct data_files *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    assert_int_equal(kh_faultfs_list(t->fs, TEST_DIR, data_file_cb, d), 0);
    for (size_t i = 0; i < d->count; i++) {
        disk_bytes += (uint64_t)kh_faultfs_file_size(t->fs, d->names[i]);
    }
    if (s.key_count != key_count || s.file_count != d->count || s.disk_bytes != disk_bytes ||
        s.live_bytes != live_bytes) {
        fail_msg("%s: bc_stats says %llu keys, %llu files, %llu disk bytes, %llu live bytes; the "
                 "store holds %llu keys, %zu data files of %llu bytes, and its live records take "
                 "%llu bytes",
                 when, (unsigned long long)s.key_count, (unsigned long long)s.file_count,
                 (unsigned long long)s.disk_bytes, (unsigned long long)s.live_bytes,
                 (unsigned long long)key_count, d->count, (unsigned long long)disk_bytes,
                 (unsigned long long)live_bytes);
    }
    free(d);
}

/* Claim: bc_stats counts what is there: the live keys, the data files and their bytes, the
 * bytes of the live records, the merges that succeeded, and fsyncs: under sync always, at least
 * one an acknowledged put or delete (each one was made durable on its own here: one writer),
 * and no more than the store made. With rotations at 1 KiB and a merge. */
static void
test_d_stats_count_keys_files_bytes_and_fsyncs(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_ALWAYS, 1024);
    struct bc_stats before, after;
    bc_stats(db, &before);
    uint64_t fsyncs_before = traced_fsyncs(&t);
    struct model m;
    model_init(&m, 30);
    stats_check(&t, db, &m, "a new store");
    uint64_t acked = 0;
    for (unsigned op = 0; op < 120; op++) {
        unsigned k = (op * 7) % 30;
        bc_status st =
            op % 5 == 4 && m.ver[k] >= 0 ? model_delete(db, &m, k) : model_put(db, &m, k, op);
        assert_status(st, BC_OK);
        acked++;
    }
    stats_check(&t, db, &m, "after 120 puts and deletes");
    bc_stats(db, &after);
    uint64_t counted = after.fsync_count - before.fsync_count;
    uint64_t made = traced_fsyncs(&t) - fsyncs_before;
    if (after.fsync_count < before.fsync_count || counted < acked || counted > made) {
        fail_msg("bc_stats counts %llu fsyncs (%llu before): %llu puts and deletes were "
                 "acknowledged under sync always, one at a time, and the store made %llu fsyncs",
                 (unsigned long long)after.fsync_count, (unsigned long long)before.fsync_count,
                 (unsigned long long)acked, (unsigned long long)made);
    }
    assert_int_equal(after.merge_count, 0);
    assert_status(bc_merge(db), BC_OK);
    stats_check(&t, db, &m, "after a merge");
    bc_stats(db, &after);
    assert_int_equal(after.merge_count, 1);
    assert_status(bc_close(db), BC_OK);
    kh_faultfs_destroy(t.fs);
}

/* Claim: under interval:MS a background thread syncs within about MS, with no call from us. */
static void
test_d_interval_policy_syncs_in_background(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_INTERVAL, 0); /* 10 ms */
    assert_status(bc_put(db, "k", 1, "v", 1), BC_OK);
    bool is_durable = false;
    for (int waited_ms = 0; waited_ms < 2000 && !is_durable; waited_ms += 5) {
        kh_clock_sleep_ms(5);
        struct kh_faultfs *image = kh_faultfs_crash_image(t.fs, 0);
        is_durable = kh_faultfs_file_size(image, TEST_DIR "/0000000001-00000.data") > 0;
        kh_faultfs_destroy(image);
    }
    assert_true(is_durable);
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Claim: a second open of a directory in use is BC_LOCKED (on the real file system, with
 * flock), and the directory opens again once the first handle closes. */
static void
test_d_lock_file_refuses_second_open(void **state)
{
    (void)state;
    char dir[] = "/tmp/keel-bitcask-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct bc_db *db = NULL, *second = NULL;
    assert_status(bc_open(dir, NULL, &db, NULL), BC_OK);
    assert_status(bc_put(db, "k", 1, "v", 1), BC_OK);
    char error[BC_ERROR_MAX] = "";
    assert_status(bc_open(dir, NULL, &second, error), BC_LOCKED);
    assert_non_null(strstr(error, "LOCK"));
    assert_status(bc_close(db), BC_OK);
    assert_status(bc_open(dir, NULL, &second, NULL), BC_OK);
    char buf[4];
    size_t size;
    assert_status(bc_get(second, "k", 1, buf, sizeof(buf), &size), BC_OK);
    bc_close(second);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Fills a store with keys 0..19 (sync always) and arms fault f. */
static struct bc_db *
store_with_fault(struct test_fs *t, struct bc_io *io, struct model *m,
                 const struct kh_faultfs_fault *f)
{
    tfs_init(t);
    struct bc_db *db = tfs_open_db(t, io, BC_SYNC_ALWAYS, 0);
    model_init(m, 20);
    for (unsigned i = 0; i < 20; i++) {
        assert_status(model_put(db, m, i, i), BC_OK);
    }
    assert_int_equal(kh_faultfs_inject(t->fs, f), 0);
    return db;
}

/* Claim: a failed append is BC_IO or BC_NO_SPACE with a message; the keydir keeps the old
 * value; later writes, bc_sync and bc_merge are BC_FAILED; reads go on; a reopen has everything
 * acknowledged. */
static void
test_d_write_errors_fail_the_handle_not_the_reads(void **state)
{
    (void)state;
    int errors[] = {EIO, ENOSPC};
    for (size_t e = 0; e < 2; e++) {
        struct test_fs t;
        struct bc_io io;
        struct model m;
        struct kh_faultfs_fault f = {.op = KH_FAULTFS_OP_PWRITE, .count = 1, .error = errors[e]};
        struct bc_db *db = store_with_fault(&t, &io, &m, &f);
        struct model attempted = m;
        bc_status st = model_put(db, &attempted, 3, 777);
        assert_status(st, errors[e] == EIO ? BC_IO : BC_NO_SPACE);
        char error[BC_ERROR_MAX];
        bc_last_error(db, error);
        assert_true(strlen(error) > 0);
        model_check(db, &m, "after a failed put (the old value must stay)");
        assert_status(model_put(db, &attempted, 4, 778), BC_FAILED);
        assert_status(model_delete(db, &attempted, 5), BC_FAILED);
        assert_status(bc_sync(db), BC_FAILED);
        assert_status(bc_merge(db), BC_FAILED);
        model_check(db, &m, "after writes on a failed handle");
        bc_close(db);
        db = tfs_open_db(&t, &io, BC_SYNC_ALWAYS, 0);
        model_check(db, &m, "after reopening");
        assert_status(model_put(db, &m, 3, 779), BC_OK);
        bc_close(db);
        kh_faultfs_destroy(t.fs);
    }
}

/* Claim: an fsync that fails under BC_SYNC_ALWAYS fails the put (BC_IO) and the handle, and
 * reads go on with that put in them, since only its fsync failed. */
static void
test_d_fsync_error_fails_the_put(void **state)
{
    (void)state;
    struct test_fs t;
    struct bc_io io;
    struct model m;
    struct kh_faultfs_fault f = {.op = KH_FAULTFS_OP_FSYNC, .count = 1, .error = EIO};
    struct bc_db *db = store_with_fault(&t, &io, &m, &f);
    struct model attempted = m;
    assert_status(model_put(db, &attempted, 3, 777), BC_IO);
    assert_status(model_put(db, &attempted, 4, 778), BC_FAILED);
    m.ver[3] = 777; /* only its fsync failed: reads see it (bitcask.h, bc_put) */
    model_check(db, &m, "after a put whose fsync failed");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* ---- Out of memory, injected ------------------------------------------------------------
 * kh_oom.h (included above) gives this binary its own allocator, which fails on demand on the
 * arming thread only; a sanitizer build injects nothing (KH_OOM_IS_INJECTABLE 0). */
#define OOM_KEYS_BEFORE 20u /* acknowledged before memory runs out */
/* New keys put with every allocation failing before the test gives up: the reference's keydir
 * grows at its 49th key, and a keydir that never allocates for a new key cannot fail. */
#define OOM_KEYS_MAX 2000u
#define OOM_VALUE_BYTES 100u /* every value the same size, so the put's buffers never grow */

#if KH_OOM_IS_INJECTABLE
/* Key i and its value (OOM_VALUE_BYTES), neither allocating. */
static size_t
oom_key_value(unsigned i, char key[16], char value[OOM_VALUE_BYTES])
{
    memset(value, 'a' + (int)(i % 26), OOM_VALUE_BYTES);
    memcpy(value, &i, sizeof(i));
    return (size_t)snprintf(key, 16, "oom%06u", i);
}

/* Fails unless keys [0, count) read back with their values. */
static void
oom_check(struct bc_db *db, unsigned count, const char *when)
{
    for (unsigned i = 0; i < count; i++) {
        char key[16], want[OOM_VALUE_BYTES], got[OOM_VALUE_BYTES];
        size_t key_size = oom_key_value(i, key, want), got_size = 0;
        bc_status st = bc_get(db, key, key_size, got, sizeof(got), &got_size);
        if (st != BC_OK || got_size != OOM_VALUE_BYTES || memcmp(got, want, got_size) != 0) {
            fail_msg("%s: acknowledged key %s did not read back (%s)", when, key, bc_strerror(st));
        }
    }
}
#endif

/* Claim: a put that runs out of memory is BC_NOMEM. If it had appended its record before the
 * keydir failed to take the key, the handle is failed as after a failed write: later writes are
 * BC_FAILED, reads go on, and a reopen has every acknowledged put (and may have this one).
 * Otherwise it wrote nothing: the handle goes on, and its key is not there after a reopen. On
 * the real file system (whose calls allocate nothing), under sync always. */
static void
test_d_out_of_memory_fails_the_handle_not_the_reads(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#else
    char dir[] = "/tmp/keel-bitcask-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct bc_options o;
    bc_options_default(&o);
    o.sync = BC_SYNC_ALWAYS;
    struct bc_db *db = NULL;
    bc_status st = bc_open(dir, &o, &db, NULL);
    if (st != BC_OK) {
        rmdir(dir); /* empty unless the store wrote in it */
        fail_msg("bc_open: %s", bc_strerror(st));
    }
    char key[16], value[OOM_VALUE_BYTES];
    unsigned i = 0;
    for (; i < OOM_KEYS_BEFORE; i++) {
        size_t key_size = oom_key_value(i, key, value);
        assert_status(bc_put(db, key, key_size, value, sizeof(value)), BC_OK);
    }
    kh_oom_arm_all(true); /* no cmocka call until disarmed: it allocates */
    for (; st == BC_OK && i < OOM_KEYS_MAX; i += st == BC_OK) {
        size_t key_size = oom_key_value(i, key, value);
        st = bc_put(db, key, key_size, value, sizeof(value));
    }
    kh_oom_arm_all(false);
    if (st == BC_OK) {
        printf("%u new keys took no memory: nothing to check\n", OOM_KEYS_MAX);
    } else {
        unsigned failed = i; /* keys [0, failed) are acknowledged */
        printf("out of memory at key %u\n", failed);
        assert_status(st, BC_NOMEM);
        oom_check(db, failed, "after a put ran out of memory");
        size_t key_size = oom_key_value(failed + 1, key, value);
        bc_status next = bc_put(db, key, key_size, value, sizeof(value));
        bool is_failed = next == BC_FAILED;
        if (is_failed) {
            char error[BC_ERROR_MAX];
            bc_last_error(db, error);
            assert_true(strlen(error) > 0);
            key_size = oom_key_value(0, key, value);
            assert_status(bc_delete(db, key, key_size), BC_FAILED);
            oom_check(db, failed, "after writes on the failed handle");
        } else {
            assert_status(next, BC_OK); /* oom_check below skips it */
        }
        bc_close(db);
        assert_status(bc_open(dir, &o, &db, NULL), BC_OK);
        oom_check(db, failed, "after a put ran out of memory and a reopen");
        key_size = oom_key_value(failed, key, value);
        size_t got_size = 0;
        if (!is_failed && bc_get(db, key, key_size, value, sizeof(value), &got_size) == BC_OK) {
            fail_msg("a put returned BC_NOMEM and the handle took more writes, yet its value is "
                     "there after a reopen: once the record is appended, a failed keydir insert "
                     "must fail the handle");
        }
    }
    bc_close(db);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
#endif
}

#if KH_OOM_IS_INJECTABLE
#define OOM_STEPS_MAX 400u /* allocations of one call failed in turn, at most */

static int
remove_entry_cb(const char *name, void *arg)
{
    char path[BC_PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/%s", (const char *)arg, name);
    return unlink(path) == 0 ? 0 : -errno;
}

/* Opens dir with allocation n of bc_open failing: BC_OK (*db open) or BC_NOMEM, else it fails
 * the test. *has_fired: whether bc_open got as far as allocation n. */
static bc_status
oom_open_nth(const char *dir, const struct bc_options *o, unsigned n, struct bc_db **db,
             bool *has_fired)
{
    kh_oom_arm(n);
    bc_status st = bc_open(dir, o, db, NULL);
    *has_fired = kh_oom_disarm();
    if (st != BC_OK && st != BC_NOMEM) {
        fail_msg("bc_open with its allocation %u failing returned %s: expected BC_OK or BC_NOMEM",
                 n, status_name(st));
    }
    return st;
}

/* Puts key k's version ver with allocation n of bc_put failing, and checks the outcome: BC_OK;
 * or BC_NOMEM with nothing written (the handle takes the next put, and k keeps its value); or
 * BC_NOMEM after the append (the next put is BC_FAILED: reopened, and k written again). Keeps m
 * up to date; returns whether bc_put got as far as allocation n. */
static bool
oom_put_nth(const char *dir, const struct bc_options *o, struct bc_db **db, struct model *m,
            unsigned k, uint32_t ver, unsigned n)
{
    char key[16], value[VALUE_SIZE_BYTES_MAX];
    size_t key_size = key_of(k, key), value_size = value_of(k, ver, value);
    kh_oom_arm(n);
    bc_status st = bc_put(*db, key, key_size, value, value_size);
    bool has_fired = kh_oom_disarm();
    if (st == BC_OK) {
        m->ver[k] = ver;
    } else if (st != BC_NOMEM) {
        fail_msg("bc_put with its allocation %u failing returned %s: expected BC_OK or BC_NOMEM", n,
                 status_name(st));
    } else if (model_put(*db, m, (k + 1) % m->key_count, ver) == BC_FAILED) {
        assert_status(bc_close(*db), BC_OK); /* failed after its append: the record may be there */
        assert_status(bc_open(dir, o, db, NULL), BC_OK);
        assert_status(model_put(*db, m, k, ver), BC_OK);
    }
    return has_fired;
}

#endif

/* Claim: whichever allocation of bc_open fails (one at a time, as a malloc that fails once),
 * it opens the store or returns BC_NOMEM, and a store it opened works: a new, empty one and one
 * with hint files. Whichever allocation of a put fails, the put is BC_OK or BC_NOMEM, as
 * bitcask.h says: BC_NOMEM with nothing written leaves the handle writable, BC_NOMEM after the
 * append fails it; a reopen has every acknowledged put (sync always, so that no buffer of
 * appends hides the record). On the real file system (its calls allocate nothing), with files
 * rotated at 4 KiB. */
static void
test_d_out_of_memory_at_each_allocation_of_open_and_put(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#else
    char dir[] = "/tmp/keel-bitcask-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct bc_options o;
    bc_options_default(&o);
    o.file_size_bytes_max = 4096;
    struct bc_db *db = NULL;
    bool has_fired = true;
    for (unsigned n = 0; has_fired && n < OOM_STEPS_MAX; n++) {
        /* a new store each time: one that opened (its failed allocation did no harm) has made
         * its first data file, and a later open would not come to the code that makes it */
        assert_int_equal(bc_io_posix.list(NULL, dir, remove_entry_cb, dir), 0);
        if (oom_open_nth(dir, &o, n, &db, &has_fired) == BC_OK) {
            char buf[16];
            size_t size = 0;
            bc_status st = bc_get(db, "k", 1, buf, sizeof(buf), &size);
            if (st != BC_NOT_FOUND) {
                fail_msg("a new store opened with its allocation %u failing: bc_get of a key "
                         "never put is %s, expected BC_NOT_FOUND",
                         n, status_name(st));
            }
            assert_status(bc_close(db), BC_OK);
        }
    }
    struct model m;
    model_init(&m, 100);
    assert_status(bc_open(dir, &o, &db, NULL), BC_OK);
    for (unsigned i = 0; i < 100; i++) {
        assert_status(model_put(db, &m, i, i), BC_OK);
    }
    assert_status(bc_merge(db), BC_OK);
    for (unsigned i = 0; i < 100; i += 5) {
        assert_status(model_put(db, &m, i, 1000 + i), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    has_fired = true;
    for (unsigned n = 0; has_fired && n < OOM_STEPS_MAX; n++) {
        if (oom_open_nth(dir, &o, n, &db, &has_fired) == BC_OK) {
            model_check(db, &m, "opened from hint files with one allocation failing");
            assert_status(bc_close(db), BC_OK);
        }
    }
    o.sync = BC_SYNC_ALWAYS; /* a record is encoded in the store's own buffer, not appended */
    assert_status(bc_open(dir, &o, &db, NULL), BC_OK); /* nothing read or written yet */
    has_fired = true;
    for (unsigned n = 0; has_fired && n < OOM_STEPS_MAX; n++) {
        has_fired = oom_put_nth(dir, &o, &db, &m, n % 100, 2000 + n, n);
        model_check(db, &m, "after a put with one allocation failing");
    }
    assert_status(bc_close(db), BC_OK);
    assert_status(bc_open(dir, &o, &db, NULL), BC_OK);
    model_check(db, &m, "reopened after puts with one allocation failing");
    bc_close(db);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
#endif
}

/* Claim: a short write (the kernel wrote part of the buffer) is finished, not mistaken for an
 * error and not left half-written. */
static void
test_d_short_write_is_completed(void **state)
{
    (void)state;
    struct test_fs t;
    struct bc_io io;
    struct model m;
    struct kh_faultfs_fault f = {.op = KH_FAULTFS_OP_PWRITE, .count = 3, .short_bytes = 5};
    struct bc_db *db = store_with_fault(&t, &io, &m, &f);
    for (unsigned i = 0; i < 20; i++) {
        assert_status(model_put(db, &m, i, 500 + i), BC_OK);
    }
    model_check(db, &m, "after short writes");
    bc_close(db);
    db = tfs_open_db(&t, &io, BC_SYNC_ALWAYS, 0);
    model_check(db, &m, "after short writes and a reopen");
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_sync_policy_parse),
        cmocka_unit_test(test_d_crash_at_every_point_keeps_acknowledged_writes),
        cmocka_unit_test(test_d_sync_none_loses_at_most_the_append_buffer),
        cmocka_unit_test(test_d_group_commit_shares_fsyncs),
        cmocka_unit_test(test_d_crash_with_writers_in_flight_keeps_acknowledged_puts),
        cmocka_unit_test(test_d_stats_count_keys_files_bytes_and_fsyncs),
        cmocka_unit_test(test_d_interval_policy_syncs_in_background),
        cmocka_unit_test(test_d_lock_file_refuses_second_open),
        cmocka_unit_test(test_d_write_errors_fail_the_handle_not_the_reads),
        cmocka_unit_test(test_d_fsync_error_fails_the_put),
        cmocka_unit_test(test_d_out_of_memory_fails_the_handle_not_the_reads),
        cmocka_unit_test(test_d_out_of_memory_at_each_allocation_of_open_and_put),
        cmocka_unit_test(test_d_short_write_is_completed),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
