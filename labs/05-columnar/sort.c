/* sort.c -- part B: ORDER BY, and ORDER BY ... LIMIT n as a top-N (ops.h). Keep the rows in a
 * struct mat and put them in order by sorting their row numbers (qsort_r takes a context). For
 * a top-N, do not keep them all: cut back to the limit now and then. */
#include "ops.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

col_status
sort_table_new(const struct sort_spec *spec, uint32_t column_count, const enum col_type *types,
               const uint8_t *scales, struct sort_table **out, struct col_error *err)
{
    /* TODO(part B): check the keys' columns, keep spec and the types, an empty mat. */
    (void)spec;
    (void)column_count;
    (void)types;
    (void)scales;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "sort_table_new: not implemented yet (part B)");
}

col_status
sort_table_add(struct sort_table *t, const struct batch *b, struct col_error *err)
{
    /* TODO(part B): copy the selected rows; with a limit, once the rows pass about twice
     * the limit, sort and keep the first limit. */
    (void)t;
    (void)b;
    return col_fail(err, COL_UNIMPLEMENTED, "sort_table_add: not implemented yet (part B)");
}

col_status
sort_table_merge(struct sort_table *into, struct sort_table *from, struct col_error *err)
{
    /* TODO(part B): move from's rows into into. */
    (void)into;
    (void)from;
    return col_fail(err, COL_UNIMPLEMENTED, "sort_table_merge: not implemented yet (part B)");
}

col_status
sort_table_finish(struct sort_table *t, struct mat *out, struct col_error *err)
{
    /* TODO(part B): the rows in key order (NULL smallest; a descending key flips its
     * order), the first limit when there is one, into out. */
    (void)t;
    mat_init(out, 0, NULL, NULL);
    return col_fail(err, COL_UNIMPLEMENTED, "sort_table_finish: not implemented yet (part B)");
}

void
sort_table_free(struct sort_table *t)
{
    /* TODO(part B): free the table. */
    (void)t;
}
