/* test_c_storage.c -- part C: a node's stable storage (raft_storage.h), on lab 03's in-memory
 * test file system, call by call: what saves write and a reopen reads, the files' bytes, torn
 * tails, corrupt files, failed calls, short writes and out of memory. store_test.h has the
 * workload and the fixture; test_c_crash.c crashes the store, alone and in a cluster. */
#include "kh_oom.h"
#include "store_test.h"

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
    assert_creates(&f.hs, NULL, f.entries, f.count, "a new store");
    fixture_stop(&f);
}

/* The claim: what saves wrote is what a reopen reads: 24 saves of the workload, the store closed
 * and reopened after every sixth, compared with the model each time. */
static void
test_c_saves_survive_reopen(void **state)
{
    (void)state;
    workload_reopened(WORKLOAD_PART_C);
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
        raft_status st =
            raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.snap, &f.entries, &f.count);
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
    assert_raft_status(raft_storage_open(&f.io, dir, &s, &f.hs, &f.snap, &f.entries, &f.count),
                       RAFT_IO);
    dir[RAFT_STORAGE_PATH_MAX - sizeof("/snapshot.tmp")] = '\0'; /* the longest that fits */
    assert_int_equal(kh_faultfs_mkdir(f.t.fs, dir), 0);
    assert_raft_status(raft_storage_open(&f.io, dir, &s, &f.hs, &f.snap, &f.entries, &f.count),
                       RAFT_OK);
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
    raft_status st = RAFT_NOMEM;
    for (int64_t n = 0; st == RAFT_NOMEM; n++) {
        assert_true(n < 64);
        /* The same store on a new file system each time: the file system allocates as its trace
         * grows, and an allocation of its own among the store's would move the one that fails
         * past one of the store's. */
        fixture_with_three_entries(&f);
        fixture_io(&f);
        int64_t live = kh_oom_live_blocks();
        kh_oom_arm(n);
        st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.snap, &f.entries, &f.count);
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
        if (st == RAFT_NOMEM) {
            assert_descriptors(&f, true, "an open that ran out of memory");
            kh_faultfs_destroy(f.t.fs);
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

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_new_store_is_empty),
        cmocka_unit_test(test_c_files_are_byte_exact),
        cmocka_unit_test(test_c_many_entries_and_the_largest),
        cmocka_unit_test(test_c_saves_survive_reopen),
        cmocka_unit_test(test_c_torn_tail_is_cut),
        cmocka_unit_test(test_c_io_error_fails_the_store),
        cmocka_unit_test(test_c_corrupt_state_is_refused),
        cmocka_unit_test(test_c_log_out_of_order_is_refused),
        cmocka_unit_test(test_c_open_errors_are_reported),
        cmocka_unit_test(test_c_short_writes_are_completed),
        cmocka_unit_test(test_c_out_of_memory),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
