/* raft_msg_given.c -- lab 04, given: the wire format of a message (raft.h), used by the tests'
 * simulator and by the real server alike. All integers little-endian:
 *   header (104 bytes): u8 type, u8 flags (1: is_granted, 2: is_success, 4: is_done), u16 zero,
 *     u32 from, u32 to, u32 count (an append's entry_count, a snapshot chunk's size_bytes, else
 *     0), then u64 term, last_log_index, last_log_term, prev_index, prev_term, commit,
 *     match_index, conflict_index, conflict_term, offset, read_round;
 *   an append's entries, each (24 bytes + data): u64 term, u64 index, u8 type, 3 zero bytes,
 *     u32 size_bytes, then its data; or a snapshot chunk's data.
 * Decoding checks every length against what is left, so bytes from a broken peer are refused
 * with RAFT_BAD_MESSAGE, never read past. Do not change. */
#include "raft_internal.h"

#include <assert.h>
#include <string.h>

#define HEADER_BYTES 104u
#define ENTRY_HEADER_BYTES 24u
#define FLAG_GRANTED 1u
#define FLAG_SUCCESS 2u
#define FLAG_DONE 4u

size_t
raft_msg_encoded_size(const struct raft_msg *m)
{
    size_t size = HEADER_BYTES;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        return size + m->size_bytes;
    }
    for (uint32_t i = 0; i < m->entry_count; i++) {
        size += ENTRY_HEADER_BYTES + m->entries[i].size_bytes;
    }
    return size;
}

void
raft_msg_encode(const struct raft_msg *m, uint8_t *buf)
{
    assert(m->entry_count <= RAFT_APPEND_ENTRIES_MAX);
    assert(m->type == RAFT_MSG_APPEND || m->entry_count == 0);
    assert(m->size_bytes <= RAFT_SNAPSHOT_CHUNK_BYTES);
    memset(buf, 0, HEADER_BYTES);
    buf[0] = m->type;
    buf[1] = (uint8_t)((m->is_granted ? FLAG_GRANTED : 0) | (m->is_success ? FLAG_SUCCESS : 0) |
                       (m->is_done ? FLAG_DONE : 0));
    raft_put_u32(buf + 4, m->from);
    raft_put_u32(buf + 8, m->to);
    raft_put_u32(buf + 12, m->type == RAFT_MSG_SNAPSHOT ? m->size_bytes : m->entry_count);
    const uint64_t fields[] = {
        m->term,        m->last_log_index, m->last_log_term, m->prev_index, m->prev_term, m->commit,
        m->match_index, m->conflict_index, m->conflict_term, m->offset,     m->read_round};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        raft_put_u64(buf + 16 + 8 * i, fields[i]);
    }
    uint8_t *p = buf + HEADER_BYTES;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        if (m->size_bytes > 0) {
            memcpy(p, m->data, m->size_bytes);
        }
        p += m->size_bytes;
    }
    for (uint32_t i = 0; i < m->entry_count; i++) {
        const struct raft_entry *e = &m->entries[i];
        memset(p, 0, ENTRY_HEADER_BYTES);
        raft_put_u64(p, e->term);
        raft_put_u64(p + 8, e->index);
        p[16] = e->type;
        raft_put_u32(p + 20, e->size_bytes);
        if (e->size_bytes > 0) {
            memcpy(p + ENTRY_HEADER_BYTES, e->data, e->size_bytes);
        }
        p += ENTRY_HEADER_BYTES + e->size_bytes;
    }
    assert((size_t)(p - buf) == raft_msg_encoded_size(m));
}

/* Reads the entries after the header; RAFT_BAD_MESSAGE unless they fill the rest exactly. */
static raft_status
decode_entries(const uint8_t *p, size_t left, struct raft_msg *m, struct raft_entry *entries)
{
    for (uint32_t i = 0; i < m->entry_count; i++) {
        if (left < ENTRY_HEADER_BYTES || p[16] > RAFT_ENTRY_NOOP || p[17] || p[18] || p[19]) {
            return RAFT_BAD_MESSAGE;
        }
        struct raft_entry *e = &entries[i];
        e->term = raft_get_u64(p);
        e->index = raft_get_u64(p + 8);
        e->type = p[16];
        e->size_bytes = raft_get_u32(p + 20);
        left -= ENTRY_HEADER_BYTES;
        p += ENTRY_HEADER_BYTES;
        if (e->size_bytes > RAFT_ENTRY_BYTES_MAX || e->size_bytes > left) {
            return RAFT_BAD_MESSAGE;
        }
        e->data = e->size_bytes > 0 ? p : NULL;
        left -= e->size_bytes;
        p += e->size_bytes;
    }
    return left == 0 ? RAFT_OK : RAFT_BAD_MESSAGE;
}

raft_status
raft_msg_decode(const uint8_t *buf, size_t size_bytes, struct raft_msg *m,
                struct raft_entry *entries, size_t entries_max)
{
    memset(m, 0, sizeof(*m));
    if (size_bytes < HEADER_BYTES || buf[0] > RAFT_MSG_PRE_VOTE_REPLY ||
        (buf[1] & ~(FLAG_GRANTED | FLAG_SUCCESS | FLAG_DONE)) != 0 || buf[2] != 0 || buf[3] != 0) {
        return RAFT_BAD_MESSAGE;
    }
    m->type = buf[0];
    m->is_granted = (buf[1] & FLAG_GRANTED) != 0;
    m->is_success = (buf[1] & FLAG_SUCCESS) != 0;
    m->is_done = (buf[1] & FLAG_DONE) != 0;
    m->from = raft_get_u32(buf + 4);
    m->to = raft_get_u32(buf + 8);
    uint32_t count = raft_get_u32(buf + 12);
    uint64_t *fields[] = {&m->term,        &m->last_log_index, &m->last_log_term,
                          &m->prev_index,  &m->prev_term,      &m->commit,
                          &m->match_index, &m->conflict_index, &m->conflict_term,
                          &m->offset,      &m->read_round};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        *fields[i] = raft_get_u64(buf + 16 + 8 * i);
    }
    if (m->type == RAFT_MSG_SNAPSHOT) {
        if (count > RAFT_SNAPSHOT_CHUNK_BYTES || count != size_bytes - HEADER_BYTES) {
            return RAFT_BAD_MESSAGE;
        }
        m->size_bytes = count;
        m->data = count > 0 ? buf + HEADER_BYTES : NULL;
        return RAFT_OK;
    }
    m->entry_count = count;
    if (m->entry_count > RAFT_APPEND_ENTRIES_MAX || m->entry_count > entries_max ||
        (m->entry_count > 0 && m->type != RAFT_MSG_APPEND)) {
        return RAFT_BAD_MESSAGE;
    }
    m->entries = m->entry_count > 0 ? entries : NULL;
    return decode_entries(buf + HEADER_BYTES, size_bytes - HEADER_BYTES, m, entries);
}
