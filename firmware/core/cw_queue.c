#include "cw_queue.h"

static int cw_queue_ready(const cw_queue_t *q)
{
    return q != 0 && q->arena != 0;
}

static void cw_queue_put(cw_queue_t *q, size_t at, const uint8_t *src, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        q->arena[(at + i) % q->size] = src[i];
    }
}

static void cw_queue_get(const cw_queue_t *q, size_t at, uint8_t *dst, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        dst[i] = q->arena[(at + i) % q->size];
    }
}

cw_err_t cw_queue_init(cw_queue_t *q, uint8_t *arena, size_t size)
{
    if (q == 0) {
        return CW_ERR_ARG;
    }
    q->arena = 0;
    q->size = 0;
    q->head = 0;
    q->tail = 0;
    q->used = 0;
    q->count = 0;
    q->dropped = 0;
    if (arena == 0 || size <= CW_QUEUE_OVERHEAD) {
        return CW_ERR_ARG;
    }
    q->arena = arena;
    q->size = size;
    return CW_OK;
}

size_t cw_queue_front_len(const cw_queue_t *q)
{
    uint8_t len[CW_QUEUE_OVERHEAD];
    if (!cw_queue_ready(q) || q->count == 0) {
        return 0;
    }
    cw_queue_get(q, q->tail, len, CW_QUEUE_OVERHEAD);
    return (size_t)len[0] | ((size_t)len[1] << 8);
}

cw_err_t cw_queue_pop(cw_queue_t *q)
{
    size_t n;
    if (!cw_queue_ready(q) || q->count == 0) {
        return CW_ERR_EMPTY;
    }
    n = cw_queue_front_len(q) + CW_QUEUE_OVERHEAD;
    q->tail = (q->tail + n) % q->size;
    q->used -= n;
    q->count -= 1;
    return CW_OK;
}

cw_err_t cw_queue_push(cw_queue_t *q, const uint8_t *frame, size_t len)
{
    uint8_t len_bytes[CW_QUEUE_OVERHEAD];
    size_t need;
    if (!cw_queue_ready(q) || frame == 0 || len == 0) {
        return CW_ERR_ARG;
    }
    if (len > CW_QUEUE_MAX_FRAME || len > q->size - CW_QUEUE_OVERHEAD) {
        return CW_ERR_CAPACITY;
    }
    need = len + CW_QUEUE_OVERHEAD;
    while (q->size - q->used < need) {
        (void)cw_queue_pop(q);
        q->dropped += 1u;
    }
    len_bytes[0] = (uint8_t)(len & 0xFFu);
    len_bytes[1] = (uint8_t)(len >> 8);
    cw_queue_put(q, q->head, len_bytes, CW_QUEUE_OVERHEAD);
    cw_queue_put(q, (q->head + CW_QUEUE_OVERHEAD) % q->size, frame, len);
    q->head = (q->head + need) % q->size;
    q->used += need;
    q->count += 1;
    return CW_OK;
}

size_t cw_queue_peek(const cw_queue_t *q, uint8_t *out, size_t out_cap)
{
    size_t len = cw_queue_front_len(q);
    if (len == 0 || out == 0 || out_cap < len) {
        return 0;
    }
    cw_queue_get(q, (q->tail + CW_QUEUE_OVERHEAD) % q->size, out, len);
    return len;
}

size_t cw_queue_peek_at(const cw_queue_t *q, size_t index, uint8_t *out, size_t out_cap)
{
    uint8_t len_bytes[CW_QUEUE_OVERHEAD];
    size_t at;
    size_t len = 0;
    size_t i;
    if (!cw_queue_ready(q) || out == 0 || index >= q->count) {
        return 0;
    }
    at = q->tail;
    for (i = 0; i <= index; ++i) {
        cw_queue_get(q, at, len_bytes, CW_QUEUE_OVERHEAD);
        len = (size_t)len_bytes[0] | ((size_t)len_bytes[1] << 8);
        if (i < index) {
            at = (at + CW_QUEUE_OVERHEAD + len) % q->size;
        }
    }
    if (out_cap < len) {
        return 0;
    }
    cw_queue_get(q, (at + CW_QUEUE_OVERHEAD) % q->size, out, len);
    return len;
}

size_t cw_queue_count(const cw_queue_t *q)
{
    return cw_queue_ready(q) ? q->count : 0u;
}

uint32_t cw_queue_dropped(const cw_queue_t *q)
{
    return cw_queue_ready(q) ? q->dropped : 0u;
}
