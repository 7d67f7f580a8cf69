/* raft_storage.c -- lab 04 part C: a node's hard state and log on stable storage
 * (raft_storage.h has the formats). Read save_state first: replacing a file so that a crash
 * leaves the old one or the new one whole takes a write, a sync, a rename and a sync of the
 * directory, in that order. Then raft_storage_open, which reads the log back and cuts a torn
 * tail. */
#include "raft_storage.h"

#include "bc_internal.h"
#include "raft_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct raft_storage {
    const struct bc_io *io;
    char dir[RAFT_STORAGE_PATH_MAX];
    int log_fd;
    uint64_t *offsets; /* offsets[i]: where entry i + 1's record starts; offsets[count]: the end */
    uint64_t count;    /* entries in the log */
    uint64_t capacity; /* of offsets, minus one */
    uint8_t *loaded;   /* the log as open read it; loaded_entries' data point into it */
    struct raft_entry *loaded_entries;
    bool is_failed; /* a save failed: what is on disk is unknown */
};

static void
path_of(const struct raft_storage *s, const char *name, char path[RAFT_STORAGE_PATH_MAX])
{
    int n = snprintf(path, RAFT_STORAGE_PATH_MAX, "%s/%s", s->dir, name);
    assert(n > 0 && n < (int)RAFT_STORAGE_PATH_MAX); /* raft_storage_open checked the length */
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

/* ---- The hard state ---------------------------------------------------------------------- */

/* Replaces "state" with hs: the new file whole and synced before the rename, the rename synced
 * (the directory) before the call returns. A crash anywhere leaves one whole file. */
static int
save_state(const struct raft_storage *s, const struct raft_hard_state *hs)
{
    uint8_t buf[RAFT_STORAGE_STATE_BYTES] = {0};
    raft_put_u32(buf + 4, RAFT_STORAGE_VERSION);
    raft_put_u64(buf + 8, hs->term);
    raft_put_u32(buf + 16, hs->vote);
    raft_put_u32(buf, bc_crc32c(0, buf + 4, sizeof(buf) - 4));
    char tmp[RAFT_STORAGE_PATH_MAX], path[RAFT_STORAGE_PATH_MAX];
    path_of(s, "state.tmp", tmp);
    path_of(s, "state", path);
    int fd = s->io->open(s->io->ctx, tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) {
        return fd;
    }
    int rc = write_all(s, fd, buf, sizeof(buf), 0);
    if (rc == 0) {
        rc = s->io->fsync(s->io->ctx, fd);
    }
    s->io->close(s->io->ctx, fd);
    if (rc == 0) {
        rc = s->io->rename(s->io->ctx, tmp, path);
    }
    return rc == 0 ? sync_dir(s) : rc;
}

static raft_status
load_state(struct raft_storage *s, struct raft_hard_state *hs)
{
    char path[RAFT_STORAGE_PATH_MAX];
    path_of(s, "state.tmp", path);
    int rc = s->io->unlink(s->io->ctx, path); /* a crash's leftover: the rename never happened */
    if (rc < 0 && rc != -ENOENT) {
        return RAFT_IO;
    }
    *hs = (struct raft_hard_state){0, 0};
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
 * intact records end. RAFT_CORRUPT for intact records out of order. */
static raft_status
parse_log(struct raft_storage *s, uint64_t size, uint64_t term_max, uint64_t *end)
{
    uint64_t offset = 0, term = 0;
    s->count = 0;
    for (;;) {
        struct raft_entry e;
        uint64_t record_size = read_record(s->loaded, size, offset, &e);
        if (record_size == 0) {
            break; /* a torn tail: cut it */
        }
        if (e.index != s->count + 1 || e.term < term || e.term == 0 || e.term > term_max ||
            e.type > RAFT_ENTRY_NOOP) {
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

static raft_status
load_log(struct raft_storage *s, uint64_t term_max)
{
    char path[RAFT_STORAGE_PATH_MAX];
    path_of(s, "log", path);
    s->log_fd = s->io->open(s->io->ctx, path, O_RDWR | O_CREAT);
    if (s->log_fd < 0 || sync_dir(s) != 0) { /* the log's name is durable before any append */
        return RAFT_IO;
    }
    uint64_t size = 0;
    if (s->io->fsize(s->io->ctx, s->log_fd, &size) != 0) {
        return RAFT_IO;
    }
    s->loaded = malloc(size > 0 ? size : 1);
    if (s->loaded == NULL) {
        return RAFT_NOMEM;
    }
    ssize_t n = size > 0 ? s->io->pread(s->io->ctx, s->log_fd, s->loaded, size, 0) : 0;
    if (n < 0 || (uint64_t)n != size) {
        return RAFT_IO;
    }
    uint64_t end = 0;
    raft_status st = parse_log(s, size, term_max, &end);
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
    if (strlen(dir) + sizeof("/state.tmp") > RAFT_STORAGE_PATH_MAX) {
        return RAFT_IO;
    }
    struct raft_storage *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return RAFT_NOMEM;
    }
    s->io = io;
    s->log_fd = -1;
    memcpy(s->dir, dir, strlen(dir) + 1); /* fits: checked above */
    raft_status st = load_state(s, hard_state);
    if (st == RAFT_OK) {
        st = load_log(s, hard_state->term);
    }
    if (st != RAFT_OK) {
        raft_storage_close(s);
        return st;
    }
    *snapshot = (struct raft_snapshot){0, 0, 0, NULL};
    *entries = s->loaded_entries;
    *entry_count = s->count;
    *out = s;
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
        assert(e->index == s->count + 1 + i);
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
    assert(rd->log_from_index >= 1);
    assert(rd->log_from_index <= s->count + 1);
    if (rd->log_from_index <= s->count) {
        uint64_t cut = s->offsets[rd->log_from_index - 1];
        if (s->io->ftruncate(s->io->ctx, s->log_fd, cut) != 0) {
            return RAFT_IO;
        }
        s->count = rd->log_from_index - 1;
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
    s->loaded = NULL;
    s->loaded_entries = NULL;
    raft_status st = RAFT_OK;
    if (rd->has_hard_state && save_state(s, &rd->hard_state) != 0) {
        st = RAFT_IO;
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
    free(s);
}
