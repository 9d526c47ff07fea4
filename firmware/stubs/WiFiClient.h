/* Stub of Arduino-ESP32 WiFiClient (syntax check only). */
#pragma once
#include <stddef.h>
#include <stdint.h>
class Client {
 public:
  virtual ~Client() {}
  virtual int connect(const char *host, uint16_t port) = 0;
  virtual size_t write(const uint8_t *buf, size_t size) = 0;
  virtual int available() = 0;
  virtual int read() = 0;
  virtual void stop() = 0;
  virtual uint8_t connected() = 0;
};
class WiFiClient : public Client {
 public:
  int connect(const char *host, uint16_t port) override;
  size_t write(const uint8_t *buf, size_t size) override;
  int available() override;
  int read() override;
  void stop() override;
  uint8_t connected() override;
};
