/* cw_settings.c - device settings checked before they are stored (see cw_settings.h). */
#include "cw_settings.h"

static const char *const cw_setting_keys[CW_SETTING_COUNT_] = {
    "wifi", "wifi_pass", "ts_key", "server", "server_port", "mqtt", "mqtt_port", "device_id", "token", "ota_pass",
};

const char *cw_setting_key(cw_setting_t setting)
{
    return (unsigned)setting < (unsigned)CW_SETTING_COUNT_ ? cw_setting_keys[setting] : NULL;
}

int cw_setting_is_secret(cw_setting_t setting)
{
    return setting == CW_SETTING_WIFI_PASSWORD || setting == CW_SETTING_THINGSPEAK_KEY
           || setting == CW_SETTING_DEVICE_TOKEN || setting == CW_SETTING_OTA_PASSWORD;
}

static int printable(const char *v, size_t len)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        if ((unsigned char)v[i] < 0x20u || (unsigned char)v[i] > 0x7Eu) {
            return 0;
        }
    }
    return 1;
}

/* SSIDs are any 1-32 octets (UTF-8 names included); only control characters are refused. */
static int no_controls(const char *v, size_t len)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        if ((unsigned char)v[i] < 0x20u || (unsigned char)v[i] == 0x7Fu) {
            return 0;
        }
    }
    return 1;
}

/* A host name or IPv4 address: letters, digits, '-', '.'. */
static int host_chars(const char *v, size_t len)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        const char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
            return 0;
        }
    }
    return 1;
}

/* ThingSpeak write keys: 16 upper-case letters and digits. */
static int ts_key_chars(const char *v, size_t len)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9'))) {
            return 0;
        }
    }
    return 1;
}

static int parse_u32(const char *v, size_t len, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t x = 0;
    size_t i;
    if (len == 0u || len > 10u) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        if (v[i] < '0' || v[i] > '9') {
            return 0;
        }
        x = x * 10u + (uint64_t)(v[i] - '0');
    }
    if (x < lo || x > hi) {
        return 0;
    }
    *out = (uint32_t)x;
    return 1;
}

static void copy_text(char *dst, const char *v, size_t len)
{
    size_t i;
    for (i = 0; i < len; ++i) {
        dst[i] = v[i];
    }
    dst[len] = '\0';
}

cw_err_t cw_settings_set(cw_settings_t *s, cw_setting_t setting, const char *value, size_t len)
{
    uint32_t n = 0;
    if (s == NULL || (value == NULL && len > 0u)) {
        return CW_ERR_ARG;
    }
    switch (setting) {
    case CW_SETTING_WIFI_SSID:
        if (len == 0u || len >= sizeof s->wifi_ssid || !no_controls(value, len)) {
            return CW_ERR_FORMAT;
        }
        copy_text(s->wifi_ssid, value, len);
        return CW_OK;
    case CW_SETTING_WIFI_PASSWORD: /* WPA2: 8-63 characters; empty for an open network */
        if ((len > 0u && len < 8u) || len >= sizeof s->wifi_password || !printable(value, len)) {
            return CW_ERR_FORMAT;
        }
        copy_text(s->wifi_password, value, len);
        return CW_OK;
    case CW_SETTING_THINGSPEAK_KEY:
        if ((len != 0u && len != 16u) || !ts_key_chars(value, len)) {
            return CW_ERR_FORMAT;
        }
        copy_text(s->thingspeak_key, value, len);
        return CW_OK;
    case CW_SETTING_SERVER_HOST:
    case CW_SETTING_MQTT_HOST:
        if (len > CW_SETTINGS_TEXT_MAX || !host_chars(value, len)) {
            return CW_ERR_FORMAT;
        }
        copy_text(setting == CW_SETTING_SERVER_HOST ? s->server_host : s->mqtt_host, value, len);
        return CW_OK;
    case CW_SETTING_SERVER_PORT:
    case CW_SETTING_MQTT_PORT:
        if (!parse_u32(value, len, 1u, 65535u, &n)) {
            return CW_ERR_FORMAT;
        }
        if (setting == CW_SETTING_SERVER_PORT) {
            s->server_port = (uint16_t)n;
        } else {
            s->mqtt_port = (uint16_t)n;
        }
        return CW_OK;
    case CW_SETTING_DEVICE_ID:
        if (!parse_u32(value, len, 1u, UINT32_MAX, &n)) {
            return CW_ERR_FORMAT;
        }
        s->device_id = n;
        return CW_OK;
    case CW_SETTING_DEVICE_TOKEN:
        if (len > CW_SETTINGS_TEXT_MAX || !printable(value, len)) {
            return CW_ERR_FORMAT;
        }
        copy_text(s->device_token, value, len);
        return CW_OK;
    case CW_SETTING_OTA_PASSWORD:
        if ((len > 0u && len < 8u) || len >= sizeof s->ota_password || !printable(value, len)) {
            return CW_ERR_FORMAT;
        }
        copy_text(s->ota_password, value, len);
        return CW_OK;
    case CW_SETTING_COUNT_:
    default:
        return CW_ERR_FORMAT;
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

cw_err_t cw_settings_apply_line(cw_settings_t *s, const char *line, size_t len, cw_setting_t *which)
{
    size_t eq = 0;
    size_t key_end;
    size_t v0;
    size_t v1;
    unsigned k;
    if (s == NULL || line == NULL || which == NULL) {
        return CW_ERR_ARG;
    }
    while (len > 0u && is_space(line[len - 1u])) {
        --len;
    }
    while (eq < len && line[eq] != '=') {
        ++eq;
    }
    if (eq == len) {
        return CW_ERR_FORMAT;
    }
    key_end = eq;
    while (key_end > 0u && is_space(line[key_end - 1u])) {
        --key_end;
    }
    v0 = 0;
    while (v0 < key_end && is_space(line[v0])) {
        ++v0;
    }
    for (k = 0; k < (unsigned)CW_SETTING_COUNT_; ++k) {
        const char *key = cw_setting_keys[k];
        size_t i = 0;
        while (key[i] != '\0' && v0 + i < key_end && key[i] == line[v0 + i]) {
            ++i;
        }
        if (key[i] == '\0' && v0 + i == key_end) {
            break;
        }
    }
    if (k == (unsigned)CW_SETTING_COUNT_) {
        return CW_ERR_FORMAT;
    }
    v0 = eq + 1u;
    while (v0 < len && (line[v0] == ' ' || line[v0] == '\t')) {
        ++v0;
    }
    v1 = len;
    *which = (cw_setting_t)k;
    return cw_settings_set(s, (cw_setting_t)k, line + v0, v1 - v0);
}

static cw_err_t put_text(const char *text, char *out, size_t cap)
{
    size_t i = 0;
    while (text[i] != '\0') {
        ++i;
    }
    if (i + 1u > cap) {
        return CW_ERR_CAPACITY;
    }
    copy_text(out, text, i);
    return CW_OK;
}

static cw_err_t put_u32(uint32_t v, char *out, size_t cap)
{
    char digits[11];
    size_t n = 0;
    size_t i;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    if (n + 1u > cap) {
        return CW_ERR_CAPACITY;
    }
    for (i = 0; i < n; ++i) {
        out[i] = digits[n - 1u - i];
    }
    out[n] = '\0';
    return CW_OK;
}

cw_err_t cw_settings_show(const cw_settings_t *s, cw_setting_t setting, char *out, size_t cap)
{
    const char *text = NULL;
    if (s == NULL || out == NULL || cap == 0u || (unsigned)setting >= (unsigned)CW_SETTING_COUNT_) {
        return CW_ERR_ARG;
    }
    switch (setting) {
    case CW_SETTING_WIFI_SSID:
        text = s->wifi_ssid;
        break;
    case CW_SETTING_WIFI_PASSWORD:
        text = s->wifi_password;
        break;
    case CW_SETTING_THINGSPEAK_KEY:
        text = s->thingspeak_key;
        break;
    case CW_SETTING_SERVER_HOST:
        text = s->server_host;
        break;
    case CW_SETTING_MQTT_HOST:
        text = s->mqtt_host;
        break;
    case CW_SETTING_DEVICE_TOKEN:
        text = s->device_token;
        break;
    case CW_SETTING_OTA_PASSWORD:
        text = s->ota_password;
        break;
    case CW_SETTING_SERVER_PORT:
        return put_u32(s->server_port, out, cap);
    case CW_SETTING_MQTT_PORT:
        return put_u32(s->mqtt_port, out, cap);
    case CW_SETTING_DEVICE_ID:
        return put_u32(s->device_id, out, cap);
    case CW_SETTING_COUNT_:
    default:
        return CW_ERR_ARG;
    }
    if (cw_setting_is_secret(setting)) {
        return put_text(text[0] != '\0' ? "(set)" : "(empty)", out, cap);
    }
    return put_text(text, out, cap);
}

int cw_settings_complete(const cw_settings_t *s)
{
    return s != NULL && s->wifi_ssid[0] != '\0' && (s->thingspeak_key[0] != '\0' || s->server_host[0] != '\0');
}
