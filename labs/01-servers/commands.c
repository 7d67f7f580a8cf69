/* commands.c -- your Redis commands for lab 01 part B, built on store.h's keyspace API. The
 * README lists the commands and the exact texts of their errors; store.h says what cmd_execute
 * must return. Redis's own src/t_string.c, src/expire.c, src/db.c and src/server.c are where to
 * compare behaviour (read them; write your own code). */
#include "store.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

cmd_status
cmd_execute(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    assert(s != NULL);
    assert(req != NULL);
    assert(req->argc >= 1);
    (void)now_ms;
    /* TODO(part B): look req->argv[0] up, case-insensitively, in a table of commands with their
     * arities (Redis's convention: 2 means exactly two words, -3 at least three), reply
     * "ERR unknown command ..." or "ERR wrong number of arguments for 'get' command" (the
     * README has the exact forms), and call the command's function. The unknown-command
     * message quotes up to 128 bytes of the name and 128 of the arguments, so it can be longer
     * than resp_buf_errorf keeps (it cuts at RESP_ERROR_SIZE_BYTES_MAX - 1 = 127 bytes, resp.h):
     * build that one in a buffer of your own and send it with resp_buf_error. Pub/sub commands
     * return CMD_NOT_MINE without a reply; QUIT replies +OK and returns CMD_QUIT. Every reply goes
     * through your part A writer (resp_buf_*): RESP_NOMEM there means CMD_NOMEM here. Until
     * then every command gets this error, so a server built from this file still runs: */
    (void)resp_buf_error(out, "ERR not implemented yet");
    return CMD_OK;
}
