/* faultfs.c -- the in-memory file system with faults and crash images (kh_faultfs.h). Read
 * ff_begin first: every call that changes the disk goes through it, which is where the trace,
 * the injected faults and the crash point live. The disk under the calls (files with their
 * writes since the last fsync, and the current and durable namespaces) is faultfs_disk.c. */
#include "faultfs_disk.h"
#include "kh_faultfs.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FF_CALLS_NONE UINT64_MAX

/* The arithmetic of KH_FAULTFS_TRACE_MAX (kh_faultfs.h): the buffer grows by doubling from 16,
 * so with a power-of-two maximum it stops at exactly that many events, 17.5 MiB. */
_Static_assert((KH_FAULTFS_TRACE_MAX & (KH_FAULTFS_TRACE_MAX - 1)) == 0 &&
                   KH_FAULTFS_TRACE_MAX >= 16,
               "the trace's maximum is a power of two, where its doubling buffer stops");
_Static_assert(sizeof(struct kh_faultfs_event) * KH_FAULTFS_TRACE_MAX <= (18u << 20),
               "a full trace stays under 18 MiB, as kh_faultfs.h says");

struct ff_fd {
    bool is_open;
    struct ff_inode *inode;
    char path[KH_FAULTFS_PATH_MAX]; /* at open time */
};

struct kh_faultfs {
    pthread_mutex_t mutex; /* guards everything below */
    struct ff_names current;
    struct ff_names durable;
    struct ff_inode *inodes_all;
    struct ff_fd fds[KH_FAULTFS_FDS_MAX];
    struct kh_faultfs_fault faults[KH_FAULTFS_FAULTS_MAX];
    uint64_t fault_calls_seen[KH_FAULTFS_FAULTS_MAX];
    size_t fault_count;
    uint64_t crash_call_index; /* FF_CALLS_NONE when no crash is set */
    bool has_crashed;
    struct kh_faultfs_event *trace; /* owned: the first KH_FAULTFS_TRACE_MAX events */
    uint64_t trace_count;           /* traced calls, recorded or not */
    uint64_t trace_capacity;
};

const char *
kh_faultfs_op_name(kh_faultfs_op op)
{
#define KH_FAULTFS_OP_NAME_CASE(name, text)                                                        \
    case name:                                                                                     \
        return text;
    switch (op) {
        KH_FAULTFS_OP_LIST(KH_FAULTFS_OP_NAME_CASE)
    }
#undef KH_FAULTFS_OP_NAME_CASE
    return "unknown op";
}

/* ---- Lifetime --------------------------------------------------------------------------- */

struct kh_faultfs *
kh_faultfs_create(void)
{
    struct kh_faultfs *fs = calloc(1, sizeof(*fs));
    if (fs == NULL) {
        return NULL;
    }
    pthread_mutex_init(&fs->mutex, NULL);
    fs->crash_call_index = FF_CALLS_NONE;
    struct ff_inode *root = kh_ff_inode_new(&fs->inodes_all, true);
    if (root == NULL || kh_ff_names_add(&fs->current, "/", root) != 0 ||
        kh_ff_names_add(&fs->durable, "/", root) != 0) {
        kh_faultfs_destroy(fs);
        return NULL;
    }
    return fs;
}

void
kh_faultfs_destroy(struct kh_faultfs *fs)
{
    if (fs == NULL) {
        return;
    }
    for (struct ff_inode *inode = fs->inodes_all, *next; inode != NULL; inode = next) {
        next = inode->next_all;
        kh_ff_inode_free(inode);
    }
    free(fs->current.entries);
    free(fs->durable.entries);
    free(fs->trace);
    pthread_mutex_destroy(&fs->mutex);
    free(fs);
}

/* ---- The trace, faults and the crash point --------------------------------------------- */

/* Records what traced call index returned, if its event was recorded. */
static void
ff_end(struct kh_faultfs *fs, uint64_t index, int64_t result)
{
    assert(index < fs->trace_count);
    assert(result <= INT32_MAX); /* a byte count of one call, or -errno */
    if (index < KH_FAULTFS_TRACE_MAX) {
        fs->trace[index].result = (int)result;
    }
}

/* Starts a traced call: counts it, records its event while the trace has room, and decides its
 * fate. Returns the call's index in *index, and 0 (go on), a negative errno (fail the call), or
 * a positive short write size. */
static int64_t
ff_begin(struct kh_faultfs *fs, kh_faultfs_op op, const char *path, uint64_t offset,
         uint64_t size_bytes, uint64_t *index)
{
    assert(op != KH_FAULTFS_OP_ANY);
    assert(fs->trace_capacity <= KH_FAULTFS_TRACE_MAX);
    if (fs->trace_count < KH_FAULTFS_TRACE_MAX) {
        if (kh_ff_reserve((void **)&fs->trace, &fs->trace_capacity, fs->trace_count + 1,
                          sizeof(*fs->trace)) != 0) {
            return -ENOMEM;
        }
        struct kh_faultfs_event *ev = &fs->trace[fs->trace_count];
        *ev = (struct kh_faultfs_event){.op = op, .offset = offset, .size_bytes = size_bytes};
        snprintf(ev->path, sizeof(ev->path), "%s", path);
    }
    *index = fs->trace_count++;
    if (fs->has_crashed || *index >= fs->crash_call_index) {
        fs->has_crashed = true;
        ff_end(fs, *index, -EIO);
        return -EIO;
    }
    int64_t fate = 0;
    for (size_t i = 0; i < fs->fault_count; i++) {
        struct kh_faultfs_fault *f = &fs->faults[i];
        if (f->op != op && f->op != KH_FAULTFS_OP_ANY) {
            continue;
        }
        uint64_t seen = fs->fault_calls_seen[i]++;
        if (fate == 0 && seen >= f->nth && seen - f->nth < f->count) {
            bool is_short = op == KH_FAULTFS_OP_PWRITE && f->short_bytes > 0;
            fate = is_short ? (int64_t)f->short_bytes : -(int64_t)f->error;
        }
    }
    if (fate < 0) {
        ff_end(fs, *index, fate);
    }
    return fate;
}

int
kh_faultfs_inject(struct kh_faultfs *fs, const struct kh_faultfs_fault *fault)
{
    assert(fault->count > 0);
    pthread_mutex_lock(&fs->mutex);
    int rc = -ENOSPC;
    if (fs->fault_count < KH_FAULTFS_FAULTS_MAX) {
        fs->fault_calls_seen[fs->fault_count] = 0;
        fs->faults[fs->fault_count++] = *fault;
        rc = 0;
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

void
kh_faultfs_clear_faults(struct kh_faultfs *fs)
{
    pthread_mutex_lock(&fs->mutex);
    fs->fault_count = 0;
    pthread_mutex_unlock(&fs->mutex);
}

void
kh_faultfs_crash_at(struct kh_faultfs *fs, uint64_t call_index)
{
    pthread_mutex_lock(&fs->mutex);
    fs->crash_call_index = call_index;
    pthread_mutex_unlock(&fs->mutex);
}

bool
kh_faultfs_has_crashed(const struct kh_faultfs *fs)
{
    struct kh_faultfs *mutable_fs = (struct kh_faultfs *)fs;
    pthread_mutex_lock(&mutable_fs->mutex);
    bool has_crashed = fs->has_crashed;
    pthread_mutex_unlock(&mutable_fs->mutex);
    return has_crashed;
}

uint64_t
kh_faultfs_trace_count(const struct kh_faultfs *fs)
{
    struct kh_faultfs *mutable_fs = (struct kh_faultfs *)fs;
    pthread_mutex_lock(&mutable_fs->mutex);
    uint64_t count = fs->trace_count;
    pthread_mutex_unlock(&mutable_fs->mutex);
    return count;
}

int
kh_faultfs_trace_get(struct kh_faultfs *fs, uint64_t index, struct kh_faultfs_event *event)
{
    pthread_mutex_lock(&fs->mutex);
    int rc = index >= fs->trace_count ? -ERANGE : index >= KH_FAULTFS_TRACE_MAX ? -ENODATA : 0;
    if (rc == 0) {
        *event = fs->trace[index];
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

void
kh_faultfs_trace_print(struct kh_faultfs *fs, uint64_t first, size_t lines_max, char *out,
                       size_t out_size)
{
    assert(out_size > 0);
    out[0] = '\0';
    size_t used = 0;
    pthread_mutex_lock(&fs->mutex);
    for (uint64_t i = first; i < fs->trace_count && i - first < lines_max; i++) {
        bool is_recorded = i < KH_FAULTFS_TRACE_MAX;
        const struct kh_faultfs_event *ev = is_recorded ? &fs->trace[i] : NULL;
        int n = is_recorded
                    ? snprintf(out + used, out_size - used,
                               "  #%llu %s %s off=%llu size=%llu -> %d\n", (unsigned long long)i,
                               kh_faultfs_op_name(ev->op), ev->path, (unsigned long long)ev->offset,
                               (unsigned long long)ev->size_bytes, ev->result)
                    : snprintf(out + used, out_size - used,
                               "  #%llu to #%llu not recorded: the trace keeps the first %u calls "
                               "(KH_FAULTFS_TRACE_MAX)\n",
                               (unsigned long long)i, (unsigned long long)(fs->trace_count - 1),
                               KH_FAULTFS_TRACE_MAX);
        if (n < 0 || (size_t)n >= out_size - used) {
            break;
        }
        used += (size_t)n;
        if (!is_recorded) {
            break; /* one line stands for every call past the maximum */
        }
    }
    pthread_mutex_unlock(&fs->mutex);
    assert(used < out_size);
}

/* ---- File calls ------------------------------------------------------------------------- */

/* 0 when path is absolute, fits, and its parent is a directory now. */
static int
ff_check_parent(struct kh_faultfs *fs, const char *path)
{
    if (path[0] != '/' || strlen(path) >= KH_FAULTFS_PATH_MAX) {
        return -ENAMETOOLONG;
    }
    char parent[KH_FAULTFS_PATH_MAX];
    snprintf(parent, sizeof(parent), "%.*s", (int)kh_ff_parent_len(path), path);
    struct ff_entry *e = kh_ff_names_find(&fs->current, parent);
    if (e == NULL) {
        return -ENOENT;
    }
    return e->inode->is_dir ? 0 : -ENOTDIR;
}

static struct ff_fd *
ff_fd_get(struct kh_faultfs *fs, int fd)
{
    if (fd < 0 || (unsigned)fd >= KH_FAULTFS_FDS_MAX || !fs->fds[fd].is_open) {
        return NULL;
    }
    return &fs->fds[fd];
}

static int
ff_fd_new(struct kh_faultfs *fs, struct ff_inode *inode, const char *path)
{
    for (unsigned fd = 0; fd < KH_FAULTFS_FDS_MAX; fd++) {
        if (!fs->fds[fd].is_open) {
            fs->fds[fd].is_open = true;
            fs->fds[fd].inode = inode;
            snprintf(fs->fds[fd].path, sizeof(fs->fds[fd].path), "%s", path);
            return (int)fd;
        }
    }
    return -EMFILE;
}

/* Creates path (traced). Returns 0 with *inode, or -errno. Called with the mutex held. */
static int
ff_create(struct kh_faultfs *fs, const char *path, struct ff_inode **inode)
{
    uint64_t index;
    int64_t fate = ff_begin(fs, KH_FAULTFS_OP_CREATE, path, 0, 0, &index);
    if (fate < 0) {
        return (int)fate;
    }
    *inode = kh_ff_inode_new(&fs->inodes_all, false);
    int rc = *inode == NULL ? -ENOMEM : kh_ff_names_add(&fs->current, path, *inode);
    ff_end(fs, index, rc);
    return rc;
}

static int
ff_truncate_locked(struct kh_faultfs *fs, struct ff_fd *f, uint64_t size_bytes)
{
    uint64_t index;
    int64_t fate = ff_begin(fs, KH_FAULTFS_OP_FTRUNCATE, f->path, size_bytes, size_bytes, &index);
    if (fate < 0) {
        return (int)fate;
    }
    struct ff_inode *inode = f->inode;
    struct ff_write w = {.offset = size_bytes, .is_truncate = true};
    int rc = kh_ff_inode_add_pending(inode, &w);
    if (rc == 0) {
        rc = kh_ff_apply_truncate(&inode->data, &inode->size_bytes, &inode->capacity_bytes,
                                  size_bytes);
    }
    ff_end(fs, index, rc);
    return rc;
}

int
kh_faultfs_open(struct kh_faultfs *fs, const char *path, int flags)
{
    pthread_mutex_lock(&fs->mutex);
    int rc = fs->has_crashed ? -EIO : ff_check_parent(fs, path);
    struct ff_entry *e = rc == 0 ? kh_ff_names_find(&fs->current, path) : NULL;
    struct ff_inode *inode = e != NULL ? e->inode : NULL;
    if (strcmp(path, "/") == 0) {
        rc = 0;
        inode = kh_ff_names_find(&fs->current, "/")->inode;
    }
    if (rc == 0 && inode == NULL) {
        rc = (flags & O_CREAT) ? ff_create(fs, path, &inode) : -ENOENT;
    } else if (rc == 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
        rc = -EEXIST;
    }
    if (rc == 0 && inode->is_dir != ((flags & O_DIRECTORY) != 0)) {
        rc = inode->is_dir ? -EISDIR : -ENOTDIR;
    }
    if (rc == 0) {
        rc = ff_fd_new(fs, inode, path);
    }
    if (rc >= 0 && (flags & O_TRUNC) && inode->size_bytes > 0) {
        int trc = ff_truncate_locked(fs, &fs->fds[rc], 0);
        if (trc != 0) {
            fs->fds[rc].is_open = false;
            rc = trc;
        }
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_close(struct kh_faultfs *fs, int fd)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    int rc = f == NULL ? -EBADF : 0;
    if (f != NULL) {
        if (f->inode->lock_fd == fd) {
            f->inode->lock_fd = -1;
        }
        f->is_open = false;
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

ssize_t
kh_faultfs_pread(struct kh_faultfs *fs, int fd, void *buf, size_t size_bytes, uint64_t offset)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    ssize_t rc = fs->has_crashed ? -EIO : f == NULL ? -EBADF : f->inode->is_dir ? -EISDIR : 0;
    if (rc == 0 && offset < f->inode->size_bytes) {
        uint64_t n = f->inode->size_bytes - offset;
        n = n < size_bytes ? n : size_bytes;
        memcpy(buf, f->inode->data + offset, n);
        rc = (ssize_t)n;
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

ssize_t
kh_faultfs_pwrite(struct kh_faultfs *fs, int fd, const void *buf, size_t size_bytes,
                  uint64_t offset)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    uint64_t index = 0;
    int64_t fate = f == NULL
                       ? -EBADF
                       : ff_begin(fs, KH_FAULTFS_OP_PWRITE, f->path, offset, size_bytes, &index);
    ssize_t rc = (ssize_t)fate;
    if (fate >= 0) {
        size_t n = fate > 0 && (size_t)fate < size_bytes ? (size_t)fate : size_bytes;
        struct ff_write w = {.offset = offset, .size_bytes = n, .bytes = malloc(n ? n : 1)};
        rc = w.bytes == NULL ? -ENOMEM : (ssize_t)n;
        if (w.bytes != NULL) {
            memcpy(w.bytes, buf, n);
        }
        /* The write is pending (lost in a crash until an fsync) and applied, or neither: on
         * failure its copy is freed and the pending entry taken back. */
        if (rc >= 0 && kh_ff_inode_add_pending(f->inode, &w) != 0) {
            free(w.bytes);
            rc = -ENOMEM;
        } else if (rc >= 0 && kh_ff_apply_write(&f->inode->data, &f->inode->size_bytes,
                                                &f->inode->capacity_bytes, offset, buf, n) != 0) {
            f->inode->pending_count--;
            free(w.bytes);
            rc = -ENOMEM;
        }
        ff_end(fs, index, rc);
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_fsync(struct kh_faultfs *fs, int fd)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    int rc = -EBADF;
    if (f != NULL) {
        uint64_t index;
        kh_faultfs_op op = f->inode->is_dir ? KH_FAULTFS_OP_FSYNC_DIR : KH_FAULTFS_OP_FSYNC;
        rc = (int)ff_begin(fs, op, f->path, 0, 0, &index);
        if (rc == 0) {
            rc = f->inode->is_dir ? kh_ff_names_sync_dir(&fs->durable, &fs->current, f->path)
                                  : kh_ff_inode_sync(f->inode);
            ff_end(fs, index, rc);
        }
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_ftruncate(struct kh_faultfs *fs, int fd, uint64_t size_bytes)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    int rc = f == NULL ? -EBADF : ff_truncate_locked(fs, f, size_bytes);
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_fsize(struct kh_faultfs *fs, int fd, uint64_t *size_bytes)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    int rc = fs->has_crashed ? -EIO : f == NULL ? -EBADF : 0;
    if (rc == 0) {
        *size_bytes = f->inode->size_bytes;
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_rename(struct kh_faultfs *fs, const char *from, const char *to)
{
    pthread_mutex_lock(&fs->mutex);
    uint64_t index;
    int rc = (int)ff_begin(fs, KH_FAULTFS_OP_RENAME, from, 0, 0, &index);
    if (rc == 0) {
        rc = ff_check_parent(fs, from) != 0 || ff_check_parent(fs, to) != 0 ? -ENOENT : 0;
        if (rc == 0 && kh_ff_parent_len(from) != kh_ff_parent_len(to)) {
            rc = -EXDEV;
        }
        struct ff_entry *src = rc == 0 ? kh_ff_names_find(&fs->current, from) : NULL;
        rc = rc != 0 ? rc : src == NULL ? -ENOENT : 0;
        if (rc == 0 && strcmp(from, to) != 0) {
            struct ff_inode *inode = src->inode;
            kh_ff_names_remove(&fs->current, src);
            struct ff_entry *dst = kh_ff_names_find(&fs->current, to);
            if (dst != NULL) {
                kh_ff_names_remove(&fs->current, dst);
            }
            rc = kh_ff_names_add(&fs->current, to, inode);
        }
        ff_end(fs, index, rc);
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_unlink(struct kh_faultfs *fs, const char *path)
{
    pthread_mutex_lock(&fs->mutex);
    uint64_t index;
    int rc = (int)ff_begin(fs, KH_FAULTFS_OP_UNLINK, path, 0, 0, &index);
    if (rc == 0) {
        struct ff_entry *e = kh_ff_names_find(&fs->current, path);
        rc = e == NULL ? -ENOENT : e->inode->is_dir ? -EISDIR : 0;
        if (rc == 0) {
            kh_ff_names_remove(&fs->current, e);
        }
        ff_end(fs, index, rc);
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int
kh_faultfs_mkdir(struct kh_faultfs *fs, const char *path)
{
    pthread_mutex_lock(&fs->mutex);
    int rc = fs->has_crashed ? -EIO : ff_check_parent(fs, path);
    if (rc == 0 && kh_ff_names_find(&fs->current, path) != NULL) {
        rc = -EEXIST;
    }
    struct ff_inode *inode = rc == 0 ? kh_ff_inode_new(&fs->inodes_all, true) : NULL;
    if (rc == 0) {
        rc = inode == NULL || kh_ff_names_add(&fs->current, path, inode) != 0 ||
                     kh_ff_names_add(&fs->durable, path, inode) != 0
                 ? -ENOMEM
                 : 0;
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

static int
ff_compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
kh_faultfs_list(struct kh_faultfs *fs, const char *dir,
                int (*entry_cb)(const char *name, void *arg), void *arg)
{
    pthread_mutex_lock(&fs->mutex);
    int rc = fs->has_crashed ? -EIO : 0;
    struct ff_entry *d = kh_ff_names_find(&fs->current, dir);
    rc = rc != 0 ? rc : d == NULL ? -ENOENT : !d->inode->is_dir ? -ENOTDIR : 0;
    char(*names)[KH_FAULTFS_PATH_MAX] =
        rc == 0 ? calloc(fs->current.count, KH_FAULTFS_PATH_MAX) : NULL;
    size_t count = 0;
    if (rc == 0 && names == NULL && fs->current.count > 0) {
        rc = -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < fs->current.count; i++) {
        const char *path = fs->current.entries[i].path;
        if (kh_ff_is_child_of(path, dir)) {
            snprintf(names[count++], KH_FAULTFS_PATH_MAX, "%s", path + kh_ff_parent_len(path) + 1);
        }
    }
    pthread_mutex_unlock(&fs->mutex);
    const char **sorted = rc == 0 ? calloc(count + 1, sizeof(*sorted)) : NULL;
    rc = rc == 0 && sorted == NULL ? -ENOMEM : rc;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        sorted[i] = names[i];
    }
    if (rc == 0) {
        qsort(sorted, count, sizeof(*sorted), ff_compare_names);
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = entry_cb(sorted[i], arg);
    }
    free(sorted);
    free(names);
    return rc;
}

int
kh_faultfs_lock(struct kh_faultfs *fs, int fd)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_fd *f = ff_fd_get(fs, fd);
    int rc = fs->has_crashed ? -EIO : f == NULL ? -EBADF : 0;
    if (rc == 0 && f->inode->lock_fd != -1 && f->inode->lock_fd != fd) {
        rc = -EWOULDBLOCK;
    } else if (rc == 0) {
        f->inode->lock_fd = fd;
    }
    pthread_mutex_unlock(&fs->mutex);
    return rc;
}

int64_t
kh_faultfs_file_size(struct kh_faultfs *fs, const char *path)
{
    pthread_mutex_lock(&fs->mutex);
    struct ff_entry *e = kh_ff_names_find(&fs->current, path);
    int64_t size = e == NULL ? -ENOENT : (int64_t)e->inode->size_bytes;
    pthread_mutex_unlock(&fs->mutex);
    return size;
}

/* ---- Crash images ------------------------------------------------------------------------ */

/* The file a crash leaves of inode: its durable bytes, then keep_bytes of its pending writes. */
static int
ff_image_file(struct kh_faultfs *image, const char *path, const struct ff_inode *inode,
              uint64_t keep_bytes)
{
    struct ff_inode *copy = kh_ff_inode_new(&image->inodes_all, inode->is_dir);
    if (copy == NULL || kh_ff_names_add(&image->current, path, copy) != 0 ||
        kh_ff_names_add(&image->durable, path, copy) != 0) {
        return -ENOMEM;
    }
    if (inode->is_dir) {
        return 0;
    }
    int rc = kh_ff_apply_write(&copy->data, &copy->size_bytes, &copy->capacity_bytes, 0,
                               inode->durable, inode->durable_size_bytes);
    rc = rc == 0 ? kh_ff_apply_truncate(&copy->data, &copy->size_bytes, &copy->capacity_bytes,
                                        inode->durable_size_bytes)
                 : rc;
    for (size_t i = 0; rc == 0 && i < inode->pending_count && keep_bytes > 0; i++) {
        const struct ff_write *w = &inode->pending[i];
        rc = kh_ff_apply_pending(&copy->data, &copy->size_bytes, &copy->capacity_bytes, w,
                                 keep_bytes);
        keep_bytes -=
            w->is_truncate ? 0 : (keep_bytes < w->size_bytes ? keep_bytes : w->size_bytes);
    }
    if (rc == 0) {
        rc = kh_ff_apply_write(&copy->durable, &copy->durable_size_bytes,
                               &copy->durable_capacity_bytes, 0, copy->data, copy->size_bytes);
    }
    return rc;
}

struct kh_faultfs *
kh_faultfs_crash_image(struct kh_faultfs *fs, uint64_t keep_bytes)
{
    struct kh_faultfs *image = calloc(1, sizeof(*image));
    if (image == NULL) {
        return NULL;
    }
    pthread_mutex_init(&image->mutex, NULL);
    image->crash_call_index = FF_CALLS_NONE;
    pthread_mutex_lock(&fs->mutex);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fs->durable.count; i++) {
        const struct ff_entry *e = &fs->durable.entries[i];
        rc = ff_image_file(image, e->path, e->inode, keep_bytes);
    }
    pthread_mutex_unlock(&fs->mutex);
    if (rc != 0) {
        kh_faultfs_destroy(image);
        return NULL;
    }
    assert(kh_ff_names_find(&image->current, "/") != NULL);
    return image;
}

size_t
kh_faultfs_pending_ends(struct kh_faultfs *fs, uint64_t *ends, size_t ends_max)
{
    pthread_mutex_lock(&fs->mutex);
    const struct ff_inode *most = NULL;
    for (const struct ff_inode *inode = fs->inodes_all; inode != NULL; inode = inode->next_all) {
        if (most == NULL || inode->pending_count > most->pending_count) {
            most = inode;
        }
    }
    size_t count = 0;
    uint64_t end = 0;
    for (size_t i = 0; most != NULL && i < most->pending_count; i++) {
        if (most->pending[i].is_truncate) {
            continue;
        }
        end += most->pending[i].size_bytes;
        if (count < ends_max) {
            ends[count] = end;
        }
        count++;
    }
    pthread_mutex_unlock(&fs->mutex);
    return count < ends_max ? count : ends_max;
}
