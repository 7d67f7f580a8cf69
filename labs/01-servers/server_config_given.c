/* server_config_given.c -- CONFIG GET and CONFIG SET for lab 01's server (given; students do
 * not change it): the settings the server really has, by Redis's names, with their real values;
 * only maxclients changes at run time. server_command_execute (server_commands_given.c) calls
 * server_config_execute. Replies and errors are Redis 7.0's src/config.c. */
#include "commands.h"
#include "glob.h"
#include "server.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CONFIG ------------------------------------------------------------------------------- */

enum config_param {
    CONFIG_BIND,
    CONFIG_PORT,
    CONFIG_TCP_BACKLOG,
    CONFIG_TIMEOUT,
    CONFIG_MAXCLIENTS,
    CONFIG_MAXMEMORY,
    CONFIG_MAXMEMORY_POLICY,
    CONFIG_DATABASES,
    CONFIG_SAVE,
    CONFIG_APPENDONLY,
    CONFIG_HZ,
    CONFIG_PROTO_MAX_BULK_LEN,
    CONFIG_CLIENT_QUERY_BUFFER_LIMIT,
    CONFIG_PARAM_COUNT,
};

/* The settings this server has, by Redis's names: every one CONFIG GET can match. Only
 * maxclients changes at run time (server_accept reads it on every accept). */
static const char *const config_names[CONFIG_PARAM_COUNT] = {"bind",
                                                             "port",
                                                             "tcp-backlog",
                                                             "timeout",
                                                             "maxclients",
                                                             "maxmemory",
                                                             "maxmemory-policy",
                                                             "databases",
                                                             "save",
                                                             "appendonly",
                                                             "hz",
                                                             "proto-max-bulk-len",
                                                             "client-query-buffer-limit"};

/* The value of param, as CONFIG GET prints it. */
static void
config_value(const struct server *server, enum config_param param, char *text, size_t text_size)
{
    switch (param) {
    case CONFIG_BIND:
        snprintf(text, text_size, "127.0.0.1"); /* server_open binds loopback only */
        return;
    case CONFIG_PORT:
        snprintf(text, text_size, "%u", server->port);
        return;
    case CONFIG_TCP_BACKLOG:
        snprintf(text, text_size, "511"); /* server_given.c's LISTEN_BACKLOG */
        return;
    case CONFIG_TIMEOUT: /* seconds, as Redis's; --idle-timeout-ms is finer */
        snprintf(text, text_size, "%" PRIu64, server->config.idle_timeout_ms / 1000);
        return;
    case CONFIG_MAXCLIENTS:
        snprintf(text, text_size, "%zu", atomic_load(&server->clients_max));
        return;
    case CONFIG_MAXMEMORY:
        snprintf(text, text_size, "0"); /* no limit: the store never evicts */
        return;
    case CONFIG_MAXMEMORY_POLICY:
        snprintf(text, text_size, "noeviction");
        return;
    case CONFIG_DATABASES:
        snprintf(text, text_size, "1");
        return;
    case CONFIG_SAVE:
        snprintf(text, text_size, "%s", ""); /* no snapshots */
        return;
    case CONFIG_APPENDONLY:
        snprintf(text, text_size, "%s", server->config.backend_ops != NULL ? "yes" : "no");
        return;
    case CONFIG_HZ:
        snprintf(text, text_size, "%u", 1000u / SERVER_CRON_INTERVAL_MS);
        return;
    case CONFIG_PROTO_MAX_BULK_LEN:
        snprintf(text, text_size, "%zu", RESP_BULK_SIZE_BYTES_MAX);
        return;
    default:
        assert(param == CONFIG_CLIENT_QUERY_BUFFER_LIMIT);
        snprintf(text, text_size, "%zu", RESP_REQUEST_SIZE_BYTES_MAX);
        return;
    }
}

/* Marks in is_matched each setting pattern matches, counting the new ones in *matched. Names
 * are lower case and Redis ignores case here, so the pattern is matched in lower case, through
 * a copy (on the stack up to CMD_KEY_COPY_SIZE_BYTES, else on the heap). False on out of
 * memory. */
static bool
config_match(const struct resp_arg *pattern, bool is_matched[], size_t *matched)
{
    char small[CMD_KEY_COPY_SIZE_BYTES];
    char *lower = pattern->size_bytes <= sizeof(small) ? small : malloc(pattern->size_bytes);
    if (lower == NULL) {
        return false;
    }
    for (size_t i = 0; i < pattern->size_bytes; i++) {
        char ch = pattern->bytes[i];
        lower[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    for (size_t p = 0; p < CONFIG_PARAM_COUNT; p++) {
        if (!is_matched[p] &&
            glob_match(lower, pattern->size_bytes, config_names[p], strlen(config_names[p]))) {
            is_matched[p] = true;
            (*matched)++;
        }
    }
    if (lower != small) {
        free(lower);
    }
    return true;
}

/* CONFIG GET pattern...: name and value of every setting any pattern matches, each once, in
 * the table's order. A pattern is Redis's glob over the whole name, ignoring case. */
static cmd_status
config_get(struct client *c, const struct resp_request *req)
{
    bool is_matched[CONFIG_PARAM_COUNT] = {false};
    size_t matched = 0;
    for (size_t j = 2; j < req->argc; j++) {
        if (!config_match(&req->argv[j], is_matched, &matched)) {
            return CMD_NOMEM;
        }
    }
    resp_status status = resp_buf_array(&c->out, 2 * matched);
    for (size_t p = 0; p < CONFIG_PARAM_COUNT && status == RESP_OK; p++) {
        if (is_matched[p]) {
            char value[64];
            config_value(c->server, (enum config_param)p, value, sizeof(value));
            status = resp_buf_bulk(&c->out, config_names[p], strlen(config_names[p]));
            status = status == RESP_OK ? resp_buf_bulk(&c->out, value, strlen(value)) : status;
        }
    }
    return cmd_replied(status);
}

/* The setting named name, or CONFIG_PARAM_COUNT for none. */
static size_t
config_param_of(const struct resp_arg *name)
{
    size_t p = 0;
    while (p < CONFIG_PARAM_COUNT && !cmd_arg_is(name, config_names[p])) {
        p++;
    }
    return p;
}

static cmd_status
config_set_failed(struct client *c, const struct resp_arg *name, const char *why)
{
    return cmd_replied(
        resp_buf_errorf(&c->out, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
                        name->bytes, why));
}

/* CONFIG SET name value [name value ...]: all or nothing, in configSetCommand's order (config.c,
 * Redis 7.0): the names pair by pair, an immutable or repeated one failing at once and an
 * unknown one reported after the walk (later pairs are then not checked); then the values;
 * then they are applied. Only maxclients changes here. */
static cmd_status
config_set(struct client *c, const struct resp_request *req)
{
    if (req->argc < 4 || req->argc % 2 != 0) {
        return cmd_replied(resp_buf_error(&c->out, CMD_ERR_SYNTAX));
    }
    bool is_named[CONFIG_PARAM_COUNT] = {false};
    const struct resp_arg *unknown = NULL;
    for (size_t j = 2; j < req->argc; j += 2) {
        size_t p = config_param_of(&req->argv[j]);
        if (p == CONFIG_PARAM_COUNT || unknown != NULL) {
            unknown = unknown != NULL ? unknown : &req->argv[j];
            continue;
        }
        if (p != CONFIG_MAXCLIENTS) {
            return config_set_failed(c, &req->argv[j], "can't set immutable config");
        }
        if (is_named[p]) {
            return config_set_failed(c, &req->argv[j], "duplicate parameter");
        }
        is_named[p] = true;
    }
    if (unknown != NULL) {
        return cmd_replied(resp_buf_errorf(
            &c->out, "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
            unknown->bytes));
    }
    assert(req->argc == 4); /* one changeable setting, named once */
    int64_t clients_max;
    const struct resp_arg *value = &req->argv[3];
    if (!cmd_parse_i64(value->bytes, value->size_bytes, &clients_max)) {
        return config_set_failed(c, &req->argv[2], "argument couldn't be parsed into an integer");
    }
    if (clients_max < 1 || clients_max > UINT32_MAX) {
        return config_set_failed(c, &req->argv[2],
                                 "argument must be between 1 and 4294967295 inclusive");
    }
    atomic_store(&c->server->clients_max, (size_t)clients_max);
    return cmd_reply_ok(&c->out);
}

cmd_status
server_config_execute(struct client *c, const struct resp_request *req)
{
    if (cmd_arg_is(&req->argv[1], "get")) {
        return req->argc < 3 ? cmd_reply_arity(&c->out, "config|get") : config_get(c, req);
    }
    if (cmd_arg_is(&req->argv[1], "set")) {
        return req->argc < 4 ? cmd_reply_arity(&c->out, "config|set") : config_set(c, req);
    }
    return cmd_reply_unknown_subcommand(&c->out, &req->argv[1], "CONFIG");
}
