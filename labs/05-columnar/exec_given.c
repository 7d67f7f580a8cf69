/* exec_given.c -- part D's given code (lab 05): freeing a pipeline's result. */
#include "exec.h"

void
exec_result_free(struct exec_result *r)
{
    if (r->table != NULL) {
        join_table_free(r->table);
        r->table = NULL;
    }
    if (r->has_rows) {
        mat_free(&r->rows);
        r->has_rows = false;
    }
}
