/* resp_given.c -- the parts of lab 01's RESP module that are given, not graded: status texts,
 * and freeing and resetting what resp.h says the parser and the reply buffer own. Students do
 * not change this file; resp.c (theirs) holds everything the tests grade. */
#include "resp.h"

#include <assert.h>
#include <stdlib.h>

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
