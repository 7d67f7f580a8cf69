/* test_e_server.c -- part E: lab 01's server on this store (keel-server --store bitcask:DIR,
 * built from lab 01's and lab 03's sources). A SET that was answered +OK must survive kill -9
 * of the server and a restart; so must DEL and a TTL. Read
 * test_e_acked_sets_survive_kill_under_load. */
#include "kh_test.h"
#include "kh_net.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define START_TIMEOUT_MS 10000 /* a sanitizer build on a loaded machine */
#define REPLY_TIMEOUT_MS 10000
#define LOAD_KEYS 2000u
#define LOAD_BATCH 50u

struct durable_server {
    struct kh_proc proc;
    uint16_t port;
    char dir[64];
};

static void
server_start(struct durable_server *s)
{
    char path[4096], store[128];
    assert_int_equal(kh_exe_relative("../cmd/keel-server", path, sizeof(path)), 0);
    snprintf(store, sizeof(store), "bitcask:%s", s->dir);
    const char *argv[] = {path, "--model", "epoll", "--port", "0", "--store", store, NULL};
    if (kh_proc_spawn(&s->proc, argv) != 0 ||
        kh_proc_wait_port_line(&s->proc, &s->port, START_TIMEOUT_MS) != 0) {
        char err[2048];
        kh_proc_stderr(&s->proc, err, sizeof(err));
        kh_proc_close(&s->proc);
        fail_msg("keel-server --store %s did not start; its stderr:\n%s", store, err);
    }
}

/* Kills with SIGKILL (no chance to flush anything) and starts it again on the same directory. */
static void
server_kill_and_restart(struct durable_server *s)
{
    kh_proc_kill(&s->proc, SIGKILL);
    kh_proc_close(&s->proc);
    server_start(s);
}

static void
server_stop(struct durable_server *s)
{
    char err[4096];
    kh_proc_stderr(&s->proc, err, sizeof(err));
    kh_proc_close(&s->proc);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    assert_int_equal(system(cmd), 0);
    const char *report = strstr(err, "Sanitizer");
    if (report != NULL) {
        fail_msg("the server's sanitizer reported:\n%.1500s", report);
    }
}

static void
server_init(struct durable_server *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/keel-bitcask-e-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    server_start(s);
}

/* Sends argv and checks the reply is exactly expected. */
static void
expect(struct kh_rclient *c, size_t argc, const char *const argv[], const char *expected)
{
    char reply[512];
    assert_int_equal(kh_rclient_send(c, argc, argv), 0);
    ssize_t n = kh_rclient_reply(c, reply, sizeof(reply), REPLY_TIMEOUT_MS);
    if (n < 0 || strcmp(reply, expected) != 0) {
        char got[256], want[256];
        kh_bytes_escape(reply, n < 0 ? 0 : (size_t)n, got, sizeof(got));
        kh_bytes_escape(expected, strlen(expected), want, sizeof(want));
        fail_msg("%s %s: expected \"%s\", got \"%s\"", argv[0], argc > 1 ? argv[1] : "", want,
                 n < 0 ? "(no reply)" : got);
    }
}

/* Fails unless key's TTL is about 1000 s (set with 1000 s a moment before a restart). */
static void
expect_ttl_about_1000_s(struct kh_rclient *c, const char *key)
{
    char reply[64];
    assert_int_equal(kh_rclient_send(c, 2, (const char *[]){"TTL", key}), 0);
    assert_true(kh_rclient_reply(c, reply, sizeof(reply), REPLY_TIMEOUT_MS) > 0);
    long ttl = strtol(reply + 1, NULL, 10);
    if (reply[0] != ':' || ttl < 990 || ttl > 1000) {
        fail_msg("TTL %s after a restart should be about 1000 s, the server says %s", key, reply);
    }
}

/* Claim: SET, DEL, INCR and EXPIRE answered by the server are all there after kill -9 and a
 * restart, and a key that was never set is still missing. */
static void
test_e_set_survives_kill_9(void **state)
{
    (void)state;
    struct durable_server s;
    server_init(&s);
    struct kh_rclient c;
    assert_int_equal(kh_rclient_connect(&c, s.port), 0);
    expect(&c, 3, (const char *[]){"SET", "greeting", "hello world"}, "+OK\r\n");
    expect(&c, 3, (const char *[]){"SET", "doomed", "x"}, "+OK\r\n");
    expect(&c, 2, (const char *[]){"DEL", "doomed"}, ":1\r\n");
    expect(&c, 2, (const char *[]){"INCR", "counter"}, ":1\r\n");
    expect(&c, 2, (const char *[]){"INCR", "counter"}, ":2\r\n");
    expect(&c, 4, (const char *[]){"SET", "ttl", "v", "EX"}, "-ERR syntax error\r\n");
    expect(&c, 5, (const char *[]){"SET", "ttl", "v", "EX", "1000"}, "+OK\r\n");
    kh_rclient_close(&c);
    server_kill_and_restart(&s);
    assert_int_equal(kh_rclient_connect(&c, s.port), 0);
    expect(&c, 2, (const char *[]){"GET", "greeting"}, "$11\r\nhello world\r\n");
    expect(&c, 2, (const char *[]){"GET", "doomed"}, "$-1\r\n");
    expect(&c, 2, (const char *[]){"GET", "counter"}, "$1\r\n2\r\n");
    expect(&c, 2, (const char *[]){"GET", "never"}, "$-1\r\n");
    expect_ttl_about_1000_s(&c, "ttl");
    kh_rclient_close(&c);
    server_stop(&s);
}

/* Claim: every write command of lab 01's catalog, not only SET, DEL and INCR, is written
 * through to the store: SETEX, PSETEX, APPEND, SETRANGE, GETSET, GETDEL, MSETNX, INCRBYFLOAT,
 * RENAME (the old name gone), RENAMENX, COPY, PERSIST, EXPIREAT and UNLINK answered before
 * kill -9 read back the same after a restart. */
static void
test_e_every_write_command_survives_kill_9(void **state)
{
    (void)state;
    struct durable_server s;
    server_init(&s);
    struct kh_rclient c;
    assert_int_equal(kh_rclient_connect(&c, s.port), 0);
    expect(&c, 4, (const char *[]){"SETEX", "setex", "1000", "v1"}, "+OK\r\n");
    expect(&c, 4, (const char *[]){"PSETEX", "psetex", "1000000", "v2"}, "+OK\r\n");
    expect(&c, 3, (const char *[]){"APPEND", "append", "ab"}, ":2\r\n");
    expect(&c, 3, (const char *[]){"APPEND", "append", "cd"}, ":4\r\n");
    expect(&c, 3, (const char *[]){"SET", "setrange", "hello"}, "+OK\r\n");
    expect(&c, 4, (const char *[]){"SETRANGE", "setrange", "1", "EY"}, ":5\r\n");
    expect(&c, 3, (const char *[]){"GETSET", "getset", "new"}, "$-1\r\n");
    expect(&c, 3, (const char *[]){"SET", "getdel", "gone"}, "+OK\r\n");
    expect(&c, 2, (const char *[]){"GETDEL", "getdel"}, "$4\r\ngone\r\n");
    expect(&c, 5, (const char *[]){"MSETNX", "m1", "a", "m2", "b"}, ":1\r\n");
    expect(&c, 3, (const char *[]){"INCRBYFLOAT", "float", "1.5"}, "$3\r\n1.5\r\n");
    expect(&c, 3, (const char *[]){"SET", "src", "moved"}, "+OK\r\n");
    expect(&c, 3, (const char *[]){"RENAME", "src", "dst"}, "+OK\r\n");
    expect(&c, 3, (const char *[]){"SET", "nxsrc", "nx"}, "+OK\r\n");
    expect(&c, 3, (const char *[]){"RENAMENX", "nxsrc", "nxdst"}, ":1\r\n");
    expect(&c, 3, (const char *[]){"COPY", "dst", "copy"}, ":1\r\n");
    expect(&c, 5, (const char *[]){"SET", "persist", "p", "EX", "5"}, "+OK\r\n");
    expect(&c, 2, (const char *[]){"PERSIST", "persist"}, ":1\r\n");
    expect(&c, 3, (const char *[]){"SET", "at", "t"}, "+OK\r\n");
    expect(&c, 3, (const char *[]){"EXPIREAT", "at", "4102444800"}, ":1\r\n");
    expect(&c, 3, (const char *[]){"SET", "unlink", "u"}, "+OK\r\n");
    expect(&c, 2, (const char *[]){"UNLINK", "unlink"}, ":1\r\n");
    kh_rclient_close(&c);
    server_kill_and_restart(&s);
    assert_int_equal(kh_rclient_connect(&c, s.port), 0);
    expect(&c, 2, (const char *[]){"GET", "setex"}, "$2\r\nv1\r\n");
    expect(&c, 2, (const char *[]){"GET", "psetex"}, "$2\r\nv2\r\n");
    expect(&c, 2, (const char *[]){"GET", "append"}, "$4\r\nabcd\r\n");
    expect(&c, 2, (const char *[]){"GET", "setrange"}, "$5\r\nhEYlo\r\n");
    expect(&c, 2, (const char *[]){"GET", "getset"}, "$3\r\nnew\r\n");
    expect(&c, 2, (const char *[]){"GET", "getdel"}, "$-1\r\n");
    expect(&c, 3, (const char *[]){"MGET", "m1", "m2"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    expect(&c, 2, (const char *[]){"GET", "float"}, "$3\r\n1.5\r\n");
    expect(&c, 2, (const char *[]){"GET", "src"}, "$-1\r\n");
    expect(&c, 2, (const char *[]){"GET", "dst"}, "$5\r\nmoved\r\n");
    expect(&c, 2, (const char *[]){"GET", "nxsrc"}, "$-1\r\n");
    expect(&c, 2, (const char *[]){"GET", "nxdst"}, "$2\r\nnx\r\n");
    expect(&c, 2, (const char *[]){"GET", "copy"}, "$5\r\nmoved\r\n");
    expect(&c, 2, (const char *[]){"TTL", "persist"}, ":-1\r\n");
    expect(&c, 2, (const char *[]){"EXPIRETIME", "at"}, ":4102444800\r\n");
    expect(&c, 2, (const char *[]){"GET", "unlink"}, "$-1\r\n");
    expect_ttl_about_1000_s(&c, "setex");
    kh_rclient_close(&c);
    server_stop(&s);
}

/* Claim: under a stream of pipelined SETs, every SET answered +OK before kill -9 reads back after
 * the restart with its value (SETs in flight may or may not have landed). */
static void
test_e_acked_sets_survive_kill_under_load(void **state)
{
    (void)state;
    struct durable_server s;
    server_init(&s);
    struct kh_rclient c;
    assert_int_equal(kh_rclient_connect(&c, s.port), 0);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    unsigned kill_after = LOAD_KEYS / 2 + (unsigned)kh_rng_below(&rng, LOAD_KEYS / 2);
    unsigned acked = 0;
    char key[32], value[64], reply[64];
    while (acked < kill_after) {
        for (unsigned i = acked; i < acked + LOAD_BATCH; i++) { /* a batch in flight */
            snprintf(key, sizeof(key), "key:%u", i);
            snprintf(value, sizeof(value), "value %u, seed %llu", i,
                     (unsigned long long)kh_test_seed());
            assert_int_equal(kh_rclient_send(&c, 3, (const char *[]){"SET", key, value}), 0);
        }
        for (unsigned i = 0; i < LOAD_BATCH / 2; i++) { /* half acknowledged, half in flight */
            assert_true(kh_rclient_reply(&c, reply, sizeof(reply), REPLY_TIMEOUT_MS) > 0);
            assert_string_equal(reply, "+OK\r\n");
        }
        acked += LOAD_BATCH / 2;
        if (acked < kill_after) {
            for (unsigned i = 0; i < LOAD_BATCH / 2; i++) {
                assert_true(kh_rclient_reply(&c, reply, sizeof(reply), REPLY_TIMEOUT_MS) > 0);
            }
            acked += LOAD_BATCH / 2;
        }
    }
    server_kill_and_restart(&s); /* with half a batch unanswered */
    kh_rclient_close(&c);
    assert_int_equal(kh_rclient_connect(&c, s.port), 0);
    for (unsigned i = 0; i < acked; i++) {
        char want[128];
        snprintf(key, sizeof(key), "key:%u", i);
        snprintf(value, sizeof(value), "value %u, seed %llu", i,
                 (unsigned long long)kh_test_seed());
        snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(value), value);
        expect(&c, 2, (const char *[]){"GET", key}, want);
    }
    printf("kill -9 after %u acknowledged SETs: all read back\n", acked);
    kh_rclient_close(&c);
    server_stop(&s);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_set_survives_kill_9),
        cmocka_unit_test(test_e_every_write_command_survives_kill_9),
        cmocka_unit_test(test_e_acked_sets_survive_kill_under_load),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
