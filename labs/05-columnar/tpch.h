/* tpch.h -- the lab's data: a seeded generator of the eight TPC-H tables (lab 05). Given code.
 *
 * It follows the TPC-H specification (revision 3.0.1, clause 4.2.3) closely enough that the
 * classic queries select what they are meant to: the row counts per scale factor, the sparse
 * order keys (8 of every 32), customers whose key is a multiple of 3 placing no orders, the
 * four suppliers of each part and the lines' supplier among them, the retail price formula,
 * 1 to 7 lines an order, the date rules (order dates from 1992-01-01 to 151 days before
 * 1998-12-31; ship 1-121 days after the order, commit 30-90, receipt 1-30 after shipping;
 * return flag and line status against the "current date" 1995-06-17), quantities, discounts
 * and taxes, and the word lists (nations, regions, segments, priorities, types, containers,
 * ship modes and instructions, the colours of part names). Where it differs from dbgen:
 *   - its random numbers are its own (a hash of seed, table and row), so its rows are not
 *     dbgen's rows, only drawn the same way; any row can be made alone, in any order;
 *   - comments are words from a short list, of the specified lengths, not dbgen's grammar (no
 *     query of this lab reads them);
 *   - addresses are random letters and digits of the specified lengths.
 * Column types: keys INT32 (o_orderkey and l_orderkey INT64, since they pass 2^31 at scale
 * factor 360), money and quantities DECIMAL(2), dates DATE, the rest STRING or INT32. */
#ifndef KEEL_TPCH_H
#define KEEL_TPCH_H

#include "colfile.h"

#define TPCH_TABLE_LIST(X)                                                                         \
    X(TPCH_REGION, "region")                                                                       \
    X(TPCH_NATION, "nation")                                                                       \
    X(TPCH_SUPPLIER, "supplier")                                                                   \
    X(TPCH_CUSTOMER, "customer")                                                                   \
    X(TPCH_PART, "part")                                                                           \
    X(TPCH_PARTSUPP, "partsupp")                                                                   \
    X(TPCH_ORDERS, "orders")                                                                       \
    X(TPCH_LINEITEM, "lineitem")

#define TPCH_TABLE_ENUM_ENTRY(name, text) name,
enum tpch_table { TPCH_TABLE_LIST(TPCH_TABLE_ENUM_ENTRY) TPCH_TABLE_COUNT };
#undef TPCH_TABLE_ENUM_ENTRY

#define TPCH_SCALE_MAX 100.0 /* 600 M lines: past it, a run takes hours */

/* "lineitem", ...; "?" for a value not in the list. */
const char *tpch_table_name(enum tpch_table table);

/* The table's columns, as the specification names them (l_orderkey, ...). */
const struct col_schema *tpch_schema(enum tpch_table table);

/* Rows of table at scale (lineitem's is an estimate: 4 lines an order on average; the rest
 * exact). */
uint64_t tpch_row_count(enum tpch_table table, double scale);

/* Called after each slice of rows written, for progress on long runs. */
typedef void tpch_progress_fn(void *ctx, enum tpch_table table, uint64_t rows_done,
                              uint64_t rows_total);

struct tpch_options {
    double scale;               /* > 0, at most TPCH_SCALE_MAX: 1 is lineitem's 6 M rows */
    uint64_t seed;              /* the same seed and scale give the same tables, byte for byte */
    bool with_tbl;              /* also write NAME.tbl, dbgen's format ('|' after every field) */
    uint32_t group_rows;        /* of the table files; 0: COL_GROUP_ROWS_DEFAULT */
    tpch_progress_fn *progress; /* may be NULL */
    void *progress_ctx;
};

/* Writes the eight tables into the directory dir (made if missing) as NAME.kcol, and NAME.tbl
 * when asked, each replacing any file of that name only once it is complete. Returns COL_OK;
 * COL_INVALID for a scale out of range; a status of the writer's (COL_IO naming the file). */
col_status tpch_generate(const struct tpch_options *options, const char *dir,
                         struct col_error *err);

/* The text of TPC-H query number (1, 3, 5, 6, 10 or 12; NULL for another) with the
 * specification's validation parameters, in SQL that both keel-sql and SQLite read: dates as
 * strings (the planner reads a string compared with a DATE column as a date; SQLite compares
 * the text) and the intervals worked out (Q1's 1998-12-01 - 90 days is '1998-09-02'). */
const char *tpch_query(uint32_t number);

#endif
