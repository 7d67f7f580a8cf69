/* test_e_pubsub.c -- lab 01 part E: pub/sub through the epoll server (fan-out, patterns,
 * dropping closed subscribers, subscribed-mode rules), through the threaded models (a published
 * message wakes a silent subscriber), and the glob matcher on its own. */
#include "pubsub.h"
#include "server_test.h"

#define SUBSCRIBERS 100

/* Claim: one PUBLISH reaches all 100 subscribers of a channel, and says it did. */
static void
test_e_fanout_to_100_subscribers(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    static struct kh_rclient subscribers[SUBSCRIBERS];
    for (size_t i = 0; i < SUBSCRIBERS; i++) {
        client_connect(&subscribers[i], &s);
        EXPECT(&subscribers[i], "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", "SUBSCRIBE",
               "news");
    }
    struct kh_rclient publisher;
    client_connect(&publisher, &s);
    EXPECT(&publisher, ":100\r\n", "PUBLISH", "news", "hello");
    EXPECT(&publisher, ":0\r\n", "PUBLISH", "other", "nobody hears this");
    for (size_t i = 0; i < SUBSCRIBERS; i++) {
        expect_pushed(&subscribers[i], "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
                      "the published message");
        kh_rclient_close(&subscribers[i]);
    }
    kh_rclient_close(&publisher);
    server_stop(&s);
}

/* Claim: PSUBSCRIBE news.* gets a pmessage for news.tech, nothing for sports.tech, and a
 * client with both a channel and a matching pattern gets the message twice. */
static void
test_e_pattern_subscriptions(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient sub, publisher;
    client_connect(&sub, &s);
    client_connect(&publisher, &s);
    EXPECT(&sub, "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n", "PSUBSCRIBE", "news.*");
    EXPECT(&publisher, ":0\r\n", "PUBLISH", "sports.tech", "x");
    EXPECT(&publisher, ":1\r\n", "PUBLISH", "news.tech", "y");
    expect_pushed(&sub, "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n$1\r\ny\r\n",
                  "the pmessage for news.tech");
    EXPECT(&sub, "*3\r\n$9\r\nsubscribe\r\n$9\r\nnews.tech\r\n:2\r\n", "SUBSCRIBE", "news.tech");
    EXPECT(&publisher, ":2\r\n", "PUBLISH", "news.tech", "z");
    expect_pushed(&sub, "*3\r\n$7\r\nmessage\r\n$9\r\nnews.tech\r\n$1\r\nz\r\n", "the message");
    expect_pushed(&sub, "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n$1\r\nz\r\n",
                  "the pmessage");
    kh_rclient_close(&sub);
    kh_rclient_close(&publisher);
    server_stop(&s);
}

/* Claim: a subscriber that disconnects is dropped from every channel and pattern: the next
 * PUBLISH counts nobody, and nothing is written to a dead client (ASan would see it). */
static void
test_e_closed_subscriber_is_dropped(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient sub, publisher;
    client_connect(&sub, &s);
    client_connect(&publisher, &s);
    EXPECT(&sub, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", "SUBSCRIBE", "a");
    EXPECT(&sub, "*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:2\r\n", "PSUBSCRIBE", "a*");
    kh_rclient_close(&sub);
    kh_clock_sleep_ms(100);
    for (int i = 0; i < 3; i++) {
        EXPECT(&publisher, ":0\r\n", "PUBLISH", "a", "anyone?");
    }
    kh_rclient_close(&publisher);
    server_stop(&s);
}

/* Claim: a subscribed client may only (un)subscribe, PING and QUIT, with Redis's replies. */
static void
test_e_subscribed_mode_rules(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient c;
    client_connect(&c, &s);
    EXPECT(&c, "*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n", "SUBSCRIBE", "x", "y");
    expect_pushed(&c, "*3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:2\r\n", "SUBSCRIBE's second reply");
    EXPECT(&c,
           "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
           "RESET are allowed in this context\r\n",
           "GET", "k");
    EXPECT(&c, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING");
    EXPECT(&c, "*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:1\r\n", "UNSUBSCRIBE", "x");
    EXPECT(&c, "*3\r\n$11\r\nunsubscribe\r\n$1\r\ny\r\n:0\r\n", "UNSUBSCRIBE");
    EXPECT(&c, "$-1\r\n", "GET", "k"); /* no subscriptions left: ordinary commands again */
    kh_rclient_close(&c);
    server_stop(&s);
}

/* A subscriber on a threaded model that sends nothing after subscribing: its thread (threads)
 * or its epoll registration (pool) sleeps until something happens on its socket, so each
 * published message must wake it (pubsub.h's deliver callback, server.h's wake_cb: an eventfd
 * for a thread, EPOLLOUT for the pool). It gets every message and pmessage in order, keeps
 * subscribed-mode rules, and once it leaves, PUBLISH counts nobody. */
static void
publish_reaches_a_silent_subscriber(const char *model)
{
    struct test_server s;
    server_start(&s, model, NULL);
    struct kh_rclient sub, publisher;
    client_connect(&sub, &s);
    client_connect(&publisher, &s);
    EXPECT(&sub, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", "SUBSCRIBE", "news");
    EXPECT(&sub, "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n", "PSUBSCRIBE", "n*");
    kh_clock_sleep_ms(50); /* the subscriber's side goes back to sleep */
    char what[96], message[32], expected[128];
    for (int round = 0; round < 3; round++) {
        snprintf(message, sizeof(message), "m%d", round);
        EXPECT(&publisher, ":2\r\n", "PUBLISH", "news", message);
        snprintf(what, sizeof(what), "message %d to a silent subscriber (%s model)", round, model);
        snprintf(expected, sizeof(expected), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\n%s\r\n",
                 message);
        expect_pushed(&sub, expected, what);
        snprintf(expected, sizeof(expected),
                 "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\n%s\r\n", message);
        expect_pushed(&sub, expected, what);
    }
    EXPECT(&sub,
           "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
           "RESET are allowed in this context\r\n",
           "GET", "k");
    EXPECT(&sub, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING");
    kh_rclient_close(&sub);
    /* The server notices the close on its own time: within 2 s nobody is counted. */
    const char *const publish[] = {"PUBLISH", "news", "anyone?"};
    char reply[64] = "";
    for (uint64_t deadline = kh_clock_now_ms() + 2000;
         strcmp(reply, ":0\r\n") != 0 && kh_clock_now_ms() < deadline;) {
        assert_int_equal(kh_rclient_send(&publisher, 3, publish), 0);
        if (kh_rclient_reply(&publisher, reply, sizeof(reply), REPLY_TIMEOUT_MS) < 0) {
            fail_msg("no reply to PUBLISH after the subscriber left (%s model)", model);
        }
        kh_clock_sleep_ms(20);
    }
    if (strcmp(reply, ":0\r\n") != 0) {
        fail_msg("2 s after its only subscriber left, PUBLISH on the %s server still replies %.20s",
                 model, reply);
    }
    kh_rclient_close(&publisher);
    server_stop(&s);
}

/* Claim: on thread-per-connection, a PUBLISH wakes a subscriber whose thread waits on its
 * socket: the message arrives without the subscriber sending anything. */
static void
test_e_threads_publish_wakes_a_silent_subscriber(void **state)
{
    (void)state;
    publish_reaches_a_silent_subscriber("threads");
}

/* Claim: on the pool, a PUBLISH to a subscriber no worker holds gets it written (re-armed for
 * output): the message arrives without the subscriber sending anything. */
static void
test_e_pool_publish_wakes_a_silent_subscriber(void **state)
{
    (void)state;
    publish_reaches_a_silent_subscriber("pool");
}

/* Claim: the glob matcher follows Redis's rules for * ? [set] [^set] [a-z] and escapes. */
static void
test_e_glob_matching(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        const char *text;
        bool is_match;
    } cases[] = {
        {"*", "", true},
        {"*", "anything", true},
        {"news.*", "news.", true},
        {"news.*", "new", false},
        {"h?llo", "hello", true},
        {"h?llo", "hllo", false},
        {"h[ae]llo", "hallo", true},
        {"h[ae]llo", "hillo", false},
        {"h[^e]llo", "hallo", true},
        {"h[^e]llo", "hello", false},
        {"h[a-c]t", "hbt", true},
        {"h[a-c]t", "hdt", false},
        {"a\\*b", "a*b", true},
        {"a\\*b", "axb", false},
        {"*a*b*", "xxaxxbxx", true},
        {"*a*b*", "xxbxxaxx", false},
        {"a*", "b", false},
        {"", "", true},
        {"abc", "abcd", false},
        {"a**b", "ab", true},
        /* Redis's edges, checked with KEYS on redis-server 7.0: a range may run backwards, a
         * '-' before ']' makes a range ending in ']', and an unclosed class runs to the end. */
        {"[z-a]", "m", true},
        {"[a-]", "]", true},
        {"[a-]", "-", false},
        {"x[ab", "xa", true},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        bool got = pubsub_glob_match(cases[i].pattern, strlen(cases[i].pattern), cases[i].text,
                                     strlen(cases[i].text));
        if (got != cases[i].is_match) {
            fail_msg("pattern '%s' against '%s': expected %s, got %s", cases[i].pattern,
                     cases[i].text, cases[i].is_match ? "a match" : "no match",
                     got ? "a match" : "no match");
        }
    }
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_fanout_to_100_subscribers),
        cmocka_unit_test(test_e_pattern_subscriptions),
        cmocka_unit_test(test_e_closed_subscriber_is_dropped),
        cmocka_unit_test(test_e_subscribed_mode_rules),
        cmocka_unit_test(test_e_glob_matching),
        cmocka_unit_test(test_e_threads_publish_wakes_a_silent_subscriber),
        cmocka_unit_test(test_e_pool_publish_wakes_a_silent_subscriber),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
