/* commands_given.c -- lab 01's given command code (students do not change it): the helpers
 * every handler shares (commands.h), and the commands that are boilerplate over store.h's
 * calls: DBSIZE, FLUSHALL, FLUSHDB, SELECT, TIME, TYPE, OBJECT, TOUCH, RANDOMKEY, KEYS and SCAN.
 * The catalog that dispatches to them is commands_catalog_given.c. Replies are Redis 7.0's:
 * src/db.c and src/server.c are where to compare. */
#include "commands.h"
#include "glob.h"

#include "dict.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Helpers ------------------------------------------------------------------------------ */

cmd_status
cmd_replied(resp_status status)
{
    return status == RESP_OK ? CMD_OK : CMD_NOMEM;
}

cmd_status
cmd_reply_ok(struct resp_buf *out)
{
    return cmd_replied(resp_buf_simple(out, "OK"));
}

cmd_status
cmd_reply_arity(struct resp_buf *out, const char *fullname)
{
    return cmd_replied(
        resp_buf_errorf(out, "ERR wrong number of arguments for '%s' command", fullname));
}

cmd_status
cmd_reply_value(struct resp_buf *out, const struct store_value *v)
{
    if (v == NULL) {
        return cmd_replied(resp_buf_null_bulk(out));
    }
    return cmd_replied(resp_buf_bulk(out, v->bytes, v->size_bytes));
}

bool
cmd_arg_is(const struct resp_arg *arg, const char *word)
{
    size_t size = strlen(word);
    return arg->size_bytes == size && strncasecmp(arg->bytes, word, size) == 0;
}

bool
cmd_parse_i64(const char *bytes, size_t size_bytes, int64_t *value)
{
    if (size_bytes == 0 || size_bytes > 20) {
        return false;
    }
    if (size_bytes == 1 && bytes[0] == '0') {
        *value = 0;
        return true;
    }
    bool is_negative = bytes[0] == '-';
    size_t i = is_negative ? 1 : 0;
    if (i == size_bytes || bytes[i] < '1' || bytes[i] > '9') {
        return false;
    }
    uint64_t magnitude = 0;
    for (; i < size_bytes; i++) {
        if (bytes[i] < '0' || bytes[i] > '9') {
            return false;
        }
        unsigned digit = (unsigned)(bytes[i] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10) {
            return false;
        }
        magnitude = magnitude * 10 + digit;
    }
    uint64_t limit = is_negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (magnitude > limit) {
        return false;
    }
    *value = is_negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return true;
}

bool
cmd_parse_long_double(const char *bytes, size_t size_bytes, long double *value)
{
    char text[CMD_LONG_DOUBLE_TEXT_SIZE_BYTES_MAX + 1];
    if (size_bytes == 0 || size_bytes > CMD_LONG_DOUBLE_TEXT_SIZE_BYTES_MAX ||
        isspace((unsigned char)bytes[0])) {
        return false;
    }
    memcpy(text, bytes, size_bytes);
    text[size_bytes] = '\0';
    char *end = NULL;
    errno = 0;
    long double parsed = strtold(text, &end);
    /* string2ld: the whole text, no overflow, no NaN (an infinity is refused by the caller). */
    if ((size_t)(end - text) != size_bytes || errno == ERANGE || isnan(parsed)) {
        return false;
    }
    *value = parsed;
    return true;
}

size_t
cmd_format_long_double(long double value, char *text, size_t text_size_bytes)
{
    assert(text_size_bytes > 0);
    int length = snprintf(text, text_size_bytes, "%.17Lf", value);
    if (length <= 0 || (size_t)length >= text_size_bytes) {
        return 0;
    }
    if (strchr(text, '.') != NULL) { /* drop trailing zeros, then a trailing '.' */
        while (text[length - 1] == '0') {
            length--;
        }
        if (text[length - 1] == '.') {
            length--;
        }
    }
    if (length == 2 && text[0] == '-' && text[1] == '0') {
        text[0] = '0';
        length = 1;
    }
    text[length] = '\0';
    return (size_t)length;
}

cmd_status
cmd_reply_unknown_subcommand(struct resp_buf *out, const struct resp_arg *sub, const char *upper)
{
    return cmd_replied(resp_buf_errorf(out, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                                       (int)strnlen(sub->bytes, 128), sub->bytes, upper));
}

/* ---- The keyspace as a whole -------------------------------------------------------------- */

cmd_status
cmd_dbsize(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)req;
    (void)now_ms;
    return cmd_replied(resp_buf_integer(out, (int64_t)store_size(s)));
}

/* FLUSHALL and FLUSHDB [ASYNC|SYNC]: both flush at once here (getFlushCommandFlags, db.c). */
cmd_status
cmd_flushall(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)now_ms;
    if (req->argc > 2 || (req->argc == 2 && !cmd_arg_is(&req->argv[1], "async") &&
                          !cmd_arg_is(&req->argv[1], "sync"))) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
    }
    store_flush(s);
    return cmd_reply_ok(out);
}

cmd_status
cmd_flushdb(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return cmd_flushall(s, req, now_ms, out); /* one database: the same thing */
}

cmd_status
cmd_select(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    int64_t index;
    if (!cmd_parse_i64(req->argv[1].bytes, req->argv[1].size_bytes, &index) || index < INT32_MIN ||
        index > INT32_MAX) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    if (index != 0) {
        return cmd_replied(resp_buf_error(out, "ERR DB index is out of range")); /* one database */
    }
    return cmd_reply_ok(out);
}

/* TIME: the server's clock, now_ms, as seconds and microseconds (whole milliseconds here). */
cmd_status
cmd_time(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    char seconds[CMD_I64_TEXT_SIZE_BYTES], micros[CMD_I64_TEXT_SIZE_BYTES];
    int seconds_size =
        snprintf(seconds, sizeof(seconds), "%llu", (unsigned long long)(now_ms / 1000));
    int micros_size =
        snprintf(micros, sizeof(micros), "%llu", (unsigned long long)(now_ms % 1000 * 1000));
    assert(seconds_size > 0 && micros_size > 0);
    resp_status status = resp_buf_array(out, 2);
    status = status == RESP_OK ? resp_buf_bulk(out, seconds, (size_t)seconds_size) : status;
    return cmd_replied(status == RESP_OK ? resp_buf_bulk(out, micros, (size_t)micros_size)
                                         : status);
}

/* ---- One key ------------------------------------------------------------------------------ */

cmd_status
cmd_type(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    bool is_found = store_lookup(s, key->bytes, key->size_bytes, now_ms) != NULL;
    return cmd_replied(resp_buf_simple(out, is_found ? "string" : "none")); /* strings only */
}

/* Redis's encoding of a string value by its bytes (tryObjectEncoding, object.c): "int" for an
 * integer of at most 20 bytes, "embstr" up to 44 bytes, else "raw". Redis also turns a value
 * that APPEND or SETRANGE changed into "raw"; this store does not remember that. */
static const char *
string_encoding(const struct store_value *v)
{
    int64_t ignored;
    if (v->size_bytes <= 20 && cmd_parse_i64(v->bytes, v->size_bytes, &ignored)) {
        return "int";
    }
    return v->size_bytes <= 44 ? "embstr" : "raw";
}

/* OBJECT ENCODING key; the other subcommands need what this store does not keep (LRU, LFU,
 * reference counts). */
cmd_status
cmd_object(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    if (!cmd_arg_is(&req->argv[1], "encoding")) {
        return cmd_reply_unknown_subcommand(out, &req->argv[1], "OBJECT");
    }
    if (req->argc != 3) {
        return cmd_reply_arity(out, "object|encoding");
    }
    const struct resp_arg *key = &req->argv[2];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL) {
        return cmd_replied(resp_buf_null_bulk(out));
    }
    const char *encoding = string_encoding(v);
    return cmd_replied(resp_buf_bulk(out, encoding, strlen(encoding)));
}

cmd_status
cmd_touch(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t found = 0; /* nothing to touch: no LRU clock here; a key named twice counts twice */
    for (size_t i = 1; i < req->argc; i++) {
        found += store_lookup(s, req->argv[i].bytes, req->argv[i].size_bytes, now_ms) != NULL;
    }
    return cmd_replied(resp_buf_integer(out, found));
}

/* Deletes the expired key of entry e through a copy of its name: store_delete frees e, and
 * with it the bytes a call would otherwise still be reading. Returns false on out of memory. */
static bool
delete_expired_entry(struct store *s, const struct dict_entry *e)
{
    char small[CMD_KEY_COPY_SIZE_BYTES];
    char *copy = e->key_size_bytes <= sizeof(small) ? small : malloc(e->key_size_bytes);
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, e->key, e->key_size_bytes);
    bool is_deleted = store_delete(s, copy, e->key_size_bytes);
    assert(is_deleted); /* e was in the store */
    if (copy != small) {
        free(copy);
    }
    return true;
}

/* RANDOMKEY: dbRandomKey (db.c). A master, which this server is, deletes each expired key it
 * draws and draws again until it finds a live one or the keyspace is empty, so it answers nil
 * only when no live key exists; Redis's cap of 100 draws when every key has a TTL applies to
 * replicas alone, which cannot delete. Each draw either returns or deletes a key, so this ends
 * after at most store_size(s) + 1 draws. */
cmd_status
cmd_randomkey(struct store *s, const struct resp_request *req, uint64_t now_ms,
              struct resp_buf *out)
{
    (void)req;
    for (size_t size = store_size(s); size > 0; size = store_size(s)) {
        const struct dict_entry *e = dict_random_entry(store_keys(s), store_rng_state(s));
        assert(e != NULL); /* the dict is not empty */
        const struct store_value *v = e->value;
        if (v->expire_at_ms == STORE_EXPIRE_NONE || (int64_t)now_ms <= v->expire_at_ms) {
            return cmd_replied(resp_buf_bulk(out, e->key, e->key_size_bytes));
        }
        if (!delete_expired_entry(s, e)) {
            return CMD_NOMEM;
        }
        assert(store_size(s) == size - 1); /* the expired key drawn is gone: the loop ends */
    }
    return cmd_replied(resp_buf_null_bulk(out));
}

/* ---- KEYS and SCAN ------------------------------------------------------------------------ */

/* The entries a walk collected, to reply with once their count is known. */
struct entry_list {
    const struct dict_entry **entries; /* owned array of borrowed entries */
    size_t count;
    size_t capacity;
    bool is_out_of_memory;
};

static void
collect_cb(const struct dict_entry *entry, void *ctx)
{
    struct entry_list *l = ctx;
    if (l->count == l->capacity) {
        size_t capacity = l->capacity == 0 ? 16 : 2 * l->capacity;
        const struct dict_entry **grown = realloc(l->entries, capacity * sizeof(*grown));
        if (grown == NULL) {
            l->is_out_of_memory = true;
            return;
        }
        l->entries = grown;
        l->capacity = capacity;
    }
    l->entries[l->count++] = entry;
}

/* Keeps the entries whose key matches pattern (NULL: all) and that have not expired at now_ms
 * (KEYS and SCAN skip those, as keyIsExpired and expireIfNeeded do), then replies with them. */
static cmd_status
reply_live_matches(struct entry_list *l, const struct resp_arg *pattern, uint64_t now_ms,
                   struct resp_buf *out)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->count; i++) {
        const struct dict_entry *e = l->entries[i];
        const struct store_value *v = e->value;
        bool is_expired = v->expire_at_ms != STORE_EXPIRE_NONE && (int64_t)now_ms > v->expire_at_ms;
        if (!is_expired && (pattern == NULL || glob_match(pattern->bytes, pattern->size_bytes,
                                                          e->key, e->key_size_bytes))) {
            l->entries[kept++] = e;
        }
    }
    resp_status status = resp_buf_array(out, kept);
    for (size_t i = 0; i < kept && status == RESP_OK; i++) {
        status = resp_buf_bulk(out, l->entries[i]->key, l->entries[i]->key_size_bytes);
    }
    return cmd_replied(status);
}

/* KEYS pattern: a walk of the whole keyspace, O(keys), as Redis warns. */
cmd_status
cmd_keys(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    struct entry_list l = {0};
    uint64_t cursor = 0;
    do {
        cursor = dict_scan(store_keys(s), cursor, collect_cb, &l);
    } while (cursor != 0 && !l.is_out_of_memory);
    bool is_all = req->argv[1].size_bytes == 1 && req->argv[1].bytes[0] == '*';
    cmd_status status = l.is_out_of_memory
                            ? CMD_NOMEM
                            : reply_live_matches(&l, is_all ? NULL : &req->argv[1], now_ms, out);
    free(l.entries);
    return status;
}

struct scan_options {
    uint64_t cursor;
    int64_t count;
    const struct resp_arg *pattern; /* NULL: every key */
    bool is_other_type;             /* TYPE names a type no key here has: nothing matches */
};

/* SCAN's cursor and options as scanGenericCommand (db.c) reads them, in its order. Returns
 * true, replying nothing, when they are fine; else replies the error and sets *replied to its
 * status. */
static bool
scan_parse(const struct resp_request *req, struct scan_options *o, struct resp_buf *out,
           cmd_status *replied)
{
    const char *cursor_text = req->argv[1].bytes; /* '\0'-terminated, as resp.h promises */
    char *end = NULL;
    errno = 0;
    o->cursor = strtoull(cursor_text, &end, 10); /* strtoul, as parseScanCursorOrReply */
    if (isspace((unsigned char)cursor_text[0]) || *end != '\0' || errno == ERANGE) {
        *replied = cmd_replied(resp_buf_error(out, "ERR invalid cursor"));
        return false;
    }
    o->count = 10;
    for (size_t j = 2; j < req->argc; j += 2) {
        const struct resp_arg *option = &req->argv[j];
        if (j + 1 == req->argc) {
            *replied = cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
            return false;
        }
        const struct resp_arg *value = &req->argv[j + 1];
        if (cmd_arg_is(option, "count")) {
            if (!cmd_parse_i64(value->bytes, value->size_bytes, &o->count)) {
                *replied = cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
                return false;
            }
            if (o->count < 1) {
                *replied = cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
                return false;
            }
        } else if (cmd_arg_is(option, "match")) {
            bool is_all = value->size_bytes == 1 && value->bytes[0] == '*';
            o->pattern = is_all ? NULL : value;
        } else if (cmd_arg_is(option, "type")) {
            o->is_other_type = !cmd_arg_is(value, "string");
        } else {
            *replied = cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
            return false;
        }
    }
    return true;
}

/* SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: dict_scan steps until COUNT keys are
 * collected, the walk ends, or 10 * COUNT buckets were visited (Redis's maxiterations), then
 * the filters apply. The reply is the next cursor, as a bulk string, and the keys. */
cmd_status
cmd_scan(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    struct scan_options o = {0};
    cmd_status status;
    if (!scan_parse(req, &o, out, &status)) {
        return status;
    }
    struct entry_list l = {0};
    uint64_t cursor = o.cursor;
    int64_t iterations_max = o.count > INT64_MAX / 10 ? INT64_MAX : o.count * 10;
    do {
        cursor = dict_scan(store_keys(s), cursor, collect_cb, &l);
    } while (cursor != 0 && iterations_max-- > 0 && l.count < (uint64_t)o.count &&
             !l.is_out_of_memory);
    char text[CMD_I64_TEXT_SIZE_BYTES];
    int text_size = snprintf(text, sizeof(text), "%llu", (unsigned long long)cursor);
    assert(text_size > 0);
    if (o.is_other_type) {
        l.count = 0;
    }
    status = l.is_out_of_memory || resp_buf_array(out, 2) != RESP_OK ||
                     resp_buf_bulk(out, text, (size_t)text_size) != RESP_OK
                 ? CMD_NOMEM
                 : reply_live_matches(&l, o.pattern, now_ms, out);
    free(l.entries);
    return status;
}
