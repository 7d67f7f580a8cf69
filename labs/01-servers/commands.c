/* commands.c -- your Redis commands for lab 01 part B, built on store.h's keyspace API: the
 * dispatch (cmd_execute), the connection commands, keys and expiry. The string commands are in
 * strings.c. commands.h is the catalog every name is looked up in, with its arity, and declares
 * the helpers you may use; the README lists the commands and the exact texts of their errors.
 * Redis's own src/expire.c, src/db.c and src/server.c are where to compare behaviour (read
 * them; write your own code). */
#include "commands.h"

#include <assert.h>
#include <string.h>

cmd_status
cmd_execute(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    assert(s != NULL);
    assert(req != NULL);
    assert(req->argc >= 1);
    (void)now_ms;
    /* TODO(part B): look req->argv[0] up in the catalog (cmd_spec_find, commands.h), reply
     * "ERR unknown command ..." for a name it lacks or "ERR wrong number of arguments for 'get'
     * command" for a wrong arity (Redis's convention: 2 means exactly two words, -3 at least
     * three; the README has the exact forms), and call the row's handler. A row without a
     * handler is the server's (pub/sub, CLIENT, CONFIG ...): return CMD_NOT_MINE, appending
     * nothing, whatever its arguments. The unknown-command message quotes up to 128 bytes of the
     * name and 128 of the arguments, so it can be longer than resp_buf_errorf keeps (it cuts at
     * RESP_ERROR_SIZE_BYTES_MAX - 1 = 127 bytes, resp.h): build that one in a buffer of your own
     * and send it with resp_buf_error. Every reply goes through your part A writer (resp_buf_*):
     * RESP_NOMEM there means CMD_NOMEM here. Until then every command gets this error, so a
     * server built from this file still runs: */
    (void)resp_buf_error(out, "ERR not implemented yet");
    return CMD_OK;
}

/* Each handler below runs once cmd_execute has checked the name and the arity. */

cmd_status
cmd_ping(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PING [message]: +PONG, or the message as a bulk string. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_echo(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): ECHO message: the message as a bulk string. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_quit(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): QUIT: +OK, and return CMD_QUIT so the server closes after it. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_del(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): DEL key...: how many existed (an expired key does not count); UNLINK is the
     * same. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_exists(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): EXISTS key...: how many exist (a key named twice counts twice). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_expire(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): EXPIRE key seconds [NX|XX|GT|LT] (the README gives the order of the checks). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_pexpire(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PEXPIRE key ms [NX|XX|GT|LT]: EXPIRE in milliseconds. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_expireat(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): EXPIREAT key unix-seconds [NX|XX|GT|LT]: EXPIRE from 0 instead of now. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_pexpireat(struct store *s, const struct resp_request *req, uint64_t now_ms,
              struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PEXPIREAT key unix-ms [NX|XX|GT|LT]. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_ttl(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): TTL key: seconds left, rounded half up; -1 without a TTL; -2 when missing. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_pttl(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PTTL key: milliseconds left. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_expiretime(struct store *s, const struct resp_request *req, uint64_t now_ms,
               struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): EXPIRETIME key: the Unix second the key expires at (-1, -2 as TTL). */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_pexpiretime(struct store *s, const struct resp_request *req, uint64_t now_ms,
                struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PEXPIRETIME key: the Unix millisecond. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_persist(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): PERSIST key: 1 if a TTL was removed. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_rename(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): RENAME key newkey: the value and its TTL move; "ERR no such key". */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_renamenx(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): RENAMENX key newkey: :1, or :0 when newkey exists. */
    return CMD_UNIMPLEMENTED;
}

cmd_status
cmd_copy(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    (void)now_ms;
    (void)out;
    /* TODO(part B): COPY source destination [DB 0] [REPLACE]: :1 if copied, TTL included. */
    return CMD_UNIMPLEMENTED;
}
