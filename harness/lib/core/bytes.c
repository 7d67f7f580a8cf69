/* bytes.c -- byte-exact comparison for protocol tests: on a mismatch the student sees what was
 * sent, what was expected and what came back, escaped, with the first difference marked. */
#include "kh_test.h"

#include <assert.h>
#include <string.h>

#define ESCAPED_SIZE_MAX 1024u /* characters shown per stream; longer streams end in "..." */

void
kh_bytes_escape(const void *bytes, size_t size_bytes, char *out, size_t out_size)
{
    const unsigned char *in = bytes;
    size_t used = 0;
    if (out_size == 0) {
        return;
    }
    for (size_t i = 0; i < size_bytes; i++) {
        char piece[8];
        unsigned char c = in[i];
        if (c == '\r' || c == '\n' || c == '\t' || c == '\\' || c == '"') {
            snprintf(piece, sizeof(piece), "\\%c",
                     c == '\r'   ? 'r'
                     : c == '\n' ? 'n'
                     : c == '\t' ? 't'
                     : c == '"'  ? '"'
                                 : '\\');
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(piece, sizeof(piece), "\\x%02x", c);
        } else {
            snprintf(piece, sizeof(piece), "%c", c);
        }
        size_t length = strlen(piece);
        if (used + length + 4 > out_size) {
            snprintf(out + used, out_size - used, "...");
            return;
        }
        memcpy(out + used, piece, length);
        used += length;
    }
    out[used] = '\0';
}

/* The escaped width of the first `count` bytes, so a caret can point under a difference. */
static size_t
escaped_width(const unsigned char *bytes, size_t count)
{
    char buf[ESCAPED_SIZE_MAX];
    kh_bytes_escape(bytes, count, buf, sizeof(buf));
    return strlen(buf);
}

/* Writes where a and b differ within their first `size` bytes as ranges, "0-3, 9, 24-27",
 * at most RANGES_SHOWN_MAX of them: the first difference of a record is often its checksum,
 * and the field that made it differ is further on. */
#define RANGES_SHOWN_MAX 8u
static void
differing_ranges(const unsigned char *a, const unsigned char *b, size_t size, char *out,
                 size_t out_size)
{
    assert(out_size > 0);
    size_t used = 0;
    unsigned shown = 0;
    out[0] = '\0';
    for (size_t i = 0; i < size; i++) {
        if (a[i] == b[i]) {
            continue;
        }
        size_t last = i;
        while (last + 1 < size && a[last + 1] != b[last + 1]) {
            last++;
        }
        if (shown == RANGES_SHOWN_MAX) {
            snprintf(out + used, out_size - used, ", ...");
            return;
        }
        int n = last == i ? snprintf(out + used, out_size - used, "%s%zu", shown ? ", " : "", i)
                          : snprintf(out + used, out_size - used, "%s%zu-%zu", shown ? ", " : "", i,
                                     last);
        if (n < 0 || (size_t)n >= out_size - used) {
            return;
        }
        used += (size_t)n;
        shown++;
        i = last;
    }
}

void
kh_check_bytes(const void *sent, size_t sent_size, const void *expected, size_t expected_size,
               const void *got, size_t got_size, const char *file, int line)
{
    const unsigned char *e = expected;
    const unsigned char *g = got;
    size_t same = 0;
    while (same < expected_size && same < got_size && e[same] == g[same]) {
        same++;
    }
    if (same == expected_size && same == got_size) {
        return;
    }
    char sent_text[ESCAPED_SIZE_MAX], expected_text[ESCAPED_SIZE_MAX], got_text[ESCAPED_SIZE_MAX];
    kh_bytes_escape(sent, sent_size, sent_text, sizeof(sent_text));
    kh_bytes_escape(expected, expected_size, expected_text, sizeof(expected_text));
    kh_bytes_escape(got, got_size, got_text, sizeof(got_text));
    size_t caret = escaped_width(e, same);
    print_error("ERROR: bytes differ at offset %zu (expected %zu bytes, got %zu)\n", same,
                expected_size, got_size);
    print_error("  sent:     \"%s\"\n", sent_text);
    print_error("  expected: \"%s\"\n", expected_text);
    print_error("  got:      \"%s\"\n", got_text);
    print_error("             %*s^ first difference\n", (int)caret, "");
    char ranges[128];
    differing_ranges(e, g, expected_size < got_size ? expected_size : got_size, ranges,
                     sizeof(ranges));
    print_error("  differing bytes (offsets): %s%s\n", ranges,
                expected_size != got_size ? " (and the lengths differ)" : "");
    _fail(file, line);
}
