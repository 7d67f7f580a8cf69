/* test_b_store.c -- part B: the Redis commands (store.h), reply byte for byte against Redis 7.
 * Requests are built here as arrays of struct resp_arg, not parsed, so these tests do not depend
 * on your parser; replies are written with your part A reply writer. Read expect_words first:
 * every check goes through it, and a failure shows the command, the expected and the actual
 * reply. Time is a parameter: T0 is an arbitrary fixed "now" in Unix milliseconds. */
#include "kh_test.h"
#include "kh_oom.h"
#include "replies_table.h"
#include "status_names.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#define T0 UINT64_C(1700000000000)
#define ARGS_MAX 64u
#define SENT_SIZE_BYTES_MAX 1024u

/* Renders argv as one line ("SET k v") for failure messages. */
static size_t
render_sent(size_t argc, const struct resp_arg *argv, char *sent)
{
    size_t at = 0;
    for (size_t i = 0; i < argc && at < SENT_SIZE_BYTES_MAX - 2; i++) {
        size_t size = argv[i].size_bytes;
        if (size > SENT_SIZE_BYTES_MAX - 2 - at) {
            size = SENT_SIZE_BYTES_MAX - 2 - at;
        }
        memcpy(sent + at, argv[i].bytes, size);
        at += size;
        if (i + 1 < argc) {
            sent[at++] = ' ';
        }
    }
    sent[at] = '\0'; /* not counted: the failure shows the words, not a NUL after them */
    return at;
}

/* Runs one request and returns its status; the reply is left in out (caller-owned). */
static cmd_status
run(struct store *s, uint64_t now_ms, size_t argc, const struct resp_arg *argv,
    struct resp_buf *out)
{
    struct resp_request request = {argc, (struct resp_arg *)argv};
    return cmd_execute(s, &request, now_ms, out);
}

/* Runs argv and fails unless the status is CMD_OK and the reply is exactly expected. */
static void
expect_args(struct store *s, uint64_t now_ms, const void *expected, size_t expected_size,
            size_t argc, const struct resp_arg *argv)
{
    struct resp_buf out;
    resp_buf_init(&out);
    cmd_status status = run(s, now_ms, argc, argv, &out);
    char sent[SENT_SIZE_BYTES_MAX];
    size_t sent_size = render_sent(argc, argv, sent);
    if (status != CMD_OK) {
        fail_msg("%.*s: cmd_execute returned %s (%s), expected CMD_OK", (int)sent_size, sent,
                 cmd_status_name(status), cmd_strerror(status));
    }
    kh_assert_bytes_equal(sent, sent_size, expected, expected_size, out.data ? out.data : "",
                          out.size_bytes);
    resp_buf_free(&out);
}

/* expect_args with C-string arguments, ended by NULL (the EXPECT macro adds it). */
static void
expect_words(struct store *s, uint64_t now_ms, const char *expected, const char *const *words)
{
    struct resp_arg argv[ARGS_MAX];
    size_t argc = 0;
    for (; words[argc] != NULL; argc++) {
        assert_true(argc < ARGS_MAX);
        argv[argc].bytes = words[argc];
        argv[argc].size_bytes = strlen(words[argc]);
    }
    expect_args(s, now_ms, expected, strlen(expected), argc, argv);
}

#define EXPECT(s, now_ms, expected, ...)                                                           \
    expect_words((s), (now_ms), (expected), (const char *const[]){__VA_ARGS__, NULL})

static struct store *
store_new(void)
{
    struct store *s = store_create(kh_test_seed());
    assert_non_null(s);
    return s;
}

/* The claim: PING, ECHO, unknown commands and wrong argument counts get Redis 7's exact replies,
 * and command names are case-insensitive. */
static void
test_b_ping_echo_and_command_errors(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "+PONG\r\n", "PING");
    EXPECT(s, T0, "+PONG\r\n", "ping");
    EXPECT(s, T0, "$5\r\nhello\r\n", "PiNg", "hello");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'ping' command\r\n", "PING", "a", "b");
    EXPECT(s, T0, "$2\r\nhi\r\n", "ECHO", "hi");
    EXPECT(s, T0, "$0\r\n\r\n", "echo", "");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'echo' command\r\n", "ECHO");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'get' command\r\n", "GET");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'get' command\r\n", "gEt", "a", "b");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'set' command\r\n", "SET", "k");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'del' command\r\n", "DEL");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'dbsize' command\r\n", "DBSIZE", "x");
    EXPECT(s, T0, "-ERR unknown command 'foo', with args beginning with: \r\n", "foo");
    EXPECT(s, T0, "-ERR unknown command 'FOO', with args beginning with: 'a' 'b c' \r\n", "FOO",
           "a", "b c");
    /* A '\r' or '\n' a client sent becomes a space, or the reply would break the protocol. */
    EXPECT(s, T0, "-ERR unknown command 'x y', with args beginning with: 'a b' \r\n", "x\ry",
           "a\nb");
    /* Redis quotes at most 128 bytes of arguments: a 200-byte argument is cut at 128. */
    char long_arg[201];
    memset(long_arg, 'z', 200);
    long_arg[200] = '\0';
    char expected[400];
    snprintf(expected, sizeof(expected),
             "-ERR unknown command 'nope', with args beginning with: '%.128s' \r\n", long_arg);
    EXPECT(s, T0, expected, "nope", long_arg, "next");
    store_destroy(s);
}

/* The claim: SET, GET, DEL and EXISTS store binary-safe values, overwrite, and count as Redis
 * does (DEL counts keys removed; EXISTS counts a key once per time it is named). */
static void
test_b_set_get_del_exists(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "$-1\r\n", "GET", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v1");
    EXPECT(s, T0, "$2\r\nv1\r\n", "GET", "k");
    EXPECT(s, T0, "+OK\r\n", "set", "k", "a much longer value than before");
    EXPECT(s, T0, "$31\r\na much longer value than before\r\n", "GET", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "");
    EXPECT(s, T0, "$0\r\n\r\n", "GET", "k");

    /* Binary keys and values: "b\0x" and "b\0y" are different keys. */
    const struct resp_arg set1[] = {{"SET", 3}, {"b\0x", 3}, {"1\r\n\0", 4}};
    const struct resp_arg set2[] = {{"SET", 3}, {"b\0y", 3}, {"2", 1}};
    const struct resp_arg get1[] = {{"GET", 3}, {"b\0x", 3}};
    const struct resp_arg get_b[] = {{"GET", 3}, {"b", 1}};
    expect_args(s, T0, "+OK\r\n", 5, 3, set1);
    expect_args(s, T0, "+OK\r\n", 5, 3, set2);
    expect_args(s, T0, "$4\r\n1\r\n\0\r\n", 10, 2, get1);
    expect_args(s, T0, "$-1\r\n", 5, 2, get_b);

    EXPECT(s, T0, "+OK\r\n", "SET", "other", "x");
    EXPECT(s, T0, ":3\r\n", "EXISTS", "k", "k", "other", "missing");
    EXPECT(s, T0, ":0\r\n", "EXISTS", "missing");
    EXPECT(s, T0, ":2\r\n", "DEL", "k", "missing", "other", "k");
    EXPECT(s, T0, ":0\r\n", "DEL", "k");
    EXPECT(s, T0, "$-1\r\n", "GET", "k");
    EXPECT(s, T0, ":0\r\n", "EXISTS", "k", "other");
    EXPECT(s, T0, ":2\r\n", "DBSIZE");
    store_destroy(s);
}

/* The claim: SET's NX, XX, GET, EX, PX, EXAT, PXAT and KEEPTTL work, alone and together, and
 * bad combinations and times get Redis 7's errors without touching the key. */
static void
test_b_set_options(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "$-1\r\n", "SET", "k", "v", "XX");
    EXPECT(s, T0, "$-1\r\n", "GET", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "nx");
    EXPECT(s, T0, "$-1\r\n", "SET", "k", "w", "NX");
    EXPECT(s, T0, "$1\r\nv\r\n", "GET", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "w", "XX");
    EXPECT(s, T0, "$1\r\nw\r\n", "SET", "k", "x", "GET");
    EXPECT(s, T0, "$-1\r\n", "SET", "new", "1", "GET");
    EXPECT(s, T0, "$1\r\nx\r\n", "SET", "k", "y", "NX", "GET"); /* NX fails: no set, old value */
    EXPECT(s, T0, "$1\r\nx\r\n", "GET", "k");

    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "EX", "10");
    EXPECT(s, T0, ":10000\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "PX", "1500");
    EXPECT(s, T0, ":1500\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v2", "KEEPTTL");
    EXPECT(s, T0, ":1500\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v3"); /* a plain SET drops the TTL */
    EXPECT(s, T0, ":-1\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "PXAT", "1700000001234");
    EXPECT(s, T0, ":1234\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "EXAT", "1700000002");
    EXPECT(s, T0, ":2000\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "EX", "5", "EX", "7"); /* the last one wins */
    EXPECT(s, T0, ":7\r\n", "TTL", "k");

    static const char *const syntax[][5] = {
        {"NX", "XX"},
        {"XX", "NX"},
        {"EX"},
        {"EX", "10", "PX", "5"},
        {"KEEPTTL", "EX", "1"},
        {"PX", "1", "KEEPTTL"},
        {"BOGUS"},
        {"GET", "GET", "NXX"},
        {"EXAT", "9", "EX", "9"},
    };
    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
        const char *words[8] = {"SET", "k", "bad"};
        size_t n = 3;
        for (size_t j = 0; j < 5 && syntax[i][j] != NULL; j++) {
            words[n++] = syntax[i][j];
        }
        words[n] = NULL;
        expect_words(s, T0, "-ERR syntax error\r\n", words);
    }
    EXPECT(s, T0, "-ERR invalid expire time in 'set' command\r\n", "SET", "k", "bad", "EX", "0");
    EXPECT(s, T0, "-ERR invalid expire time in 'set' command\r\n", "SET", "k", "bad", "PX", "-5");
    EXPECT(s, T0, "-ERR invalid expire time in 'set' command\r\n", "SET", "k", "bad", "EX",
           "9223372036854775807");
    EXPECT(s, T0, "-ERR invalid expire time in 'set' command\r\n", "SET", "k", "bad", "PX",
           "9223372036854775000");
    EXPECT(s, T0, "-ERR value is not an integer or out of range\r\n", "SET", "k", "bad", "EX",
           "ten");
    EXPECT(s, T0, "-ERR value is not an integer or out of range\r\n", "SET", "k", "bad", "PX",
           "+5");
    EXPECT(s, T0, "$1\r\nv\r\n", "GET", "k"); /* no error above touched it */
    EXPECT(s, T0, ":7\r\n", "TTL", "k");
    store_destroy(s);
}

/* The claim: INCR, DECR, INCRBY and DECRBY count in int64 with Redis's strict number syntax,
 * refuse to overflow, keep the TTL, and leave non-integers alone. */
static void
test_b_incr_decr_and_overflow(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, ":1\r\n", "INCR", "n");
    EXPECT(s, T0, ":2\r\n", "incr", "n");
    EXPECT(s, T0, ":1\r\n", "DECR", "n");
    EXPECT(s, T0, ":-9\r\n", "DECRBY", "n", "10");
    EXPECT(s, T0, ":91\r\n", "INCRBY", "n", "100");
    EXPECT(s, T0, "$2\r\n91\r\n", "GET", "n");
    EXPECT(s, T0, ":-1\r\n", "DECR", "fresh");

    static const char *const not_integers[] = {
        "abc", "", " 1", "1 ", "+1", "01", "-0", "1.5", "9223372036854775808", "--1", "0x10"};
    for (size_t i = 0; i < sizeof(not_integers) / sizeof(not_integers[0]); i++) {
        EXPECT(s, T0, "+OK\r\n", "SET", "s", not_integers[i]);
        EXPECT(s, T0, "-ERR value is not an integer or out of range\r\n", "INCR", "s");
        EXPECT(s, T0, "-ERR value is not an integer or out of range\r\n", "INCRBY", "n",
               not_integers[i]);
    }
    EXPECT(s, T0, "$4\r\n0x10\r\n", "GET", "s");
    EXPECT(s, T0, "$2\r\n91\r\n", "GET", "n");

    EXPECT(s, T0, "+OK\r\n", "SET", "max", "9223372036854775806");
    EXPECT(s, T0, ":9223372036854775807\r\n", "INCR", "max");
    EXPECT(s, T0, "-ERR increment or decrement would overflow\r\n", "INCR", "max");
    EXPECT(s, T0, "-ERR increment or decrement would overflow\r\n", "INCRBY", "max", "1");
    EXPECT(s, T0, "$19\r\n9223372036854775807\r\n", "GET", "max");
    EXPECT(s, T0, "+OK\r\n", "SET", "min", "-9223372036854775807");
    EXPECT(s, T0, ":-9223372036854775808\r\n", "DECR", "min");
    EXPECT(s, T0, "-ERR increment or decrement would overflow\r\n", "DECR", "min");
    EXPECT(s, T0, "-ERR increment or decrement would overflow\r\n", "INCRBY", "min",
           "-9223372036854775808");
    EXPECT(s, T0, ":-1\r\n", "INCRBY", "min", "9223372036854775807");
    EXPECT(s, T0, "-ERR decrement would overflow\r\n", "DECRBY", "n", "-9223372036854775808");

    EXPECT(s, T0, "+OK\r\n", "SET", "t", "5", "EX", "100");
    EXPECT(s, T0, ":6\r\n", "INCR", "t");
    EXPECT(s, T0, ":100\r\n", "TTL", "t"); /* INCR keeps the TTL */
    EXPECT(s, T0, "-ERR wrong number of arguments for 'incrby' command\r\n", "INCRBY", "n");
    store_destroy(s);
}

/* The claim: MSET sets every pair (and wants pairs), MGET answers each key in order with a value
 * or a null. */
static void
test_b_mset_mget(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "+OK\r\n", "MSET", "a", "1", "b", "22", "a", "333");
    EXPECT(s, T0, "*4\r\n$3\r\n333\r\n$2\r\n22\r\n$-1\r\n$3\r\n333\r\n", "MGET", "a", "b", "c",
           "a");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'mset' command\r\n", "MSET", "a", "1", "b");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'mset' command\r\n", "MSET", "a");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'mget' command\r\n", "MGET");
    EXPECT(s, T0, "+OK\r\n", "SET", "t", "v", "PX", "10");
    EXPECT(s, T0, "+OK\r\n", "MSET", "t", "w");
    EXPECT(s, T0, ":-1\r\n", "PTTL", "t"); /* MSET is a plain SET: the TTL goes */
    EXPECT(s, T0, ":3\r\n", "DBSIZE");
    store_destroy(s);
}

/* The claim: a key lives up to and including its expire time and is gone one millisecond later,
 * on every command (lazy expiry), with TTL and PTTL, EXPIRE, PEXPIRE and PERSIST as in Redis. */
static void
test_b_expiry_is_lazy_and_exact(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v", "PX", "100");
    EXPECT(s, T0 + 100, "$1\r\nv\r\n", "GET", "k"); /* expires after T0 + 100, not at it */
    EXPECT(s, T0 + 100, ":0\r\n", "PTTL", "k");
    EXPECT(s, T0 + 101, ":1\r\n", "DBSIZE"); /* expired, not yet deleted: still counted */
    EXPECT(s, T0 + 101, "$-1\r\n", "GET", "k");
    EXPECT(s, T0 + 101, ":0\r\n", "DBSIZE"); /* the GET deleted it */

    EXPECT(s, T0, ":-2\r\n", "TTL", "k");
    EXPECT(s, T0, ":-2\r\n", "PTTL", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v");
    EXPECT(s, T0, ":-1\r\n", "TTL", "k");
    EXPECT(s, T0, ":1\r\n", "EXPIRE", "k", "10");
    EXPECT(s, T0, ":10\r\n", "TTL", "k");
    EXPECT(s, T0 + 4499, ":6\r\n", "TTL", "k"); /* 5501 ms rounds to 6 s */
    EXPECT(s, T0 + 4500, ":6\r\n", "TTL", "k"); /* 5500 ms rounds half up */
    EXPECT(s, T0 + 4501, ":5\r\n", "TTL", "k");
    EXPECT(s, T0, ":1\r\n", "PEXPIRE", "k", "2500");
    EXPECT(s, T0, ":2500\r\n", "PTTL", "k");
    EXPECT(s, T0, ":1\r\n", "PERSIST", "k");
    EXPECT(s, T0, ":0\r\n", "PERSIST", "k");
    EXPECT(s, T0, ":-1\r\n", "PTTL", "k");
    EXPECT(s, T0, ":0\r\n", "EXPIRE", "missing", "10");
    EXPECT(s, T0, ":0\r\n", "PERSIST", "missing");

    /* Each command sees an expired key as missing, and deletes it. */
    static const char *const commands[][4] = {
        {":0\r\n", "EXISTS"},      {":0\r\n", "DEL"},         {":1\r\n", "INCR"},
        {":-2\r\n", "TTL"},        {"+OK\r\n", "SET", "NX"},  {":0\r\n", "PERSIST"},
        {":0\r\n", "EXPIRE", "5"}, {"*1\r\n$-1\r\n", "MGET"},
    };
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        size_t size_before = store_size(s);
        EXPECT(s, T0, "+OK\r\n", "SET", "e", "7", "PX", "10");
        const char *words[6] = {commands[i][1], "e"};
        size_t n = 2;
        if (strcmp(commands[i][1], "SET") == 0) {
            words[n++] = "fresh";
        }
        for (size_t j = 2; j < 4 && commands[i][j] != NULL; j++) {
            words[n++] = commands[i][j];
        }
        words[n] = NULL;
        expect_words(s, T0 + 11, commands[i][0], words);
        bool is_recreated = strcmp(words[0], "INCR") == 0 || strcmp(words[0], "SET") == 0;
        if (store_size(s) != size_before + is_recreated) {
            fail_msg("%s of an expired key left %zu keys, not %zu: an expired key must be "
                     "deleted when a command finds it",
                     words[0], store_size(s), size_before + is_recreated);
        }
        EXPECT(s, T0 + 11, is_recreated ? ":1\r\n" : ":0\r\n", "DEL", "e");
    }

    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v");
    EXPECT(s, T0, ":1\r\n", "EXPIRE", "k", "-1"); /* a time in the past deletes */
    EXPECT(s, T0, ":0\r\n", "EXISTS", "k");
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v");
    EXPECT(s, T0, ":1\r\n", "PEXPIRE", "k", "0");
    EXPECT(s, T0, ":0\r\n", "EXISTS", "k");
    EXPECT(s, T0, ":0\r\n", "DBSIZE");
    store_destroy(s);
}

/* The claim: EXPIRE's NX, XX, GT and LT options and its errors are Redis 7's. */
static void
test_b_expire_options_and_errors(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "+OK\r\n", "SET", "k", "v");
    EXPECT(s, T0, ":0\r\n", "EXPIRE", "k", "10", "XX");
    EXPECT(s, T0, ":0\r\n", "EXPIRE", "k", "10", "GT"); /* no TTL is an infinite one */
    EXPECT(s, T0, ":1\r\n", "EXPIRE", "k", "10", "LT");
    EXPECT(s, T0, ":0\r\n", "EXPIRE", "k", "20", "NX");
    EXPECT(s, T0, ":1\r\n", "EXPIRE", "k", "20", "gt");
    EXPECT(s, T0, ":0\r\n", "EXPIRE", "k", "30", "LT");
    EXPECT(s, T0, ":1\r\n", "EXPIRE", "k", "5", "XX", "LT");
    EXPECT(s, T0, ":5\r\n", "TTL", "k");
    EXPECT(s, T0, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
           "EXPIRE", "k", "5", "NX", "XX");
    EXPECT(s, T0, "-ERR GT and LT options at the same time are not compatible\r\n", "PEXPIRE", "k",
           "5", "GT", "LT");
    EXPECT(s, T0, "-ERR Unsupported option FOO\r\n", "EXPIRE", "k", "5", "FOO");
    EXPECT(s, T0, "-ERR value is not an integer or out of range\r\n", "EXPIRE", "k", "soon");
    EXPECT(s, T0, "-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k",
           "9223372036854775");
    EXPECT(s, T0, "-ERR invalid expire time in 'pexpire' command\r\n", "PEXPIRE", "k",
           "9223372036854775000");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'expire' command\r\n", "EXPIRE", "k");
    EXPECT(s, T0, "-ERR wrong number of arguments for 'ttl' command\r\n", "TTL");
    EXPECT(s, T0, ":5\r\n", "TTL", "k");
    store_destroy(s);
}

/* The claim: store_expire_cycle deletes expired keys it samples and nothing else, repeats while
 * many samples are expired, and in enough cycles finds every expired key. */
static void
test_b_active_expiry_deletes_only_expired_keys(void **state)
{
    (void)state;
    struct store *s = store_new();
    enum { KEYS = 300 };
    char key[32];
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        if (i % 3 == 0) {
            EXPECT(s, T0, "+OK\r\n", "SET", key, "v", "PX", "50"); /* expires */
        } else if (i % 3 == 1) {
            EXPECT(s, T0, "+OK\r\n", "SET", key, "v", "PX", "100000"); /* lives */
        } else {
            EXPECT(s, T0, "+OK\r\n", "SET", key, "v"); /* no TTL */
        }
    }
    assert_int_equal(store_size(s), KEYS);
    assert_int_equal(store_expire_cycle(s, T0 + 50, 20, 16), 0); /* nothing expired yet */
    assert_int_equal(store_size(s), KEYS);
    assert_int_equal(store_expire_cycle(s, T0 + 51, 0, 16), 0); /* a sample of 0 does nothing */

    /* Half the keys with a TTL are expired: the first cycle goes on past one round. */
    size_t first = store_expire_cycle(s, T0 + 51, 20, 16);
    assert_true(first > 0);
    assert_true(first <= 20 * 16);
    assert_int_equal(store_size(s), KEYS - first);
    size_t deleted = first;
    for (int cycle = 0; cycle < 2000 && deleted < KEYS / 3; cycle++) {
        deleted += store_expire_cycle(s, T0 + 51, 20, 16);
        assert_int_equal(store_size(s), KEYS - deleted);
    }
    assert_int_equal(deleted, KEYS / 3);
    assert_int_equal(store_expire_cycle(s, T0 + 51, 20, 16), 0);
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        EXPECT(s, T0 + 51, i % 3 == 0 ? ":0\r\n" : ":1\r\n", "EXISTS", key);
    }
    /* One round only, however many are expired. */
    EXPECT(s, T0, "+OK\r\n", "FLUSHALL");
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        EXPECT(s, T0, "+OK\r\n", "SET", key, "v", "PX", "1");
    }
    size_t one_round = store_expire_cycle(s, T0 + 2, 10, 1);
    assert_true(one_round >= 1 && one_round <= 10);
    assert_int_equal(store_size(s), 100 - one_round);
    store_destroy(s);
}

/* The claim: FLUSHALL empties the store, DBSIZE counts keys, and the store is usable after. */
static void
test_b_flushall_and_dbsize(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, ":0\r\n", "DBSIZE");
    EXPECT(s, T0, "+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3");
    EXPECT(s, T0, "+OK\r\n", "SET", "d", "4", "EX", "10");
    EXPECT(s, T0, ":4\r\n", "dbsize");
    assert_int_equal(store_size(s), 4);
    EXPECT(s, T0, "-ERR syntax error\r\n", "FLUSHALL", "NOW");
    EXPECT(s, T0, ":4\r\n", "DBSIZE");
    EXPECT(s, T0, "+OK\r\n", "FLUSHALL");
    EXPECT(s, T0, ":0\r\n", "DBSIZE");
    EXPECT(s, T0, "$-1\r\n", "GET", "a");
    EXPECT(s, T0, ":-2\r\n", "TTL", "d");
    assert_int_equal(store_expire_cycle(s, T0 + 100000, 20, 16), 0);
    EXPECT(s, T0, "+OK\r\n", "SET", "d", "5");
    EXPECT(s, T0, "+OK\r\n", "FLUSHALL", "async");
    EXPECT(s, T0, "+OK\r\n", "flushall", "SYNC");
    EXPECT(s, T0, ":0\r\n", "DBSIZE");
    store_rehash_step(s, 1); /* harmless on an empty store */
    store_destroy(s);
}

/* The claim: what concerns connections and the server (pub/sub, CLIENT, HELLO, CONFIG, INFO,
 * RESET, PUBSUB) is left to the server: CMD_NOT_MINE with nothing appended, whatever the
 * arguments; QUIT replies +OK with CMD_QUIT; SELECT knows database 0 only. */
static void
test_b_client_handshake_commands(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "+OK\r\n", "SELECT", "0");
    EXPECT(s, T0, "-ERR DB index is out of range\r\n", "SELECT", "1");
    struct resp_buf out;
    resp_buf_init(&out);
    const struct resp_arg count[] = {{"COMMAND", 7}, {"COUNT", 5}};
    assert_cmd_status(run(s, T0, 2, count, &out), CMD_OK);
    assert_true(out.size_bytes >= 4 && out.data[0] == ':');
    resp_buf_reset(&out);
    static const char *const not_mine[] = {"SUBSCRIBE", "unsubscribe", "PSUBSCRIBE", "PUNSUBSCRIBE",
                                           "PUBLISH",   "CLIENT",      "hello",      "CONFIG",
                                           "INFO",      "RESET",       "PUBSUB"};
    for (size_t i = 0; i < sizeof(not_mine) / sizeof(not_mine[0]); i++) {
        const struct resp_arg argv[] = {{not_mine[i], strlen(not_mine[i])}, {"ch", 2}, {"m", 1}};
        for (size_t argc = 1; argc <= 3; argc++) {
            cmd_status status = run(s, T0, argc, argv, &out);
            if (status != CMD_NOT_MINE || out.size_bytes != 0) {
                fail_msg("%s with %zu arguments returned %s and appended %zu bytes; it must return "
                         "CMD_NOT_MINE and append nothing (the server answers it)",
                         not_mine[i], argc - 1, cmd_status_name(status), out.size_bytes);
            }
        }
    }
    const struct resp_arg quit[] = {{"QUIT", 4}};
    assert_cmd_status(run(s, T0, 1, quit, &out), CMD_QUIT);
    kh_assert_bytes_equal("QUIT", 4, "+OK\r\n", 5, out.data ? out.data : "", out.size_bytes);
    resp_buf_free(&out);
    store_destroy(s);
}

/* The claim: every request of the conformance table's @store blocks (tests/redis7_replies.txt:
 * the string, keyspace and expiry families, with their errors, wrong arities and options) gets
 * the reply redis-server 7.0 gives it, byte for byte or within the table's pattern. */
static void
test_b_commands_answer_as_redis_7(void **state)
{
    (void)state;
    static struct table t;
    table_load(&t);
    struct store *s = store_new();
    struct resp_buf out;
    resp_buf_init(&out);
    size_t replayed = 0;
    for (size_t i = 0; i < t.step_count; i++) {
        const struct table_step *step = &t.steps[i];
        if (!step->is_store) {
            continue;
        }
        assert_int_equal(step->kind, TABLE_REQUEST);
        char words[1024];
        snprintf(words, sizeof(words), "%s", step->request);
        struct resp_arg argv[TABLE_ARGS_MAX];
        size_t argc = table_split(words, argv, TABLE_ARGS_MAX);
        resp_buf_reset(&out);
        cmd_status status = run(s, T0, argc, argv, &out); /* a fixed now: the run replays */
        if (status != CMD_OK) {
            fail_msg("tests/redis7_replies.txt line %zu: '%s' returned %s, expected CMD_OK",
                     step->line, step->request, cmd_status_name(status));
        }
        table_check(step, "through cmd_execute", out.data != NULL ? out.data : "", out.size_bytes);
        replayed++;
    }
    assert_true(replayed > 100); /* the table's @store blocks were found */
    resp_buf_free(&out);
    store_destroy(s);
    table_free(&t);
}

/* The claim: a value store_set copies in has a '\0' after its bytes (store.h: bytes[size_bytes]
 * is '\0'), whatever the memory it lands in held before: a new key, a value grown past its
 * capacity and one overwritten in place. Each store_set follows the free of blocks filled with
 * junk, of the size struct store_value says a value takes and up to 64 bytes more, so the
 * allocator hands that junk to a value left unterminated (a sanitizer fills new blocks too).
 * And the overwrite in place, a smaller value over one of 300 bytes or more, allocates nothing
 * (store.h: store_set reuses the old value's memory when it is large enough; counted in plain
 * builds, kh_oom.h). */
static void
test_b_store_values_end_in_a_nul(void **state)
{
    (void)state;
    enum { KEYS = 200, VALUE_SIZE_BYTES_MAX = 600, JUNK_BLOCKS = 9 };
    struct store *s = store_new();
    static char value[VALUE_SIZE_BYTES_MAX];
    memset(value, 'v', sizeof(value));
    static const char *const how[] = {"a new key", "a value grown past its capacity",
                                      "a value overwritten in place"};
    for (unsigned k = 0; k < KEYS; k++) {
        char key[16];
        size_t key_size = (size_t)snprintf(key, sizeof(key), "nul%u", k);
        size_t sizes[] = {k * 37 % 300, 300 + k % 300, k % 7}; /* new, grown, overwritten */
        for (size_t step = 0; step < 3; step++) {
            size_t size = sizes[step];
            char *junk[JUNK_BLOCKS];
            for (size_t j = 0; j < JUNK_BLOCKS; j++) { /* a value may be given spare capacity */
                size_t junk_size = sizeof(struct store_value) + size + 1 + 8 * j;
                junk[j] = malloc(junk_size);
                assert_non_null(junk[j]);
                memset(junk[j], 'J', junk_size);
            }
            for (size_t j = 0; j < JUNK_BLOCKS; j++) {
                free(junk[j]);
            }
#if KH_OOM_IS_INJECTABLE
            uint64_t allocations_before = kh_oom_allocations();
#endif
            assert_cmd_status(store_set(s, key, key_size, value, size, false), CMD_OK);
#if KH_OOM_IS_INJECTABLE
            if (step == 2 && kh_oom_allocations() != allocations_before) {
                fail_msg("store_set of %zu bytes over %s's value of %zu allocated memory (%" PRIu64
                         " calls to malloc, calloc or realloc): store.h says overwriting a value "
                         "whose memory is large enough allocates nothing",
                         size, key, sizes[1], kh_oom_allocations() - allocations_before);
            }
#endif
            const struct store_value *v = store_lookup(s, key, key_size, T0);
            if (v == NULL || v->size_bytes != size || memcmp(v->bytes, value, size) != 0) {
                fail_msg("store_lookup of %s after store_set of %s (%zu bytes) did not return "
                         "those bytes",
                         key, how[step], size);
            }
            if (v->bytes[size] != '\0') {
                fail_msg("after store_set of %s (%zu bytes), bytes[%zu] is 0x%02x, not '\\0' "
                         "(store.h: bytes[size_bytes] is '\\0')",
                         how[step], size, size, (unsigned)(unsigned char)v->bytes[size]);
            }
        }
    }
    store_destroy(s);
}

/* The claim: store_set and store_set_expire, when an allocation fails, return CMD_NOMEM with the
 * store unchanged (store.h), and a command that runs out of memory returns CMD_NOMEM, RENAME
 * and COPY REPLACE with the keyspace unchanged too (the destination is not lost); either way
 * nothing is leaked: once the store is destroyed, every block it took is back. Each
 * allocation of each call in turn fails on a fresh store, until the call needs no more. In
 * plain builds only. */
static void
test_b_store_out_of_memory_changes_nothing(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#else
    enum { ALLOCATIONS_MAX = 64 };
    static char big[1000], big_text[1001];
    memset(big, 'b', sizeof(big));
    memcpy(big_text, big, sizeof(big)); /* the same bytes as a C string, for SET */
    static const char *const names[] = {"store_set of a new key",
                                        "store_set of a bigger value",
                                        "store_set_expire",
                                        "SET new value PX 5000",
                                        "RENAME src old (src has a TTL, old none)",
                                        "RENAME src new",
                                        "COPY src old REPLACE"};
    const struct resp_arg set_px[] = {{"SET", 3}, {"new", 3}, {"value", 5}, {"PX", 2}, {"5000", 4}};
    const struct resp_arg rename_old[] = {{"RENAME", 6}, {"src", 3}, {"old", 3}};
    const struct resp_arg rename_new[] = {{"RENAME", 6}, {"src", 3}, {"new", 3}};
    const struct resp_arg copy_old[] = {{"COPY", 4}, {"src", 3}, {"old", 3}, {"REPLACE", 7}};
    const struct resp_arg *const requests[] = {set_px, rename_old, rename_new, copy_old};
    const size_t request_sizes[] = {KH_ARRAY_LEN(set_px), KH_ARRAY_LEN(rename_old),
                                    KH_ARRAY_LEN(rename_new), KH_ARRAY_LEN(copy_old)};
    for (int call = 0; call < 7; call++) {
        bool has_fired = true;
        for (int64_t fail_at = 0; has_fired; fail_at++) {
            if (fail_at == ALLOCATIONS_MAX) {
                fail_msg("%s still allocates after %d allocations", names[call], ALLOCATIONS_MAX);
            }
            int64_t live_before = kh_oom_live_blocks();
            struct store *s = store_new();
            EXPECT(s, T0, "+OK\r\n", "SET", "old", "small");
            if (call >= 4) { /* a value bigger than old's, so the copy must allocate */
                EXPECT(s, T0, "+OK\r\n", "SET", "src", big_text, "PX", "5000");
            }
            struct resp_buf out;
            resp_buf_init(&out);
            assert_resp_status(resp_buf_reserve(&out, 4096), RESP_OK); /* no reply allocates */
            kh_oom_arm(fail_at);
            cmd_status status = call == 0   ? store_set(s, "new", 3, "value", 5, false)
                                : call == 1 ? store_set(s, "old", 3, big, sizeof(big), false)
                                : call == 2
                                    ? store_set_expire(s, "old", 3, (int64_t)T0 + 5000)
                                    : run(s, T0, request_sizes[call - 3], requests[call - 3], &out);
            has_fired = kh_oom_disarm();
            if (status != CMD_OK && !(has_fired && status == CMD_NOMEM)) {
                fail_msg("%s, allocation %" PRId64 " failing: returned %s; expected CMD_OK or "
                         "CMD_NOMEM",
                         names[call], fail_at, cmd_status_name(status));
            }
            if (status == CMD_NOMEM && call != 3) { /* store.h: s unchanged; so RENAME, COPY */
                EXPECT(s, T0, "$5\r\nsmall\r\n", "GET", "old");
                EXPECT(s, T0, ":-1\r\n", "PTTL", "old");
                EXPECT(s, T0, "$-1\r\n", "GET", "new");
                EXPECT(s, T0, call >= 4 ? ":5000\r\n" : ":-2\r\n", "PTTL", "src");
                EXPECT(s, T0, call >= 4 ? ":2\r\n" : ":1\r\n", "DBSIZE");
            }
            resp_buf_free(&out);
            store_destroy(s);
            if (kh_oom_live_blocks() != live_before) {
                fail_msg("%s returned %s when allocation %" PRId64 " failed, and once the store "
                         "was destroyed %" PRId64 " blocks it took were not freed",
                         names[call], cmd_status_name(status), fail_at,
                         kh_oom_live_blocks() - live_before);
            }
        }
    }
#endif
}

/* ---- RANDOMKEY and SCAN through the command ---------------------------------------------- */

#define RANDOMKEY_EXPIRED_KEYS 5000u /* a cap of 100 draws finds the live key 1 time in 50 */

/* The claim: RANDOMKEY answers with a live key whenever one exists, however many expired keys
 * surround it: a master deletes each expired key it draws and draws again (dbRandomKey in
 * db.c; the cap of 100 draws is for replicas). Nil only once no live key is left. */
static void
test_b_randomkey_finds_the_one_live_key_among_expired_ones(void **state)
{
    (void)state;
    struct store *s = store_new();
    EXPECT(s, T0, "$-1\r\n", "RANDOMKEY");
    EXPECT(s, T0, "+OK\r\n", "SET", "live", "v");
    for (unsigned i = 0; i < RANDOMKEY_EXPIRED_KEYS; i++) {
        char key[32];
        int size = snprintf(key, sizeof(key), "expired:%u", i);
        assert_cmd_status(store_set(s, key, (size_t)size, "v", 1, false), CMD_OK);
        assert_cmd_status(store_set_expire(s, key, (size_t)size, (int64_t)T0 + 1), CMD_OK);
    }
    EXPECT(s, T0 + 10, "$4\r\nlive\r\n", "RANDOMKEY");
    EXPECT(s, T0 + 10, "$4\r\nlive\r\n", "RANDOMKEY");
    EXPECT(s, T0 + 10, ":1\r\n", "DEL", "live");
    EXPECT(s, T0 + 10, "$-1\r\n", "RANDOMKEY");
    assert_int_equal(store_size(s), 0); /* every expired key drawn was deleted */
    store_destroy(s);
}

#define SCAN_KEYS 1500u /* "key:N" */
#define SCAN_OTHER 500u /* "other:N", which MATCH key:* leaves out */
#define SCAN_CALLS_MAX 100000u

/* Reads the decimal at *at up to "\r\n" and moves past both. */
static size_t
reply_number(const char *reply, size_t size, size_t *at)
{
    size_t n = 0;
    while (*at < size && reply[*at] >= '0' && reply[*at] <= '9') {
        n = n * 10 + (size_t)(reply[(*at)++] - '0');
    }
    assert_true(*at + 2 <= size && reply[*at] == '\r');
    *at += 2;
    return n;
}

/* Runs SCAN with options from cursor "0" until the cursor comes back to "0", counting in
 * seen[] each key:N (seen[N]) and other:N (seen[SCAN_KEYS + N]) it returns. */
static void
scan_all(struct store *s, const char *const options[], size_t option_count, unsigned seen[])
{
    char cursor[32] = "0";
    struct resp_buf out;
    resp_buf_init(&out);
    for (unsigned calls = 0;; calls++) {
        assert_true(calls < SCAN_CALLS_MAX);
        struct resp_arg argv[8] = {{"SCAN", 4}, {cursor, strlen(cursor)}};
        for (size_t i = 0; i < option_count; i++) {
            argv[2 + i].bytes = options[i];
            argv[2 + i].size_bytes = strlen(options[i]);
        }
        resp_buf_reset(&out);
        assert_cmd_status(run(s, T0, 2 + option_count, argv, &out), CMD_OK);
        const char *r = out.data;
        size_t at = 0;
        assert_true(out.size_bytes > 8 && memcmp(r, "*2\r\n$", 5) == 0);
        at = 5;
        size_t cursor_size = reply_number(r, out.size_bytes, &at);
        assert_true(cursor_size > 0 && cursor_size < sizeof(cursor));
        memcpy(cursor, r + at, cursor_size);
        cursor[cursor_size] = '\0';
        at += cursor_size + 2;
        assert_true(r[at] == '*');
        at++;
        size_t count = reply_number(r, out.size_bytes, &at);
        for (size_t k = 0; k < count; k++) {
            assert_true(r[at] == '$');
            at++;
            size_t size = reply_number(r, out.size_bytes, &at);
            char key[32];
            assert_true(size < sizeof(key));
            memcpy(key, r + at, size);
            key[size] = '\0';
            at += size + 2;
            unsigned n;
            if (sscanf(key, "key:%u", &n) == 1 && n < SCAN_KEYS) {
                seen[n]++;
            } else if (sscanf(key, "other:%u", &n) == 1 && n < SCAN_OTHER) {
                seen[SCAN_KEYS + n]++;
            } else {
                fail_msg("SCAN returned '%s', a key never set", key);
            }
        }
        assert_int_equal(at, out.size_bytes);
        if (strcmp(cursor, "0") == 0) {
            break;
        }
    }
    resp_buf_free(&out);
}

/* The claim: a full SCAN through the command, from cursor 0 back to 0, returns every key of a
 * store that does not change exactly once, with the default COUNT, with COUNT 7 and 1000, and
 * with MATCH (only the keys that match, each once); a cursor is a bulk string. */
static void
test_b_scan_returns_every_key_exactly_once(void **state)
{
    (void)state;
    struct store *s = store_new();
    for (unsigned i = 0; i < SCAN_KEYS + SCAN_OTHER; i++) {
        char key[32];
        int size = i < SCAN_KEYS ? snprintf(key, sizeof(key), "key:%u", i)
                                 : snprintf(key, sizeof(key), "other:%u", i - SCAN_KEYS);
        assert_cmd_status(store_set(s, key, (size_t)size, "v", 1, false), CMD_OK);
    }
    store_rehash_step(s, SIZE_MAX); /* a table at rest: no move between two calls */
    static const struct {
        const char *options[4];
        size_t option_count;
        bool is_match_key;
    } runs[] = {
        {{NULL}, 0, false},
        {{"COUNT", "7"}, 2, false},
        {{"COUNT", "1000"}, 2, false},
        {{"MATCH", "key:*"}, 2, true},
        {{"MATCH", "key:*", "COUNT", "3"}, 4, true},
    };
    static unsigned seen[SCAN_KEYS + SCAN_OTHER];
    for (size_t r = 0; r < KH_ARRAY_LEN(runs); r++) {
        memset(seen, 0, sizeof(seen));
        scan_all(s, runs[r].options, runs[r].option_count, seen);
        for (unsigned i = 0; i < SCAN_KEYS + SCAN_OTHER; i++) {
            unsigned want = runs[r].is_match_key && i >= SCAN_KEYS ? 0 : 1;
            if (seen[i] != want) {
                fail_msg("SCAN run %zu (%s %s %s %s): key %s:%u returned %u times, want %u", r,
                         runs[r].options[0] ? runs[r].options[0] : "",
                         runs[r].options[1] ? runs[r].options[1] : "",
                         runs[r].options[2] ? runs[r].options[2] : "",
                         runs[r].options[3] ? runs[r].options[3] : "",
                         i < SCAN_KEYS ? "key" : "other", i < SCAN_KEYS ? i : i - SCAN_KEYS,
                         seen[i], want);
            }
        }
    }
    store_destroy(s);
}

/* ---- The randomized model test (hidden) ------------------------------------------------- */

#define MODEL_KEYS 40u
#define MODEL_OPS 20000u

struct model_key {
    bool is_present;
    char value[24];
    int64_t expire_at_ms; /* -1: none */
};

/* The claim: random SET/GET/DEL/INCR/PEXPIRE/PTTL with a clock that moves, active expiry and
 * rehash steps in between, answer exactly as a simple model of Redis does. */
static void
test_b_random_commands_match_a_model(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    struct store *s = store_create(kh_rng_next(&rng));
    assert_non_null(s);
    struct model_key m[MODEL_KEYS] = {{0}};
    uint64_t now = T0;
    for (size_t op = 0; op < MODEL_OPS; op++) {
        now += kh_rng_below(&rng, 3);
        uint32_t k = (uint32_t)kh_rng_below(&rng, MODEL_KEYS);
        char key[16], text[64], expected[96];
        snprintf(key, sizeof(key), "m%u", k);
        struct model_key *e = &m[k];
        if (e->is_present && e->expire_at_ms >= 0 && (uint64_t)e->expire_at_ms < now) {
            e->is_present = false; /* what any access would see */
        }
        switch (kh_rng_below(&rng, 6)) {
        case 0: /* SET, half the time with a TTL */
            if (kh_rng_below(&rng, 2)) {
                snprintf(e->value, sizeof(e->value), "%" PRIu64, kh_rng_below(&rng, 1000));
            } else {
                snprintf(e->value, sizeof(e->value), "s%" PRIu64, kh_rng_below(&rng, 1000));
            }
            e->is_present = true;
            e->expire_at_ms = -1;
            if (kh_rng_below(&rng, 2)) {
                uint64_t px = 1 + kh_rng_below(&rng, 50);
                snprintf(text, sizeof(text), "%" PRIu64, px);
                e->expire_at_ms = (int64_t)(now + px);
                EXPECT(s, now, "+OK\r\n", "SET", key, e->value, "PX", text);
            } else {
                EXPECT(s, now, "+OK\r\n", "SET", key, e->value);
            }
            break;
        case 1:
            snprintf(expected, sizeof(expected), "$%zu\r\n%.23s\r\n", strlen(e->value), e->value);
            EXPECT(s, now, e->is_present ? expected : "$-1\r\n", "GET", key);
            break;
        case 2:
            EXPECT(s, now, e->is_present ? ":1\r\n" : ":0\r\n", "DEL", key);
            e->is_present = false;
            break;
        case 3:
            if (!e->is_present) {
                snprintf(e->value, sizeof(e->value), "0");
                e->is_present = true;
                e->expire_at_ms = -1;
            }
            if (e->value[0] == 's') {
                EXPECT(s, now, "-ERR value is not an integer or out of range\r\n", "INCR", key);
                break;
            }
            snprintf(e->value, sizeof(e->value), "%lld", atoll(e->value) + 1);
            snprintf(expected, sizeof(expected), ":%s\r\n", e->value);
            EXPECT(s, now, expected, "INCR", key);
            break;
        case 4: {
            uint64_t px = 1 + kh_rng_below(&rng, 50);
            snprintf(text, sizeof(text), "%" PRIu64, px);
            EXPECT(s, now, e->is_present ? ":1\r\n" : ":0\r\n", "PEXPIRE", key, text);
            if (e->is_present) {
                e->expire_at_ms = (int64_t)(now + px);
            }
            break;
        }
        default:
            if (!e->is_present) {
                snprintf(expected, sizeof(expected), ":-2\r\n");
            } else if (e->expire_at_ms < 0) {
                snprintf(expected, sizeof(expected), ":-1\r\n");
            } else {
                snprintf(expected, sizeof(expected), ":%" PRId64 "\r\n",
                         e->expire_at_ms - (int64_t)now);
            }
            EXPECT(s, now, expected, "PTTL", key);
            break;
        }
        if (kh_rng_below(&rng, 50) == 0) {
            store_expire_cycle(s, now, 20, 4);
        }
        if (kh_rng_below(&rng, 10) == 0) {
            store_rehash_step(s, 1 + (size_t)kh_rng_below(&rng, 3));
        }
    }
    store_destroy(s);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_ping_echo_and_command_errors),
        cmocka_unit_test(test_b_set_get_del_exists),
        cmocka_unit_test(test_b_set_options),
        cmocka_unit_test(test_b_incr_decr_and_overflow),
        cmocka_unit_test(test_b_mset_mget),
        cmocka_unit_test(test_b_expiry_is_lazy_and_exact),
        cmocka_unit_test(test_b_expire_options_and_errors),
        cmocka_unit_test(test_b_active_expiry_deletes_only_expired_keys),
        cmocka_unit_test(test_b_flushall_and_dbsize),
        cmocka_unit_test(test_b_client_handshake_commands),
        cmocka_unit_test(test_b_commands_answer_as_redis_7),
        cmocka_unit_test(test_b_store_values_end_in_a_nul),
        cmocka_unit_test(test_b_store_out_of_memory_changes_nothing),
        cmocka_unit_test(test_b_randomkey_finds_the_one_live_key_among_expired_ones),
        cmocka_unit_test(test_b_scan_returns_every_key_exactly_once),
        cmocka_unit_test(test_b_random_commands_match_a_model),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
