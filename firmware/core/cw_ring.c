#include "cw_ring.h"

/* Orders the sample copies before the index store that publishes them to the other side. */
#if defined(__GNUC__)
#define CW_RING_BARRIER() __sync_synchronize()
#else
#define CW_RING_BARRIER() ((void)0)
#endif

static int cw_ring_ready(const cw_ring_t *ring)
{
    return ring != 0 && ring->buf != 0;
}

cw_err_t cw_ring_init(cw_ring_t *ring, int32_t *storage, size_t capacity)
{
    if (ring == 0) {
        return CW_ERR_ARG;
    }
    ring->buf = 0;
    ring->mask = 0;
    ring->head = 0;
    ring->tail = 0;
    ring->overflow = 0;
    if (storage == 0 || capacity < 2u || capacity > 0x80000000u || (capacity & (capacity - 1u)) != 0) {
        return CW_ERR_ARG;
    }
    ring->buf = storage;
    ring->mask = (uint32_t)(capacity - 1u);
    return CW_OK;
}

size_t cw_ring_count(const cw_ring_t *ring)
{
    if (!cw_ring_ready(ring)) {
        return 0;
    }
    return (size_t)(uint32_t)(ring->head - ring->tail);
}

size_t cw_ring_space(const cw_ring_t *ring)
{
    if (!cw_ring_ready(ring)) {
        return 0;
    }
    return (size_t)(ring->mask + 1u) - cw_ring_count(ring);
}

uint32_t cw_ring_overflow(const cw_ring_t *ring)
{
    return cw_ring_ready(ring) ? ring->overflow : 0u;
}

size_t cw_ring_write(cw_ring_t *ring, const int32_t *x, size_t n)
{
    size_t room;
    size_t todo;
    size_t i;
    uint32_t head;
    if (!cw_ring_ready(ring) || x == 0) {
        return 0;
    }
    room = cw_ring_space(ring);
    todo = n < room ? n : room;
    head = ring->head;
    for (i = 0; i < todo; ++i) {
        ring->buf[(head + (uint32_t)i) & ring->mask] = x[i];
    }
    CW_RING_BARRIER();
    ring->head = head + (uint32_t)todo;
    if (todo < n) {
        ring->overflow += (uint32_t)(n - todo);
    }
    return todo;
}

size_t cw_ring_read(cw_ring_t *ring, int32_t *out, size_t n)
{
    size_t avail;
    size_t todo;
    size_t i;
    uint32_t tail;
    if (!cw_ring_ready(ring) || out == 0) {
        return 0;
    }
    avail = cw_ring_count(ring);
    todo = n < avail ? n : avail;
    tail = ring->tail;
    CW_RING_BARRIER();
    for (i = 0; i < todo; ++i) {
        out[i] = ring->buf[(tail + (uint32_t)i) & ring->mask];
    }
    CW_RING_BARRIER();
    ring->tail = tail + (uint32_t)todo;
    return todo;
}
