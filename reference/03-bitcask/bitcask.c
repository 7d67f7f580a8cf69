/* bitcask.c -- put, get, delete and fold (part A), sync policies and group commit (part D), and
 * the helpers merge.c and recovery.c share (bc_internal.h). Read append and bc_wait_durable
 * first. bc_open and bc_close are in recovery.c. */
#include "bc_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

/* Group commit's waits at most, in microseconds of the io's monotonic_us. The gather: about
 * one fdatasync on an SSD (0.2 ms). The spin: a little over the two fsyncs (0.4 ms) a waiter
 * whose record just missed a round waits. */
#define GROUP_COMMIT_GATHER_US 200
#define GROUP_COMMIT_SPIN_US 500

bc_status
bc_sync_parse(const char *text, struct bc_options *options)
{
    if (strcmp(text, "always") == 0) {
        options->sync = BC_SYNC_ALWAYS;
    } else if (strcmp(text, "none") == 0) {
        options->sync = BC_SYNC_NONE;
    } else if (strncmp(text, "interval:", 9) == 0) {
        char *end;
        unsigned long ms = strtoul(text + 9, &end, 10);
        if (end == text + 9 || *end != '\0' || ms == 0 || ms > UINT32_MAX) {
            return BC_INVALID;
        }
        options->sync = BC_SYNC_INTERVAL;
        options->sync_interval_ms = (uint32_t)ms;
    } else {
        return BC_INVALID;
    }
    return BC_OK;
}

/* ---- Helpers merge.c and recovery.c share ------------------------------------------------ */

void
bc_file_path(const struct bc_db *db, uint64_t id, const char *suffix, char out[BC_PATH_MAX])
{
    int n = snprintf(out, BC_PATH_MAX, "%s/%010" PRIu32 "-%05" PRIu32 "%s", db->dir,
                     BC_FILE_MAJOR(id), BC_FILE_MINOR(id), suffix);
    assert(n > 0);
    assert(n < (int)BC_PATH_MAX); /* bc_open checked the directory's length */
}

int
bc_write_all(const struct bc_db *db, int fd, const void *buf, size_t size_bytes, uint64_t offset)
{
    const unsigned char *p = buf;
    while (size_bytes > 0) {
        ssize_t n = db->io->pwrite(db->io->ctx, fd, p, size_bytes, offset);
        if (n < 0) {
            return (int)n;
        }
        if (n == 0) {
            return -EIO;
        }
        p += n;
        offset += (uint64_t)n;
        size_bytes -= (size_t)n;
    }
    return 0;
}

bc_status
bc_status_of_errno(int neg_errno)
{
    assert(neg_errno < 0);
    return neg_errno == -ENOSPC || neg_errno == -EDQUOT ? BC_NO_SPACE
           : neg_errno == -ENOMEM                       ? BC_NOMEM
                                                        : BC_IO;
}

void
bc_set_error(struct bc_db *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above (LLVM #40656)
    vsnprintf(db->error, sizeof(db->error), fmt, ap);
    va_end(ap);
}

/* Unmaps (if mapped) and closes a file that left the table. */
static void
file_close(struct bc_db *db, struct bc_file *file)
{
    if (file->map != NULL) {
        db->io->unmap(db->io->ctx, (void *)file->map, file->map_bytes);
        file->map = NULL;
    }
    db->io->close(db->io->ctx, file->fd);
}

void
bc_file_release(struct bc_db *db, struct bc_file *file)
{
    if (file->pin_count == 0) {
        file_close(db, file);
        return;
    }
    struct bc_file *grown = realloc(db->retired, (db->retired_count + 1) * sizeof(*grown));
    if (grown == NULL) { /* leak the descriptor rather than close it under a running fsync */
        return;
    }
    db->retired = grown;
    db->retired[db->retired_count] = *file;
    db->retired[db->retired_count++].is_retired = true;
}

static bc_status
scratch_reserve(struct bc_db *db, size_t size_bytes)
{
    if (size_bytes <= db->scratch_size_bytes) {
        return BC_OK;
    }
    unsigned char *p = realloc(db->scratch, size_bytes);
    if (p == NULL) {
        return BC_NOMEM;
    }
    db->scratch = p;
    db->scratch_size_bytes = size_bytes;
    return BC_OK;
}

/* Maps file for gets when the io can (db->mutex held). The active file is mapped as far as it
 * may grow, file_size_bytes_max; past the written end, reads go on with pread. The store never
 * shrinks a file it has mapped: recovery truncates a torn tail before any get. */
static void
file_map(struct bc_db *db, struct bc_file *file)
{
    bool is_active = file == &db->files[db->file_count - 1];
    uint64_t size_bytes = file->size_bytes;
    if (is_active && size_bytes < db->options.file_size_bytes_max) {
        size_bytes = db->options.file_size_bytes_max;
    }
    if (db->io->map == NULL || file->map != NULL || size_bytes == 0) {
        return;
    }
    file->map = db->io->map(db->io->ctx, file->fd, size_bytes);
    file->map_bytes = file->map != NULL ? size_bytes : 0;
}

/* Reads size_bytes at offset of file into db->scratch: from the append buffer when they are the
 * active file's unwritten tail (records go into the buffer whole, so a record is all there or
 * all in the file), from the file's map when they are written and mapped (no system call), else
 * with one pread. Returns what pread would (db->mutex held). */
static ssize_t
read_bytes(struct bc_db *db, const struct bc_file *file, uint64_t offset, uint64_t size_bytes)
{
    bool is_active = file == &db->files[db->file_count - 1];
    uint64_t written_bytes = file->size_bytes - (is_active ? db->append_bytes : 0);
    if (is_active && db->append_bytes > 0 && offset >= written_bytes) {
        assert(offset + size_bytes <= file->size_bytes);
        memcpy(db->scratch, db->append_buf + (offset - written_bytes), size_bytes);
        return (ssize_t)size_bytes;
    }
    uint64_t end = offset + size_bytes;
    if (file->map != NULL && end <= written_bytes && end <= file->map_bytes) {
        memcpy(db->scratch, file->map + offset, size_bytes);
        return (ssize_t)size_bytes;
    }
    return db->io->pread(db->io->ctx, file->fd, db->scratch, size_bytes, offset);
}

bc_status
bc_read_record(struct bc_db *db, const struct bc_file *file, uint64_t offset, uint64_t size_bytes,
               struct bc_record *rec)
{
    assert(size_bytes >= BC_RECORD_HEADER_BYTES);
    if (scratch_reserve(db, size_bytes) != BC_OK) {
        return BC_NOMEM;
    }
    ssize_t n = read_bytes(db, file, offset, size_bytes);
    if (n < 0) {
        bc_set_error(db, "reading file %016" PRIx64 " at offset %" PRIu64 ": %s", file->id, offset,
                     strerror((int)-n));
        return BC_IO;
    }
    if ((uint64_t)n != size_bytes || bc_record_decode_header(db->scratch, rec) != BC_OK ||
        bc_record_size(rec->key_size_bytes, rec->value_size_bytes) != size_bytes ||
        !bc_record_is_intact(db->scratch, size_bytes)) {
        char path[BC_PATH_MAX];
        bc_file_path(db, file->id, ".data", path);
        bc_set_error(db, "%s: bad record at offset %" PRIu64 " (checksum or header)", path, offset);
        return BC_CORRUPT;
    }
    return BC_OK;
}

/* Marks the handle failed after a write or fsync error (db->mutex held). */
static bc_status
fail_handle(struct bc_db *db, int neg_errno, const char *what)
{
    db->is_failed = true;
    db->failed_status = bc_status_of_errno(neg_errno);
    bc_set_error(db, "%s failed: %s; the store refuses writes until reopened", what,
                 strerror(-neg_errno));
    return db->failed_status;
}

/* ---- Files -------------------------------------------------------------------------------- */

/* Writes the append buffer to the active file (db->mutex held). On an error the handle fails and
 * the buffer keeps its records, so gets still read what the puts were told was written. */
static bc_status
flush_appends(struct bc_db *db)
{
    if (db->append_bytes == 0) {
        return BC_OK;
    }
    if (db->is_failed) {
        return BC_FAILED;
    }
    struct bc_file *file = &db->files[db->file_count - 1];
    assert(file->size_bytes >= db->append_bytes);
    int rc = bc_write_all(db, file->fd, db->append_buf, db->append_bytes,
                          file->size_bytes - db->append_bytes);
    if (rc < 0) {
        return fail_handle(db, rc, "append");
    }
    db->append_bytes = 0;
    return BC_OK;
}

static bc_status
files_append(struct bc_db *db, const struct bc_file *file)
{
    if (db->file_count == db->file_capacity) {
        size_t capacity = db->file_capacity == 0 ? 16 : db->file_capacity * 2;
        struct bc_file *p = realloc(db->files, capacity * sizeof(*p));
        if (p == NULL) {
            return BC_NOMEM;
        }
        db->files = p;
        db->file_capacity = capacity;
    }
    db->files[db->file_count++] = *file;
    return BC_OK;
}

static struct bc_file *
active_file(struct bc_db *db)
{
    assert(db->file_count > 0);
    return &db->files[db->file_count - 1];
}

/* Creates data file id, makes its name durable, and makes it the active file. */
static bc_status
create_active(struct bc_db *db, uint64_t id)
{
    char path[BC_PATH_MAX];
    bc_file_path(db, id, ".data", path);
    int fd = db->io->open(db->io->ctx, path, O_RDWR | O_CREAT | O_EXCL);
    if (fd < 0) {
        return fail_handle(db, fd, "creating a data file");
    }
    int rc = db->io->fsync(db->io->ctx, db->dir_fd);
    struct bc_file file = {.id = id, .fd = fd};
    if (rc < 0 || files_append(db, &file) != BC_OK) {
        db->io->close(db->io->ctx, fd);
        return rc < 0 ? fail_handle(db, rc, "fsync of the directory") : BC_NOMEM;
    }
    assert(active_file(db)->id == id);
    return BC_OK;
}

/* Past the size limit: sync the active file, under every policy, then start the next one. So
 * only the newest file can have a torn tail (recovery relies on it: a bad record in an older
 * file is corruption), and group commit never has to sync two files. Once per file: cheap. */
bc_status
bc_rotate(struct bc_db *db)
{
    struct bc_file *old = active_file(db);
    if (BC_FILE_MAJOR(old->id) == UINT32_MAX) {
        bc_set_error(db, "file %010" PRIu32 " is the last major number: no file can follow it",
                     BC_FILE_MAJOR(old->id));
        return BC_IO;
    }
    bc_status st = flush_appends(db);
    if (st != BC_OK) {
        return st;
    }
    int rc = db->io->fsync(db->io->ctx, old->fd);
    db->stats.fsync_count++;
    if (rc < 0) {
        return fail_handle(db, rc, "fsync at rotation");
    }
    st = create_active(db, BC_FILE_ID(BC_FILE_MAJOR(old->id) + 1, 0));
    if (st == BC_OK && db->options.sync != BC_SYNC_NONE) {
        pthread_mutex_lock(&db->sync_mutex);
        if (db->written_seq > db->synced_seq) { /* atomic: see bc_wait_durable */
            __atomic_store_n(&db->synced_seq, db->written_seq, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&db->sync_mutex);
    }
    return st;
}

/* ---- Group commit ---------------------------------------------------------------------- */

/* Microseconds on the io's monotonic clock since start_us, a reading of it: group commit's
 * waits are timed by the io, so a test's io decides how long they last. */
static uint64_t
elapsed_us(const struct bc_db *db, uint64_t start_us)
{
    return db->io->monotonic_us(db->io->ctx) - start_us;
}

/* Before a leader's fsync: give writers that are appending (or were just released by the last
 * fsync and are coming back) a moment to join this one, until every writer in a put waits on
 * it or GROUP_COMMIT_GATHER_US passes. Without it the leader syncs only the records that came
 * in during the last fsync, and the writers split into two halves that take turns: 8 writers
 * get about 3.5 puts per fsync, not 8. */
static void
gather_writers(struct bc_db *db)
{
    uint64_t start_us = db->io->monotonic_us(db->io->ctx);
    for (;;) {
        unsigned here = __atomic_load_n(&db->waiter_count, __ATOMIC_ACQUIRE) + 1;
        if (here >= __atomic_load_n(&db->writers_in_put, __ATOMIC_ACQUIRE)) {
            return;
        }
        if (elapsed_us(db, start_us) >= GROUP_COMMIT_GATHER_US) {
            return;
        }
        sched_yield();
    }
}

/* A waiter's first wait: yield the CPU in a loop until a leader's fsync covers seq, the leader
 * is done, or GROUP_COMMIT_SPIN_US passes. A writer asleep on the condition variable costs the
 * leader a wake-up after each fsync, and on these VMs waking an idle vCPU takes tens of
 * microseconds: 8 sleeping writers took longer to come back than the fsync itself. The CPUs
 * are otherwise idle meanwhile (the leader is blocked in the fsync), and sched_yield gives them
 * up to any thread with work. Both loads pair with the leader's release stores. */
static void
spin_until_synced(struct bc_db *db, uint64_t seq)
{
    uint64_t start_us = db->io->monotonic_us(db->io->ctx);
    while (__atomic_load_n(&db->synced_seq, __ATOMIC_ACQUIRE) < seq &&
           __atomic_load_n(&db->is_syncing, __ATOMIC_ACQUIRE)) {
        if (elapsed_us(db, start_us) >= GROUP_COMMIT_SPIN_US) {
            return;
        }
        sched_yield();
    }
}

/* The leader's round, entered and left with sync_mutex unlocked: writes out the append buffer
 * and fsyncs the active file outside db->mutex, so other writers go on appending meanwhile.
 * On BC_OK every record up to *target is durable. */
static bc_status
sync_round(struct bc_db *db, uint64_t *target)
{
    pthread_mutex_lock(&db->mutex);
    bc_status st = flush_appends(db);
    struct bc_file *file = active_file(db);
    file->pin_count++; /* a rotation meanwhile retires the file but keeps its fd open */
    uint64_t file_id = file->id;
    int fd = file->fd;
    *target = db->written_seq;
    db->stats.fsync_count += st == BC_OK;
    pthread_mutex_unlock(&db->mutex);

    int rc = st == BC_OK ? db->io->fsync(db->io->ctx, fd) : 0;

    pthread_mutex_lock(&db->mutex);
    st = st != BC_OK ? st : rc < 0 ? fail_handle(db, rc, "fsync") : BC_OK;
    for (size_t i = 0; i < db->file_count; i++) {
        if (db->files[i].id == file_id) {
            db->files[i].pin_count--;
        }
    }
    for (size_t i = 0; i < db->retired_count; i++) {
        if (db->retired[i].id == file_id && --db->retired[i].pin_count == 0) {
            file_close(db, &db->retired[i]);
            db->retired[i--] = db->retired[--db->retired_count];
        }
    }
    pthread_mutex_unlock(&db->mutex);
    return st;
}

/* Returns once every put with seq <= seq is durable. One caller at a time is the leader: it
 * gathers the writers under way, then runs one sync_round covering every record appended
 * before its fsync began; the others wait for it (spinning first, then asleep), and all of
 * them return on one fsync. synced_seq and is_syncing change under sync_mutex and are also
 * read without it by spin_until_synced, hence the atomic stores. */
static bc_status
bc_wait_durable(struct bc_db *db, uint64_t seq)
{
    if (__atomic_load_n(&db->is_syncing, __ATOMIC_ACQUIRE)) { /* the fast path: no lock */
        __atomic_add_fetch(&db->waiter_count, 1, __ATOMIC_ACQ_REL);
        spin_until_synced(db, seq);
        __atomic_sub_fetch(&db->waiter_count, 1, __ATOMIC_ACQ_REL);
        if (__atomic_load_n(&db->synced_seq, __ATOMIC_ACQUIRE) >= seq) {
            return BC_OK;
        }
    }
    pthread_mutex_lock(&db->sync_mutex);
    while (db->synced_seq < seq && db->sync_status == BC_OK) {
        if (db->is_syncing) {
            __atomic_add_fetch(&db->waiter_count, 1, __ATOMIC_ACQ_REL);
            pthread_cond_wait(&db->sync_cond, &db->sync_mutex);
            __atomic_sub_fetch(&db->waiter_count, 1, __ATOMIC_ACQ_REL);
            continue;
        }
        __atomic_store_n(&db->is_syncing, true, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&db->sync_mutex);
        gather_writers(db);
        uint64_t target = 0;
        bc_status st = sync_round(db, &target);
        pthread_mutex_lock(&db->sync_mutex);
        db->sync_status = st;
        if (st == BC_OK && target > db->synced_seq) {
            __atomic_store_n(&db->synced_seq, target, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&db->is_syncing, false, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&db->sync_cond);
    }
    bc_status st = db->synced_seq >= seq ? BC_OK : db->sync_status;
    pthread_mutex_unlock(&db->sync_mutex);
    return st;
}

void *
bc_interval_main(void *arg)
{
    struct bc_db *db = arg;
    pthread_mutex_lock(&db->sync_mutex);
    while (!db->is_closing) {
        /* pthread_cond_timedwait takes a deadline on CLOCK_REALTIME, not on the io's clock: the
         * interval policy runs on the machine's time, and a test of it waits as a user would. */
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        uint64_t ns =
            (uint64_t)deadline.tv_nsec + (uint64_t)db->options.sync_interval_ms * 1000000u;
        deadline.tv_sec += (time_t)(ns / 1000000000u);
        deadline.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&db->sync_cond, &db->sync_mutex, &deadline);
        pthread_mutex_unlock(&db->sync_mutex);
        pthread_mutex_lock(&db->mutex);
        uint64_t seq = db->written_seq;
        pthread_mutex_unlock(&db->mutex);
        bc_wait_durable(db, seq);
        pthread_mutex_lock(&db->sync_mutex);
    }
    pthread_mutex_unlock(&db->sync_mutex);
    return NULL;
}

bc_status
bc_sync(struct bc_db *db)
{
    pthread_mutex_lock(&db->mutex);
    uint64_t seq = db->written_seq;
    bc_status st = db->is_failed ? BC_FAILED : BC_OK;
    pthread_mutex_unlock(&db->mutex);
    return st == BC_OK ? bc_wait_durable(db, seq) : st;
}

/* ---- Put, get, delete, fold ------------------------------------------------------------ */

/* Appends one record to the active file and points the keydir at it (or removes the key for a
 * tombstone). Returns the record's seq in *seq. A keydir that cannot take the key once the
 * record is appended fails the handle (BC_NOMEM), as a failed write does: the log would hold a
 * put that gets do not see and a reopen brings back. */
static bc_status
append(struct bc_db *db, const void *key, size_t key_size_bytes, const void *value,
       size_t value_size_bytes, bool is_tombstone, uint64_t *seq)
{
    if (key_size_bytes == 0 || (value == NULL && value_size_bytes > 0)) {
        return BC_INVALID;
    }
    if (key_size_bytes > BC_KEY_SIZE_MAX || value_size_bytes > BC_VALUE_SIZE_MAX) {
        return BC_TOO_BIG;
    }
    uint64_t size = bc_record_size(key_size_bytes, value_size_bytes);
    pthread_mutex_lock(&db->mutex);
    bc_status st = db->is_failed ? BC_FAILED : scratch_reserve(db, size);
    if (st == BC_OK && is_tombstone && bc_keydir_find(&db->keydir, key, key_size_bytes) == NULL) {
        st = BC_NOT_FOUND;
    }
    struct bc_file *file = active_file(db);
    if (st == BC_OK && file->size_bytes > 0 &&
        file->size_bytes + size > db->options.file_size_bytes_max) {
        st = bc_rotate(db);
        file = active_file(db);
    }
    struct bc_record rec = {.flags = is_tombstone ? BC_FLAG_TOMBSTONE : 0,
                            .key_size_bytes = (uint16_t)key_size_bytes,
                            .value_size_bytes = (uint32_t)value_size_bytes,
                            .timestamp_us = db->io->now_us(db->io->ctx)};
    if (st == BC_OK && size > db->append_capacity_bytes - db->append_bytes) {
        st = flush_appends(db); /* full: write it out, then buffer this record, or write it */
    }
    bool is_buffered = size <= db->append_capacity_bytes;
    if (st == BC_OK) {
        unsigned char *out = is_buffered ? db->append_buf + db->append_bytes : db->scratch;
        bc_record_encode(out, &rec, key, value);
        int rc = is_buffered ? 0 : bc_write_all(db, file->fd, out, size, file->size_bytes);
        st = rc < 0 ? fail_handle(db, rc, "append") : BC_OK;
        db->append_bytes += st == BC_OK && is_buffered ? size : 0;
    }
    if (st == BC_OK) { /* only now that the record is in the file, or the buffer */
        struct bc_keydir_entry loc = {.file_id = file->id,
                                      .offset = file->size_bytes,
                                      .value_size_bytes = (uint32_t)value_size_bytes,
                                      .timestamp_us = rec.timestamp_us};
        if (is_tombstone) {
            bc_keydir_delete(&db->keydir, key, key_size_bytes);
        } else if (bc_keydir_put(&db->keydir, key, key_size_bytes, &loc) != BC_OK) {
            st = fail_handle(db, -ENOMEM, "the keydir insert after an append");
        }
        file->size_bytes += size;
        *seq = ++db->written_seq;
    }
    pthread_mutex_unlock(&db->mutex);
    return st;
}

bc_status
bc_put(struct bc_db *db, const void *key, size_t key_size_bytes, const void *value,
       size_t value_size_bytes)
{
    uint64_t seq = 0;
    bool is_always = db->options.sync == BC_SYNC_ALWAYS;
    if (is_always) {
        __atomic_add_fetch(&db->writers_in_put, 1, __ATOMIC_ACQ_REL);
    }
    bc_status st = append(db, key, key_size_bytes, value, value_size_bytes, false, &seq);
    if (st == BC_OK && is_always) {
        st = bc_wait_durable(db, seq);
    }
    if (is_always) {
        __atomic_sub_fetch(&db->writers_in_put, 1, __ATOMIC_ACQ_REL);
    }
    return st;
}

bc_status
bc_delete(struct bc_db *db, const void *key, size_t key_size_bytes)
{
    uint64_t seq = 0;
    bc_status st = append(db, key, key_size_bytes, NULL, 0, true, &seq);
    if (st == BC_OK && db->options.sync == BC_SYNC_ALWAYS) {
        st = bc_wait_durable(db, seq);
    }
    return st;
}

static struct bc_file *
file_by_id(struct bc_db *db, uint64_t id)
{
    size_t lo = 0, hi = db->file_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (db->files[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < db->file_count && db->files[lo].id == id ? &db->files[lo] : NULL;
}

bc_status
bc_get(struct bc_db *db, const void *key, size_t key_size_bytes, void *buf, size_t buf_size_bytes,
       size_t *value_size_bytes)
{
    if (key_size_bytes == 0 || key_size_bytes > BC_KEY_SIZE_MAX) {
        return key_size_bytes == 0 ? BC_INVALID : BC_NOT_FOUND;
    }
    pthread_mutex_lock(&db->mutex);
    const struct bc_keydir_entry *e = bc_keydir_find(&db->keydir, key, key_size_bytes);
    bc_status st = e == NULL ? BC_NOT_FOUND : BC_OK;
    if (st == BC_OK) {
        *value_size_bytes = e->value_size_bytes;
        st = e->value_size_bytes > buf_size_bytes ? BC_TOO_BIG : BC_OK;
    }
    if (st == BC_OK) {
        /* The keydir points only at files in the table, unless a hint lied about its key
         * (below) and a merge then dropped the file the lie pointed into. */
        struct bc_file *file = file_by_id(db, e->file_id);
        if (file == NULL) {
            bc_set_error(db, "key's file %016" PRIx64 " is gone", e->file_id);
            st = BC_CORRUPT;
        } else {
            file_map(db, file);
            struct bc_record rec;
            st = bc_read_record(db, file, e->offset,
                                bc_record_size(key_size_bytes, e->value_size_bytes), &rec);
            /* A hint's CRC covers the hint, not the record it points at: one whose key is a
             * byte short of the record's (and its value a byte long) adds up to the same size
             * and passes the compare of the shorter key. So the key's size is compared too. */
            if (st == BC_OK &&
                (rec.key_size_bytes != key_size_bytes ||
                 memcmp(db->scratch + BC_RECORD_HEADER_BYTES, key, key_size_bytes) != 0 ||
                 (rec.flags & BC_FLAG_TOMBSTONE))) {
                bc_set_error(db, "file %016" PRIx64 " offset %" PRIu64 " holds another key",
                             e->file_id, e->offset);
                st = BC_CORRUPT;
            }
        }
        if (st == BC_OK) {
            memcpy(buf, db->scratch + BC_RECORD_HEADER_BYTES + key_size_bytes, e->value_size_bytes);
        }
    }
    pthread_mutex_unlock(&db->mutex);
    return st;
}

bc_status
bc_fold(struct bc_db *db, int (*key_cb)(const void *key, size_t key_size_bytes, void *arg),
        void *arg)
{
    pthread_mutex_lock(&db->mutex);
    for (size_t i = 0; i < db->keydir.capacity; i++) {
        const struct bc_keydir_entry *e = &db->keydir.slots[i];
        if (e->key != NULL && key_cb(e->key, e->key_size_bytes, arg) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&db->mutex);
    return BC_OK;
}

void
bc_stats(struct bc_db *db, struct bc_stats *stats)
{
    pthread_mutex_lock(&db->mutex);
    *stats = db->stats;
    stats->key_count = db->keydir.count;
    stats->file_count = db->file_count;
    stats->disk_bytes = 0;
    stats->live_bytes = 0;
    for (size_t i = 0; i < db->file_count; i++) {
        stats->disk_bytes += db->files[i].size_bytes;
    }
    for (size_t i = 0; i < db->keydir.capacity; i++) {
        const struct bc_keydir_entry *e = &db->keydir.slots[i];
        stats->live_bytes += e->key ? bc_record_size(e->key_size_bytes, e->value_size_bytes) : 0;
    }
    pthread_mutex_unlock(&db->mutex);
}

void
bc_last_error(struct bc_db *db, char out[BC_ERROR_MAX])
{
    pthread_mutex_lock(&db->mutex);
    snprintf(out, BC_ERROR_MAX, "%s", db->error);
    pthread_mutex_unlock(&db->mutex);
}
