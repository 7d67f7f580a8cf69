/* ops_given.c -- the kit's part of ops.h (lab 05): names of the aggregates, and the types a
 * GROUP BY gives. Students do not change this file. */
#include "ops.h"

const char *
agg_fn_name(enum agg_fn fn)
{
    switch (fn) {
#define AGG_FN_TEXT(name, text)                                                                    \
    case name:                                                                                     \
        return text;
        AGG_FN_LIST(AGG_FN_TEXT)
#undef AGG_FN_TEXT
    case AGG_FN_COUNT:
        break;
    }
    return "?";
}

/* The type aggregate f gives over a column of type and scale (ops.h's table). */
static col_status
fn_result(enum agg_fn fn, enum col_type type, uint8_t scale, enum col_type *out_type,
          uint8_t *out_scale, struct col_error *err)
{
    bool is_number =
        type == COL_INT32 || type == COL_INT64 || type == COL_DECIMAL || type == COL_FLOAT64;
    *out_scale = 0;
    switch (fn) {
    case AGG_COUNT_STAR:
    case AGG_COUNT:
        *out_type = COL_INT64;
        return COL_OK;
    case AGG_SUM:
    case AGG_AVG:
        if (!is_number) {
            return col_fail(err, COL_INVALID, "%s of a %s: it takes numbers", agg_fn_name(fn),
                            col_type_name(type));
        }
        if (fn == AGG_AVG || type == COL_FLOAT64) {
            *out_type = COL_FLOAT64;
        } else {
            *out_type = type == COL_DECIMAL ? COL_DECIMAL : COL_INT64;
            *out_scale = scale;
        }
        return COL_OK;
    case AGG_MIN:
    case AGG_MAX:
        *out_type = type;
        *out_scale = scale;
        return COL_OK;
    case AGG_FN_COUNT:
        break;
    }
    return col_fail(err, COL_INVALID, "unknown aggregate %d", (int)fn);
}

col_status
agg_spec_resolve(const struct agg_spec *spec, uint32_t column_count, const enum col_type *types,
                 const uint8_t *scales, enum col_type *out_types, uint8_t *out_scales,
                 struct col_error *err)
{
    if (spec->key_count > AGG_KEYS_MAX || spec->func_count > AGG_FUNCS_MAX ||
        spec->key_count + spec->func_count == 0) {
        return col_fail(err, COL_INVALID,
                        "a GROUP BY of %u keys and %u aggregates (1 to %u and "
                        "0 to %u)",
                        spec->key_count, spec->func_count, AGG_KEYS_MAX, AGG_FUNCS_MAX);
    }
    for (uint32_t k = 0; k < spec->key_count; k++) {
        if (spec->keys[k] >= column_count) {
            return col_fail(err, COL_INVALID, "key %u is column #%u of %u", k, spec->keys[k],
                            column_count);
        }
        out_types[k] = types[spec->keys[k]];
        out_scales[k] = scales != NULL ? scales[spec->keys[k]] : 0;
    }
    for (uint32_t f = 0; f < spec->func_count; f++) {
        uint32_t at = spec->key_count + f;
        if (spec->fns[f] != AGG_COUNT_STAR && spec->args[f] >= column_count) {
            return col_fail(err, COL_INVALID, "%s of column #%u of %u", agg_fn_name(spec->fns[f]),
                            spec->args[f], column_count);
        }
        enum col_type type = spec->fns[f] == AGG_COUNT_STAR ? COL_INT64 : types[spec->args[f]];
        uint8_t scale =
            spec->fns[f] == AGG_COUNT_STAR || scales == NULL ? 0 : scales[spec->args[f]];
        col_status status =
            fn_result(spec->fns[f], type, scale, &out_types[at], &out_scales[at], err);
        if (status != COL_OK) {
            return status;
        }
    }
    return COL_OK;
}
