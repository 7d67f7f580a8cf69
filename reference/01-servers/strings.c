/* strings.c -- the reference string commands of lab 01 part B: GET and SET with their options
 * and variants (SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX), MGET, MSET, MSETNX, the byte
 * commands (STRLEN, APPEND, GETRANGE, SETRANGE) and the counters (INCR ... INCRBYFLOAT). Read
 * cmd_set first; most others are it with fewer options. Redis 7's src/t_string.c is where to
 * compare replies and errors. */
#include "commands.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cmd_status
cmd_get(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    return cmd_reply_value(out, store_lookup(s, key->bytes, key->size_bytes, now_ms));
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
    SET_PERSIST = 1 << 8, /* GETEX only */
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* SET's and GETEX's options, as parseExtendedStringArgumentsOrReply in t_string.c accepts them
 * (allowed says which): NX and XX exclude each other, KEEPTTL, PERSIST and the four expire
 * forms exclude each other (the same form twice is allowed, the last one wins), and an expire
 * form needs a value after it. Options start at argv[first]. */
static bool
set_parse_options(const struct resp_request *req, size_t first, unsigned allowed, unsigned *flags,
                  const struct resp_arg **expire)
{
    static const struct {
        const char *word;
        unsigned flag;
        unsigned excludes;
    } options[] = {
        {"nx", SET_NX, SET_XX},
        {"xx", SET_XX, SET_NX},
        {"get", SET_GET, 0},
        {"keepttl", SET_KEEPTTL, SET_ANY_EXPIRE | SET_PERSIST},
        {"persist", SET_PERSIST, SET_ANY_EXPIRE | SET_KEEPTTL},
        {"ex", SET_EX, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~(unsigned)SET_EX)},
        {"px", SET_PX, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~(unsigned)SET_PX)},
        {"exat", SET_EXAT, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~(unsigned)SET_EXAT)},
        {"pxat", SET_PXAT, SET_KEEPTTL | SET_PERSIST | (SET_ANY_EXPIRE & ~(unsigned)SET_PXAT)},
    };
    for (size_t j = first; j < req->argc; j++) {
        size_t o = 0;
        while (o < sizeof(options) / sizeof(options[0]) &&
               !cmd_arg_is(&req->argv[j], options[o].word)) {
            o++;
        }
        if (o == sizeof(options) / sizeof(options[0]) || (options[o].flag & allowed) == 0 ||
            (*flags & options[o].excludes) != 0) {
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

/* The absolute expire time of an EX/PX/EXAT/PXAT value, as getExpireMillisecondsOrReply in
 * t_string.c: the value must be a positive integer and the result must not overflow. */
static bool
set_expire_at(const struct resp_arg *arg, unsigned flags, uint64_t now_ms, int64_t *expire_at_ms,
              bool *is_integer)
{
    int64_t value;
    *is_integer = cmd_parse_i64(arg->bytes, arg->size_bytes, &value);
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

/* Whether expire (NULL: none) names a valid time: then *expire_at_ms is it (STORE_EXPIRE_NONE
 * for none) and nothing is replied. Else the error is replied and *replied is its status:
 * "invalid expire time in 'NAME' command" for a time that is not positive or overflows, "not
 * an integer" for a word. */
static bool
expire_is_valid_or_reply(const struct resp_arg *expire, unsigned flags, uint64_t now_ms,
                         const char *fullname, int64_t *expire_at_ms, struct resp_buf *out,
                         cmd_status *replied)
{
    *expire_at_ms = STORE_EXPIRE_NONE;
    bool is_integer = true;
    if (expire == NULL || set_expire_at(expire, flags, now_ms, expire_at_ms, &is_integer)) {
        return true;
    }
    *replied = cmd_replied(
        is_integer ? resp_buf_errorf(out, "ERR invalid expire time in '%s' command", fullname)
                   : resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    return false;
}

/* SET and its shorter forms once the options are known: setGenericCommand in t_string.c.
 * The reply is +OK (or :1 with is_reply_integer), a null bulk (:0) when NX or XX refused it,
 * or the old value with GET. */
static cmd_status
set_generic(struct store *s, const struct resp_arg *key, const struct resp_arg *value,
            unsigned flags, int64_t expire_at_ms, uint64_t now_ms, bool is_reply_integer,
            struct resp_buf *out)
{
    const struct store_value *old = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if ((flags & SET_GET) && cmd_reply_value(out, old) != CMD_OK) {
        return CMD_NOMEM; /* the old value is in out before it is overwritten */
    }
    if (((flags & SET_NX) && old != NULL) || ((flags & SET_XX) && old == NULL)) {
        if (flags & SET_GET) {
            return CMD_OK;
        }
        return cmd_replied(is_reply_integer ? resp_buf_integer(out, 0) : resp_buf_null_bulk(out));
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
    if (flags & SET_GET) {
        return CMD_OK;
    }
    return is_reply_integer ? cmd_replied(resp_buf_integer(out, 1)) : cmd_reply_ok(out);
}

cmd_status
cmd_set(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    unsigned flags = 0;
    const struct resp_arg *expire = NULL;
    unsigned allowed = ~(unsigned)SET_PERSIST;
    if (!set_parse_options(req, 3, allowed, &flags, &expire)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
    }
    int64_t expire_at_ms;
    cmd_status status;
    if (!expire_is_valid_or_reply(expire, flags, now_ms, "set", &expire_at_ms, out, &status)) {
        return status;
    }
    return set_generic(s, &req->argv[1], &req->argv[2], flags, expire_at_ms, now_ms, false, out);
}

cmd_status
cmd_setnx(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return set_generic(s, &req->argv[1], &req->argv[2], SET_NX, STORE_EXPIRE_NONE, now_ms, true,
                       out);
}

/* SETEX key seconds value and PSETEX key ms value: SET key value EX|PX time. */
static cmd_status
setex_generic(struct store *s, const struct resp_request *req, uint64_t now_ms, unsigned flag,
              const char *fullname, struct resp_buf *out)
{
    int64_t expire_at_ms;
    cmd_status status;
    if (!expire_is_valid_or_reply(&req->argv[2], flag, now_ms, fullname, &expire_at_ms, out,
                                  &status)) {
        return status;
    }
    return set_generic(s, &req->argv[1], &req->argv[3], flag, expire_at_ms, now_ms, false, out);
}

cmd_status
cmd_setex(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return setex_generic(s, req, now_ms, SET_EX, "setex", out);
}

cmd_status
cmd_psetex(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return setex_generic(s, req, now_ms, SET_PX, "psetex", out);
}

cmd_status
cmd_getset(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return set_generic(s, &req->argv[1], &req->argv[2], SET_GET, STORE_EXPIRE_NONE, now_ms, false,
                       out);
}

cmd_status
cmd_getdel(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (cmd_reply_value(out, v) != CMD_OK) {
        return CMD_NOMEM; /* the value is in out before it is freed */
    }
    if (v != NULL) {
        store_delete(s, key->bytes, key->size_bytes);
    }
    return CMD_OK;
}

/* GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: getexCommand in t_string.c, in its
 * order: the options' syntax, then a missing key is nil (its time is never checked), then the
 * time. A time already past deletes the key after its value is replied. */
cmd_status
cmd_getex(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    unsigned flags = 0;
    const struct resp_arg *expire = NULL;
    if (!set_parse_options(req, 2, SET_ANY_EXPIRE | SET_PERSIST, &flags, &expire)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
    }
    const struct resp_arg *key = &req->argv[1];
    if (store_lookup(s, key->bytes, key->size_bytes, now_ms) == NULL) {
        return cmd_replied(resp_buf_null_bulk(out));
    }
    int64_t expire_at_ms;
    cmd_status status;
    if (!expire_is_valid_or_reply(expire, flags, now_ms, "getex", &expire_at_ms, out, &status)) {
        return status;
    }
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    assert(v != NULL); /* found above, and nothing ran since */
    if (cmd_reply_value(out, v) != CMD_OK) {
        return CMD_NOMEM;
    }
    if ((flags & (SET_EXAT | SET_PXAT)) && expire_at_ms <= (int64_t)now_ms) {
        store_delete(s, key->bytes, key->size_bytes); /* a time past: the key goes at once */
    } else if (expire_at_ms != STORE_EXPIRE_NONE || (flags & SET_PERSIST)) {
        if (store_set_expire(s, key->bytes, key->size_bytes, expire_at_ms) != CMD_OK) {
            return CMD_NOMEM;
        }
    }
    return CMD_OK;
}

cmd_status
cmd_mget(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    if (resp_buf_array(out, req->argc - 1) != RESP_OK) {
        return CMD_NOMEM;
    }
    for (size_t i = 1; i < req->argc; i++) {
        const struct resp_arg *key = &req->argv[i];
        if (cmd_reply_value(out, store_lookup(s, key->bytes, key->size_bytes, now_ms)) != CMD_OK) {
            return CMD_NOMEM;
        }
    }
    return CMD_OK;
}

/* MSET and MSETNX: msetGenericCommand. MSETNX sets nothing when any key exists. */
static cmd_status
mset_generic(struct store *s, const struct resp_request *req, uint64_t now_ms, bool is_nx,
             struct resp_buf *out)
{
    if (req->argc % 2 == 0) {
        return cmd_reply_arity(out, is_nx ? "msetnx" : "mset"); /* pairs only */
    }
    for (size_t i = 1; is_nx && i < req->argc; i += 2) {
        const struct resp_arg *key = &req->argv[i];
        if (store_lookup(s, key->bytes, key->size_bytes, now_ms) != NULL) {
            return cmd_replied(resp_buf_integer(out, 0));
        }
    }
    for (size_t i = 1; i < req->argc; i += 2) {
        const struct resp_arg *key = &req->argv[i];
        const struct resp_arg *value = &req->argv[i + 1];
        if (store_set(s, key->bytes, key->size_bytes, value->bytes, value->size_bytes, false) !=
            CMD_OK) {
            return CMD_NOMEM;
        }
    }
    return is_nx ? cmd_replied(resp_buf_integer(out, 1)) : cmd_reply_ok(out);
}

cmd_status
cmd_mset(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return mset_generic(s, req, now_ms, false, out);
}

cmd_status
cmd_msetnx(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return mset_generic(s, req, now_ms, true, out);
}

/* ---- Bytes of a value ------------------------------------------------------------------- */

cmd_status
cmd_strlen(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    return cmd_replied(resp_buf_integer(out, v != NULL ? (int64_t)v->size_bytes : 0));
}

/* Redis's checkStringLength: a string may not grow past proto-max-bulk-len. */
static bool
string_fits(size_t size_bytes, size_t more_bytes)
{
    return more_bytes <= CMD_STRING_SIZE_BYTES_MAX &&
           size_bytes <= CMD_STRING_SIZE_BYTES_MAX - more_bytes;
}

#define ERR_STRING_TOO_BIG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

/* Writes bytes at offset of key's value (old, or NULL for a new key), padding with zero bytes:
 * the one copy APPEND and SETRANGE make. The TTL stays. */
static cmd_status
splice(struct store *s, const struct resp_arg *key, const struct store_value *old, size_t offset,
       const struct resp_arg *bytes, size_t *new_size)
{
    size_t old_size = old != NULL ? old->size_bytes : 0;
    size_t size = offset + bytes->size_bytes > old_size ? offset + bytes->size_bytes : old_size;
    char *copy = malloc(size + 1);
    if (copy == NULL) {
        return CMD_NOMEM;
    }
    if (old_size > 0) {
        memcpy(copy, old->bytes, old_size);
    }
    if (offset > old_size) {
        memset(copy + old_size, 0, offset - old_size);
    }
    memcpy(copy + offset, bytes->bytes, bytes->size_bytes);
    cmd_status status = store_set(s, key->bytes, key->size_bytes, copy, size, true);
    free(copy);
    *new_size = size;
    return status;
}

cmd_status
cmd_append(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    size_t old_size = v != NULL ? v->size_bytes : 0;
    if (!string_fits(old_size, req->argv[2].size_bytes)) {
        return cmd_replied(resp_buf_error(out, ERR_STRING_TOO_BIG));
    }
    size_t size;
    if (splice(s, key, v, old_size, &req->argv[2], &size) != CMD_OK) {
        return CMD_NOMEM;
    }
    return cmd_replied(resp_buf_integer(out, (int64_t)size));
}

/* GETRANGE key start end: getrangeCommand. Negative indexes count from the end; the range is
 * clamped to the value, and an empty range (or a missing key) is "". */
cmd_status
cmd_getrange(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t start, end;
    if (!cmd_parse_i64(req->argv[2].bytes, req->argv[2].size_bytes, &start) ||
        !cmd_parse_i64(req->argv[3].bytes, req->argv[3].size_bytes, &end)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    int64_t size = v != NULL ? (int64_t)v->size_bytes : 0;
    if ((start < 0 && end < 0 && start > end) || size == 0) {
        return cmd_replied(resp_buf_bulk(out, "", 0));
    }
    start = start < 0 ? size + start : start;
    end = end < 0 ? size + end : end;
    start = start < 0 ? 0 : start;
    end = end < 0 ? 0 : end;
    end = end >= size ? size - 1 : end;
    if (start > end) {
        return cmd_replied(resp_buf_bulk(out, "", 0));
    }
    return cmd_replied(resp_buf_bulk(out, v->bytes + start, (size_t)(end - start + 1)));
}

/* SETRANGE key offset value: setrangeCommand, checks in its order. An empty value changes
 * nothing and creates no key. */
cmd_status
cmd_setrange(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t offset;
    if (!cmd_parse_i64(req->argv[2].bytes, req->argv[2].size_bytes, &offset)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    if (offset < 0) {
        return cmd_replied(resp_buf_error(out, "ERR offset is out of range"));
    }
    const struct resp_arg *key = &req->argv[1];
    const struct resp_arg *value = &req->argv[3];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (value->size_bytes == 0) {
        return cmd_replied(resp_buf_integer(out, v != NULL ? (int64_t)v->size_bytes : 0));
    }
    if ((uint64_t)offset > CMD_STRING_SIZE_BYTES_MAX ||
        !string_fits((size_t)offset, value->size_bytes)) {
        return cmd_replied(resp_buf_error(out, ERR_STRING_TOO_BIG));
    }
    size_t size;
    if (splice(s, key, v, (size_t)offset, value, &size) != CMD_OK) {
        return CMD_NOMEM;
    }
    return cmd_replied(resp_buf_integer(out, (int64_t)size));
}

/* ---- Counters --------------------------------------------------------------------------- */

/* INCR, DECR, INCRBY and DECRBY: incrDecrCommand in t_string.c. The TTL stays. */
static cmd_status
incr_by(struct store *s, const struct resp_arg *key, int64_t by, uint64_t now_ms,
        struct resp_buf *out)
{
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    int64_t old = 0;
    if (v != NULL && !cmd_parse_i64(v->bytes, v->size_bytes, &old)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    if ((by < 0 && old < 0 && by < INT64_MIN - old) ||
        (by > 0 && old > 0 && by > INT64_MAX - old)) {
        return cmd_replied(resp_buf_error(out, "ERR increment or decrement would overflow"));
    }
    int64_t now = old + by;
    char text[CMD_I64_TEXT_SIZE_BYTES];
    int length = snprintf(text, sizeof(text), "%" PRId64, now);
    assert(length > 0);
    assert((size_t)length < sizeof(text));
    if (store_set(s, key->bytes, key->size_bytes, text, (size_t)length, true) != CMD_OK) {
        return CMD_NOMEM;
    }
    return cmd_replied(resp_buf_integer(out, now));
}

cmd_status
cmd_incr(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return incr_by(s, &req->argv[1], 1, now_ms, out);
}

cmd_status
cmd_decr(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    return incr_by(s, &req->argv[1], -1, now_ms, out);
}

cmd_status
cmd_incrby(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t by;
    if (!cmd_parse_i64(req->argv[2].bytes, req->argv[2].size_bytes, &by)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    return incr_by(s, &req->argv[1], by, now_ms, out);
}

cmd_status
cmd_decrby(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t by;
    if (!cmd_parse_i64(req->argv[2].bytes, req->argv[2].size_bytes, &by)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
    }
    if (by == INT64_MIN) {
        return cmd_replied(resp_buf_error(out, "ERR decrement would overflow")); /* -by overflows */
    }
    return incr_by(s, &req->argv[1], -by, now_ms, out);
}

/* INCRBYFLOAT key increment: incrbyfloatCommand. The sum is a long double, written back as
 * ld2string's human form; a NaN or an infinity is refused and the key left as it was. */
cmd_status
cmd_incrbyfloat(struct store *s, const struct resp_request *req, uint64_t now_ms,
                struct resp_buf *out)
{
    const struct resp_arg *key = &req->argv[1];
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    long double old = 0, by;
    if ((v != NULL && !cmd_parse_long_double(v->bytes, v->size_bytes, &old)) ||
        !cmd_parse_long_double(req->argv[2].bytes, req->argv[2].size_bytes, &by)) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_FLOAT));
    }
    long double sum = old + by;
    if (isnan(sum) || isinf(sum)) {
        return cmd_replied(resp_buf_error(out, "ERR increment would produce NaN or Infinity"));
    }
    char text[CMD_LONG_DOUBLE_TEXT_SIZE_BYTES_MAX];
    size_t length = cmd_format_long_double(sum, text, sizeof(text));
    if (length == 0) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_FLOAT));
    }
    if (store_set(s, key->bytes, key->size_bytes, text, length, true) != CMD_OK) {
        return CMD_NOMEM;
    }
    return cmd_replied(resp_buf_bulk(out, text, length));
}
