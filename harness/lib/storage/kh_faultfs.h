/* kh_faultfs.h -- an in-memory file system for storage tests, with fault injection and crashes.
 * Read kh_faultfs_crash_image first: it is why this exists. Every file keeps two states: what a
 * read sees now, and what is durable (as of its last fsync); every directory keeps two
 * namespaces, the current one and the durable one (as of the directory's last fsync). A crash
 * image keeps only the durable state, plus, for each file, a prefix of the writes not yet
 * synced, cut at any byte. All calls are POSIX-shaped: they return >= 0, or -errno (never set
 * errno). Thread-safe (one mutex). Deterministic: the same calls give the same results, so a
 * test that draws its workload from kh_test_seed() replays exactly. Memory: owned by the fs. */
#ifndef KEEL_KH_FAULTFS_H
#define KEEL_KH_FAULTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KH_FAULTFS_FDS_MAX 256u       /* open descriptors at once */
#define KH_FAULTFS_PATH_MAX 256u      /* bytes, with the NUL */
#define KH_FAULTFS_FAULTS_MAX 8u      /* injected faults armed at once */
#define KH_FAULTFS_NTH_ANY UINT64_MAX /* kh_faultfs_fault.count: fail from nth on, forever */

/* What a call does to the disk. Calls that change nothing (read, size, list) are not traced. */
#define KH_FAULTFS_OP_LIST(X)                                                                      \
    X(KH_FAULTFS_OP_CREATE, "create")                                                              \
    X(KH_FAULTFS_OP_PWRITE, "pwrite")                                                              \
    X(KH_FAULTFS_OP_FSYNC, "fsync")                                                                \
    X(KH_FAULTFS_OP_FSYNC_DIR, "fsync-dir")                                                        \
    X(KH_FAULTFS_OP_FTRUNCATE, "ftruncate")                                                        \
    X(KH_FAULTFS_OP_RENAME, "rename")                                                              \
    X(KH_FAULTFS_OP_UNLINK, "unlink")                                                              \
    X(KH_FAULTFS_OP_ANY, "any")

#define KH_FAULTFS_OP_ENUM_ENTRY(name, text) name,
typedef enum { KH_FAULTFS_OP_LIST(KH_FAULTFS_OP_ENUM_ENTRY) } kh_faultfs_op;
#undef KH_FAULTFS_OP_ENUM_ENTRY

const char *kh_faultfs_op_name(kh_faultfs_op op);

struct kh_faultfs; /* opaque; defined in faultfs.c */

/* An empty file system holding only the directory "/". NULL on out of memory. Owned: free
 * with kh_faultfs_destroy. */
struct kh_faultfs *kh_faultfs_create(void);
void kh_faultfs_destroy(struct kh_faultfs *fs);

/* ---- The file calls (flags: O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC,
 * O_DIRECTORY; paths absolute, "/a/b"; directories must exist) ---------------------------- */
int kh_faultfs_open(struct kh_faultfs *fs, const char *path, int flags);
int kh_faultfs_close(struct kh_faultfs *fs, int fd);
ssize_t kh_faultfs_pread(struct kh_faultfs *fs, int fd, void *buf, size_t size_bytes,
                         uint64_t offset);
ssize_t kh_faultfs_pwrite(struct kh_faultfs *fs, int fd, const void *buf, size_t size_bytes,
                          uint64_t offset);
/* On a file: its data becomes durable. On a directory: its namespace becomes durable. */
int kh_faultfs_fsync(struct kh_faultfs *fs, int fd);
int kh_faultfs_ftruncate(struct kh_faultfs *fs, int fd, uint64_t size_bytes);
int kh_faultfs_fsize(struct kh_faultfs *fs, int fd, uint64_t *size_bytes);
/* Both paths in one directory (what a store does; -EXDEV otherwise). Replaces `to`. */
int kh_faultfs_rename(struct kh_faultfs *fs, const char *from, const char *to);
int kh_faultfs_unlink(struct kh_faultfs *fs, const char *path);
/* Creates a directory; durable at once (tests make their store's directory up front). */
int kh_faultfs_mkdir(struct kh_faultfs *fs, const char *path);
/* Calls entry_cb with each name in dir (not "." or ".."), in name order; stops at the first
 * nonzero return of entry_cb and returns it. */
int kh_faultfs_list(struct kh_faultfs *fs, const char *dir,
                    int (*entry_cb)(const char *name, void *arg), void *arg);
/* An exclusive, non-blocking lock on fd's file, released by its close: -EWOULDBLOCK when
 * another descriptor holds it (as flock(LOCK_EX | LOCK_NB) between two opens). */
int kh_faultfs_lock(struct kh_faultfs *fs, int fd);

/* ---- Faults --------------------------------------------------------------------------- */

/* The nth call (0-based) of kind op, counted from when the fault is armed, and the count - 1
 * calls of that kind after it, fail with -error and change nothing. short_bytes > 0 (pwrite
 * only) instead writes the first short_bytes bytes and returns that count. */
struct kh_faultfs_fault {
    kh_faultfs_op op;
    uint64_t nth;
    uint64_t count; /* 1 for one call; KH_FAULTFS_NTH_ANY for every call from the nth on */
    int error;      /* EIO, ENOSPC, ... */
    size_t short_bytes;
};
/* Arms a fault. Returns 0, or -ENOSPC when KH_FAULTFS_FAULTS_MAX are armed. */
int kh_faultfs_inject(struct kh_faultfs *fs, const struct kh_faultfs_fault *fault);
void kh_faultfs_clear_faults(struct kh_faultfs *fs);

/* From traced call number call_index (0-based, see the trace) on, the machine is dead: that
 * call and every later call, reads too, fail with -EIO and change nothing. */
void kh_faultfs_crash_at(struct kh_faultfs *fs, uint64_t call_index);
bool kh_faultfs_has_crashed(const struct kh_faultfs *fs);

/* What the disk holds after a crash now: a new file system with every durable name and its
 * durable data, plus, in each file, the first keep_bytes of the bytes written since its last
 * fsync, applied in order (the last write applied may be cut at any byte: a torn write).
 * keep_bytes 0 loses everything unsynced, UINT64_MAX keeps it all. Owned by the caller. */
struct kh_faultfs *kh_faultfs_crash_image(struct kh_faultfs *fs, uint64_t keep_bytes);

/* The cumulative end, in bytes, of each write not yet synced, for the file with the most such
 * writes (so keep_bytes = ends[i] keeps whole writes and ends[i] - 1 tears one). Fills at
 * most ends_max and returns how many there are. */
size_t kh_faultfs_pending_ends(struct kh_faultfs *fs, uint64_t *ends, size_t ends_max);

/* ---- The trace: every call that changes the disk, in order ----------------------------
 * It records the first KH_FAULTFS_TRACE_MAX calls. An event is 280 bytes (a path of
 * KH_FAULTFS_PATH_MAX bytes, the op, three numbers), so a full trace takes 65,536 x 280 B =
 * 17.5 MiB of one file system; the longest trace of lab 03's tests is 2,141 calls, 30 times
 * fewer. Past it calls are counted (kh_faultfs_trace_count, and kh_faultfs_crash_at takes any
 * index) but not recorded, and kh_faultfs_trace_print says so. */
#define KH_FAULTFS_TRACE_MAX 65536u /* events recorded, a power of two (the buffer doubles) */

struct kh_faultfs_event {
    kh_faultfs_op op;
    char path[KH_FAULTFS_PATH_MAX]; /* the file; for a rename, the source */
    uint64_t offset;                /* pwrite, ftruncate */
    uint64_t size_bytes;            /* pwrite, ftruncate */
    int result;                     /* what the call returned (>= 0 or -errno) */
};

/* Traced calls so far, recorded or not (also the index the next one will get). */
uint64_t kh_faultfs_trace_count(const struct kh_faultfs *fs);
/* Copies event index into *event. Returns 0; -ENODATA when the call was made but not recorded
 * (index >= KH_FAULTFS_TRACE_MAX); -ERANGE when no call has that index yet. */
int kh_faultfs_trace_get(struct kh_faultfs *fs, uint64_t index, struct kh_faultfs_event *event);
/* Writes a line per event from first on (at most lines_max) to out, for a failure message;
 * where the calls are past what was recorded, one line saying so instead. */
void kh_faultfs_trace_print(struct kh_faultfs *fs, uint64_t first, size_t lines_max, char *out,
                            size_t out_size);

/* Bytes in the named file now (or -ENOENT), for tests that corrupt files by hand. */
int64_t kh_faultfs_file_size(struct kh_faultfs *fs, const char *path);

#endif
