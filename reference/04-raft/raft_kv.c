/* raft_kv.c -- lab 04 part E: the replicated key-value store's state machine (raft_kv.h). Keys
 * live in a lab 03 Bitcask store; client sessions (Ongaro's dissertation, §6.3) in memory, in a
 * table of at most KV_SESSIONS_MAX found by client id and kept in order of last use. Read
 * kv_apply first, then the sessions; the snapshot format is in the README's part E, and
 * snapshot_check is its checker. */
#include "raft_kv.h"

#include "bc_internal.h"   /* bc_crc32c */
#include "raft_internal.h" /* raft_put_u32 and friends, RAFT_ENTRY_COMMAND */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Sessions: a fixed table, by client id and by last use --------------------------------- */

/* Open addressing with linear probing, at most half full (KV_SESSIONS_MAX of 2 x that many
 * positions), so a lookup expects about 1.5 probes (Knuth 6.4) and always finds an empty one. */
#define SESSION_TABLE_BITS 11u
#define SESSION_TABLE_SIZE (1u << SESSION_TABLE_BITS)
#define SESSION_TABLE_MASK (SESSION_TABLE_SIZE - 1u)
#define SESSION_NONE UINT16_MAX /* no slot: the ends of the order of use */
_Static_assert(SESSION_TABLE_SIZE >= 2u * KV_SESSIONS_MAX, "the table stays at most half full");
_Static_assert(KV_SESSIONS_MAX < SESSION_NONE, "slots are numbered in 16 bits");

struct session {
    uint64_t client_id;  /* the index of its REGISTER */
    uint64_t last_seq;   /* of the last command it ran; 0 after REGISTER */
    uint64_t last_index; /* of the last command it ran: its place in the order of use */
    int64_t number;      /* the last command's result, returned again to a duplicate */
    uint8_t code;        /* enum kv_code */
    uint16_t older;      /* the slot used just before it, or SESSION_NONE */
    uint16_t newer;      /* the slot used just after it, or SESSION_NONE */
};

/* Slots 0 .. count - 1 are open: a session is only ever closed to make room for a new one, which
 * takes its slot. The order of use runs from oldest to newest by last_index, which only grows,
 * so a session that runs a command moves to the newest end and the oldest is the one to evict. */
struct sessions {
    struct session slots[KV_SESSIONS_MAX];
    uint16_t table[SESSION_TABLE_SIZE]; /* slot + 1 of the session hashed near here; 0: empty */
    uint16_t count;
    uint16_t oldest, newest; /* SESSION_NONE when count is 0 */
};

static struct sessions *
sessions_new(void)
{
    struct sessions *s = calloc(1, sizeof(*s));
    if (s != NULL) {
        s->oldest = s->newest = SESSION_NONE;
    }
    return s;
}

/* Fibonacci hashing (Knuth 6.4): client ids are log indexes, often close together; multiplying
 * by 2^64 / phi spreads them over the top bits. */
static size_t
table_home(uint64_t client_id)
{
    return (size_t)((client_id * 0x9e3779b97f4a7c15ull) >> (64u - SESSION_TABLE_BITS));
}

/* The position holding client_id's slot, or the empty one where it would go. */
static size_t
table_find(const struct sessions *s, uint64_t client_id)
{
    size_t i = table_home(client_id);
    while (s->table[i] != 0 && s->slots[s->table[i] - 1].client_id != client_id) {
        i = (i + 1) & SESSION_TABLE_MASK;
    }
    return i;
}

/* Empties position hole, moving back each later entry of its run that may sit there (Knuth
 * 6.4, Algorithm R), so that no lookup stops early at the hole and no tombstones pile up. */
static void
table_remove(struct sessions *s, size_t hole)
{
    assert(s->table[hole] != 0);
    s->table[hole] = 0;
    for (size_t i = (hole + 1) & SESSION_TABLE_MASK; s->table[i] != 0;
         i = (i + 1) & SESSION_TABLE_MASK) {
        size_t home = table_home(s->slots[s->table[i] - 1].client_id);
        /* It may move unless its home lies after the hole, cyclically, up to i. */
        if (((i - home) & SESSION_TABLE_MASK) >= ((i - hole) & SESSION_TABLE_MASK)) {
            s->table[hole] = s->table[i];
            s->table[i] = 0;
            hole = i;
        }
    }
}

static struct session *
session_find(struct sessions *s, uint64_t client_id)
{
    size_t i = table_find(s, client_id);
    return s->table[i] != 0 ? &s->slots[s->table[i] - 1] : NULL;
}

static void
order_unlink(struct sessions *s, uint16_t slot)
{
    struct session *x = &s->slots[slot];
    if (x->older != SESSION_NONE) {
        s->slots[x->older].newer = x->newer;
    } else {
        s->oldest = x->newer;
    }
    if (x->newer != SESSION_NONE) {
        s->slots[x->newer].older = x->older;
    } else {
        s->newest = x->older;
    }
}

/* Puts slot at the newest end of the order of use, as of the command at index. */
static void
order_push_newest(struct sessions *s, uint16_t slot, uint64_t index)
{
    struct session *x = &s->slots[slot];
    assert(s->newest == SESSION_NONE || s->slots[s->newest].last_index < index);
    x->last_index = index;
    x->older = s->newest;
    x->newer = SESSION_NONE;
    if (s->newest != SESSION_NONE) {
        s->slots[s->newest].newer = slot;
    } else {
        s->oldest = slot;
    }
    s->newest = slot;
}

/* Opens the session of the REGISTER at index, closing the least recently used one first when
 * KV_SESSIONS_MAX are open. */
static void
session_open(struct sessions *s, uint64_t index)
{
    uint16_t slot = s->count;
    if (s->count == KV_SESSIONS_MAX) {
        slot = s->oldest;
        order_unlink(s, slot);
        table_remove(s, table_find(s, s->slots[slot].client_id));
    } else {
        s->count++;
    }
    size_t at = table_find(s, index);
    assert(s->table[at] == 0); /* an index is registered once */
    s->slots[slot] = (struct session){.client_id = index, .number = (int64_t)index};
    s->table[at] = (uint16_t)(slot + 1);
    order_push_newest(s, slot, index);
}

/* x ran the command numbered seq at index: its result is the one a duplicate gets. */
static void
session_save(struct sessions *s, struct session *x, uint64_t seq, uint64_t index,
             const struct kv_result *result)
{
    assert(seq > x->last_seq);
    x->last_seq = seq;
    x->code = result->code;
    x->number = result->number;
    uint16_t slot = (uint16_t)(x - s->slots);
    order_unlink(s, slot);
    order_push_newest(s, slot, index);
}

/* ---- The kv and its store ------------------------------------------------------------------ */

struct kv {
    struct bc_db *db;          /* owned; NULL only once a kv_restore could not reopen it */
    struct bc_options options; /* sync none; io never NULL */
    char dir[BC_PATH_MAX];
    uint64_t applied_index;
    struct sessions *sessions; /* owned */
    uint8_t *value; /* KV_VALUE_BYTES_MAX bytes: the value last read, which results borrow */
    bool is_failed; /* a store call failed: see raft_kv.h */
    char error[BC_ERROR_MAX];
};

/* The store failed st doing what: the kv is failed, and kv_last_error says why. */
static kv_status
store_failed(struct kv *kv, bc_status st, const char *what)
{
    char detail[BC_ERROR_MAX] = "";
    if (kv->db != NULL) {
        bc_last_error(kv->db, detail);
    }
    snprintf(kv->error, sizeof(kv->error), "%s: %s%s%.200s", what, bc_strerror(st),
             detail[0] != '\0' ? ": " : "", detail);
    kv->is_failed = true;
    return KV_STORE;
}

/* Whether name is one of the files a Bitcask store makes besides LOCK (bc_internal.h): data
 * files, hint files, and the .tmp files of a merge that did not finish. */
static bool
is_store_file(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL && dot != name &&
           (strcmp(dot, ".data") == 0 || strcmp(dot, ".hint") == 0 || strcmp(dot, ".tmp") == 0);
}

/* Names of store files one listing gathers: a bounded buffer on the stack, and no unlink while
 * a listing runs (bc_io does not say a list survives it). */
#define WIPE_BATCH_NAMES 16u

struct wipe_batch {
    char names[WIPE_BATCH_NAMES][BC_PATH_MAX];
    size_t count;
};

static int
wipe_collect_cb(const char *name, void *arg)
{
    struct wipe_batch *b = arg;
    if (!is_store_file(name) || strlen(name) >= BC_PATH_MAX) {
        return 0; /* not the store's; a name that long the store cannot have made */
    }
    snprintf(b->names[b->count++], BC_PATH_MAX, "%s", name);
    return b->count == WIPE_BATCH_NAMES; /* full: stop, and list again once these are gone */
}

/* Removes every file of the store in kv->dir (closed), holding its LOCK while it does, so that a
 * store another handle has open is refused rather than destroyed. Returns 0 or -errno. */
static int
store_wipe(const struct kv *kv)
{
    assert(kv->db == NULL);
    const struct bc_io *io = kv->options.io;
    int rc = io->mkdir(io->ctx, kv->dir);
    if (rc < 0 && rc != -EEXIST) {
        return rc;
    }
    char path[2 * BC_PATH_MAX];
    snprintf(path, sizeof(path), "%s/LOCK", kv->dir);
    int lock_fd = io->open(io->ctx, path, O_RDWR | O_CREAT);
    if (lock_fd < 0) {
        return lock_fd;
    }
    rc = io->lock(io->ctx, lock_fd);
    struct wipe_batch batch = {.count = WIPE_BATCH_NAMES};
    while (rc == 0 && batch.count == WIPE_BATCH_NAMES) { /* each round removes what it lists */
        batch.count = 0;
        int listed = io->list(io->ctx, kv->dir, wipe_collect_cb, &batch);
        rc = listed < 0 ? listed : 0;
        for (size_t i = 0; rc == 0 && i < batch.count; i++) {
            snprintf(path, sizeof(path), "%s/%s", kv->dir, batch.names[i]);
            rc = io->unlink(io->ctx, path);
        }
    }
    io->close(io->ctx, lock_fd);
    return rc;
}

/* Opens kv->dir's store empty. Returns KV_OK, KV_STORE or KV_NOMEM; kv->error says why. */
static kv_status
store_open_empty(struct kv *kv)
{
    int rc = store_wipe(kv);
    if (rc < 0) {
        snprintf(kv->error, sizeof(kv->error), "%.160s: cannot empty the store: %s", kv->dir,
                 rc == -EWOULDBLOCK ? "another handle has it open" : strerror(-rc));
        return KV_STORE;
    }
    bc_status st = bc_open(kv->dir, &kv->options, &kv->db, kv->error);
    if (st != BC_OK) {
        kv->db = NULL;
        return st == BC_NOMEM ? KV_NOMEM : KV_STORE;
    }
    return KV_OK;
}

void
kv_close(struct kv *kv)
{
    if (kv == NULL) {
        return;
    }
    if (kv->db != NULL) {
        bc_close(kv->db); /* what it failed to write is not needed: a node starts empty */
    }
    free(kv->sessions);
    free(kv->value);
    free(kv);
}

kv_status
kv_open(const char *dir, const struct bc_options *options, struct kv **out)
{
    assert(dir != NULL);
    assert(out != NULL);
    struct kv *kv = calloc(1, sizeof(*kv));
    if (kv == NULL) {
        return KV_NOMEM;
    }
    kv_status st = KV_NOMEM;
    kv->sessions = sessions_new();
    kv->value = malloc(KV_VALUE_BYTES_MAX);
    if (kv->sessions == NULL || kv->value == NULL) {
        goto fail;
    }
    st = KV_STORE;
    if (strlen(dir) >= sizeof(kv->dir)) {
        goto fail; /* bc_open would refuse it too */
    }
    snprintf(kv->dir, sizeof(kv->dir), "%s", dir);
    bc_options_default(&kv->options);
    if (options != NULL) {
        kv->options = *options;
    }
    kv->options.io = kv->options.io != NULL ? kv->options.io : &bc_io_posix;
    kv->options.sync = BC_SYNC_NONE; /* durability is Raft's: its log and snapshot */
    st = store_open_empty(kv);
    if (st != KV_OK) {
        goto fail;
    }
    *out = kv;
    return KV_OK;
fail:
    kv_close(kv);
    return st;
}

/* ---- Commands -------------------------------------------------------------------------------- */

/* Reads key into kv->value: *is_found, and *size_bytes when it is. */
static kv_status
store_read(struct kv *kv, const void *key, size_t key_size_bytes, bool *is_found,
           size_t *size_bytes)
{
    bc_status st = bc_get(kv->db, key, key_size_bytes, kv->value, KV_VALUE_BYTES_MAX, size_bytes);
    *is_found = st == BC_OK;
    if (st != BC_OK && st != BC_NOT_FOUND) {
        return store_failed(kv, st, "reading a key"); /* BC_TOO_BIG too: no kv wrote it */
    }
    return KV_OK;
}

/* key's value into *result, borrowed from kv->value: GET's, and kv_get's. */
static kv_status
run_get(struct kv *kv, const void *key, size_t key_size_bytes, struct kv_result *result)
{
    bool is_found;
    size_t size = 0;
    kv_status st = store_read(kv, key, key_size_bytes, &is_found, &size);
    if (st != KV_OK) {
        return st;
    }
    if (!is_found) {
        result->code = KV_CODE_NOT_FOUND;
        return KV_OK;
    }
    assert(size <= KV_VALUE_BYTES_MAX);
    result->value = kv->value;
    result->value_size_bytes = (uint32_t)size;
    return KV_OK;
}

/* Reads text as Redis's string2ll (util.c) does for INCR: an optional '-', then digits, the
 * first not '0' unless "0" is the whole text ("-0" and "007" are refused), nothing else, within
 * int64. The digits are gathered as a negative number, which has room for INT64_MIN, so one
 * bound check serves both signs. */
static bool
parse_int64(const uint8_t *text, size_t size_bytes, int64_t *out)
{
    if (size_bytes == 1 && text[0] == '0') {
        *out = 0;
        return true;
    }
    bool is_negative = size_bytes > 0 && text[0] == '-';
    size_t i = is_negative ? 1 : 0;
    if (size_bytes > KV_INTEGER_TEXT_MAX || i == size_bytes || text[i] < '1' || text[i] > '9') {
        return false;
    }
    int64_t negated = 0; /* minus the digits read so far */
    for (; i < size_bytes; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        int digit = text[i] - '0';
        /* negated * 10 - digit >= INT64_MIN, with C's division rounding toward zero (up). */
        if (negated < (INT64_MIN + digit) / 10) {
            return false;
        }
        negated = negated * 10 - digit;
    }
    if (!is_negative && negated == INT64_MIN) {
        return false; /* 9223372036854775808 */
    }
    *out = is_negative ? negated : -negated;
    return true;
}

static kv_status
run_incr(struct kv *kv, const struct kv_command *cmd, struct kv_result *result)
{
    bool is_found;
    size_t size = 0;
    kv_status st = store_read(kv, cmd->key, cmd->key_size_bytes, &is_found, &size);
    if (st != KV_OK) {
        return st;
    }
    int64_t value = 0, sum;
    if (is_found && !parse_int64(kv->value, size, &value)) {
        result->code = KV_CODE_NOT_AN_INTEGER;
        return KV_OK;
    }
    if (__builtin_add_overflow(value, cmd->delta, &sum)) {
        result->code = KV_CODE_OVERFLOW;
        return KV_OK;
    }
    char text[KV_INTEGER_TEXT_MAX + 1];
    int n = snprintf(text, sizeof(text), "%" PRId64, sum);
    assert(n > 0);
    assert((size_t)n <= KV_INTEGER_TEXT_MAX);
    bc_status put = bc_put(kv->db, cmd->key, cmd->key_size_bytes, text, (size_t)n);
    if (put != BC_OK) {
        return store_failed(kv, put, "INCR");
    }
    result->number = sum;
    return KV_OK;
}

/* Runs cmd (not REGISTER) on the store. */
static kv_status
run_command(struct kv *kv, const struct kv_command *cmd, struct kv_result *result)
{
    bc_status st = BC_OK;
    switch (cmd->op) {
    case KV_OP_PUT:
        st = bc_put(kv->db, cmd->key, cmd->key_size_bytes, cmd->value, cmd->value_size_bytes);
        return st == BC_OK ? KV_OK : store_failed(kv, st, "PUT");
    case KV_OP_GET:
        return run_get(kv, cmd->key, cmd->key_size_bytes, result);
    case KV_OP_DELETE:
        st = bc_delete(kv->db, cmd->key, cmd->key_size_bytes);
        if (st == BC_NOT_FOUND) {
            result->code = KV_CODE_NOT_FOUND;
            return KV_OK;
        }
        if (st != BC_OK) {
            return store_failed(kv, st, "DELETE");
        }
        result->number = 1;
        return KV_OK;
    case KV_OP_INCR:
        return run_incr(kv, cmd, result);
    default:
        assert(false); /* kv_command_decode let no other op through */
        return KV_BAD_COMMAND;
    }
}

/* A decoded command at index, through its session if it names one (§6.3: each command runs once,
 * however often a client retries it). */
static kv_status
apply_command(struct kv *kv, uint64_t index, const struct kv_command *cmd, struct kv_result *result)
{
    if (cmd->op == KV_OP_REGISTER) {
        assert(index <= INT64_MAX); /* the client id travels as an int64 result */
        session_open(kv->sessions, index);
        result->number = (int64_t)index;
        return KV_OK;
    }
    struct session *s = NULL;
    if (cmd->client_id != 0) {
        s = session_find(kv->sessions, cmd->client_id);
        if (s == NULL) {
            result->code = KV_CODE_SESSION_EXPIRED;
            return KV_OK;
        }
        if (cmd->seq == s->last_seq) {
            result->code = s->code;
            result->number = s->number;
            result->is_duplicate = true;
            return KV_OK;
        }
        if (cmd->seq < s->last_seq) {
            result->code = KV_CODE_STALE;
            return KV_OK;
        }
    }
    kv_status st = run_command(kv, cmd, result);
    if (st == KV_OK && s != NULL) {
        session_save(kv->sessions, s, cmd->seq, index, result);
    }
    return st;
}

kv_status
kv_apply(struct kv *kv, uint64_t index, uint8_t entry_type, const uint8_t *data, size_t size_bytes,
         struct kv_result *result)
{
    assert(kv != NULL);
    assert(result != NULL);
    memset(result, 0, sizeof(*result)); /* KV_CODE_OK, number 0, no value */
    if (kv->is_failed) {
        return KV_STORE;
    }
    if (index != kv->applied_index + 1) {
        return KV_OUT_OF_ORDER;
    }
    struct kv_command cmd;
    if (entry_type == RAFT_ENTRY_COMMAND && kv_command_decode(data, size_bytes, &cmd) == KV_OK) {
        kv_status st = apply_command(kv, index, &cmd, result);
        if (st != KV_OK) {
            memset(result, 0, sizeof(*result));
            return st;
        }
    }
    kv->applied_index = index;
    return KV_OK;
}

uint64_t
kv_applied_index(const struct kv *kv)
{
    return kv->applied_index;
}

kv_status
kv_get(struct kv *kv, const void *key, size_t key_size_bytes, struct kv_result *result)
{
    assert(result != NULL);
    memset(result, 0, sizeof(*result));
    if (key_size_bytes == 0 || key_size_bytes > KV_KEY_BYTES_MAX) {
        return KV_BAD_COMMAND;
    }
    if (kv->is_failed) {
        return KV_STORE;
    }
    return run_get(kv, key, key_size_bytes, result);
}

size_t
kv_key_count(const struct kv *kv)
{
    if (kv->db == NULL) {
        return 0;
    }
    struct bc_stats stats;
    bc_stats(kv->db, &stats);
    return (size_t)stats.key_count;
}

size_t
kv_session_count(const struct kv *kv)
{
    return kv->sessions->count;
}

void
kv_last_error(struct kv *kv, char out[BC_ERROR_MAX])
{
    snprintf(out, BC_ERROR_MAX, "%s", kv->error);
}

/* ---- Snapshots (the format is in the README's part E) -------------------------------------- */

#define SNAPSHOT_HEADER_BYTES 24u    /* magic, session count, applied index, key count */
#define SNAPSHOT_SESSION_BYTES 40u   /* client id, last seq, last index, number, code, 7 zeros */
#define SNAPSHOT_KEY_HEADER_BYTES 8u /* key size, value size */
#define SNAPSHOT_CHECKSUM_BYTES 4u   /* the CRC-32C of everything before it */
#define SNAPSHOT_BUF_BYTES_MIN 4096u /* a snapshot buffer's first size; it doubles from there */

/* A growable array of bytes. */
struct buf {
    uint8_t *data; /* owned */
    size_t size_bytes, capacity_bytes;
};

/* Makes room for more_bytes past b's end, doubling; false when out of memory (b unchanged). */
static bool
buf_reserve(struct buf *b, size_t more_bytes)
{
    size_t capacity = b->capacity_bytes > 0 ? b->capacity_bytes : SNAPSHOT_BUF_BYTES_MIN;
    while (capacity - b->size_bytes < more_bytes) {
        if (capacity > SIZE_MAX / 2) {
            return false;
        }
        capacity *= 2;
    }
    if (capacity == b->capacity_bytes) {
        return true;
    }
    uint8_t *grown = realloc(b->data, capacity);
    if (grown == NULL) {
        return false;
    }
    b->data = grown;
    b->capacity_bytes = capacity;
    return true;
}

static bool
buf_append(struct buf *b, const void *bytes, size_t size_bytes)
{
    if (!buf_reserve(b, size_bytes)) {
        return false;
    }
    if (size_bytes > 0) {
        memcpy(b->data + b->size_bytes, bytes, size_bytes);
    }
    b->size_bytes += size_bytes;
    return true;
}

/* The order keys go in a snapshot: bytewise, a key before the longer keys it begins. */
static int
key_compare(const uint8_t *a, size_t a_size_bytes, const uint8_t *b, size_t b_size_bytes)
{
    int c = memcmp(a, b, a_size_bytes < b_size_bytes ? a_size_bytes : b_size_bytes);
    return c != 0 ? c : (a_size_bytes > b_size_bytes) - (a_size_bytes < b_size_bytes);
}

/* One key the store holds, among the keys bc_fold gathered. */
struct key_ref {
    size_t offset; /* of its bytes in key_list.bytes */
    uint32_t size_bytes;
    const uint8_t *bytes; /* set once every key is gathered and the bytes move no more */
};

struct key_list {
    struct buf bytes; /* every key's bytes, one after another */
    struct buf refs;  /* count struct key_ref */
    size_t count;
    bool is_out_of_memory;
};

static int
gather_key_cb(const void *key, size_t key_size_bytes, void *arg)
{
    struct key_list *l = arg;
    struct key_ref ref = {.offset = l->bytes.size_bytes, .size_bytes = (uint32_t)key_size_bytes};
    if (!buf_append(&l->bytes, key, key_size_bytes) || !buf_append(&l->refs, &ref, sizeof(ref))) {
        l->is_out_of_memory = true;
        return 1;
    }
    l->count++;
    return 0;
}

static int
key_ref_compare(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    return key_compare(x->bytes, x->size_bytes, y->bytes, y->size_bytes);
}

/* Every key of the store, in snapshot order. bc_fold's callback may not call the store, so the
 * keys are copied out first and their values read afterwards. */
static kv_status
keys_gather(struct kv *kv, struct key_list *l)
{
    bc_status st = bc_fold(kv->db, gather_key_cb, l);
    if (l->is_out_of_memory) {
        return KV_NOMEM;
    }
    if (st != BC_OK) {
        return store_failed(kv, st, "listing the keys");
    }
    struct key_ref *refs = (struct key_ref *)(void *)l->refs.data;
    for (size_t i = 0; i < l->count; i++) {
        refs[i].bytes = l->bytes.data + refs[i].offset;
    }
    if (l->count > 1) {
        qsort(refs, l->count, sizeof(*refs), key_ref_compare);
    }
    return KV_OK;
}

static int
session_id_compare(const void *a, const void *b)
{
    const struct session *x = *(const struct session *const *)a;
    const struct session *y = *(const struct session *const *)b;
    return (x->client_id > y->client_id) - (x->client_id < y->client_id);
}

/* The header and the sessions, by client id, into out (empty). */
static kv_status
snapshot_head(const struct kv *kv, size_t key_count, struct buf *out)
{
    const struct sessions *s = kv->sessions;
    assert(out->size_bytes == 0);
    if (!buf_reserve(out, SNAPSHOT_HEADER_BYTES + (size_t)s->count * SNAPSHOT_SESSION_BYTES)) {
        return KV_NOMEM;
    }
    uint8_t *p = out->data;
    raft_put_u32(p, KV_SNAPSHOT_MAGIC);
    raft_put_u32(p + 4, s->count);
    raft_put_u64(p + 8, kv->applied_index);
    raft_put_u64(p + 16, key_count);
    p += SNAPSHOT_HEADER_BYTES;
    const struct session *order[KV_SESSIONS_MAX];
    for (uint16_t i = 0; i < s->count; i++) {
        order[i] = &s->slots[i];
    }
    if (s->count > 1) {
        qsort(order, s->count, sizeof(*order), session_id_compare);
    }
    for (uint16_t i = 0; i < s->count; i++, p += SNAPSHOT_SESSION_BYTES) {
        memset(p, 0, SNAPSHOT_SESSION_BYTES);
        raft_put_u64(p, order[i]->client_id);
        raft_put_u64(p + 8, order[i]->last_seq);
        raft_put_u64(p + 16, order[i]->last_index);
        raft_put_u64(p + 24, (uint64_t)order[i]->number);
        p[32] = order[i]->code;
    }
    out->size_bytes = (size_t)(p - out->data);
    return KV_OK;
}

/* One key and its value, read from the store, onto out. */
static kv_status
snapshot_key(struct kv *kv, const struct key_ref *ref, struct buf *out)
{
    bool is_found;
    size_t value_size = 0;
    kv_status st = store_read(kv, ref->bytes, ref->size_bytes, &is_found, &value_size);
    if (st != KV_OK) {
        return st;
    }
    if (!is_found) {
        return store_failed(kv, BC_NOT_FOUND, "a key bc_fold listed");
    }
    uint8_t sizes[SNAPSHOT_KEY_HEADER_BYTES];
    raft_put_u32(sizes, ref->size_bytes);
    raft_put_u32(sizes + 4, (uint32_t)value_size);
    bool is_room = buf_reserve(out, sizeof(sizes) + ref->size_bytes + value_size);
    if (!is_room) {
        return KV_NOMEM;
    }
    buf_append(out, sizes, sizeof(sizes)); /* cannot fail now: the room is there */
    buf_append(out, ref->bytes, ref->size_bytes);
    buf_append(out, kv->value, value_size);
    return KV_OK;
}

kv_status
kv_snapshot(struct kv *kv, uint8_t **data, size_t *size_bytes)
{
    assert(data != NULL);
    assert(size_bytes != NULL);
    if (kv->is_failed) {
        return KV_STORE;
    }
    struct key_list keys = {0};
    struct buf out = {0};
    kv_status st = keys_gather(kv, &keys);
    if (st == KV_OK) {
        st = snapshot_head(kv, keys.count, &out);
    }
    const struct key_ref *refs = (const struct key_ref *)(void *)keys.refs.data;
    for (size_t i = 0; st == KV_OK && i < keys.count; i++) {
        st = snapshot_key(kv, &refs[i], &out);
    }
    if (st == KV_OK && !buf_reserve(&out, SNAPSHOT_CHECKSUM_BYTES)) {
        st = KV_NOMEM;
    }
    free(keys.bytes.data);
    free(keys.refs.data);
    if (st != KV_OK) {
        free(out.data);
        return st;
    }
    raft_put_u32(out.data + out.size_bytes, bc_crc32c(0, out.data, out.size_bytes));
    out.size_bytes += SNAPSHOT_CHECKSUM_BYTES;
    *data = out.data;
    *size_bytes = out.size_bytes;
    return KV_OK;
}

/* What snapshot_check found in a snapshot. */
struct snapshot_view {
    uint64_t applied_index;
    uint32_t session_count;
    uint64_t key_count;
    const uint8_t *sessions; /* session_count records */
    const uint8_t *keys;     /* key_count records, up to the checksum */
};

/* Sessions as kv_snapshot writes them: client ids rising, each no later than its last command,
 * which is applied; a saved code a command can end with; the padding zero. */
static bool
sessions_check(const uint8_t *p, uint32_t count, uint64_t applied_index)
{
    uint64_t previous_id = 0;
    for (uint32_t i = 0; i < count; i++, p += SNAPSHOT_SESSION_BYTES) {
        uint64_t id = raft_get_u64(p);
        uint64_t last_index = raft_get_u64(p + 16);
        if (id <= previous_id || last_index < id || last_index > applied_index) {
            return false;
        }
        if (p[32] > KV_CODE_OVERFLOW) {
            return false; /* SESSION_EXPIRED and STALE are never saved */
        }
        for (unsigned b = 33; b < SNAPSHOT_SESSION_BYTES; b++) {
            if (p[b] != 0) {
                return false;
            }
        }
        previous_id = id;
    }
    return true;
}

/* count keys from p filling exactly up to end, each within its bounds, in rising order. */
static bool
keys_check(const uint8_t *p, const uint8_t *end, uint64_t count)
{
    const uint8_t *previous = NULL;
    uint32_t previous_size = 0;
    for (uint64_t i = 0; i < count; i++) {
        if ((size_t)(end - p) < SNAPSHOT_KEY_HEADER_BYTES) {
            return false;
        }
        uint32_t key_size = raft_get_u32(p);
        uint32_t value_size = raft_get_u32(p + 4);
        p += SNAPSHOT_KEY_HEADER_BYTES;
        if (key_size == 0 || key_size > KV_KEY_BYTES_MAX || value_size > KV_VALUE_BYTES_MAX ||
            (size_t)(end - p) < (size_t)key_size + value_size) {
            return false;
        }
        if (previous != NULL && key_compare(previous, previous_size, p, key_size) >= 0) {
            return false;
        }
        previous = p;
        previous_size = key_size;
        p += (size_t)key_size + value_size;
    }
    return p == end;
}

/* Whether data is a whole snapshot kv_snapshot could have written: *v says what it holds. */
static bool
snapshot_check(const uint8_t *data, size_t size_bytes, struct snapshot_view *v)
{
    if (data == NULL || size_bytes < SNAPSHOT_HEADER_BYTES + SNAPSHOT_CHECKSUM_BYTES) {
        return false;
    }
    size_t body_bytes = size_bytes - SNAPSHOT_CHECKSUM_BYTES;
    if (raft_get_u32(data + body_bytes) != bc_crc32c(0, data, body_bytes) ||
        raft_get_u32(data) != KV_SNAPSHOT_MAGIC) {
        return false;
    }
    v->session_count = raft_get_u32(data + 4);
    v->applied_index = raft_get_u64(data + 8);
    v->key_count = raft_get_u64(data + 16);
    if (v->session_count > KV_SESSIONS_MAX ||
        (body_bytes - SNAPSHOT_HEADER_BYTES) / SNAPSHOT_SESSION_BYTES < v->session_count) {
        return false;
    }
    v->sessions = data + SNAPSHOT_HEADER_BYTES;
    v->keys = v->sessions + (size_t)v->session_count * SNAPSHOT_SESSION_BYTES;
    return sessions_check(v->sessions, v->session_count, v->applied_index) &&
           keys_check(v->keys, data + body_bytes, v->key_count);
}

static int
session_use_compare(const void *a, const void *b)
{
    const struct session *x = *(const struct session *const *)a;
    const struct session *y = *(const struct session *const *)b;
    return (x->last_index > y->last_index) - (x->last_index < y->last_index);
}

/* Fills s (new) with the checked sessions of v, in their order of use. False when two share a
 * last index, which no kv_snapshot writes (an index runs one command). */
static bool
sessions_load(struct sessions *s, const struct snapshot_view *v)
{
    assert(s->count == 0);
    struct session *order[KV_SESSIONS_MAX];
    const uint8_t *p = v->sessions;
    for (uint32_t i = 0; i < v->session_count; i++, p += SNAPSHOT_SESSION_BYTES) {
        s->slots[i] = (struct session){.client_id = raft_get_u64(p),
                                       .last_seq = raft_get_u64(p + 8),
                                       .last_index = raft_get_u64(p + 16),
                                       .number = (int64_t)raft_get_u64(p + 24),
                                       .code = p[32]};
        order[i] = &s->slots[i];
        size_t at = table_find(s, s->slots[i].client_id);
        assert(s->table[at] == 0); /* sessions_check: client ids rise */
        s->table[at] = (uint16_t)(i + 1);
    }
    s->count = (uint16_t)v->session_count;
    if (s->count > 1) {
        qsort(order, s->count, sizeof(*order), session_use_compare);
    }
    for (uint16_t i = 0; i < s->count; i++) {
        if (i > 0 && order[i]->last_index == order[i - 1]->last_index) {
            return false;
        }
        order_push_newest(s, (uint16_t)(order[i] - s->slots), order[i]->last_index);
    }
    return true;
}

/* The store emptied and loaded with v's keys. On an error the kv is failed. */
static kv_status
store_reload(struct kv *kv, const struct snapshot_view *v)
{
    if (kv->db != NULL) {
        bc_close(kv->db); /* its bytes are going: a failed final sync does not matter */
        kv->db = NULL;
    }
    if (store_open_empty(kv) != KV_OK) {
        kv->is_failed = true;
        return KV_STORE;
    }
    const uint8_t *p = v->keys;
    for (uint64_t i = 0; i < v->key_count; i++) {
        uint32_t key_size = raft_get_u32(p);
        uint32_t value_size = raft_get_u32(p + 4);
        const uint8_t *key = p + SNAPSHOT_KEY_HEADER_BYTES;
        bc_status st = bc_put(kv->db, key, key_size, key + key_size, value_size);
        if (st != BC_OK) {
            return store_failed(kv, st, "restoring a key");
        }
        p = key + key_size + value_size;
    }
    return KV_OK;
}

kv_status
kv_restore(struct kv *kv, const uint8_t *data, size_t size_bytes)
{
    assert(kv != NULL);
    struct snapshot_view v;
    if (!snapshot_check(data, size_bytes, &v)) {
        return KV_BAD_SNAPSHOT;
    }
    struct sessions *sessions = sessions_new();
    if (sessions == NULL) {
        return KV_NOMEM;
    }
    if (!sessions_load(sessions, &v)) {
        free(sessions);
        return KV_BAD_SNAPSHOT;
    }
    /* Everything is checked: from here on the kv changes. */
    kv_status st = store_reload(kv, &v);
    if (st != KV_OK) {
        free(sessions);
        return st;
    }
    free(kv->sessions);
    kv->sessions = sessions;
    kv->applied_index = v.applied_index;
    kv->is_failed = false;
    return KV_OK;
}
