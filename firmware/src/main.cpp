// main.cpp - cardiowatch firmware for an ESP32 dev board (Arduino framework).
//
// Three tasks, so that neither the network nor the display can disturb sampling:
//   sampler (core 1, highest priority): woken by a hardware timer, reads the sensor, writes the ring;
//           a tick it could not serve in time is counted and its instant held at the last value, so
//           sample times stay right
//   framer  (core 0): reads the ring, runs the on-device beat detector and the local warning
//           (cw_alarm), encodes frames (seq, device time, flags) into the bounded offline queue
//   sender  (core 0): Wi-Fi (rejoined when lost), clock sync, MQTT or HTTP; sends the oldest frames,
//           drops them once the server's answer lists them (stored / duplicate / rejected), resends
//           otherwise; or, with no server, posts the summary to ThingSpeak
// Every task, loop() included, is on the task watchdog: a task stuck for kWatchdogMs restarts the device.
// All analysis and wire-format code is the portable core (firmware/core/), tested on the host.
// Not a medical device.
#include <Arduino.h>
#include <ArduinoOTA.h>
#include <Preferences.h>
#include <WiFi.h>
#include <esp_task_wdt.h>
#include <inttypes.h>
#include <math.h>
#include <sys/time.h>

#include "config.h"
#include "cw_ack.h"
#include "cw_alarm.h"
#include "cw_frame.h"
#include "cw_params.h"
#include "cw_ppg.h"
#include "cw_ppg_quality.h"
#include "cw_qrs.h"
#include "cw_queue.h"
#include "cw_rhythm.h"
#include "cw_ring.h"
#include "cw_thingspeak.h"
#include "cw_vf.h"
#include "cw_vf_model.h"
#include "display.h"
#include "net.h"
#include "portal.h"
#include "sensor.h"
#include "settings.h"
#include "spool.h"

#if defined(CW_USE_DISPLAY) && CW_USE_DISPLAY && defined(TFT_DC)
// GPIO2 is both the on-board LED of most dev boards and the display's DC line in the user's wiring:
// toggling it while the display task sends corrupts the screen.
static_assert(CW_LED_PIN < 0 || CW_LED_PIN != TFT_DC, "CW_LED_PIN is the display's DC pin (TFT_DC): pick another pin or -1");
static_assert(CW_BUZZER_PIN < 0 || CW_BUZZER_PIN != TFT_DC, "CW_BUZZER_PIN is the display's DC pin (TFT_DC)");
#endif
#if defined(CW_USE_DISPLAY) && CW_USE_DISPLAY && defined(TFT_BL)
static_assert(CW_LED_PIN != TFT_BL && CW_BUZZER_PIN != TFT_BL, "CW_LED_PIN/CW_BUZZER_PIN is the backlight pin (TFT_BL)");
#endif

namespace {

// The VF detector's constants for the build's ECG rate only, so the other rate's tables are not linked.
#if CW_ECG_FS_HZ == 360
const cw_vf_rate_t *const kVfRate = &cw_vf_rate_360;
const size_t kVfWindow = CW_VF_WINDOW_360;
#else
const cw_vf_rate_t *const kVfRate = &cw_vf_rate_250;
const size_t kVfWindow = CW_VF_WINDOW_250;
#endif

// ---- sizes ----------------------------------------------------------------------------------
const size_t kRingSamples = 2048;       // ~4 s of ECG at 250 Hz x 2 channels of PPG at 100 Hz
const uint32_t kFramesPerSecond = 5;    // 200 ms frames: 50 samples at 250 Hz (134 bytes)
const size_t kMaxFrameValues = 512;
const size_t kInFlight = 8;             // frames sent before an answer is awaited
const unsigned long kResendMs = 5000;   // no answer within this: send again (resends are safe)
const unsigned long kStatusMs = 60000;
const uint32_t kSeqReserve = 4096;      // seq high-water mark step kept in NVS (docs/protocol.md 4)
const time_t kValidUnixTime = 1600000000;
// Frames left in RAM when the rest move to the flash spool: 5 s while offline, 50 s of backlog online.
const size_t kRamKeepOffline = 25;
const size_t kRamKeepOnline = 250;

// The task watchdog: longer than the slowest blocking call (a ThingSpeak TLS POST: 10 s timeout).
const uint32_t kWatchdogMs = 30000;
const TickType_t kSamplerWaitTicks = pdMS_TO_TICKS(1000);  // the sampler wakes at least this often
// Wi-Fi: rejoin from scratch after this long disconnected, then twice as long each time, at most kWifiMaxMs.
const unsigned long kWifiRejoinMs = 30000;
const unsigned long kWifiMaxMs = 300000;

// ---- shared state (each field written by one task; the mux guards multi-word reads) ----------------
CwSensor *g_sensor = nullptr;
CwTransport *g_mqtt = nullptr;
CwTransport *g_http = nullptr;
TaskHandle_t g_sampler_task = nullptr;
hw_timer_t *g_timer = nullptr;

int32_t g_ring_storage[kRingSamples];
cw_ring_t g_ring;
uint8_t g_queue_arena[CW_OFFLINE_QUEUE_BYTES];
cw_queue_t g_queue;
cw_spool_t g_spool;        // the flash tier (sender task only)
bool g_spool_ready = false;
portMUX_TYPE g_mux = portMUX_INITIALIZER_UNLOCKED;

volatile uint32_t g_sample_count = 0;   // sample instants written (sampler)
volatile uint32_t g_missed_ticks = 0;   // timer ticks the sampler could not serve in time (sampler)
volatile int64_t g_last_sample_us = 0;  // boot time of the last one (sampler)
volatile uint8_t g_sensor_flags = 0;    // CW_SENSOR_* since the last frame (sampler sets, framer clears)
volatile int64_t g_unix_offset_us = 0;  // unix_us - boot_us once the clock is synced (sender)
volatile bool g_clock_synced = false;
volatile bool g_online = false;
cw_alarm_state_t g_alarm = {CW_ALARM_NONE, CW_ALARM_CAUSE_NONE, 0};  // the local warning (framer; g_mux)
volatile bool g_in_vf = false;          // the VF detector holds a shockable rhythm (framer; ECG only)
// PPG signal quality (framer): the state of the last rated 2 s window (cw_signal_state_t; ECG: unknown,
// not rated) and the windows rated / rated good since the sender last read them (ThingSpeak field4).
volatile uint8_t g_signal = CW_SIGNAL_UNKNOWN;
uint32_t g_quality_windows = 0;  // guarded by g_mux
uint32_t g_quality_good = 0;

uint32_t g_acked[64];                   // seqs the server answered for (sender)
size_t g_n_acked = 0;

Preferences g_prefs;
TaskHandle_t g_tasks[4] = {};  // for the stack high-water marks in the log

cw_alarm_state_t alarm_now() {
  portENTER_CRITICAL(&g_mux);
  const cw_alarm_state_t a = g_alarm;
  portEXIT_CRITICAL(&g_mux);
  return a;
}

// Subscribe the calling task to the task watchdog.
void watch_this_task(const char *name) {
  if (esp_task_wdt_add(nullptr) != ESP_OK) {
    log_e("%s: not on the task watchdog", name);
  }
}

void IRAM_ATTR on_timer() {
  BaseType_t woken = pdFALSE;
  vTaskNotifyGiveFromISR(g_sampler_task, &woken);
  portYIELD_FROM_ISR(woken);
}

void start_timer(uint32_t hz) {
  // Arduino-ESP32 3.x: the timer counts at 1 MHz, the alarm fires every 1e6 / hz ticks.
  g_timer = timerBegin(1000000);
  timerAttachInterrupt(g_timer, &on_timer);
  timerAlarm(g_timer, 1000000u / hz, true, 0);
}

void sampler_task(void *) {
  int32_t values[2 * 32];  // a MAX30102 FIFO holds at most 32 instants
  const uint8_t channels = g_sensor->channels();
  // A sensor read once per tick loses the instants of ticks it missed; the MAX30102 keeps them in its FIFO.
  const bool one_per_tick = !g_sensor->buffered();
  int32_t held = 0;
  watch_this_task("sampler");
  for (;;) {
    const uint32_t ticks = ulTaskNotifyTake(pdTRUE, kSamplerWaitTicks);
    esp_task_wdt_reset();
    if (ticks == 0) {
      log_w("sampler: no timer tick for 1 s");
      continue;
    }
    uint8_t flags = 0;
    const size_t n = g_sensor->sample(values, sizeof values / sizeof values[0], &flags);
    const int64_t now = esp_timer_get_time();
    // Missed ticks (the task ran late): their instants are filled with the last value, so the frame's
    // sample times (derived from the count and the rate) stay right; they are counted as dropped samples.
    const uint32_t missed = one_per_tick ? ticks - 1u : 0u;
    uint32_t filled = 0;
    for (; filled < missed && cw_ring_space(&g_ring) >= 1; ++filled) {
      cw_ring_write(&g_ring, &held, 1);
    }
    if (filled < missed) {
      g_ring.overflow += missed - filled;
    }
    if (one_per_tick && n > 0) {
      held = values[0];
    }
    // whole instants only: the ring never holds half a red/IR pair
    const size_t fit = cw_ring_space(&g_ring) / channels;
    const size_t kept = n < fit ? n : fit;
    cw_ring_write(&g_ring, values, kept * channels);
    if (kept < n) {
      g_ring.overflow += (uint32_t)((n - kept) * channels);  // counted, never silent
    }
    portENTER_CRITICAL(&g_mux);
    g_sample_count += (uint32_t)kept + filled;
    g_missed_ticks += missed;
    g_last_sample_us = now;
    g_sensor_flags |= flags;
    portEXIT_CRITICAL(&g_mux);
  }
}

uint32_t next_seq() {
  static uint32_t seq = 0;
  static uint32_t reserved = 0;
  if (seq >= reserved) {  // never repeat a seq across reboots: reserve the next block in NVS first
    if (reserved == 0) {
      seq = g_prefs.getUInt("seq_hw", 0);
    }
    reserved = seq + kSeqReserve;
    g_prefs.putUInt("seq_hw", reserved);
  }
  return seq++;
}

// Boot time of sample instant `index`, from the sampler's last timestamp and the nominal rate.
int64_t sample_time_us(uint32_t index, uint32_t fs_millihz) {
  portENTER_CRITICAL(&g_mux);
  const uint32_t count = g_sample_count;
  const int64_t last_us = g_last_sample_us;
  portEXIT_CRITICAL(&g_mux);
  const int64_t behind = (int64_t)(count - 1u - index);
  return last_us - behind * 1000000000LL / (int64_t)fs_millihz;
}

// The local warning for one frame: the beats go to the AF model only while the signal is usable (leads
// on, PPG good) and no shockable rhythm holds (the QRS detector's "beats" in VF are not beats), and
// cw_alarm gates, levels and expires the rest (host-tested in firmware/core/tests).
void update_warning(cw_alarm_t *alarm, cw_rhythm_t *rhythm, const int64_t *events, size_t n, int64_t now_sample,
                    bool lead_off, bool signal_bad, bool shockable) {
  if (!lead_off && !signal_bad && !shockable) {
    for (size_t i = 0; i < n; ++i) {
      cw_rhythm_beat(rhythm, events[i], nullptr);
    }
  }
  cw_alarm_input_t in;
  in.lead_off = lead_off ? 1 : 0;
  in.signal_bad = signal_bad ? 1 : 0;
  in.irregular = cw_rhythm_in_af(rhythm);
  in.shockable = shockable ? 1 : 0;
  const cw_alarm_state_t state = cw_alarm_update(alarm, events, n, now_sample, &in);
  portENTER_CRITICAL(&g_mux);
  g_alarm = state;
  portEXIT_CRITICAL(&g_mux);
}

// The PPG quality stage on the same samples as the pulse detector: the device's signal state.
void update_signal(cw_ppg_quality_t *quality, const int32_t *x, size_t n) {
  cw_ppg_quality_window_t windows[4];  // a frame holds far less than a 2 s window: one at most
  const size_t rated = cw_ppg_quality_process(quality, x, n, windows, sizeof windows / sizeof windows[0]);
  if (rated == 0) {
    return;
  }
  uint32_t good = 0;
  for (size_t i = 0; i < rated; ++i) {
    good += windows[i].label == CW_PPG_QUALITY_GOOD ? 1u : 0u;
  }
  g_signal = (uint8_t)cw_ppg_quality_state(quality);
  portENTER_CRITICAL(&g_mux);
  g_quality_windows += (uint32_t)rated;
  g_quality_good += good;
  portEXIT_CRITICAL(&g_mux);
}

// A PPG signal rated and not good (no finger, saturated, motion, weak); not yet rated is not bad.
bool ppg_signal_bad() {
  const cw_signal_state_t state = (cw_signal_state_t)g_signal;
  return state != CW_SIGNAL_UNKNOWN && !cw_signal_allows_warning(state);
}

void framer_task(void *) {
  static int32_t values[kMaxFrameValues];
  static int32_t pulse_input[kMaxFrameValues];
  static uint8_t frame[CW_FRAME_MAX_BYTES];
  static cw_qrs_t qrs;
  static cw_ppg_t ppg;
  static cw_ppg_quality_t quality;
  static cw_rhythm_t rhythm;
  static cw_alarm_t alarm;
  static cw_beat_t beats[kMaxFrameValues + CW_QRS_HELD];
  static cw_vf_t vf;
  static float vf_raw[kVfWindow], vf_filt[kVfWindow];
  static int32_t vf_scratch[kVfWindow];
  bool in_vf = false;
  static int64_t events[kMaxFrameValues + CW_QRS_HELD];
  const uint8_t channels = g_sensor->channels();
  const bool ecg = g_sensor->kind() == CW_SENSOR_ECG;
  const uint32_t rate_hz = g_sensor->timer_hz();
  // one detector per device kind, with the coefficients exported from the Python reference
  const cw_qrs_cfg_t *qrs_cfg = ecg ? cw_qrs_cfg_for(rate_hz) : nullptr;
  const cw_ppg_cfg_t *ppg_cfg = ecg ? nullptr : cw_ppg_cfg_for(rate_hz);
  const bool detect = ecg ? (qrs_cfg != nullptr && cw_qrs_init(&qrs, qrs_cfg) == CW_OK)
                          : (ppg_cfg != nullptr && cw_ppg_init(&ppg, ppg_cfg) == CW_OK);
  if (!detect) {
    log_e("framer: no detector configuration for %" PRIu32 " Hz (ECG: 250 or 360; PPG: 100): no local warning",
          rate_hz);
  }
  // ECG: the shockable-rhythm (VF / flutter) detector on the raw samples, at the rate the build has constants for
  const cw_vf_cfg_t vf_cfg = {kVfRate, &cw_vf_model, vf_raw, vf_filt, vf_scratch};
  const bool detect_vf = ecg && (float)rate_hz == kVfRate->fs && cw_vf_init(&vf, &vf_cfg) == CW_OK;
  if (ecg && !detect_vf) {
    log_e("framer: no VF detector for %" PRIu32 " Hz (this build: %u Hz, CW_ECG_FS_HZ)", rate_hz,
          (unsigned)kVfRate->fs);
  }
  // PPG: the signal-quality stage (no finger, saturated, motion, weak, good), configured like the Python one
  static cw_ppg_quality_cfg_t quality_cfg;
  const cw_ppg_quality_cfg_t *exported = ecg ? nullptr : cw_ppg_quality_cfg_for(rate_hz);
  if (exported != nullptr) {
    quality_cfg = *exported;
    int32_t lo = 0, hi = 0;
    if (g_sensor->rails(&lo, &hi)) {  // the analog pulse sensor: a sample on an ADC rail is saturated
      quality_cfg.has_adc_range = 1u;
      quality_cfg.adc_lo = lo;
      quality_cfg.adc_hi = hi;
    }
  }
  const bool rate_quality = exported != nullptr && cw_ppg_quality_init(&quality, &quality_cfg) == CW_OK;
  if (!ecg && !rate_quality) {
    log_e("framer: no PPG quality configuration for %" PRIu32 " Hz: no signal state, no local warning", rate_hz);
  }
  cw_rhythm_init(&rhythm, (double)rate_hz);
  cw_alarm_cfg_t alarm_cfg;
  cw_alarm_cfg_default(&alarm_cfg, rate_hz * 1000u);  // beats are counted at the detector's rate
  if (cw_alarm_init(&alarm, &alarm_cfg) != CW_OK) {
    log_e("framer: local warning not configured");
  }
  uint32_t first_index = 0;
  watch_this_task("framer");
  for (;;) {
    esp_task_wdt_reset();
    const uint32_t fs_millihz = g_sensor->fs_millihz();
    const size_t per_frame = (fs_millihz / 1000u) / kFramesPerSecond;
    if (cw_ring_count(&g_ring) < per_frame * channels) {
      vTaskDelay(pdMS_TO_TICKS(20));
      continue;
    }
    cw_ring_read(&g_ring, values, per_frame * channels);
    portENTER_CRITICAL(&g_mux);
    const uint8_t sensor_flags = g_sensor_flags;
    g_sensor_flags = 0;
    portEXIT_CRITICAL(&g_mux);
    const bool lead_off = (sensor_flags & CW_SENSOR_LEAD_OFF) != 0;
    if (detect && ecg) {
      const size_t n = cw_qrs_process(&qrs, values, per_frame, beats, sizeof beats / sizeof beats[0]);
      for (size_t i = 0; i < n; ++i) {
        events[i] = beats[i].sample;
        cw_display_beat(beats[i].sample);
      }
      cw_display_samples(values, per_frame);
      for (size_t i = 0; detect_vf && i < per_frame; ++i) {
        cw_vf_window_t w;
        // electrodes off: missing samples, which the detector never calls VF
        if (cw_vf_push(&vf, lead_off ? NAN : (float)values[i], &w)) {
          in_vf = w.in_vf != 0;
        }
      }
      g_in_vf = in_vf;
      update_warning(&alarm, &rhythm, events, n, qrs.n_seen, lead_off, false, in_vf);
    } else if (detect) {
      for (size_t i = 0; i < per_frame; ++i) {
        // MAX30102: the IR channel, which reads down with blood volume, turned up; pulse sensor: as is
        pulse_input[i] = channels == 2 ? -values[2 * i + 1] : values[i];
      }
      const size_t n = cw_ppg_process(&ppg, pulse_input, per_frame, events, sizeof events / sizeof events[0]);
      for (size_t i = 0; i < n; ++i) {
        cw_display_beat(events[i]);
      }
      cw_display_samples(pulse_input, per_frame);
      if (rate_quality) {
        update_signal(&quality, pulse_input, per_frame);
      }
      update_warning(&alarm, &rhythm, events, n, ppg.n, lead_off, ppg_signal_bad(), false);
    }

    if (cw_device_settings().server_host[0] == '\0') {
      first_index += (uint32_t)per_frame;  // ThingSpeak only: no frames are sent, none is queued
      continue;
    }
    cw_frame_header_t h = {};
    h.device_id = cw_device_settings().device_id;
    h.seq = next_seq();
    h.fs_millihz = fs_millihz;
    h.scale_nv = g_sensor->scale_nv();
    h.n_samples = (uint16_t)per_frame;
    h.sensor = g_sensor->kind();
    h.encoding = channels == 2 ? CW_ENCODING_INT32 : CW_ENCODING_INT16;
    h.flags = (uint8_t)((sensor_flags & CW_SENSOR_LEAD_OFF ? CW_FLAG_LEAD_OFF : 0) |
                        (sensor_flags & CW_SENSOR_CLIPPED ? CW_FLAG_CLIPPED : 0) |
                        (g_online ? 0 : CW_FLAG_RESENT));  // queued while offline: sent later, from the queue
    const int64_t boot_us = sample_time_us(first_index, fs_millihz);
    if (g_clock_synced) {
      h.t_us = (uint64_t)(boot_us + g_unix_offset_us);
      h.flags |= CW_FLAG_CLOCK_SYNCED;
    } else {
      h.t_us = (uint64_t)boot_us;
    }
    first_index += (uint32_t)per_frame;
    size_t len = 0;
    const cw_err_t err = cw_frame_encode(&h, values, frame, sizeof frame, &len);
    if (err != CW_OK) {
      log_e("framer: frame seq %" PRIu32 " not encoded: %s", h.seq, cw_err_str(err));
      continue;
    }
    portENTER_CRITICAL(&g_mux);
    cw_queue_push(&g_queue, frame, len);  // full: the oldest frame is dropped and counted
    portEXIT_CRITICAL(&g_mux);
  }
}

uint32_t frame_seq(const uint8_t *frame) {
  return (uint32_t)frame[12] | ((uint32_t)frame[13] << 8) | ((uint32_t)frame[14] << 16) |
         ((uint32_t)frame[15] << 24);
}

bool is_acked(uint32_t seq) {
  for (size_t i = 0; i < g_n_acked; ++i) {
    if (g_acked[i] == seq) {
      return true;
    }
  }
  return false;
}

void keep_clock() {
  static bool asked = false;
  if (!asked) {
    configTime(0, 0, CW_NTP_SERVER);
    asked = true;
  }
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  if (tv.tv_sec > kValidUnixTime) {
    g_unix_offset_us = (int64_t)tv.tv_sec * 1000000LL + tv.tv_usec - esp_timer_get_time();
    g_clock_synced = true;
  }
}

uint32_t dropped_samples() {
  const uint32_t per_frame = (g_sensor->fs_millihz() / 1000u) / kFramesPerSecond;
  portENTER_CRITICAL(&g_mux);
  const uint32_t frames = cw_queue_dropped(&g_queue);
  const uint32_t samples = cw_ring_overflow(&g_ring) + g_missed_ticks;
  portEXIT_CRITICAL(&g_mux);
  const uint32_t spooled = g_spool_ready ? g_spool.dropped_frames + g_spool.io_errors : 0u;
  return (frames + spooled) * per_frame + samples;
}

// Move the oldest frames from RAM to the flash spool until at most `keep` are left in RAM.
void spill(size_t keep) {
  static uint8_t frame[CW_FRAME_MAX_BYTES];
  if (!g_spool_ready) {
    return;
  }
  for (;;) {
    portENTER_CRITICAL(&g_mux);
    const size_t len = cw_queue_count(&g_queue) > keep ? cw_queue_peek(&g_queue, frame, sizeof frame) : 0;
    portEXIT_CRITICAL(&g_mux);
    if (len == 0 || cw_spool_push(&g_spool, frame, len) != CW_OK) {
      return;  // a failed write leaves the frame in RAM (and is counted)
    }
    // the framer may have dropped that frame (queue full) while it was written: pop only if still oldest
    static uint8_t oldest[CW_FRAME_MAX_BYTES];
    portENTER_CRITICAL(&g_mux);
    if (cw_queue_peek(&g_queue, oldest, sizeof oldest) > 0 && frame_seq(oldest) == frame_seq(frame)) {
      cw_queue_pop(&g_queue);
    }
    portEXIT_CRITICAL(&g_mux);
  }
}

void send_status(CwTransport *transport) {
  char json[256];
  portENTER_CRITICAL(&g_mux);
  const size_t depth = cw_queue_count(&g_queue);
  portEXIT_CRITICAL(&g_mux);
  // the device's own alarm level, and (ECG: only it runs the VF detector) whether VF holds
  const char *vf = g_sensor->kind() != CW_SENSOR_ECG ? "" : (g_in_vf ? ",\"in_vf\":true" : ",\"in_vf\":false");
  // dropped_samples: lost to a full queue or ring, and instants of missed timer ticks (held, not measured)
  const int n = snprintf(json, sizeof json,
                         "{\"v\":1,\"device_id\":%" PRIu32 ",\"rssi_dbm\":%d,\"fw\":\"0.2.0\",\"uptime_s\":%lu,"
                         "\"fs_measured_millihz\":%" PRIu32 ",\"queue_depth\":%u,\"dropped_samples\":%" PRIu32
                         ",\"alarm_level\":%d%s}",
                         cw_device_settings().device_id, (int)WiFi.RSSI(), (unsigned long)(millis() / 1000u),
                         g_sensor->fs_millihz(), (unsigned)depth, dropped_samples(), (int)alarm_now().level, vf);
  if (n > 0 && (size_t)n < sizeof json) {
    transport->send_status(json, (size_t)n);
  }
}

// Once a minute in the log: the least free stack each task has had (bytes), and the samples dropped.
void log_health() {
  static unsigned long last_ms = 0;
  const unsigned long now = millis();
  if (now - last_ms < kStatusMs) {
    return;
  }
  last_ms = now;
  log_i("health: stack free (bytes) sampler %u framer %u sender %u display %u; dropped samples %" PRIu32,
        g_tasks[0] ? (unsigned)uxTaskGetStackHighWaterMark(g_tasks[0]) : 0u,
        g_tasks[1] ? (unsigned)uxTaskGetStackHighWaterMark(g_tasks[1]) : 0u,
        g_tasks[2] ? (unsigned)uxTaskGetStackHighWaterMark(g_tasks[2]) : 0u,
        g_tasks[3] ? (unsigned)uxTaskGetStackHighWaterMark(g_tasks[3]) : 0u, dropped_samples());
}

// ThingSpeak (no server configured; a write key): the device posts its own summary. With a server
// configured the device never posts: the server's bridge mirrors it (one writer per channel).
void standalone_thingspeak() {
  static cw_ts_limiter_t limiter;
  static bool ready = cw_ts_limiter_init(&limiter, 16000, 600000) == CW_OK;
  const uint32_t now = (uint32_t)millis();
  if (!ready || !cw_ts_due(&limiter, now)) {
    return;
  }
  portENTER_CRITICAL(&g_mux);
  const uint32_t windows = g_quality_windows;
  const uint32_t good = g_quality_good;
  g_quality_windows = 0;
  g_quality_good = 0;
  portEXIT_CRITICAL(&g_mux);
  const cw_alarm_state_t alarm = alarm_now();
  // no heart rate or rhythm from a signal that cannot be judged (leads off, PPG not good): cw_alarm gives none
  const uint32_t hr = alarm.heart_rate_decibpm;
  cw_ts_summary_t s;
  s.hr_decibpm = hr > 0u ? (int32_t)hr : -1;
  s.rhythm = alarm.cause == CW_ALARM_CAUSE_VF          ? CW_RHYTHM_VFL
             : alarm.cause == CW_ALARM_CAUSE_IRREGULAR ? CW_RHYTHM_AFIB
             : (hr == 0u ? -1 : (hr < 600u ? CW_RHYTHM_SBR : CW_RHYTHM_N));
  // field3 is 0 none, 1 technical, 2 warning, 3 critical: a pause and VF are both critical there
  s.alert_level = alarm.level == CW_ALARM_CRITICAL ? 3 : (int32_t)alarm.level;
  // field4: % of the 2 s windows since the last update rated good (PPG); ECG: not estimated, left out
  s.quality_pct = cw_signal_good_pct(good, windows);
  s.battery_pct = -1;
  char body[256];
  char reply[64];
  size_t len = 0;
  if (cw_ts_build_update(cw_device_settings().thingspeak_key, &s, body, sizeof body, &len) != CW_OK) {
    return;
  }
  const int status = cw_thingspeak_post(body, len, reply, sizeof reply);
  const cw_ts_outcome_t outcome = cw_ts_outcome(status, reply);
  cw_ts_on_outcome(&limiter, now, outcome);
  if (outcome == CW_TS_REFUSED) {
    log_e("thingspeak: the write key (ts_key setting) was refused (HTTP %d)", status);
  }
}

// Wi-Fi recovery beyond the driver's auto-reconnect (which gives up after some failures): after
// kWifiRejoinMs disconnected, drop the association and join again; each further failure waits twice
// as long, up to kWifiMaxMs. True while connected.
bool keep_wifi() {
  static unsigned long down_since_ms = 0;
  static unsigned long wait_ms = kWifiRejoinMs;
  const unsigned long now = millis();
  if (cw_device_settings().wifi_ssid[0] == '\0') {
    return false;  // not configured: the console says how
  }
  if (WiFi.status() == WL_CONNECTED) {
    down_since_ms = 0;
    wait_ms = kWifiRejoinMs;
    return true;
  }
  if (down_since_ms == 0) {
    down_since_ms = now;
  } else if (now - down_since_ms > wait_ms) {
    const cw_settings_t &settings = cw_device_settings();
    log_w("wifi: disconnected for %lu s: joining %s again", (now - down_since_ms) / 1000u, settings.wifi_ssid);
    WiFi.disconnect();
    WiFi.begin(settings.wifi_ssid, settings.wifi_password);
    down_since_ms = now;
    wait_ms = wait_ms * 2u < kWifiMaxMs ? wait_ms * 2u : kWifiMaxMs;
  }
  return false;
}

void sender_task(void *) {
  static uint8_t frames[kInFlight][CW_FRAME_MAX_BYTES];
  const uint8_t *ptrs[kInFlight];
  size_t lens[kInFlight];
  unsigned long last_send_ms = 0;
  unsigned long last_status_ms = 0;
  size_t in_flight = 0;
  watch_this_task("sender");
  for (;;) {
    esp_task_wdt_reset();
    log_health();
    if (!keep_wifi()) {
      g_online = false;
      spill(kRamKeepOffline);
      vTaskDelay(pdMS_TO_TICKS(500));
      continue;
    }
    keep_clock();
    if (cw_device_settings().server_host[0] == '\0') {
      if (cw_device_settings().thingspeak_key[0] != '\0') {
        standalone_thingspeak();
      }
      vTaskDelay(pdMS_TO_TICKS(500));
      continue;
    }
    CwTransport *transport = g_mqtt->ready() ? g_mqtt : g_http;
    transport->poll();
    g_online = transport->ready();
    if (!g_online) {
      spill(kRamKeepOffline);
      vTaskDelay(pdMS_TO_TICKS(500));
      continue;
    }
    spill(kRamKeepOnline);
    // the spool holds older frames than RAM: it is sent, and answered, first
    const bool from_spool = g_spool_ready && !cw_spool_empty(&g_spool);
    while (from_spool && cw_spool_peek_at(&g_spool, 0, frames[0], CW_FRAME_MAX_BYTES) > 0 &&
           is_acked(frame_seq(frames[0]))) {
      cw_spool_pop(&g_spool);
      in_flight = in_flight > 0 ? in_flight - 1 : 0;
    }
    // drop what the server answered for, oldest first
    portENTER_CRITICAL(&g_mux);
    while (cw_queue_count(&g_queue) > 0 && cw_queue_peek(&g_queue, frames[0], CW_FRAME_MAX_BYTES) > 0 &&
           is_acked(frame_seq(frames[0]))) {
      cw_queue_pop(&g_queue);
      in_flight = in_flight > 0 ? in_flight - 1 : 0;
    }
    portEXIT_CRITICAL(&g_mux);
    const unsigned long now = millis();
    if (in_flight == 0 || now - last_send_ms > kResendMs) {
      size_t n = 0;
      if (from_spool) {
        for (; n < kInFlight; ++n) {
          lens[n] = cw_spool_peek_at(&g_spool, n, frames[n], CW_FRAME_MAX_BYTES);
          if (lens[n] == 0) {
            break;
          }
          ptrs[n] = frames[n];
        }
      } else {
        portENTER_CRITICAL(&g_mux);
        for (; n < kInFlight; ++n) {
          lens[n] = cw_queue_peek_at(&g_queue, n, frames[n], CW_FRAME_MAX_BYTES);
          if (lens[n] == 0) {
            break;
          }
          ptrs[n] = frames[n];
        }
        portEXIT_CRITICAL(&g_mux);
      }
      if (n > 0) {
        g_n_acked = 0;
        if (transport->send(ptrs, lens, n)) {
          in_flight = n;
          last_send_ms = now;
        }
      }
    }
    if (now - last_status_ms > kStatusMs) {
      send_status(transport);
      last_status_ms = now;
    }
    vTaskDelay(pdMS_TO_TICKS(20));
  }
}

#if defined(CW_USE_DISPLAY) && CW_USE_DISPLAY
void display_task(void *) {
  watch_this_task("display");
  for (;;) {
    esp_task_wdt_reset();
    const cw_alarm_state_t alarm = alarm_now();
    CwDisplayState state;
    state.heart_rate_bpm = alarm.heart_rate_decibpm / 10.0;  // 0 (shown "--") once it has expired
    state.alert = (uint8_t)alarm.level;
    state.lead_off = alarm.cause == CW_ALARM_CAUSE_LEAD_OFF;
    state.signal = g_signal;
    const char *cause = cw_alarm_cause_name(alarm.cause);
    state.rhythm = cause[0] != '\0' ? cause : (alarm.heart_rate_decibpm > 0u ? "regular" : nullptr);
    state.wifi = WiFi.status() == WL_CONNECTED;
    state.server = g_online;
    state.thingspeak = cw_device_settings().server_host[0] == '\0' && cw_device_settings().thingspeak_key[0] != '\0';
    cw_display_draw(state);
    vTaskDelay(pdMS_TO_TICKS(50));  // 20 frames per second at most, never ahead of sampling
  }
}
#endif

}  // namespace

void cw_net_on_answer(const char *json, size_t len) {
  size_t n = 0;
  const size_t room = sizeof g_acked / sizeof g_acked[0] - g_n_acked;
  const cw_err_t err = cw_ack_parse(json, len, g_acked + g_n_acked, room, &n);
  if (err == CW_ERR_FORMAT) {
    log_w("net: unreadable server answer (%u bytes)", (unsigned)len);
    return;
  }
  g_n_acked += n < room ? n : room;
}

namespace {

// Firmware updates over Wi-Fi (ArduinoOTA, password required: no password set, no OTA), since the
// docs forbid USB while electrodes are attached. An update restarts the device when it completes.
void keep_ota() {
  static bool started = false;
  const cw_settings_t &settings = cw_device_settings();
  if (settings.ota_password[0] == '\0' || WiFi.status() != WL_CONNECTED) {
    return;
  }
  if (!started) {
    static char host[32];
    snprintf(host, sizeof host, "cardiowatch-%" PRIu32, settings.device_id);
    ArduinoOTA.setHostname(host);
    ArduinoOTA.setPassword(settings.ota_password);
    ArduinoOTA.onStart([]() {
      // receiving the image blocks loop() for longer than the watchdog allows
      esp_task_wdt_delete(nullptr);
      log_w("ota: update starting; the device restarts when it completes");
    });
    ArduinoOTA.onError([](ota_error_t error) {
      log_e("ota: update failed (%d); the running firmware stays", (int)error);
      watch_this_task("loop");
    });
    ArduinoOTA.begin();
    started = true;
    log_i("ota: listening as %s", host);
  }
  ArduinoOTA.handle();
}

}  // namespace

void setup() {
  Serial.begin(115200);
  Serial.println("cardiowatch - not a medical device");
  cw_settings_begin();
  cw_portal_run_if_needed();  // before the watchdog and sampling: it blocks, and its access point adds ADC noise
  // Arduino starts the task watchdog (5 s); a ThingSpeak TLS POST may block for 10 s, hence a longer one
  esp_task_wdt_config_t wdt = {};
  wdt.timeout_ms = kWatchdogMs;
  wdt.idle_core_mask = 1u << 0;  // core 0's idle task, as Arduino's default
  wdt.trigger_panic = true;      // a stuck task restarts the device rather than leaving it silent
  if (esp_task_wdt_reconfigure(&wdt) != ESP_OK) {
    log_e("task watchdog not reconfigured");
  }
  watch_this_task("loop");
  if (CW_LED_PIN >= 0) {
    pinMode(CW_LED_PIN, OUTPUT);
  }
  g_prefs.begin("cardiowatch", false);
  cw_ring_init(&g_ring, g_ring_storage, kRingSamples);
  cw_queue_init(&g_queue, g_queue_arena, sizeof g_queue_arena);
  if (cw_device_settings().server_host[0] != '\0') {
    g_spool_ready = cw_spool_begin(&g_spool);  // frames from before a reboot are sent first
  }
  g_sensor = cw_sensor_create();
  if (!g_sensor->begin()) {
    log_e("sensor failed to start: blinking the LED, not streaming");
    for (;;) {
      esp_task_wdt_reset();
      if (CW_LED_PIN >= 0) {
        digitalWrite(CW_LED_PIN, HIGH);
        delay(100);
        digitalWrite(CW_LED_PIN, LOW);
      }
      delay(900);
    }
  }
  g_mqtt = cw_mqtt_transport();
  g_http = cw_http_transport();
  WiFi.mode(WIFI_STA);  // station only: access-point mode puts spikes on the ADC
  WiFi.setAutoReconnect(true);
  const cw_settings_t &settings = cw_device_settings();
  if (settings.wifi_ssid[0] != '\0') {
    WiFi.begin(settings.wifi_ssid, settings.wifi_password);
  }
  xTaskCreatePinnedToCore(sampler_task, "cw_sampler", 4096, nullptr, 5, &g_sampler_task, 1);
  g_tasks[0] = g_sampler_task;
  xTaskCreatePinnedToCore(framer_task, "cw_framer", 8192, nullptr, 3, &g_tasks[1], 0);
  xTaskCreatePinnedToCore(sender_task, "cw_sender", 8192, nullptr, 2, &g_tasks[2], 0);
#if defined(CW_USE_DISPLAY) && CW_USE_DISPLAY
  cw_display_begin(g_sensor->timer_hz());
  xTaskCreatePinnedToCore(display_task, "cw_display", 4096, nullptr, 1, &g_tasks[3], 0);
#endif
  start_timer(g_sensor->timer_hz());
}

void loop() {
  // The local warning, with the network down too: each alarm level has its own LED and buzzer pattern
  // (cw_alarm_output), timed from the moment the level began.
  static cw_alarm_level_t shown = CW_ALARM_NONE;
  static unsigned long onset_ms = 0;
  static bool sounding = false;
  esp_task_wdt_reset();
  cw_settings_poll();
  keep_ota();
  const cw_alarm_level_t level = alarm_now().level;
  const unsigned long now = millis();
  if (level != shown) {
    shown = level;
    onset_ms = now;
  }
  const cw_alarm_output_t out = cw_alarm_output(level, (uint32_t)(now - onset_ms));
  if (CW_LED_PIN >= 0) {
    digitalWrite(CW_LED_PIN, out.led_on ? HIGH : LOW);
  }
  if (CW_BUZZER_PIN >= 0 && out.buzzer_on != sounding) {
    if (out.buzzer_on) {
      tone(CW_BUZZER_PIN, 2000);
    } else {
      noTone(CW_BUZZER_PIN);
    }
    sounding = out.buzzer_on;
  }
  delay(25);  // the patterns' beeps are 150 ms on, 100 ms off
}
