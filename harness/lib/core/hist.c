/* hist.c -- a log-linear latency histogram (the idea of HdrHistogram, Gil Tene): fixed memory,
 * O(1) record, bounded relative error; one per thread, merged after the threads join. */
#include "kh_core.h"

#include <assert.h>
#include <string.h>

_Static_assert(KH_HIST_SUB_BITS >= 1 && KH_HIST_SUB_BITS <= 16,
               "sub-buckets must be a small power");

/* Group 0 holds the exact values [0, 2^SUB); group g >= 1 holds [2^(SUB+g-1), 2^(SUB+g)),
 * cut into 2^SUB equal buckets of width 2^(g-1). */
static size_t
bucket_of(uint64_t value)
{
    if (value < (1u << KH_HIST_SUB_BITS)) {
        return (size_t)value;
    }
    unsigned top_bit = 63u - (unsigned)__builtin_clzll(value);
    unsigned group = top_bit - KH_HIST_SUB_BITS + 1u;
    size_t sub = (size_t)((value >> (group - 1u)) & ((1u << KH_HIST_SUB_BITS) - 1u));
    size_t index = ((size_t)group << KH_HIST_SUB_BITS) + sub;
    assert(index < KH_HIST_BUCKETS);
    return index;
}

/* The largest value that falls in bucket index: the inverse of bucket_of. */
static uint64_t
bucket_upper(size_t index)
{
    size_t group = index >> KH_HIST_SUB_BITS;
    uint64_t sub = index & ((1u << KH_HIST_SUB_BITS) - 1u);
    if (group == 0) {
        return sub;
    }
    uint64_t lower = (((uint64_t)1 << KH_HIST_SUB_BITS) + sub) << (group - 1u);
    return lower + ((uint64_t)1 << (group - 1u)) - 1u;
}

void
kh_hist_init(struct kh_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void
kh_hist_record(struct kh_hist *h, uint64_t value)
{
    h->counts[bucket_of(value)]++;
    h->count++;
    h->sum += value;
    h->min = value < h->min ? value : h->min;
    h->max = value > h->max ? value : h->max;
}

void
kh_hist_merge(struct kh_hist *dst, const struct kh_hist *src)
{
    for (size_t i = 0; i < KH_HIST_BUCKETS; i++) {
        dst->counts[i] += src->counts[i];
    }
    dst->count += src->count;
    dst->sum += src->sum;
    dst->min = src->min < dst->min ? src->min : dst->min;
    dst->max = src->max > dst->max ? src->max : dst->max;
}

uint64_t
kh_hist_percentile(const struct kh_hist *h, double percentile)
{
    assert(percentile >= 0.0);
    assert(percentile <= 100.0);
    if (h->count == 0) {
        return 0;
    }
    uint64_t rank = (uint64_t)(percentile / 100.0 * (double)h->count + 0.5);
    rank = rank == 0 ? 1 : rank;
    uint64_t seen = 0;
    for (size_t i = 0; i < KH_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t upper = bucket_upper(i);
            return upper < h->max ? upper : h->max;
        }
    }
    return h->max;
}

double
kh_hist_mean(const struct kh_hist *h)
{
    return h->count == 0 ? 0.0 : (double)h->sum / (double)h->count;
}
