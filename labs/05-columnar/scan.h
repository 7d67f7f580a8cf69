/* scan.h -- part C: reading a table as batches, with late materialization and zone-map pruning
 * (lab 05). A scan reads some columns of a table through the cache and gives batches of the
 * rows that pass its filters. It does as little as it can:
 *   - pruning: a row group whose zone maps prove that some filter holds for none of its rows
 *     is skipped without reading a byte of it;
 *   - late materialization: filters run one after another, each on its own columns and only
 *     on the rows the filters before it kept, and a column no filter needs is read only for
 *     the rows that passed them all. A row group where no row passes never has its other
 *     columns read at all.
 * The scan counts what it did per column (chunks by cache tier, bytes, rows touched), which is
 * what EXPLAIN shows. Read struct scan_spec, then scan_next. Your code goes in scan.c. */
#ifndef KEEL_SCAN_H
#define KEEL_SCAN_H

#include "cache.h"
#include "expr.h"

#define SCAN_CONJUNCTS_MAX 32u /* filters after the top-level ANDs are split */

/* What to read. The scan's batches have column_count columns: column i of a batch is table
 * column columns[i] (a column may be listed once only). Filters are conditions over those
 * batch columns, resolved (expr_resolve) against their types and scales: a row comes out when
 * every filter is TRUE for it. The scan splits each filter's top-level ANDs into conjuncts and
 * runs the conjuncts in the order given, the first's first: put the cheap, selective ones
 * first (the planner does). Everything is borrowed and must outlive the scan. */
struct scan_spec {
    const struct col_table *table;
    struct col_cache *cache;
    uint32_t column_count;
    uint32_t columns[VEC_COLUMNS_MAX];
    uint32_t filter_count;
    const struct expr *filters[SCAN_CONJUNCTS_MAX];
};

/* What one column of a scan cost. chunks[tier]: the column's chunks pinned, by the tier the
 * cache found each in (a cold one was read from the file). bytes: the encoded bytes of those
 * chunks (the footer's size_bytes), whichever tier they came from. rows_touched: for each batch
 * the column was loaded for, the rows selected at that moment (every row of the batch for the
 * first conjunct's columns; fewer for later ones; the surviving rows for a column no conjunct
 * needs). */
struct scan_column_stats {
    uint64_t chunks[COL_TIER_COUNT];
    uint64_t bytes;
    uint64_t rows_touched;
};

/* What a scan did: row groups it was given, of which pruned by zone maps (never read); rows in
 * the groups it read; rows it gave out; and each batch column's costs. */
struct scan_stats {
    uint64_t groups;
    uint64_t groups_pruned;
    uint64_t rows_scanned;
    uint64_t rows_out;
    struct scan_column_stats columns[VEC_COLUMNS_MAX];
};

struct scan; /* one thread's scan: its pins, buffers and counts */

/* Given (scan_given.c). */

/* Adds from's counts into into (part D: each thread's scan counts its own). */
void scan_stats_add(struct scan_stats *into, const struct scan_stats *from);

/* The order of a and b as values of types ta and tb (scales sa and sb for DECIMAL), which
 * expr_resolve lets a comparison take: numbers by value (exactly, unless one is FLOAT64: then
 * as doubles, as a comparison evaluates them), dates, strings by col_str_compare. Returns <0,
 * 0 or >0. For zone maps: compare a chunk's bounds with a constant as the filter would. */
int scan_value_compare(enum col_type ta, uint8_t sa, union col_datum a, enum col_type tb,
                       uint8_t sb, union col_datum b);

/* Yours (scan.c). */

/* A scan of spec, reading nothing yet. Returns COL_OK with *out owned by the caller
 * (scan_free); COL_INVALID naming what is wrong (no columns or over VEC_COLUMNS_MAX, a column
 * past the table's or listed twice, a filter that is not a condition or over more conjuncts
 * than SCAN_CONJUNCTS_MAX); COL_NOMEM. */
col_status scan_new(const struct scan_spec *spec, struct scan **out, struct col_error *err);

/* Frees s and releases its pins. NULL is a no-op. */
void scan_free(struct scan *s);

/* Whether the zone maps of row group group leave it possible that a row passes every
 * conjunct: false exactly when one of these conjuncts is ruled out for the group,
 *   column op constant, or constant op column (=, <>, <, <=, >, >=): by the chunk's min and
 *     max (a bound the constant equals may match: only a strict miss prunes);
 *   a comparison with the NULL constant, or any comparison on a column with no valid row;
 *   column IS NULL with no NULL in the chunk; column IS NOT NULL with every row NULL.
 * and true for any other conjunct. Reads only the footer (col_table_chunk). */
bool scan_group_may_match(const struct scan *s, uint32_t group);

/* Starts reading row groups [first_group, end_group) (end_group at most the table's group
 * count): the next scan_next calls give their rows. Releases the pins of what came before. A
 * single thread scans the whole table with (0, group count); part D's workers take one row
 * group (a morsel) at a time. */
void scan_begin(struct scan *s, uint32_t first_group, uint32_t end_group);

/* Fills out with the next batch of the groups begun: up to COL_VECTOR_SIZE consecutive rows of
 * one row group (the group's rows in order, a batch starting at each multiple of
 * COL_VECTOR_SIZE), of which the rows that pass every filter are selected. A batch in which no
 * row passes is never given: out->row_count is 0 only when the groups are done (their pins
 * released then). Pruned groups are skipped (scan_group_may_match). Each of out's columns holds
 * its value at every selected row (other rows may hold anything): flat, pointing into the
 * pinned chunk where the chunk's values are plain; dictionary-coded for a DICT chunk; constant
 * for an RLE chunk when one run covers the batch's rows and they are all valid or all NULL;
 * else flat in the scan's own buffer, filled at the selected rows only. out is valid until the
 * next call with s; at the end its row_count and selected_count are 0. Returns COL_OK; a status of
 * col_cache_pin (a corrupt chunk: its message names the file, group and column) or of
 * expr_select_rows; the scan may then only be freed or begun again. */
col_status scan_next(struct scan *s, struct batch *out, struct col_error *err);

/* A copy of s's counts since scan_new. */
void scan_stats(const struct scan *s, struct scan_stats *out);

#endif
