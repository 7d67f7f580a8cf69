/* crc32.c -- CRC-32, a byte per step (lab @LAB@; the reference).
 * Sarwate's table: entry i is what eight bitwise steps do to a register holding byte i, so
 * one lookup replaces eight steps (D. Sarwate, CACM 31(8), 1988). Read crc32.h first. */
#include "crc32.h"

#include <assert.h>
#include <pthread.h>

#define CRC32_TABLE_SIZE 256u /* one entry per byte value */

static uint32_t crc32_table[CRC32_TABLE_SIZE];
static pthread_once_t crc32_table_once = PTHREAD_ONCE_INIT;

/* Fills the table once, before the first CRC (pthread_once orders it before every reader). */
static void
crc32_table_build(void)
{
    for (uint32_t i = 0; i < CRC32_TABLE_SIZE; i++) {
        uint32_t reg = i;
        for (int bit = 0; bit < 8; bit++) {
            reg = (reg >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (reg & 1u)));
        }
        crc32_table[i] = reg;
    }
    /* Byte 0x80 has its one set bit shifted out on the eighth step: the generator itself. */
    assert(crc32_table[0x80] == CRC32_POLY_REFLECTED);
    assert(crc32_table[1] == 0x77073096u); /* the first non-zero entry of the published table */
}

crc32_status
crc32_update(uint32_t crc, const void *buf, size_t size_bytes, uint32_t *out)
{
    if (out == NULL || (buf == NULL && size_bytes > 0)) {
        return CRC32_INVALID;
    }
    pthread_once(&crc32_table_once, crc32_table_build);
    const unsigned char *p = buf;
    uint32_t reg = ~crc; /* undo the final inversion of the CRC we extend */
    for (size_t i = 0; i < size_bytes; i++) {
        reg = (reg >> 8) ^ crc32_table[(reg ^ p[i]) & 0xffu];
    }
    *out = ~reg;
    return CRC32_OK;
}
