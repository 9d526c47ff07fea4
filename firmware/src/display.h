// display.h - the optional ST7789 display (build with -DCW_USE_DISPLAY=1, env esp32dev-tft).
// What goes where is decided by the portable core (cw_display); display.cpp only draws it.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct CwDisplayState {
  double heart_rate_bpm;  // 0: unknown
  uint8_t alert;          // 0 none, 1 technical, 2 warning, 3 critical
  const char *rhythm;     // in words
  bool wifi, server, thingspeak, lead_off;
  uint8_t signal = 0;     // cw_signal_state_t of a PPG sensor (0 unknown: ECG, or nothing rated yet)
};

#if defined(CW_USE_DISPLAY) && CW_USE_DISPLAY
void cw_display_begin(uint32_t fs_hz);
// From the framer task: the samples shown in the sweep, and the beats to mark.
void cw_display_samples(const int32_t *x, size_t n);
void cw_display_beat(int64_t sample);
// From the display task (its own, low priority): draw what changed, bounded work per call.
void cw_display_draw(const CwDisplayState &state);
#else
inline void cw_display_begin(uint32_t) {}
inline void cw_display_samples(const int32_t *, size_t) {}
inline void cw_display_beat(int64_t) {}
inline void cw_display_draw(const CwDisplayState &) {}
#endif
