/* sim.c -- the deterministic network of kh_sim.h. Messages in flight sit in one binary min-heap
 * ordered by (due tick, sequence number), so a receive takes the earliest in O(log n) and ties
 * go in send order; read kh_sim_send and kh_sim_receive first. The only randomness is sim->rng,
 * seeded once, so the same calls from the same seed give the same run. */
#include "kh_sim.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SIM_HEAP_CAPACITY_MIN 64u /* entries: the first allocation, doubled from there */
#define SIM_COPIES_MAX 2u         /* a message and its duplicate */

_Static_assert(KH_SIM_MESSAGE_BYTES_MAX <= SIZE_MAX / 2, "a message's size fits in a size_t");
_Static_assert(KH_SIM_NODES_MAX <= UINT32_MAX - 1, "node numbers 1..NODES_MAX fit a uint32_t");

/* One copy of a message in flight. It owns bytes (never NULL: a 0-byte message owns 1 byte, so
 * a receiver never sees NULL). */
struct sim_entry {
    uint64_t due_tick;
    uint64_t sequence; /* unique, in send order: the tie-break that keeps equal delays FIFO */
    uint64_t sent_tick;
    uint32_t from;
    uint32_t to;
    void *bytes;
    size_t size_bytes;
};
_Static_assert(sizeof(struct sim_entry) <= 48, "KH_SIM_IN_FLIGHT_MAX's arithmetic: 48 B an entry");

struct kh_sim {
    uint32_t node_count;
    uint64_t now_tick;
    uint64_t sequence_next;
    struct kh_sim_faults faults;
    struct kh_rng rng;
    /* is_cut[from][to]; row and column 0 unused, so a node number indexes it directly. Zero,
     * the state calloc leaves, is every link connected. */
    bool is_cut[KH_SIM_NODES_MAX + 1][KH_SIM_NODES_MAX + 1];
    struct sim_entry *heap; /* owned; heap[0] is due first; heap[i]'s children 2i+1, 2i+2 */
    size_t heap_count;
    size_t heap_capacity;
    struct sim_entry last; /* the message the last receive returned; bytes NULL when none */
    struct kh_sim_stats stats;
};

#define KH_SIM_STATUS_TEXT(name, text) text,
static const char *const kh_sim_status_texts[] = {KH_SIM_STATUS(KH_SIM_STATUS_TEXT)};
#undef KH_SIM_STATUS_TEXT

const char *
kh_sim_strerror(kh_sim_status status)
{
    if ((size_t)status >= KH_ARRAY_LEN(kh_sim_status_texts)) {
        return "unknown sim status";
    }
    return kh_sim_status_texts[status];
}

/* ---- Checkers, for assertions only ----------------------------------------------------- */

static bool
sim_is_node(const struct kh_sim *sim, uint32_t node)
{
    return node >= 1 && node <= sim->node_count;
}

static bool
sim_is_before(const struct sim_entry *a, const struct sim_entry *b)
{
    if (a->due_tick != b->due_tick) {
        return a->due_tick < b->due_tick;
    }
    return a->sequence < b->sequence;
}

/* Entry index is not before its parent: O(1), cheap enough to assert after every move. */
static bool
sim_heap_is_ordered_above(const struct kh_sim *sim, size_t index)
{
    return index == 0 || !sim_is_before(&sim->heap[index], &sim->heap[(index - 1) / 2]);
}

/* Neither child of entry index is before it. Floyd's rebuild (kh_sim_drop_to) orders a subtree
 * before its parent, so sift-down can promise only this. */
static bool
sim_heap_is_ordered_below(const struct kh_sim *sim, size_t index)
{
    for (size_t child = 2 * index + 1; child <= 2 * index + 2; child++) {
        if (child < sim->heap_count && sim_is_before(&sim->heap[child], &sim->heap[index])) {
            return false;
        }
    }
    return true;
}

/* ---- The heap -------------------------------------------------------------------------- */

static void
sim_swap(struct sim_entry *a, struct sim_entry *b)
{
    struct sim_entry t = *a;
    *a = *b;
    *b = t;
}

static void
sim_sift_up(struct kh_sim *sim, size_t index)
{
    assert(index < sim->heap_count);
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (!sim_is_before(&sim->heap[index], &sim->heap[parent])) {
            break;
        }
        sim_swap(&sim->heap[index], &sim->heap[parent]);
        index = parent;
    }
    assert(sim_heap_is_ordered_above(sim, index));
}

static void
sim_sift_down(struct kh_sim *sim, size_t index)
{
    assert(index < sim->heap_count);
    for (;;) {
        size_t first = index;
        for (size_t child = 2 * index + 1; child <= 2 * index + 2; child++) {
            if (child < sim->heap_count && sim_is_before(&sim->heap[child], &sim->heap[first])) {
                first = child;
            }
        }
        if (first == index) {
            break;
        }
        sim_swap(&sim->heap[index], &sim->heap[first]);
        index = first;
    }
    assert(sim_heap_is_ordered_below(sim, index));
}

/* Makes room for count more entries, up to KH_SIM_IN_FLIGHT_MAX, by doubling: a send's cost
 * stays O(log n) amortized. False when realloc fails, with the heap as it was. */
static bool
sim_heap_reserve(struct kh_sim *sim, size_t count)
{
    size_t need = sim->heap_count + count;
    assert(need <= KH_SIM_IN_FLIGHT_MAX);
    if (need <= sim->heap_capacity) {
        return true;
    }
    size_t capacity = sim->heap_capacity > 0 ? sim->heap_capacity : SIM_HEAP_CAPACITY_MIN;
    while (capacity < need) {
        capacity *= 2;
    }
    capacity = capacity < KH_SIM_IN_FLIGHT_MAX ? capacity : KH_SIM_IN_FLIGHT_MAX;
    struct sim_entry *heap = realloc(sim->heap, capacity * sizeof(*heap));
    if (heap == NULL) {
        return false;
    }
    sim->heap = heap;
    sim->heap_capacity = capacity;
    assert(sim->heap_capacity >= need);
    return true;
}

/* Room must have been reserved. */
static void
sim_heap_push(struct kh_sim *sim, const struct sim_entry *entry)
{
    assert(sim->heap_count < sim->heap_capacity);
    sim->heap[sim->heap_count] = *entry;
    sim->heap_count++;
    sim_sift_up(sim, sim->heap_count - 1);
}

static struct sim_entry
sim_heap_pop(struct kh_sim *sim)
{
    assert(sim->heap_count > 0);
    struct sim_entry top = sim->heap[0];
    sim->heap_count--;
    if (sim->heap_count > 0) {
        sim->heap[0] = sim->heap[sim->heap_count];
        sim_sift_down(sim, 0);
    }
    assert(sim->heap_count == 0 || !sim_is_before(&sim->heap[0], &top));
    return top;
}

/* ---- Lifetime -------------------------------------------------------------------------- */

kh_sim_status
kh_sim_create(uint32_t node_count, uint64_t seed, struct kh_sim **out)
{
    assert(out != NULL);
    if (node_count < 1 || node_count > KH_SIM_NODES_MAX) {
        return KH_SIM_BAD_NODE;
    }
    struct kh_sim *sim = calloc(1, sizeof(*sim));
    if (sim == NULL) {
        return KH_SIM_NOMEM;
    }
    sim->node_count = node_count;
    sim->faults = (struct kh_sim_faults){.delay_ticks_min = 1, .delay_ticks_max = 1};
    kh_rng_seed(&sim->rng, seed);
    assert(sim->last.bytes == NULL);
    *out = sim;
    return KH_SIM_OK;
}

void
kh_sim_destroy(struct kh_sim *sim)
{
    if (sim == NULL) {
        return;
    }
    for (size_t i = 0; i < sim->heap_count; i++) {
        free(sim->heap[i].bytes);
    }
    free(sim->heap);
    free(sim->last.bytes);
    free(sim);
}

void
kh_sim_set_faults(struct kh_sim *sim, const struct kh_sim_faults *faults)
{
    assert(faults->delay_ticks_min <= faults->delay_ticks_max);
    assert(faults->drop_per_million <= KH_SIM_PER_MILLION);
    assert(faults->duplicate_per_million <= KH_SIM_PER_MILLION);
    sim->faults = *faults;
}

/* ---- Time ------------------------------------------------------------------------------ */

uint64_t
kh_sim_now(const struct kh_sim *sim)
{
    return sim->now_tick;
}

void
kh_sim_tick(struct kh_sim *sim)
{
    assert(sim->now_tick < UINT64_MAX);
    sim->now_tick++;
}

void
kh_sim_advance_to(struct kh_sim *sim, uint64_t tick)
{
    assert(tick >= sim->now_tick);
    assert(tick < UINT64_MAX); /* UINT64_MAX is kh_sim_next_due's "nothing in flight" */
    sim->now_tick = tick;
}

/* ---- Sending --------------------------------------------------------------------------- */

/* True with chance per_million in a million; a certain outcome draws nothing, so the default
 * faults leave the stream to the driver. */
static bool
sim_draw_chance(struct kh_rng *rng, uint32_t per_million)
{
    assert(per_million <= KH_SIM_PER_MILLION);
    if (per_million == 0 || per_million == KH_SIM_PER_MILLION) {
        return per_million == KH_SIM_PER_MILLION;
    }
    return kh_rng_below(rng, KH_SIM_PER_MILLION) < per_million;
}

static uint32_t
sim_draw_delay_ticks(struct kh_rng *rng, const struct kh_sim_faults *faults)
{
    uint32_t min = faults->delay_ticks_min;
    uint32_t max = faults->delay_ticks_max;
    assert(min <= max);
    if (min == max) {
        return min;
    }
    /* max - min + 1 <= 2^32 cannot overflow a uint64_t, and the sum stays <= max. */
    return min + (uint32_t)kh_rng_below(rng, (uint64_t)(max - min) + 1);
}

/* The fate of one send, in the order kh_sim.h promises: drop, duplicate, a delay per copy.
 * Fills delays_ticks[0 .. copy count) and returns the copy count: 0 (dropped), 1 or 2. */
static size_t
sim_draw_copies(struct kh_sim *sim, uint32_t delays_ticks[SIM_COPIES_MAX])
{
    if (sim_draw_chance(&sim->rng, sim->faults.drop_per_million)) {
        return 0;
    }
    size_t copy_count = sim_draw_chance(&sim->rng, sim->faults.duplicate_per_million) ? 2 : 1;
    for (size_t i = 0; i < copy_count; i++) {
        delays_ticks[i] = sim_draw_delay_ticks(&sim->rng, &sim->faults);
    }
    assert(copy_count <= SIM_COPIES_MAX);
    return copy_count;
}

kh_sim_status
kh_sim_send(struct kh_sim *sim, uint32_t from, uint32_t to, const void *bytes, size_t size_bytes)
{
    assert(bytes != NULL || size_bytes == 0);
    if (!sim_is_node(sim, from) || !sim_is_node(sim, to)) {
        return KH_SIM_BAD_NODE;
    }
    if (size_bytes > KH_SIM_MESSAGE_BYTES_MAX) {
        return KH_SIM_TOO_BIG;
    }
    if (sim->is_cut[from][to]) {
        sim->stats.sent++;
        sim->stats.cut++;
        return KH_SIM_OK;
    }
    /* Everything that can fail comes before anything the caller can see changes; the draws are
     * undone by restoring the generator, so a failed send leaves the stream where it was. */
    struct kh_rng rng_before = sim->rng;
    uint32_t delays_ticks[SIM_COPIES_MAX] = {0};
    size_t copy_count = sim_draw_copies(sim, delays_ticks);
    size_t room = KH_SIM_IN_FLIGHT_MAX - sim->heap_count;
    size_t queued_count = copy_count < room ? copy_count : room;
    void *copies[SIM_COPIES_MAX] = {NULL, NULL};
    if (!sim_heap_reserve(sim, queued_count)) {
        goto fail;
    }
    for (size_t i = 0; i < queued_count; i++) {
        copies[i] = malloc(size_bytes > 0 ? size_bytes : 1);
        if (copies[i] == NULL) {
            goto fail;
        }
        if (size_bytes > 0) {
            memcpy(copies[i], bytes, size_bytes);
        }
    }
    sim->stats.sent++;
    sim->stats.dropped += copy_count == 0 ? 1 : 0;
    sim->stats.duplicated += copy_count == 2 ? 1 : 0;
    sim->stats.overflowed += copy_count - queued_count;
    for (size_t i = 0; i < queued_count; i++) {
        assert(delays_ticks[i] <= UINT64_MAX - sim->now_tick);
        struct sim_entry entry = {
            .due_tick = sim->now_tick + delays_ticks[i],
            .sequence = sim->sequence_next++,
            .sent_tick = sim->now_tick,
            .from = from,
            .to = to,
            .bytes = copies[i],
            .size_bytes = size_bytes,
        };
        sim_heap_push(sim, &entry);
    }
    return KH_SIM_OK;
fail:
    for (size_t i = SIM_COPIES_MAX; i-- > 0;) {
        free(copies[i]);
    }
    sim->rng = rng_before;
    return KH_SIM_NOMEM;
}

/* ---- Receiving ------------------------------------------------------------------------- */

bool
kh_sim_receive(struct kh_sim *sim, struct kh_sim_message *out)
{
    assert(out != NULL);
    free(sim->last.bytes);
    sim->last = (struct sim_entry){0};
    /* Each pass takes one entry off the heap, so this ends within heap_count passes. */
    while (sim->heap_count > 0 && sim->heap[0].due_tick <= sim->now_tick) {
        struct sim_entry entry = sim_heap_pop(sim);
        if (sim->is_cut[entry.from][entry.to]) {
            sim->stats.cut++;
            free(entry.bytes);
            continue;
        }
        sim->stats.delivered++;
        sim->last = entry;
        *out = (struct kh_sim_message){
            .from = entry.from,
            .to = entry.to,
            .sent_tick = entry.sent_tick,
            .due_tick = entry.due_tick,
            .bytes = entry.bytes,
            .size_bytes = entry.size_bytes,
        };
        assert(out->due_tick <= sim->now_tick);
        return true;
    }
    return false;
}

uint64_t
kh_sim_next_due(const struct kh_sim *sim)
{
    return sim->heap_count > 0 ? sim->heap[0].due_tick : UINT64_MAX;
}

size_t
kh_sim_in_flight(const struct kh_sim *sim)
{
    return sim->heap_count;
}

void
kh_sim_drop_to(struct kh_sim *sim, uint32_t node)
{
    assert(sim_is_node(sim, node));
    size_t kept_count = 0;
    for (size_t i = 0; i < sim->heap_count; i++) {
        if (sim->heap[i].to == node) {
            free(sim->heap[i].bytes);
            sim->stats.dropped++;
        } else {
            sim->heap[kept_count++] = sim->heap[i];
        }
    }
    sim->heap_count = kept_count;
    /* Removing entries breaks the order; Floyd's bottom-up rebuild restores it in O(n). */
    for (size_t i = kept_count / 2; i-- > 0;) {
        sim_sift_down(sim, i);
    }
    assert(sim_heap_is_ordered_below(sim, 0));
}

/* ---- Links ----------------------------------------------------------------------------- */

void
kh_sim_cut(struct kh_sim *sim, uint32_t from, uint32_t to)
{
    assert(sim_is_node(sim, from));
    assert(sim_is_node(sim, to));
    sim->is_cut[from][to] = true;
}

void
kh_sim_connect(struct kh_sim *sim, uint32_t from, uint32_t to)
{
    assert(sim_is_node(sim, from));
    assert(sim_is_node(sim, to));
    sim->is_cut[from][to] = false;
}

void
kh_sim_isolate(struct kh_sim *sim, uint32_t node)
{
    assert(sim_is_node(sim, node));
    for (uint32_t other = 1; other <= sim->node_count; other++) {
        if (other != node) {
            sim->is_cut[node][other] = true;
            sim->is_cut[other][node] = true;
        }
    }
}

void
kh_sim_partition(struct kh_sim *sim, const uint32_t *group_of_node)
{
    assert(group_of_node != NULL);
    for (uint32_t from = 1; from <= sim->node_count; from++) {
        for (uint32_t to = 1; to <= sim->node_count; to++) {
            sim->is_cut[from][to] = group_of_node[from] != group_of_node[to];
        }
    }
    assert(!sim->is_cut[1][1]);
}

void
kh_sim_heal(struct kh_sim *sim)
{
    assert(sim->node_count <= KH_SIM_NODES_MAX);
    memset(sim->is_cut, 0, sizeof(sim->is_cut));
}

bool
kh_sim_is_connected(const struct kh_sim *sim, uint32_t from, uint32_t to)
{
    assert(sim_is_node(sim, from));
    assert(sim_is_node(sim, to));
    return !sim->is_cut[from][to];
}

/* ---- Randomness and counts ------------------------------------------------------------- */

struct kh_rng *
kh_sim_rng(struct kh_sim *sim)
{
    assert(sim != NULL);
    return &sim->rng;
}

void
kh_sim_stats(const struct kh_sim *sim, struct kh_sim_stats *out)
{
    assert(out != NULL);
    *out = sim->stats;
    assert(out->sent + out->duplicated ==
           out->delivered + out->dropped + out->cut + out->overflowed + sim->heap_count);
}
