/* raft_storage.c -- lab 04 parts C and D: a node's hard state, log and snapshot on stable
 * storage (raft_storage.h has the formats). Read replace_file first: replacing a file so that a
 * crash leaves the old one or the new one whole takes a write, a sync, a rename and a sync of the
 * directory, in that order; "state", "snapshot" and a compacted "log" are all written so. Then
 * raft_storage_open, which reads the log back, cuts a torn tail and lines the log up with the
 * snapshot. */
#include "raft_storage.h"

#include "bc_internal.h"
#include "raft_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path in the store: open checks that dir + "/snapshot.tmp", the longest, fits. */
#define PATH_BYTES_MAX RAFT_STORAGE_PATH_MAX

struct raft_storage {
    const struct bc_io *io;
    char dir[RAFT_STORAGE_PATH_MAX];
    int log_fd;
    uint64_t start;    /* the log's records are of indexes start + 1 .. start + count */
    uint64_t *offsets; /* offsets[i]: where entry start + i + 1's record starts; offsets[count]:
                          the end */
    uint64_t count;    /* records in the log */
    uint64_t capacity; /* of offsets, minus one */
    uint64_t snapshot_index; /* of the stored snapshot, 0 for none: the log changes only past it */
    uint8_t *loaded;         /* the log as open read it; loaded_entries' data point into it */
    struct raft_entry *loaded_entries;
    uint8_t *loaded_snapshot; /* the snapshot file as open read it; the data handed out is in it */
    bool is_failed;           /* a save failed: what is on disk is unknown */
};

static void
path_of(const struct raft_storage *s, const char *name, char path[PATH_BYTES_MAX])
{
    int n = snprintf(path, PATH_BYTES_MAX, "%s/%s", s->dir, name);
    assert(n > 0 && (size_t)n < PATH_BYTES_MAX); /* raft_storage_open checked the length */
}

/* Writes all of buf at offset: pwrite may write less than asked. */
static int
write_all(const struct raft_storage *s, int fd, const uint8_t *buf, size_t size, uint64_t offset)
{
    while (size > 0) {
        ssize_t n = s->io->pwrite(s->io->ctx, fd, buf, size, offset);
        if (n <= 0) {
            return n < 0 ? (int)n : -EIO;
        }
        buf += n;
        size -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* Reads size bytes of fd from offset into a new buffer (*out, the caller's to free). */
static raft_status
read_all(const struct raft_storage *s, int fd, uint64_t offset, uint64_t size, uint8_t **out)
{
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) {
        return RAFT_NOMEM;
    }
    ssize_t n = size > 0 ? s->io->pread(s->io->ctx, fd, buf, size, offset) : 0;
    if (n < 0 || (uint64_t)n != size) {
        free(buf);
        return RAFT_IO;
    }
    *out = buf;
    return RAFT_OK;
}

static int
sync_dir(const struct raft_storage *s)
{
    int fd = s->io->open(s->io->ctx, s->dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return fd;
    }
    int rc = s->io->fsync(s->io->ctx, fd);
    s->io->close(s->io->ctx, fd);
    return rc;
}

/* ---- Replacing a file whole -------------------------------------------------------------- */

/* A file's new bytes: head, then body (a header and the data it describes, so that a large body
 * is written from where it is rather than copied behind its header). */
struct contents {
    const uint8_t *head;
    size_t head_size;
    const uint8_t *body;
    size_t body_size;
};

/* Replaces dir/name with c: the new file whole in name.tmp and synced before the rename, the
 * rename synced (the directory) before the call returns. A crash anywhere leaves the old file or
 * the new one, whole. On success *fd_out (when fd_out is not NULL) is the new file's descriptor,
 * open for reading and writing; else it is closed. Returns 0 or -errno. */
static int
replace_file(const struct raft_storage *s, const char *name, const struct contents *c, int *fd_out)
{
    char tmp[PATH_BYTES_MAX], path[PATH_BYTES_MAX];
    path_of(s, name, path);
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert(n > 0 && (size_t)n < sizeof(tmp)); /* every name is at most "snapshot" */
    int fd = s->io->open(s->io->ctx, tmp, O_RDWR | O_CREAT | O_TRUNC);
    if (fd < 0) {
        return fd;
    }
    int rc = write_all(s, fd, c->head, c->head_size, 0);
    if (rc == 0) {
        rc = write_all(s, fd, c->body, c->body_size, c->head_size);
    }
    if (rc == 0) {
        rc = s->io->fsync(s->io->ctx, fd);
    }
    if (rc == 0) {
        rc = s->io->rename(s->io->ctx, tmp, path);
    }
    if (rc == 0) {
        rc = sync_dir(s);
    }
    if (rc == 0 && fd_out != NULL) {
        *fd_out = fd;
    } else {
        s->io->close(s->io->ctx, fd);
    }
    return rc;
}

/* A ".tmp" file is a crash's leftover: the rename that would have made it count never happened. */
static raft_status
remove_leftovers(const struct raft_storage *s)
{
    static const char *const names[] = {"state.tmp", "snapshot.tmp", "log.tmp"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[PATH_BYTES_MAX];
        path_of(s, names[i], path);
        int rc = s->io->unlink(s->io->ctx, path);
        if (rc < 0 && rc != -ENOENT) {
            return RAFT_IO;
        }
    }
    return RAFT_OK;
}

/* ---- The hard state ---------------------------------------------------------------------- */

static int
save_state(const struct raft_storage *s, const struct raft_hard_state *hs)
{
    uint8_t buf[RAFT_STORAGE_STATE_BYTES] = {0};
    raft_put_u32(buf + 4, RAFT_STORAGE_VERSION);
    raft_put_u64(buf + 8, hs->term);
    raft_put_u32(buf + 16, hs->vote);
    raft_put_u32(buf, bc_crc32c(0, buf + 4, sizeof(buf) - 4));
    const struct contents c = {buf, sizeof(buf), NULL, 0};
    return replace_file(s, "state", &c, NULL);
}

static raft_status
load_state(struct raft_storage *s, struct raft_hard_state *hs)
{
    *hs = (struct raft_hard_state){0, 0};
    char path[PATH_BYTES_MAX];
    path_of(s, "state", path);
    int fd = s->io->open(s->io->ctx, path, O_RDONLY);
    if (fd == -ENOENT) {
        return RAFT_OK; /* a new node */
    }
    if (fd < 0) {
        return RAFT_IO;
    }
    uint8_t buf[RAFT_STORAGE_STATE_BYTES + 1];
    ssize_t n = s->io->pread(s->io->ctx, fd, buf, sizeof(buf), 0);
    s->io->close(s->io->ctx, fd);
    if (n < 0) {
        return RAFT_IO;
    }
    if (n != RAFT_STORAGE_STATE_BYTES ||
        raft_get_u32(buf) != bc_crc32c(0, buf + 4, RAFT_STORAGE_STATE_BYTES - 4) ||
        raft_get_u32(buf + 4) != RAFT_STORAGE_VERSION || raft_get_u32(buf + 20) != 0) {
        return RAFT_CORRUPT;
    }
    hs->term = raft_get_u64(buf + 8);
    hs->vote = raft_get_u32(buf + 16);
    return RAFT_OK;
}

/* ---- The snapshot (part D) --------------------------------------------------------------- */

/* Replaces "snapshot" with snap, as "state" is replaced. The checksum chains over the header and
 * the data, which is written from the caller's buffer. */
static int
save_snapshot(const struct raft_storage *s, const struct raft_snapshot *snap)
{
    assert(snap->index > 0);
    assert(snap->size_bytes <= RAFT_SNAPSHOT_BYTES_MAX);
    uint8_t head[RAFT_STORAGE_SNAPSHOT_HEADER_BYTES] = {0};
    raft_put_u32(head + 4, RAFT_STORAGE_VERSION);
    raft_put_u64(head + 8, snap->index);
    raft_put_u64(head + 16, snap->term);
    raft_put_u64(head + 24, snap->size_bytes);
    uint32_t crc = bc_crc32c(0, head + 4, sizeof(head) - 4);
    raft_put_u32(head, bc_crc32c(crc, snap->data, snap->size_bytes));
    const struct contents c = {head, sizeof(head), snap->data, snap->size_bytes};
    return replace_file(s, "snapshot", &c, NULL);
}

/* Checks the snapshot file buf (size bytes) and fills *snap from it, its data pointing into buf.
 * Saves replace the file whole, so one that fails a check was written by none: RAFT_CORRUPT. */
static raft_status
parse_snapshot(const uint8_t *buf, uint64_t size, uint64_t term_max, struct raft_snapshot *snap)
{
    assert(size >= RAFT_STORAGE_SNAPSHOT_HEADER_BYTES);
    uint64_t data_size = raft_get_u64(buf + 24);
    if (raft_get_u32(buf) != bc_crc32c(0, buf + 4, size - 4) ||
        raft_get_u32(buf + 4) != RAFT_STORAGE_VERSION ||
        data_size != size - RAFT_STORAGE_SNAPSHOT_HEADER_BYTES) {
        return RAFT_CORRUPT;
    }
    const uint8_t *data = data_size > 0 ? buf + RAFT_STORAGE_SNAPSHOT_HEADER_BYTES : NULL;
    *snap = (struct raft_snapshot){raft_get_u64(buf + 8), raft_get_u64(buf + 16), data_size, data};
    /* A save writes the hard state first, so no snapshot is of a term the state does not hold. */
    if (snap->index == 0 || snap->term == 0 || snap->term > term_max) {
        return RAFT_CORRUPT;
    }
    return RAFT_OK;
}

/* Reads "snapshot" into *snap (index 0 when there is none), its data borrowed from
 * s->loaded_snapshot. */
static raft_status
load_snapshot(struct raft_storage *s, uint64_t term_max, struct raft_snapshot *snap)
{
    *snap = (struct raft_snapshot){0, 0, 0, NULL};
    char path[PATH_BYTES_MAX];
    path_of(s, "snapshot", path);
    int fd = s->io->open(s->io->ctx, path, O_RDONLY);
    if (fd == -ENOENT) {
        return RAFT_OK; /* none taken yet */
    }
    if (fd < 0) {
        return RAFT_IO;
    }
    uint64_t size = 0;
    raft_status st = s->io->fsize(s->io->ctx, fd, &size) == 0 ? RAFT_OK : RAFT_IO;
    if (st == RAFT_OK && (size < RAFT_STORAGE_SNAPSHOT_HEADER_BYTES ||
                          size - RAFT_STORAGE_SNAPSHOT_HEADER_BYTES > RAFT_SNAPSHOT_BYTES_MAX)) {
        st = RAFT_CORRUPT; /* checked before the size is allocated */
    }
    if (st == RAFT_OK) {
        st = read_all(s, fd, 0, size, &s->loaded_snapshot);
    }
    s->io->close(s->io->ctx, fd);
    return st == RAFT_OK ? parse_snapshot(s->loaded_snapshot, size, term_max, snap) : st;
}

/* ---- The log ----------------------------------------------------------------------------- */

static bool
reserve(struct raft_storage *s, uint64_t count)
{
    if (s->offsets != NULL && count <= s->capacity) {
        return true;
    }
    uint64_t capacity = s->capacity < 64 ? 64 : s->capacity;
    while (capacity < count) {
        capacity *= 2;
    }
    uint64_t *grown = realloc(s->offsets, (capacity + 1) * sizeof(*grown));
    if (grown == NULL) {
        return false;
    }
    s->offsets = grown;
    s->capacity = capacity;
    return true;
}

/* Reads the record at offset into *e (its data pointing into buf) and returns its size, or 0
 * when it is torn or fails its checksum. */
static uint64_t
read_record(const uint8_t *buf, uint64_t size, uint64_t offset, struct raft_entry *e)
{
    if (size - offset < RAFT_STORAGE_RECORD_HEADER_BYTES) {
        return 0;
    }
    const uint8_t *p = buf + offset;
    uint64_t data_size = raft_get_u32(p + 4);
    uint64_t record_size = RAFT_STORAGE_RECORD_HEADER_BYTES + data_size;
    if (data_size > RAFT_ENTRY_BYTES_MAX || size - offset < record_size ||
        raft_get_u32(p) != bc_crc32c(0, p + 4, record_size - 4)) {
        return 0;
    }
    *e = (struct raft_entry){.term = raft_get_u64(p + 8),
                             .index = raft_get_u64(p + 16),
                             .type = p[24],
                             .size_bytes = (uint32_t)data_size,
                             .data = data_size > 0 ? p + RAFT_STORAGE_RECORD_HEADER_BYTES : NULL};
    return record_size;
}

/* Parses s->loaded (size bytes) into s->loaded_entries and s->offsets; *end is where the
 * intact records end. The first record's index is at most first_max. RAFT_CORRUPT for intact
 * records out of order. */
static raft_status
parse_log(struct raft_storage *s, uint64_t size, uint64_t term_max, uint64_t first_max,
          uint64_t *end)
{
    uint64_t offset = 0, term = 0;
    s->count = 0;
    for (;;) {
        struct raft_entry e;
        uint64_t record_size = read_record(s->loaded, size, offset, &e);
        if (record_size == 0) {
            break; /* a torn tail: cut it */
        }
        if (s->count == 0) {
            /* Index 1, or after a snapshot anywhere up to just past it: a crash can come
             * between the snapshot's rename and the compacted log's. */
            if (e.index == 0 || e.index > first_max) {
                return RAFT_CORRUPT;
            }
            s->start = e.index - 1;
        }
        if (e.index != s->start + s->count + 1 || e.term < term || e.term == 0 ||
            e.term > term_max || e.type > RAFT_ENTRY_NOOP) {
            return RAFT_CORRUPT;
        }
        if (!reserve(s, s->count + 1)) {
            return RAFT_NOMEM;
        }
        struct raft_entry *grown =
            realloc(s->loaded_entries, (s->count + 1) * sizeof(*s->loaded_entries));
        if (grown == NULL) {
            return RAFT_NOMEM;
        }
        s->loaded_entries = grown;
        s->loaded_entries[s->count] = e;
        s->offsets[s->count++] = offset;
        term = e.term;
        offset += record_size;
    }
    if (!reserve(s, s->count)) {
        return RAFT_NOMEM;
    }
    s->offsets[s->count] = offset;
    *end = offset;
    return RAFT_OK;
}

/* Lines the parsed log up with the snapshot (raft_storage.h): the entries after its index are
 * handed out (*skip: the records before them) if the log holds its index with its term, or
 * starts just after it. Otherwise none is, and the log is emptied (*end becomes 0): records
 * through its index left in place would stand before the entries saved next and be read as a
 * log that does not hold the snapshot's index with its term, or that has a gap. */
static raft_status
line_up_log(struct raft_storage *s, const struct raft_snapshot *snap, uint64_t *skip, uint64_t *end)
{
    *skip = 0;
    if (s->count == 0) {
        s->start = snap->index; /* the next record saved follows the snapshot */
        return RAFT_OK;
    }
    assert(s->start <= snap->index); /* parse_log saw to it */
    if (s->start == snap->index) {
        /* Saved after the snapshot (or no snapshot): no term goes back from the snapshot's. */
        return s->loaded_entries[0].term < snap->term ? RAFT_CORRUPT : RAFT_OK;
    }
    uint64_t at = snap->index - s->start; /* records through the snapshot's index, >= 1 */
    if (at <= s->count && s->loaded_entries[at - 1].term == snap->term) {
        *skip = at; /* a crash between the two renames: the compaction would keep the rest */
        return RAFT_OK;
    }
    assert(s->offsets[0] == 0); /* where the first record starts */
    s->start = snap->index;
    s->count = 0;
    *end = 0;
    return RAFT_OK;
}

/* Reads the log, cuts a torn tail, and lines it up with snap (*skip as line_up_log gives it). */
static raft_status
load_log(struct raft_storage *s, uint64_t term_max, const struct raft_snapshot *snap,
         uint64_t *skip)
{
    char path[PATH_BYTES_MAX];
    path_of(s, "log", path);
    s->log_fd = s->io->open(s->io->ctx, path, O_RDWR | O_CREAT);
    if (s->log_fd < 0 || sync_dir(s) != 0) { /* the log's name is durable before any append */
        return RAFT_IO;
    }
    uint64_t size = 0;
    if (s->io->fsize(s->io->ctx, s->log_fd, &size) != 0) {
        return RAFT_IO;
    }
    raft_status st = read_all(s, s->log_fd, 0, size, &s->loaded);
    uint64_t end = 0;
    if (st == RAFT_OK) {
        st = parse_log(s, size, term_max, snap->index + 1, &end);
    }
    if (st == RAFT_OK) {
        st = line_up_log(s, snap, skip, &end);
    }
    if (st != RAFT_OK) {
        return st;
    }
    if (end < size && (s->io->ftruncate(s->io->ctx, s->log_fd, end) != 0 ||
                       s->io->fsync(s->io->ctx, s->log_fd) != 0)) {
        return RAFT_IO;
    }
    return RAFT_OK;
}

raft_status
raft_storage_open(const struct bc_io *io, const char *dir, struct raft_storage **out,
                  struct raft_hard_state *hard_state, struct raft_snapshot *snapshot,
                  const struct raft_entry **entries, size_t *entry_count)
{
    if (strlen(dir) + sizeof("/snapshot.tmp") > RAFT_STORAGE_PATH_MAX) {
        return RAFT_IO;
    }
    struct raft_storage *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return RAFT_NOMEM;
    }
    s->io = io;
    s->log_fd = -1;
    memcpy(s->dir, dir, strlen(dir) + 1); /* fits: checked above */
    uint64_t skip = 0;
    raft_status st = remove_leftovers(s);
    if (st == RAFT_OK) {
        st = load_state(s, hard_state);
    }
    if (st == RAFT_OK) {
        st = load_snapshot(s, hard_state->term, snapshot);
    }
    if (st == RAFT_OK) {
        st = load_log(s, hard_state->term, snapshot, &skip);
    }
    if (st != RAFT_OK) {
        raft_storage_close(s);
        return st;
    }
    assert(s->start + skip == snapshot->index);
    s->snapshot_index = snapshot->index;
    *entries = s->count > skip ? &s->loaded_entries[skip] : NULL;
    *entry_count = s->count - skip;
    *out = s;
    return RAFT_OK;
}

/* Rewrites the log without its records through snap's index (raft_storage.h; Figure 13, steps 6
 * and 7): those after it stay only if the record at its index has its term, else none does. The
 * new log replaces the old as "state" is replaced, after the snapshot is durable, so a crash
 * leaves the old log, which open lines up with either snapshot, or the new one. */
static raft_status
compact_log(struct raft_storage *s, const struct raft_snapshot *snap)
{
    assert(snap->index >= s->start);
    uint64_t at = snap->index - s->start; /* records through the snapshot's index */
    uint64_t gone = s->count;             /* the records the new log leaves out */
    uint8_t *buf = NULL;
    struct contents c = {NULL, 0, NULL, 0};
    if (at >= 1 && at <= s->count) {
        /* The record at the snapshot's index and every one after it, read back. */
        uint64_t from = s->offsets[at - 1], size = s->offsets[s->count] - from;
        raft_status st = read_all(s, s->log_fd, from, size, &buf);
        if (st != RAFT_OK) {
            return st;
        }
        struct raft_entry e;
        uint64_t record_size = read_record(buf, size, 0, &e);
        if (record_size == 0 || e.index != snap->index) {
            free(buf);
            return RAFT_IO; /* not what this store wrote there */
        }
        if (e.term == snap->term) {
            gone = at;
            c.body = buf + record_size;
            c.body_size = size - record_size;
        }
    }
    int fd = -1;
    int rc = replace_file(s, "log", &c, &fd);
    free(buf);
    if (rc != 0) {
        return RAFT_IO;
    }
    s->io->close(s->io->ctx, s->log_fd);
    s->log_fd = fd;
    uint64_t base = s->offsets[gone]; /* the kept records move to the front of the file */
    for (uint64_t i = gone; i <= s->count; i++) {
        s->offsets[i - gone] = s->offsets[i] - base;
    }
    s->count -= gone;
    s->start = snap->index;
    s->snapshot_index = snap->index;
    assert(s->offsets[0] == 0);
    return RAFT_OK;
}

/* Appends entries after the log's last one: one write of every record, then the caller syncs. */
static raft_status
append_entries(struct raft_storage *s, const struct raft_entry *entries, size_t count)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < count; i++) {
        bytes += RAFT_STORAGE_RECORD_HEADER_BYTES + entries[i].size_bytes;
    }
    uint8_t *buf = malloc(bytes > 0 ? bytes : 1);
    if (buf == NULL || !reserve(s, s->count + count)) {
        free(buf);
        return RAFT_NOMEM;
    }
    uint64_t at = 0, start = s->offsets[s->count];
    for (size_t i = 0; i < count; i++) {
        const struct raft_entry *e = &entries[i];
        assert(e->index == s->start + s->count + 1 + i);
        uint8_t *p = buf + at;
        memset(p, 0, RAFT_STORAGE_RECORD_HEADER_BYTES);
        raft_put_u32(p + 4, e->size_bytes);
        raft_put_u64(p + 8, e->term);
        raft_put_u64(p + 16, e->index);
        p[24] = e->type;
        if (e->size_bytes > 0) {
            memcpy(p + RAFT_STORAGE_RECORD_HEADER_BYTES, e->data, e->size_bytes);
        }
        uint64_t record_size = RAFT_STORAGE_RECORD_HEADER_BYTES + e->size_bytes;
        raft_put_u32(p, bc_crc32c(0, p + 4, record_size - 4));
        s->offsets[s->count + i] = start + at;
        at += record_size;
    }
    int rc = write_all(s, s->log_fd, buf, bytes, start);
    free(buf);
    if (rc != 0) {
        return RAFT_IO;
    }
    s->count += count;
    s->offsets[s->count] = start + bytes;
    return RAFT_OK;
}

static raft_status
save_log(struct raft_storage *s, const struct raft_ready *rd)
{
    assert(rd->log_from_index > s->snapshot_index);
    assert(rd->log_from_index > s->start);
    assert(rd->log_from_index <= s->start + s->count + 1);
    uint64_t kept = rd->log_from_index - s->start - 1; /* records before log_from_index */
    if (kept < s->count) {
        uint64_t cut = s->offsets[kept];
        if (s->io->ftruncate(s->io->ctx, s->log_fd, cut) != 0) {
            return RAFT_IO;
        }
        s->count = kept;
        s->offsets[s->count] = cut;
    }
    raft_status st = append_entries(s, rd->entries, rd->entry_count);
    if (st != RAFT_OK) {
        return st;
    }
    return s->io->fsync(s->io->ctx, s->log_fd) == 0 ? RAFT_OK : RAFT_IO;
}

raft_status
raft_storage_save(struct raft_storage *s, const struct raft_ready *rd)
{
    if (s->is_failed) {
        return RAFT_IO;
    }
    free(s->loaded); /* what open handed out is no longer borrowed */
    free(s->loaded_entries);
    free(s->loaded_snapshot);
    s->loaded = NULL;
    s->loaded_entries = NULL;
    s->loaded_snapshot = NULL;
    raft_status st = RAFT_OK;
    if (rd->has_hard_state && save_state(s, &rd->hard_state) != 0) {
        st = RAFT_IO;
    }
    if (st == RAFT_OK && rd->has_snapshot) {
        /* The snapshot is durable before the log forgets the entries it stands for. */
        assert(rd->snapshot.index >= s->snapshot_index);
        st = save_snapshot(s, &rd->snapshot) == 0 ? compact_log(s, &rd->snapshot) : RAFT_IO;
    }
    if (st == RAFT_OK && rd->has_log_change) {
        st = save_log(s, rd);
    }
    s->is_failed = st != RAFT_OK;
    return st;
}

void
raft_storage_close(struct raft_storage *s)
{
    if (s == NULL) {
        return;
    }
    if (s->log_fd >= 0) {
        s->io->close(s->io->ctx, s->log_fd);
    }
    free(s->offsets);
    free(s->loaded);
    free(s->loaded_entries);
    free(s->loaded_snapshot);
    free(s);
}
