/* test_e_rings.c -- part E: the bounded MPMC and SPSC rings (ring.h). Read the sequential
 * tests first: they pin down full, empty and wrap-around exactly. Then flow_body, which
 * checks exactly-once and per-producer order under contention, and pingpong_body, which
 * bounces values between two threads through rings of two slots with the blocking calls,
 * so every handoff has a thread asleep or about to sleep: a lost wakeup stops it dead. */
#include "lockfree_test.h"
#include "ring.h"
#include "spinlock.h"

#define SMALL_CAPACITY 4u
#define WRAP_ROUNDS 1000u
#define FLOW_PRODUCERS 2u
#define FLOW_CONSUMERS 2u
#define FLOW_VALUES 100000u /* per producer */
#define FLOW_CAPACITY 64u
#define SPSC_VALUES 1000000u /* about 20 ms on the reference */
#define HISTORY_THREADS 3u
#define HISTORY_ROUNDS 300u
#define HISTORY_OPS 24u
#define STREAM_VALUES 2000u         /* pushed into a 2-slot ring by a producer that outruns */
#define STREAM_SLOW_EVERY 100u      /* the consumer, which sleeps 1 ms this often: ~20 ms a run */
#define PINGPONG_ROUND_TRIPS 10000u /* each may sleep on a futex twice: about 0.7 s */
/* The late-push test: rounds per ring, each a pop on an empty ring met by one push after a
 * delay in pauses. The consumer spins RING_SPINS_BEFORE_SLEEP tries before it sleeps, and the
 * dangerous moment is just before it counts itself a sleeper (ring_waiters.sleeper_count): the
 * delay aims there, one pause later after a push that found no sleeper counted and one earlier
 * after one that found one, plus a seeded jitter of up to WINDOW_JITTER_PAUSES either way, so
 * the pushes keep landing around that moment even as the machine's speed changes. 4,000
 * rounds per ring take about 0.2 s on an idle machine and 4.5 s on 2 cores at load 6. */
#define WINDOW_ROUNDS 4000u
#define WINDOW_DELAY_PAUSES_MAX (4u * RING_SPINS_BEFORE_SLEEP)
#define WINDOW_JITTER_PAUSES 2u
/* On a busy machine the consumer is often not running when its round starts, and a push that
 * lands before its pop begins aims at nothing: such a round is not counted, and up to this many
 * times WINDOW_ROUNDS rounds are added for them. */
#define WINDOW_TRIES_PER_ROUND 3u
#define WINDOW_START_SPINS_MAX 4096u /* pauses (about 0.1 ms) a consumer waits before yielding */
#define WINDOW_WAIT_MS 2000u /* a pop still waiting this long after the push was not woken */

static uint64_t
value_of(unsigned thread, uint64_t sequence)
{
    return (uint64_t)thread << 32 | sequence;
}

/* The claim: both rings take only powers of two from 2 to RING_CAPACITY_MAX. */
static void
test_e_rings_reject_bad_capacities(void **state)
{
    (void)state;
    static struct ring_mpmc_slot slots[8];
    static uint64_t values[8];
    struct ring_mpmc m;
    struct ring_spsc s;
    const size_t bad[] = {0, 1, 3, 6, (size_t)RING_CAPACITY_MAX * 2};
    for (size_t i = 0; i < KH_ARRAY_LEN(bad); i++) {
        assert_ring_status(ring_mpmc_init(&m, slots, bad[i]), RING_BAD_CAPACITY);
        assert_ring_status(ring_spsc_init(&s, values, bad[i]), RING_BAD_CAPACITY);
    }
    assert_ring_status(ring_mpmc_init(&m, slots, 8), RING_OK);
    assert_ring_status(ring_spsc_init(&s, values, 2), RING_OK);
}

/* The claim: an MPMC ring of 4 holds exactly 4, returns them in order, says RING_EMPTY and
 * RING_FULL at the right moments, and keeps doing so across many wrap-arounds. */
static void
test_e_mpmc_full_empty_and_wrap(void **state)
{
    (void)state;
    static struct ring_mpmc_slot slots[SMALL_CAPACITY];
    struct ring_mpmc r;
    assert_ring_status(ring_mpmc_init(&r, slots, SMALL_CAPACITY), RING_OK);
    uint64_t v = 0;
    uint64_t next_in = 0;
    uint64_t next_out = 0;
    for (unsigned round = 0; round < WRAP_ROUNDS; round++) {
        size_t fill = 1 + round % SMALL_CAPACITY;
        assert_ring_status(ring_mpmc_try_pop(&r, &v), RING_EMPTY);
        for (size_t i = 0; i < fill; i++) {
            assert_ring_status(ring_mpmc_try_push(&r, next_in++), RING_OK);
        }
        if (fill == SMALL_CAPACITY) {
            assert_ring_status(ring_mpmc_try_push(&r, 99), RING_FULL);
        }
        for (size_t i = 0; i < fill; i++) {
            assert_ring_status(ring_mpmc_try_pop(&r, &v), RING_OK);
            assert_int_equal(v, next_out++);
        }
    }
    assert_ring_status(ring_mpmc_try_pop(&r, &v), RING_EMPTY);
}

/* The claim: the same for the SPSC ring, whose cached indices must not hide room or values. */
static void
test_e_spsc_full_empty_and_wrap(void **state)
{
    (void)state;
    static uint64_t slots[SMALL_CAPACITY];
    struct ring_spsc r;
    assert_ring_status(ring_spsc_init(&r, slots, SMALL_CAPACITY), RING_OK);
    uint64_t v = 0;
    uint64_t next_in = 0;
    uint64_t next_out = 0;
    for (unsigned round = 0; round < WRAP_ROUNDS; round++) {
        size_t fill = 1 + round % SMALL_CAPACITY;
        assert_ring_status(ring_spsc_try_pop(&r, &v), RING_EMPTY);
        for (size_t i = 0; i < fill; i++) {
            assert_ring_status(ring_spsc_try_push(&r, next_in++), RING_OK);
        }
        if (fill == SMALL_CAPACITY) {
            assert_ring_status(ring_spsc_try_push(&r, 99), RING_FULL);
        }
        for (size_t i = 0; i < fill; i++) {
            assert_ring_status(ring_spsc_try_pop(&r, &v), RING_OK);
            assert_int_equal(v, next_out++);
        }
    }
    assert_ring_status(ring_spsc_try_pop(&r, &v), RING_EMPTY);
}

struct flow {
    struct ring_mpmc ring;
    struct ring_mpmc_slot slots[FLOW_CAPACITY];
    atomic_uint producers_done;
    atomic_uint errors;
    uint64_t pushed[FLOW_PRODUCERS]; /* by each producer: TEST_BUDGET_MS may cut it short */
    uint8_t *seen[FLOW_PRODUCERS];
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
    if (th->index < FLOW_PRODUCERS) {
        uint64_t start_ms = kh_clock_now_ms();
        uint64_t i = 0;
        for (; i < test_iterations(FLOW_VALUES) && (i % 64 != 0 || !test_budget_is_spent(start_ms));
             i++) {
            for (uint32_t k = 0; ring_mpmc_try_push(&f->ring, value_of(th->index, i)) == RING_FULL;
                 k++) {
                if (k % 64 == 63) {
                    sched_yield();
                }
            }
        }
        f->pushed[th->index] = i; /* before the release that producers_done's increment is */
        atomic_fetch_add(&f->producers_done, 1);
        return NULL;
    }
    int64_t last[FLOW_PRODUCERS] = {-1, -1};
    for (uint32_t k = 0;; k++) {
        bool is_done = atomic_load(&f->producers_done) == FLOW_PRODUCERS;
        uint64_t v;
        if (ring_mpmc_try_pop(&f->ring, &v) != RING_OK) {
            if (is_done) {
                break;
            }
            if (k % 64 == 63) {
                sched_yield();
            }
            continue;
        }
        unsigned who = (unsigned)(v >> 32);
        int64_t seq = (int64_t)(v & 0xffffffffu);
        if (who >= FLOW_PRODUCERS || seq >= FLOW_VALUES) {
            flow_error(f, "popped a value never pushed", v);
        } else if (seq <= last[who]) {
            flow_error(f, "a producer's values came out of order", v);
        } else if (f->seen[who][seq]++ != 0) {
            flow_error(f, "popped twice", v);
        } else {
            last[who] = seq;
        }
    }
    return NULL;
}

/* The claim: 2 producers and 2 consumers on a 64-slot MPMC ring pass every value exactly
 * once, each producer's values in the order it pushed them. */
static void
test_e_mpmc_every_value_once_in_producer_order(void **state)
{
    (void)state;
    static struct flow f;
    memset(&f, 0, sizeof(f));
    assert_ring_status(ring_mpmc_init(&f.ring, f.slots, FLOW_CAPACITY), RING_OK);
    for (unsigned i = 0; i < FLOW_PRODUCERS; i++) {
        f.seen[i] = calloc(FLOW_VALUES, 1);
        assert_non_null(f.seen[i]);
    }
    run_threads(FLOW_PRODUCERS + FLOW_CONSUMERS, flow_body, &f, "producers and consumers");
    if (atomic_load(&f.errors) != 0) {
        fail_msg("%u errors; the first: %s", atomic_load(&f.errors), f.first_error);
    }
    for (unsigned p = 0; p < FLOW_PRODUCERS; p++) {
        for (uint64_t i = 0; i < FLOW_VALUES; i++) {
            if (i < f.pushed[p] && !f.seen[p][i]) {
                fail_msg("producer %u's value %llu was pushed and never popped", p,
                         (unsigned long long)i);
            }
            if (i >= f.pushed[p] && f.seen[p][i]) {
                fail_msg("producer %u's value %llu was popped and never pushed (it pushed %llu)", p,
                         (unsigned long long)i, (unsigned long long)f.pushed[p]);
            }
        }
        free(f.seen[p]);
    }
}

struct spsc_flow {
    struct ring_spsc ring;
    uint64_t slots[FLOW_CAPACITY];
    atomic_bool is_producer_done;
    uint64_t pushed; /* TEST_BUDGET_MS may cut it short of SPSC_VALUES */
    uint64_t bad_at;
    bool has_error;
};

/* Both sides spin, but yield every 64 failed tries: on a busy machine the two threads may
 * share one core, and a pure spin would then pass one ring's worth of values per time slice. */
static void *
spsc_body(void *arg)
{
    struct test_thread *th = arg;
    struct spsc_flow *f = th->ctx;
    uint64_t values = test_iterations(SPSC_VALUES);
    if (th->index == 0) {
        uint64_t start_ms = kh_clock_now_ms();
        uint64_t i = 0;
        for (; i < values && (i % 1024 != 0 || !test_budget_is_spent(start_ms)); i++) {
            for (uint32_t k = 0; ring_spsc_try_push(&f->ring, i * 7 + 1) == RING_FULL; k++) {
                if (k % 64 == 63) {
                    sched_yield();
                }
            }
        }
        f->pushed = i; /* before the release store of is_producer_done */
        atomic_store(&f->is_producer_done, true);
        return NULL;
    }
    for (uint64_t i = 0; i < values; i++) {
        uint64_t v;
        for (uint32_t k = 0; ring_spsc_try_pop(&f->ring, &v) != RING_OK; k++) {
            /* Done is read before the pop that fails: every value was pushed before it. */
            bool is_done = atomic_load(&f->is_producer_done);
            if (ring_spsc_try_pop(&f->ring, &v) == RING_OK) {
                break;
            }
            if (is_done && i == f->pushed) {
                return NULL; /* the producer stopped at the budget, and every value came */
            }
            if (is_done) {
                f->has_error = true; /* the producer is done and the value never came */
                f->bad_at = i;
                return NULL;
            }
            if (k % 64 == 63) {
                sched_yield();
            }
        }
        if (v != i * 7 + 1) {
            f->has_error = true;
            f->bad_at = i;
            return NULL;
        }
    }
    return NULL;
}

/* The claim: one producer and one consumer pass a million values through a 64-slot SPSC
 * ring in order, none lost, none repeated. */
static void
test_e_spsc_passes_a_million_values_in_order(void **state)
{
    (void)state;
    static struct spsc_flow f;
    memset(&f, 0, sizeof(f));
    assert_ring_status(ring_spsc_init(&f.ring, f.slots, FLOW_CAPACITY), RING_OK);
    run_threads(2, spsc_body, &f, "SPSC producer and consumer");
    if (f.has_error) {
        fail_msg("value %llu came out wrong or never came", (unsigned long long)f.bad_at);
    }
}

struct rounds {
    struct ring_mpmc ring;
    struct ring_mpmc_slot slots[SMALL_CAPACITY];
    struct rounds_sync sync;
    struct history history;
};

static void *
history_body(void *arg)
{
    struct test_thread *th = arg;
    struct rounds *r = th->ctx;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed() * 31 + th->index);
    for (size_t round = 0; round < HISTORY_ROUNDS; round++) {
        pthread_barrier_wait(&r->sync.start);
        for (unsigned i = 0; i < HISTORY_OPS; i++) {
            if (kh_rng_below(&rng, 2) == 0) {
                int64_t v = (int64_t)value_of(th->index, round * HISTORY_OPS + i);
                struct kh_lc_op *op = history_begin(&r->history, th->index, KH_LC_ENQUEUE, v);
                ring_status status = ring_mpmc_try_push(&r->ring, (uint64_t)v);
                history_end(op, status == RING_OK ? 0 : KH_LC_FULL);
            } else {
                uint64_t v;
                struct kh_lc_op *op = history_begin(&r->history, th->index, KH_LC_DEQUEUE, 0);
                ring_status status = ring_mpmc_try_pop(&r->ring, &v);
                history_end(op, status == RING_OK ? (int64_t)v : KH_LC_EMPTY);
            }
        }
        pthread_barrier_wait(&r->sync.done);
        if (th->index == 0) {
            struct kh_lc_model model = kh_lc_model_queue_try(SMALL_CAPACITY);
            kh_lc_status status = history_check(&r->history, HISTORY_THREADS, &model, round);
            if (status != KH_LC_LINEARIZABLE) {
                atomic_store(&r->sync.failed_round, round);
                atomic_store(&r->sync.failed_status, (int)status);
                atomic_store(&r->sync.has_failed, true);
            }
            uint64_t v;
            while (ring_mpmc_try_pop(&r->ring, &v) == RING_OK) {
            }
        }
        pthread_barrier_wait(&r->sync.checked);
        if (atomic_load(&r->sync.has_failed)) {
            break;
        }
    }
    return NULL;
}

/* The claim: every recorded round of 3 threads x 24 try_push and try_pop calls on a 4-slot
 * MPMC ring is linearizable for a bounded FIFO queue whose try-operations may give up: values
 * come out in order, once, and never more than 4 are held (300 rounds). Vyukov's ring is not
 * linearizable for RING_EMPTY and RING_FULL themselves: a pop reports empty when the slot it
 * must take next was claimed by a producer that has not published yet, even with later slots
 * full (the checker found exactly that history), so the model lets them be spurious. */
static void
test_e_mpmc_histories_are_linearizable(void **state)
{
    (void)state;
    static struct rounds r;
    memset(&r, 0, sizeof(r));
    assert_ring_status(ring_mpmc_init(&r.ring, r.slots, SMALL_CAPACITY), RING_OK);
    rounds_init(&r.sync, HISTORY_THREADS);
    run_threads(HISTORY_THREADS, history_body, &r, "ring history rounds");
    rounds_destroy(&r.sync);
}

struct pingpong {
    struct ring_mpmc mpmc_there;
    struct ring_mpmc mpmc_back;
    struct ring_mpmc_slot slots_there[2];
    struct ring_mpmc_slot slots_back[2];
    struct ring_spsc spsc_there;
    struct ring_spsc spsc_back;
    uint64_t values_there[2];
    uint64_t values_back[2];
    bool is_spsc;
    atomic_uint errors;
};

static void
send(struct pingpong *p, bool is_there, uint64_t v)
{
    if (p->is_spsc) {
        ring_spsc_push(is_there ? &p->spsc_there : &p->spsc_back, v);
    } else {
        ring_mpmc_push(is_there ? &p->mpmc_there : &p->mpmc_back, v);
    }
}

static uint64_t
receive(struct pingpong *p, bool is_there)
{
    if (p->is_spsc) {
        return ring_spsc_pop(is_there ? &p->spsc_there : &p->spsc_back);
    }
    return ring_mpmc_pop(is_there ? &p->mpmc_there : &p->mpmc_back);
}

static void *
pingpong_body(void *arg)
{
    struct test_thread *th = arg;
    struct pingpong *p = th->ctx;
    for (uint64_t i = 0; i < test_iterations(PINGPONG_ROUND_TRIPS); i++) {
        if (th->index == 0) {
            send(p, true, i);
            if (receive(p, false) != i + 1) {
                atomic_fetch_add(&p->errors, 1);
            }
        } else {
            uint64_t v = receive(p, true);
            if (v != i) {
                atomic_fetch_add(&p->errors, 1);
            }
            send(p, false, v + 1);
        }
    }
    return NULL;
}

static void *
stream_body(void *arg)
{
    struct test_thread *th = arg;
    struct pingpong *p = th->ctx;
    for (uint64_t i = 0; i < STREAM_VALUES; i++) {
        if (th->index == 0) {
            send(p, true, i); /* the ring fills: the producer sleeps until a pop wakes it */
        } else {
            if (i % STREAM_SLOW_EVERY == 0) {
                kh_clock_sleep_ms(1); /* fall behind now and then */
            }
            if (receive(p, true) != i) {
                atomic_fetch_add(&p->errors, 1);
            }
        }
    }
    return NULL;
}

/* The claim: two threads bouncing 10,000 values through 2-slot rings with the blocking push
 * and pop, each side falling asleep on every turn, never both wait forever: no wakeup is
 * lost (first the MPMC ring, then the SPSC ring). Then a producer that keeps filling a 2-slot
 * ring, so it sleeps waiting for room, is woken by every pop that makes some. Each ring is
 * garbled before its init (test_garble), so a sleeper count the init leaves to chance shows. */
static void
test_e_blocking_calls_never_lose_a_wakeup(void **state)
{
    (void)state;
    static struct pingpong p;
    for (int phase = 0; phase < 4; phase++) {
        int is_spsc = phase % 2;
        bool is_stream = phase >= 2;
        memset(&p, 0, sizeof(p));
        p.is_spsc = is_spsc;
        test_garble(&p.mpmc_there, sizeof(p.mpmc_there));
        test_garble(&p.mpmc_back, sizeof(p.mpmc_back));
        test_garble(&p.spsc_there, sizeof(p.spsc_there));
        test_garble(&p.spsc_back, sizeof(p.spsc_back));
        assert_ring_status(ring_mpmc_init(&p.mpmc_there, p.slots_there, 2), RING_OK);
        assert_ring_status(ring_mpmc_init(&p.mpmc_back, p.slots_back, 2), RING_OK);
        assert_ring_status(ring_spsc_init(&p.spsc_there, p.values_there, 2), RING_OK);
        assert_ring_status(ring_spsc_init(&p.spsc_back, p.values_back, 2), RING_OK);
        const char *what = is_stream ? (is_spsc ? "SPSC stream" : "MPMC stream")
                                     : (is_spsc ? "SPSC ping-pong" : "MPMC ping-pong");
        run_threads(2, is_stream ? stream_body : pingpong_body, &p, what);
        if (atomic_load(&p.errors) != 0) {
            fail_msg("%s: %u values came out wrong", what, atomic_load(&p.errors));
        }
    }
}

struct window {
    struct ring_mpmc mpmc;
    struct ring_mpmc_slot mpmc_slots[2];
    struct ring_spsc spsc;
    uint64_t spsc_slots[2];
    bool is_spsc;
    uint64_t rounds;
    atomic_uint_fast64_t round_started; /* the consumer pops once for each round started */
    atomic_uint_fast64_t round_done;    /* the last round whose value the consumer popped */
    atomic_uint_fast64_t pop_began;     /* the last round whose pop the consumer has called */
    atomic_bool is_over;                /* set by the producer after its last round */
    atomic_uint errors;
};

static void
window_push(struct window *w, uint64_t v)
{
    if (w->is_spsc) {
        ring_spsc_push(&w->spsc, v);
    } else {
        ring_mpmc_push(&w->mpmc, v);
    }
}

/* Thread 0 pushes each round's value after a seeded delay and waits for the pop to return;
 * thread 1 pops on the empty ring as soon as the round starts. */
static void *
window_body(void *arg)
{
    struct test_thread *th = arg;
    struct window *w = th->ctx;
    if (th->index == 1) {
        for (uint64_t round = 1; !atomic_load(&w->is_over); round++) {
            /* Spin, so the pop starts as the round does; yield after a while, so a consumer
             * that shares its CPU with the producer does not spin away a time slice a round. */
            for (uint32_t i = 0; atomic_load(&w->round_started) < round &&
                                 !atomic_load(&w->is_over) && !thread_has_failed();
                 i++) {
                if (i < WINDOW_START_SPINS_MAX) {
                    spin_pause();
                } else {
                    sched_yield();
                }
            }
            if (atomic_load(&w->round_started) < round || thread_has_failed()) {
                break; /* the producer is done, or gave up */
            }
            atomic_store(&w->pop_began, round);
            uint64_t v = w->is_spsc ? ring_spsc_pop(&w->spsc) : ring_mpmc_pop(&w->mpmc);
            if (v != round) {
                atomic_fetch_add(&w->errors, 1);
            }
            atomic_store(&w->round_done, round);
        }
        return NULL;
    }
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed() * 7 + w->is_spsc);
    const atomic_uint *sleepers =
        w->is_spsc ? &w->spsc.not_empty.sleeper_count : &w->mpmc.not_empty.sleeper_count;
    uint64_t aim_pauses = RING_SPINS_BEFORE_SLEEP;
    uint64_t aimed_rounds_missing = 0; /* rounds whose push came before the pop began */
    uint64_t start_ms = kh_clock_now_ms();
    for (uint64_t round = 1; round <= w->rounds + aimed_rounds_missing; round++) {
        if (test_budget_is_spent(start_ms)) {
            printf("%s ring: %llu rounds within %u ms (a busy machine)\n",
                   w->is_spsc ? "SPSC" : "MPMC", (unsigned long long)round - 1, TEST_BUDGET_MS);
            break;
        }
        kh_chaos_seed(kh_test_seed() + round); /* the chaos build: another interleaving */
        uint64_t jitter = kh_rng_below(&rng, 2 * WINDOW_JITTER_PAUSES + 1);
        uint64_t delay_pauses = aim_pauses + jitter > WINDOW_JITTER_PAUSES
                                    ? aim_pauses + jitter - WINDOW_JITTER_PAUSES
                                    : 0;
        atomic_store(&w->round_started, round);
        for (uint64_t i = 0; i < delay_pauses; i++) {
            spin_pause();
        }
        bool has_sleeper = atomic_load(sleepers) != 0;
        /* A push before the pop began (the consumer was not running) aimed at nothing: such a
         * round neither moves the aim nor counts (up to WINDOW_TRIES_PER_ROUND rounds more). */
        bool has_aimed = atomic_load(&w->pop_began) == round;
        window_push(w, round);
        if (!has_aimed) {
            aimed_rounds_missing += aimed_rounds_missing < WINDOW_TRIES_PER_ROUND * w->rounds;
        } else if (has_sleeper && aim_pauses > 0) {
            aim_pauses--;
        } else if (!has_sleeper && aim_pauses < WINDOW_DELAY_PAUSES_MAX) {
            aim_pauses++;
        }
        uint64_t deadline_ms = kh_clock_now_ms() + WINDOW_WAIT_MS;
        while (atomic_load(&w->round_done) < round && kh_clock_now_ms() < deadline_ms) {
            sched_yield();
        }
        if (atomic_load(&w->round_done) < round) {
            thread_fail("%s ring, round %llu: a blocking pop on an empty ring was still waiting "
                        "%u ms after a push %llu pauses after it began (a lost wakeup: the push "
                        "landed after the pop's last try, before it announced itself as a "
                        "sleeper, and the sleeper did not check the ring again)",
                        w->is_spsc ? "SPSC" : "MPMC", (unsigned long long)round, WINDOW_WAIT_MS,
                        (unsigned long long)delay_pauses);
            window_push(w, round); /* wakes the stuck pop, which then sees the failure */
            break;
        }
    }
    atomic_store(&w->is_over, true);
    return NULL;
}

/* The claim: a blocking pop on an empty ring returns the value of a push that comes at any
 * moment while it spins, announces itself or sleeps: in particular a push that lands after its
 * last try and before it counts itself as a sleeper, which sees no sleeper and wakes no one.
 * Delays aimed at that moment, with seeded jitter, force it over 4,000 rounds per ring (and in
 * the chaos build every round reseeds the delays inside the ring as well). */
static void
test_e_blocking_pop_sees_a_push_at_any_moment(void **state)
{
    (void)state;
    static struct window w;
    for (int is_spsc = 0; is_spsc < 2; is_spsc++) {
        memset(&w, 0, sizeof(w));
        w.is_spsc = is_spsc;
        w.rounds = test_iterations(WINDOW_ROUNDS);
        test_garble(&w.mpmc, sizeof(w.mpmc));
        test_garble(&w.spsc, sizeof(w.spsc));
        assert_ring_status(ring_mpmc_init(&w.mpmc, w.mpmc_slots, 2), RING_OK);
        assert_ring_status(ring_spsc_init(&w.spsc, w.spsc_slots, 2), RING_OK);
        run_threads(2, window_body, &w, is_spsc ? "SPSC late push" : "MPMC late push");
        if (atomic_load(&w.errors) != 0) {
            fail_msg("%s ring: %u pops returned another round's value", is_spsc ? "SPSC" : "MPMC",
                     atomic_load(&w.errors));
        }
    }
}

/* The four blocking calls, each made on a ring where it must wait: a pop on an empty ring or
 * a push on a full one, MPMC or SPSC. */
enum blocked_call { BLOCKED_MPMC_POP, BLOCKED_MPMC_PUSH, BLOCKED_SPSC_POP, BLOCKED_SPSC_PUSH };
#define BLOCKED_CALLS 4
#define BLOCKED_VALUE 77u /* what the unblocking push (or the blocked push) carries */

struct blocked {
    struct ring_mpmc mpmc;
    struct ring_mpmc_slot mpmc_slots[2];
    struct ring_spsc spsc;
    uint64_t spsc_slots[2];
    enum blocked_call call;
    atomic_int tid; /* the blocked thread's kernel id, once it runs */
    uint64_t popped;
};

static const char *
blocked_call_name(enum blocked_call call)
{
    static const char *const names[BLOCKED_CALLS] = {
        "ring_mpmc_pop on an empty ring", "ring_mpmc_push on a full ring",
        "ring_spsc_pop on an empty ring", "ring_spsc_push on a full ring"};
    return names[call];
}

/* The waiters the blocked call sleeps on: not_empty for a pop, not_full for a push. */
static const atomic_uint *
blocked_sleepers(struct blocked *b)
{
    switch (b->call) {
    case BLOCKED_MPMC_POP:
        return &b->mpmc.not_empty.sleeper_count;
    case BLOCKED_MPMC_PUSH:
        return &b->mpmc.not_full.sleeper_count;
    case BLOCKED_SPSC_POP:
        return &b->spsc.not_empty.sleeper_count;
    case BLOCKED_SPSC_PUSH:
        return &b->spsc.not_full.sleeper_count;
    }
    return NULL;
}

static bool
blocked_has_one_sleeper(void *ctx)
{
    return atomic_load(blocked_sleepers(ctx)) == 1;
}

static void *
blocked_body(void *arg)
{
    struct blocked *b = arg;
    atomic_store(&b->tid, test_thread_id());
    switch (b->call) {
    case BLOCKED_MPMC_POP:
        b->popped = ring_mpmc_pop(&b->mpmc);
        break;
    case BLOCKED_MPMC_PUSH:
        ring_mpmc_push(&b->mpmc, BLOCKED_VALUE);
        break;
    case BLOCKED_SPSC_POP:
        b->popped = ring_spsc_pop(&b->spsc);
        break;
    case BLOCKED_SPSC_PUSH:
        ring_spsc_push(&b->spsc, BLOCKED_VALUE);
        break;
    }
    return NULL;
}

/* Makes the blocked call able to go on, with the blocking call on the other side (the one that
 * wakes): a push for a pop, a pop for a push. */
static void
blocked_unblock(struct blocked *b)
{
    switch (b->call) {
    case BLOCKED_MPMC_POP:
        ring_mpmc_push(&b->mpmc, BLOCKED_VALUE);
        break;
    case BLOCKED_MPMC_PUSH:
        b->popped = ring_mpmc_pop(&b->mpmc);
        break;
    case BLOCKED_SPSC_POP:
        ring_spsc_push(&b->spsc, BLOCKED_VALUE);
        break;
    case BLOCKED_SPSC_PUSH:
        b->popped = ring_spsc_pop(&b->spsc);
        break;
    }
}

/* Runs one blocked call: returns NULL, or what went wrong (a static message). */
static const char *
blocked_call_run(struct blocked *b)
{
    assert_ring_status(ring_mpmc_init(&b->mpmc, b->mpmc_slots, 2), RING_OK);
    assert_ring_status(ring_spsc_init(&b->spsc, b->spsc_slots, 2), RING_OK);
    for (uint64_t v = 1; v <= 2; v++) { /* fill the ring a push must wait on */
        if (b->call == BLOCKED_MPMC_PUSH) {
            assert_ring_status(ring_mpmc_try_push(&b->mpmc, v), RING_OK);
        } else if (b->call == BLOCKED_SPSC_PUSH) {
            assert_ring_status(ring_spsc_try_push(&b->spsc, v), RING_OK);
        }
    }
    kh_chaos_seed(kh_test_seed() + b->call);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, blocked_body, b), 0);
    bool is_asleep = wait_until_asleep(&b->tid, blocked_has_one_sleeper, b);
    unsigned sleepers_asleep = atomic_load(blocked_sleepers(b));
    blocked_unblock(b); /* in every case, so the thread can be joined */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TEST_DEADLINE_MS / 1000;
    if (pthread_timedjoin_np(thread, NULL, &deadline) != 0) {
        return "it was still waiting 8 s after the other side made it able to go on (a lost "
               "wakeup)";
    }
    if (!is_asleep && sleepers_asleep == 0) {
        return "it never slept within 2 s on a ring where it had to wait: a blocking call spins "
               "a while, then sleeps on a futex (ring.h), counted in sleeper_count";
    }
    if (!is_asleep) {
        return "it never slept with sleeper_count at 1 within 2 s (sleeper_count counts the "
               "threads asleep or about to sleep, ring.h)";
    }
    if (b->popped !=
        (b->call == BLOCKED_MPMC_PUSH || b->call == BLOCKED_SPSC_PUSH ? 1 : BLOCKED_VALUE)) {
        return "the value popped is not the one pushed first";
    }
    if (atomic_load(blocked_sleepers(b)) != 0) {
        return "once it returned, sleeper_count is not back to 0: a sleeper that wakes must "
               "uncount itself, or every later wake makes a futex call for no one (ring.h: "
               "the threads asleep or about to sleep)";
    }
    return NULL;
}

/* The claim: each blocking call that must wait (a pop on an empty ring, a push on a full one,
 * MPMC and SPSC) sleeps on a futex instead of spinning on, counted in its waiters'
 * sleeper_count while it sleeps, and, once the other side wakes it, returns with the count back
 * to 0. The test waits until the thread is asleep in the kernel before it unblocks it, so the
 * wake always finds a sleeper. */
static void
test_e_blocked_calls_sleep_and_uncount_themselves(void **state)
{
    (void)state;
    static struct blocked b;
    for (int call = 0; call < BLOCKED_CALLS; call++) {
        memset(&b, 0, sizeof(b));
        b.call = (enum blocked_call)call;
        const char *failure = blocked_call_run(&b);
        if (failure != NULL) {
            fail_msg("%s: %s", blocked_call_name(b.call), failure);
        }
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_rings_reject_bad_capacities),
        cmocka_unit_test(test_e_mpmc_full_empty_and_wrap),
        cmocka_unit_test(test_e_spsc_full_empty_and_wrap),
        cmocka_unit_test(test_e_mpmc_every_value_once_in_producer_order),
        cmocka_unit_test(test_e_spsc_passes_a_million_values_in_order),
        cmocka_unit_test(test_e_mpmc_histories_are_linearizable),
        cmocka_unit_test(test_e_blocking_calls_never_lose_a_wakeup),
        cmocka_unit_test(test_e_blocking_pop_sees_a_push_at_any_moment),
        cmocka_unit_test(test_e_blocked_calls_sleep_and_uncount_themselves),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
