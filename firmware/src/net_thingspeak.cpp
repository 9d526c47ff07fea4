// net_thingspeak.cpp - standalone mode (no server configured): the device posts its own summary to
// ThingSpeak, at most one update per 16 s, backing off on a `0` reply, HTTP 429 or a failure. The
// request body and the limiter are the portable core's (cw_thingspeak, host-tested against a fake
// ThingSpeak); this file only moves the bytes. The write key comes from config.h and is never logged.
#include <Arduino.h>
#include <HTTPClient.h>
#include <NetworkClientSecure.h>

#include "config.h"
#include "net.h"

// The root CAs (firmware/data/cert/x509_crt_bundle.bin, embedded by `board_build.embed_files`): the
// server's chain must end at one of them, so a forged api.thingspeak.com never receives the write key.
extern const uint8_t cw_ca_bundle_start[] asm("_binary_data_cert_x509_crt_bundle_bin_start");
extern const uint8_t cw_ca_bundle_end[] asm("_binary_data_cert_x509_crt_bundle_bin_end");

namespace {
const char kUpdateUrl[] = "https://api.thingspeak.com/update";
const uint16_t kTimeoutMs = 10000;
}  // namespace

int cw_thingspeak_post(const char *body, size_t len, char *reply, size_t cap) {
  NetworkClientSecure client;
  // verified against root CAs, not one pinned certificate: ThingSpeak rotates its certificate
  client.setCACertBundle(cw_ca_bundle_start, (size_t)(cw_ca_bundle_end - cw_ca_bundle_start));
  HTTPClient http;
  http.setTimeout(kTimeoutMs);
  if (!http.begin(client, String(kUpdateUrl))) {
    return -1;
  }
  http.addHeader("Content-Type", "application/x-www-form-urlencoded");
  const int status = http.POST((uint8_t *)body, len);
  reply[0] = '\0';
  if (status > 0) {
    const String text = http.getString();
    snprintf(reply, cap, "%s", text.c_str());
  }
  http.end();
  if (status != 200) {
    log_w("thingspeak: HTTP %d", status);  // the URL and body (with the key) are never logged
  }
  return status;
}
