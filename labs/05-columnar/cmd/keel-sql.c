/* keel-sql.c -- lab 05's SQL shell: keel-sql DBDIR runs SQL on the tables of a directory, typed
 * with history and line editing, or read from stdin as a script, as sqlite3's shell does:
 *   keel-sql out/data/sf1
 *   keel> SELECT count(*) FROM lineitem;
 *   echo 'SELECT 1 + 1 FROM region LIMIT 1;' | keel-sql out/data/sf1
 * Statements end with ';'. Lines starting with '.' are the shell's own commands (.help). */
#include "lineedit.h"
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define HISTORY_MAX 1000u
#define CACHE_BYTES_DEFAULT (1ull << 30)

static const char usage[] =
    "usage: keel-sql [--threads N] [--cache-mib N] [-c SQL] DBDIR\n"
    "  DBDIR          a directory of NAME.kcol tables (keel-tpch makes one)\n"
    "  -c SQL         run SQL and exit, instead of reading statements\n"
    "  --threads N    threads a query runs on (default: the machine's cores)\n"
    "  --cache-mib N  the chunk cache's budget for each of its hot and warm tiers (default "
    "1024)\n";

static const char help[] =
    ".dot FILE          write the last EXPLAIN's plan as a graphviz digraph to FILE\n"
    ".headers on|off    print the columns' names before the rows\n"
    ".help              this text\n"
    ".mode list|csv     values separated by '|' (the default), or CSV\n"
    ".quit              leave (also .exit, or Ctrl-D)\n"
    ".schema [TABLE]    the columns of the tables (or of TABLE)\n"
    ".tables            the tables of the directory\n"
    ".threads N         threads a query runs on\n"
    ".timer on|off      print each statement's time\n"
    "EXPLAIN SELECT ... shows the pipelines; EXPLAIN ANALYZE SELECT ... runs them and shows\n"
    "the rows of each operator and the bytes of each column read.\n";

struct shell {
    struct catalog *catalog;
    const char *dir;
    struct query_options options;
    bool is_csv;
    bool has_headers;
    bool has_timer;
    char *last_dot; /* the last EXPLAIN's graphviz */
    int errors;
};

/* ---- Printing ---------------------------------------------------------------------------- */

static void
put_csv(const char *text, size_t size)
{
    bool needs_quotes = size == 0 ? false : strcspn(text, ",\"\r\n") < size;
    if (!needs_quotes) {
        fwrite(text, 1, size, stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < size; i++) {
        if (text[i] == '"') {
            putchar('"');
        }
        putchar(text[i]);
    }
    putchar('"');
}

static void
print_rows(const struct shell *sh, const struct query_result *r)
{
    char *text = malloc(COL_STRING_SIZE_MAX + 64);
    if (text == NULL) {
        fprintf(stderr, "Error: out of memory\n");
        return;
    }
    if (sh->has_headers) {
        for (uint32_t c = 0; c < r->column_count; c++) {
            fputs(c ? (sh->is_csv ? "," : "|") : "", stdout);
            if (sh->is_csv) {
                put_csv(r->names[c], strlen(r->names[c]));
            } else {
                fputs(r->names[c], stdout);
            }
        }
        putchar('\n');
    }
    for (uint64_t row = 0; row < r->rows.row_count; row++) {
        for (uint32_t c = 0; c < r->column_count; c++) {
            bool is_null;
            size_t size = query_value_text(r, c, row, text, COL_STRING_SIZE_MAX + 64, &is_null);
            fputs(c ? (sh->is_csv ? "," : "|") : "", stdout);
            if (sh->is_csv) {
                put_csv(text, size);
            } else {
                fwrite(text, 1, size, stdout);
            }
        }
        putchar('\n');
    }
    free(text);
}

static double
seconds_of(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* ---- Statements -------------------------------------------------------------------------- */

/* Runs every statement in text, whose first line is line first_line of the input (0: not
 * from a script, so no input line is named); prints results and errors. */
static void
run_sql(struct shell *sh, const char *text, size_t size, uint64_t first_line)
{
    size_t at = 0;
    while (at < size) {
        struct timespec t0, t1;
        struct rusage u0, u1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        getrusage(RUSAGE_SELF, &u0);
        struct query_result r;
        struct sql_position where = {0};
        struct col_error err = {0};
        size_t used = 0;
        col_status status =
            query_run(sh->catalog, text + at, size - at, &sh->options, &r, &used, &where, &err);
        if (status == COL_NOT_FOUND) { /* an empty statement, or only spaces and comments */
            at += used;
            continue;
        }
        if (status != COL_OK) {
            uint64_t line = first_line;
            for (size_t i = 0; i < at && line > 0; i++) {
                line += text[i] == '\n';
            }
            const char *what = strstr(err.message, ": "); /* after "line L, column C" */
            if (line > 0 && status == COL_PARSE && where.line > 0 && what != NULL) {
                fprintf(stderr, "Error: line %llu of the input, column %u%s\n",
                        (unsigned long long)(line + where.line - 1), where.column, what);
            } else {
                fprintf(stderr, "Error: %s\n", err.message);
            }
            if (status == COL_PARSE && where.line > 0) {
                char caret[4096];
                sql_caret(text + at, size - at, &where, caret, sizeof(caret));
                fprintf(stderr, "%s", caret);
                if (caret[0] != '\0' && caret[strlen(caret) - 1] != '\n') {
                    fputc('\n', stderr);
                }
            }
            sh->errors++;
            if (used == 0) {
                return; /* the parser could not find the statement's end */
            }
        } else if (r.plan_text != NULL) {
            fputs(r.plan_text, stdout);
            free(sh->last_dot);
            sh->last_dot = r.plan_dot;
            r.plan_dot = NULL;
            query_result_free(&r);
        } else {
            print_rows(sh, &r);
            query_result_free(&r);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        getrusage(RUSAGE_SELF, &u1);
        if (sh->has_timer) {
            printf("Run Time: real %.3f user %.6f sys %.6f\n",
                   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                   seconds_of(u1.ru_utime) - seconds_of(u0.ru_utime),
                   seconds_of(u1.ru_stime) - seconds_of(u0.ru_stime));
        }
        fflush(stdout);
        at += used > 0 ? used : size - at;
    }
}

/* Whether text holds a ';' outside quotes and comments: a statement is complete. */
static bool
is_complete(const char *text, size_t size)
{
    char quote = 0;
    for (size_t i = 0; i < size; i++) {
        char ch = text[i];
        if (quote != 0) {
            quote = ch == quote ? 0 : quote;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '-' && i + 1 < size && text[i + 1] == '-') {
            while (i < size && text[i] != '\n') {
                i++;
            }
        } else if (ch == '/' && i + 1 < size && text[i + 1] == '*') {
            for (i += 2; i + 1 < size && !(text[i] == '*' && text[i + 1] == '/'); i++) {
            }
            i++;
        } else if (ch == ';') {
            return true;
        }
    }
    return false;
}

/* ---- Dot commands --------------------------------------------------------------------------- */

static bool
is_word(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static void
show_schema(struct shell *sh, const char *only)
{
    char names[CATALOG_TABLES_MAX][SQL_NAME_SIZE_MAX];
    uint32_t count = catalog_list(sh->catalog, names, CATALOG_TABLES_MAX);
    bool is_found = false;
    for (uint32_t i = 0; i < count && i < CATALOG_TABLES_MAX; i++) {
        if (only != NULL && strcmp(only, names[i]) != 0) {
            continue;
        }
        is_found = true;
        const struct col_table *t;
        struct col_error err = {0};
        if (catalog_table(sh->catalog, names[i], &t, &err) != COL_OK) {
            fprintf(stderr, "Error: %s\n", err.message);
            sh->errors++;
            continue;
        }
        const struct col_schema *s = col_table_schema(t);
        printf("CREATE TABLE %s(", names[i]);
        for (uint32_t c = 0; c < s->column_count; c++) {
            const struct col_column *col = &s->columns[c];
            printf("%s%s %s", c ? ", " : "", col->name, col_type_name(col->type));
            if (col->type == COL_DECIMAL) {
                printf("(18,%u)", col->scale);
            }
        }
        printf("); -- %llu rows in %u row groups\n", (unsigned long long)col_table_row_count(t),
               col_table_group_count(t));
    }
    if (only != NULL && !is_found) {
        fprintf(stderr, "Error: no table '%s' in %s\n", only, sh->dir);
        sh->errors++;
    }
}

/* Runs a dot command; returns false for .quit. */
static bool
run_command(struct shell *sh, char *line)
{
    char *words[3] = {NULL, NULL, NULL};
    int count = 0;
    for (char *save = NULL, *w = strtok_r(line, " \t", &save); w != NULL && count < 3;
         w = strtok_r(NULL, " \t", &save)) {
        words[count++] = w;
    }
    const char *cmd = words[0], *arg = words[1];
    bool is_on = arg != NULL && is_word(arg, "on"), is_off = arg != NULL && is_word(arg, "off");
    if (is_word(cmd, ".quit") || is_word(cmd, ".exit")) {
        return false;
    } else if (is_word(cmd, ".help")) {
        fputs(help, stdout);
    } else if (is_word(cmd, ".tables")) {
        char names[CATALOG_TABLES_MAX][SQL_NAME_SIZE_MAX];
        uint32_t n = catalog_list(sh->catalog, names, CATALOG_TABLES_MAX);
        for (uint32_t i = 0; i < n && i < CATALOG_TABLES_MAX; i++) {
            printf("%s%s", i ? "  " : "", names[i]);
        }
        printf(n ? "\n" : "");
    } else if (is_word(cmd, ".schema")) {
        show_schema(sh, arg);
    } else if (is_word(cmd, ".timer") && (is_on || is_off)) {
        sh->has_timer = is_on;
    } else if (is_word(cmd, ".headers") && (is_on || is_off)) {
        sh->has_headers = is_on;
    } else if (is_word(cmd, ".mode") && arg != NULL &&
               (is_word(arg, "csv") || is_word(arg, "list"))) {
        sh->is_csv = is_word(arg, "csv");
    } else if (is_word(cmd, ".threads") && arg != NULL && atoi(arg) >= 1 &&
               atoi(arg) <= (int)EXEC_THREADS_MAX) {
        sh->options.threads = (uint32_t)atoi(arg);
    } else if (is_word(cmd, ".dot") && arg != NULL) {
        if (sh->last_dot == NULL) {
            fprintf(stderr, "Error: no plan yet: run EXPLAIN SELECT ... first\n");
            sh->errors++;
            return true;
        }
        FILE *f = fopen(arg, "w");
        if (f == NULL || fputs(sh->last_dot, f) == EOF || fclose(f) != 0) {
            fprintf(stderr, "Error: %s: %s\n", arg, strerror(errno));
            sh->errors++;
        } else {
            printf("wrote %s (render it: dot -Tpng %s -o plan.png)\n", arg, arg);
        }
    } else {
        fprintf(stderr, "Error: unknown command or wrong arguments: \"%s\". Enter \".help\"\n",
                cmd);
        sh->errors++;
    }
    return true;
}

/* ---- The loop ------------------------------------------------------------------------------- */

static char *
history_path(void)
{
    const char *home = getenv("HOME");
    if (home == NULL || home[0] == '\0') {
        return NULL;
    }
    size_t size = strlen(home) + 32;
    char *path = malloc(size);
    if (path != NULL) {
        snprintf(path, size, "%s/.keel_sql_history", home);
    }
    return path;
}

static int
run_shell(struct shell *sh)
{
    bool is_tty = isatty(0) && isatty(1);
    char *hist = is_tty ? history_path() : NULL;
    struct line_editor *ed = NULL;
    struct col_error err = {0};
    if (line_editor_open(hist, HISTORY_MAX, &ed, &err) != COL_OK) {
        fprintf(stderr, "keel-sql: %s\n", err.message);
        free(hist);
        return 1;
    }
    if (is_tty) {
        char names[CATALOG_TABLES_MAX][SQL_NAME_SIZE_MAX];
        uint32_t n = catalog_list(sh->catalog, names, CATALOG_TABLES_MAX);
        printf("keel-sql: %s (%u tables). Statements end with ';'. Enter \".help\" for the "
               "commands.\n",
               sh->dir, n);
    }
    char *statement = NULL;
    size_t size = 0;
    uint64_t lines = 0, first_line = 1; /* lines read; the statement's first */
    for (;;) {
        char *line = NULL;
        col_status status = line_editor_read(ed, size == 0 ? "keel> " : "  ...> ", &line, &err);
        if (status != COL_OK) {
            if (status != COL_NOT_FOUND) {
                fprintf(stderr, "keel-sql: %s\n", err.message);
                sh->errors++;
            }
            break;
        }
        lines++;
        if (size == 0) {
            first_line = lines;
        }
        if (size == 0 && line[strspn(line, " \t")] == '.') {
            line_editor_add_history(ed, line);
            bool is_going_on = run_command(sh, line + strspn(line, " \t"));
            free(line);
            if (!is_going_on) {
                break;
            }
            continue;
        }
        size_t add = strlen(line);
        char *grown = realloc(statement, size + add + 2);
        if (grown == NULL) {
            fprintf(stderr, "keel-sql: out of memory\n");
            free(line);
            break;
        }
        statement = grown;
        memcpy(statement + size, line, add);
        size += add;
        statement[size++] = '\n';
        statement[size] = '\0';
        free(line);
        if (size == 1 && is_tty) { /* an empty line at the prompt */
            size = 0;
            continue;
        }
        if (is_complete(statement, size)) {
            char *entry = strndup(statement, size - 1);
            if (entry != NULL) {
                line_editor_add_history(ed, entry);
                free(entry);
            }
            run_sql(sh, statement, size, is_tty ? 0 : first_line);
            size = 0;
        }
    }
    if (statement != NULL && size > strspn(statement, " \t\n")) { /* no ';' at the end */
        run_sql(sh, statement, size, is_tty ? 0 : first_line);
    }
    free(statement);
    line_editor_close(ed);
    free(hist);
    return sh->errors > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
    struct shell sh = {0};
    const char *command = NULL;
    uint64_t cache_bytes = CACHE_BYTES_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "-c") == 0 && v != NULL) {
            command = v;
            i++;
        } else if (strcmp(a, "--threads") == 0 && v != NULL && atoi(v) >= 1 &&
                   atoi(v) <= (int)EXEC_THREADS_MAX) {
            sh.options.threads = (uint32_t)atoi(v);
            i++;
        } else if (strcmp(a, "--cache-mib") == 0 && v != NULL && atoi(v) >= 1) {
            cache_bytes = (uint64_t)atoi(v) << 20;
            i++;
        } else if (a[0] != '-' && sh.dir == NULL) {
            sh.dir = a;
        } else {
            fprintf(stderr, "keel-sql: unknown or incomplete option '%s'\n%s", a, usage);
            return 2;
        }
    }
    if (sh.dir == NULL) {
        fprintf(stderr, "keel-sql: which database? give its directory\n%s", usage);
        return 2;
    }
    struct col_error err = {0};
    if (catalog_open(sh.dir, cache_bytes, &sh.catalog, &err) != COL_OK) {
        fprintf(stderr, "keel-sql: %s\n", err.message);
        return 1;
    }
    int code;
    if (command != NULL) {
        run_sql(&sh, command, strlen(command), 0);
        code = sh.errors > 0 ? 1 : 0;
    } else {
        code = run_shell(&sh);
    }
    free(sh.last_dot);
    catalog_close(sh.catalog);
    return code;
}
