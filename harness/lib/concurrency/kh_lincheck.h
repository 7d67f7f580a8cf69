/* kh_lincheck.h -- a linearizability checker for recorded histories (libharness).
 * A test records each operation's invocation and response times and results, then asks whether
 * some order of the operations, consistent with real time, is a legal run of a sequential model
 * (stack, queue, register, KV map, or a caller's own). The search is Wing & Gong's (1993) with
 * Lowe's memoization of (linearized set, model state) pairs (Lowe 2017; Porcupine does the same).
 * Memory and time are bounded: past either the answer is KH_LC_UNKNOWN, which is never a pass.
 * The search is exponential at worst: a queue holding many values enqueued concurrently can be
 * ordered many ways, and a wrong order shows only when they are dequeued. On simulated 3-thread
 * queue histories of 100 operations about 2.5 % need more than 20 ms; histories of 30-60
 * operations, as the labs record, are decided in well under a millisecond each.
 * All memory is allocated inside kh_lc_check and freed before it returns. */
#ifndef KEEL_KH_LINCHECK_H
#define KEEL_KH_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KH_LC_OPS_MAX 4096u                     /* operations in one history */
#define KH_LC_STATE_SIZE_BYTES_MAX 8192u        /* one model state: a stack of 1,023 values */
#define KH_LC_WINDOW_OPS_MAX 40u                /* operations kh_lc_explain prints at most */
#define KH_LC_MEMORY_BYTES_DEFAULT (256u << 20) /* 256 MiB: the memo table and the search stack */
#define KH_LC_TIME_NS_DEFAULT 10000000000ull    /* 10 s for one history */

/* Results that are not values. */
#define KH_LC_EMPTY INT64_MIN      /* pop, dequeue or get found nothing */
#define KH_LC_FULL (INT64_MIN + 1) /* a push into a bounded container that was full */

#define KH_LC_STATUS(X)                                                                            \
    X(KH_LC_LINEARIZABLE, "linearizable")                                                          \
    X(KH_LC_NOT_LINEARIZABLE, "not linearizable")                                                  \
    X(KH_LC_UNKNOWN, "unknown: the search ran out of its memory or time budget")                   \
    X(KH_LC_INVALID, "invalid history (too long, a return before its call, or a bad model)")
#define KH_LC_STATUS_ENUM(name, text) name,
typedef enum { KH_LC_STATUS(KH_LC_STATUS_ENUM) } kh_lc_status;
#undef KH_LC_STATUS_ENUM
const char *kh_lc_strerror(kh_lc_status status);

/* What an operation did. Each model accepts its own kinds and rejects the others. */
enum kh_lc_kind {
    KH_LC_PUSH,    /* stack: value pushed; result 0, or KH_LC_FULL when bounded and full */
    KH_LC_POP,     /* stack: result the value popped, or KH_LC_EMPTY */
    KH_LC_ENQUEUE, /* queue: value enqueued; result 0, or KH_LC_FULL when bounded and full */
    KH_LC_DEQUEUE, /* queue: result the value dequeued, or KH_LC_EMPTY */
    KH_LC_WRITE,   /* register: value written */
    KH_LC_READ,    /* register: result the value read */
    KH_LC_PUT,     /* KV map: key set to value */
    KH_LC_GET,     /* KV map: result the key's value, or KH_LC_EMPTY */
    KH_LC_DELETE,  /* KV map: result 1 when the key was there, 0 when not */
};

/* One operation of a history. An operation that never returned (its thread was stopped or
 * timed out) is_pending: it may or may not have taken effect, and its result is unknown. */
struct kh_lc_op {
    uint64_t call_ns;   /* any clock shared by all threads, e.g. kh_clock_now_ns() */
    uint64_t return_ns; /* >= call_ns; ignored when is_pending */
    int64_t key;        /* KH_LC_PUT, KH_LC_GET, KH_LC_DELETE: in [0, model.key_count) */
    int64_t value;      /* the argument */
    int64_t result;     /* what the operation returned */
    uint32_t kind;      /* enum kh_lc_kind, or a caller model's own */
    uint32_t thread_id; /* for the printout only */
    bool is_pending;
};

/* A sequential model. States are fixed-size byte strings, and equal states must be equal byte
 * for byte (the memo compares bytes): keep unused space zeroed. Make one with the functions
 * below, or fill it for your own type. */
struct kh_lc_model {
    const char *name;
    size_t state_size_bytes; /* <= KH_LC_STATE_SIZE_BYTES_MAX */
    size_t capacity;         /* stack, queue: elements it can hold */
    bool is_bounded;         /* a push at capacity returns KH_LC_FULL (else it cannot happen) */
    /* Stack, queue: a try-operation may give up, returning KH_LC_FULL or KH_LC_EMPTY in any state,
     * with no effect. Vyukov's bounded MPMC ring does: a pop reports empty while the slot it
     * must take next was claimed by a producer that has not published yet, even if later
     * slots are full. Values, order and exactly-once are still checked. */
    bool may_fail_spuriously;
    size_t key_count; /* KV map: keys are 0 .. key_count - 1 */
    /* Writes the initial state into state (state_size_bytes, zeroed by the caller). */
    void (*init_cb)(const struct kh_lc_model *model, void *state);
    /* Applies op to state, writing the successor into state_next (zeroed by the caller).
     * Returns false when op, with its result (ignored when op->is_pending), cannot happen in
     * state. Must not keep pointers to either buffer. */
    bool (*step_cb)(const struct kh_lc_model *model, const void *state, const struct kh_lc_op *op,
                    void *state_next);
    const void *ctx; /* borrowed by a caller's own model; unused by the ones below */
};

/* Stack and queue models that hold at most capacity values (<= 1,023). An unbounded structure
 * is checked with is_bounded false and a capacity of at least the number of pushes. */
struct kh_lc_model kh_lc_model_stack(size_t capacity, bool is_bounded);
struct kh_lc_model kh_lc_model_queue(size_t capacity, bool is_bounded);
/* A bounded queue whose KH_LC_FULL and KH_LC_EMPTY may be spurious (see may_fail_spuriously). */
struct kh_lc_model kh_lc_model_queue_try(size_t capacity);
/* A register holding an int64_t, initially 0. */
struct kh_lc_model kh_lc_model_register(void);
/* A map from key_count (<= 1,023) small integer keys to int64_t values, initially empty. */
struct kh_lc_model kh_lc_model_kv(size_t key_count);

struct kh_lc_limits {
    size_t memory_bytes_max; /* 0: KH_LC_MEMORY_BYTES_DEFAULT */
    uint64_t time_ns_max;    /* 0: KH_LC_TIME_NS_DEFAULT */
};

/* Decides whether ops[0 .. op_count) is linearizable for model. ops are borrowed for the call
 * and may be in any order. limits may be NULL (the defaults). Returns KH_LC_LINEARIZABLE,
 * KH_LC_NOT_LINEARIZABLE, KH_LC_UNKNOWN (budget spent: treat as a failure to check, never a pass)
 * or KH_LC_INVALID. */
kh_lc_status kh_lc_check(const struct kh_lc_model *model, const struct kh_lc_op *ops,
                         size_t op_count, const struct kh_lc_limits *limits);

/* For a history kh_lc_check called not linearizable: finds the shortest failing prefix (the
 * operations called before the earliest return at which the history cannot be linearized,
 * those still running then counted as pending) and prints its last KH_LC_WINDOW_OPS_MAX
 * operations to out, in call order, times relative to the first call. Returns the status of
 * the full history. */
kh_lc_status kh_lc_explain(const struct kh_lc_model *model, const struct kh_lc_op *ops,
                           size_t op_count, const struct kh_lc_limits *limits, FILE *out);

/* Writes "pop() -> 5" or "enqueue(3)" for op into buf (always NUL-terminated). */
void kh_lc_format_op(const struct kh_lc_op *op, char *buf, size_t size_bytes);

#endif
