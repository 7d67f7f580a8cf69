/* recovery.c -- bc_open and bc_close (part B): lock the directory, list its files, rebuild the
 * keydir from hint files or by scanning data files, and repair a torn tail. Read scan_data
 * first: it is where a torn tail (truncate) is told from a corrupt record (refuse to open). */
#include "bc_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_CHUNK_BYTES (1u << 20)   /* recovery reads 1 MiB at a time */
#define FILE_NAME_BYTES 21u           /* "MMMMMMMMMM-NNNNN.data" */
#define HINT_ROUND_BYTES (8u << 10)   /* hint bytes a loading round aims at (see hint_run) */
#define HINT_ROUND_BITS_MAX 12u       /* so at most 4096 rounds */
#define HINT_VISIT_BYTES_MIN 256u     /* hint bytes per file per round, at least, on average */
#define HINT_RUN_FILES_MAX 64u        /* hint files loaded together, at most */
#define HINT_ROUND_SLOTS_MAX 4096u    /* keydir slots a round may span and be prefetched whole */
#define HINT_AHEAD 16u                /* else hints decoded ahead of their inserts */
#define HINT_MAP_BYTES_MIN (1u << 20) /* smaller hint files are read: a map costs more */
#define HINT_PUBLISH_ROUNDS 16u       /* the checker reports after this many rounds */
#define HINT_KEY_BYTES_GUESS                                                                       \
    16u /* to size the keydir from hint bytes; a wrong guess costs a                               \
           grow, or room to spare */
#define HINTED_KEYS_GUESS_MAX (1u << 22) /* past that the keydir grows as keys come */

/* Writes an error message for bc_open's caller (cut to BC_ERROR_MAX). */
static void __attribute__((format(printf, 2, 3)))
open_error(char error[BC_ERROR_MAX], const char *fmt, ...)
{
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
    if (strlen(name) != FILE_NAME_BYTES || strcmp(name + 16, suffix) != 0 || name[10] != '-') {
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
    if (major > UINT32_MAX || minor > UINT32_MAX) {
        return false;
    }
    *id = BC_FILE_ID(major, minor);
    return true;
}

static int
listing_cb(const char *name, void *arg)
{
    struct listing *l = arg;
    size_t most = l->data_count > l->hint_count ? l->data_count : l->hint_count;
    most = most > l->tmp_count ? most : l->tmp_count;
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

static bool
listing_has_hint(const struct listing *l, uint64_t id)
{
    for (size_t i = 0; i < l->hint_count; i++) {
        if (l->hint_ids[i] == id) {
            return true;
        }
    }
    return false;
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
    return BC_OK;
}

/* ---- Rebuilding the keydir --------------------------------------------------------------- */

static bc_status
apply_record(struct bc_db *db, const struct bc_file *file, uint64_t offset,
             const struct bc_record *rec, const unsigned char *key)
{
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
static bc_status
scan_data(struct bc_db *db, struct bc_file *file, bool is_newest, char error[BC_ERROR_MAX])
{
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
            st = apply_record(db, file, offset, &rec, p + BC_RECORD_HEADER_BYTES);
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
    return st;
}

/* Reads all of fd (size_bytes) into a new buffer, which the caller frees. */
static bc_status
read_whole(struct bc_db *db, int fd, uint64_t size_bytes, unsigned char **out)
{
    *out = malloc(size_bytes > 0 ? size_bytes : 1);
    if (*out == NULL) {
        return BC_NOMEM;
    }
    for (uint64_t done = 0; done < size_bytes;) {
        ssize_t n = db->io->pread(db->io->ctx, fd, *out + done, size_bytes - done, done);
        if (n <= 0) {
            return n < 0 ? bc_status_of_errno((int)n) : BC_CORRUPT; /* shrank under us */
        }
        done += (uint64_t)n;
    }
    return BC_OK;
}

/* Checks the hint at offset of the hint file in buf and decodes it into *rec; its size goes to
 * *hint_size. BC_CORRUPT when it is cut short, fails its CRC or points outside the data file. */
static bc_status
hint_at(const unsigned char *buf, uint64_t size_bytes, uint64_t offset, const struct bc_file *file,
        struct bc_record *rec, uint64_t *hint_size)
{
    if (size_bytes - offset < BC_HINT_HEADER_BYTES ||
        bc_hint_decode_header(buf + offset, rec) != BC_OK) {
        return BC_CORRUPT;
    }
    *hint_size = BC_HINT_HEADER_BYTES + (uint64_t)rec->key_size_bytes;
    /* Both bounds are written so that they cannot wrap: a hint's offset is 64 bits from disk,
     * and one near 2^64 (with a CRC that holds) would otherwise pass as a small one, and a get
     * would read far outside the file. */
    if (*hint_size > size_bytes - offset || !bc_hint_is_intact(buf + offset, *hint_size) ||
        rec->offset > file->size_bytes ||
        bc_record_size(rec->key_size_bytes, rec->value_size_bytes) >
            file->size_bytes - rec->offset) {
        return BC_CORRUPT;
    }
    return BC_OK;
}

/* ---- Loading hint files -------------------------------------------------------------------
 * A merge writes about one hint file per 4 MiB of data, each sorted by bc_keydir_hash (see
 * sort_hints in merge.c) but each spread over the whole keydir. Loaded one after another they
 * sweep the slots once per file, and nearly every insert misses the cache: a million keys'
 * slots are 96 MiB, and a miss to memory costs about 160 ns on the 2-core machine the bench
 * runs on. So a run of consecutive hinted files is loaded together, in rounds by the top bits
 * of the hash: round r inserts, file after file, every hint of the run whose hash starts with
 * r. A round fills one short stretch of slots, prefetched while the round before it runs, so
 * the inserts find their slots in the cache. A key in two files of the run falls in the same
 * round of both, and files go in id order within a round, so the newer record still wins.
 *
 * Every hint is checked (CRC, bounds) before it goes in, by a second thread that works rounds
 * ahead of the inserts. When a check fails, or a file is out of hash order, the loader waits
 * for every file of the run to be checked whole and loads the run again file by file, scanning
 * the data files whose hints are bad. Loading again is safe: each key ends up with the record
 * of the last file of the run that has it, whatever the first pass put in.
 *
 * All file I/O stays on bc_open's thread (the checker reads only memory), so a test's
 * fault-injecting io sees the same calls in the same order every run. */

/* A data file's hint file, read (or mapped) whole. */
struct hint_file {
    unsigned char *bytes; /* NULL: it could not be read */
    uint64_t size_bytes;
    bool is_mapped;      /* bytes is io->map's, else owned (read_whole) */
    uint64_t checked_to; /* the checker's cursor */
    /* The checked hint at checked_to, when is_next_checked: its size and round, so that a file
     * with nothing in the coming rounds is passed over without decoding it again. */
    bool is_next_checked;
    uint64_t next_size_bytes;
    uint64_t next_record_bytes; /* of the data record it points at */
    uint64_t next_round;
    uint64_t covered_bytes; /* of the data records of the hints before checked_to */
    bool is_intact;         /* after a failed check: every hint in it checked out */
};

struct hint_run {
    struct bc_db *db;
    size_t first;            /* db->files[first + i] goes with files[i] */
    size_t count;            /* files in the run */
    struct hint_file *files; /* owned */
    unsigned round_bits;     /* 2^round_bits rounds, by the hash's top round_bits bits */
    bool is_ahead;           /* no rounds short enough to prefetch: prefetch key by key */
    uint64_t *round_ends;    /* owned: round_ends[r * count + i], where file i's round r ends */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    unsigned checked_rounds; /* rounds [0, checked_rounds) are checked; under mutex */
    bool is_failed;          /* a check failed or a file was out of order; under mutex */
    bool is_done;            /* the checker has finished; under mutex */
    bool is_stopping;        /* the loader gave up: the checker should too; under mutex */
    pthread_t checker;
    bool has_checker;
};

/* Maps (if it is big and the io can) or reads a data file's hint file whole; hf->bytes stays
 * NULL when it cannot. */
static void
hint_file_read(struct bc_db *db, const struct bc_file *file, struct hint_file *hf)
{
    char path[BC_PATH_MAX];
    bc_file_path(db, file->id, ".hint", path);
    memset(hf, 0, sizeof(*hf));
    int fd = db->io->open(db->io->ctx, path, O_RDONLY);
    if (fd < 0) {
        return;
    }
    if (db->io->fsize(db->io->ctx, fd, &hf->size_bytes) == 0) {
        if (db->io->map != NULL && hf->size_bytes >= HINT_MAP_BYTES_MIN) {
            hf->bytes = db->io->map(db->io->ctx, fd, hf->size_bytes);
            hf->is_mapped = hf->bytes != NULL;
        }
        if (!hf->is_mapped && read_whole(db, fd, hf->size_bytes, &hf->bytes) != BC_OK) {
            free(hf->bytes);
            hf->bytes = NULL;
        }
    }
    db->io->close(db->io->ctx, fd); /* a mapping outlives its descriptor */
}

static void
hint_file_close(struct bc_db *db, struct hint_file *hf)
{
    if (hf->is_mapped) {
        db->io->unmap(db->io->ctx, hf->bytes, hf->size_bytes);
    } else {
        free(hf->bytes);
    }
    hf->bytes = NULL;
}

/* Checks file i's hints from its cursor up to the first of a later round; false when one is
 * bad or belongs to an earlier round (the file is not in hash order). */
static bool
hint_run_check_round(struct hint_run *run, size_t i, uint64_t round)
{
    struct hint_file *hf = &run->files[i];
    const struct bc_file *file = &run->db->files[run->first + i];
    while (hf->checked_to < hf->size_bytes) {
        if (!hf->is_next_checked) {
            struct bc_record rec;
            if (hint_at(hf->bytes, hf->size_bytes, hf->checked_to, file, &rec,
                        &hf->next_size_bytes) != BC_OK) {
                return false;
            }
            hf->next_record_bytes = bc_record_size(rec.key_size_bytes, rec.value_size_bytes);
            const unsigned char *key = hf->bytes + hf->checked_to + BC_HINT_HEADER_BYTES;
            uint64_t hash = bc_keydir_hash(key, rec.key_size_bytes);
            hf->next_round = run->round_bits == 0 ? 0 : hash >> (64 - run->round_bits);
            hf->is_next_checked = true;
        }
        if (hf->next_round != round) {
            return hf->next_round > round;
        }
        hf->checked_to += hf->next_size_bytes;
        hf->covered_bytes += hf->next_record_bytes;
        hf->is_next_checked = false;
    }
    return true;
}

/* A merge's data file holds exactly the records its hint file lists, so their sizes add up to
 * the data file's: a hint file cut short at a hint's boundary, which every hint's own CRC
 * misses, fails this. */
static bool
hints_cover(const struct bc_file *file, uint64_t covered_bytes)
{
    return covered_bytes == file->size_bytes;
}

/* After a failed check: every hint of the file whole and intact, in any order, and covering
 * its data file. */
static bool
hint_file_is_intact(const struct hint_file *hf, const struct bc_file *file)
{
    uint64_t covered_bytes = 0;
    for (uint64_t offset = 0; offset < hf->size_bytes;) {
        struct bc_record rec;
        uint64_t hint_size = 0;
        if (hint_at(hf->bytes, hf->size_bytes, offset, file, &rec, &hint_size) != BC_OK) {
            return false;
        }
        covered_bytes += bc_record_size(rec.key_size_bytes, rec.value_size_bytes);
        offset += hint_size;
    }
    return hints_cover(file, covered_bytes);
}

/* Tells the loader how far the checker has got. */
static void
checker_report(struct hint_run *run, unsigned checked_rounds, bool is_failed, bool *is_stopping)
{
    pthread_mutex_lock(&run->mutex);
    run->checked_rounds = checked_rounds;
    run->is_failed = is_failed;
    *is_stopping = run->is_stopping;
    pthread_cond_signal(&run->cond);
    pthread_mutex_unlock(&run->mutex);
}

static void *
checker_main(void *arg)
{
    struct hint_run *run = arg;
    unsigned rounds = 1u << run->round_bits;
    bool is_failed = false, is_stopping = false;
    unsigned r = 0;
    for (; r < rounds && !is_failed && !is_stopping; r++) {
        for (size_t i = 0; i < run->count && !is_failed; i++) {
            is_failed = !hint_run_check_round(run, i, r);
            run->round_ends[r * run->count + i] = run->files[i].checked_to;
        }
        for (size_t i = 0; i < run->count && !is_failed && r + 1 == rounds; i++) {
            is_failed = !hints_cover(&run->db->files[run->first + i], run->files[i].covered_bytes);
        }
        if (is_failed || (r + 1) % HINT_PUBLISH_ROUNDS == 0 || r + 1 == rounds) {
            checker_report(run, is_failed ? r : r + 1, is_failed, &is_stopping);
        }
    }
    for (size_t i = 0; i < run->count && is_failed && !is_stopping; i++) {
        run->files[i].is_intact =
            hint_file_is_intact(&run->files[i], &run->db->files[run->first + i]);
    }
    pthread_mutex_lock(&run->mutex);
    run->is_done = true;
    pthread_cond_signal(&run->cond);
    pthread_mutex_unlock(&run->mutex);
    return NULL;
}

/* Waits until round is checked, or a check failed; the rounds checked so far, when round is
 * among them, else 0. */
static unsigned
hint_run_wait(struct hint_run *run, unsigned round)
{
    pthread_mutex_lock(&run->mutex);
    while (run->checked_rounds <= round && !run->is_failed) {
        pthread_cond_wait(&run->cond, &run->mutex);
    }
    unsigned checked = run->checked_rounds > round ? run->checked_rounds : 0;
    pthread_mutex_unlock(&run->mutex);
    return checked;
}

/* Puts the hints in [from, to) of a checked hint file into the keydir. With is_ahead, each
 * key's slot is prefetched HINT_AHEAD hints before its insert (for rounds whose stretch of
 * slots is too long to prefetch whole): the misses overlap instead of coming one by one. */
static bc_status
hint_file_load(struct bc_db *db, const struct hint_file *hf, const struct bc_file *file,
               uint64_t from, uint64_t to, bool is_ahead)
{
    struct bc_record ahead[HINT_AHEAD];
    uint64_t offsets[HINT_AHEAD];
    bc_status st = BC_OK;
    uint64_t offset = from;
    size_t decoded = 0;
    for (size_t applied = 0; st == BC_OK && (offset < to || applied < decoded);) {
        if (offset < to && decoded - applied < (is_ahead ? HINT_AHEAD : 1)) {
            struct bc_record *rec = &ahead[decoded % HINT_AHEAD];
            offsets[decoded++ % HINT_AHEAD] = offset;
            (void)bc_hint_decode_header(hf->bytes + offset, rec); /* checked */
            if (is_ahead) {
                uint64_t hash =
                    bc_keydir_hash(hf->bytes + offset + BC_HINT_HEADER_BYTES, rec->key_size_bytes);
                bc_keydir_prefetch(&db->keydir, hash, hash);
            }
            offset += BC_HINT_HEADER_BYTES + (uint64_t)rec->key_size_bytes;
        } else {
            size_t a = applied++ % HINT_AHEAD;
            st = apply_record(db, file, ahead[a].offset, &ahead[a],
                              hf->bytes + offsets[a] + BC_HINT_HEADER_BYTES);
        }
    }
    return st;
}

/* Loads the run round by round, or, when a check fails, file by file once every file is
 * checked whole. */
static bc_status
hint_run_load(struct hint_run *run, char error[BC_ERROR_MAX])
{
    struct bc_db *db = run->db;
    unsigned rounds = 1u << run->round_bits, shift = 64 - run->round_bits;
    bc_status st = BC_OK;
    unsigned r = 0, checked = 0;
    for (; st == BC_OK && r < rounds; r++) {
        checked = r < checked ? checked : hint_run_wait(run, r);
        if (checked == 0) {
            break; /* a check failed */
        }
        if (r + 1 < rounds && !run->is_ahead) {
            uint64_t next = (uint64_t)(r + 1) << shift; /* the hashes of the next round */
            bc_keydir_prefetch(&db->keydir, next, next + (((uint64_t)1 << shift) - 1));
        }
        for (size_t i = 0; st == BC_OK && i < run->count; i++) {
            uint64_t from = r == 0 ? 0 : run->round_ends[(r - 1) * run->count + i];
            st = hint_file_load(db, &run->files[i], &db->files[run->first + i], from,
                                run->round_ends[r * run->count + i], run->is_ahead);
        }
    }
    if (st != BC_OK || r == rounds) {
        return st;
    }
    pthread_mutex_lock(&run->mutex);
    while (!run->is_done) {
        pthread_cond_wait(&run->cond, &run->mutex);
    }
    pthread_mutex_unlock(&run->mutex);
    for (size_t i = 0; st == BC_OK && i < run->count; i++) {
        struct bc_file *file = &db->files[run->first + i];
        bool is_newest = run->first + i + 1 == db->file_count;
        st = run->files[i].is_intact
                 ? hint_file_load(db, &run->files[i], file, 0, run->files[i].size_bytes, true)
                 : scan_data(db, file, is_newest, error);
    }
    return st;
}

/* Reads the hint files of the data files from db->files[first] on, for as long as they have
 * one (HINT_RUN_FILES_MAX at most, which bounds the memory of a run), starts checking them,
 * and loads them; a data file whose hint file cannot be read ends the run and is scanned. *count:
 * how many data files that covered (0 when the first has no hint file). */
static bc_status
hint_run(struct bc_db *db, const struct listing *l, size_t first, size_t *count,
         char error[BC_ERROR_MAX])
{
    struct hint_run run = {.db = db, .first = first};
    size_t most = 0;
    while (first + most < db->file_count && most < HINT_RUN_FILES_MAX &&
           listing_has_hint(l, db->files[first + most].id)) {
        most++;
    }
    run.files = most > 0 ? calloc(most, sizeof(*run.files)) : NULL;
    if (most > 0 && run.files == NULL) {
        return BC_NOMEM;
    }
    uint64_t hint_bytes = 0;
    for (; run.count < most; run.count++) {
        hint_file_read(db, &db->files[first + run.count], &run.files[run.count]);
        if (run.files[run.count].bytes == NULL) {
            break;
        }
        hint_bytes += run.files[run.count].size_bytes;
    }
    /* About HINT_ROUND_BYTES of hints a round: a million 16-byte keys' take 4096 rounds of
     * about 250 keys, whose slots (24 KiB) stay in the cache between prefetch and insert. But
     * each round visits every file of the run, so with many small files there are fewer
     * rounds: at least HINT_VISIT_BYTES_MIN per file per round, on average. */
    while (run.round_bits < HINT_ROUND_BITS_MAX &&
           hint_bytes >> (run.round_bits + 1) >= HINT_ROUND_BYTES &&
           hint_bytes >> (run.round_bits + 1) >= run.count * (uint64_t)HINT_VISIT_BYTES_MIN) {
        run.round_bits++;
    }
    if ((db->keydir.capacity >> run.round_bits) > HINT_ROUND_SLOTS_MAX) {
        run.round_bits = 0; /* rounds too few to fit a round's slots in the cache: no rounds */
        run.is_ahead = true;
    }
    bc_status st = BC_OK;
    if (run.count > 0) {
        run.round_ends = malloc(((size_t)1 << run.round_bits) * run.count * sizeof(uint64_t));
        st = run.round_ends == NULL ? BC_NOMEM : BC_OK;
    }
    if (st == BC_OK && run.count > 0) {
        pthread_mutex_init(&run.mutex, NULL);
        pthread_cond_init(&run.cond, NULL);
        /* A thread pays for itself only on a big run (bc_hint_thread_bytes_min): while one
         * runs, faulting in the keydir's fresh pages costs more. Measured, 1 M keys: 4,000
         * hint files of 10 KiB in runs of 64 opened in 100 ms without it and 145 ms with it,
         * 520 of 85 KiB in 80-88 ms without and 92-115 ms with, and 32 of 1.3 MiB in 52 ms
         * with it and 74 ms without. */
        run.has_checker = hint_bytes >= bc_hint_thread_bytes_min &&
                          pthread_create(&run.checker, NULL, checker_main, &run) == 0;
        if (!run.has_checker) {
            checker_main(&run); /* check it all first, here */
        }
        st = hint_run_load(&run, error);
        if (run.has_checker) {
            pthread_mutex_lock(&run.mutex);
            run.is_stopping = true; /* when loading failed, the rest need not be checked */
            pthread_mutex_unlock(&run.mutex);
            pthread_join(run.checker, NULL);
        }
        pthread_cond_destroy(&run.cond);
        pthread_mutex_destroy(&run.mutex);
    }
    for (size_t i = 0; i < run.count; i++) {
        hint_file_close(db, &run.files[i]);
    }
    free(run.round_ends);
    free(run.files);
    *count = run.count;
    if (st == BC_OK && run.count < most) {
        bool is_newest = first + run.count + 1 == db->file_count;
        st = scan_data(db, &db->files[first + run.count], is_newest, error);
        *count = run.count + 1;
    }
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
    return BC_OK;
}

/* Rebuilds the keydir from the data files in id order: runs of files with hint files from
 * their hints, the others by scanning them. */
static bc_status
load_files(struct bc_db *db, const struct listing *l, char error[BC_ERROR_MAX])
{
    bc_status st = open_files(db, l, error);
    for (size_t i = 0; st == BC_OK && i < db->file_count;) {
        size_t count = 0;
        if (!db->options.is_hints_ignored) {
            st = hint_run(db, l, i, &count, error);
        }
        if (st == BC_OK && count == 0) {
            st = scan_data(db, &db->files[i], i + 1 == db->file_count, error);
            count = 1;
        }
        i += count;
    }
    return st;
}

/* The file appends go to: the newest, if it is a regular file with room, else a new one. */
static bc_status
open_active(struct bc_db *db, char error[BC_ERROR_MAX])
{
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
    return BC_OK;
}

/* Makes the directory, opens it, and takes LOCK. */
static bc_status
lock_dir(struct bc_db *db, char error[BC_ERROR_MAX])
{
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
    return BC_OK;
}

static bc_status
recover(struct bc_db *db, char error[BC_ERROR_MAX])
{
    struct listing l = {0};
    int rc = db->io->list(db->io->ctx, db->dir, listing_cb, &l);
    bc_status st = rc < 0 ? bc_status_of_errno(rc) : BC_OK;
    for (size_t i = 0; st == BC_OK && i < l.tmp_count; i++) {
        char path[BC_PATH_MAX * 2];
        snprintf(path, sizeof(path), "%s/%s", db->dir, l.tmp_names[i]);
        rc = db->io->unlink(db->io->ctx, path);
        st = rc < 0 ? bc_status_of_errno(rc) : BC_OK;
    }
    qsort(l.data_ids, l.data_count, sizeof(*l.data_ids), compare_ids);
    if (st == BC_OK) {
        st = bc_keydir_init(&db->keydir, hinted_key_count_guess(db, &l));
        st = st == BC_NOMEM ? bc_keydir_init(&db->keydir, 0) : st; /* a guess is only a guess */
    }
    st = st == BC_OK ? load_files(db, &l, error) : st;
    st = st == BC_OK ? open_active(db, error) : st;
    if (st != BC_OK && error[0] == '\0') {
        open_error(error, "%s: recovery failed: %s", db->dir, bc_strerror(st));
    }
    free(l.data_ids);
    free(l.hint_ids);
    free(l.tmp_names);
    return st;
}

bc_status
bc_open(const char *dir, const struct bc_options *options, struct bc_db **db_out,
        char error[BC_ERROR_MAX])
{
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
    bc_status st = db->options.sync == BC_SYNC_INTERVAL && db->options.sync_interval_ms == 0
                       ? BC_INVALID
                       : lock_dir(db, error);
    st = st == BC_OK ? recover(db, error) : st;
    if (st == BC_OK && db->options.sync != BC_SYNC_ALWAYS) {
        db->append_buf = malloc(BC_APPEND_BUFFER_BYTES);
        db->append_capacity_bytes = db->append_buf != NULL ? BC_APPEND_BUFFER_BYTES : 0;
        st = db->append_buf != NULL ? BC_OK : BC_NOMEM;
    }
    if (st == BC_OK && db->options.sync == BC_SYNC_INTERVAL) {
        db->has_interval_thread =
            pthread_create(&db->interval_thread, NULL, bc_interval_main, db) == 0;
        st = db->has_interval_thread ? BC_OK : BC_NOMEM;
    }
    if (st != BC_OK) {
        db->is_failed = true; /* nothing to sync */
        bc_close(db);
        return st;
    }
    assert(db->file_count > 0);
    *db_out = db;
    return BC_OK;
}

bc_status
bc_close(struct bc_db *db)
{
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
