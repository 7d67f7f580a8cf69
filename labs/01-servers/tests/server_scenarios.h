/* server_scenarios.h -- server scenarios that more than one test file runs: lab 01's part C
 * runs them against its models, and lab 02's part F against the pool on its ring. Each starts
 * keel-server --model model [extra...], plays the scenario, calls before_stop (may be NULL)
 * while the server still runs, and stops it. */
#ifndef KEEL_SERVER_SCENARIOS_H
#define KEEL_SERVER_SCENARIOS_H

#include "server_test.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define SCENARIO_CLIENTS_MANY 50
#define SCENARIO_INCRS_PER_CLIENT 500
#define SCENARIO_FULL_QUEUE_CLIENTS 64
#define SCENARIO_FULL_QUEUE_ROUNDS 5
#define SCENARIO_RETRY_MS 2000 /* how long a scenario waits for the server to notice a close */

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

/* ---- Features claimed for several models: each test runs one model -----------------------
 * These start keel-server --model model with the flags the feature needs. */

/* QUIT is answered +OK, then the connection closes, and a request after it in the same write
 * never runs; a protocol error is answered once, after the replies to the requests before it,
 * with Redis's message, and then the connection closes (server.h, client_feed; README part A). */
static TEST_UNUSED void
quit_and_protocol_error_close_after_the_reply(const char *model)
{
    struct test_server s;
    server_start(&s, model, NULL);
    char what[128];
    struct kh_rclient c;
    client_connect(&c, &s);
    static const char quit_then_set[] =
        "*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\nv\r\n";
    assert_int_equal(kh_net_write_all(c.fd, quit_then_set, sizeof(quit_then_set) - 1), 0);
    snprintf(what, sizeof(what), "QUIT, then SET q v in the same write (%s model)", model);
    expect_pushed(&c, "+OK\r\n", what);
    expect_closed(&c, what);
    kh_rclient_close(&c);
    client_connect(&c, &s);
    static const char bad[] = "PING\r\n*1\r\n$x\r\nPING\r\n";
    assert_int_equal(kh_net_write_all(c.fd, bad, sizeof(bad) - 1), 0);
    snprintf(what, sizeof(what), "PING, *1 $x, PING in one write (%s model)", model);
    expect_pushed(&c, "+PONG\r\n", what);
    expect_pushed(&c, "-ERR Protocol error: invalid bulk length\r\n", what);
    expect_closed(&c, what);
    kh_rclient_close(&c);
    client_connect(&c, &s);
    EXPECT(&c, "$-1\r\n", "GET", "q"); /* the SET after QUIT never ran */
    kh_rclient_close(&c);
    server_stop(&s);
}

/* Connects c and has it PING, retrying for up to SCENARIO_RETRY_MS while the server refuses
 * it (--max-clients: a connection it has not yet seen close, such as server_start's probe of
 * the port, still holds a place). Fails with why when the server never serves it. */
static TEST_UNUSED void
connect_once_served(struct test_server *s, struct kh_rclient *c, const char *why)
{
    const char *const ping[] = {"PING"};
    char reply[64] = "";
    for (uint64_t deadline = kh_clock_now_ms() + SCENARIO_RETRY_MS;;) {
        client_connect(c, s);
        if (kh_rclient_send(c, 1, ping) != 0 ||
            kh_rclient_reply(c, reply, sizeof(reply), REPLY_TIMEOUT_MS) < 0) {
            reply[0] = '\0';
        }
        if (strcmp(reply, "+PONG\r\n") == 0) {
            return;
        }
        kh_rclient_close(c);
        if (kh_clock_now_ms() >= deadline) {
            break;
        }
        kh_clock_sleep_ms(20);
    }
    fail_msg("%s: for %d ms the %s server did not serve a new connection (last reply \"%.40s\")",
             why, SCENARIO_RETRY_MS, s->model, reply);
}

/* With --max-clients 2 a third connection gets Redis's error and is closed, once a client
 * leaves its place is given back, and CONFIG SET maxclients 4 lets two more in: the model
 * accepts through server_accept, frees every client it closes with client_free, which keeps
 * the count, and sizes nothing by the start-up limit (server.h). */
static TEST_UNUSED void
max_clients_refused_then_freed(const char *model)
{
    const char *const extra[] = {"--max-clients", "2", NULL};
    struct test_server s;
    server_start(&s, model, extra);
    struct kh_rclient a, b, refused, next;
    connect_once_served(&s, &a, "the first of two clients, --max-clients 2");
    connect_once_served(&s, &b, "the second of two clients, --max-clients 2");
    char what[128];
    snprintf(what, sizeof(what), "a third connection to the %s server with --max-clients 2", model);
    client_connect(&refused, &s);
    expect_pushed(&refused, "-ERR max number of clients reached\r\n", what);
    expect_closed(&refused, what);
    kh_rclient_close(&refused);
    kh_rclient_close(&a);
    connect_once_served(&s, &next,
                        "one of two clients left (--max-clients 2), and every closed client must "
                        "go through client_free, which gives its place back");
    EXPECT(&b, "+PONG\r\n", "PING");
    /* CONFIG SET maxclients raises the limit at run time, as in Redis 7: past the start-up value,
     * so a model that sized anything by config.clients_max (an assertion, an array) breaks. */
    EXPECT(&b, "+OK\r\n", "CONFIG", "SET", "maxclients", "4");
    struct kh_rclient third, fourth, fifth;
    connect_once_served(&s, &third, "a third client after CONFIG SET maxclients 4 (started at 2)");
    connect_once_served(&s, &fourth, "a fourth client after CONFIG SET maxclients 4");
    client_connect(&fifth, &s);
    expect_pushed(&fifth, "-ERR max number of clients reached\r\n",
                  "a fifth connection after CONFIG SET maxclients 4");
    expect_closed(&fifth, "a fifth connection after CONFIG SET maxclients 4");
    kh_rclient_close(&fifth);
    EXPECT(&b, "+PONG\r\n", "PING");
    kh_rclient_close(&fourth);
    kh_rclient_close(&third);
    kh_rclient_close(&next);
    kh_rclient_close(&b);
    server_stop(&s);
}

/* Sends argv to c and returns its reply, NUL-terminated, in a static buffer (valid until the
 * next call); fails the test on no reply. */
static TEST_UNUSED const char *
reply_text_of(struct kh_rclient *c, size_t argc, const char *const argv[], ssize_t *size)
{
    static char got[REPLY_SIZE_MAX];
    assert_int_equal(kh_rclient_send(c, argc, argv), 0);
    *size = kh_rclient_reply(c, got, sizeof(got), REPLY_TIMEOUT_MS);
    if (*size < 0) {
        fail_msg("no reply to %s %s within %d ms", argv[0], argc > 1 ? argv[1] : "",
                 REPLY_TIMEOUT_MS);
    }
    return got;
}

/* CLIENT ID of c, parsed from ":N\r\n". */
static TEST_UNUSED unsigned long long
client_id_of(struct kh_rclient *c, const char *model)
{
    const char *const argv[] = {"CLIENT", "ID"};
    ssize_t size;
    const char *got = reply_text_of(c, 2, argv, &size);
    unsigned long long id = 0;
    if (sscanf(got, ":%llu\r\n", &id) != 1 || id == 0) {
        fail_msg("CLIENT ID on the %s server: want :N with N > 0, got %.40s", model, got);
    }
    return id;
}

/* How many lines of c's CLIENT LIST there are, and whether one has "id=ID ". */
static TEST_UNUSED size_t
client_list_lines(struct kh_rclient *c, unsigned long long id, bool *has_id)
{
    const char *const argv[] = {"CLIENT", "LIST"};
    ssize_t size;
    const char *got = reply_text_of(c, 2, argv, &size);
    char wanted[48];
    snprintf(wanted, sizeof(wanted), "id=%llu ", id);
    size_t lines = 0;
    *has_id = false;
    const char *line = strstr(got, "\r\n"); /* after "$size": the text's first line */
    assert_non_null(line);
    line += 2;
    for (const char *end = strchr(line, '\n'); end != NULL && *line != '\r';
         line = end + 1, end = strchr(line, '\n')) {
        *has_id |= strncmp(line, wanted, strlen(wanted)) == 0;
        lines++;
    }
    return lines;
}

/* Waits up to 2 s for c's CLIENT LIST to show want lines (a killed client is freed by its own
 * thread or loop turn, a moment after the kill's reply). */
static TEST_UNUSED void
expect_client_list_lines(struct kh_rclient *c, size_t want, const char *model, const char *when)
{
    size_t lines = 0;
    for (int tries = 0; tries <= 200; tries++) {
        bool ignored;
        lines = client_list_lines(c, 0, &ignored);
        if (lines == want) {
            return;
        }
        usleep(10 * 1000);
    }
    fail_msg("CLIENT LIST on the %s server %s: %zu lines after 2 s, want %zu", model, when, lines,
             want);
}

/* Three connections get three different ids, which CLIENT LIST shows, one line each, and
 * CLIENT LIST ID picks out; CLIENT KILL ID and CLIENT KILL addr:port really close the named
 * connection (its socket reads EOF) and leave the others served. */
static TEST_UNUSED void
client_ids_list_and_kill(const char *model)
{
    struct test_server s;
    server_start(&s, model, NULL);
    struct kh_rclient a, b, c;
    client_connect(&a, &s);
    client_connect(&b, &s);
    client_connect(&c, &s);
    unsigned long long ids[3];
    ids[0] = client_id_of(&a, model);
    ids[1] = client_id_of(&b, model);
    ids[2] = client_id_of(&c, model);
    if (ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2]) {
        fail_msg("CLIENT ID on the %s server: three connections got %llu, %llu, %llu; each must "
                 "have its own",
                 model, ids[0], ids[1], ids[2]);
    }
    /* server_start's own probe connection may still be on the list for a moment. */
    expect_client_list_lines(&a, 3, model, "with three clients connected");
    for (int i = 0; i < 3; i++) {
        bool has_id;
        size_t lines = client_list_lines(&a, ids[i], &has_id);
        if (lines != 3 || !has_id) {
            fail_msg("CLIENT LIST on the %s server: %zu lines, want 3, and id=%llu %s", model,
                     lines, ids[i], has_id ? "is there" : "is missing");
        }
    }
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%llu", ids[1]);
    EXPECT(&b, "+OK\r\n", "CLIENT", "SETNAME", "bee");
    const char *const list_b[] = {"CLIENT", "LIST", "ID", id_text};
    ssize_t size;
    const char *got = reply_text_of(&a, 4, list_b, &size);
    char wanted[48];
    snprintf(wanted, sizeof(wanted), "id=%llu ", ids[1]);
    size_t newlines = 0; /* "$size\r\n", one line's '\n', the bulk's "\r\n" */
    for (const char *n = strchr(got, '\n'); n != NULL; n = strchr(n + 1, '\n')) {
        newlines++;
    }
    if (strstr(got, wanted) == NULL || strstr(got, " name=bee ") == NULL || newlines != 3) {
        fail_msg("CLIENT LIST ID %s on the %s server: want b's one line, named bee; got %.200s",
                 id_text, model, got);
    }
    EXPECT(&a, ":1\r\n", "CLIENT", "KILL", "ID", id_text);
    expect_closed(&b, "the connection CLIENT KILL ID named");
    kh_rclient_close(&b);
    expect_client_list_lines(&a, 2, model, "after CLIENT KILL ID");
    /* The old form, CLIENT KILL addr:port, with c's address as CLIENT INFO gives it. */
    const char *const info[] = {"CLIENT", "INFO"};
    got = reply_text_of(&c, 2, info, &size);
    const char *addr = strstr(got, " addr=");
    assert_non_null(addr);
    char addr_text[64];
    assert_int_equal(sscanf(addr, " addr=%63s", addr_text), 1);
    EXPECT(&a, "+OK\r\n", "CLIENT", "KILL", addr_text);
    expect_closed(&c, "the connection CLIENT KILL addr:port named");
    kh_rclient_close(&c);
    expect_client_list_lines(&a, 1, model, "after CLIENT KILL addr:port");
    EXPECT(&a, "+PONG\r\n", "PING");
    kh_rclient_close(&a);
    server_stop(&s);
}

/* A client that piles up more unread replies than --output-limit-bytes is dropped, and the
 * server goes on serving everyone else (server.h: output_size_bytes_max). */
static TEST_UNUSED void
output_limit_drops_slow_reader(const char *model)
{
    const char *const extra[] = {"--output-limit-bytes", "1048576", NULL};
    struct test_server s;
    server_start(&s, model, extra);
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
    /* Dropped means: the server closed the connection before all 32 MiB were sent. A server
     * without the limit keeps the connection open and sends everything, however slowly. */
    size_t received_bytes = 0;
    bool is_closed = false;
    static char sink[65536];
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
        fail_msg("a client with 32 MiB of unread replies was not dropped by the %s server (%s "
                 "after receiving %zu bytes; --output-limit-bytes 1048576)",
                 model, is_closed ? "closed only" : "still open", received_bytes);
    }
    EXPECT(&other, "+PONG\r\n", "PING");
    kh_rclient_close(&hog);
    kh_rclient_close(&other);
    server_stop(&s);
}

/* With --idle-timeout-ms 300 a silent client is closed and an active one is not. */
static TEST_UNUSED void
idle_client_is_closed(const char *model)
{
    const char *const extra[] = {"--idle-timeout-ms", "300", NULL};
    struct test_server s;
    server_start(&s, model, extra);
    struct kh_rclient idle, busy;
    client_connect(&idle, &s);
    client_connect(&busy, &s);
    EXPECT(&idle, "+PONG\r\n", "PING");
    for (int i = 0; i < 10; i++) { /* 1 s of activity every 100 ms */
        EXPECT(&busy, "+PONG\r\n", "PING");
        kh_clock_sleep_ms(100);
    }
    if (!kh_rclient_is_closed(&idle, 1000)) {
        fail_msg("a client silent for over 1 s is still open (%s model, idle timeout 300 ms)",
                 model);
    }
    EXPECT(&busy, "+PONG\r\n", "PING");
    kh_rclient_close(&idle);
    kh_rclient_close(&busy);
    server_stop(&s);
}

/* Keys set with PX expire: the model's cron (server_cron every 100 ms) deletes one nobody
 * reads, GET never returns one, and a key without a TTL stays. */
static TEST_UNUSED void
keys_expire_by_cron(const char *model)
{
    struct test_server s;
    server_start(&s, model, NULL);
    struct kh_rclient c;
    client_connect(&c, &s);
    /* 300 ms, so that a busy machine taking its time between SET and DBSIZE does not expire
     * them first. */
    EXPECT(&c, "+OK\r\n", "SET", "read-later", "v", "PX", "300");
    EXPECT(&c, "+OK\r\n", "SET", "never-read", "v", "PX", "300");
    EXPECT(&c, "+OK\r\n", "SET", "forever", "v");
    EXPECT(&c, ":3\r\n", "DBSIZE");
    kh_clock_sleep_ms(900);         /* past the TTL, and several 100 ms cron ticks */
    EXPECT(&c, ":1\r\n", "DBSIZE"); /* a model without the cron still counts 3 */
    EXPECT(&c, "$-1\r\n", "GET", "read-later");
    kh_rclient_close(&c);
    server_stop(&s);
}

#endif
