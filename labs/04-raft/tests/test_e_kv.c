/* test_e_kv.c -- part E: the replicated KV's state machine (raft_kv.h), command by command, on
 * lab 03's in-memory test file system: the command format, the applied index, each op, sessions
 * (duplicates, stale and unknown clients, eviction), and a seeded run against a model.
 * test_e_snapshot.c has the snapshots and the store's failures; kv_test.h the helpers. */
#include "kv_test.h"

/* ---- Commands on the wire, the index, the ops ------------------------------------------------ */

/* Fails unless decoding what encode wrote of c gives c back, field for field. */
static void
expect_round_trip(const struct kv_command *c)
{
    static uint8_t buf[KV_COMMAND_HEADER_BYTES + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX];
    size_t size = kv_command_encoded_size(c);
    assert_int_equal(size, KV_COMMAND_HEADER_BYTES + c->key_size_bytes + c->value_size_bytes);
    kv_command_encode(c, buf);
    struct kv_command d;
    assert_kv_status(kv_command_decode(buf, size, &d), KV_OK);
    if (d.op != c->op || d.client_id != c->client_id || d.seq != c->seq || d.delta != c->delta ||
        d.key_size_bytes != c->key_size_bytes || d.value_size_bytes != c->value_size_bytes ||
        (c->key_size_bytes > 0 && memcmp(d.key, c->key, c->key_size_bytes) != 0) ||
        (c->value_size_bytes > 0 && memcmp(d.value, c->value, c->value_size_bytes) != 0)) {
        fail_msg("%s did not decode to itself", kv_cmd_text(c));
    }
}

/* The claim: every command kv_command_encode writes decodes to itself; every malformed one
 * (truncated, trailing bytes, an unknown op, a key of 0 or too many bytes, a REGISTER with a
 * key, a value or a client id, a value too big or on an op other than PUT, a session's seq 0)
 * is KV_BAD_COMMAND, and applied it only moves the applied index, as a NOOP entry does (even one
 * carrying a command): no key, no session, no seq changes, KV_CODE_OK. */
static void
test_e_malformed_commands_change_nothing(void **state)
{
    (void)state;
    static uint8_t big[KV_VALUE_BYTES_MAX + 1];
    memset(big, 'v', sizeof(big));
    struct kv_command valid[] = {
        kv_cmd(KV_OP_REGISTER, 0, 0, NULL, NULL, 0), kv_cmd(KV_OP_PUT, 7, 1, "k", "v", 0),
        kv_cmd(KV_OP_PUT, 0, 0, "k", NULL, 0),       kv_cmd(KV_OP_GET, 1, 9, "key", NULL, 0),
        kv_cmd(KV_OP_DELETE, 2, 3, "d", NULL, 0),    kv_cmd(KV_OP_INCR, 3, 4, "n", NULL, INT64_MIN),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(valid); i++) {
        expect_round_trip(&valid[i]);
    }
    struct kv_command largest = kv_cmd(KV_OP_PUT, UINT64_MAX, UINT64_MAX, NULL, NULL, -1);
    largest.key = largest.value = big;
    largest.key_size_bytes = KV_KEY_BYTES_MAX;
    largest.value_size_bytes = KV_VALUE_BYTES_MAX;
    expect_round_trip(&largest);

    struct kv_node n;
    kv_node_start(&n);
    uint64_t id = (uint64_t)kv_do(n.kv, KV_OP_REGISTER, 0, 0, NULL, NULL, 0).number;
    kv_do(n.kv, KV_OP_PUT, id, 1, "k", "v", 0);
    /* Each encoded, then cut to size (0: not cut), or a byte added, or its key size field made
     * UINT32_MAX (more than any buffer holds). */
    const struct {
        struct kv_command c;
        size_t size;
        bool has_extra_byte, is_key_too_long, is_value_too_big, is_key_size_huge;
        const char *what;
    } bad[] = {
        {kv_cmd(KV_OP_PUT, id, 2, "k", "w", 0), KV_COMMAND_HEADER_BYTES + 1, false, false, false,
         false, "a PUT one byte short"},
        {kv_cmd(KV_OP_PUT, id, 2, "kk", "w", 0), KV_COMMAND_HEADER_BYTES + 1, false, false, false,
         false, "a PUT that stops inside its key"},
        {kv_cmd(KV_OP_GET, id, 2, "k", NULL, 0), KV_COMMAND_HEADER_BYTES - 2, false, false, false,
         false, "a GET whose header stops short"},
        {kv_cmd(KV_OP_PUT, id, 2, "k", "w", 0), 0, true, false, false, false,
         "a PUT with a byte after it"},
        {kv_cmd(KV_OP_PUT, id, 2, "k", "w", 0), 0, false, false, false, true,
         "a PUT whose key size is UINT32_MAX"},
        {kv_cmd(0, id, 2, "k", NULL, 0), 0, false, false, false, false, "op 0"},
        {kv_cmd(KV_OP_INCR + 1, id, 2, "k", NULL, 0), 0, false, false, false, false, "op 6"},
        {kv_cmd(KV_OP_PUT, id, 2, NULL, "w", 0), 0, false, false, false, false,
         "a PUT with no key"},
        {kv_cmd(KV_OP_PUT, id, 2, "k", NULL, 0), 0, false, true, false, false,
         "a PUT of a key too long"},
        {kv_cmd(KV_OP_PUT, id, 2, "k", NULL, 0), 0, false, false, true, false,
         "a PUT of a value too big"},
        {kv_cmd(KV_OP_REGISTER, 0, 0, "k", NULL, 0), 0, false, false, false, false,
         "a REGISTER with a key"},
        {kv_cmd(KV_OP_REGISTER, 0, 0, NULL, "w", 0), 0, false, false, false, false,
         "a REGISTER with a value"},
        {kv_cmd(KV_OP_REGISTER, id, 0, NULL, NULL, 0), 0, false, false, false, false,
         "a REGISTER with a client id"},
        {kv_cmd(KV_OP_GET, id, 2, "k", "w", 0), 0, false, false, false, false,
         "a GET with a value"},
        {kv_cmd(KV_OP_DELETE, id, 2, "k", "w", 0), 0, false, false, false, false,
         "a DELETE with a value"},
        {kv_cmd(KV_OP_INCR, id, 2, "k", "1", 1), 0, false, false, false, false,
         "an INCR with a value"},
        {kv_cmd(KV_OP_PUT, id, 0, "k", "w", 0), 0, false, false, false, false,
         "a session's PUT numbered seq 0"},
    };
    static uint8_t buf[2 * (KV_COMMAND_HEADER_BYTES + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX)];
    for (size_t i = 0; i < KH_ARRAY_LEN(bad); i++) {
        struct kv_command c = bad[i].c;
        if (bad[i].is_key_too_long) {
            c.key = big;
            c.key_size_bytes = KV_KEY_BYTES_MAX + 1;
        }
        if (bad[i].is_value_too_big) {
            c.value = big;
            c.value_size_bytes = KV_VALUE_BYTES_MAX + 1;
        }
        kv_command_encode(&c, buf);
        size_t size = bad[i].size > 0 ? bad[i].size : kv_command_encoded_size(&c);
        if (bad[i].has_extra_byte) {
            buf[size++] = 'x';
        }
        if (bad[i].is_key_size_huge) {
            raft_put_u32(buf + 25, UINT32_MAX);
        }
        struct kv_command d;
        kv_status st = kv_command_decode(buf, size, &d);
        if (st != KV_BAD_COMMAND) {
            fail_msg("kv_command_decode of %s returned %s; expected KV_BAD_COMMAND", bad[i].what,
                     kv_status_name(st));
        }
        struct kv_result r = kv_run_entry(n.kv, RAFT_ENTRY_COMMAND, buf, size, bad[i].what);
        expect_result(&r, KV_CODE_OK, 0, false, bad[i].what);
        expect_bytes(&r, NULL, 0, bad[i].what);
    }
    uint8_t noop[64];
    struct kv_command put = kv_cmd(KV_OP_PUT, id, 2, "k", "w", 0);
    kv_command_encode(&put, noop);
    struct kv_result r = kv_run_entry(n.kv, RAFT_ENTRY_NOOP, noop, kv_command_encoded_size(&put),
                                      "a NOOP entry carrying a PUT");
    expect_result(&r, KV_CODE_OK, 0, false, "a NOOP entry carrying a PUT");
    r = kv_run_entry(n.kv, RAFT_ENTRY_COMMAND, NULL, 0, "a command entry of no bytes");
    expect_result(&r, KV_CODE_OK, 0, false, "a command entry of no bytes");
    expect_text(n.kv, "k", "v", "after malformed commands");
    if (kv_key_count(n.kv) != 1 || kv_session_count(n.kv) != 1) {
        fail_msg("after malformed commands: %zu keys and %zu sessions; expected 1 and 1",
                 kv_key_count(n.kv), kv_session_count(n.kv));
    }
    r = kv_do(n.kv, KV_OP_PUT, id, 2, "k", "w", 0);
    expect_result(&r, KV_CODE_OK, 0, false, "seq 2 after malformed commands of seq 2 (not run)");
    expect_text(n.kv, "k", "w", "after seq 2");
    kv_node_stop(&n);
}

/* Applies at index, expecting KV_OUT_OF_ORDER and the applied index where it was. */
static void
expect_out_of_order(struct kv *kv, uint64_t index, const struct kv_command *c)
{
    uint8_t buf[64];
    kv_command_encode(c, buf);
    uint64_t applied = kv_applied_index(kv);
    struct kv_result r;
    kv_status st = kv_apply(kv, index, RAFT_ENTRY_COMMAND, buf, kv_command_encoded_size(c), &r);
    if (st != KV_OUT_OF_ORDER || kv_applied_index(kv) != applied) {
        fail_msg("kv_apply of %s at index %" PRIu64 " with %" PRIu64 " applied returned %s, "
                 "applied index %" PRIu64 "; expected KV_OUT_OF_ORDER, and it unmoved",
                 kv_cmd_text(c), index, applied, kv_status_name(st), kv_applied_index(kv));
    }
}

/* The claim: kv_apply takes only the index after kv_applied_index (a new kv's: 1); index 0, the
 * same index again, and one past the next are KV_OUT_OF_ORDER and change nothing; a NOOP entry
 * moves the index and nothing else. */
static void
test_e_index_must_be_the_next(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    if (kv_applied_index(n.kv) != 0 || kv_key_count(n.kv) != 0 || kv_session_count(n.kv) != 0) {
        fail_msg("a new kv: applied index %" PRIu64 ", %zu keys, %zu sessions; expected 0, 0, 0",
                 kv_applied_index(n.kv), kv_key_count(n.kv), kv_session_count(n.kv));
    }
    struct kv_command put = kv_cmd(KV_OP_PUT, 0, 0, "a", "1", 0);
    struct kv_command reg = kv_cmd(KV_OP_REGISTER, 0, 0, NULL, NULL, 0);
    expect_out_of_order(n.kv, 0, &put);
    expect_out_of_order(n.kv, 2, &put);
    struct kv_result r = kv_run_entry(n.kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP at index 1");
    expect_result(&r, KV_CODE_OK, 0, false, "a NOOP at index 1");
    kv_run(n.kv, &put);
    struct kv_command again = kv_cmd(KV_OP_PUT, 0, 0, "a", "2", 0);
    expect_out_of_order(n.kv, 2, &again);
    expect_out_of_order(n.kv, 4, &again);
    expect_out_of_order(n.kv, 1, &reg);
    expect_out_of_order(n.kv, 5, &reg);
    expect_text(n.kv, "a", "1", "after PUTs and REGISTERs out of order");
    if (kv_applied_index(n.kv) != 2 || kv_session_count(n.kv) != 0) {
        fail_msg("after commands out of order: applied index %" PRIu64 ", %zu sessions; "
                 "expected 2 and none",
                 kv_applied_index(n.kv), kv_session_count(n.kv));
    }
    kv_node_stop(&n);
}

/* The claim: PUT sets a key, GET and kv_get read it (KV_CODE_NOT_FOUND when missing), DELETE
 * removes it (number 1; KV_CODE_NOT_FOUND when missing); keys are binary, of 1 to
 * KV_KEY_BYTES_MAX bytes (kv_get refuses others with KV_BAD_COMMAND), values of 0 to
 * KV_VALUE_BYTES_MAX; kv_key_count follows. */
static void
test_e_put_get_delete(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    struct kv_result r = kv_do(n.kv, KV_OP_GET, 0, 0, "a", NULL, 0);
    expect_result(&r, KV_CODE_NOT_FOUND, 0, false, "GET of a missing key");
    expect_text(n.kv, "a", NULL, "a new kv");
    r = kv_do(n.kv, KV_OP_PUT, 0, 0, "a", "1", 0);
    expect_result(&r, KV_CODE_OK, 0, false, "PUT a");
    r = kv_do(n.kv, KV_OP_GET, 0, 0, "a", NULL, 0);
    expect_result(&r, KV_CODE_OK, 0, false, "GET a");
    expect_bytes(&r, "1", 1, "GET a");
    kv_do(n.kv, KV_OP_PUT, 0, 0, "a", "22", 0);
    expect_text(n.kv, "a", "22", "a PUT over a");
    kv_do(n.kv, KV_OP_PUT, 0, 0, "e", "", 0);
    expect_text(n.kv, "e", "", "a PUT of an empty value");
    struct kv_command binary = kv_cmd(KV_OP_PUT, 0, 0, NULL, NULL, 0);
    binary.key = (const uint8_t *)"k\0x";
    binary.key_size_bytes = 3;
    binary.value = (const uint8_t *)"\0\1\2";
    binary.value_size_bytes = 3;
    kv_run(n.kv, &binary);
    kv_do(n.kv, KV_OP_PUT, 0, 0, "k", "plain", 0);
    expect_key(n.kv, "k\0x", 3, "\0\1\2", 3, "a key with a NUL in it");
    expect_text(n.kv, "k", "plain", "a key that begins another");
    static uint8_t key[KV_KEY_BYTES_MAX + 1], value[KV_VALUE_BYTES_MAX];
    for (size_t i = 0; i < sizeof(value); i++) {
        value[i] = (uint8_t)(i * 31 + 7);
    }
    memset(key, 'K', sizeof(key));
    struct kv_command largest = kv_cmd(KV_OP_PUT, 0, 0, NULL, NULL, 0);
    largest.key = key;
    largest.key_size_bytes = KV_KEY_BYTES_MAX;
    largest.value = value;
    largest.value_size_bytes = KV_VALUE_BYTES_MAX;
    kv_run(n.kv, &largest);
    largest.op = KV_OP_GET;
    largest.value_size_bytes = 0;
    r = kv_run(n.kv, &largest);
    expect_bytes(&r, value, sizeof(value), "GET of the largest key and value");
    expect_key(n.kv, key, KV_KEY_BYTES_MAX, value, sizeof(value), "the largest key and value");
    if (kv_key_count(n.kv) != 5) {
        fail_msg("kv_key_count is %zu after PUTs of 5 keys; expected 5", kv_key_count(n.kv));
    }
    r = kv_do(n.kv, KV_OP_DELETE, 0, 0, "a", NULL, 0);
    expect_result(&r, KV_CODE_OK, 1, false, "DELETE a");
    expect_text(n.kv, "a", NULL, "after DELETE a");
    r = kv_do(n.kv, KV_OP_DELETE, 0, 0, "a", NULL, 0);
    expect_result(&r, KV_CODE_NOT_FOUND, 0, false, "DELETE a again");
    if (kv_key_count(n.kv) != 4) {
        fail_msg("kv_key_count is %zu after a DELETE of one of 5 keys; expected 4",
                 kv_key_count(n.kv));
    }
    assert_kv_status(kv_get(n.kv, key, 0, &r), KV_BAD_COMMAND);
    assert_kv_status(kv_get(n.kv, key, KV_KEY_BYTES_MAX + 1, &r), KV_BAD_COMMAND);
    kv_node_stop(&n);
}

/* The claim: INCR adds delta to a decimal int64 value and writes the sum back as decimal text,
 * a missing key counting as 0; a value Redis's string2ll refuses is KV_CODE_NOT_AN_INTEGER ("-0"
 * among them: Redis wants the first digit 1-9 unless the value is "0"), and a sum past INT64_MAX
 * or below INT64_MIN is KV_CODE_OVERFLOW; neither changes the value. */
static void
test_e_incr_follows_redis(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    struct kv_result r = kv_do(n.kv, KV_OP_INCR, 0, 0, "n", NULL, 5);
    expect_result(&r, KV_CODE_OK, 5, false, "INCR of a missing key by 5");
    expect_text(n.kv, "n", "5", "INCR of a missing key by 5");
    r = kv_do(n.kv, KV_OP_INCR, 0, 0, "n", NULL, -12);
    expect_result(&r, KV_CODE_OK, -7, false, "INCR of 5 by -12");
    expect_text(n.kv, "n", "-7", "INCR of 5 by -12");
    r = kv_do(n.kv, KV_OP_INCR, 0, 0, "min", NULL, INT64_MIN);
    expect_result(&r, KV_CODE_OK, INT64_MIN, false, "INCR of a missing key by INT64_MIN");
    expect_text(n.kv, "min", "-9223372036854775808", "INCR of a missing key by INT64_MIN");
    const struct {
        const char *value;
        int64_t delta;
        unsigned code;
        int64_t number;
    } cases[] = {
        {"0", 0, KV_CODE_OK, 0},
        {"-1", 1, KV_CODE_OK, 0},
        {"1234567890123456789", 1, KV_CODE_OK, 1234567890123456790},
        {"9223372036854775807", 0, KV_CODE_OK, INT64_MAX},
        {"9223372036854775806", 1, KV_CODE_OK, INT64_MAX},
        {"9223372036854775807", 1, KV_CODE_OVERFLOW, 0},
        {"1", INT64_MAX, KV_CODE_OVERFLOW, 0},
        {"-9223372036854775808", 0, KV_CODE_OK, INT64_MIN},
        {"-9223372036854775808", 1, KV_CODE_OK, INT64_MIN + 1},
        {"-9223372036854775808", -1, KV_CODE_OVERFLOW, 0},
        {"-2", INT64_MIN, KV_CODE_OVERFLOW, 0},
        {"1", INT64_MIN, KV_CODE_OK, INT64_MIN + 1},
        {"-1", INT64_MIN, KV_CODE_OVERFLOW, 0},
        {"9223372036854775808", 0, KV_CODE_NOT_AN_INTEGER, 0},
        {"-9223372036854775809", 0, KV_CODE_NOT_AN_INTEGER, 0},
        {"99999999999999999999", 0, KV_CODE_NOT_AN_INTEGER, 0},
        {"123456789012345678901", 0, KV_CODE_NOT_AN_INTEGER, 0},
        {"-0", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"+1", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {" 1", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"1 ", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"01", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"00", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"-01", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"-", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"1.5", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"12a", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"abc", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"0x10", 1, KV_CODE_NOT_AN_INTEGER, 0},
        {"--1", 1, KV_CODE_NOT_AN_INTEGER, 0},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        char what[96];
        snprintf(what, sizeof(what), "INCR of \"%s\" by %" PRId64, cases[i].value, cases[i].delta);
        kv_do(n.kv, KV_OP_PUT, 0, 0, "v", cases[i].value, 0);
        r = kv_do(n.kv, KV_OP_INCR, 0, 0, "v", NULL, cases[i].delta);
        expect_result(&r, cases[i].code, cases[i].number, false, what);
        if (cases[i].code == KV_CODE_OK) {
            char text[KV_INTEGER_TEXT_MAX + 1];
            snprintf(text, sizeof(text), "%" PRId64, cases[i].number);
            expect_text(n.kv, "v", text, what);
        } else {
            expect_text(n.kv, "v", cases[i].value, what);
        }
    }
    struct kv_command nul = kv_cmd(KV_OP_PUT, 0, 0, "v", NULL, 0);
    nul.value = (const uint8_t *)"1\0";
    nul.value_size_bytes = 2;
    kv_run(n.kv, &nul);
    r = kv_do(n.kv, KV_OP_INCR, 0, 0, "v", NULL, 1);
    expect_result(&r, KV_CODE_NOT_AN_INTEGER, 0, false, "INCR of \"1\" and a NUL byte");
    kv_node_stop(&n);
}

/* ---- Sessions -------------------------------------------------------------------------------- */

/* The claim: a session's command retried with its seq is not run again: it gets the first run's
 * result (code and number) with is_duplicate, so a retried INCR adds once, a PUT retried after
 * another client's PUT does not overwrite it, a DELETE retried after the key came back does not
 * remove it; a GET's duplicate has its code and no value. */
static void
test_e_duplicate_returns_the_saved_result(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    uint64_t a = register_client(n.kv), b = register_client(n.kv);
    struct kv_result r = kv_do(n.kv, KV_OP_INCR, a, 1, "c", NULL, 10);
    expect_result(&r, KV_CODE_OK, 10, false, "INCR c by 10");
    r = kv_do(n.kv, KV_OP_INCR, a, 1, "c", NULL, 10);
    expect_result(&r, KV_CODE_OK, 10, true, "INCR c by 10, retried");
    expect_text(n.kv, "c", "10", "an INCR by 10 and its retry");
    kv_do(n.kv, KV_OP_PUT, a, 2, "x", "from a", 0);
    kv_do(n.kv, KV_OP_PUT, b, 1, "x", "from b", 0);
    r = kv_do(n.kv, KV_OP_PUT, a, 2, "x", "from a", 0);
    expect_result(&r, KV_CODE_OK, 0, true, "a's PUT x retried after b's");
    expect_text(n.kv, "x", "from b", "a's PUT x retried after b's");
    r = kv_do(n.kv, KV_OP_DELETE, a, 3, "x", NULL, 0);
    expect_result(&r, KV_CODE_OK, 1, false, "a's DELETE x");
    kv_do(n.kv, KV_OP_PUT, b, 2, "x", "back", 0);
    r = kv_do(n.kv, KV_OP_DELETE, a, 3, "x", NULL, 0);
    expect_result(&r, KV_CODE_OK, 1, true, "a's DELETE x retried after b put it back");
    expect_text(n.kv, "x", "back", "a's DELETE x retried after b put it back");
    r = kv_do(n.kv, KV_OP_GET, a, 4, "x", NULL, 0);
    expect_bytes(&r, "back", 4, "a's GET x");
    r = kv_do(n.kv, KV_OP_GET, a, 4, "x", NULL, 0);
    expect_result(&r, KV_CODE_OK, 0, true, "a's GET x retried");
    expect_bytes(&r, NULL, 0, "a's GET x retried (a GET's value is not kept)");
    r = kv_do(n.kv, KV_OP_GET, b, 3, "none", NULL, 0);
    r = kv_do(n.kv, KV_OP_GET, b, 3, "none", NULL, 0);
    expect_result(&r, KV_CODE_NOT_FOUND, 0, true, "b's GET of a missing key retried");
    r = kv_do(n.kv, KV_OP_INCR, a, 5, "x", NULL, 1);
    expect_result(&r, KV_CODE_NOT_AN_INTEGER, 0, false, "a's INCR of \"back\"");
    kv_do(n.kv, KV_OP_PUT, b, 4, "x", "5", 0);
    r = kv_do(n.kv, KV_OP_INCR, a, 5, "x", NULL, 1);
    expect_result(&r, KV_CODE_NOT_AN_INTEGER, 0, true, "a's INCR of \"back\" retried after b's 5");
    expect_text(n.kv, "x", "5", "a's INCR retried after b's PUT x 5");
    r = kv_do(n.kv, KV_OP_INCR, a, 6, "c", NULL, 1);
    r = kv_do(n.kv, KV_OP_INCR, a, 6, "c", NULL, 1);
    expect_result(&r, KV_CODE_OK, 11, true, "a's INCR c by 1 retried (the last result saved)");
    r = kv_do(n.kv, KV_OP_INCR, b, 4, "c", NULL, 100);
    expect_result(&r, KV_CODE_OK, 0, true, "b's PUT x 5 retried as an INCR (same seq)");
    expect_text(n.kv, "c", "11", "INCRs and their retries");
    kv_node_stop(&n);
}

/* The claim: a seq below the session's last is KV_CODE_STALE and runs nothing; a client id that
 * names no session (never a REGISTER's index) is KV_CODE_SESSION_EXPIRED and runs nothing;
 * client id 0 runs every time, without a session; seqs may skip; REGISTER's number is its index,
 * a new session each time. */
static void
test_e_stale_and_unknown_sessions(void **state)
{
    (void)state;
    struct kv_node n;
    kv_node_start(&n);
    kv_run_entry(n.kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP");
    uint64_t a = register_client(n.kv), b = register_client(n.kv);
    assert_int_equal(kv_session_count(n.kv), 2);
    struct kv_result r = kv_do(n.kv, KV_OP_INCR, a, 1, "c", NULL, 1);
    r = kv_do(n.kv, KV_OP_INCR, a, 3, "c", NULL, 1);
    expect_result(&r, KV_CODE_OK, 2, false, "INCR seq 3 after seq 1 (a seq may skip)");
    r = kv_do(n.kv, KV_OP_INCR, a, 2, "c", NULL, 1);
    expect_result(&r, KV_CODE_STALE, 0, false, "INCR seq 2 after seq 3");
    r = kv_do(n.kv, KV_OP_PUT, a, 1, "c", "overwritten", 0);
    expect_result(&r, KV_CODE_STALE, 0, false, "PUT seq 1 after seq 3");
    r = kv_do(n.kv, KV_OP_INCR, a, 3, "c", NULL, 1);
    expect_result(&r, KV_CODE_OK, 2, true, "INCR seq 3 again after stale ones");
    expect_text(n.kv, "c", "2", "stale commands");
    const uint64_t unknown[] = {1, b + 1, b + 100, UINT64_MAX};
    for (size_t i = 0; i < KH_ARRAY_LEN(unknown); i++) {
        r = kv_do(n.kv, KV_OP_PUT, unknown[i], 1, "c", "overwritten", 0);
        char what[80];
        snprintf(what, sizeof(what), "PUT of client %" PRIu64 " (no session)", unknown[i]);
        expect_result(&r, KV_CODE_SESSION_EXPIRED, 0, false, what);
    }
    expect_text(n.kv, "c", "2", "commands of clients with no session");
    for (int64_t i = 1; i <= 3; i++) {
        r = kv_do(n.kv, KV_OP_INCR, 0, 7, "z", NULL, 1);
        expect_result(&r, KV_CODE_OK, i, false, "INCR of client 0, seq 7 each time");
    }
    r = kv_do(n.kv, KV_OP_INCR, b, 1, "z", NULL, 1);
    expect_result(&r, KV_CODE_OK, 4, false, "the second session's first INCR");
    if (kv_session_count(n.kv) != 2) {
        fail_msg("%zu sessions after two REGISTERs; expected 2", kv_session_count(n.kv));
    }
    kv_node_stop(&n);
}

/* Sends every client in ids[0..count) a duplicate of its seq 2 (which runs nothing and is not a
 * use); fails unless exactly the client `gone` is KV_CODE_SESSION_EXPIRED. */
static void
expect_only_evicted(struct kv *kv, const uint64_t *ids, size_t count, uint64_t gone,
                    const char *when)
{
    for (size_t i = 0; i < count; i++) {
        struct kv_result r = kv_do(kv, KV_OP_PUT, ids[i], 2, "k", "again", 0);
        bool is_gone = r.code == KV_CODE_SESSION_EXPIRED;
        if (is_gone != (ids[i] == gone) || (!is_gone && !r.is_duplicate)) {
            fail_msg("%s: client %" PRIu64 " got %s%s; expected %s (the session evicted is "
                     "client %" PRIu64 ", whose last command ran longest ago)",
                     when, ids[i], kv_code_name(r.code), r.is_duplicate ? " (duplicate)" : "",
                     ids[i] == gone ? "KV_CODE_SESSION_EXPIRED" : "its saved result", gone);
        }
    }
}

/* The claim: with KV_SESSIONS_MAX sessions open, a REGISTER closes the one whose last command
 * that ran has the lowest index (REGISTER counts; a duplicate or a stale command does not), so
 * every node closes the same one: that client then gets KV_CODE_SESSION_EXPIRED, every other
 * keeps its saved result, and the count stays at KV_SESSIONS_MAX; thousands of evictions later,
 * the sessions found are exactly the newest. The order of use is drawn from the seed. */
static void
test_e_least_recent_session_is_evicted(void **state)
{
    (void)state;
    static uint64_t ids[KV_SESSIONS_MAX], order[KV_SESSIONS_MAX];
    struct kv_node n;
    kv_node_start(&n);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (size_t i = 0; i < KV_SESSIONS_MAX; i++) {
        /* Client ids as a cluster makes them: REGISTERs among other entries, at irregular gaps. */
        for (uint64_t noops = kh_rng_below(&rng, 4); noops > 0; noops--) {
            kv_run_entry(n.kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP");
        }
        ids[i] = register_client(n.kv);
    }
    uint64_t idle = ids[kh_rng_below(&rng, KV_SESSIONS_MAX)]; /* runs nothing after REGISTER */
    size_t used = 0;
    for (size_t i = 0; i < KV_SESSIONS_MAX; i++) {
        if (ids[i] != idle) {
            order[used++] = ids[i];
        }
    }
    for (size_t i = used - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)kh_rng_below(&rng, i + 1);
        uint64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < used; i++) {
        kv_do(n.kv, KV_OP_PUT, order[i], 2, "k", "v", 0); /* seq 2: a seq may skip */
    }
    /* The first to run is then sent a duplicate and a stale command: neither is a use. */
    kv_do(n.kv, KV_OP_PUT, order[0], 2, "k", "v", 0);
    kv_do(n.kv, KV_OP_PUT, order[0], 1, "k", "stale", 0);
    uint64_t newcomer = register_client(n.kv);
    if (kv_session_count(n.kv) != KV_SESSIONS_MAX) {
        fail_msg("%zu sessions after a REGISTER with KV_SESSIONS_MAX (%u) open; expected %u",
                 kv_session_count(n.kv), KV_SESSIONS_MAX, KV_SESSIONS_MAX);
    }
    expect_only_evicted(n.kv, ids, KV_SESSIONS_MAX, idle, "the first eviction");
    register_client(n.kv);
    expect_only_evicted(n.kv, order, used, order[0], "the second eviction");
    register_client(n.kv);
    expect_only_evicted(n.kv, order + 1, used - 1, order[1], "the third eviction");
    struct kv_result r = kv_do(n.kv, KV_OP_PUT, newcomer, 1, "k", "new", 0);
    expect_result(&r, KV_CODE_OK, 0, false, "the client whose REGISTER evicted the first");
    /* Half the sessions more: each evicts the oldest in turn, and every other is still found. */
    for (size_t i = 0; i < KV_SESSIONS_MAX / 2; i++) {
        kv_run_entry(n.kv, RAFT_ENTRY_NOOP, NULL, 0, "a NOOP");
        register_client(n.kv);
    }
    size_t gone = 2 + KV_SESSIONS_MAX / 2; /* order[0 .. gone) */
    for (size_t i = 2; i < used; i++) {
        r = kv_do(n.kv, KV_OP_PUT, order[i], 2, "k", "again", 0);
        if ((r.code == KV_CODE_SESSION_EXPIRED) != (i < gone)) {
            fail_msg("after %u more REGISTERs, client %" PRIu64 " (the %zu-th least recent) got "
                     "%s; expected %s",
                     KV_SESSIONS_MAX / 2, order[i], i + 1, kv_code_name(r.code),
                     i < gone ? "KV_CODE_SESSION_EXPIRED" : "its saved result");
        }
    }
    /* Eight times KV_SESSIONS_MAX evictions more (a table that leaks a position an eviction
     * fills up and then searches for ever): the sessions found are exactly the newest. */
    static uint64_t newest[KV_SESSIONS_MAX];
    for (size_t i = 0; i < 8 * KV_SESSIONS_MAX; i++) {
        newest[i % KV_SESSIONS_MAX] = register_client(n.kv);
        kv_do(n.kv, KV_OP_PUT, newest[i % KV_SESSIONS_MAX], 1, "k", "v", 0);
    }
    for (size_t i = 0; i < KV_SESSIONS_MAX; i++) {
        r = kv_do(n.kv, KV_OP_PUT, newest[i], 1, "k", "v", 0);
        expect_result(&r, KV_CODE_OK, 0, true,
                      "one of the newest sessions after 8 x KV_SESSIONS_MAX evictions");
    }
    r = kv_do(n.kv, KV_OP_PUT, newcomer, 2, "k", "v", 0);
    expect_result(&r, KV_CODE_SESSION_EXPIRED, 0, false,
                  "an old session after 8 x KV_SESSIONS_MAX evictions");
    kv_node_stop(&n);
}

/* ---- A seeded run against a model
 * ---------------------------------------------------------------- */

#define MODEL_KEYS 8u
#define MODEL_CLIENTS 4u
#define MODEL_SESSIONS_MAX 256u
#define MODEL_STEPS 600u
#define MODEL_SNAPSHOT_STEP 300u
#define MODEL_VALUE_BYTES_MAX 24u

/* Values a PUT draws from: the model knows which are integers without parsing them. */
static const struct {
    const char *text;
    bool is_integer;
    int64_t number;
} model_values[] = {
    {"0", true, 0},
    {"17", true, 17},
    {"-5", true, -5},
    {"9223372036854775807", true, INT64_MAX},
    {"-9223372036854775808", true, INT64_MIN},
    {"9223372036854775800", true, 9223372036854775800},
    {"abc", false, 0},
    {"+1", false, 0},
    {"-0", false, 0},
    {"007", false, 0},
    {"", false, 0},
    {" 1", false, 0},
};
static const int64_t model_deltas[] = {1, -1, 0, 100, -100, INT64_MAX, INT64_MIN, 9};

struct model_value {
    bool is_present;
    char bytes[MODEL_VALUE_BYTES_MAX];
    size_t size;
    bool is_integer;
    int64_t number;
};

struct model_session {
    uint64_t id, last_seq;
    uint8_t code;
    int64_t number;
};

struct kv_model {
    struct model_value keys[MODEL_KEYS];
    struct model_session sessions[MODEL_SESSIONS_MAX];
    size_t session_count;
};

/* A client of the run: its session (0: none yet), the seq of its last command in it, and that
 * command, to retry (its key and value in last_key and last_value). */
struct model_client {
    uint64_t id, seq;
    bool has_last;
    struct kv_command last;
    char key[4], last_key[4];
    char value[MODEL_VALUE_BYTES_MAX], last_value[MODEL_VALUE_BYTES_MAX];
};

static struct model_session *
model_session(struct kv_model *m, uint64_t id)
{
    for (size_t i = 0; i < m->session_count; i++) {
        if (m->sessions[i].id == id) {
            return &m->sessions[i];
        }
    }
    return NULL;
}

static void
model_set(struct model_value *v, const char *text, size_t size)
{
    assert_true(size <= MODEL_VALUE_BYTES_MAX);
    v->is_present = true;
    memcpy(v->bytes, text, size);
    v->size = size;
    v->is_integer = false;
    for (size_t i = 0; i < KH_ARRAY_LEN(model_values); i++) {
        if (strlen(model_values[i].text) == size && memcmp(model_values[i].text, text, size) == 0) {
            v->is_integer = model_values[i].is_integer;
            v->number = model_values[i].number;
        }
    }
}

/* What c (decoded) at index does to m, and the result it gives (a GET's value borrowed from m). */
static struct kv_result
model_apply(struct kv_model *m, const struct kv_command *c, uint64_t index)
{
    struct kv_result r = {0};
    if (c->op == KV_OP_REGISTER) {
        assert_true(m->session_count < MODEL_SESSIONS_MAX);
        m->sessions[m->session_count++] =
            (struct model_session){.id = index, .number = (int64_t)index};
        r.number = (int64_t)index;
        return r;
    }
    struct model_session *s = NULL;
    if (c->client_id != 0) {
        s = model_session(m, c->client_id);
        if (s == NULL || c->seq <= s->last_seq) {
            r.code = s == NULL              ? KV_CODE_SESSION_EXPIRED
                     : c->seq < s->last_seq ? KV_CODE_STALE
                                            : s->code;
            r.number = s != NULL && c->seq == s->last_seq ? s->number : 0;
            r.is_duplicate = s != NULL && c->seq == s->last_seq;
            return r;
        }
    }
    struct model_value *v = &m->keys[c->key[1] - '0'];
    if (c->op == KV_OP_PUT) {
        model_set(v, (const char *)c->value, c->value_size_bytes);
    } else if (c->op == KV_OP_GET || c->op == KV_OP_DELETE) {
        r.code = v->is_present ? KV_CODE_OK : KV_CODE_NOT_FOUND;
        r.number = c->op == KV_OP_DELETE && v->is_present;
        r.value = c->op == KV_OP_GET && v->is_present ? (const uint8_t *)v->bytes : NULL;
        r.value_size_bytes = r.value != NULL ? (uint32_t)v->size : 0;
        v->is_present = v->is_present && c->op == KV_OP_GET;
    } else {
        int64_t sum, was = v->is_present ? v->number : 0;
        if (v->is_present && !v->is_integer) {
            r.code = KV_CODE_NOT_AN_INTEGER;
        } else if (__builtin_add_overflow(was, c->delta, &sum)) {
            r.code = KV_CODE_OVERFLOW;
        } else {
            char text[KV_INTEGER_TEXT_MAX + 1];
            int size = snprintf(text, sizeof(text), "%" PRId64, sum);
            model_set(v, text, (size_t)size);
            v->is_integer = true;
            v->number = sum;
            r.number = sum;
        }
    }
    if (s != NULL) {
        *s = (struct model_session){s->id, c->seq, r.code, r.number};
    }
    return r;
}

/* Fails unless kv holds what m does: every key, the counts. */
static void
kv_model_check(struct kv *kv, const struct kv_model *m, uint32_t step)
{
    char when[64];
    snprintf(when, sizeof(when), "step %u", step);
    size_t present = 0;
    for (unsigned k = 0; k < MODEL_KEYS; k++) {
        char key[4] = {'k', (char)('0' + k), 0, 0};
        const struct model_value *v = &m->keys[k];
        expect_key(kv, key, 2, v->is_present ? v->bytes : NULL, v->size, when);
        present += v->is_present;
    }
    if (kv_key_count(kv) != present || kv_session_count(kv) != m->session_count) {
        fail_msg("%s: %zu keys, %zu sessions; the model: %zu and %zu", when, kv_key_count(kv),
                 kv_session_count(kv), present, m->session_count);
    }
}

/* The next command of client cl: a REGISTER, a new command, a retry of the last, a stale one, one
 * with client id 0 or one of a client id no REGISTER has had. */
static struct kv_command
model_next(struct kh_rng *rng, struct model_client *cl, uint64_t applied)
{
    uint64_t roll = kh_rng_below(rng, 20);
    if (cl->id == 0 || roll == 0) {
        cl->seq = 0;
        cl->has_last = false;
        return kv_cmd(KV_OP_REGISTER, 0, 0, NULL, NULL, 0);
    }
    if (roll < 4 && cl->has_last) {
        return cl->last;
    }
    uint8_t op = (uint8_t)(KV_OP_PUT + kh_rng_below(rng, 4));
    snprintf(cl->key, sizeof(cl->key), "k%u", (unsigned)kh_rng_below(rng, MODEL_KEYS));
    snprintf(cl->value, sizeof(cl->value), "%s",
             model_values[kh_rng_below(rng, KH_ARRAY_LEN(model_values))].text);
    int64_t delta = model_deltas[kh_rng_below(rng, KH_ARRAY_LEN(model_deltas))];
    struct kv_command c = kv_cmd(op, cl->id, cl->seq + 1, cl->key,
                                 op == KV_OP_PUT ? cl->value : NULL, op == KV_OP_INCR ? delta : 0);
    if (roll == 4 && cl->seq >= 2) {
        c.seq = 1 + kh_rng_below(rng, cl->seq - 1); /* below the last */
    } else if (roll == 5) {
        c.client_id = 0;
    } else if (roll == 6) {
        c.client_id = applied + 2; /* the next index is applied + 1: no REGISTER had this one */
    } else {
        cl->seq++;
        memcpy(cl->last_key, cl->key, sizeof(cl->key));
        memcpy(cl->last_value, cl->value, sizeof(cl->value));
        cl->last = c;
        cl->last.key = (const uint8_t *)cl->last_key;
        cl->last.value = c.value != NULL ? (const uint8_t *)cl->last_value : NULL;
        cl->has_last = true;
    }
    return c;
}

/* One step: an entry (a client's command, a NOOP, a malformed one) at the next index, or one out
 * of order; the result against the model's. */
static void
model_step(struct kh_rng *rng, struct kv *kv, struct kv_model *m, struct model_client *clients,
           uint32_t step)
{
    uint64_t index = kv_applied_index(kv) + 1, roll = kh_rng_below(rng, 20);
    static uint8_t buf[256];
    struct kv_result r, want = {0};
    char what[200];
    if (roll == 0) {
        snprintf(what, sizeof(what), "step %u: a NOOP", step);
        r = kv_run_entry(kv, RAFT_ENTRY_NOOP, NULL, 0, what);
    } else if (roll == 1) {
        size_t size = (size_t)kh_rng_below(rng, KV_COMMAND_HEADER_BYTES);
        kh_rng_fill(rng, buf, size);
        snprintf(what, sizeof(what), "step %u: %zu bytes of noise", step, size);
        r = kv_run_entry(kv, RAFT_ENTRY_COMMAND, buf, size, what);
    } else if (roll == 2) {
        const uint64_t wrong[] = {index - 1, index + 1, UINT64_MAX};
        uint64_t at = wrong[kh_rng_below(rng, KH_ARRAY_LEN(wrong))];
        kv_status st = kv_apply(kv, at, RAFT_ENTRY_NOOP, NULL, 0, &r);
        if (st != KV_OUT_OF_ORDER || kv_applied_index(kv) != index - 1) {
            fail_msg("step %u: a NOOP at index %" PRIu64 " with %" PRIu64 " applied returned %s, "
                     "the applied index now %" PRIu64 "; expected KV_OUT_OF_ORDER, unmoved",
                     step, at, index - 1, kv_status_name(st), kv_applied_index(kv));
        }
        return;
    } else {
        struct model_client *cl = &clients[kh_rng_below(rng, MODEL_CLIENTS)];
        struct kv_command c = model_next(rng, cl, index - 1);
        snprintf(what, sizeof(what), "step %u: %s", step, kv_cmd_text(&c));
        r = kv_run(kv, &c);
        want = model_apply(m, &c, index);
        if (c.op == KV_OP_REGISTER) {
            cl->id = index;
        }
    }
    expect_result(&r, want.code, want.number, want.is_duplicate, what);
    expect_bytes(&r, want.value, want.value_size_bytes, what);
}

/* The claim: a seeded run of 600 steps from four clients (every op on eight keys, values that
 * are integers or not, deltas that overflow, retries, stale commands, client id 0, clients of no
 * session, REGISTERs again, NOOPs, noise, indexes out of order) gives the results and the state
 * a simple model does, step by step; a kv restored from a snapshot midway carries on the same. */
static void
test_e_random_commands_match_a_model(void **state)
{
    (void)state;
    static struct kv_model m;
    memset(&m, 0, sizeof(m));
    struct model_client clients[MODEL_CLIENTS];
    memset(clients, 0, sizeof(clients));
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    struct kv_node nodes[2];
    kv_node_start(&nodes[0]);
    struct kv_node *n = &nodes[0];
    for (uint32_t step = 0; step < MODEL_STEPS; step++) {
        model_step(&rng, n->kv, &m, clients, step);
        kv_model_check(n->kv, &m, step);
        if (step == MODEL_SNAPSHOT_STEP) {
            size_t size;
            uint8_t *snap = snapshot_of(n->kv, &size, "midway");
            kv_node_start(&nodes[1]);
            assert_kv_status(kv_restore(nodes[1].kv, snap, size), KV_OK);
            assert_int_equal(kv_applied_index(nodes[1].kv), kv_applied_index(n->kv));
            free(snap);
            kv_node_stop(&nodes[0]);
            n = &nodes[1];
            kv_model_check(n->kv, &m, step);
        }
    }
    kv_node_stop(n);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_malformed_commands_change_nothing),
        cmocka_unit_test(test_e_index_must_be_the_next),
        cmocka_unit_test(test_e_put_get_delete),
        cmocka_unit_test(test_e_incr_follows_redis),
        cmocka_unit_test(test_e_duplicate_returns_the_saved_result),
        cmocka_unit_test(test_e_stale_and_unknown_sessions),
        cmocka_unit_test(test_e_least_recent_session_is_evicted),
        cmocka_unit_test(test_e_random_commands_match_a_model),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
