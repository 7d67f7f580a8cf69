/* crash.h -- the crash-test driver. A workload (seeded puts, deletes, merges and syncs on
 * faultfs) runs once to record its I/O trace; then, for every call in the trace, it runs again
 * with the machine dying at that call, and the store is reopened on crash images: unsynced
 * bytes lost, kept whole, and torn inside each unsynced write. Each image must open, and every
 * key must read as a state it could legally have: its value as of the last durable point, or
 * the result of an operation issued after it. Never a corrupt value, never a deleted key back
 * from before the last durable point. */
#ifndef KEEL_BC_CRASH_H
#define KEEL_BC_CRASH_H

#include "bc_test.h"

#define CRASH_KEYS 12u
#define CRASH_ALLOWED_MAX 64u
#define CRASH_TORN_PER_POINT_MAX 8u /* unsynced writes torn per crash point */
#define CRASH_CUTS_PER_WRITE 3u     /* each torn at 1/4, 1/2 and 3/4 of its bytes */

struct crash_config {
    bc_sync_policy sync;
    uint64_t file_size_max; /* small, so the workload rotates */
    unsigned op_count;
    unsigned merge_per_mille; /* chance of a merge per op */
    unsigned sync_per_mille;  /* chance of bc_sync per op */
    uint64_t points_min;      /* fewer crash points exercised than this: inconclusive */
    uint64_t torn_min;        /* likewise for torn prefixes */
};

/* How much one exploration exercised. */
struct crash_counts {
    uint64_t points; /* crash points: calls of the trace the machine died at */
    uint64_t torn;   /* torn prefixes: images cut inside an unsynced write */
    uint64_t images; /* crash images opened and checked */
};

/* The three crash tests' workloads, shared with bench_crash's sweep over many seeds. A store
 * that buffers appends (sync none) makes fewer, larger writes, so each write is torn at
 * CRASH_CUTS_PER_WRITE places, and the minimums hold for a store that buffers and one that
 * does not. */
static const struct crash_config crash_config_b_torn = {.sync = BC_SYNC_NONE,
                                                        .file_size_max = 1500,
                                                        .op_count = 400,
                                                        .merge_per_mille = 15,
                                                        .sync_per_mille = 150,
                                                        .points_min = 150,
                                                        .torn_min = 150};
static const struct crash_config crash_config_c_merge = {.sync = BC_SYNC_ALWAYS,
                                                         .file_size_max = 1200,
                                                         .op_count = 100,
                                                         .merge_per_mille = 100,
                                                         .sync_per_mille = 0,
                                                         .points_min = 250,
                                                         .torn_min = 20};
static const struct crash_config crash_config_d_always = {.sync = BC_SYNC_ALWAYS,
                                                          .file_size_max = 2000,
                                                          .op_count = 150,
                                                          .merge_per_mille = 20,
                                                          .sync_per_mille = 0,
                                                          .points_min = 250,
                                                          .torn_min = 30};

/* For each key, the versions (-1: absent) a crash may leave it in. */
struct crash_allowed {
    int64_t ver[CRASH_KEYS][CRASH_ALLOWED_MAX];
    unsigned count[CRASH_KEYS];
    struct model now;
};

static void
allowed_reset(struct crash_allowed *a)
{
    for (unsigned k = 0; k < CRASH_KEYS; k++) {
        a->ver[k][0] = a->now.ver[k];
        a->count[k] = 1;
    }
}

static void
allowed_add(struct crash_allowed *a, unsigned k, int64_t ver)
{
    if (a->count[k] < CRASH_ALLOWED_MAX) {
        a->ver[k][a->count[k]++] = ver;
    }
}

/* Runs the workload on t until it ends or a call fails; fills *a. */
static void
crash_workload(struct test_fs *t, const struct crash_config *c, uint64_t seed,
               struct crash_allowed *a)
{
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    model_init(&a->now, CRASH_KEYS);
    allowed_reset(a);
    struct bc_io io;
    tfs_io(t, &io);
    struct bc_options o;
    bc_options_default(&o);
    o.io = &io;
    o.sync = c->sync;
    o.file_size_bytes_max = c->file_size_max;
    struct bc_db *db = NULL;
    if (bc_open(TEST_DIR, &o, &db, NULL) != BC_OK) {
        return;
    }
    bc_status st = BC_OK;
    for (unsigned op = 0; op < c->op_count && st == BC_OK; op++) {
        unsigned k = (unsigned)kh_rng_below(&rng, CRASH_KEYS);
        unsigned roll = (unsigned)kh_rng_below(&rng, 1000);
        if (roll < c->merge_per_mille) {
            st = bc_merge(db);
        } else if (roll < c->merge_per_mille + c->sync_per_mille) {
            st = bc_sync(db);
            if (st == BC_OK) {
                allowed_reset(a);
            }
        } else if (roll < 800 || a->now.ver[k] < 0) {
            allowed_add(a, k, op);
            st = model_put(db, &a->now, k, op);
        } else {
            allowed_add(a, k, -1);
            st = model_delete(db, &a->now, k);
        }
        if (st == BC_OK && c->sync == BC_SYNC_ALWAYS) {
            allowed_reset(a); /* acknowledged: durable, with everything before it */
        }
    }
    bc_close(db);
}

/* Opens the image and checks every key against a. Fails the test with the crash context. */
static void
crash_check_image(struct kh_faultfs *image, const struct crash_allowed *a, uint64_t point,
                  uint64_t keep, struct kh_faultfs *crashed)
{
    struct test_fs t;
    struct bc_io io;
    struct bc_options o;
    tfs_on_image(&t, image, &io, &o);
    struct bc_db *db = NULL;
    char error[BC_ERROR_MAX] = "";
    char trace[2048];
    kh_faultfs_trace_print(crashed, point > 6 ? point - 6 : 0, 8, trace, sizeof(trace));
    bc_status st = bc_open(TEST_DIR, &o, &db, error);
    if (st != BC_OK) {
        fail_msg("crash at call %llu, keeping %llu unsynced bytes: bc_open says %s (%s); the "
                 "calls before the crash:\n%s",
                 (unsigned long long)point, (unsigned long long)keep, bc_strerror(st), error,
                 trace);
    }
    for (unsigned k = 0; k < CRASH_KEYS; k++) {
        char key[16], got[VALUE_SIZE_BYTES_MAX], want[VALUE_SIZE_BYTES_MAX];
        size_t key_size = key_of(k, key), got_size = 0;
        st = bc_get(db, key, key_size, got, sizeof(got), &got_size);
        bool is_ok = false;
        for (unsigned i = 0; i < a->count[k] && !is_ok; i++) {
            int64_t ver = a->ver[k][i];
            if (ver < 0) {
                is_ok = st == BC_NOT_FOUND;
            } else if (st == BC_OK) {
                size_t want_size = value_of(k, (uint32_t)ver, want);
                is_ok = want_size == got_size && memcmp(want, got, want_size) == 0;
            }
        }
        if (!is_ok) {
            fail_msg("crash at call %llu, keeping %llu unsynced bytes: %s reads %s (%zu bytes), "
                     "which no acknowledged history allows (durable version %lld); the calls "
                     "before the crash:\n%s",
                     (unsigned long long)point, (unsigned long long)keep, key, bc_strerror(st),
                     got_size, (long long)a->ver[k][0], trace);
        }
    }
    bc_close(db);
}

/* The keep_bytes of the crash images worth checking on fs, which has crashed (or would now):
 * 0 (every unsynced byte lost), UINT64_MAX (all kept), and, in the file with the most unsynced
 * writes, the end of up to CRASH_TORN_PER_POINT_MAX of them, newest first, with cuts inside
 * each (torn writes), which it adds to *torn. Returns how many it wrote to keeps. */
#define CRASH_KEEPS_MAX (2 + (1 + CRASH_CUTS_PER_WRITE) * CRASH_TORN_PER_POINT_MAX)

static TEST_UNUSED size_t
crash_keeps(struct kh_faultfs *fs, uint64_t keeps[CRASH_KEEPS_MAX], uint64_t *torn)
{
    uint64_t ends[64];
    size_t end_count = kh_faultfs_pending_ends(fs, ends, 64);
    size_t keep_count = 0;
    keeps[keep_count++] = 0;
    keeps[keep_count++] = UINT64_MAX;
    size_t step = end_count / CRASH_TORN_PER_POINT_MAX + 1;
    for (size_t i = end_count;
         i-- > 0 && keep_count + 1 + CRASH_CUTS_PER_WRITE <= CRASH_KEEPS_MAX;) {
        if ((end_count - 1 - i) % step == 0) {
            keeps[keep_count++] = ends[i];
            uint64_t start = i == 0 ? 0 : ends[i - 1], size = ends[i] - start;
            for (uint64_t cut = 1; cut <= CRASH_CUTS_PER_WRITE; cut++) {
                uint64_t at = size * cut / (CRASH_CUTS_PER_WRITE + 1); /* inside write i */
                bool is_new =
                    at > 0 && (cut == 1 || at > size * (cut - 1) / (CRASH_CUTS_PER_WRITE + 1));
                if (is_new) {
                    keeps[keep_count++] = start + at;
                    (*torn)++;
                }
            }
        }
    }
    assert_true(keep_count <= CRASH_KEEPS_MAX);
    return keep_count;
}

/* Crashes the workload at every traced call, checks each image; returns what it exercised. */
static TEST_UNUSED struct crash_counts
crash_explore(const struct crash_config *c, uint64_t seed, const char *name)
{
    struct test_fs t;
    tfs_init(&t);
    assert_int_equal(kh_faultfs_mkdir(t.fs, TEST_DIR), 0);
    struct crash_allowed *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    crash_workload(&t, c, seed, a);
    uint64_t trace_count = kh_faultfs_trace_count(t.fs);
    kh_faultfs_destroy(t.fs);
    uint64_t points = 0, torn = 0, images = 0;
    for (uint64_t point = 0; point <= trace_count; point++) {
        tfs_init(&t);
        assert_int_equal(kh_faultfs_mkdir(t.fs, TEST_DIR), 0);
        kh_faultfs_crash_at(t.fs, point);
        crash_workload(&t, c, seed, a);
        uint64_t keeps[CRASH_KEEPS_MAX];
        size_t keep_count = crash_keeps(t.fs, keeps, &torn);
        for (size_t i = 0; i < keep_count; i++) {
            struct kh_faultfs *image = kh_faultfs_crash_image(t.fs, keeps[i]);
            assert_non_null(image);
            crash_check_image(image, a, point, keeps[i], t.fs);
            kh_faultfs_destroy(image);
            images++;
        }
        kh_faultfs_destroy(t.fs);
        points++;
    }
    free(a);
    struct crash_counts counts = {.points = points, .torn = torn, .images = images};
    printf("%s: %llu crash points, %llu torn prefixes, %llu images checked (seed %llu)\n", name,
           (unsigned long long)points, (unsigned long long)torn, (unsigned long long)images,
           (unsigned long long)seed);
    if (points < c->points_min || torn < c->torn_min) {
        fail_msg("inconclusive: %llu crash points and %llu torn prefixes exercised, the test needs "
                 "%llu and %llu (does the workload reach the store's I/O?)",
                 (unsigned long long)points, (unsigned long long)torn,
                 (unsigned long long)c->points_min, (unsigned long long)c->torn_min);
    }
    return counts;
}

#endif
