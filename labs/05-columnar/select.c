/* select.c -- part B: narrowing a selection to the rows where a condition is TRUE (expr.h).
 * A comparison of a column with a constant, the filter of almost every query, deserves a loop
 * of its own; anything else can be evaluated by expr_eval_rows and its TRUE rows kept. */
#include "expr.h"

#include <assert.h>
#include <string.h>

col_status
expr_select_rows(const struct expr *e, const struct batch *b, const uint16_t *sel, uint32_t count,
                 struct expr_state *s, uint16_t *sel_out, uint32_t *count_out,
                 struct col_error *err)
{
    /* TODO(part B): AND narrows (select the first argument's rows, then the second's among
     * them); OR is the union of each argument's rows (merge two ascending lists). A column
     * compared with a constant: one loop that writes every row to sel_out and advances the
     * count only when it is kept (no branch); on a VEC_DICT, compare each dictionary entry
     * once and then look codes up. Everything else: expr_eval_rows, then keep the rows whose
     * value is not NULL and not 0. */
    (void)e;
    (void)b;
    (void)sel;
    (void)count;
    (void)s;
    (void)sel_out;
    (void)count_out;
    return col_fail(err, COL_UNIMPLEMENTED, "expr_select_rows: not implemented yet (part B)");
}
