/* test_e_snapshot.c -- part E: the replicated KV's snapshots (the README's format) and its store:
 * a restore gives the same state, the bytes are the format's, bad snapshots are refused with
 * nothing changed, kv_open empties its directory, a failing store is KV_STORE, out of memory.
 * test_e_kv.c has the commands and sessions; kv_test.h the helpers. */
#include "kh_oom.h"
#include "kv_test.h"

/* ---- Snapshots ------------------------------------------------------------------------------- */

/* A state to take snapshots of, applied to kv: id_count sessions (ids), with saved results of
 * several kinds, binary and large keys, an empty value, a deleted key. */
static void
build_state(struct kv *kv, uint64_t *ids, size_t id_count)
{
    static uint8_t big[KV_VALUE_BYTES_MAX];
    memset(big, 'b', sizeof(big));
    for (size_t i = 0; i < id_count; i++) {
        ids[i] = register_client(kv);
        kv_run_entry(kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP");
    }
    assert_true(id_count >= 4);
    kv_do(kv, KV_OP_INCR, ids[0], 1, "counter", NULL, 41);
    kv_do(kv, KV_OP_GET, ids[1], 1, "missing", NULL, 0);
    kv_do(kv, KV_OP_PUT, ids[2], 5, "max", "9223372036854775807", 0);
    kv_do(kv, KV_OP_INCR, ids[2], 6, "max", NULL, 1);
    kv_do(kv, KV_OP_PUT, 0, 0, "empty", "", 0);
    kv_do(kv, KV_OP_PUT, 0, 0, "gone", "soon", 0);
    kv_do(kv, KV_OP_DELETE, ids[3], 2, "gone", NULL, 0);
    struct kv_command large = kv_cmd(KV_OP_PUT, 0, 0, "large", NULL, 0);
    large.value = big;
    large.value_size_bytes = KV_VALUE_BYTES_MAX;
    kv_run(kv, &large);
    struct kv_command binary = kv_cmd(KV_OP_PUT, 0, 0, NULL, "\0\xff", 0);
    binary.key = (const uint8_t *)"\xff\0k";
    binary.key_size_bytes = 3;
    binary.value_size_bytes = 2;
    kv_run(kv, &binary);
    kv_do(kv, KV_OP_INCR, ids[0], 2, "counter", NULL, 1);
}

/* Applies the same commands to a and b, failing at the first result that differs. */
static void
expect_same_results(struct kv *a, struct kv *b, const struct kv_command *c, const char *when)
{
    static uint8_t value[KV_VALUE_BYTES_MAX];
    struct kv_result ra = kv_run(a, c);
    if (ra.value_size_bytes > 0) {
        memcpy(value, ra.value, ra.value_size_bytes);
    }
    struct kv_result rb = kv_run(b, c);
    char what[256];
    snprintf(what, sizeof(what), "%s: %s on the restored kv, against the original's %s%s", when,
             kv_cmd_text(c), kv_code_name(ra.code), ra.is_duplicate ? " (duplicate)" : "");
    expect_result(&rb, ra.code, ra.number, ra.is_duplicate, what);
    expect_bytes(&rb, value, ra.value_size_bytes, what);
}

/* The claim: kv_restore of a kv_snapshot gives a second kv the same state: the applied index,
 * every key with its value, the sessions with their saved results and their order of use (so
 * every command, duplicate and eviction then goes the same on both); what the second held
 * before is gone; and the two write the same snapshot bytes. A snapshot of an empty kv empties
 * one. */
static void
test_e_snapshot_restores_an_identical_state(void **state)
{
    (void)state;
    static uint64_t ids[8];
    struct kv_node one, two;
    kv_node_start(&one);
    kv_node_start(&two);
    size_t empty_size;
    uint8_t *empty = snapshot_of(one.kv, &empty_size, "a new kv");
    for (int i = 0; i < 60; i++) {
        kv_run_entry(two.kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP");
    }
    uint64_t old_client = register_client(two.kv);
    kv_do(two.kv, KV_OP_PUT, old_client, 1, "old", "before", 0);
    kv_do(two.kv, KV_OP_PUT, 0, 0, "counter", "7", 0);
    build_state(one.kv, ids, 8);
    size_t size;
    uint8_t *snap = snapshot_of(one.kv, &size, "the first kv");
    assert_kv_status(kv_restore(two.kv, snap, size), KV_OK);
    if (kv_applied_index(two.kv) != kv_applied_index(one.kv) ||
        kv_key_count(two.kv) != kv_key_count(one.kv) ||
        kv_session_count(two.kv) != kv_session_count(one.kv)) {
        fail_msg("restored: applied index %" PRIu64 ", %zu keys, %zu sessions; the original: "
                 "%" PRIu64 ", %zu, %zu",
                 kv_applied_index(two.kv), kv_key_count(two.kv), kv_session_count(two.kv),
                 kv_applied_index(one.kv), kv_key_count(one.kv), kv_session_count(one.kv));
    }
    expect_text(two.kv, "old", NULL, "a key only the restored kv held before");
    expect_text(two.kv, "counter", "42", "restored");
    expect_text(two.kv, "empty", "", "restored");
    expect_key(two.kv, "\xff\0k", 3, "\0\xff", 2, "restored");
    expect_snapshot(two.kv, snap, size, "the restored kv's snapshot against the original's");
    struct kv_command next[] = {
        kv_cmd(KV_OP_INCR, ids[0], 2, "counter", NULL, 1),
        kv_cmd(KV_OP_GET, ids[1], 1, "missing", NULL, 0),
        kv_cmd(KV_OP_INCR, ids[2], 6, "max", NULL, 1),
        kv_cmd(KV_OP_INCR, ids[2], 5, "max", NULL, 1),
        kv_cmd(KV_OP_DELETE, ids[3], 2, "gone", NULL, 0),
        kv_cmd(KV_OP_PUT, old_client, 2, "old", "x", 0),
        kv_cmd(KV_OP_GET, ids[4], 1, "large", NULL, 0),
        kv_cmd(KV_OP_INCR, ids[0], 3, "counter", NULL, 1),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(next); i++) {
        expect_same_results(one.kv, two.kv, &next[i], "after the restore");
    }
    /* Fill the sessions to the limit: the next REGISTER evicts the same client on both. */
    struct kv_command reg = kv_cmd(KV_OP_REGISTER, 0, 0, NULL, NULL, 0);
    while (kv_session_count(one.kv) < KV_SESSIONS_MAX) {
        expect_same_results(one.kv, two.kv, &reg, "filling the sessions");
    }
    free(snap);
    snap = snapshot_of(one.kv, &size, "the first kv with every session open");
    assert_kv_status(kv_restore(two.kv, snap, size), KV_OK);
    expect_same_results(one.kv, two.kv, &reg, "a REGISTER that evicts");
    for (size_t i = 5; i < 8; i++) {
        struct kv_command retry = kv_cmd(KV_OP_PUT, ids[i], 1, "k", "v", 0);
        expect_same_results(one.kv, two.kv, &retry, "after an eviction");
    }
    /* After evictions a newer client holds an older one's place: still a snapshot that restores
     * (sessions by client id). */
    for (int i = 0; i < 3; i++) {
        expect_same_results(one.kv, two.kv, &reg, "more REGISTERs that evict");
    }
    free(snap);
    snap = snapshot_of(one.kv, &size, "the first kv after evictions");
    assert_kv_status(kv_restore(two.kv, snap, size), KV_OK);
    expect_snapshot(two.kv, snap, size, "restored after evictions");
    assert_kv_status(kv_restore(two.kv, empty, empty_size), KV_OK);
    if (kv_applied_index(two.kv) != 0 || kv_key_count(two.kv) != 0 ||
        kv_session_count(two.kv) != 0) {
        fail_msg("the snapshot of a new kv restored: applied index %" PRIu64 ", %zu keys, %zu "
                 "sessions; expected 0, 0, 0",
                 kv_applied_index(two.kv), kv_key_count(two.kv), kv_session_count(two.kv));
    }
    expect_text(two.kv, "counter", NULL, "the snapshot of a new kv restored");
    free(snap);
    free(empty);
    kv_node_stop(&one);
    kv_node_stop(&two);
}

/* The claim: kv_snapshot writes the README's format byte for byte: the header, the sessions by
 * client id (each with its last seq, the index of its last command, its saved result), the keys
 * in bytewise order (a key before the longer ones it begins) with their values, the CRC-32C. */
static void
test_e_snapshot_is_byte_exact(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    register_client(n.kv);                                  /* 1: client 1 */
    kv_run_entry(n.kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP"); /* 2 */
    register_client(n.kv);                                  /* 3: client 3 */
    kv_do(n.kv, KV_OP_INCR, 3, 1, "n", NULL, -7);           /* 4 */
    kv_do(n.kv, KV_OP_PUT, 0, 0, "b", "", 0);               /* 5 */
    kv_do(n.kv, KV_OP_PUT, 0, 0, "ab", "xyz", 0);           /* 6 */
    kv_do(n.kv, KV_OP_GET, 1, 2, "zz", NULL, 0);            /* 7 */
    kv_do(n.kv, KV_OP_PUT, 0, 0, "a", "1", 0);              /* 8 */
    register_client(n.kv);                                  /* 9: client 9 */
    static struct snap want;
    snap_header(&want, 3, 9, 4);
    snap_session(&want, 1, 2, 7, 0, KV_CODE_NOT_FOUND);
    snap_session(&want, 3, 1, 4, -7, KV_CODE_OK);
    snap_session(&want, 9, 0, 9, 9, KV_CODE_OK);
    snap_text_key(&want, "a", "1");
    snap_text_key(&want, "ab", "xyz");
    snap_text_key(&want, "b", "");
    snap_text_key(&want, "n", "-7");
    snap_seal(&want);
    expect_snapshot(n.kv, want.bytes, want.size, "the README's format");
    kv_node_stop(&n);
}

/* Fails unless kv's snapshot, restored into a new kv, gives back the same bytes. */
static void
expect_round_trip(struct kv *kv, const char *what)
{
    size_t size;
    uint8_t *snap = snapshot_of(kv, &size, what);
    struct kv_node copy;
    kv_node_start(&copy);
    kv_status st = kv_restore(copy.kv, snap, size);
    if (st != KV_OK) {
        fail_msg("kv_restore of the snapshot of %s (%zu bytes) returned %s; expected KV_OK", what,
                 size, kv_status_name(st));
    }
    char when[160];
    snprintf(when, sizeof(when), "the restored snapshot of %s", what);
    expect_snapshot(copy.kv, snap, size, when);
    free(snap);
    kv_node_stop(&copy);
}

/* The claim: kv_restore takes every snapshot kv_snapshot writes: of a kv holding two or three
 * keys put in any order, and of every size around a power of two (where a buffer that grows by
 * doubling is exactly full before the checksum); each restored kv writes the same bytes again. */
static void
test_e_snapshot_round_trips_at_every_size(void **state)
{
    (void)state;
    static const char *const keys[] = {"q", "b", "zz", "a", "m", "ab", "k", "c"};
    for (size_t i = 0; i < KH_ARRAY_LEN(keys); i++) {
        for (size_t j = 0; j < KH_ARRAY_LEN(keys); j++) {
            if (i == j) {
                continue;
            }
            struct kv_node n;
            kv_node_start(&n);
            kv_do(n.kv, KV_OP_PUT, 0, 0, keys[i], "1", 0);
            kv_do(n.kv, KV_OP_PUT, 0, 0, keys[j], "2", 0);
            char what[64];
            snprintf(what, sizeof(what), "a kv holding %s then %s", keys[i], keys[j]);
            expect_round_trip(n.kv, what);
            kv_do(n.kv, KV_OP_PUT, 0, 0, keys[(i + j + 1) % KH_ARRAY_LEN(keys)], "3", 0);
            snprintf(what, sizeof(what), "a kv holding %s, %s and %s", keys[i], keys[j],
                     keys[(i + j + 1) % KH_ARRAY_LEN(keys)]);
            expect_round_trip(n.kv, what);
            kv_node_stop(&n);
        }
    }
    /* One key "k" and no session: the snapshot is 24 + 8 + 1 + value + 4 bytes. */
    static uint8_t value[KV_VALUE_BYTES_MAX];
    memset(value, 'v', sizeof(value));
    for (size_t power = 4096; power <= 32768; power *= 2) {
        for (size_t body = power - 8; body <= power + 8; body++) {
            struct kv_node n;
            kv_node_start(&n);
            struct kv_command put = kv_cmd(KV_OP_PUT, 0, 0, "k", NULL, 0);
            put.value = value;
            put.value_size_bytes = (uint32_t)(body - SNAP_HEADER_BYTES - 8 - 1);
            kv_run(n.kv, &put);
            char what[96];
            snprintf(what, sizeof(what), "a kv whose snapshot is %zu bytes before its checksum",
                     body);
            expect_round_trip(n.kv, what);
            kv_node_stop(&n);
        }
    }
}

/* Fails unless restoring bad (size bytes) into kv is KV_BAD_SNAPSHOT and leaves kv's snapshot
 * what it was (was, was_size). */
static void
expect_refused(struct kv *kv, const uint8_t *bad, size_t size, const uint8_t *was, size_t was_size,
               const char *what)
{
    uint8_t *exact = malloc(size > 0 ? size : 1); /* over-reads past it show under ASan */
    assert_non_null(exact);
    memcpy(exact, bad, size);
    kv_status st = kv_restore(kv, exact, size);
    free(exact);
    if (st != KV_BAD_SNAPSHOT) {
        fail_msg("kv_restore of %s returned %s; expected KV_BAD_SNAPSHOT", what,
                 kv_status_name(st));
    }
    char when[160];
    snprintf(when, sizeof(when), "after the refused restore of %s", what);
    expect_snapshot(kv, was, was_size, when);
}

/* Case c of the snapshots kv_restore must refuse although their checksum is right: a snapshot of
 * 10 applied, sessions 2 and 5, keys "a" and "b", with one thing wrong. */
static const char *
bad_snapshot(struct snap *s, int c)
{
    static uint8_t big[KV_VALUE_BYTES_MAX + 1];
    memset(big, 'x', sizeof(big));
    snap_header(s, 2, 10, 2);
    static const struct {
        uint64_t id, last_index;
        uint8_t code;
    } sessions[][2] = {
        {{2, 4, KV_CODE_OK}, {5, 8, KV_CODE_OVERFLOW}},  /* right */
        {{5, 6, KV_CODE_OK}, {2, 8, KV_CODE_OK}},        /* 1: out of order */
        {{5, 6, KV_CODE_OK}, {5, 8, KV_CODE_OK}},        /* 2: twice */
        {{0, 4, KV_CODE_OK}, {5, 8, KV_CODE_OK}},        /* 3: client id 0 */
        {{2, 4, KV_CODE_OK}, {5, 11, KV_CODE_OK}},       /* 4: last index past the applied one */
        {{2, 1, KV_CODE_OK}, {5, 8, KV_CODE_OK}},        /* 5: last index before the REGISTER */
        {{2, 8, KV_CODE_OK}, {5, 8, KV_CODE_OK}},        /* 6: the same last index */
        {{2, 4, KV_CODE_STALE}, {5, 8, KV_CODE_OK}},     /* 7: a code never saved */
        {{2, 4, KV_CODE_STALE + 1}, {5, 8, KV_CODE_OK}}, /* 8: no code at all */
    };
    static const char *const session_cases[] = {
        NULL,
        "sessions out of order",
        "a session twice",
        "a session of client id 0",
        "a session whose last command is past the applied index",
        "a session whose last command is before its REGISTER",
        "two sessions of the same last index",
        "a saved KV_CODE_STALE",
        "a saved code past the last",
    };
    int session_case = c < (int)KH_ARRAY_LEN(session_cases) ? c : 0;
    for (int i = 0; i < 2; i++) {
        snap_session(s, sessions[session_case][i].id, 1, sessions[session_case][i].last_index, 0,
                     sessions[session_case][i].code);
    }
    const char *what = session_cases[session_case];
    const char *first = "a", *second = "b";
    switch (c) {
    case 9:
        snap_key(s, "", 0, "v", 1);
        first = NULL;
        what = "a key of 0 bytes";
        break;
    case 10:
        snap_key(s, big, KV_KEY_BYTES_MAX + 1, "v", 1);
        first = NULL;
        second = "y";
        what = "a key of KV_KEY_BYTES_MAX + 1 bytes";
        break;
    case 11:
        snap_key(s, "a", 1, big, KV_VALUE_BYTES_MAX + 1);
        first = NULL;
        what = "a value of KV_VALUE_BYTES_MAX + 1 bytes";
        break;
    case 12:
        first = "b";
        second = "a";
        what = "keys out of order";
        break;
    case 13:
        second = "a";
        what = "a key twice";
        break;
    case 14:
        first = "a0";
        second = "a";
        what = "a key after a longer one it begins";
        break;
    default:
        break;
    }
    if (first != NULL) {
        snap_text_key(s, first, "1");
    }
    snap_text_key(s, second, "2");
    switch (c) {
    case 15:
        s->bytes[s->size++] = 0;
        what = "a byte between the keys and the checksum";
        break;
    case 16:
    case 17:
        raft_put_u64(s->bytes + 16, c == 16 ? 3 : 1);
        what = c == 16 ? "a key count one more than the keys" : "a key count one less";
        break;
    case 18:
        s->bytes[SNAP_HEADER_BYTES + SNAP_SESSION_BYTES + 39] = 1;
        what = "a session's padding not zero";
        break;
    case 19:
        raft_put_u32(s->bytes + 4, 3);
        what = "a session count one more than the sessions";
        break;

    case 20:
        raft_put_u32(s->bytes, KV_SNAPSHOT_MAGIC + 1);
        what = "another magic";
        break;
    default:
        break;
    }
    snap_seal(s);
    return what;
}

/* KV_SESSIONS_MAX + 1 sessions, each right. */
static void
too_many_sessions(struct snap *s)
{
    snap_header(s, KV_SESSIONS_MAX + 1, KV_SESSIONS_MAX + 1, 0);
    for (uint64_t id = 1; id <= KV_SESSIONS_MAX + 1; id++) {
        snap_session(s, id, 0, id, (int64_t)id, KV_CODE_OK);
    }
    snap_seal(s);
}

/* The claim: kv_restore refuses with KV_BAD_SNAPSHOT, changing nothing, a snapshot with any bit
 * flipped, cut short anywhere, with a byte more, and (the checksum made right) another magic,
 * counts and sizes out of bounds, keys or sessions out of order or repeated, and sessions no kv
 * writes (client id 0, a last index past the applied one or before the client id, two of the
 * same last index, a code no command saves, padding not zero). */
static void
test_e_bad_snapshot_changes_nothing(void **state)
{
    (void)state;
    static struct snap s;
    struct kv_node src, dst;
    kv_node_start(&src);
    kv_node_start(&dst);
    uint64_t a = register_client(src.kv);
    kv_do(src.kv, KV_OP_INCR, a, 1, "n", NULL, 3);
    kv_do(src.kv, KV_OP_PUT, 0, 0, "key", "value", 0);
    kv_do(src.kv, KV_OP_PUT, 0, 0, "e", "", 0);
    register_client(src.kv);
    kv_do(dst.kv, KV_OP_PUT, 0, 0, "mine", "kept", 0);
    register_client(dst.kv);
    size_t was_size, size;
    uint8_t *was = snapshot_of(dst.kv, &was_size, "the kv restored into");
    uint8_t *good = snapshot_of(src.kv, &size, "the source kv");
    uint8_t *bad = malloc(size + 1);
    assert_non_null(bad);
    for (size_t bit = 0; bit < 8 * size; bit++) {
        memcpy(bad, good, size);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (kv_restore(dst.kv, bad, size) != KV_BAD_SNAPSHOT) {
            fail_msg("kv_restore of a snapshot with bit %zu of byte %zu (of %zu) flipped did not "
                     "return KV_BAD_SNAPSHOT",
                     bit % 8, bit / 8, size);
        }
    }
    for (size_t cut = 0; cut < size; cut++) {
        if (kv_restore(dst.kv, good, cut) != KV_BAD_SNAPSHOT) {
            fail_msg("kv_restore of a snapshot cut to %zu of its %zu bytes did not return "
                     "KV_BAD_SNAPSHOT",
                     cut, size);
        }
    }
    expect_snapshot(dst.kv, was, was_size, "after restores of flipped bits and cut snapshots");
    memcpy(bad, good, size);
    bad[size] = 0;
    expect_refused(dst.kv, bad, size + 1, was, was_size, "a snapshot with a byte after it");
    free(bad);
    free(good);
    struct kv_node scratch;
    kv_node_start(&scratch);
    bad_snapshot(&s, 0);
    if (kv_restore(scratch.kv, s.bytes, s.size) != KV_OK) {
        fail_msg("kv_restore of a snapshot built by hand in the README's format (2 sessions, 2 "
                 "keys) did not return KV_OK");
    }
    kv_node_stop(&scratch);
    for (int c = 1; c <= 20; c++) {
        const char *what = bad_snapshot(&s, c);
        expect_refused(dst.kv, s.bytes, s.size, was, was_size, what);
    }
    for (unsigned b = 33; b < SNAP_SESSION_BYTES; b++) {
        bad_snapshot(&s, 0);
        s.bytes[SNAP_HEADER_BYTES + b] = 0x80;
        snap_reseal(&s);
        char what[64];
        snprintf(what, sizeof(what), "byte %u of a session (padding) not zero", b);
        expect_refused(dst.kv, s.bytes, s.size, was, was_size, what);
    }
    too_many_sessions(&s);
    expect_refused(dst.kv, s.bytes, s.size, was, was_size, "KV_SESSIONS_MAX + 1 sessions");
    snap_header(&s, KV_SESSIONS_MAX, 10, 0); /* nothing may be read past its end */
    snap_session(&s, 2, 1, 4, 0, KV_CODE_OK);
    snap_seal(&s);
    expect_refused(dst.kv, s.bytes, s.size, was, was_size,
                   "a snapshot of one session whose count says KV_SESSIONS_MAX");
    expect_text(dst.kv, "mine", "kept", "after every refused restore");
    free(was);
    kv_node_stop(&src);
    kv_node_stop(&dst);
}

/* ---- The store ------------------------------------------------------------------------------- */

/* The names one listing gathers. */
struct names {
    char list[128][32];
    size_t count;
};

static int
name_cb(const char *name, void *arg)
{
    struct names *n = arg;
    assert_true(n->count < KH_ARRAY_LEN(n->list));
    snprintf(n->list[n->count++], sizeof(n->list[0]), "%s", name);
    return 0;
}

static int
name_compare(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The names in TEST_DIR on io, sorted, between spaces, into out; returns how many. */
static size_t
dir_names(const struct bc_io *io, char *out, size_t out_size)
{
    static struct names n;
    n.count = 0;
    assert_true(io->list(io->ctx, TEST_DIR, name_cb, &n) >= 0);
    qsort(n.list, n.count, sizeof(n.list[0]), name_compare);
    out[0] = '\0';
    for (size_t i = 0; i < n.count; i++) {
        size_t used = strlen(out);
        snprintf(out + used, out_size - used, "%s%s", i > 0 ? " " : "", n.list[i]);
    }
    return n.count;
}

/* Writes a file of text at TEST_DIR/name on io. */
static void
write_file(const struct bc_io *io, const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", TEST_DIR, name);
    int fd = io->open(io->ctx, path, O_RDWR | O_CREAT);
    assert_true(fd >= 0);
    assert_true(io->pwrite(io->ctx, fd, text, strlen(text), 0) == (ssize_t)strlen(text));
    io->close(io->ctx, fd);
}

/* The claim: kv_open of a directory whose store holds keys (an earlier run's, merged into hint
 * files too, and a merge's leftover) starts empty: no key, no session, applied index 0, and the
 * directory then holds what a new kv's holds, with the files that are not the store's (a
 * stranger's notes) left alone; and kv_open of a directory another handle has open is KV_STORE
 * and leaves that store as it was. */
static void
test_e_open_empties_the_store(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    static char fresh[512], names[4096], want[600];
    dir_names(&n.io, fresh, sizeof(fresh));
    register_client(n.kv);
    kv_do(n.kv, KV_OP_PUT, 0, 0, "a", "1", 0);
    kv_do(n.kv, KV_OP_PUT, 0, 0, "b", "2", 0);
    struct kv *other = NULL;
    kv_status st = kv_open(TEST_DIR, &n.options, &other);
    if (st != KV_STORE) {
        kv_close(st == KV_OK ? other : NULL);
        fail_msg("kv_open of a directory another kv has open returned %s; expected KV_STORE",
                 kv_status_name(st));
    }
    expect_text(n.kv, "a", "1", "the open kv, after another kv_open of its directory");
    kv_close(n.kv);
    n.kv = NULL;
    /* An earlier run's store, in files of 64 bytes at most (more than a listing's worth),
     * merged: hint files as well; and a stranger's file, whose name sorts before the store's. */
    write_file(&n.io, "00-notes.txt", "not the store's");
    struct bc_options small = n.options;
    small.file_size_bytes_max = 64;
    struct bc_db *db = NULL;
    assert_status(bc_open(TEST_DIR, &small, &db, NULL), BC_OK);
    for (int i = 0; i < 6; i++) {
        assert_status(bc_put(db, "c", 1, "3333333333", 10), BC_OK);
    }
    assert_status(bc_merge(db), BC_OK);
    for (int i = 0; i < 40; i++) {
        char key[8];
        snprintf(key, sizeof(key), "d%02d", i);
        assert_status(bc_put(db, key, strlen(key), "4444444444", 10), BC_OK);
    }
    assert_status(bc_close(db), BC_OK);
    size_t count = dir_names(&n.io, names, sizeof(names));
    if (strstr(names, ".hint") == NULL || count < 40) {
        fail_msg("the test's old store is not what it needs, hint files and 40 files or more "
                 "(%zu: %.200s): it checks nothing",
                 count, names);
    }
    write_file(&n.io, "000099.data.tmp", "a merge cut short");
    assert_kv_status(kv_open(TEST_DIR, &n.options, &n.kv), KV_OK);
    dir_names(&n.io, names, sizeof(names));
    snprintf(want, sizeof(want), "00-notes.txt %s", fresh); /* it sorts first */
    if (strcmp(names, want) != 0) {
        fail_msg("after kv_open of a directory holding an old store and 00-notes.txt, it holds: "
                 "%s; expected what a new kv's holds (%s) and 00-notes.txt",
                 names, fresh);
    }
    if (kv_key_count(n.kv) != 0 || kv_session_count(n.kv) != 0 || kv_applied_index(n.kv) != 0) {
        fail_msg("kv_open of a store holding keys: %zu keys, %zu sessions, applied index "
                 "%" PRIu64 "; expected 0, 0, 0",
                 kv_key_count(n.kv), kv_session_count(n.kv), kv_applied_index(n.kv));
    }
    expect_text(n.kv, "a", NULL, "a reopened kv");
    expect_text(n.kv, "c", NULL, "a reopened kv");
    kv_node_stop(&n);
}

/* Starts n on a new file system whose store reads fail once n->t.is_pread_failing is set (the
 * data file a new kv writes to, named as a first kv on a file system names it), with two values
 * of KV_VALUE_BYTES_MAX put under "a" and "b", more than the store keeps in memory. */
static void
kv_node_start_with_failing_reads(struct kv_node *n)
{
    kv_node_start(n);
    static char names[512];
    dir_names(&n->io, names, sizeof(names));
    kv_node_stop(n);
    char *data = strstr(names, ".data");
    assert_non_null(data);
    *data = '\0';
    char *start = strrchr(names, ' ');
    start = start != NULL ? start + 1 : names;
    memset(n, 0, sizeof(*n));
    tfs_init(&n->t);
    snprintf(n->t.pread_fail_path, sizeof(n->t.pread_fail_path), "%s/%.64s.data", TEST_DIR, start);
    kv_node_io(n);
    assert_kv_status(kv_open(TEST_DIR, &n->options, &n->kv), KV_OK);
    static uint8_t value[KV_VALUE_BYTES_MAX];
    memset(value, 'r', sizeof(value));
    struct kv_command put = kv_cmd(KV_OP_PUT, 0, 0, "a", NULL, 0);
    put.value = value;
    put.value_size_bytes = KV_VALUE_BYTES_MAX;
    kv_run(n->kv, &put);
    put.key = (const uint8_t *)"b";
    kv_run(n->kv, &put);
    n->t.is_pread_failing = true;
}

/* The claim: a store call that fails is KV_STORE, with kv_last_error saying why (the store's own
 * message, which names the system's error): kv_open when the directory cannot be emptied or the
 * store cannot be made; kv_apply when a write fails, its result cleared and the applied index
 * unmoved, after which the kv is failed (kv_apply, kv_get, kv_snapshot: KV_STORE) until a
 * kv_restore succeeds; kv_restore when the old store cannot be removed (no store is then open:
 * no keys), and the next one, the disk well, succeeds; an INCR whose write fails (each INCR
 * reported done counted); kv_get and a GET through the log when a read fails. */
static void
test_e_store_errors_are_kv_store(void **state)
{
    (void)state;
    struct kv_node n;
    memset(&n, 0, sizeof(n));
    tfs_init(&n.t);
    kv_node_io(&n);
    const struct kh_faultfs_fault no_create = {
        .op = KH_FAULTFS_OP_CREATE, .count = KH_FAULTFS_NTH_ANY, .error = ENOSPC};
    assert_int_equal(kh_faultfs_inject(n.t.fs, &no_create), 0);
    assert_kv_status(kv_open(TEST_DIR, &n.options, &n.kv), KV_STORE);
    kv_node_stop(&n);
    /* The directory emptied, then the store's own first file refused: still the store's fault. */
    memset(&n, 0, sizeof(n));
    tfs_init(&n.t);
    kv_node_io(&n);
    const struct kh_faultfs_fault no_second_create = {
        .op = KH_FAULTFS_OP_CREATE, .nth = 1, .count = KH_FAULTFS_NTH_ANY, .error = EIO};
    assert_int_equal(kh_faultfs_inject(n.t.fs, &no_second_create), 0);
    assert_kv_status(kv_open(TEST_DIR, &n.options, &n.kv), KV_STORE);
    kv_node_stop(&n);

    struct kv_node good;
    kv_node_start(&good);
    kv_do(good.kv, KV_OP_PUT, 0, 0, "g", "good", 0);
    size_t size;
    uint8_t *snap = snapshot_of(good.kv, &size, "a healthy kv");
    kv_node_start(&n);
    kv_do(n.kv, KV_OP_PUT, 0, 0, "a", "1", 0);
    const struct kh_faultfs_fault no_write = {
        .op = KH_FAULTFS_OP_PWRITE, .count = KH_FAULTFS_NTH_ANY, .error = EIO};
    assert_int_equal(kh_faultfs_inject(n.t.fs, &no_write), 0);
    static uint8_t value[KV_VALUE_BYTES_MAX];
    memset(value, 'w', sizeof(value));
    struct kv_command put = kv_cmd(KV_OP_PUT, 0, 0, "big", NULL, 0);
    put.value = value;
    put.value_size_bytes = KV_VALUE_BYTES_MAX;
    uint8_t *buf = malloc(kv_command_encoded_size(&put));
    assert_non_null(buf);
    kv_command_encode(&put, buf);
    kv_status st = KV_OK;
    struct kv_result r;
    /* With no sync, the store may hold up to BC_APPEND_BUFFER_BYTES before it writes. */
    for (int i = 0; i < 8 && st == KV_OK; i++) {
        uint64_t index = kv_applied_index(n.kv) + 1;
        st = kv_apply(n.kv, index, RAFT_ENTRY_COMMAND, buf, kv_command_encoded_size(&put), &r);
        if (st == KV_OK && kv_applied_index(n.kv) != index) {
            fail_msg("kv_apply of a PUT at %" PRIu64 " returned KV_OK with the applied index at "
                     "%" PRIu64 ": a write that did not happen reported done",
                     index, kv_applied_index(n.kv));
        }
    }
    free(buf);
    uint64_t applied = kv_applied_index(n.kv);
    char error[BC_ERROR_MAX];
    kv_last_error(n.kv, error);
    if (st != KV_STORE || strstr(error, strerror(EIO)) == NULL) {
        fail_msg("8 PUTs of %u bytes with every write failing with EIO: %s, and kv_last_error "
                 "\"%s\"; expected KV_STORE with the store's message, which names the error (%s)",
                 KV_VALUE_BYTES_MAX, kv_status_name(st), error, strerror(EIO));
    }
    if (r.code != KV_CODE_OK || r.number != 0 || r.is_duplicate || r.value != NULL ||
        r.value_size_bytes != 0) {
        fail_msg("kv_apply returned KV_STORE with a result of %s, number %" PRId64 "%s, %u bytes "
                 "of value; expected it cleared (KV_CODE_OK, 0, no value)",
                 kv_code_name(r.code), r.number, r.is_duplicate ? ", a duplicate" : "",
                 r.value_size_bytes);
    }
    kh_faultfs_clear_faults(n.t.fs);
    assert_kv_status(kv_apply(n.kv, applied + 1, RAFT_ENTRY_NOOP, NULL, 0, &r), KV_STORE);
    assert_kv_status(kv_get(n.kv, "a", 1, &r), KV_STORE);
    uint8_t *data = NULL;
    assert_kv_status(kv_snapshot(n.kv, &data, &size), KV_STORE);
    assert_int_equal(kv_applied_index(n.kv), applied);
    const struct kh_faultfs_fault no_unlink = {
        .op = KH_FAULTFS_OP_UNLINK, .count = KH_FAULTFS_NTH_ANY, .error = EIO};
    assert_int_equal(kh_faultfs_inject(n.t.fs, &no_unlink), 0);
    assert_kv_status(kv_restore(n.kv, snap, size), KV_STORE);
    kv_last_error(n.kv, error);
    if (strstr(error, strerror(EIO)) == NULL || kv_key_count(n.kv) != 0) {
        fail_msg("kv_restore with every unlink failing with EIO: kv_last_error \"%s\" and %zu "
                 "keys; expected a message naming the error (%s), and 0 keys (no store is open)",
                 error, kv_key_count(n.kv), strerror(EIO));
    }
    kh_faultfs_clear_faults(n.t.fs);
    assert_kv_status(kv_restore(n.kv, snap, size), KV_OK);
    expect_text(n.kv, "g", "good", "restored after a failure");
    expect_text(n.kv, "a", NULL, "restored after a failure");
    kv_do(n.kv, KV_OP_PUT, 0, 0, "a", "2", 0);
    expect_text(n.kv, "a", "2", "a PUT after the restore");
    free(snap);
    kv_node_stop(&n);
    kv_node_stop(&good);
    /* INCRs while writes fail: each one reported done counted, and then one is KV_STORE. */
    kv_node_start(&n);
    assert_int_equal(kh_faultfs_inject(n.t.fs, &no_write), 0);
    st = KV_OK;
    int64_t done = 0;
    for (int i = 0; i < 100000 && st == KV_OK; i++) {
        struct kv_command incr = kv_cmd(KV_OP_INCR, 0, 0, "n", NULL, 1);
        uint8_t command[KV_COMMAND_HEADER_BYTES + 1];
        kv_command_encode(&incr, command);
        st = kv_apply(n.kv, kv_applied_index(n.kv) + 1, RAFT_ENTRY_COMMAND, command,
                      sizeof(command), &r);
        if (st == KV_OK && r.number != ++done) {
            fail_msg("INCR number %" PRId64 " with every write failing returned KV_OK with %" PRId64
                     "; expected %" PRId64 ", or KV_STORE",
                     done, r.number, done);
        }
    }
    if (st != KV_STORE) {
        fail_msg("100,000 INCRs with every write failing: %s; expected KV_STORE once the store "
                 "wrote",
                 kv_status_name(st));
    }
    kv_node_stop(&n);
    /* A read the disk fails: kv_get, and a GET through the log, are KV_STORE. */
    kv_node_start_with_failing_reads(&n);
    st = kv_get(n.kv, "a", 1, &r);
    if (st != KV_STORE) {
        fail_msg("kv_get of a key whose read fails with EIO returned %s; expected KV_STORE",
                 kv_status_name(st));
    }
    kv_node_stop(&n);
    kv_node_start_with_failing_reads(&n);
    applied = kv_applied_index(n.kv);
    struct kv_command get = kv_cmd(KV_OP_GET, 0, 0, "a", NULL, 0);
    uint8_t encoded[KV_COMMAND_HEADER_BYTES + 1];
    kv_command_encode(&get, encoded);
    st = kv_apply(n.kv, applied + 1, RAFT_ENTRY_COMMAND, encoded, sizeof(encoded), &r);
    if (st != KV_STORE || kv_applied_index(n.kv) != applied) {
        fail_msg("kv_apply of a GET whose read fails with EIO returned %s with the applied index "
                 "at %" PRIu64 "; expected KV_STORE with it at %" PRIu64,
                 kv_status_name(st), kv_applied_index(n.kv), applied);
    }
    kv_node_stop(&n);
}

/* The claim: out of memory (each allocation failing in turn), kv_open is KV_NOMEM or KV_STORE
 * and keeps nothing; kv_snapshot is KV_NOMEM, hands out nothing, keeps nothing; kv_restore is
 * KV_NOMEM with nothing changed, or KV_STORE once the store was touched, after which a restore
 * with memory succeeds; nothing leaks. */
static void
test_e_out_of_memory(void **state)
{
    (void)state;
#if KH_OOM_IS_INJECTABLE
    int64_t live = kh_oom_live_blocks();
    struct kv_node n;
    for (int64_t i = 0;; i++) {
        assert_true(i < 256);
        memset(&n, 0, sizeof(n));
        tfs_init(&n.t); /* a new file system each time: its own allocations move the failing one */
        kv_node_io(&n);
        kh_oom_arm(i);
        kv_status st = kv_open(TEST_DIR, &n.options, &n.kv);
        kh_oom_disarm();
        if (st == KV_OK) {
            break;
        }
        if (st != KV_NOMEM && st != KV_STORE) {
            fail_msg("kv_open with allocation %" PRId64 " failing returned %s; expected KV_OK, "
                     "KV_NOMEM or KV_STORE",
                     i, kv_status_name(st));
        }
        kh_faultfs_destroy(n.t.fs);
        if (kh_oom_live_blocks() != live) {
            fail_msg("kv_open with allocation %" PRId64 " failing returned %s and kept %" PRId64
                     " blocks",
                     i, kv_status_name(st), kh_oom_live_blocks() - live);
        }
    }
    static uint64_t ids[8];
    build_state(n.kv, ids, 4);
    size_t size, source_size;
    uint8_t *source = snapshot_of(n.kv, &source_size, "the kv");
    static uint8_t untouched;
    for (int64_t i = 0;; i++) {
        assert_true(i < 256);
        uint8_t *data = &untouched;
        int64_t held = kh_oom_live_blocks();
        kh_oom_arm(i);
        kv_status st = kv_snapshot(n.kv, &data, &size);
        bool has_fired = kh_oom_disarm();
        if (st == KV_OK) {
            free(data);
            if (!has_fired) {
                break;
            }
            continue;
        }
        if (st != KV_NOMEM || data != &untouched || kh_oom_live_blocks() != held) {
            fail_msg("kv_snapshot with allocation %" PRId64 " failing returned %s%s, keeping "
                     "%" PRId64 " blocks; expected KV_NOMEM, no data, none kept",
                     i, kv_status_name(st), data != &untouched ? " with data" : "",
                     kh_oom_live_blocks() - held);
        }
    }
    struct kv_node dst;
    kv_node_start(&dst);
    for (int64_t i = 0;; i++) {
        assert_true(i < 256);
        kv_do(dst.kv, KV_OP_PUT, 0, 0, "mine", "before", 0); /* a state to keep, or replace */
        size_t was_size;
        uint8_t *was = snapshot_of(dst.kv, &was_size, "the kv restored into");
        kh_oom_arm(i);
        kv_status st = kv_restore(dst.kv, source, source_size);
        bool has_fired = kh_oom_disarm();
        char when[96];
        snprintf(when, sizeof(when), "kv_restore with allocation %" PRId64 " failing", i);
        if (st == KV_NOMEM) {
            expect_snapshot(dst.kv, was, was_size, when);
        } else if (st == KV_STORE) {
            assert_kv_status(kv_restore(dst.kv, source, source_size), KV_OK);
            expect_snapshot(dst.kv, source, source_size, "a restore after one out of memory");
        } else if (st == KV_OK) {
            expect_snapshot(dst.kv, source, source_size, when);
        } else {
            fail_msg("%s returned %s; expected KV_OK, KV_NOMEM or KV_STORE", when,
                     kv_status_name(st));
        }
        free(was);
        if (st == KV_OK && !has_fired) {
            break;
        }
    }
    free(source);
    kv_node_stop(&dst);
    kv_node_stop(&n);
    if (kh_oom_live_blocks() != live) {
        fail_msg("once every kv and file system is gone, %" PRId64 " blocks are left",
                 kh_oom_live_blocks() - live);
    }
#else
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#endif
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_snapshot_restores_an_identical_state),
        cmocka_unit_test(test_e_snapshot_is_byte_exact),
        cmocka_unit_test(test_e_snapshot_round_trips_at_every_size),
        cmocka_unit_test(test_e_bad_snapshot_changes_nothing),
        cmocka_unit_test(test_e_open_empties_the_store),
        cmocka_unit_test(test_e_store_errors_are_kv_store),
        cmocka_unit_test(test_e_out_of_memory),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
