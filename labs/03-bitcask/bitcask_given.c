/* bitcask_given.c -- given code of lab 03 (do not change): status texts, default options, and
 * the reference's start-up knob (bc_internal.h). */
#include "bc_internal.h"

#include <string.h>

const char *
bc_strerror(bc_status status)
{
#define BC_STRERROR_CASE(name, text)                                                               \
    case name:                                                                                     \
        return text;
    switch (status) {
        BC_STATUS_LIST(BC_STRERROR_CASE)
    }
#undef BC_STRERROR_CASE
    return "unknown status";
}

void
bc_options_default(struct bc_options *options)
{
    memset(options, 0, sizeof(*options));
    options->io = &bc_io_posix;
    options->sync = BC_SYNC_NONE;
    options->file_size_bytes_max = BC_FILE_SIZE_BYTES_DEFAULT;
}

uint64_t bc_hint_thread_bytes_min = 16u << 20;
