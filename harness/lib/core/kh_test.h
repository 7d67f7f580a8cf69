/* kh_test.h -- what every Keel test includes: cmocka, the runner's main (kh_test_main) and the
 * seed of the running test, and the byte-exact check for protocol tests; with kh_core.h.
 * Read kh_test_run first. A benchmark includes kh_core.h instead: it has no cmocka. */
#ifndef KEEL_KH_TEST_H
#define KEEL_KH_TEST_H

#include "kh_core.h"

#include <setjmp.h> /* cmocka.h needs these four before it */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* ---- Test runner (runner.c) ------------------------------------------------------------- */

/* The main of every test binary. Runs each selected test in its own forked child (its own
 * process group), so a crash, a hang, an early exit() or a stray fork fails that test alone.
 * Flags: --list            print the test names, one a line, and exit 0
 *        --run NAME        run only NAME (may be given more than once)
 *        --seed N          the seed every randomized test draws from (default: fixed per test)
 *        --timeout-s N     per-test wall clock; default from the lab's tests/rubric, else 10 s
 * For each test it prints the test's own output, then one line the grader parses:
 *   KEEL-RESULT name status signal elapsed_ms seed first_failure_line   (tab-separated;
 *   status is PASS, FAIL, TIMEOUT, CRASH or INCONCLUSIVE; signal is SIGxxx or -). A test
 *   that ends inconclusive is run again with the next seeds (up to 4 seeds in all, within
 *   half its time), and the line names the last seed run.
 * Returns 0 when every selected test passed, 1 when one did not, 2 on a usage error. */
int kh_test_run(int argc, char **argv, const struct CMUnitTest *tests, size_t test_count,
                const char *rubric_path);

/* The build compiles each test file with KEEL_RUBRIC set to its lab's tests/rubric, which is
 * where the runner finds each test's timeout. */
#ifndef KEEL_RUBRIC
#define KEEL_RUBRIC NULL
#endif
static inline int
kh_test_main(int argc, char **argv, const struct CMUnitTest *tests, size_t test_count)
{
    return kh_test_run(argc, argv, tests, test_count, KEEL_RUBRIC);
}

/* The seed of the running test. Randomized tests must draw only from it; the runner prints it
 * with every failure, so `--run NAME --seed N` replays the failure exactly. */
uint64_t kh_test_seed(void);

/* Ends the running test as INCONCLUSIVE: it ran without reaching a situation it exists to check
 * (a seed whose network never lost the message the test is about), so it proves nothing. Not a
 * pass, not a failure: the grader reports it as not checked. Say what was not reached. */
void kh_test_inconclusive(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- Statuses by name ------------------------------------------------------------------- */

/* Fails the running test unless expr, a status of type, is expected, naming the call and both
 * statuses by their enum names (name_of) and texts (text_of):
 *   ebr_register(&g_domain, &t) is EBR_UNIMPLEMENTED (not implemented yet), expected EBR_OK
 * expr is evaluated once; expr_text is expr as written (a lab's own macro passes #expr, so the
 * text is taken before expansion). Each lab names its statuses with its own X-macro list. */
#define KH_ASSERT_STATUS_OF(type, name_of, text_of, expr, expected, expr_text)                     \
    do {                                                                                           \
        type got_status_ = (expr);                                                                 \
        type want_status_ = (expected);                                                            \
        if (got_status_ != want_status_) {                                                         \
            fail_msg("%s is %s (%s), expected %s", expr_text, name_of(got_status_),                \
                     text_of(got_status_), name_of(want_status_));                                 \
        }                                                                                          \
    } while (0)

/* ---- Byte-exact protocol checks (bytes.c) ------------------------------------------------ */

/* Fails the running test unless got equals expected byte for byte. The message shows what
 * was sent, what was expected and what came back, escaped, with the first difference marked. */
#define kh_assert_bytes_equal(sent, sent_size, expected, expected_size, got, got_size)             \
    kh_check_bytes((sent), (sent_size), (expected), (expected_size), (got), (got_size), __FILE__,  \
                   __LINE__)
void kh_check_bytes(const void *sent, size_t sent_size, const void *expected, size_t expected_size,
                    const void *got, size_t got_size, const char *file, int line);

#endif
