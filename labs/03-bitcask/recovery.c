/* recovery.c -- bc_open and bc_close: a new store (part A); then (part B) list the directory's
 * files, rebuild the keydir from hint files or by scanning data files, and repair a torn tail. */
#include "bc_internal.h"

#include <stdio.h>

bc_status
bc_open(const char *dir, const struct bc_options *options, struct bc_db **db,
        char error[BC_ERROR_MAX])
{
    /* TODO(part A): make and lock the directory, create the first data file
     * (0000000001-00000.data); BC_INVALID for a directory name too long for BC_PATH_MAX.
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
