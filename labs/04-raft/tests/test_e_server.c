/* test_e_server.c -- part E on real processes: keel-raftkv's nodes (raftkv.h), each a forked
 * process on loopback with its own data directory, talked to in RESP as redis-cli would. The
 * nodes run the same code as under the simulator; here the clock, the sockets and fsync are
 * real, and the tests kill -9 a leader, pause one (SIGSTOP), restart nodes from their disks.
 * Every wait is bounded; every process is the test's own child, ended by its PID. */
#include "kh_lincheck.h"
#include "tests/real_cluster.h"

static void
test_e_server_serves_redis_clients(void **state)
{
    /* Claim: three keel-raftkv processes elect a leader that takes SET, GET, DEL and INCR with
     * Redis's replies, pipelined requests answered in order; a follower redirects with MOVED
     * naming the leader's client port. */
    (void)state;
    static struct real_cluster rc;
    real_cluster_up(&rc, 3, 200);
    char out[REAL_REPLY_BYTES];
    uint32_t leader = real_leader_by_write(&rc, "k", "v1");
    const char *get[] = {"GET", "k"};
    real_ask(&rc, leader, 2, get, out, 2000);
    real_assert_reply(out, "$2\r\nv1\r\n", "GET after SET on the leader");
    const char *incr[] = {"INCR", "n"};
    real_ask(&rc, leader, 2, incr, out, 2000);
    real_assert_reply(out, ":1\r\n", "INCR of a missing key");
    const char *incrby[] = {"INCRBY", "n", "41"};
    real_ask(&rc, leader, 3, incrby, out, 2000);
    real_assert_reply(out, ":42\r\n", "INCRBY 41");
    real_ask(&rc, leader, 2, (const char *[]){"INCR", "k"}, out, 2000);
    real_assert_reply(out, "-ERR value is not an integer or out of range\r\n", "INCR of \"v1\"");
    const char *del[] = {"DEL", "k"};
    real_ask(&rc, leader, 2, del, out, 2000);
    real_assert_reply(out, ":1\r\n", "DEL of a key");
    real_ask(&rc, leader, 2, get, out, 2000);
    real_assert_reply(out, "$-1\r\n", "GET after DEL");
    real_ask(&rc, leader, 1, (const char *[]){"PING"}, out, 2000);
    real_assert_reply(out, "+PONG\r\n", "PING");
    uint32_t follower = leader % rc.node_count + 1;
    const char *set[] = {"SET", "k", "v2"};
    real_ask(&rc, follower, 3, set, out, 2000);
    if (real_moved_to(&rc, out) != leader) {
        fail_msg("a follower answered SET with \"%s\"; expected -MOVED 0 127.0.0.1:%u (the "
                 "leader's client port)",
                 out, real_client_port(&rc, leader));
    }
    /* 200 requests in one write: the replies come back in order. */
    struct kh_rclient c;
    assert_int_equal(kh_rclient_connect(&c, real_client_port(&rc, leader)), 0);
    for (unsigned i = 0; i < 100; i++) {
        char key[16], value[16];
        snprintf(key, sizeof(key), "p%u", i % 7);
        snprintf(value, sizeof(value), "%u", i);
        assert_int_equal(kh_rclient_send(&c, 3, (const char *[]){"SET", key, value}), 0);
        assert_int_equal(kh_rclient_send(&c, 2, (const char *[]){"GET", key}), 0);
    }
    for (unsigned i = 0; i < 100; i++) {
        char want[32];
        assert_true(kh_rclient_reply(&c, out, sizeof(out), 5000) > 0);
        real_assert_reply(out, "+OK\r\n", "a pipelined SET");
        assert_true(kh_rclient_reply(&c, out, sizeof(out), 5000) > 0);
        snprintf(want, sizeof(want), "$%zu\r\n%u\r\n", (size_t)snprintf(NULL, 0, "%u", i), i);
        real_assert_reply(out, want, "a pipelined GET of the key just set");
    }
    kh_rclient_close(&c);
    real_cluster_down(&rc);
}

static void
test_e_server_survives_kill_9_of_its_leader(void **state)
{
    /* Claim: every acknowledged write survives kill -9 of the leader: another node is elected,
     * has them all, and the killed node restarts from its disk and catches up. */
    (void)state;
    static struct real_cluster rc;
    real_cluster_up(&rc, 3, 200);
    char out[REAL_REPLY_BYTES];
    uint32_t leader = real_leader_by_write(&rc, "k0", "0");
    for (unsigned i = 1; i < 300; i++) { /* past compact_every: a snapshot is taken too */
        char key[16], value[16];
        snprintf(key, sizeof(key), "k%u", i % 50);
        snprintf(value, sizeof(value), "%u", i);
        leader = real_ask_leader(&rc, leader, 3, (const char *[]){"SET", key, value}, out);
        real_assert_reply(out, "+OK\r\n", "SET on the leader");
    }
    real_kill(&rc, leader, SIGKILL);
    uint32_t other = leader % rc.node_count + 1;
    for (unsigned i = 250; i < 300; i++) {
        char key[16], want[32];
        snprintf(key, sizeof(key), "k%u", i % 50);
        real_ask_leader(&rc, other, 2, (const char *[]){"GET", key}, out);
        snprintf(want, sizeof(want), "$3\r\n%u\r\n", i);
        real_assert_reply(out, want, "GET from the new leader of a write the old one acknowledged");
    }
    real_start(&rc, leader);
    uint32_t now_leader = real_leader_by_write(&rc, "after", "restart");
    (void)now_leader;
    uint64_t deadline = real_ms_now() + REAL_WAIT_MS;
    for (;;) { /* DBSIZE is the node's own count: the restarted node catches up */
        real_ask(&rc, leader, 1, (const char *[]){"DBSIZE"}, out, 2000);
        if (strcmp(out, ":51\r\n") == 0) {
            break;
        }
        if (real_ms_now() > deadline) {
            fail_msg("the node restarted after kill -9 holds %s keys after %d ms; expected :51",
                     out, REAL_WAIT_MS);
        }
        usleep(20 * 1000);
    }
    real_cluster_down(&rc);
}

static void
test_e_server_paused_leader_gives_no_stale_read(void **state)
{
    /* Claim: a leader paused (SIGSTOP) while another is elected and takes a write, then resumed
     * while the others are paused in turn, never answers a GET from its old state: it either
     * reads of the later term in what its sockets buffered and redirects, or holds the read
     * until a majority answers, which only the resumed others can, and then redirects. */
    (void)state;
    static struct real_cluster rc;
    real_cluster_up(&rc, 3, 200);
    char out[REAL_REPLY_BYTES];
    uint32_t old = real_leader_by_write(&rc, "x", "old");
    real_pause(&rc, old, true);
    uint32_t other = old % rc.node_count + 1;
    real_ask_leader(&rc, other, 3, (const char *[]){"SET", "x", "new"}, out);
    real_assert_reply(out, "+OK\r\n", "SET on the new leader while the old one is paused");
    for (uint32_t id = 1; id <= rc.node_count; id++) {
        real_pause(&rc, id, id != old);
    }
    struct kh_rclient c;
    assert_int_equal(kh_rclient_connect(&c, real_client_port(&rc, old)), 0);
    assert_int_equal(kh_rclient_send(&c, 2, (const char *[]){"GET", "x"}), 0);
    ssize_t n = kh_rclient_reply(&c, out, sizeof(out), 1000);
    if (n > 0 && strcmp(out, "$3\r\nold\r\n") == 0) {
        fail_msg("the old leader, cut off by the pause while another was elected and took SET x "
                 "new, answered GET x with the old value: a stale read (it confirmed nothing "
                 "with a majority)");
    }
    for (uint32_t id = 1; id <= rc.node_count; id++) {
        real_pause(&rc, id, false);
    }
    if (n <= 0) {
        n = kh_rclient_reply(&c, out, sizeof(out), 5000);
    }
    kh_rclient_close(&c);
    if (n <= 0) {
        fail_msg("the old leader did not answer the waiting GET within 5 s of the others "
                 "resuming (it should learn of the later term and redirect)");
    }
    if (real_moved_to(&rc, out) == 0 && strncmp(out, "-CLUSTERDOWN", 12) != 0) {
        fail_msg("the old leader answered the GET it held with \"%s\"; expected a redirect "
                 "(it no longer leads)",
                 out);
    }
    real_cluster_down(&rc);
}

static void
test_e_server_cut_off_leader_gives_no_stale_read(void **state)
{
    /* Claim: a leader cut off from both others (every peer link cut at the proxy) goes on
     * believing it leads while they elect another, which takes a write; a GET the old leader is
     * asked then gets no answer from its old state: it waits for a majority it cannot reach, and
     * once the links heal it learns of the later term and redirects. */
    (void)state;
    static struct real_cluster rc;
    real_cluster_up(&rc, 3, 200);
    char out[REAL_REPLY_BYTES];
    uint32_t old = real_leader_by_write(&rc, "x", "old");
    real_isolate(&rc, old, true);
    uint32_t other = old % rc.node_count + 1;
    uint32_t leader = real_ask_leader(&rc, other, 3, (const char *[]){"SET", "x", "new"}, out);
    if (leader == old) {
        fail_msg("node %u, cut off from every other node, took a write (\"%s\"): it cannot have "
                 "committed it",
                 old, out);
    }
    real_assert_reply(out, "+OK\r\n", "SET on the new leader while the old one is cut off");
    struct kh_rclient c;
    assert_int_equal(kh_rclient_connect(&c, real_client_port(&rc, old)), 0);
    assert_int_equal(kh_rclient_send(&c, 2, (const char *[]){"GET", "x"}), 0);
    ssize_t n = kh_rclient_reply(&c, out, sizeof(out), 1000);
    if (n > 0 && strcmp(out, "$3\r\nold\r\n") == 0) {
        fail_msg("the old leader, cut off while node %u was elected and took SET x new, "
                 "answered GET x with the old value: a stale read (no majority confirmed that it "
                 "still led)",
                 leader);
    }
    if (n > 0) {
        fail_msg("the old leader, cut off from every other node, answered GET x with \"%s\" "
                 "within 1 s; expected it to wait for a majority",
                 out);
    }
    real_isolate(&rc, old, false);
    n = kh_rclient_reply(&c, out, sizeof(out), 5000);
    kh_rclient_close(&c);
    if (n <= 0) {
        fail_msg("the old leader did not answer the GET it held within 5 s of the links healing "
                 "(it should learn of the later term and redirect)");
    }
    if (real_moved_to(&rc, out) == 0 && strncmp(out, "-CLUSTERDOWN", 12) != 0) {
        fail_msg("the old leader answered the GET it held with \"%s\"; expected a redirect", out);
    }
    real_cluster_down(&rc);
}

/* ---- A history of real clients, checked for linearizability ----------------------------- */

#define HISTORY_CLIENTS 3u
#define HISTORY_OPS_PER_CLIENT 600u
#define HISTORY_TIMEOUT_MS                                                                         \
    300                       /* then the client gives up (a write stays pending) and tries        \
                               * another node: an election takes 100-200 ms */
#define HISTORY_PAUSE_US 8000 /* between a client's operations: they span the faults */

struct history_client {
    const struct real_cluster *rc;
    uint32_t index;
    uint64_t seed;
    struct kh_lc_op ops[HISTORY_OPS_PER_CLIENT];
    size_t op_count;
    atomic_bool *is_stopping;
    char failure[256];
};

/* One client: SET r VALUE (values unique: 1000 * client + n) or GET r, to the node it believes
 * leads, following MOVED; each operation's call and return times on the machine's clock. */
static void *
history_client_main(void *arg)
{
    struct history_client *hc = arg;
    struct kh_rng rng;
    kh_rng_seed(&rng, hc->seed);
    uint32_t node = 1 + hc->index % hc->rc->node_count;
    char out[REAL_REPLY_BYTES];
    while (hc->op_count < HISTORY_OPS_PER_CLIENT && !atomic_load(hc->is_stopping)) {
        struct kh_lc_op *op = &hc->ops[hc->op_count];
        bool is_read = kh_rng_below(&rng, 2) == 0;
        int64_t value = (int64_t)(1000 * (hc->index + 1) + hc->op_count);
        char text[24];
        snprintf(text, sizeof(text), "%" PRId64, value);
        *op = (struct kh_lc_op){.kind = is_read ? KH_LC_READ : KH_LC_WRITE,
                                .value = is_read ? 0 : value,
                                .thread_id = hc->index,
                                .call_ns = kh_clock_now_ns()};
        if (is_read) {
            real_ask(hc->rc, node, 2, (const char *[]){"GET", "r"}, out, HISTORY_TIMEOUT_MS);
        } else {
            real_ask(hc->rc, node, 3, (const char *[]){"SET", "r", text}, out, HISTORY_TIMEOUT_MS);
        }
        op->return_ns = kh_clock_now_ns();
        uint32_t moved = real_moved_to(hc->rc, out);
        bool is_changed = strncmp(out, "-ERR leadership changed", 23) == 0;
        if (out[0] == '\0' || moved != 0 || is_changed || strncmp(out, "-CLUSTERDOWN", 12) == 0) {
            /* No answer: a read had no effect, and neither had a write that was redirected or
             * that its leader saw replaced; one that timed out, or whose leader stepped down
             * before its entry applied, may yet take effect (pending). */
            if (!is_read && (out[0] == '\0' || strstr(out, "may or may not") != NULL)) {
                op->is_pending = true;
                hc->op_count++;
            }
            if (moved != 0) {
                node = moved;
            } else if (!is_changed && kh_rng_below(&rng, 2) == 0) {
                node = 1 + (uint32_t)kh_rng_below(&rng, hc->rc->node_count); /* or ask again */
            }
            usleep(5 * 1000);
            continue;
        }
        if (is_read && strcmp(out, "$-1\r\n") == 0) {
            op->result = 0;
        } else if (is_read && out[0] == '$') {
            const char *body = strstr(out, "\r\n");
            op->result = body != NULL ? strtoll(body + 2, NULL, 10) : -1;
        } else if (!is_read && strcmp(out, "+OK\r\n") == 0) {
            op->result = 0;
        } else {
            snprintf(hc->failure, sizeof(hc->failure), "%s %s got \"%s\"", is_read ? "GET" : "SET",
                     is_read ? "r" : text, out);
            return NULL;
        }
        hc->op_count++;
        usleep(HISTORY_PAUSE_US);
    }
    return NULL;
}

static void
test_e_server_history_is_linearizable(void **state)
{
    /* Claim: three clients writing and reading one key through a cluster of three real
     * processes, while its leader is cut off (and still asked), then killed -9 and restarted
     * from its disk, then paused, record a linearizable history (lab 02's checker). */
    (void)state;
    static struct real_cluster rc;
    real_cluster_up(&rc, 3, 100);
    real_leader_by_write(&rc, "r", "0");
    static struct history_client clients[HISTORY_CLIENTS];
    atomic_bool is_stopping = false;
    pthread_t threads[HISTORY_CLIENTS];
    for (uint32_t k = 0; k < HISTORY_CLIENTS; k++) {
        clients[k] = (struct history_client){
            .rc = &rc, .index = k, .seed = kh_test_seed() + k, .is_stopping = &is_stopping};
        assert_int_equal(pthread_create(&threads[k], NULL, history_client_main, &clients[k]), 0);
    }
    /* The faults, each to the leader of the moment (found by a write to another key): cut off
     * for 2.5 s, while clients still ask it; killed -9 and restarted 400 ms later; paused for
     * 400 ms. */
    for (int round = 0; round < 3; round++) {
        usleep(300 * 1000);
        uint32_t leader = real_leader_by_write(&rc, "f", "fault");
        if (round == 0) {
            real_isolate(&rc, leader, true);
            usleep(2500 * 1000);
            real_isolate(&rc, leader, false);
        } else if (round == 1) {
            real_kill(&rc, leader, SIGKILL);
            usleep(400 * 1000);
            real_start(&rc, leader);
        } else {
            real_pause(&rc, leader, true);
            usleep(400 * 1000);
            real_pause(&rc, leader, false);
        }
    }
    usleep(300 * 1000);
    atomic_store(&is_stopping, true);
    static struct kh_lc_op ops[HISTORY_CLIENTS * HISTORY_OPS_PER_CLIENT + 1];
    size_t count = 0;
    ops[count++] = (struct kh_lc_op){.kind = KH_LC_WRITE, .value = 0, .thread_id = 9};
    size_t completed = 0;
    for (uint32_t k = 0; k < HISTORY_CLIENTS; k++) {
        pthread_join(threads[k], NULL);
        if (clients[k].failure[0] != '\0') {
            fail_msg("client %u: %s", k, clients[k].failure);
        }
        for (size_t i = 0; i < clients[k].op_count; i++) {
            ops[count++] = clients[k].ops[i];
            completed += !clients[k].ops[i].is_pending;
        }
    }
    real_cluster_down(&rc);
    /* A write that never answered and whose value no read returned is left out: had it taken
     * effect, a later write overwrote it unseen, so no order needs it (values are unique). This
     * keeps the checker's search small; the writes reads saw stay, pending. */
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        bool is_seen = !ops[i].is_pending;
        for (size_t k = 0; !is_seen && k < count; k++) {
            is_seen = ops[k].kind == KH_LC_READ && ops[k].result == ops[i].value;
        }
        if (is_seen) {
            ops[kept++] = ops[i];
        }
    }
    count = kept;
    struct kh_lc_model model = kh_lc_model_register();
    kh_lc_status st = kh_lc_check(&model, ops, count, NULL);
    if (st == KH_LC_NOT_LINEARIZABLE) {
        kh_lc_explain(&model, ops, count, NULL, stderr);
        fail_msg("the clients' history of %zu operations on one key is not linearizable (above: "
                 "its shortest failing part)",
                 count);
    }
    if (st != KH_LC_LINEARIZABLE) {
        fail_msg("the history of %zu operations could not be checked: %s", count,
                 kh_lc_strerror(st));
    }
    if (completed < 100) {
        fail_msg("only %zu operations completed in about 2.5 s of faults; expected at least 100",
                 completed);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e_server_serves_redis_clients),
        cmocka_unit_test(test_e_server_survives_kill_9_of_its_leader),
        cmocka_unit_test(test_e_server_paused_leader_gives_no_stale_read),
        cmocka_unit_test(test_e_server_cut_off_leader_gives_no_stale_read),
        cmocka_unit_test(test_e_server_history_is_linearizable),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
