/* io_posix.c -- the real struct bc_io (given): POSIX calls that return -errno instead of
 * setting errno. Data files are synced with fdatasync (the metadata a later read needs, the
 * size, is synced by it too); directories with fsync. */
#include "bitcask.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POSIX_FILE_MODE 0644
#define POSIX_DIR_MODE 0755
#define POSIX_LIST_NAMES_MAX 1000000u /* a store with more files than this is broken */

static int
posix_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    int fd = open(path, flags | O_CLOEXEC, POSIX_FILE_MODE);
    return fd < 0 ? -errno : fd;
}

static int
posix_close(void *ctx, int fd)
{
    (void)ctx;
    return close(fd) < 0 ? -errno : 0;
}

static ssize_t
posix_pread(void *ctx, int fd, void *buf, size_t size_bytes, uint64_t offset)
{
    (void)ctx;
    size_t done = 0;
    while (done < size_bytes) { /* a short read before EOF is retried, so short means EOF */
        ssize_t n = pread(fd, (char *)buf + done, size_bytes - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            break;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static ssize_t
posix_pwrite(void *ctx, int fd, const void *buf, size_t size_bytes, uint64_t offset)
{
    (void)ctx;
    ssize_t n;
    do {
        n = pwrite(fd, buf, size_bytes, (off_t)offset);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static int
posix_fsync(void *ctx, int fd)
{
    (void)ctx;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    int rc = S_ISDIR(st.st_mode) ? fsync(fd) : fdatasync(fd);
    return rc < 0 ? -errno : 0;
}

static int
posix_ftruncate(void *ctx, int fd, uint64_t size_bytes)
{
    (void)ctx;
    return ftruncate(fd, (off_t)size_bytes) < 0 ? -errno : 0;
}

static int
posix_fsize(void *ctx, int fd, uint64_t *size_bytes)
{
    (void)ctx;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    *size_bytes = (uint64_t)st.st_size;
    return 0;
}

static int
posix_rename(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return rename(from, to) < 0 ? -errno : 0;
}

static int
posix_unlink(void *ctx, const char *path)
{
    (void)ctx;
    return unlink(path) < 0 ? -errno : 0;
}

static int
posix_mkdir(void *ctx, const char *path)
{
    (void)ctx;
    return mkdir(path, POSIX_DIR_MODE) < 0 ? -errno : 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists names in order, as faultfs does, so a test sees the same calls on both. */
static int
posix_list(void *ctx, const char *dir, int (*entry_cb)(const char *name, void *arg), void *arg)
{
    (void)ctx;
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -errno;
    }
    char **names = NULL;
    size_t count = 0, capacity = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (count == capacity) {
            capacity = capacity == 0 ? 64 : capacity * 2;
            char **grown =
                capacity > POSIX_LIST_NAMES_MAX ? NULL : realloc(names, capacity * sizeof(*names));
            if (grown == NULL) {
                rc = -ENOMEM;
                break;
            }
            names = grown;
        }
        names[count] = strdup(e->d_name);
        rc = names[count] == NULL ? -ENOMEM : 0;
        count += rc == 0;
    }
    closedir(d);
    if (count > 0) {
        qsort(names, count, sizeof(*names), compare_names);
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = entry_cb(names[i], arg);
    }
    for (size_t i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    return rc;
}

static int
posix_lock(void *ctx, int fd)
{
    (void)ctx;
    return flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
}

static uint64_t
posix_now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
posix_monotonic_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *
posix_map(void *ctx, int fd, uint64_t size_bytes)
{
    (void)ctx;
    void *p = mmap(NULL, size_bytes, PROT_READ, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void
posix_unmap(void *ctx, void *addr, uint64_t size_bytes)
{
    (void)ctx;
    munmap(addr, size_bytes);
}

const struct bc_io bc_io_posix = {
    .open = posix_open,
    .close = posix_close,
    .pread = posix_pread,
    .pwrite = posix_pwrite,
    .fsync = posix_fsync,
    .ftruncate = posix_ftruncate,
    .fsize = posix_fsize,
    .rename = posix_rename,
    .unlink = posix_unlink,
    .mkdir = posix_mkdir,
    .list = posix_list,
    .lock = posix_lock,
    .now_us = posix_now_us,
    .monotonic_us = posix_monotonic_us,
    .map = posix_map,
    .unmap = posix_unmap,
    .ctx = NULL,
};
