/* bitcask.c -- put, get, delete and fold (part A), sync policies and group commit (part D),
 * and the helpers merge.c and recovery.c share (declared in bc_internal.h). */
#include "bc_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

bc_status
bc_sync_parse(const char *text, struct bc_options *options)
{
    /* TODO(part D): "always", "none", "interval:MS" with MS >= 1. */
    (void)text;
    (void)options;
    return BC_UNIMPLEMENTED;
}

void
bc_file_path(const struct bc_db *db, uint64_t id, const char *suffix, char out[BC_PATH_MAX])
{
    /* TODO(part A): dir/MMMMMMMMMM-NNNNN<suffix>: a new store's first data file is
     * /db/0000000001-00000.data when dir is "/db". Use snprintf's result (README, Hints). */
    (void)db;
    (void)id;
    (void)suffix;
    out[0] = '\0';
}

int
bc_write_all(const struct bc_db *db, int fd, const void *buf, size_t size_bytes, uint64_t offset)
{
    /* TODO(part A): write all of buf at offset: pwrite may write less than asked, so loop
     * until it is all written. 0, or the -errno of the call that failed. */
    (void)db;
    (void)fd;
    (void)buf;
    (void)size_bytes;
    (void)offset;
    return -ENOSYS;
}

bc_status
bc_rotate(struct bc_db *db)
{
    /* TODO(part C): sync the active file, then create major + 1's file (minor 0) as the new
     * active one. Shared with merge.c (bc_internal.h). */
    (void)db;
    return BC_UNIMPLEMENTED;
}

bc_status
bc_status_of_errno(int neg_errno)
{
    return neg_errno == -ENOSPC || neg_errno == -EDQUOT ? BC_NO_SPACE
           : neg_errno == -ENOMEM                       ? BC_NOMEM
                                                        : BC_IO;
}

void
bc_set_error(struct bc_db *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->error, sizeof(db->error), fmt, ap);
    va_end(ap);
}

void
bc_file_release(struct bc_db *db, struct bc_file *file)
{
    /* TODO(part C): close file, unless an fsync still runs on it. */
    (void)db;
    (void)file;
}

bc_status
bc_read_record(struct bc_db *db, const struct bc_file *file, uint64_t offset, uint64_t size_bytes,
               struct bc_record *rec)
{
    /* TODO(part A): pread the record and check it; BC_CORRUPT names file and offset. */
    (void)db;
    (void)file;
    (void)offset;
    (void)size_bytes;
    (void)rec;
    return BC_UNIMPLEMENTED;
}

void *
bc_interval_main(void *arg)
{
    /* TODO(part D): sync every sync_interval_ms until the db closes. */
    (void)arg;
    return NULL;
}

bc_status
bc_sync(struct bc_db *db)
{
    /* TODO(part A): make every put so far durable: write out the append buffer, fsync the
     * active file. TODO(part D): concurrent callers share one fsync (group commit). */
    (void)db;
    return BC_UNIMPLEMENTED;
}

bc_status
bc_put(struct bc_db *db, const void *key, size_t key_size_bytes, const void *value,
       size_t value_size_bytes)
{
    /* TODO(part A): append a record, then point the keydir at it. TODO(part D): wait until
     * durable under BC_SYNC_ALWAYS. */
    (void)db;
    (void)key;
    (void)key_size_bytes;
    (void)value;
    (void)value_size_bytes;
    return BC_UNIMPLEMENTED;
}

bc_status
bc_delete(struct bc_db *db, const void *key, size_t key_size_bytes)
{
    /* TODO(part A): append a tombstone. */
    (void)db;
    (void)key;
    (void)key_size_bytes;
    return BC_UNIMPLEMENTED;
}

bc_status
bc_get(struct bc_db *db, const void *key, size_t key_size_bytes, void *buf, size_t buf_size_bytes,
       size_t *value_size_bytes)
{
    /* TODO(part A): keydir lookup, one pread, check the CRC, copy the value out. */
    (void)db;
    (void)key;
    (void)key_size_bytes;
    (void)buf;
    (void)buf_size_bytes;
    (void)value_size_bytes;
    return BC_UNIMPLEMENTED;
}

bc_status
bc_fold(struct bc_db *db, int (*key_cb)(const void *key, size_t key_size_bytes, void *arg),
        void *arg)
{
    /* TODO(part A) */
    (void)db;
    (void)key_cb;
    (void)arg;
    return BC_UNIMPLEMENTED;
}

void
bc_stats(struct bc_db *db, struct bc_stats *stats)
{
    /* TODO(part A) */
    (void)db;
    *stats = (struct bc_stats){0};
}

void
bc_last_error(struct bc_db *db, char out[BC_ERROR_MAX])
{
    snprintf(out, BC_ERROR_MAX, "%s", db->error);
}
