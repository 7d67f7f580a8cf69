/* record.c -- CRC-32C and the record and hint codecs (part A). Read bc_internal.h's format
 * table first. The CRC is slicing-by-8 (Intel's "Slicing-by-8", Kounavis and Berry, 2005):
 * eight tables let one step eat 8 bytes with 8 lookups, about 4x a byte-at-a-time table. */
#include "bc_internal.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u /* 0x1EDC6F41 bit-reversed (Castagnoli, 1993) */

static uint32_t crc_tables[8][256];
static pthread_once_t crc_tables_once = PTHREAD_ONCE_INIT;

static void
crc_tables_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++) {
            c = (c & 1u) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        }
        crc_tables[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            uint32_t prev = crc_tables[t - 1][i];
            crc_tables[t][i] = (prev >> 8) ^ crc_tables[0][prev & 0xffu];
        }
    }
    assert(crc_tables[0][1] == 0xF26B8303u); /* the first entry of the published table */
}

uint32_t
bc_crc32c(uint32_t crc, const void *buf, size_t size_bytes)
{
    pthread_once(&crc_tables_once, crc_tables_build);
    const unsigned char *p = buf;
    crc = ~crc;
    while (size_bytes >= 8) {
        uint64_t word;
        memcpy(&word, p, 8); /* little-endian hosts only, as the format is */
        word ^= crc;
        crc = crc_tables[7][word & 0xff] ^ crc_tables[6][(word >> 8) & 0xff] ^
              crc_tables[5][(word >> 16) & 0xff] ^ crc_tables[4][(word >> 24) & 0xff] ^
              crc_tables[3][(word >> 32) & 0xff] ^ crc_tables[2][(word >> 40) & 0xff] ^
              crc_tables[1][(word >> 48) & 0xff] ^ crc_tables[0][word >> 56];
        p += 8;
        size_bytes -= 8;
    }
    while (size_bytes-- > 0) {
        crc = (crc >> 8) ^ crc_tables[0][(crc ^ *p++) & 0xffu];
    }
    return ~crc;
}

static void
put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void
put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

/* A little-endian integer of size_bytes (at most 8). On a little-endian machine, one load: the
 * byte loop is not turned into one by GCC 12 at -O2, and start-up decodes a header per key. */
static uint64_t
get_le(const unsigned char *p, int size_bytes)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, (size_t)size_bytes);
#else
    for (int i = size_bytes - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
#endif
    return v;
}

/* The 12 bytes records and hints share: crc (filled last), version, flags, sizes. */
static void
encode_common(unsigned char *out, const struct bc_record *rec)
{
    out[4] = BC_FORMAT_VERSION;
    out[5] = rec->flags;
    put_u16(out + 6, rec->key_size_bytes);
    put_u32(out + 8, rec->value_size_bytes);
}

static bc_status
decode_common(const unsigned char *in, struct bc_record *rec)
{
    rec->flags = in[5];
    rec->key_size_bytes = (uint16_t)get_le(in + 6, 2);
    rec->value_size_bytes = (uint32_t)get_le(in + 8, 4);
    if (in[4] != BC_FORMAT_VERSION || (rec->flags & ~BC_FLAG_TOMBSTONE) != 0 ||
        rec->key_size_bytes == 0 || rec->key_size_bytes > BC_KEY_SIZE_MAX ||
        rec->value_size_bytes > BC_VALUE_SIZE_MAX) {
        return BC_CORRUPT;
    }
    return BC_OK;
}

void
bc_record_encode(void *out, const struct bc_record *rec, const void *key, const void *value)
{
    assert(rec->key_size_bytes > 0);
    assert(rec->key_size_bytes <= BC_KEY_SIZE_MAX);
    assert(rec->value_size_bytes <= BC_VALUE_SIZE_MAX);
    unsigned char *p = out;
    encode_common(p, rec);
    put_u64(p + 12, rec->timestamp_us);
    memcpy(p + BC_RECORD_HEADER_BYTES, key, rec->key_size_bytes);
    if (rec->value_size_bytes > 0) {
        memcpy(p + BC_RECORD_HEADER_BYTES + rec->key_size_bytes, value, rec->value_size_bytes);
    }
    uint64_t size = bc_record_size(rec->key_size_bytes, rec->value_size_bytes);
    put_u32(p, bc_crc32c(0, p + 4, size - 4));
    assert(bc_record_is_intact(p, size));
}

bc_status
bc_record_decode_header(const void *header, struct bc_record *rec)
{
    const unsigned char *p = header;
    bc_status st = decode_common(p, rec);
    rec->timestamp_us = get_le(p + 12, 8);
    rec->offset = 0;
    if (st == BC_OK && (rec->flags & BC_FLAG_TOMBSTONE) && rec->value_size_bytes != 0) {
        st = BC_CORRUPT;
    }
    return st;
}

bool
bc_record_is_intact(const void *record, uint64_t size_bytes)
{
    assert(size_bytes >= BC_RECORD_HEADER_BYTES);
    const unsigned char *p = record;
    return (uint32_t)get_le(p, 4) == bc_crc32c(0, p + 4, size_bytes - 4);
}

void
bc_hint_encode(void *out, const struct bc_record *rec, const void *key)
{
    assert(rec->key_size_bytes > 0);
    unsigned char *p = out;
    encode_common(p, rec);
    put_u64(p + 12, rec->offset);
    put_u64(p + 20, rec->timestamp_us);
    memcpy(p + BC_HINT_HEADER_BYTES, key, rec->key_size_bytes);
    uint64_t size = BC_HINT_HEADER_BYTES + (uint64_t)rec->key_size_bytes;
    put_u32(p, bc_crc32c(0, p + 4, size - 4));
    assert(bc_hint_is_intact(p, size));
}

bc_status
bc_hint_decode_header(const void *header, struct bc_record *rec)
{
    const unsigned char *p = header;
    bc_status st = decode_common(p, rec);
    rec->offset = get_le(p + 12, 8);
    rec->timestamp_us = get_le(p + 20, 8);
    return st;
}

bool
bc_hint_is_intact(const void *hint, uint64_t size_bytes)
{
    assert(size_bytes >= BC_HINT_HEADER_BYTES);
    const unsigned char *p = hint;
    return (uint32_t)get_le(p, 4) == bc_crc32c(0, p + 4, size_bytes - 4);
}
