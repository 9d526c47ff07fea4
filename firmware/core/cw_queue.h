/* cw_queue.h - bounded queue of encoded frames kept while the device is offline.
 *
 * Frames of any length are packed into one caller-owned byte arena, each behind a 2-byte length. When a
 * new frame does not fit, the oldest frames are dropped (and counted) to make room: the newest data is
 * the most useful on reconnect. The send task peeks the oldest frame, sends it, and pops it only once
 * the server acknowledged it, so a failed send loses nothing.
 */
#ifndef CW_QUEUE_H
#define CW_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of arena each frame costs beyond its own length. */
#define CW_QUEUE_OVERHEAD 2u

/** Largest frame one slot can hold (its length is stored in 16 bits). */
#define CW_QUEUE_MAX_FRAME 0xFFFFu

typedef struct {
    uint8_t *arena;   /**< caller-owned storage */
    size_t size;      /**< arena bytes */
    size_t head;      /**< offset where the next frame goes */
    size_t tail;      /**< offset of the oldest frame */
    size_t used;      /**< arena bytes in use, lengths included */
    size_t count;     /**< frames queued */
    uint32_t dropped; /**< frames dropped to make room since init */
} cw_queue_t;

/** Attach `arena` of `size` bytes (> CW_QUEUE_OVERHEAD) to `q` and empty it. */
cw_err_t cw_queue_init(cw_queue_t *q, uint8_t *arena, size_t size);

/**
 * Append a copy of `frame`, dropping the oldest frames while it does not fit.
 * @return CW_ERR_ARG for NULL pointers or an empty frame; CW_ERR_CAPACITY (queue unchanged) when the
 *         frame could never fit (`len + CW_QUEUE_OVERHEAD > size` or `len > CW_QUEUE_MAX_FRAME`).
 */
cw_err_t cw_queue_push(cw_queue_t *q, const uint8_t *frame, size_t len);

/**
 * Copy the oldest frame into `out` without removing it.
 * @return its length; 0 when the queue is empty, or when `out_cap` is too small (then nothing is copied;
 *         `cw_queue_front_len` tells the size needed).
 */
size_t cw_queue_peek(const cw_queue_t *q, uint8_t *out, size_t out_cap);

/**
 * Copy the `index`-th oldest frame (0 = the oldest) into `out` without removing anything, to send a
 * batch. Same return as `cw_queue_peek`; 0 also when `index >= count`.
 */
size_t cw_queue_peek_at(const cw_queue_t *q, size_t index, uint8_t *out, size_t out_cap);

/** Length of the oldest frame, 0 when empty. */
size_t cw_queue_front_len(const cw_queue_t *q);

/** Remove the oldest frame; CW_ERR_EMPTY when there is none. */
cw_err_t cw_queue_pop(cw_queue_t *q);

/** Frames queued. */
size_t cw_queue_count(const cw_queue_t *q);

/** Frames dropped to make room since init. */
uint32_t cw_queue_dropped(const cw_queue_t *q);

#ifdef __cplusplus
}
#endif
#endif /* CW_QUEUE_H */
