/* faultfs_disk.h -- the disk model under faultfs.c, private to libharness: a file's bytes as a
 * read sees them now and as of its last fsync, with the writes in between, and the flat
 * namespaces of paths (the current one and the durable one). Every buffer is owned by the struct
 * that points at it and grows by doubling. Not thread-safe: faultfs.c calls all of this with its
 * mutex held. Read struct ff_inode first. */
#ifndef KEEL_FAULTFS_DISK_H
#define KEEL_FAULTFS_DISK_H

#include "kh_faultfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One write (or truncate) since the last fsync of a file, with its own copy of the bytes. */
struct ff_write {
    uint64_t offset; /* a truncate's new size */
    uint64_t size_bytes;
    bool is_truncate;
    unsigned char *bytes; /* owned */
};

/* A file's contents: now (data) and as of its last fsync (durable). Inodes live until the fs is
 * destroyed (a crash image may still need an unlinked file's durable name). */
struct ff_inode {
    bool is_dir;
    unsigned char *data; /* owned */
    uint64_t size_bytes;
    uint64_t capacity_bytes;
    unsigned char *durable; /* owned */
    uint64_t durable_size_bytes;
    uint64_t durable_capacity_bytes;
    struct ff_write *pending; /* owned */
    size_t pending_count;
    size_t pending_capacity;
    int lock_fd; /* the descriptor holding the lock, or -1 */
    struct ff_inode *next_all;
};

struct ff_entry {
    char path[KH_FAULTFS_PATH_MAX];
    struct ff_inode *inode; /* borrowed: the fs's list of every inode owns it */
};

/* A namespace: the whole tree as a flat list of paths (a store's directory holds few files). */
struct ff_names {
    struct ff_entry *entries; /* owned */
    size_t count;
    size_t capacity;
};

/* Grows *buf (elements of elem_size bytes) to hold at least need elements, doubling from 16.
 * Returns 0, or -ENOMEM with *buf and *capacity unchanged. */
int kh_ff_reserve(void **buf, uint64_t *capacity, uint64_t need, size_t elem_size);

/* ---- Files ---------------------------------------------------------------------------- */

/* An empty file (or directory), pushed onto the list *all, which owns it: free each inode of
 * the list with kh_ff_inode_free. NULL on out of memory. */
struct ff_inode *kh_ff_inode_new(struct ff_inode **all, bool is_dir);
/* Frees inode with its bytes and its pending writes. Unlinks it from no list. */
void kh_ff_inode_free(struct ff_inode *inode);

/* Sets (*buf, *size) to the result of writing bytes[0 .. size_bytes) at offset, zero-filling any
 * hole (bytes may be NULL when size_bytes is 0). Returns 0 or -ENOMEM (offset + size wraps, or
 * no memory), leaving *buf's bytes as they were. */
int kh_ff_apply_write(unsigned char **buf, uint64_t *size, uint64_t *capacity, uint64_t offset,
                      const void *bytes, uint64_t size_bytes);
/* Cuts or zero-extends (*buf, *size) to new_size. Returns 0 or -ENOMEM. */
int kh_ff_apply_truncate(unsigned char **buf, uint64_t *size, uint64_t *capacity,
                         uint64_t new_size);
/* Applies w, or only its first keep_bytes bytes (a truncate whole), to (*buf, *size). Returns 0
 * or -ENOMEM. */
int kh_ff_apply_pending(unsigned char **buf, uint64_t *size, uint64_t *capacity,
                        const struct ff_write *w, uint64_t keep_bytes);

/* Appends w to inode's pending writes; the inode takes w->bytes on success only. 0 or -ENOMEM. */
int kh_ff_inode_add_pending(struct ff_inode *inode, const struct ff_write *w);
/* fsync of a file: the pending writes reach the durable copy, in order, and are freed. Returns
 * 0 (durable equals data), or -ENOMEM with the writes not yet applied still pending. */
int kh_ff_inode_sync(struct ff_inode *inode);

/* ---- Namespaces ----------------------------------------------------------------------- */

/* The entry named path, or NULL. Borrowed: valid until names next changes. Cost O(count). */
struct ff_entry *kh_ff_names_find(struct ff_names *names, const char *path);
/* Adds path (which must not be in names; < KH_FAULTFS_PATH_MAX bytes) naming inode. 0 or
 * -ENOMEM. */
int kh_ff_names_add(struct ff_names *names, const char *path, struct ff_inode *inode);
/* Removes e, an entry of names; the last entry moves into its place. */
void kh_ff_names_remove(struct ff_names *names, struct ff_entry *e);

/* The length of path's parent: "/a/b" -> 2 ("/a"), "/a" -> 1 ("/"). path is absolute. */
size_t kh_ff_parent_len(const char *path);
/* Whether dir is path's parent ("/" is no one's child). */
bool kh_ff_is_child_of(const char *path, const char *dir);
/* fsync of directory dir: its entries in durable become those it has in current. 0, or -ENOMEM
 * with durable holding only some of them. */
int kh_ff_names_sync_dir(struct ff_names *durable, const struct ff_names *current, const char *dir);

#endif
