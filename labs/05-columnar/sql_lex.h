/* sql_lex.h -- the tokens of part E's SQL parser (lab 05), given and internal: what
 * sql_lex_given.c (tokens, the arena, errors and their positions) offers sql_parse_given.c (the
 * grammar). The contract of both is sql.h; read that first. */
#ifndef KEEL_SQL_LEX_H
#define KEEL_SQL_LEX_H

#include "sql.h"

/* The nodes and strings of one statement: a list of malloc'd blocks, handed out in order and
 * freed together by sql_select_free. Nothing in it moves, so the tree points into it freely. */
struct sql_arena {
    struct sql_arena_block *head; /* the newest block, the only one still handing out bytes */
};

enum sql_token_kind {
    SQL_TOKEN_END, /* the end of the text; also where the parser stands after an error */
    SQL_TOKEN_WORD,
    SQL_TOKEN_QUOTED, /* "an identifier" */
    SQL_TOKEN_STRING, /* 'a string' */
    SQL_TOKEN_INTEGER,
    SQL_TOKEN_DECIMAL,
    SQL_TOKEN_FLOAT,
    SQL_TOKEN_LPAREN,
    SQL_TOKEN_RPAREN,
    SQL_TOKEN_COMMA,
    SQL_TOKEN_DOT,
    SQL_TOKEN_SEMICOLON,
    SQL_TOKEN_STAR,
    SQL_TOKEN_PLUS,
    SQL_TOKEN_MINUS,
    SQL_TOKEN_SLASH,
    SQL_TOKEN_EQ,
    SQL_TOKEN_NE,
    SQL_TOKEN_LT,
    SQL_TOKEN_LE,
    SQL_TOKEN_GT,
    SQL_TOKEN_GE
};

struct sql_token {
    enum sql_token_kind kind;
    uint32_t offset;     /* of its first byte in the text */
    uint32_t size_bytes; /* with the quotes of a string or quoted name */
};

/* One parse. The first error wins: it sets status and leaves tok at SQL_TOKEN_END, so every loop
 * stops and every later error is ignored. Parse functions return NULL once status is not COL_OK. */
struct sql_parser {
    const char *text;
    size_t size;          /* bytes of text */
    size_t end;           /* where lexing stops: size, or SQL_TEXT_MAX when the text is longer */
    struct sql_token tok; /* the current token */
    uint32_t depth;       /* parse_expr calls active, at most SQL_DEPTH_MAX */
    col_status status;
    struct sql_arena *arena;
    uint32_t node_count;        /* nodes made so far, at most SQL_NODES_MAX */
    struct sql_position *where; /* may be NULL */
    struct col_error *err;      /* may be NULL */
};

/* Reads the token at or after byte from, past spaces and comments, into *t. On an error (a
 * string not closed, a byte no token starts with, a text over SQL_TEXT_MAX) p->status says so
 * and *t is SQL_TOKEN_END. sql_advance moves p->tok on; sql_peek reads the token after it
 * without moving. None of them reads past p->tok once it is the ';' that ends the statement. */
void sql_lex(struct sql_parser *p, size_t from, struct sql_token *t);
void sql_advance(struct sql_parser *p);
struct sql_token sql_peek(struct sql_parser *p);

/* Keywords are given in lower case and match a word in any case. sql_accept and
 * sql_accept_token move past a match and say whether there was one; sql_expect and
 * sql_expect_token make a missing one an error, what naming it ("expected FROM"). */
bool sql_token_is(const struct sql_parser *p, const struct sql_token *t, const char *keyword);
bool sql_is_keyword(const struct sql_parser *p, const char *keyword);
bool sql_is_reserved(const struct sql_parser *p, const struct sql_token *t);
bool sql_accept(struct sql_parser *p, const char *keyword);
bool sql_accept_token(struct sql_parser *p, enum sql_token_kind kind);
void sql_expect(struct sql_parser *p, const char *keyword, const char *what);
void sql_expect_token(struct sql_parser *p, enum sql_token_kind kind, const char *what);

/* Copies the current token, a word not reserved (folded to lower case) or a "quoted name" (as
 * written), into out and moves past it; anything else is an error naming what. */
void sql_take_name(struct sql_parser *p, char out[SQL_NAME_SIZE_MAX], const char *what);

/* Errors. sql_fail_at records the first error only: status, "line L, column C: " and the
 * message in p->err, offset's position in p->where; it leaves p->tok at SQL_TOKEN_END and
 * returns p->status. sql_fail_token writes "<problem><detail>, found '<t>'"; sql_fail_found
 * does so for the current token, and sql_expected writes "expected <what>, found ...". */
col_status sql_fail_at(struct sql_parser *p, col_status status, uint32_t offset, const char *format,
                       ...) __attribute__((format(printf, 4, 5)));
void sql_fail_token(struct sql_parser *p, const struct sql_token *t, const char *problem,
                    const char *detail);
void sql_fail_found(struct sql_parser *p, const char *problem, const char *detail);
void sql_expected(struct sql_parser *p, const char *what);

/* size_bytes from a, aligned for any type; NULL when malloc fails. Valid until
 * sql_select_free. */
void *sql_arena_alloc(struct sql_arena *a, size_t size_bytes);

#endif
