/* ebr.h -- epoch-based reclamation (lab 02, part B; Fraser 2004, ch. 5; Hart et al. 2007).
 * A lock-free structure cannot free a node it unlinked: another thread may still be reading
 * it. Threads announce "I may hold references" with ebr_enter and "I hold none" with
 * ebr_leave; an unlinked node is ebr_retire'd and freed once every thread that could have seen
 * it has left, which is when the global epoch has moved two steps past the epoch it was
 * retired in. A thread stalled inside delays reclamation (memory grows) but never makes it
 * unsafe. A domain is caller-provided memory and holds EBR_THREADS_MAX thread slots. */
#ifndef KEEL_EBR_H
#define KEEL_EBR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EBR_THREADS_MAX 64u   /* threads registered with one domain at once */
#define EBR_RECLAIM_EVERY 64u /* ebr_retire tries to reclaim after this many retires */
#define EBR_CACHE_LINE_BYTES 64u

/* EBR_FULL_FENCE(anchor): a sequentially consistent fence, the store-load ordering the
 * enter/reclaim handshake needs. ThreadSanitizer does not model atomic_thread_fence (GCC refuses
 * to compile one under -fsanitize=thread), so in a TSan build the fence becomes a seq_cst
 * read-modify-write of anchor, an atomic that both sides of the handshake touch this way: in
 * C11 the two RMWs are ordered one way or the other, and the release/acquire between them
 * orders what came before and after, which TSan does understand. (It costs a write to a
 * shared line per call, which is why the normal build uses the fence.)
 * The anchor is &domain->epoch on both sides: in ebr_enter (thread->domain->epoch) and in the
 * reclaim scan that reads the slots' states. With two different atomics the TSan build's
 * handshake orders nothing, and the plain build, where the macro is a real fence and ignores
 * anchor, would not show the mistake. */
#if defined(__SANITIZE_THREAD__)
#define EBR_FULL_FENCE(anchor) ((void)atomic_fetch_add_explicit((anchor), 0, memory_order_seq_cst))
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EBR_FULL_FENCE(anchor) ((void)atomic_fetch_add_explicit((anchor), 0, memory_order_seq_cst))
#endif
#endif
#ifndef EBR_FULL_FENCE
#define EBR_FULL_FENCE(anchor) atomic_thread_fence(memory_order_seq_cst)
#endif

#define EBR_STATUS(X)                                                                              \
    X(EBR_OK, "ok")                                                                                \
    X(EBR_FULL, "all EBR_THREADS_MAX thread slots are taken")                                      \
    X(EBR_UNIMPLEMENTED, "not implemented yet")
#define EBR_STATUS_ENUM(name, text) name,
typedef enum { EBR_STATUS(EBR_STATUS_ENUM) } ebr_status;
#undef EBR_STATUS_ENUM
const char *ebr_strerror(ebr_status status);

/* Embed one in every node that will be retired; ebr_retire fills it. */
struct ebr_node {
    struct ebr_node *next;
    void (*free_cb)(struct ebr_node *node); /* frees the enclosing object */
};

/* One thread's slot, on its own cache line: the fields other threads read (state) first,
 * the owner's private limbo lists after. */
struct ebr_thread {
    _Alignas(EBR_CACHE_LINE_BYTES) atomic_uint_fast64_t state; /* epoch << 1 | is_inside */
    atomic_bool is_registered;
    struct ebr *domain;
    struct ebr_node *limbo[3]; /* retired nodes, by retire epoch mod 3 */
    uint64_t limbo_epoch[3];   /* the epoch limbo[i]'s nodes were retired in */
    size_t limbo_count;        /* nodes waiting in all three lists */
    uint32_t retires_since_reclaim;
};

struct ebr {
    _Alignas(EBR_CACHE_LINE_BYTES) atomic_uint_fast64_t epoch; /* starts at 2 */
    struct ebr_thread threads[EBR_THREADS_MAX];
};

/* Readies *domain, whatever bytes it held before (it need not be zeroed): the epoch at 2,
 * every slot free. Given. */
void ebr_init(struct ebr *domain);
/* Frees every retired node of every slot. No thread may use the domain during or after. */
void ebr_destroy(struct ebr *domain);

/* Claims a slot for the calling thread: *thread is borrowed until ebr_unregister. Returns
 * EBR_OK or EBR_FULL. */
ebr_status ebr_register(struct ebr *domain, struct ebr_thread **thread);
/* Gives the slot back (outside a critical section). Nodes it still holds stay in its limbo
 * and are freed by whichever thread takes the slot next, or by ebr_destroy. */
void ebr_unregister(struct ebr_thread *thread);

/* Starts a critical section: nodes reachable now stay allocated until ebr_leave. Not nested. */
void ebr_enter(struct ebr_thread *thread);
void ebr_leave(struct ebr_thread *thread);

/* Hands an unlinked node over: node->free_cb(node) runs once no thread can still hold a
 * reference to it, in some later ebr_reclaim or ebr_retire of this slot. The node must
 * already be unreachable for threads that enter from now on. Call inside a critical section. */
void ebr_retire(struct ebr_thread *thread, struct ebr_node *node,
                void (*free_cb)(struct ebr_node *node));

/* Tries to advance the global epoch, then frees this slot's nodes that are safe to free.
 * Returns how many it freed. Safe inside or outside a critical section. */
size_t ebr_reclaim(struct ebr_thread *thread);

/* The global epoch (for tests and statistics). */
uint64_t ebr_epoch(const struct ebr *domain);

#endif
