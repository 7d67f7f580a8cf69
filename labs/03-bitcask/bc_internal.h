/* bc_internal.h -- what the lab's .c files share: the on-disk format (record.c), the keydir
 * (keydir.c), and struct bc_db with the helpers bitcask.c gives merge.c. Students do not edit
 * this file. Read the format first.
 *
 * ON-DISK FORMAT, version 1. A store is a directory holding LOCK, data files and hint files.
 * A data file is named MMMMMMMMMM-NNNNN.data: file id (M, N), compared as a pair. Regular
 * files have N = 0 and M counting up; a merge of files up to major M writes (M, k), k >= 1,
 * which sort after every file they replace and before every newer file. On open, files are
 * read in id order and a later record of a key wins. A data file is a sequence of records,
 * all integers little-endian:
 *
 *   offset size  field
 *   0      4     crc32c   CRC-32C (Castagnoli) of bytes 4 .. end of the record
 *   4      1     version  BC_FORMAT_VERSION
 *   5      1     flags    bit 0: tombstone (the key was deleted; value_size is 0)
 *   6      2     key_size
 *   8      4     value_size
 *   12     8     timestamp_us   Unix time of the put, microseconds
 *   20     ...   key bytes, then value bytes
 *
 * A hint file MMMMMMMMMM-NNNNN.hint, written by merge next to the data file of the same id,
 * holds one record per live key in it: the same 12 first bytes (crc32c over the rest, version,
 * flags, key_size, value_size), then offset (8: where the data record starts), timestamp_us
 * (8), key. Files being written end in .tmp and are deleted on open. */
#ifndef KEEL_BC_INTERNAL_H
#define KEEL_BC_INTERNAL_H

#include "bitcask.h"

#include <pthread.h>
#include <string.h>

#define BC_FORMAT_VERSION 1u
#define BC_RECORD_HEADER_BYTES 20u
#define BC_HINT_HEADER_BYTES 28u
#define BC_FLAG_TOMBSTONE 0x01u
#define BC_RECORD_BYTES_MAX (BC_RECORD_HEADER_BYTES + BC_KEY_SIZE_MAX + BC_VALUE_SIZE_MAX)
_Static_assert(BC_KEY_SIZE_MAX <= UINT16_MAX, "key_size is a 2-byte field");

/* ---- record.c: CRC-32C and the record and hint codecs (part A) ------------------------- */

/* CRC-32C, the Castagnoli polynomial 0x1EDC6F41 (reflected: 0x82F63B78), as in iSCSI
 * (RFC 3720 B.4), ext4 and LevelDB: bc_crc32c(0, "123456789", 9) == 0xE3069283. Chains:
 * bc_crc32c(bc_crc32c(0, a), b) is the CRC of a then b. Cost O(size_bytes). */
uint32_t bc_crc32c(uint32_t crc, const void *buf, size_t size_bytes);

struct bc_record {
    uint8_t flags;
    uint16_t key_size_bytes;
    uint32_t value_size_bytes;
    uint64_t timestamp_us;
    uint64_t offset; /* hint records only: where the data record starts */
};

/* The bytes a record of these sizes takes on disk. */
static inline uint64_t
bc_record_size(size_t key_size_bytes, size_t value_size_bytes)
{
    return BC_RECORD_HEADER_BYTES + (uint64_t)key_size_bytes + value_size_bytes;
}

/* Writes the record (header, key, value) into out, which holds bc_record_size bytes. */
void bc_record_encode(void *out, const struct bc_record *rec, const void *key, const void *value);
/* Reads a header. BC_OK, or BC_CORRUPT when the version or a size is out of range. */
bc_status bc_record_decode_header(const void *header, struct bc_record *rec);
/* True when a whole record (header and body as encoded) has a matching CRC. */
bool bc_record_is_intact(const void *record, uint64_t size_bytes);

/* Hint records: the same, with offset, and no value. Sizes BC_HINT_HEADER_BYTES + key. */
void bc_hint_encode(void *out, const struct bc_record *rec, const void *key);
bc_status bc_hint_decode_header(const void *header, struct bc_record *rec);
bool bc_hint_is_intact(const void *hint, uint64_t size_bytes);

/* ---- keydir.c: key -> where its latest value is (part A) -------------------------------- */

struct bc_keydir_entry {
    char *key; /* NULL marks an empty slot; the bytes belong to the keydir */
    uint64_t hash;
    uint64_t file_id;
    uint64_t offset; /* of the record */
    uint32_t value_size_bytes;
    uint16_t key_size_bytes;
    uint64_t timestamp_us;
};

/* The reference keydir's hash: FNV-1a's multiply (Fowler, Noll, Vo), eight bytes at a time,
 * then MurmurHash3's 64-bit finalizer (Appleby) so every input bit reaches the high bits the
 * reference indexes slots with. Two multiplies for a 16-byte key instead of sixteen.
 * Optional: any hash makes a correct keydir. It is here because merge writes each hint file
 * in ascending order of this hash, so that a keydir indexing slots by its high bits
 * (hash >> (64 - log2(capacity))) fills its slots front to back at start-up, for any
 * power-of-two capacity, instead of one random cache miss per key. */
static inline uint64_t
bc_keydir_hash(const void *key, size_t size_bytes)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325u ^ size_bytes;
    for (; size_bytes >= 8; p += 8, size_bytes -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = (h ^ word) * 0x100000001b3u;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, size_bytes);
    h = (h ^ tail) * 0x100000001b3u;
    h ^= h >> 33; /* fmix64 */
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 33);
}

struct bc_key_block; /* keydir.c's, if it keeps keys in large blocks (the reference does) */

/* Open addressing with linear probing; capacity a power of two, at most 3/4 full. */
struct bc_keydir {
    struct bc_keydir_entry *slots; /* owned */
    size_t capacity;
    size_t count;
    /* Optional (a malloc per key is fine): the reference's key arena, and how many of its bytes
     * hold live keys and deleted ones (reclaimed when the dead outnumber the live). */
    struct bc_key_block *key_blocks; /* owned */
    size_t key_bytes_live;
    size_t key_bytes_dead;
};

bc_status bc_keydir_init(struct bc_keydir *kd, size_t count_hint);
void bc_keydir_free(struct bc_keydir *kd);
/* Borrowed until the next bc_keydir_put or bc_keydir_delete; NULL when missing. */
struct bc_keydir_entry *bc_keydir_find(const struct bc_keydir *kd, const void *key,
                                       size_t key_size_bytes);
/* Inserts key or updates its location from loc (loc's key fields are ignored). BC_OK or
 * BC_NOMEM (kd unchanged). */
bc_status bc_keydir_put(struct bc_keydir *kd, const void *key, size_t key_size_bytes,
                        const struct bc_keydir_entry *loc);
/* True when key was there. */
bool bc_keydir_delete(struct bc_keydir *kd, const void *key, size_t key_size_bytes);
/* Optional (doing nothing is correct): start loading into the cache the slots that keys with
 * hashes in [hash_first, hash_last] go to, so that start-up, which loads hints in hash order,
 * finds them there. */
void bc_keydir_prefetch(const struct bc_keydir *kd, uint64_t hash_first, uint64_t hash_last);

/* The reference's start-up checks the CRCs of a run of hint files on a second thread when the
 * run holds at least this many bytes of hints (16 MiB; smaller runs are checked on the opening
 * thread, where they open faster). A test sets it to 0 to run that thread on a small store under
 * ThreadSanitizer. Defined in bitcask_given.c; your code may ignore it. */
extern uint64_t bc_hint_thread_bytes_min;

/* ---- The db (bitcask.c), shared with merge.c -------------------------------------------- */

#define BC_FILE_MINOR_MAX 99999u /* file names give the minor number five digits */
#define BC_FILE_ID(major, minor) (((uint64_t)(major) << 32) | (uint32_t)(minor))
#define BC_FILE_MAJOR(id) ((uint32_t)((id) >> 32))
#define BC_FILE_MINOR(id) ((uint32_t)(id))

struct bc_file {
    uint64_t id;
    int fd;
    uint64_t size_bytes; /* the active file: where the next record goes */
    unsigned pin_count;  /* fsyncs running on fd outside the lock */
    bool is_retired;     /* merged away: close fd once pin_count is 0 */
    /* Optional (the reference maps files for gets when the io can): fd mapped read-only. */
    const unsigned char *map; /* owned: unmap before closing fd */
    uint64_t map_bytes;
};

struct bc_db {
    char dir[BC_PATH_MAX];
    struct bc_options options;
    const struct bc_io *io;
    int lock_fd;
    int dir_fd;

    pthread_mutex_t mutex; /* guards everything below up to sync_mutex */
    struct bc_file *files; /* owned, sorted by id; the last one is active */
    size_t file_count;
    size_t file_capacity;
    struct bc_file *retired; /* owned: merged-away files still pinned by an fsync */
    size_t retired_count;
    struct bc_keydir keydir;
    unsigned char *scratch; /* owned: encode and read buffer for puts and gets */
    size_t scratch_size_bytes;
    /* Optional (the reference has it; 0 capacity means every record is written at once): the
     * active file's newest records, not yet written, which belong at the file's size_bytes -
     * append_bytes. Written out when full, before an fsync, at rotation and at close. */
    unsigned char *append_buf; /* owned */
    size_t append_bytes;
    size_t append_capacity_bytes; /* BC_APPEND_BUFFER_BYTES under NONE and INTERVAL, else 0 */
    uint64_t written_seq;         /* puts and deletes appended so far */
    bool is_failed;               /* a write or fsync failed: refuse writes until reopened */
    bc_status failed_status;
    bool is_merging;
    char error[BC_ERROR_MAX];
    struct bc_stats stats;

    pthread_mutex_t sync_mutex; /* guards the group commit state below */
    pthread_cond_t sync_cond;
    uint64_t synced_seq;     /* every put with seq <= synced_seq is durable; stored atomically */
    bool is_syncing;         /* a leader is in its round now; stored atomically */
    unsigned waiter_count;   /* atomic: writers waiting in bc_wait_durable for a leader */
    unsigned writers_in_put; /* atomic: BC_SYNC_ALWAYS puts and deletes under way */
    bc_status sync_status;

    pthread_t interval_thread; /* BC_SYNC_INTERVAL only, when has_interval_thread */
    bool has_interval_thread;
    bool is_closing; /* under sync_mutex */
};

/* Writes dir/MMMMMMMMMM-NNNNN<suffix> into out (BC_PATH_MAX). */
void bc_file_path(const struct bc_db *db, uint64_t id, const char *suffix, char out[BC_PATH_MAX]);
/* pwrite all of buf, retrying short writes. 0 or -errno. */
int bc_write_all(const struct bc_db *db, int fd, const void *buf, size_t size_bytes,
                 uint64_t offset);
/* Syncs the active file and starts the next major's (db->mutex held): put calls it when the
 * active file is full, and merge when its major has too few minor numbers left for its outputs.
 * BC_OK, or the handle's failure. */
bc_status bc_rotate(struct bc_db *db);
/* Maps -errno to BC_NO_SPACE or BC_IO. */
bc_status bc_status_of_errno(int neg_errno);
/* Records a message for bc_last_error (db->mutex held). */
void bc_set_error(struct bc_db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes a file, or retires it when an fsync still runs on it (db->mutex held). */
void bc_file_release(struct bc_db *db, struct bc_file *file);
/* Reads the record at offset of file into db->scratch and checks it (db->mutex held).
 * BC_OK with *rec, BC_CORRUPT (message set), BC_IO or BC_NOMEM. */
bc_status bc_read_record(struct bc_db *db, const struct bc_file *file, uint64_t offset,
                         uint64_t size_bytes, struct bc_record *rec);

/* The BC_SYNC_INTERVAL thread's main (bitcask.c); arg is the db. */
void *bc_interval_main(void *arg);

#endif
