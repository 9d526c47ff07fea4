/* Stub of Arduino-ESP32 3.x WiFi (syntax check only). The real WiFiClass inherits WiFiGenericClass,
 * WiFiSTAClass and others; the stub flattens the members the glue calls into one class. */
#pragma once
#include "Arduino.h"

// unverified: esp-idf-wifi-types
typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA, WIFI_MODE_AP, WIFI_MODE_APSTA, WIFI_MODE_NAN, WIFI_MODE_MAX } wifi_mode_t;
// src: espressif/arduino-esp32@8edd529 libraries/WiFi/src/WiFiType.h:34
#define WIFI_STA    WIFI_MODE_STA
// src: espressif/arduino-esp32@8edd529 libraries/WiFi/src/WiFiType.h:42
typedef enum {
  WL_NO_SHIELD = 255,  // for compatibility with WiFi Shield library
  WL_STOPPED = 254,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;

// unverified: wifi-class
class WiFiClass {
 public:
  // src: espressif/arduino-esp32@a8bf41f libraries/WiFi/src/WiFiGeneric.h:160
  static bool mode(wifi_mode_t);
  // src: espressif/arduino-esp32@acf6c7b libraries/WiFi/src/WiFiSTA.h:133
  wl_status_t begin(const char *ssid, const char *passphrase = NULL, int32_t channel = 0, const uint8_t *bssid = NULL, bool connect = true);
  // src: espressif/arduino-esp32@acf6c7b libraries/WiFi/src/WiFiSTA.h:149
  bool reconnect();
  // src: espressif/arduino-esp32@acf6c7b libraries/WiFi/src/WiFiSTA.h:151
  bool disconnect(bool wifioff = false, bool eraseap = false, unsigned long timeoutLength = 100);
  // src: espressif/arduino-esp32@acf6c7b libraries/WiFi/src/WiFiSTA.h:156
  bool setAutoReconnect(bool autoReconnect);
  // src: espressif/arduino-esp32@acf6c7b libraries/WiFi/src/WiFiSTA.h:167
  wl_status_t status();
  // src: espressif/arduino-esp32@acf6c7b libraries/WiFi/src/WiFiSTA.h:174
  int8_t RSSI();
};
// unverified: wifi-class
extern WiFiClass WiFi;
