/* test_d_epoll.c -- lab 01 part D: the epoll event loop, over loopback: many clients, stalled
 * clients, pipelining, partial writes to slow readers, output limits, idle timeouts, junk. */
#include "replies_table.h"
#include "server_scenarios.h"

#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define VALUE_SIZE_BYTES (1u << 20)
#define SLOW_READER_GETS 16 /* 16 MiB of replies: far more than loopback's socket buffers hold */

/* Claim: 50 clients with a request each in flight INCR one counter to exactly 10,000. */
static void
test_d_epoll_many_clients_share_one_store(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    static struct kh_rclient clients[50];
    const char *const incr[] = {"INCR", "counter"};
    char reply[64];
    for (size_t i = 0; i < KH_ARRAY_LEN(clients); i++) {
        client_connect(&clients[i], &s);
    }
    for (size_t round = 0; round < 200; round++) {
        for (size_t i = 0; i < KH_ARRAY_LEN(clients); i++) {
            assert_int_equal(kh_rclient_send(&clients[i], 2, incr), 0);
        }
        for (size_t i = 0; i < KH_ARRAY_LEN(clients); i++) {
            if (kh_rclient_reply(&clients[i], reply, sizeof(reply), REPLY_TIMEOUT_MS) <= 0) {
                fail_msg("client %zu got no reply to INCR %zu", i, round);
            }
        }
    }
    EXPECT(&clients[0], "$5\r\n10000\r\n", "GET", "counter");
    for (size_t i = 0; i < KH_ARRAY_LEN(clients); i++) {
        kh_rclient_close(&clients[i]);
    }
    server_stop(&s);
}

/* Claim: a client sitting on half a command does not delay anyone else. */
static void
test_d_epoll_stalled_client_does_not_block_others(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient stalled, other;
    client_connect(&stalled, &s);
    const char half[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nhal";
    assert_int_equal(kh_net_write_all(stalled.fd, half, sizeof(half) - 1), 0);
    client_connect(&other, &s);
    for (int i = 0; i < 100; i++) {
        EXPECT(&other, "+PONG\r\n", "PING");
    }
    assert_int_equal(kh_net_write_all(stalled.fd, "f\r\n", 3), 0);
    expect_pushed(&stalled, "+OK\r\n", "the stalled SET, once completed");
    EXPECT(&other, "$4\r\nhalf\r\n", "GET", "k");
    kh_rclient_close(&stalled);
    kh_rclient_close(&other);
    server_stop(&s);
}

/* Claim: 10,000 commands in one write come back as 10,000 replies, in order. */
static void
test_d_epoll_10000_pipelined_commands(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient c;
    client_connect(&c, &s);
    static const char incr[] = "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
    size_t one = sizeof(incr) - 1;
    char *batch = malloc(one * 10000);
    assert_non_null(batch);
    for (size_t i = 0; i < 10000; i++) {
        memcpy(batch + i * one, incr, one);
    }
    assert_int_equal(kh_net_write_all(c.fd, batch, one * 10000), 0);
    free(batch);
    char reply[32] = "", expected[32];
    for (size_t i = 1; i <= 10000; i++) {
        snprintf(expected, sizeof(expected), ":%zu\r\n", i);
        if (kh_rclient_reply(&c, reply, sizeof(reply), REPLY_TIMEOUT_MS) < 0 ||
            strcmp(reply, expected) != 0) {
            fail_msg("pipelined INCR %zu of 10000: expected %s got %s", i, expected, reply);
        }
    }
    kh_rclient_close(&c);
    server_stop(&s);
}

/* Claim: replies far bigger than the socket buffer reach a reader that starts late, every
 * byte in order: writes that would block (EAGAIN) keep the rest for later. */
static void
test_d_epoll_slow_reader_gets_every_byte(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient c;
    client_connect(&c, &s);
    char *value = malloc(VALUE_SIZE_BYTES + 1);
    char *expected = malloc(VALUE_SIZE_BYTES + 64);
    assert_non_null(value);
    assert_non_null(expected);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (size_t i = 0; i < VALUE_SIZE_BYTES; i++) {
        value[i] = (char)('A' + kh_rng_below(&rng, 26));
    }
    value[VALUE_SIZE_BYTES] = '\0';
    EXPECT(&c, "+OK\r\n", "SET", "big", value);
    snprintf(expected, VALUE_SIZE_BYTES + 64, "$%u\r\n%s\r\n", VALUE_SIZE_BYTES, value);
    const char *const get[] = {"GET", "big"};
    for (int i = 0; i < SLOW_READER_GETS; i++) {
        assert_int_equal(kh_rclient_send(&c, 2, get), 0);
    }
    kh_clock_sleep_ms(300); /* the server fills the socket and must hold the rest */
    for (int i = 0; i < SLOW_READER_GETS; i++) {
        expect_pushed(&c, expected, "one of 16 pipelined GETs of a 1 MiB value, read late");
    }
    kh_rclient_close(&c);
    free(value);
    free(expected);
    server_stop(&s);
}

/* Claim: a client that piles up more unread replies than --output-limit-bytes is dropped,
 * and the server goes on serving everyone else. */
static void
test_d_epoll_output_limit_drops_slow_reader(void **state)
{
    (void)state;
    output_limit_drops_slow_reader("epoll");
}

/* Claim: with --idle-timeout-ms 300 a silent client is closed, an active one is not. */
static void
test_d_epoll_idle_client_is_closed(void **state)
{
    (void)state;
    idle_client_is_closed("epoll");
}

/* Claim: the loop answers QUIT and then closes, runs nothing sent after QUIT, and answers a
 * protocol error after the replies before it, then closes: a closing client's reply is
 * flushed before its socket is. */
static void
test_d_epoll_quit_and_protocol_error_close_after_the_reply(void **state)
{
    (void)state;
    quit_and_protocol_error_close_after_the_reply("epoll");
}

/* Claim: the loop refuses a connection past --max-clients with Redis's error, gives a leaving
 * client's place back, and takes more clients once CONFIG SET maxclients raises the limit past
 * its start-up value. */
static void
test_d_epoll_max_clients_refused_then_freed(void **state)
{
    (void)state;
    max_clients_refused_then_freed("epoll");
}

/* Claim: on the event loop too, each connection has its own CLIENT ID, CLIENT LIST shows
 * every connection once, and CLIENT KILL (by id, and by addr:port) closes exactly the
 * connection it names. About 0.1 s. */
static void
test_d_epoll_client_ids_list_and_kill(void **state)
{
    (void)state;
    client_ids_list_and_kill("epoll");
}

/* Claim: the event loop holds 1,000 connections at once and answers each. */
static void
test_d_epoll_1000_connections(void **state)
{
    (void)state;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max < 1100 ? limit.rlim_max : 1100;
    setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < 1100) {
        fail_msg("the open-file limit (%llu) is below the 1,100 this test needs",
                 (unsigned long long)limit.rlim_cur);
    }
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient *clients = calloc(1000, sizeof(*clients));
    assert_non_null(clients);
    const char *const ping[] = {"PING"};
    for (size_t i = 0; i < 1000; i++) {
        client_connect(&clients[i], &s);
        assert_int_equal(kh_rclient_send(&clients[i], 1, ping), 0);
    }
    for (size_t i = 0; i < 1000; i++) {
        expect_pushed(&clients[i], "+PONG\r\n", "PING on one of 1,000 connections");
        kh_rclient_close(&clients[i]);
    }
    free(clients);
    server_stop(&s);
}

/* Claim: the loop's cron expires keys nobody reads, and GET never returns an expired one. */
static void
test_d_epoll_keys_expire(void **state)
{
    (void)state;
    keys_expire_by_cron("epoll");
}

/* Claim: seeded junk (mutated requests, absurd lengths, random bytes) never crashes the loop,
 * and a well-behaved client keeps its answers right throughout. (The bench runs 100,000.) */
static void
test_d_epoll_survives_malformed_requests(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient good;
    client_connect(&good, &s);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    static const char *const seeds[] = {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
                                        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
                                        "PING\r\n",
                                        "*1\r\n$999999999999\r\n",
                                        "*-5\r\n",
                                        "$3\r\nfoo\r\n"};
    for (int i = 0; i < 2000; i++) {
        char junk[128];
        const char *base = seeds[kh_rng_below(&rng, KH_ARRAY_LEN(seeds))];
        size_t size = strlen(base);
        memcpy(junk, base, size);
        for (int flips = (int)kh_rng_below(&rng, 4); flips >= 0; flips--) {
            junk[kh_rng_below(&rng, size)] = (char)kh_rng_below(&rng, 256);
        }
        size =
            kh_rng_below(&rng, 2) ? size : kh_rng_below(&rng, size + 1); /* sometimes truncated */
        struct kh_rclient fuzz;
        client_connect(&fuzz, &s);
        kh_net_write_all(fuzz.fd, junk, size);
        kh_rclient_close(&fuzz);
        if (i % 100 == 0) {
            char number[16];
            snprintf(number, sizeof(number), "%d", i);
            char expected[32];
            snprintf(expected, sizeof(expected), "$%zu\r\n%s\r\n", strlen(number), number);
            EXPECT(&good, "+OK\r\n", "SET", "good", number);
            EXPECT(&good, expected, "GET", "good");
        }
    }
    kh_rclient_close(&good);
    server_stop(&s);
}

/* The claim: the epoll server answers every request of the conformance table
 * (tests/redis7_replies.txt) as redis-server 7.0 does, byte for byte or within the table's
 * pattern: the store's commands, inline requests with quotes, and what only a server knows
 * (CLIENT with per-connection ids and names, HELLO, CONFIG GET and SET, INFO, TIME, RESET,
 * PUBSUB), closing the connection where Redis closes it. About 0.1 s. */
static void
test_d_epoll_answers_as_redis_7(void **state)
{
    (void)state;
    static struct table t;
    table_load(&t);
    struct test_server server;
    server_start(&server, "epoll", NULL);
    struct kh_rclient c;
    client_connect(&c, &server);
    static char got[REPLY_SIZE_MAX];
    for (size_t i = 0; i < t.step_count; i++) {
        const struct table_step *step = &t.steps[i];
        if (step->kind == TABLE_CLOSED) {
            expect_closed(&c, step->request);
            kh_rclient_close(&c);
            client_connect(&c, &server);
            continue;
        }
        if (step->kind == TABLE_RAW) {
            char line[1024];
            int size = snprintf(line, sizeof(line), "%s\r\n", step->request);
            assert_int_equal(kh_net_write_all(c.fd, line, (size_t)size), 0);
        } else {
            char words[1024];
            snprintf(words, sizeof(words), "%s", step->request);
            struct resp_arg argv[TABLE_ARGS_MAX];
            const char *argv_text[TABLE_ARGS_MAX];
            size_t argc = table_split(words, argv, TABLE_ARGS_MAX);
            for (size_t a = 0; a < argc; a++) {
                argv_text[a] = argv[a].bytes; /* each ends in the '\0' table_split wrote */
            }
            assert_int_equal(kh_rclient_send(&c, argc, argv_text), 0);
        }
        ssize_t size = kh_rclient_reply(&c, got, sizeof(got), REPLY_TIMEOUT_MS);
        if (size < 0) {
            fail_msg("tests/redis7_replies.txt line %zu: no reply to '%s' within %d ms", step->line,
                     step->request, REPLY_TIMEOUT_MS);
        }
        table_check(step, "on the epoll server", got, (size_t)size);
    }
    kh_rclient_close(&c);
    server_stop(&server);
    table_free(&t);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_epoll_many_clients_share_one_store),
        cmocka_unit_test(test_d_epoll_stalled_client_does_not_block_others),
        cmocka_unit_test(test_d_epoll_10000_pipelined_commands),
        cmocka_unit_test(test_d_epoll_slow_reader_gets_every_byte),
        cmocka_unit_test(test_d_epoll_output_limit_drops_slow_reader),
        cmocka_unit_test(test_d_epoll_idle_client_is_closed),
        cmocka_unit_test(test_d_epoll_1000_connections),
        cmocka_unit_test(test_d_epoll_keys_expire),
        cmocka_unit_test(test_d_epoll_survives_malformed_requests),
        cmocka_unit_test(test_d_epoll_quit_and_protocol_error_close_after_the_reply),
        cmocka_unit_test(test_d_epoll_max_clients_refused_then_freed),
        cmocka_unit_test(test_d_epoll_answers_as_redis_7),
        cmocka_unit_test(test_d_epoll_client_ids_list_and_kill),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
