/* recovery.c -- bc_open and bc_close (part B): lock the directory, list its files, rebuild the
 * keydir from hint files (hint_loader.c) or by scanning data files, and repair a torn tail. Read
 * bc_scan_data first: it is where a torn tail (truncate) is told from a corrupt record (refuse
 * to open). */
#include "bc_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_CHUNK_BYTES (1u << 20) /* recovery reads 1 MiB at a time */
#define FILE_NAME_BYTES 21u         /* "MMMMMMMMMM-NNNNN.data" */
#define FILE_SUFFIX_BYTES 5u        /* ".data", ".hint" */
/* Bytes of key a hint is guessed to hold, to size the keydir from the hint files' sizes: a
 * wrong guess costs a grow, or room to spare. */
#define HINT_KEY_BYTES_GUESS 16u
#define HINTED_KEYS_GUESS_MAX (1u << 22) /* past that the keydir grows as keys come */

/* Writes an error message for bc_open's caller (cut to BC_ERROR_MAX). */
static void __attribute__((format(printf, 2, 3)))
open_error(char error[BC_ERROR_MAX], const char *fmt, ...)
{
    assert(error != NULL); /* bc_open gives its own buffer when the caller's is NULL */
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above (LLVM #40656)
    vsnprintf(error, BC_ERROR_MAX, fmt, ap);
    va_end(ap);
}

/* ---- Listing the directory -------------------------------------------------------------- */

struct listing {
    uint64_t *data_ids; /* owned */
    size_t data_count;
    uint64_t *hint_ids; /* owned */
    size_t hint_count;
    char (*tmp_names)[BC_PATH_MAX]; /* owned: leftovers of a merge to delete */
    size_t tmp_count;
    size_t capacity; /* of each array */
};

/* Parses "MMMMMMMMMM-NNNNN" + suffix into *id. */
static bool
parse_file_name(const char *name, const char *suffix, uint64_t *id)
{
    assert(strlen(suffix) == FILE_SUFFIX_BYTES);
    if (strlen(name) != FILE_NAME_BYTES ||
        strcmp(name + FILE_NAME_BYTES - FILE_SUFFIX_BYTES, suffix) != 0 || name[10] != '-') {
        return false;
    }
    uint64_t major = 0, minor = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 10) {
            continue;
        }
        if (name[i] < '0' || name[i] > '9') {
            return false;
        }
        uint64_t *part = i < 10 ? &major : &minor;
        *part = *part * 10 + (uint64_t)(name[i] - '0');
    }
    if (major > UINT32_MAX) {
        return false;
    }
    assert(minor <= BC_FILE_MINOR_MAX); /* five digits */
    *id = BC_FILE_ID(major, minor);
    return true;
}

static int
listing_cb(const char *name, void *arg)
{
    struct listing *l = arg;
    size_t most = l->data_count > l->hint_count ? l->data_count : l->hint_count;
    most = most > l->tmp_count ? most : l->tmp_count;
    assert(most <= l->capacity);
    if (most == l->capacity) {
        size_t capacity = l->capacity == 0 ? 64 : l->capacity * 2;
        /* Each array keeps its old block until its realloc succeeds; capacity moves only once
         * all three have grown. */
        uint64_t *d = realloc(l->data_ids, capacity * sizeof(*d));
        if (d == NULL) {
            return -ENOMEM;
        }
        l->data_ids = d;
        uint64_t *h = realloc(l->hint_ids, capacity * sizeof(*h));
        if (h == NULL) {
            return -ENOMEM;
        }
        l->hint_ids = h;
        char(*t)[BC_PATH_MAX] = realloc(l->tmp_names, capacity * sizeof(*t));
        if (t == NULL) {
            return -ENOMEM;
        }
        l->tmp_names = t;
        l->capacity = capacity;
    }
    assert(most < l->capacity); /* room for one more name of each kind */
    uint64_t id;
    size_t len = strlen(name);
    if (parse_file_name(name, ".data", &id)) {
        l->data_ids[l->data_count++] = id;
    } else if (parse_file_name(name, ".hint", &id)) {
        l->hint_ids[l->hint_count++] = id;
    } else if (len > 4 && strcmp(name + len - 4, ".tmp") == 0 && len < BC_PATH_MAX) {
        snprintf(l->tmp_names[l->tmp_count++], BC_PATH_MAX, "%s", name);
    }
    return 0;
}

static int
compare_ids(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* For assertions: ids in ascending order, as bsearch and bc_hints_load need them. O(count). */
static bool
ids_are_sorted(const uint64_t *ids, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        if (ids[i - 1] >= ids[i]) {
            return false;
        }
    }
    return true;
}

/* ---- Reading a file in chunks ------------------------------------------------------------ */

struct reader {
    unsigned char *buf; /* owned */
    size_t capacity_bytes;
    uint64_t window_offset; /* file offset of buf[0] */
    size_t window_bytes;
};

/* Points *out at bytes [offset, offset + size_bytes) of fd, reading more when needed. */
static bc_status
reader_get(struct bc_db *db, struct reader *r, int fd, uint64_t offset, size_t size_bytes,
           const unsigned char **out)
{
    assert(size_bytes > 0);
    *out = NULL; /* until it points into the window */
    if (offset >= r->window_offset && offset + size_bytes <= r->window_offset + r->window_bytes) {
        *out = r->buf + (offset - r->window_offset);
        return BC_OK;
    }
    size_t want = size_bytes > SCAN_CHUNK_BYTES ? size_bytes : SCAN_CHUNK_BYTES;
    if (want > r->capacity_bytes) {
        unsigned char *p = realloc(r->buf, want);
        if (p == NULL) {
            return BC_NOMEM;
        }
        r->buf = p;
        r->capacity_bytes = want;
    }
    ssize_t n = db->io->pread(db->io->ctx, fd, r->buf, r->capacity_bytes, offset);
    if (n < 0) {
        return bc_status_of_errno((int)n);
    }
    r->window_offset = offset;
    r->window_bytes = (size_t)n;
    if ((size_t)n < size_bytes) {
        return BC_CORRUPT; /* the caller checked the size: the file shrank under us */
    }
    *out = r->buf;
    assert(r->window_offset == offset);
    assert(r->window_bytes >= size_bytes);
    return BC_OK;
}

/* ---- Rebuilding the keydir --------------------------------------------------------------- */

bc_status
bc_apply_record(struct bc_db *db, const struct bc_file *file, uint64_t offset,
                const struct bc_record *rec, const void *key)
{
    assert(rec->key_size_bytes > 0);
    /* Scans and hints both check this before they apply a record. */
    assert(offset + bc_record_size(rec->key_size_bytes, rec->value_size_bytes) <= file->size_bytes);
    if (rec->flags & BC_FLAG_TOMBSTONE) {
        bc_keydir_delete(&db->keydir, key, rec->key_size_bytes);
        return BC_OK;
    }
    struct bc_keydir_entry loc = {.file_id = file->id,
                                  .offset = offset,
                                  .value_size_bytes = rec->value_size_bytes,
                                  .timestamp_us = rec->timestamp_us};
    return bc_keydir_put(&db->keydir, key, rec->key_size_bytes, &loc);
}

/* Is there a whole, intact record at offset? (Then the bad one before it is not a torn tail.) */
static bool
is_record_at(struct bc_db *db, struct reader *r, const struct bc_file *file, uint64_t offset)
{
    assert(offset > 0); /* it looks after a bad record, which starts at 0 or later */
    const unsigned char *p;
    struct bc_record rec;
    if (offset + BC_RECORD_HEADER_BYTES > file->size_bytes ||
        reader_get(db, r, file->fd, offset, BC_RECORD_HEADER_BYTES, &p) != BC_OK ||
        bc_record_decode_header(p, &rec) != BC_OK) {
        return false;
    }
    uint64_t size = bc_record_size(rec.key_size_bytes, rec.value_size_bytes);
    return offset + size <= file->size_bytes &&
           reader_get(db, r, file->fd, offset, size, &p) == BC_OK && bc_record_is_intact(p, size);
}

/* Is there a whole, intact record anywhere after offset? The bad record's own size is no guide
 * when the bad bit is in its size field, so every later offset is tried (most fail on the
 * header at once; this runs only when a scan stopped at a bad record). A torn write leaves a
 * prefix of what was being written, and so nothing intact after the tear. */
static bool
is_record_after(struct bc_db *db, struct reader *r, const struct bc_file *file, uint64_t offset,
                uint64_t next)
{
    assert(offset < file->size_bytes); /* the bad record starts inside the file */
    if (next > offset && is_record_at(db, r, file, next)) {
        return true; /* the usual case: the bad record's size was right */
    }
    for (uint64_t at = offset + 1; at + BC_RECORD_HEADER_BYTES <= file->size_bytes; at++) {
        if (is_record_at(db, r, file, at)) {
            return true;
        }
    }
    return false;
}

/* Scans a data file record by record into the keydir. A bad record in an older file, or one in
 * the newest file that a good record follows, is corruption: refuse to open, naming the file
 * and offset. A bad record at the end of the newest file is a torn write: truncate it. */
bc_status
bc_scan_data(struct bc_db *db, struct bc_file *file, bool is_newest, char error[BC_ERROR_MAX])
{
    assert(file->fd >= 0);
    assert(!is_newest || file == &db->files[db->file_count - 1]);
    struct reader r = {0};
    uint64_t offset = 0;
    uint64_t next = 0; /* where the bad record claims to end, when its header is sane */
    const char *why = NULL;
    bc_status st = BC_OK;
    while (st == BC_OK && why == NULL && offset < file->size_bytes) {
        const unsigned char *p;
        struct bc_record rec;
        if (file->size_bytes - offset < BC_RECORD_HEADER_BYTES) {
            why = "a header cut short";
        } else if ((st = reader_get(db, &r, file->fd, offset, BC_RECORD_HEADER_BYTES, &p)) !=
                   BC_OK) { // NOLINT(bugprone-branch-clone): both failed reads end the scan
            break;
        } else if (bc_record_decode_header(p, &rec) != BC_OK) {
            why = "a bad header";
        } else if ((next = offset + bc_record_size(rec.key_size_bytes, rec.value_size_bytes)) >
                   file->size_bytes) {
            why = "a record cut short";
        } else if ((st = reader_get(db, &r, file->fd, offset, next - offset, &p)) != BC_OK) {
            break;
        } else if (!bc_record_is_intact(p, next - offset)) {
            why = "a checksum mismatch";
        } else {
            st = bc_apply_record(db, file, offset, &rec, p + BC_RECORD_HEADER_BYTES);
            offset = next;
        }
    }
    char path[BC_PATH_MAX];
    bc_file_path(db, file->id, ".data", path);
    if (st == BC_OK && why != NULL) {
        bool is_torn = is_newest && !is_record_after(db, &r, file, offset, next);
        if (!is_torn) {
            open_error(error, "%s: corrupt record at offset %" PRIu64 " (%s)%s", path, offset, why,
                       is_newest ? ", with whole records after it" : "");
            st = BC_CORRUPT;
        } else {
            int rc = db->io->ftruncate(db->io->ctx, file->fd, offset);
            rc = rc == 0 ? db->io->fsync(db->io->ctx, file->fd) : rc;
            st = rc < 0 ? bc_status_of_errno(rc) : BC_OK;
            file->size_bytes = offset;
        }
    } else if (st != BC_OK) {
        open_error(error, "%s: reading at offset %" PRIu64 ": %s", path, offset, bc_strerror(st));
    }
    free(r.buf);
    assert(offset <= file->size_bytes); /* every record taken lay inside the file */
    return st;
}

/* About how many keys the hint files hold, from their sizes, so the keydir is sized once rather
 * than grown (and rehashed) twenty times on the way to a million keys. Nothing has checked the
 * hint files yet, so only those with a data file count, and the guess is capped: a sparse
 * 100 GiB file named like a hint would otherwise ask for a keydir of 2^32 slots, and the store
 * would refuse to open for want of memory it does not need. */
static size_t
hinted_key_count_guess(struct bc_db *db, const struct listing *l)
{
    assert(ids_are_sorted(l->data_ids, l->data_count)); /* for bsearch */
    uint64_t hint_bytes = 0;
    for (size_t i = 0; i < l->hint_count && !db->options.is_hints_ignored; i++) {
        if (bsearch(&l->hint_ids[i], l->data_ids, l->data_count, sizeof(*l->data_ids),
                    compare_ids) == NULL) {
            continue; /* a hint without its data file is ignored */
        }
        char path[BC_PATH_MAX];
        bc_file_path(db, l->hint_ids[i], ".hint", path);
        int fd = db->io->open(db->io->ctx, path, O_RDONLY);
        uint64_t size = 0;
        if (fd >= 0 && db->io->fsize(db->io->ctx, fd, &size) == 0) {
            hint_bytes += size;
        }
        if (fd >= 0) {
            db->io->close(db->io->ctx, fd);
        }
    }
    uint64_t guess = hint_bytes / (BC_HINT_HEADER_BYTES + HINT_KEY_BYTES_GUESS);
    return (size_t)(guess < HINTED_KEYS_GUESS_MAX ? guess : HINTED_KEYS_GUESS_MAX);
}

/* Opens every data file, in id order, into db->files. */
static bc_status
open_files(struct bc_db *db, const struct listing *l, char error[BC_ERROR_MAX])
{
    assert(db->files == NULL);
    assert(db->file_count == 0);
    db->files = calloc(l->data_count > 0 ? l->data_count : 1, sizeof(*db->files));
    if (db->files == NULL) {
        return BC_NOMEM;
    }
    db->file_capacity = l->data_count;
    for (size_t i = 0; i < l->data_count; i++) {
        char path[BC_PATH_MAX];
        struct bc_file file = {.id = l->data_ids[i]};
        bc_file_path(db, file.id, ".data", path);
        file.fd = db->io->open(db->io->ctx, path, O_RDWR);
        int rc = file.fd < 0 ? file.fd : db->io->fsize(db->io->ctx, file.fd, &file.size_bytes);
        if (rc < 0) {
            if (file.fd >= 0) {
                db->io->close(db->io->ctx, file.fd);
            }
            open_error(error, "%s: %s", path, strerror(-rc));
            return bc_status_of_errno(rc);
        }
        db->files[db->file_count++] = file;
    }
    assert(db->file_count == l->data_count);
    return BC_OK;
}

/* Rebuilds the keydir from the data files in id order: runs of files with hint files from
 * their hints, the others by scanning them. */
static bc_status
load_files(struct bc_db *db, const struct listing *l, char error[BC_ERROR_MAX])
{
    assert(ids_are_sorted(l->hint_ids, l->hint_count)); /* as bc_hints_load needs them */
    bc_status st = open_files(db, l, error);
    size_t i = 0;
    while (st == BC_OK && i < db->file_count) {
        size_t count = 0;
        if (!db->options.is_hints_ignored) {
            st = bc_hints_load(db, i, l->hint_ids, l->hint_count, &count, error);
        }
        if (st == BC_OK && count == 0) {
            st = bc_scan_data(db, &db->files[i], i + 1 == db->file_count, error);
            count = 1;
        }
        i += count;
    }
    assert(st != BC_OK || i == db->file_count); /* every file loaded, once */
    return st;
}

/* The file appends go to: the newest, if it is a regular file with room, else a new one. */
static bc_status
open_active(struct bc_db *db, char error[BC_ERROR_MAX])
{
    assert(db->dir_fd >= 0);
    if (db->file_count > 0) {
        struct bc_file *newest = &db->files[db->file_count - 1];
        if (BC_FILE_MINOR(newest->id) == 0 &&
            newest->size_bytes < db->options.file_size_bytes_max) {
            return BC_OK;
        }
    }
    uint32_t newest_major =
        db->file_count == 0 ? 0 : BC_FILE_MAJOR(db->files[db->file_count - 1].id);
    if (newest_major == UINT32_MAX) {
        open_error(error,
                   "%s: file %010" PRIu32 " has the last major number; no file can follow it",
                   db->dir, newest_major);
        return BC_IO;
    }
    uint32_t major = newest_major + 1;
    char path[BC_PATH_MAX];
    struct bc_file file = {.id = BC_FILE_ID(major, 0)};
    bc_file_path(db, file.id, ".data", path);
    file.fd = db->io->open(db->io->ctx, path, O_RDWR | O_CREAT | O_EXCL);
    int rc = file.fd < 0 ? file.fd : db->io->fsync(db->io->ctx, db->dir_fd);
    struct bc_file *grown = realloc(db->files, (db->file_count + 1) * sizeof(*grown));
    if (rc < 0 || grown == NULL) {
        open_error(error, "%s: %s", path, rc < 0 ? strerror(-rc) : "out of memory");
        db->files = grown != NULL ? grown : db->files;
        if (file.fd >= 0) {
            db->io->close(db->io->ctx, file.fd);
        }
        return rc < 0 ? bc_status_of_errno(rc) : BC_NOMEM;
    }
    db->files = grown;
    db->file_capacity = db->file_count + 1;
    db->files[db->file_count++] = file;
    assert(BC_FILE_MINOR(db->files[db->file_count - 1].id) == 0); /* appends go to a regular file */
    return BC_OK;
}

/* Makes the directory, opens it, and takes LOCK. */
static bc_status
lock_dir(struct bc_db *db, char error[BC_ERROR_MAX])
{
    assert(db->dir_fd < 0);
    assert(db->lock_fd < 0);
    int rc = db->io->mkdir(db->io->ctx, db->dir);
    if (rc < 0 && rc != -EEXIST) {
        open_error(error, "%s: cannot create: %s", db->dir, strerror(-rc));
        return bc_status_of_errno(rc);
    }
    db->dir_fd = db->io->open(db->io->ctx, db->dir, O_RDONLY | O_DIRECTORY);
    char path[BC_PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s/LOCK", db->dir);
    db->lock_fd = db->dir_fd < 0 ? -1 : db->io->open(db->io->ctx, path, O_RDWR | O_CREAT);
    rc = db->dir_fd < 0 ? db->dir_fd : db->lock_fd < 0 ? db->lock_fd : 0;
    rc = rc == 0 ? db->io->lock(db->io->ctx, db->lock_fd) : rc;
    if (rc == -EWOULDBLOCK) {
        open_error(error, "%s: locked by another handle", path);
        return BC_LOCKED;
    }
    if (rc < 0) {
        open_error(error, "%s: %s", path, strerror(-rc));
        return bc_status_of_errno(rc);
    }
    assert(db->lock_fd >= 0);
    return BC_OK;
}

static void
listing_free(struct listing *l)
{
    free(l->data_ids);
    free(l->hint_ids);
    free(l->tmp_names);
}

/* Deletes the leftovers of a merge that did not finish (listing_cb's .tmp files). */
static bc_status
delete_leftovers(struct bc_db *db, const struct listing *l)
{
    for (size_t i = 0; i < l->tmp_count; i++) {
        char path[BC_PATH_MAX * 2];
        snprintf(path, sizeof(path), "%s/%s", db->dir, l->tmp_names[i]);
        int rc = db->io->unlink(db->io->ctx, path);
        if (rc < 0) {
            return bc_status_of_errno(rc);
        }
    }
    return BC_OK;
}

/* Deletes a merge's leftovers, sizes the keydir, loads every data file into it and opens the
 * active file. */
static bc_status
recover(struct bc_db *db, char error[BC_ERROR_MAX])
{
    assert(db->keydir.slots == NULL); /* not built yet */
    struct listing l = {0};
    int rc = db->io->list(db->io->ctx, db->dir, listing_cb, &l);
    bc_status st = rc < 0 ? bc_status_of_errno(rc) : delete_leftovers(db, &l);
    if (st != BC_OK) {
        goto fail;
    }
    qsort(l.data_ids, l.data_count, sizeof(*l.data_ids), compare_ids);
    qsort(l.hint_ids, l.hint_count, sizeof(*l.hint_ids), compare_ids);
    st = bc_keydir_init(&db->keydir, hinted_key_count_guess(db, &l));
    if (st == BC_NOMEM) {
        st = bc_keydir_init(&db->keydir, 0); /* a guess is only a guess */
    }
    if (st != BC_OK) {
        goto fail;
    }
    st = load_files(db, &l, error);
    if (st != BC_OK) {
        goto fail;
    }
    st = open_active(db, error);
    if (st != BC_OK) {
        goto fail;
    }
    listing_free(&l);
    assert(db->file_count > 0); /* at least the active file */
    return BC_OK;
fail:
    if (error[0] == '\0') {
        open_error(error, "%s: recovery failed: %s", db->dir, bc_strerror(st));
    }
    listing_free(&l);
    return st;
}

bc_status
bc_open(const char *dir, const struct bc_options *options, struct bc_db **db_out,
        char error[BC_ERROR_MAX])
{
    assert(dir != NULL);
    assert(db_out != NULL);
    char ignored[BC_ERROR_MAX];
    error = error != NULL ? error : ignored;
    error[0] = '\0';
    if (strlen(dir) + 1 + FILE_NAME_BYTES + 4 >= BC_PATH_MAX) {
        open_error(error, "directory name too long");
        return BC_INVALID;
    }
    struct bc_db *db = calloc(1, sizeof(*db));
    if (db == NULL) {
        return BC_NOMEM;
    }
    bc_options_default(&db->options);
    if (options != NULL) {
        db->options = *options;
    }
    db->options.io = db->options.io != NULL ? db->options.io : &bc_io_posix;
    if (db->options.file_size_bytes_max == 0) {
        db->options.file_size_bytes_max = BC_FILE_SIZE_BYTES_DEFAULT;
    }
    db->io = db->options.io;
    db->dir_fd = db->lock_fd = -1;
    snprintf(db->dir, sizeof(db->dir), "%s", dir);
    pthread_mutex_init(&db->mutex, NULL);
    pthread_mutex_init(&db->sync_mutex, NULL);
    pthread_cond_init(&db->sync_cond, NULL);
    bc_status st = BC_INVALID;
    if (db->options.sync == BC_SYNC_INTERVAL && db->options.sync_interval_ms == 0) {
        goto fail;
    }
    st = lock_dir(db, error);
    if (st != BC_OK) {
        goto fail;
    }
    st = recover(db, error);
    if (st != BC_OK) {
        goto fail;
    }
    if (db->options.sync != BC_SYNC_ALWAYS) {
        db->append_buf = malloc(BC_APPEND_BUFFER_BYTES);
        if (db->append_buf == NULL) {
            st = BC_NOMEM;
            goto fail;
        }
        db->append_capacity_bytes = BC_APPEND_BUFFER_BYTES;
    }
    if (db->options.sync == BC_SYNC_INTERVAL) {
        db->has_interval_thread =
            pthread_create(&db->interval_thread, NULL, bc_interval_main, db) == 0;
        if (!db->has_interval_thread) {
            st = BC_NOMEM;
            goto fail;
        }
    }
    assert(db->lock_fd >= 0);
    *db_out = db;
    return BC_OK;
fail:
    db->is_failed = true; /* nothing to sync */
    bc_close(db);
    return st;
}

bc_status
bc_close(struct bc_db *db)
{
    assert(db != NULL);
    if (db->has_interval_thread) {
        pthread_mutex_lock(&db->sync_mutex);
        db->is_closing = true;
        pthread_cond_broadcast(&db->sync_cond);
        pthread_mutex_unlock(&db->sync_mutex);
        pthread_join(db->interval_thread, NULL);
    }
    bc_status st = db->is_failed ? BC_OK : bc_sync(db);
    for (size_t i = 0; i < db->file_count + db->retired_count; i++) {
        struct bc_file *f = i < db->file_count ? &db->files[i] : &db->retired[i - db->file_count];
        assert(f->pin_count == 0); /* no call may run beside bc_close, so no fsync does */
        if (f->map != NULL) {
            db->io->unmap(db->io->ctx, (void *)f->map, f->map_bytes);
        }
        db->io->close(db->io->ctx, f->fd);
    }
    if (db->lock_fd >= 0) {
        db->io->close(db->io->ctx, db->lock_fd);
    }
    if (db->dir_fd >= 0) {
        db->io->close(db->io->ctx, db->dir_fd);
    }
    bc_keydir_free(&db->keydir);
    pthread_cond_destroy(&db->sync_cond);
    pthread_mutex_destroy(&db->sync_mutex);
    pthread_mutex_destroy(&db->mutex);
    free(db->files);
    free(db->retired);
    free(db->scratch);
    free(db->append_buf);
    free(db);
    return st;
}
