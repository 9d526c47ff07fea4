/* Stub of Arduino-ESP32 FS (the file API LittleFS implements; syntax check only). */
#pragma once
#include <memory>

#include "Arduino.h"

namespace fs {

// src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:30
#define FILE_READ       "r"
// src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:31
#define FILE_WRITE      "w"
// src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:32
#define FILE_APPEND     "a"
// src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:36
class FileImpl;
// src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:37
typedef std::shared_ptr<FileImpl> FileImplPtr;

// shape: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:47
class File {
 public:
  // shape: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:50
  File(FileImplPtr p = FileImplPtr());
  // shape: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:55
  size_t write(const uint8_t *buf, size_t size);
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:60
  size_t read(uint8_t* buf, size_t size);
  // shape: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:67
  bool seek(uint32_t pos);
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:72
  size_t size() const;
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:73
  void close();
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:74
  operator bool() const;
};

// shape: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:87
class FS {
 public:
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:92
  File open(const char* path, const char* mode = FILE_READ, const bool create = false);
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:95
  bool exists(const char* path);
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:101
  bool remove(const char* path);
  // src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:107
  bool mkdir(const char *path);
};

}  // namespace fs

// src: espressif/arduino-esp32@038806f libraries/FS/src/FS.h:122
using fs::File;
