/* test_c_storage.c -- part C: a node's stable storage (raft_storage.h), on lab 03's in-memory
 * test file system (its tests/bc_test.h: faultfs behind a struct bc_io). Every test drives the
 * store with a seeded workload of readies (new terms and votes, appends, logs cut and
 * rewritten) and keeps a model of what each save made durable. Read
 * test_c_every_crash_keeps_what_was_saved first: the store is crashed at every call a workload
 * makes, and what it reopens with must be what the saves acknowledged. */
#include "bc_internal.h"
#include "cluster.h"
#include "kh_oom.h"
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
static void
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
static void
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
static struct saved *
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
static uint32_t
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

static bool
entries_equal(const struct raft_entry *a, const struct raft_entry *b)
{
    return a->term == b->term && a->index == b->index && a->type == b->type &&
           a->size_bytes == b->size_bytes &&
           (a->size_bytes == 0 || memcmp(a->data, b->data, a->size_bytes) == 0);
}

/* How many of the first entries of got equal m's (a common prefix). */
static uint64_t
common_prefix(const struct saved *m, const struct raft_entry *got, uint64_t count)
{
    uint64_t n = 0;
    while (n < count && n < m->count && entries_equal(&got[n], &m->entries[n])) {
        n++;
    }
    return n;
}

static bool
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
    const struct raft_entry *entries;
    size_t count;
    bool is_fd_open[KH_FAULTFS_FDS_MAX];
    unsigned bad_closes; /* closes of a descriptor the store did not hold */
};

static int
fixture_open_cb(void *ctx, const char *path, int flags)
{
    struct fixture *f = ctx;
    int fd = tfs_open(&f->t, path, flags);
    if (fd >= 0 && (unsigned)fd < KH_FAULTFS_FDS_MAX) {
        f->is_fd_open[fd] = true;
    }
    return fd;
}

static int
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
static void
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
static void
fixture_io(struct fixture *f)
{
    tfs_io(&f->t, &f->io);
    f->io.open = fixture_open_cb;
    f->io.close = fixture_close_cb;
    assert_ptr_equal(f->io.ctx, (void *)f);
}

/* Opens the store of f's file system; fails the test unless RAFT_OK. What it reads is
 * compared later, so *f's copies of it are garbled first. */
static void
fixture_open(struct fixture *f)
{
    fixture_io(f);
    memset(&f->hs, 0xa5, sizeof(f->hs));
    f->count = SIZE_MAX;
    raft_status st = raft_storage_open(&f->io, TEST_DIR, &f->s, &f->hs, &f->entries, &f->count);
    if (st != RAFT_OK) {
        fail_msg("raft_storage_open of " TEST_DIR " returned %s", raft_status_name(st));
    }
}

/* A store on img (a crash image, owned from now on), or on a new file system with an empty
 * TEST_DIR when img is NULL; opened. */
static void
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

static void
fixture_reopen(struct fixture *f)
{
    raft_storage_close(f->s);
    assert_descriptors(f, true, "a store closed to be reopened");
    fixture_open(f);
}

static void
fixture_stop(struct fixture *f)
{
    raft_storage_close(f->s);
    f->s = NULL;
    assert_descriptors(f, true, "a closed store");
    kh_faultfs_destroy(f->t.fs);
}

/* Overwrites size bytes at offset of TEST_DIR/name in f's file system. */
static void
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
static void
assert_creates(const struct raft_hard_state *hs, const struct raft_entry *entries, size_t count,
               const char *when)
{
    struct raft_config config = {
        .id = 1, .node_count = 3, .election_ticks = 10, .heartbeat_ticks = 2, .random_seed = 1};
    struct raft *r = NULL;
    raft_status st = raft_create(&config, hs, entries, count, &r);
    if (st != RAFT_OK) {
        fail_msg("%s: raft_create refused what the store holds (term %" PRIu64 ", %zu entries): "
                 "%s",
                 when, hs->term, count, raft_status_name(st));
    }
    raft_destroy(r);
}

/* The claim: a new store holds term 0, no vote and no entry, which a node starts from. */
static void
test_c_new_store_is_empty(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    if (f.hs.term != 0 || f.hs.vote != 0 || f.count != 0) {
        fail_msg("a new store opened with term %" PRIu64 ", vote %u, %zu entries; expected 0, 0, "
                 "0",
                 f.hs.term, f.hs.vote, f.count);
    }
    assert_creates(&f.hs, f.entries, f.count, "a new store");
    fixture_stop(&f);
}

/* The claim: what saves wrote is what a reopen reads: 24 saves of the workload, the store closed
 * and reopened after every sixth, compared with the model each time. */
static void
test_c_saves_survive_reopen(void **state)
{
    (void)state;
    uint64_t seed = kh_test_seed();
    struct saved *models = workload_models(seed);
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(scratch);
    struct fixture f;
    fixture_start(&f, NULL);
    struct kh_rng rng;
    kh_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < WORKLOAD_SAVES; i++) {
        struct raft_ready rd;
        workload_step(&rng, &models[i], &rd, scratch);
        assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
        if (i % 6 == 5 || i + 1 == WORKLOAD_SAVES) {
            fixture_reopen(&f);
            const struct saved *m = &models[i + 1];
            if (!state_is(m, &f.hs, f.entries, f.count)) {
                fail_msg("after %u saves and a reopen: term %" PRIu64 ", vote %u, %zu entries "
                         "(%" PRIu64 " as saved); expected term %" PRIu64 ", vote %u, %" PRIu64
                         " entries",
                         i + 1, f.hs.term, f.hs.vote, f.count, common_prefix(m, f.entries, f.count),
                         m->hs.term, m->hs.vote, m->count);
            }
        }
    }
    fixture_stop(&f);
    free(scratch);
    free(models);
}

/* Fails unless what img reopens with is what `saved` saves made durable, give or take the save
 * that was under way: its hard state or the one before, and a log that is the one before or a
 * prefix of the new one at least as long as the part the two share (the save cut the log and
 * appended). Then a node can start from it, and the store takes a new save. */
static void
check_image(struct kh_faultfs *img, const struct saved *models, uint32_t saved, const char *when)
{
    struct fixture f;
    memset(&f, 0, sizeof(f));
    tfs_init(&f.t);
    kh_faultfs_destroy(f.t.fs);
    f.t.fs = img;
    fixture_io(&f);
    raft_status st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.entries, &f.count);
    if (st != RAFT_OK) {
        fail_msg("%s: the crashed store does not open: %s", when, raft_status_name(st));
    }
    const struct saved *before = &models[saved];
    const struct saved *after = &models[saved < WORKLOAD_SAVES ? saved + 1 : saved];
    bool is_hs_ok = (f.hs.term == before->hs.term && f.hs.vote == before->hs.vote) ||
                    (f.hs.term == after->hs.term && f.hs.vote == after->hs.vote);
    uint64_t shared = common_prefix(after, before->entries, before->count);
    bool is_log_ok =
        (f.count == before->count && common_prefix(before, f.entries, f.count) == f.count) ||
        (f.count >= shared && f.count <= after->count &&
         common_prefix(after, f.entries, f.count) == f.count);
    if (!is_hs_ok || !is_log_ok) {
        fail_msg("%s, after %u acknowledged saves: reopened with term %" PRIu64 ", vote %u and "
                 "%zu entries; the last acknowledged save left term %" PRIu64 ", vote %u, %" PRIu64
                 " entries (the save under way: term %" PRIu64 ", vote %u, %" PRIu64 " entries)",
                 when, saved, f.hs.term, f.hs.vote, f.count, before->hs.term, before->hs.vote,
                 before->count, after->hs.term, after->hs.vote, after->count);
    }
    assert_creates(&f.hs, f.entries, f.count, when);
    struct raft_entry next = {
        .term = f.hs.term > 0 ? f.hs.term : 1, .index = f.count + 1, .type = RAFT_ENTRY_NOOP};
    struct raft_ready rd = {.has_hard_state = f.hs.term == 0,
                            .hard_state = {1, 0},
                            .has_log_change = true,
                            .log_from_index = f.count + 1,
                            .entries = &next,
                            .entry_count = 1};
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    fixture_stop(&f);
}

/* The claim (raft_storage.h, raft_storage_save): once a save returns RAFT_OK what it saved
 * survives a crash. The workload runs with the machine crashing at its first call, then at its
 * second, and so on through every call it makes; each crash's disk (unsynced writes lost, all
 * kept, or the last one torn) reopens with what the acknowledged saves wrote. */
static void
test_c_every_crash_keeps_what_was_saved(void **state)
{
    (void)state;
    uint64_t seed = kh_test_seed();
    struct saved *models = workload_models(seed);
    struct fixture f;
    fixture_start(&f, NULL);
    uint64_t first = kh_faultfs_trace_count(f.t.fs);
    assert_int_equal(workload_run(f.s, seed, models), WORKLOAD_SAVES);
    uint64_t calls = kh_faultfs_trace_count(f.t.fs) - first;
    fixture_stop(&f);
    for (uint64_t c = 0; c <= calls; c++) {
        fixture_start(&f, NULL);
        kh_faultfs_crash_at(f.t.fs, kh_faultfs_trace_count(f.t.fs) + c);
        uint32_t saved = workload_run(f.s, seed, models);
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
            check_image(kh_faultfs_crash_image(f.t.fs, keeps[k]), models, saved, when);
        }
        fixture_stop(&f);
    }
    free(models);
}

/* The claim: a log whose last record is torn (a crash mid-write) opens with the records before
 * it; the file is cut there, and new entries follow them. A log of one stray byte opens empty. */
static void
test_c_torn_tail_is_cut(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct raft_entry e[3];
    for (uint32_t i = 0; i < 3; i++) {
        e[i] = (struct raft_entry){.term = 1,
                                   .index = i + 1,
                                   .type = RAFT_ENTRY_COMMAND,
                                   .size_bytes = 5,
                                   .data = (const uint8_t *)"hello"};
    }
    struct raft_ready rd = {.has_hard_state = true,
                            .hard_state = {1, 1},
                            .has_log_change = true,
                            .log_from_index = 1,
                            .entries = e,
                            .entry_count = 3};
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    int64_t size = kh_faultfs_file_size(f.t.fs, TEST_DIR "/log");
    assert_true(size == 3 * (RAFT_STORAGE_RECORD_HEADER_BYTES + 5));
    int fd = kh_faultfs_open(f.t.fs, TEST_DIR "/log", O_RDWR);
    assert_true(fd >= 0);
    uint8_t torn[RAFT_STORAGE_RECORD_HEADER_BYTES - 3];
    memset(torn, 0x5a, sizeof(torn));
    assert_int_equal(kh_faultfs_pwrite(f.t.fs, fd, torn, sizeof(torn), (uint64_t)size),
                     (ssize_t)sizeof(torn));
    kh_faultfs_close(f.t.fs, fd);
    fixture_reopen(&f);
    if (f.count != 3 || kh_faultfs_file_size(f.t.fs, TEST_DIR "/log") != size) {
        fail_msg("a log of 3 records and a torn fourth opened with %zu entries and %" PRId64
                 " bytes in the file; expected 3, and the file cut to %" PRId64,
                 f.count, kh_faultfs_file_size(f.t.fs, TEST_DIR "/log"), size);
    }
    e[0].index = 4;
    rd = (struct raft_ready){
        .has_log_change = true, .log_from_index = 4, .entries = e, .entry_count = 1};
    struct fixture lone;
    fixture_start(&lone, NULL);
    raft_storage_close(lone.s);
    fs_write(&lone, "log", "x", 1, 0);
    fixture_open(&lone);
    if (lone.count != 0 || kh_faultfs_file_size(lone.t.fs, TEST_DIR "/log") != 0) {
        fail_msg(
            "a log of one stray byte (its first record torn) opened with %zu entries and %" PRId64
            " bytes; expected none, and the file cut to 0",
            lone.count, kh_faultfs_file_size(lone.t.fs, TEST_DIR "/log"));
    }
    fixture_stop(&lone);
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    fixture_reopen(&f);
    assert_int_equal(f.count, 4);
    fixture_stop(&f);
}

/* The claim: a save whose sync fails returns RAFT_IO and fails the store: every later save is
 * RAFT_IO, whether or not the disk has recovered (what reached it is unknown). A reopen then
 * reads the state before that save or after it. */
static void
test_c_io_error_fails_the_store(void **state)
{
    (void)state;
    const struct kh_faultfs_fault faults[] = {
        {.op = KH_FAULTFS_OP_FSYNC, .nth = 0, .count = 1, .error = EIO},
        {.op = KH_FAULTFS_OP_RENAME, .nth = 0, .count = 1, .error = EIO},
        {.op = KH_FAULTFS_OP_PWRITE, .nth = 1, .count = 1, .error = ENOSPC},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(faults); i++) {
        struct fixture f;
        fixture_start(&f, NULL);
        struct raft_entry e = {.term = 2, .index = 1, .type = RAFT_ENTRY_NOOP};
        struct raft_ready rd = {.has_hard_state = true,
                                .hard_state = {2, 3},
                                .has_log_change = true,
                                .log_from_index = 1,
                                .entries = &e,
                                .entry_count = 1};
        assert_int_equal(kh_faultfs_inject(f.t.fs, &faults[i]), 0);
        raft_status st = raft_storage_save(f.s, &rd);
        kh_faultfs_clear_faults(f.t.fs);
        if (st != RAFT_IO) {
            fail_msg("a save meeting %s on its %s call returned %s; expected RAFT_IO",
                     strerror(faults[i].error), kh_faultfs_op_name(faults[i].op),
                     raft_status_name(st));
        }
        rd.has_hard_state = false;
        st = raft_storage_save(f.s, &rd);
        if (st != RAFT_IO) {
            fail_msg("a save after a failed one (the disk well again) returned %s; expected "
                     "RAFT_IO: the store is failed until it is reopened",
                     raft_status_name(st));
        }
        fixture_reopen(&f);
        assert_true(f.count <= 1);
        assert_true(f.hs.term == 0 || (f.hs.term == 2 && f.hs.vote == 3));
        fixture_stop(&f);
    }
}

/* The claim: a "state" file that fails its checksum was written by no save (saves replace it
 * whole), and the store refuses to open with RAFT_CORRUPT rather than guess a term. */
/* A store of three entries (term 2), closed: f's file system holds it, f->s is NULL. */
static void
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

/* Opens f's store and fails the test unless it is RAFT_CORRUPT; what is the damage done. */
static void
assert_open_corrupt(struct fixture *f, const char *what)
{
    fixture_io(f);
    struct raft_storage *s = NULL;
    raft_status st = raft_storage_open(&f->io, TEST_DIR, &s, &f->hs, &f->entries, &f->count);
    if (st != RAFT_CORRUPT) {
        fail_msg("a store with %s opened with %s; expected RAFT_CORRUPT", what,
                 raft_status_name(st));
    }
    assert_descriptors(f, true, what);
}

/* The claim: a "state" file that fails its checksum, is not 24 bytes (shorter, longer, empty), or
 * is of another version
 * was written by no save (saves replace it whole), and the store refuses to open with
 * RAFT_CORRUPT rather than guess a term. */
static void
test_c_corrupt_state_is_refused(void **state)
{
    (void)state;
    uint8_t good[RAFT_STORAGE_STATE_BYTES];
    for (int damage = 0; damage < 6; damage++) {
        struct fixture f; /* a state alone: no entry of the log to betray a wrong term */
        fixture_start(&f, NULL);
        struct raft_ready rd = {.has_hard_state = true, .hard_state = {7, 2}};
        assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
        raft_storage_close(f.s);
        f.s = NULL;
        int fd = kh_faultfs_open(f.t.fs, TEST_DIR "/state", O_RDWR);
        assert_true(fd >= 0);
        assert_int_equal(kh_faultfs_pread(f.t.fs, fd, good, sizeof(good), 0), sizeof(good));
        kh_faultfs_close(f.t.fs, fd);
        uint8_t bad[RAFT_STORAGE_STATE_BYTES];
        memcpy(bad, good, sizeof(bad));
        const char *what = NULL;
        if (damage == 0) {
            bad[9] ^= 0x04;
            what = "a bit flipped in the state's term";
        } else if (damage == 1) {
            raft_put_u32(bad + 4, RAFT_STORAGE_VERSION + 1);
            raft_put_u32(bad, bc_crc32c(0, bad + 4, sizeof(bad) - 4));
            what = "a state of another version (its checksum right)";
        } else if (damage == 5) {
            raft_put_u32(bad + 20, 0x01000000u); /* its last byte */
            raft_put_u32(bad, bc_crc32c(0, bad + 4, sizeof(bad) - 4));
            what = "a state whose zero field is not (its checksum right)";
        } else {
            static const uint64_t sizes[] = {RAFT_STORAGE_STATE_BYTES - 1, 0,
                                             RAFT_STORAGE_STATE_BYTES + 1};
            static const char *const names[] = {"a state one byte short", "an empty state",
                                                "a state one byte long"};
            fd = kh_faultfs_open(f.t.fs, TEST_DIR "/state", O_RDWR);
            assert_int_equal(kh_faultfs_ftruncate(f.t.fs, fd, sizes[damage - 2]), 0);
            kh_faultfs_close(f.t.fs, fd);
            what = names[damage - 2];
        }
        if (damage < 2 || damage == 5) {
            fs_write(&f, "state", bad, sizeof(bad), 0);
        }
        assert_open_corrupt(&f, what);
        kh_faultfs_destroy(f.t.fs);
    }
}

/* The claim: intact log records out of order (an index that does not follow, here record 1
 * again after record 3; a term that goes back) are RAFT_CORRUPT, not a torn tail to cut: no
 * crash writes them. */
static void
test_c_log_out_of_order_is_refused(void **state)
{
    (void)state;
    struct fixture f;
    fixture_with_three_entries(&f);
    uint8_t first[RAFT_STORAGE_RECORD_HEADER_BYTES + 3];
    int fd = kh_faultfs_open(f.t.fs, TEST_DIR "/log", O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(kh_faultfs_pread(f.t.fs, fd, first, sizeof(first), 0), sizeof(first));
    kh_faultfs_close(f.t.fs, fd);
    uint64_t end = (uint64_t)kh_faultfs_file_size(f.t.fs, TEST_DIR "/log");
    fs_write(&f, "log", first, sizeof(first), end);
    assert_open_corrupt(&f, "record 1 again after record 3 in its log");
    /* Record 4, intact, of term 1 after three of term 2: a term that goes back. */
    raft_put_u64(first + 8, 1);
    raft_put_u64(first + 16, 4);
    raft_put_u32(first, bc_crc32c(0, first + 4, sizeof(first) - 4));
    fs_write(&f, "log", first, sizeof(first), end);
    assert_open_corrupt(&f, "a record of term 1 after three of term 2 in its log");
    kh_faultfs_destroy(f.t.fs);
}

/* The claim (raft_storage_open): a call that fails while the store opens is RAFT_IO, and the
 * store opens as before once the disk is well: removing a leftover state.tmp, creating the log,
 * syncing the directory, cutting a torn tail, reading either file; a directory name too long is
 * RAFT_IO too, and the longest that fits opens. */
static void
test_c_open_errors_are_reported(void **state)
{
    (void)state;
    const struct {
        struct kh_faultfs_fault fault;
        bool is_new;           /* on an empty directory (so the log is created) */
        bool has_torn_tail;    /* a torn record after the three */
        const char *read_fail; /* a file whose reads fail, or NULL */
        const char *what;
    } cases[] = {
        {{.op = KH_FAULTFS_OP_UNLINK, .count = 1, .error = EIO},
         false,
         false,
         NULL,
         "removing state.tmp"},
        {{.op = KH_FAULTFS_OP_CREATE, .count = 1, .error = ENOSPC},
         true,
         false,
         NULL,
         "creating the log"},
        {{.op = KH_FAULTFS_OP_FSYNC_DIR, .count = 1, .error = EIO},
         false,
         false,
         NULL,
         "syncing the directory"},
        {{.op = KH_FAULTFS_OP_FTRUNCATE, .count = 1, .error = EIO},
         false,
         true,
         NULL,
         "cutting a torn tail"},
        {{.op = KH_FAULTFS_OP_ANY, .count = 0},
         false,
         false,
         TEST_DIR "/state",
         "reading the state"},
        {{.op = KH_FAULTFS_OP_ANY, .count = 0}, false, false, TEST_DIR "/log", "reading the log"},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        struct fixture f;
        if (cases[i].is_new) {
            memset(&f, 0, sizeof(f));
            tfs_init(&f.t);
            assert_int_equal(kh_faultfs_mkdir(f.t.fs, TEST_DIR), 0);
        } else {
            fixture_with_three_entries(&f);
        }
        if (cases[i].has_torn_tail) {
            int fd = kh_faultfs_open(f.t.fs, TEST_DIR "/log", O_RDWR);
            assert_true(fd >= 0);
            assert_int_equal(
                kh_faultfs_pwrite(f.t.fs, fd, "torn", 4,
                                  (uint64_t)kh_faultfs_file_size(f.t.fs, TEST_DIR "/log")),
                4);
            kh_faultfs_close(f.t.fs, fd);
        }
        if (cases[i].fault.count > 0) {
            assert_int_equal(kh_faultfs_inject(f.t.fs, &cases[i].fault), 0);
        }
        if (cases[i].read_fail != NULL) {
            snprintf(f.t.pread_fail_path, sizeof(f.t.pread_fail_path), "%s", cases[i].read_fail);
            f.t.is_pread_failing = true;
        }
        fixture_io(&f);
        raft_status st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.entries, &f.count);
        if (st != RAFT_IO) {
            fail_msg("raft_storage_open failing at %s returned %s; expected RAFT_IO", cases[i].what,
                     raft_status_name(st));
        }
        f.s = NULL;
        assert_descriptors(&f, true, cases[i].what);
        kh_faultfs_clear_faults(f.t.fs);
        f.t.is_pread_failing = false;
        f.t.pread_fail_path[0] = '\0';
        fixture_open(&f);
        assert_int_equal(f.count, cases[i].is_new ? 0 : 3);
        fixture_stop(&f);
    }
    struct fixture f;
    fixture_start(&f, NULL);
    char dir[RAFT_STORAGE_PATH_MAX];
    memset(dir, 'd', sizeof(dir) - 1);
    dir[0] = '/';
    dir[sizeof(dir) - 1] = '\0';
    struct raft_storage *s = NULL;
    assert_raft_status(raft_storage_open(&f.io, dir, &s, &f.hs, &f.entries, &f.count), RAFT_IO);
    dir[RAFT_STORAGE_PATH_MAX - sizeof("/state.tmp")] = '\0'; /* the longest name that fits */
    assert_int_equal(kh_faultfs_mkdir(f.t.fs, dir), 0);
    assert_raft_status(raft_storage_open(&f.io, dir, &s, &f.hs, &f.entries, &f.count), RAFT_OK);
    raft_storage_close(s);
    fixture_stop(&f);
}

/* The claim: a write that lands short (as pwrite may) is finished, not taken for the whole:
 * with every write cut to 7 bytes, to 1 byte, or to 23, saves still write every file whole. */
static void
test_c_short_writes_are_completed(void **state)
{
    (void)state;
    /* 7 bytes; 1 byte; and one short of the state file, which leaves a last write of 1 byte. */
    const size_t chunks[] = {7, 1, RAFT_STORAGE_STATE_BYTES - 1};
    for (size_t c = 0; c < KH_ARRAY_LEN(chunks); c++) {
        struct fixture f;
        fixture_start(&f, NULL);
        struct kh_faultfs_fault shorts = {
            .op = KH_FAULTFS_OP_PWRITE, .count = KH_FAULTFS_NTH_ANY, .short_bytes = chunks[c]};
        assert_int_equal(kh_faultfs_inject(f.t.fs, &shorts), 0);
        struct raft_entry e[2] = {
            {.term = 4,
             .index = 1,
             .type = RAFT_ENTRY_COMMAND,
             .size_bytes = 11,
             .data = (const uint8_t *)"first entry"},
            {.term = 4, .index = 2, .type = RAFT_ENTRY_NOOP},
        };
        struct raft_ready rd = {.has_hard_state = true,
                                .hard_state = {4, 1},
                                .has_log_change = true,
                                .log_from_index = 1,
                                .entries = e,
                                .entry_count = 2};
        assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
        kh_faultfs_clear_faults(f.t.fs);
        fixture_reopen(&f);
        if (f.hs.term != 4 || f.hs.vote != 1 || f.count != 2 ||
            !entries_equal(&f.entries[0], &e[0]) || !entries_equal(&f.entries[1], &e[1])) {
            fail_msg("saves through writes of %zu bytes at a time reopened as term %" PRIu64
                     ", vote %u, %zu entries; expected term 4, vote 1, the 2 entries as saved",
                     chunks[c], f.hs.term, f.hs.vote, f.count);
        }
        fixture_stop(&f);
    }
}

/* The claim: out of memory, open returns RAFT_NOMEM and leaks nothing, a save that has memory
 * keeps none, and a save without returns RAFT_NOMEM and fails the store (every later save
 * RAFT_IO); what was saved before is intact. */
static void
test_c_out_of_memory(void **state)
{
    (void)state;
#if KH_OOM_IS_INJECTABLE
    struct fixture f;
    fixture_with_three_entries(&f);
    fixture_io(&f);
    raft_status st = RAFT_NOMEM;
    for (int64_t n = 0; st == RAFT_NOMEM; n++) {
        assert_true(n < 64);
        int64_t live = kh_oom_live_blocks();
        kh_oom_arm(n);
        st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.entries, &f.count);
        kh_oom_disarm();
        if (st == RAFT_NOMEM && kh_oom_live_blocks() != live) {
            fail_msg("raft_storage_open with allocation %" PRId64 " failing returned RAFT_NOMEM "
                     "and kept %" PRId64 " blocks",
                     n, kh_oom_live_blocks() - live);
        }
        if (st != RAFT_NOMEM && st != RAFT_OK) {
            fail_msg("raft_storage_open with allocation %" PRId64 " failing returned %s; expected "
                     "RAFT_OK or RAFT_NOMEM",
                     n, raft_status_name(st));
        }
    }
    assert_descriptors(&f, false, "opens that ran out of memory");
    assert_int_equal(f.count, 3);
    struct raft_entry e = {.term = 2, .index = 4, .type = RAFT_ENTRY_NOOP};
    struct raft_ready rd = {
        .has_log_change = true, .log_from_index = 4, .entries = &e, .entry_count = 1};
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK); /* frees what open handed out */
    e.index = 5;
    rd.log_from_index = 5;
    int64_t live = kh_oom_live_blocks();
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    if (kh_oom_live_blocks() != live) {
        fail_msg("a save of one entry kept %" PRId64 " more blocks than before it",
                 kh_oom_live_blocks() - live);
    }
    e.index = 6;
    rd.log_from_index = 6;
    kh_oom_arm_all(true);
    st = raft_storage_save(f.s, &rd);
    kh_oom_arm_all(false);
    assert_raft_status(st, RAFT_NOMEM);
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_IO);
    fixture_reopen(&f);
    assert_true(f.count == 5 || f.count == 6);
    fixture_stop(&f);
    /* A save of 100 entries grows the store's memory: each of its allocations failing in turn,
     * it returns RAFT_NOMEM and keeps none of what it took (an allocation of the file system's
     * failing is an I/O error, RAFT_IO, and its memory is the file system's). */
    static struct raft_entry many[100];
    for (int64_t n = 0;; n++) {
        assert_true(n < 16);
        fixture_start(&f, NULL);
        for (uint32_t i = 0; i < 100; i++) {
            many[i] = (struct raft_entry){.term = 1, .index = i + 1, .type = RAFT_ENTRY_NOOP};
        }
        struct raft_ready big = {
            .has_log_change = true, .log_from_index = 1, .entries = many, .entry_count = 100};
        struct raft_ready first = {.has_hard_state = true, .hard_state = {1, 0}};
        assert_raft_status(raft_storage_save(f.s, &first), RAFT_OK);
        int64_t held = kh_oom_live_blocks();
        kh_oom_arm(n);
        st = raft_storage_save(f.s, &big);
        bool has_fired = kh_oom_disarm();
        if (st == RAFT_NOMEM && kh_oom_live_blocks() != held) {
            fail_msg("a save of 100 entries with allocation %" PRId64 " failing returned "
                     "RAFT_NOMEM and kept %" PRId64 " blocks",
                     n, kh_oom_live_blocks() - held);
        }
        fixture_stop(&f);
        if (!has_fired) {
            break;
        }
    }
#else
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#endif
}

/* The claim: the files are byte for byte what raft_storage.h says: a state of term 5, vote 2,
 * and a log of one 3-byte command of term 5. */
static void
test_c_files_are_byte_exact(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct raft_entry e = {.term = 5,
                           .index = 1,
                           .type = RAFT_ENTRY_COMMAND,
                           .size_bytes = 3,
                           .data = (const uint8_t *)"xyz"};
    struct raft_ready rd = {.has_hard_state = true,
                            .hard_state = {5, 2},
                            .has_log_change = true,
                            .log_from_index = 1,
                            .entries = &e,
                            .entry_count = 1};
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    uint8_t want_state[RAFT_STORAGE_STATE_BYTES] = {0};
    raft_put_u32(want_state + 4, RAFT_STORAGE_VERSION);
    raft_put_u64(want_state + 8, 5);
    raft_put_u32(want_state + 16, 2);
    raft_put_u32(want_state, bc_crc32c(0, want_state + 4, sizeof(want_state) - 4));
    uint8_t want_log[RAFT_STORAGE_RECORD_HEADER_BYTES + 3] = {0};
    raft_put_u32(want_log + 4, 3);
    raft_put_u64(want_log + 8, 5);
    raft_put_u64(want_log + 16, 1);
    want_log[24] = RAFT_ENTRY_COMMAND;
    memcpy(want_log + RAFT_STORAGE_RECORD_HEADER_BYTES, "xyz", 3);
    raft_put_u32(want_log, bc_crc32c(0, want_log + 4, sizeof(want_log) - 4));
    const struct {
        const char *path;
        const uint8_t *want;
        size_t size;
    } files[] = {{TEST_DIR "/state", want_state, sizeof(want_state)},
                 {TEST_DIR "/log", want_log, sizeof(want_log)}};
    for (size_t i = 0; i < KH_ARRAY_LEN(files); i++) {
        uint8_t got[64] = {0};
        int fd = kh_faultfs_open(f.t.fs, files[i].path, O_RDONLY);
        assert_true(fd >= 0);
        ssize_t n = kh_faultfs_pread(f.t.fs, fd, got, sizeof(got), 0);
        kh_faultfs_close(f.t.fs, fd);
        kh_assert_bytes_equal(files[i].path, strlen(files[i].path), files[i].want, files[i].size,
                              got, n > 0 ? (size_t)n : 0);
    }
    fixture_stop(&f);
}

/* The claim: a log of many entries (512 in saves of 64, so each save ends at a power of two,
 * far past any first allocation), one of them RAFT_ENTRY_BYTES_MAX bytes, reopens whole; cut
 * back to 120 and grown by 10, it reopens as that. */
static void
test_c_many_entries_and_the_largest(void **state)
{
    (void)state;
    static uint8_t big[RAFT_ENTRY_BYTES_MAX];
    memset(big, 'B', sizeof(big));
    struct fixture f;
    fixture_start(&f, NULL);
    struct raft_entry batch[64];
    for (uint32_t b = 0; b < 8; b++) {
        for (uint32_t i = 0; i < 64; i++) {
            uint64_t index = b * 64 + i + 1;
            bool is_big = index == 77;
            batch[i] = (struct raft_entry){.term = 3,
                                           .index = index,
                                           .type = RAFT_ENTRY_COMMAND,
                                           .size_bytes = is_big ? RAFT_ENTRY_BYTES_MAX : 8,
                                           .data = is_big ? big : (const uint8_t *)"entry..."};
        }
        struct raft_ready rd = {.has_hard_state = b == 0,
                                .hard_state = {3, 1},
                                .has_log_change = true,
                                .log_from_index = b * 64 + 1,
                                .entries = batch,
                                .entry_count = 64};
        assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    }
    fixture_reopen(&f);
    if (f.count != 512 || f.entries[76].size_bytes != RAFT_ENTRY_BYTES_MAX ||
        memcmp(f.entries[76].data, big, sizeof(big)) != 0 || f.entries[511].index != 512) {
        fail_msg("512 entries saved (entry 77 of RAFT_ENTRY_BYTES_MAX bytes) reopened as %zu "
                 "entries, entry 77 of %u bytes",
                 f.count, f.count > 76 ? f.entries[76].size_bytes : 0);
    }
    for (uint32_t i = 0; i < 10; i++) {
        batch[i] = (struct raft_entry){.term = 4, .index = 121 + i, .type = RAFT_ENTRY_NOOP};
    }
    struct raft_ready rd = {.has_hard_state = true,
                            .hard_state = {4, 0},
                            .has_log_change = true,
                            .log_from_index = 121,
                            .entries = batch,
                            .entry_count = 10};
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    fixture_reopen(&f);
    if (f.count != 130 || f.entries[119].term != 3 || f.entries[120].term != 4 ||
        f.entries[129].index != 130) {
        fail_msg("512 entries cut back to 120 and grown by 10 of term 4 reopened as %zu entries",
                 f.count);
    }
    fixture_stop(&f);
}

/* ---- A cluster on these stores ---------------------------------------------------------- */

#define CLUSTER_NODES 5u

/* Each node of a cluster on a store of its own, on its own file system. A crash keeps what the
 * disk would (crash_keep: unsynced bytes lost, all kept, or the last write torn). */
struct disks {
    struct fixture nodes[CLUSTER_NODES + 1];
    struct kh_rng *rng;
    unsigned mid_save_crashes;
};

static raft_status
disks_save_cb(void *ctx, uint32_t id, const struct raft_ready *rd)
{
    struct disks *d = ctx;
    return raft_storage_save(d->nodes[id].s, rd);
}

/* The node's machine died: what its disk holds now is a crash image; the store is reopened on
 * it (a store that does not open fails the test), ready for the node's restart. */
static void
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

static raft_status
disks_load_cb(void *ctx, uint32_t id, struct raft_hard_state *hs, const struct raft_entry **entries,
              size_t *count)
{
    struct disks *d = ctx;
    *hs = d->nodes[id].hs;
    *entries = d->nodes[id].entries;
    *count = d->nodes[id].count;
    return RAFT_OK;
}

/* The claim: a cluster whose nodes keep their state in these stores stays safe when machines
 * die in the middle of a save (the machine crashing at a call of the store chosen at random)
 * and between saves, each restarting from what its disk kept; and once they are all back, the
 * five agree on a command. The cluster checks every tick: one leader a term, every node the
 * same command at each index, a vote on disk before it is granted. */
static void
test_c_cluster_restarts_from_its_disks(void **state)
{
    (void)state;
    static struct disks d;
    memset(&d, 0, sizeof(d));
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        fixture_start(&d.nodes[id], NULL);
    }
    struct cluster_storage storage = {
        .save_cb = disks_save_cb, .crash_cb = disks_crash_cb, .load_cb = disks_load_cb, .ctx = &d};
    struct cluster c;
    cluster_start_with(&c, CLUSTER_NODES, kh_test_seed(), &storage);
    d.rng = kh_sim_rng(c.sim);
    for (int round = 0; round < 60; round++) {
        uint32_t leader = cluster_leader(&c);
        if (leader != 0) {
            uint64_t index, term;
            (void)raft_propose(c.nodes[leader].raft, "disk", 4, &index, &term);
            cluster_process(&c, leader);
        }
        uint32_t id = 1 + (uint32_t)kh_rng_below(d.rng, CLUSTER_NODES);
        if (c.nodes[id].raft != NULL && kh_rng_below(d.rng, 3) == 0) {
            struct kh_faultfs *fs = d.nodes[id].t.fs; /* dies at one of its next calls */
            kh_faultfs_crash_at(fs, kh_faultfs_trace_count(fs) + kh_rng_below(d.rng, 12));
        } else if (c.nodes[id].raft != NULL && kh_rng_below(d.rng, 4) == 0) {
            cluster_crash(&c, id);
        }
        cluster_run(&c, 1 + kh_rng_below(d.rng, 2 * CLUSTER_ELECTION_TICKS));
        for (uint32_t k = 1; k <= CLUSTER_NODES; k++) {
            if (c.nodes[k].raft == NULL && kh_rng_below(d.rng, 2) == 0) {
                cluster_restart(&c, k);
            }
        }
    }
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        kh_faultfs_crash_at(d.nodes[id].t.fs, UINT64_MAX); /* a crash armed and not yet met */
        if (c.nodes[id].raft == NULL) {
            cluster_restart(&c, id);
        }
    }
    cluster_one(&c, "disks-last", CLUSTER_NODES, 40u * CLUSTER_ELECTION_TICKS);
    if (d.mid_save_crashes == 0) {
        fail_msg("no machine died in the middle of a save: the test did not test what it claims");
    }
    cluster_stop(&c);
    for (uint32_t id = 1; id <= CLUSTER_NODES; id++) {
        fixture_stop(&d.nodes[id]);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_new_store_is_empty),
        cmocka_unit_test(test_c_files_are_byte_exact),
        cmocka_unit_test(test_c_many_entries_and_the_largest),
        cmocka_unit_test(test_c_saves_survive_reopen),
        cmocka_unit_test(test_c_every_crash_keeps_what_was_saved),
        cmocka_unit_test(test_c_torn_tail_is_cut),
        cmocka_unit_test(test_c_io_error_fails_the_store),
        cmocka_unit_test(test_c_corrupt_state_is_refused),
        cmocka_unit_test(test_c_log_out_of_order_is_refused),
        cmocka_unit_test(test_c_open_errors_are_reported),
        cmocka_unit_test(test_c_short_writes_are_completed),
        cmocka_unit_test(test_c_out_of_memory),
        cmocka_unit_test(test_c_cluster_restarts_from_its_disks),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
