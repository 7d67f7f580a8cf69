/* stack.h -- the Treiber stack (lab 02, part C; Treiber 1986): a lock-free LIFO of uint64_t
 * values, multi-producer multi-consumer. Nodes are allocated by push and retired through the
 * caller's EBR domain (ebr.h) by pop (the reference reuses what EBR hands back before it
 * mallocs), which is what makes the compare-and-swap on top safe
 * from ABA: a node cannot be freed and reused while a popper still holds its address. */
#ifndef KEEL_STACK_H
#define KEEL_STACK_H

#include "ebr.h"

#define STACK_STATUS(X)                                                                            \
    X(STACK_OK, "ok")                                                                              \
    X(STACK_EMPTY, "the stack is empty")                                                           \
    X(STACK_NO_MEMORY, "out of memory for a node")                                                 \
    X(STACK_UNIMPLEMENTED, "not implemented yet")
#define STACK_STATUS_ENUM(name, text) name,
typedef enum { STACK_STATUS(STACK_STATUS_ENUM) } stack_status;
#undef STACK_STATUS_ENUM
const char *stack_strerror(stack_status status);

struct stack_node {
    struct ebr_node reclaim; /* first: the EBR node is the stack node */
    struct stack_node *next; /* written before the node is published, never after */
    uint64_t value;
};

struct stack {
    _Alignas(EBR_CACHE_LINE_BYTES) _Atomic(struct stack_node *) top;
    struct ebr *domain; /* borrowed: must outlive the stack */
};

void stack_init(struct stack *s, struct ebr *domain);
/* Frees the nodes still on the stack. No thread may use the stack during or after. */
void stack_destroy(struct stack *s);

/* thread is the caller's slot in s->domain (ebr_register). Both are safe from any number of
 * threads at once. push returns STACK_OK or STACK_NO_MEMORY; pop returns STACK_OK with the
 * value in *value, or STACK_EMPTY. Each enters and leaves its own critical section. */
stack_status stack_push(struct stack *s, struct ebr_thread *thread, uint64_t value);
stack_status stack_pop(struct stack *s, struct ebr_thread *thread, uint64_t *value);

#endif
