/* faultfs.h -- an in-memory file system for storage tests, with fault injection and crashes.
 * Read faultfs_crash_image first: it is why this exists. Every file keeps two states: what a
 * read sees now, and what is durable (as of its last fsync); every directory keeps two
 * namespaces, the current one and the durable one (as of the directory's last fsync). A crash
 * image keeps only the durable state, plus, for each file, a prefix of the writes not yet
 * synced, cut at any byte. All calls are POSIX-shaped: they return >= 0, or -errno (never set
 * errno). Thread-safe (one mutex). Deterministic: the same calls give the same results, so a
 * test that draws its workload from harness_seed() replays exactly. Memory: owned by the fs. */
#ifndef KEEL_FAULTFS_H
#define KEEL_FAULTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FAULTFS_FDS_MAX 256u       /* open descriptors at once */
#define FAULTFS_PATH_MAX 256u      /* bytes, with the NUL */
#define FAULTFS_FAULTS_MAX 8u      /* injected faults armed at once */
#define FAULTFS_NTH_ANY UINT64_MAX /* faultfs_fault.count: fail from nth on, forever */

/* What a call does to the disk. Calls that change nothing (read, size, list) are not traced. */
#define FAULTFS_OP_LIST(X)                                                                         \
    X(FAULTFS_OP_CREATE, "create")                                                                 \
    X(FAULTFS_OP_PWRITE, "pwrite")                                                                 \
    X(FAULTFS_OP_FSYNC, "fsync")                                                                   \
    X(FAULTFS_OP_FSYNC_DIR, "fsync-dir")                                                           \
    X(FAULTFS_OP_FTRUNCATE, "ftruncate")                                                           \
    X(FAULTFS_OP_RENAME, "rename")                                                                 \
    X(FAULTFS_OP_UNLINK, "unlink")                                                                 \
    X(FAULTFS_OP_ANY, "any")

#define FAULTFS_OP_ENUM_ENTRY(name, text) name,
typedef enum { FAULTFS_OP_LIST(FAULTFS_OP_ENUM_ENTRY) } faultfs_op;
#undef FAULTFS_OP_ENUM_ENTRY

const char *faultfs_op_name(faultfs_op op);

struct faultfs; /* opaque; defined in faultfs.c */

/* An empty file system holding only the directory "/". NULL on out of memory. Owned: free
 * with faultfs_destroy. */
struct faultfs *faultfs_create(void);
void faultfs_destroy(struct faultfs *fs);

/* ---- The file calls (flags: O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC,
 * O_DIRECTORY; paths absolute, "/a/b"; directories must exist) ---------------------------- */
int faultfs_open(struct faultfs *fs, const char *path, int flags);
int faultfs_close(struct faultfs *fs, int fd);
ssize_t faultfs_pread(struct faultfs *fs, int fd, void *buf, size_t size_bytes, uint64_t offset);
ssize_t faultfs_pwrite(struct faultfs *fs, int fd, const void *buf, size_t size_bytes,
                       uint64_t offset);
/* On a file: its data becomes durable. On a directory: its namespace becomes durable. */
int faultfs_fsync(struct faultfs *fs, int fd);
int faultfs_ftruncate(struct faultfs *fs, int fd, uint64_t size_bytes);
int faultfs_fsize(struct faultfs *fs, int fd, uint64_t *size_bytes);
/* Both paths in one directory (what a store does; -EXDEV otherwise). Replaces `to`. */
int faultfs_rename(struct faultfs *fs, const char *from, const char *to);
int faultfs_unlink(struct faultfs *fs, const char *path);
/* Creates a directory; durable at once (tests make their store's directory up front). */
int faultfs_mkdir(struct faultfs *fs, const char *path);
/* Calls entry_cb with each name in dir (not "." or ".."), in name order; stops at the first
 * nonzero return of entry_cb and returns it. */
int faultfs_list(struct faultfs *fs, const char *dir, int (*entry_cb)(const char *name, void *arg),
                 void *arg);
/* An exclusive, non-blocking lock on fd's file, released by its close: -EWOULDBLOCK when
 * another descriptor holds it (as flock(LOCK_EX | LOCK_NB) between two opens). */
int faultfs_lock(struct faultfs *fs, int fd);

/* ---- Faults --------------------------------------------------------------------------- */

/* The nth call (0-based) of kind op, counted from when the fault is armed, and the count - 1
 * calls of that kind after it, fail with -error and change nothing. short_bytes > 0 (pwrite
 * only) instead writes the first short_bytes bytes and returns that count. */
struct faultfs_fault {
    faultfs_op op;
    uint64_t nth;
    uint64_t count; /* 1 for one call; FAULTFS_NTH_ANY for every call from the nth on */
    int error;      /* EIO, ENOSPC, ... */
    size_t short_bytes;
};
/* Arms a fault. Returns 0, or -ENOSPC when FAULTFS_FAULTS_MAX are armed. */
int faultfs_inject(struct faultfs *fs, const struct faultfs_fault *fault);
void faultfs_clear_faults(struct faultfs *fs);

/* From traced call number call_index (0-based, see the trace) on, the machine is dead: that
 * call and every later call, reads too, fail with -EIO and change nothing. */
void faultfs_crash_at(struct faultfs *fs, uint64_t call_index);
bool faultfs_has_crashed(const struct faultfs *fs);

/* What the disk holds after a crash now: a new file system with every durable name and its
 * durable data, plus, in each file, the first keep_bytes of the bytes written since its last
 * fsync, applied in order (the last write applied may be cut at any byte: a torn write).
 * keep_bytes 0 loses everything unsynced, UINT64_MAX keeps it all. Owned by the caller. */
struct faultfs *faultfs_crash_image(struct faultfs *fs, uint64_t keep_bytes);

/* The cumulative end, in bytes, of each write not yet synced, for the file with the most such
 * writes (so keep_bytes = ends[i] keeps whole writes and ends[i] - 1 tears one). Fills at
 * most ends_max and returns how many there are. */
size_t faultfs_pending_ends(struct faultfs *fs, uint64_t *ends, size_t ends_max);

/* ---- The trace: every call that changes the disk, in order ---------------------------- */

struct faultfs_event {
    faultfs_op op;
    char path[FAULTFS_PATH_MAX]; /* the file; for a rename, the source */
    uint64_t offset;             /* pwrite, ftruncate */
    uint64_t size_bytes;         /* pwrite, ftruncate */
    int result;                  /* what the call returned (>= 0 or -errno) */
};

/* Traced calls so far (also the index the next one will get). */
uint64_t faultfs_trace_count(const struct faultfs *fs);
/* Copies event index into *event. Returns 0, or -ERANGE. */
int faultfs_trace_get(struct faultfs *fs, uint64_t index, struct faultfs_event *event);
/* Writes a line per event from first on (at most lines_max) to out, for a failure message. */
void faultfs_trace_print(struct faultfs *fs, uint64_t first, size_t lines_max, char *out,
                         size_t out_size);

/* Bytes in the named file now (or -ENOENT), for tests that corrupt files by hand. */
int64_t faultfs_file_size(struct faultfs *fs, const char *path);

#endif
