/* ebr.c -- lab 02 part B: epoch-based reclamation (ebr.h). Read ebr_enter and try_advance
 * first: they are the two sides of a Dekker-style handshake, each a store, a full fence and a
 * load, so that either the reclaimer sees a reader inside or the reader sees the node gone.
 * The safety argument: a reader inside since epoch e stops the epoch at e + 1, so a node
 * retired in epoch r is freed at r + 2 only after every reader that could see it has left. */
#include "ebr.h"

#include "kh_chaos.h"

#include <assert.h>
#include <string.h>

#define EBR_STATUS_TEXT(name, text) [name] = (text),
static const char *const ebr_status_texts[] = {EBR_STATUS(EBR_STATUS_TEXT)};
#undef EBR_STATUS_TEXT

const char *
ebr_strerror(ebr_status status)
{
    return (size_t)status < sizeof(ebr_status_texts) / sizeof(ebr_status_texts[0])
               ? ebr_status_texts[status]
               : "unknown status";
}

#define STATE_INSIDE 1u

void
ebr_init(struct ebr *domain)
{
    memset(domain, 0, sizeof(*domain));
    atomic_init(&domain->epoch, 2); /* so that "epoch - 2" never wraps */
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        domain->threads[i].domain = domain;
    }
}

static size_t
free_list(struct ebr_node *node)
{
    size_t count = 0;
    while (node != NULL) {
        struct ebr_node *next = node->next;
        assert(node->free_cb != NULL); /* ebr_retire set it */
        node->free_cb(node);
        node = next;
        count++;
    }
    return count;
}

void
ebr_destroy(struct ebr *domain)
{
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        struct ebr_thread *t = &domain->threads[i];
        assert(!(atomic_load_explicit(&t->state, memory_order_relaxed) & STATE_INSIDE));
        for (size_t b = 0; b < 3; b++) {
            free_list(t->limbo[b]);
            t->limbo[b] = NULL;
        }
        t->limbo_count = 0;
    }
}

ebr_status
ebr_register(struct ebr *domain, struct ebr_thread **thread)
{
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        struct ebr_thread *t = &domain->threads[i];
        bool expected = false;
        /* Acquire: pairs with ebr_unregister's release, so the previous owner's limbo lists
         * are visible to me before I take them over. */
        if (atomic_compare_exchange_strong_explicit(&t->is_registered, &expected, true,
                                                    memory_order_acquire, memory_order_relaxed)) {
            assert(t->domain == domain);
            *thread = t;
            return EBR_OK;
        }
    }
    return EBR_FULL;
}

void
ebr_unregister(struct ebr_thread *thread)
{
    assert(!(atomic_load_explicit(&thread->state, memory_order_relaxed) & STATE_INSIDE));
    /* Release: my limbo lists are visible to the next owner (see ebr_register). */
    atomic_store_explicit(&thread->is_registered, false, memory_order_release);
}

void
ebr_enter(struct ebr_thread *thread)
{
    assert(!(atomic_load_explicit(&thread->state, memory_order_relaxed) & STATE_INSIDE));
    /* Relaxed: the epoch I announce may be stale; the fence below is what makes the
     * announcement visible before I read any node, and a stale epoch only holds the global
     * one back (it cannot pass me by two while I am inside). */
    uint64_t epoch = atomic_load_explicit(&thread->domain->epoch, memory_order_relaxed);
    atomic_store_explicit(&thread->state, epoch << 1 | STATE_INSIDE, memory_order_relaxed);
    KH_CHAOS_POINT();
    /* Seq_cst fence: orders my announcement (a store) before my reads of the structure
     * (loads). Paired with the fence in try_advance: either the reclaimer sees me inside, or
     * I see the structure after its node was unlinked. Release/acquire cannot order a store
     * before a later load; only a full fence does (see EBR_FULL_FENCE for TSan builds). */
    EBR_FULL_FENCE(&thread->domain->epoch);
}

void
ebr_leave(struct ebr_thread *thread)
{
    uint64_t state = atomic_load_explicit(&thread->state, memory_order_relaxed);
    assert(state & STATE_INSIDE);
    KH_CHAOS_POINT();
    /* Release: every read I made of the nodes happens before a reclaimer that sees me out
     * (with its acquire load in try_advance) frees them. */
    atomic_store_explicit(&thread->state, state & ~(uint64_t)STATE_INSIDE, memory_order_release);
}

/* Moves the global epoch from e to e + 1 if every thread inside has announced e. Returns the
 * global epoch afterwards. */
static uint64_t
try_advance(struct ebr *domain)
{
    /* Seq_cst fence: my unlinking stores (done before retire) are ordered before my reads of
     * the announcements below; the other half of ebr_enter's fence. */
    EBR_FULL_FENCE(&domain->epoch);
    uint64_t epoch = atomic_load_explicit(&domain->epoch, memory_order_acquire);
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        /* Acquire: pairs with ebr_leave's release, so a reader's accesses to the nodes happen
         * before anything I free because it has left. */
        uint64_t state = atomic_load_explicit(&domain->threads[i].state, memory_order_acquire);
        if ((state & STATE_INSIDE) && (state >> 1) != epoch) {
            return epoch; /* someone is still inside an older epoch */
        }
    }
    KH_CHAOS_POINT();
    /* Acq_rel: the epoch only moves forward, one step per successful CAS; a failed CAS means
     * another thread advanced it, which is as good. */
    atomic_compare_exchange_strong_explicit(&domain->epoch, &epoch, epoch + 1, memory_order_acq_rel,
                                            memory_order_acquire);
    uint64_t now = atomic_load_explicit(&domain->epoch, memory_order_acquire);
    assert(now >= epoch); /* the epoch only moves forward */
    return now;
}

/* Frees limbo list b if its nodes were retired two or more epochs before epoch. */
static size_t
free_if_safe(struct ebr_thread *t, size_t b, uint64_t epoch)
{
    if (t->limbo[b] == NULL || t->limbo_epoch[b] + 2 > epoch) {
        return 0;
    }
    size_t freed = free_list(t->limbo[b]);
    t->limbo[b] = NULL;
    assert(t->limbo_count >= freed);
    t->limbo_count -= freed;
    return freed;
}

size_t
ebr_reclaim(struct ebr_thread *thread)
{
    assert(atomic_load_explicit(&thread->is_registered, memory_order_relaxed));
    uint64_t epoch = try_advance(thread->domain);
    size_t freed = 0;
    for (size_t b = 0; b < 3; b++) {
        freed += free_if_safe(thread, b, epoch);
    }
    thread->retires_since_reclaim = 0;
    return freed;
}

void
ebr_retire(struct ebr_thread *thread, struct ebr_node *node, void (*free_cb)(struct ebr_node *node))
{
    assert(node != NULL);
    assert(free_cb != NULL);
    /* Acquire: pairs with the CAS in try_advance; the epoch read here is at least the one
     * in which the node was unlinked, which is what the safety argument counts from. */
    uint64_t epoch = atomic_load_explicit(&thread->domain->epoch, memory_order_acquire);
    size_t b = epoch % 3;
    if (thread->limbo[b] != NULL && thread->limbo_epoch[b] != epoch) {
        /* The list holds nodes from epoch - 3 or earlier: safe to free before reusing it. */
        free_if_safe(thread, b, epoch);
        assert(thread->limbo[b] == NULL);
    }
    node->free_cb = free_cb;
    node->next = thread->limbo[b];
    thread->limbo[b] = node;
    thread->limbo_epoch[b] = epoch;
    thread->limbo_count++;
    if (++thread->retires_since_reclaim >= EBR_RECLAIM_EVERY) {
        ebr_reclaim(thread);
    }
}

uint64_t
ebr_epoch(const struct ebr *domain)
{
    /* Relaxed: a statistic; callers order it themselves if they need to. */
    return atomic_load_explicit(&((struct ebr *)domain)->epoch, memory_order_relaxed);
}
