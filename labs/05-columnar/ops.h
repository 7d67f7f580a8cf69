/* ops.h -- part B: the operators that keep rows (lab 05): hash aggregation, hash join, and sort
 * with top-N. Each takes batches as they come (add), can take in another of its kind built by
 * another thread over other rows (merge: part D), and gives its rows at the end (finish) as a
 * struct mat, or for a join, its matches batch by batch. Read struct agg_spec and
 * agg_table_add first. Your code goes in aggregate.c, join.c and sort.c. */
#ifndef KEEL_OPS_H
#define KEEL_OPS_H

#include "vec.h"

#define AGG_KEYS_MAX 8u           /* GROUP BY columns */
#define AGG_FUNCS_MAX 16u         /* aggregates of one GROUP BY: TPC-H's Q1 has 8 */
#define AGG_GROUPS_MAX (1u << 26) /* 64 M groups: a table a hash aggregate may keep */

#define AGG_FN_LIST(X)                                                                             \
    X(AGG_COUNT_STAR, "count(*)")                                                                  \
    X(AGG_COUNT, "count")                                                                          \
    X(AGG_SUM, "sum")                                                                              \
    X(AGG_AVG, "avg")                                                                              \
    X(AGG_MIN, "min")                                                                              \
    X(AGG_MAX, "max")

#define AGG_FN_ENUM_ENTRY(name, text) name,
enum agg_fn { AGG_FN_LIST(AGG_FN_ENUM_ENTRY) AGG_FN_COUNT };
#undef AGG_FN_ENUM_ENTRY

/* A GROUP BY: the input batch's columns that are the keys, and the aggregates, each over one
 * input column (none for COUNT(*)). What the aggregates give, by SQL and SQLite:
 *   COUNT(*)    INT64, the group's rows
 *   COUNT(x)    INT64, the rows where x is not NULL
 *   SUM(x)      INT64 for integers, DECIMAL of x's scale for decimals, FLOAT64 for doubles;
 *               NULL when no x is; an integer or decimal sum past int64_t is COL_TOO_BIG
 *   AVG(x)      FLOAT64, SUM(x) / COUNT(x) (the sum kept exact, divided once); NULL when no x is
 *   MIN, MAX    x's type; NULL when no x is (strings by col_str_compare)
 * Keys compare as values (NULL equal to NULL: NULLs make one group, as GROUP BY says). With no
 * keys, the result is one row, also over no input (COUNT 0, the rest NULL). */
struct agg_spec {
    uint32_t key_count;
    uint32_t keys[AGG_KEYS_MAX];
    uint32_t func_count;
    enum agg_fn fns[AGG_FUNCS_MAX];
    uint32_t args[AGG_FUNCS_MAX]; /* input column of each aggregate; unused for COUNT(*) */
};

/* Given (ops_given.c). */

const char *agg_fn_name(enum agg_fn fn);

/* The result's columns for input columns of types and scales: the keys' types, then each
 * aggregate's, into out_types and out_scales (key_count + func_count of each). Returns COL_OK,
 * or COL_INVALID naming what does not fit (a column past column_count, SUM or AVG of a string
 * or a date, too many keys or aggregates). */
col_status agg_spec_resolve(const struct agg_spec *spec, uint32_t column_count,
                            const enum col_type *types, const uint8_t *scales,
                            enum col_type *out_types, uint8_t *out_scales, struct col_error *err);

/* Yours (aggregate.c). */

struct agg_table; /* one thread's groups: not shared between threads */

/* A table for spec over input columns of these types and scales (checked by agg_spec_resolve).
 * Returns COL_OK with *out owned by the caller (agg_table_free), COL_INVALID or COL_NOMEM. */
col_status agg_table_new(const struct agg_spec *spec, uint32_t column_count,
                         const enum col_type *types, const uint8_t *scales, struct agg_table **out,
                         struct col_error *err);

/* Adds the selected rows of b (columns of the types given to agg_table_new) to their groups:
 * a group found by hashing its keys, made when new (keys copied: b's strings are borrowed).
 * Work a batch at a time: the hashes of every row first, then the groups, then each
 * aggregate's loop over the rows. Returns COL_OK; COL_NOMEM; COL_TOO_BIG past AGG_GROUPS_MAX.
 * After a failure the table may hold part of b. */
col_status agg_table_add(struct agg_table *t, const struct batch *b, struct col_error *err);

/* Adds every group of from (made with the same spec and types) to into, merging the
 * aggregates of groups in both, and leaves from empty (part D's threads each fill a table;
 * one merge per thread at the end). Returns COL_OK, COL_NOMEM or COL_TOO_BIG. */
col_status agg_table_merge(struct agg_table *into, struct agg_table *from, struct col_error *err);

/* The groups as rows into out (initialized here with agg_spec_resolve's columns; the caller
 * frees it with mat_free): keys, then aggregates, one row per group in no set order (one row
 * when there are no keys). Returns COL_OK, COL_TOO_BIG (a sum past int64_t, naming it) or
 * COL_NOMEM. The table is spent: only agg_table_free may follow. */
col_status agg_table_finish(struct agg_table *t, struct mat *out, struct col_error *err);

/* The groups so far. */
uint64_t agg_table_group_count(const struct agg_table *t);

void agg_table_free(struct agg_table *t);

/* ---- Hash join ------------------------------------------------------------------------------ */

#define JOIN_KEYS_MAX 4u           /* columns of one equality: Q5 joins on two */
#define JOIN_ROWS_MAX (1ull << 31) /* build rows a join keeps */

/* An inner equi-join: build side rows (the smaller input, kept in a table) matched with probe
 * side rows (streamed) where every build_keys[i] equals probe_keys[i]. Keys compare as values:
 * integers of any width alike, decimals at one scale, strings by bytes, dates; a NULL key
 * matches nothing. */
struct join_spec {
    uint32_t key_count;
    uint32_t build_keys[JOIN_KEYS_MAX];
    uint32_t probe_keys[JOIN_KEYS_MAX];
};

struct join_table; /* the build side: filled by one thread, then read by any number */
struct join_probe; /* one thread's probe: its cursor and output buffers */

/* Yours (join.c). */

/* A table for build rows of build_column_count columns of these types. Returns COL_OK with
 * *out owned by the caller (join_table_free), COL_INVALID (a key past the columns, or key
 * types that cannot be equal: checked again at join_probe_new against the probe side), or
 * COL_NOMEM. */
col_status join_table_new(const struct join_spec *spec, uint32_t build_column_count,
                          const enum col_type *types, const uint8_t *scales,
                          struct join_table **out, struct col_error *err);

/* Copies the selected rows of b, every column, into the table. COL_OK, COL_NOMEM, or
 * COL_TOO_BIG past JOIN_ROWS_MAX. Not after join_table_finish. */
col_status join_table_add(struct join_table *t, const struct batch *b, struct col_error *err);

/* Moves every row of from into into (same spec and columns), leaving from empty. */
col_status join_table_merge(struct join_table *into, struct join_table *from,
                            struct col_error *err);

/* Builds the hash index over the rows: after it, the table is read-only and any number of
 * threads may probe it at once. COL_OK or COL_NOMEM. */
col_status join_table_finish(struct join_table *t, struct col_error *err);

uint64_t join_table_row_count(const struct join_table *t);
void join_table_free(struct join_table *t);

/* A probe of t (finished) by batches of probe_column_count columns of these types: owned by
 * the caller (join_probe_free), one per thread. COL_INVALID when a probe key cannot equal its
 * build key (a string against a number, decimals of two scales). */
col_status join_probe_new(const struct join_table *t, uint32_t probe_column_count,
                          const enum col_type *types, const uint8_t *scales,
                          struct join_probe **out, struct col_error *err);
void join_probe_free(struct join_probe *p);

/* Starts matching the selected rows of in, which must stay valid until the last
 * join_probe_next for it. */
void join_probe_begin(struct join_probe *p, const struct batch *in);

/* Fills out with the next matches, up to COL_VECTOR_SIZE: one row per (probe row, build row)
 * pair whose keys are equal, in the probe rows' order; out's columns are in's columns followed
 * by the build side's, flat (or dictionary, as in's were), every row selected. out points into
 * p and t: valid until the next call with p. out->row_count is 0 when in has no more matches. */
col_status join_probe_next(struct join_probe *p, struct batch *out, struct col_error *err);

/* ---- Sort and top-N ------------------------------------------------------------------------- */

#define SORT_KEYS_MAX 8u

struct sort_key {
    uint32_t column;
    bool is_descending;
};

/* ORDER BY keys[0], keys[1], ... : each compared as its type compares (strings by bytes, numbers
 * by value), NULL before every value (as SQLite orders: first ascending, last descending); rows
 * equal on every key in no set order. limit 0 keeps every row; limit n keeps the first n
 * (ORDER BY ... LIMIT n: a top-N that never holds many more rows than n). */
struct sort_spec {
    uint32_t key_count;
    struct sort_key keys[SORT_KEYS_MAX];
    uint64_t limit;
};

struct sort_table;

/* Yours (sort.c). */

col_status sort_table_new(const struct sort_spec *spec, uint32_t column_count,
                          const enum col_type *types, const uint8_t *scales,
                          struct sort_table **out, struct col_error *err);
/* Copies the selected rows of b, every column. COL_OK or COL_NOMEM. */
col_status sort_table_add(struct sort_table *t, const struct batch *b, struct col_error *err);
/* Moves from's rows into into (same spec and columns), leaving from empty. */
col_status sort_table_merge(struct sort_table *into, struct sort_table *from,
                            struct col_error *err);
/* The rows in order into out (initialized here; mat_free it): all of them, or the first limit.
 * The table is spent: only sort_table_free may follow. */
col_status sort_table_finish(struct sort_table *t, struct mat *out, struct col_error *err);
void sort_table_free(struct sort_table *t);

#endif
