/* agg_test.h -- the row-at-a-time GROUP BY that part B's and part D's aggregation tests check
 * the engine against, written from ops.h's table alone: groups found by linear search,
 * aggregates folded a row at a time. */
#ifndef KEEL_AGG_TEST_H
#define KEEL_AGG_TEST_H

#include "exec_test.h"
#include "ops.h"

#include <math.h>

#define GROUPS_MAX 4096u

/* The row-at-a-time answer: groups found by linear search, aggregates folded a row at a time
 * in the same order as the batches give them. */
struct ref_group {
    struct rv keys[AGG_KEYS_MAX];
    __int128 sum[AGG_FUNCS_MAX];
    double sum_f[AGG_FUNCS_MAX];
    int64_t count[AGG_FUNCS_MAX];
    struct rv extreme[AGG_FUNCS_MAX];
};

struct ref_agg {
    uint32_t groups;
    struct ref_group g[GROUPS_MAX];
};

static TEST_UNUSED bool
rv_equal(struct rv a, struct rv b)
{
    if (a.is_null || b.is_null) {
        return a.is_null == b.is_null;
    }
    return rv_compare(a, b) == 0;
}

static TEST_UNUSED struct rv
column_rv(const struct batch *b, uint32_t column, uint32_t row)
{
    const struct vec *v = &b->columns[column];
    return (struct rv){.is_null = !vec_is_valid(v, row),
                       .type = v->type,
                       .scale = v->scale,
                       .v = vec_value(v, row)};
}

/* Adds row of b to its group. */
static TEST_UNUSED void
ref_add_row(struct ref_agg *r, const struct agg_spec *spec, const struct batch *b, uint32_t row)
{
    {
        uint32_t g = 0;
        for (; g < r->groups; g++) {
            uint32_t k = 0;
            while (k < spec->key_count &&
                   rv_equal(r->g[g].keys[k], column_rv(b, spec->keys[k], row))) {
                k++;
            }
            if (k == spec->key_count) {
                break;
            }
        }
        if (g == r->groups) {
            assert_true(r->groups < GROUPS_MAX);
            memset(&r->g[g], 0, sizeof(r->g[g]));
            for (uint32_t k = 0; k < spec->key_count; k++) {
                r->g[g].keys[k] = column_rv(b, spec->keys[k], row);
            }
            r->groups++;
        }
        struct ref_group *grp = &r->g[g];
        for (uint32_t f = 0; f < spec->func_count; f++) {
            if (spec->fns[f] == AGG_COUNT_STAR) {
                grp->count[f]++;
                continue;
            }
            struct rv x = column_rv(b, spec->args[f], row);
            if (x.is_null) {
                continue;
            }
            bool is_min = spec->fns[f] == AGG_MIN, is_max = spec->fns[f] == AGG_MAX;
            if ((is_min || is_max) &&
                (grp->count[f] == 0 || (is_min ? rv_compare(x, grp->extreme[f]) < 0
                                               : rv_compare(x, grp->extreme[f]) > 0))) {
                grp->extreme[f] = x;
            }
            if (x.type == COL_FLOAT64) {
                grp->sum_f[f] += x.v.f64;
            } else if (x.type != COL_STRING) {
                grp->sum[f] += x.v.i64;
            }
            grp->count[f]++;
        }
    }
}

static TEST_UNUSED void
ref_add(struct ref_agg *r, const struct agg_spec *spec, const struct batch *b)
{
    for (uint32_t i = 0; i < b->selected_count; i++) {
        ref_add_row(r, spec, b, batch_row(b, i));
    }
}

/* The reference's value of aggregate f of group g, as the engine should give it. */
static TEST_UNUSED struct rv
ref_result(const struct ref_agg *r, const struct agg_spec *spec, const enum col_type *types,
           const uint8_t *scales, uint32_t g, uint32_t f)
{
    const struct ref_group *grp = &r->g[g];
    enum agg_fn fn = spec->fns[f];
    struct rv out = {.type = COL_INT64};
    if (fn == AGG_COUNT || fn == AGG_COUNT_STAR) {
        out.v.i64 = grp->count[f];
        return out;
    }
    enum col_type in = types[spec->args[f]];
    if (grp->count[f] == 0) {
        out.is_null = true;
        return out;
    }
    if (fn == AGG_MIN || fn == AGG_MAX) {
        return grp->extreme[f];
    }
    if (in == COL_FLOAT64 || fn == AGG_AVG) {
        out.type = COL_FLOAT64;
        double sum = in == COL_FLOAT64
                         ? grp->sum_f[f]
                         : (double)grp->sum[f] / (double)col_pow10(scales[spec->args[f]]);
        out.v.f64 = fn == AGG_AVG ? sum / (double)grp->count[f] : sum;
        return out;
    }
    out.type = in == COL_DECIMAL ? COL_DECIMAL : COL_INT64;
    out.scale = scales[spec->args[f]];
    out.v.i64 = (int64_t)grp->sum[f];
    return out;
}

/* Whether got matches want: doubles within a relative 1e-9 (a merge adds in another order). */
static TEST_UNUSED bool
value_matches(struct rv want, const struct mat *m, uint32_t column, uint64_t row)
{
    bool is_null = !mat_is_valid(m, column, row);
    if (is_null || want.is_null) {
        return is_null == want.is_null;
    }
    union col_datum d = mat_value(m, column, row);
    if (m->types[column] == COL_FLOAT64) {
        double a = d.f64, b = want.type == COL_FLOAT64 ? want.v.f64 : rv_double(want);
        double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
        return fabs(a - b) <= 1e-9 * (scale > 1 ? scale : 1);
    }
    struct rv got = {.type = m->types[column], .scale = m->scales[column], .v = d};
    return rv_compare(got, want) == 0;
}

#endif
