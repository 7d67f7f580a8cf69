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
