/* lincheck.c -- the linearizability checker (kh_lincheck.h). Read kh_lc_check first: it turns the
 * history into a list of call and return events sorted by time and searches it the way Wing &
 * Gong do, lifting a call out of the list when the model accepts it and backtracking at a
 * return that nothing linearized yet; the memo set (Lowe) prunes every (set of linearized
 * operations, model state) pair already explored. kh_lc_explain and the printing of operations
 * follow it; the sequential models are in lincheck_models.c. */
#include "kh_lincheck.h"
#include "kh_core.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define KH_LC_STATUS_TEXT(name, text) [name] = (text),
static const char *const kh_lc_status_texts[] = {KH_LC_STATUS(KH_LC_STATUS_TEXT)};
#undef KH_LC_STATUS_TEXT

const char *
kh_lc_strerror(kh_lc_status status)
{
    return (size_t)status < KH_ARRAY_LEN(kh_lc_status_texts) ? kh_lc_status_texts[status]
                                                             : "unknown status";
}

#define MEMO_SLOTS_MIN 1024u
#define ARENA_CHUNK_BYTES (1u << 20)
#define STEPS_PER_CLOCK_CHECK 1024u

/* A call or return event, linked in time order. A lifted call is unlinked with its return. */
struct event {
    struct event *prev;
    struct event *next;
    struct event *match; /* a call's return (NULL when pending); a return's call */
    size_t op_index;
    uint64_t time_ns;
    bool is_call;
};

/* The memo: an open-addressing set of (bitset, state) keys stored in arena chunks. */
struct memo {
    unsigned char **slots; /* each points at a key of key_size_bytes in an arena chunk */
    size_t slot_count;     /* a power of two */
    size_t used;
    size_t key_size_bytes;
    unsigned char *chunk; /* the chunk being filled; chunks are chained through their start */
    size_t chunk_used_bytes;
    size_t memory_bytes;
};

/* One depth of the search: its candidates are candidates[first .. first + count). */
struct frame {
    size_t first;
    size_t count;
    size_t next; /* the next candidate to try */
};

struct search {
    const struct kh_lc_model *model;
    const struct kh_lc_op *ops;
    size_t op_count;
    struct event *events; /* 2 * op_count, plus the head sentinel at events[2 * op_count] */
    uint64_t *bitset;     /* linearized operations */
    size_t bitset_words;
    unsigned char *states;     /* the search stack's states: depth d's state at d * state size */
    struct event **lifted;     /* the search stack: the calls lifted, in order */
    unsigned char *key;        /* scratch: bitset then state */
    struct frame *frames;      /* one per depth, op_count + 1 */
    struct event **candidates; /* the candidates of every depth on the path, stacked */
    size_t candidate_count;
    size_t candidate_capacity;
    struct memo memo;
    size_t memory_bytes_max;
    uint64_t deadline_ns;
};

static uint64_t
hash_bytes(const unsigned char *bytes, size_t size_bytes)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ size_bytes;
    size_t i = 0;
    for (; i + 8 <= size_bytes; i += 8) {
        uint64_t w;
        memcpy(&w, bytes + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    for (; i < size_bytes; i++) {
        h = (h ^ bytes[i]) * 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static void
memo_free(struct memo *m)
{
    unsigned char *chunk = m->chunk;
    while (chunk != NULL) {
        unsigned char *prev;
        memcpy(&prev, chunk, sizeof(prev));
        free(chunk);
        chunk = prev;
    }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* Doubles the slot array. Returns false when that would pass the memory budget. */
static bool
memo_grow(struct memo *m, size_t memory_bytes_max)
{
    size_t count = m->slot_count == 0 ? MEMO_SLOTS_MIN : m->slot_count * 2;
    size_t add_bytes = count * sizeof(*m->slots);
    if (m->memory_bytes + add_bytes > memory_bytes_max) {
        return false;
    }
    unsigned char **slots = calloc(count, sizeof(*slots));
    if (slots == NULL) {
        return false;
    }
    for (size_t i = 0; i < m->slot_count; i++) {
        if (m->slots[i] != NULL) {
            size_t at = hash_bytes(m->slots[i], m->key_size_bytes) & (count - 1);
            while (slots[at] != NULL) {
                at = (at + 1) & (count - 1);
            }
            slots[at] = m->slots[i];
        }
    }
    m->memory_bytes += add_bytes - m->slot_count * sizeof(*m->slots);
    free(m->slots);
    m->slots = slots;
    m->slot_count = count;
    assert(m->used < m->slot_count / 2);
    return true;
}

/* Copies key into the arena. Returns NULL when that would pass the memory budget. */
static unsigned char *
memo_store(struct memo *m, const unsigned char *key, size_t memory_bytes_max)
{
    size_t need = m->key_size_bytes;
    if (m->chunk == NULL || m->chunk_used_bytes + need > ARENA_CHUNK_BYTES) {
        size_t chunk_bytes =
            need + sizeof(void *) > ARENA_CHUNK_BYTES ? need + sizeof(void *) : ARENA_CHUNK_BYTES;
        if (m->memory_bytes + chunk_bytes > memory_bytes_max) {
            return NULL;
        }
        unsigned char *chunk = malloc(chunk_bytes);
        if (chunk == NULL) {
            return NULL;
        }
        memcpy(chunk, &m->chunk, sizeof(m->chunk)); /* chain to the previous chunk */
        m->chunk = chunk;
        m->chunk_used_bytes = sizeof(void *);
        m->memory_bytes += chunk_bytes;
    }
    unsigned char *at = m->chunk + m->chunk_used_bytes;
    memcpy(at, key, need);
    m->chunk_used_bytes += need;
    return at;
}

/* Adds key. Returns 1 when it is new, 0 when it was there, -1 when the budget is spent. */
static int
memo_insert(struct memo *m, const unsigned char *key, size_t memory_bytes_max)
{
    if ((m->used + 1) * 2 > m->slot_count && !memo_grow(m, memory_bytes_max)) {
        return -1;
    }
    size_t at = hash_bytes(key, m->key_size_bytes) & (m->slot_count - 1);
    while (m->slots[at] != NULL) {
        if (memcmp(m->slots[at], key, m->key_size_bytes) == 0) {
            return 0;
        }
        at = (at + 1) & (m->slot_count - 1);
    }
    unsigned char *stored = memo_store(m, key, memory_bytes_max);
    if (stored == NULL) {
        return -1;
    }
    m->slots[at] = stored;
    m->used++;
    return 1;
}

static int
event_order(const void *a, const void *b)
{
    const struct event *x = a;
    const struct event *y = b;
    if (x->time_ns != y->time_ns) {
        return x->time_ns < y->time_ns ? -1 : 1;
    }
    /* At equal times a call sorts first: the two operations are taken to overlap. */
    if (x->is_call != y->is_call) {
        return x->is_call ? -1 : 1;
    }
    return x->op_index < y->op_index ? -1 : (x->op_index > y->op_index);
}

/* Sorts the events and links them after the head sentinel; sets each call's match. */
static void
link_events(struct search *s, size_t event_count)
{
    struct event *e = s->events;
    qsort(e, event_count, sizeof(*e), event_order);
    struct event **call_of = calloc(s->op_count + 1, sizeof(*call_of)); /* + 1: never 0 */
    assert(call_of != NULL || s->op_count == 0);
    for (size_t i = 0; i < event_count; i++) {
        if (e[i].is_call) {
            call_of[e[i].op_index] = &e[i];
        }
    }
    for (size_t i = 0; i < event_count; i++) {
        if (!e[i].is_call) {
            e[i].match = call_of[e[i].op_index];
            e[i].match->match = &e[i];
        }
    }
    free(call_of);
    struct event *head = &s->events[2 * s->op_count];
    struct event *prev = head;
    for (size_t i = 0; i < event_count; i++) {
        prev->next = &e[i];
        e[i].prev = prev;
        prev = &e[i];
    }
    prev->next = NULL;
}

static void
lift(struct event *call)
{
    call->prev->next = call->next;
    if (call->next != NULL) {
        call->next->prev = call->prev;
    }
    struct event *ret = call->match;
    if (ret != NULL) {
        ret->prev->next = ret->next;
        if (ret->next != NULL) {
            ret->next->prev = ret->prev;
        }
    }
}

/* Undoes lift: the return first, since it was unlinked last. */
static void
unlift(struct event *call)
{
    struct event *ret = call->match;
    if (ret != NULL) {
        ret->prev->next = ret;
        if (ret->next != NULL) {
            ret->next->prev = ret;
        }
    }
    call->prev->next = call;
    if (call->next != NULL) {
        call->next->prev = call;
    }
}

static void
search_free(struct search *s)
{
    free(s->events);
    free(s->bitset);
    free(s->states);
    free(s->lifted);
    free(s->key);
    free(s->frames);
    free(s->candidates);
    memo_free(&s->memo);
}

/* Allocates and fills the search. Returns KH_LC_LINEARIZABLE when ready, else why not. */
static kh_lc_status
search_init(struct search *s, const struct kh_lc_model *model, const struct kh_lc_op *ops,
            size_t op_count, const struct kh_lc_limits *limits)
{
    memset(s, 0, sizeof(*s));
    if (op_count > KH_LC_OPS_MAX || model->state_size_bytes == 0 ||
        model->state_size_bytes > KH_LC_STATE_SIZE_BYTES_MAX) {
        return KH_LC_INVALID;
    }
    s->model = model;
    s->ops = ops;
    s->op_count = op_count;
    s->memory_bytes_max = limits != NULL && limits->memory_bytes_max != 0
                              ? limits->memory_bytes_max
                              : KH_LC_MEMORY_BYTES_DEFAULT;
    uint64_t time_ns_max =
        limits != NULL && limits->time_ns_max != 0 ? limits->time_ns_max : KH_LC_TIME_NS_DEFAULT;
    s->deadline_ns = kh_clock_now_ns() + time_ns_max;
    s->bitset_words = (op_count + 63) / 64 + 1;
    size_t state_bytes = model->state_size_bytes;
    s->events = calloc(2 * op_count + 1, sizeof(*s->events));
    s->bitset = calloc(s->bitset_words, sizeof(uint64_t));
    s->states = calloc(op_count + 1, state_bytes);
    s->lifted = calloc(op_count + 1, sizeof(*s->lifted));
    s->memo.key_size_bytes = s->bitset_words * sizeof(uint64_t) + state_bytes;
    s->key = calloc(1, s->memo.key_size_bytes);
    s->frames = calloc(op_count + 1, sizeof(*s->frames));
    s->candidate_capacity = 64;
    s->candidates = calloc(s->candidate_capacity, sizeof(*s->candidates));
    s->memo.memory_bytes =
        (op_count + 1) * (state_bytes + sizeof(struct event *) * 3 + sizeof(struct frame));
    if (s->events == NULL || s->bitset == NULL || s->states == NULL || s->lifted == NULL ||
        s->key == NULL || s->frames == NULL || s->candidates == NULL ||
        s->memo.memory_bytes > s->memory_bytes_max) {
        return KH_LC_UNKNOWN;
    }
    size_t event_count = 0;
    for (size_t i = 0; i < op_count; i++) {
        if (!ops[i].is_pending && ops[i].return_ns < ops[i].call_ns) {
            return KH_LC_INVALID;
        }
        s->events[event_count++] =
            (struct event){.op_index = i, .time_ns = ops[i].call_ns, .is_call = true};
        if (!ops[i].is_pending) {
            s->events[event_count++] =
                (struct event){.op_index = i, .time_ns = ops[i].return_ns, .is_call = false};
        }
    }
    link_events(s, event_count);
    model->init_cb(model, s->states);
    return KH_LC_LINEARIZABLE;
}

/* Tries to linearize the call at depth: on success the new state is at depth + 1. Returns 1
 * when lifted, 0 when the model or the memo refuses, -1 when the budget is spent. */
static int
try_linearize(struct search *s, struct event *call, size_t depth)
{
    size_t state_bytes = s->model->state_size_bytes;
    unsigned char *state = s->states + depth * state_bytes;
    unsigned char *next = state + state_bytes;
    memset(next, 0, state_bytes);
    if (!s->model->step_cb(s->model, state, &s->ops[call->op_index], next)) {
        return 0;
    }
    size_t i = call->op_index;
    s->bitset[i / 64] |= 1ull << (i % 64);
    size_t bitset_bytes = s->bitset_words * sizeof(uint64_t);
    memcpy(s->key, s->bitset, bitset_bytes);
    memcpy(s->key + bitset_bytes, next, state_bytes);
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): s->key is search_free's to free
    int inserted = memo_insert(&s->memo, s->key, s->memory_bytes_max);
    if (inserted != 1) {
        s->bitset[i / 64] &= ~(1ull << (i % 64));
        return inserted;
    }
    s->lifted[depth] = call;
    lift(call);
    return 1;
}

/* Pushes the calls that may be linearized next (those before the first return still in the
 * list) onto s->candidates in call order (Wing & Gong's; trying the earliest return first
 * was measured slower on simulated queue histories). Returns false when the budget is spent. */
static bool
push_candidates(struct search *s, struct event *head, size_t *count)
{
    size_t first = s->candidate_count;
    for (struct event *e = head->next; e != NULL && e->is_call; e = e->next) {
        if (s->candidate_count == s->candidate_capacity) {
            size_t capacity = s->candidate_capacity * 2;
            size_t add_bytes = s->candidate_capacity * sizeof(*s->candidates);
            if (s->memo.memory_bytes + add_bytes > s->memory_bytes_max) {
                return false;
            }
            struct event **grown = realloc(s->candidates, capacity * sizeof(*grown));
            if (grown == NULL) {
                return false;
            }
            s->candidates = grown;
            s->candidate_capacity = capacity;
            s->memo.memory_bytes += add_bytes;
        }
        s->candidates[s->candidate_count++] = e;
    }
    *count = s->candidate_count - first;
    return true;
}

/* Depth-first search over the candidates of each depth. frames[d] remembers where depth d's
 * candidates start in s->candidates, how many there are and which one is being tried. */
static kh_lc_status
search_run(struct search *s)
{
    struct event *head = &s->events[2 * s->op_count];
    size_t completed_left = 0;
    for (size_t i = 0; i < s->op_count; i++) {
        completed_left += !s->ops[i].is_pending;
    }
    size_t depth = 0;
    uint64_t steps = 0;
    struct frame *f = &s->frames[0];
    *f = (struct frame){.first = 0};
    if (!push_candidates(s, head, &f->count)) {
        return KH_LC_UNKNOWN;
    }
    while (completed_left > 0) {
        if (++steps % STEPS_PER_CLOCK_CHECK == 0 && kh_clock_now_ns() > s->deadline_ns) {
            return KH_LC_UNKNOWN;
        }
        if (f->next < f->count) {
            struct event *call = s->candidates[f->first + f->next++];
            int lifted = try_linearize(s, call, depth);
            if (lifted < 0) {
                return KH_LC_UNKNOWN;
            }
            if (lifted == 1) {
                completed_left -= !s->ops[call->op_index].is_pending;
                f = &s->frames[++depth];
                *f = (struct frame){.first = s->candidate_count};
                if (!push_candidates(s, head, &f->count)) {
                    return KH_LC_UNKNOWN;
                }
            }
            continue;
        }
        /* Every candidate at this depth failed: undo the choice that led here. */
        if (depth == 0) {
            return KH_LC_NOT_LINEARIZABLE;
        }
        s->candidate_count = f->first;
        f = &s->frames[--depth];
        struct event *call = s->lifted[depth];
        unlift(call);
        s->bitset[call->op_index / 64] &= ~(1ull << (call->op_index % 64));
        completed_left += !s->ops[call->op_index].is_pending;
    }
    return KH_LC_LINEARIZABLE;
}

kh_lc_status
kh_lc_check(const struct kh_lc_model *model, const struct kh_lc_op *ops, size_t op_count,
            const struct kh_lc_limits *limits)
{
    assert(model != NULL);
    assert(ops != NULL || op_count == 0);
    struct search s;
    kh_lc_status status = search_init(&s, model, ops, op_count, limits);
    if (status == KH_LC_LINEARIZABLE) {
        status = search_run(&s);
    }
    search_free(&s);
    return status;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : (x > y);
}

static int
op_call_order(const void *a, const void *b)
{
    const struct kh_lc_op *x = a;
    const struct kh_lc_op *y = b;
    return x->call_ns < y->call_ns ? -1 : (x->call_ns > y->call_ns);
}

/* The prefix cut at cut_ns: operations called by then, those returning later made pending. */
static size_t
prefix_at(const struct kh_lc_op *ops, size_t op_count, uint64_t cut_ns, struct kh_lc_op *out)
{
    size_t n = 0;
    for (size_t i = 0; i < op_count; i++) {
        if (ops[i].call_ns <= cut_ns) {
            out[n] = ops[i];
            if (!out[n].is_pending && out[n].return_ns > cut_ns) {
                out[n].is_pending = true;
            }
            n++;
        }
    }
    return n;
}

static void
print_window(const struct kh_lc_op *prefix, size_t n, uint64_t cut_ns, FILE *out)
{
    uint64_t base_ns = n > 0 ? prefix[0].call_ns : 0;
    for (size_t i = 0; i < n; i++) {
        base_ns = prefix[i].call_ns < base_ns ? prefix[i].call_ns : base_ns;
    }
    size_t first = n > KH_LC_WINDOW_OPS_MAX ? n - KH_LC_WINDOW_OPS_MAX : 0;
    fprintf(out,
            "lincheck: the shortest failing prefix has %zu operations; %s%zu, in call order"
            " (times in us from the first call):\n",
            n, first > 0 ? "the last " : "all ", n - first);
    for (size_t i = first; i < n; i++) {
        char text[96];
        kh_lc_format_op(&prefix[i], text, sizeof(text));
        const struct kh_lc_op *op = &prefix[i];
        if (op->is_pending) {
            fprintf(out, "  thread %-3" PRIu32 " [%10.3f, running ] %s\n", op->thread_id,
                    (double)(op->call_ns - base_ns) / 1e3, text);
        } else {
            fprintf(out, "  thread %-3" PRIu32 " [%10.3f, %10.3f] %s%s\n", op->thread_id,
                    (double)(op->call_ns - base_ns) / 1e3, (double)(op->return_ns - base_ns) / 1e3,
                    text,
                    op->return_ns == cut_ns ? "   <- no linearization survives this return" : "");
        }
    }
}

kh_lc_status
kh_lc_explain(const struct kh_lc_model *model, const struct kh_lc_op *ops, size_t op_count,
              const struct kh_lc_limits *limits, FILE *out)
{
    kh_lc_status status = kh_lc_check(model, ops, op_count, limits);
    if (status != KH_LC_NOT_LINEARIZABLE) {
        fprintf(out, "lincheck: %s history of %zu operations: %s\n", model->name, op_count,
                kh_lc_strerror(status));
        return status;
    }
    uint64_t *cuts = malloc((op_count + 1) * sizeof(*cuts));
    struct kh_lc_op *prefix = malloc((op_count + 1) * sizeof(*prefix));
    if (cuts == NULL || prefix == NULL) {
        free(cuts);
        free(prefix);
        return status;
    }
    size_t cut_count = 0;
    for (size_t i = 0; i < op_count; i++) {
        if (!ops[i].is_pending) {
            cuts[cut_count++] = ops[i].return_ns;
        }
    }
    qsort(cuts, cut_count, sizeof(*cuts), compare_u64);
    /* Failing is monotone in the cut (a linearization of a longer prefix restricts to one of
     * a shorter), so a binary search finds the earliest failing return. */
    size_t lo = 0;
    size_t hi = cut_count; /* the whole history, known to fail */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t n = prefix_at(ops, op_count, cuts[mid], prefix);
        if (kh_lc_check(model, prefix, n, limits) == KH_LC_NOT_LINEARIZABLE) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    uint64_t cut_ns = lo < cut_count ? cuts[lo] : UINT64_MAX;
    size_t n = prefix_at(ops, op_count, cut_ns, prefix);
    qsort(prefix, n, sizeof(*prefix), op_call_order);
    fprintf(out, "lincheck: %s history of %zu operations is not linearizable\n", model->name,
            op_count);
    print_window(prefix, n, cut_ns, out);
    free(cuts);
    free(prefix);
    return status;
}

void
kh_lc_format_op(const struct kh_lc_op *op, char *buf, size_t size_bytes)
{
    static const char *const names[] = {
        [KH_LC_PUSH] = "push",       [KH_LC_POP] = "pop",     [KH_LC_ENQUEUE] = "enqueue",
        [KH_LC_DEQUEUE] = "dequeue", [KH_LC_WRITE] = "write", [KH_LC_READ] = "read",
        [KH_LC_PUT] = "put",         [KH_LC_GET] = "get",     [KH_LC_DELETE] = "delete"};
    const char *name = op->kind < KH_ARRAY_LEN(names) ? names[op->kind] : "op";
    char result[32];
    if (op->is_pending) {
        snprintf(result, sizeof(result), "?");
    } else if (op->result == KH_LC_EMPTY) {
        snprintf(result, sizeof(result), "empty");
    } else if (op->result == KH_LC_FULL) {
        snprintf(result, sizeof(result), "full");
    } else {
        snprintf(result, sizeof(result), "%" PRId64, op->result);
    }
    switch (op->kind) {
    case KH_LC_PUSH:
    case KH_LC_ENQUEUE:
    case KH_LC_WRITE:
        snprintf(buf, size_bytes, "%s(%" PRId64 ") -> %s", name, op->value, result);
        break;
    case KH_LC_PUT:
        snprintf(buf, size_bytes, "%s(%" PRId64 ", %" PRId64 ")", name, op->key, op->value);
        break;
    case KH_LC_GET:
    case KH_LC_DELETE:
        snprintf(buf, size_bytes, "%s(%" PRId64 ") -> %s", name, op->key, result);
        break;
    default:
        snprintf(buf, size_bytes, "%s() -> %s", name, result);
        break;
    }
}
