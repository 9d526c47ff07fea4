/* Stub of Arduino-ESP32 3.x NetworkClient (libraries/Network; syntax check only). */
#pragma once
#include "Arduino.h"

// unverified: client
class Client {
 public:
  // unverified: client
  virtual ~Client() {}
};

// shape: espressif/arduino-esp32@ba0e094 libraries/Network/src/NetworkClient.h:37
class NetworkClient : public Client {
 public:
  // src: espressif/arduino-esp32@ba0e094 libraries/Network/src/NetworkClient.h:49
  NetworkClient();
  // src: espressif/arduino-esp32@ba0e094 libraries/Network/src/NetworkClient.h:51
  ~NetworkClient();
};
