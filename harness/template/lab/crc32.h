/* crc32.h -- CRC-32 of byte buffers (lab @LAB@).
 * The checksum zlib, gzip, PNG and Ethernet use. Read crc32_update first. Nothing here
 * allocates: every buffer is the caller's, borrowed for the length of one call. */
#ifndef KEEL_CRC32_H
#define KEEL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The generator x^32 + x^26 + x^23 + ... + x + 1 (IEEE 802.3), 0x04C11DB7, bit-reversed:
 * CRC-32 feeds each byte least significant bit first, so bit 0 holds the x^31 term. */
#define CRC32_POLY_REFLECTED 0xEDB88320u

#define CRC32_STATUSES(X)                                                                          \
    X(CRC32_OK, "ok")                                                                              \
    X(CRC32_INVALID, "invalid argument: buf is NULL with a size above 0, or out is NULL")          \
    X(CRC32_UNIMPLEMENTED, "not implemented yet (a TODO in the skeleton)")

typedef enum {
#define CRC32_ENUM(name, text) name,
    CRC32_STATUSES(CRC32_ENUM)
#undef CRC32_ENUM
} crc32_status;

/* A sentence naming status, for messages; never NULL. Given (crc32_given.c). */
const char *crc32_strerror(crc32_status status);

/* Extends crc, the CRC-32 of some bytes A, into *out, the CRC-32 of A followed by the
 * size_bytes bytes at buf. The CRC-32 of no bytes is 0, so a checksum starts from crc = 0,
 * and calls chain: the CRC of a then b is crc32_update(crc32_update(0, a), b), however the
 * bytes are split. Check value: the nine bytes "123456789" give 0xCBF43926.
 * buf may be NULL only when size_bytes is 0. Thread-safe; cost O(size_bytes).
 * Returns CRC32_OK with *out set, or CRC32_INVALID with *out untouched. */
crc32_status crc32_update(uint32_t crc, const void *buf, size_t size_bytes, uint32_t *out);

/* The definition, one bit at a time: what crc32_update must equal, and the baseline its
 * benchmark measures it against. Same chaining as crc32_update; buf as there, never NULL
 * with a size above 0. Given (crc32_given.c). Cost O(8 * size_bytes). */
uint32_t crc32_bitwise(uint32_t crc, const void *buf, size_t size_bytes);

#endif
