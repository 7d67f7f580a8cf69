/* test_a_file.c -- part A: a table in a column file (colfile.h): what is written is read
 * back, zone maps are exact, and a damaged, truncated or newer file gives a clear error and
 * touches nothing else. The CSV loader's claims are here too. Read
 * test_a_file_round_trips first. */
#include "col_test.h"

#include <fcntl.h>
#include <sys/stat.h>

#define TABLE_ROWS_MAX 20000u /* rows of a random table: several row groups, under 0.2 s */

/* A random table the test keeps beside the file: one column per type, NULLs, every shape. */
struct model {
    struct col_schema schema;
    struct test_column columns[COL_COLUMNS_MAX];
    uint32_t rows;
};

static void
model_make(struct model *m, struct kh_rng *rng, uint32_t rows)
{
    static const enum col_type types[] = {COL_INT32,   COL_INT64, COL_DECIMAL,
                                          COL_FLOAT64, COL_DATE,  COL_STRING};
    m->schema.column_count = 6 + (uint32_t)kh_rng_below(rng, 5); /* every type, some twice */
    m->rows = rows;
    for (uint32_t c = 0; c < m->schema.column_count; c++) {
        struct col_column *col = &m->schema.columns[c];
        col->type =
            c < KH_ARRAY_LEN(types) ? types[c] : types[kh_rng_below(rng, KH_ARRAY_LEN(types))];
        col->scale = col->type == COL_DECIMAL ? (uint8_t)kh_rng_below(rng, 5) : 0;
        snprintf(col->name, sizeof(col->name), "c%u_%s", c, col_type_name(col->type));
        test_column_make(&m->columns[c], rng, col->type, rows,
                         (enum shape)kh_rng_below(rng, SHAPE_COUNT),
                         c % 3 == 0 ? 0 : (unsigned)kh_rng_below(rng, 40));
    }
}

static void
model_free(struct model *m)
{
    for (uint32_t c = 0; c < m->schema.column_count; c++) {
        test_column_free(&m->columns[c]);
    }
}

/* The rows [from, from + count) of column c, as a col_values (validity word-aligned: from is
 * a multiple of 64, or the rows are copied). */
static struct col_values
model_slice(const struct model *m, uint32_t c, uint32_t from, uint32_t count, uint64_t *validity)
{
    const struct test_column *col = &m->columns[c];
    size_t width = col_type_width(col->v.type);
    for (uint32_t i = 0; i < count; i++) {
        bool is_valid = col_is_valid(col->v.validity, from + i);
        if (i % 64 == 0) {
            validity[i / 64] = 0;
        }
        validity[i / 64] |= (uint64_t)is_valid << (i % 64);
    }
    return (struct col_values){col->v.type, count, (const char *)col->data + from * width,
                               col->v.validity != NULL ? validity : NULL};
}

/* Writes the model to path in appends of random sizes. */
static void
model_write(const struct model *m, struct kh_rng *rng, const char *path, uint32_t group_rows)
{
    struct col_writer *w = NULL;
    struct col_error err = {0};
    col_status status = col_writer_open(path, &m->schema, group_rows, &w, &err);
    if (status != COL_OK) {
        fail_msg("col_writer_open(%s) is %s: %s", path, status_name(status), err.message);
    }
    uint64_t(*validity)[COL_VECTOR_SIZE * 4 / 64] = malloc(COL_COLUMNS_MAX * sizeof(*validity));
    assert_non_null(validity);
    for (uint32_t from = 0; from < m->rows;) {
        uint32_t count = 1 + (uint32_t)kh_rng_below(rng, COL_VECTOR_SIZE * 4);
        count = count < m->rows - from ? count : m->rows - from;
        struct col_values columns[COL_COLUMNS_MAX];
        for (uint32_t c = 0; c < m->schema.column_count; c++) {
            columns[c] = model_slice(m, c, from, count, validity[c]);
        }
        status = col_writer_append(w, columns, &err);
        if (status != COL_OK) {
            fail_msg("col_writer_append of rows %u..%u is %s: %s", from, from + count,
                     status_name(status), err.message);
        }
        from += count;
    }
    free(validity);
    status = col_writer_finish(w, &err);
    if (status != COL_OK) {
        fail_msg("col_writer_finish(%s) is %s: %s", path, status_name(status), err.message);
    }
}

/* Reads and decodes one chunk, failing the test on any status but COL_OK. */
static struct col_chunk *
chunk_or_fail(const struct col_table *t, uint32_t group, uint32_t column)
{
    void *bytes = NULL;
    size_t size = 0;
    struct col_error err = {0};
    col_status status = col_chunk_read(t, group, column, &bytes, &size, &err);
    if (status != COL_OK) {
        fail_msg("col_chunk_read(group %u, column %u) is %s: %s", group, column,
                 status_name(status), err.message);
    }
    struct col_chunk *chunk = NULL;
    status = col_decode(bytes, size, &chunk, &err);
    if (status != COL_OK) {
        fail_msg("col_decode of group %u, column %u is %s: %s", group, column, status_name(status),
                 err.message);
    }
    free(bytes);
    return chunk;
}

/* Claim: a table written in appends of any size reads back whole: the schema, the row count,
 * row groups of group_rows rows (the last one shorter), and every chunk's values and NULLs. */
static void
test_a_file_round_trips(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "t.kcol");
    for (unsigned round = 0; round < 4; round++) {
        struct model m;
        model_make(&m, &rng, round == 0 ? 0 : (uint32_t)kh_rng_below(&rng, TABLE_ROWS_MAX));
        uint32_t group_rows = round == 3 ? 1 : 1 + (uint32_t)kh_rng_below(&rng, 8000);
        if (round == 3) {
            m.rows = m.rows < 300 ? m.rows : 300; /* a row per group: many groups */
        }
        model_write(&m, &rng, path, group_rows);
        struct col_table *t = table_open_or_fail(path);
        const struct col_schema *schema = col_table_schema(t);
        assert_int_equal(schema->column_count, m.schema.column_count);
        for (uint32_t c = 0; c < schema->column_count; c++) {
            assert_string_equal(schema->columns[c].name, m.schema.columns[c].name);
            assert_int_equal(schema->columns[c].type, m.schema.columns[c].type);
            assert_int_equal(schema->columns[c].scale, m.schema.columns[c].scale);
        }
        assert_int_equal(col_table_row_count(t), m.rows);
        uint32_t groups = (m.rows + group_rows - 1) / group_rows;
        assert_int_equal(col_table_group_count(t), groups);
        uint64_t validity[COL_GROUP_ROWS_MAX / 64 / 16];
        for (uint32_t g = 0; g < groups; g++) {
            uint32_t from = g * group_rows;
            uint32_t rows = m.rows - from < group_rows ? m.rows - from : group_rows;
            assert_int_equal(col_table_group_rows(t, g), rows);
            for (uint32_t c = 0; c < schema->column_count; c++) {
                struct col_chunk *chunk = chunk_or_fail(t, g, c);
                struct col_values want = model_slice(&m, c, from, rows, validity);
                char what[96];
                snprintf(what, sizeof(what), "row group %u of %u rows, column '%s'", g, rows,
                         m.schema.columns[c].name);
                expect_chunk_holds(chunk, &want, what);
                col_chunk_free(chunk);
            }
        }
        col_table_close(t);
        model_free(&m);
    }
    test_dir_remove(dir);
}

/* Claim: each chunk's zone map in the footer is exact: its NULL count, and the smallest and
 * largest valid value (strings by col_str_compare), with has_min_max false for a chunk whose
 * every row is NULL; and col_zone_compute says the same of the values themselves. */
static void
test_a_zone_maps_are_exact(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "zones.kcol");
    struct model m;
    model_make(&m, &rng, 5000 + (uint32_t)kh_rng_below(&rng, 5000));
    for (uint32_t c = 2; c < 6; c++) { /* one column of each type random, its extremes anywhere */
        test_column_free(&m.columns[c]);
        test_column_make(&m.columns[c], &rng, m.schema.columns[c].type, m.rows, SHAPE_RANDOM, 10);
    }
    /* One column NULL in all of its first row group. */
    for (uint32_t row = 0; row < 1000; row++) {
        m.columns[1].validity[row / 64] &= ~(1ull << (row % 64));
    }
    m.columns[1].v.validity = m.columns[1].validity;
    model_write(&m, &rng, path, 1000);
    struct col_table *t = table_open_or_fail(path);
    uint64_t validity[1000 / 64 + 1];
    for (uint32_t g = 0; g < col_table_group_count(t); g++) {
        for (uint32_t c = 0; c < m.schema.column_count; c++) {
            uint32_t rows = col_table_group_rows(t, g);
            struct col_values v = model_slice(&m, c, g * 1000, rows, validity);
            struct col_zone want = {0};
            for (uint32_t row = 0; row < rows; row++) {
                if (!col_is_valid(v.validity, row)) {
                    want.null_count++;
                    continue;
                }
                union col_datum x = values_at(&v, row);
                bool is_less = v.type == COL_STRING    ? col_str_compare(x.str, want.min.str) < 0
                               : v.type == COL_FLOAT64 ? x.f64 < want.min.f64
                                                       : x.i64 < want.min.i64;
                bool is_more = v.type == COL_STRING    ? col_str_compare(x.str, want.max.str) > 0
                               : v.type == COL_FLOAT64 ? x.f64 > want.max.f64
                                                       : x.i64 > want.max.i64;
                want.min = !want.has_min_max || is_less ? x : want.min;
                want.max = !want.has_min_max || is_more ? x : want.max;
                want.has_min_max = true;
            }
            struct col_zone computed;
            assert_status(col_zone_compute(&v, &computed, NULL), COL_OK);
            const struct col_zone *zones[2] = {&col_table_chunk(t, g, c)->zone, &computed};
            for (int z = 0; z < 2; z++) {
                const char *where = z == 0 ? "the footer" : "col_zone_compute";
                char a[64], b[64], d[64], e[64];
                if (zones[z]->null_count != want.null_count ||
                    zones[z]->has_min_max != want.has_min_max ||
                    (want.has_min_max && (!datum_equal(v.type, zones[z]->min, want.min) ||
                                          !datum_equal(v.type, zones[z]->max, want.max)))) {
                    fail_msg("row group %u, column '%s': %s says %u NULLs, min %s, max %s; want "
                             "%u NULLs, min %s, max %s%s",
                             g, m.schema.columns[c].name, where, zones[z]->null_count,
                             datum_text(v.type, zones[z]->min, a),
                             datum_text(v.type, zones[z]->max, b), want.null_count,
                             datum_text(v.type, want.min, d), datum_text(v.type, want.max, e),
                             want.has_min_max ? "" : " (no valid row: has_min_max false)");
                }
            }
        }
    }
    col_table_close(t);
    model_free(&m);
    test_dir_remove(dir);
}

static void
file_patch(const char *path, uint64_t offset, const void *bytes, size_t size)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, size, (off_t)offset), (ssize_t)size);
    close(fd);
}

static uint64_t
file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* Claim: a byte flipped inside any chunk makes col_chunk_read of that chunk COL_CORRUPT, with
 * a message naming the file, the row group and the column, while every other chunk still
 * reads; a file cut short after it was opened is COL_CORRUPT ("truncated"); a row group or
 * column past the table's is COL_INVALID. */
static void
test_a_corrupt_chunk_is_named(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "damaged.kcol");
    struct model m;
    model_make(&m, &rng, 3000);
    model_write(&m, &rng, path, 1000);
    struct col_table *t = table_open_or_fail(path);
    uint32_t group = (uint32_t)kh_rng_below(&rng, 3);
    uint32_t column = (uint32_t)kh_rng_below(&rng, m.schema.column_count);
    const struct col_chunk_meta *meta = col_table_chunk(t, group, column);
    uint64_t at = meta->offset + kh_rng_below(&rng, meta->size_bytes);
    uint8_t byte;
    assert_int_equal(pread(col_table_fd(t), &byte, 1, (off_t)at), 1);
    byte ^= (uint8_t)(1u << kh_rng_below(&rng, 8));
    file_patch(path, at, &byte, 1);
    for (uint32_t g = 0; g < 3; g++) {
        for (uint32_t c = 0; c < m.schema.column_count; c++) {
            if (g != group || c != column) {
                col_chunk_free(chunk_or_fail(t, g, c));
                continue;
            }
            void *bytes = NULL;
            size_t size = 0;
            struct col_error err = {0};
            col_status status = col_chunk_read(t, g, c, &bytes, &size, &err);
            if (status != COL_CORRUPT) {
                fail_msg("row group %u, column %u with byte %" PRIu64 " flipped: col_chunk_read "
                         "is %s, want COL_CORRUPT",
                         g, c, at, status_name(status));
            }
            char group_text[32];
            snprintf(group_text, sizeof(group_text), "%u", g);
            if (strstr(err.message, path) == NULL || strstr(err.message, group_text) == NULL ||
                strstr(err.message, m.schema.columns[c].name) == NULL) {
                fail_msg("the message for a damaged chunk must name the file, the row group "
                         "(%u) and the column ('%s'); it is: %s",
                         g, m.schema.columns[c].name, err.message);
            }
        }
    }
    void *bytes = NULL;
    size_t size = 0;
    assert_status(col_chunk_read(t, 3, 0, &bytes, &size, NULL), COL_INVALID);
    assert_status(col_chunk_read(t, 0, m.schema.column_count, &bytes, &size, NULL), COL_INVALID);
    /* The file cut short after it was opened: the footer in memory still names the chunk. */
    const struct col_chunk_meta *last = col_table_chunk(t, 2, m.schema.column_count - 1);
    assert_int_equal(truncate(path, (off_t)(last->offset + last->size_bytes / 2)), 0);
    struct col_error err = {0};
    col_status status = col_chunk_read(t, 2, m.schema.column_count - 1, &bytes, &size, &err);
    if (status != COL_CORRUPT || strstr(err.message, "truncated") == NULL) {
        fail_msg("a chunk cut short by a truncated file: %s (%s), want COL_CORRUPT saying "
                 "'truncated'",
                 status_name(status), err.message);
    }
    col_table_close(t);
    model_free(&m);
    test_dir_remove(dir);
}

/* Copies the first size_bytes of src to dst. */
static void
file_copy(const char *src, const char *dst, uint64_t size_bytes)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    while (size_bytes > 0) {
        size_t n = fread(buf, 1, size_bytes < sizeof(buf) ? size_bytes : sizeof(buf), in);
        assert_true(n > 0);
        assert_int_equal(fwrite(buf, 1, n, out), n);
        size_bytes -= n;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Opens path, expecting status and a message that holds needle. */
static void
expect_open_fails(const char *path, col_status want, const char *needle, const char *what)
{
    struct col_table *t = NULL;
    struct col_error err = {0};
    col_status status = col_table_open(path, &t, &err);
    if (status != want) {
        fail_msg("%s: col_table_open is %s, want %s", what, status_name(status), status_name(want));
    }
    if (needle != NULL && strstr(err.message, needle) == NULL) {
        fail_msg("%s: the message should say '%s'; it is: %s", what, needle, err.message);
    }
}

/* Claim: a truncated file, a flipped byte in the footer, a file that is not a table, one of a
 * newer format version and one that is missing each give their status and a clear message
 * when opened, and nothing is read past what the checks allow. */
static void
test_a_bad_files_give_clear_errors(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX], copy[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(path, dir, "good.kcol");
    test_path(copy, dir, "bad.kcol");
    struct model m;
    model_make(&m, &rng, 2500);
    model_write(&m, &rng, path, 1000);
    uint64_t size = file_size(path);
    for (unsigned round = 0; round < 20; round++) {
        file_copy(path, copy, round == 0 ? 0 : kh_rng_below(&rng, size));
        expect_open_fails(copy, COL_CORRUPT, NULL, "a truncated file");
    }
    file_copy(path, copy, size);
    uint8_t byte = 0x5a;
    file_patch(copy, size - sizeof(struct col_file_trailer) - 10, &byte, 1);
    expect_open_fails(copy, COL_CORRUPT, "checksum", "a flipped byte in the footer");
    /* A newer version, with a header checksum that fits it: refused before anything else. */
    file_copy(path, copy, size);
    struct col_file_header header;
    memcpy(header.magic, COL_FILE_MAGIC, 8);
    header.version = COL_FORMAT_VERSION + 1;
    header.crc32c = col_crc32c(0, &header, 12);
    file_patch(copy, 0, &header, sizeof(header));
    expect_open_fails(copy, COL_VERSION, "version", "a file of format version 2");
    FILE *f = fopen(copy, "w");
    assert_non_null(f);
    fputs("l_orderkey|l_partkey\n1|2\n3|4\nnot a table file at all, but long enough\n", f);
    fclose(f);
    expect_open_fails(copy, COL_CORRUPT, "Keel", "a text file");
    test_path(copy, dir, "missing.kcol");
    expect_open_fails(copy, COL_NOT_FOUND, NULL, "a missing file");
    model_free(&m);
    test_dir_remove(dir);
}

/* Claim: a write that fails or is abandoned leaves the table already at its path as it was,
 * and no temporary file behind. */
static void
test_a_failed_write_keeps_the_old_table(void **state)
{
    (void)state;
    struct kh_rng rng;
    kh_rng_seed(&rng, kh_test_seed());
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX], tmp[TEST_PATH_MAX + 8];
    test_dir_make(dir);
    test_path(path, dir, "kept.kcol");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    struct model m;
    model_make(&m, &rng, 1500);
    model_write(&m, &rng, path, 500);
    uint64_t size = file_size(path);
    struct col_writer *w = NULL;
    assert_status(col_writer_open(path, &m.schema, 100, &w, NULL), COL_OK);
    col_writer_abort(w);
    assert_int_equal(file_size(path), size);
    assert_int_not_equal(access(tmp, F_OK), 0);
    struct col_schema one = {1, {{"x", COL_FLOAT64, 0}}};
    double bad[3] = {1, __builtin_nan(""), 3};
    struct col_values v = {COL_FLOAT64, 3, bad, NULL};
    assert_status(col_writer_open(path, &one, 100, &w, NULL), COL_OK);
    assert_status(col_writer_append(w, &v, NULL), COL_INVALID);
    assert_status(col_writer_finish(w, NULL), COL_INVALID);
    assert_int_equal(file_size(path), size);
    assert_int_not_equal(access(tmp, F_OK), 0);
    struct col_table *t = table_open_or_fail(path);
    assert_int_equal(col_table_row_count(t), 1500);
    col_table_close(t);
    model_free(&m);
    test_dir_remove(dir);
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Claim: the loader reads typed values from CSV as colfile.h says: quoted fields with the
 * delimiter, a newline and "" inside, empty fields as NULL and "" as the empty string,
 * decimals at their scale, dates, and dbgen's '|' with one after the last field. */
static void
test_a_csv_loads_typed_values(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], csv[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(csv, dir, "in.csv");
    test_path(path, dir, "t.kcol");
    write_text(csv, "id,price,day,note,ratio\n"
                    "1,12.5,1998-09-02,\"a, \"\"quoted\"\"\nline\",0.25\n"
                    "-7,,2000-02-29,,-1e3\n"
                    "2147483647,-0.01,1970-01-01,\"\",\n");
    struct col_schema schema = {5,
                                {{"id", COL_INT32, 0},
                                 {"price", COL_DECIMAL, 2},
                                 {"day", COL_DATE, 0},
                                 {"note", COL_STRING, 0},
                                 {"ratio", COL_FLOAT64, 0}}};
    struct col_csv_options options = {',', true, 0, 0};
    uint64_t rows = 0;
    struct col_error err = {0};
    col_status status = col_load_csv(csv, &schema, &options, path, &rows, &err);
    if (status != COL_OK) {
        fail_msg("col_load_csv is %s: %s", status_name(status), err.message);
    }
    assert_int_equal(rows, 3);
    struct col_table *t = table_open_or_fail(path);
    struct col_chunk *chunks[5];
    for (uint32_t c = 0; c < 5; c++) {
        chunks[c] = chunk_or_fail(t, 0, c);
    }
    assert_int_equal(chunk_at(chunks[0], 2).i64, INT32_MAX);
    assert_int_equal(chunk_at(chunks[1], 0).i64, 1250);
    assert_false(col_is_valid(chunks[1]->validity, 1));
    assert_int_equal(chunk_at(chunks[1], 2).i64, -1);
    assert_int_equal(chunk_at(chunks[2], 0).i64, col_date_from_ymd(1998, 9, 2));
    assert_int_equal(chunk_at(chunks[2], 1).i64, col_date_from_ymd(2000, 2, 29));
    struct col_str note = chunk_at(chunks[3], 0).str;
    const char *want = "a, \"quoted\"\nline";
    if (note.size_bytes != strlen(want) || memcmp(note.ptr, want, note.size_bytes) != 0) {
        fail_msg("row 1's note is '%.*s', want '%s'", (int)note.size_bytes, note.ptr, want);
    }
    assert_false(col_is_valid(chunks[3]->validity, 1));
    assert_true(col_is_valid(chunks[3]->validity, 2));
    assert_int_equal(chunk_at(chunks[3], 2).str.size_bytes, 0);
    assert_true(chunk_at(chunks[4], 1).f64 == -1000.0);
    assert_false(col_is_valid(chunks[4]->validity, 2));
    for (uint32_t c = 0; c < 5; c++) {
        col_chunk_free(chunks[c]);
    }
    col_table_close(t);
    write_text(csv, "1|AIR|\n2|MAIL|\n");
    struct col_schema tbl = {2, {{"k", COL_INT64, 0}, {"mode", COL_STRING, 0}}};
    struct col_csv_options pipes = {'|', false, 0, 0};
    assert_status(col_load_csv(csv, &tbl, &pipes, path, &rows, NULL), COL_OK);
    assert_int_equal(rows, 2);
    test_dir_remove(dir);
}

/* Claim: a bad field, a wrong field count or an unclosed quote stops the load with COL_PARSE
 * and a message naming the file, the line (and the column, for a field), and the table
 * already at the path is as it was. */
static void
test_a_csv_errors_name_line_and_column(void **state)
{
    (void)state;
    char dir[TEST_PATH_MAX], csv[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_dir_make(dir);
    test_path(csv, dir, "in.csv");
    test_path(path, dir, "t.kcol");
    struct col_schema schema = {3,
                                {{"n", COL_INT32, 0}, {"d", COL_DATE, 0}, {"p", COL_DECIMAL, 2}}};
    struct col_csv_options options = {',', false, 0, 0};
    write_text(csv, "1,2020-01-01,1.00\n");
    assert_status(col_load_csv(csv, &schema, &options, path, NULL, NULL), COL_OK);
    uint64_t size = file_size(path);
    static const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"1,2020-01-01,1.00\n2,2021-02-30,1.00\n", ":2: column 'd'"},
        {"1,2020-01-01,1.00\n\n3,2020-01-01,1.005\n", ":3: column 'p'"},
        {"99999999999,2020-01-01,1.00\n", ":1: column 'n'"},
        {"1,2020-01-01\n", ":1: 2 fields"},
        {"1,2020-01-01,1.00\n2,2020-01-01,\"1.00\n", "never closed"},
        {"x1,2020-01-01,1.00\n", ":1: column 'n'"},
    };
    for (size_t i = 0; i < KH_ARRAY_LEN(cases); i++) {
        write_text(csv, cases[i].text);
        struct col_error err = {0};
        col_status status = col_load_csv(csv, &schema, &options, path, NULL, &err);
        if (status != COL_PARSE || strstr(err.message, cases[i].needle) == NULL ||
            strstr(err.message, csv) == NULL) {
            fail_msg("loading case %zu: %s with the message '%s'; want COL_PARSE naming the file "
                     "and '%s'",
                     i, status_name(status), err.message, cases[i].needle);
        }
        assert_int_equal(file_size(path), size);
    }
    test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_file_round_trips),
        cmocka_unit_test(test_a_zone_maps_are_exact),
        cmocka_unit_test(test_a_corrupt_chunk_is_named),
        cmocka_unit_test(test_a_bad_files_give_clear_errors),
        cmocka_unit_test(test_a_failed_write_keeps_the_old_table),
        cmocka_unit_test(test_a_csv_loads_typed_values),
        cmocka_unit_test(test_a_csv_errors_name_line_and_column),
    };
    return kh_test_main(argc, argv, tests, KH_ARRAY_LEN(tests));
}
