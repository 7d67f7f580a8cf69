/* commands.c -- the reference Redis commands of lab 01 part B, built on store.h's keyspace API:
 * dispatch (cmd_execute, at the end: read it first), the connection commands, keys and expiry.
 * The string commands are in strings.c; the catalog of names, arities and flags is given
 * (commands.h). Replies and error texts are Redis 7's: src/expire.c, src/db.c and src/server.c
 * are where to compare. */
#include "commands.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Redis truncates the name and the quoted arguments of an unknown command to 128 bytes each
 * (commandCheckExistence in server.c). */
#define UNKNOWN_TEXT_SIZE_BYTES_MAX 128u
/* "-ERR unknown command '" + 128 + "', with args beginning with: " + at most 131: under 400. */
#define UNKNOWN_MESSAGE_SIZE_BYTES 400u

/* ---- Connection commands ---------------------------------------------------------------- */

cmd_status
cmd_ping(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    if (req->argc > 2) {
        return cmd_reply_arity(out, "ping");
    }
    if (req->argc == 2) {
        return cmd_replied(resp_buf_bulk(out, req->argv[1].bytes, req->argv[1].size_bytes));
    }
    return cmd_replied(resp_buf_simple(out, "PONG"));
}

cmd_status
cmd_echo(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    return cmd_replied(resp_buf_bulk(out, req->argv[1].bytes, req->argv[1].size_bytes));
}

cmd_status
cmd_quit(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    return cmd_reply_ok(out) == CMD_OK ? CMD_QUIT : CMD_NOMEM;
}

/* ---- Keys and expiry -------------------------------------------------------------------- */

cmd_status
cmd_del(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t deleted = 0;
    for (size_t i = 1; i < req->argc; i++) {
        const struct resp_arg *key = &req->argv[i];
        /* An expired key is deleted by the lookup and not counted, as in delGenericCommand. */
        if (store_lookup(s, key->bytes, key->size_bytes, now_ms) != NULL &&
            store_delete(s, key->bytes, key->size_bytes)) {
            deleted++;
        }
    }
    return cmd_replied(resp_buf_integer(out, deleted));
}

cmd_status
cmd_exists(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t found = 0; /* a key named twice counts twice, as in Redis */
    for (size_t i = 1; i < req->argc; i++) {
        const struct resp_arg *key = &req->argv[i];
        found += store_lookup(s, key->bytes, key->size_bytes, now_ms) != NULL;
    }
    return cmd_replied(resp_buf_integer(out, found));
}

enum { EXPIRE_NX = 1 << 0, EXPIRE_XX = 1 << 1, EXPIRE_GT = 1 << 2, EXPIRE_LT = 1 << 3 };

/* EXPIRE's NX|XX|GT|LT, with parseExtendedExpireArgumentsOrReply's messages (expire.c).
 * Returns true, replying nothing, when they are fine; else replies the error and sets
 * *replied to its status. */
static bool
expire_parse_options(const struct resp_request *req, unsigned *flags, struct resp_buf *out,
                     cmd_status *replied)
{
    static const char *const words[] = {"nx", "xx", "gt", "lt"};
    for (size_t j = 3; j < req->argc; j++) {
        size_t w = 0;
        while (w < 4 && !cmd_arg_is(&req->argv[j], words[w])) {
            w++;
        }
        if (w == 4) {
            /* "%s" of the argument stops at its first '\0', as Redis's does. */
            *replied =
                cmd_replied(resp_buf_errorf(out, "ERR Unsupported option %s", req->argv[j].bytes));
            return false;
        }
        *flags |= 1u << w;
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        *replied = cmd_replied(resp_buf_error(
            out, "ERR NX and XX, GT or LT options at the same time are not compatible"));
        return false;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        *replied = cmd_replied(
            resp_buf_error(out, "ERR GT and LT options at the same time are not compatible"));
        return false;
    }
    return true;
}

/* Whether NX|XX|GT|LT let a key whose TTL is current_ms (or STORE_EXPIRE_NONE) take when_ms.
 * No TTL counts as an infinite one, as in expireGenericCommand. */
static bool
expire_allowed(unsigned flags, int64_t current_ms, int64_t when_ms)
{
    bool has_ttl = current_ms != STORE_EXPIRE_NONE;
    if (((flags & EXPIRE_NX) && has_ttl) || ((flags & EXPIRE_XX) && !has_ttl)) {
        return false;
    }
    if ((flags & EXPIRE_GT) && (!has_ttl || when_ms <= current_ms)) {
        return false;
    }
    return !((flags & EXPIRE_LT) && has_ttl && when_ms >= current_ms);
}

/* EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: expireGenericCommand in expire.c. The time is in
 * unit_ms and counts from base_ms (now, or 0 for the AT forms); one at or before now deletes. */
static cmd_status
expire_generic(struct store *s, const struct resp_request *req, uint64_t now_ms, int64_t base_ms,
               int64_t unit_ms, const char *fullname, struct resp_buf *out)
{
    assert(base_ms >= 0);
    assert(unit_ms == 1 || unit_ms == 1000);
    unsigned flags = 0;
    cmd_status status;
    if (!expire_parse_options(req, &flags, out, &status)) {
        return status;
    }
    int64_t when_ms;
    if (!cmd_parse_i64(req->argv[2].bytes, req->argv[2].size_bytes, &when_ms)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    if (when_ms > INT64_MAX / unit_ms || when_ms < INT64_MIN / unit_ms ||
        when_ms * unit_ms > INT64_MAX - base_ms) {
        return cmd_replied(
            resp_buf_errorf(out, "ERR invalid expire time in '%s' command", fullname));
    }
    when_ms = when_ms * unit_ms + base_ms;
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL || !expire_allowed(flags, v->expire_at_ms, when_ms)) {
        return cmd_replied(resp_buf_integer(out, 0));
    }
    if (when_ms <= (int64_t)now_ms) {
        store_delete(s, key->bytes, key->size_bytes);
    } else if (store_set_expire(s, key->bytes, key->size_bytes, when_ms) != CMD_OK) {
        return CMD_NOMEM;
    }
    return cmd_replied(resp_buf_integer(out, 1));
}

cmd_status
cmd_expire(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return expire_generic(s, req, now_ms, (int64_t)now_ms, 1000, "expire", out);
}

cmd_status
cmd_pexpire(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return expire_generic(s, req, now_ms, (int64_t)now_ms, 1, "pexpire", out);
}

cmd_status
cmd_expireat(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return expire_generic(s, req, now_ms, 0, 1000, "expireat", out);
}

cmd_status
cmd_pexpireat(struct store *s, const struct resp_request *req, uint64_t now_ms,
              struct resp_buf *out)
{
    return expire_generic(s, req, now_ms, 0, 1, "pexpireat", out);
}

/* TTL, PTTL, EXPIRETIME and PEXPIRETIME: ttlGenericCommand in expire.c. -2 missing, -1 no
 * TTL; the time left (or, is_absolute, the Unix time it ends), seconds rounded half up. */
static cmd_status
ttl_generic(struct store *s, const struct resp_request *req, uint64_t now_ms, bool is_ms,
            bool is_absolute, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL) {
        return cmd_replied(resp_buf_integer(out, -2));
    }
    if (v->expire_at_ms == STORE_EXPIRE_NONE) {
        return cmd_replied(resp_buf_integer(out, -1));
    }
    int64_t ttl_ms = is_absolute ? v->expire_at_ms : v->expire_at_ms - (int64_t)now_ms;
    assert(ttl_ms >= 0); /* the lookup deleted it otherwise */
    return cmd_replied(resp_buf_integer(out, is_ms ? ttl_ms : (ttl_ms + 500) / 1000));
}

cmd_status
cmd_ttl(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return ttl_generic(s, req, now_ms, false, false, out);
}

cmd_status
cmd_pttl(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return ttl_generic(s, req, now_ms, true, false, out);
}

cmd_status
cmd_expiretime(struct store *s, const struct resp_request *req, uint64_t now_ms,
               struct resp_buf *out)
{
    return ttl_generic(s, req, now_ms, false, true, out);
}

cmd_status
cmd_pexpiretime(struct store *s, const struct resp_request *req, uint64_t now_ms,
                struct resp_buf *out)
{
    return ttl_generic(s, req, now_ms, true, true, out);
}

cmd_status
cmd_persist(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL || v->expire_at_ms == STORE_EXPIRE_NONE) {
        return cmd_replied(resp_buf_integer(out, 0));
    }
    cmd_status status = store_set_expire(s, key->bytes, key->size_bytes, STORE_EXPIRE_NONE);
    assert(status == CMD_OK); /* removing a TTL allocates nothing */
    return cmd_replied(resp_buf_integer(out, 1));
}

/* Copies src's value and TTL to dst, replacing what dst holds (the caller has checked src
 * lives at now_ms and is not dst). On CMD_NOMEM s is as it was: a new dst is deleted again; an
 * old dst gets its TTL first and its value second, and a value that does not fit puts the old
 * TTL back (updating or removing a TTL that exists allocates nothing). Deleting dst first, as
 * the obvious version does, would lose it when the copy then runs out of memory. */
static cmd_status
copy_key(struct store *s, const struct resp_arg *src, const struct resp_arg *dst, uint64_t now_ms)
{
    const struct store_value *v = store_lookup(s, src->bytes, src->size_bytes, now_ms);
    assert(v != NULL);
    int64_t expire_at_ms = v->expire_at_ms;
    const struct store_value *old = store_lookup(s, dst->bytes, dst->size_bytes, now_ms);
    if (old == NULL) {
        v = store_lookup(s, src->bytes, src->size_bytes, now_ms); /* borrowed again */
        if (store_set(s, dst->bytes, dst->size_bytes, v->bytes, v->size_bytes, false) != CMD_OK) {
            return CMD_NOMEM;
        }
        if (expire_at_ms != STORE_EXPIRE_NONE &&
            store_set_expire(s, dst->bytes, dst->size_bytes, expire_at_ms) != CMD_OK) {
            store_delete(s, dst->bytes, dst->size_bytes);
            return CMD_NOMEM;
        }
        return CMD_OK;
    }
    int64_t old_expire_at_ms = old->expire_at_ms;
    if (store_set_expire(s, dst->bytes, dst->size_bytes, expire_at_ms) != CMD_OK) {
        return CMD_NOMEM;
    }
    v = store_lookup(s, src->bytes, src->size_bytes, now_ms); /* borrowed again */
    if (store_set(s, dst->bytes, dst->size_bytes, v->bytes, v->size_bytes, true) != CMD_OK) {
        cmd_status undone = store_set_expire(s, dst->bytes, dst->size_bytes, old_expire_at_ms);
        assert(undone == CMD_OK); /* its TTL entry exists, or goes: nothing to allocate */
        (void)undone;
        return CMD_NOMEM;
    }
    return CMD_OK;
}

static bool
same_key(const struct resp_arg *a, const struct resp_arg *b)
{
    return a->size_bytes == b->size_bytes && memcmp(a->bytes, b->bytes, a->size_bytes) == 0;
}

/* RENAME and RENAMENX: renameGenericCommand in db.c. The TTL moves with the value; a key
 * renamed to itself is left alone (+OK, or :0 for RENAMENX). */
static cmd_status
rename_generic(struct store *s, const struct resp_request *req, uint64_t now_ms, bool is_nx,
               struct resp_buf *out)
{
    const struct resp_arg *src = &req->argv[1];
    const struct resp_arg *dst = &req->argv[2];
    const struct store_value *v = store_lookup(s, src->bytes, src->size_bytes, now_ms);
    if (v == NULL) {
        return cmd_replied(resp_buf_error(out, "ERR no such key"));
    }
    if (same_key(src, dst)) {
        return is_nx ? cmd_replied(resp_buf_integer(out, 0)) : cmd_reply_ok(out);
    }
    bool has_dst = store_lookup(s, dst->bytes, dst->size_bytes, now_ms) != NULL;
    if (is_nx && has_dst) {
        return cmd_replied(resp_buf_integer(out, 0));
    }
    if (copy_key(s, src, dst, now_ms) != CMD_OK) {
        return CMD_NOMEM; /* nothing changed */
    }
    store_delete(s, src->bytes, src->size_bytes);
    return is_nx ? cmd_replied(resp_buf_integer(out, 1)) : cmd_reply_ok(out);
}

cmd_status
cmd_rename(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return rename_generic(s, req, now_ms, false, out);
}

cmd_status
cmd_renamenx(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return rename_generic(s, req, now_ms, true, out);
}

/* COPY source destination [DB index] [REPLACE]: copyCommand in db.c. One database, so DB
 * takes only 0; the options are checked before the keys. */
cmd_status
cmd_copy(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    bool is_replace = false;
    for (size_t j = 3; j < req->argc; j++) {
        int64_t db;
        if (cmd_arg_is(&req->argv[j], "replace")) {
            is_replace = true;
        } else if (cmd_arg_is(&req->argv[j], "db") && j + 1 < req->argc) {
            j++;
            if (!cmd_parse_i64(req->argv[j].bytes, req->argv[j].size_bytes, &db) ||
                db < INT32_MIN || db > INT32_MAX) {
                return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
            }
            if (db != 0) {
                return cmd_replied(resp_buf_error(out, "ERR DB index is out of range"));
            }
        } else {
            return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
        }
    }
    const struct resp_arg *src = &req->argv[1];
    const struct resp_arg *dst = &req->argv[2];
    if (same_key(src, dst)) {
        return cmd_replied(resp_buf_error(out, "ERR source and destination objects are the same"));
    }
    const struct store_value *v = store_lookup(s, src->bytes, src->size_bytes, now_ms);
    if (v == NULL) {
        return cmd_replied(resp_buf_integer(out, 0));
    }
    if (store_lookup(s, dst->bytes, dst->size_bytes, now_ms) != NULL && !is_replace) {
        return cmd_replied(resp_buf_integer(out, 0));
    }
    return copy_key(s, src, dst, now_ms) == CMD_OK ? cmd_replied(resp_buf_integer(out, 1))
                                                   : CMD_NOMEM;
}

/* ---- Dispatch --------------------------------------------------------------------------- */

/* Appends "'" + at most room bytes of text (up to its first '\0') + "' " at *at. */
static void
append_quoted(char *message, size_t *at, const struct resp_arg *arg, size_t room)
{
    const char *nul = memchr(arg->bytes, '\0', arg->size_bytes);
    size_t size = nul != NULL ? (size_t)(nul - arg->bytes) : arg->size_bytes;
    size = size < room ? size : room;
    message[(*at)++] = '\'';
    memcpy(message + *at, arg->bytes, size);
    *at += size;
    message[(*at)++] = '\'';
    message[(*at)++] = ' ';
}

/* Redis 7's text, e.g. "ERR unknown command 'foo', with args beginning with: 'a' 'b' ":
 * commandCheckExistence in server.c quotes the name and the first arguments, each up to 128
 * bytes, with '%.128s' (so each stops at a '\0'). resp_buf_error turns '\r' and '\n' into
 * spaces, as Redis's sdsmapchars does. */
static cmd_status
reply_unknown_command(const struct resp_request *req, struct resp_buf *out)
{
    char message[UNKNOWN_MESSAGE_SIZE_BYTES];
    size_t at = 0;
    static const char head[] = "ERR unknown command ";
    memcpy(message, head, sizeof(head) - 1);
    at = sizeof(head) - 1;
    append_quoted(message, &at, &req->argv[0], UNKNOWN_TEXT_SIZE_BYTES_MAX);
    at--; /* the name's quote is followed by ", with ...", not by a space */
    static const char middle[] = ", with args beginning with: ";
    memcpy(message + at, middle, sizeof(middle) - 1);
    at += sizeof(middle) - 1;
    size_t args_start = at;
    for (size_t i = 1; i < req->argc && at - args_start < UNKNOWN_TEXT_SIZE_BYTES_MAX; i++) {
        append_quoted(message, &at, &req->argv[i], UNKNOWN_TEXT_SIZE_BYTES_MAX - (at - args_start));
    }
    assert(at < sizeof(message));
    message[at] = '\0';
    return cmd_replied(resp_buf_error(out, message));
}

cmd_status
cmd_execute(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    assert(s != NULL);
    assert(out != NULL);
    assert(req != NULL);
    assert(req->argc >= 1);
    assert(now_ms <= INT64_MAX);
    /* The catalog (commands.h) holds every name with its arity; the handler is ours, given
     * code's, or none: the server's own (pub/sub, CLIENT, CONFIG ...). */
    const struct cmd_spec *c = cmd_spec_find(req->argv[0].bytes, req->argv[0].size_bytes);
    if (c == NULL) {
        return reply_unknown_command(req, out);
    }
    if (c->handler == NULL) {
        return CMD_NOT_MINE; /* the server checks the arity of its own */
    }
    if ((c->arity > 0 && req->argc != (size_t)c->arity) ||
        (c->arity < 0 && req->argc < (size_t)-c->arity)) {
        return cmd_reply_arity(out, c->name);
    }
    return c->handler(s, req, now_ms, out);
}
