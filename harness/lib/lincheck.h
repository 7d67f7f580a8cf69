/* lincheck.h -- a linearizability checker for recorded histories (libharness).
 * A test records each operation's invocation and response times and results, then asks whether
 * some order of the operations, consistent with real time, is a legal run of a sequential model
 * (stack, queue, register, KV map, or a caller's own). The search is Wing & Gong's (1993) with
 * Lowe's memoization of (linearized set, model state) pairs (Lowe 2017; Porcupine does the same).
 * Memory and time are bounded: past either the answer is LC_UNKNOWN, which is never a pass.
 * The search is exponential at worst: a queue holding many values enqueued concurrently can be
 * ordered many ways, and a wrong order shows only when they are dequeued. On simulated 3-thread
 * queue histories of 100 operations about 2.5 % need more than 20 ms; histories of 30-60
 * operations, as the labs record, are decided in well under a millisecond each.
 * All memory is allocated inside lc_check and freed before it returns. */
#ifndef KEEL_LINCHECK_H
#define KEEL_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LC_OPS_MAX 4096u                     /* operations in one history */
#define LC_STATE_SIZE_BYTES_MAX 8192u        /* one model state: a stack of 1,023 values */
#define LC_WINDOW_OPS_MAX 40u                /* operations lc_explain prints at most */
#define LC_MEMORY_BYTES_DEFAULT (256u << 20) /* 256 MiB: the memo table and the search stack */
#define LC_TIME_NS_DEFAULT 10000000000ull    /* 10 s for one history */

/* Results that are not values. */
#define LC_EMPTY INT64_MIN      /* pop, dequeue or get found nothing */
#define LC_FULL (INT64_MIN + 1) /* a push into a bounded container that was full */

#define LC_STATUS(X)                                                                               \
    X(LC_LINEARIZABLE, "linearizable")                                                             \
    X(LC_NOT_LINEARIZABLE, "not linearizable")                                                     \
    X(LC_UNKNOWN, "unknown: the search ran out of its memory or time budget")                      \
    X(LC_INVALID, "invalid history (too long, a return before its call, or a bad model)")
#define LC_STATUS_ENUM(name, text) name,
typedef enum { LC_STATUS(LC_STATUS_ENUM) } lc_status;
#undef LC_STATUS_ENUM
const char *lc_strerror(lc_status status);

/* What an operation did. Each model accepts its own kinds and rejects the others. */
enum lc_kind {
    LC_PUSH,    /* stack: value pushed; result 0, or LC_FULL when bounded and full */
    LC_POP,     /* stack: result the value popped, or LC_EMPTY */
    LC_ENQUEUE, /* queue: value enqueued; result 0, or LC_FULL when bounded and full */
    LC_DEQUEUE, /* queue: result the value dequeued, or LC_EMPTY */
    LC_WRITE,   /* register: value written */
    LC_READ,    /* register: result the value read */
    LC_PUT,     /* KV map: key set to value */
    LC_GET,     /* KV map: result the key's value, or LC_EMPTY */
    LC_DELETE,  /* KV map: result 1 when the key was there, 0 when not */
};

/* One operation of a history. An operation that never returned (its thread was stopped or
 * timed out) is_pending: it may or may not have taken effect, and its result is unknown. */
struct lc_op {
    uint64_t call_ns;   /* any clock shared by all threads, e.g. clock_now_ns() */
    uint64_t return_ns; /* >= call_ns; ignored when is_pending */
    int64_t key;        /* LC_PUT, LC_GET, LC_DELETE: in [0, model.key_count) */
    int64_t value;      /* the argument */
    int64_t result;     /* what the operation returned */
    uint32_t kind;      /* enum lc_kind, or a caller model's own */
    uint32_t thread_id; /* for the printout only */
    bool is_pending;
};

/* A sequential model. States are fixed-size byte strings, and equal states must be equal byte
 * for byte (the memo compares bytes): keep unused space zeroed. Make one with the functions
 * below, or fill it for your own type. */
struct lc_model {
    const char *name;
    size_t state_size_bytes; /* <= LC_STATE_SIZE_BYTES_MAX */
    size_t capacity;         /* stack, queue: elements it can hold */
    bool is_bounded;         /* a push at capacity returns LC_FULL (else it cannot happen) */
    /* Stack, queue: a try-operation may give up, returning LC_FULL or LC_EMPTY in any state,
     * with no effect. Vyukov's bounded MPMC ring does: a pop reports empty while the slot it
     * must take next was claimed by a producer that has not published yet, even if later
     * slots are full. Values, order and exactly-once are still checked. */
    bool may_fail_spuriously;
    size_t key_count; /* KV map: keys are 0 .. key_count - 1 */
    /* Writes the initial state into state (state_size_bytes, zeroed by the caller). */
    void (*init_cb)(const struct lc_model *model, void *state);
    /* Applies op to state, writing the successor into state_next (zeroed by the caller).
     * Returns false when op, with its result (ignored when op->is_pending), cannot happen in
     * state. Must not keep pointers to either buffer. */
    bool (*step_cb)(const struct lc_model *model, const void *state, const struct lc_op *op,
                    void *state_next);
    const void *ctx; /* borrowed by a caller's own model; unused by the ones below */
};

/* Stack and queue models that hold at most capacity values (<= 1,023). An unbounded structure
 * is checked with is_bounded false and a capacity of at least the number of pushes. */
struct lc_model lc_model_stack(size_t capacity, bool is_bounded);
struct lc_model lc_model_queue(size_t capacity, bool is_bounded);
/* A bounded queue whose LC_FULL and LC_EMPTY may be spurious (see may_fail_spuriously). */
struct lc_model lc_model_queue_try(size_t capacity);
/* A register holding an int64_t, initially 0. */
struct lc_model lc_model_register(void);
/* A map from key_count (<= 1,023) small integer keys to int64_t values, initially empty. */
struct lc_model lc_model_kv(size_t key_count);

struct lc_limits {
    size_t memory_bytes_max; /* 0: LC_MEMORY_BYTES_DEFAULT */
    uint64_t time_ns_max;    /* 0: LC_TIME_NS_DEFAULT */
};

/* Decides whether ops[0 .. op_count) is linearizable for model. ops are borrowed for the call
 * and may be in any order. limits may be NULL (the defaults). Returns LC_LINEARIZABLE,
 * LC_NOT_LINEARIZABLE, LC_UNKNOWN (budget spent: treat as a failure to check, never a pass)
 * or LC_INVALID. */
lc_status lc_check(const struct lc_model *model, const struct lc_op *ops, size_t op_count,
                   const struct lc_limits *limits);

/* For a history lc_check called not linearizable: finds the shortest failing prefix (the
 * operations called before the earliest return at which the history cannot be linearized,
 * those still running then counted as pending) and prints its last LC_WINDOW_OPS_MAX
 * operations to out, in call order, times relative to the first call. Returns the status of
 * the full history. */
lc_status lc_explain(const struct lc_model *model, const struct lc_op *ops, size_t op_count,
                     const struct lc_limits *limits, FILE *out);

/* Writes "pop() -> 5" or "enqueue(3)" for op into buf (always NUL-terminated). */
void lc_format_op(const struct lc_op *op, char *buf, size_t size_bytes);

#endif
