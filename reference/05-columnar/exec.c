/* exec.c -- part D: a pipeline run over morsels on threads (lab 05). Every thread, the calling
 * one included, takes morsels from one atomic counter and pushes each batch of a morsel
 * through its own operator states into its own sink, so nothing is shared while rows flow;
 * the sinks meet once, at the end, in a merge. */
#include "exec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct shared {
    const struct exec_pipeline *p;
    uint64_t morsel_count;
    atomic_uint_fast64_t next_morsel;
    atomic_bool has_failed;
    atomic_int first_failed; /* the worker whose error is returned, -1 while none */
};

struct worker {
    struct shared *sh;
    uint32_t index;
    struct scan *scan;
    struct expr_state *states[EXEC_OPS_MAX][VEC_COLUMNS_MAX]; /* FILTER: [0]; PROJECT: each */
    struct join_probe *probes[EXEC_OPS_MAX];
    uint16_t *sels[EXEC_OPS_MAX];     /* FILTER: the rows it keeps */
    struct batch *outs[EXEC_OPS_MAX]; /* each operator's output batch */
    struct agg_table *agg;
    struct join_table *build;
    struct sort_table *sort;
    struct mat collect;
    bool has_collect;
    struct exec_stats stats;
    struct col_error err;
    col_status status;
    pthread_t thread;
};

/* ---- One thread's states ------------------------------------------------------------------ */

static col_status
worker_init(struct worker *w, struct col_error *err)
{
    const struct exec_pipeline *p = w->sh->p;
    col_status status = COL_OK;
    if (p->source == EXEC_SOURCE_SCAN) {
        status = scan_new(&p->scan, &w->scan, err);
    }
    for (uint32_t k = 0; k < p->op_count && status == COL_OK; k++) {
        const struct exec_op *op = &p->ops[k];
        w->outs[k] = malloc(sizeof(struct batch));
        if (w->outs[k] == NULL) {
            return col_fail(err, COL_NOMEM, "exec: out of memory");
        }
        switch (op->kind) {
        case EXEC_FILTER:
            w->sels[k] = malloc(COL_VECTOR_SIZE * sizeof(uint16_t));
            status = w->sels[k] == NULL ? col_fail(err, COL_NOMEM, "exec: out of memory")
                                        : expr_state_new(op->condition, &w->states[k][0], err);
            break;
        case EXEC_PROJECT:
            for (uint32_t e = 0; e < op->expr_count && status == COL_OK; e++) {
                status = expr_state_new(op->exprs[e], &w->states[k][e], err);
            }
            break;
        case EXEC_PROBE:
            status = join_probe_new(op->table, op->input_column_count, op->input_types,
                                    op->input_scales, &w->probes[k], err);
            break;
        }
    }
    if (status != COL_OK) {
        return status;
    }
    switch (p->sink) {
    case EXEC_SINK_BUILD:
        return join_table_new(&p->join, p->sink_column_count, p->sink_types, p->sink_scales,
                              &w->build, err);
    case EXEC_SINK_AGGREGATE:
        return agg_table_new(&p->agg, p->sink_column_count, p->sink_types, p->sink_scales, &w->agg,
                             err);
    case EXEC_SINK_SORT:
        return sort_table_new(&p->sort, p->sink_column_count, p->sink_types, p->sink_scales,
                              &w->sort, err);
    case EXEC_SINK_COLLECT:
        mat_init(&w->collect, p->sink_column_count, p->sink_types, p->sink_scales);
        w->has_collect = true;
        return COL_OK;
    }
    return COL_OK;
}

static void
worker_free(struct worker *w)
{
    scan_free(w->scan);
    for (uint32_t k = 0; k < EXEC_OPS_MAX; k++) {
        for (uint32_t e = 0; e < VEC_COLUMNS_MAX; e++) {
            expr_state_free(w->states[k][e]);
        }
        join_probe_free(w->probes[k]);
        free(w->sels[k]);
        free(w->outs[k]);
    }
    agg_table_free(w->agg);
    join_table_free(w->build);
    sort_table_free(w->sort);
    if (w->has_collect) {
        mat_free(&w->collect);
    }
}

/* ---- Pushing a batch ----------------------------------------------------------------------- */

static col_status
sink_add(struct worker *w, const struct batch *b, struct col_error *err)
{
    const struct exec_pipeline *p = w->sh->p;
    w->stats.sink.rows_in += b->selected_count;
    switch (p->sink) {
    case EXEC_SINK_BUILD:
        return join_table_add(w->build, b, err);
    case EXEC_SINK_AGGREGATE:
        return agg_table_add(w->agg, b, err);
    case EXEC_SINK_SORT:
        return sort_table_add(w->sort, b, err);
    case EXEC_SINK_COLLECT: {
        uint32_t columns[VEC_COLUMNS_MAX];
        for (uint32_t c = 0; c < b->column_count; c++) {
            columns[c] = c;
        }
        return mat_append(&w->collect, b, columns, err);
    }
    }
    return COL_OK;
}

/* Pushes b through operators k, k + 1, ... into the sink. */
static col_status
push(struct worker *w, const struct batch *b, uint32_t k, struct col_error *err)
{
    const struct exec_pipeline *p = w->sh->p;
    if (k == p->op_count) {
        return sink_add(w, b, err);
    }
    const struct exec_op *op = &p->ops[k];
    struct exec_op_stats *st = &w->stats.ops[k];
    struct batch *out = w->outs[k];
    st->rows_in += b->selected_count;
    col_status status = COL_OK;
    switch (op->kind) {
    case EXEC_FILTER: {
        uint32_t kept = 0;
        status = expr_select(op->condition, b, w->states[k][0], w->sels[k], &kept, err);
        if (status != COL_OK || kept == 0) {
            return status;
        }
        *out = *b;
        out->sel = w->sels[k];
        out->selected_count = kept;
        st->rows_out += kept;
        return push(w, out, k + 1, err);
    }
    case EXEC_PROJECT:
        out->row_count = b->row_count;
        out->selected_count = b->selected_count;
        out->sel = b->sel;
        out->column_count = op->expr_count;
        for (uint32_t e = 0; e < op->expr_count && status == COL_OK; e++) {
            status = expr_eval(op->exprs[e], b, w->states[k][e], &out->columns[e], err);
        }
        if (status != COL_OK) {
            return status;
        }
        st->rows_out += out->selected_count;
        return push(w, out, k + 1, err);
    case EXEC_PROBE:
        join_probe_begin(w->probes[k], b);
        for (;;) {
            status = join_probe_next(w->probes[k], out, err);
            if (status != COL_OK || out->row_count == 0) {
                return status;
            }
            st->rows_out += out->selected_count;
            status = push(w, out, k + 1, err);
            if (status != COL_OK) {
                return status;
            }
        }
    }
    return COL_OK;
}

static col_status
run_morsel(struct worker *w, uint64_t m, struct col_error *err)
{
    const struct exec_pipeline *p = w->sh->p;
    struct batch b;
    if (p->source == EXEC_SOURCE_SCAN) {
        scan_begin(w->scan, (uint32_t)m, (uint32_t)m + 1);
        for (;;) {
            if (atomic_load_explicit(&w->sh->has_failed, memory_order_relaxed)) {
                return COL_OK; /* another thread failed: its error is the query's */
            }
            col_status status = scan_next(w->scan, &b, err);
            if (status != COL_OK || b.row_count == 0) {
                return status;
            }
            w->stats.source_rows += b.selected_count;
            status = push(w, &b, 0, err);
            if (status != COL_OK) {
                return status;
            }
        }
    }
    uint64_t end = (m + 1) * EXEC_MAT_MORSEL_ROWS;
    end = end < p->mat->row_count ? end : p->mat->row_count;
    for (uint64_t from = m * EXEC_MAT_MORSEL_ROWS; from < end; from += COL_VECTOR_SIZE) {
        if (atomic_load_explicit(&w->sh->has_failed, memory_order_relaxed)) {
            return COL_OK;
        }
        mat_batch(p->mat, from, &b);
        w->stats.source_rows += b.selected_count;
        col_status status = push(w, &b, 0, err);
        if (status != COL_OK) {
            return status;
        }
    }
    return COL_OK;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    col_status status = worker_init(w, &w->err);
    while (status == COL_OK && !atomic_load(&sh->has_failed)) {
        uint64_t m = atomic_fetch_add(&sh->next_morsel, 1);
        if (m >= sh->morsel_count) {
            break;
        }
        w->stats.morsels[w->index]++;
        status = run_morsel(w, m, &w->err);
    }
    w->status = status;
    if (status != COL_OK) {
        int none = -1;
        atomic_compare_exchange_strong(&sh->first_failed, &none, (int)w->index);
        atomic_store(&sh->has_failed, true);
    }
    return NULL;
}

/* ---- The end: merge, finish, count ------------------------------------------------------- */

static col_status
merge_sinks(struct worker *workers, uint32_t count, struct col_error *err)
{
    struct worker *into = &workers[0];
    for (uint32_t i = 1; i < count; i++) {
        struct worker *from = &workers[i];
        col_status status = COL_OK;
        switch (into->sh->p->sink) {
        case EXEC_SINK_BUILD:
            status = join_table_merge(into->build, from->build, err);
            break;
        case EXEC_SINK_AGGREGATE:
            status = agg_table_merge(into->agg, from->agg, err);
            break;
        case EXEC_SINK_SORT:
            status = sort_table_merge(into->sort, from->sort, err);
            break;
        case EXEC_SINK_COLLECT:
            status = mat_move_rows(&into->collect, &from->collect, err);
            break;
        }
        if (status != COL_OK) {
            return status;
        }
    }
    return COL_OK;
}

static col_status
finish(struct worker *w, struct exec_result *out, struct col_error *err)
{
    *out = (struct exec_result){0};
    col_status status = COL_OK;
    switch (w->sh->p->sink) {
    case EXEC_SINK_BUILD:
        status = join_table_finish(w->build, err);
        if (status == COL_OK) {
            out->table = w->build;
            w->build = NULL;
        }
        return status;
    case EXEC_SINK_AGGREGATE:
        status = agg_table_finish(w->agg, &out->rows, err);
        break;
    case EXEC_SINK_SORT:
        status = sort_table_finish(w->sort, &out->rows, err);
        break;
    case EXEC_SINK_COLLECT:
        out->rows = w->collect;
        w->has_collect = false;
        break;
    }
    out->has_rows = status == COL_OK;
    return status;
}

static void
stats_add(struct exec_stats *into, const struct exec_stats *from, uint32_t op_count)
{
    for (uint32_t k = 0; k < op_count; k++) {
        into->ops[k].rows_in += from->ops[k].rows_in;
        into->ops[k].rows_out += from->ops[k].rows_out;
    }
    into->sink.rows_in += from->sink.rows_in;
    into->source_rows += from->source_rows;
    for (uint32_t i = 0; i < EXEC_THREADS_MAX; i++) {
        into->morsels[i] += from->morsels[i];
    }
}

static uint64_t
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

col_status
exec_run(const struct exec_pipeline *p, uint32_t threads, struct exec_result *out,
         struct exec_stats *stats, struct col_error *err)
{
    if (threads == 0 || threads > EXEC_THREADS_MAX || p->op_count > EXEC_OPS_MAX ||
        (p->source == EXEC_SOURCE_MAT && p->mat == NULL)) {
        return col_fail(err, COL_INVALID, "exec: %u threads (1 to %u), %u operators (at most %u)",
                        threads, EXEC_THREADS_MAX, p->op_count, EXEC_OPS_MAX);
    }
    uint64_t start = now_ns();
    struct shared sh = {.p = p};
    sh.morsel_count = p->source == EXEC_SOURCE_SCAN
                          ? col_table_group_count(p->scan.table)
                          : (p->mat->row_count + EXEC_MAT_MORSEL_ROWS - 1) / EXEC_MAT_MORSEL_ROWS;
    atomic_init(&sh.next_morsel, 0);
    atomic_init(&sh.has_failed, false);
    atomic_init(&sh.first_failed, -1);
    struct worker *workers = calloc(threads, sizeof(*workers));
    if (workers == NULL) {
        return col_fail(err, COL_NOMEM, "exec: out of memory");
    }
    uint32_t started = 1;
    for (uint32_t i = 0; i < threads; i++) {
        workers[i].sh = &sh;
        workers[i].index = i;
    }
    for (uint32_t i = 1; i < threads; i++, started++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            workers[i].status =
                col_fail(&workers[i].err, COL_NOMEM, "exec: cannot start thread %u", i);
            int none = -1;
            atomic_compare_exchange_strong(&sh.first_failed, &none, (int)i);
            atomic_store(&sh.has_failed, true);
            break;
        }
    }
    worker_main(&workers[0]);
    for (uint32_t i = 1; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
    }
    col_status status = COL_OK;
    int failed = atomic_load(&sh.first_failed);
    if (failed >= 0) {
        status = workers[failed].status;
        if (err != NULL) {
            *err = workers[failed].err;
        }
    } else {
        status = merge_sinks(workers, threads, err);
    }
    struct exec_result result = {0};
    if (status == COL_OK) {
        status = finish(&workers[0], &result, err);
    }
    if (status == COL_OK) {
        *out = result;
        if (stats != NULL) {
            memset(stats, 0, sizeof(*stats));
            stats->threads = threads;
            for (uint32_t i = 0; i < threads; i++) {
                stats_add(stats, &workers[i].stats, p->op_count);
                if (workers[i].scan != NULL) {
                    struct scan_stats s;
                    scan_stats(workers[i].scan, &s);
                    scan_stats_add(&stats->scan, &s);
                }
            }
            stats->sink.rows_out =
                result.table != NULL ? join_table_row_count(result.table) : result.rows.row_count;
            stats->wall_ns = now_ns() - start;
        }
    }
    for (uint32_t i = 0; i < threads; i++) {
        worker_free(&workers[i]);
    }
    free(workers);
    return status;
}
