/* cw_spool.h - the offline queue's flash tier: frames kept across reboots and long drop-outs (issue 22).
 *
 * While the network is down the RAM queue (cw_queue) fills; the sender then moves its oldest frames here,
 * into numbered segment files of at most `segment_bytes` each, and sends from here first once back
 * online, so frames still leave oldest first. Each record is a 2-byte length, a CRC-16 of the frame and
 * the frame: a record cut short by a power loss, or corrupted, ends its segment and is never sent. When
 * `max_segments` are in use the oldest segment is removed to make room, and its unsent frames are counted
 * in `dropped_frames`. Only the first and last segment numbers are saved (when a segment is opened or
 * removed), so after a reboot the first segment is read again from its start: frames already sent go out
 * twice, and the server answers "duplicate" for them (docs/protocol.md). The file system is the caller's
 * (a cw_spool_io_t of callbacks: LittleFS on the device, memory in the tests). C99, no malloc.
 */
#ifndef CW_SPOOL_H
#define CW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes each record costs beyond its frame. */
#define CW_SPOOL_RECORD_OVERHEAD 4u
/** Largest frame a record holds. */
#define CW_SPOOL_MAX_FRAME 2048u
/** Bytes of the saved segment numbers. */
#define CW_SPOOL_META_BYTES 12u

/** File operations on numbered segments; each returns a negative value on failure. */
typedef struct {
    void *ctx;
    /** Append `len` bytes to segment `seg`, creating it. 0 on success. */
    int (*append)(void *ctx, uint32_t seg, const uint8_t *data, size_t len);
    /** Read up to `cap` bytes of segment `seg` from `offset`; the count (0 at its end). */
    int32_t (*read)(void *ctx, uint32_t seg, uint32_t offset, uint8_t *buf, size_t cap);
    /** Size of segment `seg` in bytes; negative when it does not exist. */
    int32_t (*size)(void *ctx, uint32_t seg);
    /** Remove segment `seg` (0 also when it did not exist). */
    int (*remove)(void *ctx, uint32_t seg);
    /** Replace the saved segment numbers. 0 on success. */
    int (*save_meta)(void *ctx, const uint8_t *data, size_t len);
    /** Load the saved segment numbers; the count read. */
    int32_t (*load_meta)(void *ctx, uint8_t *buf, size_t cap);
} cw_spool_io_t;

typedef struct {
    cw_spool_io_t io;
    uint32_t segment_bytes; /* a new segment is started when a record would pass this */
    uint32_t max_segments;
    uint32_t first;         /* segments first..last exist */
    uint32_t last;
    uint32_t read_offset;   /* next record in `first` */
    uint32_t head_bytes;    /* bytes in `last` */
    uint32_t dropped_frames; /* unsent frames in segments removed to make room */
    uint32_t io_errors;     /* failed appends (the frame is counted here, not stored) */
} cw_spool_t;

/**
 * Open the spool on `io`: reload the saved segment numbers (none: start empty), read the first segment
 * from its start, append after the last one's last whole record.
 * @return CW_ERR_ARG for a NULL callback, `segment_bytes` under one largest record, or `max_segments` < 2.
 */
cw_err_t cw_spool_open(cw_spool_t *sp, const cw_spool_io_t *io, uint32_t segment_bytes, uint32_t max_segments);

/** Store one frame. @return CW_ERR_ARG for an empty or too long frame, CW_ERR_CAPACITY when the write failed. */
cw_err_t cw_spool_push(cw_spool_t *sp, const uint8_t *frame, size_t len);

/** 1 when no frame is left to send. */
int cw_spool_empty(cw_spool_t *sp);

/** Copy the `index`-th unsent frame (0 the oldest) into `out`; its length, 0 when there is none or it does not fit. */
size_t cw_spool_peek_at(cw_spool_t *sp, size_t index, uint8_t *out, size_t cap);

/** Drop the oldest unsent frame (once the server answered for it). @return CW_ERR_EMPTY when there is none. */
cw_err_t cw_spool_pop(cw_spool_t *sp);

#ifdef __cplusplus
}
#endif
#endif /* CW_SPOOL_H */
