/* server_commands_given.c -- the commands lab 01's server answers itself, because they concern
 * connections or the server rather than the keyspace (given; students do not change it):
 * CLIENT, HELLO, CONFIG (server_config_given.c), INFO, RESET and PUBSUB. server_execute calls
 * server_command_execute for what cmd_execute leaves to the server. Read server_command_execute
 * first. Replies and errors are Redis 7.0's: src/networking.c (CLIENT, HELLO, RESET), src/config.c,
 * src/server.c (INFO) and src/pubsub.c. */
#include "commands.h"
#include "glob.h"
#include "server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

/* INFO's text and a CLIENT LIST line are built in one buffer first: their sizes are known
 * only at the end, and a bulk string needs its size up front. */
struct text {
    char *bytes; /* owned */
    size_t size_bytes;
    size_t capacity_bytes;
    bool is_out_of_memory;
};

static void text_printf(struct text *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_printf(struct text *t, const char *format, ...)
{
    for (int attempt = 0; attempt < 2 && !t->is_out_of_memory; attempt++) {
        va_list args;
        va_start(args, format);
        size_t room = t->capacity_bytes - t->size_bytes;
        int n = vsnprintf(t->bytes != NULL ? t->bytes + t->size_bytes : NULL, room, format, args);
        va_end(args);
        if (n < 0) {
            t->is_out_of_memory = true;
            return;
        }
        if ((size_t)n < room) {
            t->size_bytes += (size_t)n;
            return;
        }
        size_t capacity = 2 * (t->capacity_bytes + (size_t)n + 64);
        char *grown = realloc(t->bytes, capacity);
        if (grown == NULL) {
            t->is_out_of_memory = true;
            return;
        }
        t->bytes = grown;
        t->capacity_bytes = capacity;
    }
}

static cmd_status
reply_text(struct resp_buf *out, struct text *t)
{
    cmd_status status =
        t->is_out_of_memory
            ? CMD_NOMEM
            : cmd_replied(resp_buf_bulk(out, t->bytes != NULL ? t->bytes : "", t->size_bytes));
    free(t->bytes);
    return status;
}

/* ---- CLIENT ------------------------------------------------------------------------------- */

/* Redis's validateClientName: a name is bytes '!' to '~', so CLIENT LIST stays one line of
 * space-separated fields. The empty name removes the name. */
static bool
is_valid_client_name(const struct resp_arg *name)
{
    for (size_t i = 0; i < name->size_bytes; i++) {
        if (name->bytes[i] < '!' || name->bytes[i] > '~') {
            return false;
        }
    }
    return true;
}

/* Sets c's name, or replies Redis's error. Returns CMD_OK, or CMD_NOMEM. */
static cmd_status
client_set_name(struct client *c, const struct resp_arg *name, bool *is_valid)
{
    *is_valid = is_valid_client_name(name);
    if (!*is_valid) {
        return cmd_replied(resp_buf_error(
            &c->out, "ERR Client names cannot contain spaces, newlines or special characters."));
    }
    char *copy = NULL;
    if (name->size_bytes > 0) {
        copy = malloc(name->size_bytes + 1);
        if (copy == NULL) {
            return CMD_NOMEM;
        }
        memcpy(copy, name->bytes, name->size_bytes);
        copy[name->size_bytes] = '\0';
    }
    free(c->name);
    c->name = copy;
    c->name_size_bytes = name->size_bytes;
    return CMD_OK;
}

static void
format_address(int fd, bool is_local, char *text, size_t text_size)
{
    struct sockaddr_in addr;
    socklen_t size = sizeof(addr);
    int rc = is_local ? getsockname(fd, (struct sockaddr *)&addr, &size)
                      : getpeername(fd, (struct sockaddr *)&addr, &size);
    char ip[INET_ADDRSTRLEN] = "?";
    if (rc != 0 || addr.sin_family != AF_INET ||
        inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip)) == NULL) {
        snprintf(text, text_size, "?:0");
        return;
    }
    snprintf(text, text_size, "%s:%u", ip, ntohs(addr.sin_port));
}

/* One CLIENT LIST line, in Redis 7.0's field order. The fields this server does not track
 * (query and output buffer sizes, memory) are 0; idle is reported by the epoll model only,
 * whose one thread owns every client (the blocking models' threads write last_active_ms
 * without the server lock). */
static void
client_line(struct text *t, const struct client *c, uint64_t now_ms, const char *current_cmd)
{
    char addr[64], laddr[64];
    format_address(c->fd, false, addr, sizeof(addr));
    format_address(c->fd, true, laddr, sizeof(laddr));
    uint64_t idle_ms =
        !c->server->is_locked_model && now_ms > c->last_active_ms ? now_ms - c->last_active_ms : 0;
    text_printf(t,
                "id=%" PRIu64 " addr=%s laddr=%s fd=%d name=%.*s age=%" PRIu64 " idle=%" PRIu64
                " flags=%s db=0 sub=%zu psub=%zu ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 "
                "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s "
                "user=default redir=-1 resp=2\n",
                c->id, addr, laddr, c->fd, (int)c->name_size_bytes, c->name != NULL ? c->name : "",
                (now_ms - c->created_ms) / 1000, idle_ms / 1000,
                pubsub_client_count(&c->sub) > 0 ? "P" : "N", c->sub.channel_count,
                c->sub.pattern_count, current_cmd);
}

/* CLIENT LIST [ID id...], oldest first, as Redis lists them (ascending ids: server->clients is
 * newest first and in id order, so it is walked back from its tail). An ID that is not an
 * integer is Redis's "Invalid client ID"; one no client has lists nothing. The caller holds
 * server->lock in the locked models, so no client's name or subscriptions change under it. */
static cmd_status
client_list(struct client *c, const struct resp_request *req, uint64_t now_ms)
{
    if (req->argc > 2 && !(req->argc > 3 && cmd_arg_is(&req->argv[2], "id"))) {
        return cmd_replied(resp_buf_error(&c->out, CMD_ERR_SYNTAX));
    }
    for (size_t i = 3; i < req->argc; i++) {
        int64_t id;
        if (!cmd_parse_i64(req->argv[i].bytes, req->argv[i].size_bytes, &id)) {
            return cmd_replied(resp_buf_error(&c->out, "ERR Invalid client ID"));
        }
    }
    struct text t = {0};
    struct server *server = c->server;
    pthread_mutex_lock(&server->clients_lock);
    const struct client *last = server->clients;
    while (last != NULL && last->next != NULL) {
        last = last->next;
    }
    for (const struct client *o = last; o != NULL; o = o->prev) {
        assert(o->prev == NULL || o->prev->id > o->id); /* newest first, in id order */
        bool is_listed = req->argc == 2;
        for (size_t i = 3; i < req->argc && !is_listed; i++) {
            int64_t id;
            is_listed = cmd_parse_i64(req->argv[i].bytes, req->argv[i].size_bytes, &id) &&
                        (uint64_t)id == o->id;
        }
        if (is_listed) {
            client_line(&t, o, now_ms, o == c ? "client|list" : "NULL");
        }
    }
    pthread_mutex_unlock(&server->clients_lock);
    return reply_text(&c->out, &t);
}

/* What CLIENT KILL's filters ask for (clientKillCommand, networking.c). */
struct kill_filter {
    const struct resp_arg *addr;  /* NULL: any */
    const struct resp_arg *laddr; /* NULL: any */
    int64_t id;                   /* -1: any */
    int type;                     /* -1: any; else 0 normal, 1 pubsub, 2 master or replica */
    bool is_skip_me;
};

/* Reads the new form's filters into f, or replies Redis's error and returns false. */
static bool
kill_filter_parse(struct client *c, const struct resp_request *req, struct kill_filter *f,
                  cmd_status *replied)
{
    static const char *const types[] = {"normal", "pubsub", "master", "replica", "slave"};
    for (size_t j = 2; j < req->argc; j += 2) {
        const struct resp_arg *option = &req->argv[j];
        const struct resp_arg *value = j + 1 < req->argc ? &req->argv[j + 1] : NULL;
        const char *error = NULL;
        if (value == NULL) {
            error = CMD_ERR_SYNTAX;
        } else if (cmd_arg_is(option, "id")) {
            if (!cmd_parse_i64(value->bytes, value->size_bytes, &f->id) || f->id <= 0) {
                error = "ERR client-id should be greater than 0";
            }
        } else if (cmd_arg_is(option, "addr") || cmd_arg_is(option, "laddr")) {
            *(cmd_arg_is(option, "addr") ? &f->addr : &f->laddr) = value;
        } else if (cmd_arg_is(option, "type")) {
            size_t t = 0;
            while (t < 5 && !cmd_arg_is(value, types[t])) {
                t++;
            }
            if (t == 5) {
                *replied = cmd_replied(
                    resp_buf_errorf(&c->out, "ERR Unknown client type '%s'", value->bytes));
                return false;
            }
            f->type = t < 2 ? (int)t : 2; /* this server has no master and no replicas */
        } else if (cmd_arg_is(option, "user")) {
            if (!cmd_arg_is(value, "default")) { /* the only user, as Redis without ACLs */
                *replied =
                    cmd_replied(resp_buf_errorf(&c->out, "ERR No such user '%s'", value->bytes));
                return false;
            }
        } else if (cmd_arg_is(option, "skipme") &&
                   (cmd_arg_is(value, "yes") || cmd_arg_is(value, "no"))) {
            f->is_skip_me = cmd_arg_is(value, "yes");
        } else {
            error = CMD_ERR_SYNTAX;
        }
        if (error != NULL) {
            *replied = cmd_replied(resp_buf_error(&c->out, error));
            return false;
        }
    }
    return true;
}

static bool
is_address(int fd, bool is_local, const struct resp_arg *wanted)
{
    char addr[64];
    format_address(fd, is_local, addr, sizeof(addr));
    return strlen(addr) == wanted->size_bytes &&
           memcmp(addr, wanted->bytes, wanted->size_bytes) == 0;
}

/* True when client o passes every filter of f (c is the client asking). */
static bool
kill_filter_matches(const struct kill_filter *f, const struct client *c, const struct client *o)
{
    int type = pubsub_client_count(&o->sub) > 0 ? 1 : 0;
    return (f->id < 0 || o->id == (uint64_t)f->id) &&
           (f->addr == NULL || is_address(o->fd, false, f->addr)) &&
           (f->laddr == NULL || is_address(o->fd, true, f->laddr)) &&
           (f->type < 0 || f->type == type) && !(o == c && f->is_skip_me);
}

/* CLIENT KILL addr:port (the old form: +OK or an error) or CLIENT KILL ID id | ADDR addr |
 * LADDR addr | TYPE type | USER name | SKIPME yes/no ... (the new form: how many were
 * killed). A killed client is shut down, so whichever thread serves it reads the end of its
 * stream and frees it; c itself closes once its reply is written, as Redis's
 * CLIENT_CLOSE_AFTER_REPLY. */
static cmd_status
client_kill(struct client *c, const struct resp_request *req)
{
    bool is_old_form = req->argc == 3;
    struct kill_filter f = {is_old_form ? &req->argv[2] : NULL, NULL, -1, -1, !is_old_form};
    cmd_status replied;
    if (!is_old_form && !kill_filter_parse(c, req, &f, &replied)) {
        return replied;
    }
    int64_t killed = 0;
    struct server *server = c->server;
    pthread_mutex_lock(&server->clients_lock);
    for (struct client *o = server->clients; o != NULL; o = o->next) {
        if (!kill_filter_matches(&f, c, o)) {
            continue;
        }
        killed++;
        if (o == c) {
            c->is_closing = true; /* after this reply */
        } else {
            shutdown(o->fd, SHUT_RDWR); /* its own thread or loop sees the end and frees it */
        }
    }
    pthread_mutex_unlock(&server->clients_lock);
    if (is_old_form) {
        return killed > 0 ? cmd_reply_ok(&c->out)
                          : cmd_replied(resp_buf_error(&c->out, "ERR No such client"));
    }
    return cmd_replied(resp_buf_integer(&c->out, killed));
}

static cmd_status
execute_client(struct client *c, const struct resp_request *req, uint64_t now_ms)
{
    static const struct {
        const char *word;
        int arity;
        const char *fullname;
    } subs[] = {{"id", 2, "client|id"},           {"getname", 2, "client|getname"},
                {"setname", 3, "client|setname"}, {"setinfo", 4, "client|setinfo"},
                {"list", -2, "client|list"},      {"info", 2, "client|info"},
                {"kill", -3, "client|kill"}};
    size_t i = 0;
    while (i < sizeof(subs) / sizeof(subs[0]) && !cmd_arg_is(&req->argv[1], subs[i].word)) {
        i++;
    }
    if (i == sizeof(subs) / sizeof(subs[0])) {
        return cmd_reply_unknown_subcommand(&c->out, &req->argv[1], "CLIENT");
    }
    if ((subs[i].arity > 0 && req->argc != (size_t)subs[i].arity) ||
        (subs[i].arity < 0 && req->argc < (size_t)-subs[i].arity)) {
        return cmd_reply_arity(&c->out, subs[i].fullname);
    }
    bool is_valid;
    switch (i) {
    case 0:
        return cmd_replied(resp_buf_integer(&c->out, (int64_t)c->id));
    case 1:
        return cmd_replied(c->name != NULL ? resp_buf_bulk(&c->out, c->name, c->name_size_bytes)
                                           : resp_buf_null_bulk(&c->out));
    case 2: {
        cmd_status status = client_set_name(c, &req->argv[2], &is_valid);
        return status == CMD_OK && is_valid ? cmd_reply_ok(&c->out) : status;
    }
    case 3:
        return cmd_reply_ok(&c->out); /* lib-name and lib-ver (Redis 7.2): accepted, not kept */
    case 4:
        return client_list(c, req, now_ms);
    case 5: {
        struct text t = {0};
        client_line(&t, c, now_ms, "client|info");
        return reply_text(&c->out, &t);
    }
    default:
        return client_kill(c, req);
    }
}

/* ---- HELLO and RESET ---------------------------------------------------------------------- */

/* HELLO [protover [SETNAME name]]: RESP2 only. HELLO 3 gets Redis's NOPROTO error, so a client
 * stays on RESP2; HELLO and HELLO 2 get the server's map, flattened as RESP2 does. */
static cmd_status
execute_hello(struct client *c, const struct resp_request *req)
{
    int64_t version = 2;
    struct resp_buf *out = &c->out;
    if (req->argc >= 2 && !cmd_parse_i64(req->argv[1].bytes, req->argv[1].size_bytes, &version)) {
        return cmd_replied(
            resp_buf_error(out, "ERR Protocol version is not an integer or out of range"));
    }
    /* Redis checks the version's range before the options, then the options; this server
     * speaks RESP2 only, so a valid HELLO 3 is refused after them. */
    if (version < 2 || version > 3) {
        return cmd_replied(resp_buf_error(out, "NOPROTO unsupported protocol version"));
    }
    const struct resp_arg *name = NULL;
    for (size_t j = 2; j < req->argc; j += 2) {
        if (!cmd_arg_is(&req->argv[j], "setname") || j + 1 == req->argc) {
            return cmd_replied(
                resp_buf_errorf(out, "ERR Syntax error in HELLO option '%s'", req->argv[j].bytes));
        }
        name = &req->argv[j + 1];
    }
    if (version != 2) {
        return cmd_replied(resp_buf_error(out, "NOPROTO unsupported protocol version"));
    }
    bool is_valid = true;
    if (name != NULL) {
        cmd_status status = client_set_name(c, name, &is_valid);
        if (status != CMD_OK || !is_valid) {
            return status;
        }
    }
    static const char *const fields[] = {"server", "redis",      "version", "7.0.0",
                                         "proto",  NULL,         "id",      NULL,
                                         "mode",   "standalone", "role",    "master"};
    resp_status status = resp_buf_array(out, 14);
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]) && status == RESP_OK; f++) {
        status = fields[f] != NULL ? resp_buf_bulk(out, fields[f], strlen(fields[f]))
                                   : resp_buf_integer(out, f == 5 ? 2 : (int64_t)c->id);
    }
    status = status == RESP_OK ? resp_buf_bulk(out, "modules", 7) : status;
    return cmd_replied(status == RESP_OK ? resp_buf_array(out, 0) : status);
}

/* RESET: the connection as new (resetCommand, networking.c): no subscriptions, no name. The
 * caller holds server->lock in the locked models, as the registry needs. */
static cmd_status
execute_reset(struct client *c)
{
    pubsub_leave_all(&c->server->pubsub, &c->sub);
    free(c->name);
    c->name = NULL;
    c->name_size_bytes = 0;
    return cmd_replied(resp_buf_simple(&c->out, "RESET"));
}

/* ---- PUBSUB ------------------------------------------------------------------------------- */

/* Channels are counted from the clients' own lists: the registry's table is part E's, and
 * what a client is subscribed to is all PUBSUB needs. O(clients x subscriptions). */
static bool
is_first_subscriber(const struct client *first, const char *name, size_t size, bool is_pattern)
{
    for (const struct client *o = first->server->clients; o != first; o = o->next) {
        for (size_t i = 0; i < (is_pattern ? o->sub.pattern_count : o->sub.channel_count); i++) {
            const char *other = is_pattern ? o->sub.patterns[i] : NULL;
            size_t other_size = is_pattern ? o->sub.pattern_sizes[i] : 0;
            if (!is_pattern) {
                pubsub_client_channel(&o->sub, i, &other, &other_size);
            }
            if (other_size == size && memcmp(other, name, size) == 0) {
                return false;
            }
        }
    }
    return true;
}

/* A channel or pattern name as a client holds it: borrowed, binary (it may hold '\0'). */
struct name_ref {
    const char *bytes;
    size_t size_bytes;
};

/* PUBSUB CHANNELS [pattern] (is_pattern false) or NUMPAT (is_pattern true): the distinct
 * channels (or patterns) that have a subscriber. The names are collected as (pointer, size)
 * pairs, borrowed from the clients under clients_lock, so a name with '\0' bytes is replied
 * whole. O(clients x subscriptions) for the walk, squared for the duplicates. */
static cmd_status
pubsub_distinct(struct client *c, const struct resp_arg *pattern, bool is_pattern)
{
    struct name_ref *names = NULL; /* owned array of borrowed names */
    size_t count = 0, capacity = 0;
    for (const struct client *o = c->server->clients; o != NULL; o = o->next) {
        for (size_t i = 0; i < (is_pattern ? o->sub.pattern_count : o->sub.channel_count); i++) {
            struct name_ref name = {NULL, 0};
            if (is_pattern) {
                name.bytes = o->sub.patterns[i];
                name.size_bytes = o->sub.pattern_sizes[i];
            } else {
                pubsub_client_channel(&o->sub, i, &name.bytes, &name.size_bytes);
            }
            if (!is_first_subscriber(o, name.bytes, name.size_bytes, is_pattern) ||
                (pattern != NULL &&
                 !glob_match(pattern->bytes, pattern->size_bytes, name.bytes, name.size_bytes))) {
                continue;
            }
            if (count == capacity) {
                size_t grown_capacity = capacity == 0 ? 16 : 2 * capacity;
                struct name_ref *grown = realloc(names, grown_capacity * sizeof(*grown));
                if (grown == NULL) {
                    free(names);
                    return CMD_NOMEM;
                }
                names = grown;
                capacity = grown_capacity;
            }
            names[count++] = name;
        }
    }
    resp_status status =
        is_pattern ? resp_buf_integer(&c->out, (int64_t)count) : resp_buf_array(&c->out, count);
    for (size_t i = 0; !is_pattern && i < count && status == RESP_OK; i++) {
        status = resp_buf_bulk(&c->out, names[i].bytes, names[i].size_bytes);
    }
    free(names);
    return cmd_replied(status);
}

/* PUBSUB NUMSUB [channel...]: each channel and how many clients subscribe to it. */
static cmd_status
pubsub_numsub(struct client *c, const struct resp_request *req)
{
    resp_status status = resp_buf_array(&c->out, 2 * (req->argc - 2));
    for (size_t j = 2; j < req->argc && status == RESP_OK; j++) {
        int64_t subscribers = 0;
        for (const struct client *o = c->server->clients; o != NULL; o = o->next) {
            for (size_t i = 0; i < o->sub.channel_count; i++) {
                const char *name;
                size_t size;
                pubsub_client_channel(&o->sub, i, &name, &size);
                subscribers +=
                    size == req->argv[j].size_bytes && memcmp(name, req->argv[j].bytes, size) == 0;
            }
        }
        status = resp_buf_bulk(&c->out, req->argv[j].bytes, req->argv[j].size_bytes);
        status = status == RESP_OK ? resp_buf_integer(&c->out, subscribers) : status;
    }
    return cmd_replied(status);
}

static cmd_status
execute_pubsub_introspection(struct client *c, const struct resp_request *req)
{
    const struct resp_arg *sub = &req->argv[1];
    bool is_channels = cmd_arg_is(sub, "channels"), is_numpat = cmd_arg_is(sub, "numpat");
    if (!is_channels && !is_numpat && !cmd_arg_is(sub, "numsub")) {
        return cmd_reply_unknown_subcommand(&c->out, sub, "PUBSUB");
    }
    if ((is_channels && req->argc > 3) || (is_numpat && req->argc != 2)) {
        return cmd_reply_arity(&c->out, is_channels ? "pubsub|channels" : "pubsub|numpat");
    }
    pthread_mutex_lock(&c->server->clients_lock);
    cmd_status status = is_channels || is_numpat
                            ? pubsub_distinct(c, req->argc == 3 ? &req->argv[2] : NULL, is_numpat)
                            : pubsub_numsub(c, req);
    pthread_mutex_unlock(&c->server->clients_lock);
    return status;
}

/* ---- INFO --------------------------------------------------------------------------------- */

enum {
    INFO_SERVER = 1 << 0,
    INFO_CLIENTS = 1 << 1,
    INFO_MEMORY = 1 << 2,
    INFO_STATS = 1 << 3,
    INFO_KEYSPACE = 1 << 4,
    INFO_ALL = (1 << 5) - 1
};

/* Resident set size from /proc/self/statm, in bytes; 0 when it cannot be read. */
static uint64_t
rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages_total = 0, pages_resident = 0;
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &pages_total, &pages_resident) != 2) {
            pages_resident = 0;
        }
        fclose(f);
    }
    return (uint64_t)pages_resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
info_server_and_clients(struct text *t, const struct server *server, uint64_t now_ms,
                        unsigned sections)
{
    if (sections & INFO_SERVER) {
        struct utsname u;
        if (uname(&u) != 0) {
            memset(&u, 0, sizeof(u));
        }
        uint64_t uptime_s = (now_ms - server->started_ms) / 1000;
        text_printf(t,
                    "# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nos:%s %s %s\r\n"
                    "arch_bits:64\r\nmultiplexing_api:epoll\r\nkeel_model:%s\r\n"
                    "process_id:%ld\r\ntcp_port:%u\r\nserver_time_usec:%" PRIu64 "\r\n"
                    "uptime_in_seconds:%" PRIu64 "\r\nuptime_in_days:%" PRIu64 "\r\nhz:%u\r\n",
                    u.sysname, u.release, u.machine, server_model_name(server->config.model),
                    (long)getpid(), server->port, now_ms * 1000, uptime_s, uptime_s / 86400,
                    1000u / SERVER_CRON_INTERVAL_MS);
    }
    if (sections & INFO_CLIENTS) {
        text_printf(t, "%s# Clients\r\nconnected_clients:%zu\r\nmaxclients:%zu\r\n",
                    t->size_bytes > 0 ? "\r\n" : "", atomic_load(&server->client_count),
                    atomic_load(&server->clients_max));
    }
}

static void
info_memory_and_stats(struct text *t, struct server *server, unsigned sections)
{
    if (sections & INFO_MEMORY) {
        struct mallinfo2 m = mallinfo2();
        text_printf(t,
                    "%s# Memory\r\nused_memory:%zu\r\nused_memory_rss:%" PRIu64
                    "\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n",
                    t->size_bytes > 0 ? "\r\n" : "", m.uordblks, rss_bytes());
    }
    if (sections & INFO_STATS) {
        size_t channels = 0, patterns = 0;
        pthread_mutex_lock(&server->clients_lock);
        for (const struct client *o = server->clients; o != NULL; o = o->next) {
            channels += o->sub.channel_count; /* subscriptions, not distinct names */
            patterns += o->sub.pattern_count;
        }
        pthread_mutex_unlock(&server->clients_lock);
        text_printf(
            t,
            "%s# Stats\r\ntotal_connections_received:%" PRIuFAST64
            "\r\ntotal_commands_processed:%" PRIuFAST64 "\r\nrejected_connections:%" PRIuFAST64
            "\r\nexpired_keys:%" PRIuFAST64 "\r\npubsub_channels:%zu\r\npubsub_patterns:%zu\r\n",
            t->size_bytes > 0 ? "\r\n" : "", atomic_load(&server->connections_total),
            atomic_load(&server->commands_total), atomic_load(&server->connections_rejected),
            atomic_load(&server->expired_keys_active), channels, patterns);
    }
}

/* INFO [section...]: server, clients, memory, stats and keyspace (default, all and everything
 * are all five); an unknown section adds nothing. expired_keys counts active expiry's
 * deletions (the cron's); lazy ones happen inside the store, which does not count them. */
static cmd_status
execute_info(struct client *c, const struct resp_request *req, uint64_t now_ms)
{
    static const char *const names[] = {"server", "clients", "memory", "stats", "keyspace"};
    unsigned sections = req->argc == 1 ? INFO_ALL : 0;
    for (size_t j = 1; j < req->argc; j++) {
        for (unsigned n = 0; n < 5; n++) {
            sections |= cmd_arg_is(&req->argv[j], names[n]) ? 1u << n : 0;
        }
        if (cmd_arg_is(&req->argv[j], "default") || cmd_arg_is(&req->argv[j], "all") ||
            cmd_arg_is(&req->argv[j], "everything")) {
            sections = INFO_ALL;
        }
    }
    struct text t = {0};
    struct server *server = c->server;
    info_server_and_clients(&t, server, now_ms, sections);
    info_memory_and_stats(&t, server, sections);
    if (sections & INFO_KEYSPACE) {
        size_t keys = store_size(server->store);
        text_printf(&t, "%s# Keyspace\r\n", t.size_bytes > 0 ? "\r\n" : "");
        if (keys > 0) {
            text_printf(&t, "db0:keys=%zu,expires=%zu,avg_ttl=0\r\n", keys,
                        store_volatile_count(server->store));
        }
    }
    return reply_text(&c->out, &t);
}

/* ---- Dispatch ----------------------------------------------------------------------------- */

cmd_status
server_command_execute(struct client *c, const struct resp_request *req, uint64_t now_ms)
{
    assert(req->argc >= 1);
    const struct cmd_spec *spec = cmd_spec_find(req->argv[0].bytes, req->argv[0].size_bytes);
    if (spec == NULL || spec->owner != CMD_OWNER_SERVER || (spec->flags & CMD_FLAG_PUBSUB)) {
        return CMD_NOT_MINE; /* SUBSCRIBE and the rest of part E, or what a backend left */
    }
    if ((spec->arity > 0 && req->argc != (size_t)spec->arity) ||
        (spec->arity < 0 && req->argc < (size_t)-spec->arity)) {
        return cmd_reply_arity(&c->out, spec->name);
    }
    switch (spec->name[0]) {
    case 'c':
        return spec->name[1] == 'l' ? execute_client(c, req, now_ms)
                                    : server_config_execute(c, req);
    case 'h':
        return execute_hello(c, req);
    case 'i':
        return execute_info(c, req, now_ms);
    case 'r':
        return execute_reset(c);
    default:
        assert(strcmp(spec->name, "pubsub") == 0);
        return execute_pubsub_introspection(c, req);
    }
}
