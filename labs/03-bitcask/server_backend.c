/* server_backend.c -- the Bitcask storage backend of lab 01's server (part E, given): read
 * backend_execute first. Every request runs through cmd_execute as usual; after each write
 * command the keys it named are written through to the store, with the server's store lock
 * still held, before the reply goes out. On disk, a key's value is its TTL (8 bytes,
 * little-endian Unix ms, or -1) and then the value bytes. backend_open loads them all at start. */
#include "server_backend.h"

#include "bitcask.h"
#include "commands.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BACKEND_TTL_BYTES 8u

struct store_backend {
    struct bc_db *db; /* owned */
};

static void
report(struct bc_db *db, const char *what, bc_status st)
{
    char error[BC_ERROR_MAX] = "";
    if (db != NULL) {
        bc_last_error(db, error);
    }
    fprintf(stderr, "keel-server: bitcask %s: %s (%s)\n", what, bc_strerror(st), error);
}

/* Writes key's current state (value and TTL, or absence) through to the store. */
static void
persist_key(struct bc_db *db, struct store *s, const struct resp_arg *key, uint64_t now_ms)
{
    const struct store_value *v = store_lookup(s, key->bytes, key->size_bytes, now_ms);
    if (v == NULL) {
        bc_status st = bc_delete(db, key->bytes, key->size_bytes);
        if (st != BC_OK && st != BC_NOT_FOUND) {
            report(db, "delete", st);
        }
        return;
    }
    unsigned char *buf = malloc(BACKEND_TTL_BYTES + v->size_bytes);
    if (buf == NULL) {
        report(db, "put", BC_NOMEM);
        return;
    }
    uint64_t ttl = (uint64_t)v->expire_at_ms;
    for (unsigned i = 0; i < BACKEND_TTL_BYTES; i++) {
        buf[i] = (unsigned char)(ttl >> (8 * i));
    }
    memcpy(buf + BACKEND_TTL_BYTES, v->bytes, v->size_bytes);
    bc_status st = bc_put(db, key->bytes, key->size_bytes, buf, BACKEND_TTL_BYTES + v->size_bytes);
    if (st != BC_OK) {
        report(db, "put", st);
    }
    free(buf);
}

struct key_list {
    struct resp_arg *keys; /* owned, with owned bytes */
    size_t count;
    size_t capacity;
};

static int
collect_key_cb(const void *key, size_t key_size_bytes, void *arg)
{
    struct key_list *l = arg;
    if (l->count == l->capacity) {
        size_t capacity = l->capacity == 0 ? 1024 : l->capacity * 2;
        struct resp_arg *grown = realloc(l->keys, capacity * sizeof(*grown));
        if (grown == NULL) {
            return 1;
        }
        l->keys = grown;
        l->capacity = capacity;
    }
    char *copy = malloc(key_size_bytes);
    if (copy == NULL) {
        return 1;
    }
    memcpy(copy, key, key_size_bytes);
    l->keys[l->count++] = (struct resp_arg){.bytes = copy, .size_bytes = key_size_bytes};
    return 0;
}

static void
key_list_free(struct key_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free((void *)l->keys[i].bytes);
    }
    free(l->keys);
}

static bool
is_command(const struct resp_arg *name, const char *command)
{
    return name->size_bytes == strlen(command) &&
           strncasecmp(name->bytes, command, name->size_bytes) == 0;
}

/* Deletes every key of db (FLUSHALL went through). */
static void
delete_all(struct bc_db *db)
{
    struct key_list l = {0};
    bc_fold(db, collect_key_cb, &l);
    for (size_t i = 0; i < l.count; i++) {
        bc_delete(db, l.keys[i].bytes, l.keys[i].size_bytes);
    }
    key_list_free(&l);
}

static cmd_status
backend_execute(struct store_backend *backend, struct store *s, const struct resp_request *req,
                uint64_t now_ms, struct resp_buf *out)
{
    assert(backend != NULL);
    assert(req->argc >= 1);
    struct bc_db *db = backend->db;
    cmd_status st = cmd_execute(s, req, now_ms, out);
    const struct resp_arg *name = &req->argv[0];
    if (st != CMD_OK) {
        return st;
    }
    /* The catalog (lab 01's commands.h) says which commands write and where their keys are:
     * every key a write command names is written through, as it is now in the store. */
    const struct cmd_spec *spec = cmd_spec_find(name->bytes, name->size_bytes);
    if (spec == NULL || (spec->flags & CMD_FLAG_WRITE) == 0) {
        return st;
    }
    if (is_command(name, "FLUSHALL") || is_command(name, "FLUSHDB")) {
        delete_all(db);
        return st;
    }
    if (spec->first_key <= 0) {
        return st;
    }
    int last = spec->last_key < 0 ? (int)req->argc + spec->last_key : spec->last_key;
    for (int i = spec->first_key; i <= last && (size_t)i < req->argc; i += spec->key_step) {
        persist_key(db, s, &req->argv[i], now_ms);
    }
    return st;
}

/* Loads every key of the store into s, skipping (and deleting) expired ones. */
static int
load(struct bc_db *db, struct store *s, uint64_t now_ms)
{
    struct key_list l = {0};
    bc_fold(db, collect_key_cb, &l);
    size_t buf_size = 1u << 16;
    unsigned char *buf = malloc(buf_size);
    int rc = buf == NULL ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < l.count; i++) {
        size_t size = 0;
        bc_status st = bc_get(db, l.keys[i].bytes, l.keys[i].size_bytes, buf, buf_size, &size);
        if (st == BC_TOO_BIG) {
            unsigned char *grown = realloc(buf, size);
            buf = grown != NULL ? grown : buf;
            buf_size = grown != NULL ? size : buf_size;
            st = grown == NULL
                     ? BC_NOMEM
                     : bc_get(db, l.keys[i].bytes, l.keys[i].size_bytes, buf, buf_size, &size);
        }
        if (st != BC_OK || size < BACKEND_TTL_BYTES) {
            report(db, "load", st != BC_OK ? st : BC_CORRUPT);
            rc = -1;
            break;
        }
        uint64_t ttl = 0;
        for (unsigned b = 0; b < BACKEND_TTL_BYTES; b++) {
            ttl |= (uint64_t)buf[b] << (8 * b);
        }
        int64_t expire_at_ms = (int64_t)ttl;
        if (expire_at_ms != STORE_EXPIRE_NONE && (uint64_t)expire_at_ms < now_ms) {
            bc_delete(db, l.keys[i].bytes, l.keys[i].size_bytes);
            continue;
        }
        const struct resp_arg *k = &l.keys[i];
        if (store_set(s, k->bytes, k->size_bytes, buf + BACKEND_TTL_BYTES, size - BACKEND_TTL_BYTES,
                      false) != CMD_OK ||
            (expire_at_ms != STORE_EXPIRE_NONE &&
             store_set_expire(s, k->bytes, k->size_bytes, expire_at_ms) != CMD_OK)) {
            rc = -1;
        }
    }
    fprintf(stderr, "keel-server: bitcask loaded %zu keys\n", rc == 0 ? l.count : (size_t)0);
    free(buf);
    key_list_free(&l);
    return rc;
}

/* args is "DIR" or "DIR:SYNC" (SYNC as bc_sync_parse; default always, so an acknowledged SET
 * survives kill -9). */
static struct store_backend *
backend_open(const char *args, struct store *store, uint64_t now_ms)
{
    assert(args != NULL);
    if (args[0] == '\0') {
        fprintf(stderr, "keel-server: --store takes %s\n", bitcask_backend_ops.usage);
        return NULL;
    }
    char dir[BC_PATH_MAX];
    if ((size_t)snprintf(dir, sizeof(dir), "%s", args) >= sizeof(dir)) {
        fprintf(stderr, "keel-server: --store bitcask: the path is longer than %u bytes\n",
                (unsigned)BC_PATH_MAX - 1);
        return NULL;
    }
    struct bc_options o;
    bc_options_default(&o);
    o.sync = BC_SYNC_ALWAYS;
    char *colon = strchr(dir, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (bc_sync_parse(colon + 1, &o) != BC_OK) {
            fprintf(stderr, "keel-server: unknown sync policy '%s'\n", colon + 1);
            return NULL;
        }
    }
    struct store_backend *backend = calloc(1, sizeof(*backend));
    if (backend == NULL) {
        fprintf(stderr, "keel-server: bitcask: out of memory\n");
        return NULL;
    }
    char error[BC_ERROR_MAX] = "";
    struct bc_db *db = NULL;
    bc_status st = bc_open(dir, &o, &db, error);
    if (st != BC_OK) {
        fprintf(stderr, "keel-server: bitcask open %s: %s (%s)\n", dir, bc_strerror(st), error);
        goto fail;
    }
    backend->db = db; /* owned by the backend from here on */
    if (load(backend->db, store, now_ms) != 0) {
        goto fail;
    }
    return backend;
fail:
    if (backend->db != NULL) {
        (void)bc_close(backend->db); /* nothing was written yet: only the load failed */
    }
    free(backend);
    return NULL;
}

static void
backend_close(struct store_backend *backend)
{
    if (backend == NULL) {
        return;
    }
    bc_status st = bc_close(backend->db);
    if (st != BC_OK) {
        report(NULL, "close", st);
    }
    free(backend);
}

const struct store_backend_ops bitcask_backend_ops = {
    .name = "bitcask",
    .usage = "bitcask:DIR[:always|none|interval:MS]",
    .open_cb = backend_open,
    .execute_cb = backend_execute,
    .close_cb = backend_close,
};
