/* Stub of Arduino-ESP32 LittleFS (syntax check only). */
#pragma once
#include "FS.h"

namespace fs {

// src: espressif/arduino-esp32@40702b2 libraries/LittleFS/src/LittleFS.h:21
class LittleFSFS : public FS {
 public:
  // src: espressif/arduino-esp32@40702b2 libraries/LittleFS/src/LittleFS.h:25
  bool begin(bool formatOnFail = false, const char* basePath = "/littlefs", uint8_t maxOpenFiles = 10, const char* partitionLabel = "spiffs");
  // src: espressif/arduino-esp32@40702b2 libraries/LittleFS/src/LittleFS.h:27
  size_t totalBytes();
};

}  // namespace fs

// src: espressif/arduino-esp32@40702b2 libraries/LittleFS/src/LittleFS.h:37
extern fs::LittleFSFS LittleFS;
