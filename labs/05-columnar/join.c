/* join.c -- part B: the inner hash join (ops.h). Keep the build side's rows in a struct mat;
 * at join_table_finish, chain them by hash (a head per bucket, a next per row). A probe walks
 * the chain of each probe row's bucket, and remembers where it stopped, since one probe row
 * may match more build rows than a batch holds. */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

col_status
join_table_new(const struct join_spec *spec, uint32_t build_column_count,
               const enum col_type *types, const uint8_t *scales, struct join_table **out,
               struct col_error *err)
{
    /* TODO(part B): check the keys (a column past the build side is COL_INVALID) and keep
     * spec and the types; an empty struct mat of the build side's columns. */
    (void)spec;
    (void)build_column_count;
    (void)types;
    (void)scales;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "join_table_new: not implemented yet (part B)");
}

col_status
join_table_add(struct join_table *t, const struct batch *b, struct col_error *err)
{
    /* TODO(part B): copy the selected rows, every column (mat_append). */
    (void)t;
    (void)b;
    return col_fail(err, COL_UNIMPLEMENTED, "join_table_add: not implemented yet (part B)");
}

col_status
join_table_merge(struct join_table *into, struct join_table *from, struct col_error *err)
{
    /* TODO(part B): move from's rows into into (mat_move_rows). */
    (void)into;
    (void)from;
    return col_fail(err, COL_UNIMPLEMENTED, "join_table_merge: not implemented yet (part B)");
}

col_status
join_table_finish(struct join_table *t, struct col_error *err)
{
    /* TODO(part B): hash every row's keys (integers of any width by value, so INT32 meets
     * INT64; a row with a NULL key goes in no chain) and chain the rows by bucket. */
    (void)t;
    return col_fail(err, COL_UNIMPLEMENTED, "join_table_finish: not implemented yet (part B)");
}

uint64_t
join_table_row_count(const struct join_table *t)
{
    /* TODO(part B): the build rows. */
    (void)t;
    return 0;
}

void
join_table_free(struct join_table *t)
{
    /* TODO(part B): free the table. */
    (void)t;
}

col_status
join_probe_new(const struct join_table *t, uint32_t probe_column_count, const enum col_type *types,
               const uint8_t *scales, struct join_probe **out, struct col_error *err)
{
    /* TODO(part B): check each probe key can equal its build key; allocate the output's
     * buffers (a column of COL_VECTOR_SIZE values of up to 16 bytes each). */
    (void)t;
    (void)probe_column_count;
    (void)types;
    (void)scales;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "join_probe_new: not implemented yet (part B)");
}

void
join_probe_free(struct join_probe *p)
{
    /* TODO(part B): free the probe. */
    (void)p;
}

void
join_probe_begin(struct join_probe *p, const struct batch *in)
{
    /* TODO(part B): remember in, hash every selected row's keys, start at its first row. */
    (void)p;
    (void)in;
}

col_status
join_probe_next(struct join_probe *p, struct batch *out, struct col_error *err)
{
    /* TODO(part B): walk the chains from where the last call stopped until COL_VECTOR_SIZE
     * matches (same hash, then equal keys), then gather in's columns at the matched probe
     * rows and the build side's at the matched build rows into out. */
    (void)p;
    out->row_count = 0;
    out->selected_count = 0;
    return col_fail(err, COL_UNIMPLEMENTED, "join_probe_next: not implemented yet (part B)");
}
