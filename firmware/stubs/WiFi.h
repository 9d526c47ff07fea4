/* Stub of Arduino-ESP32 WiFi (syntax check only). */
#pragma once
#include "Arduino.h"
#include "WiFiClient.h"
typedef enum { WL_IDLE_STATUS = 0, WL_NO_SSID_AVAIL = 1, WL_CONNECTED = 3, WL_CONNECT_FAILED = 4,
               WL_CONNECTION_LOST = 5, WL_DISCONNECTED = 6 } wl_status_t;
typedef enum { WIFI_OFF = 0, WIFI_STA = 1, WIFI_AP = 2, WIFI_AP_STA = 3 } wifi_mode_t;
class WiFiClass {
 public:
  bool mode(wifi_mode_t m);
  wl_status_t begin(const char *ssid, const char *passphrase = nullptr);
  wl_status_t status();
  bool setAutoReconnect(bool autoReconnect);
  int8_t RSSI();
};
extern WiFiClass WiFi;
