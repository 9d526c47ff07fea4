// settings.cpp - device settings: config.h defaults, NVS overrides, a serial console to change them.
//
// On the console (115200 baud): `show` lists the settings (secrets masked), `key=value` sets one
// (`wifi=MyNet`, `wifi_pass=...`, `ts_key=...`, `server=...`, `token=...`, `ota_pass=...`), `help` lists
// the keys. A value is checked before it is stored and a refused one never replaces the old; a stored one
// applies at the next start (press EN or power-cycle), so the running measurement is not interrupted.
#include "settings.h"

#include <Arduino.h>
#include <Preferences.h>

#include "config.h"

namespace {

const char kNamespace[] = "cw_settings";
const size_t kLineMax = 128;

cw_settings_t g_settings;

void set_default(cw_setting_t which, const char *value) {
  if (cw_settings_set(&g_settings, which, value, strlen(value)) != CW_OK && value[0] != '\0') {
    log_e("settings: config.h value of %s refused", cw_setting_key(which));
  }
}

void set_number(cw_setting_t which, unsigned long value) {
  char text[12];
  snprintf(text, sizeof text, "%lu", value);
  set_default(which, text);
}

void print_settings() {
  char value[CW_SETTINGS_TEXT_MAX + 1];
  for (int k = 0; k < CW_SETTING_COUNT_; ++k) {
    const cw_setting_t which = (cw_setting_t)k;
    if (cw_settings_show(&g_settings, which, value, sizeof value) == CW_OK) {
      Serial.printf("  %s=%s\n", cw_setting_key(which), value);
    }
  }
}

void print_help() {
  Serial.println("settings: type key=value and Enter; `show` lists them; applied at the next start.");
  Serial.println("  keys: wifi wifi_pass ts_key server server_port mqtt mqtt_port device_id token ota_pass");
}

void handle_line(const char *line, size_t len) {
  if (len == 0) {
    return;
  }
  if (strncmp(line, "show", len) == 0 && len == 4) {
    print_settings();
    return;
  }
  if (strncmp(line, "help", len) == 0 && len == 4) {
    print_help();
    return;
  }
  cw_settings_t candidate = g_settings;
  cw_setting_t which = CW_SETTING_COUNT_;
  if (cw_settings_apply_line(&candidate, line, len, &which) != CW_OK) {
    Serial.printf("refused: %s (unknown key, or a value that is too long, out of range or not printable)\n",
                  which == CW_SETTING_COUNT_ ? "the line" : cw_setting_key(which));
    return;
  }
  char value[CW_SETTINGS_TEXT_MAX + 1];
  // stored as the text the console gave (numbers too), so loading runs the same checks again
  const char *eq = (const char *)memchr(line, '=', len);
  size_t start = (size_t)(eq - line) + 1;
  size_t end = len;
  while (start < end && (line[start] == ' ' || line[start] == '\t')) {
    ++start;
  }
  while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t')) {
    --end;
  }
  snprintf(value, sizeof value, "%.*s", (int)(end - start), line + start);
  if (cw_settings_store(which, value)) {
    Serial.printf("stored %s; applied at the next start (press EN)\n", cw_setting_key(which));
  } else {
    Serial.printf("not stored: %s (NVS write failed)\n", cw_setting_key(which));
  }
}

}  // namespace

void cw_settings_begin() {
  memset(&g_settings, 0, sizeof g_settings);
  set_default(CW_SETTING_WIFI_SSID, CW_WIFI_SSID);
  set_default(CW_SETTING_WIFI_PASSWORD, CW_WIFI_PASSWORD);
  set_default(CW_SETTING_THINGSPEAK_KEY, CW_THINGSPEAK_WRITE_KEY);
  set_default(CW_SETTING_SERVER_HOST, CW_SERVER_HOST);
  set_number(CW_SETTING_SERVER_PORT, CW_SERVER_HTTP_PORT);
  set_default(CW_SETTING_MQTT_HOST, CW_MQTT_HOST);
  set_number(CW_SETTING_MQTT_PORT, CW_MQTT_PORT);
  set_number(CW_SETTING_DEVICE_ID, CW_DEVICE_ID);
  set_default(CW_SETTING_DEVICE_TOKEN, CW_DEVICE_TOKEN);
  set_default(CW_SETTING_OTA_PASSWORD, CW_OTA_PASSWORD);
  Preferences prefs;
  if (prefs.begin(kNamespace, true)) {
    char value[CW_SETTINGS_TEXT_MAX + 1];
    for (int k = 0; k < CW_SETTING_COUNT_; ++k) {
      const cw_setting_t which = (cw_setting_t)k;
      if (!prefs.isKey(cw_setting_key(which))) {
        continue;
      }
      const size_t len = prefs.getString(cw_setting_key(which), value, sizeof value);
      const size_t n = len > 0 ? strnlen(value, sizeof value) : 0;  // the length read includes the NUL
      if (cw_settings_set(&g_settings, which, value, n) != CW_OK) {
        log_e("settings: stored %s refused; config.h's value kept", cw_setting_key(which));
      }
    }
    prefs.end();
  }
  print_help();
  if (!cw_settings_complete(&g_settings)) {
    Serial.println("settings: incomplete - set wifi (and wifi_pass) and ts_key (or server), then press EN");
  }
}

const cw_settings_t &cw_device_settings() { return g_settings; }

bool cw_settings_store(cw_setting_t which, const char *value) {
  cw_settings_t candidate = g_settings;
  if (cw_settings_set(&candidate, which, value, strlen(value)) != CW_OK) {
    return false;
  }
  Preferences prefs;
  if (!prefs.begin(kNamespace, false)) {
    return false;
  }
  const size_t written = prefs.putString(cw_setting_key(which), value);
  prefs.end();
  if (written != strlen(value)) {  // an empty value writes 0 bytes: stored
    return false;
  }
  g_settings = candidate;
  return true;
}

void cw_settings_poll() {
  static char line[kLineMax];
  static size_t len = 0;
  static bool overlong = false;
  while (Serial.available() > 0) {
    const int c = Serial.read();
    if (c < 0) {
      return;
    }
    if (c == '\n' || c == '\r') {
      if (overlong) {
        Serial.println("refused: line too long");
      } else {
        handle_line(line, len);
      }
      len = 0;
      overlong = false;
    } else if (len + 1 < sizeof line) {
      line[len++] = (char)c;
    } else {
      overlong = true;
    }
  }
}
