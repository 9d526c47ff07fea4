// display.cpp - the thin TFT_eSPI layer of the optional ST7789 display. Layout, colours and the sweep
// buffer are the portable core's (cw_display, host-tested); this file turns them into draw calls.
// Drawing runs in its own low-priority task and redraws only what changed, so it never delays sampling.
#include "config.h"
#include "display.h"

#if defined(CW_USE_DISPLAY) && CW_USE_DISPLAY

#include <Arduino.h>
#include <TFT_eSPI.h>

// The heart rate is drawn in font 7 (7-segment digits); TFT_eSPI draws nothing in a font it was not
// built with, so a build without it would show no heart rate at all.
#if !defined(LOAD_FONT7)
#error "the display needs TFT_eSPI font 7: add -DLOAD_FONT7=1 to the env's build_flags (platformio.ini)"
#endif

#include "cw_display.h"
#include "cw_ppg_quality.h"

namespace {

const uint32_t kSweepSeconds = 4;
// Landscape: a 240x320 panel shows 320x240, a 240x240 one 240x240 (TFT_eSPI applies its row offset).
const uint8_t kRotation = 1;
// Below this width the status bar splits over two lines (font 1 is 6 pixels a character).
const int16_t kWideStatus = 300;
const uint16_t kTraceColor = 0x07FF;  // cyan
const uint16_t kMarkColor = 0xFFFF;

TFT_eSPI g_tft;
cw_layout_t g_layout;
bool g_ready = false;  // a layout fits the panel
cw_sweep_t g_sweep;
portMUX_TYPE g_sweep_mux = portMUX_INITIALIZER_UNLOCKED;
CwDisplayState g_shown = {-1.0, 255, nullptr, false, false, false, false};

void draw_text_box(const cw_rect_t &r, const char *text, uint16_t color, uint8_t font) {
  g_tft.fillRect(r.x, r.y, r.w, r.h, TFT_BLACK);
  g_tft.setTextColor(color, TFT_BLACK);
  g_tft.setTextDatum(MC_DATUM);
  g_tft.drawString(text, r.x + r.w / 2, r.y + r.h / 2, font);
}

}  // namespace

void cw_display_begin(uint32_t fs_hz) {
  g_tft.init();  // also switches the backlight on when the build sets TFT_BL
  g_tft.setRotation(kRotation);
  g_tft.fillScreen(TFT_BLACK);
  // the layout follows the panel the build describes (TFT_WIDTH x TFT_HEIGHT, as rotated)
  const int16_t width = g_tft.width();
  const int16_t height = g_tft.height();
  g_ready = cw_display_layout_for(width, height, &g_layout) == CW_OK &&
            cw_sweep_init(&g_sweep, fs_hz, kSweepSeconds, (uint16_t)g_layout.sweep.w, g_layout.sweep.h) == CW_OK;
  if (!g_ready) {
    log_e("display: no layout for a %dx%d panel (160 to 320 pixels wide)", width, height);
  }
}

void cw_display_samples(const int32_t *x, size_t n) {
  portENTER_CRITICAL(&g_sweep_mux);
  cw_sweep_push(&g_sweep, x, n);
  portEXIT_CRITICAL(&g_sweep_mux);
}

void cw_display_beat(int64_t sample) {
  portENTER_CRITICAL(&g_sweep_mux);
  cw_sweep_mark(&g_sweep, sample);
  portEXIT_CRITICAL(&g_sweep_mux);
}

void cw_display_draw(const CwDisplayState &state) {
  if (!g_ready) {
    return;
  }
  const cw_layout_t *layout = &g_layout;
  const uint16_t alert_color = cw_display_alert_color(state.alert);
  char text[64];
  if (state.heart_rate_bpm != g_shown.heart_rate_bpm || state.alert != g_shown.alert) {
    if (state.heart_rate_bpm > 0.0) {
      snprintf(text, sizeof text, "%.0f", state.heart_rate_bpm);
    } else {
      snprintf(text, sizeof text, "--");
    }
    draw_text_box(layout->rate, text, alert_color, 7);
  }
  // a PPG signal that is not good replaces the rhythm (no rhythm is judged from it): "no finger", ...
  const cw_signal_state_t signal = (cw_signal_state_t)state.signal;
  const bool bad_signal = signal != CW_SIGNAL_UNKNOWN && signal != CW_SIGNAL_GOOD;
  if (state.rhythm != g_shown.rhythm || state.alert != g_shown.alert || state.lead_off != g_shown.lead_off ||
      state.signal != g_shown.signal) {
    const char *words = state.lead_off ? "lead off"
                        : bad_signal   ? cw_signal_state_name(signal)
                                       : (state.rhythm ? state.rhythm : "learning");
    draw_text_box(layout->rhythm, words, alert_color, 2);
  }
  if (state.wifi != g_shown.wifi || state.server != g_shown.server || state.thingspeak != g_shown.thingspeak ||
      state.signal != g_shown.signal) {
    snprintf(text, sizeof text, "WiFi %s srv %s TS %s PPG %s", state.wifi ? "ok" : "--",
             state.server ? "ok" : "--", state.thingspeak ? "ok" : "--", cw_signal_state_name(signal));
    if (layout->status.w >= kWideStatus) {
      strncat(text, "  not a medical device", sizeof text - strlen(text) - 1);
      draw_text_box(layout->status, text, TFT_WHITE, 1);
    } else {  // two lines of font 1 in the 24-pixel bar
      const cw_rect_t top = {layout->status.x, layout->status.y, layout->status.w, (int16_t)(layout->status.h / 2)};
      const cw_rect_t bottom = {top.x, (int16_t)(top.y + top.h), top.w, (int16_t)(layout->status.h - top.h)};
      draw_text_box(top, text, TFT_WHITE, 1);
      draw_text_box(bottom, "not a medical device", TFT_WHITE, 1);
    }
  }
  g_shown = state;
  // the sweep: only the columns that changed since the last frame, and the gap ahead of the cursor
  int16_t ys[CW_SWEEP_COLUMNS];
  uint8_t marks[CW_SWEEP_COLUMNS];
  uint8_t gaps[CW_SWEEP_COLUMNS];
  uint16_t from = 0;
  portENTER_CRITICAL(&g_sweep_mux);
  const uint16_t n = cw_sweep_dirty(&g_sweep, &from);
  for (uint16_t k = 0; k < n; ++k) {
    const uint16_t x = (uint16_t)((from + k) % g_sweep.columns);
    ys[k] = g_sweep.y[x];
    marks[k] = g_sweep.beat[x];
    gaps[k] = (uint8_t)cw_sweep_is_gap(&g_sweep, x);
  }
  portEXIT_CRITICAL(&g_sweep_mux);
  const cw_rect_t &area = layout->sweep;
  for (uint16_t k = 0; k < n; ++k) {
    const int32_t x = area.x + (int32_t)((from + k) % g_sweep.columns);
    g_tft.drawFastVLine(x, area.y, area.h, TFT_BLACK);
    if (gaps[k]) {
      continue;
    }
    const int32_t prev_y = k > 0 ? ys[k - 1] : ys[k];
    g_tft.drawLine(x - 1, area.y + prev_y, x, area.y + ys[k], kTraceColor);
    if (marks[k]) {
      g_tft.drawFastVLine(x, area.y, 6, kMarkColor);
    }
  }
}

#endif
