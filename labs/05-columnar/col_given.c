/* col_given.c -- the kit's part of col.h, encoding.h and cache.h (lab 05): names of statuses,
 * types, encodings and tiers; errors; string order; CRC-32C; dates and decimals as text.
 * Students do not change this file. */
#include "cache.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

const char *
col_strerror(col_status status)
{
    switch (status) {
#define COL_STATUS_TEXT(name, text)                                                                \
    case name:                                                                                     \
        return text;
        COL_STATUS_LIST(COL_STATUS_TEXT)
#undef COL_STATUS_TEXT
    }
    return "unknown status";
}

const char *
col_type_name(enum col_type type)
{
    switch (type) {
#define COL_TYPE_TEXT(name, text)                                                                  \
    case name:                                                                                     \
        return text;
        COL_TYPE_LIST(COL_TYPE_TEXT)
#undef COL_TYPE_TEXT
    case COL_TYPE_COUNT:
        break;
    }
    return "?";
}

const char *
col_encoding_name(enum col_encoding encoding)
{
    switch (encoding) {
#define COL_ENCODING_TEXT(name, text)                                                              \
    case name:                                                                                     \
        return text;
        COL_ENCODING_LIST(COL_ENCODING_TEXT)
#undef COL_ENCODING_TEXT
    case COL_ENCODING_COUNT:
        break;
    }
    return "?";
}

const char *
col_tier_name(enum col_tier tier)
{
    switch (tier) {
#define COL_TIER_TEXT(name, text)                                                                  \
    case name:                                                                                     \
        return text;
        COL_TIER_LIST(COL_TIER_TEXT)
#undef COL_TIER_TEXT
    case COL_TIER_COUNT:
        break;
    }
    return "?";
}

bool
col_encoding_applies(enum col_encoding encoding, enum col_type type)
{
    switch (encoding) {
    case COL_ENC_PLAIN:
        return (unsigned)type < COL_TYPE_COUNT;
    case COL_ENC_BITPACK:
        return col_type_is_integer(type);
    case COL_ENC_RLE:
        return col_type_is_integer(type) || type == COL_FLOAT64;
    case COL_ENC_DICT:
        return type == COL_STRING;
    case COL_ENCODING_COUNT:
        break;
    }
    return false;
}

size_t
col_type_width(enum col_type type)
{
    switch (type) {
    case COL_INT32:
    case COL_DATE:
        return 4;
    case COL_INT64:
    case COL_DECIMAL:
    case COL_FLOAT64:
        return 8;
    case COL_STRING:
        return sizeof(struct col_str);
    case COL_TYPE_COUNT:
        break;
    }
    return 0;
}

col_status
col_fail(struct col_error *err, col_status status, const char *format, ...)
{
    assert(status != COL_OK);
    if (err != NULL) {
        err->status = status;
        va_list args;
        va_start(args, format);
        vsnprintf(err->message, sizeof(err->message), format, args);
        va_end(args);
    }
    return status;
}

int
col_str_compare(struct col_str a, struct col_str b)
{
    uint32_t common = a.size_bytes < b.size_bytes ? a.size_bytes : b.size_bytes;
    int order = common == 0 ? 0 : memcmp(a.ptr, b.ptr, common);
    if (order != 0) {
        return order;
    }
    return (a.size_bytes > b.size_bytes) - (a.size_bytes < b.size_bytes);
}

uint64_t
col_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

uint64_t
col_hash_bytes(const void *bytes, size_t size_bytes)
{
    /* Eight bytes a step, each multiplied in and folded down (MurmurHash3's first constant),
     * the last few bytes as one zero-padded word, then col_hash_mix: one dependent multiply a
     * word, where FNV-1a's byte a step took one a byte. The size goes in first, so "a" and
     * "a\0" differ. */
    const unsigned char *p = bytes;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)size_bytes;
    size_t i = 0;
    for (; i + 8 <= size_bytes; i += 8) {
        uint64_t word;
        memcpy(&word, p + i, sizeof(word));
        h = (h ^ word) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    if (i < size_bytes) { /* an empty string's pointer may be NULL */
        memcpy(&tail, p + i, size_bytes - i);
    }
    return col_hash_mix((h ^ tail) * 0xc4ceb9fe1a85ec53ull);
}

/* CRC-32C. The polynomial 0x1EDC6F41 (Castagnoli), bit-reversed, as iSCSI and ext4 use it. */
#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc32c_table[256];

static void
crc32c_table_build(void)
{
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t reg = byte;
        for (int bit = 0; bit < 8; bit++) {
            reg = (reg >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (reg & 1u)));
        }
        crc32c_table[byte] = reg;
    }
}

/* The SSE4.2 instruction does eight bytes a step, about 8 bytes per 3 cycles; the table, one. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hardware(uint32_t reg, const unsigned char *p, size_t size_bytes)
{
    uint64_t wide = reg;
    while (size_bytes >= 8) {
        uint64_t word;
        memcpy(&word, p, sizeof(word));
        wide = __builtin_ia32_crc32di(wide, word);
        p += 8;
        size_bytes -= 8;
    }
    reg = (uint32_t)wide;
    while (size_bytes-- > 0) {
        reg = __builtin_ia32_crc32qi(reg, *p++);
    }
    return reg;
}

static uint32_t
crc32c_software(uint32_t reg, const unsigned char *p, size_t size_bytes)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, crc32c_table_build);
    for (size_t i = 0; i < size_bytes; i++) {
        reg = (reg >> 8) ^ crc32c_table[(reg ^ p[i]) & 0xffu];
    }
    return reg;
}

uint32_t
col_crc32c(uint32_t crc, const void *buf, size_t size_bytes)
{
    assert(buf != NULL || size_bytes == 0);
    /* The register is kept inverted, so leading zero bytes change the CRC. */
    uint32_t reg = ~crc;
    if (__builtin_cpu_supports("sse4.2")) {
        reg = crc32c_hardware(reg, buf, size_bytes);
    } else {
        reg = crc32c_software(reg, buf, size_bytes);
    }
    return ~reg;
}

/* Dates: days from the civil calendar and back, by whole 400-year eras of 146,097 days, which
 * repeat exactly (Howard Hinnant's "chrono-compatible low-level date algorithms"). March is
 * month 0 of a shifted year, so the leap day falls at the year's end. */
int32_t
col_date_from_ymd(int32_t year, int32_t month, int32_t day)
{
    year -= month <= 2;
    int32_t era = (year >= 0 ? year : year - 399) / 400;
    int32_t year_of_era = year - era * 400;
    int32_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int32_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468; /* 719,468 days from 0000-03-01 to 1970-01-01 */
}

void
col_date_to_ymd(int32_t days, int32_t *year, int32_t *month, int32_t *day)
{
    days += 719468;
    int32_t era = (days >= 0 ? days : days - 146096) / 146097;
    int32_t day_of_era = days - era * 146097;
    int32_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int32_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int32_t shifted_month = (5 * day_of_year + 2) / 153;
    *day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    *month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    *year = year_of_era + era * 400 + (*month <= 2);
}

static bool
digits_value(const char *text, size_t count, int32_t *value)
{
    int32_t v = 0;
    for (size_t i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        v = v * 10 + (text[i] - '0');
    }
    *value = v;
    return true;
}

bool
col_date_parse(const char *text, size_t size_bytes, int32_t *days)
{
    int32_t year, month, day;
    if (size_bytes != 10 || text[4] != '-' || text[7] != '-' || !digits_value(text, 4, &year) ||
        !digits_value(text + 5, 2, &month) || !digits_value(text + 8, 2, &day)) {
        return false;
    }
    if (year < 1 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    /* A real calendar day: the round trip through days gives the same day back. */
    int32_t d = col_date_from_ymd(year, month, day);
    int32_t y2, m2, day2;
    col_date_to_ymd(d, &y2, &m2, &day2);
    if (y2 != year || m2 != month || day2 != day) {
        return false;
    }
    *days = d;
    return true;
}

void
col_date_format(int32_t days, char out[11])
{
    int32_t year, month, day;
    col_date_to_ymd(days, &year, &month, &day);
    /* Digit by digit: years outside 1..9999 (not a DATE a file holds) wrap, never overflow. */
    uint32_t y = (uint32_t)((year % 10000 + 10000) % 10000);
    const uint32_t fields[3] = {y, (uint32_t)month, (uint32_t)day};
    const int widths[3] = {4, 2, 2};
    char *p = out;
    for (int f = 0; f < 3; f++) {
        uint32_t v = fields[f];
        for (int i = widths[f] - 1; i >= 0; i--) {
            p[i] = (char)('0' + v % 10);
            v /= 10;
        }
        p += widths[f];
        *p++ = f < 2 ? '-' : '\0';
    }
}

int64_t
col_pow10(uint8_t scale)
{
    assert(scale <= COL_DECIMAL_SCALE_MAX);
    int64_t p = 1;
    for (uint8_t i = 0; i < scale; i++) {
        p *= 10;
    }
    return p;
}

bool
col_decimal_parse(const char *text, size_t size_bytes, uint8_t scale, int64_t *value)
{
    assert(scale <= COL_DECIMAL_SCALE_MAX);
    size_t i = 0;
    bool is_negative = false;
    if (i < size_bytes && (text[i] == '-' || text[i] == '+')) {
        is_negative = text[i] == '-';
        i++;
    }
    uint64_t v = 0;
    unsigned digits = 0, fraction_digits = 0;
    bool has_point = false;
    for (; i < size_bytes; i++) {
        if (text[i] == '.' && !has_point) {
            has_point = true;
            continue;
        }
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        if (has_point && ++fraction_digits > scale) {
            return false;
        }
        v = v * 10 + (uint64_t)(text[i] - '0');
        if (++digits > 18) {
            return false; /* 18 digits always fit in int64_t, scaled or not */
        }
    }
    if (digits == 0) {
        return false;
    }
    for (; fraction_digits < scale; fraction_digits++) {
        if (v > (uint64_t)INT64_MAX / 10) {
            return false;
        }
        v *= 10;
    }
    *value = is_negative ? -(int64_t)v : (int64_t)v;
    return true;
}

int
col_decimal_format(int64_t value, uint8_t scale, char *out, size_t out_size)
{
    assert(scale <= COL_DECIMAL_SCALE_MAX);
    assert(out_size >= 24);
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    uint64_t unit = (uint64_t)col_pow10(scale);
    const char *sign = value < 0 ? "-" : "";
    if (scale == 0) {
        return snprintf(out, out_size, "%s%llu", sign, (unsigned long long)magnitude);
    }
    return snprintf(out, out_size, "%s%llu.%0*llu", sign, (unsigned long long)(magnitude / unit),
                    (int)scale, (unsigned long long)(magnitude % unit));
}
