/* commands_catalog_given.c -- lab 01's command catalog (given; students do not change it):
 * one row per command with Redis 7.0.15's arity, flags, key positions, ACL categories and
 * docs, its O(1) lookup (cmd_spec_find), and COMMAND, which describes the server from it.
 * Read the catalog first: cmd_execute looks every request up in it. The handlers it names are
 * part B's (commands.c, strings.c) and the given ones (commands_given.c). */
#include "commands.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

/* Each row: name, arity, flags, first key, last key, key step, ACL categories, and the
 * summary, version and group COMMAND DOCS gives, all as Redis 7.0.15's COMMAND INFO and
 * COMMAND DOCS report them; then who answers it and the handler. */
#define SPEC(name, arity, flags, first, last, step, acl, summary, since, group, owner, handler)    \
    {                                                                                              \
        {name, sizeof(name) - 1, arity, flags, first, last, step, owner, handler}, acl, summary,   \
            since, group                                                                           \
    }

struct catalog_row {
    struct cmd_spec spec;
    const char *acl_categories; /* space-separated, as "@read @string @fast" */
    const char *summary;
    const char *since;
    const char *group;
};

static cmd_status given_command(struct store *s, const struct resp_request *req, uint64_t now_ms,
                                struct resp_buf *out);

/* In the order COMMAND lists them: part B's, the given ones, the server's. */
static const struct catalog_row catalog[] = {
    SPEC("ping", -1, CMD_FLAG_FAST, 0, 0, 0, "@fast @connection", "Ping the server", "1.0.0",
         "connection", CMD_OWNER_STUDENT, cmd_ping),
    SPEC("echo", 2, CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST, 0, 0, 0, "@fast @connection",
         "Echo the given string", "1.0.0", "connection", CMD_OWNER_STUDENT, cmd_echo),
    SPEC("quit", -1,
         CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST | CMD_FLAG_NO_AUTH |
             CMD_FLAG_ALLOW_BUSY,
         0, 0, 0, "@fast @connection", "Close the connection", "1.0.0", "connection",
         CMD_OWNER_STUDENT, cmd_quit),
    SPEC("del", -2, CMD_FLAG_WRITE, 1, -1, 1, "@keyspace @write @slow", "Delete a key", "1.0.0",
         "generic", CMD_OWNER_STUDENT, cmd_del),
    SPEC("unlink", -2, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, -1, 1, "@keyspace @write @fast",
         "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non "
         "blocking.",
         "4.0.0", "generic", CMD_OWNER_STUDENT, cmd_del),
    SPEC("exists", -2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, -1, 1, "@keyspace @read @fast",
         "Determine if a key exists", "1.0.0", "generic", CMD_OWNER_STUDENT, cmd_exists),
    SPEC("expire", -3, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @write @fast",
         "Set a key's time to live in seconds", "1.0.0", "generic", CMD_OWNER_STUDENT, cmd_expire),
    SPEC("pexpire", -3, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @write @fast",
         "Set a key's time to live in milliseconds", "2.6.0", "generic", CMD_OWNER_STUDENT,
         cmd_pexpire),
    SPEC("expireat", -3, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @write @fast",
         "Set the expiration for a key as a UNIX timestamp", "1.2.0", "generic", CMD_OWNER_STUDENT,
         cmd_expireat),
    SPEC("pexpireat", -3, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @write @fast",
         "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0",
         "generic", CMD_OWNER_STUDENT, cmd_pexpireat),
    SPEC("ttl", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @read @fast",
         "Get the time to live for a key in seconds", "1.0.0", "generic", CMD_OWNER_STUDENT,
         cmd_ttl),
    SPEC("pttl", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @read @fast",
         "Get the time to live for a key in milliseconds", "2.6.0", "generic", CMD_OWNER_STUDENT,
         cmd_pttl),
    SPEC("expiretime", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @read @fast",
         "Get the expiration Unix timestamp for a key", "7.0.0", "generic", CMD_OWNER_STUDENT,
         cmd_expiretime),
    SPEC("pexpiretime", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @read @fast",
         "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "generic",
         CMD_OWNER_STUDENT, cmd_pexpiretime),
    SPEC("persist", 2, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @write @fast",
         "Remove the expiration from a key", "2.2.0", "generic", CMD_OWNER_STUDENT, cmd_persist),
    SPEC("rename", 3, CMD_FLAG_WRITE, 1, 2, 1, "@keyspace @write @slow", "Rename a key", "1.0.0",
         "generic", CMD_OWNER_STUDENT, cmd_rename),
    SPEC("renamenx", 3, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 2, 1, "@keyspace @write @fast",
         "Rename a key, only if the new key does not exist", "1.0.0", "generic", CMD_OWNER_STUDENT,
         cmd_renamenx),
    SPEC("copy", -3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, 2, 1, "@keyspace @write @slow",
         "Copy a key", "6.2.0", "generic", CMD_OWNER_STUDENT, cmd_copy),
    SPEC("get", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@read @string @fast",
         "Get the value of a key", "1.0.0", "string", CMD_OWNER_STUDENT, cmd_get),
    SPEC("set", -3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, 1, 1, "@write @string @slow",
         "Set the string value of a key", "1.0.0", "string", CMD_OWNER_STUDENT, cmd_set),
    SPEC("setnx", 3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Set the value of a key, only if the key does not exist", "1.0.0",
         "string", CMD_OWNER_STUDENT, cmd_setnx),
    SPEC("setex", 4, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, 1, 1, "@write @string @slow",
         "Set the value and expiration of a key", "2.0.0", "string", CMD_OWNER_STUDENT, cmd_setex),
    SPEC("psetex", 4, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, 1, 1, "@write @string @slow",
         "Set the value and expiration in milliseconds of a key", "2.6.0", "string",
         CMD_OWNER_STUDENT, cmd_psetex),
    SPEC("getset", 3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Set the string value of a key and return its old value", "1.0.0",
         "string", CMD_OWNER_STUDENT, cmd_getset),
    SPEC("getdel", 2, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@write @string @fast",
         "Get the value of a key and delete the key", "6.2.0", "string", CMD_OWNER_STUDENT,
         cmd_getdel),
    SPEC("getex", -2, CMD_FLAG_WRITE | CMD_FLAG_FAST, 1, 1, 1, "@write @string @fast",
         "Get the value of a key and optionally set its expiration", "6.2.0", "string",
         CMD_OWNER_STUDENT, cmd_getex),
    SPEC("mget", -2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, -1, 1, "@read @string @fast",
         "Get the values of all the given keys", "1.0.0", "string", CMD_OWNER_STUDENT, cmd_mget),
    SPEC("mset", -3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, -1, 2, "@write @string @slow",
         "Set multiple keys to multiple values", "1.0.1", "string", CMD_OWNER_STUDENT, cmd_mset),
    SPEC("msetnx", -3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, -1, 2, "@write @string @slow",
         "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "string",
         CMD_OWNER_STUDENT, cmd_msetnx),
    SPEC("strlen", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@read @string @fast",
         "Get the length of the value stored in a key", "2.2.0", "string", CMD_OWNER_STUDENT,
         cmd_strlen),
    SPEC("append", 3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Append a value to a key", "2.0.0", "string", CMD_OWNER_STUDENT,
         cmd_append),
    SPEC("getrange", 4, CMD_FLAG_READONLY, 1, 1, 1, "@read @string @slow",
         "Get a substring of the string stored at a key", "2.4.0", "string", CMD_OWNER_STUDENT,
         cmd_getrange),
    SPEC("setrange", 4, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM, 1, 1, 1, "@write @string @slow",
         "Overwrite part of a string at key starting at the specified offset", "2.2.0", "string",
         CMD_OWNER_STUDENT, cmd_setrange),
    SPEC("incr", 2, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Increment the integer value of a key by one", "1.0.0", "string",
         CMD_OWNER_STUDENT, cmd_incr),
    SPEC("decr", 2, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Decrement the integer value of a key by one", "1.0.0", "string",
         CMD_OWNER_STUDENT, cmd_decr),
    SPEC("incrby", 3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Increment the integer value of a key by the given amount",
         "1.0.0", "string", CMD_OWNER_STUDENT, cmd_incrby),
    SPEC("decrby", 3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Decrement the integer value of a key by the given number",
         "1.0.0", "string", CMD_OWNER_STUDENT, cmd_decrby),
    SPEC("incrbyfloat", 3, CMD_FLAG_WRITE | CMD_FLAG_DENYOOM | CMD_FLAG_FAST, 1, 1, 1,
         "@write @string @fast", "Increment the float value of a key by the given amount", "2.6.0",
         "string", CMD_OWNER_STUDENT, cmd_incrbyfloat),
    SPEC("command", -1, CMD_FLAG_LOADING | CMD_FLAG_STALE, 0, 0, 0, "@slow @connection",
         "Get array of Redis command details", "2.8.13", "server", CMD_OWNER_GIVEN, given_command),
    SPEC("dbsize", 1, CMD_FLAG_READONLY | CMD_FLAG_FAST, 0, 0, 0, "@keyspace @read @fast",
         "Return the number of keys in the selected database", "1.0.0", "server", CMD_OWNER_GIVEN,
         cmd_dbsize),
    SPEC("flushall", -1, CMD_FLAG_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous",
         "Remove all keys from all databases", "1.0.0", "server", CMD_OWNER_GIVEN, cmd_flushall),
    SPEC("flushdb", -1, CMD_FLAG_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous",
         "Remove all keys from the current database", "1.0.0", "server", CMD_OWNER_GIVEN,
         cmd_flushdb),
    SPEC("select", 2, CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST, 0, 0, 0,
         "@fast @connection", "Change the selected database for the current connection", "1.0.0",
         "connection", CMD_OWNER_GIVEN, cmd_select),
    SPEC("time", 1, CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST, 0, 0, 0, "@fast",
         "Return the current server time", "2.6.0", "server", CMD_OWNER_GIVEN, cmd_time),
    SPEC("type", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @read @fast",
         "Determine the type stored at key", "1.0.0", "generic", CMD_OWNER_GIVEN, cmd_type),
    SPEC("object", -2, 0, 0, 0, 0, "@slow", "A container for object introspection commands",
         "2.2.3", "generic", CMD_OWNER_GIVEN, cmd_object),
    SPEC("touch", -2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, -1, 1, "@keyspace @read @fast",
         "Alters the last access time of a key(s). Returns the number of existing keys specified.",
         "3.2.1", "generic", CMD_OWNER_GIVEN, cmd_touch),
    SPEC("randomkey", 1, CMD_FLAG_READONLY, 0, 0, 0, "@keyspace @read @slow",
         "Return a random key from the keyspace", "1.0.0", "generic", CMD_OWNER_GIVEN,
         cmd_randomkey),
    SPEC("keys", 2, CMD_FLAG_READONLY, 0, 0, 0, "@keyspace @read @slow @dangerous",
         "Find all keys matching the given pattern", "1.0.0", "generic", CMD_OWNER_GIVEN, cmd_keys),
    SPEC("scan", -2, CMD_FLAG_READONLY, 0, 0, 0, "@keyspace @read @slow",
         "Incrementally iterate the keys space", "2.8.0", "generic", CMD_OWNER_GIVEN, cmd_scan),
    SPEC("client", -2, 0, 0, 0, 0, "@slow", "A container for client connection commands", "2.4.0",
         "connection", CMD_OWNER_SERVER, NULL),
    SPEC("hello", -1,
         CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST | CMD_FLAG_NO_AUTH |
             CMD_FLAG_ALLOW_BUSY,
         0, 0, 0, "@fast @connection", "Handshake with Redis", "6.0.0", "connection",
         CMD_OWNER_SERVER, NULL),
    SPEC("config", -2, 0, 0, 0, 0, "@slow", "A container for server configuration commands",
         "2.0.0", "server", CMD_OWNER_SERVER, NULL),
    SPEC("info", -1, CMD_FLAG_LOADING | CMD_FLAG_STALE, 0, 0, 0, "@slow @dangerous",
         "Get information and statistics about the server", "1.0.0", "server", CMD_OWNER_SERVER,
         NULL),
    SPEC("reset", 1,
         CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST | CMD_FLAG_NO_AUTH |
             CMD_FLAG_ALLOW_BUSY,
         0, 0, 0, "@fast @connection", "Reset the connection", "6.2.0", "connection",
         CMD_OWNER_SERVER, NULL),
    SPEC("pubsub", -2, 0, 0, 0, 0, "@slow", "A container for Pub/Sub commands", "2.8.0", "pubsub",
         CMD_OWNER_SERVER, NULL),
    SPEC("subscribe", -2, CMD_FLAG_PUBSUB | CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE,
         0, 0, 0, "@pubsub @slow", "Listen for messages published to the given channels", "2.0.0",
         "pubsub", CMD_OWNER_SERVER, NULL),
    SPEC("unsubscribe", -1, CMD_FLAG_PUBSUB | CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE,
         0, 0, 0, "@pubsub @slow", "Stop listening for messages posted to the given channels",
         "2.0.0", "pubsub", CMD_OWNER_SERVER, NULL),
    SPEC("psubscribe", -2, CMD_FLAG_PUBSUB | CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE,
         0, 0, 0, "@pubsub @slow",
         "Listen for messages published to channels matching the given patterns", "2.0.0", "pubsub",
         CMD_OWNER_SERVER, NULL),
    SPEC("punsubscribe", -1,
         CMD_FLAG_PUBSUB | CMD_FLAG_NOSCRIPT | CMD_FLAG_LOADING | CMD_FLAG_STALE, 0, 0, 0,
         "@pubsub @slow",
         "Stop listening for messages posted to channels matching the given patterns", "2.0.0",
         "pubsub", CMD_OWNER_SERVER, NULL),
    SPEC("publish", 3, CMD_FLAG_PUBSUB | CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST, 0, 0, 0,
         "@pubsub @fast", "Post a message to a channel", "2.0.0", "pubsub", CMD_OWNER_SERVER, NULL),
};

#define CATALOG_SIZE (sizeof(catalog) / sizeof(catalog[0]))
/* Open addressing over the rows, at most half full: a power of two above 2 * CATALOG_SIZE. */
#define CATALOG_SLOTS 256u
_Static_assert(CATALOG_SLOTS >= 2 * CATALOG_SIZE, "the catalog's hash must stay half empty");
_Static_assert((CATALOG_SLOTS & (CATALOG_SLOTS - 1)) == 0, "a power of two: the mask below");

static unsigned char catalog_slots[CATALOG_SLOTS]; /* row index + 1; 0 is an empty slot */
static pthread_once_t catalog_once = PTHREAD_ONCE_INIT;

/* FNV-1a of the name in lower case: names are short, and the table is the kit's own, so a
 * hash an attacker could aim at does no harm here. */
static uint32_t
name_hash(const char *name, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++) {
        h = (h ^ (uint32_t)tolower((unsigned char)name[i])) * 16777619u;
    }
    return h;
}

static void
catalog_build(void)
{
    for (size_t i = 0; i < CATALOG_SIZE; i++) {
        const struct cmd_spec *spec = &catalog[i].spec;
        assert(spec->name_size_bytes < CMD_NAME_SIZE_BYTES_MAX);
        assert((spec->handler == NULL) == (spec->owner == CMD_OWNER_SERVER));
        uint32_t slot = name_hash(spec->name, spec->name_size_bytes) & (CATALOG_SLOTS - 1);
        while (catalog_slots[slot] != 0) {
            slot = (slot + 1) & (CATALOG_SLOTS - 1);
        }
        catalog_slots[slot] = (unsigned char)(i + 1);
    }
}

const struct cmd_spec *
cmd_spec_find(const char *name, size_t name_size_bytes)
{
    assert(name != NULL || name_size_bytes == 0);
    pthread_once(&catalog_once, catalog_build);
    if (name_size_bytes >= CMD_NAME_SIZE_BYTES_MAX) {
        return NULL;
    }
    uint32_t slot = name_hash(name, name_size_bytes) & (CATALOG_SLOTS - 1);
    for (; catalog_slots[slot] != 0; slot = (slot + 1) & (CATALOG_SLOTS - 1)) {
        const struct cmd_spec *spec = &catalog[catalog_slots[slot] - 1].spec;
        if (spec->name_size_bytes == name_size_bytes &&
            strncasecmp(spec->name, name, name_size_bytes) == 0) {
            return spec;
        }
    }
    return NULL;
}

size_t
cmd_spec_count(void)
{
    return CATALOG_SIZE;
}

const struct cmd_spec *
cmd_spec_at(size_t i)
{
    assert(i < CATALOG_SIZE);
    return &catalog[i].spec;
}

/* ---- COMMAND ------------------------------------------------------------------------------ */

/* Appends each space-separated word of words as a simple string, in one array. */
static resp_status
reply_words(struct resp_buf *out, const char *words)
{
    size_t count = 0;
    for (const char *w = words; *w != '\0'; w += strcspn(w, " "), w += strspn(w, " ")) {
        count++;
    }
    resp_status status = resp_buf_array(out, count);
    char word[CMD_WORD_SIZE_BYTES_MAX];
    for (const char *w = words; *w != '\0' && status == RESP_OK; w += strspn(w, " ")) {
        size_t size = strcspn(w, " ");
        assert(size < sizeof(word));
        memcpy(word, w, size);
        word[size] = '\0';
        status = resp_buf_simple(out, word);
        w += size;
    }
    return status;
}

/* One command as Redis 7.0's COMMAND INFO gives it: name, arity, flags, first key, last key,
 * step, ACL categories, then tips, key specs and subcommands, which this server leaves empty. */
static resp_status
reply_command_info(struct resp_buf *out, const struct catalog_row *row)
{
    static const char *const flag_names[] = {
#define CMD_FLAG_NAME_ENTRY(name, text) text,
        CMD_FLAG_LIST(CMD_FLAG_NAME_ENTRY)
#undef CMD_FLAG_NAME_ENTRY
    };
    const struct cmd_spec *spec = &row->spec;
    size_t flag_count = 0;
    for (unsigned f = 0; f < CMD_FLAG_COUNT; f++) {
        flag_count += (spec->flags >> f) & 1u;
    }
    resp_status status = resp_buf_array(out, 10);
    status = status == RESP_OK ? resp_buf_bulk(out, spec->name, spec->name_size_bytes) : status;
    status = status == RESP_OK ? resp_buf_integer(out, spec->arity) : status;
    status = status == RESP_OK ? resp_buf_array(out, flag_count) : status;
    for (unsigned f = 0; f < CMD_FLAG_COUNT && status == RESP_OK; f++) {
        if (spec->flags & (1u << f)) {
            status = resp_buf_simple(out, flag_names[f]);
        }
    }
    status = status == RESP_OK ? resp_buf_integer(out, spec->first_key) : status;
    status = status == RESP_OK ? resp_buf_integer(out, spec->last_key) : status;
    status = status == RESP_OK ? resp_buf_integer(out, spec->key_step) : status;
    status = status == RESP_OK ? reply_words(out, row->acl_categories) : status;
    for (int empty = 0; empty < 3 && status == RESP_OK; empty++) {
        status = resp_buf_array(out, 0); /* tips, key specs, subcommands */
    }
    return status;
}

/* One command's COMMAND DOCS entry: its name, then summary, since and group as a flat map. */
static resp_status
reply_command_docs(struct resp_buf *out, const struct catalog_row *row)
{
    const char *const fields[] = {"summary",  row->summary, "since",
                                  row->since, "group",      row->group};
    resp_status status = resp_buf_bulk(out, row->spec.name, row->spec.name_size_bytes);
    status = status == RESP_OK ? resp_buf_array(out, 6) : status;
    for (size_t f = 0; f < 6 && status == RESP_OK; f++) {
        status = resp_buf_bulk(out, fields[f], strlen(fields[f]));
    }
    return status;
}

static const struct catalog_row *
catalog_row_of(const struct resp_arg *name)
{
    const struct cmd_spec *spec = cmd_spec_find(name->bytes, name->size_bytes);
    return spec != NULL ? (const struct catalog_row *)spec : NULL; /* spec is the first field */
}

/* COMMAND INFO [name...] and COMMAND DOCS [name...]; without names, every command. An unknown
 * name is a null array in INFO and left out of DOCS, as in Redis. */
static cmd_status
command_info_or_docs(const struct resp_request *req, bool is_docs, struct resp_buf *out)
{
    size_t named = req->argc - 2;
    size_t known = named;
    for (size_t i = 2; is_docs && i < req->argc; i++) {
        known -= catalog_row_of(&req->argv[i]) == NULL;
    }
    size_t count = named == 0 ? CATALOG_SIZE : known;
    resp_status status = resp_buf_array(out, is_docs ? 2 * count : count);
    for (size_t i = 0; i < (named == 0 ? CATALOG_SIZE : named) && status == RESP_OK; i++) {
        const struct catalog_row *row =
            named == 0 ? &catalog[i] : catalog_row_of(&req->argv[i + 2]);
        if (row == NULL) {
            status = is_docs ? RESP_OK : resp_buf_null_bulk(out); /* Redis: addReplyNull */
        } else {
            status = is_docs ? reply_command_docs(out, row) : reply_command_info(out, row);
        }
    }
    return cmd_replied(status);
}

static cmd_status
given_command(struct store *s, const struct resp_request *req, uint64_t now_ms,
              struct resp_buf *out)
{
    (void)s;
    (void)now_ms;
    if (req->argc == 1) {
        resp_status status = resp_buf_array(out, CATALOG_SIZE);
        for (size_t i = 0; i < CATALOG_SIZE && status == RESP_OK; i++) {
            status = reply_command_info(out, &catalog[i]);
        }
        return cmd_replied(status);
    }
    const struct resp_arg *sub = &req->argv[1];
    if (cmd_arg_is(sub, "count")) {
        return req->argc == 2 ? cmd_replied(resp_buf_integer(out, (int64_t)CATALOG_SIZE))
                              : cmd_reply_arity(out, "command|count");
    }
    if (cmd_arg_is(sub, "info") || cmd_arg_is(sub, "docs")) {
        return command_info_or_docs(req, cmd_arg_is(sub, "docs"), out);
    }
    if (cmd_arg_is(sub, "list") && req->argc == 2) { /* FILTERBY is not supported */
        resp_status status = resp_buf_array(out, CATALOG_SIZE);
        for (size_t i = 0; i < CATALOG_SIZE && status == RESP_OK; i++) {
            status = resp_buf_bulk(out, catalog[i].spec.name, catalog[i].spec.name_size_bytes);
        }
        return cmd_replied(status);
    }
    return cmd_reply_unknown_subcommand(out, sub, "COMMAND");
}
