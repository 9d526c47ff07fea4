/* cw_frame.h - the wire format of sample frames (docs/protocol.md, version 1) and the MQTT envelope.
 *
 * Little-endian layout: a 32-byte header (magic "CW", version, sensor, flags, encoding, n_samples,
 * device_id, seq, t_us, fs_millihz, scale_nv), n_samples x channels interleaved int16 or int32 values,
 * then a CRC-16/CCITT-FALSE over everything before it. The Python implementation is
 * src/cardiowatch/protocol/frame.py; both are checked against the same golden vectors
 * (src/cardiowatch/protocol/vectors/ JSON files, turned into tests/vectors.h).
 */
#ifndef CW_FRAME_H
#define CW_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CW_FRAME_VERSION 1u
#define CW_FRAME_HEADER_BYTES 32u
#define CW_FRAME_CRC_BYTES 2u
/** Largest frame a sender may produce and a receiver must accept. */
#define CW_FRAME_MAX_BYTES 1024u
/** Longest device token the MQTT envelope carries. */
#define CW_ENVELOPE_MAX_TOKEN 64u

typedef enum {
    CW_SENSOR_ECG = 1,        /**< one channel */
    CW_SENSOR_PPG_RED_IR = 2, /**< MAX30102: red and IR interleaved */
    CW_SENSOR_PPG_ANALOG = 3  /**< analog pulse sensor: one channel */
} cw_sensor_t;

typedef enum {
    CW_ENCODING_INT16 = 1,
    CW_ENCODING_INT32 = 2
} cw_encoding_t;

/* Frame flag bits; the upper four are reserved and must be zero. */
#define CW_FLAG_LEAD_OFF 0x01u     /**< an ECG lead was off during this frame */
#define CW_FLAG_CLIPPED 0x02u      /**< a sample hit the ADC rail */
#define CW_FLAG_RESENT 0x04u       /**< sent again from the offline queue */
#define CW_FLAG_CLOCK_SYNCED 0x08u /**< t_us is Unix time; else time since boot */
#define CW_FLAGS_KNOWN 0x0Fu

typedef struct {
    uint32_t device_id;  /**< 1 .. 2^32-1 (0 is reserved) */
    uint32_t seq;        /**< +1 per frame, wraps */
    uint64_t t_us;       /**< device time of the first sample */
    uint32_t fs_millihz; /**< sampling rate in mHz, > 0 */
    uint32_t scale_nv;   /**< nanovolts per count, 0 = arbitrary units */
    uint16_t n_samples;  /**< samples per channel */
    uint8_t sensor;      /**< cw_sensor_t */
    uint8_t flags;       /**< CW_FLAG_* bits */
    uint8_t encoding;    /**< cw_encoding_t */
} cw_frame_header_t;

/** Interleaved channels of a sensor kind; 0 for an unknown kind. */
size_t cw_frame_channels(uint8_t sensor);

/** Largest n_samples a frame of this sensor and encoding may carry; 0 for unknown kinds. */
size_t cw_frame_max_samples(uint8_t sensor, uint8_t encoding);

/**
 * Encode a frame: `samples` holds n_samples x channels interleaved values.
 * @return CW_ERR_FORMAT when a header field or a sample is out of the protocol's range;
 *         CW_ERR_CAPACITY when `out_cap` is smaller than the frame.
 */
cw_err_t cw_frame_encode(const cw_frame_header_t *h, const int32_t *samples, uint8_t *out, size_t out_cap,
                         size_t *out_len);

/**
 * Total length of the frame whose header starts `data` (CRC not checked), for cutting batches.
 * @return CW_ERR_TRUNCATED, CW_ERR_MAGIC, CW_ERR_VERSION, CW_ERR_FORMAT (unknown sensor/encoding),
 *         CW_ERR_OVERSIZED - in the order the Python reference checks them.
 */
cw_err_t cw_frame_length(const uint8_t *data, size_t len, size_t *frame_len);

/**
 * Decode exactly one frame of `len` bytes into `h` and `samples` (capacity `samples_cap` values).
 * @return CW_OK, or the first of CW_ERR_OVERSIZED, CW_ERR_TRUNCATED, CW_ERR_MAGIC, CW_ERR_VERSION,
 *         CW_ERR_FORMAT, CW_ERR_CRC that applies; CW_ERR_CAPACITY when `samples_cap` is too small.
 */
cw_err_t cw_frame_decode(const uint8_t *data, size_t len, cw_frame_header_t *h, int32_t *samples,
                         size_t samples_cap);

/**
 * Wrap `payload` for MQTT: token length (1 byte), the ASCII token, the payload.
 * @return CW_ERR_ENVELOPE for a token of 0 or more than CW_ENVELOPE_MAX_TOKEN bytes or with a
 *         non-printable character; CW_ERR_CAPACITY when `out_cap` is too small.
 */
cw_err_t cw_envelope_wrap(const char *token, const uint8_t *payload, size_t payload_len, uint8_t *out,
                          size_t out_cap, size_t *out_len);

/**
 * Split an envelope: `*token` / `*payload` point into `data`.
 * @return CW_ERR_ENVELOPE when it is empty, the token length is 0 or over the maximum, the token runs
 *         past the data, or holds a non-printable byte.
 */
cw_err_t cw_envelope_unwrap(const uint8_t *data, size_t len, const uint8_t **token, size_t *token_len,
                            const uint8_t **payload, size_t *payload_len);

#ifdef __cplusplus
}
#endif
#endif /* CW_FRAME_H */
