/* lincheck_models.c -- the sequential models kh_lincheck.h offers the checker (lincheck.c): a
 * stack and a queue (bounded or not, with try-operations that may give up), a register and a
 * small KV map. Each is an init_cb and a step_cb over a fixed-size state; read seq_add and
 * seq_take first, which the stack and the queue share. step_cb runs once per search step, so
 * its assertions are integer compares only. */
#include "kh_lincheck.h"

#include <assert.h>
#include <string.h>

/* Stack and queue state: the count, then the values (bottom or front first), zeros after. */
struct seq_state {
    int64_t count;
    int64_t values[];
};

static void
seq_init(const struct kh_lc_model *model, void *state)
{
    assert(model->state_size_bytes >= sizeof(struct seq_state));
    ((struct seq_state *)state)->count = 0;
}

/* A push or enqueue: legal when it fits, or when it reports full and the model is. */
static bool
seq_add(const struct kh_lc_model *m, const struct seq_state *s, const struct kh_lc_op *op,
        struct seq_state *next)
{
    assert(s->count >= 0);
    assert((size_t)s->count <= m->capacity);
    bool is_full = (size_t)s->count == m->capacity;
    if (!op->is_pending && op->result == KH_LC_FULL) {
        if (!(is_full && m->is_bounded) && !m->may_fail_spuriously) {
            return false;
        }
        memcpy(next, s, m->state_size_bytes);
        return true;
    }
    if ((!op->is_pending && op->result != 0) || is_full) {
        return false; /* an unbounded model too small for the history refuses as well */
    }
    memcpy(next, s, sizeof(int64_t) * (size_t)(s->count + 1));
    next->values[next->count++] = op->value;
    return true;
}

/* A pop or dequeue: takes the last value added (is_front false, a stack) or the first (is_front
 * true, a queue). Legal when the operation returned that value, or reported empty when the model
 * is empty; a try-operation may also give up with no effect. */
static bool
seq_take(const struct kh_lc_model *m, const struct seq_state *s, const struct kh_lc_op *op,
         bool is_front, struct seq_state *next)
{
    assert(s->count >= 0);
    assert((size_t)s->count <= m->capacity);
    if (!op->is_pending && op->result == KH_LC_EMPTY && m->may_fail_spuriously) {
        memcpy(next, s, m->state_size_bytes); /* gave up: no effect */
        return true;
    }
    if (s->count == 0) {
        next->count = 0;
        return op->is_pending || op->result == KH_LC_EMPTY;
    }
    int64_t taken = is_front ? s->values[0] : s->values[s->count - 1];
    if (!op->is_pending && op->result != taken) {
        return false;
    }
    next->count = s->count - 1;
    const int64_t *kept = is_front ? s->values + 1 : s->values;
    memcpy(next->values, kept, sizeof(int64_t) * (size_t)next->count);
    return true;
}

static bool
stack_step(const struct kh_lc_model *m, const void *state, const struct kh_lc_op *op,
           void *state_next)
{
    switch (op->kind) {
    case KH_LC_PUSH:
        return seq_add(m, state, op, state_next);
    case KH_LC_POP:
        return seq_take(m, state, op, false, state_next);
    default:
        return false;
    }
}

static bool
queue_step(const struct kh_lc_model *m, const void *state, const struct kh_lc_op *op,
           void *state_next)
{
    switch (op->kind) {
    case KH_LC_ENQUEUE:
        return seq_add(m, state, op, state_next);
    case KH_LC_DEQUEUE:
        return seq_take(m, state, op, true, state_next);
    default:
        return false;
    }
}

static struct kh_lc_model
seq_model(const char *name, size_t capacity, bool is_bounded)
{
    assert(capacity >= 1);
    assert((capacity + 1) * sizeof(int64_t) <= KH_LC_STATE_SIZE_BYTES_MAX);
    return (struct kh_lc_model){.name = name,
                                .state_size_bytes = (capacity + 1) * sizeof(int64_t),
                                .capacity = capacity,
                                .is_bounded = is_bounded,
                                .init_cb = seq_init};
}

struct kh_lc_model
kh_lc_model_stack(size_t capacity, bool is_bounded)
{
    struct kh_lc_model m = seq_model(is_bounded ? "bounded stack" : "stack", capacity, is_bounded);
    m.step_cb = stack_step;
    return m;
}

struct kh_lc_model
kh_lc_model_queue(size_t capacity, bool is_bounded)
{
    struct kh_lc_model m = seq_model(is_bounded ? "bounded queue" : "queue", capacity, is_bounded);
    m.step_cb = queue_step;
    return m;
}

struct kh_lc_model
kh_lc_model_queue_try(size_t capacity)
{
    struct kh_lc_model m = seq_model("bounded queue with try-operations", capacity, true);
    m.step_cb = queue_step;
    m.may_fail_spuriously = true;
    return m;
}

static void
register_init(const struct kh_lc_model *model, void *state)
{
    assert(model->state_size_bytes == sizeof(int64_t));
    memset(state, 0, sizeof(int64_t));
}

static bool
register_step(const struct kh_lc_model *m, const void *state, const struct kh_lc_op *op,
              void *state_next)
{
    assert(m->state_size_bytes == sizeof(int64_t));
    memcpy(state_next, state, sizeof(int64_t));
    if (op->kind == KH_LC_WRITE) {
        memcpy(state_next, &op->value, sizeof(int64_t));
        return true;
    }
    int64_t value;
    memcpy(&value, state, sizeof(value));
    return op->kind == KH_LC_READ && (op->is_pending || op->result == value);
}

struct kh_lc_model
kh_lc_model_register(void)
{
    return (struct kh_lc_model){.name = "register",
                                .state_size_bytes = sizeof(int64_t),
                                .init_cb = register_init,
                                .step_cb = register_step};
}

static void
kv_init(const struct kh_lc_model *m, void *state)
{
    assert(m->state_size_bytes == m->key_count * sizeof(int64_t));
    int64_t *values = state;
    for (size_t k = 0; k < m->key_count; k++) {
        values[k] = KH_LC_EMPTY;
    }
}

static bool
kv_step(const struct kh_lc_model *m, const void *state, const struct kh_lc_op *op, void *state_next)
{
    assert(m->state_size_bytes == m->key_count * sizeof(int64_t));
    const int64_t *values = state;
    int64_t *next = state_next;
    if (op->key < 0 || (size_t)op->key >= m->key_count) {
        return false;
    }
    memcpy(next, values, m->state_size_bytes);
    switch (op->kind) {
    case KH_LC_PUT:
        next[op->key] = op->value;
        return true;
    case KH_LC_GET:
        return op->is_pending || op->result == values[op->key];
    case KH_LC_DELETE:
        next[op->key] = KH_LC_EMPTY;
        return op->is_pending || op->result == (values[op->key] != KH_LC_EMPTY);
    default:
        return false;
    }
}

struct kh_lc_model
kh_lc_model_kv(size_t key_count)
{
    assert(key_count >= 1);
    assert(key_count * sizeof(int64_t) <= KH_LC_STATE_SIZE_BYTES_MAX);
    return (struct kh_lc_model){.name = "KV map",
                                .state_size_bytes = key_count * sizeof(int64_t),
                                .key_count = key_count,
                                .init_cb = kv_init,
                                .step_cb = kv_step};
}
