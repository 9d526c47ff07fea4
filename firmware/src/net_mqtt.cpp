// net_mqtt.cpp - frames over MQTT (PubSubClient): each frame as it is on cardiowatch/<id>/frames, the
// server's answer on cardiowatch/<id>/ack. The device logs in as device-<id> with its token as password;
// the broker's ACLs tie that login to these topics, so no payload carries a secret (docs/protocol.md §3).
#include <Arduino.h>
#include <NetworkClient.h>
#include <PubSubClient.h>
#include <WiFi.h>

#include "config.h"
#include "net.h"
#include "settings.h"

namespace {

// PubSubClient's default packet limit (256 bytes, topic included) is too small for most frames: the build
// sets MQTT_MAX_PACKET_SIZE (platformio.ini) to hold header + topic + the largest legal frame.
#if !defined(MQTT_MAX_PACKET_SIZE) || MQTT_MAX_PACKET_SIZE < 1200
#error "build with -DMQTT_MAX_PACKET_SIZE=1200 (platformio.ini): smaller packets cannot carry a frame"
#endif
const unsigned long kReconnectMs = 5000;

class MqttTransport : public CwTransport {
 public:
  MqttTransport() : mqtt_(client_) {}

  bool ready() override {
    if (cw_device_settings().mqtt_host[0] == '\0' || WiFi.status() != WL_CONNECTED) {
      return false;
    }
    if (mqtt_.connected()) {
      return true;
    }
    const unsigned long now = millis();
    if (tried_ && now - last_try_ms_ < kReconnectMs) {
      return false;
    }
    tried_ = true;
    last_try_ms_ = now;
    return connect();
  }

  bool send(const uint8_t *const *frames, const size_t *lens, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      if (!publish(frames_topic_, frames[i], lens[i])) {
        return false;
      }
    }
    return true;
  }

  bool send_status(const char *json, size_t len) override {
    return publish(status_topic_, (const uint8_t *)json, len);
  }

  void poll() override { mqtt_.loop(); }
  const char *name() const override { return "mqtt"; }

 private:
  bool connect() {
    const cw_settings_t &settings = cw_device_settings();
    snprintf(frames_topic_, sizeof frames_topic_, "%s/%" PRIu32 "/frames", CW_MQTT_TOPIC_PREFIX, settings.device_id);
    snprintf(status_topic_, sizeof status_topic_, "%s/%" PRIu32 "/status", CW_MQTT_TOPIC_PREFIX, settings.device_id);
    snprintf(ack_topic_, sizeof ack_topic_, "%s/%" PRIu32 "/ack", CW_MQTT_TOPIC_PREFIX, settings.device_id);
    // the login is also the client id: the broker admits device-<id> under no other
    char username[24];
    snprintf(username, sizeof username, "device-%" PRIu32, settings.device_id);
    mqtt_.setServer(settings.mqtt_host, settings.mqtt_port);
    mqtt_.setCallback([](char *topic, uint8_t *payload, unsigned int len) {
      (void)topic;  // only the ack topic is subscribed
      cw_net_on_answer((const char *)payload, len);
    });
    if (!mqtt_.connect(username, username, settings.device_token)) {
      // state 4 or 5: the broker refused device-<id> with this token (revoked, rotated, or not added)
      log_w("mqtt: connect to %s:%u as %s failed (state %d)", settings.mqtt_host, (unsigned)settings.mqtt_port,
            username, mqtt_.state());
      return false;
    }
    mqtt_.subscribe(ack_topic_, 1);
    log_i("mqtt: connected to %s", settings.mqtt_host);
    return true;
  }

  bool publish(const char *topic, const uint8_t *payload, size_t len) {
    return mqtt_.publish(topic, payload, (unsigned int)len, false);
  }

  NetworkClient client_;
  PubSubClient mqtt_;
  bool tried_ = false;
  unsigned long last_try_ms_ = 0;
  char frames_topic_[64];
  char status_topic_[64];
  char ack_topic_[64];
};

}  // namespace

CwTransport *cw_mqtt_transport() {
  static MqttTransport transport;
  return &transport;
}
