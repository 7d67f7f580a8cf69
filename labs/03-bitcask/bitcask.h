/* bitcask.h -- an append-only key-value store (lab 03), after Bitcask (Sheehy and Smith, 2010).
 * A bc_db owns one directory of data files and the in-memory keydir that maps every live key
 * to where its latest value sits on disk. Read bc_open, bc_put and bc_get first; the on-disk
 * format is in bc_internal.h. All file I/O goes through a struct bc_io, so tests can run the
 * store on faultfs (harness/lib/storage/kh_faultfs.h) and crash it at any call. Thread-safe: any
 * number of threads may call any function on one bc_db, except bc_close. */
#ifndef KEEL_BITCASK_H
#define KEEL_BITCASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BC_KEY_SIZE_MAX 1024u                  /* bytes; the format allows 65,535 */
#define BC_VALUE_SIZE_MAX (16u << 20)          /* bytes: 16 MiB */
#define BC_FILE_SIZE_BYTES_DEFAULT (64u << 20) /* rotate the active file past 64 MiB */
#define BC_PATH_MAX 256u                       /* bytes, with the NUL: dir + "/" + file name */
#define BC_ERROR_MAX 256u                      /* bytes of an error message, with the NUL */
#define BC_APPEND_BUFFER_BYTES (64u << 10)     /* sync none and interval: appends held in memory */

#define BC_STATUS_LIST(X)                                                                          \
    X(BC_OK, "ok")                                                                                 \
    X(BC_NOT_FOUND, "not found")                                                                   \
    X(BC_TOO_BIG, "too big: a key or value over its limit, or a value over the caller's buffer")   \
    X(BC_CORRUPT, "corrupt: a record failed its checksum or format check")                         \
    X(BC_IO, "I/O error")                                                                          \
    X(BC_NO_SPACE, "no space left on the device")                                                  \
    X(BC_LOCKED, "locked: another handle has this directory open")                                 \
    X(BC_FAILED, "failed: an earlier write or fsync failed; reopen the store to write again")      \
    X(BC_BUSY, "busy: a merge is already running")                                                 \
    X(BC_INVALID, "invalid argument")                                                              \
    X(BC_NOMEM, "out of memory")                                                                   \
    X(BC_UNIMPLEMENTED, "not implemented yet")

#define BC_STATUS_ENUM_ENTRY(name, text) name,
typedef enum { BC_STATUS_LIST(BC_STATUS_ENUM_ENTRY) } bc_status;
#undef BC_STATUS_ENUM_ENTRY

/* A static text for status ("unknown status" for a value not in the list). */
const char *bc_strerror(bc_status status);

/* The file calls the store makes, POSIX-shaped: each returns >= 0, or -errno (never errno).
 * Descriptors are the io's own. fsync on a directory descriptor makes its names durable; on a
 * file, its data (fdatasync). list calls entry_cb per name in dir and returns the first
 * nonzero entry_cb result. lock is an exclusive, non-blocking lock held until close
 * (-EWOULDBLOCK when held elsewhere). The clocks come through it too, so that a test's io
 * decides what time the store sees and a seeded run replays: now_us is the clock record
 * timestamps come from (Unix time); monotonic_us never goes back, and times the store's waits
 * (group commit's are bounded in microseconds of it). */
struct bc_io {
    int (*open)(void *ctx, const char *path, int flags);
    int (*close)(void *ctx, int fd);
    ssize_t (*pread)(void *ctx, int fd, void *buf, size_t size_bytes, uint64_t offset);
    ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t size_bytes, uint64_t offset);
    int (*fsync)(void *ctx, int fd);
    int (*ftruncate)(void *ctx, int fd, uint64_t size_bytes);
    int (*fsize)(void *ctx, int fd, uint64_t *size_bytes);
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*unlink)(void *ctx, const char *path);
    int (*mkdir)(void *ctx, const char *path);
    int (*list)(void *ctx, const char *dir, int (*entry_cb)(const char *name, void *arg),
                void *arg);
    int (*lock)(void *ctx, int fd);
    uint64_t (*now_us)(void *ctx);
    uint64_t (*monotonic_us)(void *ctx);
    /* Optional (NULL: the store uses pread): map maps size_bytes of fd read-only and shared, and
     * returns the address or NULL; unmap undoes it. Reading a mapped byte past the file's end is
     * SIGBUS, so a store reads only what it has written, and never shrinks a mapped file. */
    void *(*map)(void *ctx, int fd, uint64_t size_bytes);
    void (*unmap)(void *ctx, void *addr, uint64_t size_bytes);
    void *ctx;
};

/* The real thing: POSIX calls, fdatasync, flock, CLOCK_REALTIME and CLOCK_MONOTONIC (given in
 * io_posix.c). */
extern const struct bc_io bc_io_posix;

/* When a put is durable. Under NONE and INTERVAL an implementation may hold the newest records
 * in memory, at most BC_APPEND_BUFFER_BYTES of them, before it writes them to the file: a process
 * crash (kill -9) may then lose up to that much of the newest puts, and a machine crash whatever
 * was not synced. Gets always see them. bc_sync, bc_merge and bc_close write them out first.
 * Under ALWAYS nothing is held: a put that returned BC_OK survives any crash. */
typedef enum {
    BC_SYNC_NONE,     /* when the OS writes it back (and at rotation, merge, bc_sync and close) */
    BC_SYNC_ALWAYS,   /* before bc_put/bc_delete return; concurrent writers share fsyncs */
    BC_SYNC_INTERVAL, /* within sync_interval_ms, by a background thread */
} bc_sync_policy;

struct bc_options {
    const struct bc_io *io; /* borrowed, must outlive the db; NULL means &bc_io_posix */
    bc_sync_policy sync;
    uint32_t sync_interval_ms;    /* BC_SYNC_INTERVAL only, >= 1 */
    uint64_t file_size_bytes_max; /* rotation threshold; 0 means BC_FILE_SIZE_BYTES_DEFAULT */
    bool is_hints_ignored;        /* rebuild from data files even where hint files exist */
};

/* Defaults: posix io, BC_SYNC_NONE, 64 MiB files, hints used. */
void bc_options_default(struct bc_options *options);
/* Parses "always", "none" or "interval:MS" into options. BC_OK or BC_INVALID. */
bc_status bc_sync_parse(const char *text, struct bc_options *options);

struct bc_db; /* opaque; defined in bc_internal.h */

/* Opens (creating it if missing) the store in dir, rebuilds the keydir from the data files
 * (hint files where they exist), truncates a torn tail of the newest file back to its last
 * whole record, and locks the directory. On BC_OK *db is owned: free with bc_close. On an
 * error, a message naming the file and offset where it applies goes to error (may be NULL).
 * Returns BC_OK, BC_LOCKED, BC_CORRUPT (a bad record before the tail, or in an older file),
 * BC_IO, BC_NO_SPACE, BC_NOMEM or BC_INVALID. Cost: O(bytes of data), or O(hint bytes). */
bc_status bc_open(const char *dir, const struct bc_options *options, struct bc_db **db,
                  char error[BC_ERROR_MAX]);

/* Syncs (unless the handle failed), unlocks, frees. Returns the final sync's status. */
bc_status bc_close(struct bc_db *db);

/* Sets key to value: appends a record, then points the keydir at it. Under BC_SYNC_ALWAYS it
 * returns only once the record is durable. Returns BC_OK, BC_TOO_BIG, BC_INVALID, BC_FAILED
 * (the handle failed earlier), BC_IO or BC_NO_SPACE (a write or fsync failed: the handle is
 * then failed), or BC_NOMEM: out of memory, either before the record was appended (nothing was
 * written) or after it, when the keydir could not take the key (the handle is then failed, as
 * after a failed write). A failed handle refuses writes with BC_FAILED until reopened, and
 * reads go on: without the failed put when its write or keydir insert failed, with it when only
 * its fsync did. After a reopen the failed put may be there either way, since its record may
 * be in the file. key and value are only read during the call. Cost: one pwrite, plus a share
 * of an fsync under BC_SYNC_ALWAYS; under NONE and INTERVAL, a memory copy, and one pwrite per
 * BC_APPEND_BUFFER_BYTES (a write error then fails the handle on a later put, bc_sync or
 * bc_close, as a failed fsync would). */
bc_status bc_put(struct bc_db *db, const void *key, size_t key_size_bytes, const void *value,
                 size_t value_size_bytes);

/* Copies key's value into buf (caller-provided, buf_size_bytes) and its size into
 * *value_size_bytes. Returns BC_OK, BC_NOT_FOUND, BC_TOO_BIG (buf too small: *value_size_bytes
 * says how much is needed), BC_CORRUPT (the record failed its checksum: never a wrong value)
 * or BC_IO. Works on a failed handle. Cost: one pread of the record, or a copy of it from the
 * append buffer or from the file mapped (io->map). */
bc_status bc_get(struct bc_db *db, const void *key, size_t key_size_bytes, void *buf,
                 size_t buf_size_bytes, size_t *value_size_bytes);

/* Deletes key by appending a tombstone. Returns BC_OK, BC_NOT_FOUND (nothing written) or the
 * errors of bc_put. */
bc_status bc_delete(struct bc_db *db, const void *key, size_t key_size_bytes);

/* Calls key_cb once per live key, in no order, with the db's lock held: key_cb must not call
 * the db. Stops at key_cb's first nonzero return. Returns BC_OK. key is borrowed for the call. */
bc_status bc_fold(struct bc_db *db,
                  int (*key_cb)(const void *key, size_t key_size_bytes, void *arg), void *arg);

/* Rewrites the live records of every file but the active one into new files with hint files,
 * then swaps them in atomically (write, fsync, rename, fsync the directory) and deletes the
 * old files. Gets and puts go on meanwhile. Returns BC_OK, BC_BUSY (a merge is running),
 * BC_CORRUPT, BC_IO, BC_NO_SPACE, BC_FAILED or BC_NOMEM; on an error the old files stay. */
bc_status bc_merge(struct bc_db *db);

/* Makes every put so far durable. Returns BC_OK, BC_IO or BC_FAILED. */
bc_status bc_sync(struct bc_db *db);

struct bc_stats {
    uint64_t key_count;
    uint64_t file_count;
    uint64_t disk_bytes; /* data files; hint files are not counted */
    uint64_t live_bytes; /* the records the keydir points at */
    uint64_t fsync_count;
    uint64_t merge_count;
};
void bc_stats(struct bc_db *db, struct bc_stats *stats);

/* Copies the message of the last error on db (a failed write, a corrupt record) into out. */
void bc_last_error(struct bc_db *db, char out[BC_ERROR_MAX]);

#endif
