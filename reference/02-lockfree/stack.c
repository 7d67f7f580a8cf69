/* stack.c -- lab 02 part C: the Treiber stack on epoch-based reclamation (stack.h).
 * Read stack_pop first: it reads top->next, which is safe only because top cannot be freed
 * while this thread is inside its EBR critical section; and since a retired node's memory is
 * not reused while anyone may still hold its address, the CAS on top cannot suffer ABA.
 * Nodes come from node_pool.h (given), which EBR's free callback refills, so a push+pop loop
 * calls neither malloc nor free. */
#include "stack.h"

#include "kh_chaos.h"
#include "node_pool.h"

#include <assert.h>
#include <stdlib.h>

/* The most pauses after repeated lost CASes: 512 x ~28 ns (a pause on the AMD EPYC of the
 * kit's runs) = ~14 us, reached only after 9 losses in a row. In interleaved 2-thread pairs
 * runs there, a cap of 64 gave a median 1.5-1.9x the rate of no backoff, and 512 a median 1.6x
 * more than 64: the loser keeps off top's line while the winner pushes and pops. */
#define STACK_BACKOFF_SPINS_MAX 512u

#define STACK_STATUS_TEXT(name, text) [name] = (text),
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
    assert(domain != NULL);
    atomic_init(&s->top, NULL);
    s->domain = domain;
}

void
stack_destroy(struct stack *s)
{
    struct stack_node *node = atomic_load_explicit(&s->top, memory_order_relaxed);
    while (node != NULL) {
        struct stack_node *next = node->next;
        free(node);
        node = next;
    }
    atomic_store_explicit(&s->top, NULL, memory_order_relaxed);
}

/* After a lost CAS: pause for a doubling while (Herlihy & Shavit, 11.2), so the thread that
 * won keeps top's cache line for its next operation instead of both failing again. */
static void
backoff(uint32_t *spins)
{
    for (uint32_t i = 0; i < *spins; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    *spins = *spins < STACK_BACKOFF_SPINS_MAX ? *spins * 2 : *spins;
}

stack_status
stack_push(struct stack *s, struct ebr_thread *thread, uint64_t value)
{
    /* push dereferences no shared node, so it needs no critical section, but thread is still
     * the caller's slot in s->domain (stack.h). */
    assert(thread->domain == s->domain);
    struct stack_node *node = node_pool_take(sizeof(*node));
    if (node == NULL) {
        return STACK_NO_MEMORY;
    }
    node->value = value;
    /* Relaxed: the CAS below re-checks top, and this value only seeds node->next. */
    struct stack_node *top = atomic_load_explicit(&s->top, memory_order_relaxed);
    for (uint32_t spins = 1;; backoff(&spins)) {
        node->next = top;
        KH_CHAOS_POINT();
        /* Release on success: node->value and node->next are visible to any thread that
         * acquires top and finds this node. Relaxed on failure: top is just reloaded. */
        if (atomic_compare_exchange_weak_explicit(&s->top, &top, node, memory_order_release,
                                                  memory_order_relaxed)) {
            return STACK_OK;
        }
    }
}

stack_status
stack_pop(struct stack *s, struct ebr_thread *thread, uint64_t *value)
{
    assert(thread->domain == s->domain);
    assert(value != NULL);
    ebr_enter(thread);
    /* Acquire: pairs with push's release, so the node's next and value are readable. */
    struct stack_node *top = atomic_load_explicit(&s->top, memory_order_acquire);
    for (uint32_t spins = 1;; backoff(&spins)) {
        if (top == NULL) {
            ebr_leave(thread);
            return STACK_EMPTY;
        }
        struct stack_node *next = top->next; /* safe: top is not freed while we are inside */
        KH_CHAOS_POINT();
        /* Acquire on both outcomes: on failure the new top's fields must be readable too. */
        if (atomic_compare_exchange_weak_explicit(&s->top, &top, next, memory_order_acquire,
                                                  memory_order_acquire)) {
            break;
        }
    }
    *value = top->value;
    /* Never free() or recycle it now: others may still read it. */
    ebr_retire(thread, &top->reclaim, node_pool_recycle);
    ebr_leave(thread);
    return STACK_OK;
}
