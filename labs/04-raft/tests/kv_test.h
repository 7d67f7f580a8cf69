/* kv_test.h -- what part E's tests (test_e_kv.c) share: a kv on its own in-memory file system
 * (lab 03's tests/bc_test.h: faultfs behind a struct bc_io), statuses and codes by name, commands
 * encoded and applied at the next index with their results checked, and a snapshot built by hand
 * in the README's format. */
#ifndef KEEL_RAFT_KV_TEST_H
#define KEEL_RAFT_KV_TEST_H

#include "bc_internal.h"
#include "raft_internal.h"
#include "raft_kv.h"
#include "tests/bc_test.h"

#include <inttypes.h>

/* ---- Statuses and codes by name ------------------------------------------------------------ */

static TEST_UNUSED const char *
kv_status_name(kv_status status)
{
#define KV_STATUS_NAME_CASE(name, text)                                                            \
    case name:                                                                                     \
        return #name;
    switch (status) {
        KV_STATUS(KV_STATUS_NAME_CASE)
    }
#undef KV_STATUS_NAME_CASE
    return "an unknown status";
}

#define assert_kv_status(expr, expected)                                                           \
    KH_ASSERT_STATUS_OF(kv_status, kv_status_name, kv_strerror, expr, expected, #expr)

static TEST_UNUSED const char *
kv_code_name(unsigned code)
{
    static const char *const names[] = {
        "KV_CODE_OK",       "KV_CODE_NOT_FOUND",       "KV_CODE_NOT_AN_INTEGER",
        "KV_CODE_OVERFLOW", "KV_CODE_SESSION_EXPIRED", "KV_CODE_STALE",
    };
    return code < KH_ARRAY_LEN(names) ? names[code] : "an unknown code";
}

/* ---- A kv on its own file system ----------------------------------------------------------- */

struct kv_node {
    struct test_fs t; /* first: the io's ctx is &t, and so the node */
    struct bc_io io;
    struct bc_options options; /* the default, with io: what kv_open is given */
    struct kv *kv;
    int open_fds; /* descriptors opened through io and not closed */
};

static TEST_UNUSED int
kv_node_open(void *ctx, const char *path, int flags)
{
    int fd = tfs_open(ctx, path, flags);
    ((struct kv_node *)ctx)->open_fds += fd >= 0;
    return fd;
}

static TEST_UNUSED int
kv_node_close(void *ctx, int fd)
{
    ((struct kv_node *)ctx)->open_fds--;
    return tfs_close(ctx, fd);
}

/* n's io and options on n->t (the node must not move while its kv is open), its descriptors
 * counted. */
static TEST_UNUSED void
kv_node_io(struct kv_node *n)
{
    tfs_io(&n->t, &n->io);
    n->io.open = kv_node_open;
    n->io.close = kv_node_close;
    bc_options_default(&n->options);
    n->options.io = &n->io;
}

/* A kv on a new file system, in TEST_DIR; fails the test unless kv_open gives one. */
static TEST_UNUSED void
kv_node_start(struct kv_node *n)
{
    memset(n, 0, sizeof(*n));
    tfs_init(&n->t);
    kv_node_io(n);
    kv_status st = kv_open(TEST_DIR, &n->options, &n->kv);
    if (st != KV_OK || n->kv == NULL) {
        fail_msg("kv_open(\"" TEST_DIR "\") on a new file system returned %s%s; expected KV_OK",
                 kv_status_name(st), st == KV_OK ? " and no kv" : "");
    }
}

/* Closes n's kv and destroys its file system; fails the test if a descriptor is still open. */
static TEST_UNUSED void
kv_node_stop(struct kv_node *n)
{
    kv_close(n->kv);
    n->kv = NULL;
    kh_faultfs_destroy(n->t.fs);
    if (n->open_fds != 0) {
        fail_msg("%d descriptors still open once the kv is closed (a leak: a node runs for years)",
                 n->open_fds);
    }
}

/* ---- Commands ------------------------------------------------------------------------------ */

static TEST_UNUSED const char *
kv_op_name(unsigned op)
{
    static const char *const names[] = {"?", "REGISTER", "PUT", "GET", "DELETE", "INCR"};
    return op < KH_ARRAY_LEN(names) ? names[op] : "an unknown op";
}

/* A command with key and value given as text (NULL: none). */
static TEST_UNUSED struct kv_command
kv_cmd(uint8_t op, uint64_t client_id, uint64_t seq, const char *key, const char *value,
       int64_t delta)
{
    return (struct kv_command){.op = op,
                               .client_id = client_id,
                               .seq = seq,
                               .delta = delta,
                               .key_size_bytes = key != NULL ? (uint32_t)strlen(key) : 0,
                               .value_size_bytes = value != NULL ? (uint32_t)strlen(value) : 0,
                               .key = (const uint8_t *)key,
                               .value = (const uint8_t *)value};
}

/* "INCR k (client 3, seq 2, delta 5)", for failure messages; keys are shown up to 40 bytes. */
static TEST_UNUSED const char *
kv_cmd_text(const struct kv_command *c)
{
    static char text[160];
    int key_shown = c->key_size_bytes < 40 ? (int)c->key_size_bytes : 40;
    snprintf(text, sizeof(text),
             "%s %.*s%s (client %" PRIu64 ", seq %" PRIu64 ", delta %" PRId64
             ", a value of %u bytes)",
             kv_op_name(c->op), key_shown, c->key != NULL ? (const char *)c->key : "",
             key_shown < (int)c->key_size_bytes ? "..." : "", c->client_id, c->seq, c->delta,
             c->value_size_bytes);
    return text;
}

/* Applies an entry at the kv's next index; fails the test unless KV_OK and the index moved.
 * The result's value is borrowed until the next call on the kv. */
static TEST_UNUSED struct kv_result
kv_run_entry(struct kv *kv, uint8_t entry_type, const uint8_t *data, size_t size_bytes,
             const char *what)
{
    uint64_t index = kv_applied_index(kv) + 1;
    struct kv_result r;
    kv_status st = kv_apply(kv, index, entry_type, data, size_bytes, &r);
    if (st != KV_OK) {
        fail_msg("kv_apply of %s at index %" PRIu64 " (the next) returned %s; expected KV_OK", what,
                 index, kv_status_name(st));
    }
    if (kv_applied_index(kv) != index) {
        fail_msg("kv_apply of %s at index %" PRIu64 " returned KV_OK, and kv_applied_index is "
                 "%" PRIu64,
                 what, index, kv_applied_index(kv));
    }
    return r;
}

/* c encoded and applied at the kv's next index. */
static TEST_UNUSED struct kv_result
kv_run(struct kv *kv, const struct kv_command *c)
{
    static uint8_t buf[KV_COMMAND_HEADER_BYTES + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX];
    assert_true(kv_command_encoded_size(c) <= sizeof(buf));
    kv_command_encode(c, buf);
    return kv_run_entry(kv, RAFT_ENTRY_COMMAND, buf, kv_command_encoded_size(c), kv_cmd_text(c));
}

static TEST_UNUSED struct kv_result
kv_do(struct kv *kv, uint8_t op, uint64_t client_id, uint64_t seq, const char *key,
      const char *value, int64_t delta)
{
    struct kv_command c = kv_cmd(op, client_id, seq, key, value, delta);
    return kv_run(kv, &c);
}

/* Fails unless r ended with code, number and is_duplicate; what says which command it was. */
static TEST_UNUSED void
expect_result(const struct kv_result *r, unsigned code, int64_t number, bool is_duplicate,
              const char *what)
{
    if (r->code != code || r->number != number || r->is_duplicate != is_duplicate) {
        fail_msg("%s: %s, number %" PRId64 "%s; expected %s, number %" PRId64 "%s", what,
                 kv_code_name(r->code), r->number, r->is_duplicate ? ", a duplicate" : "",
                 kv_code_name(code), number, is_duplicate ? ", a duplicate" : "");
    }
}

/* A REGISTER at the next index; fails unless its number is that index. Returns the client id. */
static TEST_UNUSED uint64_t
register_client(struct kv *kv)
{
    uint64_t index = kv_applied_index(kv) + 1;
    struct kv_result r = kv_do(kv, KV_OP_REGISTER, 0, 0, NULL, NULL, 0);
    expect_result(&r, KV_CODE_OK, (int64_t)index, false, "REGISTER (its number: its index)");
    return index;
}

/* Fails unless r carries exactly value (value_size bytes); what says which command it was. */
static TEST_UNUSED void
expect_bytes(const struct kv_result *r, const void *value, size_t value_size, const char *what)
{
    if (r->value_size_bytes != value_size ||
        (value_size > 0 && (r->value == NULL || memcmp(r->value, value, value_size) != 0))) {
        fail_msg("%s: a value of %u bytes (\"%.*s\"); expected %zu bytes (\"%.*s\")", what,
                 r->value_size_bytes, r->value != NULL ? (int)r->value_size_bytes % 64 : 0,
                 r->value != NULL ? (const char *)r->value : "", value_size, (int)value_size % 64,
                 (const char *)value);
    }
}

/* Fails unless kv_get finds key holding value (value NULL: missing). */
static TEST_UNUSED void
expect_key(struct kv *kv, const void *key, size_t key_size, const void *value, size_t value_size,
           const char *when)
{
    struct kv_result r;
    kv_status st = kv_get(kv, key, key_size, &r);
    if (st != KV_OK) {
        fail_msg("%s: kv_get of %.*s returned %s; expected KV_OK", when, (int)key_size % 64,
                 (const char *)key, kv_status_name(st));
    }
    if (value == NULL && r.code != KV_CODE_NOT_FOUND) {
        fail_msg("%s: kv_get of %.*s found a value of %u bytes; expected KV_CODE_NOT_FOUND", when,
                 (int)key_size % 64, (const char *)key, r.value_size_bytes);
    }
    if (value != NULL) {
        char what[160];
        snprintf(what, sizeof(what), "%s: kv_get of %.*s", when, (int)key_size % 64,
                 (const char *)key);
        expect_result(&r, KV_CODE_OK, 0, false, what);
        expect_bytes(&r, value, value_size, what);
    }
}

/* expect_key of text. */
static TEST_UNUSED void
expect_text(struct kv *kv, const char *key, const char *value, const char *when)
{
    expect_key(kv, key, strlen(key), value, value != NULL ? strlen(value) : 0, when);
}

/* The kv's snapshot (owned); fails the test unless kv_snapshot returns KV_OK. */
static TEST_UNUSED uint8_t *
snapshot_of(struct kv *kv, size_t *size, const char *when)
{
    uint8_t *data = NULL;
    kv_status st = kv_snapshot(kv, &data, size);
    if (st != KV_OK || data == NULL) {
        fail_msg("%s: kv_snapshot returned %s%s; expected KV_OK", when, kv_status_name(st),
                 st == KV_OK ? " and no data" : "");
    }
    return data;
}

/* Fails unless kv's snapshot is want, byte for byte. */
static TEST_UNUSED void
expect_snapshot(struct kv *kv, const uint8_t *want, size_t want_size, const char *when)
{
    size_t size;
    uint8_t *got = snapshot_of(kv, &size, when);
    if (size != want_size || memcmp(got, want, size) != 0) {
        size_t at = 0;
        while (at < size && at < want_size && got[at] == want[at]) {
            at++;
        }
        free(got);
        fail_msg("%s: the kv's snapshot is %zu bytes, expected %zu, first different at byte %zu",
                 when, size, want_size, at);
    }
    free(got);
}

/* ---- A snapshot built by hand, in the README's format ------------------------------------- */

#define SNAP_HEADER_BYTES 24u
#define SNAP_SESSION_BYTES 40u
#define SNAP_BYTES_MAX (200u << 10)

struct snap {
    uint8_t bytes[SNAP_BYTES_MAX];
    size_t size;
};

/* Starts s: the header (its counts as given, whatever follows). */
static TEST_UNUSED void
snap_header(struct snap *s, uint32_t session_count, uint64_t applied_index, uint64_t key_count)
{
    raft_put_u32(s->bytes, KV_SNAPSHOT_MAGIC);
    raft_put_u32(s->bytes + 4, session_count);
    raft_put_u64(s->bytes + 8, applied_index);
    raft_put_u64(s->bytes + 16, key_count);
    s->size = SNAP_HEADER_BYTES;
}

static TEST_UNUSED void
snap_session(struct snap *s, uint64_t client_id, uint64_t last_seq, uint64_t last_index,
             int64_t number, uint8_t code)
{
    assert_true(s->size + SNAP_SESSION_BYTES <= SNAP_BYTES_MAX);
    uint8_t *p = s->bytes + s->size;
    memset(p, 0, SNAP_SESSION_BYTES);
    raft_put_u64(p, client_id);
    raft_put_u64(p + 8, last_seq);
    raft_put_u64(p + 16, last_index);
    raft_put_u64(p + 24, (uint64_t)number);
    p[32] = code;
    s->size += SNAP_SESSION_BYTES;
}

static TEST_UNUSED void
snap_key(struct snap *s, const void *key, uint32_t key_size, const void *value, uint32_t value_size)
{
    assert_true(s->size + 8 + key_size + value_size <= SNAP_BYTES_MAX);
    uint8_t *p = s->bytes + s->size;
    raft_put_u32(p, key_size);
    raft_put_u32(p + 4, value_size);
    memcpy(p + 8, key, key_size);
    memcpy(p + 8 + key_size, value, value_size);
    s->size += 8 + (size_t)key_size + value_size;
}

static TEST_UNUSED void
snap_text_key(struct snap *s, const char *key, const char *value)
{
    snap_key(s, key, (uint32_t)strlen(key), value, (uint32_t)strlen(value));
}

/* Ends s with the CRC-32C of everything before it. */
static TEST_UNUSED void
snap_seal(struct snap *s)
{
    assert_true(s->size + 4 <= SNAP_BYTES_MAX);
    raft_put_u32(s->bytes + s->size, bc_crc32c(0, s->bytes, s->size));
    s->size += 4;
}

/* A sealed s's checksum made right again after its bytes were changed. */
static TEST_UNUSED void
snap_reseal(struct snap *s)
{
    s->size -= 4;
    snap_seal(s);
}

#endif
