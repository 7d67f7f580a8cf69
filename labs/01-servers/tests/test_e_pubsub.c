/* test_e_pubsub.c -- lab 01 part E: pub/sub through the epoll server (fan-out, patterns,
 * dropping closed subscribers, subscribed-mode rules), through the threaded models (a published
 * message wakes silent subscribers), PUBSUB's introspection of real subscribers, and the
 * registry on its own (with out of memory injected by kh_oom.h in plain builds). */
#include "kh_oom.h"
#include "pubsub.h"
#include "server_test.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

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

/* Claim: PSUBSCRIBE news.* gets a pmessage for news.tech, nothing for sports.tech, a client
 * with both a channel and a matching pattern gets the message twice, and PUNSUBSCRIBE of one
 * pattern of several, or of another client's, leaves exactly that pattern. */
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
    /* A second pattern of the same client, and a second client with patterns that then drops
     * them: each registry has to find an entry that is not its first. */
    EXPECT(&sub, "*3\r\n$10\r\npsubscribe\r\n$5\r\n*tech\r\n:3\r\n", "PSUBSCRIBE", "*tech");
    struct kh_rclient other;
    client_connect(&other, &s);
    EXPECT(&other, "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n", "PSUBSCRIBE", "n*");
    EXPECT(&other, "*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:0\r\n", "PUNSUBSCRIBE", "n*");
    EXPECT(&sub, "*3\r\n$12\r\npunsubscribe\r\n$6\r\nnews.*\r\n:2\r\n", "PUNSUBSCRIBE", "news.*");
    EXPECT(&publisher, ":2\r\n", "PUBLISH", "news.tech", "w");
    expect_pushed(&sub, "*3\r\n$7\r\nmessage\r\n$9\r\nnews.tech\r\n$1\r\nw\r\n",
                  "the message after PUNSUBSCRIBE news.*");
    expect_pushed(&sub, "*4\r\n$8\r\npmessage\r\n$5\r\n*tech\r\n$9\r\nnews.tech\r\n$1\r\nw\r\n",
                  "the pmessage of the pattern left");
    kh_rclient_close(&other);
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

/* Claim: a client with one subscription or more may only (un)subscribe, PING and QUIT, with
 * Redis's replies. */
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
    /* ECHO is four letters, as PING is: the command's name decides, not its length. */
    EXPECT(&c,
           "-ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
           "RESET are allowed in this context\r\n",
           "ECHO", "hi");
    EXPECT(&c, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING");
    EXPECT(&c, "*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:1\r\n", "UNSUBSCRIBE", "x");
    EXPECT(&c, /* one subscription left is still subscribed mode */
           "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
           "RESET are allowed in this context\r\n",
           "GET", "k");
    EXPECT(&c, "*3\r\n$11\r\nunsubscribe\r\n$1\r\ny\r\n:0\r\n", "UNSUBSCRIBE");
    EXPECT(&c, "$-1\r\n", "GET", "k"); /* no subscriptions left: ordinary commands again */
    kh_rclient_close(&c);
    server_stop(&s);
}

/* Subscribers on a threaded model that send nothing after subscribing: each one's thread
 * (threads) or epoll registration (pool) sleeps until something happens on its socket, so each
 * published message must wake it (pubsub.h's deliver callback, server.h's wake_cb: an eventfd
 * for a thread, EPOLLOUT for the pool), and one PUBLISH wakes all of them at once. Each gets
 * every message and pmessage in order, keeps subscribed-mode rules, and once they leave,
 * PUBLISH counts nobody. */
#define SILENT_SUBSCRIBERS 8
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
    static struct kh_rclient silent[SILENT_SUBSCRIBERS]; /* one PUBLISH wakes them all at once */
    for (size_t i = 0; i < SILENT_SUBSCRIBERS; i++) {
        client_connect(&silent[i], &s);
        EXPECT(&silent[i], "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", "SUBSCRIBE", "news");
    }
    kh_clock_sleep_ms(50); /* the subscribers' side goes back to sleep */
    char what[96], message[32], expected[128], count[16];
    snprintf(count, sizeof(count), ":%d\r\n", 2 + SILENT_SUBSCRIBERS);
    for (int round = 0; round < 3; round++) {
        snprintf(message, sizeof(message), "m%d", round);
        EXPECT(&publisher, count, "PUBLISH", "news", message);
        snprintf(what, sizeof(what), "message %d to a silent subscriber (%s model)", round, model);
        snprintf(expected, sizeof(expected), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\n%s\r\n",
                 message);
        for (size_t i = 0; i < SILENT_SUBSCRIBERS; i++) {
            expect_pushed(&silent[i], expected, what);
        }
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
    for (size_t i = 0; i < SILENT_SUBSCRIBERS; i++) {
        kh_rclient_close(&silent[i]);
    }
    kh_rclient_close(&sub);
    /* The server notices the closes on its own time: within 2 s nobody is counted. */
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
        fail_msg("2 s after its subscribers left, PUBLISH on the %s server still replies %.20s",
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

/* Sends one request whose words may hold '\0' bytes (words[i] is sizes[i] bytes). */
static void
send_binary(struct kh_rclient *c, size_t argc, const char *const words[], const size_t sizes[])
{
    char request[512];
    int used = snprintf(request, sizeof(request), "*%zu\r\n", argc);
    for (size_t i = 0; i < argc; i++) {
        assert_true(sizes[i] < 64 && (size_t)used + sizes[i] + 32 < sizeof(request));
        used += snprintf(request + used, sizeof(request) - (size_t)used, "$%zu\r\n", sizes[i]);
        memcpy(request + used, words[i], sizes[i]);
        used += (int)sizes[i];
        used += snprintf(request + used, sizeof(request) - (size_t)used, "\r\n");
    }
    assert_int_equal(kh_net_write_all(c->fd, request, (size_t)used), 0);
}

/* Reads one reply and checks it byte for byte against want[0 .. want_size), '\0's included. */
static void
expect_reply_bytes(struct kh_rclient *c, const char *want, size_t want_size, const char *what)
{
    static char got[REPLY_SIZE_MAX];
    ssize_t size = kh_rclient_reply(c, got, sizeof(got), REPLY_TIMEOUT_MS);
    if (size < 0) {
        fail_msg("no reply to %s within %d ms", what, REPLY_TIMEOUT_MS);
    }
    kh_assert_bytes_equal(what, strlen(what), want, want_size, got, (size_t)size);
}

/* A string literal and its size, '\0's included (sizeof counts them; strlen would not). */
#define LITERAL(text) text, sizeof(text) - 1

#define BINARY_A "a\0b" /* 3 bytes: two channel names with '\0' in them */
#define BINARY_Z "z\0"  /* 2 bytes */

/* Claim: PUBSUB CHANNELS, NUMSUB and NUMPAT count the subscriptions real clients hold, each
 * distinct name once, and reply channel names with '\0' bytes whole (binary safe, nothing read
 * past a name), so a client subscribed through part E is what the introspection reports. */
static void
test_e_pubsub_channels_numsub_numpat_count_real_subscribers(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "epoll", NULL);
    struct kh_rclient one, two, asker;
    client_connect(&one, &s);
    client_connect(&two, &s);
    client_connect(&asker, &s);
    EXPECT(&asker, "*0\r\n", "PUBSUB", "CHANNELS");
    const char *const sub_one[] = {"SUBSCRIBE", BINARY_A, "plain"};
    const size_t sub_one_sizes[] = {9, 3, 5};
    send_binary(&one, 3, sub_one, sub_one_sizes);
    expect_reply_bytes(&one, LITERAL("*3\r\n$9\r\nsubscribe\r\n$3\r\na\0b\r\n:1\r\n"),
                       "SUBSCRIBE a\\0b (first reply)");
    expect_pushed(&one, "*3\r\n$9\r\nsubscribe\r\n$5\r\nplain\r\n:2\r\n", "SUBSCRIBE plain");
    const char *const sub_two[] = {"SUBSCRIBE", BINARY_A, BINARY_Z};
    const size_t sub_two_sizes[] = {9, 3, 2};
    send_binary(&two, 3, sub_two, sub_two_sizes);
    expect_reply_bytes(&two, LITERAL("*3\r\n$9\r\nsubscribe\r\n$3\r\na\0b\r\n:1\r\n"),
                       "the second client's SUBSCRIBE a\\0b");
    expect_reply_bytes(&two, LITERAL("*3\r\n$9\r\nsubscribe\r\n$2\r\nz\0\r\n:2\r\n"),
                       "the second client's SUBSCRIBE z\\0");
    EXPECT(&one, "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n", "PSUBSCRIBE", "p*");
    EXPECT(&two, "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n", "PSUBSCRIBE", "p*");
    EXPECT(&two, "*3\r\n$10\r\npsubscribe\r\n$2\r\nq?\r\n:4\r\n", "PSUBSCRIBE", "q?");

    /* Three distinct channels in whatever order: the reply's size and each element. */
    static char got[REPLY_SIZE_MAX];
    const char *const channels[] = {"PUBSUB", "CHANNELS"};
    assert_int_equal(kh_rclient_send(&asker, 2, channels), 0);
    ssize_t size = kh_rclient_reply(&asker, got, sizeof(got), REPLY_TIMEOUT_MS);
    static const struct {
        const char *bytes;
        size_t size;
    } elements[] = {{"$3\r\na\0b\r\n", 9}, {"$5\r\nplain\r\n", 11}, {"$2\r\nz\0\r\n", 8}};
    if (size != 4 + 9 + 11 + 8 || memcmp(got, "*3\r\n", 4) != 0) {
        fail_msg("PUBSUB CHANNELS: want 3 channels (a\\0b, plain, z\\0) in a reply of 32 bytes, "
                 "got %zd bytes starting %.12s",
                 size, size > 0 ? got : "");
    }
    for (size_t i = 0; i < KH_ARRAY_LEN(elements); i++) {
        if (memmem(got, (size_t)size, elements[i].bytes, elements[i].size) == NULL) {
            fail_msg("PUBSUB CHANNELS: channel %zu of a\\0b, plain, z\\0 is missing or cut", i);
        }
    }
    const char *const matching[] = {"PUBSUB", "CHANNELS", "a*"};
    const size_t matching_sizes[] = {6, 8, 2};
    send_binary(&asker, 3, matching, matching_sizes);
    expect_reply_bytes(&asker, LITERAL("*1\r\n$3\r\na\0b\r\n"), "PUBSUB CHANNELS a*");
    const char *const numsub[] = {"PUBSUB", "NUMSUB", BINARY_A, BINARY_Z, "plain", "nobody"};
    const size_t numsub_sizes[] = {6, 6, 3, 2, 5, 6};
    send_binary(&asker, 6, numsub, numsub_sizes);
    expect_reply_bytes(&asker,
                       LITERAL("*8\r\n$3\r\na\0b\r\n:2\r\n$2\r\nz\0\r\n:1\r\n$5\r\nplain\r\n:1\r\n"
                               "$6\r\nnobody\r\n:0\r\n"),
                       "PUBSUB NUMSUB a\\0b z\\0 plain nobody");
    EXPECT(&asker, ":2\r\n", "PUBSUB", "NUMPAT"); /* p* twice and q?: two distinct patterns */
    kh_rclient_close(&two);
    /* After a subscriber leaves (once the server has seen the close: up to 2 s), only what the
     * other still holds is counted. */
    const char *const numpat[] = {"PUBSUB", "NUMPAT"};
    for (int tries = 0;; tries++) {
        assert_int_equal(kh_rclient_send(&asker, 2, numpat), 0);
        size = kh_rclient_reply(&asker, got, sizeof(got), REPLY_TIMEOUT_MS);
        if (size == 4 && memcmp(got, ":1\r\n", 4) == 0) {
            break;
        }
        if (tries == 200) {
            fail_msg("PUBSUB NUMPAT still %.*s 2 s after the second subscriber closed; want :1",
                     (int)(size > 0 ? size - 2 : 0), got);
        }
        usleep(10 * 1000);
    }
    send_binary(&asker, 6, numsub, numsub_sizes);
    expect_reply_bytes(&asker,
                       LITERAL("*8\r\n$3\r\na\0b\r\n:1\r\n$2\r\nz\0\r\n:0\r\n$5\r\nplain\r\n:1\r\n"
                               "$6\r\nnobody\r\n:0\r\n"),
                       "PUBSUB NUMSUB after a client left");
    kh_rclient_close(&one);
    kh_rclient_close(&asker);
    server_stop(&s);
}

/* Counts what a registry test's subscriber was handed. */
struct counted_client {
    struct pubsub_client sub; /* first: the callback gets its address */
    size_t delivered_count;
};

static void
count_delivery(struct pubsub_client *sub, const char *bytes, size_t size_bytes)
{
    assert_non_null(bytes);
    assert_true(size_bytes > 0);
    ((struct counted_client *)sub)->delivered_count++;
}

/* Fails unless call returned want. */
#define EXPECT_RETURN(call, want)                                                                  \
    do {                                                                                           \
        long long got_ = (long long)(call);                                                        \
        if (got_ != (long long)(want)) {                                                           \
            fail_msg("%s returned %lld, expected %lld (pubsub.h)", #call, got_,                    \
                     (long long)(want));                                                           \
        }                                                                                          \
    } while (0)

/* Claim: the registry's calls return what pubsub.h says: 1 when a subscription was made or
 * removed, 0 when there was nothing to do, the subscription count, and PUBLISH's count of
 * deliveries; leaving works for any subscriber and any pattern, not only the first. */
static void
test_e_registry_returns_what_changed(void **state)
{
    (void)state;
    struct pubsub ps;
    pubsub_init(&ps);
    struct counted_client a = {0}, b = {0};
    pubsub_client_init(&a.sub, count_delivery);
    pubsub_client_init(&b.sub, count_delivery);
    EXPECT_RETURN(pubsub_subscribe(&ps, &a.sub, "ch", 2), 1);
    EXPECT_RETURN(pubsub_subscribe(&ps, &a.sub, "ch", 2), 0);
    EXPECT_RETURN(pubsub_psubscribe(&ps, &a.sub, "c*", 2), 1);
    EXPECT_RETURN(pubsub_psubscribe(&ps, &a.sub, "c*", 2), 0);
    EXPECT_RETURN(pubsub_psubscribe(&ps, &b.sub, "x*", 2), 1);
    EXPECT_RETURN(pubsub_psubscribe(&ps, &b.sub, "c?", 2), 1);
    EXPECT_RETURN(pubsub_psubscribe(&ps, &b.sub, "c?", 2), 0);
    EXPECT_RETURN(pubsub_client_count(&a.sub), 2);
    EXPECT_RETURN(pubsub_client_count(&b.sub), 2);
    EXPECT_RETURN(pubsub_publish(&ps, "ch", 2, "m", 1), 3);
    EXPECT_RETURN(a.delivered_count, 2);
    EXPECT_RETURN(b.delivered_count, 1);
    EXPECT_RETURN(pubsub_unsubscribe(&ps, &a.sub, "nope", 4), 0);
    EXPECT_RETURN(pubsub_punsubscribe(&ps, &a.sub, "nope", 4), 0);
    EXPECT_RETURN(pubsub_punsubscribe(&ps, &b.sub, "c*", 2), 0); /* a's, not b's */
    EXPECT_RETURN(pubsub_punsubscribe(&ps, &b.sub, "c?", 2), 1);
    EXPECT_RETURN(pubsub_punsubscribe(&ps, &b.sub, "c?", 2), 0);
    EXPECT_RETURN(pubsub_punsubscribe(&ps, &b.sub, "x*", 2), 1); /* b is no pattern client now */
    EXPECT_RETURN(pubsub_client_count(&b.sub), 0);
    EXPECT_RETURN(pubsub_publish(&ps, "ch", 2, "m", 1), 2);
    EXPECT_RETURN(pubsub_publish(&ps, "xy", 2, "m", 1), 0);
    EXPECT_RETURN(pubsub_unsubscribe(&ps, &a.sub, "ch", 2), 1);
    EXPECT_RETURN(pubsub_publish(&ps, "ch", 2, "m", 1), 1);
    pubsub_leave_all(&ps, &a.sub);
    pubsub_leave_all(&ps, &b.sub);
    EXPECT_RETURN(pubsub_client_count(&a.sub), 0);
    EXPECT_RETURN(pubsub_publish(&ps, "ch", 2, "m", 1), 0);
    EXPECT_RETURN(a.delivered_count, 5);
    EXPECT_RETURN(b.delivered_count, 1);
    pubsub_free(&ps);
}

/* The claim: a (P)SUBSCRIBE that runs out of memory returns -1 with nothing changed, and a
 * PUBLISH that cannot build its message returns (size_t)-1 having delivered nothing (pubsub.h),
 * whichever allocation fails; either way nothing is leaked: once every client has left and the
 * registry is freed, every block it took is back. Each allocation in turn fails on a fresh
 * registry, until the call needs no more. In plain builds only. */
static void
test_e_out_of_memory_changes_nothing(void **state)
{
    (void)state;
#if !KH_OOM_IS_INJECTABLE
    printf("a sanitizer owns the allocator in this build: out of memory is not injected\n");
#else
    enum { ALLOCATIONS_MAX = 64 };
    for (int call = 0; call < 4; call++) { /* SUBSCRIBE, PSUBSCRIBE, PUBLISH to each kind */
        static const char *const names[] = {"pubsub_subscribe", "pubsub_psubscribe",
                                            "pubsub_publish to a channel's subscriber",
                                            "pubsub_publish to a pattern's subscriber"};
        bool has_fired = true;
        for (int64_t fail_at = 0; has_fired; fail_at++) {
            if (fail_at == ALLOCATIONS_MAX) {
                fail_msg("%s still allocates after %d allocations", names[call], ALLOCATIONS_MAX);
            }
            int64_t live_before = kh_oom_live_blocks();
            struct pubsub ps;
            pubsub_init(&ps);
            struct counted_client a = {0}, b = {0};
            pubsub_client_init(&a.sub, count_delivery);
            pubsub_client_init(&b.sub, count_delivery);
            EXPECT_RETURN(pubsub_subscribe(&ps, &a.sub, "old", 3), 1);
            EXPECT_RETURN(pubsub_psubscribe(&ps, &a.sub, "o*", 2), 1);
            struct counted_client *target = call == 2 ? &b : &a; /* the other subscribes first */
            if (call == 2) {
                EXPECT_RETURN(pubsub_subscribe(&ps, &b.sub, "ch", 2), 1);
            }
            kh_oom_arm(fail_at);
            long long rc = call == 0   ? pubsub_subscribe(&ps, &b.sub, "ch", 2)
                           : call == 1 ? pubsub_psubscribe(&ps, &b.sub, "c*", 2)
                           : call == 2 ? (long long)pubsub_publish(&ps, "ch", 2, "m", 1)
                                       : (long long)pubsub_publish(&ps, "oz", 2, "m", 1);
            has_fired = kh_oom_disarm();
            long long done = 1; /* "oz" has no channel subscriber: only a's pattern o* */
            if (!has_fired || rc != -1) {
                if (rc != done) {
                    fail_msg("%s, allocation %" PRId64 " failing: returned %lld; expected %lld, or "
                             "-1 for out of memory (pubsub.h)",
                             names[call], fail_at, rc, done);
                }
            } else {
                if (target->delivered_count != 0 || pubsub_client_count(&b.sub) != (call == 2)) {
                    fail_msg("%s returned -1 when allocation %" PRId64 " failed, yet it delivered "
                             "%zu messages or changed the subscriptions (pubsub.h: nothing "
                             "changed, nothing delivered)",
                             names[call], fail_at, target->delivered_count);
                }
                EXPECT_RETURN(pubsub_publish(&ps, "ch", 2, "m", 1), call == 2);
            }
            pubsub_leave_all(&ps, &a.sub);
            pubsub_leave_all(&ps, &b.sub);
            pubsub_free(&ps);
            if (kh_oom_live_blocks() != live_before) {
                fail_msg("%s returned %lld when allocation %" PRId64 " failed, and once every "
                         "client left and the registry was freed %" PRId64 " blocks it took "
                         "were not freed",
                         names[call], rc, fail_at, kh_oom_live_blocks() - live_before);
            }
        }
    }
#endif
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_fanout_to_100_subscribers),
        cmocka_unit_test(test_e_pattern_subscriptions),
        cmocka_unit_test(test_e_closed_subscriber_is_dropped),
        cmocka_unit_test(test_e_subscribed_mode_rules),
        cmocka_unit_test(test_e_pubsub_channels_numsub_numpat_count_real_subscribers),
        cmocka_unit_test(test_e_threads_publish_wakes_a_silent_subscriber),
        cmocka_unit_test(test_e_pool_publish_wakes_a_silent_subscriber),
        cmocka_unit_test(test_e_registry_returns_what_changed),
        cmocka_unit_test(test_e_out_of_memory_changes_nothing),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
