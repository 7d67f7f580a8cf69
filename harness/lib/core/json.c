/* json.c -- the JSON writer (kh_core.h): one value written to a FILE as it is built, strings
 * escaped as RFC 8259 section 7 requires. Read before_value first: every value and key goes
 * through it, which is where the commas go and where the nesting is checked. */
#include "kh_core.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

void
kh_json_open(struct kh_json *j, FILE *out)
{
    assert(j != NULL);
    assert(out != NULL);
    *j = (struct kh_json){.out = out};
}

/* Called before a value (not a key): the comma after an array's previous member. In an object
 * the key put it there already, and a key must have been written. */
static void
before_value(struct kh_json *j)
{
    assert(!j->is_done); /* one top-level value per writer */
    if (j->depth == 0) {
        return;
    }
    size_t level = j->depth - 1;
    if (j->is_object[level]) {
        assert(j->is_key_written); /* an object's member is a key, then its value */
        j->is_key_written = false;
        return;
    }
    if (j->has_member[level]) {
        fputc(',', j->out);
    }
    j->has_member[level] = true;
}

/* After a whole value: at depth 0 it was the top-level one, and the writer is done. */
static void
after_value(struct kh_json *j)
{
    assert(!j->is_key_written);
    j->is_done = j->depth == 0;
}

static void
begin(struct kh_json *j, bool is_object)
{
    before_value(j);
    assert(j->depth < KH_JSON_DEPTH_MAX);
    j->is_object[j->depth] = is_object;
    j->has_member[j->depth] = false;
    j->depth++;
    fputc(is_object ? '{' : '[', j->out);
}

static void
end(struct kh_json *j, bool is_object)
{
    assert(j->depth > 0);                            /* something is open */
    assert(j->is_object[j->depth - 1] == is_object); /* and it is what this call ends */
    assert(!j->is_key_written);                      /* no key left without its value */
    j->depth--;
    fputc(is_object ? '}' : ']', j->out);
    after_value(j);
}

void
kh_json_object_begin(struct kh_json *j)
{
    begin(j, true);
}

void
kh_json_object_end(struct kh_json *j)
{
    end(j, true);
}

void
kh_json_array_begin(struct kh_json *j)
{
    begin(j, false);
}

void
kh_json_array_end(struct kh_json *j)
{
    end(j, false);
}

/* A JSON string: the two characters RFC 8259 section 7 requires escaped (" and \), the control
 * characters U+0000 to U+001F in their short forms where JSON has one and as \u00XX otherwise;
 * every other byte as it is (UTF-8 passes through). */
static void
write_string(FILE *out, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        unsigned char c = *p;
        const char *short_form = c == '"'    ? "\\\""
                                 : c == '\\' ? "\\\\"
                                 : c == '\b' ? "\\b"
                                 : c == '\f' ? "\\f"
                                 : c == '\n' ? "\\n"
                                 : c == '\r' ? "\\r"
                                 : c == '\t' ? "\\t"
                                             : NULL;
        if (short_form != NULL) {
            fputs(short_form, out);
        } else if (c < 0x20) {
            fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

void
kh_json_key(struct kh_json *j, const char *key)
{
    assert(j->depth > 0);
    assert(j->is_object[j->depth - 1]); /* keys only inside an object */
    assert(!j->is_key_written);         /* each key followed by its value */
    size_t level = j->depth - 1;
    if (j->has_member[level]) {
        fputc(',', j->out);
    }
    j->has_member[level] = true;
    write_string(j->out, key);
    fputc(':', j->out);
    j->is_key_written = true;
}

void
kh_json_str(struct kh_json *j, const char *value)
{
    assert(value != NULL);
    before_value(j);
    write_string(j->out, value);
    after_value(j);
}

void
kh_json_i64(struct kh_json *j, int64_t value)
{
    before_value(j);
    fprintf(j->out, "%" PRId64, value);
    after_value(j);
}

void
kh_json_u64(struct kh_json *j, uint64_t value)
{
    before_value(j);
    fprintf(j->out, "%" PRIu64, value);
    after_value(j);
}

void
kh_json_f64(struct kh_json *j, double value)
{
    before_value(j);
    if (!isfinite(value)) {
        fputs("null", j->out); /* JSON has no NaN or Infinity (RFC 8259 section 6) */
        after_value(j);
        return;
    }
    /* The fewest significant digits, from 15, that read back as the same double: 0.1 stays
     * "0.1" and 1/3 gets its 17 digits. %g writes only what JSON's number grammar accepts
     * (a finite value has no "inf" or "nan"; exponents are "e+NN"). */
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof(text), "%.*g", digits, value);
        if (strtod(text, NULL) == value) {
            break;
        }
    }
    fputs(text, j->out);
    after_value(j);
}

void
kh_json_bool(struct kh_json *j, bool value)
{
    before_value(j);
    fputs(value ? "true" : "false", j->out);
    after_value(j);
}

void
kh_json_null(struct kh_json *j)
{
    before_value(j);
    fputs("null", j->out);
    after_value(j);
}

void
kh_json_close(struct kh_json *j)
{
    assert(j->is_done);    /* the top-level value is whole: nothing left open */
    assert(j->depth == 0); /* (is_done implies it; said for the reader) */
    fputc('\n', j->out);
    fflush(j->out);
}
