/* Stub of Bodmer/TFT_eSPI 2.5 (syntax check only). Pins, panel size and fonts come from build flags
 * (platformio.ini); the glue refuses to build a display without font 7 (the heart-rate digits). */
#pragma once
#include "Arduino.h"
#ifndef TFT_WIDTH
// unverified: tft-espi
#define TFT_WIDTH 240
#endif
#ifndef TFT_HEIGHT
// unverified: tft-espi
#define TFT_HEIGHT 320
#endif
// unverified: tft-espi
#define TFT_BLACK       0x0000
// unverified: tft-espi
#define TFT_WHITE       0xFFFF
// unverified: tft-espi
#define MC_DATUM 4
// unverified: tft-espi
class TFT_eSPI {
 public:
  // unverified: tft-espi
  TFT_eSPI(int16_t _W = TFT_WIDTH, int16_t _H = TFT_HEIGHT);
  // unverified: tft-espi
  void init(uint8_t tc = 0);
  // unverified: tft-espi
  void setRotation(uint8_t r);
  // unverified: tft-espi
  void fillScreen(uint32_t color);
  // unverified: tft-espi
  void fillRect(int32_t x, int32_t y, int32_t w, int32_t h, uint32_t color);
  // unverified: tft-espi
  void drawFastVLine(int32_t x, int32_t y, int32_t h, uint32_t color);
  // unverified: tft-espi
  void drawLine(int32_t xs, int32_t ys, int32_t xe, int32_t ye, uint32_t color);
  // unverified: tft-espi
  void setTextColor(uint16_t fgcolor, uint16_t bgcolor, bool bgfill = false);
  // unverified: tft-espi
  void setTextDatum(uint8_t datum);
  // unverified: tft-espi
  int16_t drawString(const char *string, int32_t x, int32_t y, uint8_t font);
  // unverified: tft-espi
  int16_t width(void);
  // unverified: tft-espi
  int16_t height(void);
};
