/* scan.c -- part C: a table read as batches, late materialization, zone-map pruning (scan.h).
 * Read a row group a batch at a time. For each batch run the conjuncts in order, each loading
 * only the columns it needs that are not loaded yet, for the rows still selected; load the
 * columns no conjunct needs last, for the survivors. Pin a column's chunk the first time its
 * group needs it, so a group where nothing survives never reads them. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

/* TODO(part C): what one thread's scan keeps: the spec, its conjuncts (each with the batch
 * columns it reads and an expr_state), per batch column its pinned chunk and a buffer for an
 * RLE chunk's values, where it is in its groups, a selection vector, the batch it gives, and
 * its counts. */
struct scan {
    struct scan_spec spec;
};

col_status
scan_new(const struct scan_spec *spec, struct scan **out, struct col_error *err)
{
    /* TODO(part C): check spec (scan.h says what is COL_INVALID), split each filter's
     * top-level ANDs into conjuncts, and make each an expr_state. */
    (void)spec;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "scan_new: not implemented yet (part C)");
}

void
scan_free(struct scan *s)
{
    /* TODO(part C): unpin what is pinned, free the states and buffers. */
    free(s);
}

bool
scan_group_may_match(const struct scan *s, uint32_t group)
{
    /* TODO(part C): false when a conjunct is column op constant (either way round), IS NULL
     * or IS NOT NULL of a column, and the group's zone map (col_table_chunk) proves it holds
     * for no row. Compare bounds with scan_value_compare; turn c op x around with
     * expr_op_flipped. */
    (void)s;
    (void)group;
    return true;
}

void
scan_begin(struct scan *s, uint32_t first_group, uint32_t end_group)
{
    /* TODO(part C): release the pins; remember the range. */
    (void)s;
    (void)first_group;
    (void)end_group;
}

col_status
scan_next(struct scan *s, struct batch *out, struct col_error *err)
{
    /* TODO(part C): skip pruned groups (counting them); cut each group into batches of
     * COL_VECTOR_SIZE rows; per batch, each conjunct: load its columns not yet loaded (pin the
     * chunk if the group has not; point the vector at the batch's rows of a plain or dict
     * chunk; an RLE chunk as a constant when one run covers the batch, else its values at the
     * selected rows), then expr_select_rows. Load the other columns for the survivors; give
     * only batches with survivors; unpin at each group's end. */
    (void)s;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "scan_next: not implemented yet (part C)");
}

void
scan_stats(const struct scan *s, struct scan_stats *out)
{
    /* TODO(part C): a copy of the counts. */
    (void)s;
    memset(out, 0, sizeof(*out));
}
