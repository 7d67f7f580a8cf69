/* raft_storage.h -- lab 04 parts C and D: a node's stable storage (Figure 2, "persistent state
 * on all servers"): its hard state, its log and (part D) its snapshot, in one directory, written
 * through lab 03's struct bc_io (bitcask.h), so that the tests can run it on faultfs and crash it
 * at every call. raft_storage_save carries out step 1 of a raft_ready: once it returns RAFT_OK,
 * everything it was given survives any crash. Read the file formats first. One thread at a time.
 *
 * The directory holds three files, all integers little-endian:
 *   "state", 24 bytes, the hard state: u32 CRC-32C of bytes 4-23, u32 version (1), u64 term,
 *     u32 vote, u32 zero. It is never written in place: a new one is written whole to
 *     "state.tmp", synced, renamed over "state", and the directory synced, so a crash leaves
 *     the old state or the new one. A "state" that fails its checksum was not written by a
 *     save: RAFT_CORRUPT.
 *   "log", the entries, one record each from index 1 on: u32 CRC-32C of the rest of the
 *     record, u32 data size, u64 term, u64 index, u8 type, 3 zero bytes, then the data
 *     (RAFT_STORAGE_RECORD_HEADER_BYTES + data). Deleting the entries from index i on cuts the
 *     file at record i; new entries are appended; then the file is synced. A crash can tear
 *     only records written since the last sync, the last ones: on open, the log is read up to
 *     its first torn or bad record and cut there.
 *   "snapshot" (part D): u32 CRC-32C of every byte after it, u32 version (1), u64 index, u64
 *     term, u64 data size, then the data (RAFT_STORAGE_SNAPSHOT_HEADER_BYTES + data). Written
 *     as "state" is, through "snapshot.tmp". Saving one also removes the log's records through
 *     its index: the log is rewritten whole to "log.tmp", synced, renamed over "log", and the
 *     directory synced, keeping the records after the snapshot's index only if the record at
 *     its index has its term (else none: Figure 13, steps 6 and 7).
 * A missing file is an empty one (a new node: term 0, no vote, no snapshot, no entry); a
 * ".tmp" file left by a crash is removed on open. With a snapshot, the log's records may start
 * anywhere up to its index + 1 (a crash can come between the two renames); open hands out the
 * entries after its index, only if the log holds its index with its term or starts just after
 * it, and otherwise none, emptying the log (records left before the index would make a later
 * open drop what is appended after them). */
#ifndef KEEL_RAFT_STORAGE_H
#define KEEL_RAFT_STORAGE_H

#include "bitcask.h"
#include "raft.h"

#define RAFT_STORAGE_STATE_BYTES 24u
#define RAFT_STORAGE_RECORD_HEADER_BYTES 28u
#define RAFT_STORAGE_SNAPSHOT_HEADER_BYTES 32u
#define RAFT_STORAGE_VERSION 1u
/* Bytes of dir + "/snapshot.tmp" (the longest name), with the NUL. */
#define RAFT_STORAGE_PATH_MAX 256u

struct raft_storage;

/* Opens the store in dir (which must exist), through io (borrowed: it must outlive the store),
 * and reads what it holds: *hard_state, *snapshot (index 0 for none) and *entries (*entry_count
 * of them, indexes from snapshot->index + 1), borrowed until the next call on *out: what
 * raft_create takes. Returns RAFT_OK (*out owned: raft_storage_close), RAFT_IO (a call failed,
 * or dir is too long), RAFT_CORRUPT (a "state" or "snapshot" that fails its checksum, size or
 * version; a snapshot whose term is above the state's; a log whose records are intact but out
 * of order: an index that does not follow, a term that goes back or is above the state's, a
 * first record past the snapshot's index + 1) or RAFT_NOMEM. */
raft_status raft_storage_open(const struct bc_io *io, const char *dir, struct raft_storage **out,
                              struct raft_hard_state *hard_state, struct raft_snapshot *snapshot,
                              const struct raft_entry **entries, size_t *entry_count);

/* Step 1 of rd (raft.h, struct raft_ready): the hard state if rd->has_hard_state, written
 * before the rest, so that nothing on disk is of a term the state does not hold; then, if
 * rd->has_snapshot, the snapshot and the log's rewrite; then, if rd->has_log_change, the log
 * from rd->log_from_index on (the snapshot's index < log_from_index <= the last index + 1);
 * then a sync. Returns RAFT_OK when all of it is durable; RAFT_IO, after which the
 * store is failed and every later save returns RAFT_IO at once (what reached the disk is
 * unknown: reopen to find out); or RAFT_NOMEM, with the store failed the same way. */
raft_status raft_storage_save(struct raft_storage *s, const struct raft_ready *rd);

void raft_storage_close(struct raft_storage *s);

#endif
