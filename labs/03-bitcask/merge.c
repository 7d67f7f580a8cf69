/* merge.c -- merge (part C): rewrite the live records of the immutable files into new files with
 * hint files, swap them in atomically, delete the old files. */
#include "bc_internal.h"

bc_status
bc_merge(struct bc_db *db)
{
    /* TODO(part C): copy live records (the keydir points at them) into new files; fsync them,
     * write and fsync their hints, rename both, fsync the directory; then repoint the keydir
     * (only where it still points at the old record) and delete the old files. */
    (void)db;
    return BC_UNIMPLEMENTED;
}
