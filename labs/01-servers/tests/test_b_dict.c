/* test_b_dict.c -- part B: the hash table (dict.h). Read model_check first: the randomized test
 * runs every operation against a plain array of keys and compares, with rehash steps mixed in,
 * so a rehash that drops or duplicates an entry shows up as a key the dict lost. */
#include "dict.h"
#include "kh_test.h"
#include "status_names.h"

#include <stdlib.h>
#include <string.h>

#define KEY_SIZE_BYTES_MAX 16u
#define MODEL_KEYS 1000u /* the key universe: phases grow it to ~900 keys and shrink it to ~50 */
#define MODEL_OPS 60000u /* operations per run: about 20 ms, 0.3 s under ASan */
#define MODEL_PHASE_OPS 5000u /* grow for this many operations, then shrink for as many */
#define STEPS_MAX 10000000u   /* a rehash that has not finished after this many steps never will */

/* Key i: "k" then i's four bytes, little-endian, so most keys hold a '\0'. */
static void
key_of(uint32_t i, char key[KEY_SIZE_BYTES_MAX])
{
    key[0] = 'k';
    for (unsigned b = 0; b < 4; b++) {
        key[1 + b] = (char)(i >> (8 * b));
    }
}

/* Key i of the model: key_of cut to 5, 3 or 4 bytes. For i < 65536 all are different, and keys
 * of different lengths share prefixes ("k\x01\x00" and "k\x01\x00\x00"), which a comparison
 * that ignores the size would mix up. */
static size_t
model_key(uint32_t i, char key[KEY_SIZE_BYTES_MAX])
{
    _Static_assert(MODEL_KEYS < 65536, "model keys must stay distinct");
    key_of(i, key);
    return i % 3 == 0 ? 5 : 3 + (i % 2);
}

/* The model: which keys of the universe are in the dict, and the value each was given. */
struct model {
    bool is_present[MODEL_KEYS];
    uintptr_t value[MODEL_KEYS];
    size_t count;
};

static void
model_check(struct dict *d, const struct model *m, size_t op)
{
    if (dict_size(d) != m->count) {
        fail_msg("after operation %zu: dict_size is %zu, the model holds %zu keys", op,
                 dict_size(d), m->count);
    }
    for (uint32_t i = 0; i < MODEL_KEYS; i++) {
        char key[KEY_SIZE_BYTES_MAX];
        size_t size = model_key(i, key);
        uint32_t id = i;
        struct dict_entry *e = dict_find(d, key, size);
        if (m->is_present[id] != (e != NULL)) {
            fail_msg("after operation %zu: key %u (%zu bytes) is %s, the model says %s", op, i,
                     size, e ? "found" : "missing", m->is_present[id] ? "present" : "absent");
        }
        if (e != NULL && ((uintptr_t)e->value != m->value[id] || e->key_size_bytes != size ||
                          memcmp(e->key, key, size) != 0)) {
            fail_msg("after operation %zu: key %u came back with the wrong key or value", op, i);
        }
    }
}

/* Fails unless key (what names it in the message) is found holding value. */
static void
expect_found(struct dict *d, const char *key, size_t key_size_bytes, void *value, const char *what)
{
    struct dict_entry *e = dict_find(d, key, key_size_bytes);
    if (e == NULL || e->value != value) {
        fail_msg("dict_find of %s %s, expected its entry with the value inserted (%p)", what,
                 e == NULL ? "returned NULL" : "found an entry with another value", value);
    }
}

/* The claim: empty dicts, duplicate inserts, deletes and keys with '\0' behave as dict.h says. */
static void
test_b_dict_insert_find_delete(void **state)
{
    (void)state;
    struct dict d;
    dict_init(&d, kh_test_seed());
    assert_null(dict_find(&d, "a", 1));
    assert_dict_status(dict_delete(&d, "a", 1, NULL), DICT_NOT_FOUND);
    assert_int_equal(dict_size(&d), 0);

    int values[4];
    struct dict_entry *e = NULL;
    assert_dict_status(dict_insert(&d, "a", 1, &values[0], &e), DICT_OK);
    assert_non_null(e);
    assert_int_equal(e->key_size_bytes, 1);
    assert_memory_equal(e->key, "a\0", 2); /* the copy ends in '\0' */
    struct dict_entry *again = NULL;
    assert_dict_status(dict_insert(&d, "a", 1, &values[1], &again), DICT_EXISTS);
    if (again != e || e->value != &values[0]) {
        fail_msg("inserting \"a\" again must leave its entry as it was and set *entry to it (%p); "
                 "*entry is %p, and the entry's value %s",
                 (void *)e, (void *)again,
                 e->value == &values[0] ? "is kept"
                                        : "was replaced: an existing key keeps its value");
    }

    /* Keys are byte strings: these are four different keys, "" among them. */
    assert_dict_status(dict_insert(&d, "a\0b", 3, &values[1], NULL), DICT_OK);
    assert_dict_status(dict_insert(&d, "a\0c", 3, &values[2], NULL), DICT_OK);
    assert_dict_status(dict_insert(&d, "", 0, &values[3], NULL), DICT_OK);
    assert_int_equal(dict_size(&d), 4);
    expect_found(&d, "a\0b", 3, &values[1], "\"a\\0b\" (3 bytes)");
    expect_found(&d, "a\0c", 3, &values[2], "\"a\\0c\" (3 bytes)");
    expect_found(&d, "", 0, &values[3], "the empty key");
    assert_null(dict_find(&d, "a\0", 2));

    void *removed = NULL;
    assert_dict_status(dict_delete(&d, "a\0b", 3, &removed), DICT_OK);
    if (removed != &values[1]) {
        fail_msg("dict_delete of \"a\\0b\" handed back %p, not the value it was inserted with "
                 "(%p)",
                 removed, (void *)&values[1]);
    }
    assert_null(dict_find(&d, "a\0b", 3));
    assert_dict_status(dict_delete(&d, "a\0b", 3, &removed), DICT_NOT_FOUND);
    expect_found(&d, "a\0c", 3, &values[2], "\"a\\0c\" after deleting \"a\\0b\"");
    assert_int_equal(dict_size(&d), 3);

    dict_clear(&d, NULL, NULL);
    assert_int_equal(dict_size(&d), 0);
    assert_null(dict_find(&d, "a", 1));
    assert_dict_status(dict_insert(&d, "a", 1, &values[0], NULL), DICT_OK); /* usable again */
    dict_clear(&d, NULL, NULL);
}

static void
count_value_cb(void *value, void *ctx)
{
    assert_non_null(value);
    (*(size_t *)ctx)++;
}

/* The claim: random inserts, finds and deletes, with rehash steps of random sizes between them,
 * agree with an array model through growth and shrinking, and no key is lost in a rehash. */
static void
test_b_dict_matches_a_model_across_rehashes(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    struct dict d;
    dict_init(&d, kh_rng_next(&rng));
    struct model *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    bool saw_rehashing = false;
    for (size_t op = 0; op < MODEL_OPS; op++) {
        /* Phases of mostly inserts and mostly deletes take turns, so the dict grows and shrinks
         * again and again, and keys are inserted and deleted while a resize is under way. */
        uint64_t insert_percent = (op / MODEL_PHASE_OPS) % 2 == 0 ? 85 : 5;
        uint32_t i = (uint32_t)kh_rng_below(&rng, MODEL_KEYS);
        char key[KEY_SIZE_BYTES_MAX];
        size_t size = model_key(i, key);
        uint32_t id = i;
        uint64_t dice = kh_rng_below(&rng, 100);
        if (dice < insert_percent) {
            uintptr_t value = (uintptr_t)kh_rng_next(&rng) | 1u;
            struct dict_entry *e = NULL;
            dict_status status = dict_insert(&d, key, size, (void *)value, &e);
            dict_status expected = m->is_present[id] ? DICT_EXISTS : DICT_OK;
            if (status != expected) {
                fail_msg("operation %zu: dict_insert of key %u (%zu bytes) returned %s (%s), "
                         "expected %s (the model %s the key)",
                         op, i, size, dict_status_name(status), dict_strerror(status),
                         dict_status_name(expected), m->is_present[id] ? "holds" : "does not hold");
            }
            assert_non_null(e);
            if (status == DICT_OK) {
                m->is_present[id] = true;
                m->value[id] = value;
                m->count++;
            }
        } else if (dice < 95) {
            void *removed = NULL;
            dict_status status = dict_delete(&d, key, size, &removed);
            dict_status expected = m->is_present[id] ? DICT_OK : DICT_NOT_FOUND;
            if (status != expected) {
                fail_msg("operation %zu: dict_delete of key %u (%zu bytes) returned %s (%s), "
                         "expected %s (the model %s the key)",
                         op, i, size, dict_status_name(status), dict_strerror(status),
                         dict_status_name(expected), m->is_present[id] ? "holds" : "does not hold");
            }
            if (status == DICT_OK) {
                assert_true((uintptr_t)removed == m->value[id]);
                m->is_present[id] = false;
                m->count--;
            }
        } else {
            struct dict_entry *e = dict_find(&d, key, size);
            assert_true((e != NULL) == m->is_present[id]);
        }
        if (kh_rng_below(&rng, 4) == 0) {
            dict_rehash_step(&d, (size_t)kh_rng_below(&rng, 4));
        }
        saw_rehashing |= dict_is_rehashing(&d);
        if (dict_size(&d) != m->count) {
            fail_msg("after operation %zu: dict_size is %zu, the model holds %zu keys", op,
                     dict_size(&d), m->count);
        }
        /* A full check does a rehash step per find, which would hurry every resize along: once
         * per phase is enough, since every later operation on a lost key notices it. */
        if (op % MODEL_PHASE_OPS == MODEL_PHASE_OPS - 1) {
            model_check(&d, m, op);
        }
    }
    model_check(&d, m, MODEL_OPS);
    assert_true(saw_rehashing);
    size_t freed = 0;
    dict_clear(&d, count_value_cb, &freed);
    assert_int_equal(freed, m->count);
    free(m);
}

/* The claim: a resize is spread over many small steps (no single call moves a big table), the
 * dict answers correctly while both tables are in use, and it ends at a load factor <= 1. */
static void
test_b_dict_rehash_is_incremental(void **state)
{
    (void)state;
    struct dict d;
    dict_init(&d, kh_test_seed());
    uint32_t n = 0;
    char key[KEY_SIZE_BYTES_MAX];
    while (!(n >= 1000 && dict_is_rehashing(&d))) {
        if (n > 100000) {
            fail_msg("inserted %u keys and no resize was ever under way after an insert "
                     "(grow by starting a rehash, then move buckets a step at a time)",
                     n);
        }
        key_of(n, key);
        assert_dict_status(dict_insert(&d, key, 5, (void *)(uintptr_t)(n + 1), NULL), DICT_OK);
        n++;
    }
    size_t buckets_during = dict_bucket_count(&d);
    size_t steps = 0;
    while (dict_rehash_step(&d, 1)) {
        if (++steps % 64 == 0) { /* mid-rehash, every key is still found, in one table or other */
            uint32_t i = (uint32_t)(steps * 7919u % n);
            key_of(i, key);
            struct dict_entry *e = dict_find(&d, key, 5);
            assert_non_null(e);
            assert_true((uintptr_t)e->value == i + 1);
        }
        if (steps > STEPS_MAX) {
            fail_msg("dict_rehash_step(d, 1) still says rehashing after %u calls", STEPS_MAX);
        }
    }
    /* Over 500 buckets move, one per step (plus empty ones, at most 10 per step). */
    if (steps < 40) {
        fail_msg("a resize of a %u-key dict finished in %zu steps of one bucket: steps are not "
                 "bounded",
                 n, steps);
    }
    assert_false(dict_is_rehashing(&d));
    assert_true(dict_bucket_count(&d) < buckets_during);
    assert_true(dict_bucket_count(&d) >= dict_size(&d)); /* load factor <= 1 */
    assert_int_equal(dict_size(&d), n);
    for (uint32_t i = 0; i < n; i++) {
        key_of(i, key);
        struct dict_entry *e = dict_find(&d, key, 5);
        if (e == NULL || (uintptr_t)e->value != i + 1) {
            fail_msg("key %u of %u is %s after the resize", i, n, e ? "wrong" : "lost");
        }
    }
    dict_clear(&d, NULL, NULL);
}

/* Inserts keys 0, 1, ... (value: the key's number + 1) until at least 1000 are in and a resize
 * is under way, failing the test past keys_max; each entry into entries[i] (when not NULL).
 * Returns how many keys went in. */
static uint32_t
insert_until_rehashing(struct dict *d, struct dict_entry **entries, uint32_t keys_max)
{
    uint32_t n = 0;
    char key[KEY_SIZE_BYTES_MAX];
    while (!(n >= 1000 && dict_is_rehashing(d))) {
        if (n == keys_max) {
            fail_msg("inserted %u keys and no resize was under way after an insert", n);
        }
        key_of(n, key);
        assert_dict_status(dict_insert(d, key, 5, (void *)(uintptr_t)(n + 1),
                                       entries != NULL ? &entries[n] : NULL),
                           DICT_OK);
        if (entries != NULL) {
            assert_non_null(entries[n]);
        }
        n++;
    }
    return n;
}

/* The claim: an entry never moves (dict.h: "relinked, never copied"): the pointer dict_insert
 * handed out is the one dict_find returns after every resize the dict went through, and finds
 * alone, with no insert or delete, carry a resize under way to its end (each does one step). */
static void
test_b_dict_entries_never_move_and_finds_finish_a_rehash(void **state)
{
    (void)state;
    enum { KEYS_MAX = 4096 };
    struct dict_entry **entries = calloc(KEYS_MAX, sizeof(*entries));
    assert_non_null(entries);
    struct dict d;
    dict_init(&d, kh_test_seed());
    char key[KEY_SIZE_BYTES_MAX];
    uint32_t n = insert_until_rehashing(&d, entries, KEYS_MAX);
    /* Each step moves a bucket or looks at 10 empty ones: the old table's buckets bound it. */
    size_t finds_max = dict_bucket_count(&d);
    size_t finds = 0;
    for (; dict_is_rehashing(&d); finds++) {
        if (finds > finds_max) {
            fail_msg("%zu dict_find calls and the resize of a %u-key dict is still under way: "
                     "each find must do one rehash step (dict.h)",
                     finds, n);
        }
        uint32_t i = (uint32_t)(finds * 7919u % n);
        key_of(i, key);
        if (dict_find(&d, key, 5) != entries[i]) {
            fail_msg("mid-rehash, dict_find of key %u returned %p, not the entry %p dict_insert "
                     "gave: entries must be relinked, never copied",
                     i, (void *)dict_find(&d, key, 5), (void *)entries[i]);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        key_of(i, key);
        struct dict_entry *e = dict_find(&d, key, 5);
        if (e != entries[i] || (uintptr_t)e->value != i + 1) {
            fail_msg("after the resizes, key %u is at %p, not at %p where dict_insert put it (or "
                     "its value changed): an entry must never move",
                     i, (void *)e, (void *)entries[i]);
        }
    }
    dict_clear(&d, NULL, NULL);
    free(entries);
}

/* The claim: dict_delete does one rehash step too (dict.h), so a resize under way finishes
 * while a dict only loses keys: within as many deletes as the old table has buckets (each step
 * moves a bucket or looks at 10 empty ones), a grow started by the inserts is over. */
static void
test_b_dict_deletes_finish_a_rehash(void **state)
{
    (void)state;
    enum { KEYS_MAX = 4096 };
    struct dict d;
    dict_init(&d, kh_test_seed());
    char key[KEY_SIZE_BYTES_MAX];
    uint32_t n = insert_until_rehashing(&d, NULL, KEYS_MAX);
    /* The old table has about n buckets, so its steps are over long before n deletes are. */
    uint32_t deleted = 0;
    while (dict_is_rehashing(&d)) {
        if (deleted == n) {
            fail_msg("deleted all %u keys and the resize their inserts started is still under "
                     "way: each dict_delete must do one rehash step (dict.h)",
                     n);
        }
        key_of(deleted, key);
        void *value = NULL;
        assert_dict_status(dict_delete(&d, key, 5, &value), DICT_OK);
        assert_true((uintptr_t)value == deleted + 1);
        deleted++;
    }
    for (uint32_t i = deleted; i < n; i++) {
        key_of(i, key);
        struct dict_entry *e = dict_find(&d, key, 5);
        if (e == NULL || (uintptr_t)e->value != i + 1) {
            fail_msg("after %u deletes finished a resize, key %u is missing or has a wrong value",
                     deleted, i);
        }
    }
    assert_int_equal(dict_size(&d), n - deleted);
    dict_clear(&d, NULL, NULL);
}

/* The claim: dict_random_entry returns live entries only, reaches every key, including while a
 * rehash is under way, and NULL for an empty dict. */
static void
test_b_dict_random_entry_covers_every_key(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    uint64_t rng_state = kh_rng_next(&rng);
    struct dict d;
    dict_init(&d, kh_rng_next(&rng));
    assert_null(dict_random_entry(&d, &rng_state));
    enum { KEYS = 64, DRAWS = 20000 };
    char key[KEY_SIZE_BYTES_MAX];
    for (uint32_t i = 0; i < KEYS; i++) {
        key_of(i, key);
        assert_dict_status(dict_insert(&d, key, 5, (void *)(uintptr_t)(i + 1), NULL), DICT_OK);
    }
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) { /* grow until a resize is under way, then draw again */
            for (uint32_t i = KEYS; !dict_is_rehashing(&d); i++) {
                assert_true(i < 100000);
                key_of(i, key);
                assert_dict_status(dict_insert(&d, key, 5, (void *)(uintptr_t)(i + 1), NULL),
                                   DICT_OK);
            }
        }
        size_t seen[KEYS] = {0};
        for (int draw = 0; draw < DRAWS; draw++) {
            struct dict_entry *e = dict_random_entry(&d, &rng_state);
            assert_non_null(e);
            if (dict_find(&d, e->key, e->key_size_bytes) != e) {
                fail_msg("phase %d: dict_random_entry returned an entry (%p) that dict_find of "
                         "its own key does not return",
                         phase, (void *)e);
            }
            uintptr_t v = (uintptr_t)e->value;
            if (v <= KEYS) {
                seen[v - 1]++;
            }
        }
        for (int i = 0; i < KEYS; i++) {
            if (seen[i] == 0) {
                fail_msg("phase %d: key %d was never drawn in %d draws", phase, i, DRAWS);
            }
        }
    }
    dict_clear(&d, NULL, NULL);
    assert_null(dict_random_entry(&d, &rng_state));
}

#define SCAN_KEYS                                                                                  \
    200u /* kept for the whole scan, few enough that the dict shrinks after the churn */

struct scan_seen {
    uint32_t count[MODEL_KEYS]; /* how often each stable key was returned */
};

static void
scan_seen_cb(const struct dict_entry *entry, void *ctx)
{
    struct scan_seen *seen = ctx;
    uint32_t i = 0;
    for (unsigned b = 0; b < 4 && b + 1 < entry->key_size_bytes; b++) {
        i |= (uint32_t)(unsigned char)entry->key[1 + b] << (8 * b);
    }
    if (entry->key_size_bytes == 5 && i < MODEL_KEYS) {
        seen->count[i]++;
    }
}

/* The claim: a full dict_scan, with inserts and deletes of other keys between its calls that
 * grow the dict through a resize (scanned mid-rehash) and shrink it through another, returns
 * every key that was in the dict from the scan's start to its end at least once: the
 * reverse-binary cursor of Redis's dictScan. The dict is grown and shrunk in seeded steps. */
static void
test_b_dict_scan_during_a_rehash_misses_nothing(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    struct dict d;
    dict_init(&d, kh_rng_next(&rng));
    char key[KEY_SIZE_BYTES_MAX];
    for (uint32_t i = 0; i < SCAN_KEYS; i++) { /* the stable keys: 5 bytes each */
        key_of(i, key);
        assert_int_equal(dict_insert(&d, key, 5, (void *)(uintptr_t)1, NULL), DICT_OK);
    }
    static struct scan_seen seen;
    memset(&seen, 0, sizeof(seen));
    uint64_t cursor = 0;
    size_t calls = 0, calls_mid_rehash = 0, peak_buckets = 0;
    uint32_t churn = 0; /* 4-byte keys added, then taken away again, between calls */
    do {
        calls_mid_rehash += dict_is_rehashing(&d);
        cursor = dict_scan(&d, cursor, scan_seen_cb, &seen);
        calls++;
        peak_buckets = dict_bucket_count(&d) > peak_buckets ? dict_bucket_count(&d) : peak_buckets;
        bool is_growing = calls < 40;
        for (unsigned n = (unsigned)kh_rng_below(&rng, 64); n > 0; n--) {
            if (is_growing) {
                key_of(churn++, key);
                dict_insert(&d, key, 4, (void *)(uintptr_t)1, NULL);
            } else if (churn > 0) {
                key_of(--churn, key);
                dict_delete(&d, key, 4, NULL);
            }
        }
        assert_true(calls < 100000); /* a cursor that never comes back to 0 */
    } while (cursor != 0);
    for (uint32_t i = 0; i < SCAN_KEYS; i++) {
        if (seen.count[i] == 0) {
            fail_msg("key %u was in the dict for the whole scan, and dict_scan never returned it "
                     "(%zu calls, %zu of them mid-rehash)",
                     i, calls, calls_mid_rehash);
        }
    }
    if (calls_mid_rehash == 0 || dict_bucket_count(&d) >= peak_buckets) {
        fail_msg("the scan saw no resize under way, or the dict never shrank (%zu buckets at the "
                 "end, %zu at the peak): the test must be changed",
                 dict_bucket_count(&d), peak_buckets);
    }
    dict_clear(&d, NULL, NULL);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_dict_insert_find_delete),
        cmocka_unit_test(test_b_dict_matches_a_model_across_rehashes),
        cmocka_unit_test(test_b_dict_rehash_is_incremental),
        cmocka_unit_test(test_b_dict_random_entry_covers_every_key),
        cmocka_unit_test(test_b_dict_entries_never_move_and_finds_finish_a_rehash),
        cmocka_unit_test(test_b_dict_deletes_finish_a_rehash),
        cmocka_unit_test(test_b_dict_scan_during_a_rehash_misses_nothing),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
