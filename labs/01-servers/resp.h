/* resp.h -- RESP2, the Redis wire protocol: an incremental request parser and a reply writer
 * (lab 01-servers, part A). Read resp_parse first. The parser owns the memory it hands out;
 * the reply writer appends into a growable buffer the caller owns. Students do not change this
 * file: the tests and the servers of parts B-E are written against it. */
#ifndef KEEL_RESP_H
#define KEEL_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Limits -----------------------------------------------------------------------------
 * The defaults are Redis's, so a client that works against redis-server works here. Each can
 * be lowered per parser through struct resp_limits (the tests do, to check a limit without a
 * 512 MiB allocation). */

/* One bulk argument: Redis's proto-max-bulk-len default, 512 MiB (config.c), which
 * processMultibulkBuffer in networking.c checks every $N against. */
#define RESP_BULK_SIZE_BYTES_MAX ((size_t)512 * 1024 * 1024)

/* Arguments in one multibulk request: 1024 * 1024, the cap processMultibulkBuffer in
 * networking.c has long put on *N (newer Redis versions allow more and bound memory with
 * client-query-buffer-limit instead; a million arguments is plenty for this lab). */
#define RESP_ARGS_MAX ((size_t)1024 * 1024)

/* One inline request line, and one *N or $N header line: PROTO_INLINE_MAX_SIZE, 64 KiB
 * (server.h), which networking.c applies to a line that has not ended yet. */
#define RESP_INLINE_SIZE_BYTES_MAX ((size_t)64 * 1024)

/* All argument bytes of one request (each argument counted with its NUL terminator): 1 GiB,
 * Redis's client-query-buffer-limit default (config.c). Redis closes such a client without a
 * reply; this parser reports "Protocol error: too big request" instead. */
#define RESP_REQUEST_SIZE_BYTES_MAX ((size_t)1024 * 1024 * 1024)

/* The digits of a *N or $N line that can matter: "-9223372036854775808" is 20 bytes, so any
 * longer line is an invalid length whatever it holds (the parser still counts its bytes). */
#define RESP_HEADER_SIZE_BYTES_MAX 24u

/* resp_parser_error()'s message, NUL included: the longest message listed below is 49 bytes. */
#define RESP_ERROR_SIZE_BYTES_MAX 128u

/* ---- Status ----------------------------------------------------------------------------- */

#define RESP_STATUS_LIST(X)                                                                        \
    X(RESP_OK, "ok")                                                                               \
    X(RESP_NEED_MORE, "need more bytes: every byte given was consumed, the request is partial")    \
    X(RESP_PROTOCOL_ERROR, "protocol error: the client broke RESP (see resp_parser_error)")        \
    X(RESP_NOMEM, "out of memory")                                                                 \
    X(RESP_UNIMPLEMENTED, "not implemented yet")

#define RESP_STATUS_ENUM_ENTRY(name, text) name,
typedef enum { RESP_STATUS_LIST(RESP_STATUS_ENUM_ENTRY) } resp_status;
#undef RESP_STATUS_ENUM_ENTRY

/* A static, human-readable text for status ("unknown status" for a value not in the list). */
const char *resp_strerror(resp_status status);

/* ---- Parser ----------------------------------------------------------------------------- */

/* Each limit is the largest value accepted: one more is refused.
 *   inline_size_bytes_max   an inline line counts every byte before its '\n', a '\r' before
 *                           the '\n' included: at 16, "0123456789abcde\r\n" (15 + '\r') is a
 *                           request and "0123456789abcdef\r\n" is too big. A *N or $N line
 *                           counts the bytes after its '*' or '$' and before its '\r'.
 *   request_size_bytes_max  applies to multibulk requests only, checked as each $N line ends,
 *                           so an argument that would pass it is refused before its data comes;
 *                           an inline request is bounded by inline_size_bytes_max alone. */
struct resp_limits {
    size_t bulk_size_bytes_max;    /* one argument's data */
    size_t args_max;               /* N of one *N */
    size_t inline_size_bytes_max;  /* one inline line, and the digits of one *N or $N line */
    size_t request_size_bytes_max; /* all argument bytes of one request, one NUL per argument */
};

/* One argument. bytes[size_bytes] is always '\0' (handy for numbers and logs), but the data is
 * binary: it may hold '\0', '\r' and '\n' itself, so always use size_bytes. */
struct resp_arg {
    const char *bytes;
    size_t size_bytes;
};

/* One complete request, e.g. {"SET", "k", "v"}: argc >= 1 whenever resp_parse hands it out. */
struct resp_request {
    size_t argc;
    struct resp_arg *argv; /* argc entries */
};

/* The parser's state between calls. It is declared here only so a connection can embed a parser
 * without an allocation: only resp.c reads or writes these fields. The comments describe one way
 * to use them; your resp.c may use them differently. */
struct resp_parser {
    struct resp_limits limits; /* copied by resp_parser_init */
    int state;                 /* where in a request the next byte falls: an enum in resp.c */
    resp_status failed_status; /* RESP_OK until an error; then sticky (see resp_parse) */
    char error_message[RESP_ERROR_SIZE_BYTES_MAX]; /* NUL-terminated; "" while healthy */
    size_t args_expected;                          /* N of the *N line of the request being read */
    size_t bulk_size_bytes;                        /* N of the $N line of the argument being read */
    size_t bulk_read_bytes;                        /* bytes of that argument's data stored so far */
    char header[RESP_HEADER_SIZE_BYTES_MAX]; /* the first bytes of the *N or $N line being read */
    size_t header_size_bytes; /* bytes of that line seen so far (may exceed sizeof(header)) */
    char *data;               /* owned: the request's argument bytes, each followed by '\0' */
    size_t data_size_bytes;
    size_t data_capacity_bytes;
    struct resp_arg *args; /* owned: one entry per argument stored */
    size_t args_capacity;
    struct resp_request request; /* what resp_parse hands out; points into data and args */
};

/* Makes p an empty parser with limits copied from *limits, or with the RESP_*_MAX defaults when
 * limits is NULL. Allocates nothing: storage grows on first use and is kept for the next
 * request, so a connection in steady state parses without calling malloc. */
void resp_parser_init(struct resp_parser *p, const struct resp_limits *limits);

/* Frees what p owns. Every request p handed out becomes invalid. p may be initialized again. */
void resp_parser_free(struct resp_parser *p);

/* Feeds the next size_bytes bytes of a client's byte stream to p. The bytes may be split at any
 * point: one call may hold many requests, part of one, or a single byte. Accepted forms:
 *   multibulk  *2\r\n$3\r\nGET\r\n$1\r\nk\r\n   binary safe; $0 is an empty argument;
 *              *0 and *-1 (any N <= 0) are empty requests, skipped as Redis skips them.
 *   inline     PING\r\n or SET k v\n            a request is a line whose first byte is not
 *              '*', ended by '\n'; arguments are the runs of bytes between spaces, tabs, '\r',
 *              '\v' and '\f'. Quotes are ordinary bytes here (Redis also honours "..." and
 *              '...'; this parser does not). A blank line is an empty request, skipped.
 * Returns:
 *   RESP_OK         one complete request: *request points to it and *consumed_bytes counts the
 *                   bytes of buf up to and including its last byte (>= 1). Call again with the
 *                   rest of buf: it may hold further (pipelined) requests.
 *                   *request and every argv[i].bytes are borrowed from p: read-only, valid until
 *                   the next resp_parse or resp_parser_free on p. They never point into buf,
 *                   so the caller may reuse buf as soon as the call returns.
 *   RESP_NEED_MORE  every byte was consumed (*consumed_bytes == size_bytes); p keeps what it
 *                   needs of a partial request. *request is NULL.
 *   RESP_PROTOCOL_ERROR  the client broke the protocol or a limit; resp_parser_error(p) is the
 *                   message, Redis's text (reply "-ERR " message "\r\n", then close).
 *   RESP_NOMEM      storage could not grow.
 * After an error p is failed: every later call returns the same status, consumes nothing, and
 * resp_parser_error keeps the first message. *consumed_bytes is then <= size_bytes, and which
 * bytes were looked at is unspecified. buf may be NULL only when size_bytes is 0. */
resp_status resp_parse(struct resp_parser *p, const void *buf, size_t size_bytes,
                       size_t *consumed_bytes, struct resp_request **request);

/* Given (resp_given.c): the next argument of an inline line, split as Redis's sdssplitargs
 * does for processInlineBuffer. Arguments are separated by spaces, tabs, '\r' and '\n' (runs of
 * any isspace byte before one); "double quotes" take the escapes \n \r \t \b \a \\ \" and
 * \xHH, 'single quotes' take \'; a closing quote must be followed by a space or the end; the
 * line ends at its first '\0'. Reads line[*at ..], writes the argument's bytes at dst (which may
 * be line itself: it never passes the bytes already read) and moves *at past it and the byte
 * that ended it. Returns 1 with *arg_size_bytes set, 0 when no argument is left, or -1 for
 * unbalanced quotes (Redis's "Protocol error: unbalanced quotes in request"). */
int resp_inline_next_arg(const char *line, size_t line_size_bytes, size_t *at, char *dst,
                         size_t *arg_size_bytes);

/* The message of p's first error, e.g. "Protocol error: invalid bulk length", or "" when p has
 * not failed. Borrowed from p, valid until resp_parser_init or resp_parser_free. Messages:
 *   Protocol error: invalid multibulk length     *N not a number, or N > args_max
 *   Protocol error: invalid bulk length          $N not a number, N < 0, or N > bulk max
 *   Protocol error: expected '$', got 'x'        an argument did not start with '$'
 *   Protocol error: too big mbulk count string   a *N line longer than inline_size_bytes_max
 *   Protocol error: too big bulk count string    a $N line longer than inline_size_bytes_max
 *   Protocol error: too big inline request       an inline line longer than inline max
 *   Protocol error: unbalanced quotes in request an inline line resp_inline_next_arg refuses
 *   Protocol error: expected '\r\n' after bulk data   (Redis skips these two bytes unchecked)
 *   Protocol error: too big request              over request_size_bytes_max (see above)
 *   out of memory                                after RESP_NOMEM
 * A number is a strict decimal as Redis's string2ll reads it: an optional '-', then digits
 * without a leading zero ("0" itself is fine), no '+', no spaces. A header line ends in "\r\n";
 * a '\r' followed by anything else makes the length invalid. Every limit is checked the same
 * way however the bytes were split (Redis checks some only when a line has not ended yet). */
const char *resp_parser_error(const struct resp_parser *p);

/* ---- Reply writer -----------------------------------------------------------------------
 * Appends RESP2 replies to a growable buffer the caller owns. Each append either writes the
 * whole reply or, returning RESP_NOMEM, leaves the buffer as it was. Growth doubles, so a
 * buffer reset and reused by a connection stops allocating once it has seen its largest
 * reply. The caller bounds how much it lets a buffer hold (a server drops slow clients). */

struct resp_buf {
    char *data; /* owned: size_bytes bytes of replies, then spare capacity */
    size_t size_bytes;
    size_t capacity_bytes;
};

void resp_buf_init(struct resp_buf *b);  /* empty; allocates nothing */
void resp_buf_reset(struct resp_buf *b); /* empty, keeps the capacity */
void resp_buf_free(struct resp_buf *b);  /* frees data; b may be init again */
/* Given: makes room for size_bytes more bytes (doubling, from 256). On RESP_NOMEM b is as it
 * was. Every append below starts with it. */
resp_status resp_buf_reserve(struct resp_buf *b, size_t size_bytes);
/* Given: appends raw bytes that already are RESP (a pub/sub message built once, sent to many). */
resp_status resp_buf_append(struct resp_buf *b, const void *bytes, size_t size_bytes);

/* +text\r\n   e.g. +OK\r\n. text must hold no '\r' or '\n' (asserted: it is the server's). */
resp_status resp_buf_simple(struct resp_buf *b, const char *text);
/* -message\r\n   e.g. -ERR unknown command\r\n. The message goes out as given ("ERR ",
 * "WRONGTYPE " are the caller's), except that any '\r' or '\n' in it becomes a space, as
 * Redis does, because a message may quote a client's bytes. */
resp_status resp_buf_error(struct resp_buf *b, const char *message);
/* resp_buf_error with a printf-style message, cut at RESP_ERROR_SIZE_BYTES_MAX - 1 bytes. */
resp_status resp_buf_errorf(struct resp_buf *b, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* :value\r\n   e.g. :-42\r\n */
resp_status resp_buf_integer(struct resp_buf *b, int64_t value);
/* $size\r\nbytes\r\n   binary safe; bytes may be NULL when size_bytes is 0. */
resp_status resp_buf_bulk(struct resp_buf *b, const void *bytes, size_t size_bytes);
/* $-1\r\n   the null bulk string (GET of a missing key). */
resp_status resp_buf_null_bulk(struct resp_buf *b);
/* *count\r\n   the header of an array; the caller appends the count elements after it. */
resp_status resp_buf_array(struct resp_buf *b, size_t count);
/* *-1\r\n   the null array. */
resp_status resp_buf_null_array(struct resp_buf *b);

#endif
