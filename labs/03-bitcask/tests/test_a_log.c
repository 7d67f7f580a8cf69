/* test_a_log.c -- part A: CRC-32C, the record format byte for byte, and put/get/delete/fold on
 * one log with its keydir. Read test_a_on_disk_format_is_byte_exact first: it builds the
 * expected bytes by hand from the format table in bc_internal.h. This binary's allocations fail
 * on demand (kh_oom.h, plain builds), for the keydir out of memory. */
#include "bc_internal.h"
#include "bc_test.h"
#include "kh_oom.h"

#include <inttypes.h>

#define MODEL_OPS 20000u /* about 20 ms; a keydir that loses keys on growth shows up early */

/* Claim: bc_crc32c gives the published check values and chains across calls. */
static void
test_a_crc32c_known_answers(void **state)
{
    (void)state;
    assert_int_equal(bc_crc32c(0, "123456789", 9), 0xE3069283u); /* RFC 3720 check value */
    unsigned char zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof(ones));
    assert_int_equal(bc_crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
    assert_int_equal(bc_crc32c(0, ones, 32), 0x62A8AB43u);
    assert_int_equal(bc_crc32c(0, "", 0), 0);
    for (size_t cut = 0; cut <= 9; cut++) {
        assert_int_equal(bc_crc32c(bc_crc32c(0, "123456789", cut), "123456789" + cut, 9 - cut),
                         0xE3069283u);
    }
}

/* Claim: one put writes exactly the documented bytes: header, key, value, CRC over the rest. */
static void
test_a_on_disk_format_is_byte_exact(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    assert_status(bc_put(db, "key", 3, "value", 5), BC_OK);
    assert_status(bc_delete(db, "key", 3), BC_OK);
    assert_status(bc_close(db), BC_OK);
    unsigned char want[2 * 20 + 3 + 5 + 3] = {0};
    unsigned char *r = want;
    r[4] = 1; /* version */
    r[6] = 3; /* key_size */
    r[8] = 5; /* value_size */
    memcpy(r + 20, "key", 3);
    memcpy(r + 23, "value", 5);
    unsigned char *d = want + 28;
    d[4] = 1;
    d[5] = 1; /* tombstone */
    d[6] = 3;
    memcpy(d + 20, "key", 3);
    size_t size;
    unsigned char *got = fs_read_all(t.fs, TEST_DIR "/0000000001-00000.data", &size);
    assert_int_equal(size, sizeof(want));
    memcpy(want + 12, got + 12, 8); /* timestamps: any clock value */
    memcpy(d + 12, got + 28 + 12, 8);
    uint32_t crc = bc_crc32c(0, r + 4, 24), crc2 = bc_crc32c(0, d + 4, 19);
    for (int i = 0; i < 4; i++) {
        r[i] = (unsigned char)(crc >> (8 * i));
        d[i] = (unsigned char)(crc2 >> (8 * i));
    }
    kh_assert_bytes_equal("put key=value, delete key", 25, want, sizeof(want), got, size);
    free(got);
    kh_faultfs_destroy(t.fs);
}

/* Claim: records encode and decode, and any flipped bit makes a record fail its check. */
static void
test_a_record_checksum_catches_every_bit_flip(void **state)
{
    (void)state;
    unsigned char buf[20 + 4 + 6];
    struct bc_record rec = {.key_size_bytes = 4, .value_size_bytes = 6, .timestamp_us = 77};
    bc_record_encode(buf, &rec, "abcd", "012345");
    struct bc_record back;
    assert_status(bc_record_decode_header(buf, &back), BC_OK);
    assert_int_equal(back.key_size_bytes, 4);
    assert_int_equal(back.value_size_bytes, 6);
    assert_int_equal(back.timestamp_us, 77);
    assert_true(bc_record_is_intact(buf, sizeof(buf)));
    for (size_t bit = 0; bit < sizeof(buf) * 8; bit++) {
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        assert_false(bc_record_is_intact(buf, sizeof(buf)));
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    buf[4] = 2; /* an unknown version */
    assert_status(bc_record_decode_header(buf, &back), BC_CORRUPT);
}

/* Claim: put, get, overwrite and delete behave as bitcask.h says, for binary keys too, and bad
 * arguments are statuses (README part A): an empty key or a NULL value with a size is
 * BC_INVALID, a key or value over its limit BC_TOO_BIG, and nothing is written. */
static void
test_a_put_get_delete(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    char buf[64];
    size_t size = 0;
    assert_status(bc_get(db, "a", 1, buf, sizeof(buf), &size), BC_NOT_FOUND);
    assert_status(bc_put(db, "a", 1, "first", 5), BC_OK);
    assert_status(bc_put(db, "a\0b", 3, "", 0), BC_OK);
    assert_status(bc_get(db, "a", 1, buf, sizeof(buf), &size), BC_OK);
    assert_int_equal(size, 5);
    assert_memory_equal(buf, "first", 5);
    assert_status(bc_get(db, "a\0b", 3, buf, sizeof(buf), &size), BC_OK);
    assert_int_equal(size, 0);
    assert_status(bc_get(db, "a\0c", 3, buf, sizeof(buf), &size), BC_NOT_FOUND);
    assert_status(bc_put(db, "a", 1, "second value", 12), BC_OK);
    assert_status(bc_get(db, "a", 1, buf, 4, &size), BC_TOO_BIG);
    assert_int_equal(size, 12);
    assert_status(bc_get(db, "a", 1, buf, sizeof(buf), &size), BC_OK);
    assert_memory_equal(buf, "second value", 12);
    assert_status(bc_delete(db, "a", 1), BC_OK);
    assert_status(bc_delete(db, "a", 1), BC_NOT_FOUND);
    assert_status(bc_get(db, "a", 1, buf, sizeof(buf), &size), BC_NOT_FOUND);
    static char big_key[BC_KEY_SIZE_MAX + 1];
    assert_status(bc_put(db, big_key, sizeof(big_key), "x", 1), BC_TOO_BIG);
    assert_status(bc_put(db, "", 0, "x", 1), BC_INVALID);
    assert_status(bc_put(db, "k", 1, NULL, 1), BC_INVALID);
    char *big_value = calloc(BC_VALUE_SIZE_MAX + 1u, 1);
    assert_non_null(big_value);
    assert_status(bc_put(db, "k", 1, big_value, BC_VALUE_SIZE_MAX + 1u), BC_TOO_BIG);
    free(big_value);
    assert_status(bc_delete(db, "", 0), BC_INVALID);
    assert_status(bc_get(db, "", 0, buf, sizeof(buf), &size), BC_INVALID);
    assert_status(bc_get(db, "k", 1, buf, sizeof(buf), &size), BC_NOT_FOUND); /* none written */
    assert_string_equal(bc_strerror(BC_LOCKED), "locked: another handle has this directory open");
    assert_string_equal(bc_strerror((bc_status)999), "unknown status");
    struct bc_stats stats;
    bc_stats(db, &stats);
    assert_int_equal(stats.key_count, 1);
    assert_status(bc_close(db), BC_OK);
    kh_faultfs_destroy(t.fs);
}

/* Claim: seeded random puts, gets and deletes match a model, through keydir growth. */
static void
test_a_keydir_matches_a_model(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    struct model m;
    model_init(&m, MODEL_KEYS_MAX);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (uint32_t op = 0; op < MODEL_OPS; op++) {
        unsigned k = (unsigned)kh_rng_below(&rng, MODEL_KEYS_MAX);
        if (kh_rng_below(&rng, 4) == 0) {
            bc_status st = model_delete(db, &m, k);
            assert_true(st == BC_OK || st == BC_NOT_FOUND);
        } else {
            assert_status(model_put(db, &m, k, op), BC_OK);
        }
        if (op % 2000 == 0) {
            model_check(db, &m, "during the random run");
        }
    }
    model_check(db, &m, "after the random run");
    assert_status(bc_close(db), BC_OK);
    kh_faultfs_destroy(t.fs);
}

/* ---- The keydir out of memory ----------------------------------------------------------- */

#if KH_OOM_IS_INJECTABLE
#define KEYDIR_KEYS 300u       /* new keys: past the reference's growths at 48, 96 and 192 keys */
#define OOM_ALLOCATIONS_MAX 16 /* a put that still allocates after this many failed is looping */

/* Key i of the keydir test (no allocation). */
static size_t
keydir_key(unsigned i, char key[16])
{
    return (size_t)snprintf(key, 16, "kd%05u", i);
}

/* The location of version v of key i: every field differs from version to version. */
static struct bc_keydir_entry
keydir_loc(unsigned i, unsigned v)
{
    return (struct bc_keydir_entry){.file_id = 1000u * i + v,
                                    .offset = 7u * i + 1000003u * v,
                                    .value_size_bytes = i + 3u * v,
                                    .timestamp_us = 11u * i + v};
}

/* Fails unless kd holds exactly the keys i whose versions[i] is not 0 (0: never put with BC_OK),
 * each at the location of that version. */
static void
keydir_check(const struct bc_keydir *kd, const unsigned *versions, const char *when)
{
    size_t count = 0;
    for (unsigned i = 0; i < KEYDIR_KEYS; i++) {
        char key[16];
        size_t key_size = keydir_key(i, key);
        const struct bc_keydir_entry *e = bc_keydir_find(kd, key, key_size);
        if (versions[i] == 0) {
            if (e != NULL) {
                fail_msg("%s: no put of key %s returned BC_OK, yet the keydir finds it", when, key);
            }
            continue;
        }
        count++;
        struct bc_keydir_entry want = keydir_loc(i, versions[i]);
        if (e == NULL || e->file_id != want.file_id || e->offset != want.offset ||
            e->value_size_bytes != want.value_size_bytes || e->timestamp_us != want.timestamp_us) {
            fail_msg("%s: key %s is %s, not at the location of its last put that returned BC_OK",
                     when, key, e == NULL ? "missing" : "elsewhere");
        }
    }
    if (kd->count != count) {
        fail_msg("%s: the keydir counts %zu keys, but %zu were put", when, kd->count, count);
    }
}

/* Puts key i at version v with allocation fail_at failing (kh_oom.h) and checks the outcome:
 * BC_OK (versions[i] becomes v), or BC_NOMEM with kd as it was and nothing left allocated
 * (bc_internal.h). Returns whether an allocation failed. */
static bool
keydir_put_nth(struct bc_keydir *kd, unsigned *versions, unsigned i, unsigned v, int64_t fail_at)
{
    char key[16];
    size_t key_size = keydir_key(i, key);
    struct bc_keydir_entry loc = keydir_loc(i, v);
    int64_t live_before = kh_oom_live_blocks();
    kh_oom_arm(fail_at); /* no cmocka call until disarmed: cmocka allocates */
    bc_status st = bc_keydir_put(kd, key, key_size, &loc);
    bool has_fired = kh_oom_disarm();
    if (st == BC_OK) {
        versions[i] = v;
        return has_fired;
    }
    if (st != BC_NOMEM || !has_fired) {
        fail_msg("bc_keydir_put of key %s with allocation %" PRId64 " failing returned %s, though "
                 "%s",
                 key, fail_at, status_name(st),
                 has_fired ? "bc_internal.h allows only BC_OK or BC_NOMEM"
                           : "no allocation failed: expected BC_OK");
    }
    char when[128];
    snprintf(when, sizeof(when),
             "after bc_keydir_put of %s returned BC_NOMEM (allocation %" PRId64 " failed)", key,
             fail_at);
    keydir_check(kd, versions, when);
    if (kh_oom_live_blocks() != live_before) {
        fail_msg("%s, %" PRId64 " blocks it took are still allocated", when,
                 kh_oom_live_blocks() - live_before);
    }
    return true;
}
#endif

/* Claim: a bc_keydir_put that runs out of memory returns BC_NOMEM with the keydir unchanged
 * (bc_internal.h): the same count, every key at its last location, the new key absent, and
 * nothing leaked. 300 new keys, then an update of each, every put with each of its allocations
 * failing in turn (as a malloc that fails once) until one meets no failure. Plain builds only. */
static void
test_a_keydir_out_of_memory_leaves_it_unchanged(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#else
    static unsigned versions[KEYDIR_KEYS];
    struct bc_keydir kd;
    assert_status(bc_keydir_init(&kd, 0), BC_OK);
    unsigned v = 0;
    for (unsigned round = 0; round < 2; round++) { /* new keys, then updates */
        for (unsigned i = 0; i < KEYDIR_KEYS; i++) {
            bool has_fired = true;
            for (int64_t fail_at = 0; has_fired; fail_at++) {
                if (fail_at == OOM_ALLOCATIONS_MAX) {
                    fail_msg("bc_keydir_put still allocates after %d allocations failed",
                             OOM_ALLOCATIONS_MAX);
                }
                has_fired = keydir_put_nth(&kd, versions, i, ++v, fail_at);
            }
        }
    }
    keydir_check(&kd, versions, "after every put");
    bc_keydir_free(&kd);
#endif
}

static int
count_key_cb(const void *key, size_t key_size_bytes, void *arg)
{
    unsigned *seen = arg;
    unsigned i;
    assert_int_equal(key_size_bytes, 7);
    assert_int_equal(sscanf((const char *)key + 3, "%4u", &i), 1);
    seen[i]++;
    return 0;
}

static int
stop_at_third_cb(const void *key, size_t key_size_bytes, void *arg)
{
    (void)key;
    (void)key_size_bytes;
    return ++*(unsigned *)arg == 3;
}

/* Claim: fold visits every live key exactly once and no deleted one, and stops at key_cb's
 * first nonzero return. */
static void
test_a_fold_visits_each_live_key_once(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    struct model m;
    model_init(&m, 100);
    for (unsigned i = 0; i < 100; i++) {
        assert_status(model_put(db, &m, i, 1), BC_OK);
        assert_status(model_put(db, &m, i, 2), BC_OK);
    }
    for (unsigned i = 0; i < 100; i += 3) {
        assert_status(model_delete(db, &m, i), BC_OK);
    }
    unsigned seen[100] = {0};
    assert_status(bc_fold(db, count_key_cb, seen), BC_OK);
    for (unsigned i = 0; i < 100; i++) {
        assert_int_equal(seen[i], i % 3 == 0 ? 0 : 1);
    }
    unsigned visits = 0;
    assert_status(bc_fold(db, stop_at_third_cb, &visits), BC_OK);
    assert_int_equal(visits, 3); /* stopped at key_cb's first nonzero return */
    assert_status(bc_close(db), BC_OK);
    kh_faultfs_destroy(t.fs);
}

/* Claim: bc_get checks that the record it reads holds the key asked for, its size as well as
 * its bytes: a record with a good CRC at the keydir's offset, but of another key (a keydir that
 * points at the wrong record, a file rewritten under the store), is BC_CORRUPT, never the other
 * key's value. The test copies one whole record over another of the same size. */
static void
test_a_get_checks_the_record_holds_the_key(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    /* three records of 28 bytes: key kA (2 bytes) + 6, key kAx (3) + 5, key kB (2) + 6 */
    assert_status(bc_put(db, "kA", 2, "AAAAAA", 6), BC_OK);
    assert_status(bc_put(db, "kAx", 3, "xxxxx", 5), BC_OK);
    assert_status(bc_put(db, "kB", 2, "BBBBBB", 6), BC_OK);
    assert_status(bc_sync(db), BC_OK); /* the records are in the file, not in a buffer */
    const char *path = TEST_DIR "/0000000001-00000.data";
    size_t size;
    unsigned char *file = fs_read_all(t.fs, path, &size);
    assert_int_equal(size, 3 * 28);
    char buf[16];
    size_t got_size = 0;
    /* kB's record where kA's was: the same key size, other bytes */
    fs_write_at(t.fs, path, file + 2 * 28, 28, 0);
    bc_status st = bc_get(db, "kA", 2, buf, sizeof(buf), &got_size);
    if (st == BC_OK) {
        fail_msg("bc_get(kA) returned %zu bytes \"%.*s\" from a record of key kB: it must check "
                 "the record's key and say BC_CORRUPT",
                 got_size, (int)got_size, buf);
    }
    assert_status(st, BC_CORRUPT);
    /* kAx's record where kA's was: kA is a prefix of its key, so only the sizes differ */
    fs_write_at(t.fs, path, file + 28, 28, 0);
    st = bc_get(db, "kA", 2, buf, sizeof(buf), &got_size);
    if (st == BC_OK) {
        fail_msg("bc_get(kA) returned %zu bytes \"%.*s\" from a record of key kAx: compare the "
                 "key's size too, not only its first bytes",
                 got_size, (int)got_size, buf);
    }
    assert_status(st, BC_CORRUPT);
    assert_status(bc_get(db, "kB", 2, buf, sizeof(buf), &got_size), BC_OK); /* untouched */
    assert_memory_equal(buf, "BBBBBB", 6);
    free(file);
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

/* Claim: bc_get checks the CRC of what it reads: a bit flipped on disk under an open store is
 * BC_CORRUPT, never a wrong value. */
static void
test_a_get_refuses_a_corrupt_value(void **state)
{
    (void)state;
    struct test_fs t;
    tfs_init(&t);
    struct bc_io io;
    struct bc_db *db = tfs_open_db(&t, &io, BC_SYNC_NONE, 0);
    assert_status(bc_put(db, "k", 1, "hello", 5), BC_OK);
    assert_status(bc_sync(db), BC_OK); /* the record is in the file, not in a buffer */
    fs_flip_bit(t.fs, TEST_DIR "/0000000001-00000.data", 20 + 1 + 2, 3);
    char buf[16];
    size_t size;
    assert_status(bc_get(db, "k", 1, buf, sizeof(buf), &size), BC_CORRUPT);
    char error[BC_ERROR_MAX];
    bc_last_error(db, error);
    assert_non_null(strstr(error, "0000000001-00000.data"));
    bc_close(db);
    kh_faultfs_destroy(t.fs);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_crc32c_known_answers),
        cmocka_unit_test(test_a_on_disk_format_is_byte_exact),
        cmocka_unit_test(test_a_record_checksum_catches_every_bit_flip),
        cmocka_unit_test(test_a_put_get_delete),
        cmocka_unit_test(test_a_keydir_matches_a_model),
        cmocka_unit_test(test_a_keydir_out_of_memory_leaves_it_unchanged),
        cmocka_unit_test(test_a_fold_visits_each_live_key_once),
        cmocka_unit_test(test_a_get_refuses_a_corrupt_value),
        cmocka_unit_test(test_a_get_checks_the_record_holds_the_key),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
