/* expr.c -- part B: an expression's value for the selected rows of a batch (expr.h). Evaluate
 * the arguments first (their vectors live in their own nodes' buffers), then run one loop over
 * the rows for the node itself. Bring numbers to the node's type before the loop (an int32
 * widened, a decimal rescaled, a constant spread over the rows), so each operator's loop is
 * over plain arrays. */
#include "expr.h"

#include <assert.h>
#include <string.h>

col_status
expr_eval_rows(const struct expr *e, const struct batch *b, const uint16_t *sel, uint32_t count,
               struct expr_state *s, struct vec *out, struct col_error *err)
{
    /* TODO(part B): a COLUMN is the batch's vector; a CONSTANT a VEC_CONSTANT in the node's
     * buffer. For the rest: the arguments' vectors, then a loop over sel[0 .. count) writing
     * the node's values at their rows in s->values[e->id] and NULLs in s->validity[e->id].
     * Overflow: __builtin_add_overflow and friends, OR'ed over the loop, checked once after it
     * (and only rows that are not NULL count). Conditions are values too: 1, 0 or NULL by SQL's
     * three-valued logic. CASE: select each WHEN's rows among those no earlier WHEN took
     * (expr_select_rows), and evaluate its THEN for those rows only. */
    (void)e;
    (void)b;
    (void)sel;
    (void)count;
    (void)s;
    (void)out;
    return col_fail(err, COL_UNIMPLEMENTED, "expr_eval_rows: not implemented yet (part B)");
}
