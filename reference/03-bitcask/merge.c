/* merge.c -- merge (part C): rewrite the live records of the immutable files into new files with
 * hint files, swap them in atomically, delete the old files. Read bc_merge first. Why a crash at
 * any point is safe: outputs are named (M, k) for the largest input major M, so they sort after
 * every input and before every newer file, and hold, for each key, exactly the latest value
 * among the inputs. Whatever subset of outputs and inputs a crash leaves, reading files in id
 * order finds the same latest value; inputs are deleted oldest first, only after every output
 * is durable under its final name and every newer record is durable too (bc_sync), so a
 * tombstone is never deleted while an older value of its key survives, and a value is never
 * deleted before the record that superseded it is on disk. */
#include "bc_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_BUFFER_BYTES (1u << 20) /* outputs are written 1 MiB at a time */

/* A record that moved: where the keydir pointed and where the record is now. */
struct move {
    uint64_t key_offset; /* in struct merge's keys */
    uint16_t key_size_bytes;
    uint64_t old_id;
    uint64_t old_offset;
    uint64_t new_id;
    uint64_t new_offset;
};

struct output {
    struct bc_file file;  /* size_bytes: written so far, buffered bytes included */
    unsigned char *hints; /* owned: the hint file, built in memory */
    size_t hint_bytes;
    size_t hint_capacity;
};

struct merge {
    struct bc_file *inputs; /* owned copies of the table's entries */
    size_t input_count;
    struct output *outputs; /* owned */
    size_t output_count;
    uint32_t major;
    uint32_t next_minor;
    unsigned char *buf; /* owned: the current output's unwritten bytes */
    size_t buf_bytes;
    uint64_t buf_offset; /* where buf goes in the current output */
    struct move *moves;  /* owned */
    size_t move_count;
    size_t move_capacity;
    unsigned char *keys; /* owned: the moved keys, back to back */
    size_t key_bytes;
    size_t key_capacity;
    unsigned char *record; /* owned: the record being copied */
};

static bc_status
grow(void **p, size_t *capacity, size_t need, size_t elem_size)
{
    if (need <= *capacity) {
        return BC_OK;
    }
    size_t n = *capacity < 64 ? 64 : *capacity;
    while (n < need) {
        n *= 2;
    }
    void *q = realloc(*p, n * elem_size);
    if (q == NULL) {
        return BC_NOMEM;
    }
    *p = q;
    *capacity = n;
    return BC_OK;
}

static bc_status
flush(struct bc_db *db, struct merge *m)
{
    if (m->buf_bytes == 0) {
        return BC_OK;
    }
    assert(m->outputs != NULL); /* bytes are buffered for an output */
    assert(m->output_count > 0);
    struct output *out = &m->outputs[m->output_count - 1];
    int rc = bc_write_all(db, out->file.fd, m->buf, m->buf_bytes, m->buf_offset);
    m->buf_offset += m->buf_bytes;
    m->buf_bytes = 0;
    return rc < 0 ? bc_status_of_errno(rc) : BC_OK;
}

static bc_status
start_output(struct bc_db *db, struct merge *m)
{
    bc_status st = flush(db, m);
    size_t capacity = m->output_count;
    st = st == BC_OK
             ? grow((void **)&m->outputs, &capacity, m->output_count + 1, sizeof(*m->outputs))
             : st;
    if (st != BC_OK) {
        return st;
    }
    if (m->next_minor > BC_FILE_MINOR_MAX) {
        return BC_IO; /* begin left room for outputs_max; a six-digit name would be lost */
    }
    struct output *out = &m->outputs[m->output_count];
    memset(out, 0, sizeof(*out));
    out->file.id = BC_FILE_ID(m->major, m->next_minor++);
    char path[BC_PATH_MAX];
    bc_file_path(db, out->file.id, ".data.tmp", path);
    out->file.fd = db->io->open(db->io->ctx, path, O_RDWR | O_CREAT | O_TRUNC);
    if (out->file.fd < 0) {
        return bc_status_of_errno(out->file.fd);
    }
    m->output_count++;
    m->buf_offset = 0;
    return BC_OK;
}

/* Copies one live record (in m->record) to the current output, with its hint and move. */
static bc_status
copy_record(struct bc_db *db, struct merge *m, const struct bc_file *in, uint64_t offset,
            const struct bc_record *rec)
{
    uint64_t size = bc_record_size(rec->key_size_bytes, rec->value_size_bytes);
    struct output *out = m->output_count > 0 ? &m->outputs[m->output_count - 1] : NULL;
    if (out == NULL || (out->file.size_bytes > 0 &&
                        out->file.size_bytes + size > db->options.file_size_bytes_max)) {
        bc_status st = start_output(db, m);
        if (st != BC_OK) {
            return st;
        }
        out = &m->outputs[m->output_count - 1];
    }
    if (m->buf_bytes + size > MERGE_BUFFER_BYTES && flush(db, m) != BC_OK) {
        return BC_IO;
    }
    const unsigned char *key = m->record + BC_RECORD_HEADER_BYTES;
    struct bc_record hint = *rec;
    hint.offset = out->file.size_bytes;
    size_t hint_size = BC_HINT_HEADER_BYTES + rec->key_size_bytes;
    if (grow((void **)&out->hints, &out->hint_capacity, out->hint_bytes + hint_size, 1) != BC_OK ||
        grow((void **)&m->moves, &m->move_capacity, m->move_count + 1, sizeof(*m->moves)) !=
            BC_OK ||
        grow((void **)&m->keys, &m->key_capacity, m->key_bytes + rec->key_size_bytes, 1) != BC_OK) {
        return BC_NOMEM;
    }
    if (size > MERGE_BUFFER_BYTES) { /* a huge value: write it straight through */
        int rc = bc_write_all(db, out->file.fd, m->record, size, out->file.size_bytes);
        m->buf_offset += size;
        if (rc < 0) {
            return bc_status_of_errno(rc);
        }
    } else {
        memcpy(m->buf + m->buf_bytes, m->record, size);
        m->buf_bytes += size;
    }
    bc_hint_encode(out->hints + out->hint_bytes, &hint, key);
    out->hint_bytes += hint_size;
    m->moves[m->move_count++] = (struct move){.key_offset = m->key_bytes,
                                              .key_size_bytes = rec->key_size_bytes,
                                              .old_id = in->id,
                                              .old_offset = offset,
                                              .new_id = out->file.id,
                                              .new_offset = out->file.size_bytes};
    assert(m->keys != NULL); /* grown above for this key; a decoded key is never empty */
    memcpy(m->keys + m->key_bytes, key, rec->key_size_bytes);
    m->key_bytes += rec->key_size_bytes;
    out->file.size_bytes += size;
    return BC_OK;
}

/* Copies the live records of one input file. A record is live when the keydir points at it. */
static bc_status
merge_input(struct bc_db *db, struct merge *m, const struct bc_file *in)
{
    for (uint64_t offset = 0; offset < in->size_bytes;) {
        unsigned char header[BC_RECORD_HEADER_BYTES];
        struct bc_record rec;
        ssize_t n = db->io->pread(db->io->ctx, in->fd, header, sizeof(header), offset);
        if (n < 0) {
            return bc_status_of_errno((int)n);
        }
        if ((size_t)n != sizeof(header) || bc_record_decode_header(header, &rec) != BC_OK) {
            return BC_CORRUPT;
        }
        uint64_t size = bc_record_size(rec.key_size_bytes, rec.value_size_bytes);
        n = db->io->pread(db->io->ctx, in->fd, m->record, size, offset);
        if (n < 0) {
            return bc_status_of_errno((int)n);
        }
        if ((uint64_t)n != size || !bc_record_is_intact(m->record, size)) {
            return BC_CORRUPT;
        }
        pthread_mutex_lock(&db->mutex);
        const struct bc_keydir_entry *e =
            bc_keydir_find(&db->keydir, m->record + BC_RECORD_HEADER_BYTES, rec.key_size_bytes);
        bool is_live = e != NULL && e->file_id == in->id && e->offset == offset;
        pthread_mutex_unlock(&db->mutex);
        if (is_live && !(rec.flags & BC_FLAG_TOMBSTONE)) {
            bc_status st = copy_record(db, m, in, offset, &rec);
            if (st != BC_OK) {
                return st;
            }
        }
        offset += size;
    }
    return BC_OK;
}

/* A hint's key hash and where the hint starts in its output's hint buffer. */
struct hint_ref {
    uint64_t hash;
    size_t offset;
};

static int
compare_hint_refs(const void *a, const void *b)
{
    uint64_t x = ((const struct hint_ref *)a)->hash, y = ((const struct hint_ref *)b)->hash;
    return (x > y) - (x < y);
}

/* Reorders out's hints by ascending bc_keydir_hash of their keys, so that start-up fills a
 * keydir indexed by the hash's high bits front to back: sequential writes instead of a cache
 * miss per key (1 M keys of 100-byte values on a busy 2-core machine: a hinted open took
 * 150-166 ms before, 113-137 ms after, best of five; notes/03-bitcask.md has the bench's).
 * Keys are unique among a merge's outputs, so the order within one hint file cannot change
 * which record wins; the order of the files stays. Skipped when out of memory, which costs only
 * start-up speed. O(n log n) in the output's live keys. */
static void
sort_hints(struct output *out)
{
    size_t count = 0;
    for (size_t at = 0; at < out->hint_bytes; count++) {
        struct bc_record rec;
        bc_status st = bc_hint_decode_header(out->hints + at, &rec);
        assert(st == BC_OK);
        at += BC_HINT_HEADER_BYTES + rec.key_size_bytes;
    }
    struct hint_ref *refs = malloc((count > 0 ? count : 1) * sizeof(*refs));
    unsigned char *sorted = malloc(out->hint_bytes > 0 ? out->hint_bytes : 1);
    if (refs == NULL || sorted == NULL) {
        free(refs);
        free(sorted);
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        struct bc_record rec;
        (void)bc_hint_decode_header(out->hints + at, &rec);
        refs[i] = (struct hint_ref){
            .hash = bc_keydir_hash(out->hints + at + BC_HINT_HEADER_BYTES, rec.key_size_bytes),
            .offset = at};
        at += BC_HINT_HEADER_BYTES + rec.key_size_bytes;
    }
    qsort(refs, count, sizeof(*refs), compare_hint_refs);
    size_t sorted_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        struct bc_record rec;
        (void)bc_hint_decode_header(out->hints + refs[i].offset, &rec);
        size_t size = BC_HINT_HEADER_BYTES + rec.key_size_bytes;
        memcpy(sorted + sorted_bytes, out->hints + refs[i].offset, size);
        sorted_bytes += size;
    }
    assert(sorted_bytes == out->hint_bytes);
    free(refs);
    free(out->hints);
    out->hints = sorted;
    out->hint_capacity = out->hint_bytes;
}

/* Makes every output durable under its final name: data fsynced before its hint is written,
 * then both renamed, then one fsync of the directory (the commit point). */
static bc_status
commit_outputs(struct bc_db *db, struct merge *m)
{
    bc_status st = flush(db, m);
    for (size_t i = 0; i < m->output_count; i++) {
        sort_hints(&m->outputs[i]);
    }
    for (size_t i = 0; st == BC_OK && i < m->output_count; i++) {
        struct output *out = &m->outputs[i];
        char tmp[BC_PATH_MAX], path[BC_PATH_MAX];
        int rc = db->io->fsync(db->io->ctx, out->file.fd);
        bc_file_path(db, out->file.id, ".hint.tmp", tmp);
        int hint_fd = rc < 0 ? rc : db->io->open(db->io->ctx, tmp, O_RDWR | O_CREAT | O_TRUNC);
        rc = hint_fd < 0 ? hint_fd : bc_write_all(db, hint_fd, out->hints, out->hint_bytes, 0);
        rc = rc < 0 ? rc : db->io->fsync(db->io->ctx, hint_fd);
        if (hint_fd >= 0) {
            db->io->close(db->io->ctx, hint_fd);
        }
        bc_file_path(db, out->file.id, ".data.tmp", tmp);
        bc_file_path(db, out->file.id, ".data", path);
        rc = rc < 0 ? rc : db->io->rename(db->io->ctx, tmp, path);
        bc_file_path(db, out->file.id, ".hint.tmp", tmp);
        bc_file_path(db, out->file.id, ".hint", path);
        rc = rc < 0 ? rc : db->io->rename(db->io->ctx, tmp, path);
        st = rc < 0 ? bc_status_of_errno(rc) : BC_OK;
    }
    int rc = st == BC_OK ? db->io->fsync(db->io->ctx, db->dir_fd) : 0;
    return rc < 0 ? bc_status_of_errno(rc) : st;
}

/* Points the keydir at the moved records still current, and swaps the file table. */
static bc_status
install(struct bc_db *db, struct merge *m)
{
    pthread_mutex_lock(&db->mutex);
    size_t count = m->output_count + db->file_count - m->input_count;
    struct bc_file *files = malloc(count * sizeof(*files));
    if (files == NULL) {
        pthread_mutex_unlock(&db->mutex);
        return BC_NOMEM; /* before any change: the keydir still points at the inputs */
    }
    for (size_t i = 0; i < m->move_count; i++) {
        const struct move *mv = &m->moves[i];
        struct bc_keydir_entry *e =
            bc_keydir_find(&db->keydir, m->keys + mv->key_offset, mv->key_size_bytes);
        if (e != NULL && e->file_id == mv->old_id && e->offset == mv->old_offset) {
            e->file_id = mv->new_id;
            e->offset = mv->new_offset;
        }
    }
    for (size_t i = 0; i < m->input_count; i++) {
        assert(db->files[i].id == m->inputs[i].id);
        bc_file_release(db, &db->files[i]);
    }
    for (size_t i = 0; i < m->output_count; i++) {
        files[i] = m->outputs[i].file;
        free(m->outputs[i].hints);
    }
    memcpy(files + m->output_count, db->files + m->input_count,
           (db->file_count - m->input_count) * sizeof(*files));
    free(db->files);
    db->files = files;
    db->file_count = db->file_capacity = count;
    m->output_count = 0; /* the table owns their descriptors now */
    pthread_mutex_unlock(&db->mutex);
    return BC_OK;
}

/* Deletes the inputs, oldest first (see the top of this file), then syncs the directory. */
static void
delete_inputs(struct bc_db *db, const struct merge *m)
{
    for (size_t i = 0; i < m->input_count; i++) {
        char path[BC_PATH_MAX];
        bc_file_path(db, m->inputs[i].id, ".data", path);
        db->io->unlink(db->io->ctx, path);
        bc_file_path(db, m->inputs[i].id, ".hint", path);
        db->io->unlink(db->io->ctx, path); /* -ENOENT for unmerged files */
    }
    db->io->fsync(db->io->ctx, db->dir_fd);
}

/* Outputs a merge of these inputs may need, at the most: each output but the last is full,
 * so two outputs in a row hold more than a file's limit, and the inputs hold no more than
 * input_count limits (a file over the limit holds one record, and so does its output). */
static size_t
outputs_max(size_t input_count)
{
    return 2 * input_count + 1;
}

/* Takes the inputs, every file but the active one, and numbers the outputs on from the newest
 * of them (db->mutex held). */
static bc_status
take_inputs(struct bc_db *db, struct merge *m)
{
    free(m->inputs);
    m->major = 0;
    m->next_minor = 0;
    m->input_count = db->file_count - 1;
    m->inputs = m->input_count > 0 ? malloc(m->input_count * sizeof(*m->inputs)) : NULL;
    if (m->input_count > 0 && m->inputs == NULL) {
        return BC_NOMEM;
    }
    for (size_t i = 0; i < m->input_count; i++) {
        m->inputs[i] = db->files[i];
        uint32_t major = BC_FILE_MAJOR(db->files[i].id);
        if (major > m->major) {
            m->major = major;
            m->next_minor = 0;
        }
        if (major == m->major && BC_FILE_MINOR(db->files[i].id) >= m->next_minor) {
            m->next_minor = BC_FILE_MINOR(db->files[i].id) + 1;
        }
    }
    return BC_OK;
}

/* Takes the inputs (db->mutex held). Outputs are named after the newest input's major, with
 * minors after its own, and a name has five digits for the minor: a store that merges often and
 * rotates seldom uses them up (each merge takes as many as it writes). When too few are left,
 * the active file is rotated first, so that it becomes an input and its fresh major numbers the
 * outputs. */
static bc_status
take_inputs_with_room(struct bc_db *db, struct merge *m)
{
    if (db->is_failed) {
        return BC_FAILED;
    }
    if (db->is_merging) {
        return BC_BUSY;
    }
    bc_status st = take_inputs(db, m);
    if (st != BC_OK) {
        return st;
    }
    if (m->input_count == 0) {
        return BC_OK;
    }
    uint64_t minor_end = (uint64_t)m->next_minor + outputs_max(m->input_count);
    if (minor_end <= BC_FILE_MINOR_MAX + 1ull) {
        return BC_OK; /* a five-digit name for every output */
    }
    st = bc_rotate(db);
    if (st != BC_OK) {
        return st;
    }
    return take_inputs(db, m);
}

/* Takes the inputs and marks the db as merging. On an error nothing of the table was taken. */
static bc_status
begin(struct bc_db *db, struct merge *m)
{
    pthread_mutex_lock(&db->mutex);
    bc_status st = take_inputs_with_room(db, m);
    if (st == BC_OK) {
        db->is_merging = true;
    } else {
        m->input_count = 0;
    }
    pthread_mutex_unlock(&db->mutex);
    return st;
}

/* Copies the live records of the inputs into outputs, makes them durable, installs them and
 * deletes the inputs. On an error the outputs not installed stay in m for bc_merge to remove. */
static bc_status
run(struct bc_db *db, struct merge *m)
{
    assert(m->input_count > 0);
    assert(m->buf != NULL);
    assert(m->record != NULL);
    bc_status st = BC_OK;
    for (size_t i = 0; st == BC_OK && i < m->input_count; i++) {
        st = merge_input(db, m, &m->inputs[i]);
    }
    if (st != BC_OK) {
        return st;
    }
    st = commit_outputs(db, m);
    if (st != BC_OK) {
        return st;
    }
    st = install(db, m);
    if (st != BC_OK) {
        return st;
    }
    /* A record the merge skipped as not live was superseded by a newer one, maybe in the
     * active file and not yet durable (sync none or interval): make it durable before the
     * older one is deleted, or a crash would lose both. */
    st = bc_sync(db);
    if (st != BC_OK) {
        return st;
    }
    delete_inputs(db, m);
    return BC_OK;
}

bc_status
bc_merge(struct bc_db *db)
{
    struct merge m = {0};
    bc_status st = begin(db, &m);
    bool is_mine = st == BC_OK;
    if (st == BC_OK && m.input_count > 0) {
        m.buf = malloc(MERGE_BUFFER_BYTES);
        m.record = malloc(BC_RECORD_BYTES_MAX);
        st = m.buf == NULL || m.record == NULL ? BC_NOMEM : run(db, &m);
    }
    for (size_t i = 0; i < m.output_count; i++) { /* only on an error: remove the outputs */
        char path[BC_PATH_MAX];
        db->io->close(db->io->ctx, m.outputs[i].file.fd);
        bc_file_path(db, m.outputs[i].file.id, ".data.tmp", path);
        db->io->unlink(db->io->ctx, path);
        bc_file_path(db, m.outputs[i].file.id, ".hint.tmp", path);
        db->io->unlink(db->io->ctx, path);
    }
    for (size_t i = 0; i < m.output_count; i++) {
        free(m.outputs[i].hints);
    }
    pthread_mutex_lock(&db->mutex);
    if (is_mine) {
        db->is_merging = false;
        db->stats.merge_count += st == BC_OK;
    }
    if (st != BC_OK && st != BC_BUSY && st != BC_FAILED) {
        bc_set_error(db, "merge failed: %s", bc_strerror(st));
    }
    pthread_mutex_unlock(&db->mutex);
    free(m.inputs);
    free(m.outputs);
    free(m.buf);
    free(m.moves);
    free(m.keys);
    free(m.record);
    return st;
}
