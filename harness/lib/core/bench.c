/* bench.c -- the options every benchmark takes (kh_core.h), parsed in one place, so that
 * harness/bench can hand --smoke|--quick|--full, --peers and --seed N to any bench and each reads
 * them alike. A bench's own flags come in as a table (struct kh_bench_flag). */
#include "kh_core.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A bench's flag entry is well formed: one place to put what it is given, and a value name
 * exactly when it takes a value. Checked once per parse; a broken table is the bench's bug. */
static void
flag_check(const struct kh_bench_flag *flag)
{
    assert(flag->name != NULL);
    assert(strncmp(flag->name, "--", 2) == 0);
    int targets = (flag->is_set != NULL) + (flag->text != NULL) + (flag->number != NULL);
    assert(targets == 1);
    assert((flag->value_name == NULL) == (flag->is_set != NULL));
}

static void
usage_exit(const char *program, const struct kh_bench_flag *flags, size_t flag_count)
{
    fprintf(stderr, "usage: %s [--smoke|--quick|--full] [--peers] [--seed N]", program);
    for (size_t i = 0; i < flag_count; i++) {
        if (flags[i].value_name != NULL) {
            fprintf(stderr, " [%s %s]", flags[i].name, flags[i].value_name);
        } else {
            fprintf(stderr, " [%s]", flags[i].name);
        }
    }
    fputc('\n', stderr);
    exit(2);
}

/* An unsigned number, the whole of text: decimal, or hexadecimal after 0x. */
static bool
parse_number(const char *text, uint64_t *value)
{
    if (text[0] == '-' || text[0] == '+' || text[0] == '\0') {
        return false; /* strtoull would take "-1" as 2^64 - 1 */
    }
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 0);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *value = parsed;
    return true;
}

/* Takes arg (and value, the argument after it, NULL at the end) as one of the bench's own
 * flags. Returns how many arguments after arg it used (0 or 1), or -1 when arg is no flag of
 * the table or its value is missing or malformed. */
static int
take_flag(const struct kh_bench_flag *flags, size_t flag_count, const char *arg, const char *value)
{
    for (size_t i = 0; i < flag_count; i++) {
        const struct kh_bench_flag *flag = &flags[i];
        if (strcmp(arg, flag->name) != 0) {
            continue;
        }
        if (flag->is_set != NULL) {
            *flag->is_set = true;
            return 0;
        }
        if (value == NULL) {
            return -1;
        }
        if (flag->text != NULL) {
            *flag->text = value;
            return 1;
        }
        return parse_number(value, flag->number) ? 1 : -1;
    }
    return -1;
}

struct kh_bench_options
kh_bench_options_parse(int argc, char **argv, const struct kh_bench_flag *flags, size_t flag_count)
{
    assert(argc >= 1);
    assert(flag_count <= KH_BENCH_FLAGS_MAX);
    assert(flags != NULL || flag_count == 0);
    for (size_t i = 0; i < flag_count; i++) {
        flag_check(&flags[i]);
    }
    struct kh_bench_options opt = {.size = KH_BENCH_QUICK, .has_peers = false, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--smoke") == 0) {
            opt.size = KH_BENCH_SMOKE;
        } else if (strcmp(arg, "--quick") == 0) {
            opt.size = KH_BENCH_QUICK;
        } else if (strcmp(arg, "--full") == 0) {
            opt.size = KH_BENCH_FULL;
        } else if (strcmp(arg, "--peers") == 0) {
            opt.has_peers = true;
        } else if (strcmp(arg, "--seed") == 0) {
            if (value == NULL || !parse_number(value, &opt.seed)) {
                usage_exit(argv[0], flags, flag_count);
            }
            i++;
        } else {
            int used = take_flag(flags, flag_count, arg, value);
            if (used < 0) {
                usage_exit(argv[0], flags, flag_count);
            }
            i += used;
        }
    }
    return opt;
}

uint64_t
kh_bench_sized(const struct kh_bench_options *opt, uint64_t smoke, uint64_t quick, uint64_t full)
{
    assert(opt != NULL);
    assert(smoke <= quick);
    assert(quick <= full);
    switch (opt->size) {
    case KH_BENCH_SMOKE:
        return smoke;
    case KH_BENCH_QUICK:
        return quick;
    case KH_BENCH_FULL:
        return full;
    }
    assert(!"not a bench size");
    return quick;
}
