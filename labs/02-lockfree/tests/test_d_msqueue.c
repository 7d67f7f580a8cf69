/* test_d_msqueue.c -- part D: the Michael-Scott queue (msqueue.h). Read flow_body first:
 * producers enqueue values that name them and count up, consumers check that each producer's
 * values arrive in increasing order and mark each seen once. The ping-pong test keeps the
 * queue nearly empty, where head and tail meet and a lagging tail must be helped. This binary's
 * allocations fail on demand (kh_oom.h, plain builds) for the init and enqueue out of memory. */
#include "kh_oom.h"
#include "lockfree_test.h"
#include "msqueue.h"

#include <inttypes.h>

#define FLOW_PRODUCERS 2u
#define FLOW_CONSUMERS 2u
#define FLOW_VALUES 40000u /* per producer: about 40 ms on the reference */
#define HISTORY_THREADS 3u
#define HISTORY_ROUNDS 300u
#define PINGPONG_VALUES 200000u
#define HELPER_WAIT_MS 2000u   /* an enqueue that helps returns in microseconds, even under TSan */
#define OUTLIVE_ROUNDS 64u     /* dequeue-enqueue rounds: enough retires to trigger reclaiming */
#define OOM_ALLOCATIONS_MAX 16 /* a call that still allocates after this many failed is looping */

static struct ebr g_domain;

static uint64_t
value_of(unsigned thread, uint64_t sequence)
{
    return (uint64_t)thread << 32 | sequence;
}

#if KH_OOM_IS_INJECTABLE
/* Fails the test unless status is what a call that met a failed allocation (has_fired) or none
 * may return: MSQUEUE_OK, or MSQUEUE_NO_MEMORY only when one failed. */
static void
expect_ok_or_no_memory(msqueue_status status, bool has_fired, const char *call, int64_t fail_at)
{
    if (status != MSQUEUE_OK && (status != MSQUEUE_NO_MEMORY || !has_fired)) {
        fail_msg("%s with allocation %" PRId64 " failing is %s (%s), though %s", call, fail_at,
                 msqueue_status_name(status), msqueue_strerror(status),
                 has_fired ? "msqueue.h allows only MSQUEUE_OK or MSQUEUE_NO_MEMORY"
                           : "no allocation failed: expected MSQUEUE_OK");
    }
}

/* Fails the test unless this thread holds as many blocks as it did before call. */
static void
expect_no_leak(int64_t live_before, const char *call, const char *outcome, int64_t fail_at)
{
    if (kh_oom_live_blocks() != live_before) {
        fail_msg("%s %s (allocation %" PRId64 " failed) and left %" PRId64 " blocks allocated: "
                 "memory that ran out must not leak as well",
                 call, outcome, fail_at, kh_oom_live_blocks() - live_before);
    }
}
#endif

/* Inits q, each init with one more of its allocations failing (kh_oom.h): the first with its
 * first, the next with its second, until an init meets no failure, as SQLite's tests fail
 * malloc. MSQUEUE_NO_MEMORY must leave nothing allocated; a queue made past a failed allocation
 * is destroyed, which must free all it took. A sanitizer build inits once. */
static void
init_with_each_allocation_failing(struct msqueue *q, struct ebr *domain)
{
#if KH_OOM_IS_INJECTABLE
    bool has_fired = true;
    for (int64_t fail_at = 0; has_fired; fail_at++) {
        if (fail_at == OOM_ALLOCATIONS_MAX) {
            fail_msg("msqueue_init still allocates after %d allocations failed",
                     OOM_ALLOCATIONS_MAX);
        }
        int64_t live_before = kh_oom_live_blocks();
        kh_oom_arm(fail_at); /* no cmocka call until disarmed: cmocka allocates */
        msqueue_status status = msqueue_init(q, domain);
        has_fired = kh_oom_disarm();
        expect_ok_or_no_memory(status, has_fired, "msqueue_init", fail_at);
        if (status == MSQUEUE_NO_MEMORY) {
            expect_no_leak(live_before, "msqueue_init", "returned MSQUEUE_NO_MEMORY", fail_at);
        } else if (has_fired) {
            msqueue_destroy(q);
            expect_no_leak(live_before, "msqueue_init then msqueue_destroy",
                           "made a queue past a failed allocation", fail_at);
        }
    }
#else
    assert_msqueue_status(msqueue_init(q, domain), MSQUEUE_OK);
#endif
}

/* Enqueues value, value + 1, ... as init_with_each_allocation_failing inits: an enqueue that
 * returns MSQUEUE_NO_MEMORY must leave head, tail and tail's next as they were and nothing
 * allocated; one that returns MSQUEUE_OK enqueued the next value. Returns how many were
 * enqueued; the caller's dequeues check them. Nothing here may reuse a node (the caller has
 * dequeued none), so an enqueue must allocate. A sanitizer build enqueues value once. */
static uint64_t
enqueue_with_each_allocation_failing(struct msqueue *q, struct ebr_thread *t, uint64_t value)
{
    uint64_t enqueued = 0;
#if KH_OOM_IS_INJECTABLE
    bool has_fired = true;
    for (int64_t fail_at = 0; has_fired; fail_at++) {
        if (fail_at == OOM_ALLOCATIONS_MAX) {
            fail_msg("msqueue_enqueue still allocates after %d allocations failed",
                     OOM_ALLOCATIONS_MAX);
        }
        struct msqueue_node *head = atomic_load(&q->head);
        struct msqueue_node *tail = atomic_load(&q->tail);
        struct msqueue_node *tail_next = atomic_load(&tail->next);
        int64_t live_before = kh_oom_live_blocks();
        kh_oom_arm(fail_at);
        msqueue_status status = msqueue_enqueue(q, t, value + enqueued);
        has_fired = kh_oom_disarm();
        expect_ok_or_no_memory(status, has_fired, "msqueue_enqueue", fail_at);
        if (status == MSQUEUE_OK) {
            enqueued++;
            continue;
        }
        if (atomic_load(&q->head) != head || atomic_load(&q->tail) != tail ||
            atomic_load(&tail->next) != tail_next) {
            fail_msg("msqueue_enqueue returned MSQUEUE_NO_MEMORY (allocation %" PRId64 " failed), "
                     "yet head, tail or tail's next changed: an enqueue that fails must leave "
                     "the queue as it was",
                     fail_at);
        }
        expect_no_leak(live_before, "msqueue_enqueue", "returned MSQUEUE_NO_MEMORY", fail_at);
    }
#else
    assert_msqueue_status(msqueue_enqueue(q, t, value), MSQUEUE_OK);
    enqueued = 1;
#endif
    return enqueued;
}

/* The claim: one thread sees first-in first-out order and MSQUEUE_EMPTY when empty; an init or
 * an enqueue whose node cannot be allocated returns MSQUEUE_NO_MEMORY and leaks nothing, and the
 * enqueue leaves the queue as it was (the inits, and the enqueues after the first 1,000, fail
 * each allocation in turn: plain builds only). */
static void
test_d_queue_is_fifo(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    struct msqueue q;
    init_with_each_allocation_failing(&q, &g_domain);
    uint64_t v = 0;
    assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_EMPTY);
    for (unsigned round = 0; round < 3; round++) {
        for (uint64_t i = 0; i < 1000; i++) {
            assert_msqueue_status(msqueue_enqueue(&q, t, i), MSQUEUE_OK);
        }
        uint64_t count = 1000;
        if (round == 0) { /* no node dequeued yet: none to reuse */
            count += enqueue_with_each_allocation_failing(&q, t, 1000);
        }
        for (uint64_t i = 0; i < count; i++) {
            assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_OK);
            if (v != i) {
                fail_msg("round %u: dequeue %llu returned %llu, expected %llu (first in, first "
                         "out; an enqueue that returned MSQUEUE_NO_MEMORY must have changed "
                         "nothing, and one that returned MSQUEUE_OK enqueued its value)",
                         round, (unsigned long long)i, (unsigned long long)v,
                         (unsigned long long)i);
            }
        }
        assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_EMPTY);
    }
    assert_msqueue_status(msqueue_enqueue(&q, t, 5), MSQUEUE_OK);
    msqueue_destroy(&q);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

struct flow {
    struct msqueue queue;
    atomic_uint producers_done;
    atomic_uint errors;
    uint8_t *seen[FLOW_PRODUCERS]; /* owned: written only by the consumer that took it */
    char first_error[160];
};

static void
flow_error(struct flow *f, const char *what, uint64_t v)
{
    if (atomic_fetch_add(&f->errors, 1) == 0) {
        snprintf(f->first_error, sizeof(f->first_error), "%s: value %#llx", what,
                 (unsigned long long)v);
    }
}

static void *
flow_body(void *arg)
{
    struct test_thread *th = arg;
    struct flow *f = th->ctx;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t == NULL) {
        return NULL; /* consumers stop too: they watch thread_has_failed */
    }
    if (th->index < FLOW_PRODUCERS) {
        for (uint64_t i = 0; i < FLOW_VALUES; i++) {
            msqueue_status status = msqueue_enqueue(&f->queue, t, value_of(th->index, i));
            if (status != MSQUEUE_OK) {
                thread_fail("producer %u: msqueue_enqueue is %s (%s), expected MSQUEUE_OK",
                            th->index, msqueue_status_name(status), msqueue_strerror(status));
                break;
            }
        }
        atomic_fetch_add(&f->producers_done, 1);
        ebr_unregister(t);
        return NULL;
    }
    int64_t last[FLOW_PRODUCERS];
    memset(last, 0xff, sizeof(last)); /* -1: nothing from that producer yet */
    for (;;) {
        bool is_done = atomic_load(&f->producers_done) == FLOW_PRODUCERS || thread_has_failed();
        uint64_t v;
        if (msqueue_dequeue(&f->queue, t, &v) != MSQUEUE_OK) {
            if (is_done) {
                break; /* empty after every producer finished: nothing more will come */
            }
            continue;
        }
        unsigned who = (unsigned)(v >> 32);
        int64_t seq = (int64_t)(v & 0xffffffffu);
        if (who >= FLOW_PRODUCERS || seq >= FLOW_VALUES) {
            flow_error(f, "dequeued a value never enqueued", v);
        } else if (seq <= last[who]) {
            flow_error(f, "a producer's values came out of order", v);
        } else if (f->seen[who][seq]++ != 0) {
            flow_error(f, "dequeued twice", v);
        } else {
            last[who] = seq;
        }
    }
    ebr_unregister(t);
    return NULL;
}

static void
check_flow(unsigned producers, unsigned consumers)
{
    assert_int_equal(producers, FLOW_PRODUCERS);
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    static struct flow f;
    memset(&f, 0, sizeof(f));
    assert_msqueue_status(msqueue_init(&f.queue, &g_domain), MSQUEUE_OK);
    for (unsigned i = 0; i < FLOW_PRODUCERS; i++) {
        f.seen[i] = calloc(FLOW_VALUES, 1);
        assert_non_null(f.seen[i]);
    }
    run_threads(FLOW_PRODUCERS + consumers, flow_body, &f, "producers and consumers");
    if (atomic_load(&f.errors) != 0) {
        fail_msg("%u errors; the first: %s", atomic_load(&f.errors), f.first_error);
    }
    for (unsigned p = 0; p < producers; p++) {
        for (uint64_t i = 0; i < FLOW_VALUES; i++) {
            if (!f.seen[p][i]) {
                fail_msg("producer %u's value %llu was enqueued and never dequeued", p,
                         (unsigned long long)i);
            }
        }
    }
    for (unsigned i = 0; i < FLOW_PRODUCERS; i++) {
        free(f.seen[i]);
    }
    msqueue_destroy(&f.queue);
    ebr_destroy(&g_domain);
}

/* The claim: with 2 producers and 2 consumers, every value is dequeued exactly once and each
 * producer's values come out in the order it enqueued them. */
static void
test_d_every_value_once_in_producer_order(void **state)
{
    (void)state;
    check_flow(FLOW_PRODUCERS, FLOW_CONSUMERS);
}

/* history_rounds' add_cb, on a helper thread. */
static void
queue_add(void *target, struct ebr_thread *t, uint64_t value)
{
    msqueue_status status = msqueue_enqueue(target, t, value);
    if (status != MSQUEUE_OK) {
        thread_fail("msqueue_enqueue is %s (%s), expected MSQUEUE_OK", msqueue_status_name(status),
                    msqueue_strerror(status));
    }
}

static bool
queue_remove(void *target, struct ebr_thread *t, uint64_t *value)
{
    return msqueue_dequeue(target, t, value) == MSQUEUE_OK;
}

/* The claim: every recorded round of 3 threads x 24 random enqueues and dequeues is
 * linearizable for a FIFO queue (300 rounds). */
static void
test_d_queue_histories_are_linearizable(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    static struct msqueue queue;
    assert_msqueue_status(msqueue_init(&queue, &g_domain), MSQUEUE_OK);
    static struct history_rounds r;
    r = (struct history_rounds){.target = &queue,
                                .domain = &g_domain,
                                .add_kind = KH_LC_ENQUEUE,
                                .remove_kind = KH_LC_DEQUEUE,
                                .add_cb = queue_add,
                                .remove_cb = queue_remove,
                                .model =
                                    kh_lc_model_queue(HISTORY_THREADS * HISTORY_ROUND_OPS, false),
                                .rounds = HISTORY_ROUNDS};
    history_rounds_run(&r, HISTORY_THREADS, "queue history rounds");
    msqueue_destroy(&queue);
    ebr_destroy(&g_domain);
}

struct pingpong {
    struct msqueue queue;
    atomic_uint errors;
    uint64_t bad_value;
};

static void *
pingpong_body(void *arg)
{
    struct test_thread *th = arg;
    struct pingpong *p = th->ctx;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t == NULL) {
        return NULL; /* the consumer stops too: it watches thread_has_failed */
    }
    if (th->index == 0) {
        for (uint64_t i = 0; i < PINGPONG_VALUES; i++) {
            msqueue_status status = msqueue_enqueue(&p->queue, t, i);
            if (status != MSQUEUE_OK) {
                thread_fail("msqueue_enqueue of value %llu is %s (%s), expected MSQUEUE_OK",
                            (unsigned long long)i, msqueue_status_name(status),
                            msqueue_strerror(status));
                break;
            }
        }
    } else {
        uint64_t expected = 0;
        uint64_t spins = 0;
        while (expected < PINGPONG_VALUES && spins < 100u * PINGPONG_VALUES &&
               !thread_has_failed()) {
            uint64_t v;
            if (msqueue_dequeue(&p->queue, t, &v) != MSQUEUE_OK) {
                spins++;
                continue;
            }
            if (v != expected++ && atomic_fetch_add(&p->errors, 1) == 0) {
                p->bad_value = v;
            }
        }
        if (expected < PINGPONG_VALUES) {
            atomic_fetch_add(&p->errors, 1);
            p->bad_value = expected;
        }
    }
    ebr_unregister(t);
    return NULL;
}

/* The claim: one producer and one consumer on a nearly empty queue, where the consumer keeps
 * meeting a tail that lags behind, pass 200,000 values in order with none lost. */
static void
test_d_nearly_empty_queue_loses_nothing(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    static struct pingpong p;
    memset(&p, 0, sizeof(p));
    assert_msqueue_status(msqueue_init(&p.queue, &g_domain), MSQUEUE_OK);
    run_threads(2, pingpong_body, &p, "ping-pong");
    if (atomic_load(&p.errors) != 0) {
        fail_msg("%u values out of order or lost; the first at %llu", atomic_load(&p.errors),
                 (unsigned long long)p.bad_value);
    }
    msqueue_destroy(&p.queue);
    ebr_destroy(&g_domain);
}

/* The claim: when an enqueuer has linked its node but not yet swung tail (tail lags), a
 * dequeue that finds head == tail swings tail before moving head, so tail never points at a
 * node that has left the queue. The test plays the enqueuer's first step by hand, with a node
 * from malloc as msqueue.h says nodes are. */
static void
test_d_dequeue_helps_a_lagging_tail(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    struct msqueue q;
    assert_msqueue_status(msqueue_init(&q, &g_domain), MSQUEUE_OK);
    struct msqueue_node *dummy = atomic_load(&q.tail);
    if (dummy == NULL || atomic_load(&q.head) != dummy) {
        fail_msg("after msqueue_init, head is %p and tail %p: both must point at the one dummy "
                 "node",
                 (void *)atomic_load(&q.head), (void *)dummy);
    }
    struct msqueue_node *late = calloc(1, sizeof(*late));
    assert_non_null(late);
    late->value = 42;
    atomic_store(&dummy->next, late); /* linked; tail still at the dummy */
    uint64_t v = 0;
    assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_OK);
    assert_int_equal(v, 42);
    struct msqueue_node *head = atomic_load(&q.head);
    struct msqueue_node *tail = atomic_load(&q.tail);
    if (tail != head) {
        fail_msg("after dequeuing past a lagging tail, head is %p but tail is still %p, a node "
                 "that has left the queue",
                 (void *)head, (void *)tail);
    }
    assert_msqueue_status(msqueue_enqueue(&q, t, 7), MSQUEUE_OK);
    assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_OK);
    assert_int_equal(v, 7);
    msqueue_destroy(&q);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

struct lagging {
    struct msqueue *q;
    atomic_bool has_returned;
    msqueue_status status;
};

static void *
lagging_enqueue_body(void *arg)
{
    struct lagging *l = arg;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t != NULL) {
        l->status = msqueue_enqueue(l->q, t, 7);
        ebr_unregister(t);
    }
    atomic_store(&l->has_returned, true);
    return NULL;
}

/* The claim: when an enqueuer has linked its node but not yet swung tail (and may never run
 * again), another enqueue swings tail forward itself and links after that node, rather than
 * waiting for the stalled enqueuer (lock freedom: a stopped thread delays no one). The test
 * plays the stalled enqueuer's first step by hand; the second enqueue runs on a helper thread,
 * so one that waits is reported after HELPER_WAIT_MS instead of hanging the test. */
static void
test_d_enqueue_helps_a_lagging_tail(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    static struct msqueue q;
    assert_msqueue_status(msqueue_init(&q, &g_domain), MSQUEUE_OK);
    struct msqueue_node *dummy = atomic_load(&q.tail);
    if (dummy == NULL || atomic_load(&q.head) != dummy) {
        fail_msg("after msqueue_init, head is %p and tail %p: both must point at the one dummy "
                 "node",
                 (void *)atomic_load(&q.head), (void *)dummy);
    }
    struct msqueue_node *late = calloc(1, sizeof(*late));
    assert_non_null(late);
    late->value = 42;
    atomic_store(&dummy->next, late); /* linked; tail still at the dummy, and stays there */
    static struct lagging l;
    l = (struct lagging){.q = &q, .status = MSQUEUE_UNIMPLEMENTED};
    pthread_t helper;
    assert_int_equal(pthread_create(&helper, NULL, lagging_enqueue_body, &l), 0);
    uint64_t deadline_ms = kh_clock_now_ms() + HELPER_WAIT_MS;
    while (!atomic_load(&l.has_returned) && kh_clock_now_ms() < deadline_ms) {
        kh_clock_sleep_ms(1);
    }
    if (!atomic_load(&l.has_returned)) {
        fail_msg("msqueue_enqueue did not return within %u ms while tail lagged behind a node an "
                 "enqueuer linked and never swung tail to: an enqueue that finds tail->next set "
                 "must swing tail forward itself, not wait for the other enqueuer",
                 HELPER_WAIT_MS); /* the helper is left spinning: the test process ends */
    }
    pthread_join(helper, NULL);
    thread_failure_report();
    assert_msqueue_status(l.status, MSQUEUE_OK);
    struct msqueue_node *added = atomic_load(&late->next);
    if (added == NULL || added->value != 7 || atomic_load(&q.tail) != added) {
        fail_msg("after an enqueue of 7 past a lagging tail, the lagging node's next is %p and "
                 "tail is %p: 7's node must be linked after the lagging node, and tail on it",
                 (void *)added, (void *)atomic_load(&q.tail));
    }
    uint64_t v = 0;
    assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_OK);
    assert_int_equal(v, 42);
    assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_OK);
    assert_int_equal(v, 7);
    assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_EMPTY);
    msqueue_destroy(&q);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

/* The claim: the dummy a dequeue moves head past is retired through EBR, so while another
 * thread is inside a critical section (and may have read head, as a dequeuer does before its
 * CAS) that node stays allocated and unchanged: its next still points where it did. The test
 * plays that thread from a second slot. A dequeue that frees or recycles the dummy at once
 * lets the next enqueue's node take the same memory, and the node changes under the reader. */
static void
test_d_dequeued_dummy_outlives_a_reader_inside(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *reader = NULL;
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &reader), EBR_OK);
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    struct msqueue q;
    assert_msqueue_status(msqueue_init(&q, &g_domain), MSQUEUE_OK);
    for (uint64_t i = 0; i < 4; i++) {
        assert_msqueue_status(msqueue_enqueue(&q, t, 100 + i), MSQUEUE_OK);
    }
    ebr_enter(reader);
    struct msqueue_node *peeked = atomic_load(&q.head);
    assert_non_null(peeked);
    struct msqueue_node *peeked_next = atomic_load(&peeked->next);
    assert_non_null(peeked_next);
    uint64_t v = 0;
    for (unsigned round = 0; round < OUTLIVE_ROUNDS; round++) {
        assert_msqueue_status(msqueue_dequeue(&q, t, &v), MSQUEUE_OK);
        assert_msqueue_status(msqueue_enqueue(&q, t, 200 + round), MSQUEUE_OK);
        ebr_reclaim(t);
        struct msqueue_node *now = atomic_load(&peeked->next);
        if (now != peeked_next) {
            fail_msg("round %u: the dummy dequeued under a reader now has next %p, not %p: it "
                     "was freed and reused while the reader could still read it",
                     round, (void *)now, (void *)peeked_next);
        }
    }
    ebr_leave(reader);
    msqueue_destroy(&q);
    ebr_unregister(reader);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d_queue_is_fifo),
        cmocka_unit_test(test_d_every_value_once_in_producer_order),
        cmocka_unit_test(test_d_queue_histories_are_linearizable),
        cmocka_unit_test(test_d_nearly_empty_queue_loses_nothing),
        cmocka_unit_test(test_d_dequeue_helps_a_lagging_tail),
        cmocka_unit_test(test_d_enqueue_helps_a_lagging_tail),
        cmocka_unit_test(test_d_dequeued_dummy_outlives_a_reader_inside),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
