/* store_given.c -- the parts of lab 01's part B that are given, not graded: status texts for
 * dict.h and store.h, the splitmix64 generator that feeds dict_random_entry, and dict_init
 * with the dict's small accessors. Students do
 * not change this file; dict.c, store.c and commands.c (theirs) hold everything graded. */
#include "dict.h"
#include "store.h"

#include <assert.h>
#include <string.h>

#define DICT_STATUS_TEXT_ENTRY(name, text) [(name)] = (text),
static const char *const dict_status_texts[] = {DICT_STATUS_LIST(DICT_STATUS_TEXT_ENTRY)};
#undef DICT_STATUS_TEXT_ENTRY

#define CMD_STATUS_TEXT_ENTRY(name, text) [(name)] = (text),
static const char *const cmd_status_texts[] = {CMD_STATUS_LIST(CMD_STATUS_TEXT_ENTRY)};
#undef CMD_STATUS_TEXT_ENTRY

const char *
dict_strerror(dict_status status)
{
    if ((size_t)status >= sizeof(dict_status_texts) / sizeof(dict_status_texts[0])) {
        return "unknown status";
    }
    return dict_status_texts[status];
}

const char *
cmd_strerror(cmd_status status)
{
    if ((size_t)status >= sizeof(cmd_status_texts) / sizeof(cmd_status_texts[0])) {
        return "unknown status";
    }
    return cmd_status_texts[status];
}

/* The constants are splitmix64's, from Steele, Lea and Flood (OOPSLA 2014), as in Vigna's
 * public-domain splitmix64.c: the golden-ratio increment and the two mixing multipliers. */
uint64_t
dict_rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* ---- The dict's start state and accessors (dict.h declares them) ---- */

void
dict_init(struct dict *d, uint64_t seed)
{
    assert(d != NULL);
    memset(d, 0, sizeof(*d));
    d->rehash_index = SIZE_MAX;
    uint64_t state = seed;
    d->hash_key[0] = dict_rng_next(&state);
    d->hash_key[1] = dict_rng_next(&state);
}

size_t
dict_size(const struct dict *d)
{
    assert(d != NULL);
    return d->tables[0].used + d->tables[1].used;
}

size_t
dict_bucket_count(const struct dict *d)
{
    assert(d != NULL);
    return d->tables[0].bucket_count + d->tables[1].bucket_count;
}

bool
dict_is_rehashing(const struct dict *d)
{
    assert(d != NULL);
    return d->rehash_index != SIZE_MAX;
}
