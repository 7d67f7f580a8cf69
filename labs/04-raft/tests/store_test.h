/* store_test.h -- lab 04's storage tests, shared by parts C (test_c_storage.c, test_c_crash.c)
 * and D (test_d_storage.c): a seeded workload of readies and the model of what each save makes
 * durable (struct saved); a store on its own in-memory file system whose descriptors are counted
 * (struct fixture), on lab 03's test file system (its tests/bc_test.h: faultfs behind a struct
 * bc_io); the workload crashed at every call; and a cluster whose nodes keep their state in
 * stores. */
#ifndef KEEL_RAFT_STORE_TEST_H
#define KEEL_RAFT_STORE_TEST_H

#include "bc_internal.h"
#include "cluster.h"
#include "raft_storage.h"
#include "tests/bc_test.h"

#define WORKLOAD_SAVES 24u
#define ENTRIES_MAX 256u
#define DATA_BYTES_MAX 40u
#define SNAPSHOT_BYTES_MAX 300u /* the workload's snapshots (part D) */

/* Part C's workload changes the hard state and the log; part D's takes snapshots as well. */
enum workload { WORKLOAD_PART_C, WORKLOAD_PART_D };

/* What the store should hold after some saves: a hard state, a snapshot (part D) and the log
 * after it. */
struct saved {
    struct raft_hard_state hs;
    struct raft_snapshot snap; /* index 0 for none; its data in snap_data */
    uint8_t snap_data[SNAPSHOT_BYTES_MAX];
    struct raft_entry entries[ENTRIES_MAX]; /* entries[k] is of index snap.index + k + 1 */
    uint8_t data[ENTRIES_MAX][DATA_BYTES_MAX];
    uint64_t count;
    uint32_t saves; /* that made it */
};

/* Points m's entries and snapshot at m's own copies of their data (after m was copied whole). */
static inline void
saved_own(struct saved *m)
{
    for (uint64_t k = 0; k < m->count; k++) {
        m->entries[k].data = m->data[k];
    }
    m->snap.data = m->snap.size_bytes > 0 ? m->snap_data : NULL;
}

/* A snapshot for rd (part D), of a term between m's snapshot's and rd's hard state's: taken at
 * an entry of m's log, with its term or with another (as a leader's may come); or past the log's
 * end. Its data is drawn into scratch->snap_data. */
static inline void
workload_snapshot(struct kh_rng *rng, const struct saved *m, struct raft_ready *rd,
                  struct saved *scratch)
{
    struct raft_snapshot *s = &rd->snapshot;
    uint64_t term_min = m->snap.term > 0 ? m->snap.term : 1;
    uint64_t roll = kh_rng_below(rng, 4);
    if (m->count > 0 && roll < 3) {
        const struct raft_entry *at = &m->entries[kh_rng_below(rng, m->count)];
        s->index = at->index;
        s->term =
            roll < 2 ? at->term : term_min + kh_rng_below(rng, rd->hard_state.term - term_min + 1);
    } else {
        s->index = m->snap.index + m->count + 1 + kh_rng_below(rng, 3);
        s->term = term_min + kh_rng_below(rng, rd->hard_state.term - term_min + 1);
    }
    s->size_bytes = kh_rng_below(rng, SNAPSHOT_BYTES_MAX + 1);
    kh_rng_fill(rng, scratch->snap_data, s->size_bytes);
    s->data = s->size_bytes > 0 ? scratch->snap_data : NULL;
    rd->has_snapshot = true;
}

/* How many of m's entries saving snapshot s takes out of the log: those through its index, and
 * those after it too unless m holds its index with its term (raft_storage.h). */
static inline uint64_t
saved_gone(const struct saved *m, const struct raft_snapshot *s)
{
    uint64_t at = s->index - m->snap.index; /* entries through the snapshot's index */
    bool is_kept = at >= 1 && at <= m->count && m->entries[at - 1].term == s->term;
    return is_kept ? at : m->count;
}

/* m after snapshot s was saved. */
static inline void
saved_compact(struct saved *m, const struct raft_snapshot *s)
{
    uint64_t gone = saved_gone(m, s);
    memmove(m->entries, m->entries + gone, (m->count - gone) * sizeof(*m->entries));
    memmove(m->data, m->data + gone, (m->count - gone) * sizeof(*m->data));
    m->count -= gone;
    m->snap = *s;
    if (s->size_bytes > 0) {
        memcpy(m->snap_data, s->data, s->size_bytes);
    }
    saved_own(m);
}

/* Save number `step` of the seeded workload: a ready to apply to m (rd's entries and snapshot
 * point into *scratch). New terms and votes now and then; in part D's, a snapshot every third
 * save; appends of 1-4 entries of the current term; sometimes the log cut a few entries back
 * first. */
static inline void
workload_step(struct kh_rng *rng, enum workload kind, const struct saved *m, struct raft_ready *rd,
              struct saved *scratch)
{
    memset(rd, 0, sizeof(*rd));
    rd->hard_state = m->hs;
    uint64_t roll = kh_rng_below(rng, 10);
    if (m->hs.term == 0 || roll < 3) {
        rd->has_hard_state = true;
        rd->hard_state.term = m->hs.term + 1;
        rd->hard_state.vote = (uint32_t)kh_rng_below(rng, 4);
    } else if (roll == 3) {
        rd->has_hard_state = true;
        rd->hard_state.vote = 1 + (uint32_t)kh_rng_below(rng, 3);
    }
    uint64_t start = m->snap.index, count = m->count; /* the log the change applies to */
    if (kind == WORKLOAD_PART_D && m->saves % 3 == 2) {
        workload_snapshot(rng, m, rd, scratch);
        count -= saved_gone(m, &rd->snapshot);
        start = rd->snapshot.index;
    }
    if (kh_rng_below(rng, 4) == 0) {
        return; /* the hard state alone (and the snapshot) */
    }
    rd->has_log_change = true;
    uint64_t cut = count > 0 && kh_rng_below(rng, 3) == 0 ? kh_rng_below(rng, 4) : 0;
    rd->log_from_index = start + count + 1 - (cut < count ? cut : count);
    size_t added = (size_t)kh_rng_below(rng, 5);
    if (rd->log_from_index - start + added > ENTRIES_MAX) {
        added = 0;
    }
    for (size_t i = 0; i < added; i++) {
        struct raft_entry *e = &scratch->entries[i];
        uint32_t size = (uint32_t)kh_rng_below(rng, DATA_BYTES_MAX + 1);
        kh_rng_fill(rng, scratch->data[i], size);
        *e = (struct raft_entry){.term = rd->hard_state.term,
                                 .index = rd->log_from_index + i,
                                 .type = size > 0 ? RAFT_ENTRY_COMMAND : RAFT_ENTRY_NOOP,
                                 .size_bytes = size,
                                 .data = size > 0 ? scratch->data[i] : NULL};
    }
    rd->entries = added > 0 ? scratch->entries : NULL;
    rd->entry_count = added;
}

/* m after rd was saved. */
static inline void
saved_apply(struct saved *m, const struct raft_ready *rd)
{
    m->saves++;
    if (rd->has_hard_state) {
        m->hs = rd->hard_state;
    }
    if (rd->has_snapshot) {
        saved_compact(m, &rd->snapshot);
    }
    if (!rd->has_log_change) {
        return;
    }
    m->count = rd->log_from_index - m->snap.index - 1;
    for (size_t i = 0; i < rd->entry_count; i++) {
        const struct raft_entry *e = &rd->entries[i];
        memcpy(m->data[m->count], e->data != NULL ? e->data : (const uint8_t *)"", e->size_bytes);
        m->entries[m->count] = *e;
        m->entries[m->count].data = m->data[m->count];
        m->count++;
    }
}

/* The models after 0, 1, ..., WORKLOAD_SAVES saves of the workload drawn from seed. */
static inline struct saved *
workload_models(uint64_t seed, enum workload kind)
{
    struct saved *models = calloc(WORKLOAD_SAVES + 1, sizeof(*models));
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(models);
    assert_non_null(scratch);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < WORKLOAD_SAVES; i++) {
        struct raft_ready rd;
        workload_step(&rng, kind, &models[i], &rd, scratch);
        models[i + 1] = models[i];
        saved_own(&models[i + 1]); /* into its own copy */
        saved_apply(&models[i + 1], &rd);
    }
    free(scratch);
    return models;
}

/* Save number n of the workload drawn from seed, again (rd's data point into *scratch). */
static inline void
workload_nth(uint64_t seed, enum workload kind, const struct saved *models, uint32_t n,
             struct raft_ready *rd, struct saved *scratch)
{
    assert_true(n < WORKLOAD_SAVES);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    for (uint32_t i = 0; i <= n; i++) {
        workload_step(&rng, kind, &models[i], rd, scratch);
    }
}

/* Runs the workload's saves on s until one fails; returns how many returned RAFT_OK. */
static inline uint32_t
workload_run(struct raft_storage *s, uint64_t seed, enum workload kind, const struct saved *models)
{
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(scratch);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    uint32_t saved = 0;
    for (; saved < WORKLOAD_SAVES; saved++) {
        struct raft_ready rd;
        workload_step(&rng, kind, &models[saved], &rd, scratch);
        if (raft_storage_save(s, &rd) != RAFT_OK) {
            break;
        }
    }
    free(scratch);
    return saved;
}

static inline bool
entries_equal(const struct raft_entry *a, const struct raft_entry *b)
{
    return a->term == b->term && a->index == b->index && a->type == b->type &&
           a->size_bytes == b->size_bytes &&
           (a->size_bytes == 0 || memcmp(a->data, b->data, a->size_bytes) == 0);
}

/* How many of the first entries of got equal m's (a common prefix). */
static inline uint64_t
common_prefix(const struct saved *m, const struct raft_entry *got, uint64_t count)
{
    uint64_t n = 0;
    while (n < count && n < m->count && entries_equal(&got[n], &m->entries[n])) {
        n++;
    }
    return n;
}

static inline bool
state_is(const struct saved *m, const struct raft_hard_state *hs, const struct raft_entry *e,
         uint64_t count)
{
    return hs->term == m->hs.term && hs->vote == m->hs.vote && count == m->count &&
           common_prefix(m, e, count) == count;
}

static inline bool
snapshots_equal(const struct raft_snapshot *a, const struct raft_snapshot *b)
{
    return a->index == b->index && a->term == b->term && a->size_bytes == b->size_bytes &&
           (a->size_bytes == 0 || memcmp(a->data, b->data, a->size_bytes) == 0);
}

/* A store on its own in-memory file system, and what its last open read. Its io counts the
 * descriptors the store holds: t comes first, so the fixture is the io's ctx for lab 03's
 * tfs_* functions as well as for fixture_open_cb and fixture_close_cb. */
struct fixture {
    struct test_fs t;
    struct bc_io io;
    struct raft_storage *s;
    struct raft_hard_state hs;
    struct raft_snapshot snap;
    const struct raft_entry *entries;
    size_t count;
    bool is_fd_open[KH_FAULTFS_FDS_MAX];
    unsigned bad_closes; /* closes of a descriptor the store did not hold */
};

static inline int
fixture_open_cb(void *ctx, const char *path, int flags)
{
    struct fixture *f = ctx;
    int fd = tfs_open(&f->t, path, flags);
    if (fd >= 0 && (unsigned)fd < KH_FAULTFS_FDS_MAX) {
        f->is_fd_open[fd] = true;
    }
    return fd;
}

static inline int
fixture_close_cb(void *ctx, int fd)
{
    struct fixture *f = ctx;
    if (fd < 0 || (unsigned)fd >= KH_FAULTFS_FDS_MAX || !f->is_fd_open[fd]) {
        f->bad_closes++;
    } else {
        f->is_fd_open[fd] = false;
    }
    return tfs_close(&f->t, fd);
}

/* Fails the test if the store closed a descriptor it did not hold, or (is_closed: the store
 * is closed or never opened) still holds one. */
static inline void
assert_descriptors(const struct fixture *f, bool is_closed, const char *when)
{
    if (f->bad_closes > 0) {
        fail_msg("%s: the store closed %u descriptors it did not hold", when, f->bad_closes);
    }
    for (unsigned fd = 0; is_closed && fd < KH_FAULTFS_FDS_MAX; fd++) {
        if (f->is_fd_open[fd]) {
            fail_msg("%s: descriptor %u is still open (a leak: a node saves for years)", when, fd);
        }
    }
}

/* f's io: lab 03's test file system with the store's descriptors counted. */
static inline void
fixture_io(struct fixture *f)
{
    tfs_io(&f->t, &f->io);
    f->io.open = fixture_open_cb;
    f->io.close = fixture_close_cb;
    assert_ptr_equal(f->io.ctx, (void *)f);
}

/* Opens the store of f's file system; fails the test unless RAFT_OK. What it reads is
 * compared later, so *f's copies of it are garbled first. */
static inline void
fixture_open(struct fixture *f)
{
    fixture_io(f);
    memset(&f->hs, 0xa5, sizeof(f->hs));
    f->count = SIZE_MAX;
    raft_status st =
        raft_storage_open(&f->io, TEST_DIR, &f->s, &f->hs, &f->snap, &f->entries, &f->count);
    if (st != RAFT_OK) {
        fail_msg("raft_storage_open of " TEST_DIR " returned %s", raft_status_name(st));
    }
}

/* A store on img (a crash image, owned from now on), or on a new file system with an empty
 * TEST_DIR when img is NULL; opened. */
static inline void
fixture_start(struct fixture *f, struct kh_faultfs *img)
{
    memset(f, 0, sizeof(*f));
    tfs_init(&f->t);
    if (img != NULL) {
        kh_faultfs_destroy(f->t.fs);
        f->t.fs = img;
    } else {
        assert_int_equal(kh_faultfs_mkdir(f->t.fs, TEST_DIR), 0);
    }
    fixture_open(f);
}

/* Opens the store of a crashed machine on img (its disk, owned by f from now on); fails the
 * test, saying when the machine died, unless the store opens. */
static inline void
fixture_open_image(struct fixture *f, struct kh_faultfs *img, const char *when)
{
    memset(f, 0, sizeof(*f));
    tfs_init(&f->t);
    kh_faultfs_destroy(f->t.fs);
    f->t.fs = img;
    fixture_io(f);
    raft_status st =
        raft_storage_open(&f->io, TEST_DIR, &f->s, &f->hs, &f->snap, &f->entries, &f->count);
    if (st != RAFT_OK) {
        fail_msg("%s: the crashed store does not open: %s", when, raft_status_name(st));
    }
}

static inline void
fixture_reopen(struct fixture *f)
{
    raft_storage_close(f->s);
    assert_descriptors(f, true, "a store closed to be reopened");
    fixture_open(f);
}

static inline void
fixture_stop(struct fixture *f)
{
    raft_storage_close(f->s);
    f->s = NULL;
    assert_descriptors(f, true, "a closed store");
    kh_faultfs_destroy(f->t.fs);
}

/* Overwrites size bytes at offset of TEST_DIR/name in f's file system. */
static inline void
fs_write(struct fixture *f, const char *name, const void *bytes, size_t size, uint64_t offset)
{
    char path[KH_FAULTFS_PATH_MAX];
    snprintf(path, sizeof(path), TEST_DIR "/%s", name);
    int fd = kh_faultfs_open(f->t.fs, path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(kh_faultfs_pwrite(f->t.fs, fd, bytes, size, offset), (ssize_t)size);
    kh_faultfs_close(f->t.fs, fd);
}

/* Writes at p the record raft_storage.h gives e; returns its size. */
static inline size_t
put_record(uint8_t *p, const struct raft_entry *e)
{
    memset(p, 0, RAFT_STORAGE_RECORD_HEADER_BYTES);
    raft_put_u32(p + 4, e->size_bytes);
    raft_put_u64(p + 8, e->term);
    raft_put_u64(p + 16, e->index);
    p[24] = e->type;
    if (e->size_bytes > 0) {
        memcpy(p + RAFT_STORAGE_RECORD_HEADER_BYTES, e->data, e->size_bytes);
    }
    size_t size = RAFT_STORAGE_RECORD_HEADER_BYTES + e->size_bytes;
    raft_put_u32(p, bc_crc32c(0, p + 4, size - 4));
    return size;
}

/* Writes at p the "snapshot" file raft_storage.h gives s; returns its size. */
static inline size_t
put_snapshot(uint8_t *p, const struct raft_snapshot *s)
{
    memset(p, 0, RAFT_STORAGE_SNAPSHOT_HEADER_BYTES);
    raft_put_u32(p + 4, RAFT_STORAGE_VERSION);
    raft_put_u64(p + 8, s->index);
    raft_put_u64(p + 16, s->term);
    raft_put_u64(p + 24, s->size_bytes);
    if (s->size_bytes > 0) {
        memcpy(p + RAFT_STORAGE_SNAPSHOT_HEADER_BYTES, s->data, s->size_bytes);
    }
    size_t size = RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + s->size_bytes;
    raft_put_u32(p, bc_crc32c(0, p + 4, size - 4));
    return size;
}

/* Makes TEST_DIR/name in f's file system hold exactly size bytes. */
static inline void
fs_replace(struct fixture *f, const char *name, const void *bytes, size_t size)
{
    char path[KH_FAULTFS_PATH_MAX];
    snprintf(path, sizeof(path), TEST_DIR "/%s", name);
    int fd = kh_faultfs_open(f->t.fs, path, O_RDWR | O_CREAT | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(kh_faultfs_pwrite(f->t.fs, fd, bytes, size, 0), (ssize_t)size);
    kh_faultfs_close(f->t.fs, fd);
}

/* Reads TEST_DIR/name of f's file system into buf (size_max bytes at most); returns its size. */
static inline size_t
fs_read(struct fixture *f, const char *name, uint8_t *buf, size_t size_max)
{
    char path[KH_FAULTFS_PATH_MAX];
    snprintf(path, sizeof(path), TEST_DIR "/%s", name);
    int fd = kh_faultfs_open(f->t.fs, path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = kh_faultfs_pread(f->t.fs, fd, buf, size_max, 0);
    kh_faultfs_close(f->t.fs, fd);
    assert_true(n >= 0);
    return (size_t)n;
}

/* Opens f's store and fails the test unless it is RAFT_CORRUPT; what is the damage done. */
static inline void
assert_open_corrupt(struct fixture *f, const char *what)
{
    fixture_io(f);
    struct raft_storage *s = NULL;
    raft_status st =
        raft_storage_open(&f->io, TEST_DIR, &s, &f->hs, &f->snap, &f->entries, &f->count);
    if (st != RAFT_CORRUPT) {
        fail_msg("a store with %s opened with %s; expected RAFT_CORRUPT", what,
                 raft_status_name(st));
    }
    assert_descriptors(f, true, what);
}

/* raft_create takes what the store holds (terms in order, none above the hard state's; the
 * entries follow the snapshot, snap, which may be NULL for none). */
static inline void
assert_creates(const struct raft_hard_state *hs, const struct raft_snapshot *snap,
               const struct raft_entry *entries, size_t count, const char *when)
{
    struct raft_config config = {
        .id = 1, .node_count = 3, .election_ticks = 10, .heartbeat_ticks = 2, .random_seed = 1};
    struct raft *r = NULL;
    raft_status st = raft_create(&config, hs, snap, entries, count, &r);
    if (st != RAFT_OK) {
        fail_msg("%s: raft_create refused what the store holds (term %" PRIu64 ", snapshot at "
                 "%" PRIu64 ", %zu entries): %s",
                 when, hs->term, snap != NULL ? snap->index : 0, count, raft_status_name(st));
    }
    raft_destroy(r);
}

/* A store of three entries (term 2), closed: f's file system holds it, f->s is NULL. */
static inline void
fixture_with_three_entries(struct fixture *f)
{
    fixture_start(f, NULL);
    struct raft_entry e[3];
    for (uint32_t i = 0; i < 3; i++) {
        e[i] = (struct raft_entry){.term = 2,
                                   .index = i + 1,
                                   .type = RAFT_ENTRY_COMMAND,
                                   .size_bytes = 3,
                                   .data = (const uint8_t *)"abc"};
    }
    struct raft_ready rd = {.has_hard_state = true,
                            .hard_state = {2, 2},
                            .has_log_change = true,
                            .log_from_index = 1,
                            .entries = e,
                            .entry_count = 3};
    assert_raft_status(raft_storage_save(f->s, &rd), RAFT_OK);
    raft_storage_close(f->s);
    f->s = NULL;
}

/* ---- The workload, reopened and crashed ------------------------------------------------- */

/* Runs the workload drawn from the test's seed on one store, closed and reopened after every
 * sixth save and after the last, and fails unless each reopen reads what the model holds: the
 * hard state and the log, and in part D's workload the snapshot (garbled before each reopen). */
static inline void
workload_reopened(enum workload kind)
{
    uint64_t seed = kh_test_seed();
    struct saved *models = workload_models(seed, kind);
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(scratch);
    struct fixture f;
    fixture_start(&f, NULL);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < WORKLOAD_SAVES; i++) {
        struct raft_ready rd;
        workload_step(&rng, kind, &models[i], &rd, scratch);
        assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
        if (i % 6 != 5 && i + 1 != WORKLOAD_SAVES) {
            continue;
        }
        if (kind == WORKLOAD_PART_D) {
            memset(&f.snap, 0xa5, sizeof(f.snap));
        }
        fixture_reopen(&f);
        const struct saved *m = &models[i + 1];
        if (kind == WORKLOAD_PART_D && !snapshots_equal(&f.snap, &m->snap)) {
            fail_msg("after %u saves and a reopen: a snapshot at %" PRIu64 " (term %" PRIu64
                     ", %" PRIu64 " bytes); expected the one saved last, at %" PRIu64
                     " (term %" PRIu64 ", %" PRIu64 " bytes)",
                     i + 1, f.snap.index, f.snap.term, f.snap.size_bytes, m->snap.index,
                     m->snap.term, m->snap.size_bytes);
        }
        if (!state_is(m, &f.hs, f.entries, f.count)) {
            fail_msg("after %u saves and a reopen: term %" PRIu64 ", vote %u, %zu entries "
                     "(%" PRIu64 " as saved); expected term %" PRIu64 ", vote %u, %" PRIu64
                     " entries",
                     i + 1, f.hs.term, f.hs.vote, f.count, common_prefix(m, f.entries, f.count),
                     m->hs.term, m->hs.vote, m->count);
        }
    }
    fixture_stop(&f);
    free(scratch);
    free(models);
}

/* A crash of the workload, as a check is told of it. */
struct crash {
    enum workload kind;
    uint64_t seed;
    const struct saved *models; /* after 0, 1, ... WORKLOAD_SAVES saves */
    uint32_t saved;             /* the saves that returned RAFT_OK before the machine died */
    const char *when;           /* the crash, for a failure message */
};

/* The workload drawn from the test's seed runs with the machine crashing at its first call,
 * then at its second, and so on through every call it makes; each crash's disk (unsynced writes
 * lost, all kept, or the last one torn) goes to check_cb, which owns it. */
static inline void
workload_crashed_everywhere(enum workload kind,
                            void (*check_cb)(struct kh_faultfs *img, const struct crash *crash))
{
    uint64_t seed = kh_test_seed();
    struct saved *models = workload_models(seed, kind);
    struct fixture f;
    fixture_start(&f, NULL);
    uint64_t first = kh_faultfs_trace_count(f.t.fs);
    assert_int_equal(workload_run(f.s, seed, kind, models), WORKLOAD_SAVES);
    uint64_t calls = kh_faultfs_trace_count(f.t.fs) - first;
    fixture_stop(&f);
    for (uint64_t c = 0; c <= calls; c++) {
        fixture_start(&f, NULL);
        kh_faultfs_crash_at(f.t.fs, kh_faultfs_trace_count(f.t.fs) + c);
        uint32_t saved = workload_run(f.s, seed, kind, models);
        uint64_t ends[64];
        size_t pending = kh_faultfs_pending_ends(f.t.fs, ends, KH_ARRAY_LEN(ends));
        const uint64_t keeps[] = {0, UINT64_MAX, pending > 0 ? ends[pending - 1] - 1 : 0};
        for (size_t k = 0; k < KH_ARRAY_LEN(keeps); k++) {
            char when[96];
            snprintf(when, sizeof(when),
                     "crash at call %" PRIu64 " of %" PRIu64 " (unsynced "
                     "bytes kept: %s)",
                     c, calls,
                     k == 0   ? "none"
                     : k == 1 ? "all"
                              : "all but the "
                                "last, torn");
            const struct crash crash = {kind, seed, models, saved, when};
            check_cb(kh_faultfs_crash_image(f.t.fs, keeps[k]), &crash);
        }
        fixture_stop(&f);
    }
    free(models);
}

/* ---- A cluster on these stores ---------------------------------------------------------- */

#define CLUSTER_NODES 5u

/* Each node of a cluster on a store of its own, on its own file system. A crash keeps what the
 * disk would (crash_keep: unsynced bytes lost, all kept, or the last write torn). */
struct disks {
    struct fixture nodes[CLUSTER_NODES + 1];
    struct kh_rng *rng;
    unsigned mid_save_crashes;
    unsigned mid_snapshot_crashes; /* of saves that carried a snapshot (part D) */
};

static inline raft_status
disks_save_cb(void *ctx, uint32_t id, const struct raft_ready *rd)
{
    struct disks *d = ctx;
    raft_status st = raft_storage_save(d->nodes[id].s, rd);
    d->mid_snapshot_crashes += st != RAFT_OK && rd->has_snapshot;
    return st;
}

/* The node's machine died: what its disk holds now is a crash image; the store is reopened on
 * it (a store that does not open fails the test), ready for the node's restart. */
static inline void
disks_crash_cb(void *ctx, uint32_t id)
{
    struct disks *d = ctx;
    struct fixture *f = &d->nodes[id];
    d->mid_save_crashes += kh_faultfs_has_crashed(f->t.fs);
    raft_storage_close(f->s);
    f->s = NULL;
    uint64_t ends[64];
    size_t pending = kh_faultfs_pending_ends(f->t.fs, ends, KH_ARRAY_LEN(ends));
    uint64_t roll = kh_rng_below(d->rng, 3);
    uint64_t keep = roll == 0 ? 0 : roll == 1 || pending == 0 ? UINT64_MAX : ends[pending - 1] - 1;
    struct kh_faultfs *img = kh_faultfs_crash_image(f->t.fs, keep);
    CLUSTER_REQUIRE(img != NULL);
    kh_faultfs_destroy(f->t.fs);
    memset(f->is_fd_open, 0, sizeof(f->is_fd_open));
    f->t.fs = img;
    fixture_open(f);
}

static inline raft_status
disks_load_cb(void *ctx, uint32_t id, struct raft_hard_state *hs, struct raft_snapshot *snapshot,
              const struct raft_entry **entries, size_t *count)
{
    struct disks *d = ctx;
    *hs = d->nodes[id].hs;
    *snapshot = d->nodes[id].snap;
    *entries = d->nodes[id].entries;
    *count = d->nodes[id].count;
    return RAFT_OK;
}

/* Starts a cluster of CLUSTER_NODES whose nodes keep their state in new stores, one file system
 * each (d, which the cluster points to, must outlive it). */
static inline void
disks_cluster_start(struct disks *d, struct cluster *c, uint64_t seed)
{
    memset(d, 0, sizeof(*d));
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        fixture_start(&d->nodes[id], NULL);
    }
    struct cluster_storage storage = {
        .save_cb = disks_save_cb, .crash_cb = disks_crash_cb, .load_cb = disks_load_cb, .ctx = d};
    cluster_start_with(c, CLUSTER_NODES, seed, &storage);
    d->rng = kh_sim_rng(c->sim);
}

/* Runs the cluster for `rounds` rounds, each: a proposal on the leader; a machine chosen at
 * random dies at one of its store's next calls (a third of the time) or between saves; a few
 * ticks; crashed nodes restart from their disks at random. Then every node is back, and the five
 * must agree on a command. The cluster checks its safety properties every tick. */
static inline void
disks_cluster_run(struct disks *d, struct cluster *c, int rounds)
{
    for (int round = 0; round < rounds; round++) {
        uint32_t leader = cluster_leader(c);
        if (leader != 0) {
            uint64_t index, term;
            (void)raft_propose(c->nodes[leader].raft, "disk", 4, &index, &term);
            cluster_process(c, leader);
        }
        uint32_t id = 1 + (uint32_t)kh_rng_below(d->rng, CLUSTER_NODES);
        if (c->nodes[id].raft != NULL && kh_rng_below(d->rng, 3) == 0) {
            struct kh_faultfs *fs = d->nodes[id].t.fs; /* dies at one of its next calls */
            kh_faultfs_crash_at(fs, kh_faultfs_trace_count(fs) + kh_rng_below(d->rng, 12));
        } else if (c->nodes[id].raft != NULL && kh_rng_below(d->rng, 4) == 0) {
            cluster_crash(c, id);
        }
        cluster_run(c, 1 + kh_rng_below(d->rng, 2 * CLUSTER_ELECTION_TICKS));
        for (uint32_t k = 1; k <= CLUSTER_NODES; k++) {
            if (c->nodes[k].raft == NULL && kh_rng_below(d->rng, 2) == 0) {
                cluster_restart(c, k);
            }
        }
    }
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        kh_faultfs_crash_at(d->nodes[id].t.fs, UINT64_MAX); /* a crash armed and not yet met */
        if (c->nodes[id].raft == NULL) {
            cluster_restart(c, id);
        }
    }
    cluster_one(c, "disks-last", CLUSTER_NODES, 40u * CLUSTER_ELECTION_TICKS);
}

static inline void
disks_cluster_stop(struct disks *d, struct cluster *c)
{
    cluster_stop(c);
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        fixture_stop(&d->nodes[id]);
    }
}

#endif
