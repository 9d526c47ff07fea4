/* Stub of Arduino-ESP32 3.x HTTPClient (syntax check only). */
#pragma once
#include "Arduino.h"
#include "NetworkClient.h"

// src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:173
class HTTPClient {
 public:
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:182
  bool begin(NetworkClient &client, String url);
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:206
  void end(void);
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:210
  void setReuse(bool reuse);  /// keep-alive
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:217
  void setTimeout(uint16_t timeout);
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:230
  int POST(uint8_t *payload, size_t size);
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:238
  void addHeader(const String &name, const String &value, bool first = false, bool replace = true);
  // src: espressif/arduino-esp32@605db20 libraries/HTTPClient/src/HTTPClient.h:254
  String getString(void);
};
