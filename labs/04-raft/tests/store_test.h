/* store_test.h -- lab 04's part C tests, shared by test_c_storage.c and test_c_crash.c: a
 * seeded workload of readies and the model of what each save makes durable (struct saved), and
 * a store on its own in-memory file system whose descriptors are counted (struct fixture), on
 * lab 03's test file system (its tests/bc_test.h: faultfs behind a struct bc_io). */
#ifndef KEEL_RAFT_STORE_TEST_H
#define KEEL_RAFT_STORE_TEST_H

#include "bc_internal.h"
#include "cluster.h"
#include "raft_storage.h"
#include "tests/bc_test.h"

#define WORKLOAD_SAVES 24u
#define ENTRIES_MAX 256u
#define DATA_BYTES_MAX 40u

/* What the store should hold after some saves: a hard state and a log. */
struct saved {
    struct raft_hard_state hs;
    struct raft_entry entries[ENTRIES_MAX];
    uint8_t data[ENTRIES_MAX][DATA_BYTES_MAX];
    uint64_t count;
};

/* Save number `step` of the seeded workload: a ready to apply to m (rd's entries point into
 * *scratch). New terms and votes now and then; appends of 1-4 entries of the current term;
 * sometimes the log cut a few entries back first. */
static inline void
workload_step(struct kh_rng *rng, const struct saved *m, struct raft_ready *rd,
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
    if (kh_rng_below(rng, 4) == 0) {
        return; /* the hard state alone */
    }
    rd->has_log_change = true;
    uint64_t cut = m->count > 0 && kh_rng_below(rng, 3) == 0 ? kh_rng_below(rng, 4) : 0;
    rd->log_from_index = m->count + 1 - (cut < m->count ? cut : m->count);
    size_t added = (size_t)kh_rng_below(rng, 5);
    if (rd->log_from_index + added > ENTRIES_MAX) {
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
    if (rd->has_hard_state) {
        m->hs = rd->hard_state;
    }
    if (!rd->has_log_change) {
        return;
    }
    m->count = rd->log_from_index - 1;
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
workload_models(uint64_t seed)
{
    struct saved *models = calloc(WORKLOAD_SAVES + 1, sizeof(*models));
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(models);
    assert_non_null(scratch);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < WORKLOAD_SAVES; i++) {
        struct raft_ready rd;
        workload_step(&rng, &models[i], &rd, scratch);
        models[i + 1] = models[i];
        saved_apply(&models[i + 1], &rd);
        for (uint64_t k = 0; k < models[i + 1].count; k++) {
            models[i + 1].entries[k].data = models[i + 1].data[k]; /* into its own copy */
        }
    }
    free(scratch);
    return models;
}

/* Runs the workload's saves on s until one fails; returns how many returned RAFT_OK. */
static inline uint32_t
workload_run(struct raft_storage *s, uint64_t seed, const struct saved *models)
{
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(scratch);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    uint32_t saved = 0;
    for (; saved < WORKLOAD_SAVES; saved++) {
        struct raft_ready rd;
        workload_step(&rng, &models[saved], &rd, scratch);
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

/* raft_create takes what the store holds (terms in order, none above the hard state's). */
static inline void
assert_creates(const struct raft_hard_state *hs, const struct raft_entry *entries, size_t count,
               const char *when)
{
    struct raft_config config = {
        .id = 1, .node_count = 3, .election_ticks = 10, .heartbeat_ticks = 2, .random_seed = 1};
    struct raft *r = NULL;
    raft_status st = raft_create(&config, hs, NULL, entries, count, &r);
    if (st != RAFT_OK) {
        fail_msg("%s: raft_create refused what the store holds (term %" PRIu64 ", %zu entries): "
                 "%s",
                 when, hs->term, count, raft_status_name(st));
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

#endif
