/* ebr.c -- lab 02 part B: epoch-based reclamation (ebr.h). The domain's global epoch starts
 * at 2; each slot's state is epoch << 1 | 1 while its thread is inside a critical section. */
#include "ebr.h"

#include "kh_chaos.h"

#include <assert.h>
#include <string.h>

#define EBR_STATUS_TEXT(name, text) [name] = text,
static const char *const ebr_status_texts[] = {EBR_STATUS(EBR_STATUS_TEXT)};
#undef EBR_STATUS_TEXT

const char *
ebr_strerror(ebr_status status)
{
    return (size_t)status < sizeof(ebr_status_texts) / sizeof(ebr_status_texts[0])
               ? ebr_status_texts[status]
               : "unknown status";
}

void
ebr_init(struct ebr *domain)
{
    memset(domain, 0, sizeof(*domain));
    atomic_init(&domain->epoch, 2);
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        domain->threads[i].domain = domain;
    }
}

void
ebr_destroy(struct ebr *domain)
{
    (void)domain; /* TODO(part B): free every slot's limbo lists. */
}

ebr_status
ebr_register(struct ebr *domain, struct ebr_thread **thread)
{
    (void)domain; /* TODO(part B): claim a slot whose is_registered is false. */
    (void)thread;
    return EBR_UNIMPLEMENTED;
}

void
ebr_unregister(struct ebr_thread *thread)
{
    (void)thread; /* TODO(part B) */
}

void
ebr_enter(struct ebr_thread *thread)
{
    (void)thread; /* TODO(part B): announce the epoch; which fence orders that store before */
} /* your later loads of the structure? */

void
ebr_leave(struct ebr_thread *thread)
{
    (void)thread; /* TODO(part B) */
}

size_t
ebr_reclaim(struct ebr_thread *thread)
{
    (void)thread; /* TODO(part B): advance the epoch if everyone inside is in it; free lists */
    return 0;     /* retired two or more epochs ago. */
}

void
ebr_retire(struct ebr_thread *thread, struct ebr_node *node, void (*free_cb)(struct ebr_node *node))
{
    (void)thread; /* TODO(part B): into the limbo list of the current epoch. */
    (void)node;
    (void)free_cb;
}

uint64_t
ebr_epoch(const struct ebr *domain)
{
    return atomic_load_explicit(&((struct ebr *)domain)->epoch, memory_order_relaxed);
}
