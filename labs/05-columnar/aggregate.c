/* aggregate.c -- part B: hash aggregation (ops.h). A table of groups found by hashing their
 * keys: keep the keys of each group (a struct mat does it, strings copied), an accumulator per
 * aggregate per group, and an open-addressing index from hash to group. Work a batch at a
 * time: every row's hash, then every row's group, then one loop per aggregate. */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

col_status
agg_table_new(const struct agg_spec *spec, uint32_t column_count, const enum col_type *types,
              const uint8_t *scales, struct agg_table **out, struct col_error *err)
{
    /* TODO(part B): check spec with agg_spec_resolve (it gives the result's types), keep
     * spec and the input types, and start with no groups. */
    (void)spec;
    (void)column_count;
    (void)types;
    (void)scales;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "agg_table_new: not implemented yet (part B)");
}

col_status
agg_table_add(struct agg_table *t, const struct batch *b, struct col_error *err)
{
    /* TODO(part B): for each selected row, hash its keys (NULL hashes as one value; -0.0 as
     * 0.0), find its group by hash then by comparing keys, or make one (copy the keys: b's
     * strings go away with b). Then one loop per aggregate: COUNT(*) counts rows, the others
     * skip NULLs; keep integer and decimal sums exact (__int128), MIN and MAX strings copied. */
    (void)t;
    (void)b;
    return col_fail(err, COL_UNIMPLEMENTED, "agg_table_add: not implemented yet (part B)");
}

col_status
agg_table_merge(struct agg_table *into, struct agg_table *from, struct col_error *err)
{
    /* TODO(part B): each group of from into into's group of the same keys (made if new),
     * accumulators combined; then from holds no group. */
    (void)into;
    (void)from;
    return col_fail(err, COL_UNIMPLEMENTED, "agg_table_merge: not implemented yet (part B)");
}

col_status
agg_table_finish(struct agg_table *t, struct mat *out, struct col_error *err)
{
    /* TODO(part B): mat_init out with agg_spec_resolve's columns, then a row per group: keys,
     * then each aggregate's value by ops.h's table (one row with no keys, even over no input). */
    (void)t;
    mat_init(out, 0, NULL, NULL);
    return col_fail(err, COL_UNIMPLEMENTED, "agg_table_finish: not implemented yet (part B)");
}

uint64_t
agg_table_group_count(const struct agg_table *t)
{
    /* TODO(part B): the groups so far. */
    (void)t;
    return 0;
}

void
agg_table_free(struct agg_table *t)
{
    /* TODO(part B): free the table and everything it holds. */
    (void)t;
}
