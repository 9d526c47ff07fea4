/* Stub of Arduino-ESP32 WiFiClientSecure (syntax check only). */
#pragma once
#include "WiFiClient.h"
class WiFiClientSecure : public WiFiClient {
 public:
  void setInsecure();
  void setCACert(const char *rootCA);
};
