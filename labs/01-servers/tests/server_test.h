/* server_test.h -- what the lab 01 server tests share: start keel-server (the build of the
 * implementation under test) on a free port, talk RESP to it, and check each reply byte for
 * byte. A sanitizer report in the server's stderr fails the test that started it. */
#ifndef KEEL_SERVER_TEST_H
#define KEEL_SERVER_TEST_H

#include "kh_test.h"
#include "kh_net.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define TEST_UNUSED __attribute__((unused)) /* each test file uses some of these helpers */
#define SERVER_START_TIMEOUT_MS 5000        /* a loaded CI machine, a sanitizer build */
#define REPLY_TIMEOUT_MS 5000
#define REPLY_SIZE_MAX (4u << 20) /* the largest reply a test reads whole: 4 MiB */

struct test_server {
    struct kh_proc proc;
    uint16_t port;
    char model[16];
};

/* Starts keel-server --model model --port 0 [extra...]; fails the test with its stderr if it
 * does not come up (the skeleton's models say "not implemented yet" there). */
static TEST_UNUSED void
server_start(struct test_server *s, const char *model, const char *const extra[])
{
    char path[4096];
    assert_int_equal(kh_exe_relative("../cmd/keel-server", path, sizeof(path)), 0);
    const char *argv[KH_PROC_ARGS_MAX] = {path, "--model", model, "--port", "0"};
    size_t argc = 5;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && argc + 1 < KH_PROC_ARGS_MAX; i++) {
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    snprintf(s->model, sizeof(s->model), "%s", model);
    if (kh_proc_spawn(&s->proc, argv) != 0) {
        fail_msg("cannot start %s: %s", path, strerror(errno));
    }
    if (kh_proc_wait_port_line(&s->proc, &s->port, SERVER_START_TIMEOUT_MS) == 0 &&
        kh_proc_wait_port(&s->proc, s->port, SERVER_START_TIMEOUT_MS) == 0) {
        return;
    }
    bool is_alive = kh_proc_is_alive(&s->proc); /* if not, it reaped the child: exit_status */
    int status = s->proc.exit_status;
    char err[2048];
    kh_proc_stderr(&s->proc, err, sizeof(err));
    kh_proc_close(&s->proc);
    if (is_alive) {
        fail_msg("keel-server --model %s did not start listening within %d ms; its stderr:\n%s",
                 model, SERVER_START_TIMEOUT_MS, err);
    }
    char how[48];
    if (WIFSIGNALED(status)) {
        snprintf(how, sizeof(how), "killed by SIG%s", sigabbrev_np(WTERMSIG(status)));
    } else {
        snprintf(how, sizeof(how), "status %d", WEXITSTATUS(status));
    }
    fail_msg("keel-server --model %s exited (%s) before accepting a connection; its stderr:\n%s",
             model, how, err);
}

/* Stops the server; fails the test if it died on its own or a sanitizer reported. */
static TEST_UNUSED void
server_stop(struct test_server *s)
{
    char err[8192];
    kh_proc_stderr(&s->proc, err, sizeof(err));
    bool was_alive = kh_proc_is_alive(&s->proc);
    kh_proc_close(&s->proc);
    const char *report = strstr(err, "Sanitizer");
    if (report != NULL) {
        fail_msg("the %s server's sanitizer reported:\n%.1500s", s->model, report);
    }
    if (!was_alive) {
        fail_msg("the %s server died during the test; its stderr:\n%.1500s", s->model, err);
    }
}

static TEST_UNUSED void
client_connect(struct kh_rclient *c, const struct test_server *s)
{
    if (kh_rclient_connect(c, s->port) != 0) {
        fail_msg("cannot connect to the %s server on port %u", s->model, s->port);
    }
}

/* Sends argv and checks the reply byte for byte; the failure shows the command sent. */
static TEST_UNUSED void
expect_reply_to(struct kh_rclient *c, const char *expected, size_t argc, const char *const argv[])
{
    static char got[REPLY_SIZE_MAX];
    char sent[512] = "";
    for (size_t i = 0; i < argc; i++) {
        size_t used = strlen(sent);
        snprintf(sent + used, sizeof(sent) - used, "%s%.60s", i > 0 ? " " : "", argv[i]);
    }
    assert_int_equal(kh_rclient_send(c, argc, argv), 0);
    ssize_t size = kh_rclient_reply(c, got, sizeof(got), REPLY_TIMEOUT_MS);
    if (size < 0) {
        fail_msg("no reply to '%s' within %d ms (%s)", sent, REPLY_TIMEOUT_MS,
                 size == -2 ? "reply too big" : "timeout or connection closed");
    }
    kh_assert_bytes_equal(sent, strlen(sent), expected, strlen(expected), got, (size_t)size);
}

#define EXPECT(client, expected, ...)                                                              \
    do {                                                                                           \
        const char *const argv_[] = {__VA_ARGS__};                                                 \
        expect_reply_to((client), (expected), KH_ARRAY_LEN(argv_), argv_);                         \
    } while (0)

/* Reads one reply and checks it (for replies to requests sent earlier, or pushed messages). */
static TEST_UNUSED void
expect_pushed(struct kh_rclient *c, const char *expected, const char *what)
{
    static char got[REPLY_SIZE_MAX];
    ssize_t size = kh_rclient_reply(c, got, sizeof(got), REPLY_TIMEOUT_MS);
    if (size < 0) {
        fail_msg("no %s arrived within %d ms", what, REPLY_TIMEOUT_MS);
    }
    kh_assert_bytes_equal(what, strlen(what), expected, strlen(expected), got, (size_t)size);
}

/* Fails unless the server closes c (EOF) within timeout_ms with no byte left unread: what a
 * client gets after QUIT, a protocol error or a refused connection. */
#define CLOSE_TIMEOUT_MS 2000 /* a close is immediate; 2 s covers a sanitizer build */
static TEST_UNUSED void
expect_closed(struct kh_rclient *c, const char *what)
{
    if (c->size_bytes != 0 || !kh_rclient_is_closed(c, CLOSE_TIMEOUT_MS)) {
        fail_msg("%s: the server did not close the connection within %d ms, or sent more bytes "
                 "first (%zu unread)",
                 what, CLOSE_TIMEOUT_MS, c->size_bytes);
    }
}

#endif
