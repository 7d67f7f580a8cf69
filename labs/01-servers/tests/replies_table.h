/* replies_table.h -- reads tests/redis7_replies.txt, the conformance table (its first lines say
 * the format), and checks a reply against one of its lines: exact bytes, or a pattern with
 * {int} and {any}. test_b_store.c replays its @store blocks through cmd_execute, test_d_epoll.c
 * the whole table against keel-server; tests/check_redis7_replies.py proves it on redis-server. */
#ifndef KEEL_REPLIES_TABLE_H
#define KEEL_REPLIES_TABLE_H

#include "kh_test.h"
#include "resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_STEPS_MAX 1024u
#define TABLE_FILE_SIZE_BYTES_MAX (256u * 1024u)
#define TABLE_ARGS_MAX 16u

enum table_kind { TABLE_REQUEST, TABLE_RAW, TABLE_CLOSED };

struct table_step {
    enum table_kind kind;
    bool is_store;        /* in an @store block: cmd_execute alone can answer it */
    size_t line;          /* 1-based, for failure messages */
    const char *request;  /* the words after "> " (or after "> raw: "), NUL-terminated */
    const char *expected; /* the text after "< " or "~ ", escaped; NULL for TABLE_CLOSED */
    bool is_pattern;
};

struct table {
    char *text; /* owned: the file, cut into lines in place */
    struct table_step steps[TABLE_STEPS_MAX];
    size_t step_count;
};

/* Loads the table next to the rubric (KEEL_RUBRIC names tests/rubric). */
static void
table_load(struct table *t)
{
    char path[4096];
    const char *rubric = KEEL_RUBRIC;
    assert_non_null(rubric);
    const char *slash = strrchr(rubric, '/');
    snprintf(path, sizeof(path), "%.*s/redis7_replies.txt",
             (int)(slash != NULL ? slash - rubric : 1), slash != NULL ? rubric : ".");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot open the conformance table %s", path);
    }
    t->text = malloc(TABLE_FILE_SIZE_BYTES_MAX);
    assert_non_null(t->text);
    size_t size = fread(t->text, 1, TABLE_FILE_SIZE_BYTES_MAX - 1, f);
    fclose(f);
    t->text[size] = '\0';
    t->step_count = 0;
    bool is_store = false;
    size_t line_number = 0;
    for (char *line = t->text; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        line_number++;
        if (strcmp(line, "@store") == 0 || strcmp(line, "@server") == 0) {
            is_store = line[1] == 's' && line[2] == 't';
        } else if (strncmp(line, "> ", 2) == 0 || strcmp(line, "! closed") == 0) {
            assert_true(t->step_count < TABLE_STEPS_MAX);
            struct table_step *s = &t->steps[t->step_count++];
            bool is_raw = strncmp(line, "> raw: ", 7) == 0;
            s->kind = line[0] == '!' ? TABLE_CLOSED : is_raw ? TABLE_RAW : TABLE_REQUEST;
            s->is_store = is_store;
            s->line = line_number;
            s->request = line + (is_raw ? 7 : 2);
            s->expected = NULL;
        } else if ((line[0] == '<' || line[0] == '~') && line[1] == ' ' && t->step_count > 0) {
            t->steps[t->step_count - 1].expected = line + 2;
            t->steps[t->step_count - 1].is_pattern = line[0] == '~';
        }
        line = next;
    }
}

static void
table_free(struct table *t)
{
    free(t->text);
    t->text = NULL;
}

/* Splits a request's words into argv (pointing into words, which is changed in place), as an
 * inline request is split. Returns argc. */
static size_t
table_split(char *words, struct resp_arg *argv, size_t argv_max)
{
    size_t at = 0, write = 0, argc = 0, size = strlen(words), arg_size;
    while (argc < argv_max &&
           resp_inline_next_arg(words, size, &at, words + write, &arg_size) == 1) {
        argv[argc].bytes = words + write;
        argv[argc++].size_bytes = arg_size;
        write += arg_size;
        words[write++] = '\0';
    }
    return argc;
}

/* One byte of an escaped table text at *p (\r \n \\ \xHH, or itself); advances *p. */
static char
table_unescape_byte(const char **p)
{
    const char *s = *p;
    if (s[0] != '\\') {
        *p += 1;
        return s[0];
    }
    if (s[1] == 'x') {
        char hex[3] = {s[2], s[3], '\0'};
        *p += 4;
        return (char)strtol(hex, NULL, 16);
    }
    *p += 2;
    return s[1] == 'r' ? '\r' : s[1] == 'n' ? '\n' : s[1];
}

/* Whether got[0 .. size) matches the escaped text (exact, or with {int} and {any}). */
static bool
table_matches(const char *pattern, const char *got, size_t size)
{
    while (*pattern != '\0') {
        if (strncmp(pattern, "{any}", 5) == 0) {
            for (size_t skip = 0; skip <= size; skip++) {
                if (table_matches(pattern + 5, got + skip, size - skip)) {
                    return true;
                }
            }
            return false;
        }
        if (strncmp(pattern, "{int}", 5) == 0) {
            size_t i = size > 0 && got[0] == '-' ? 1 : 0;
            size_t digits = 0;
            while (i + digits < size && got[i + digits] >= '0' && got[i + digits] <= '9') {
                digits++;
            }
            if (digits == 0) {
                return false;
            }
            got += i + digits;
            size -= i + digits;
            pattern += 5;
            continue;
        }
        char want = table_unescape_byte(&pattern);
        if (size == 0 || *got != want) {
            return false;
        }
        got++;
        size--;
    }
    return size == 0;
}

/* Fails the test, naming the table's line, unless got matches step's expected reply. */
static void
table_check(const struct table_step *step, const char *where, const char *got, size_t size)
{
    assert_non_null(step->expected);
    if (table_matches(step->expected, got, size)) {
        return;
    }
    char escaped[2048];
    kh_bytes_escape(got, size, escaped, sizeof(escaped));
    fail_msg("tests/redis7_replies.txt line %zu, %s: '%s' replied\n  %s\nwhere redis-server 7.0 "
             "replies%s\n  %s",
             step->line, where, step->request, escaped,
             step->is_pattern ? " (a pattern: {int} an integer, {any} any bytes)" : "",
             step->expected);
}

#endif
