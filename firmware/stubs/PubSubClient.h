/* Stub of knolleary/PubSubClient (syntax check only). The packet buffer is sized by the build flag
 * MQTT_MAX_PACKET_SIZE (platformio.ini), so no 2.8-only call is needed. */
#pragma once
#include "Arduino.h"
#include "NetworkClient.h"

// src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:80
#include <functional>
// src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:81
#define MQTT_CALLBACK_SIGNATURE std::function<void(char*, uint8_t*, unsigned int)> callback

// shape: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:88
class PubSubClient {
 public:
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:114
  PubSubClient(Client& client);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:130
  PubSubClient& setServer(const char * domain, uint16_t port);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:131
  PubSubClient& setCallback(MQTT_CALLBACK_SIGNATURE);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:135
  boolean connect(const char* id);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:136
  boolean connect(const char* id, const char* user, const char* pass);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:144
  boolean publish(const char* topic, const uint8_t * payload, unsigned int plength, boolean retained);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:165
  boolean subscribe(const char* topic, uint8_t qos);
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:167
  boolean loop();
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:168
  boolean connected();
  // src: knolleary/pubsubclient@cff1fc7 src/PubSubClient.h:169
  int state();
};
