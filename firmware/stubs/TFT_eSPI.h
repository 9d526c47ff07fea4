/* Stub of Bodmer/TFT_eSPI 2.5 (syntax check only). Pins come from build flags (platformio.ini). */
#pragma once
#include "Arduino.h"
#define TFT_BLACK 0x0000
#define TFT_WHITE 0xFFFF
#define TL_DATUM 0
#define MC_DATUM 4
class TFT_eSPI {
 public:
  TFT_eSPI(int16_t w = 240, int16_t h = 320);
  void init(uint8_t tc = 0);
  void setRotation(uint8_t r);
  void fillScreen(uint32_t color);
  void fillRect(int32_t x, int32_t y, int32_t w, int32_t h, uint32_t color);
  void drawFastVLine(int32_t x, int32_t y, int32_t h, uint32_t color);
  void drawLine(int32_t x0, int32_t y0, int32_t x1, int32_t y1, uint32_t color);
  void setTextColor(uint16_t fgcolor, uint16_t bgcolor);
  void setTextDatum(uint8_t datum);
  int16_t drawString(const char *string, int32_t x, int32_t y, uint8_t font);
  int16_t width();
  int16_t height();
};
