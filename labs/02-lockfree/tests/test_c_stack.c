/* test_c_stack.c -- part C: the Treiber stack (stack.h). Read mixed_body first: every thread
 * pushes values that name it and their sequence number, pops at random, and records what it
 * popped, so the checks afterwards can tell a lost value from a duplicated one. The
 * linearizability test records short rounds with timestamps and hands them to lincheck. This
 * binary's allocations fail on demand (kh_oom.h, plain builds) for the push out of memory. */
#include "kh_oom.h"
#include "lockfree_test.h"
#include "stack.h"

#include <inttypes.h>

#define MIXED_THREADS 4u
#define MIXED_OPS 20000u /* per thread; about 20 ms on the reference */
#define HISTORY_THREADS 3u
#define HISTORY_ROUNDS 300u
#define CHURN_THREADS 4u
#define CHURN_VALUES 8u        /* a small stack: every pop races for the same few nodes */
#define CHURN_OPS 40000u       /* per thread */
#define OOM_ALLOCATIONS_MAX 16 /* a push that still allocates after this many failed is looping */

static struct ebr g_domain;

static uint64_t
value_of(unsigned thread, uint64_t sequence)
{
    return (uint64_t)thread << 32 | sequence;
}

/* Pushes value, value + 1, ... onto s, each push with one more of its allocations failing
 * (kh_oom.h): the first with its first, the next with its second, until a push meets no failure,
 * as SQLite's tests fail malloc. A push that met a failed allocation returns STACK_NO_MEMORY
 * with top as it was and nothing left allocated, or STACK_OK if it got its node anyway, and then
 * the next value is pushed. Returns how many were pushed; the caller's pops check them and that
 * the failed pushes changed nothing below. Nothing here may reuse a node (the caller has popped
 * none), so a push must allocate. A sanitizer build pushes value once. */
static uint64_t
push_with_each_allocation_failing(struct stack *s, struct ebr_thread *t, uint64_t value)
{
    uint64_t pushed = 0;
#if KH_OOM_IS_INJECTABLE
    bool has_fired = true;
    for (int64_t fail_at = 0; has_fired; fail_at++) {
        if (fail_at == OOM_ALLOCATIONS_MAX) {
            fail_msg("stack_push still allocates after %d allocations failed", OOM_ALLOCATIONS_MAX);
        }
        struct stack_node *top = atomic_load(&s->top);
        int64_t live_before = kh_oom_live_blocks();
        kh_oom_arm(fail_at); /* no cmocka call until disarmed: cmocka allocates */
        stack_status status = stack_push(s, t, value + pushed);
        has_fired = kh_oom_disarm();
        if (status == STACK_OK) {
            pushed++;
            continue;
        }
        if (status != STACK_NO_MEMORY || !has_fired) {
            fail_msg("stack_push with allocation %" PRId64 " failing is %s (%s), though %s",
                     fail_at, stack_status_name(status), stack_strerror(status),
                     has_fired ? "stack.h allows only STACK_OK or STACK_NO_MEMORY"
                               : "no allocation failed: expected STACK_OK");
        }
        if (atomic_load(&s->top) != top) {
            fail_msg("stack_push returned STACK_NO_MEMORY (allocation %" PRId64 " failed), yet top "
                     "moved from %p to %p: a push that fails must leave the stack as it was",
                     fail_at, (void *)top, (void *)atomic_load(&s->top));
        }
        if (kh_oom_live_blocks() != live_before) {
            fail_msg("stack_push returned STACK_NO_MEMORY (allocation %" PRId64 " failed) and "
                     "left %" PRId64 " blocks allocated: a push that fails must leak nothing",
                     fail_at, kh_oom_live_blocks() - live_before);
        }
    }
#else
    assert_stack_status(stack_push(s, t, value), STACK_OK);
    pushed = 1;
#endif
    return pushed;
}

/* The claim: one thread sees last-in first-out order and STACK_EMPTY on an empty stack, and a
 * push whose node cannot be allocated returns STACK_NO_MEMORY, leaves the stack as it was and
 * leaks nothing (the pushes after the first 1,000 fail each allocation in turn: plain builds
 * only). */
static void
test_c_stack_is_lifo(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    struct stack s;
    stack_init(&s, &g_domain);
    uint64_t v = 0;
    assert_stack_status(stack_pop(&s, t, &v), STACK_EMPTY);
    for (uint64_t i = 0; i < 1000; i++) {
        assert_stack_status(stack_push(&s, t, i), STACK_OK);
    }
    uint64_t count = 1000 + push_with_each_allocation_failing(&s, t, 1000);
    for (uint64_t i = count; i-- > 0;) {
        assert_stack_status(stack_pop(&s, t, &v), STACK_OK);
        if (v != i) {
            fail_msg("pop %llu of %llu returned %llu, expected %llu (last in, first out; a push "
                     "that returned STACK_NO_MEMORY must have changed nothing, and one that "
                     "returned STACK_OK pushed its value)",
                     (unsigned long long)(count - i), (unsigned long long)count,
                     (unsigned long long)v, (unsigned long long)i);
        }
    }
    assert_stack_status(stack_pop(&s, t, &v), STACK_EMPTY);
    assert_stack_status(stack_push(&s, t, 7), STACK_OK);
    stack_destroy(&s); /* frees the node left (ASan's leak check sees it otherwise) */
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

struct mixed {
    struct stack stack;
    uint64_t pushed[MIXED_THREADS];  /* values each thread pushed */
    uint64_t *popped[MIXED_THREADS]; /* owned: what each thread popped */
    size_t popped_count[MIXED_THREADS];
};

static void *
mixed_body(void *arg)
{
    struct test_thread *th = arg;
    struct mixed *m = th->ctx;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t == NULL) {
        return NULL;
    }
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed() + th->index);
    for (unsigned i = 0; i < MIXED_OPS; i++) {
        if (kh_rng_below(&rng, 2) == 0) {
            stack_status status =
                stack_push(&m->stack, t, value_of(th->index, m->pushed[th->index]));
            if (status != STACK_OK) {
                thread_fail("thread %u: stack_push is %s (%s), expected STACK_OK", th->index,
                            stack_status_name(status), stack_strerror(status));
                break;
            }
            m->pushed[th->index]++;
        } else {
            uint64_t v;
            if (stack_pop(&m->stack, t, &v) == STACK_OK) {
                m->popped[th->index][m->popped_count[th->index]++] = v;
            }
        }
    }
    ebr_unregister(t);
    return NULL;
}

/* Checks that the values popped (plus those left on the stack) are exactly those pushed. */
static void
check_exactly_once(struct mixed *m, struct ebr_thread *t)
{
    uint8_t *seen[MIXED_THREADS];
    for (unsigned i = 0; i < MIXED_THREADS; i++) {
        seen[i] = calloc(MIXED_OPS, 1);
        assert_non_null(seen[i]);
    }
    uint64_t v;
    while (stack_pop(&m->stack, t, &v) == STACK_OK) {
        m->popped[0][m->popped_count[0]++] = v;
    }
    for (unsigned i = 0; i < MIXED_THREADS; i++) {
        for (size_t k = 0; k < m->popped_count[i]; k++) {
            uint64_t p = m->popped[i][k];
            unsigned who = (unsigned)(p >> 32);
            uint64_t seq = p & 0xffffffffu;
            if (who >= MIXED_THREADS || seq >= m->pushed[who] || seen[who][seq]++ != 0) {
                fail_msg("popped %#llx: never pushed, or popped twice", (unsigned long long)p);
            }
        }
    }
    for (unsigned i = 0; i < MIXED_THREADS; i++) {
        for (uint64_t seq = 0; seq < m->pushed[i]; seq++) {
            if (!seen[i][seq]) {
                fail_msg("thread %u's value %llu was pushed and never popped", i,
                         (unsigned long long)seq);
            }
        }
        free(seen[i]);
    }
}

/* The claim: with 4 threads pushing and popping at once, every value pushed is popped exactly
 * once (counting those drained at the end). */
static void
test_c_stack_every_value_popped_exactly_once(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    static struct mixed m;
    memset(&m, 0, sizeof(m));
    stack_init(&m.stack, &g_domain);
    for (unsigned i = 0; i < MIXED_THREADS; i++) {
        m.popped[i] = calloc(MIXED_OPS * MIXED_THREADS, sizeof(uint64_t));
        assert_non_null(m.popped[i]);
    }
    run_threads(MIXED_THREADS, mixed_body, &m, "push and pop");
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    check_exactly_once(&m, t);
    for (unsigned i = 0; i < MIXED_THREADS; i++) {
        free(m.popped[i]);
    }
    stack_destroy(&m.stack);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

/* history_rounds' add_cb, on a helper thread. */
static void
stack_add(void *target, struct ebr_thread *t, uint64_t value)
{
    stack_status status = stack_push(target, t, value);
    if (status != STACK_OK) {
        thread_fail("stack_push is %s (%s), expected STACK_OK", stack_status_name(status),
                    stack_strerror(status));
    }
}

static bool
stack_remove(void *target, struct ebr_thread *t, uint64_t *value)
{
    return stack_pop(target, t, value) == STACK_OK;
}

/* The claim: every recorded round of 3 threads x 24 random pushes and pops is linearizable
 * for a LIFO stack (300 rounds). */
static void
test_c_stack_histories_are_linearizable(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    static struct stack stack;
    stack_init(&stack, &g_domain);
    static struct history_rounds r;
    r = (struct history_rounds){.target = &stack,
                                .domain = &g_domain,
                                .add_kind = KH_LC_PUSH,
                                .remove_kind = KH_LC_POP,
                                .add_cb = stack_add,
                                .remove_cb = stack_remove,
                                .model =
                                    kh_lc_model_stack(HISTORY_THREADS * HISTORY_ROUND_OPS, false),
                                .rounds = HISTORY_ROUNDS};
    history_rounds_run(&r, HISTORY_THREADS, "stack history rounds");
    stack_destroy(&stack);
    ebr_destroy(&g_domain);
}

struct churn {
    struct stack stack;
    atomic_uint lost;
};

static void *
churn_body(void *arg)
{
    struct test_thread *th = arg;
    struct churn *c = th->ctx;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < CHURN_OPS; i++) {
        uint64_t v;
        if (stack_pop(&c->stack, t, &v) != STACK_OK) {
            continue;
        }
        stack_status status = stack_push(&c->stack, t, v); /* back, in a fresh node */
        if (status != STACK_OK) {
            thread_fail("stack_push of value %llu popped a moment before is %s (%s), expected "
                        "STACK_OK",
                        (unsigned long long)v, stack_status_name(status), stack_strerror(status));
            break;
        }
    }
    ebr_unregister(t);
    return NULL;
}

/* The claim: threads that pop and push back the same few values, so that freed nodes would
 * be reused at once (the ABA pattern), end with exactly those values on the stack. */
static void
test_c_pop_push_churn_keeps_every_value(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    static struct churn c;
    memset(&c, 0, sizeof(c));
    stack_init(&c.stack, &g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    for (uint64_t i = 0; i < CHURN_VALUES; i++) {
        assert_stack_status(stack_push(&c.stack, t, i), STACK_OK);
    }
    run_threads(CHURN_THREADS, churn_body, &c, "pop and push back");
    unsigned seen[CHURN_VALUES] = {0};
    uint64_t v;
    size_t count = 0;
    while (stack_pop(&c.stack, t, &v) == STACK_OK && count++ < 10 * CHURN_VALUES) {
        if (v >= CHURN_VALUES) {
            fail_msg("popped %llu, which was never pushed", (unsigned long long)v);
        }
        seen[v]++;
    }
    for (unsigned i = 0; i < CHURN_VALUES; i++) {
        if (seen[i] != 1) {
            fail_msg("value %u is on the stack %u times after the churn, expected once", i,
                     seen[i]);
        }
    }
    stack_destroy(&c.stack);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

/* The claim: a node popped while another thread is inside a critical section (and so may
 * have read its address, as a popper does before its CAS) stays allocated and unchanged until
 * that thread leaves. The test plays that thread: it enters, peeks at top, then pops it and
 * pushes again from a second slot. A pop that frees the node at once lets the next push's
 * malloc hand the same memory back, and the peeked node's value changes under the reader. */
static void
test_c_popped_node_outlives_a_reader_inside(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *reader = NULL;
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &reader), EBR_OK);
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    struct stack s;
    stack_init(&s, &g_domain);
    for (uint64_t i = 0; i < 4; i++) {
        assert_stack_status(stack_push(&s, t, 100 + i), STACK_OK);
    }
    ebr_enter(reader);
    struct stack_node *peeked = atomic_load(&s.top);
    assert_non_null(peeked);
    uint64_t v = 0;
    for (unsigned round = 0; round < 64; round++) { /* enough retires to trigger reclaiming */
        assert_stack_status(stack_pop(&s, t, &v), STACK_OK);
        assert_stack_status(stack_push(&s, t, 200 + round), STACK_OK);
        ebr_reclaim(t);
        if (peeked->value != 103) {
            fail_msg("round %u: the node popped under a reader now holds %llu, not 103: it was "
                     "freed and reused while the reader could still read it",
                     round, (unsigned long long)peeked->value);
        }
    }
    ebr_leave(reader);
    stack_destroy(&s);
    ebr_unregister(reader);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_stack_is_lifo),
        cmocka_unit_test(test_c_stack_every_value_popped_exactly_once),
        cmocka_unit_test(test_c_stack_histories_are_linearizable),
        cmocka_unit_test(test_c_pop_push_churn_keeps_every_value),
        cmocka_unit_test(test_c_popped_node_outlives_a_reader_inside),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
