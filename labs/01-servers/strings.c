/* strings.c -- your string commands for lab 01 part B: GET and SET with their options and
 * variants, MGET, MSET, MSETNX, the byte commands (STRLEN, APPEND, GETRANGE, SETRANGE) and the
 * counters. Most are SET or a lookup with fewer options: write SET first and build the others
 * on its parts. Redis's src/t_string.c is where to compare replies and errors. */
#include "commands.h"

cmd_status
cmd_get(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): GET key: the value, or a null bulk. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_set(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT time|KEEPTTL]. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_setnx(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): SETNX key value: SET NX, replying :1 or :0. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_setex(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): SETEX key seconds value: SET EX, "invalid expire time in 'setex' command". */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_psetex(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PSETEX key ms value. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_getset(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): GETSET key value: SET GET (the TTL goes). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_getdel(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): GETDEL key: the value, then the key is deleted. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_getex(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): GETEX key [EX|PX|EXAT|PXAT time|PERSIST]: the value, and a new TTL. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_mget(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): MGET key...: an array of values and nulls. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_mset(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): MSET key value [key value...]: pairs only, +OK, TTLs removed. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_msetnx(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): MSETNX key value...: all or nothing, :1 or :0. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_strlen(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): STRLEN key: the value's length, 0 when missing. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_append(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): APPEND key value: the new length (512 MiB at most). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_getrange(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): GETRANGE key start end: negative indexes count from the end. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_setrange(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): SETRANGE key offset value: zero padding; 512 MiB at most. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_incr(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): INCR key: +1, strict integers, overflow checked, TTL kept. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_decr(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): DECR key. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_incrby(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): INCRBY key n. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_decrby(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): DECRBY key n (-INT64_MIN has no int64). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_incrbyfloat(struct store *s, const struct resp_request *req, uint64_t now_ms,
                struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): INCRBYFLOAT key x: long double, written as cmd_format_long_double does. */
    return CMD_UNIMPLEMENTED;
}
