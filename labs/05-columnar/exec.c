/* exec.c -- part D: a pipeline run over morsels on threads (exec.h). Every thread, the calling
 * one included, takes morsels from one atomic counter and pushes each batch of a morsel
 * through its own operator states into its own sink, so nothing is shared while rows flow; the
 * sinks meet once, at the end, in a merge. */
#include "exec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

col_status
exec_run(const struct exec_pipeline *p, uint32_t threads, struct exec_result *out,
         struct exec_stats *stats, struct col_error *err)
{
    /* TODO(part D): one worker per thread (the calling thread is worker 0), each with its own
     * scan (EXEC_SOURCE_SCAN), an expr_state per FILTER and PROJECT expression, a join_probe
     * per PROBE, a batch and selection buffer per operator, and its own sink (agg_table_new,
     * join_table_new, sort_table_new, or mat_init). Each takes morsel m = the counter's next
     * value until none is left: a row group (scan_begin(s, m, m + 1)) or EXEC_MAT_MORSEL_ROWS
     * rows of p->mat (mat_batch), pushing each batch through the operators in order (a PROBE
     * may give many batches for one) into its sink, counting rows in and out. On an error:
     * keep the first, stop the others at their next batch. At the end merge every sink into
     * worker 0's, finish it into *out, add up the counts, free everything else. */
    (void)p;
    (void)threads;
    (void)out;
    (void)stats;
    return col_fail(err, COL_UNIMPLEMENTED, "exec_run: not implemented yet (part D)");
}
