/* faultfs_disk.c -- the disk model under faultfs.c (faultfs_disk.h): files with their writes
 * since the last fsync, and namespaces of paths. Read kh_ff_inode_sync and kh_ff_names_sync_dir
 * first: they are the two halves of durability, fsync of a file and fsync of a directory. */
#include "faultfs_disk.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
kh_ff_reserve(void **buf, uint64_t *capacity, uint64_t need, size_t elem_size)
{
    assert(elem_size > 0);
    if (need <= *capacity) {
        return 0;
    }
    uint64_t grown = *capacity < 16 ? 16 : *capacity * 2;
    while (grown < need) {
        grown *= 2;
    }
    void *p = realloc(*buf, grown * elem_size);
    if (p == NULL) {
        return -ENOMEM;
    }
    *buf = p;
    *capacity = grown;
    assert(*capacity >= need);
    return 0;
}

/* ---- Files ---------------------------------------------------------------------------- */

struct ff_inode *
kh_ff_inode_new(struct ff_inode **all, bool is_dir)
{
    struct ff_inode *inode = calloc(1, sizeof(*inode));
    if (inode == NULL) {
        return NULL;
    }
    inode->is_dir = is_dir;
    inode->lock_fd = -1;
    inode->next_all = *all;
    *all = inode;
    return inode;
}

void
kh_ff_inode_free(struct ff_inode *inode)
{
    for (size_t i = 0; i < inode->pending_count; i++) {
        free(inode->pending[i].bytes);
    }
    free(inode->pending);
    free(inode->data);
    free(inode->durable);
    free(inode);
}

int
kh_ff_apply_write(unsigned char **buf, uint64_t *size, uint64_t *capacity, uint64_t offset,
                  const void *bytes, uint64_t size_bytes)
{
    assert(bytes != NULL || size_bytes == 0);
    uint64_t end = offset + size_bytes;
    if (end < offset ||
        kh_ff_reserve((void **)buf, capacity, end, 1) != 0) { /* wrapped, or too big */
        return -ENOMEM;
    }
    if (offset > *size) {
        memset(*buf + *size, 0, offset - *size);
    }
    if (size_bytes > 0) { /* bytes may be NULL then */
        memcpy(*buf + offset, bytes, size_bytes);
    }
    if (end > *size) {
        *size = end;
    }
    assert(*size >= end);
    return 0;
}

int
kh_ff_apply_truncate(unsigned char **buf, uint64_t *size, uint64_t *capacity, uint64_t new_size)
{
    if (kh_ff_reserve((void **)buf, capacity, new_size, 1) != 0) {
        return -ENOMEM;
    }
    if (new_size > *size) {
        memset(*buf + *size, 0, new_size - *size);
    }
    *size = new_size;
    return 0;
}

int
kh_ff_apply_pending(unsigned char **buf, uint64_t *size, uint64_t *capacity,
                    const struct ff_write *w, uint64_t keep_bytes)
{
    if (w->is_truncate) {
        return kh_ff_apply_truncate(buf, size, capacity, w->offset);
    }
    uint64_t n = keep_bytes < w->size_bytes ? keep_bytes : w->size_bytes;
    return kh_ff_apply_write(buf, size, capacity, w->offset, w->bytes, n);
}

int
kh_ff_inode_add_pending(struct ff_inode *inode, const struct ff_write *w)
{
    assert(w->is_truncate || w->bytes != NULL);
    assert(inode->pending_count <= inode->pending_capacity);
    uint64_t capacity = inode->pending_capacity;
    if (kh_ff_reserve((void **)&inode->pending, &capacity, inode->pending_count + 1,
                      sizeof(*inode->pending)) != 0) {
        return -ENOMEM;
    }
    inode->pending_capacity = (size_t)capacity;
    inode->pending[inode->pending_count++] = *w;
    return 0;
}

/* A sync that runs out of memory part-way keeps the writes it has not applied, and only those:
 * the durable copy takes each write once, and no freed copy stays in the list. */
int
kh_ff_inode_sync(struct ff_inode *inode)
{
    assert(!inode->is_dir);
    for (size_t i = 0; i < inode->pending_count; i++) {
        struct ff_write *w = &inode->pending[i];
        if (kh_ff_apply_pending(&inode->durable, &inode->durable_size_bytes,
                                &inode->durable_capacity_bytes, w, UINT64_MAX) != 0) {
            inode->pending_count -= i;
            memmove(inode->pending, w, inode->pending_count * sizeof(*w));
            return -ENOMEM;
        }
        free(w->bytes);
    }
    inode->pending_count = 0;
    assert(inode->durable_size_bytes == inode->size_bytes);
    return 0;
}

/* ---- Namespaces ----------------------------------------------------------------------- */

struct ff_entry *
kh_ff_names_find(struct ff_names *names, const char *path)
{
    for (size_t i = 0; i < names->count; i++) {
        if (strcmp(names->entries[i].path, path) == 0) {
            return &names->entries[i];
        }
    }
    return NULL;
}

int
kh_ff_names_add(struct ff_names *names, const char *path, struct ff_inode *inode)
{
    assert(strlen(path) < KH_FAULTFS_PATH_MAX);
    assert(kh_ff_names_find(names, path) == NULL);
    uint64_t capacity = names->capacity;
    if (kh_ff_reserve((void **)&names->entries, &capacity, names->count + 1,
                      sizeof(*names->entries)) != 0) {
        return -ENOMEM;
    }
    names->capacity = (size_t)capacity;
    struct ff_entry *e = &names->entries[names->count++];
    snprintf(e->path, sizeof(e->path), "%s", path);
    e->inode = inode;
    return 0;
}

void
kh_ff_names_remove(struct ff_names *names, struct ff_entry *e)
{
    assert(e >= names->entries);
    assert(e < names->entries + names->count); /* so count > 0 */
    *e = names->entries[--names->count];
}

size_t
kh_ff_parent_len(const char *path)
{
    assert(path[0] == '/');
    const char *slash = strrchr(path, '/');
    return slash == path ? 1 : (size_t)(slash - path);
}

bool
kh_ff_is_child_of(const char *path, const char *dir)
{
    size_t n = kh_ff_parent_len(path);
    return strcmp(path, "/") != 0 && strlen(dir) == n && strncmp(path, dir, n) == 0;
}

int
kh_ff_names_sync_dir(struct ff_names *durable, const struct ff_names *current, const char *dir)
{
    for (size_t i = 0; i < durable->count;) {
        if (kh_ff_is_child_of(durable->entries[i].path, dir)) {
            kh_ff_names_remove(durable, &durable->entries[i]);
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < current->count; i++) {
        const struct ff_entry *e = &current->entries[i];
        if (kh_ff_is_child_of(e->path, dir) && kh_ff_names_add(durable, e->path, e->inode) != 0) {
            return -ENOMEM;
        }
    }
    return 0;
}
