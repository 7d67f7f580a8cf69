/* commands_given.c -- lab 01's given command code (students do not change it): the catalog of
 * every command (commands.h), the helpers every handler shares, and the commands that are
 * boilerplate over store.h's calls: COMMAND, DBSIZE, FLUSHALL, FLUSHDB, SELECT, TIME, TYPE,
 * OBJECT, TOUCH, RANDOMKEY, KEYS and SCAN. Read the catalog first: cmd_execute looks every
 * request up in it. Replies are Redis 7.0's: src/db.c and src/server.c are where to compare. */
#include "commands.h"

#include "dict.h"
#include "pubsub.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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
static cmd_status given_dbsize(struct store *s, const struct resp_request *req, uint64_t now_ms,
                               struct resp_buf *out);
static cmd_status given_flushall(struct store *s, const struct resp_request *req, uint64_t now_ms,
                                 struct resp_buf *out);
static cmd_status given_flushdb(struct store *s, const struct resp_request *req, uint64_t now_ms,
                                struct resp_buf *out);
static cmd_status given_select(struct store *s, const struct resp_request *req, uint64_t now_ms,
                               struct resp_buf *out);
static cmd_status given_time(struct store *s, const struct resp_request *req, uint64_t now_ms,
                             struct resp_buf *out);
static cmd_status given_type(struct store *s, const struct resp_request *req, uint64_t now_ms,
                             struct resp_buf *out);
static cmd_status given_object(struct store *s, const struct resp_request *req, uint64_t now_ms,
                               struct resp_buf *out);
static cmd_status given_touch(struct store *s, const struct resp_request *req, uint64_t now_ms,
                              struct resp_buf *out);
static cmd_status given_randomkey(struct store *s, const struct resp_request *req, uint64_t now_ms,
                                  struct resp_buf *out);
static cmd_status given_keys(struct store *s, const struct resp_request *req, uint64_t now_ms,
                             struct resp_buf *out);
static cmd_status given_scan(struct store *s, const struct resp_request *req, uint64_t now_ms,
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
         given_dbsize),
    SPEC("flushall", -1, CMD_FLAG_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous",
         "Remove all keys from all databases", "1.0.0", "server", CMD_OWNER_GIVEN, given_flushall),
    SPEC("flushdb", -1, CMD_FLAG_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous",
         "Remove all keys from the current database", "1.0.0", "server", CMD_OWNER_GIVEN,
         given_flushdb),
    SPEC("select", 2, CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST, 0, 0, 0,
         "@fast @connection", "Change the selected database for the current connection", "1.0.0",
         "connection", CMD_OWNER_GIVEN, given_select),
    SPEC("time", 1, CMD_FLAG_LOADING | CMD_FLAG_STALE | CMD_FLAG_FAST, 0, 0, 0, "@fast",
         "Return the current server time", "2.6.0", "server", CMD_OWNER_GIVEN, given_time),
    SPEC("type", 2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, 1, 1, "@keyspace @read @fast",
         "Determine the type stored at key", "1.0.0", "generic", CMD_OWNER_GIVEN, given_type),
    SPEC("object", -2, 0, 0, 0, 0, "@slow", "A container for object introspection commands",
         "2.2.3", "generic", CMD_OWNER_GIVEN, given_object),
    SPEC("touch", -2, CMD_FLAG_READONLY | CMD_FLAG_FAST, 1, -1, 1, "@keyspace @read @fast",
         "Alters the last access time of a key(s). Returns the number of existing keys specified.",
         "3.2.1", "generic", CMD_OWNER_GIVEN, given_touch),
    SPEC("randomkey", 1, CMD_FLAG_READONLY, 0, 0, 0, "@keyspace @read @slow",
         "Return a random key from the keyspace", "1.0.0", "generic", CMD_OWNER_GIVEN,
         given_randomkey),
    SPEC("keys", 2, CMD_FLAG_READONLY, 0, 0, 0, "@keyspace @read @slow @dangerous",
         "Find all keys matching the given pattern", "1.0.0", "generic", CMD_OWNER_GIVEN,
         given_keys),
    SPEC("scan", -2, CMD_FLAG_READONLY, 0, 0, 0, "@keyspace @read @slow",
         "Incrementally iterate the keys space", "2.8.0", "generic", CMD_OWNER_GIVEN, given_scan),
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

/* A command name's longest: "pexpiretime" and "punsubscribe" are 12 bytes. */
#define NAME_SIZE_BYTES_MAX 16u

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
        assert(spec->name_size_bytes < NAME_SIZE_BYTES_MAX);
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
    if (name_size_bytes >= NAME_SIZE_BYTES_MAX) {
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

/* Redis's MAX_LONG_DOUBLE_CHARS. */
#define LONG_DOUBLE_TEXT_SIZE_BYTES_MAX 5120u

bool
cmd_parse_long_double(const char *bytes, size_t size_bytes, long double *value)
{
    char text[LONG_DOUBLE_TEXT_SIZE_BYTES_MAX + 1];
    if (size_bytes == 0 || size_bytes > LONG_DOUBLE_TEXT_SIZE_BYTES_MAX ||
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
    char word[32];
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

/* ---- The keyspace as a whole -------------------------------------------------------------- */

static cmd_status
given_dbsize(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)req;
    (void)now_ms;
    return cmd_replied(resp_buf_integer(out, (int64_t)store_size(s)));
}

/* FLUSHALL and FLUSHDB [ASYNC|SYNC]: both flush at once here (getFlushCommandFlags, db.c). */
static cmd_status
given_flushall(struct store *s, const struct resp_request *req, uint64_t now_ms,
               struct resp_buf *out)
{
    (void)now_ms;
    if (req->argc > 2 || (req->argc == 2 && !cmd_arg_is(&req->argv[1], "async") &&
                          !cmd_arg_is(&req->argv[1], "sync"))) {
        return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
    }
    store_flush(s);
    return cmd_reply_ok(out);
}

static cmd_status
given_flushdb(struct store *s, const struct resp_request *req, uint64_t now_ms,
              struct resp_buf *out)
{
    return given_flushall(s, req, now_ms, out); /* one database: the same thing */
}

static cmd_status
given_select(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
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
static cmd_status
given_time(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    (void)s;
    (void)req;
    char seconds[24], micros[24];
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

static cmd_status
given_type(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
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
static cmd_status
given_object(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
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

static cmd_status
given_touch(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    int64_t found = 0; /* nothing to touch: no LRU clock here; a key named twice counts twice */
    for (size_t i = 1; i < req->argc; i++) {
        found += store_lookup(s, req->argv[i].bytes, req->argv[i].size_bytes, now_ms) != NULL;
    }
    return cmd_replied(resp_buf_integer(out, found));
}

/* Redis gives up after 100 draws of expired keys when every key has a TTL (dbRandomKey). */
#define RANDOMKEY_TRIES_MAX 100u

static cmd_status
given_randomkey(struct store *s, const struct resp_request *req, uint64_t now_ms,
                struct resp_buf *out)
{
    (void)req;
    for (unsigned tries = 0; tries < RANDOMKEY_TRIES_MAX; tries++) {
        const struct dict_entry *e = dict_random_entry(store_keys(s), store_rng_state(s));
        if (e == NULL) {
            break;
        }
        /* The lookup deletes an expired key; entries never move, so e stays valid if it lives. */
        if (store_lookup(s, e->key, e->key_size_bytes, now_ms) != NULL) {
            return cmd_replied(resp_buf_bulk(out, e->key, e->key_size_bytes));
        }
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
        if (!is_expired &&
            (pattern == NULL ||
             pubsub_glob_match(pattern->bytes, pattern->size_bytes, e->key, e->key_size_bytes))) {
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
static cmd_status
given_keys(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
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
 * CMD_UNIMPLEMENTED when they are fine (no reply), else the error's status. */
static cmd_status
scan_parse(const struct resp_request *req, struct scan_options *o, struct resp_buf *out)
{
    const char *cursor_text = req->argv[1].bytes; /* '\0'-terminated, as resp.h promises */
    char *end = NULL;
    errno = 0;
    o->cursor = strtoull(cursor_text, &end, 10); /* strtoul, as parseScanCursorOrReply */
    if (isspace((unsigned char)cursor_text[0]) || *end != '\0' || errno == ERANGE) {
        return cmd_replied(resp_buf_error(out, "ERR invalid cursor"));
    }
    o->count = 10;
    for (size_t j = 2; j < req->argc; j += 2) {
        const struct resp_arg *option = &req->argv[j];
        if (j + 1 == req->argc) {
            return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
        }
        const struct resp_arg *value = &req->argv[j + 1];
        if (cmd_arg_is(option, "count")) {
            if (!cmd_parse_i64(value->bytes, value->size_bytes, &o->count)) {
                return cmd_replied(resp_buf_error(out, CMD_ERR_NOT_INTEGER));
            }
            if (o->count < 1) {
                return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
            }
        } else if (cmd_arg_is(option, "match")) {
            bool is_all = value->size_bytes == 1 && value->bytes[0] == '*';
            o->pattern = is_all ? NULL : value;
        } else if (cmd_arg_is(option, "type")) {
            o->is_other_type = !cmd_arg_is(value, "string");
        } else {
            return cmd_replied(resp_buf_error(out, CMD_ERR_SYNTAX));
        }
    }
    return CMD_UNIMPLEMENTED;
}

/* SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: dict_scan steps until COUNT keys are
 * collected, the walk ends, or 10 * COUNT buckets were visited (Redis's maxiterations), then
 * the filters apply. The reply is the next cursor, as a bulk string, and the keys. */
static cmd_status
given_scan(struct store *s, const struct resp_request *req, uint64_t now_ms, struct resp_buf *out)
{
    struct scan_options o = {0};
    cmd_status status = scan_parse(req, &o, out);
    if (status != CMD_UNIMPLEMENTED) {
        return status;
    }
    struct entry_list l = {0};
    uint64_t cursor = o.cursor;
    int64_t iterations_max = o.count > INT64_MAX / 10 ? INT64_MAX : o.count * 10;
    do {
        cursor = dict_scan(store_keys(s), cursor, collect_cb, &l);
    } while (cursor != 0 && iterations_max-- > 0 && l.count < (uint64_t)o.count &&
             !l.is_out_of_memory);
    char text[24];
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
