/* scan_given.c -- part C's given code (lab 05): adding up scans' counts, and comparing a zone
 * map's bound with a constant as a comparison would. */
#include "scan.h"

void
scan_stats_add(struct scan_stats *into, const struct scan_stats *from)
{
    into->groups += from->groups;
    into->groups_pruned += from->groups_pruned;
    into->rows_scanned += from->rows_scanned;
    into->rows_out += from->rows_out;
    for (uint32_t c = 0; c < VEC_COLUMNS_MAX; c++) {
        for (uint32_t t = 0; t < COL_TIER_COUNT; t++) {
            into->columns[c].chunks[t] += from->columns[c].chunks[t];
        }
        into->columns[c].bytes += from->columns[c].bytes;
        into->columns[c].rows_touched += from->columns[c].rows_touched;
    }
}

static double
as_double(enum col_type type, uint8_t scale, union col_datum d)
{
    return type == COL_FLOAT64 ? d.f64 : (double)d.i64 / (double)col_pow10(scale);
}

int
scan_value_compare(enum col_type ta, uint8_t sa, union col_datum a, enum col_type tb, uint8_t sb,
                   union col_datum b)
{
    if (ta == COL_STRING || tb == COL_STRING) {
        return col_str_compare(a.str, b.str);
    }
    if (ta == COL_FLOAT64 || tb == COL_FLOAT64) {
        double x = as_double(ta, sa, a), y = as_double(tb, sb, b);
        return (x > y) - (x < y);
    }
    /* Integers, decimals and dates: exact at the larger scale (10^18 * 2^63 fits in 128 bits). */
    uint8_t scale_a = ta == COL_DECIMAL ? sa : 0, scale_b = tb == COL_DECIMAL ? sb : 0;
    __int128 x = (__int128)a.i64 * (scale_a < scale_b ? col_pow10(scale_b - scale_a) : 1);
    __int128 y = (__int128)b.i64 * (scale_b < scale_a ? col_pow10(scale_a - scale_b) : 1);
    return (x > y) - (x < y);
}
