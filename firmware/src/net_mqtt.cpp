// net_mqtt.cpp - frames over MQTT (PubSubClient): each frame as it is on cardiowatch/<id>/frames, the
// server's answer on cardiowatch/<id>/ack. The device logs in as device-<id> with its token as password;
// the broker's ACLs tie that login to these topics, so no payload carries a secret (docs/protocol.md §3).
#include <Arduino.h>
#include <PubSubClient.h>
#include <WiFi.h>

#include "config.h"
#include "net.h"

namespace {

// PubSubClient's default packet limit (256 bytes, topic included) is too small for most frames:
// header + topic + the largest legal frame.
const uint16_t kPacketBytes = 1200;
const unsigned long kReconnectMs = 5000;

class MqttTransport : public CwTransport {
 public:
  MqttTransport() : mqtt_(client_) {}

  bool ready() override {
    if (CW_MQTT_HOST[0] == '\0' || WiFi.status() != WL_CONNECTED) {
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
    snprintf(frames_topic_, sizeof frames_topic_, "%s/%u/frames", CW_MQTT_TOPIC_PREFIX, (unsigned)CW_DEVICE_ID);
    snprintf(status_topic_, sizeof status_topic_, "%s/%u/status", CW_MQTT_TOPIC_PREFIX, (unsigned)CW_DEVICE_ID);
    snprintf(ack_topic_, sizeof ack_topic_, "%s/%u/ack", CW_MQTT_TOPIC_PREFIX, (unsigned)CW_DEVICE_ID);
    // the login is also the client id: the broker admits device-<id> under no other
    char username[24];
    snprintf(username, sizeof username, "device-%u", (unsigned)CW_DEVICE_ID);
    mqtt_.setServer(CW_MQTT_HOST, CW_MQTT_PORT);
    if (!mqtt_.setBufferSize(kPacketBytes)) {
      log_e("mqtt: cannot allocate a %u-byte packet buffer", kPacketBytes);
      return false;
    }
    mqtt_.setCallback([](char *topic, uint8_t *payload, unsigned int len) {
      (void)topic;  // only the ack topic is subscribed
      cw_net_on_answer((const char *)payload, len);
    });
    if (!mqtt_.connect(username, username, CW_DEVICE_TOKEN)) {
      // state 4 or 5: the broker refused device-<id> with this token (revoked, rotated, or not added)
      log_w("mqtt: connect to %s:%u as %s failed (state %d)", CW_MQTT_HOST, (unsigned)CW_MQTT_PORT, username,
            mqtt_.state());
      return false;
    }
    mqtt_.subscribe(ack_topic_, 1);
    log_i("mqtt: connected to %s", CW_MQTT_HOST);
    return true;
  }

  bool publish(const char *topic, const uint8_t *payload, size_t len) {
    return mqtt_.publish(topic, payload, (unsigned int)len, false);
  }

  WiFiClient client_;
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
