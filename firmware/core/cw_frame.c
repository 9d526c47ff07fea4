#include "cw_frame.h"

#include "cw_crc.h"

/* Header byte offsets (docs/protocol.md). */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 2,
    OFF_SENSOR = 3,
    OFF_FLAGS = 4,
    OFF_ENCODING = 5,
    OFF_N_SAMPLES = 6,
    OFF_DEVICE_ID = 8,
    OFF_SEQ = 12,
    OFF_T_US = 16,
    OFF_FS = 24,
    OFF_SCALE = 28
};

static const uint8_t cw_frame_magic[2] = {'C', 'W'};

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)(v & 0xFFFFu));
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)get_u16(p) | ((uint32_t)get_u16(p + 2) << 16);
}

static size_t cw_frame_width(uint8_t encoding)
{
    switch (encoding) {
    case CW_ENCODING_INT16:
        return 2u;
    case CW_ENCODING_INT32:
        return 4u;
    default:
        return 0u;
    }
}

size_t cw_frame_channels(uint8_t sensor)
{
    switch (sensor) {
    case CW_SENSOR_ECG:
    case CW_SENSOR_PPG_ANALOG:
        return 1u;
    case CW_SENSOR_PPG_RED_IR:
        return 2u;
    default:
        return 0u;
    }
}

size_t cw_frame_max_samples(uint8_t sensor, uint8_t encoding)
{
    const size_t per_sample = cw_frame_channels(sensor) * cw_frame_width(encoding);
    if (per_sample == 0) {
        return 0;
    }
    return (CW_FRAME_MAX_BYTES - CW_FRAME_HEADER_BYTES - CW_FRAME_CRC_BYTES) / per_sample;
}

/* The field checks of the Python reference's `_check_fields` (ranges fixed by the C types). */
static cw_err_t cw_frame_check_fields(const cw_frame_header_t *h)
{
    const size_t limit = cw_frame_max_samples(h->sensor, h->encoding);
    if (h->device_id == 0u || h->fs_millihz == 0u || (h->flags & ~CW_FLAGS_KNOWN) != 0u) {
        return CW_ERR_FORMAT;
    }
    if (h->n_samples < 1u || h->n_samples > limit) {
        return CW_ERR_FORMAT;
    }
    return CW_OK;
}

cw_err_t cw_frame_encode(const cw_frame_header_t *h, const int32_t *samples, uint8_t *out, size_t out_cap,
                         size_t *out_len)
{
    size_t n_values;
    size_t width;
    size_t length;
    size_t i;
    uint8_t *p;
    if (h == 0 || samples == 0 || out == 0 || out_len == 0) {
        return CW_ERR_ARG;
    }
    *out_len = 0;
    width = cw_frame_width(h->encoding);
    if (cw_frame_channels(h->sensor) == 0u || width == 0u || cw_frame_check_fields(h) != CW_OK) {
        return CW_ERR_FORMAT;
    }
    n_values = (size_t)h->n_samples * cw_frame_channels(h->sensor);
    length = CW_FRAME_HEADER_BYTES + n_values * width + CW_FRAME_CRC_BYTES;
    if (out_cap < length) {
        return CW_ERR_CAPACITY;
    }
    if (width == 2u) {
        for (i = 0; i < n_values; ++i) {
            if (samples[i] < INT16_MIN || samples[i] > INT16_MAX) {
                return CW_ERR_FORMAT;
            }
        }
    }
    out[OFF_MAGIC] = cw_frame_magic[0];
    out[OFF_MAGIC + 1] = cw_frame_magic[1];
    out[OFF_VERSION] = (uint8_t)CW_FRAME_VERSION;
    out[OFF_SENSOR] = h->sensor;
    out[OFF_FLAGS] = h->flags;
    out[OFF_ENCODING] = h->encoding;
    put_u16(out + OFF_N_SAMPLES, h->n_samples);
    put_u32(out + OFF_DEVICE_ID, h->device_id);
    put_u32(out + OFF_SEQ, h->seq);
    put_u32(out + OFF_T_US, (uint32_t)(h->t_us & 0xFFFFFFFFu));
    put_u32(out + OFF_T_US + 4, (uint32_t)(h->t_us >> 32));
    put_u32(out + OFF_FS, h->fs_millihz);
    put_u32(out + OFF_SCALE, h->scale_nv);
    p = out + CW_FRAME_HEADER_BYTES;
    for (i = 0; i < n_values; ++i) {
        if (width == 2u) {
            put_u16(p, (uint16_t)samples[i]);
        } else {
            put_u32(p, (uint32_t)samples[i]);
        }
        p += width;
    }
    put_u16(p, cw_crc16_update(CW_CRC16_INIT, out, length - CW_FRAME_CRC_BYTES));
    *out_len = length;
    return CW_OK;
}

cw_err_t cw_frame_length(const uint8_t *data, size_t len, size_t *frame_len)
{
    size_t channels;
    size_t width;
    size_t length;
    if (data == 0 || frame_len == 0) {
        return CW_ERR_ARG;
    }
    *frame_len = 0;
    if (len < CW_FRAME_HEADER_BYTES) {
        return CW_ERR_TRUNCATED;
    }
    if (data[OFF_MAGIC] != cw_frame_magic[0] || data[OFF_MAGIC + 1] != cw_frame_magic[1]) {
        return CW_ERR_MAGIC;
    }
    if (data[OFF_VERSION] != CW_FRAME_VERSION) {
        return CW_ERR_VERSION;
    }
    channels = cw_frame_channels(data[OFF_SENSOR]);
    width = cw_frame_width(data[OFF_ENCODING]);
    if (channels == 0u || width == 0u) {
        return CW_ERR_FORMAT;
    }
    length = CW_FRAME_HEADER_BYTES + (size_t)get_u16(data + OFF_N_SAMPLES) * channels * width
             + CW_FRAME_CRC_BYTES;
    if (length > CW_FRAME_MAX_BYTES) {
        return CW_ERR_OVERSIZED;
    }
    *frame_len = length;
    return CW_OK;
}

cw_err_t cw_frame_decode(const uint8_t *data, size_t len, cw_frame_header_t *h, int32_t *samples,
                         size_t samples_cap)
{
    size_t length;
    size_t n_values;
    size_t width;
    size_t i;
    cw_err_t err;
    const uint8_t *p;
    if ((data == 0 && len != 0) || h == 0 || samples == 0) {
        return CW_ERR_ARG;
    }
    if (len > CW_FRAME_MAX_BYTES) {
        return CW_ERR_OVERSIZED;
    }
    if (len < CW_FRAME_HEADER_BYTES) {
        return CW_ERR_TRUNCATED;
    }
    err = cw_frame_length(data, len, &length);
    if (err != CW_OK) {
        return err;
    }
    if (len < length) {
        return CW_ERR_TRUNCATED;
    }
    if (len > length) {
        return CW_ERR_FORMAT;
    }
    if (get_u16(data + length - CW_FRAME_CRC_BYTES)
        != cw_crc16_update(CW_CRC16_INIT, data, length - CW_FRAME_CRC_BYTES)) {
        return CW_ERR_CRC;
    }
    h->sensor = data[OFF_SENSOR];
    h->flags = data[OFF_FLAGS];
    h->encoding = data[OFF_ENCODING];
    h->n_samples = get_u16(data + OFF_N_SAMPLES);
    h->device_id = get_u32(data + OFF_DEVICE_ID);
    h->seq = get_u32(data + OFF_SEQ);
    h->t_us = (uint64_t)get_u32(data + OFF_T_US) | ((uint64_t)get_u32(data + OFF_T_US + 4) << 32);
    h->fs_millihz = get_u32(data + OFF_FS);
    h->scale_nv = get_u32(data + OFF_SCALE);
    err = cw_frame_check_fields(h);
    if (err != CW_OK) {
        return err;
    }
    n_values = (size_t)h->n_samples * cw_frame_channels(h->sensor);
    if (n_values > samples_cap) {
        return CW_ERR_CAPACITY;
    }
    width = cw_frame_width(h->encoding);
    p = data + CW_FRAME_HEADER_BYTES;
    for (i = 0; i < n_values; ++i) {
        samples[i] = width == 2u ? (int32_t)(int16_t)get_u16(p) : (int32_t)get_u32(p);
        p += width;
    }
    return CW_OK;
}

static int cw_token_char_ok(uint8_t c)
{
    return c >= 0x20u && c <= 0x7Eu;
}

cw_err_t cw_envelope_wrap(const char *token, const uint8_t *payload, size_t payload_len, uint8_t *out,
                          size_t out_cap, size_t *out_len)
{
    size_t n = 0;
    size_t i;
    if (token == 0 || (payload == 0 && payload_len != 0) || out == 0 || out_len == 0) {
        return CW_ERR_ARG;
    }
    *out_len = 0;
    while (token[n] != '\0' && n <= CW_ENVELOPE_MAX_TOKEN) {
        if (!cw_token_char_ok((uint8_t)token[n])) {
            return CW_ERR_ENVELOPE;
        }
        ++n;
    }
    if (n == 0u || n > CW_ENVELOPE_MAX_TOKEN) {
        return CW_ERR_ENVELOPE;
    }
    if (out_cap < 1u + n + payload_len) {
        return CW_ERR_CAPACITY;
    }
    out[0] = (uint8_t)n;
    for (i = 0; i < n; ++i) {
        out[1u + i] = (uint8_t)token[i];
    }
    for (i = 0; i < payload_len; ++i) {
        out[1u + n + i] = payload[i];
    }
    *out_len = 1u + n + payload_len;
    return CW_OK;
}

cw_err_t cw_envelope_unwrap(const uint8_t *data, size_t len, const uint8_t **token, size_t *token_len,
                            const uint8_t **payload, size_t *payload_len)
{
    size_t n;
    size_t i;
    if ((data == 0 && len != 0) || token == 0 || token_len == 0 || payload == 0 || payload_len == 0) {
        return CW_ERR_ARG;
    }
    if (len == 0u) {
        return CW_ERR_ENVELOPE;
    }
    n = data[0];
    if (n < 1u || n > CW_ENVELOPE_MAX_TOKEN || len < 1u + n) {
        return CW_ERR_ENVELOPE;
    }
    for (i = 0; i < n; ++i) {
        if (!cw_token_char_ok(data[1u + i])) {
            return CW_ERR_ENVELOPE;
        }
    }
    *token = data + 1;
    *token_len = n;
    *payload = data + 1 + n;
    *payload_len = len - 1u - n;
    return CW_OK;
}
