/* cw_crc.h - checksums of the wire format, computed incrementally (no table: small flash). */
#ifndef CW_CRC_H
#define CW_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Initial value of CRC-32/ISO-HDLC (the zlib / Python `zlib.crc32` CRC). */
#define CW_CRC32_INIT 0u

/**
 * Continue a CRC-32/ISO-HDLC (poly 0x04C11DB7 reflected, init/xorout 0xFFFFFFFF) over `n` bytes.
 * `cw_crc32_update(CW_CRC32_INIT, p, n)` equals Python's `zlib.crc32(p)`; chaining the result over
 * consecutive pieces equals one call over the whole.
 */
uint32_t cw_crc32_update(uint32_t crc, const uint8_t *data, size_t n);

/** Initial value of CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout). */
#define CW_CRC16_INIT 0xFFFFu

/** Continue a CRC-16/CCITT-FALSE over `n` bytes (Python: `binascii.crc_hqx(p, 0xFFFF)`). */
uint16_t cw_crc16_update(uint16_t crc, const uint8_t *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* CW_CRC_H */
