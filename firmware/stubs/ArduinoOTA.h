/* Stub of Arduino-ESP32 ArduinoOTA (network firmware updates; syntax check only). */
#pragma once
#include <functional>

#include "Arduino.h"

// src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:30
typedef enum {
  OTA_AUTH_ERROR,
  OTA_BEGIN_ERROR,
  OTA_CONNECT_ERROR,
  OTA_RECEIVE_ERROR,
  OTA_END_ERROR
} ota_error_t;

// shape: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:38
class ArduinoOTAClass {
 public:
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:41
  typedef std::function<void(void)> THandlerFunction;
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:42
  typedef std::function<void(ota_error_t)> THandlerFunction_Error;
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:52
  ArduinoOTAClass& setHostname(const char *hostname);
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:56
  ArduinoOTAClass& setPassword(const char *password);
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:72
  ArduinoOTAClass& onStart(THandlerFunction fn);
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:78
  ArduinoOTAClass& onError(THandlerFunction_Error fn);
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:84
  void begin();
  // src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:90
  void handle();
};
// src: espressif/arduino-esp32@bc7864b libraries/ArduinoOTA/src/ArduinoOTA.h:127
extern ArduinoOTAClass ArduinoOTA;
