/* msqueue.c -- lab 02 part D: the Michael-Scott queue on epoch-based reclamation
 * (msqueue.h). */
#include "msqueue.h"

#include "kh_chaos.h"

#include <assert.h>
#include <stdlib.h>

#define MSQUEUE_STATUS_TEXT(name, text) [name] = text,
static const char *const msqueue_status_texts[] = {MSQUEUE_STATUS(MSQUEUE_STATUS_TEXT)};
#undef MSQUEUE_STATUS_TEXT

const char *
msqueue_strerror(msqueue_status status)
{
    return (size_t)status < sizeof(msqueue_status_texts) / sizeof(msqueue_status_texts[0])
               ? msqueue_status_texts[status]
               : "unknown status";
}

msqueue_status
msqueue_init(struct msqueue *q, struct ebr *domain)
{
    atomic_init(&q->head, NULL); /* TODO(part D): allocate the dummy; head and tail at it. */
    atomic_init(&q->tail, NULL);
    q->domain = domain;
    return MSQUEUE_OK;
}

void
msqueue_destroy(struct msqueue *q)
{
    (void)q; /* TODO(part D) */
}

msqueue_status
msqueue_enqueue(struct msqueue *q, struct ebr_thread *thread, uint64_t value)
{
    (void)q; /* TODO(part D): link at tail->next, swing tail; help a lagging tail first. */
    (void)thread;
    (void)value;
    return MSQUEUE_UNIMPLEMENTED;
}

msqueue_status
msqueue_dequeue(struct msqueue *q, struct ebr_thread *thread, uint64_t *value)
{
    (void)q; /* TODO(part D): move head to head->next; never past tail. */
    (void)thread;
    (void)value;
    return MSQUEUE_UNIMPLEMENTED;
}
