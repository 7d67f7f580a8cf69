/* commands.c -- the reference Redis commands of lab 01 part B, built on store.h's keyspace API.
 * Read cmd_execute first (lookup, arity, dispatch), then cmd_set. Replies and error texts are
 * Redis 7's: src/t_string.c, src/expire.c, src/db.c and src/server.c are where to compare. */
#include "store.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Redis truncates the name and the quoted arguments of an unknown command to 128 bytes each
 * (commandCheckExistence in server.c). */
#define UNKNOWN_TEXT_SIZE_BYTES_MAX 128u
/* "-ERR unknown command '" + 128 + "', with args beginning with: " + at most 131: under 400. */
#define UNKNOWN_MESSAGE_SIZE_BYTES 400u
/* The longest int64 in decimal, "-9223372036854775808", is 20 bytes. */
#define I64_TEXT_SIZE_BYTES 24u

#define ERR_NOT_INTEGER "ERR value is not an integer or out of range"
#define ERR_SYNTAX "ERR syntax error"

typedef cmd_status (*cmd_handler)(struct store *s, const struct resp_request *req, uint64_t now_ms,
                                  struct resp_buf *out);

struct command {
    const char *name; /* lower case, as Redis's fullname in error texts */
    size_t name_size_bytes;
    int arity; /* Redis's convention: N exactly N arguments, -N at least N (the name counts) */
    cmd_handler handler; /* NULL: the server's own (pub/sub), CMD_NOT_MINE */
};

static cmd_status
replied(resp_status status)
{
    return status == RESP_OK ? CMD_OK : CMD_NOMEM;
}

static cmd_status
reply_ok(struct resp_buf *out)
{
    return replied(resp_buf_simple(out, "OK"));
}

static cmd_status
reply_arity(struct resp_buf *out, const char *fullname)
{
    return replied(
        resp_buf_errorf(out, "ERR wrong number of arguments for '%s' command", fullname));
}

static bool
arg_is(const struct resp_arg *arg, const char *word)
{
    size_t size = strlen(word);
    return arg->size_bytes == size && strncasecmp(arg->bytes, word, size) == 0;
}

/* Redis's string2ll (util.c): an optional '-', then digits with no leading zero ("0" itself is
 * fine), nothing else, within int64. */
static bool
parse_i64(const char *bytes, size_t size_bytes, int64_t *value)
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

static bool
arg_i64(const struct resp_arg *arg, int64_t *value)
{
    return parse_i64(arg->bytes, arg->size_bytes, value);
}

/* ---- Connection and server commands ---------------------------------------------------- */

static cmd_status
cmd_ping(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    if (req->argc > 2) {
        return reply_arity(out, "ping");
    }
    if (req->argc == 2) {
        return replied(resp_buf_bulk(out, req->argv[1].bytes, req->argv[1].size_bytes));
    }
    return replied(resp_buf_simple(out, "PONG"));
}

static cmd_status
cmd_echo(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    return replied(resp_buf_bulk(out, req->argv[1].bytes, req->argv[1].size_bytes));
}

static cmd_status
cmd_quit(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    return reply_ok(out) == CMD_OK ? CMD_QUIT : CMD_NOMEM;
}

static cmd_status
cmd_select(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    int64_t index;
    if (!arg_i64(&req->argv[1], &index) || index < INT32_MIN || index > INT32_MAX) {
        return replied(resp_buf_error(out, ERR_NOT_INTEGER));
    }
    if (index != 0) {
        return replied(resp_buf_error(out, "ERR DB index is out of range")); /* one database */
    }
    return reply_ok(out);
}

static cmd_status
cmd_dbsize(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)req;
    (void)now_ms;
    return replied(resp_buf_integer(out, (int64_t)store_size(s)));
}

static cmd_status
cmd_flushall(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)now_ms;
    /* FLUSHALL [ASYNC|SYNC]: both flush at once here (getFlushCommandFlags in db.c). */
    if (req->argc > 2 ||
        (req->argc == 2 && !arg_is(&req->argv[1], "async") && !arg_is(&req->argv[1], "sync"))) {
        return replied(resp_buf_error(out, ERR_SYNTAX));
    }
    store_flush(s);
    return reply_ok(out);
}

/* ---- Strings ---------------------------------------------------------------------------- */

static cmd_status
reply_value(struct resp_buf *out, const struct store_value *v)
{
    if (v == NULL) {
        return replied(resp_buf_null_bulk(out));
    }
    return replied(resp_buf_bulk(out, v->bytes, v->size_bytes));
}

static cmd_status
cmd_get(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    return reply_value(out, store_lookup(s, key->bytes, key->size_bytes, now_ms));
}

enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_GET = 1 << 2,
    SET_KEEPTTL = 1 << 3,
    SET_EX = 1 << 4,
    SET_PX = 1 << 5,
    SET_EXAT = 1 << 6,
    SET_PXAT = 1 << 7,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* SET's options, as parseExtendedStringArgumentsOrReply in t_string.c accepts them: NX and XX
 * exclude each other, KEEPTTL and the four expire forms exclude each other (the same form twice
 * is allowed, the last one wins), and an expire form needs a value after it. */
static bool
set_parse_options(const struct resp_request *req, unsigned *flags, const struct resp_arg **expire)
{
    static const struct {
        const char *word;
        unsigned flag;
        unsigned excludes;
    } options[] = {
        {"nx", SET_NX, SET_XX},
        {"xx", SET_XX, SET_NX},
        {"get", SET_GET, 0},
        {"keepttl", SET_KEEPTTL, SET_ANY_EXPIRE},
        {"ex", SET_EX, SET_KEEPTTL | (SET_ANY_EXPIRE & ~(unsigned)SET_EX)},
        {"px", SET_PX, SET_KEEPTTL | (SET_ANY_EXPIRE & ~(unsigned)SET_PX)},
        {"exat", SET_EXAT, SET_KEEPTTL | (SET_ANY_EXPIRE & ~(unsigned)SET_EXAT)},
        {"pxat", SET_PXAT, SET_KEEPTTL | (SET_ANY_EXPIRE & ~(unsigned)SET_PXAT)},
    };
    for (size_t j = 3; j < req->argc; j++) {
        size_t o = 0;
        while (o < sizeof(options) / sizeof(options[0]) &&
               !arg_is(&req->argv[j], options[o].word)) {
            o++;
        }
        if (o == sizeof(options) / sizeof(options[0]) || (*flags & options[o].excludes) != 0) {
            return false;
        }
        if (options[o].flag & SET_ANY_EXPIRE) {
            if (j + 1 == req->argc) {
                return false;
            }
            *expire = &req->argv[++j];
        }
        *flags |= options[o].flag;
    }
    return true;
}

/* The absolute expire time of SET's EX/PX/EXAT/PXAT value, as getExpireMillisecondsOrReply in
 * t_string.c: the value must be a positive integer and the result must not overflow. */
static bool
set_expire_at(const struct resp_arg *arg, unsigned flags, uint64_t now_ms, int64_t *expire_at_ms,
              bool *is_integer)
{
    int64_t value;
    *is_integer = arg_i64(arg, &value);
    if (!*is_integer) {
        return false;
    }
    bool is_seconds = (flags & (SET_EX | SET_EXAT)) != 0;
    if (value <= 0 || (is_seconds && value > INT64_MAX / 1000)) {
        return false;
    }
    value *= is_seconds ? 1000 : 1;
    if (flags & (SET_EX | SET_PX)) {
        if (value > INT64_MAX - (int64_t)now_ms) {
            return false;
        }
        value += (int64_t)now_ms;
    }
    *expire_at_ms = value;
    return true;
}

static cmd_status
cmd_set(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    unsigned flags = 0;
    const struct resp_arg *expire = NULL;
    if (!set_parse_options(req, &flags, &expire)) {
        return replied(resp_buf_error(out, ERR_SYNTAX));
    }
    int64_t expire_at_ms = STORE_EXPIRE_NONE;
    bool is_integer = true;
    if (expire != NULL && !set_expire_at(expire, flags, now_ms, &expire_at_ms, &is_integer)) {
        return replied(is_integer ? resp_buf_error(out, "ERR invalid expire time in 'set' command")
                                  : resp_buf_error(out, ERR_NOT_INTEGER));
    }
    const struct resp_arg *key = &req->argv[1];
    const struct resp_arg *value = &req->argv[2];
    const struct store_value *old = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if ((flags & SET_GET) && reply_value(out, old) != CMD_OK) {
        return CMD_NOMEM; /* the old value is in out before it is overwritten */
    }
    if (((flags & SET_NX) && old != NULL) || ((flags & SET_XX) && old == NULL)) {
        return (flags & SET_GET) ? CMD_OK : replied(resp_buf_null_bulk(out));
    }
    bool keep_ttl = (flags & SET_KEEPTTL) != 0;
    if (store_set(s, key->bytes, key->size_bytes, value->bytes, value->size_bytes, keep_ttl) !=
        CMD_OK) {
        return CMD_NOMEM;
    }
    if (expire_at_ms != STORE_EXPIRE_NONE &&
        store_set_expire(s, key->bytes, key->size_bytes, expire_at_ms) != CMD_OK) {
        return CMD_NOMEM;
    }
    return (flags & SET_GET) ? CMD_OK : reply_ok(out);
}

static cmd_status
cmd_mget(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    if (resp_buf_array(out, req->argc - 1) != RESP_OK) {
        return CMD_NOMEM;
    }
    for (size_t i = 1; i < req->argc; i++) {
        const struct resp_arg *key = &req->argv[i];
        if (reply_value(out, store_lookup(s, key->bytes, key->size_bytes, now_ms)) != CMD_OK) {
            return CMD_NOMEM;
        }
    }
    return CMD_OK;
}

static cmd_status
cmd_mset(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)now_ms;
    if (req->argc % 2 == 0) {
        return reply_arity(out, "mset"); /* msetGenericCommand: pairs only */
    }
    for (size_t i = 1; i < req->argc; i += 2) {
        const struct resp_arg *key = &req->argv[i];
        const struct resp_arg *value = &req->argv[i + 1];
        if (store_set(s, key->bytes, key->size_bytes, value->bytes, value->size_bytes, false) !=
            CMD_OK) {
            return CMD_NOMEM;
        }
    }
    return reply_ok(out);
}

/* INCR, DECR, INCRBY and DECRBY: incrDecrCommand in t_string.c. The TTL stays. */
static cmd_status
incr_by(struct store *s, const struct resp_arg *key, int64_t by, uint64_t now_ms,
        struct resp_buf *out)
{
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    int64_t old = 0;
    if (v != NULL && !parse_i64(v->bytes, v->size_bytes, &old)) {
        return replied(resp_buf_error(out, ERR_NOT_INTEGER));
    }
    if ((by < 0 && old < 0 && by < INT64_MIN - old) ||
        (by > 0 && old > 0 && by > INT64_MAX - old)) {
        return replied(resp_buf_error(out, "ERR increment or decrement would overflow"));
    }
    int64_t now = old + by;
    char text[I64_TEXT_SIZE_BYTES];
    int length = snprintf(text, sizeof(text), "%" PRId64, now);
    assert(length > 0);
    assert((size_t)length < sizeof(text));
    if (store_set(s, key->bytes, key->size_bytes, text, (size_t)length, true) != CMD_OK) {
        return CMD_NOMEM;
    }
    return replied(resp_buf_integer(out, now));
}

static cmd_status
cmd_incr(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return incr_by(s, &req->argv[1], 1, now_ms, out);
}

static cmd_status
cmd_decr(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return incr_by(s, &req->argv[1], -1, now_ms, out);
}

static cmd_status
cmd_incrby(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t by;
    if (!arg_i64(&req->argv[2], &by)) {
        return replied(resp_buf_error(out, ERR_NOT_INTEGER));
    }
    return incr_by(s, &req->argv[1], by, now_ms, out);
}

static cmd_status
cmd_decrby(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t by;
    if (!arg_i64(&req->argv[2], &by)) {
        return replied(resp_buf_error(out, ERR_NOT_INTEGER));
    }
    if (by == INT64_MIN) {
        return replied(resp_buf_error(out, "ERR decrement would overflow")); /* -by overflows */
    }
    return incr_by(s, &req->argv[1], -by, now_ms, out);
}

/* ---- Keys and expiry -------------------------------------------------------------------- */

static cmd_status
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
    return replied(resp_buf_integer(out, deleted));
}

static cmd_status
cmd_exists(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t found = 0; /* a key named twice counts twice, as in Redis */
    for (size_t i = 1; i < req->argc; i++) {
        const struct resp_arg *key = &req->argv[i];
        found += store_lookup(s, key->bytes, key->size_bytes, now_ms) != NULL;
    }
    return replied(resp_buf_integer(out, found));
}

enum { EXPIRE_NX = 1 << 0, EXPIRE_XX = 1 << 1, EXPIRE_GT = 1 << 2, EXPIRE_LT = 1 << 3 };

/* EXPIRE's NX|XX|GT|LT, with parseExtendedExpireArgumentsOrReply's messages (expire.c). */
static cmd_status
expire_parse_options(const struct resp_request *req, unsigned *flags, struct resp_buf *out)
{
    static const char *const words[] = {"nx", "xx", "gt", "lt"};
    for (size_t j = 3; j < req->argc; j++) {
        size_t w = 0;
        while (w < 4 && !arg_is(&req->argv[j], words[w])) {
            w++;
        }
        if (w == 4) {
            /* "%s" of the argument stops at its first '\0', as Redis's does. */
            return replied(resp_buf_errorf(out, "ERR Unsupported option %s", req->argv[j].bytes));
        }
        *flags |= 1u << w;
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        return replied(resp_buf_error(
            out, "ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        return replied(
            resp_buf_error(out, "ERR GT and LT options at the same time are not compatible"));
    }
    return CMD_UNIMPLEMENTED; /* no reply: go on */
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

/* EXPIRE and PEXPIRE: expireGenericCommand in expire.c. A time at or before now deletes. */
static cmd_status
expire_generic(struct store *s, const struct resp_request *req, uint64_t now_ms,
               struct resp_buf *out, int64_t unit_ms, const char *fullname)
{
    unsigned flags = 0;
    cmd_status status = expire_parse_options(req, &flags, out);
    if (status != CMD_UNIMPLEMENTED) {
        return status;
    }
    int64_t when_ms;
    if (!arg_i64(&req->argv[2], &when_ms)) {
        return replied(resp_buf_error(out, ERR_NOT_INTEGER));
    }
    if (when_ms > INT64_MAX / unit_ms || when_ms < INT64_MIN / unit_ms ||
        when_ms * unit_ms > INT64_MAX - (int64_t)now_ms) {
        return replied(resp_buf_errorf(out, "ERR invalid expire time in '%s' command", fullname));
    }
    when_ms = when_ms * unit_ms + (int64_t)now_ms;
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL || !expire_allowed(flags, v->expire_at_ms, when_ms)) {
        return replied(resp_buf_integer(out, 0));
    }
    if (when_ms <= (int64_t)now_ms) {
        store_delete(s, key->bytes, key->size_bytes);
    } else if (store_set_expire(s, key->bytes, key->size_bytes, when_ms) != CMD_OK) {
        return CMD_NOMEM;
    }
    return replied(resp_buf_integer(out, 1));
}

static cmd_status
cmd_expire(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return expire_generic(s, req, now_ms, out, 1000, "expire");
}

static cmd_status
cmd_pexpire(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return expire_generic(s, req, now_ms, out, 1, "pexpire");
}

/* TTL and PTTL: ttlGenericCommand in expire.c. -2 missing, -1 no TTL; TTL rounds to seconds. */
static cmd_status
ttl_generic(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out,
            bool is_ms)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL) {
        return replied(resp_buf_integer(out, -2));
    }
    if (v->expire_at_ms == STORE_EXPIRE_NONE) {
        return replied(resp_buf_integer(out, -1));
    }
    int64_t ttl_ms = v->expire_at_ms - (int64_t)now_ms;
    assert(ttl_ms >= 0); /* the lookup deleted it otherwise */
    return replied(resp_buf_integer(out, is_ms ? ttl_ms : (ttl_ms + 500) / 1000));
}

static cmd_status
cmd_ttl(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return ttl_generic(s, req, now_ms, out, false);
}

static cmd_status
cmd_pttl(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return ttl_generic(s, req, now_ms, out, true);
}

static cmd_status
cmd_persist(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL || v->expire_at_ms == STORE_EXPIRE_NONE) {
        return replied(resp_buf_integer(out, 0));
    }
    cmd_status status = store_set_expire(s, key->bytes, key->size_bytes, STORE_EXPIRE_NONE);
    assert(status == CMD_OK); /* removing a TTL allocates nothing */
    return replied(resp_buf_integer(out, 1));
}

/* ---- What redis-cli and redis-benchmark ask on connect ---------------------------------- */

/* "unknown subcommand 'x'. Try CONFIG HELP.", as commandCheckExistence in server.c. */
static cmd_status
reply_unknown_subcommand(struct resp_buf *out, const struct resp_request *req, const char *upper)
{
    const struct resp_arg *sub = &req->argv[1];
    return replied(resp_buf_errorf(out, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                                   (int)strnlen(sub->bytes, UNKNOWN_TEXT_SIZE_BYTES_MAX),
                                   sub->bytes, upper));
}

static size_t command_count(void);

static cmd_status
cmd_command(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    /* COMMAND and COMMAND DOCS answer with no details: redis-cli then offers no hints. */
    if (req->argc == 1 || arg_is(&req->argv[1], "docs")) {
        return replied(resp_buf_array(out, 0));
    }
    if (arg_is(&req->argv[1], "count")) {
        return req->argc == 2 ? replied(resp_buf_integer(out, (int64_t)command_count()))
                              : reply_arity(out, "command|count");
    }
    return reply_unknown_subcommand(out, req, "COMMAND");
}

/* A glob with '*' and '?', case-insensitive: enough of Redis's stringmatchlen for CONFIG GET.
 * One pass that backtracks only to the last '*' seen: a later '*' can match anything an
 * earlier one could, so going further back never helps. Linear in the text per '*', so a
 * pattern of 60 stars is as quick as one (trying every split of the text at every star, the
 * obvious recursion, took C(70,10) calls for that pattern against "appendonly"). */
static bool
glob_match(const char *pattern, size_t pattern_size, const char *text, size_t text_size)
{
    size_t p = 0, t = 0;
    size_t star_p = SIZE_MAX, star_t = 0; /* after the last '*', and where its match ends */
    while (t < text_size) {
        if (p < pattern_size && pattern[p] == '*') {
            star_p = ++p;
            star_t = t;
        } else if (p < pattern_size && (pattern[p] == '?' || tolower((unsigned char)pattern[p]) ==
                                                                 tolower((unsigned char)text[t]))) {
            p++;
            t++;
        } else if (star_p != SIZE_MAX) {
            p = star_p; /* the last '*' takes one more byte */
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < pattern_size && pattern[p] == '*') {
        p++;
    }
    return p == pattern_size;
}

/* CONFIG GET pattern...: the few parameters clients ask about, with the values that describe
 * this server (no persistence). redis-benchmark reads save and appendonly. */
static cmd_status
config_get(const struct resp_request *req, struct resp_buf *out)
{
    static const char *const params[][2] = {
        {"appendonly", "no"}, {"databases", "1"}, {"maxmemory", "0"}, {"save", ""}};
    enum { PARAM_COUNT = sizeof(params) / sizeof(params[0]) };
    bool is_matched[PARAM_COUNT] = {false};
    size_t matched = 0;
    for (size_t j = 2; j < req->argc; j++) {
        for (size_t p = 0; p < PARAM_COUNT; p++) {
            if (!is_matched[p] && glob_match(req->argv[j].bytes, req->argv[j].size_bytes,
                                             params[p][0], strlen(params[p][0]))) {
                is_matched[p] = true;
                matched++;
            }
        }
    }
    if (resp_buf_array(out, 2 * matched) != RESP_OK) {
        return CMD_NOMEM;
    }
    for (size_t p = 0; p < PARAM_COUNT; p++) {
        if (is_matched[p] && (resp_buf_bulk(out, params[p][0], strlen(params[p][0])) != RESP_OK ||
                              resp_buf_bulk(out, params[p][1], strlen(params[p][1])) != RESP_OK)) {
            return CMD_NOMEM;
        }
    }
    return CMD_OK;
}

static cmd_status
cmd_config(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    if (!arg_is(&req->argv[1], "get")) {
        return reply_unknown_subcommand(out, req, "CONFIG");
    }
    return req->argc < 3 ? reply_arity(out, "config|get") : config_get(req, out);
}

/* CLIENT: the store does not know connections, so names are accepted and not kept, and the
 * id is a placeholder (a server that tracks clients can answer CLIENT itself). */
static cmd_status
cmd_client(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    static const struct {
        const char *word;
        int arity;
        const char *fullname;
    } subs[] = {{"setname", 3, "client|setname"},
                {"getname", 2, "client|getname"},
                {"id", 2, "client|id"},
                {"setinfo", 4, "client|setinfo"}};
    size_t i = 0;
    while (i < sizeof(subs) / sizeof(subs[0]) && !arg_is(&req->argv[1], subs[i].word)) {
        i++;
    }
    if (i == sizeof(subs) / sizeof(subs[0])) {
        return reply_unknown_subcommand(out, req, "CLIENT");
    }
    if (req->argc != (size_t)subs[i].arity) {
        return reply_arity(out, subs[i].fullname);
    }
    if (arg_is(&req->argv[1], "getname")) {
        return replied(resp_buf_null_bulk(out));
    }
    return arg_is(&req->argv[1], "id") ? replied(resp_buf_integer(out, 1)) : reply_ok(out);
}

/* HELLO [protover [SETNAME name]]: RESP2 only. HELLO 3 gets Redis's NOPROTO error, so a client
 * stays on RESP2; HELLO and HELLO 2 get the server's map, flattened as RESP2 does. */
static cmd_status
cmd_hello(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    int64_t version = 2;
    if (req->argc >= 2 && !arg_i64(&req->argv[1], &version)) {
        return replied(
            resp_buf_error(out, "ERR Protocol version is not an integer or out of range"));
    }
    /* Redis checks the version's range before the options, then the options; this server
     * speaks RESP2 only, so a valid HELLO 3 is refused after them. */
    if (version < 2 || version > 3) {
        return replied(resp_buf_error(out, "NOPROTO unsupported protocol version"));
    }
    for (size_t j = 2; j < req->argc; j += 2) {
        if (!arg_is(&req->argv[j], "setname") || j + 1 == req->argc) {
            return replied(
                resp_buf_errorf(out, "ERR Syntax error in HELLO option '%s'", req->argv[j].bytes));
        }
    }
    if (version != 2) {
        return replied(resp_buf_error(out, "NOPROTO unsupported protocol version"));
    }
    static const char *const fields[] = {"server", "redis",      "version", "7.0.0",
                                         "proto",  NULL,         "id",      NULL,
                                         "mode",   "standalone", "role",    "master"};
    resp_status status = resp_buf_array(out, 14);
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]) && status == RESP_OK; f++) {
        status = fields[f] != NULL ? resp_buf_bulk(out, fields[f], strlen(fields[f]))
                                   : resp_buf_integer(out, f == 5 ? 2 : 1);
    }
    if (status == RESP_OK) {
        status = resp_buf_bulk(out, "modules", 7);
    }
    return replied(status == RESP_OK ? resp_buf_array(out, 0) : status);
}

/* ---- Dispatch --------------------------------------------------------------------------- */

#define COMMAND(name, arity, handler)                                                              \
    {                                                                                              \
        name, sizeof(name) - 1, arity, handler                                                     \
    }

/* The arities are Redis 7's, from the JSON files in its src/commands directory. */
static const struct command commands[] = {
    COMMAND("get", 2, cmd_get),
    COMMAND("set", -3, cmd_set),
    COMMAND("incr", 2, cmd_incr),
    COMMAND("decr", 2, cmd_decr),
    COMMAND("incrby", 3, cmd_incrby),
    COMMAND("decrby", 3, cmd_decrby),
    COMMAND("mget", -2, cmd_mget),
    COMMAND("mset", -3, cmd_mset),
    COMMAND("del", -2, cmd_del),
    COMMAND("exists", -2, cmd_exists),
    COMMAND("expire", -3, cmd_expire),
    COMMAND("pexpire", -3, cmd_pexpire),
    COMMAND("ttl", 2, cmd_ttl),
    COMMAND("pttl", 2, cmd_pttl),
    COMMAND("persist", 2, cmd_persist),
    COMMAND("ping", -1, cmd_ping),
    COMMAND("echo", 2, cmd_echo),
    COMMAND("quit", -1, cmd_quit),
    COMMAND("select", 2, cmd_select),
    COMMAND("dbsize", 1, cmd_dbsize),
    COMMAND("flushall", -1, cmd_flushall),
    COMMAND("command", -1, cmd_command),
    COMMAND("config", -2, cmd_config),
    COMMAND("client", -2, cmd_client),
    COMMAND("hello", -1, cmd_hello),
    COMMAND("subscribe", -2, NULL),
    COMMAND("unsubscribe", -1, NULL),
    COMMAND("psubscribe", -2, NULL),
    COMMAND("punsubscribe", -1, NULL),
    COMMAND("publish", 3, NULL),
};

static size_t
command_count(void)
{
    return sizeof(commands) / sizeof(commands[0]);
}

/* A linear scan that compares lengths first: about thirty integer compares and one
 * strncasecmp per request, with no allocation. */
static const struct command *
command_lookup(const struct resp_arg *name)
{
    for (size_t i = 0; i < command_count(); i++) {
        if (commands[i].name_size_bytes == name->size_bytes &&
            strncasecmp(commands[i].name, name->bytes, name->size_bytes) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

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
    return replied(resp_buf_error(out, message));
}

cmd_status
cmd_execute(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    assert(s != NULL);
    assert(out != NULL);
    assert(req != NULL);
    assert(req->argc >= 1);
    assert(now_ms <= INT64_MAX);
    const struct command *c = command_lookup(&req->argv[0]);
    if (c == NULL) {
        return reply_unknown_command(req, out);
    }
    if (c->handler == NULL) {
        return CMD_NOT_MINE;
    }
    if ((c->arity > 0 && req->argc != (size_t)c->arity) ||
        (c->arity < 0 && req->argc < (size_t)-c->arity)) {
        return reply_arity(out, c->name);
    }
    return c->handler(s, req, now_ms, out);
}
