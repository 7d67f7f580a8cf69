/* glob.h -- Redis's glob (stringmatchlen in util.c), given: KEYS, SCAN MATCH, CONFIG GET and
 * PUBSUB CHANNELS (parts B and D, given code) match with it, and so does part E's PUBLISH for
 * pattern subscribers. It is boilerplate every part shares, so no part's points wait on
 * another's. */
#ifndef KEEL_GLOB_H
#define KEEL_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* True when text[0 .. text_size) matches pattern[0 .. pattern_size): * ? [abc] [^a] [a-z] and
 * backslash escapes, as Redis's. Binary safe: reads no byte past either size, and '\0' is an
 * ordinary byte. An unclosed class runs to the end of the pattern, as in Redis. O(pattern x
 * text) at worst, no allocation; thread-safe. */
bool glob_match(const char *pattern, size_t pattern_size, const char *text, size_t text_size);

#endif
