/* Stub of SparkFun MAX3010x Pulse and Proximity Sensor Library 1.1 (syntax check only). */
#pragma once
#include "Arduino.h"
#include "Wire.h"
#define MAX30105_ADDRESS 0x57
#define I2C_SPEED_STANDARD 100000
#define I2C_SPEED_FAST 400000
class MAX30105 {
 public:
  bool begin(TwoWire &wirePort = Wire, uint32_t i2cSpeed = I2C_SPEED_STANDARD, uint8_t i2caddr = MAX30105_ADDRESS);
  void setup(byte powerLevel = 0x1F, byte sampleAverage = 4, byte ledMode = 3, int sampleRate = 400,
             int pulseWidth = 411, int adcRange = 4096);
  uint16_t check(void);
  uint8_t available(void);
  void nextSample(void);
  uint32_t getFIFORed(void);
  uint32_t getFIFOIR(void);
};
