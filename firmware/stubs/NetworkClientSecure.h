/* Stub of Arduino-ESP32 3.x NetworkClientSecure (TLS over mbedTLS; syntax check only). */
#pragma once
#include "Arduino.h"
#include "NetworkClient.h"

// src: espressif/arduino-esp32@acf6c7b libraries/NetworkClientSecure/src/NetworkClientSecure.h:29
class NetworkClientSecure : public NetworkClient {
 public:
  // src: espressif/arduino-esp32@acf6c7b libraries/NetworkClientSecure/src/NetworkClientSecure.h:48
  NetworkClientSecure();
  // src: espressif/arduino-esp32@acf6c7b libraries/NetworkClientSecure/src/NetworkClientSecure.h:76
  void setCACertBundle(const uint8_t *bundle, size_t size);
};
