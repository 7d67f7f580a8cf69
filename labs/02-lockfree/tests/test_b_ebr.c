/* test_b_ebr.c -- part B: epoch-based reclamation (ebr.h). Read
 * test_b_stalled_reader_delays_but_never_breaks first: it is the property everything else in
 * this lab stands on. Nodes here carry a magic word that their free callback overwrites
 * before freeing, so a reader that sees a freed node notices even without AddressSanitizer
 * (with it, the read itself is reported as a use after free). The free callback and the thread
 * bodies run off the test's thread, so they report with thread_fail (lockfree_test.h). */
#include "ebr.h"
#include "lockfree_test.h"

#include <sched.h>

#define NODE_MAGIC 0x6b65656c6c697665ull /* "keellive" */
#define NODE_DEAD 0xdeaddeaddeaddeadull
#define SWAP_WRITERS 2u
#define SWAP_READERS 2u
#define SWAPS_PER_WRITER 20000u /* about 30 ms on the reference, 0.5 s under ASan */
#define RECLAIMS_MAX 8u         /* an idle domain frees a retired node within this many calls */
/* Retires by one thread that never calls ebr_reclaim itself: 16 of ebr_retire's reclaim
 * batches. A retire in epoch e is freed once the epoch reaches e + 2, so about two batches
 * (those of the last two epochs) wait at the end; four allows a slower but live design. */
#define RETIRE_ONLY_NODES (16u * EBR_RECLAIM_EVERY)
#define RETIRE_ONLY_WAITING_MAX (4u * EBR_RECLAIM_EVERY)
#define HANDOVER_NODES 10u /* retired by a slot's first owner, freed through its next one */

struct node {
    struct ebr_node reclaim; /* first, so the ebr_node's address is the node's */
    uint64_t magic;
    uint64_t payload;
};

static atomic_uint g_freed;

/* The free callback: runs in whichever thread's ebr_reclaim, ebr_retire or ebr_destroy frees. */
static void
node_free(struct ebr_node *n)
{
    struct node *node = (struct node *)n;
    if (node->magic != NODE_MAGIC) {
        thread_fail("free_cb was called on a node whose magic word is %#llx, not %#llx: a node "
                    "freed twice, or a pointer that was never a retired node",
                    (unsigned long long)node->magic, (unsigned long long)NODE_MAGIC);
        return;
    }
    node->magic = NODE_DEAD;
    atomic_fetch_add(&g_freed, 1);
    free(node);
}

static struct node *
node_new(uint64_t payload)
{
    struct node *node = calloc(1, sizeof(*node));
    assert(node != NULL); /* the test's own memory, on any thread: not cmocka's assert */
    node->magic = NODE_MAGIC;
    node->payload = payload;
    return node;
}

static struct ebr g_domain; /* static: 64 cache-line slots */

/* The claim: a domain has EBR_THREADS_MAX slots, a full one says so, and slots are reused. */
static void
test_b_register_claims_distinct_slots(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    if (ebr_epoch(&g_domain) != 2) {
        fail_msg("the epoch is %llu after ebr_init; ebr.h says it starts at 2",
                 (unsigned long long)ebr_epoch(&g_domain));
    }
    struct ebr_thread *slots[EBR_THREADS_MAX];
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        assert_ebr_status(ebr_register(&g_domain, &slots[i]), EBR_OK);
        for (size_t j = 0; j < i; j++) {
            if (slots[i] == slots[j]) {
                fail_msg("registrations %zu and %zu both got slot %p: a slot is claimed once", j, i,
                         (void *)slots[i]);
            }
        }
    }
    struct ebr_thread *extra = NULL;
    assert_ebr_status(ebr_register(&g_domain, &extra), EBR_FULL);
    ebr_unregister(slots[5]);
    assert_ebr_status(ebr_register(&g_domain, &extra), EBR_OK);
    if (extra != slots[5]) {
        fail_msg("with one slot free (%p, given back by ebr_unregister), ebr_register claimed %p",
                 (void *)slots[5], (void *)extra);
    }
    ebr_destroy(&g_domain);
}

/* Calls ebr_reclaim until it frees something or RECLAIMS_MAX calls. Returns the calls made;
 * adds what the calls said they freed to *reported when reported is not NULL. */
static unsigned
reclaim_until_freed(struct ebr_thread *t, unsigned freed_before, size_t *reported)
{
    unsigned calls = 0;
    while (atomic_load(&g_freed) == freed_before && calls < RECLAIMS_MAX) {
        size_t freed = ebr_reclaim(t);
        if (reported != NULL) {
            *reported += freed;
        }
        calls++;
    }
    return calls;
}

/* The claim: with no one inside, a retired node is freed after the epoch moves twice, and
 * not while the retiring thread is still in the epoch it retired in. */
static void
test_b_retired_node_is_freed_two_epochs_later(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    atomic_store(&g_freed, 0);
    ebr_enter(t);
    uint64_t epoch = ebr_epoch(&g_domain);
    ebr_retire(t, &node_new(1)->reclaim, node_free);
    ebr_leave(t);
    assert_int_equal(atomic_load(&g_freed), 0);
    size_t reported = 0;
    unsigned calls = reclaim_until_freed(t, 0, &reported);
    if (atomic_load(&g_freed) != 1) {
        fail_msg("a node retired with no one inside was not freed after %u ebr_reclaim calls "
                 "(epoch %llu -> %llu)",
                 calls, (unsigned long long)epoch, (unsigned long long)ebr_epoch(&g_domain));
    }
    if (reported != 1) {
        fail_msg("the ebr_reclaim calls that freed the one retired node returned %zu in all: "
                 "ebr_reclaim returns how many nodes it freed",
                 reported);
    }
    if (ebr_epoch(&g_domain) < epoch + 2) {
        fail_msg("a node retired in epoch %llu was freed in epoch %llu: it may be freed only "
                 "once the epoch is two past the one it was retired in",
                 (unsigned long long)epoch, (unsigned long long)ebr_epoch(&g_domain));
    }
    ebr_unregister(t);
    ebr_destroy(&g_domain);
    thread_failure_report();
}

struct stall {
    atomic_bool is_inside;
    atomic_bool may_leave;
};

static void *
stalled_reader(void *arg)
{
    struct test_thread *th = arg;
    struct stall *s = th->ctx;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t == NULL) {
        return NULL; /* the test's thread waits for is_inside or a thread failure */
    }
    ebr_enter(t);
    atomic_store(&s->is_inside, true);
    while (!atomic_load(&s->may_leave)) {
        sched_yield();
    }
    ebr_leave(t);
    ebr_unregister(t);
    return NULL;
}

/* The claim: a thread that stays inside a critical section stops the epoch one step past its
 * own and keeps every node retired meanwhile allocated; once it leaves, they are freed. */
static void
test_b_stalled_reader_delays_but_never_breaks(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    atomic_store(&g_freed, 0);
    static struct stall s;
    atomic_store(&s.is_inside, false);
    atomic_store(&s.may_leave, false);
    pthread_t reader;
    struct test_thread th = {.ctx = &s};
    assert_int_equal(pthread_create(&reader, NULL, stalled_reader, &th), 0);
    while (!atomic_load(&s.is_inside) && !thread_has_failed()) {
        sched_yield();
    }
    if (thread_has_failed()) {
        pthread_join(reader, NULL);
        thread_failure_report();
    }
    uint64_t epoch_stalled = ebr_epoch(&g_domain);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    for (unsigned i = 0; i < 100; i++) {
        ebr_enter(t);
        ebr_retire(t, &node_new(i)->reclaim, node_free);
        ebr_leave(t);
        ebr_reclaim(t);
    }
    uint64_t epoch_now = ebr_epoch(&g_domain);
    unsigned freed = atomic_load(&g_freed);
    atomic_store(&s.may_leave, true);
    pthread_join(reader, NULL);
    if (freed != 0 || epoch_now > epoch_stalled + 1) {
        fail_msg("while a reader stayed inside since epoch %llu, the epoch reached %llu and %u "
                 "of 100 retired nodes were freed (expected at most one step and none)",
                 (unsigned long long)epoch_stalled, (unsigned long long)epoch_now, freed);
    }
    reclaim_until_freed(t, 0, NULL);
    for (unsigned i = 0; i < RECLAIMS_MAX && atomic_load(&g_freed) < 100; i++) {
        ebr_reclaim(t);
    }
    thread_failure_report();
    if (atomic_load(&g_freed) != 100) {
        fail_msg("after the reader left, %u of 100 retired nodes were freed",
                 atomic_load(&g_freed));
    }
    ebr_unregister(t);
    ebr_destroy(&g_domain);
    thread_failure_report();
}

/* The claim: ebr_retire reclaims by itself (every EBR_RECLAIM_EVERY retires), so a thread
 * that retires in one short critical section after another and never calls ebr_reclaim, with
 * no one else inside, keeps only the last few batches waiting: nodes are eventually freed
 * without anyone asking (EBR's liveness), not piled up until ebr_destroy. The first try comes
 * by the EBR_RECLAIM_EVERY-th retire, not one later: a reclaim advances the epoch when every
 * thread inside has seen it, and the retiring thread is the only one. */
static void
test_b_retire_alone_frees_old_nodes(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    atomic_store(&g_freed, 0);
    struct ebr_thread *t = NULL;
    assert_ebr_status(ebr_register(&g_domain, &t), EBR_OK);
    uint64_t epoch_start = ebr_epoch(&g_domain);
    uint64_t epoch_after_batch = 0; /* after the first EBR_RECLAIM_EVERY retires */
    for (unsigned i = 0; i < RETIRE_ONLY_NODES; i++) {
        ebr_enter(t);
        ebr_retire(t, &node_new(i)->reclaim, node_free);
        ebr_leave(t);
        if (i + 1 == EBR_RECLAIM_EVERY) {
            epoch_after_batch = ebr_epoch(&g_domain);
        }
    }
    unsigned freed = atomic_load(&g_freed);
    ebr_unregister(t);
    ebr_destroy(&g_domain);
    thread_failure_report();
    if (epoch_after_batch == epoch_start) {
        fail_msg("after the first %u retires (EBR_RECLAIM_EVERY) with no one else inside and no "
                 "ebr_reclaim call, the epoch is still %llu: by its EBR_RECLAIM_EVERY-th call, "
                 "ebr_retire must have tried to reclaim, which advances the epoch (ebr.h)",
                 EBR_RECLAIM_EVERY, (unsigned long long)epoch_start);
    }
    if (RETIRE_ONLY_NODES - freed > RETIRE_ONLY_WAITING_MAX) {
        fail_msg("after %u retires with no one else inside and no ebr_reclaim call, %u nodes were "
                 "freed and %u still wait (at most %u may): ebr_retire must try to reclaim every "
                 "EBR_RECLAIM_EVERY (%u) retires, or memory grows until ebr_destroy",
                 RETIRE_ONLY_NODES, freed, RETIRE_ONLY_NODES - freed, RETIRE_ONLY_WAITING_MAX,
                 EBR_RECLAIM_EVERY);
    }
    if (atomic_load(&g_freed) != RETIRE_ONLY_NODES) {
        fail_msg("after ebr_destroy, %u of %u retired nodes were freed", atomic_load(&g_freed),
                 RETIRE_ONLY_NODES);
    }
}

/* The claim: nodes a thread retired and still held when it unregistered stay in its slot's
 * limbo (not freed while another thread is inside), and the thread that takes the slot next
 * frees them with its own ebr_reclaim calls, before any ebr_destroy. The other 63 slots are
 * taken, so the next registration must get that slot. */
static void
test_b_unregistered_slots_nodes_are_freed_by_its_next_owner(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    atomic_store(&g_freed, 0);
    struct ebr_thread *slots[EBR_THREADS_MAX];
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        assert_ebr_status(ebr_register(&g_domain, &slots[i]), EBR_OK);
    }
    struct ebr_thread *reader = slots[0];
    struct ebr_thread *first = slots[1];
    ebr_enter(reader); /* holds every node retired from now on */
    for (unsigned i = 0; i < HANDOVER_NODES; i++) {
        ebr_enter(first);
        ebr_retire(first, &node_new(i)->reclaim, node_free);
        ebr_leave(first);
    }
    ebr_unregister(first);
    unsigned freed_under_reader = atomic_load(&g_freed);
    ebr_leave(reader);
    struct ebr_thread *next = NULL;
    assert_ebr_status(ebr_register(&g_domain, &next), EBR_OK);
    if (next != first) {
        fail_msg("with one slot free (%p, given back by ebr_unregister), ebr_register claimed %p",
                 (void *)first, (void *)next);
    }
    for (unsigned i = 0; i < RECLAIMS_MAX && atomic_load(&g_freed) < HANDOVER_NODES; i++) {
        ebr_reclaim(next);
    }
    unsigned freed_by_next = atomic_load(&g_freed);
    for (size_t i = 0; i < EBR_THREADS_MAX; i++) {
        ebr_unregister(slots[i]);
    }
    ebr_destroy(&g_domain);
    thread_failure_report();
    if (freed_under_reader != 0) {
        fail_msg("ebr_unregister of a slot holding %u retired nodes freed %u of them while "
                 "another thread was inside: they must stay in the slot's limbo",
                 HANDOVER_NODES, freed_under_reader);
    }
    if (freed_by_next != HANDOVER_NODES) {
        fail_msg("the thread that took an unregistered slot freed %u of the %u nodes its previous "
                 "owner left in limbo within %u ebr_reclaim calls: they must be freed by whichever "
                 "thread takes the slot next (ebr.h), not dropped or kept until ebr_destroy",
                 freed_by_next, HANDOVER_NODES, RECLAIMS_MAX);
    }
}

struct swap {
    _Atomic(struct node *) current;
    atomic_uint writers_done;
    atomic_uint bad_reads;
};

static void *
swap_body(void *arg)
{
    struct test_thread *th = arg;
    struct swap *s = th->ctx;
    struct ebr_thread *t = thread_register(&g_domain);
    if (t == NULL) {
        return NULL; /* readers stop too: they watch thread_has_failed */
    }
    if (th->index < SWAP_WRITERS) {
        for (unsigned i = 0; i < SWAPS_PER_WRITER; i++) {
            struct node *fresh = node_new(i);
            ebr_enter(t);
            struct node *old = atomic_exchange(&s->current, fresh);
            ebr_retire(t, &old->reclaim, node_free);
            ebr_leave(t);
        }
        atomic_fetch_add(&s->writers_done, 1);
    } else {
        while (atomic_load(&s->writers_done) < SWAP_WRITERS && !thread_has_failed()) {
            ebr_enter(t);
            struct node *n = atomic_load(&s->current);
            for (unsigned k = 0; k < 8; k++) { /* linger, so writers retire it meanwhile */
                if (n->magic != NODE_MAGIC) {
                    atomic_fetch_add(&s->bad_reads, 1);
                }
                sched_yield();
            }
            ebr_leave(t);
        }
    }
    ebr_unregister(t);
    return NULL;
}

/* The claim: readers inside a critical section never see a node freed, while writers swap
 * and retire nodes as fast as they can (ASan reports any use after free). */
static void
test_b_readers_never_see_freed_nodes(void **state)
{
    (void)state;
    test_garble(&g_domain, sizeof(g_domain));
    ebr_init(&g_domain);
    atomic_store(&g_freed, 0);
    static struct swap s;
    atomic_store(&s.current, node_new(0));
    atomic_store(&s.writers_done, 0);
    atomic_store(&s.bad_reads, 0);
    run_threads(SWAP_WRITERS + SWAP_READERS, swap_body, &s, "swap and read");
    if (atomic_load(&s.bad_reads) != 0) {
        fail_msg("readers inside a critical section found a freed node's magic word %u times: "
                 "a node was freed while a reader could still hold it",
                 atomic_load(&s.bad_reads));
    }
    ebr_destroy(&g_domain);
    thread_failure_report();
    if (atomic_load(&g_freed) != SWAP_WRITERS * SWAPS_PER_WRITER) {
        fail_msg("%u nodes were freed, %u retired", atomic_load(&g_freed),
                 SWAP_WRITERS * SWAPS_PER_WRITER);
    }
    free(atomic_load(&s.current));
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b_register_claims_distinct_slots),
        cmocka_unit_test(test_b_retired_node_is_freed_two_epochs_later),
        cmocka_unit_test(test_b_stalled_reader_delays_but_never_breaks),
        cmocka_unit_test(test_b_readers_never_see_freed_nodes),
        cmocka_unit_test(test_b_retire_alone_frees_old_nodes),
        cmocka_unit_test(test_b_unregistered_slots_nodes_are_freed_by_its_next_owner),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
