// net_http.cpp - frames over HTTP: POST /api/v1/ingest/frames, Bearer token, the answer in the body.
#include <Arduino.h>
#include <HTTPClient.h>
#include <NetworkClient.h>
#include <WiFi.h>

#include "config.h"
#include "cw_frame.h"
#include "net.h"
#include "settings.h"

namespace {

const uint16_t kTimeoutMs = 5000;
// At most this many frames per POST (the server takes 64 frames / 64 KiB).
const size_t kBatchFrames = 8;

class HttpTransport : public CwTransport {
 public:
  bool ready() override { return WiFi.status() == WL_CONNECTED && cw_device_settings().server_host[0] != '\0'; }

  bool send(const uint8_t *const *frames, const size_t *lens, size_t n) override {
    size_t used = 0;
    for (size_t i = 0; i < n && i < kBatchFrames; ++i) {
      memcpy(batch_ + used, frames[i], lens[i]);
      used += lens[i];
    }
    return post("/api/v1/ingest/frames", "application/octet-stream", batch_, used);
  }

  bool send_status(const char *json, size_t len) override {
    return post("/api/v1/ingest/status", "application/json", (const uint8_t *)json, len);
  }

  void poll() override {}
  const char *name() const override { return "http"; }

 private:
  bool post(const char *path, const char *type, const uint8_t *body, size_t len) {
    char url[128];
    const cw_settings_t &settings = cw_device_settings();
    snprintf(url, sizeof url, "http://%s:%u%s", settings.server_host, (unsigned)settings.server_port, path);
    http_.setReuse(true);  // keep-alive: one TCP connection for the stream of batches
    http_.setTimeout(kTimeoutMs);
    if (!http_.begin(client_, String(url))) {
      log_w("http: cannot reach %s", url);
      return false;
    }
    char bearer[16 + CW_ENVELOPE_MAX_TOKEN];
    snprintf(bearer, sizeof bearer, "Bearer %s", settings.device_token);
    http_.addHeader("Authorization", bearer);
    http_.addHeader("Content-Type", type);
    const int code = http_.POST((uint8_t *)body, len);
    bool ok = false;
    if (code == 200 || code == 400 || code == 409) {
      // 400/409: some frames rejected; the answer lists them, and they must not be resent
      const String answer = http_.getString();
      cw_net_on_answer(answer.c_str(), answer.length());
      ok = true;
    } else if (code == 401) {
      log_e("http: token refused (401): check the device_id and token settings");
    } else {
      log_w("http: POST %s answered %d", path, code);
    }
    http_.end();
    return ok;
  }

  NetworkClient client_;
  HTTPClient http_;
  uint8_t batch_[kBatchFrames * CW_FRAME_MAX_BYTES];
};

}  // namespace

CwTransport *cw_http_transport() {
  static HttpTransport transport;
  return &transport;
}
