/* cw_ring.h - lock-free single-producer / single-consumer ring buffer of samples.
 *
 * The timer ISR (producer) writes samples, the framing task (consumer) reads them. The caller owns the
 * struct and its storage (no malloc). A write that does not fit is cut short and the samples lost are
 * counted in `overflow`, never dropped silently. Each index is written by one side only, so no lock is
 * needed as long as 32-bit loads and stores are atomic (true on ESP32 and RISC-V).
 */
#ifndef CW_RING_H
#define CW_RING_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t *buf;              /**< caller-owned storage, `capacity` elements */
    uint32_t mask;             /**< capacity - 1; capacity is a power of two */
    volatile uint32_t head;    /**< free-running count of samples written (producer only) */
    volatile uint32_t tail;    /**< free-running count of samples read (consumer only) */
    volatile uint32_t overflow;/**< samples lost because the buffer was full (producer only) */
} cw_ring_t;

/**
 * Attach `storage` of `capacity` samples to `ring` and empty it.
 * @return CW_ERR_ARG when a pointer is NULL or `capacity` is not a power of two >= 2 (the ring is then
 *         left unready: every other call on it moves nothing).
 */
cw_err_t cw_ring_init(cw_ring_t *ring, int32_t *storage, size_t capacity);

/** Producer: append up to `n` samples; returns how many were stored (the rest add to `overflow`). */
size_t cw_ring_write(cw_ring_t *ring, const int32_t *x, size_t n);

/** Consumer: move up to `n` of the oldest samples into `out`; returns how many were moved. */
size_t cw_ring_read(cw_ring_t *ring, int32_t *out, size_t n);

/** Samples waiting to be read. */
size_t cw_ring_count(const cw_ring_t *ring);

/** Room left for the producer. */
size_t cw_ring_space(const cw_ring_t *ring);

/** Samples lost to a full buffer since init. */
uint32_t cw_ring_overflow(const cw_ring_t *ring);

#ifdef __cplusplus
}
#endif
#endif /* CW_RING_H */
