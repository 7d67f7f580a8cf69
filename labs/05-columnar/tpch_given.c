/* tpch_given.c -- the seeded TPC-H generator (tpch.h). Given code: students do not change it.
 * Each table is made in slices of rows: typed arrays and a string arena, handed to the table
 * writer (colfile.h) and, when asked, printed as dbgen's .tbl text. Orders and their lines are
 * made together, since an order's price and status come from its lines. */
#include "tpch.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLICE_ROWS 8192u     /* rows a slice holds; lineitem's: 7 lines for each of them / 4 */
#define ORDERS_A_SLICE 2048u /* so that their lines (at most 7 each) fit a slice of 16,384 */
#define LINES_A_SLICE (ORDERS_A_SLICE * 7u)
#define ROW_TEXT_MAX 512u /* bytes of strings one row holds, at most */
#define TPCH_COLUMNS_MAX 16u

/* ---- The specification's words (TPC-H 3.0.1, clause 4.2.2.13 and 4.2.3) ------------------- */

static const char *const regions[5] = {"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"};
static const struct {
    const char *name;
    int32_t region;
} nations[25] = {{"ALGERIA", 0},      {"ARGENTINA", 1}, {"BRAZIL", 1}, {"CANADA", 1},
                 {"EGYPT", 4},        {"ETHIOPIA", 0},  {"FRANCE", 3}, {"GERMANY", 3},
                 {"INDIA", 2},        {"INDONESIA", 2}, {"IRAN", 4},   {"IRAQ", 4},
                 {"JAPAN", 2},        {"JORDAN", 4},    {"KENYA", 0},  {"MOROCCO", 0},
                 {"MOZAMBIQUE", 0},   {"PERU", 1},      {"CHINA", 2},  {"ROMANIA", 3},
                 {"SAUDI ARABIA", 4}, {"VIETNAM", 2},   {"RUSSIA", 3}, {"UNITED KINGDOM", 3},
                 {"UNITED STATES", 1}};
static const char *const segments[] = {"AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY",
                                       "HOUSEHOLD"};
static const char *const priorities[] = {"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED",
                                         "5-LOW"};
static const char *const instructions[] = {"DELIVER IN PERSON", "COLLECT COD", "NONE",
                                           "TAKE BACK RETURN"};
static const char *const modes[] = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};
static const char *const type_sizes[] = {"STANDARD", "SMALL",   "MEDIUM",
                                         "LARGE",    "ECONOMY", "PROMO"};
static const char *const type_finishes[] = {"ANODIZED", "BURNISHED", "PLATED", "POLISHED",
                                            "BRUSHED"};
static const char *const type_metals[] = {"TIN", "NICKEL", "BRASS", "STEEL", "COPPER"};
static const char *const container_sizes[] = {"SM", "LG", "MED", "JUMBO", "WRAP"};
static const char *const container_kinds[] = {"CASE", "BOX",  "BAG", "JAR",
                                              "PKG",  "PACK", "CAN", "DRUM"};
static const char *const colours[] = {
    "almond",   "antique",   "aquamarine", "azure",      "beige",     "bisque",    "black",
    "blanched", "blue",      "blush",      "brown",      "burlywood", "burnished", "chartreuse",
    "chiffon",  "chocolate", "coral",      "cornflower", "cornsilk",  "cream",     "cyan",
    "dark",     "deep",      "dim",        "dodger",     "drab",      "firebrick", "floral",
    "forest",   "frosted",   "gainsboro",  "ghost",      "goldenrod", "green",     "grey",
    "honeydew", "hot",       "indian",     "ivory",      "khaki",     "lace",      "lavender",
    "lawn",     "lemon",     "light",      "lime",       "linen",     "magenta",   "maroon",
    "medium",   "metallic",  "midnight",   "mint",       "misty",     "moccasin",  "navajo",
    "navy",     "olive",     "orange",     "orchid",     "pale",      "papaya",    "peach",
    "peru",     "pink",      "plum",       "powder",     "puff",      "purple",    "red",
    "rose",     "rosy",      "royal",      "saddle",     "salmon",    "sandy",     "seashell",
    "sienna",   "sky",       "slate",      "smoke",      "snow",      "spring",    "steel",
    "tan",      "thistle",   "tomato",     "turquoise",  "violet",    "wheat",     "white",
    "yellow"};
static const char *const comment_words[] = {
    "furiously", "quickly",      "carefully",    "blithely", "slyly",       "fluffily",
    "ironic",    "final",        "regular",      "express",  "pending",     "special",
    "bold",      "even",         "silent",       "unusual",  "deposits",    "requests",
    "packages",  "accounts",     "foxes",        "ideas",    "theodolites", "pinto",
    "beans",     "instructions", "dependencies", "excuses",  "platelets",   "asymptotes",
    "courts",    "dolphins",     "sleep",        "wake",     "are",         "haggle",
    "nag",       "use",          "boost",        "affix",    "detect",      "integrate",
    "cajole",    "among",        "across",       "after",    "above",       "about"};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Schemas ------------------------------------------------------------------------------- */

#define I32(name)                                                                                  \
    {                                                                                              \
        name, COL_INT32, 0                                                                         \
    }
#define I64(name)                                                                                  \
    {                                                                                              \
        name, COL_INT64, 0                                                                         \
    }
#define DEC(name)                                                                                  \
    {                                                                                              \
        name, COL_DECIMAL, 2                                                                       \
    }
#define DAY(name)                                                                                  \
    {                                                                                              \
        name, COL_DATE, 0                                                                          \
    }
#define STR(name)                                                                                  \
    {                                                                                              \
        name, COL_STRING, 0                                                                        \
    }

static const struct col_schema schemas[TPCH_TABLE_COUNT] = {
    [TPCH_REGION] = {3, {I32("r_regionkey"), STR("r_name"), STR("r_comment")}},
    [TPCH_NATION] = {4, {I32("n_nationkey"), STR("n_name"), I32("n_regionkey"), STR("n_comment")}},
    [TPCH_SUPPLIER] = {7,
                       {I32("s_suppkey"), STR("s_name"), STR("s_address"), I32("s_nationkey"),
                        STR("s_phone"), DEC("s_acctbal"), STR("s_comment")}},
    [TPCH_CUSTOMER] = {8,
                       {I32("c_custkey"), STR("c_name"), STR("c_address"), I32("c_nationkey"),
                        STR("c_phone"), DEC("c_acctbal"), STR("c_mktsegment"), STR("c_comment")}},
    [TPCH_PART] = {9,
                   {I32("p_partkey"), STR("p_name"), STR("p_mfgr"), STR("p_brand"), STR("p_type"),
                    I32("p_size"), STR("p_container"), DEC("p_retailprice"), STR("p_comment")}},
    [TPCH_PARTSUPP] = {5,
                       {I32("ps_partkey"), I32("ps_suppkey"), I32("ps_availqty"),
                        DEC("ps_supplycost"), STR("ps_comment")}},
    [TPCH_ORDERS] = {9,
                     {I64("o_orderkey"), I32("o_custkey"), STR("o_orderstatus"),
                      DEC("o_totalprice"), DAY("o_orderdate"), STR("o_orderpriority"),
                      STR("o_clerk"), I32("o_shippriority"), STR("o_comment")}},
    [TPCH_LINEITEM] = {16,
                       {I64("l_orderkey"), I32("l_partkey"), I32("l_suppkey"), I32("l_linenumber"),
                        DEC("l_quantity"), DEC("l_extendedprice"), DEC("l_discount"), DEC("l_tax"),
                        STR("l_returnflag"), STR("l_linestatus"), DAY("l_shipdate"),
                        DAY("l_commitdate"), DAY("l_receiptdate"), STR("l_shipinstruct"),
                        STR("l_shipmode"), STR("l_comment")}},
};

const char *
tpch_table_name(enum tpch_table table)
{
    switch (table) {
#define TPCH_TABLE_TEXT(name, text)                                                                \
    case name:                                                                                     \
        return text;
        TPCH_TABLE_LIST(TPCH_TABLE_TEXT)
#undef TPCH_TABLE_TEXT
    case TPCH_TABLE_COUNT:
        break;
    }
    return "?";
}

const struct col_schema *
tpch_schema(enum tpch_table table)
{
    return &schemas[table];
}

static uint64_t
scaled(double base, double scale)
{
    uint64_t n = (uint64_t)(base * scale + 0.5);
    return n > 0 ? n : 1;
}

uint64_t
tpch_row_count(enum tpch_table table, double scale)
{
    switch (table) {
    case TPCH_REGION:
        return 5;
    case TPCH_NATION:
        return 25;
    case TPCH_SUPPLIER:
        return scaled(10000, scale);
    case TPCH_CUSTOMER:
        return scaled(150000, scale);
    case TPCH_PART:
        return scaled(200000, scale);
    case TPCH_PARTSUPP:
        return 4 * scaled(200000, scale);
    case TPCH_ORDERS:
        return scaled(1500000, scale);
    default:
        return 4 * scaled(1500000, scale);
    }
}

/* ---- Random numbers: a hash of (seed, table, row), so any row can be made alone ----------- */

struct rng {
    uint64_t state;
};

static struct rng
rng_for(uint64_t seed, enum tpch_table table, uint64_t row)
{
    return (struct rng){col_hash_mix(col_hash_mix(seed ^ ((uint64_t)table << 56)) ^ row)};
}

static uint64_t
rng_next(struct rng *r)
{
    r->state += 0x9e3779b97f4a7c15ull;
    return col_hash_mix(r->state);
}

/* Uniform in [lo, hi]. */
static int64_t
rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static const char *
rng_pick(struct rng *r, const char *const *words, size_t count)
{
    return words[rng_next(r) % count];
}

/* ---- A slice of rows ---------------------------------------------------------------------- */

struct slice {
    const struct col_schema *schema;
    uint32_t rows;
    uint32_t capacity;
    void *data[TPCH_COLUMNS_MAX];
    char *arena;
    size_t arena_used;
};

static col_status
slice_init(struct slice *s, const struct col_schema *schema, uint32_t capacity,
           struct col_error *err)
{
    *s = (struct slice){.schema = schema, .capacity = capacity};
    for (uint32_t c = 0; c < schema->column_count; c++) {
        s->data[c] = malloc((size_t)capacity * col_type_width(schema->columns[c].type));
        if (s->data[c] == NULL) {
            return col_fail(err, COL_NOMEM, "tpch: out of memory");
        }
    }
    s->arena = malloc((size_t)capacity * ROW_TEXT_MAX);
    return s->arena != NULL ? COL_OK : col_fail(err, COL_NOMEM, "tpch: out of memory");
}

static void
slice_free(struct slice *s)
{
    for (uint32_t c = 0; c < TPCH_COLUMNS_MAX; c++) {
        free(s->data[c]);
    }
    free(s->arena);
}

static void
put_int(struct slice *s, uint32_t c, int64_t value)
{
    enum col_type type = s->schema->columns[c].type;
    if (type == COL_INT32 || type == COL_DATE) {
        ((int32_t *)s->data[c])[s->rows] = (int32_t)value;
    } else {
        ((int64_t *)s->data[c])[s->rows] = value;
    }
}

static void
put_text(struct slice *s, uint32_t c, const char *text, size_t size)
{
    char *at = s->arena + s->arena_used;
    memcpy(at, text, size);
    s->arena_used += size;
    ((struct col_str *)s->data[c])[s->rows] = (struct col_str){at, (uint32_t)size};
}

static void
put_string(struct slice *s, uint32_t c, const char *text)
{
    put_text(s, c, text, strlen(text));
}

static void put_format(struct slice *s, uint32_t c, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void
put_format(struct slice *s, uint32_t c, const char *format, ...)
{
    char text[128];
    va_list ap;
    va_start(ap, format);
    int size = vsnprintf(text, sizeof(text), format, ap);
    va_end(ap);
    put_text(s, c, text,
             size < 0                      ? 0
             : (size_t)size < sizeof(text) ? (size_t)size
                                           : sizeof(text) - 1);
}

/* Words of comment_words, cut to a length drawn in [min, max]. */
static void
put_comment(struct slice *s, uint32_t c, struct rng *r, uint32_t min, uint32_t max)
{
    char text[256];
    size_t size = (size_t)rng_range(r, min, max), used = 0;
    while (used < size) {
        const char *w = rng_pick(r, comment_words, LEN(comment_words));
        int n = snprintf(text + used, sizeof(text) - used, used ? " %s" : "%s", w);
        used += (size_t)n;
    }
    put_text(s, c, text, size);
}

/* Random letters, digits and a few signs, of a length drawn in [min, max]. */
static void
put_vstring(struct slice *s, uint32_t c, struct rng *r, uint32_t min, uint32_t max)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,. ";
    char text[64];
    size_t size = (size_t)rng_range(r, min, max);
    for (size_t i = 0; i < size; i++) {
        text[i] = alphabet[rng_next(r) % (sizeof(alphabet) - 1)];
    }
    put_text(s, c, text, size);
}

static void
put_phone(struct slice *s, uint32_t c, struct rng *r, int32_t nation)
{
    put_format(s, c, "%02d-%03d-%03d-%04d", nation + 10, (int)rng_range(r, 100, 999),
               (int)rng_range(r, 100, 999), (int)rng_range(r, 1000, 9999));
}

/* ---- Where a slice goes: the table file, and dbgen's text -------------------------------- */

struct sink {
    enum tpch_table table;
    struct col_writer *writer;
    FILE *tbl;
    char tbl_path[PATH_MAX];
    char tbl_tmp[PATH_MAX + 8];
    uint64_t rows_done;
    uint64_t rows_total;
};

static col_status
sink_open(struct sink *k, enum tpch_table table, const struct tpch_options *o, const char *dir,
          struct col_error *err)
{
    *k = (struct sink){.table = table, .rows_total = tpch_row_count(table, o->scale)};
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s%s", dir, tpch_table_name(table), COL_FILE_SUFFIX);
    col_status status =
        col_writer_open(path, &schemas[table],
                        o->group_rows ? o->group_rows : COL_GROUP_ROWS_DEFAULT, &k->writer, err);
    if (status != COL_OK || !o->with_tbl) {
        return status;
    }
    snprintf(k->tbl_path, sizeof(k->tbl_path), "%s/%s.tbl", dir, tpch_table_name(table));
    snprintf(k->tbl_tmp, sizeof(k->tbl_tmp), "%s.tmp", k->tbl_path);
    k->tbl = fopen(k->tbl_tmp, "w");
    if (k->tbl == NULL) {
        return col_fail(err, COL_IO, "%s: cannot create: %s", k->tbl_tmp, strerror(errno));
    }
    return COL_OK;
}

static void
sink_abort(struct sink *k)
{
    col_writer_abort(k->writer);
    k->writer = NULL;
    if (k->tbl != NULL) {
        fclose(k->tbl);
        k->tbl = NULL;
        remove(k->tbl_tmp);
    }
}

static col_status
sink_finish(struct sink *k, struct col_error *err)
{
    col_status status = col_writer_finish(k->writer, err);
    k->writer = NULL;
    if (k->tbl != NULL) {
        bool is_ok = fflush(k->tbl) == 0 && !ferror(k->tbl);
        is_ok = fclose(k->tbl) == 0 && is_ok;
        k->tbl = NULL;
        if (status == COL_OK && (!is_ok || rename(k->tbl_tmp, k->tbl_path) != 0)) {
            status = col_fail(err, COL_IO, "%s: cannot write: %s", k->tbl_path, strerror(errno));
        }
        if (status != COL_OK) {
            remove(k->tbl_tmp);
        }
    }
    return status;
}

static void
tbl_value(FILE *f, const struct col_column *col, const void *data, uint32_t row)
{
    switch (col->type) {
    case COL_INT32:
        fprintf(f, "%d|", ((const int32_t *)data)[row]);
        break;
    case COL_INT64:
        fprintf(f, "%lld|", (long long)((const int64_t *)data)[row]);
        break;
    case COL_DECIMAL: {
        char text[32];
        col_decimal_format(((const int64_t *)data)[row], col->scale, text, sizeof(text));
        fprintf(f, "%s|", text);
        break;
    }
    case COL_DATE: {
        char text[11];
        col_date_format(((const int32_t *)data)[row], text);
        fprintf(f, "%s|", text);
        break;
    }
    default: {
        struct col_str s = ((const struct col_str *)data)[row];
        fprintf(f, "%.*s|", (int)s.size_bytes, s.ptr);
        break;
    }
    }
}

/* Hands the slice's rows to the sink and empties it. */
static col_status
sink_take(struct sink *k, struct slice *s, const struct tpch_options *o, struct col_error *err)
{
    if (s->rows == 0) {
        return COL_OK;
    }
    struct col_values columns[TPCH_COLUMNS_MAX];
    for (uint32_t c = 0; c < s->schema->column_count; c++) {
        columns[c] = (struct col_values){s->schema->columns[c].type, s->rows, s->data[c], NULL};
    }
    col_status status = col_writer_append(k->writer, columns, err);
    if (status != COL_OK) {
        return status;
    }
    if (k->tbl != NULL) {
        for (uint32_t row = 0; row < s->rows; row++) {
            for (uint32_t c = 0; c < s->schema->column_count; c++) {
                tbl_value(k->tbl, &s->schema->columns[c], s->data[c], row);
            }
            fputc('\n', k->tbl);
        }
    }
    k->rows_done += s->rows;
    s->rows = 0;
    s->arena_used = 0;
    if (o->progress != NULL) {
        o->progress(o->progress_ctx, k->table, k->rows_done,
                    k->rows_done > k->rows_total ? k->rows_done : k->rows_total);
    }
    return COL_OK;
}

/* ---- The tables, a row at a time ----------------------------------------------------------- */

struct gen {
    const struct tpch_options *o;
    uint64_t suppliers, customers, parts, orders, clerks;
    int32_t start_date, end_date, current_date; /* the specification's, in days */
};

static void
row_region(const struct gen *g, struct slice *s, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_REGION, i);
    put_int(s, 0, (int64_t)i);
    put_string(s, 1, regions[i]);
    put_comment(s, 2, &r, 31, 115);
}

static void
row_nation(const struct gen *g, struct slice *s, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_NATION, i);
    put_int(s, 0, (int64_t)i);
    put_string(s, 1, nations[i].name);
    put_int(s, 2, nations[i].region);
    put_comment(s, 3, &r, 31, 114);
}

static void
row_supplier(const struct gen *g, struct slice *s, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_SUPPLIER, i);
    int32_t nation = (int32_t)rng_range(&r, 0, 24);
    put_int(s, 0, (int64_t)i + 1);
    put_format(s, 1, "Supplier#%09llu", (unsigned long long)i + 1);
    put_vstring(s, 2, &r, 10, 40);
    put_int(s, 3, nation);
    put_phone(s, 4, &r, nation);
    put_int(s, 5, rng_range(&r, -99999, 999999));
    put_comment(s, 6, &r, 25, 100);
}

static void
row_customer(const struct gen *g, struct slice *s, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_CUSTOMER, i);
    int32_t nation = (int32_t)rng_range(&r, 0, 24);
    put_int(s, 0, (int64_t)i + 1);
    put_format(s, 1, "Customer#%09llu", (unsigned long long)i + 1);
    put_vstring(s, 2, &r, 10, 40);
    put_int(s, 3, nation);
    put_phone(s, 4, &r, nation);
    put_int(s, 5, rng_range(&r, -99999, 999999));
    put_string(s, 6, rng_pick(&r, segments, LEN(segments)));
    put_comment(s, 7, &r, 29, 116);
}

/* The specification's retail price of part key, in cents. */
static int64_t
retail_price(int64_t key)
{
    return 90000 + (key / 10) % 20001 + 100 * (key % 1000);
}

/* The i-th (0-3) supplier of part key. */
static int64_t
part_supplier(const struct gen *g, int64_t key, int64_t i)
{
    int64_t s = (int64_t)g->suppliers;
    return (key + i * (s / 4 + (key - 1) / s)) % s + 1;
}

static void
row_part(const struct gen *g, struct slice *s, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_PART, i);
    int64_t key = (int64_t)i + 1;
    size_t picked[5];
    char name[128];
    size_t used = 0;
    for (uint32_t w = 0; w < 5; w++) { /* five distinct colours */
        size_t c;
        bool is_new;
        do {
            c = rng_next(&r) % LEN(colours);
            is_new = true;
            for (uint32_t v = 0; v < w; v++) {
                is_new &= picked[v] != c;
            }
        } while (!is_new);
        picked[w] = c;
        used += (size_t)snprintf(name + used, sizeof(name) - used, w ? " %s" : "%s", colours[c]);
    }
    int m = (int)rng_range(&r, 1, 5);
    put_int(s, 0, key);
    put_text(s, 1, name, used);
    put_format(s, 2, "Manufacturer#%d", m);
    put_format(s, 3, "Brand#%d%d", m, (int)rng_range(&r, 1, 5));
    put_format(s, 4, "%s %s %s", rng_pick(&r, type_sizes, LEN(type_sizes)),
               rng_pick(&r, type_finishes, LEN(type_finishes)),
               rng_pick(&r, type_metals, LEN(type_metals)));
    put_int(s, 5, rng_range(&r, 1, 50));
    put_format(s, 6, "%s %s", rng_pick(&r, container_sizes, LEN(container_sizes)),
               rng_pick(&r, container_kinds, LEN(container_kinds)));
    put_int(s, 7, retail_price(key));
    put_comment(s, 8, &r, 5, 22);
}

/* Row i of partsupp: part i / 4's (i % 4)-th supplier. */
static void
row_partsupp(const struct gen *g, struct slice *s, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_PARTSUPP, i);
    int64_t key = (int64_t)(i / 4) + 1;
    put_int(s, 0, key);
    put_int(s, 1, part_supplier(g, key, (int64_t)(i % 4)));
    put_int(s, 2, rng_range(&r, 1, 9999));
    put_int(s, 3, rng_range(&r, 100, 100000));
    put_comment(s, 4, &r, 49, 198);
}

/* Order i (its key the i-th of the sparse keys: 8 of every 32) and its lines. */
static void
row_order(const struct gen *g, struct slice *orders, struct slice *lines, uint64_t i)
{
    struct rng r = rng_for(g->o->seed, TPCH_ORDERS, i);
    int64_t key = (int64_t)(i / 8 * 32 + i % 8 + 1);
    int64_t customer;
    do { /* customers whose key is a multiple of 3 place no orders */
        customer = rng_range(&r, 1, (int64_t)g->customers);
    } while (customer % 3 == 0 && g->customers >= 3);
    int32_t date = (int32_t)rng_range(&r, g->start_date, g->end_date - 151);
    int64_t line_count = rng_range(&r, 1, 7), total = 0, open = 0;
    for (int64_t n = 1; n <= line_count; n++) {
        int64_t part = rng_range(&r, 1, (int64_t)g->parts);
        int64_t quantity = rng_range(&r, 1, 50);
        int64_t price = quantity * retail_price(part);
        int64_t discount = rng_range(&r, 0, 10), tax = rng_range(&r, 0, 8);
        int32_t ship = date + (int32_t)rng_range(&r, 1, 121);
        int32_t commit = date + (int32_t)rng_range(&r, 30, 90);
        int32_t receipt = ship + (int32_t)rng_range(&r, 1, 30);
        const char *flag = receipt <= g->current_date ? (rng_range(&r, 0, 1) ? "R" : "A") : "N";
        bool is_open = ship > g->current_date;
        open += is_open;
        /* price * (1 + tax) * (1 - discount), in cents, rounded half up */
        total += (price * (100 + tax) * (100 - discount) + 5000) / 10000;
        put_int(lines, 0, key);
        put_int(lines, 1, part);
        put_int(lines, 2, part_supplier(g, part, rng_range(&r, 0, 3)));
        put_int(lines, 3, n);
        put_int(lines, 4, quantity * 100);
        put_int(lines, 5, price);
        put_int(lines, 6, discount);
        put_int(lines, 7, tax);
        put_string(lines, 8, flag);
        put_string(lines, 9, is_open ? "O" : "F");
        put_int(lines, 10, ship);
        put_int(lines, 11, commit);
        put_int(lines, 12, receipt);
        put_string(lines, 13, rng_pick(&r, instructions, LEN(instructions)));
        put_string(lines, 14, rng_pick(&r, modes, LEN(modes)));
        put_comment(lines, 15, &r, 10, 43);
        lines->rows++;
    }
    put_int(orders, 0, key);
    put_int(orders, 1, customer);
    put_string(orders, 2, open == line_count ? "O" : open == 0 ? "F" : "P");
    put_int(orders, 3, total);
    put_int(orders, 4, date);
    put_string(orders, 5, rng_pick(&r, priorities, LEN(priorities)));
    put_format(orders, 6, "Clerk#%09lld", (long long)rng_range(&r, 1, (int64_t)g->clerks));
    put_int(orders, 7, 0);
    put_comment(orders, 8, &r, 19, 78);
}

typedef void row_fn(const struct gen *g, struct slice *s, uint64_t i);

static col_status
make_table(const struct gen *g, enum tpch_table table, row_fn *row, const char *dir,
           struct col_error *err)
{
    struct sink k = {0};
    struct slice s;
    col_status status = slice_init(&s, &schemas[table], SLICE_ROWS, err);
    if (status == COL_OK) {
        status = sink_open(&k, table, g->o, dir, err);
    }
    uint64_t rows = tpch_row_count(table, g->o->scale);
    for (uint64_t i = 0; i < rows && status == COL_OK; i++) {
        row(g, &s, i);
        s.rows++;
        if (s.rows == s.capacity || i + 1 == rows) {
            status = sink_take(&k, &s, g->o, err);
        }
    }
    if (status == COL_OK) {
        status = sink_finish(&k, err);
    } else if (k.writer != NULL || k.tbl != NULL) {
        sink_abort(&k);
    }
    slice_free(&s);
    return status;
}

static col_status
make_orders(const struct gen *g, const char *dir, struct col_error *err)
{
    struct sink ko = {0}, kl = {0};
    struct slice so, sl;
    col_status status = slice_init(&so, &schemas[TPCH_ORDERS], ORDERS_A_SLICE, err);
    if (status == COL_OK) {
        status = slice_init(&sl, &schemas[TPCH_LINEITEM], LINES_A_SLICE, err);
    }
    if (status == COL_OK) {
        status = sink_open(&ko, TPCH_ORDERS, g->o, dir, err);
    }
    if (status == COL_OK) {
        status = sink_open(&kl, TPCH_LINEITEM, g->o, dir, err);
    }
    for (uint64_t i = 0; i < g->orders && status == COL_OK; i++) {
        row_order(g, &so, &sl, i);
        so.rows++;
        if (so.rows == so.capacity || i + 1 == g->orders) {
            status = sink_take(&ko, &so, g->o, err);
            if (status == COL_OK) {
                status = sink_take(&kl, &sl, g->o, err);
            }
        }
    }
    if (status == COL_OK) {
        status = sink_finish(&ko, err);
    }
    if (status == COL_OK) {
        status = sink_finish(&kl, err);
    }
    if (status != COL_OK) {
        sink_abort(&ko);
        sink_abort(&kl);
    }
    slice_free(&so);
    slice_free(&sl);
    return status;
}

col_status
tpch_generate(const struct tpch_options *o, const char *dir, struct col_error *err)
{
    if (!(o->scale > 0 && o->scale <= TPCH_SCALE_MAX)) {
        return col_fail(err, COL_INVALID, "tpch: scale factor %g is not in (0, %g]", o->scale,
                        TPCH_SCALE_MAX);
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return col_fail(err, COL_IO, "%s: cannot make the directory: %s", dir, strerror(errno));
    }
    struct gen g = {.o = o,
                    .suppliers = tpch_row_count(TPCH_SUPPLIER, o->scale),
                    .customers = tpch_row_count(TPCH_CUSTOMER, o->scale),
                    .parts = tpch_row_count(TPCH_PART, o->scale),
                    .orders = tpch_row_count(TPCH_ORDERS, o->scale),
                    .clerks = scaled(1000, o->scale),
                    .start_date = col_date_from_ymd(1992, 1, 1),
                    .end_date = col_date_from_ymd(1998, 12, 31),
                    .current_date = col_date_from_ymd(1995, 6, 17)};
    static const struct {
        enum tpch_table table;
        row_fn *row;
    } simple[] = {{TPCH_REGION, row_region},     {TPCH_NATION, row_nation},
                  {TPCH_SUPPLIER, row_supplier}, {TPCH_CUSTOMER, row_customer},
                  {TPCH_PART, row_part},         {TPCH_PARTSUPP, row_partsupp}};
    for (size_t t = 0; t < LEN(simple); t++) {
        col_status status = make_table(&g, simple[t].table, simple[t].row, dir, err);
        if (status != COL_OK) {
            return status;
        }
    }
    return make_orders(&g, dir, err);
}

/* ---- The queries ------------------------------------------------------------------------ */

static const char q1[] =
    "SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty,\n"
    "       sum(l_extendedprice) AS sum_base_price,\n"
    "       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,\n"
    "       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,\n"
    "       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price,\n"
    "       avg(l_discount) AS avg_disc, count(*) AS count_order\n"
    "FROM lineitem\n"
    "WHERE l_shipdate <= '1998-09-02'\n"
    "GROUP BY l_returnflag, l_linestatus\n"
    "ORDER BY l_returnflag, l_linestatus;";

static const char q3[] =
    "SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate,\n"
    "       o_shippriority\n"
    "FROM customer, orders, lineitem\n"
    "WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey\n"
    "  AND o_orderdate < '1995-03-15' AND l_shipdate > '1995-03-15'\n"
    "GROUP BY l_orderkey, o_orderdate, o_shippriority\n"
    "ORDER BY revenue DESC, o_orderdate\n"
    "LIMIT 10;";

static const char q5[] =
    "SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue\n"
    "FROM customer, orders, lineitem, supplier, nation, region\n"
    "WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey\n"
    "  AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey\n"
    "  AND n_regionkey = r_regionkey AND r_name = 'ASIA'\n"
    "  AND o_orderdate >= '1994-01-01' AND o_orderdate < '1995-01-01'\n"
    "GROUP BY n_name\n"
    "ORDER BY revenue DESC;";

static const char q6[] = "SELECT sum(l_extendedprice * l_discount) AS revenue\n"
                         "FROM lineitem\n"
                         "WHERE l_shipdate >= '1994-01-01' AND l_shipdate < '1995-01-01'\n"
                         "  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24;";

static const char q10[] =
    "SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal,\n"
    "       n_name, c_address, c_phone, c_comment\n"
    "FROM customer, orders, lineitem, nation\n"
    "WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey\n"
    "  AND o_orderdate >= '1993-10-01' AND o_orderdate < '1994-01-01'\n"
    "  AND l_returnflag = 'R' AND c_nationkey = n_nationkey\n"
    "GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment\n"
    "ORDER BY revenue DESC\n"
    "LIMIT 20;";

static const char q12[] =
    "SELECT l_shipmode,\n"
    "       sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH'\n"
    "           THEN 1 ELSE 0 END) AS high_line_count,\n"
    "       sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH'\n"
    "           THEN 1 ELSE 0 END) AS low_line_count\n"
    "FROM orders, lineitem\n"
    "WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP')\n"
    "  AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate\n"
    "  AND l_receiptdate >= '1994-01-01' AND l_receiptdate < '1995-01-01'\n"
    "GROUP BY l_shipmode\n"
    "ORDER BY l_shipmode;";

const char *
tpch_query(uint32_t number)
{
    switch (number) {
    case 1:
        return q1;
    case 3:
        return q3;
    case 5:
        return q5;
    case 6:
        return q6;
    case 10:
        return q10;
    case 12:
        return q12;
    default:
        return NULL;
    }
}
