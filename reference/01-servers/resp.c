/* resp.c -- reference RESP2 request parser and reply writer (lab 01-servers, part A).
 * The parser is a state machine over the byte stream: resp_parse dispatches on p->state to one
 * step function per state, and each step consumes a whole run of bytes (memchr, memcpy), never
 * one byte per call. Read resp_parse first, then the steps in the order of the enum. */
#include "resp.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORAGE_SIZE_BYTES_MIN 256u /* first allocation of data and of a reply buffer */
#define ARGS_CAPACITY_MIN 8u        /* first allocation of args: most commands have <= 8 */

/* Where in a request the next byte falls. */
enum parse_state {
    STATE_REQUEST_START, /* the first byte decides: '*' multibulk, anything else inline */
    STATE_MBULK_COUNT,   /* the digits of *N, up to '\r' */
    STATE_MBULK_COUNT_LF,
    STATE_BULK_TYPE, /* the '$' of the next argument */
    STATE_BULK_SIZE, /* the digits of $N, up to '\r' */
    STATE_BULK_SIZE_LF,
    STATE_BULK_DATA, /* N bytes of argument data, copied into p->data */
    STATE_BULK_CR,   /* the "\r\n" after the data */
    STATE_BULK_LF,
    STATE_INLINE, /* an inline line, copied into p->data up to '\n' */
};

static const char ERR_MBULK_LENGTH[] = "Protocol error: invalid multibulk length";
static const char ERR_BULK_LENGTH[] = "Protocol error: invalid bulk length";
static const char ERR_MBULK_TOO_BIG[] = "Protocol error: too big mbulk count string";
static const char ERR_BULK_TOO_BIG[] = "Protocol error: too big bulk count string";
static const char ERR_INLINE_TOO_BIG[] = "Protocol error: too big inline request";
static const char ERR_BULK_CRLF[] = "Protocol error: expected '\\r\\n' after bulk data";
static const char ERR_REQUEST_TOO_BIG[] = "Protocol error: too big request";

/* ---- Status ----------------------------------------------------------------------------- */

/* ---- Parser: storage -------------------------------------------------------------------- */

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
    p->state = STATE_REQUEST_START;
    p->failed_status = RESP_OK;
    assert(p->data == NULL);
}

/* Marks p failed with message; every later resp_parse returns status. */
static resp_status
parser_fail(struct resp_parser *p, resp_status status, const char *message)
{
    assert(status == RESP_PROTOCOL_ERROR || status == RESP_NOMEM);
    assert(p->failed_status == RESP_OK);
    p->failed_status = status;
    snprintf(p->error_message, sizeof(p->error_message), "%s", message);
    return status;
}

/* Makes room for size_bytes more bytes of data. Doubling keeps the copies amortized O(1) per
 * byte and stops allocating once a connection has seen its largest request. */
static resp_status
data_reserve(struct resp_parser *p, size_t size_bytes)
{
    assert(p->data_size_bytes <= p->data_capacity_bytes);
    size_t needed = p->data_size_bytes + size_bytes;
    if (needed <= p->data_capacity_bytes) {
        return RESP_OK;
    }
    size_t capacity = p->data_capacity_bytes ? p->data_capacity_bytes : STORAGE_SIZE_BYTES_MIN;
    while (capacity < needed) {
        capacity *= 2;
    }
    char *data = realloc(p->data, capacity);
    if (data == NULL) {
        return parser_fail(p, RESP_NOMEM, "out of memory");
    }
    p->data = data;
    p->data_capacity_bytes = capacity;
    assert(p->data_capacity_bytes >= needed);
    return RESP_OK;
}

/* Appends one argument slot of size_bytes (its data is stored separately, in order). */
static resp_status
args_push(struct resp_parser *p, size_t size_bytes)
{
    if (p->request.argc == p->args_capacity) {
        size_t capacity = p->args_capacity ? 2 * p->args_capacity : ARGS_CAPACITY_MIN;
        struct resp_arg *args = realloc(p->args, capacity * sizeof(*args));
        if (args == NULL) {
            return parser_fail(p, RESP_NOMEM, "out of memory");
        }
        p->args = args;
        p->args_capacity = capacity;
    }
    assert(p->request.argc < p->args_capacity);
    p->args[p->request.argc].bytes = NULL; /* set by request_finish: data may still move */
    p->args[p->request.argc].size_bytes = size_bytes;
    p->request.argc++;
    return RESP_OK;
}

/* The request is complete: points each argument into data (which no longer moves) and hands
 * the request out. Arguments lie in data in order, each followed by its '\0'. */
static resp_status
request_finish(struct resp_parser *p)
{
    assert(p->request.argc > 0);
    size_t offset = 0;
    for (size_t i = 0; i < p->request.argc; i++) {
        p->args[i].bytes = p->data + offset;
        offset += p->args[i].size_bytes + 1;
        assert(p->args[i].bytes[p->args[i].size_bytes] == '\0');
    }
    assert(offset == p->data_size_bytes);
    p->request.argv = p->args;
    p->state = STATE_REQUEST_START;
    return RESP_OK;
}

/* Forgets the request handed out by the previous call, keeping the storage. */
static void
request_clear(struct resp_parser *p)
{
    p->request.argc = 0;
    p->request.argv = NULL;
    p->data_size_bytes = 0;
}

/* ---- Parser: numbers and header lines --------------------------------------------------- */

/* Reads a strict decimal as Redis's string2ll does: optional '-', digits, no leading zero
 * (except "0" itself), no '+', no spaces, within int64_t. Returns false otherwise. */
static bool
parse_i64(const char *s, size_t size_bytes, int64_t *value)
{
    bool is_negative = size_bytes > 0 && s[0] == '-';
    size_t i = is_negative ? 1 : 0;
    if (i == size_bytes || size_bytes > 20) {
        return false;
    }
    if (s[i] == '0') {
        *value = 0;
        return size_bytes == 1; /* "0" only: "00", "01" and "-0" are not numbers */
    }
    uint64_t magnitude = 0;
    for (; i < size_bytes; i++) {
        unsigned digit = (unsigned)(unsigned char)s[i] - '0';
        if (digit > 9 || magnitude > (UINT64_MAX - digit) / 10) {
            return false;
        }
        magnitude = magnitude * 10 + digit;
    }
    uint64_t magnitude_max = is_negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (magnitude > magnitude_max) {
        return false;
    }
    *value = is_negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return true;
}

/* Consumes the digits of a *N or $N line up to its '\r', keeping the first bytes in p->header
 * and counting all of them, so a line that never ends is refused once it passes the limit. */
static resp_status
step_header(struct resp_parser *p, const char **at, const char *end, const char *too_big)
{
    size_t available = (size_t)(end - *at);
    const char *cr = memchr(*at, '\r', available);
    size_t line_bytes = cr ? (size_t)(cr - *at) : available;
    if (p->header_size_bytes < sizeof(p->header)) {
        size_t room = sizeof(p->header) - p->header_size_bytes;
        memcpy(p->header + p->header_size_bytes, *at, line_bytes < room ? line_bytes : room);
    }
    p->header_size_bytes += line_bytes;
    if (p->header_size_bytes > p->limits.inline_size_bytes_max) {
        return parser_fail(p, RESP_PROTOCOL_ERROR, too_big);
    }
    *at += line_bytes;
    if (cr != NULL) {
        *at += 1;
        p->state = p->state == STATE_MBULK_COUNT ? STATE_MBULK_COUNT_LF : STATE_BULK_SIZE_LF;
    }
    return RESP_NEED_MORE;
}

/* The '\n' of a *N line: N > 0 starts a request, N <= 0 is an empty request Redis skips. */
static resp_status
step_mbulk_count_lf(struct resp_parser *p, const char **at)
{
    int64_t count = 0;
    bool is_number = p->header_size_bytes <= sizeof(p->header) &&
                     parse_i64(p->header, p->header_size_bytes, &count);
    if (**at != '\n' || !is_number || (count > 0 && (uint64_t)count > p->limits.args_max)) {
        return parser_fail(p, RESP_PROTOCOL_ERROR, ERR_MBULK_LENGTH);
    }
    *at += 1;
    if (count <= 0) {
        p->state = STATE_REQUEST_START;
        return RESP_NEED_MORE;
    }
    p->args_expected = (size_t)count;
    p->state = STATE_BULK_TYPE;
    return RESP_NEED_MORE;
}

/* The '\n' of a $N line: checks N against the limits, then expects N bytes of data. */
static resp_status
step_bulk_size_lf(struct resp_parser *p, const char **at)
{
    int64_t size = -1;
    bool is_number = p->header_size_bytes <= sizeof(p->header) &&
                     parse_i64(p->header, p->header_size_bytes, &size);
    if (**at != '\n' || !is_number || size < 0 || (uint64_t)size > p->limits.bulk_size_bytes_max) {
        return parser_fail(p, RESP_PROTOCOL_ERROR, ERR_BULK_LENGTH);
    }
    *at += 1;
    /* data_size_bytes counts the arguments before this one, each with its '\0'. */
    if ((uint64_t)size + 1 > p->limits.request_size_bytes_max - p->data_size_bytes) {
        return parser_fail(p, RESP_PROTOCOL_ERROR, ERR_REQUEST_TOO_BIG);
    }
    p->bulk_size_bytes = (size_t)size;
    p->bulk_read_bytes = 0;
    p->state = STATE_BULK_DATA;
    return RESP_NEED_MORE;
}

/* ---- Parser: the steps ------------------------------------------------------------------ */

/* Copies as much of the argument's data as has arrived. Storage grows with the bytes that
 * arrive, not with the $N a client announced, so a lying $N costs the liar nothing of ours. */
static resp_status
step_bulk_data(struct resp_parser *p, const char **at, const char *end)
{
    assert(p->bulk_read_bytes <= p->bulk_size_bytes);
    size_t wanted = p->bulk_size_bytes - p->bulk_read_bytes;
    size_t available = (size_t)(end - *at);
    size_t take = wanted < available ? wanted : available;
    if (data_reserve(p, take + 1) != RESP_OK) { /* + 1: the '\0' after the argument */
        return RESP_NOMEM;
    }
    memcpy(p->data + p->data_size_bytes, *at, take);
    p->data_size_bytes += take;
    p->bulk_read_bytes += take;
    *at += take;
    if (p->bulk_read_bytes < p->bulk_size_bytes) {
        return RESP_NEED_MORE;
    }
    p->data[p->data_size_bytes++] = '\0';
    if (args_push(p, p->bulk_size_bytes) != RESP_OK) {
        return RESP_NOMEM;
    }
    p->state = STATE_BULK_CR;
    return RESP_NEED_MORE;
}

/* The "\r\n" after an argument's data, then either the next argument or the request's end. */
static resp_status
step_bulk_crlf(struct resp_parser *p, const char **at)
{
    char expected = p->state == STATE_BULK_CR ? '\r' : '\n';
    if (**at != expected) {
        return parser_fail(p, RESP_PROTOCOL_ERROR, ERR_BULK_CRLF);
    }
    *at += 1;
    if (p->state == STATE_BULK_CR) {
        p->state = STATE_BULK_LF;
        return RESP_NEED_MORE;
    }
    if (p->request.argc < p->args_expected) {
        p->state = STATE_BULK_TYPE;
        return RESP_NEED_MORE;
    }
    return request_finish(p);
}

static const char ERR_UNBALANCED_QUOTES[] = "Protocol error: unbalanced quotes in request";

/* Splits the line stored in data into arguments in place, as Redis does (the given
 * resp_inline_next_arg: quotes and escapes): each argument moves left over what was read before
 * it and gets a '\0', so the arguments end up contiguous like bulk ones. */
static resp_status
inline_split(struct resp_parser *p, size_t line_size_bytes)
{
    char *line = p->data;
    size_t write = 0;
    size_t read = 0;
    for (;;) {
        size_t arg_size_bytes = 0;
        int rc = resp_inline_next_arg(line, line_size_bytes, &read, line + write, &arg_size_bytes);
        if (rc == 0) {
            break;
        }
        if (rc < 0) {
            return parser_fail(p, RESP_PROTOCOL_ERROR, ERR_UNBALANCED_QUOTES);
        }
        write += arg_size_bytes;
        /* On the byte that ended the argument (already read), or the spare byte after the line. */
        assert(write <= read);
        line[write++] = '\0';
        if (args_push(p, arg_size_bytes) != RESP_OK) {
            return RESP_NOMEM;
        }
    }
    p->data_size_bytes = write;
    return RESP_OK;
}

/* Copies an inline line up to its '\n', then splits it; a blank line is skipped. */
static resp_status
step_inline(struct resp_parser *p, const char **at, const char *end)
{
    size_t available = (size_t)(end - *at);
    const char *lf = memchr(*at, '\n', available);
    size_t take = lf ? (size_t)(lf - *at) : available;
    if (p->data_size_bytes + take > p->limits.inline_size_bytes_max) {
        return parser_fail(p, RESP_PROTOCOL_ERROR, ERR_INLINE_TOO_BIG);
    }
    if (data_reserve(p, take + 1) != RESP_OK) { /* + 1: room for the last token's '\0' */
        return RESP_NOMEM;
    }
    memcpy(p->data + p->data_size_bytes, *at, take);
    p->data_size_bytes += take;
    *at += take;
    if (lf == NULL) {
        return RESP_NEED_MORE;
    }
    *at += 1;
    resp_status split = inline_split(p, p->data_size_bytes);
    if (split != RESP_OK) {
        return split;
    }
    if (p->request.argc == 0) {
        request_clear(p);
        p->state = STATE_REQUEST_START;
        return RESP_NEED_MORE;
    }
    return request_finish(p);
}

resp_status
resp_parse(struct resp_parser *p, const void *buf, size_t size_bytes, size_t *consumed_bytes,
           struct resp_request **request)
{
    assert(p != NULL);
    assert(consumed_bytes != NULL);
    assert(request != NULL);
    assert(buf != NULL || size_bytes == 0);
    *consumed_bytes = 0;
    *request = NULL;
    if (p->failed_status != RESP_OK) {
        return p->failed_status;
    }
    if (p->state == STATE_REQUEST_START) {
        request_clear(p); /* the request handed out last time is no longer borrowed */
    }
    const char *start = buf;
    const char *at = start;
    const char *end = at + size_bytes;
    resp_status status = RESP_NEED_MORE;
    while (status == RESP_NEED_MORE && at < end) {
        switch ((enum parse_state)p->state) {
        case STATE_REQUEST_START:
            p->header_size_bytes = 0;
            p->state = *at == '*' ? STATE_MBULK_COUNT : STATE_INLINE;
            at += *at == '*';
            break;
        case STATE_MBULK_COUNT:
            status = step_header(p, &at, end, ERR_MBULK_TOO_BIG);
            break;
        case STATE_MBULK_COUNT_LF:
            status = step_mbulk_count_lf(p, &at);
            break;
        case STATE_BULK_TYPE:
            if (*at != '$') {
                char message[RESP_ERROR_SIZE_BYTES_MAX];
                snprintf(message, sizeof(message), "Protocol error: expected '$', got '%c'", *at);
                status = parser_fail(p, RESP_PROTOCOL_ERROR, message);
                break;
            }
            at++;
            p->header_size_bytes = 0;
            p->state = STATE_BULK_SIZE;
            break;
        case STATE_BULK_SIZE:
            status = step_header(p, &at, end, ERR_BULK_TOO_BIG);
            break;
        case STATE_BULK_SIZE_LF:
            status = step_bulk_size_lf(p, &at);
            break;
        case STATE_BULK_DATA:
            status = step_bulk_data(p, &at, end);
            break;
        case STATE_BULK_CR:
        case STATE_BULK_LF:
            status = step_bulk_crlf(p, &at);
            break;
        case STATE_INLINE:
            status = step_inline(p, &at, end);
            break;
        }
    }
    assert(at <= end);
    *consumed_bytes = (size_t)(at - start);
    if (status == RESP_OK) {
        *request = &p->request;
    }
    return status;
}

/* ---- Reply writer ----------------------------------------------------------------------- */

/* Writes value in decimal at out (room for 21 bytes) and returns how many bytes it wrote. */
static size_t
format_i64(char *out, int64_t value)
{
    char digits[20];
    size_t count = 0;
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    size_t size_bytes = 0;
    if (value < 0) {
        out[size_bytes++] = '-';
    }
    while (count > 0) {
        out[size_bytes++] = digits[--count];
    }
    assert(size_bytes <= 21);
    return size_bytes;
}

/* Appends <type><value>\r\n: the shape of integers and of bulk and array headers. */
static resp_status
buf_line_i64(struct resp_buf *b, char type, int64_t value)
{
    if (resp_buf_reserve(b, 1 + 21 + 2) != RESP_OK) {
        return RESP_NOMEM;
    }
    char *out = b->data + b->size_bytes;
    size_t size_bytes = 0;
    out[size_bytes++] = type;
    size_bytes += format_i64(out + size_bytes, value);
    out[size_bytes++] = '\r';
    out[size_bytes++] = '\n';
    b->size_bytes += size_bytes;
    assert(b->size_bytes <= b->capacity_bytes);
    return RESP_OK;
}

/* Appends <type><text>\r\n, with any '\r' or '\n' of text turned into a space. */
static resp_status
buf_line_text(struct resp_buf *b, char type, const char *text, size_t text_size_bytes)
{
    assert(text != NULL || text_size_bytes == 0);
    if (resp_buf_reserve(b, 1 + text_size_bytes + 2) != RESP_OK) {
        return RESP_NOMEM;
    }
    char *out = b->data + b->size_bytes;
    out[0] = type;
    for (size_t i = 0; i < text_size_bytes; i++) {
        char c = text[i];
        if (c == '\r' || c == '\n') {
            c = ' ';
        }
        out[1 + i] = c;
    }
    out[1 + text_size_bytes] = '\r';
    out[2 + text_size_bytes] = '\n';
    b->size_bytes += 1 + text_size_bytes + 2;
    assert(b->size_bytes <= b->capacity_bytes);
    return RESP_OK;
}

resp_status
resp_buf_simple(struct resp_buf *b, const char *text)
{
    assert(b != NULL);
    assert(text != NULL);
    assert(strpbrk(text, "\r\n") == NULL);
    return buf_line_text(b, '+', text, strlen(text));
}

resp_status
resp_buf_error(struct resp_buf *b, const char *message)
{
    assert(b != NULL);
    assert(message != NULL);
    return buf_line_text(b, '-', message, strlen(message));
}

resp_status
resp_buf_errorf(struct resp_buf *b, const char *format, ...)
{
    assert(b != NULL);
    assert(format != NULL);
    char message[RESP_ERROR_SIZE_BYTES_MAX];
    va_list args;
    va_start(args, format);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above (LLVM #40656)
    int length = vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    if (length < 0) {
        message[0] = '\0'; /* an encoding error: send "-\r\n" rather than garbage */
    }
    return resp_buf_error(b, message);
}

resp_status
resp_buf_integer(struct resp_buf *b, int64_t value)
{
    assert(b != NULL);
    return buf_line_i64(b, ':', value);
}

resp_status
resp_buf_bulk(struct resp_buf *b, const void *bytes, size_t size_bytes)
{
    assert(b != NULL);
    assert(bytes != NULL || size_bytes == 0);
    assert(size_bytes <= INT64_MAX);
    /* Reserve header, data and trailer at once, so a failure leaves b unchanged. */
    if (resp_buf_reserve(b, 1 + 21 + 2 + size_bytes + 2) != RESP_OK) {
        return RESP_NOMEM;
    }
    resp_status status = buf_line_i64(b, '$', (int64_t)size_bytes);
    assert(status == RESP_OK);
    if (size_bytes > 0) {
        memcpy(b->data + b->size_bytes, bytes, size_bytes);
    }
    b->size_bytes += size_bytes;
    b->data[b->size_bytes++] = '\r';
    b->data[b->size_bytes++] = '\n';
    return status;
}

resp_status
resp_buf_null_bulk(struct resp_buf *b)
{
    assert(b != NULL);
    return buf_line_i64(b, '$', -1);
}

resp_status
resp_buf_array(struct resp_buf *b, size_t count)
{
    assert(b != NULL);
    assert(count <= INT64_MAX);
    return buf_line_i64(b, '*', (int64_t)count);
}

resp_status
resp_buf_null_array(struct resp_buf *b)
{
    assert(b != NULL);
    return buf_line_i64(b, '*', -1);
}
