/* stack.c -- lab 02 part C: the Treiber stack on epoch-based reclamation (stack.h). */
#include "stack.h"

#include "kh_chaos.h"

#include <assert.h>
#include <stdlib.h>

#define STACK_STATUS_TEXT(name, text) [name] = text,
static const char *const stack_status_texts[] = {STACK_STATUS(STACK_STATUS_TEXT)};
#undef STACK_STATUS_TEXT

const char *
stack_strerror(stack_status status)
{
    return (size_t)status < sizeof(stack_status_texts) / sizeof(stack_status_texts[0])
               ? stack_status_texts[status]
               : "unknown status";
}

void
stack_init(struct stack *s, struct ebr *domain)
{
    atomic_init(&s->top, NULL);
    s->domain = domain;
}

void
stack_destroy(struct stack *s)
{
    (void)s; /* TODO(part C): free the nodes left. */
}

stack_status
stack_push(struct stack *s, struct ebr_thread *thread, uint64_t value)
{
    (void)s; /* TODO(part C): a new node, then CAS it onto top. */
    (void)thread;
    (void)value;
    return STACK_UNIMPLEMENTED;
}

stack_status
stack_pop(struct stack *s, struct ebr_thread *thread, uint64_t *value)
{
    (void)s;      /* TODO(part C): inside a critical section, CAS top to top->next; retire, never */
    (void)thread; /* free, the node you took. */
    (void)value;
    return STACK_UNIMPLEMENTED;
}
