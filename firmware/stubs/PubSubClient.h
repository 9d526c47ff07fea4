/* Stub of knolleary/PubSubClient 2.8 (syntax check only). */
#pragma once
#include <functional>
#include "Arduino.h"
#include "WiFiClient.h"
#define MQTT_CALLBACK_SIGNATURE std::function<void(char *, uint8_t *, unsigned int)> callback
class PubSubClient {
 public:
  PubSubClient();
  explicit PubSubClient(Client &client);
  PubSubClient &setServer(const char *domain, uint16_t port);
  PubSubClient &setCallback(MQTT_CALLBACK_SIGNATURE);
  PubSubClient &setKeepAlive(uint16_t keepAlive);
  bool setBufferSize(uint16_t size);
  bool connect(const char *id);
  bool connect(const char *id, const char *user, const char *pass);
  void disconnect();
  bool publish(const char *topic, const uint8_t *payload, unsigned int plength, bool retained);
  bool subscribe(const char *topic, uint8_t qos);
  bool loop();
  bool connected();
  int state();
};
