/* cw_settings.h - the device settings a user changes without rebuilding (issue 22).
 *
 * Wi-Fi, the ThingSpeak write key, the optional cardiowatch server and the OTA password start from the
 * build's config.h and are overridden by what is stored in NVS. They are set over the serial console, one
 * `key=value` line each (`wifi=MyNet`, `ts_key=ABCDEF0123456789`, ...), checked here before anything is
 * stored: a value that is too long, not printable or out of range is refused with the reason, never
 * truncated. Plain C99, caller-owned struct, no malloc; the NVS and serial I/O are the glue's.
 */
#ifndef CW_SETTINGS_H
#define CW_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "cw_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CW_SETTING_WIFI_SSID = 0,  /**< "wifi": 1-32 bytes, UTF-8 allowed, no control characters */
    CW_SETTING_WIFI_PASSWORD,  /**< "wifi_pass": empty (open network) or 8-63 printable ASCII (WPA2) */
    CW_SETTING_THINGSPEAK_KEY, /**< "ts_key": empty or the channel's 16-character Write API Key */
    CW_SETTING_SERVER_HOST,    /**< "server": empty (ThingSpeak only) or a host name / address */
    CW_SETTING_SERVER_PORT,    /**< "server_port": 1-65535 */
    CW_SETTING_MQTT_HOST,      /**< "mqtt": empty (HTTP only) or a host */
    CW_SETTING_MQTT_PORT,      /**< "mqtt_port": 1-65535 */
    CW_SETTING_DEVICE_ID,      /**< "device_id": 1-4294967295 */
    CW_SETTING_DEVICE_TOKEN,   /**< "token": empty or up to 64 printable characters */
    CW_SETTING_OTA_PASSWORD,   /**< "ota_pass": empty (no OTA) or 8-32 characters */
    CW_SETTING_COUNT_
} cw_setting_t;

#define CW_SETTINGS_TEXT_MAX 64u

typedef struct {
    char wifi_ssid[33];
    char wifi_password[64];
    char thingspeak_key[17];
    char server_host[CW_SETTINGS_TEXT_MAX + 1u];
    uint16_t server_port;
    char mqtt_host[CW_SETTINGS_TEXT_MAX + 1u];
    uint16_t mqtt_port;
    uint32_t device_id;
    char device_token[CW_SETTINGS_TEXT_MAX + 1u];
    char ota_password[33];
} cw_settings_t;

/** The console key of a setting ("wifi", "ts_key", ...); NULL out of range. */
const char *cw_setting_key(cw_setting_t setting);

/** 1 for the settings whose value is secret (passwords, keys, token): shown masked. */
int cw_setting_is_secret(cw_setting_t setting);

/**
 * Set one setting from its text (the NVS value or the console's); `value` need not be NUL-terminated.
 * @return CW_ERR_FORMAT (and `s` unchanged) for a value the setting does not allow; CW_ERR_ARG for NULLs.
 */
cw_err_t cw_settings_set(cw_settings_t *s, cw_setting_t setting, const char *value, size_t len);

/**
 * Apply one console line `key=value` (surrounding spaces and a trailing CR/LF ignored). `*which` gets the
 * setting changed. @return CW_ERR_FORMAT for an unknown key, a line without `=`, or a refused value.
 */
cw_err_t cw_settings_apply_line(cw_settings_t *s, const char *line, size_t len, cw_setting_t *which);

/**
 * The value of a setting as text into `out` (secrets as "(set)" or "(empty)"), NUL-terminated.
 * @return CW_ERR_CAPACITY when `cap` is too small, CW_ERR_ARG for NULLs or an unknown setting.
 */
cw_err_t cw_settings_show(const cw_settings_t *s, cw_setting_t setting, char *out, size_t cap);

/** 1 when the settings can run: a Wi-Fi network, and a ThingSpeak key or a server to send to. */
int cw_settings_complete(const cw_settings_t *s);

#ifdef __cplusplus
}
#endif
#endif /* CW_SETTINGS_H */
