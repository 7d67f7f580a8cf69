/* peers.h -- bench_db's adapters for the stores a user would pick instead (included by
 * bench_db.c). Each is compiled only when its -dev package's header is there (`make peers`),
 * and lab.mk adds its -l flag under the same condition. Settings follow each one's db_bench:
 * sync off is each store's fastest documented non-durable mode. */
#ifndef KEEL_BENCH_PEERS_H
#define KEEL_BENCH_PEERS_H

#if __has_include(<leveldb/c.h>)
#include <leveldb/c.h>
struct ldb {
    leveldb_t *db;
    leveldb_options_t *options;
    leveldb_writeoptions_t *write;
    leveldb_readoptions_t *read;
};
static void *
ldb_open(const char *dir, bool is_sync)
{
    struct ldb *l = calloc(1, sizeof(*l));
    char *err = NULL;
    l->options = leveldb_options_create();
    leveldb_options_set_create_if_missing(l->options, 1);
    l->db = leveldb_open(l->options, dir, &err);
    l->write = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(l->write, is_sync);
    l->read = leveldb_readoptions_create();
    if (err != NULL) {
        fprintf(stderr, "leveldb: %s\n", err);
        leveldb_free(err);
        free(l);
        return NULL;
    }
    return l;
}
static int
ldb_put(void *db, const char *key, const void *value, size_t value_size)
{
    struct ldb *l = db;
    char *err = NULL;
    leveldb_put(l->db, l->write, key, KEY_BYTES, value, value_size, &err);
    leveldb_free(err);
    return err != NULL ? -1 : 0;
}
static int
ldb_get(void *db, const char *key, void *buf, size_t buf_size)
{
    struct ldb *l = db;
    char *err = NULL;
    size_t size = 0;
    char *v = leveldb_get(l->db, l->read, key, KEY_BYTES, &size, &err);
    if (v != NULL && size <= buf_size) {
        memcpy(buf, v, size);
    }
    int rc = v == NULL ? -1 : 0;
    leveldb_free(v);
    leveldb_free(err);
    return rc;
}
static int
ldb_del(void *db, const char *key)
{
    struct ldb *l = db;
    char *err = NULL;
    leveldb_delete(l->db, l->write, key, KEY_BYTES, &err);
    leveldb_free(err);
    return err != NULL ? -1 : 0;
}
static void
ldb_close(void *db)
{
    struct ldb *l = db;
    leveldb_close(l->db);
    leveldb_options_destroy(l->options);
    leveldb_writeoptions_destroy(l->write);
    leveldb_readoptions_destroy(l->read);
    free(l);
}
static const struct engine leveldb_engine = {"leveldb", true,    ldb_open,  ldb_put,
                                             ldb_get,   ldb_del, ldb_close, true};
#endif

#if __has_include(<rocksdb/c.h>)
#include <rocksdb/c.h>
struct rdb {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_writeoptions_t *write;
    rocksdb_readoptions_t *read;
};
static void *
rdb_open(const char *dir, bool is_sync)
{
    struct rdb *r = calloc(1, sizeof(*r));
    char *err = NULL;
    r->options = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->options, 1);
    r->db = rocksdb_open(r->options, dir, &err);
    r->write = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->write, is_sync);
    r->read = rocksdb_readoptions_create();
    if (err != NULL) {
        fprintf(stderr, "rocksdb: %s\n", err);
        rocksdb_free(err);
        free(r);
        return NULL;
    }
    return r;
}
static int
rdb_put(void *db, const char *key, const void *value, size_t value_size)
{
    struct rdb *r = db;
    char *err = NULL;
    rocksdb_put(r->db, r->write, key, KEY_BYTES, value, value_size, &err);
    rocksdb_free(err);
    return err != NULL ? -1 : 0;
}
static int
rdb_get(void *db, const char *key, void *buf, size_t buf_size)
{
    struct rdb *r = db;
    char *err = NULL;
    size_t size = 0;
    char *v = rocksdb_get(r->db, r->read, key, KEY_BYTES, &size, &err);
    if (v != NULL && size <= buf_size) {
        memcpy(buf, v, size);
    }
    int rc = v == NULL ? -1 : 0;
    rocksdb_free(v);
    rocksdb_free(err);
    return rc;
}
static int
rdb_del(void *db, const char *key)
{
    struct rdb *r = db;
    char *err = NULL;
    rocksdb_delete(r->db, r->write, key, KEY_BYTES, &err);
    rocksdb_free(err);
    return err != NULL ? -1 : 0;
}
static void
rdb_close(void *db)
{
    struct rdb *r = db;
    rocksdb_close(r->db);
    rocksdb_options_destroy(r->options);
    rocksdb_writeoptions_destroy(r->write);
    rocksdb_readoptions_destroy(r->read);
    free(r);
}
static const struct engine rocksdb_engine = {"rocksdb", true,    rdb_open,  rdb_put,
                                             rdb_get,   rdb_del, rdb_close, true};
#endif

#if __has_include(<lmdb.h>)
#include <lmdb.h>
#define LMDB_MAP_BYTES (8ull << 30) /* address space only; the file grows as written */
/* Sync off: one write transaction for the whole run (MDB_NOSYNC), as LMDB's own bench does;
 * sync on: one committed transaction per put. */
struct lmdb {
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn; /* the open write transaction (sync off), or NULL */
    bool is_sync;
};
static void *
lmdb_open(const char *dir, bool is_sync)
{
    struct lmdb *m = calloc(1, sizeof(*m));
    m->is_sync = is_sync;
    if (mdb_env_create(&m->env) != 0 || mdb_env_set_mapsize(m->env, LMDB_MAP_BYTES) != 0 ||
        mdb_env_open(m->env, dir, MDB_NOTLS | (is_sync ? 0 : MDB_NOSYNC), 0644) != 0 ||
        mdb_txn_begin(m->env, NULL, 0, &m->txn) != 0 || mdb_dbi_open(m->txn, NULL, 0, &m->dbi)) {
        free(m);
        return NULL;
    }
    if (is_sync) {
        mdb_txn_commit(m->txn);
        m->txn = NULL;
    }
    return m;
}
static int
lmdb_put(void *db, const char *key, const void *value, size_t value_size)
{
    struct lmdb *m = db;
    MDB_val k = {KEY_BYTES, (void *)key}, v = {value_size, (void *)value};
    MDB_txn *txn = m->txn;
    if (txn == NULL && mdb_txn_begin(m->env, NULL, 0, &txn) != 0) {
        return -1;
    }
    int rc = mdb_put(txn, m->dbi, &k, &v, 0);
    if (m->txn == NULL) {
        rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
    }
    return rc == 0 ? 0 : -1;
}
static int
lmdb_get(void *db, const char *key, void *buf, size_t buf_size)
{
    struct lmdb *m = db;
    MDB_val k = {KEY_BYTES, (void *)key}, v;
    MDB_txn *txn = m->txn;
    if (txn == NULL && mdb_txn_begin(m->env, NULL, MDB_RDONLY, &txn) != 0) {
        return -1;
    }
    int rc = mdb_get(txn, m->dbi, &k, &v);
    if (rc == 0 && v.mv_size <= buf_size) {
        memcpy(buf, v.mv_data, v.mv_size);
    }
    if (m->txn == NULL) {
        mdb_txn_abort(txn);
    }
    return rc == 0 ? 0 : -1;
}
static int
lmdb_del(void *db, const char *key)
{
    struct lmdb *m = db;
    MDB_val k = {KEY_BYTES, (void *)key};
    MDB_txn *txn = m->txn;
    if (txn == NULL && mdb_txn_begin(m->env, NULL, 0, &txn) != 0) {
        return -1;
    }
    int rc = mdb_del(txn, m->dbi, &k, NULL);
    if (m->txn == NULL) {
        rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
    }
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}
static void
lmdb_close(void *db)
{
    struct lmdb *m = db;
    if (m->txn != NULL) {
        mdb_txn_commit(m->txn);
    }
    mdb_env_close(m->env);
    free(m);
}
static const struct engine lmdb_engine = {"lmdb",   true,     lmdb_open,  lmdb_put,
                                          lmdb_get, lmdb_del, lmdb_close, false};
#endif

#if __has_include(<sqlite3.h>)
#include <sqlite3.h>
#define SQLITE_BATCH_OPS 1000u /* sync off: commit every 1,000 statements */
struct sq {
    sqlite3 *db;
    sqlite3_stmt *put, *get, *del;
    bool is_sync;
    unsigned in_batch;
};
static void *
sq_open(const char *dir, bool is_sync)
{
    struct sq *q = calloc(1, sizeof(*q));
    char path[300];
    snprintf(path, sizeof(path), "%s/kv.sqlite", dir);
    q->is_sync = is_sync;
    if (sqlite3_open(path, &q->db) != SQLITE_OK ||
        sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(q->db, is_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF", NULL,
                     NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(q->db, "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID", NULL,
                     NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, "INSERT OR REPLACE INTO kv VALUES (?, ?)", -1, &q->put, NULL) ||
        sqlite3_prepare_v2(q->db, "SELECT v FROM kv WHERE k = ?", -1, &q->get, NULL) ||
        sqlite3_prepare_v2(q->db, "DELETE FROM kv WHERE k = ?", -1, &q->del, NULL)) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(q->db));
        return NULL;
    }
    return q;
}
static int
sq_step(struct sq *q, sqlite3_stmt *st, bool is_write)
{
    if (is_write && !q->is_sync && q->in_batch++ == 0) {
        sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (is_write && !q->is_sync && q->in_batch == SQLITE_BATCH_OPS) {
        sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
        q->in_batch = 0;
    }
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}
static int
sq_put(void *db, const char *key, const void *value, size_t value_size)
{
    struct sq *q = db;
    sqlite3_bind_blob(q->put, 1, key, KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(q->put, 2, value, (int)value_size, SQLITE_STATIC);
    return sq_step(q, q->put, true);
}
static int
sq_get(void *db, const char *key, void *buf, size_t buf_size)
{
    struct sq *q = db;
    sqlite3_bind_blob(q->get, 1, key, KEY_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(q->get);
    if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(q->get, 0) <= buf_size) {
        memcpy(buf, sqlite3_column_blob(q->get, 0), (size_t)sqlite3_column_bytes(q->get, 0));
    }
    sqlite3_reset(q->get);
    return rc == SQLITE_ROW ? 0 : -1;
}
static int
sq_del(void *db, const char *key)
{
    struct sq *q = db;
    sqlite3_bind_blob(q->del, 1, key, KEY_BYTES, SQLITE_STATIC);
    return sq_step(q, q->del, true);
}
static void
sq_close(void *db)
{
    struct sq *q = db;
    if (q->in_batch > 0) {
        sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
    }
    sqlite3_finalize(q->put);
    sqlite3_finalize(q->get);
    sqlite3_finalize(q->del);
    sqlite3_close(q->db);
    free(q);
}
static const struct engine sqlite_engine = {"sqlite", true,   sq_open,  sq_put,
                                            sq_get,   sq_del, sq_close, false};
#endif

/* The peers built in; returns how many it put in out. */
static size_t
peers_list(const struct engine **out, size_t out_max)
{
    size_t n = 0;
#if __has_include(<leveldb/c.h>)
    n < out_max ? (void)(out[n++] = &leveldb_engine) : (void)0;
#endif
#if __has_include(<rocksdb/c.h>)
    n < out_max ? (void)(out[n++] = &rocksdb_engine) : (void)0;
#endif
#if __has_include(<lmdb.h>)
    n < out_max ? (void)(out[n++] = &lmdb_engine) : (void)0;
#endif
#if __has_include(<sqlite3.h>)
    n < out_max ? (void)(out[n++] = &sqlite_engine) : (void)0;
#endif
    (void)out;
    (void)out_max;
    return n;
}

#endif
