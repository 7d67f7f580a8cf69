/* store_given.c -- the parts of lab 01's part B that are given, not graded: status texts for
 * dict.h and store.h, and the splitmix64 generator that feeds dict_random_entry. Students do
 * not change this file; dict.c, store.c and commands.c (theirs) hold everything graded. */
#include "dict.h"
#include "store.h"

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
