/* test_d_epoll.c -- lab 01 part D: the epoll event loop, over loopback: many clients, stalled
 * clients, pipelining, partial writes to slow readers, output limits, idle timeouts, junk. */
#include "server_test.h"

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
    const char *const extra[] = {"--output-limit-bytes", "1048576", NULL};
    struct test_server s;
    server_start(&s, "epoll", extra);
    struct kh_rclient hog, other;
    client_connect(&hog, &s);
    client_connect(&other, &s);
    static char value[65536];
    memset(value, 'v', sizeof(value) - 1);
    EXPECT(&other, "+OK\r\n", "SET", "v64k", value);
    const char *const get[] = {"GET", "v64k"};
    /* 32 MiB of replies against a 1 MiB limit: more than loopback's socket buffers hold
     * (a few MiB), so the rest must queue in the server, where the limit applies. */
    for (int i = 0; i < 512; i++) {
        if (kh_rclient_send(&hog, 2, get) != 0) {
            break; /* the server may already have closed it */
        }
    }
    kh_clock_sleep_ms(300);
    /* Dropped means: the server closed the connection before all 16 MiB were sent. A server
     * without the limit keeps the connection open and sends everything, however slowly. */
    size_t received_bytes = 0;
    bool is_closed = false;
    char sink[65536];
    for (uint64_t deadline = kh_clock_now_ms() + 3000;
         kh_clock_now_ms() < deadline && !is_closed;) {
        struct pollfd pfd = {.fd = hog.fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        ssize_t n = recv(hog.fd, sink, sizeof(sink), 0);
        is_closed = n == 0 || (n < 0 && errno == ECONNRESET);
        received_bytes += n > 0 ? (size_t)n : 0;
    }
    if (!is_closed || received_bytes >= (size_t)512 * 65536) {
        fail_msg("a client with 32 MiB of unread replies was not dropped (%s after receiving %zu "
                 "bytes; --output-limit-bytes 1048576)",
                 is_closed ? "closed only" : "still open", received_bytes);
    }
    EXPECT(&other, "+PONG\r\n", "PING");
    kh_rclient_close(&hog);
    kh_rclient_close(&other);
    server_stop(&s);
}

/* Claim: with --idle-timeout-ms 300 a silent client is closed, an active one is not. */
static void
test_d_epoll_idle_client_is_closed(void **state)
{
    (void)state;
    const char *const extra[] = {"--idle-timeout-ms", "300", NULL};
    struct test_server s;
    server_start(&s, "epoll", extra);
    struct kh_rclient idle, busy;
    client_connect(&idle, &s);
    client_connect(&busy, &s);
    EXPECT(&idle, "+PONG\r\n", "PING");
    for (int i = 0; i < 10; i++) { /* 1 s of activity every 100 ms */
        EXPECT(&busy, "+PONG\r\n", "PING");
        kh_clock_sleep_ms(100);
    }
    if (!kh_rclient_is_closed(&idle, 1000)) {
        fail_msg("a client silent for over 1 s is still open (idle timeout 300 ms)");
    }
    EXPECT(&busy, "+PONG\r\n", "PING");
    kh_rclient_close(&idle);
    kh_rclient_close(&busy);
    server_stop(&s);
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
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient c;
    client_connect(&c, &s);
    EXPECT(&c, "+OK\r\n", "SET", "read-later", "v", "PX", "100");
    EXPECT(&c, "+OK\r\n", "SET", "never-read", "v", "PX", "100");
    EXPECT(&c, "+OK\r\n", "SET", "forever", "v");
    kh_clock_sleep_ms(600);
    EXPECT(&c, ":1\r\n", "DBSIZE");
    EXPECT(&c, "$-1\r\n", "GET", "read-later");
    kh_rclient_close(&c);
    server_stop(&s);
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
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
