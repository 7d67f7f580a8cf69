/* runner.c -- the main of every Keel test binary: each test runs in its own forked child with a
 * wall clock, so a crash, a hang, an early exit() or a stray fork fails that one test alone.
 * Read kh_test_run first, then run_one (the parent's side) and child_run (the child's side).
 */
#include "kh_test.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* GCC says __SANITIZE_ADDRESS__ under -fsanitize=address, clang __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define KH_HAS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KH_HAS_LSAN 1
#endif
#endif
#ifndef KH_HAS_LSAN
#define KH_HAS_LSAN 0
#endif
#if KH_HAS_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define RUN_NAMES_MAX 64u
#define OUTPUT_SIZE_BYTES_MAX (1u << 20) /* a test printing more is cut, not stored */
#define TIMEOUT_S_DEFAULT 10.0           /* when neither --timeout-s nor the rubric says */
#define FAILURE_LINE_SIZE_MAX 512u
#define POLL_SLICE_MS 50  /* how often the parent looks at the child while it runs */
#define FORK_TRIES_MAX 50 /* fork fails with EAGAIN while the process limit is reached: wait */
#define FORK_RETRY_MS 100

#define INCONCLUSIVE_TRIES_MAX 4u /* seeds tried while a test's runs are inconclusive */

/* ERROR: the runner could not run the test at all (no process, no pipe): the machine's fault,
 * never the code under test's, and never a pass. INCONCLUSIVE: the test ran without reaching a
 * situation it exists to check (kh_test_inconclusive): not checked, and never a pass. */
enum status {
    STATUS_PASS,
    STATUS_FAIL,
    STATUS_TIMEOUT,
    STATUS_CRASH,
    STATUS_ERROR,
    STATUS_INCONCLUSIVE
};
static const char *const status_names[] = {"PASS",  "FAIL",  "TIMEOUT",
                                           "CRASH", "ERROR", "INCONCLUSIVE"};

struct options {
    const char *run_names[RUN_NAMES_MAX];
    size_t run_name_count;
    bool is_list;
    bool has_seed;
    uint64_t seed;
    double timeout_s; /* < 0: from the rubric */
};

struct output {
    char *bytes; /* owned; at most OUTPUT_SIZE_BYTES_MAX */
    size_t size_bytes;
    size_t dropped_bytes;
};

struct result {
    enum status status;
    int signal;
    uint64_t elapsed_ms;
    char failure[FAILURE_LINE_SIZE_MAX];
};

/* The child's state: the seed, the user's test function, and the signal dispositions in force
 * before cmocka replaced them (restored, so a crash is a real signal death the parent sees). */
static uint64_t g_seed;
static CMUnitTestFunction g_test_func;
static char g_inconclusive[FAILURE_LINE_SIZE_MAX]; /* why the running test is inconclusive */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS};
static struct sigaction g_saved_actions[KH_ARRAY_LEN(crash_signals)];

uint64_t
kh_test_seed(void)
{
    return g_seed;
}

void
kh_test_inconclusive(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above; a false report
    vsnprintf(g_inconclusive, sizeof(g_inconclusive), format, ap);
    va_end(ap);
    for (char *c = g_inconclusive; *c != '\0'; c++) { /* it travels on one line */
        if (*c == '\t' || *c == '\n' || *c == '\r') {
            *c = ' ';
        }
    }
    printf("[ INCONCLUSIVE ] %s\n", g_inconclusive);
    skip();  /* ends the test (a longjmp): cmocka counts it skipped, not failed */
    abort(); /* not reached */
}

static void
usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--list] [--run NAME]... [--seed N] [--timeout-s SECONDS]\n"
            "  runs each test in its own process; prints one KEEL-RESULT line per test\n",
            argv0);
}

static int
parse_options(int argc, char **argv, struct options *opt)
{
    assert(argc >= 1);
    assert(argv[argc] == NULL); /* as main gets it */
    memset(opt, 0, sizeof(*opt));
    opt->timeout_s = -1.0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--list") == 0) {
            opt->is_list = true;
        } else if (strcmp(arg, "--run") == 0 && has_value) {
            if (opt->run_name_count == RUN_NAMES_MAX) {
                fprintf(stderr, "too many --run flags (at most %u)\n", RUN_NAMES_MAX);
                return -1;
            }
            opt->run_names[opt->run_name_count++] = argv[++i];
        } else if (strcmp(arg, "--seed") == 0 && has_value) {
            char *end = NULL;
            opt->seed = strtoull(argv[++i], &end, 0);
            if (*end != '\0') {
                fprintf(stderr, "--seed takes a number, got '%s'\n", argv[i]);
                return -1;
            }
            opt->has_seed = true;
        } else if (strcmp(arg, "--timeout-s") == 0 && has_value) {
            opt->timeout_s = strtod(argv[++i], NULL);
            if (opt->timeout_s <= 0) {
                fprintf(stderr, "--timeout-s takes a positive number of seconds\n");
                return -1;
            }
        } else {
            fprintf(stderr, "unknown or incomplete argument '%s'\n", arg);
            return -1;
        }
    }
    assert(opt->run_name_count <= RUN_NAMES_MAX);
    assert(opt->timeout_s < 0 || opt->timeout_s > 0); /* from the rubric, or a given time */
    return 0;
}

/* The default seed of a test is a hash of its name (FNV-1a), so a plain run is reproducible. */
static uint64_t
seed_of_name(const char *name)
{
    assert(name != NULL);
    uint64_t hash = 0xcbf29ce484222325u;
    for (const char *c = name; *c != '\0'; c++) {
        hash = (hash ^ (uint8_t)*c) * 0x100000001b3u;
    }
    return hash & 0xffffffffu; /* short enough to type into --seed */
}

/* Looks the test up in the lab's rubric for its timeout. A line reads:
 * test NAME PART POINTS TIMEOUT_S VISIBILITY. */
static double
rubric_timeout_s(const char *rubric_path, const char *name)
{
    assert(name != NULL);
    FILE *f = rubric_path != NULL ? fopen(rubric_path, "r") : NULL;
    if (f == NULL) {
        return TIMEOUT_S_DEFAULT;
    }
    char line[512];
    double timeout_s = TIMEOUT_S_DEFAULT;
    while (fgets(line, sizeof(line), f) != NULL) {
        char kind[16], test[256], part[16];
        double points = 0, seconds = 0;
        if (sscanf(line, "%15s %255s %15s %lf %lf", kind, test, part, &points, &seconds) == 5 &&
            strcmp(kind, "test") == 0 && strcmp(test, name) == 0 && seconds > 0) {
            timeout_s = seconds;
            break;
        }
    }
    fclose(f);
    assert(timeout_s > 0);
    return timeout_s;
}

static void
trampoline(void **state)
{
    assert(g_test_func != NULL); /* set by child_run before cmocka calls this */
    /* cmocka turned crash signals into longjmps; put back what was there before (the default,
     * or a sanitizer's handler) so that a crash kills the child and is reported as one. */
    for (size_t i = 0; i < KH_ARRAY_LEN(crash_signals); i++) {
        sigaction(crash_signals[i], &g_saved_actions[i], NULL);
    }
    g_test_func(state);
}

/* The child: runs one test through cmocka, then reports "done <pid> <failed>" on result_fd.
 * A test that exits, crashes or hangs never writes that line; a forked grandchild that
 * returns into the runner writes a line with the wrong pid, which the parent ignores. */
static void
child_run(const struct CMUnitTest *test, int result_fd, uint64_t seed)
{
    assert(test->test_func != NULL);
    assert(result_fd >= 0);
    setpgid(0, 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_seed = seed;
    for (size_t i = 0; i < KH_ARRAY_LEN(crash_signals); i++) {
        sigaction(crash_signals[i], NULL, &g_saved_actions[i]);
    }
    struct CMUnitTest wrapped = *test;
    g_test_func = test->test_func;
    wrapped.test_func = trampoline;
    int failed_count = _cmocka_run_group_tests(test->name, &wrapped, 1, NULL, NULL);
#if KH_HAS_LSAN
    /* Under ASan, a test that passed and left memory no pointer reaches (a free forgotten on
     * some path) fails: LeakSanitizer prints where each block was allocated, and the parent
     * reads its report as any sanitizer's. Only here: the child ends with _exit, which runs no
     * check at exit, and the grader turns that check off (leak_check_at_exit=0). */
    if (failed_count == 0 && __lsan_do_recoverable_leak_check() != 0) {
        failed_count = 1;
    }
#endif
    fflush(stdout);
    fflush(stderr);
    char line[64 + FAILURE_LINE_SIZE_MAX];
    int length = snprintf(line, sizeof(line), "done %d %d%s%s\n", (int)getpid(), failed_count,
                          g_inconclusive[0] != '\0' ? " inconclusive " : "", g_inconclusive);
    if (write(result_fd, line, (size_t)length) != length) {
        _exit(3);
    }
    _exit(failed_count == 0 ? 0 : 1);
}

static void
output_append(struct output *out, const char *bytes, size_t size_bytes)
{
    assert(out->size_bytes <= OUTPUT_SIZE_BYTES_MAX);
    size_t room = OUTPUT_SIZE_BYTES_MAX - out->size_bytes;
    size_t kept = size_bytes < room ? size_bytes : room;
    memcpy(out->bytes + out->size_bytes, bytes, kept);
    out->size_bytes += kept;
    out->dropped_bytes += size_bytes - kept;
    assert(out->size_bytes <= OUTPUT_SIZE_BYTES_MAX);
}

/* Reads what is there without blocking. Returns false at EOF. */
static bool
drain(int fd, struct output *out)
{
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            output_append(out, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n < 0; /* EAGAIN: open but empty; 0: EOF */
    }
}

/* Waits for the child until it exits or the deadline passes, collecting its output and its
 * "done" line. Returns the waitpid status, or -1 when the deadline passed (child killed). */
static int
supervise(pid_t pid, int out_fd, int result_fd, uint64_t deadline_ms, struct output *out,
          struct output *done)
{
    assert(pid > 0);
    assert(out_fd >= 0);
    assert(result_fd >= 0);
    bool is_out_open = true;
    bool is_result_open = true;
    for (;;) {
        struct pollfd fds[2] = {{.fd = is_out_open ? out_fd : -1, .events = POLLIN},
                                {.fd = is_result_open ? result_fd : -1, .events = POLLIN}};
        /* Once both pipes are closed the child is exiting: look again soon, not in a slice. */
        poll(fds, 2, is_out_open || is_result_open ? POLL_SLICE_MS : 1);
        if (is_out_open && fds[0].revents != 0) {
            is_out_open = drain(out_fd, out);
        }
        if (is_result_open && fds[1].revents != 0) {
            is_result_open = drain(result_fd, done);
        }
        int wstatus = 0;
        if (waitpid(pid, &wstatus, WNOHANG) == pid) {
            drain(out_fd, out); /* what it wrote just before exiting */
            drain(result_fd, done);
            return wstatus;
        }
        if (kh_clock_now_ms() >= deadline_ms) {
            kill(-pid, SIGKILL);
            waitpid(pid, &wstatus, 0);
            drain(out_fd, out);
            return -1;
        }
    }
}

static bool
has_line_prefix(const char *line, const char *prefix)
{
    return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Finds the first line that says what broke: cmocka's error and location lines
 * ("file.c:12: message"), or a sanitizer's report line. Returns false if none. */
static bool
first_failure_line(const struct output *out, char *failure, size_t failure_size)
{
    assert(failure_size > 0);
    assert(out->size_bytes <= OUTPUT_SIZE_BYTES_MAX);
    char message[FAILURE_LINE_SIZE_MAX] = "";
    const char *text = out->bytes;
    const char *end = out->bytes + out->size_bytes;
    while (text < end) {
        const char *newline = memchr(text, '\n', (size_t)(end - text));
        size_t length = newline != NULL ? (size_t)(newline - text) : (size_t)(end - text);
        char line[FAILURE_LINE_SIZE_MAX];
        snprintf(line, sizeof(line), "%.*s", (int)length, text);
        text += length + 1;
        if (strstr(line, "Sanitizer") != NULL && strstr(line, "ERROR") != NULL) {
            snprintf(failure, failure_size, "%s", line);
            return true;
        }
        if (strstr(line, "runtime error:") != NULL || has_line_prefix(line, "WARNING: ThreadSan")) {
            snprintf(failure, failure_size, "%s", line);
            return true;
        }
        if (message[0] == '\0' && has_line_prefix(line, "ERROR: ")) {
            snprintf(message, sizeof(message), "%s", line + strlen("ERROR: "));
        } else if (message[0] == '\0' && has_line_prefix(line, "[  ERROR   ] --- ") &&
                   !has_line_prefix(line + 17, "[   LINE")) {
            snprintf(message, sizeof(message), "%s", line + 17);
        }
        const char *where = strstr(line, "[   LINE   ] --- ");
        if (where != NULL) {
            where += strlen("[   LINE   ] --- ");
            const char *cut = strstr(where, ": error:");
            int where_length = cut != NULL ? (int)(cut - where) : (int)strlen(where);
            snprintf(failure, failure_size, "%.*s: %s", where_length, where,
                     message[0] != '\0' ? message : "assertion failed");
            return true;
        }
    }
    if (message[0] != '\0') {
        snprintf(failure, failure_size, "%s", message);
        return true;
    }
    return false;
}

static bool
output_has_sanitizer_report(const struct output *out)
{
    return memmem(out->bytes, out->size_bytes, "Sanitizer", 9) != NULL ||
           memmem(out->bytes, out->size_bytes, "runtime error:", 14) != NULL;
}

/* Turns how the child ended into a status and one line saying why. */
static void
classify(int wstatus, pid_t pid, const struct output *out, const struct output *done,
         double timeout_s, struct result *r)
{
    assert(pid > 0);
    assert(timeout_s > 0);
    char expected[64];
    snprintf(expected, sizeof(expected), "done %d ", (int)pid);
    const char *line = memmem(done->bytes, done->size_bytes, expected, strlen(expected));
    int failed_count = line != NULL ? atoi(line + strlen(expected)) : -1;
    r->failure[0] = '\0';
    bool has_failure = first_failure_line(out, r->failure, sizeof(r->failure));
    r->signal = 0;
    if (wstatus == -1) {
        r->status = STATUS_TIMEOUT;
        snprintf(r->failure, sizeof(r->failure),
                 "no result after %.1f s: an infinite loop, a deadlock or a blocking call "
                 "that never returns",
                 timeout_s);
    } else if (WIFSIGNALED(wstatus)) {
        r->status = STATUS_CRASH;
        r->signal = WTERMSIG(wstatus);
        if (!has_failure) {
            snprintf(r->failure, sizeof(r->failure), "killed by SIG%s (%s)",
                     sigabbrev_np(r->signal), strsignal(r->signal));
        }
    } else if (output_has_sanitizer_report(out)) {
        r->status = STATUS_CRASH; /* a sanitizer found a bug and ended the process */
    } else if (failed_count < 0) {
        /* cmocka ends the whole process with exit(-1), status 255, when an assertion fails on a
         * thread other than the test's own, and loses its message (it holds it for the runner
         * of the test, which never gets control back): the reason has to be said here. */
        r->status = STATUS_FAIL;
        int exit_status = WEXITSTATUS(wstatus);
        const char *why = exit_status == 255
                              ? "exit() called by the code under test, or a cmocka assertion "
                                "that failed on a thread other than the test's own, which ends "
                                "the whole process before cmocka prints where"
                              : "exit() called by the code under test?";
        char printed[FAILURE_LINE_SIZE_MAX];
        snprintf(printed, sizeof(printed), "%s", has_failure ? r->failure : "");
        /* %.250s: a line the test printed gives way, so the sentence saying why always fits. */
        snprintf(r->failure, sizeof(r->failure),
                 "%.250s%sthe test process exited with status %d before the test finished (%s)",
                 printed, has_failure ? "; then " : "", exit_status, why);
    } else if (failed_count > 0 || WEXITSTATUS(wstatus) != 0) {
        r->status = STATUS_FAIL;
        if (!has_failure) {
            snprintf(r->failure, sizeof(r->failure), "failed (exit status %d)",
                     WEXITSTATUS(wstatus));
        }
    } else if (strstr(line, " inconclusive ") != NULL && strchr(line, '\n') != NULL) {
        r->status = STATUS_INCONCLUSIVE;
        const char *why = strstr(line, " inconclusive ") + strlen(" inconclusive ");
        snprintf(r->failure, sizeof(r->failure), "not checked: %.*s",
                 (int)(strchr(why, '\n') - why), why);
    } else {
        r->status = STATUS_PASS;
        r->failure[0] = '\0';
    }
    for (char *c = r->failure; *c != '\0'; c++) { /* the result line is tab-separated */
        if (*c == '\t' || *c == '\n' || *c == '\r') {
            *c = ' ';
        }
    }
    assert(r->status != STATUS_ERROR); /* the child ran: the status is about the test */
    assert(strpbrk(r->failure, "\t\n\r") == NULL);
}

static int
make_pipe(int fds[2])
{
    if (pipe(fds) != 0) {
        fds[0] = fds[1] = -1;
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK); /* the parent only ever drains what is there */
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    assert(fds[0] >= 0);
    assert(fds[1] >= 0);
    return 0;
}

/* Closes whichever ends of a pipe are open (-1: closed or never opened). */
static void
close_pipe(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

/* fork, waited out while it fails with EAGAIN: other processes of this user hold the process
 * limit, and a test started a moment later runs. Returns what fork returned last. */
static pid_t
fork_retrying(void)
{
    pid_t pid = fork();
    for (int tries = 1; pid < 0 && errno == EAGAIN && tries < FORK_TRIES_MAX; tries++) {
        kh_clock_sleep_ms(FORK_RETRY_MS);
        pid = fork();
    }
    return pid;
}

/* Runs one test in a child process group and returns how it went. Whether the test ran or the
 * runner could not start it, the pipes and the output buffer are released at one label. */
static void
run_one(const struct CMUnitTest *test, uint64_t seed, double timeout_s, struct result *r)
{
    assert(test->test_func != NULL);
    assert(timeout_s > 0);
    *r = (struct result){.status = STATUS_ERROR};
    struct output out = {.bytes = malloc(OUTPUT_SIZE_BYTES_MAX)};
    char done_bytes[128 + FAILURE_LINE_SIZE_MAX];
    struct output done = {.bytes = done_bytes};
    int out_pipe[2] = {-1, -1}, result_pipe[2] = {-1, -1};
    uint64_t start_ms = kh_clock_now_ms();
    if (out.bytes == NULL || make_pipe(out_pipe) != 0 || make_pipe(result_pipe) != 0) {
        snprintf(r->failure, sizeof(r->failure), "could not run the test: no pipe (%s)",
                 strerror(errno));
        goto fail;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork_retrying();
    if (pid < 0) {
        snprintf(r->failure, sizeof(r->failure), "could not run the test: fork: %s",
                 strerror(errno));
        r->elapsed_ms = kh_clock_now_ms() - start_ms;
        goto fail;
    }
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(out_pipe[1], STDERR_FILENO);
        close(out_pipe[1]);
        child_run(test, result_pipe[1], seed);
    }
    setpgid(pid, pid); /* also in the child: whichever runs first makes the group */
    close(out_pipe[1]);
    out_pipe[1] = -1;
    close(result_pipe[1]);
    result_pipe[1] = -1;
    uint64_t deadline_ms = start_ms + (uint64_t)(timeout_s * 1000.0);
    int wstatus = supervise(pid, out_pipe[0], result_pipe[0], deadline_ms, &out, &done);
    kill(-pid, SIGKILL); /* whatever the test forked and left behind */
    r->elapsed_ms = kh_clock_now_ms() - start_ms;
    classify(wstatus, pid, &out, &done, timeout_s, r);
    fwrite(out.bytes, 1, out.size_bytes, stdout);
    if (out.dropped_bytes > 0) {
        printf("\n[runner: %zu more bytes of output were dropped]\n", out.dropped_bytes);
    }
fail: /* reached when the test ran as well: everything is released either way */
    close_pipe(result_pipe);
    close_pipe(out_pipe);
    free(out.bytes);
}

static void
print_result(const char *name, const struct result *r, uint64_t seed)
{
    assert((size_t)r->status < KH_ARRAY_LEN(status_names));
    assert(strchr(name, '\t') == NULL); /* the line is tab-separated */
    char signal_name[32] = "-";
    if (r->signal != 0) {
        snprintf(signal_name, sizeof(signal_name), "SIG%s", sigabbrev_np(r->signal));
    }
    printf("KEEL-RESULT\t%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\t%s\n", name, status_names[r->status],
           signal_name, r->elapsed_ms, seed, r->failure);
    fflush(stdout);
}

static bool
is_selected(const struct options *opt, const char *name)
{
    if (opt->run_name_count == 0) {
        return true;
    }
    for (size_t i = 0; i < opt->run_name_count; i++) {
        if (strcmp(opt->run_names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

int
kh_test_run(int argc, char **argv, const struct CMUnitTest *tests, size_t test_count,
            const char *rubric_path)
{
    assert(argc >= 1);
    assert(tests != NULL || test_count == 0);
    struct options opt;
    if (parse_options(argc, argv, &opt) != 0) {
        usage(argv[0]);
        return 2;
    }
    for (size_t i = 0; i < opt.run_name_count; i++) {
        size_t j = 0;
        while (j < test_count && strcmp(tests[j].name, opt.run_names[i]) != 0) {
            j++;
        }
        if (j == test_count) {
            fprintf(stderr, "%s: no test named '%s' (--list shows them)\n", argv[0],
                    opt.run_names[i]);
            return 2;
        }
    }
    /* Not dumpable: a test's child, which runs as the same user, cannot then open the runner's
     * stdout through /proc/<runner>/fd and write a forged KEEL-RESULT line there, nor ptrace
     * it. (Code that runs in the runner itself, a constructor, is beyond any such guard.) */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        fprintf(stderr, "%s: prctl(PR_SET_DUMPABLE): %s\n", argv[0], strerror(errno));
        return 2;
    }
    size_t run_count = 0, pass_count = 0;
    for (size_t i = 0; i < test_count; i++) {
        if (opt.is_list) {
            printf("%s\n", tests[i].name);
            continue;
        }
        if (!is_selected(&opt, tests[i].name)) {
            continue;
        }
        uint64_t seed = opt.has_seed ? opt.seed : seed_of_name(tests[i].name);
        double timeout_s =
            opt.timeout_s > 0 ? opt.timeout_s : rubric_timeout_s(rubric_path, tests[i].name);
        struct result r;
        run_one(&tests[i], seed, timeout_s, &r);
        /* An inconclusive run checked nothing: the next seeds get a try, within the test's
         * time, and the line names the seed of the last run (which replays it). */
        uint64_t spent_ms = r.elapsed_ms;
        for (uint32_t tries = 1;
             r.status == STATUS_INCONCLUSIVE && tries < INCONCLUSIVE_TRIES_MAX &&
             (double)spent_ms < timeout_s * 1000.0 / 2;
             tries++) {
            printf("runner: %s with seed %" PRIu64 " was inconclusive (%s); trying seed %" PRIu64
                   "\n",
                   tests[i].name, seed, r.failure, seed + 1);
            seed++;
            run_one(&tests[i], seed, timeout_s, &r);
            spent_ms += r.elapsed_ms;
        }
        print_result(tests[i].name, &r, seed);
        if (r.status != STATUS_PASS) {
            printf("replay: %s --run %s --seed %" PRIu64 "\n", argv[0], tests[i].name, seed);
        }
        run_count++;
        pass_count += r.status == STATUS_PASS;
    }
    if (!opt.is_list) {
        printf("keel: %zu of %zu tests passed\n", pass_count, run_count);
    }
    assert(pass_count <= run_count);
    assert(run_count <= test_count);
    return pass_count == run_count ? 0 : 1;
}
