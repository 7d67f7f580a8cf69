/* test_d_storage.c -- part D: the snapshot on stable storage (raft_storage.h): its file byte for
 * byte, the log compacted behind it, what a reopen hands out, the machine crashing at every call
 * of saves that carry snapshots, corrupt and misplaced files, failed calls, short writes, out of
 * memory, and a cluster that compacts its logs while machines die. Read
 * assert_saved_or_under_way first: it says what a store may hold after a save that did not
 * finish. store_test.h has the workload, its model, the fixture and the files' formats by hand. */
#include "kh_oom.h"
#include "store_test.h"

/* ---- Stores and their models ------------------------------------------------------------- */

/* Saves rd on f's store, which must return RAFT_OK, and applies it to m, its model. */
static void
save(struct fixture *f, struct saved *m, const struct raft_ready *rd)
{
    assert_raft_status(raft_storage_save(f->s, rd), RAFT_OK);
    saved_apply(m, rd);
}

/* A store's first ready: hard state hs, and the log from index 1, count entries. */
static struct raft_ready
first_ready(struct raft_hard_state hs, const struct raft_entry *entries, size_t count)
{
    struct raft_ready rd = {.has_hard_state = true,
                            .hard_state = hs,
                            .has_log_change = true,
                            .log_from_index = 1,
                            .entries = entries,
                            .entry_count = count};
    return rd;
}

/* A new store on f, and m its model, after one save: term 3, vote 1, and entries 1-5 of terms
 * 1, 1, 2, 2, 3 carrying "I" to "V" (1 to 3 bytes). */
static void
fixture_with_five_entries(struct fixture *f, struct saved *m)
{
    static const char *const words[] = {"I", "II", "III", "IV", "V"};
    static const uint64_t terms[] = {1, 1, 2, 2, 3};
    struct raft_entry e[5];
    for (uint32_t i = 0; i < 5; i++) {
        e[i] = (struct raft_entry){.term = terms[i],
                                   .index = i + 1,
                                   .type = RAFT_ENTRY_COMMAND,
                                   .size_bytes = (uint32_t)strlen(words[i]),
                                   .data = (const uint8_t *)words[i]};
    }
    struct raft_ready rd = first_ready((struct raft_hard_state){3, 1}, e, 5);
    memset(m, 0, sizeof(*m));
    fixture_start(f, NULL);
    save(f, m, &rd);
}

/* A ready that saves a snapshot at index, of term, whose data is text. */
static struct raft_ready
snapshot_ready(uint64_t index, uint64_t term, const char *text)
{
    struct raft_ready rd = {.has_snapshot = true,
                            .snapshot = {.index = index,
                                         .term = term,
                                         .size_bytes = strlen(text),
                                         .data = (const uint8_t *)text}};
    return rd;
}

/* A ready of every kind at once, for a store of five entries: a hard state of term 4, a snapshot
 * at 3 of entry 3's term (entries 4 and 5 stay) and entry 6 appended. */
static struct raft_ready
full_ready(void)
{
    static const struct raft_entry six = {.term = 4,
                                          .index = 6,
                                          .type = RAFT_ENTRY_COMMAND,
                                          .size_bytes = 3,
                                          .data = (const uint8_t *)"six"};
    struct raft_ready rd = snapshot_ready(3, 2, "the state at 3");
    rd.has_hard_state = true;
    rd.hard_state = (struct raft_hard_state){4, 2};
    rd.has_log_change = true;
    rd.log_from_index = 6;
    rd.entries = &six;
    rd.entry_count = 1;
    return rd;
}

/* Reopens f's store, what it hands out garbled first (fixture_open garbles all but the
 * snapshot, which part C's tests do not read). */
static void
reopen(struct fixture *f)
{
    memset(&f->snap, 0xa5, sizeof(f->snap));
    fixture_reopen(f);
}

/* Fails unless what f's store last handed out is m: its hard state, snapshot and entries. */
static void
assert_holds(const struct fixture *f, const struct saved *m, const char *when)
{
    if (!snapshots_equal(&f->snap, &m->snap) || !state_is(m, &f->hs, f->entries, f->count)) {
        fail_msg("%s: the store handed out term %" PRIu64 ", a snapshot at %" PRIu64
                 " (term %" PRIu64 ", %" PRIu64 " bytes) and %zu entries (%" PRIu64
                 " as saved, from index %" PRIu64 "); expected term %" PRIu64
                 ", a snapshot at %" PRIu64 " (term %" PRIu64 ", %" PRIu64 " bytes) and %" PRIu64
                 " entries",
                 when, f->hs.term, f->snap.index, f->snap.term, f->snap.size_bytes, f->count,
                 common_prefix(m, f->entries, f->count), f->count > 0 ? f->entries[0].index : 0,
                 m->hs.term, m->snap.index, m->snap.term, m->snap.size_bytes, m->count);
    }
    assert_creates(&f->hs, &f->snap, f->entries, f->count, when);
}

/* Fails unless f's log file holds as many bytes as m's entries take, and so no record of an
 * entry through m's snapshot: what a save with a snapshot leaves (raft_storage.h). */
static void
assert_log_is_compact(struct fixture *f, const struct saved *m, const char *when)
{
    uint64_t want = 0;
    for (uint64_t k = 0; k < m->count; k++) {
        want += RAFT_STORAGE_RECORD_HEADER_BYTES + m->entries[k].size_bytes;
    }
    int64_t got = kh_faultfs_file_size(f->t.fs, TEST_DIR "/log");
    if (got != (int64_t)want) {
        fail_msg("%s: the log holds %" PRId64 " bytes once the save returned; the %" PRIu64
                 " records after the snapshot at %" PRIu64 " take %" PRIu64,
                 when, got, m->count, m->snap.index, want);
    }
}

/* Fails unless no ".tmp" file is left in f's store: open removes what a crash left. */
static void
assert_no_leftovers(struct fixture *f, const char *when)
{
    static const char *const leftovers[] = {TEST_DIR "/state.tmp", TEST_DIR "/snapshot.tmp",
                                            TEST_DIR "/log.tmp"};
    for (size_t i = 0; i < KH_ARRAY_LEN(leftovers); i++) {
        if (kh_faultfs_file_size(f->t.fs, leftovers[i]) != -ENOENT) {
            fail_msg("%s: %s is still there after open (a crash's leftover)", when, leftovers[i]);
        }
    }
}

/* Saves the entry after the last one f's store handed out (a no-op of its term), reopens, and
 * fails unless the store then holds it too: a store that opened takes saves and keeps them. */
static void
assert_takes_an_entry(struct fixture *f, const char *when)
{
    struct saved *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->hs = f->hs;
    m->snap = f->snap;
    m->count = f->count;
    for (uint64_t k = 0; k < f->count; k++) {
        m->entries[k] = f->entries[k];
        memcpy(m->data[k], f->entries[k].data != NULL ? f->entries[k].data : (const uint8_t *)"",
               f->entries[k].size_bytes);
    }
    if (f->snap.size_bytes > 0) {
        memcpy(m->snap_data, f->snap.data, f->snap.size_bytes);
    }
    saved_own(m); /* what the store handed out is no longer borrowed once it saves */
    uint64_t term = f->hs.term > 0 ? f->hs.term : 1;
    struct raft_entry next = {
        .term = term, .index = f->snap.index + f->count + 1, .type = RAFT_ENTRY_NOOP};
    struct raft_ready rd = {.has_hard_state = f->hs.term == 0,
                            .hard_state = {term, 0},
                            .has_log_change = true,
                            .log_from_index = next.index,
                            .entries = &next,
                            .entry_count = 1};
    save(f, m, &rd);
    reopen(f);
    char after[160];
    snprintf(after, sizeof(after), "%s, then entry %" PRIu64 " saved and the store reopened", when,
             next.index);
    assert_holds(f, m, after);
    free(m);
}

/* Fails unless f's store, opened after a crash or a failed save, holds what the saves that
 * returned RAFT_OK made durable, give or take the one under way, rd, which would have taken
 * before to after. Its hard state is either one. Its snapshot is either one, the new one only with
 * the new hard state (saved first). With the old snapshot, the log is the old one; with the new,
 * the log is the old one lined up with it (mid: the entries after its index if the old log held
 * its index with its term, else none), or a prefix of the new log keeping at least the entries
 * before rd->log_from_index (its log change under way). */
static void
assert_saved_or_under_way(const struct fixture *f, const struct saved *before,
                          const struct raft_ready *rd, const struct saved *after, const char *when)
{
    struct saved *mid = malloc(sizeof(*mid));
    assert_non_null(mid);
    *mid = *before;
    saved_own(mid);
    if (rd->has_snapshot) {
        saved_compact(mid, &rd->snapshot);
    }
    bool is_new_snap = rd->has_snapshot && snapshots_equal(&f->snap, &after->snap);
    bool is_snap_ok = is_new_snap || snapshots_equal(&f->snap, &before->snap);
    bool is_old_hs = f->hs.term == before->hs.term && f->hs.vote == before->hs.vote;
    bool is_new_hs = f->hs.term == after->hs.term && f->hs.vote == after->hs.vote;
    const struct saved *base = is_new_snap ? mid : before;
    uint64_t kept = rd->has_log_change ? rd->log_from_index - 1 - after->snap.index : 0;
    bool is_log_ok =
        (f->count == base->count && common_prefix(base, f->entries, f->count) == f->count) ||
        (rd->has_log_change && (is_new_snap || !rd->has_snapshot) && f->count >= kept &&
         f->count <= after->count && common_prefix(after, f->entries, f->count) == f->count);
    if (!is_snap_ok || (is_new_snap && !is_new_hs) || (!is_old_hs && !is_new_hs) || !is_log_ok) {
        fail_msg(
            "%s: reopened with term %" PRIu64 ", vote %u, a snapshot at %" PRIu64 " (term %" PRIu64
            ") and %zu entries; before the save under way: term %" PRIu64
            ", vote %u, a snapshot at %" PRIu64 " and %" PRIu64 " entries; after it: term %" PRIu64
            ", vote %u, a snapshot at %" PRIu64 " (term %" PRIu64 ") and %" PRIu64
            " entries, of which the log change keeps %" PRIu64 " (%" PRIu64
            " once the snapshot is saved)",
            when, f->hs.term, f->hs.vote, f->snap.index, f->snap.term, f->count, before->hs.term,
            before->hs.vote, before->snap.index, before->count, after->hs.term, after->hs.vote,
            after->snap.index, after->snap.term, after->count, kept, mid->count);
    }
    free(mid);
    assert_creates(&f->hs, &f->snap, f->entries, f->count, when);
}

/* ---- The tests --------------------------------------------------------------------------- */

/* The claim: the snapshot file is byte for byte what raft_storage.h says, and saving it leaves
 * the log holding exactly the records after its index (here one, entry 3, byte for byte). */
static void
test_d_snapshot_file_is_byte_exact(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct raft_entry e[3] = {
        {.term = 5, .index = 1, .type = RAFT_ENTRY_NOOP},
        {.term = 5,
         .index = 2,
         .type = RAFT_ENTRY_COMMAND,
         .size_bytes = 2,
         .data = (const uint8_t *)"ab"},
        {.term = 5,
         .index = 3,
         .type = RAFT_ENTRY_COMMAND,
         .size_bytes = 3,
         .data = (const uint8_t *)"xyz"},
    };
    struct raft_ready rd = first_ready((struct raft_hard_state){5, 2}, e, 3);
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    rd = snapshot_ready(2, 5, "snapshot!");
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    uint8_t want_snapshot[RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + 9] = {0};
    raft_put_u32(want_snapshot + 4, RAFT_STORAGE_VERSION);
    raft_put_u64(want_snapshot + 8, 2);
    raft_put_u64(want_snapshot + 16, 5);
    raft_put_u64(want_snapshot + 24, 9);
    memcpy(want_snapshot + RAFT_STORAGE_SNAPSHOT_HEADER_BYTES, "snapshot!", 9);
    raft_put_u32(want_snapshot, bc_crc32c(0, want_snapshot + 4, sizeof(want_snapshot) - 4));
    uint8_t want_log[RAFT_STORAGE_RECORD_HEADER_BYTES + 3];
    assert_int_equal(put_record(want_log, &e[2]), sizeof(want_log));
    const struct {
        const char *name;
        const uint8_t *want;
        size_t size;
    } files[] = {{"snapshot", want_snapshot, sizeof(want_snapshot)},
                 {"log", want_log, sizeof(want_log)}};
    for (size_t i = 0; i < KH_ARRAY_LEN(files); i++) {
        uint8_t got[128] = {0};
        size_t n = fs_read(&f, files[i].name, got, sizeof(got));
        kh_assert_bytes_equal(files[i].name, strlen(files[i].name), files[i].want, files[i].size,
                              got, n);
    }
    fixture_stop(&f);
}

/* The claim: a reopen hands out the last snapshot saved and the entries after its index: those
 * the log held after it when the record at its index had its term, none when the record there
 * had another term or the log ended before it, and in each case the entries saved since. A
 * save may carry a snapshot and a log change at once, and a later snapshot replaces one. */
static void
test_d_reopen_hands_out_what_follows_the_snapshot(void **state)
{
    (void)state;
    const struct {
        uint64_t index, term;
        const char *data, *what;
    } cases[] = {
        {3, 2, "the state at 3", "a snapshot at 3 of entry 3's term, 2"},
        {3, 1, "the state at 3", "a snapshot at 3 of term 1 (entry 3's is 2)"},
        {7, 3, "the state at 7", "a snapshot at 7, past the log's end (5)"},
        {5, 3, "", "a snapshot at 5, the log's last entry, of no data"},
        {1, 1, "1", "a snapshot at 1 of one byte"},
    };
    struct saved *m = malloc(sizeof(*m));
    assert_non_null(m);
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        struct fixture f;
        fixture_with_five_entries(&f, m);
        struct raft_ready rd = snapshot_ready(cases[i].index, cases[i].term, cases[i].data);
        save(&f, m, &rd);
        assert_log_is_compact(&f, m, cases[i].what);
        reopen(&f);
        assert_holds(&f, m, cases[i].what);
        /* Two entries of term 3 after it, then a snapshot at the first of them that keeps the
         * second, in the same save as a change from it on. */
        struct raft_entry e[3];
        for (uint32_t k = 0; k < 3; k++) {
            e[k] = (struct raft_entry){.term = 3,
                                       .index = m->snap.index + m->count + 1 + k,
                                       .type = RAFT_ENTRY_COMMAND,
                                       .size_bytes = 5,
                                       .data = (const uint8_t *)(k < 2 ? "after" : "again")};
        }
        rd = (struct raft_ready){
            .has_log_change = true, .log_from_index = e[0].index, .entries = e, .entry_count = 2};
        save(&f, m, &rd);
        reopen(&f);
        assert_holds(&f, m, "then two entries appended");
        rd = snapshot_ready(e[0].index, 3, "a later snapshot");
        rd.has_log_change = true;
        rd.log_from_index = e[1].index;
        rd.entries = &e[2];
        rd.entry_count = 1;
        e[2].index = e[1].index;
        save(&f, m, &rd);
        assert_log_is_compact(&f, m, "a later snapshot");
        reopen(&f);
        assert_holds(&f, m, "then a later snapshot and a change to the entry after it");
        fixture_stop(&f);
    }
    free(m);
}

/* The claim: saving a snapshot rewrites the log without the records through its index: 200
 * records of 100 bytes, a snapshot at 190 leaves exactly the last 10 in the file, byte for byte;
 * one at 200, an empty file. */
static void
test_d_compaction_rewrites_the_log(void **state)
{
    (void)state;
    static struct raft_entry e[200];
    static uint8_t want[10 * (RAFT_STORAGE_RECORD_HEADER_BYTES + 100)];
    static uint8_t got[sizeof(want) + 1];
    uint8_t data[100];
    memset(data, 'd', sizeof(data));
    for (uint32_t i = 0; i < 200; i++) {
        e[i] = (struct raft_entry){.term = 1 + i / 50,
                                   .index = i + 1,
                                   .type = RAFT_ENTRY_COMMAND,
                                   .size_bytes = sizeof(data),
                                   .data = data};
    }
    struct fixture f;
    fixture_start(&f, NULL);
    struct raft_ready rd = first_ready((struct raft_hard_state){4, 0}, e, 200);
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    rd = snapshot_ready(190, 4, "at 190");
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    size_t size = 0;
    for (uint32_t i = 190; i < 200; i++) {
        size += put_record(want + size, &e[i]);
    }
    size_t n = fs_read(&f, "log", got, sizeof(got));
    kh_assert_bytes_equal("log", 3, want, size, got, n);
    rd = snapshot_ready(200, 4, "at 200");
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    if (kh_faultfs_file_size(f.t.fs, TEST_DIR "/log") != 0) {
        fail_msg("a snapshot at the log's last index left %" PRId64 " bytes in the log; "
                 "expected none",
                 kh_faultfs_file_size(f.t.fs, TEST_DIR "/log"));
    }
    fixture_stop(&f);
}

/* The claim: what saves with snapshots wrote is what a reopen reads: part D's workload (a
 * snapshot every third save: at an entry with its term or another, or past the log's end), the
 * store reopened after every sixth save, each time the model's snapshot and log. */
static void
test_d_saves_with_snapshots_survive_reopen(void **state)
{
    (void)state;
    workload_reopened(WORKLOAD_PART_D);
}

/* A crash image of part D's workload: it opens (its ".tmp" files removed), holds what the
 * acknowledged saves wrote give or take the one under way, a node starts from it, and the store
 * takes a new entry and keeps it. */
static void
check_snapshot_image(struct kh_faultfs *img, const struct crash *crash)
{
    struct fixture f;
    fixture_open_image(&f, img, crash->when);
    assert_no_leftovers(&f, crash->when);
    struct saved *scratch = calloc(1, sizeof(*scratch));
    assert_non_null(scratch);
    struct raft_ready rd = {0};
    uint32_t saved = crash->saved;
    if (saved < WORKLOAD_SAVES) {
        workload_nth(crash->seed, crash->kind, crash->models, saved, &rd, scratch);
    }
    const struct saved *after = &crash->models[saved < WORKLOAD_SAVES ? saved + 1 : saved];
    assert_saved_or_under_way(&f, &crash->models[saved], &rd, after, crash->when);
    free(scratch);
    assert_takes_an_entry(&f, crash->when);
    fixture_stop(&f);
}

/* The claim (raft_storage.h): once a save that carries a snapshot returns RAFT_OK, the snapshot
 * and the log after it survive any crash; a crash in the middle of one leaves the old snapshot
 * with the old log, or the new snapshot with the log lined up with it, never a log that lost
 * an entry the snapshot does not stand for or holds one no save wrote. Part D's workload runs
 * with the machine crashing at each of its calls in turn (unsynced bytes lost, kept or torn). */
static void
test_d_every_crash_keeps_what_was_saved(void **state)
{
    (void)state;
    workload_crashed_everywhere(WORKLOAD_PART_D, check_snapshot_image);
}

/* The claim (raft_storage.h): a crash between the snapshot's rename and the log's leaves the new
 * snapshot beside the old log, and open lines the two up: the entries after the snapshot's index
 * if the log holds it with its term, else none; entries saved after that reopen. ".tmp" files
 * left beside them are removed. Each case is made by hand: "snapshot" written over a store of
 * five entries (terms 1, 1, 2, 2, 3). */
static void
test_d_open_lines_the_log_up_with_the_snapshot(void **state)
{
    (void)state;
    const struct {
        uint64_t index, term;
        const char *what;
    } cases[] = {
        {3, 2, "a new snapshot at 3 (term 2) beside the old log"},
        {3, 1, "a new snapshot at 3 of term 1 beside the old log (entry 3's term is 2)"},
        {2, 1, "a new snapshot at 2 (term 1) beside the old log"},
        {5, 3, "a new snapshot at 5 (term 3) beside the old log, whose last entry it is"},
        {8, 3, "a new snapshot at 8 beside the old log of 5"},
    };
    struct saved *m = malloc(sizeof(*m));
    assert_non_null(m);
    uint8_t file[RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + 128];
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        struct fixture f;
        fixture_with_five_entries(&f, m);
        raft_storage_close(f.s);
        struct raft_ready rd = snapshot_ready(cases[i].index, cases[i].term, cases[i].what);
        saved_apply(m, &rd); /* what a finished save would have left */
        fs_replace(&f, "snapshot", file, put_snapshot(file, &rd.snapshot));
        fs_replace(&f, "state.tmp", "torn", 4);
        fs_replace(&f, "snapshot.tmp", "torn", 4);
        fs_replace(&f, "log.tmp", "torn", 4);
        memset(&f.snap, 0xa5, sizeof(f.snap));
        fixture_open(&f);
        assert_holds(&f, m, cases[i].what);
        assert_no_leftovers(&f, cases[i].what);
        assert_takes_an_entry(&f, cases[i].what);
        fixture_stop(&f);
    }
    free(m);
}

/* The claim: a "snapshot" file that fails its checksum, whose size is not its header's and its
 * data's (short, long, empty, the size field off), or of another version was written by no save
 * (saves replace it whole): RAFT_CORRUPT. */
static void
test_d_corrupt_snapshot_is_refused(void **state)
{
    (void)state;
    enum { BIT_FLIPPED, VERSION, SIZE_FIELD, ONE_SHORT, HEADER_SHORT, EMPTY, ONE_LONG, DAMAGES };
    static const char *const names[] = {
        "a bit flipped in the snapshot's data",
        "a snapshot of another version (its checksum right)",
        "a snapshot whose data size is one more than it holds (its checksum right)",
        "a snapshot one byte short",
        "a snapshot shorter than its header",
        "an empty snapshot",
        "a snapshot one byte long (its checksum right)",
    };
    /* At the log's last entry: a store that took a bad snapshot for none would find no log
     * past it to betray it. */
    const char *text = "the state machine, as of entry 5";
    struct raft_snapshot snap = {5, 3, strlen(text), (const uint8_t *)text};
    uint8_t good[RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + 64], bad[sizeof(good) + 1];
    size_t size = put_snapshot(good, &snap);
    for (int damage = 0; damage < DAMAGES; damage++) {
        struct fixture f;
        struct saved *m = malloc(sizeof(*m));
        assert_non_null(m);
        fixture_with_five_entries(&f, m);
        struct raft_ready rd = snapshot_ready(snap.index, snap.term, text);
        save(&f, m, &rd);
        raft_storage_close(f.s);
        f.s = NULL;
        free(m);
        memcpy(bad, good, size);
        size_t bad_size = size;
        if (damage == BIT_FLIPPED) {
            bad[RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + 7] ^= 0x10;
        } else if (damage == VERSION || damage == SIZE_FIELD) {
            raft_put_u32(bad + 4, RAFT_STORAGE_VERSION + (damage == VERSION));
            raft_put_u64(bad + 24, snap.size_bytes + (damage == SIZE_FIELD));
        } else if (damage == ONE_LONG) {
            bad[bad_size++] = 0;
        } else {
            bad_size = damage == ONE_SHORT      ? size - 1
                       : damage == HEADER_SHORT ? RAFT_STORAGE_SNAPSHOT_HEADER_BYTES - 1
                                                : 0;
        }
        if (damage == VERSION || damage == SIZE_FIELD || damage == ONE_LONG) {
            raft_put_u32(bad, bc_crc32c(0, bad + 4, bad_size - 4)); /* only the damage is off */
        }
        fs_replace(&f, "snapshot", bad, bad_size);
        assert_open_corrupt(&f, names[damage]);
        kh_faultfs_destroy(f.t.fs);
    }
}

/* The claim (raft_storage_open): a log whose first record is past the snapshot's index + 1 (a
 * gap no save leaves: entries lost, here with the snapshot gone or older); a log after the
 * snapshot whose first term is below the snapshot's (a term that goes back); and a snapshot of a
 * term above the hard state's (saves write the hard state first) are RAFT_CORRUPT. */
static void
test_d_snapshot_out_of_place_is_refused(void **state)
{
    (void)state;
    uint8_t file[RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + 16];
    for (int damage = 0; damage < 4; damage++) {
        struct fixture f;
        struct saved *m = malloc(sizeof(*m));
        assert_non_null(m);
        fixture_with_five_entries(&f, m);
        struct raft_ready rd = snapshot_ready(damage < 3 ? 3 : 5, damage < 3 ? 2 : 3, "state");
        save(&f, m, &rd);
        raft_storage_close(f.s);
        f.s = NULL;
        free(m);
        const char *what = NULL;
        if (damage == 0) {
            struct raft_snapshot older = {2, 1, 5, (const uint8_t *)"older"};
            fs_replace(&f, "snapshot", file, put_snapshot(file, &older));
            what = "entries 4 and 5 after a snapshot at 2";
        } else if (damage == 1) {
            assert_int_equal(kh_faultfs_unlink(f.t.fs, TEST_DIR "/snapshot"), 0);
            what = "entries 4 and 5 and no snapshot";
        } else if (damage == 2) {
            const struct raft_entry back = {.term = 1, .index = 4, .type = RAFT_ENTRY_NOOP};
            fs_replace(&f, "log", file, put_record(file, &back));
            what = "entry 4 of term 1 after a snapshot at 3 of term 2";
        } else {
            struct raft_snapshot above = {5, 4, 5, (const uint8_t *)"above"};
            fs_replace(&f, "snapshot", file, put_snapshot(file, &above));
            what = "a snapshot of term 4 and a hard state of term 3";
        }
        assert_open_corrupt(&f, what);
        kh_faultfs_destroy(f.t.fs);
    }
}

/* The claim: a save carrying a snapshot whose n-th call fails returns RAFT_IO, whichever call it
 * is, and fails the store (the next save RAFT_IO too); a reopen then finds what
 * assert_saved_or_under_way allows. A snapshot whose file cannot be read is RAFT_IO at open,
 * and the store opens once it can. */
static void
test_d_io_errors_are_reported(void **state)
{
    (void)state;
    struct saved *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
    assert_non_null(before);
    assert_non_null(after);
    const struct raft_ready rd = full_ready();
    struct fixture f;
    fixture_with_five_entries(&f, before);
    uint64_t first = kh_faultfs_trace_count(f.t.fs);
    assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
    uint64_t calls = kh_faultfs_trace_count(f.t.fs) - first;
    fixture_stop(&f);
    *after = *before;
    saved_own(after);
    saved_apply(after, &rd);
    const struct raft_ready vote = {.has_hard_state = true, .hard_state = {5, 3}};
    for (uint64_t n = 0; n < calls; n++) {
        fixture_with_five_entries(&f, before);
        const struct kh_faultfs_fault fault = {
            .op = KH_FAULTFS_OP_ANY, .nth = n, .count = 1, .error = EIO};
        assert_int_equal(kh_faultfs_inject(f.t.fs, &fault), 0);
        raft_status st = raft_storage_save(f.s, &rd);
        kh_faultfs_clear_faults(f.t.fs);
        if (st != RAFT_IO) {
            fail_msg("a save of a snapshot whose call %" PRIu64 " of %" PRIu64 " failed returned "
                     "%s; expected RAFT_IO",
                     n, calls, raft_status_name(st));
        }
        assert_raft_status(raft_storage_save(f.s, &vote), RAFT_IO);
        reopen(&f);
        assert_saved_or_under_way(&f, before, &rd, after, "a reopen after a failed save");
        assert_no_leftovers(&f, "a reopen after a failed save");
        fixture_stop(&f);
    }
    fixture_with_five_entries(&f, before);
    struct raft_ready taken = snapshot_ready(3, 2, "the state at 3");
    save(&f, before, &taken);
    raft_storage_close(f.s);
    snprintf(f.t.pread_fail_path, sizeof(f.t.pread_fail_path), TEST_DIR "/snapshot");
    f.t.is_pread_failing = true;
    fixture_io(&f);
    raft_status st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.snap, &f.entries, &f.count);
    if (st != RAFT_IO) {
        fail_msg("raft_storage_open failing to read the snapshot returned %s; expected RAFT_IO",
                 raft_status_name(st));
    }
    f.s = NULL;
    assert_descriptors(&f, true, "an open that failed to read the snapshot");
    f.t.is_pread_failing = false;
    reopen(&f);
    assert_holds(&f, before, "a reopen once the snapshot can be read");
    fixture_stop(&f);
    free(before);
    free(after);
}

/* The claim: a write that lands short is finished: a snapshot of 200,000 bytes (over three of
 * RAFT_SNAPSHOT_CHUNK_BYTES) saved, with the log's kept records, through writes cut to 4,093
 * bytes, to 65,535 and to 199,999, reopens whole. */
static void
test_d_short_writes_are_completed(void **state)
{
    (void)state;
    static uint8_t big[200000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i * 7 + i / 251);
    }
    const size_t chunks[] = {4093, 65535, sizeof(big) - 1};
    struct saved *m = malloc(sizeof(*m));
    assert_non_null(m);
    for (size_t c = 0; c < KH_ARRAY_LEN(chunks); c++) {
        struct fixture f;
        fixture_with_five_entries(&f, m);
        struct kh_faultfs_fault shorts = {
            .op = KH_FAULTFS_OP_PWRITE, .count = KH_FAULTFS_NTH_ANY, .short_bytes = chunks[c]};
        assert_int_equal(kh_faultfs_inject(f.t.fs, &shorts), 0);
        struct raft_ready rd = {.has_snapshot = true,
                                .snapshot = {2, 1, sizeof(big), big}}; /* keeps entries 3-5 */
        assert_raft_status(raft_storage_save(f.s, &rd), RAFT_OK);
        kh_faultfs_clear_faults(f.t.fs);
        const struct raft_snapshot header_only = {2, 1, 0, NULL};
        saved_compact(m, &header_only);
        m->snap = rd.snapshot; /* its data stays in big, too big for the model's copy */
        reopen(&f);
        char when[64];
        snprintf(when, sizeof(when), "writes cut to %zu bytes", chunks[c]);
        assert_holds(&f, m, when);
        fixture_stop(&f);
    }
    free(m);
}

/* The claim: out of memory, an open of a store with a snapshot returns RAFT_NOMEM and keeps no
 * memory, whichever allocation fails; so does a save carrying a snapshot, which also fails the
 * store: the next save is RAFT_IO, and a reopen finds what assert_saved_or_under_way allows.
 * (faultfs keeps every file it made until it is destroyed, so a save's blocks are counted once
 * the store is closed and its file system gone; an allocation of the file system's failing is an
 * I/O error, RAFT_IO.) */
static void
test_d_out_of_memory(void **state)
{
    (void)state;
#if KH_OOM_IS_INJECTABLE
    struct saved *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
    assert_non_null(before);
    assert_non_null(after);
    struct fixture f;
    struct raft_ready rd = snapshot_ready(2, 1, "the state at 2"); /* keeps entries 3 to 5 */
    raft_status st = RAFT_NOMEM;
    for (int64_t n = 0; st == RAFT_NOMEM; n++) {
        assert_true(n < 64);
        /* The same store on a new file system each time: the file system allocates as its trace
         * grows, and an allocation of its own among the store's would move the one that fails
         * past one of the store's. */
        fixture_with_five_entries(&f, before);
        save(&f, before, &rd);
        raft_storage_close(f.s);
        fixture_io(&f);
        int64_t live = kh_oom_live_blocks();
        kh_oom_arm(n);
        st = raft_storage_open(&f.io, TEST_DIR, &f.s, &f.hs, &f.snap, &f.entries, &f.count);
        kh_oom_disarm();
        if (st == RAFT_NOMEM && kh_oom_live_blocks() != live) {
            fail_msg("raft_storage_open of a store with a snapshot, allocation %" PRId64
                     " failing, returned RAFT_NOMEM and kept %" PRId64 " blocks",
                     n, kh_oom_live_blocks() - live);
        }
        if (st == RAFT_NOMEM) {
            assert_descriptors(&f, true, "an open that ran out of memory");
            kh_faultfs_destroy(f.t.fs);
        }
    }
    assert_raft_status(st, RAFT_OK);
    assert_holds(&f, before, "an open that had memory at last");
    fixture_stop(&f);
    rd = full_ready();
    for (int64_t n = 0;; n++) {
        assert_true(n < 64);
        int64_t live = kh_oom_live_blocks();
        fixture_with_five_entries(&f, before);
        *after = *before;
        saved_own(after);
        saved_apply(after, &rd);
        kh_oom_arm(n);
        st = raft_storage_save(f.s, &rd);
        bool has_fired = kh_oom_disarm();
        if (st != RAFT_OK) {
            assert_raft_status(raft_storage_save(f.s, &rd), RAFT_IO);
        } else {
            assert_log_is_compact(&f, after, "a save of a snapshot that had memory");
        }
        reopen(&f);
        assert_saved_or_under_way(&f, before, &rd, after, "a reopen after a save out of memory");
        fixture_stop(&f);
        if (kh_oom_live_blocks() != live) {
            fail_msg("a save of a snapshot with allocation %" PRId64 " failing returned %s, and "
                     "once the store was closed and its file system gone %" PRId64
                     " blocks were still held",
                     n, raft_status_name(st), kh_oom_live_blocks() - live);
        }
        if (!has_fired) {
            break;
        }
    }
    free(before);
    free(after);
#else
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#endif
}

/* The claim: a cluster whose nodes compact their logs into snapshots of 150,000 bytes (three
 * InstallSnapshot chunks) every 8 applied entries, on these stores, stays safe while machines
 * die in the middle of saves, some of them saves of snapshots, and restart from what their
 * disks kept; once all are back, the five agree on a command. The cluster checks every tick
 * (cluster.h), and each snapshot a node restores from its store is checked byte for byte. A run
 * in which no save of a snapshot was cut short, a node saved none, or no follower restored a
 * leader's snapshot did not test the claim: inconclusive. */
static void
test_d_cluster_compacts_and_restarts_from_its_disks(void **state)
{
    (void)state;
    static struct disks d;
    struct cluster c;
    disks_cluster_start(&d, &c, kh_test_seed());
    c.compact_every = 8;
    c.snapshot_bytes = 150000;
    disks_cluster_run(&d, &c, 120);
    unsigned reached = cluster_reached(&c);
    uint32_t without = 0; /* a node that never saved a snapshot */
    for (uint32_t id = 1; id <= CLUSTER_NODES && without == 0; id++) {
        without = c.nodes[id].disk.snapshot.index == 0 ? id : 0;
    }
    disks_cluster_stop(&d, &c);
    if (d.mid_snapshot_crashes == 0) {
        kh_test_inconclusive("no machine died in the middle of a save of a snapshot");
    }
    if (without != 0) {
        kh_test_inconclusive("node %u never saved a snapshot", without);
    }
    cluster_require(reached, CLUSTER_SAW_LEADER_CHANGED | CLUSTER_SAW_NODE_RESTARTED |
                                 CLUSTER_SAW_SNAPSHOT_RESTORED);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_snapshot_file_is_byte_exact),
        cmocka_unit_test(test_d_reopen_hands_out_what_follows_the_snapshot),
        cmocka_unit_test(test_d_compaction_rewrites_the_log),
        cmocka_unit_test(test_d_saves_with_snapshots_survive_reopen),
        cmocka_unit_test(test_d_every_crash_keeps_what_was_saved),
        cmocka_unit_test(test_d_open_lines_the_log_up_with_the_snapshot),
        cmocka_unit_test(test_d_corrupt_snapshot_is_refused),
        cmocka_unit_test(test_d_snapshot_out_of_place_is_refused),
        cmocka_unit_test(test_d_io_errors_are_reported),
        cmocka_unit_test(test_d_short_writes_are_completed),
        cmocka_unit_test(test_d_out_of_memory),
        cmocka_unit_test(test_d_cluster_compacts_and_restarts_from_its_disks),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
