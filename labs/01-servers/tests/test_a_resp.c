/* test_a_resp.c -- part A: the RESP2 request parser and the reply writer (resp.h).
 * Requests are compared in a rendered form, "*argc len:bytes len:bytes\n" per request, so a
 * failure shows every argument with its length. Read parse_stream first: every parser test
 * feeds its input through it, in whatever pieces the test chooses. This binary's allocations are
 * counted and fail on demand (kh_oom.h, plain builds), for what resp.h says about memory. */
#include "kh_oom.h"
#include "kh_test.h"
#include "resp.h"
#include "status_names.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RENDER_SIZE_BYTES_MAX                                                                      \
    ((size_t)256 * 1024)    /* the largest random stream renders to < 64 KiB */
#define RANDOM_ROUNDS 2000u /* random streams per run: about 0.1 s, 1 s under ASan */
#define RANDOM_REQUESTS_MAX 20u
#define RANDOM_ARG_SIZE_BYTES_MAX 200u

/* What a parser made of a stream: every request rendered, and the last status. */
struct parsed {
    char *text; /* owned (malloc'd by parsed_init) */
    size_t text_size_bytes;
    size_t request_count;
    resp_status status; /* RESP_NEED_MORE when the stream was consumed without an error */
    char error[RESP_ERROR_SIZE_BYTES_MAX];
    size_t error_offset_bytes; /* where in the stream the call that failed began */
};

static void
parsed_init(struct parsed *out)
{
    memset(out, 0, sizeof(*out));
    out->text = malloc(RENDER_SIZE_BYTES_MAX);
    assert_non_null(out->text);
}

static void
parsed_free(struct parsed *out)
{
    free(out->text);
    out->text = NULL;
}

static void
render_append(struct parsed *out, const void *bytes, size_t size_bytes)
{
    if (size_bytes > RENDER_SIZE_BYTES_MAX - out->text_size_bytes) {
        fail_msg("test bug: rendered requests exceed %zu bytes", RENDER_SIZE_BYTES_MAX);
    }
    memcpy(out->text + out->text_size_bytes, bytes, size_bytes);
    out->text_size_bytes += size_bytes;
}

/* Appends "*argc len:bytes ...\n": the form every expected value in this file is written in. */
static void
render_request(struct parsed *out, const struct resp_request *request)
{
    char number[32];
    int length = snprintf(number, sizeof(number), "*%zu", request->argc);
    render_append(out, number, (size_t)length);
    for (size_t i = 0; i < request->argc; i++) {
        const struct resp_arg *arg = &request->argv[i];
        if (arg->bytes == NULL) {
            fail_msg("request %zu: argv[%zu].bytes is NULL", out->request_count, i);
        }
        if (arg->bytes[arg->size_bytes] != '\0') {
            fail_msg("request %zu: argv[%zu] (%zu bytes) is not followed by the '\\0' resp.h "
                     "promises",
                     out->request_count, i, arg->size_bytes);
        }
        length = snprintf(number, sizeof(number), " %zu:", arg->size_bytes);
        render_append(out, number, (size_t)length);
        render_append(out, arg->bytes, arg->size_bytes);
    }
    render_append(out, "\n", 1);
    out->request_count++;
}

/* Feeds stream[from, to) through p, one resp_parse call per request, each time from a fresh
 * heap copy of exactly the bytes left, which is overwritten and freed before the request is
 * read: a parser whose arguments point into the caller's buffer shows garbage (or, under ASan,
 * a use after free), and one that reads past the bytes it was given trips ASan. */
static void
feed_piece(struct resp_parser *p, const char *stream, size_t from, size_t to, struct parsed *out)
{
    size_t at = from;
    do {
        size_t left = to - at;
        char *copy = malloc(left ? left : 1);
        assert_non_null(copy);
        memcpy(copy, stream + at, left);
        size_t consumed = SIZE_MAX;
        struct resp_request *request = NULL;
        resp_status status = resp_parse(p, copy, left, &consumed, &request);
        memset(copy, 0xAA, left);
        free(copy);
        if (consumed > left) {
            fail_msg("resp_parse given %zu bytes at offset %zu said it consumed %zu", left, at,
                     consumed);
        }
        if (status == RESP_NEED_MORE) {
            if (consumed != left) {
                fail_msg("RESP_NEED_MORE at offset %zu consumed %zu of the %zu bytes given "
                         "(it must consume them all)",
                         at, consumed, left);
            }
            out->status = status;
            return;
        }
        if (status != RESP_OK) {
            out->status = status;
            out->error_offset_bytes = at;
            snprintf(out->error, sizeof(out->error), "%s", resp_parser_error(p));
            return;
        }
        if (consumed == 0 || request == NULL || request->argc == 0) {
            fail_msg("RESP_OK at offset %zu with consumed %zu, request %p, argc %zu (a request "
                     "is at least one byte and one argument)",
                     at, consumed, (void *)request, request ? request->argc : 0);
        }
        render_request(out, request);
        at += consumed;
    } while (at < to);
    out->status = RESP_NEED_MORE;
}

/* Parses stream cut before each of cuts[0..cut_count) (ascending, each <= size_bytes) with a
 * fresh parser. Stops at the first status other than RESP_OK and RESP_NEED_MORE. */
static void
parse_stream(const struct resp_limits *limits, const char *stream, size_t size_bytes,
             const size_t *cuts, size_t cut_count, struct parsed *out)
{
    struct resp_parser p;
    resp_parser_init(&p, limits);
    size_t from = 0;
    out->status = RESP_NEED_MORE;
    for (size_t i = 0; i <= cut_count && out->status == RESP_NEED_MORE; i++) {
        size_t to = i < cut_count ? cuts[i] : size_bytes;
        assert_true(from <= to && to <= size_bytes);
        feed_piece(&p, stream, from, to, out);
        from = to;
    }
    resp_parser_free(&p);
}

/* Parses stream one byte per call. */
static void
parse_bytewise(const struct resp_limits *limits, const char *stream, size_t size_bytes,
               struct parsed *out)
{
    size_t *cuts = malloc((size_bytes + 1) * sizeof(*cuts));
    assert_non_null(cuts);
    for (size_t i = 0; i < size_bytes; i++) {
        cuts[i] = i + 1;
    }
    parse_stream(limits, stream, size_bytes, cuts, size_bytes, out);
    free(cuts);
}

/* A valid stream and what it must parse to. */
struct valid_case {
    const char *name;
    const char *stream;
    size_t stream_size_bytes;
    const char *want;
    size_t want_size_bytes;
    size_t want_request_count;
};

#define VALID_CASE(name, stream, want, count)                                                      \
    {                                                                                              \
        name, stream, sizeof(stream) - 1, want, sizeof(want) - 1, count                            \
    }

static const struct valid_case valid_cases[] = {
    VALID_CASE("multibulk GET", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*2 3:GET 1:k\n", 1),
    VALID_CASE("inline", "PING\r\nSET k v\n", "*1 4:PING\n*3 3:SET 1:k 1:v\n", 2),
    VALID_CASE("pipelined mix",
               "*1\r\n$4\r\nPING\r\nECHO hi\r\n*3\r\n$3\r\nSET\r\n$2\r\nab\r\n$0\r\n\r\n",
               "*1 4:PING\n*2 4:ECHO 2:hi\n*3 3:SET 2:ab 0:\n", 3),
    VALID_CASE("binary bulk data", "*3\r\n$3\r\nSET\r\n$4\r\n\r\n\r\n\r\n$5\r\na\0b\r$\r\n",
               "*3 3:SET 4:\r\n\r\n 5:a\0b\r$\n", 1),
    VALID_CASE("empty requests", "*0\r\n\r\n*-1\r\n \t \n*1\r\n$0\r\n\r\n", "*1 0:\n", 1),
    VALID_CASE("two-digit counts",
               "*10\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"
               "$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$10\r\n0123456789\r\n",
               "*10 1:a 1:b 1:c 1:d 1:e 1:f 1:g 1:h 1:i 10:0123456789\n", 1),
};

/* Fails with a sentence saying how the stream was cut and what went wrong, then the bytes. */
static void
check_valid(const struct valid_case *c, const struct parsed *got, const char *how)
{
    if (got->status != RESP_NEED_MORE) {
        fail_msg("stream \"%s\" %s: resp_parse returned %s at offset %zu%s%s%s, expected %zu "
                 "requests",
                 c->name, how, resp_status_name(got->status), got->error_offset_bytes,
                 got->error[0] ? " (" : "", got->error, got->error[0] ? ")" : "",
                 c->want_request_count);
    }
    if (got->request_count != c->want_request_count || got->text_size_bytes != c->want_size_bytes ||
        memcmp(got->text, c->want, c->want_size_bytes) != 0) {
        print_error("stream \"%s\" %s parsed as %zu requests, expected %zu%s "
                    "(rendered \"*argc len:bytes ...\\n\" per request):\n",
                    c->name, how, got->request_count, c->want_request_count,
                    got->request_count == c->want_request_count ? ", with other arguments" : "");
        kh_assert_bytes_equal(c->stream, c->stream_size_bytes, c->want, c->want_size_bytes,
                              got->text, got->text_size_bytes);
    }
}

static void
check_valid_cut(const struct valid_case *c, const size_t *cuts, size_t cut_count)
{
    struct parsed got;
    parsed_init(&got);
    parse_stream(NULL, c->stream, c->stream_size_bytes, cuts, cut_count, &got);
    char how[96];
    if (cut_count == 0) {
        snprintf(how, sizeof(how), "given whole (%zu bytes)", c->stream_size_bytes);
    } else if (cut_count == 1) {
        snprintf(how, sizeof(how), "split at byte %zu of %zu", cuts[0], c->stream_size_bytes);
    } else {
        snprintf(how, sizeof(how), "split at bytes %zu and %zu of %zu", cuts[0], cuts[1],
                 c->stream_size_bytes);
    }
    check_valid(c, &got, how);
    parsed_free(&got);
}

/* ---- Valid requests --------------------------------------------------------------------- */

/* One multibulk request given whole parses to its arguments and consumes exactly its bytes. */
static void
test_a_parse_single_multibulk_request(void **state)
{
    (void)state;
    static const char stream[] = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    struct resp_parser p;
    resp_parser_init(&p, NULL);
    size_t consumed = SIZE_MAX;
    struct resp_request *request = NULL;
    resp_status status = resp_parse(&p, stream, sizeof(stream) - 1, &consumed, &request);
    if (status != RESP_OK) {
        fail_msg("\"*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\n\" given whole returned %s (%s)%s%s%s, "
                 "expected RESP_OK",
                 resp_status_name(status), resp_strerror(status),
                 resp_parser_error(&p)[0] ? ": \"" : "", resp_parser_error(&p),
                 resp_parser_error(&p)[0] ? "\"" : "");
    }
    if (consumed != sizeof(stream) - 1) {
        fail_msg("the request is %zu bytes but resp_parse consumed %zu", sizeof(stream) - 1,
                 consumed);
    }
    assert_non_null(request);
    struct parsed got;
    parsed_init(&got);
    render_request(&got, request);
    static const char want[] = "*2 3:GET 1:k\n";
    kh_assert_bytes_equal(stream, sizeof(stream) - 1, want, sizeof(want) - 1, got.text,
                          got.text_size_bytes);
    status = resp_parse(&p, stream, 0, &consumed, &request);
    if (status != RESP_NEED_MORE || consumed != 0 || request != NULL) {
        fail_msg("after the request, an empty call returned %s, consumed %zu, request %p; "
                 "expected RESP_NEED_MORE, 0, NULL",
                 resp_status_name(status), consumed, (void *)request);
    }
    parsed_free(&got);
    resp_parser_free(&p);
}

/* A stream the parser must refuse with exactly this message. */
struct error_case {
    const char *stream;
    size_t stream_size_bytes;
    const char *message;
};

#define ERROR_CASE(stream, message)                                                                \
    {                                                                                              \
        stream, sizeof(stream) - 1, message                                                        \
    }

/* Checks one error case given whole and fed one byte per call: both must fail, with the same
 * Redis message, before the stream ends (a limit must hold however the bytes arrive). */
static void
check_error_case(const struct resp_limits *limits, const struct error_case *c)
{
    char escaped[256];
    kh_bytes_escape(c->stream, c->stream_size_bytes, escaped, sizeof(escaped));
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
        struct parsed got;
        parsed_init(&got);
        if (bytewise) {
            parse_bytewise(limits, c->stream, c->stream_size_bytes, &got);
        } else {
            parse_stream(limits, c->stream, c->stream_size_bytes, NULL, 0, &got);
        }
        const char *how = bytewise ? "fed one byte per call" : "given whole";
        if (got.status != RESP_PROTOCOL_ERROR) {
            fail_msg("\"%s\" %s returned %s after %zu requests, expected RESP_PROTOCOL_ERROR "
                     "\"%s\"",
                     escaped, how, resp_status_name(got.status), got.request_count, c->message);
        }
        if (strcmp(got.error, c->message) != 0) {
            fail_msg("\"%s\" %s failed with \"%s\", expected \"%s\"", escaped, how, got.error,
                     c->message);
        }
        parsed_free(&got);
    }
}

/* Inline requests end at '\n' with or without '\r', split on runs of spaces, tabs, '\v' and
 * '\f', quotes are ordinary bytes, and a blank line is skipped. */
static void
test_a_parse_inline_requests(void **state)
{
    (void)state;
    static const struct valid_case cases[] = {
        VALID_CASE("PING with CRLF", "PING\r\n", "*1 4:PING\n", 1),
        VALID_CASE("SET with a bare LF", "SET k v\n", "*3 3:SET 1:k 1:v\n", 1),
        VALID_CASE("runs of spaces and tabs", "  SET \t k\t\tv  \r\n", "*3 3:SET 1:k 1:v\n", 1),
        VALID_CASE("blank lines skipped", "\r\n\n  \r\nPING\n", "*1 4:PING\n", 1),
        VALID_CASE("bytes that mean something in multibulk", "ECHO $3 *1\r\n",
                   "*3 4:ECHO 2:$3 2:*1\n", 1),
        /* Redis's sdssplitargs skips any isspace() run before an argument, but ends a plain one
         * only at a space, tab, CR or LF: a vertical tab or form feed inside it is kept. */
        VALID_CASE("vertical tab and form feed lead, but do not split", "\v\fSET\vk v\r\n",
                   "*2 5:SET\vk 1:v\n", 1),
        VALID_CASE("double quotes group words", "ECHO \"a b\"\n", "*2 4:ECHO 3:a b\n", 1),
        VALID_CASE("escapes in double quotes", "SET k \"\\x41\\n\\\"\"\r\n",
                   "*3 3:SET 1:k 3:A\n\"\n", 1),
        VALID_CASE("single quotes, an empty argument", "SET 'it\\'s' ''\n", "*3 3:SET 4:it's 0:\n",
                   1),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        check_valid_cut(&cases[i], NULL, 0);
    }
    /* A quote left open, or a closing quote glued to the next word, is a protocol error. */
    static const char unbalanced[] = "Protocol error: unbalanced quotes in request";
    static const struct error_case errors[] = {
        ERROR_CASE("set \"\"\"test-key\"\"\" test-value\r\n", unbalanced),
        ERROR_CASE("ECHO \"abc\r\n", unbalanced),
        ERROR_CASE("ECHO 'abc'def\n", unbalanced),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(errors); i++) {
        check_error_case(NULL, &errors[i]);
    }
}

/* Several requests in one buffer come out one per call, each consuming exactly its own bytes,
 * and a partial request at the end is kept for the next call. */
static void
test_a_pipelined_requests_in_one_buffer(void **state)
{
    (void)state;
    static const char stream[] = "*1\r\n$4\r\nPING\r\n"           /* 14 bytes */
                                 "ECHO hi\r\n"                    /* 9 bytes */
                                 "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" /* 20 bytes */
                                 "*2\r\n$4\r\nECHO\r\n$2\r\nh";   /* first 19 of 22 bytes */
    static const size_t want_consumed[] = {14, 9, 20};
    static const char tail[] = "i\r\n";
    struct resp_parser p;
    resp_parser_init(&p, NULL);
    size_t at = 0;
    for (size_t i = 0; i < KH_ARRAY_LEN(want_consumed); i++) {
        size_t consumed = SIZE_MAX;
        struct resp_request *request = NULL;
        resp_status status =
            resp_parse(&p, stream + at, sizeof(stream) - 1 - at, &consumed, &request);
        if (status != RESP_OK || consumed != want_consumed[i]) {
            fail_msg("pipelined request %zu (at byte %zu of %zu) returned %s having consumed "
                     "%zu bytes, expected RESP_OK and %zu (one read is not one request)",
                     i, at, sizeof(stream) - 1, resp_status_name(status), consumed,
                     want_consumed[i]);
        }
        at += consumed;
    }
    size_t consumed = SIZE_MAX;
    struct resp_request *request = NULL;
    resp_status status = resp_parse(&p, stream + at, sizeof(stream) - 1 - at, &consumed, &request);
    if (status != RESP_NEED_MORE || consumed != sizeof(stream) - 1 - at) {
        fail_msg("the partial 4th request (%zu bytes) returned %s, consumed %zu; expected "
                 "RESP_NEED_MORE having consumed all of it",
                 sizeof(stream) - 1 - at, resp_status_name(status), consumed);
    }
    status = resp_parse(&p, tail, sizeof(tail) - 1, &consumed, &request);
    if (status != RESP_OK || consumed != sizeof(tail) - 1) {
        fail_msg("the last 3 bytes of the 4th request returned %s, consumed %zu; expected "
                 "RESP_OK, 3",
                 resp_status_name(status), consumed);
    }
    assert_non_null(request);
    struct parsed got;
    parsed_init(&got);
    render_request(&got, request);
    static const char want[] = "*2 4:ECHO 2:hi\n";
    kh_assert_bytes_equal(tail, sizeof(tail) - 1, want, sizeof(want) - 1, got.text,
                          got.text_size_bytes);
    parsed_free(&got);
    resp_parser_free(&p);
}

/* Bulk data is binary ("\r\n" and '\0' inside are data, not ends), $0 is an empty argument,
 * and *0, *-1 and blank lines are empty requests that produce nothing. */
static void
test_a_binary_and_empty_arguments(void **state)
{
    (void)state;
    static const struct valid_case cases[] = {
        VALID_CASE("binary bulk data", "*3\r\n$3\r\nSET\r\n$4\r\n\r\n\r\n\r\n$5\r\na\0b\r$\r\n",
                   "*3 3:SET 4:\r\n\r\n 5:a\0b\r$\n", 1),
        VALID_CASE("bulk data that looks like a header", "*2\r\n$4\r\n*1\r\n\r\n$4\r\n$1\r\n\r\n",
                   "*2 4:*1\r\n 4:$1\r\n\n", 1),
        VALID_CASE("empty arguments", "*3\r\n$0\r\n\r\n$0\r\n\r\n$1\r\nx\r\n", "*3 0: 0: 1:x\n", 1),
        VALID_CASE("empty requests", "*0\r\n\r\n*-1\r\n \t \n*1\r\n$0\r\n\r\n*0\r\n", "*1 0:\n", 1),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        check_valid_cut(&cases[i], NULL, 0);
    }
}

/* Feeds stream to p in pieces of at most piece_size_bytes, one resp_parse call per request or
 * piece, and renders each request into out. Returns the allocations those calls made. */
static uint64_t
parse_counting_allocations(struct resp_parser *p, const char *stream, size_t size_bytes,
                           size_t piece_size_bytes, struct parsed *out)
{
    uint64_t allocations = 0;
    size_t at = 0;
    while (at < size_bytes) {
        size_t left = size_bytes - at < piece_size_bytes ? size_bytes - at : piece_size_bytes;
        size_t consumed = 0;
        struct resp_request *request = NULL;
        uint64_t before = kh_oom_allocations();
        resp_status status = resp_parse(p, stream + at, left, &consumed, &request);
        allocations += kh_oom_allocations() - before;
        if (status == RESP_OK && consumed > 0 && request != NULL) {
            render_request(out, request);
        } else if (status != RESP_NEED_MORE || consumed != left) {
            fail_msg("resp_parse of bytes %zu to %zu of a valid stream returned %s, consumed %zu "
                     "(%s)",
                     at, at + left, resp_status_name(status), consumed, resp_parser_error(p));
        }
        at += consumed;
    }
    return allocations;
}

/* Fails unless out holds exactly want, then empties it. */
static void
check_rendered(struct parsed *out, const char *when, const char *want, size_t want_size_bytes)
{
    kh_assert_bytes_equal(when, strlen(when), want, want_size_bytes, out->text,
                          out->text_size_bytes);
    out->text_size_bytes = 0;
    out->request_count = 0;
}

/* The claim: resp_parser_init allocates nothing, and the parser keeps its storage for the next
 * request (resp.h): once it has parsed a request, the same request again (whole, then one byte
 * per call) and a smaller one parse without an allocation, as a connection in steady state
 * does. resp_parser_free frees all it took, and the parser may be initialized again, after
 * requests and after an error, and then parses as a new one. Allocations are counted in plain
 * builds only (kh_oom.h); the rest is checked in every build. */
static void
test_a_parser_reuses_its_storage_and_inits_again(void **state)
{
    (void)state;
    static const char request[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$20\r\n01234567890123456789\r\n";
    static const char want[] = "*3 3:SET 3:key 20:01234567890123456789\n";
    static const char smaller[] = "GET key\r\n";
    static const char want_again[] = "*3 3:SET 3:key 20:01234567890123456789\n"
                                     "*3 3:SET 3:key 20:01234567890123456789\n"
                                     "*2 3:GET 3:key\n";
    struct parsed got;
    parsed_init(&got);
    int64_t blocks_before = kh_oom_live_blocks();
    struct resp_parser p;
    for (int round = 0; round < 2; round++) { /* the second initializes p again after a free */
        uint64_t before = kh_oom_allocations();
        resp_parser_init(&p, NULL);
        if (kh_oom_allocations() != before) {
            fail_msg("resp_parser_init%s allocated memory (%" PRIu64 " calls to malloc, calloc "
                     "or realloc): resp.h says it allocates nothing",
                     round == 0 ? "" : " after resp_parser_free", kh_oom_allocations() - before);
        }
        parse_counting_allocations(&p, request, sizeof(request) - 1, sizeof(request), &got);
        check_rendered(&got, request, want, sizeof(want) - 1);
        uint64_t again =
            parse_counting_allocations(&p, request, sizeof(request) - 1, sizeof(request), &got) +
            parse_counting_allocations(&p, request, sizeof(request) - 1, 1, &got) +
            parse_counting_allocations(&p, smaller, sizeof(smaller) - 1, sizeof(smaller), &got);
        if (again != 0) {
            fail_msg("after its first request, the parser allocated memory %" PRIu64 " times to "
                     "parse the same request again (whole, then one byte per call) and a smaller "
                     "one: resp.h says its storage is kept for the next request",
                     again);
        }
        check_rendered(&got, "the same request twice, then GET key", want_again,
                       sizeof(want_again) - 1);
        resp_parser_free(&p);
        if (kh_oom_live_blocks() != blocks_before) {
            fail_msg("after resp_parser_free, %" PRId64 " blocks the parser took are still "
                     "allocated: it frees what p owns",
                     kh_oom_live_blocks() - blocks_before);
        }
    }
    /* Failed, freed and initialized again: a new parser, with no error. */
    resp_parser_init(&p, NULL);
    static const char bad[] = "*x\r\n";
    size_t consumed = 0;
    struct resp_request *request_out = NULL;
    assert_resp_status(resp_parse(&p, bad, sizeof(bad) - 1, &consumed, &request_out),
                       RESP_PROTOCOL_ERROR);
    resp_parser_free(&p);
    resp_parser_init(&p, NULL);
    if (resp_parser_error(&p)[0] != '\0') {
        fail_msg("a parser that failed, was freed and initialized again still reports \"%s\": "
                 "resp_parser_init makes an empty parser",
                 resp_parser_error(&p));
    }
    parse_counting_allocations(&p, request, sizeof(request) - 1, sizeof(request), &got);
    check_rendered(&got, "a request after a failed parser was freed and initialized again", want,
                   sizeof(want) - 1);
    resp_parser_free(&p);
    parsed_free(&got);
}

/* ---- Any split point -------------------------------------------------------------------- */

/* Every valid stream parses the same when cut at any one point, at any two points, and when
 * fed one byte per call: TCP may deliver a request in any pieces. */
static void
test_a_every_split_point_parses_the_same(void **state)
{
    (void)state;
    for (size_t c = 0; c < KH_ARRAY_LEN(valid_cases); c++) {
        const struct valid_case *vc = &valid_cases[c];
        check_valid_cut(vc, NULL, 0);
        for (size_t i = 0; i <= vc->stream_size_bytes; i++) {
            size_t cuts[1] = {i};
            check_valid_cut(vc, cuts, 1);
        }
        for (size_t i = 1; i < vc->stream_size_bytes; i++) {
            for (size_t j = i + 1; j < vc->stream_size_bytes; j++) {
                size_t cuts[2] = {i, j};
                check_valid_cut(vc, cuts, 2);
            }
        }
        struct parsed got;
        parsed_init(&got);
        parse_bytewise(NULL, vc->stream, vc->stream_size_bytes, &got);
        check_valid(vc, &got, "fed one byte per call");
        parsed_free(&got);
    }
}

/* A growable byte string for building random streams. */
struct bytes {
    char *data;
    size_t size_bytes;
    size_t capacity_bytes;
};

static void
bytes_put(struct bytes *b, const void *data, size_t size_bytes)
{
    if (b->size_bytes + size_bytes > b->capacity_bytes) {
        b->capacity_bytes = 2 * (b->size_bytes + size_bytes);
        b->data = realloc(b->data, b->capacity_bytes);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->size_bytes, data, size_bytes);
    b->size_bytes += size_bytes;
}

static void
bytes_printf_number(struct bytes *b, const char *prefix, size_t value, const char *suffix)
{
    char text[48];
    int length = snprintf(text, sizeof(text), "%s%zu%s", prefix, value, suffix);
    bytes_put(b, text, (size_t)length);
}

/* Appends one random multibulk request to stream and its rendering to want. The bytes favour
 * the ones a parser could mistake for structure. */
static void
random_multibulk(struct kh_rng *rng, struct bytes *stream, struct bytes *want)
{
    static const char alphabet[] = "\r\n$*0123456789abc\0";
    size_t argc = 1 + (size_t)kh_rng_below(rng, 6);
    bytes_printf_number(stream, "*", argc, "\r\n");
    bytes_printf_number(want, "*", argc, "");
    for (size_t i = 0; i < argc; i++) {
        size_t size_bytes = kh_rng_below(rng, 4) == 0
                                ? (size_t)kh_rng_below(rng, RANDOM_ARG_SIZE_BYTES_MAX)
                                : (size_t)kh_rng_below(rng, 4);
        bytes_printf_number(stream, "$", size_bytes, "\r\n");
        bytes_printf_number(want, " ", size_bytes, ":");
        for (size_t k = 0; k < size_bytes; k++) {
            char c = alphabet[kh_rng_below(rng, sizeof(alphabet) - 1)];
            bytes_put(stream, &c, 1);
            bytes_put(want, &c, 1);
        }
        bytes_put(stream, "\r\n", 2);
    }
    bytes_put(want, "\n", 1);
}

/* Appends one random inline request: tokens of letters, digits, '$' and '*', separated by runs
 * of spaces and tabs, ended by "\r\n" or "\n"; the first byte is never '*'. */
static void
random_inline(struct kh_rng *rng, struct bytes *stream, struct bytes *want)
{
    static const char alphabet[] = "abcXYZ0189$*";
    size_t argc = 1 + (size_t)kh_rng_below(rng, 4);
    bytes_printf_number(want, "*", argc, "");
    for (size_t i = 0; i < argc; i++) {
        size_t spaces = (i > 0 ? 1 : 0) + (size_t)kh_rng_below(rng, 3);
        for (size_t k = 0; k < spaces; k++) {
            bytes_put(stream, kh_rng_below(rng, 2) ? " " : "\t", 1);
        }
        size_t size_bytes = 1 + (size_t)kh_rng_below(rng, 10);
        bytes_printf_number(want, " ", size_bytes, ":");
        for (size_t k = 0; k < size_bytes; k++) {
            /* A token that opens the line starts with a letter, so the line is not multibulk. */
            size_t letters = (i == 0 && spaces == 0 && k == 0) ? 6 : sizeof(alphabet) - 1;
            char c = alphabet[kh_rng_below(rng, letters)];
            bytes_put(stream, &c, 1);
            bytes_put(want, &c, 1);
        }
    }
    bool is_crlf = kh_rng_below(rng, 2) == 1;
    bytes_put(stream, is_crlf ? "\r\n" : "\n", is_crlf ? 2 : 1);
    bytes_put(want, "\n", 1);
}

/* Random pipelined streams of multibulk, inline and empty requests, cut into random pieces,
 * parse to the requests they were built from. Draws only from the test's seed. */
static void
test_a_random_fragmentation_parses_the_same(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    struct bytes stream = {0};
    struct bytes want = {0};
    size_t *cuts = NULL;
    for (size_t round = 0; round < RANDOM_ROUNDS; round++) {
        stream.size_bytes = 0;
        want.size_bytes = 0;
        size_t request_count = 0;
        size_t requests = 1 + (size_t)kh_rng_below(&rng, RANDOM_REQUESTS_MAX);
        for (size_t r = 0; r < requests; r++) {
            uint64_t kind = kh_rng_below(&rng, 10);
            if (kind < 6) {
                random_multibulk(&rng, &stream, &want);
                request_count++;
            } else if (kind < 9) {
                random_inline(&rng, &stream, &want);
                request_count++;
            } else {
                bool is_mbulk = kh_rng_below(&rng, 2) == 1; /* *0 or a blank inline line */
                bytes_put(&stream, is_mbulk ? "*0\r\n" : "\r\n", is_mbulk ? 4 : 2);
            }
        }
        /* Pieces mostly tiny, sometimes large: both ends of how TCP delivers. */
        cuts = realloc(cuts, (stream.size_bytes + 1) * sizeof(*cuts));
        assert_non_null(cuts);
        size_t cut_count = 0;
        size_t piece_max = kh_rng_below(&rng, 2) ? 4 : 256;
        for (size_t at = 1 + kh_rng_below(&rng, piece_max); at < stream.size_bytes;
             at += 1 + kh_rng_below(&rng, piece_max)) {
            cuts[cut_count++] = at;
        }
        struct parsed got;
        parsed_init(&got);
        parse_stream(NULL, stream.data, stream.size_bytes, cuts, cut_count, &got);
        char name[64];
        snprintf(name, sizeof(name), "random round %zu", round);
        struct valid_case vc = {name,      stream.data,     stream.size_bytes,
                                want.data, want.size_bytes, request_count};
        char how[96];
        snprintf(how, sizeof(how), "cut into %zu pieces of at most %zu bytes", cut_count + 1,
                 piece_max);
        check_valid(&vc, &got, how);
        parsed_free(&got);
    }
    free(cuts);
    free(stream.data);
    free(want.data);
}

/* ---- Malformed input and limits --------------------------------------------------------- */

/* Lengths that are not strict non-negative decimals, and an argument not starting with '$', are
 * protocol errors with Redis's messages. */
static void
test_a_malformed_lengths_are_protocol_errors(void **state)
{
    (void)state;
    static const char bulk[] = "Protocol error: invalid bulk length";
    static const char mbulk[] = "Protocol error: invalid multibulk length";
    static const struct error_case cases[] = {
        ERROR_CASE("*2\r\n$x\r\nGET\r\n", bulk),
        ERROR_CASE("*1\r\n$-1\r\n", bulk),
        ERROR_CASE("*1\r\n$-5\r\nhello\r\n", bulk),
        ERROR_CASE("*1\r\n$+3\r\nGET\r\n", bulk),
        ERROR_CASE("*1\r\n$03\r\nGET\r\n", bulk),
        ERROR_CASE("*1\r\n$3 \r\nGET\r\n", bulk),
        ERROR_CASE("*1\r\n$\r\n", bulk),
        ERROR_CASE("*1\r\n$99999999999999999999\r\n", bulk),
        ERROR_CASE("*x\r\n", mbulk),
        ERROR_CASE("*1x\r\n$1\r\na\r\n", mbulk),
        ERROR_CASE("*\r\n", mbulk),
        ERROR_CASE("*18446744073709551617\r\n", mbulk),
        ERROR_CASE("*2\r\nx3\r\nGET\r\n", "Protocol error: expected '$', got 'x'"),
        ERROR_CASE("*2\r\n$3\r\nGET\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
        ERROR_CASE("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
                   "Protocol error: expected '$', got 'f'"),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        check_error_case(NULL, &cases[i]);
    }
}

/* The two bytes after bulk data must be "\r\n", and a header line's '\r' must be followed by
 * '\n': a $N off by one either way is caught, not silently resynchronized. */
static void
test_a_bulk_data_must_end_with_crlf(void **state)
{
    (void)state;
    static const char crlf[] = "Protocol error: expected '\\r\\n' after bulk data";
    static const struct error_case cases[] = {
        ERROR_CASE("*1\r\n$3\r\nabcX\r\n", crlf),
        ERROR_CASE("*1\r\n$2\r\nabc\r\n", crlf),
        ERROR_CASE("*1\r\n$3\r\nabc\rX", crlf),
        ERROR_CASE("*1\r\n$3\r\nabc\n\r", crlf),
        ERROR_CASE("*2\r\n$4\r\nabc\r\n$1\r\nx\r\n", crlf),
        ERROR_CASE("*1\rX$3\r\nabc\r\n", "Protocol error: invalid multibulk length"),
        ERROR_CASE("*1\n$3\r\nabc\r\n", "Protocol error: invalid multibulk length"),
        ERROR_CASE("*1\r\n$3\rXabc\r\n", "Protocol error: invalid bulk length"),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        check_error_case(NULL, &cases[i]);
    }
}

/* Every limit in struct resp_limits accepts a request exactly at the limit and refuses one a
 * byte or an argument over it, even before the over-long line ends; the defaults are Redis's. */
static void
test_a_limits_are_enforced(void **state)
{
    (void)state;
    static const struct resp_limits small = {.bulk_size_bytes_max = 8,
                                             .args_max = 3,
                                             .inline_size_bytes_max = 16,
                                             .request_size_bytes_max = 1024};
    static const struct valid_case at_limit[] = {
        VALID_CASE("bulk of 8 bytes", "*1\r\n$8\r\n12345678\r\n", "*1 8:12345678\n", 1),
        VALID_CASE("3 arguments", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "*3 1:a 1:b 1:c\n", 1),
        VALID_CASE("inline of 16 bytes", "0123456789abcdef\n", "*1 16:0123456789abcdef\n", 1),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(at_limit); i++) {
        struct parsed got;
        parsed_init(&got);
        parse_stream(&small, at_limit[i].stream, at_limit[i].stream_size_bytes, NULL, 0, &got);
        check_valid(&at_limit[i], &got, "at the lowered limit (bulk 8, args 3, inline 16)");
        parsed_free(&got);
    }
    static const struct error_case over_limit[] = {
        ERROR_CASE("*1\r\n$9\r\n", "Protocol error: invalid bulk length"),
        ERROR_CASE("*4\r\n", "Protocol error: invalid multibulk length"),
        ERROR_CASE("0123456789abcdefg\n", "Protocol error: too big inline request"),
        ERROR_CASE("0123456789abcdefg", "Protocol error: too big inline request"),
        ERROR_CASE("*11111111111111111", "Protocol error: too big mbulk count string"),
        ERROR_CASE("*1\r\n$11111111111111111", "Protocol error: too big bulk count string"),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(over_limit); i++) {
        check_error_case(&small, &over_limit[i]);
    }
    static const struct resp_limits small_request = {.bulk_size_bytes_max = 32,
                                                     .args_max = 8,
                                                     .inline_size_bytes_max = 64,
                                                     .request_size_bytes_max = 40};
    static const struct valid_case request_at_limit = VALID_CASE(
        "request of 40 bytes", "*2\r\n$19\r\n0123456789abcdefghi\r\n$19\r\n0123456789abcdefghi\r\n",
        "*2 19:0123456789abcdefghi 19:0123456789abcdefghi\n", 1);
    struct parsed got;
    parsed_init(&got);
    parse_stream(&small_request, request_at_limit.stream, request_at_limit.stream_size_bytes, NULL,
                 0, &got);
    check_valid(&request_at_limit, &got, "at request_size_bytes_max 40 (19 + 1 + 19 + 1)");
    parsed_free(&got);
    static const struct error_case request_over = ERROR_CASE(
        "*2\r\n$19\r\n0123456789abcdefghi\r\n$20\r\n", "Protocol error: too big request");
    check_error_case(&small_request, &request_over);
    static const struct error_case default_over[] = {
        ERROR_CASE("*1048577\r\n", "Protocol error: invalid multibulk length"),
        ERROR_CASE("*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(default_over); i++) {
        check_error_case(NULL, &default_over[i]);
    }
    static const char default_at[] = "*1048576\r\n$536870912\r\nab";
    parsed_init(&got);
    parse_stream(NULL, default_at, sizeof(default_at) - 1, NULL, 0, &got);
    if (got.status != RESP_NEED_MORE) {
        fail_msg("*1048576 then $536870912 (both at Redis's limits) returned %s (%s), expected "
                 "RESP_NEED_MORE",
                 resp_status_name(got.status), got.error);
    }
    parsed_free(&got);
}

/* An inline line's limit counts every byte before its '\n', a '\r' included (resp.h): at an
 * inline_size_bytes_max of 16, 15 bytes then "\r\n" are a request and 16 bytes then "\r\n" are
 * too big, given whole and one byte per call. */
static void
test_a_inline_limit_counts_the_cr(void **state)
{
    (void)state;
    static const struct resp_limits small = {.bulk_size_bytes_max = 8,
                                             .args_max = 3,
                                             .inline_size_bytes_max = 16,
                                             .request_size_bytes_max = 1024};
    static const struct valid_case at_limit[] = {
        VALID_CASE("15 bytes, then CRLF", "0123456789abcde\r\n", "*1 15:0123456789abcde\n", 1),
        VALID_CASE("16 bytes with an inner CR, then CRLF", "ECHO\r0123456789\r\n",
                   "*2 4:ECHO 10:0123456789\n", 1),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(at_limit); i++) {
        struct parsed got;
        parsed_init(&got);
        parse_stream(&small, at_limit[i].stream, at_limit[i].stream_size_bytes, NULL, 0, &got);
        check_valid(&at_limit[i], &got, "given whole at inline_size_bytes_max 16");
        parsed_free(&got);
        parsed_init(&got);
        parse_bytewise(&small, at_limit[i].stream, at_limit[i].stream_size_bytes, &got);
        check_valid(&at_limit[i], &got, "fed one byte per call at inline_size_bytes_max 16");
        parsed_free(&got);
    }
    static const char too_big[] = "Protocol error: too big inline request";
    static const struct error_case over_limit[] = {
        ERROR_CASE("0123456789abcdef\r\n", too_big),
        ERROR_CASE("0123456789abcdef\r", too_big), /* refused before the '\n' arrives */
        ERROR_CASE("ECHO 0123456789\r\r\n", too_big),
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(over_limit); i++) {
        check_error_case(&small, &over_limit[i]);
    }
}

/* After a protocol error the parser refuses everything, valid input included: it returns the
 * error again, consumes nothing, hands out no request and keeps the first message. */
static void
test_a_error_is_sticky(void **state)
{
    (void)state;
    struct resp_parser p;
    resp_parser_init(&p, NULL);
    if (strcmp(resp_parser_error(&p), "") != 0) {
        fail_msg("a fresh parser's resp_parser_error is \"%s\", expected \"\"",
                 resp_parser_error(&p));
    }
    static const char bad[] = "*1\r\n$x\r\n";
    size_t consumed = SIZE_MAX;
    struct resp_request *request = NULL;
    resp_status status = resp_parse(&p, bad, sizeof(bad) - 1, &consumed, &request);
    if (status != RESP_PROTOCOL_ERROR) {
        fail_msg("\"*1\\r\\n$x\\r\\n\" returned %s (%s), expected RESP_PROTOCOL_ERROR",
                 resp_status_name(status), resp_strerror(status));
    }
    static const char good[][24] = {"PING\r\n", "*1\r\n$4\r\nPING\r\n", "*1\r\n$x\r\n", "*x\r\n"};
    for (size_t i = 0; i < KH_ARRAY_LEN(good); i++) {
        consumed = SIZE_MAX;
        request = NULL;
        status = resp_parse(&p, good[i], strlen(good[i]), &consumed, &request);
        if (status != RESP_PROTOCOL_ERROR || consumed != 0 || request != NULL) {
            fail_msg("call %zu after the error returned %s, consumed %zu, request %p; expected "
                     "RESP_PROTOCOL_ERROR, 0, NULL",
                     i + 1, resp_status_name(status), consumed, (void *)request);
        }
        assert_string_equal(resp_parser_error(&p), "Protocol error: invalid bulk length");
    }
    resp_parser_free(&p);
}

/* ---- Reply writer ----------------------------------------------------------------------- */

/* Checks that b holds exactly want (a string literal's bytes), then empties b. */
static void
check_reply(struct resp_buf *b, resp_status status, const char *call, const char *want,
            size_t want_size_bytes)
{
    if (status != RESP_OK) {
        fail_msg("%s returned %s (%s), expected RESP_OK", call, resp_status_name(status),
                 resp_strerror(status));
    }
    kh_assert_bytes_equal(call, strlen(call), want, want_size_bytes, b->data, b->size_bytes);
    resp_buf_reset(b);
}

#define CHECK_REPLY(b, expr, want) check_reply((b), (expr), #expr, (want), sizeof(want) - 1)

/* Each reply type is written byte for byte as RESP2 defines it. */
static void
test_a_reply_writer_is_byte_exact(void **state)
{
    (void)state;
    struct resp_buf b;
    resp_buf_init(&b);
    CHECK_REPLY(&b, resp_buf_simple(&b, "OK"), "+OK\r\n");
    CHECK_REPLY(&b, resp_buf_simple(&b, ""), "+\r\n");
    CHECK_REPLY(&b, resp_buf_error(&b, "ERR unknown command 'x'"), "-ERR unknown command 'x'\r\n");
    CHECK_REPLY(&b, resp_buf_error(&b, "ERR bad\r\nthing\n"), "-ERR bad  thing \r\n");
    CHECK_REPLY(&b, resp_buf_errorf(&b, "ERR wrong number of arguments for '%s' command", "get"),
                "-ERR wrong number of arguments for 'get' command\r\n");
    /* resp_buf_errorf keeps RESP_ERROR_SIZE_BYTES_MAX - 1 = 127 bytes of its message. */
    char long_message[201];
    memset(long_message, 'x', 200);
    long_message[200] = '\0';
    char want_cut[132] = "-";
    memset(want_cut + 1, 'x', 127);
    memcpy(want_cut + 128, "\r\n", 3);
    check_reply(&b, resp_buf_errorf(&b, "%s", long_message), "resp_buf_errorf(&b, \"%s\", 200 x's)",
                want_cut, 130);
    CHECK_REPLY(&b, resp_buf_integer(&b, 0), ":0\r\n");
    CHECK_REPLY(&b, resp_buf_integer(&b, 42), ":42\r\n");
    CHECK_REPLY(&b, resp_buf_integer(&b, -1), ":-1\r\n");
    CHECK_REPLY(&b, resp_buf_integer(&b, INT64_MAX), ":9223372036854775807\r\n");
    CHECK_REPLY(&b, resp_buf_integer(&b, INT64_MIN), ":-9223372036854775808\r\n");
    CHECK_REPLY(&b, resp_buf_bulk(&b, "hello", 5), "$5\r\nhello\r\n");
    CHECK_REPLY(&b, resp_buf_bulk(&b, NULL, 0), "$0\r\n\r\n");
    CHECK_REPLY(&b, resp_buf_bulk(&b, "a\r\n\0b", 5), "$5\r\na\r\n\0b\r\n");
    CHECK_REPLY(&b, resp_buf_null_bulk(&b), "$-1\r\n");
    CHECK_REPLY(&b, resp_buf_array(&b, 0), "*0\r\n");
    CHECK_REPLY(&b, resp_buf_array(&b, 12), "*12\r\n");
    CHECK_REPLY(&b, resp_buf_null_array(&b), "*-1\r\n");
    /* Appends accumulate: an array header, then its elements. */
    assert_resp_status(resp_buf_array(&b, 3), RESP_OK);
    assert_resp_status(resp_buf_bulk(&b, "foo", 3), RESP_OK);
    assert_resp_status(resp_buf_null_bulk(&b), RESP_OK);
    CHECK_REPLY(&b, resp_buf_integer(&b, 7), "*3\r\n$3\r\nfoo\r\n$-1\r\n:7\r\n");
    resp_buf_free(&b);
}

/* Appends reply kind to b: the kinds reply_fits_after_any_fill tries. Returns its status. */
static resp_status
append_reply_kind(struct resp_buf *b, int kind)
{
    switch (kind) {
    case 0:
        return resp_buf_simple(b, "OK");
    case 1:
        return resp_buf_error(b, "ERR x");
    case 2:
        return resp_buf_errorf(b, "ERR %d", 7);
    case 3:
        return resp_buf_integer(b, -42);
    case 4:
        return resp_buf_bulk(b, "abc", 3);
    case 5:
        return resp_buf_null_bulk(b);
    case 6:
        return resp_buf_array(b, 3);
    case 7:
        return resp_buf_null_array(b);
    default: /* 40 bytes: more than its header line, so room made for the header alone is short */
        return resp_buf_bulk(b, "0123456789abcdefghijklmnopqrstuvwxyzABCD", 40);
    }
}

#if KH_OOM_IS_INJECTABLE
/* The calls append_reply_kind makes, by kind, for failure messages. */
static const char *const reply_kind_calls[] = {"resp_buf_simple(b, \"OK\")",
                                               "resp_buf_error(b, \"ERR x\")",
                                               "resp_buf_errorf(b, \"ERR %d\", 7)",
                                               "resp_buf_integer(b, -42)",
                                               "resp_buf_bulk(b, \"abc\", 3)",
                                               "resp_buf_null_bulk(b)",
                                               "resp_buf_array(b, 3)",
                                               "resp_buf_null_array(b)",
                                               "resp_buf_bulk(b, 40 bytes, 40)"};

/* Appends reply kind to b, which holds fill_size_bytes of fill, with every allocation failing
 * (kh_oom.h): RESP_OK if it fit without growing b, or RESP_NOMEM with b as it was, the same
 * data, size and capacity (resp.h: all or nothing). Returns the status. */
static resp_status
append_with_no_memory(struct resp_buf *b, int kind, const char *fill, size_t fill_size_bytes)
{
    const char *call = reply_kind_calls[kind];
    struct resp_buf before = *b;
    kh_oom_arm_all(true); /* no cmocka call until disarmed: cmocka allocates */
    resp_status status = append_reply_kind(b, kind);
    kh_oom_disarm();
    if (status != RESP_OK && status != RESP_NOMEM) {
        fail_msg("%s after %zu bytes, with every allocation failing, returned %s: expected "
                 "RESP_OK or RESP_NOMEM",
                 call, fill_size_bytes, resp_status_name(status));
    }
    if (status == RESP_NOMEM &&
        (b->data != before.data || b->size_bytes != before.size_bytes ||
         b->capacity_bytes != before.capacity_bytes ||
         (fill_size_bytes > 0 && memcmp(b->data, fill, fill_size_bytes) != 0))) {
        fail_msg("%s after %zu bytes returned RESP_NOMEM, yet the buffer changed "
                 "(size_bytes %zu -> %zu, capacity_bytes %zu -> %zu, or its bytes): an append "
                 "writes the whole reply or, on RESP_NOMEM, nothing (resp.h)",
                 call, fill_size_bytes, before.size_bytes, b->size_bytes, before.capacity_bytes,
                 b->capacity_bytes);
    }
    return status;
}
#endif

/* Every kind of reply, appended after 0 to 600 bytes already in a fresh buffer, so that it ends
 * exactly at, one byte short of and one byte past the capacity of each of its first sizes:
 * the reply reads back whole and size_bytes never passes capacity_bytes (one byte too few
 * reserved writes past the end of the buffer only at such an edge). In plain builds each append
 * is tried first with every allocation failing: where the reply does not fit, RESP_NOMEM must
 * leave the buffer as it was. */
static void
reply_fits_after_any_fill(void)
{
    static const char *const kinds[] = {
        "+OK\r\n",  "-ERR x\r\n",    "-ERR 7\r\n",
        ":-42\r\n", "$3\r\nabc\r\n", "$-1\r\n",
        "*3\r\n",   "*-1\r\n",       "$40\r\n0123456789abcdefghijklmnopqrstuvwxyzABCD\r\n"};
    static char fill[600];
    memset(fill, 'f', sizeof(fill));
    for (size_t fill_size = 0; fill_size <= sizeof(fill); fill_size++) {
        for (int kind = 0; kind < (int)KH_ARRAY_LEN(kinds); kind++) {
            struct resp_buf b;
            resp_buf_init(&b);
            assert_resp_status(resp_buf_append(&b, fill, fill_size), RESP_OK);
#if KH_OOM_IS_INJECTABLE
            if (append_with_no_memory(&b, kind, fill, fill_size) == RESP_NOMEM) {
                assert_resp_status(append_reply_kind(&b, kind), RESP_OK);
            }
#else
            assert_resp_status(append_reply_kind(&b, kind), RESP_OK);
#endif
            size_t want_size = strlen(kinds[kind]);
            if (b.size_bytes != fill_size + want_size || b.size_bytes > b.capacity_bytes ||
                memcmp(b.data + fill_size, kinds[kind], want_size) != 0) {
                fail_msg("reply %s after %zu bytes: size_bytes %zu (want %zu), capacity_bytes "
                         "%zu, or its bytes differ",
                         kinds[kind], fill_size, b.size_bytes, fill_size + want_size,
                         b.capacity_bytes);
            }
            resp_buf_free(&b);
        }
    }
}

/* The reply buffer grows past any initial size without losing bytes, a reply that ends at the
 * edge of the capacity is whole, and reset keeps the capacity so a reused buffer stops
 * allocating. In plain builds (kh_oom.h) also: resp_buf_init allocates nothing, and an append
 * that cannot grow the buffer returns RESP_NOMEM and leaves it as it was. */
static void
test_a_reply_buffer_grows_and_resets(void **state)
{
    (void)state;
    enum { INTEGERS = 10000, BULK_SIZE_BYTES = 1 << 20 };
    struct resp_buf b;
    uint64_t allocations_before = kh_oom_allocations();
    resp_buf_init(&b);
    if (kh_oom_allocations() != allocations_before) {
        fail_msg("resp_buf_init allocated memory (%" PRIu64 " calls to malloc, calloc or "
                 "realloc): resp.h says it allocates nothing",
                 kh_oom_allocations() - allocations_before);
    }
    struct bytes want = {0};
    char *bulk = malloc(BULK_SIZE_BYTES);
    assert_non_null(bulk);
    for (size_t i = 0; i < BULK_SIZE_BYTES; i++) {
        bulk[i] = (char)(i * 7 + i / 251);
    }
    for (int64_t i = 0; i < INTEGERS; i++) {
        resp_status status = resp_buf_integer(&b, i * 1000003 - 5000000);
        if (status != RESP_OK) {
            fail_msg("resp_buf_integer number %" PRId64 " returned %s (%s), expected RESP_OK", i,
                     resp_status_name(status), resp_strerror(status));
        }
        char text[32];
        int length = snprintf(text, sizeof(text), ":%" PRId64 "\r\n", i * 1000003 - 5000000);
        bytes_put(&want, text, (size_t)length);
    }
    assert_resp_status(resp_buf_bulk(&b, bulk, BULK_SIZE_BYTES), RESP_OK);
    bytes_printf_number(&want, "$", BULK_SIZE_BYTES, "\r\n");
    bytes_put(&want, bulk, BULK_SIZE_BYTES);
    bytes_put(&want, "\r\n", 2);
    static const char sent[] = "10000 integers, then a 1 MiB bulk";
    kh_assert_bytes_equal(sent, sizeof(sent) - 1, want.data, want.size_bytes, b.data, b.size_bytes);
    if (b.capacity_bytes < b.size_bytes) {
        fail_msg("capacity_bytes %zu < size_bytes %zu", b.capacity_bytes, b.size_bytes);
    }
    size_t capacity_bytes = b.capacity_bytes;
    char *data = b.data;
    resp_buf_reset(&b);
    assert_resp_status(resp_buf_simple(&b, "OK"), RESP_OK);
    if (b.capacity_bytes != capacity_bytes || b.data != data) {
        fail_msg("a small reply after reset reallocated the buffer (capacity %zu -> %zu)",
                 capacity_bytes, b.capacity_bytes);
    }
    static const char again[] = "resp_buf_simple(&b, \"OK\") after reset";
    kh_assert_bytes_equal(again, sizeof(again) - 1, "+OK\r\n", 5, b.data, b.size_bytes);
    resp_buf_free(&b);
    free(bulk);
    free(want.data);
    reply_fits_after_any_fill();
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_parse_single_multibulk_request),
        cmocka_unit_test(test_a_parse_inline_requests),
        cmocka_unit_test(test_a_pipelined_requests_in_one_buffer),
        cmocka_unit_test(test_a_binary_and_empty_arguments),
        cmocka_unit_test(test_a_parser_reuses_its_storage_and_inits_again),
        cmocka_unit_test(test_a_every_split_point_parses_the_same),
        cmocka_unit_test(test_a_random_fragmentation_parses_the_same),
        cmocka_unit_test(test_a_malformed_lengths_are_protocol_errors),
        cmocka_unit_test(test_a_bulk_data_must_end_with_crlf),
        cmocka_unit_test(test_a_limits_are_enforced),
        cmocka_unit_test(test_a_inline_limit_counts_the_cr),
        cmocka_unit_test(test_a_error_is_sticky),
        cmocka_unit_test(test_a_reply_writer_is_byte_exact),
        cmocka_unit_test(test_a_reply_buffer_grows_and_resets),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
