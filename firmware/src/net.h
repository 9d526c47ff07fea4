// net.h - transports that carry frames to the cardiowatch server (docs/protocol.md section 3).
//
// Both speak the same frames; the server's answer (stored / duplicate / rejected seqs) comes back
// through cw_net_on_answer(), synchronously for HTTP, on the `ack` topic for MQTT. The send task drops
// a frame from the offline queue only once its seq is in an answer.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Called by a transport with the server's JSON answer (defined in main.cpp).
void cw_net_on_answer(const char *json, size_t len);

class CwTransport {
 public:
  virtual ~CwTransport() {}
  // Connect if needed; true when frames can be sent now.
  virtual bool ready() = 0;
  // Send `n` encoded frames (pointers and lengths); false when the transport failed (retry later).
  virtual bool send(const uint8_t *const *frames, const size_t *lens, size_t n) = 0;
  // Send one status JSON (docs/protocol.md section 2).
  virtual bool send_status(const char *json, size_t len) = 0;
  // Let the transport do its background work (MQTT keep-alive, incoming acks).
  virtual void poll() = 0;
  virtual const char *name() const = 0;
};

// MQTT over PubSubClient (when CW_MQTT_HOST is set).
CwTransport *cw_mqtt_transport();
// HTTP POST /api/v1/ingest/frames (always available as the fallback).
CwTransport *cw_http_transport();

// Standalone mode: POST one form body to ThingSpeak's /update; the HTTP status (-1: no answer) and the
// reply text in `reply`.
int cw_thingspeak_post(const char *body, size_t len, char *reply, size_t cap);
