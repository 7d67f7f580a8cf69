/* exec.h -- part D: running a pipeline over morsels on threads (lab 05). A query is a few
 * pipelines (Leis et al., "Morsel-Driven Parallelism", SIGMOD 2014): each reads a source in
 * morsels, pushes each batch through streaming operators (filter, projection, hash-join probe)
 * into a sink that keeps rows (a join's build table, a GROUP BY, a sort, the result). Sinks are
 * the pipeline breakers: the next pipeline starts from what one made. Each worker thread takes
 * a morsel at a time (a row group of a table, or a range of a materialized result) and pushes
 * it through its own operator states into its own sink; at the end the sinks are merged into
 * one. The planner (plan.h, given) builds the pipelines; your code runs them, in exec.c. */
#ifndef KEEL_EXEC_H
#define KEEL_EXEC_H

#include "ops.h"
#include "scan.h"

#define EXEC_OPS_MAX 16u /* streaming operators in one pipeline: Q5 probes five tables */
#define EXEC_THREADS_MAX 64u
#define EXEC_MAT_MORSEL_ROWS                                                                       \
    ((uint64_t)16u * COL_VECTOR_SIZE) /* rows of a materialized source a morsel */

enum exec_source_kind {
    EXEC_SOURCE_SCAN, /* a table through a scan (scan.h): a morsel is one row group */
    EXEC_SOURCE_MAT, /* a struct mat another pipeline made: a morsel is EXEC_MAT_MORSEL_ROWS rows */
};

enum exec_op_kind {
    EXEC_FILTER,  /* keeps the selected rows where condition is TRUE (expr_select) */
    EXEC_PROJECT, /* a batch of expr_count columns, exprs[i]'s value each (expr_eval), with the
                   * input's rows and selection */
    EXEC_PROBE,   /* joins each batch with a finished join_table (join_probe): the batch's
                   * columns, then the build side's, one row per match */
};

struct exec_op {
    enum exec_op_kind kind;
    const struct expr *condition;              /* FILTER: resolved over the op's input */
    uint32_t expr_count;                       /* PROJECT */
    const struct expr *exprs[VEC_COLUMNS_MAX]; /* PROJECT: each resolved over the op's input */
    const struct join_table *table;            /* PROBE: finished before this pipeline runs */
    /* The op's input columns (PROBE: the probe side's), for join_probe_new and checks. */
    uint32_t input_column_count;
    enum col_type input_types[VEC_COLUMNS_MAX];
    uint8_t input_scales[VEC_COLUMNS_MAX];
};

enum exec_sink_kind {
    EXEC_SINK_BUILD,     /* join_table_add into a table of spec join, finished at the end */
    EXEC_SINK_AGGREGATE, /* agg_table_add into a table of spec agg; its rows at the end */
    EXEC_SINK_SORT,      /* sort_table_add; the rows in order at the end */
    EXEC_SINK_COLLECT,   /* mat_append of every column; the rows at the end, in no set order */
};

/* What one operator (or the source, or the sink) saw: rows in (selected rows of the batches
 * it was given) and rows out, summed over the threads. */
struct exec_op_stats {
    uint64_t rows_in;
    uint64_t rows_out;
};

/* What a pipeline did: per streaming operator, the sink (rows_in: rows it took; rows_out: rows
 * it holds at the end), the scan's counts (EXEC_SOURCE_SCAN), the morsels taken by each
 * thread, and the wall time. */
struct exec_stats {
    struct exec_op_stats ops[EXEC_OPS_MAX];
    struct exec_op_stats sink;
    struct scan_stats scan;
    uint64_t source_rows; /* selected rows the source gave */
    uint32_t threads;
    uint64_t morsels[EXEC_THREADS_MAX];
    uint64_t wall_ns;
};

/* One pipeline: a source, streaming operators in order, a sink. */
struct exec_pipeline {
    enum exec_source_kind source;
    struct scan_spec scan; /* SCAN: table, cache, columns, filters */
    const struct mat *mat; /* MAT: borrowed, unchanged */
    uint32_t op_count;
    struct exec_op ops[EXEC_OPS_MAX];
    enum exec_sink_kind sink;
    /* The sink's input columns: the last operator's output (or the source's). */
    uint32_t sink_column_count;
    enum col_type sink_types[VEC_COLUMNS_MAX];
    uint8_t sink_scales[VEC_COLUMNS_MAX];
    struct join_spec join; /* BUILD */
    struct agg_spec agg;   /* AGGREGATE */
    struct sort_spec sort; /* SORT */
};

/* What a pipeline leaves: a BUILD sink's finished join table (owned: join_table_free), or the
 * rows of the other sinks (a struct mat: mat_free). */
struct exec_result {
    struct join_table *table;
    struct mat rows;
    bool has_rows;
};

/* Yours (exec.c). Runs p on threads threads (1 .. EXEC_THREADS_MAX; the calling thread is one
 * of them): morsels handed out by an atomic counter, each thread with its own scan, operator
 * states (an expr_state per expression, a join_probe per PROBE) and sink (a table of the sink's
 * kind, or a mat), merged into one at the end (agg_table_merge, join_table_merge,
 * sort_table_merge, mat_move_rows), then finished. On COL_OK *out holds the result (owned by
 * the caller) and *stats (may be NULL) the counts. The first error of any thread stops every
 * thread at its next batch and is returned with its message; *out is then untouched and
 * nothing is left allocated or pinned. */
col_status exec_run(const struct exec_pipeline *p, uint32_t threads, struct exec_result *out,
                    struct exec_stats *stats, struct col_error *err);

/* Given (exec_given.c). Frees what a result holds. */
void exec_result_free(struct exec_result *r);

#endif
