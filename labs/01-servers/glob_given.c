/* glob_given.c -- Redis's glob matcher (glob.h), given: one pass with backtracking to the last
 * '*' only, so no pattern costs more than O(pattern x text). Read glob_match first. */
#include "glob.h"

#include <assert.h>

/* Matches one [...] class at p (just after '['); *p_end is set past its ']'. */
static bool
class_match(const char *p, const char *end, char c, const char **p_end)
{
    bool is_negated = p < end && *p == '^';
    bool is_match = false;
    p += is_negated;
    while (p < end && *p != ']') {
        if (*p == '\\' && p + 1 < end) {
            p++;
            is_match |= *p == c;
        } else if (p + 2 < end && p[1] == '-') { /* as Redis: in [a-], ']' ends the range */
            char low = (char)(p[0] < p[2] ? p[0] : p[2]);
            char high = (char)(p[0] < p[2] ? p[2] : p[0]);
            is_match |= c >= low && c <= high;
            p += 2;
        } else {
            is_match |= *p == c;
        }
        p++;
    }
    *p_end = p < end ? p + 1 : end; /* an unclosed class runs to the end, as in Redis */
    return is_match != is_negated;
}

bool
glob_match(const char *pattern, size_t pattern_size, const char *text, size_t text_size)
{
    assert(pattern != NULL || pattern_size == 0);
    assert(text != NULL || text_size == 0);
    const char *p = pattern, *p_end = pattern + pattern_size;
    const char *t = text, *t_end = text + text_size;
    const char *star_p = NULL, *star_t = NULL; /* where to resume after the last '*' */
    while (t < t_end) {
        const char *next = p + 1;
        bool is_step = false;
        if (p < p_end && *p == '*') {
            star_p = ++p;
            star_t = t;
            continue;
        }
        if (p < p_end && *p == '?') {
            is_step = true;
        } else if (p < p_end && *p == '[') {
            is_step = class_match(p + 1, p_end, *t, &next);
        } else if (p < p_end && *p == '\\' && p + 1 < p_end) {
            is_step = p[1] == *t;
            next = p + 2;
        } else if (p < p_end) {
            is_step = *p == *t;
        }
        if (is_step) {
            p = next;
            t++;
        } else if (star_p != NULL) { /* let the last '*' swallow one more byte */
            p = star_p;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < p_end && *p == '*') {
        p++;
    }
    return p == p_end;
}
