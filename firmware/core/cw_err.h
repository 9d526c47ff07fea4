/* cw_err.h - error codes shared by every unit of the cardiowatch firmware core. */
#ifndef CW_ERR_H
#define CW_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every fallible call of the core; CW_OK is zero so `if (err)` reads naturally. */
typedef enum {
    CW_OK = 0,
    CW_ERR_ARG,       /**< a NULL pointer, a zero size or an out-of-range parameter */
    CW_ERR_CAPACITY,  /**< the output or storage is too small for the request */
    CW_ERR_UNSTABLE,  /**< filter coefficients are not normalised (a0 != 1) */
    CW_ERR_TRUNCATED, /**< a frame is shorter than its header says */
    CW_ERR_MAGIC,     /**< a frame does not start with the protocol's magic */
    CW_ERR_VERSION,   /**< a frame of an unsupported protocol version */
    CW_ERR_CRC,       /**< a frame's checksum does not match its bytes */
    CW_ERR_FORMAT,    /**< a frame field holds a value the protocol does not allow */
    CW_ERR_OVERSIZED, /**< a frame longer than the protocol's maximum */
    CW_ERR_ENVELOPE,  /**< a malformed MQTT envelope (token length or characters) */
    CW_ERR_EMPTY,     /**< nothing to read */
    CW_ERR_COUNT_     /**< number of codes; not an error */
} cw_err_t;

/** Human-readable text of an error code (never NULL). */
const char *cw_err_str(cw_err_t err);

#ifdef __cplusplus
}
#endif
#endif /* CW_ERR_H */
