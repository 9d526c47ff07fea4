/* Stub of Arduino-ESP32 Preferences (NVS; syntax check only). */
#pragma once
#include <stddef.h>
#include <stdint.h>
class Preferences {
 public:
  bool begin(const char *name, bool readOnly = false, const char *partition_label = nullptr);
  void end();
  uint32_t getUInt(const char *key, uint32_t defaultValue = 0);
  size_t putUInt(const char *key, uint32_t value);
};
