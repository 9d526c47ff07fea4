#include "cw_crc.h"

uint32_t cw_crc32_update(uint32_t crc, const uint8_t *data, size_t n)
{
    uint32_t c = ~crc;
    size_t i;
    int bit;
    if (data == 0) {
        return crc;
    }
    for (i = 0; i < n; ++i) {
        c ^= data[i];
        for (bit = 0; bit < 8; ++bit) {
            /* branch-free: the mask is all ones when the low bit is set */
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

uint16_t cw_crc16_update(uint16_t crc, const uint8_t *data, size_t n)
{
    uint16_t c = crc;
    size_t i;
    int bit;
    if (data == 0) {
        return crc;
    }
    for (i = 0; i < n; ++i) {
        c = (uint16_t)(c ^ ((uint16_t)data[i] << 8));
        for (bit = 0; bit < 8; ++bit) {
            const uint16_t poly = (uint16_t)((c & 0x8000u) ? 0x1021u : 0u);
            c = (uint16_t)((uint16_t)(c << 1) ^ poly);
        }
    }
    return c;
}
