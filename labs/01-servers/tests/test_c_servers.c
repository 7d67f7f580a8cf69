/* test_c_servers.c -- lab 01 part C: the sequential, thread-per-connection and thread-pool
 * servers, over loopback, through keel-server built from your sources. */
#include "server.h"
#include "server_scenarios.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPELINED_COMMANDS 10000
#define BIG_VALUE_SIZE_BYTES (1u << 20) /* 1 MiB */

/* Claim: 50 thread-per-connection clients INCR one counter 10,000 times in all, exactly. */
static void
test_c_threads_many_clients_share_one_store(void **state)
{
    (void)state;
    many_clients_share_one_store("threads", NULL, NULL);
}

/* Claim: the same through a pool of two workers. */
static void
test_c_pool_many_clients_share_one_store(void **state)
{
    (void)state;
    const char *const extra[] = {"--threads", "2", NULL};
    many_clients_share_one_store("pool", extra, NULL);
}

/* Claim: the sequential server serves the next client once the first one quits. */
static void
test_c_sequential_serves_clients_in_turn(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "sequential", NULL);
    struct kh_rclient first, second;
    client_connect(&first, &s);
    EXPECT(&first, "+OK\r\n", "SET", "k", "v");
    client_connect(&second, &s); /* waits in the backlog while first is served */
    const char *const get[] = {"GET", "k"};
    assert_int_equal(kh_rclient_send(&second, 2, get), 0);
    EXPECT(&first, "+OK\r\n", "QUIT");
    expect_pushed(&second, "$1\r\nv\r\n", "GET k (sent while the first client was served)");
    kh_rclient_close(&first);
    kh_rclient_close(&second);
    server_stop(&s);
}

/* Claim: a pool of two workers serves eight clients while a ninth sits on half a command. */
static void
test_c_pool_stalled_client_does_not_block_others(void **state)
{
    (void)state;
    const char *const extra[] = {"--threads", "2", NULL};
    stalled_client_does_not_block_others("pool", extra, NULL);
}

/* Claim: with one worker and a queue of one, 64 clients that all send at once still all get
 * their reply: a full queue slows the dispatcher down, it never deadlocks it. */
static void
test_c_pool_full_queue_does_not_deadlock(void **state)
{
    (void)state;
    const char *const extra[] = {"--threads", "1", "--queue", "1", NULL};
    full_queue_does_not_deadlock("pool", extra, NULL);
}

/* 10,000 commands in one write: every reply comes back, in order. */
static void
pipelined_commands(const char *model)
{
    struct test_server s;
    server_start(&s, model, NULL);
    struct kh_rclient c;
    client_connect(&c, &s);
    static const char incr[] = "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
    size_t size = (sizeof(incr) - 1) * PIPELINED_COMMANDS;
    char *batch = malloc(size);
    assert_non_null(batch);
    for (size_t i = 0; i < PIPELINED_COMMANDS; i++) {
        memcpy(batch + i * (sizeof(incr) - 1), incr, sizeof(incr) - 1);
    }
    assert_int_equal(kh_net_write_all(c.fd, batch, size), 0);
    free(batch);
    char reply[32] = "", expected[32];
    for (size_t i = 1; i <= PIPELINED_COMMANDS; i++) {
        snprintf(expected, sizeof(expected), ":%zu\r\n", i);
        if (kh_rclient_reply(&c, reply, sizeof(reply), REPLY_TIMEOUT_MS) < 0 ||
            strcmp(reply, expected) != 0) {
            fail_msg("pipelined INCR %zu of %d: expected %s, got %s (%s model)", i,
                     PIPELINED_COMMANDS, expected, reply, model);
        }
    }
    kh_rclient_close(&c);
    server_stop(&s);
}

/* Claim: thread-per-connection answers 10,000 pipelined INCRs from one write, in order. */
static void
test_c_threads_pipelined_10000_commands(void **state)
{
    (void)state;
    pipelined_commands("threads");
}

/* Claim: so does the pool. */
static void
test_c_pool_pipelined_10000_commands(void **state)
{
    (void)state;
    pipelined_commands("pool");
}

/* 1 MiB values go in and out whole; clients that leave mid-request or mid-reply do no harm. */
static void
large_values_and_disconnects(const char *model)
{
    struct test_server s;
    server_start(&s, model, NULL);
    char *value = malloc(BIG_VALUE_SIZE_BYTES + 1);
    char *expected = malloc(BIG_VALUE_SIZE_BYTES + 64);
    assert_non_null(value);
    assert_non_null(expected);
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    for (size_t i = 0; i < BIG_VALUE_SIZE_BYTES; i++) {
        value[i] = (char)('a' + kh_rng_below(&rng, 26));
    }
    value[BIG_VALUE_SIZE_BYTES] = '\0';
    snprintf(expected, BIG_VALUE_SIZE_BYTES + 64, "$%u\r\n%s\r\n", BIG_VALUE_SIZE_BYTES, value);
    struct kh_rclient c, quitter;
    client_connect(&c, &s);
    EXPECT(&c, "+OK\r\n", "SET", "big", value);
    EXPECT(&c, expected, "GET", "big");
    client_connect(&quitter, &s); /* leaves in the middle of a request */
    const char partial[] = "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$100\r\nonly-some";
    assert_int_equal(kh_net_write_all(quitter.fd, partial, sizeof(partial) - 1), 0);
    kh_rclient_close(&quitter);
    client_connect(&quitter, &s); /* leaves before reading its 1 MiB reply */
    const char *const get[] = {"GET", "big"};
    assert_int_equal(kh_rclient_send(&quitter, 2, get), 0);
    kh_rclient_close(&quitter);
    kh_clock_sleep_ms(50);
    EXPECT(&c, "$-1\r\n", "GET", "x");
    EXPECT(&c, expected, "GET", "big");
    kh_rclient_close(&c);
    free(value);
    free(expected);
    server_stop(&s);
}

/* Claim: thread-per-connection moves 1 MiB values whole and survives clients that vanish. */
static void
test_c_threads_large_values_and_disconnects(void **state)
{
    (void)state;
    large_values_and_disconnects("threads");
}

/* Claim: so does the pool. */
static void
test_c_pool_large_values_and_disconnects(void **state)
{
    (void)state;
    large_values_and_disconnects("pool");
}

/* Opens `count` connections at once and has each PING; the server must answer them all. */
static void
many_connections(const char *model, size_t count)
{
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < count + 64) {
        limit.rlim_cur = limit.rlim_max < count + 64 ? limit.rlim_max : count + 64;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur < count + 64) {
        fail_msg("the open-file limit (%llu) is below the %zu connections this test needs",
                 (unsigned long long)limit.rlim_cur, count);
    }
    struct test_server s;
    server_start(&s, model, NULL);
    struct kh_rclient *clients = calloc(count, sizeof(*clients));
    assert_non_null(clients);
    const char *const ping[] = {"PING"};
    for (size_t i = 0; i < count; i++) {
        client_connect(&clients[i], &s);
        assert_int_equal(kh_rclient_send(&clients[i], 1, ping), 0);
    }
    for (size_t i = 0; i < count; i++) {
        expect_pushed(&clients[i], "+PONG\r\n", "PING on one of many connections");
    }
    for (size_t i = 0; i < count; i++) {
        kh_rclient_close(&clients[i]);
    }
    free(clients);
    server_stop(&s);
}

/* Claim: thread-per-connection holds 1,000 connections at once (1,000 threads). */
static void
test_c_threads_1000_connections(void **state)
{
    (void)state;
    many_connections("threads", 1000);
}

/* Claim: a key set with PX expires: GET misses it, and the cron deletes one nobody reads. */
static void
test_c_threads_keys_expire(void **state)
{
    (void)state;
    keys_expire_by_cron("threads");
}

/* Claim: the pool's dispatcher runs the cron too: the same expiry through the pool. */
static void
test_c_pool_keys_expire(void **state)
{
    (void)state;
    keys_expire_by_cron("pool");
}

/* Claim: and so does the sequential server, while it serves its one client. */
static void
test_c_sequential_keys_expire(void **state)
{
    (void)state;
    keys_expire_by_cron("sequential");
}

/* Claim: on every blocking model QUIT is answered, then the connection closes and nothing sent
 * after QUIT runs; a protocol error is answered after the replies before it, then closes. */
static void
test_c_quit_and_protocol_error_close_on_every_blocking_model(void **state)
{
    (void)state;
    quit_and_protocol_error_close_after_the_reply("sequential");
    quit_and_protocol_error_close_after_the_reply("threads");
    quit_and_protocol_error_close_after_the_reply("pool");
}

/* Claim: thread-per-connection refuses a connection past --max-clients with Redis's error and
 * gives a leaving client's place back. */
static void
test_c_threads_max_clients_refused_then_freed(void **state)
{
    (void)state;
    max_clients_refused_then_freed("threads");
}

/* Claim: so does the pool. */
static void
test_c_pool_max_clients_refused_then_freed(void **state)
{
    (void)state;
    max_clients_refused_then_freed("pool");
}

/* Claim: on thread-per-connection and the pool, each connection has its own CLIENT ID, CLIENT
 * LIST shows every connection once, and CLIENT KILL (by id, and by addr:port) closes exactly
 * the connection it names. About 0.1 s a model. */
static void
test_c_client_ids_list_and_kill_on_threads_and_pool(void **state)
{
    (void)state;
    client_ids_list_and_kill("threads");
    client_ids_list_and_kill("pool");
}

/* Claim: thread-per-connection and the pool drop a client whose unread replies pass
 * --output-limit-bytes, as the event loop does: the limit is every model's. */
static void
test_c_output_limit_drops_slow_reader_on_threads_and_pool(void **state)
{
    (void)state;
    output_limit_drops_slow_reader("threads");
    output_limit_drops_slow_reader("pool");
}

/* Claim: with --idle-timeout-ms 300 a thread-per-connection client silent for 1 s is closed,
 * an active one is not. */
static void
test_c_threads_idle_client_is_closed(void **state)
{
    (void)state;
    idle_client_is_closed("threads");
}

/* Claim: redis-cli, a real client, runs a script against the server and prints what it
 * prints against Redis 7 (checked against redis-server once, by hand). */
static void
test_c_threads_redis_cli_script(void **state)
{
    (void)state;
    if (access("/usr/bin/redis-cli", X_OK) != 0) {
        fail_msg("redis-cli is not installed; `make deps` installs it (package redis-tools)");
    }
    struct test_server s;
    server_start(&s, "threads", NULL);
    char script_path[] = "/tmp/keel-redis-cli-XXXXXX";
    int fd = mkstemp(script_path);
    assert_true(fd >= 0);
    static const char script[] = "SET greeting hello\nGET greeting\nINCR visits\nINCR visits\n"
                                 "MSET a 1 b 2\nMGET a b nosuch\nDEL greeting\nGET greeting\n"
                                 "EXPIRE a 100\nTTL a\nPING\n";
    assert_int_equal(write(fd, script, sizeof(script) - 1), (ssize_t)(sizeof(script) - 1));
    close(fd);
    char command[256];
    snprintf(command, sizeof(command), "timeout 10 redis-cli -p %u < %s 2>&1", s.port, script_path);
    FILE *out = popen(command, "r");
    assert_non_null(out);
    char got[1024];
    size_t size = fread(got, 1, sizeof(got) - 1, out);
    pclose(out);
    unlink(script_path);
    static const char expected[] = "OK\nhello\n1\n2\nOK\n1\n2\n\n1\n\n1\n100\nPONG\n";
    kh_assert_bytes_equal(script, sizeof(script) - 1, expected, sizeof(expected) - 1, got, size);
    server_stop(&s);
}

/* A storage backend of the test's own (store.h): it counts the requests the server hands it
 * and executes them as cmd_execute would. */
struct store_backend {
    size_t executed_count;
};

static cmd_status
counting_execute(struct store_backend *backend, struct store *store, const struct resp_request *req,
                 uint64_t now_ms, struct resp_buf *out)
{
    backend->executed_count++;
    return cmd_execute(store, req, now_ms, out);
}

/* Claim: with a storage backend plugged in (as lab 03's bitcask and lab 04's raft are), every
 * store command a client sends goes through it: client_execute calls server_execute, not
 * cmd_execute, so a later lab's durability cannot be skipped. */
static void
test_c_store_commands_go_through_the_storage_backend(void **state)
{
    (void)state;
    static const struct store_backend_ops counting_ops = {
        .name = "counting", .usage = "counting", .execute_cb = counting_execute};
    struct store_backend backend = {0};
    struct server_config config;
    server_config_default(&config, SERVER_SEQUENTIAL);
    config.backend_ops = &counting_ops;
    config.backend = &backend;
    struct store *store = store_create(kh_test_seed());
    assert_non_null(store);
    struct server server;
    assert_int_equal(server_open(&server, &config, store), 0);
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    struct client c;
    assert_int_equal(client_init(&c, &server, fds[0]), 0);
    static const char requests[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
                                   "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n";
    assert_int_equal(client_feed(&c, requests, sizeof(requests) - 1, 1000), 0);
    static const char replies[] = "+OK\r\n$1\r\nv\r\n+PONG\r\n";
    kh_assert_bytes_equal(requests, sizeof(requests) - 1, replies, sizeof(replies) - 1,
                          c.out.data + c.out_sent_bytes, c.out.size_bytes - c.out_sent_bytes);
    if (backend.executed_count != 3) {
        fail_msg("the backend executed %zu of the 3 requests: client_execute must hand every "
                 "store command to server_execute",
                 backend.executed_count);
    }
    client_free(&c);
    close(fds[1]);
    server_close(&server);
    store_destroy(store);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_sequential_serves_clients_in_turn),
        cmocka_unit_test(test_c_threads_many_clients_share_one_store),
        cmocka_unit_test(test_c_pool_many_clients_share_one_store),
        cmocka_unit_test(test_c_pool_stalled_client_does_not_block_others),
        cmocka_unit_test(test_c_pool_full_queue_does_not_deadlock),
        cmocka_unit_test(test_c_threads_pipelined_10000_commands),
        cmocka_unit_test(test_c_pool_pipelined_10000_commands),
        cmocka_unit_test(test_c_threads_large_values_and_disconnects),
        cmocka_unit_test(test_c_pool_large_values_and_disconnects),
        cmocka_unit_test(test_c_threads_1000_connections),
        cmocka_unit_test(test_c_threads_keys_expire),
        cmocka_unit_test(test_c_threads_redis_cli_script),
        cmocka_unit_test(test_c_store_commands_go_through_the_storage_backend),
        cmocka_unit_test(test_c_pool_keys_expire),
        cmocka_unit_test(test_c_sequential_keys_expire),
        cmocka_unit_test(test_c_quit_and_protocol_error_close_on_every_blocking_model),
        cmocka_unit_test(test_c_threads_max_clients_refused_then_freed),
        cmocka_unit_test(test_c_pool_max_clients_refused_then_freed),
        cmocka_unit_test(test_c_output_limit_drops_slow_reader_on_threads_and_pool),
        cmocka_unit_test(test_c_threads_idle_client_is_closed),
        cmocka_unit_test(test_c_client_ids_list_and_kill_on_threads_and_pool),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
