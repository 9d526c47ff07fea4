/* Stub of Arduino-ESP32 HTTPClient (syntax check only). */
#pragma once
#include "Arduino.h"
#include "WiFiClient.h"
class HTTPClient {
 public:
  bool begin(WiFiClient &client, const String &url);
  bool begin(const String &url);
  void end();
  void setReuse(bool reuse);
  void setTimeout(uint16_t timeout);
  void addHeader(const String &name, const String &value, bool first = false, bool replace = true);
  int POST(uint8_t *payload, size_t size);
  int POST(const String &payload);
  String getString();
};
