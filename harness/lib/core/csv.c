/* csv.c -- the CSV every benchmark prints: header first, then one row per measurement
 * (RFC 4180 quoting), flushed per row so a killed benchmark leaves whole rows behind. */
#include "kh_core.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

static void
cell_start(struct kh_csv *c)
{
    assert(c->column_index < c->column_count);
    if (c->column_index > 0) {
        fputc(',', c->out);
    }
    c->column_index++;
}

static void
write_quoted(FILE *out, const char *value)
{
    if (strpbrk(value, ",\"\r\n") == NULL) {
        fputs(value, out);
        return;
    }
    fputc('"', out);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '"') {
            fputc('"', out); /* a quote inside a quoted cell is doubled */
        }
        fputc(*p, out);
    }
    fputc('"', out);
}

void
kh_csv_open(struct kh_csv *c, FILE *out, const char *const columns[], size_t column_count)
{
    assert(column_count > 0);
    assert(column_count <= KH_CSV_COLUMNS_MAX);
    c->out = out;
    c->column_count = column_count;
    c->column_index = 0;
    for (size_t i = 0; i < column_count; i++) {
        kh_csv_str(c, columns[i]);
    }
    kh_csv_end_row(c);
}

void
kh_csv_str(struct kh_csv *c, const char *value)
{
    cell_start(c);
    write_quoted(c->out, value);
}

void
kh_csv_u64(struct kh_csv *c, uint64_t value)
{
    cell_start(c);
    fprintf(c->out, "%" PRIu64, value);
}

void
kh_csv_f64(struct kh_csv *c, double value)
{
    cell_start(c);
    fprintf(c->out, "%.6g", value);
}

void
kh_csv_end_row(struct kh_csv *c)
{
    assert(c->column_index == c->column_count);
    fputc('\n', c->out);
    fflush(c->out);
    c->column_index = 0;
}
