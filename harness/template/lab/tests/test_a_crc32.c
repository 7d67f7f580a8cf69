/* test_a_crc32.c -- part A: crc32_update's contract from crc32.h, one claim per test.
 * Read test_a_known_answers first; the random tests draw from the seed, so a failure
 * replays exactly with the command the grader prints. */
#include "crc32.h"
#include "kh_test.h"

#include <stdlib.h>
#include <string.h>

#define BUFFER_SIZE_MAX 4096u /* bytes: past any table-size or word-size edge */
#define RANDOM_ROUNDS 500u    /* about 20 ms on the reference */
#define PIECES_MAX 8u         /* pieces one random buffer is split into */

/* crc32_update on one buffer; fails the test unless it returns CRC32_OK. */
static uint32_t
crc_of(uint32_t crc, const void *buf, size_t size_bytes)
{
    uint32_t out = 0;
    crc32_status status = crc32_update(crc, buf, size_bytes, &out);
    if (status != CRC32_OK) {
        fail_msg("crc32_update(0x%08x, buf, %zu, &out) returned %s, not CRC32_OK", crc, size_bytes,
                 crc32_strerror(status));
    }
    return out;
}

/* Fails the test unless the CRC-32 of the size_bytes bytes at buf is want. */
static void
expect_crc(const char *what, const void *buf, size_t size_bytes, uint32_t want)
{
    uint32_t got = crc_of(0, buf, size_bytes);
    if (got != want) {
        fail_msg("the CRC-32 of %s is 0x%08x, not 0x%08x", what, want, got);
    }
}

/* Claim: crc32_update gives the published check values of CRC-32 (zlib's crc32()). */
static void
test_a_known_answers(void **state)
{
    (void)state;
    unsigned char zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof(ones));
    expect_crc("no bytes", "", 0, 0);
    expect_crc("\"a\"", "a", 1, 0xE8B7BE43u);
    expect_crc("\"123456789\" (the standard check value)", "123456789", 9, 0xCBF43926u);
    expect_crc("\"The quick brown fox jumps over the lazy dog\"",
               "The quick brown fox jumps over the lazy dog", 43, 0x414FA339u);
    expect_crc("32 zero bytes", zeros, sizeof(zeros), 0x190A55ADu);
    expect_crc("32 bytes of 0xff", ones, sizeof(ones), 0xFF6CAB0Bu);
}

/* Claim: on random buffers of every length up to 4 KiB, at any alignment and from any
 * starting crc, crc32_update equals the bitwise definition crc32_bitwise. */
static void
test_a_matches_the_bitwise_definition(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    unsigned char *buf = malloc(BUFFER_SIZE_MAX + 8);
    assert_non_null(buf);
    for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
        size_t size_bytes = (size_t)kh_rng_below(&rng, BUFFER_SIZE_MAX + 1);
        size_t offset = (size_t)kh_rng_below(&rng, 8); /* a misaligned start */
        uint32_t start = round % 2 ? (uint32_t)kh_rng_next(&rng) : 0;
        kh_rng_fill(&rng, buf + offset, size_bytes);
        uint32_t want = crc32_bitwise(start, buf + offset, size_bytes);
        uint32_t got = crc_of(start, buf + offset, size_bytes);
        if (got != want) {
            fail_msg("%zu random bytes at offset %zu from crc 0x%08x: got 0x%08x, the "
                     "definition gives 0x%08x",
                     size_bytes, offset, start, got, want);
        }
    }
    free(buf);
}

/* Claim: chaining calls over any split of a buffer gives the CRC of the whole buffer. */
static void
test_a_chains_across_any_split(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    unsigned char *buf = malloc(BUFFER_SIZE_MAX);
    assert_non_null(buf);
    for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
        size_t size_bytes = 1 + (size_t)kh_rng_below(&rng, BUFFER_SIZE_MAX);
        kh_rng_fill(&rng, buf, size_bytes);
        uint32_t whole = crc32_bitwise(0, buf, size_bytes);
        size_t pieces = 2 + (size_t)kh_rng_below(&rng, PIECES_MAX - 1);
        uint32_t crc = 0;
        size_t at = 0;
        for (size_t i = 0; i < pieces; i++) {
            size_t left = size_bytes - at;
            size_t piece = i + 1 == pieces ? left : (size_t)kh_rng_below(&rng, left + 1);
            crc = crc_of(crc, buf + at, piece); /* a piece may be empty */
            at += piece;
        }
        if (crc != whole) {
            fail_msg("%zu random bytes in %zu pieces: chained crc 0x%08x, whole 0x%08x", size_bytes,
                     pieces, crc, whole);
        }
    }
    free(buf);
}

/* Fails the test unless status, returned by the call described in what, is want. */
static void
expect_status(const char *what, crc32_status status, crc32_status want)
{
    if (status != want) {
        fail_msg("%s returned \"%s\", not \"%s\"", what, crc32_strerror(status),
                 crc32_strerror(want));
    }
}

/* Claim: the arguments crc32.h rules out return CRC32_INVALID and leave *out alone, and an
 * empty buffer (even NULL) leaves the crc as it was. */
static void
test_a_rejects_bad_arguments(void **state)
{
    (void)state;
    uint32_t out = 0x5EED5EEDu; /* a sentinel no call here may overwrite */
    expect_status("crc32_update(0, NULL, 1, &out)", crc32_update(0, NULL, 1, &out), CRC32_INVALID);
    if (out != 0x5EED5EEDu) {
        fail_msg("crc32_update(0, NULL, 1, &out) returned CRC32_INVALID but wrote *out");
    }
    expect_status("crc32_update(0, \"a\", 1, NULL)", crc32_update(0, "a", 1, NULL), CRC32_INVALID);
    expect_status("crc32_update(0xCBF43926, NULL, 0, &out)",
                  crc32_update(0xCBF43926u, NULL, 0, &out), CRC32_OK);
    if (out != 0xCBF43926u) {
        fail_msg("crc32_update(0xCBF43926, NULL, 0, &out) set *out to 0x%08x: no bytes must "
                 "leave the crc as it was",
                 out);
    }
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_known_answers),
        cmocka_unit_test(test_a_matches_the_bitwise_definition),
        cmocka_unit_test(test_a_chains_across_any_split),
        cmocka_unit_test(test_a_rejects_bad_arguments),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
