/* Stub of Arduino-ESP32 TwoWire (syntax check only). */
#pragma once
#include "Arduino.h"
// unverified: wire
class TwoWire {
 public:
  // unverified: wire
  bool begin(int sda, int scl, uint32_t frequency = 0);
};
// unverified: wire
extern TwoWire Wire;
