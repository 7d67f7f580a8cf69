/* commands.h -- the command catalog of lab 01's server (given; students do not change it): one
 * row per command with Redis 7's arity, flags and key positions, and the function that runs
 * it. cmd_execute (commands.c, part B) looks a request up here; COMMAND, COMMAND INFO and
 * COMMAND DOCS describe the server from it, so what a client discovers is what runs. Read
 * struct cmd_spec, then the list of handlers: the part B ones are yours (commands.c,
 * strings.c), the rest are given (commands_given.c; the catalog is commands_catalog_given.c),
 * or answered by the server (server.h). The limits every command file shares are below. */
#ifndef KEEL_COMMANDS_H
#define KEEL_COMMANDS_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs one request whose name and arity cmd_execute has checked; appends exactly one reply.
 * Returns what cmd_execute returns (store.h). */
typedef cmd_status (*cmd_handler)(struct store *s, const struct resp_request *req, uint64_t now_ms,
                                  struct resp_buf *out);

/* Redis 7's command flags that COMMAND reports (the names are Redis's, in this order). */
#define CMD_FLAG_LIST(X)                                                                           \
    X(CMD_FLAG_WRITE, "write")                                                                     \
    X(CMD_FLAG_READONLY, "readonly")                                                               \
    X(CMD_FLAG_DENYOOM, "denyoom")                                                                 \
    X(CMD_FLAG_ADMIN, "admin")                                                                     \
    X(CMD_FLAG_PUBSUB, "pubsub")                                                                   \
    X(CMD_FLAG_NOSCRIPT, "noscript")                                                               \
    X(CMD_FLAG_BLOCKING, "blocking")                                                               \
    X(CMD_FLAG_LOADING, "loading")                                                                 \
    X(CMD_FLAG_STALE, "stale")                                                                     \
    X(CMD_FLAG_FAST, "fast")                                                                       \
    X(CMD_FLAG_NO_AUTH, "no_auth")                                                                 \
    X(CMD_FLAG_ALLOW_BUSY, "allow_busy")

#define CMD_FLAG_BIT_ENTRY(name, text) name##_BIT,
enum { CMD_FLAG_LIST(CMD_FLAG_BIT_ENTRY) CMD_FLAG_COUNT };
#undef CMD_FLAG_BIT_ENTRY
#define CMD_FLAG_MASK_ENTRY(name, text) name = 1u << name##_BIT,
enum { CMD_FLAG_LIST(CMD_FLAG_MASK_ENTRY) };
#undef CMD_FLAG_MASK_ENTRY

/* Who answers a command: the part of the lab that writes its handler. */
enum cmd_owner {
    CMD_OWNER_STUDENT, /* part B: commands.c or strings.c */
    CMD_OWNER_GIVEN,   /* commands_given.c: the same store calls, boilerplate */
    CMD_OWNER_SERVER,  /* the server (it knows connections): cmd_execute returns CMD_NOT_MINE */
};

struct cmd_spec {
    const char *name; /* lower case, as Redis's fullname in error texts */
    size_t name_size_bytes;
    int arity; /* Redis's convention: N exactly N words, -N at least N (the name counts) */
    unsigned flags;
    int first_key; /* COMMAND's key positions: 0 none; last_key -1 is the last argument */
    int last_key;
    int key_step;
    enum cmd_owner owner;
    cmd_handler handler; /* NULL for CMD_OWNER_SERVER */
};

/* The row of the command named name[0 .. size) in any case, or NULL. Allocates nothing.
 * Cost O(1): a hash of the name and one compare. Thread-safe (the table is constant). */
const struct cmd_spec *cmd_spec_find(const char *name, size_t name_size_bytes);
/* Every row, in the catalog's order: cmd_spec_at(i) for i < cmd_spec_count(). */
size_t cmd_spec_count(void);
const struct cmd_spec *cmd_spec_at(size_t i);

/* ---- Limits (given; each with its unit and source) ----------------------------------------- */

/* The longest string SETRANGE and APPEND may make: Redis's proto-max-bulk-len, 512 MiB. */
#define CMD_STRING_SIZE_BYTES_MAX ((size_t)512 * 1024 * 1024)
/* INCRBYFLOAT's number as text, either way: Redis's MAX_LONG_DOUBLE_CHARS (util.h), 5 KiB. */
#define CMD_LONG_DOUBLE_TEXT_SIZE_BYTES_MAX 5120u
/* The longest int64 in decimal, "-9223372036854775808", is 20 bytes; 24 with room for '\0'. */
#define CMD_I64_TEXT_SIZE_BYTES 24u
/* A command name's longest, with room: "pexpiretime" and "punsubscribe" are 12 bytes. */
#define CMD_NAME_SIZE_BYTES_MAX 16u
/* One word of a catalog row's flags or ACL categories: "@keyspace" and "allow_busy" are the
 * longest, 10 bytes. */
#define CMD_WORD_SIZE_BYTES_MAX 32u
/* Keys and CONFIG GET patterns up to this size are copied on the stack, longer ones on the
 * heap: a copy, not a limit (bytes). */
#define CMD_KEY_COPY_SIZE_BYTES 256u

/* ---- Helpers every handler shares (given) ------------------------------------------------ */

#define CMD_ERR_NOT_INTEGER "ERR value is not an integer or out of range"
#define CMD_ERR_NOT_FLOAT "ERR value is not a valid float"
#define CMD_ERR_SYNTAX "ERR syntax error"
#define CMD_ERR_WRONG_TYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* CMD_OK when a reply writer returned RESP_OK, else CMD_NOMEM. */
cmd_status cmd_replied(resp_status status);
/* "+OK". */
cmd_status cmd_reply_ok(struct resp_buf *out);
/* "-ERR wrong number of arguments for 'fullname' command". */
cmd_status cmd_reply_arity(struct resp_buf *out, const char *fullname);
/* "-ERR unknown subcommand 'sub'. Try UPPER HELP." (sub cut at 128 bytes or its first '\0'). */
cmd_status cmd_reply_unknown_subcommand(struct resp_buf *out, const struct resp_arg *sub,
                                        const char *upper);
/* A value's bulk string, or a null bulk for NULL. */
cmd_status cmd_reply_value(struct resp_buf *out, const struct store_value *v);
/* True when arg is word, ignoring ASCII case (word is lower case). */
bool cmd_arg_is(const struct resp_arg *arg, const char *word);
/* Redis's string2ll (util.c): an optional '-', then digits with no leading zero ("0" itself is
 * fine), nothing else, within int64. False, *value untouched, otherwise. */
bool cmd_parse_i64(const char *bytes, size_t size_bytes, int64_t *value);
/* Redis's string2ld for INCRBYFLOAT: a finite long double, no spaces, at most
 * CMD_LONG_DOUBLE_TEXT_SIZE_BYTES_MAX bytes. False otherwise. */
bool cmd_parse_long_double(const char *bytes, size_t size_bytes, long double *value);
/* Formats value as Redis's ld2string in LD_STR_HUMAN mode (%.17Lf, trailing zeros and a
 * trailing '.' dropped, "-0" as "0"). Returns the length, or 0 when it does not fit. */
size_t cmd_format_long_double(long double value, char *text, size_t text_size_bytes);

/* ---- Part B: your handlers (commands.c and strings.c) ------------------------------------ */

cmd_status cmd_ping(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_echo(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_quit(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_del(struct store *s, const struct resp_request *req, uint64_t now_ms,
                   struct resp_buf *out);
cmd_status cmd_exists(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_expire(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_pexpire(struct store *s, const struct resp_request *req, uint64_t now_ms,
                       struct resp_buf *out);
cmd_status cmd_expireat(struct store *s, const struct resp_request *req, uint64_t now_ms,
                        struct resp_buf *out);
cmd_status cmd_pexpireat(struct store *s, const struct resp_request *req, uint64_t now_ms,
                         struct resp_buf *out);
cmd_status cmd_ttl(struct store *s, const struct resp_request *req, uint64_t now_ms,
                   struct resp_buf *out);
cmd_status cmd_pttl(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_expiretime(struct store *s, const struct resp_request *req, uint64_t now_ms,
                          struct resp_buf *out);
cmd_status cmd_pexpiretime(struct store *s, const struct resp_request *req, uint64_t now_ms,
                           struct resp_buf *out);
cmd_status cmd_persist(struct store *s, const struct resp_request *req, uint64_t now_ms,
                       struct resp_buf *out);
cmd_status cmd_rename(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_renamenx(struct store *s, const struct resp_request *req, uint64_t now_ms,
                        struct resp_buf *out);
cmd_status cmd_copy(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);

/* strings.c */
cmd_status cmd_get(struct store *s, const struct resp_request *req, uint64_t now_ms,
                   struct resp_buf *out);
cmd_status cmd_set(struct store *s, const struct resp_request *req, uint64_t now_ms,
                   struct resp_buf *out);
cmd_status cmd_setnx(struct store *s, const struct resp_request *req, uint64_t now_ms,
                     struct resp_buf *out);
cmd_status cmd_setex(struct store *s, const struct resp_request *req, uint64_t now_ms,
                     struct resp_buf *out);
cmd_status cmd_psetex(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_getset(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_getdel(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_getex(struct store *s, const struct resp_request *req, uint64_t now_ms,
                     struct resp_buf *out);
cmd_status cmd_mget(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_mset(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_msetnx(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_strlen(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_append(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_getrange(struct store *s, const struct resp_request *req, uint64_t now_ms,
                        struct resp_buf *out);
cmd_status cmd_setrange(struct store *s, const struct resp_request *req, uint64_t now_ms,
                        struct resp_buf *out);
cmd_status cmd_incr(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_decr(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_incrby(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_decrby(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_incrbyfloat(struct store *s, const struct resp_request *req, uint64_t now_ms,
                           struct resp_buf *out);

/* ---- Given handlers (commands_given.c): the same store calls, boilerplate ---------------- */

cmd_status cmd_dbsize(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_flushall(struct store *s, const struct resp_request *req, uint64_t now_ms,
                        struct resp_buf *out);
cmd_status cmd_flushdb(struct store *s, const struct resp_request *req, uint64_t now_ms,
                       struct resp_buf *out);
cmd_status cmd_select(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_time(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_type(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_object(struct store *s, const struct resp_request *req, uint64_t now_ms,
                      struct resp_buf *out);
cmd_status cmd_touch(struct store *s, const struct resp_request *req, uint64_t now_ms,
                     struct resp_buf *out);
cmd_status cmd_randomkey(struct store *s, const struct resp_request *req, uint64_t now_ms,
                         struct resp_buf *out);
cmd_status cmd_keys(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);
cmd_status cmd_scan(struct store *s, const struct resp_request *req, uint64_t now_ms,
                    struct resp_buf *out);

#endif
