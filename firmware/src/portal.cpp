// portal.cpp - settings from a phone: WiFiManager's captive portal, at start only.
#include "portal.h"

#include <Arduino.h>
#include <WiFiManager.h>

#include "settings.h"

namespace {

const uint8_t kBootButtonPin = 0;  // the dev board's BOOT button pulls GPIO0 low
const unsigned long kPortalSeconds = 300;
const char kApName[] = "cardiowatch-setup";

void store(cw_setting_t which, const char *value) {
  if (!cw_settings_store(which, value)) {
    log_e("portal: %s refused (too long, out of range or not printable); the old value is kept",
          cw_setting_key(which));
  }
}

}  // namespace

void cw_portal_run_if_needed() {
  pinMode(kBootButtonPin, INPUT_PULLUP);
  const bool asked = digitalRead(kBootButtonPin) == LOW;
  const cw_settings_t current = cw_device_settings();
  if (!asked && cw_settings_complete(&current)) {
    return;
  }
  Serial.printf("settings: join the Wi-Fi network \"%s\" with a phone within %lu s to set them\n", kApName,
                kPortalSeconds);
  char port[8];
  char id[12];
  snprintf(port, sizeof port, "%u", (unsigned)current.server_port);
  snprintf(id, sizeof id, "%lu", (unsigned long)current.device_id);
  // secrets are not shown back: an empty field keeps the stored value
  WiFiManagerParameter ts_key("ts_key", "ThingSpeak Write API Key (16 characters)", "", 16);
  WiFiManagerParameter server("server", "cardiowatch server (empty: ThingSpeak only)", current.server_host,
                              CW_SETTINGS_TEXT_MAX);
  WiFiManagerParameter server_port("server_port", "server port", port, 5);
  WiFiManagerParameter device_id("device_id", "device id (server only)", id, 10);
  WiFiManagerParameter token("token", "device token (server only)", "", CW_SETTINGS_TEXT_MAX);
  WiFiManagerParameter ota_pass("ota_pass", "OTA password (8-32 characters, empty: no OTA)", "", 32);
  WiFiManager manager;
  manager.addParameter(&ts_key);
  manager.addParameter(&server);
  manager.addParameter(&server_port);
  manager.addParameter(&device_id);
  manager.addParameter(&token);
  manager.addParameter(&ota_pass);
  manager.setConfigPortalTimeout(kPortalSeconds);
  if (!manager.startConfigPortal(kApName)) {
    log_w("portal: closed without a working Wi-Fi network; settings unchanged");
    return;
  }
  store(CW_SETTING_WIFI_SSID, manager.getWiFiSSID().c_str());
  store(CW_SETTING_WIFI_PASSWORD, manager.getWiFiPass().c_str());
  store(CW_SETTING_SERVER_HOST, server.getValue());
  store(CW_SETTING_SERVER_PORT, server_port.getValue());
  store(CW_SETTING_DEVICE_ID, device_id.getValue());
  const WiFiManagerParameter *secrets[] = {&ts_key, &token, &ota_pass};
  const cw_setting_t keys[] = {CW_SETTING_THINGSPEAK_KEY, CW_SETTING_DEVICE_TOKEN, CW_SETTING_OTA_PASSWORD};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i) {
    if (secrets[i]->getValue()[0] != '\0') {
      store(keys[i], secrets[i]->getValue());
    }
  }
  Serial.println("settings: stored");
}
