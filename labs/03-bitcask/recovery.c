/* recovery.c -- bc_open and bc_close (part B): lock the directory, list its files, rebuild the
 * keydir from hint files or by scanning data files, and repair a torn tail. */
#include "bc_internal.h"

#include <stdio.h>

bc_status
bc_open(const char *dir, const struct bc_options *options, struct bc_db **db,
        char error[BC_ERROR_MAX])
{
    /* TODO(part A): make and lock the directory, open or create the active file.
     * TODO(part B): rebuild the keydir in file id order; truncate a torn tail of the newest
     * file; refuse (BC_CORRUPT) a bad record anywhere else, naming file and offset. */
    (void)dir;
    (void)options;
    (void)db;
    if (error != NULL) {
        snprintf(error, BC_ERROR_MAX, "bc_open: not implemented yet");
    }
    return BC_UNIMPLEMENTED;
}

bc_status
bc_close(struct bc_db *db)
{
    /* TODO(part A): sync, close every file, free. */
    (void)db;
    return BC_UNIMPLEMENTED;
}
