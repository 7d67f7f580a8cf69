/* hint_loader.c -- the reference's hint file loader (part B), for recovery.c: a run of hint
 * files goes into the keydir together, round by round of the hash, while a second thread
 * checks the hints ahead of the inserts. Only the reference has this file (lab.mk's
 * REFERENCE_SRCS); loading one hint file after another is as correct, only slower. Read the
 * comment below the includes first, then bc_hints_load at the bottom. */
#include "bc_internal.h"

#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

#define HINT_ROUND_BYTES (8u << 10)   /* hint bytes a loading round aims at (hint_run_plan) */
#define HINT_ROUND_BITS_MAX 12u       /* so at most 4096 rounds */
#define HINT_VISIT_BYTES_MIN 256u     /* hint bytes per file per round, at least, on average */
#define HINT_RUN_FILES_MAX 64u        /* hint files loaded together, at most */
#define HINT_ROUND_SLOTS_MAX 4096u    /* keydir slots a round may span and be prefetched whole */
#define HINT_AHEAD 16u                /* else hints decoded ahead of their inserts */
#define HINT_MAP_BYTES_MIN (1u << 20) /* smaller hint files are read: a map costs more */
#define HINT_PUBLISH_ROUNDS 16u       /* the checker reports after this many rounds */

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

/* ---- One hint file ----------------------------------------------------------------------- */

/* Reads all of fd (size_bytes) into a new buffer, which the caller frees, on an error too. */
static bc_status
read_whole(struct bc_db *db, int fd, uint64_t size_bytes, unsigned char **out)
{
    assert(fd >= 0);
    *out = malloc(size_bytes > 0 ? size_bytes : 1);
    if (*out == NULL) {
        return BC_NOMEM;
    }
    uint64_t done = 0;
    while (done < size_bytes) {
        ssize_t n = db->io->pread(db->io->ctx, fd, *out + done, size_bytes - done, done);
        if (n <= 0) {
            return n < 0 ? bc_status_of_errno((int)n) : BC_CORRUPT; /* shrank under us */
        }
        done += (uint64_t)n;
    }
    assert(done == size_bytes); /* pread returns at most what it was asked for */
    return BC_OK;
}

/* Checks the hint at offset of the hint file in buf and decodes it into *rec; its size goes to
 * *hint_size. BC_CORRUPT when it is cut short, fails its CRC or points outside the data file. */
static bc_status
hint_at(const unsigned char *buf, uint64_t size_bytes, uint64_t offset, const struct bc_file *file,
        struct bc_record *rec, uint64_t *hint_size)
{
    assert(offset < size_bytes);
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
    assert(offset + *hint_size <= size_bytes); /* neither sum can wrap now */
    assert(rec->offset + bc_record_size(rec->key_size_bytes, rec->value_size_bytes) <=
           file->size_bytes);
    return BC_OK;
}

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
    assert(hf->bytes != NULL || !hf->is_mapped);
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

/* ---- The checker ------------------------------------------------------------------------- */

/* Checks file i's hints from its cursor up to the first of a later round; false when one is
 * bad or belongs to an earlier round (the file is not in hash order). */
static bool
hint_run_check_round(struct hint_run *run, size_t i, uint64_t round)
{
    assert(i < run->count);
    assert(round < (uint64_t)1 << run->round_bits);
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
    assert(hf->checked_to == hf->size_bytes); /* hint_at keeps each hint inside the file */
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
    assert(hf->bytes != NULL);
    uint64_t covered_bytes = 0;
    uint64_t offset = 0;
    while (offset < hf->size_bytes) {
        struct bc_record rec;
        uint64_t hint_size = 0;
        if (hint_at(hf->bytes, hf->size_bytes, offset, file, &rec, &hint_size) != BC_OK) {
            return false;
        }
        covered_bytes += bc_record_size(rec.key_size_bytes, rec.value_size_bytes);
        offset += hint_size;
    }
    assert(offset == hf->size_bytes);
    return hints_cover(file, covered_bytes);
}

/* Tells the loader how far the checker has got. */
static void
checker_report(struct hint_run *run, unsigned checked_rounds, bool is_failed, bool *is_stopping)
{
    assert(checked_rounds <= 1u << run->round_bits);
    pthread_mutex_lock(&run->mutex);
    assert(checked_rounds >= run->checked_rounds); /* the cursor only moves on */
    run->checked_rounds = checked_rounds;
    run->is_failed = is_failed;
    *is_stopping = run->is_stopping;
    pthread_cond_signal(&run->cond);
    pthread_mutex_unlock(&run->mutex);
}

/* The checker: checks the run round by round, filling round_ends, and reports every
 * HINT_PUBLISH_ROUNDS rounds; after a failed check, checks each file whole (is_intact). Runs
 * on its own thread, or on the loader's before it loads. */
static void *
checker_main(void *arg)
{
    struct hint_run *run = arg;
    assert(run->count > 0);
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
    assert(!run->is_done);
    run->is_done = true;
    pthread_cond_signal(&run->cond);
    pthread_mutex_unlock(&run->mutex);
    return NULL;
}

/* ---- The loader -------------------------------------------------------------------------- */

/* Waits until round is checked, or a check failed; the rounds checked so far, when round is
 * among them, else 0. */
static unsigned
hint_run_wait(struct hint_run *run, unsigned round)
{
    assert(round < 1u << run->round_bits);
    pthread_mutex_lock(&run->mutex);
    while (run->checked_rounds <= round && !run->is_failed) {
        pthread_cond_wait(&run->cond, &run->mutex);
    }
    unsigned checked = run->checked_rounds > round ? run->checked_rounds : 0;
    pthread_mutex_unlock(&run->mutex);
    assert(checked == 0 || checked > round);
    return checked;
}

/* Puts the hints in [from, to) of a checked hint file into the keydir. With is_ahead, each
 * key's slot is prefetched HINT_AHEAD hints before its insert (for rounds whose stretch of
 * slots is too long to prefetch whole): the misses overlap instead of coming one by one. */
static bc_status
hint_file_load(struct bc_db *db, const struct hint_file *hf, const struct bc_file *file,
               uint64_t from, uint64_t to, bool is_ahead)
{
    assert(from <= to);
    assert(to <= hf->size_bytes);
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
            st = bc_apply_record(db, file, ahead[a].offset, &ahead[a],
                                 hf->bytes + offsets[a] + BC_HINT_HEADER_BYTES);
        }
    }
    assert(st != BC_OK || offset == to); /* the checker ended each round on a hint's boundary */
    return st;
}

/* Loads the run round by round, or, when a check fails, file by file once every file is
 * checked whole. */
static bc_status
hint_run_load(struct hint_run *run, char error[BC_ERROR_MAX])
{
    assert(run->count > 0);
    assert(!run->is_ahead || run->round_bits == 0); /* prefetching key by key means no rounds */
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
                 : bc_scan_data(db, file, is_newest, error);
    }
    return st;
}

/* ---- A run ------------------------------------------------------------------------------- */

static int
compare_ids(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* How many data files from db->files[first] on have a hint file (their ids in hint_ids,
 * sorted), up to the first that has none, and HINT_RUN_FILES_MAX at most (which bounds the
 * memory of a run). */
static size_t
hinted_count(const struct bc_db *db, size_t first, const uint64_t *hint_ids, size_t hint_count)
{
    assert(first < db->file_count);
    size_t count = 0;
    while (hint_count > 0 && first + count < db->file_count && count < HINT_RUN_FILES_MAX &&
           bsearch(&db->files[first + count].id, hint_ids, hint_count, sizeof(*hint_ids),
                   compare_ids) != NULL) {
        count++;
    }
    assert(count <= HINT_RUN_FILES_MAX);
    return count;
}

/* Reads (or maps) the hint files of the run's first file_count files, up to one that cannot be
 * read; run->count says how many were, and *hint_bytes how many bytes they hold. */
static bc_status
hint_run_read(struct hint_run *run, size_t file_count, uint64_t *hint_bytes)
{
    assert(run->files == NULL);
    assert(run->count == 0);
    *hint_bytes = 0;
    if (file_count == 0) {
        return BC_OK;
    }
    run->files = calloc(file_count, sizeof(*run->files));
    if (run->files == NULL) {
        return BC_NOMEM;
    }
    for (; run->count < file_count; run->count++) {
        struct hint_file *hf = &run->files[run->count];
        hint_file_read(run->db, &run->db->files[run->first + run->count], hf);
        if (hf->bytes == NULL) {
            break;
        }
        *hint_bytes += hf->size_bytes;
    }
    assert(run->count <= file_count);
    return BC_OK;
}

/* About HINT_ROUND_BYTES of hints a round: a million 16-byte keys' take 4096 rounds of about
 * 250 keys, whose slots (24 KiB) stay in the cache between prefetch and insert. But each round
 * visits every file of the run, so with many small files there are fewer rounds: at least
 * HINT_VISIT_BYTES_MIN per file per round, on average. */
static void
hint_run_plan(struct hint_run *run, uint64_t hint_bytes)
{
    assert(run->count > 0);
    assert(run->round_bits == 0);
    while (run->round_bits < HINT_ROUND_BITS_MAX &&
           hint_bytes >> (run->round_bits + 1) >= HINT_ROUND_BYTES &&
           hint_bytes >> (run->round_bits + 1) >= run->count * (uint64_t)HINT_VISIT_BYTES_MIN) {
        run->round_bits++;
    }
    if ((run->db->keydir.capacity >> run->round_bits) > HINT_ROUND_SLOTS_MAX) {
        run->round_bits = 0; /* rounds too few to fit a round's slots in the cache: no rounds */
        run->is_ahead = true;
    }
    assert(run->round_bits <= HINT_ROUND_BITS_MAX);
}

/* Checks the run (on a second thread when it is big) and loads it. */
static bc_status
hint_run_check_and_load(struct hint_run *run, uint64_t hint_bytes, char error[BC_ERROR_MAX])
{
    assert(run->count > 0);
    assert(run->round_ends == NULL);
    run->round_ends = malloc(((size_t)1 << run->round_bits) * run->count * sizeof(uint64_t));
    if (run->round_ends == NULL) {
        return BC_NOMEM;
    }
    pthread_mutex_init(&run->mutex, NULL);
    pthread_cond_init(&run->cond, NULL);
    /* A thread pays for itself only on a big run (bc_hint_thread_bytes_min): while one runs,
     * faulting in the keydir's fresh pages costs more. Measured, 1 M keys: 4,000 hint files of
     * 10 KiB in runs of 64 opened in 100 ms without it and 145 ms with it, 520 of 85 KiB in
     * 80-88 ms without and 92-115 ms with, and 32 of 1.3 MiB in 52 ms with it and 74 ms
     * without. */
    run->has_checker = hint_bytes >= bc_hint_thread_bytes_min &&
                       pthread_create(&run->checker, NULL, checker_main, run) == 0;
    if (!run->has_checker) {
        checker_main(run); /* check it all first, here */
    }
    bc_status st = hint_run_load(run, error);
    if (run->has_checker) {
        pthread_mutex_lock(&run->mutex);
        run->is_stopping = true; /* when loading failed, the rest need not be checked */
        pthread_mutex_unlock(&run->mutex);
        pthread_join(run->checker, NULL);
    }
    assert(run->is_done); /* joined, or run here */
    pthread_cond_destroy(&run->cond);
    pthread_mutex_destroy(&run->mutex);
    return st;
}

static void
hint_run_free(struct hint_run *run)
{
    for (size_t i = 0; i < run->count; i++) {
        hint_file_close(run->db, &run->files[i]);
    }
    free(run->round_ends);
    free(run->files);
    run->round_ends = NULL;
    run->files = NULL;
}

bc_status
bc_hints_load(struct bc_db *db, size_t first, const uint64_t *hint_ids, size_t hint_count,
              size_t *file_count, char error[BC_ERROR_MAX])
{
    assert(first < db->file_count);
    struct hint_run run = {.db = db, .first = first};
    size_t hinted = hinted_count(db, first, hint_ids, hint_count);
    uint64_t hint_bytes = 0;
    bc_status st = hint_run_read(&run, hinted, &hint_bytes);
    if (st == BC_OK && run.count > 0) {
        hint_run_plan(&run, hint_bytes);
        st = hint_run_check_and_load(&run, hint_bytes, error);
    }
    hint_run_free(&run);
    *file_count = run.count;
    if (st == BC_OK && run.count < hinted) { /* its hint file could not be read: scan it */
        bool is_newest = first + run.count + 1 == db->file_count;
        st = bc_scan_data(db, &db->files[first + run.count], is_newest, error);
        *file_count = run.count + 1;
    }
    assert(*file_count <= hinted);
    return st;
}
