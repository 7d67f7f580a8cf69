/* resp.c -- your RESP2 request parser and reply writer (lab 01-servers, part A).
 * Read resp.h first: it is the contract the tests check. Then the README's part A. The status
 * texts and the free/reset functions are given in resp_given.c; each TODO(part A) function here
 * returns RESP_UNIMPLEMENTED until you write it. Add static helpers and a state enum of your own
 * as you need them. */
#include "resp.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Parser ----------------------------------------------------------------------------- */

/* Given: copies the limits and zeroes the rest. Extend it if your state needs a start value
 * other than zero (p->state == 0 is your first state, e.g. "at the start of a request"). */
void
resp_parser_init(struct resp_parser *p, const struct resp_limits *limits)
{
    assert(p != NULL);
    memset(p, 0, sizeof(*p));
    if (limits != NULL) {
        p->limits = *limits;
    } else {
        p->limits.bulk_size_bytes_max = RESP_BULK_SIZE_BYTES_MAX;
        p->limits.args_max = RESP_ARGS_MAX;
        p->limits.inline_size_bytes_max = RESP_INLINE_SIZE_BYTES_MAX;
        p->limits.request_size_bytes_max = RESP_REQUEST_SIZE_BYTES_MAX;
    }
    p->failed_status = RESP_OK;
}

resp_status
resp_parse(struct resp_parser *p, const void *buf, size_t size_bytes, size_t *consumed_bytes,
           struct resp_request **request)
{
    assert(p != NULL);
    assert(consumed_bytes != NULL && request != NULL);
    *consumed_bytes = 0;
    *request = NULL;
    (void)buf;
    (void)size_bytes;
    /* TODO(part A): a state machine over the byte stream. Decide which states a request passes
     * through (the first byte, the *N line, each $N line, the data, the CRLF after it, an inline
     * line) and keep the current one in p->state, so a call can stop after ANY byte and the
     * next call picks up there. Consume runs of bytes at a time with memchr and memcpy, not one
     * byte per function call. Copy argument bytes into storage you own (p->data, grown as bytes
     * arrive, bounded by p->limits), because the caller reuses buf after the call. Return as
     * soon as one request is complete, with *consumed_bytes saying where it ended: the rest of
     * buf is the next request's. On an error, record the message and make the failure sticky.
     * An inline line, once whole, is split into arguments by the given resp_inline_next_arg
     * (resp.h: quotes and escapes as Redis), which can write them in place over the line. */
    return RESP_UNIMPLEMENTED;
}

/* ---- Reply writer ----------------------------------------------------------------------- */

resp_status
resp_buf_simple(struct resp_buf *b, const char *text)
{
    assert(b != NULL);
    assert(text != NULL);
    /* TODO(part A): make room in b (one growth helper, shared by every append below, that
     * doubles the capacity and leaves b untouched when realloc fails), then append the reply. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_error(struct resp_buf *b, const char *message)
{
    assert(b != NULL);
    assert(message != NULL);
    /* TODO(part A): like resp_buf_simple, but read resp.h for what happens to '\r' and '\n'. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_errorf(struct resp_buf *b, const char *format, ...)
{
    assert(b != NULL);
    assert(format != NULL);
    /* TODO(part A): format into a local array of RESP_ERROR_SIZE_BYTES_MAX bytes with
     * vsnprintf (va_start / va_end), then hand it to resp_buf_error. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_integer(struct resp_buf *b, int64_t value)
{
    assert(b != NULL);
    (void)value;
    /* TODO(part A): the integer reply. Mind INT64_MIN, which has no positive twin. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_bulk(struct resp_buf *b, const void *bytes, size_t size_bytes)
{
    assert(b != NULL);
    assert(bytes != NULL || size_bytes == 0);
    /* TODO(part A): header, data, trailer. The data is binary: copy it by size, not as text. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_null_bulk(struct resp_buf *b)
{
    assert(b != NULL);
    /* TODO(part A): the null bulk string. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_array(struct resp_buf *b, size_t count)
{
    assert(b != NULL);
    (void)count;
    /* TODO(part A): the array header; the elements are appended by the caller afterwards. */
    return RESP_UNIMPLEMENTED;
}

resp_status
resp_buf_null_array(struct resp_buf *b)
{
    assert(b != NULL);
    /* TODO(part A): the null array. */
    return RESP_UNIMPLEMENTED;
}
