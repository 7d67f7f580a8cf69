/* sql_lex_given.c -- the tokens of the kit's SQL parser (lab 05, part E): the lexer, the
 * statement's arena, errors with the line and column of the token at fault, and sql_caret.
 * sql_lex.h says what the grammar (sql_parse_given.c) takes from here; sql.h is the contract.
 * Students do not change this file. */
#include "sql_lex.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The arena ----------------------------------------------------------------------------- */

/* Blocks of 64 KiB hold about 200 nodes each, so TPC-H's queries need one or two mallocs. */
#define ARENA_BLOCK_SIZE_BYTES (64u * 1024u)

struct sql_arena_block {
    struct sql_arena_block *next;
    size_t used_bytes;
    size_t size_bytes;
    max_align_t data[]; /* size_bytes of it, handed out in order and never moved */
};

void *
sql_arena_alloc(struct sql_arena *a, size_t size_bytes)
{
    size_t unit = sizeof(max_align_t);
    size_bytes = (size_bytes + unit - 1) / unit * unit;
    struct sql_arena_block *b = a->head;
    if (b == NULL || b->size_bytes - b->used_bytes < size_bytes) {
        /* A request over a block (a long string) gets a block of its own. */
        size_t data_bytes =
            size_bytes > ARENA_BLOCK_SIZE_BYTES ? size_bytes : ARENA_BLOCK_SIZE_BYTES;
        b = malloc(sizeof(*b) + data_bytes);
        if (b == NULL) {
            return NULL;
        }
        b->next = a->head;
        b->used_bytes = 0;
        b->size_bytes = data_bytes;
        a->head = b;
    }
    void *p = (char *)b->data + b->used_bytes;
    b->used_bytes += size_bytes;
    assert(b->used_bytes <= b->size_bytes);
    return p;
}

void
sql_select_free(struct sql_select *s)
{
    if (s->arena != NULL) {
        struct sql_arena_block *b = s->arena->head;
        while (b != NULL) {
            struct sql_arena_block *next = b->next;
            free(b);
            b = next;
        }
        free(s->arena);
    }
    memset(s, 0, sizeof(*s));
}

/* ---- Tokens -------------------------------------------------------------------------------- */

/* Words that end an expression or a list, so they are never read as a column or an alias. */
static const char *const reserved_words[] = {
    "select", "from",    "where", "group", "by",   "having",   "order", "limit",   "as",   "on",
    "join",   "inner",   "left",  "right", "full", "outer",    "cross", "natural", "and",  "or",
    "not",    "between", "in",    "like",  "is",   "null",     "true",  "false",   "case", "when",
    "then",   "else",    "end",   "asc",   "desc", "distinct", "union"};

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_word_start(char c)
{
    unsigned char u = (unsigned char)c;
    /* Bytes of UTF-8 sequences are letters too, so names in any script lex as words. */
    return ((u | 0x20u) >= 'a' && (u | 0x20u) <= 'z') || c == '_' || u >= 0x80u;
}

static bool
is_word_char(char c)
{
    return is_word_start(c) || is_digit(c) || c == '$';
}

static char
to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

struct sql_position
sql_position_of(const char *text, uint32_t offset)
{
    struct sql_position pos = {offset, 1, 1};
    for (uint32_t i = 0; i < offset; i++) {
        pos.line += text[i] == '\n';
        pos.column = text[i] == '\n' ? 1 : pos.column + 1;
    }
    return pos;
}

col_status
sql_fail_at(struct sql_parser *p, col_status status, uint32_t offset, const char *format, ...)
{
    assert(status != COL_OK);
    if (p->status != COL_OK) {
        return p->status;
    }
    struct sql_position pos = sql_position_of(p->text, offset);
    if (p->where != NULL) {
        *p->where = pos;
    }
    char message[COL_ERROR_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    p->status = col_fail(p->err, status, "line %u, column %u: %s", pos.line, pos.column, message);
    p->tok = (struct sql_token){SQL_TOKEN_END, offset, 0};
    return p->status;
}

/* The text of t for a message: at most 40 bytes, control bytes shown as '?'. */
static void
token_text(const struct sql_parser *p, const struct sql_token *t, char out[48])
{
    if (t->kind == SQL_TOKEN_END) {
        strcpy(out, "end of input");
        return;
    }
    uint32_t n = t->size_bytes < 40 ? t->size_bytes : 40;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p->text[t->offset + i];
        out[i] = c < 0x20u || c == 0x7fu ? '?' : (char)c;
    }
    strcpy(out + n, t->size_bytes > n ? "..." : "");
}

/* An error at token t: "<problem><detail>, found '<t's text>'". */
void
sql_fail_token(struct sql_parser *p, const struct sql_token *t, const char *problem,
               const char *detail)
{
    char found[48];
    token_text(p, t, found);
    sql_fail_at(p, COL_PARSE, t->offset, "%s%s, found '%s'", problem, detail, found);
}

void
sql_fail_found(struct sql_parser *p, const char *problem, const char *detail)
{
    sql_fail_token(p, &p->tok, problem, detail);
}

void
sql_expected(struct sql_parser *p, const char *what)
{
    sql_fail_found(p, "expected ", what);
}

/* A text cut at SQL_TEXT_MAX ends there only because of the limit. */
static void
fail_unclosed(struct sql_parser *p, uint32_t offset, const char *what)
{
    if (p->end < p->size) {
        sql_fail_at(p, COL_TOO_BIG, (uint32_t)p->end, "statement over SQL_TEXT_MAX (%u bytes)",
                    SQL_TEXT_MAX);
    } else {
        sql_fail_at(p, COL_PARSE, offset, "%s not closed, found 'end of input'", what);
    }
}

/* Moves *at past spaces and comments. */
static void
skip_space(struct sql_parser *p, size_t *at)
{
    const char *s = p->text;
    size_t i = *at;
    for (;;) {
        while (i < p->end && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) {
            i++;
        }
        if (i + 1 < p->end && s[i] == '-' && s[i + 1] == '-') {
            while (i < p->end && s[i] != '\n') {
                i++;
            }
        } else if (i + 1 < p->end && s[i] == '/' && s[i + 1] == '*') {
            size_t start = i;
            for (i += 2; i + 1 < p->end && !(s[i] == '*' && s[i + 1] == '/');) {
                i++;
            }
            if (i + 1 >= p->end) {
                fail_unclosed(p, (uint32_t)start, "comment");
                return;
            }
            i += 2;
        } else {
            break;
        }
    }
    *at = i;
}

/* Digits, then .digits, then e[+-]digits; a letter straight after is an error, not a word. */
static enum sql_token_kind
lex_number(struct sql_parser *p, size_t i, size_t *stop)
{
    const char *s = p->text;
    enum sql_token_kind kind = SQL_TOKEN_INTEGER;
    while (i < p->end && is_digit(s[i])) {
        i++;
    }
    if (i < p->end && s[i] == '.') {
        kind = SQL_TOKEN_DECIMAL;
        for (i++; i < p->end && is_digit(s[i]);) {
            i++;
        }
    }
    if (i < p->end && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1 < p->end && (s[i + 1] == '+' || s[i + 1] == '-') ? i + 2 : i + 1;
        if (j < p->end && is_digit(s[j])) {
            kind = SQL_TOKEN_FLOAT;
            for (i = j; i < p->end && is_digit(s[i]);) {
                i++;
            }
        }
    }
    *stop = i;
    return kind;
}

static enum sql_token_kind
lex_symbol(struct sql_parser *p, size_t i, size_t *stop)
{
    char c = p->text[i];
    char next = i + 1 < p->end ? p->text[i + 1] : '\0';
    *stop = i + 1;
    switch (c) {
    case '(':
        return SQL_TOKEN_LPAREN;
    case ')':
        return SQL_TOKEN_RPAREN;
    case ',':
        return SQL_TOKEN_COMMA;
    case '.':
        return SQL_TOKEN_DOT;
    case ';':
        return SQL_TOKEN_SEMICOLON;
    case '*':
        return SQL_TOKEN_STAR;
    case '+':
        return SQL_TOKEN_PLUS;
    case '-':
        return SQL_TOKEN_MINUS;
    case '/':
        return SQL_TOKEN_SLASH;
    case '=':
        return SQL_TOKEN_EQ;
    case '<':
        *stop += next == '=' || next == '>';
        return next == '=' ? SQL_TOKEN_LE : next == '>' ? SQL_TOKEN_NE : SQL_TOKEN_LT;
    case '>':
        *stop += next == '=';
        return next == '=' ? SQL_TOKEN_GE : SQL_TOKEN_GT;
    case '!':
        if (next == '=') {
            *stop += 1;
            return SQL_TOKEN_NE;
        }
        break;
    default:
        break;
    }
    unsigned char u = (unsigned char)c;
    if (u < 0x20u || u >= 0x7fu) {
        sql_fail_at(p, COL_PARSE, (uint32_t)i, "unexpected byte 0x%02x", u);
    } else {
        sql_fail_at(p, COL_PARSE, (uint32_t)i, "unexpected character '%c'", c);
    }
    return SQL_TOKEN_END;
}

/* Reads the token at or after from into *t; on an error, p->status says so. */
void
sql_lex(struct sql_parser *p, size_t from, struct sql_token *t)
{
    const char *s = p->text;
    size_t i = from;
    skip_space(p, &i);
    *t = (struct sql_token){SQL_TOKEN_END, (uint32_t)i, 0};
    if (p->status != COL_OK || i == p->end) {
        if (p->status == COL_OK && p->end < p->size) {
            fail_unclosed(p, (uint32_t)i, "statement");
        }
        return;
    }
    size_t stop = i + 1;
    if (is_word_start(s[i])) {
        t->kind = SQL_TOKEN_WORD;
        while (stop < p->end && is_word_char(s[stop])) {
            stop++;
        }
    } else if (is_digit(s[i]) || (s[i] == '.' && i + 1 < p->end && is_digit(s[i + 1]))) {
        t->kind = lex_number(p, i, &stop);
        if (stop < p->end && (is_word_char(s[stop]) || s[stop] == '.')) {
            while (stop < p->end && (is_word_char(s[stop]) || s[stop] == '.')) {
                stop++;
            }
            t->size_bytes = (uint32_t)(stop - i);
            sql_fail_token(p, t, "expected ", "a number");
        }
    } else if (s[i] == '\'' || s[i] == '"') {
        t->kind = s[i] == '\'' ? SQL_TOKEN_STRING : SQL_TOKEN_QUOTED;
        /* A doubled quote stands for one and does not end the token. */
        while (stop < p->end && !(s[stop] == s[i] && (stop + 1 == p->end || s[stop + 1] != s[i]))) {
            stop += s[stop] == s[i] ? 2 : 1;
        }
        if (stop >= p->end) {
            fail_unclosed(p, (uint32_t)i, t->kind == SQL_TOKEN_STRING ? "string" : "quoted name");
        }
        stop++;
    } else {
        t->kind = lex_symbol(p, i, &stop);
    }
    t->size_bytes = (uint32_t)(stop - i);
    if (p->status != COL_OK) {
        *t = p->tok;
    }
}

void
sql_advance(struct sql_parser *p)
{
    if (p->status == COL_OK) {
        sql_lex(p, (size_t)p->tok.offset + p->tok.size_bytes, &p->tok);
    }
}

/* The token after the current one, without moving. */
struct sql_token
sql_peek(struct sql_parser *p)
{
    struct sql_token t = {SQL_TOKEN_END, p->tok.offset, 0};
    if (p->status == COL_OK) {
        sql_lex(p, (size_t)p->tok.offset + p->tok.size_bytes, &t);
    }
    return t;
}

/* Whether t is the word keyword (given in lower case), in any case. */
bool
sql_token_is(const struct sql_parser *p, const struct sql_token *t, const char *keyword)
{
    size_t n = strlen(keyword);
    if (t->kind != SQL_TOKEN_WORD || t->size_bytes != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (to_lower(p->text[t->offset + i]) != keyword[i]) {
            return false;
        }
    }
    return true;
}

bool
sql_is_keyword(const struct sql_parser *p, const char *keyword)
{
    return sql_token_is(p, &p->tok, keyword);
}

bool
sql_is_reserved(const struct sql_parser *p, const struct sql_token *t)
{
    for (size_t i = 0; i < sizeof(reserved_words) / sizeof(reserved_words[0]); i++) {
        if (sql_token_is(p, t, reserved_words[i])) {
            return true;
        }
    }
    return false;
}

bool
sql_accept(struct sql_parser *p, const char *keyword)
{
    bool is_found = sql_is_keyword(p, keyword);
    if (is_found) {
        sql_advance(p);
    }
    return is_found;
}

bool
sql_accept_token(struct sql_parser *p, enum sql_token_kind kind)
{
    bool is_found = p->tok.kind == kind;
    if (is_found) {
        sql_advance(p);
    }
    return is_found;
}

void
sql_expect(struct sql_parser *p, const char *keyword, const char *what)
{
    if (!sql_accept(p, keyword)) {
        sql_expected(p, what);
    }
}

void
sql_expect_token(struct sql_parser *p, enum sql_token_kind kind, const char *what)
{
    if (!sql_accept_token(p, kind)) {
        sql_expected(p, what);
    }
}

/* Copies the current token, a word (folded to lower case) or a quoted name (as written, "" for
 * a quote), into out and moves past it. what names the token in an error. */
void
sql_take_name(struct sql_parser *p, char out[SQL_NAME_SIZE_MAX], const char *what)
{
    struct sql_token t = p->tok;
    if (t.kind != SQL_TOKEN_QUOTED && (t.kind != SQL_TOKEN_WORD || sql_is_reserved(p, &t))) {
        sql_expected(p, what);
        return;
    }
    bool is_quoted = t.kind == SQL_TOKEN_QUOTED;
    const char *s = p->text + t.offset + is_quoted;
    uint32_t size_bytes = t.size_bytes - 2u * is_quoted;
    uint32_t n = 0;
    for (uint32_t i = 0; i < size_bytes; i++, n++) {
        if (n == SQL_NAME_SIZE_MAX - 1) {
            sql_fail_at(p, COL_TOO_BIG, t.offset, "name over SQL_NAME_SIZE_MAX - 1 (%u bytes)",
                        SQL_NAME_SIZE_MAX - 1);
            return;
        }
        i += is_quoted && s[i] == '"'; /* the first of a doubled quote */
        out[n] = is_quoted ? s[i] : to_lower(s[i]);
    }
    out[n] = '\0';
    if (n == 0 || strlen(out) != n) {
        sql_expected(p, what); /* "" or a NUL byte inside the quotes */
        return;
    }
    sql_advance(p);
}

size_t
sql_caret(const char *text, size_t size, const struct sql_position *where, char *out,
          size_t out_size)
{
    size_t offset = where->offset < size ? where->offset : size;
    size_t start = offset;
    while (start > 0 && text[start - 1] != '\n') {
        start--;
    }
    size_t stop = offset;
    while (stop < size && text[stop] != '\n') {
        stop++;
    }
    stop -= stop > start && text[stop - 1] == '\r';
    /* The line as written, but for control bytes (a NUL among them) shown as '?'. */
    size_t n = 0;
    for (size_t i = start; i < stop; i++, n++) {
        unsigned char c = (unsigned char)text[i];
        if (n + 1 < out_size) {
            out[n] = (c < 0x20u && c != '\t') || c == 0x7fu ? '?' : (char)c;
        }
    }
    /* Under the line: tabs kept so the caret lines up, one space a character (bytes that
     * continue a UTF-8 sequence take no column). */
    for (size_t i = start; i <= offset; i++) {
        char c = i == start ? '\n' : text[i - 1];
        if (c != '\n' && ((unsigned char)c & 0xc0u) == 0x80u) {
            continue;
        }
        if (n + 1 < out_size) {
            out[n] = c == '\t' || c == '\n' ? c : ' ';
        }
        n++;
    }
    if (n + 1 < out_size) {
        out[n] = '^';
    }
    n++;
    if (out_size > 0) {
        out[n < out_size ? n : out_size - 1] = '\0';
    }
    return n;
}
