/* server_scenarios.h -- server scenarios that more than one test file runs: lab 01's part C
 * runs them against its models, and lab 02's part F against the pool on its ring. Each starts
 * keel-server --model model [extra...], plays the scenario, calls before_stop (may be NULL)
 * while the server still runs, and stops it. */
#ifndef KEEL_SERVER_SCENARIOS_H
#define KEEL_SERVER_SCENARIOS_H

#include "server_test.h"

#define SCENARIO_CLIENTS_MANY 50
#define SCENARIO_INCRS_PER_CLIENT 500
#define SCENARIO_FULL_QUEUE_CLIENTS 64
#define SCENARIO_FULL_QUEUE_ROUNDS 5

typedef void (*scenario_check_cb)(struct test_server *s);

/* Many clients at once, each INCRing one shared counter: the total must be exact, so the
 * model must serialize the store (no lost update, no torn dict). Requests are interleaved
 * across connections: every client has one in flight at the same time. */
static TEST_UNUSED void
many_clients_share_one_store(const char *model, const char *const extra[],
                             scenario_check_cb before_stop)
{
    struct test_server s;
    server_start(&s, model, extra);
    static struct kh_rclient clients[SCENARIO_CLIENTS_MANY];
    for (size_t i = 0; i < SCENARIO_CLIENTS_MANY; i++) {
        client_connect(&clients[i], &s);
    }
    const char *const incr[] = {"INCR", "counter"};
    char reply[64];
    for (size_t round = 0; round < SCENARIO_INCRS_PER_CLIENT; round++) {
        for (size_t i = 0; i < SCENARIO_CLIENTS_MANY; i++) {
            assert_int_equal(kh_rclient_send(&clients[i], 2, incr), 0);
        }
        for (size_t i = 0; i < SCENARIO_CLIENTS_MANY; i++) {
            if (kh_rclient_reply(&clients[i], reply, sizeof(reply), REPLY_TIMEOUT_MS) <= 0 ||
                reply[0] != ':') {
                fail_msg("client %zu, INCR %zu: no integer reply (%s model)", i, round, model);
            }
        }
    }
    char number[16], expected[32];
    snprintf(number, sizeof(number), "%d", SCENARIO_CLIENTS_MANY * SCENARIO_INCRS_PER_CLIENT);
    snprintf(expected, sizeof(expected), "$%zu\r\n%s\r\n", strlen(number), number);
    EXPECT(&clients[0], expected, "GET", "counter");
    if (before_stop != NULL) {
        before_stop(&s);
    }
    for (size_t i = 0; i < SCENARIO_CLIENTS_MANY; i++) {
        kh_rclient_close(&clients[i]);
    }
    server_stop(&s);
}

/* A client that sent half a command and went quiet must not hold up the others. */
static TEST_UNUSED void
stalled_client_does_not_block_others(const char *model, const char *const extra[],
                                     scenario_check_cb before_stop)
{
    struct test_server s;
    server_start(&s, model, extra);
    struct kh_rclient stalled;
    client_connect(&stalled, &s);
    const char half[] = "*2\r\n$3\r\nGET\r\n$1\r\n"; /* the key never comes (yet) */
    assert_int_equal(kh_net_write_all(stalled.fd, half, sizeof(half) - 1), 0);
    kh_clock_sleep_ms(50);
    struct kh_rclient others[8]; /* more than the pool has workers */
    for (size_t i = 0; i < KH_ARRAY_LEN(others); i++) {
        client_connect(&others[i], &s);
        EXPECT(&others[i], "+PONG\r\n", "PING");
    }
    assert_int_equal(kh_net_write_all(stalled.fd, "k\r\n", 3), 0);
    expect_pushed(&stalled, "$-1\r\n", "the stalled client's GET k, once completed");
    if (before_stop != NULL) {
        before_stop(&s);
    }
    for (size_t i = 0; i < KH_ARRAY_LEN(others); i++) {
        kh_rclient_close(&others[i]);
    }
    kh_rclient_close(&stalled);
    server_stop(&s);
}

/* Many clients that all send at once to a server whose queue is tiny: every one still gets
 * its reply, round after round. A full queue slows the dispatcher down, it never deadlocks
 * it. */
static TEST_UNUSED void
full_queue_does_not_deadlock(const char *model, const char *const extra[],
                             scenario_check_cb before_stop)
{
    struct test_server s;
    server_start(&s, model, extra);
    static struct kh_rclient clients[SCENARIO_FULL_QUEUE_CLIENTS];
    const char *const ping[] = {"PING"};
    for (size_t round = 0; round < SCENARIO_FULL_QUEUE_ROUNDS; round++) {
        for (size_t i = 0; i < SCENARIO_FULL_QUEUE_CLIENTS; i++) {
            if (round == 0) {
                client_connect(&clients[i], &s);
            }
            assert_int_equal(kh_rclient_send(&clients[i], 1, ping), 0);
        }
        for (size_t i = 0; i < SCENARIO_FULL_QUEUE_CLIENTS; i++) {
            expect_pushed(&clients[i], "+PONG\r\n", "PING through a server with a full queue");
        }
    }
    if (before_stop != NULL) {
        before_stop(&s);
    }
    for (size_t i = 0; i < SCENARIO_FULL_QUEUE_CLIENTS; i++) {
        kh_rclient_close(&clients[i]);
    }
    server_stop(&s);
}

#endif
