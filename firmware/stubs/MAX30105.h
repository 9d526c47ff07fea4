/* Stub of SparkFun MAX3010x Pulse and Proximity Sensor Library 1.1 (syntax check only). */
#pragma once
#include "Arduino.h"
#include "Wire.h"
// unverified: sparkfun-max3010x
#define MAX30105_ADDRESS 0x57
// unverified: sparkfun-max3010x
#define I2C_SPEED_STANDARD 100000
// unverified: sparkfun-max3010x
#define I2C_SPEED_FAST 400000
// unverified: sparkfun-max3010x
class MAX30105 {
 public:
  // unverified: sparkfun-max3010x
  boolean begin(TwoWire &wirePort = Wire, uint32_t i2cSpeed = I2C_SPEED_STANDARD, uint8_t i2caddr = MAX30105_ADDRESS);
  // unverified: sparkfun-max3010x
  void setup(byte powerLevel = 0x1F, byte sampleAverage = 4, byte ledMode = 3, int sampleRate = 400, int pulseWidth = 411, int adcRange = 4096);
  // unverified: sparkfun-max3010x
  uint16_t check(void);
  // unverified: sparkfun-max3010x
  uint8_t available(void);
  // unverified: sparkfun-max3010x
  void nextSample(void);
  // unverified: sparkfun-max3010x
  uint32_t getFIFORed(void);
  // unverified: sparkfun-max3010x
  uint32_t getFIFOIR(void);
};
