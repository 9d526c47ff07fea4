/* Stub of Arduino-ESP32 Preferences (NVS; syntax check only). */
#pragma once
#include "Arduino.h"

// src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:23
class Preferences {
 public:
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:32
  bool begin(const char * name, bool readOnly=false);
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:33
  void end();
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:43
  size_t putUInt(const char* key, uint32_t value);
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:51
  size_t putString(const char* key, const char* value);
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:55
  bool isKey(const char* key);
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:62
  uint32_t getUInt(const char* key, uint32_t defaultValue = 0);
  // src: espressif/arduino-esp32@0cf8fbb libraries/Preferences/src/Preferences.h:70
  size_t getString(const char* key, char* value, size_t maxLen);
};
