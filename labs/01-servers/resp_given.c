/* resp_given.c -- the parts of lab 01's RESP module that are given, not graded: status texts,
 * and freeing and resetting what resp.h says the parser and the reply buffer own. Students do
 * not change this file; resp.c (theirs) holds everything the tests grade. */
#include "resp.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE_BYTES_MIN 256u /* a reply buffer's first allocation: most replies fit */

#define RESP_STATUS_TEXT_ENTRY(name, text) [(name)] = (text),
static const char *const status_texts[] = {RESP_STATUS_LIST(RESP_STATUS_TEXT_ENTRY)};
#undef RESP_STATUS_TEXT_ENTRY

const char *
resp_strerror(resp_status status)
{
    if ((size_t)status >= sizeof(status_texts) / sizeof(status_texts[0])) {
        return "unknown status";
    }
    return status_texts[status];
}

void
resp_parser_free(struct resp_parser *p)
{
    assert(p != NULL);
    free(p->data);
    free(p->args);
    p->data = NULL;
    p->args = NULL;
    p->data_capacity_bytes = 0;
    p->args_capacity = 0;
    p->request.argc = 0;
}

const char *
resp_parser_error(const struct resp_parser *p)
{
    assert(p != NULL);
    return p->error_message;
}

void
resp_buf_init(struct resp_buf *b)
{
    assert(b != NULL);
    b->data = NULL;
    b->size_bytes = 0;
    b->capacity_bytes = 0;
}

void
resp_buf_reset(struct resp_buf *b)
{
    assert(b != NULL);
    b->size_bytes = 0;
}

void
resp_buf_free(struct resp_buf *b)
{
    assert(b != NULL);
    free(b->data);
    resp_buf_init(b);
}

resp_status
resp_buf_reserve(struct resp_buf *b, size_t size_bytes)
{
    if (size_bytes > SIZE_MAX / 2 - b->size_bytes) {
        return RESP_NOMEM;
    }
    size_t needed = b->size_bytes + size_bytes;
    if (needed <= b->capacity_bytes) {
        return RESP_OK;
    }
    size_t capacity = b->capacity_bytes ? b->capacity_bytes : BUF_SIZE_BYTES_MIN;
    while (capacity < needed) {
        capacity *= 2;
    }
    char *data = realloc(b->data, capacity);
    if (data == NULL) {
        return RESP_NOMEM;
    }
    b->data = data;
    b->capacity_bytes = capacity;
    return RESP_OK;
}

resp_status
resp_buf_append(struct resp_buf *b, const void *bytes, size_t size_bytes)
{
    if (resp_buf_reserve(b, size_bytes) != RESP_OK) {
        return RESP_NOMEM;
    }
    if (size_bytes > 0) {
        memcpy(b->data + b->size_bytes, bytes, size_bytes);
    }
    b->size_bytes += size_bytes;
    return RESP_OK;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool
is_split_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

/* One byte of a "double-quoted" argument at line[*r]: an escape, the closing quote (1), or
 * itself. Returns 0 to go on, 1 at the closing quote, -1 for a quote not followed by a space. */
static int
double_quoted_byte(const char *line, size_t size, size_t *r, char *dst, size_t *w)
{
    char c = line[*r];
    if (c == '\\' && *r + 3 < size && line[*r + 1] == 'x' && hex_value(line[*r + 2]) >= 0 &&
        hex_value(line[*r + 3]) >= 0) {
        dst[(*w)++] = (char)(hex_value(line[*r + 2]) * 16 + hex_value(line[*r + 3]));
        *r += 4;
    } else if (c == '\\' && *r + 1 < size) {
        static const char from[] = "nrtba", to[] = "\n\r\t\b\a";
        const char *escape = memchr(from, line[*r + 1], sizeof(from) - 1);
        dst[(*w)++] = escape != NULL ? to[escape - from] : line[*r + 1];
        *r += 2;
    } else if (c == '"') {
        *r += 1;
        return *r < size && !is_split_space(line[*r]) ? -1 : 1;
    } else {
        dst[(*w)++] = c;
        *r += 1;
    }
    return 0;
}

int
resp_inline_next_arg(const char *line, size_t line_size_bytes, size_t *at, char *dst,
                     size_t *arg_size_bytes)
{
    assert(line != NULL || line_size_bytes == 0);
    assert(*at <= line_size_bytes);
    /* The line is a C string to Redis: it ends at a '\0'. Only bytes from *at on are the
     * client's; before them a caller splitting in place has written its own '\0's. */
    const char *nul = memchr(line + *at, '\0', line_size_bytes - *at);
    size_t size = nul != NULL ? (size_t)(nul - line) : line_size_bytes;
    size_t r = *at, w = 0;
    while (r < size && is_split_space(line[r])) {
        r++;
    }
    if (r >= size) {
        *at = size;
        return 0;
    }
    enum { PLAIN, DOUBLE, SINGLE } state = PLAIN;
    for (;;) {
        if (r >= size) {
            if (state != PLAIN) {
                return -1; /* the line ended inside quotes */
            }
            break;
        }
        char c = line[r];
        if (state == DOUBLE) {
            int rc = double_quoted_byte(line, size, &r, dst, &w);
            if (rc < 0) {
                return -1;
            }
            if (rc == 1) {
                break;
            }
        } else if (state == SINGLE) {
            if (c == '\\' && r + 1 < size && line[r + 1] == '\'') {
                dst[w++] = '\'';
                r += 2;
            } else if (c == '\'') {
                r++;
                if (r < size && !is_split_space(line[r])) {
                    return -1;
                }
                break;
            } else {
                dst[w++] = c;
                r++;
            }
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            break; /* Redis's sdssplitargs ends a plain argument at these four only */
        } else {
            state = c == '"' ? DOUBLE : c == '\'' ? SINGLE : PLAIN;
            if (state == PLAIN) {
                dst[w++] = c;
            }
            r++;
        }
    }
    assert(w <= r - *at); /* dst never passes what was read: in place is safe */
    *at = r < size ? r + 1 : size;
    *arg_size_bytes = w;
    return 1;
}
