// sensor_pulse.cpp - analog pulse sensor (PPG) on ADC1 (GPIO34), calibrated millivolts.
//
// No fixed threshold anywhere: the core's adaptive pulse detector follows finger pressure, baseline
// drift and gain (docs/hardware.md, "from your current sketch to cardiowatch").
#include "config.h"

#if CW_SENSOR == CW_SENSOR_KIND_PULSE

#include <Arduino.h>

#include "cw_frame.h"
#include "sensor.h"

namespace {

const uint8_t kSignalPin = 34;  // ADC1_CH6
const uint32_t kRailLowMv = 100;
const uint32_t kRailHighMv = 3000;

class PulseSensor : public CwSensor {
 public:
  bool begin() override {
    analogReadResolution(12);
    analogSetPinAttenuation(kSignalPin, ADC_11db);  // 0-3.1 V (ESP-IDF calls this setting ADC_ATTEN_DB_12)
    return true;
  }
  uint8_t kind() const override { return CW_SENSOR_PPG_ANALOG; }
  uint32_t timer_hz() const override { return CW_PULSE_FS_HZ; }
  uint32_t fs_millihz() const override { return CW_PULSE_FS_HZ * 1000u; }
  uint32_t scale_nv() const override { return 0; }
  size_t sample(int32_t *values, size_t cap, uint8_t *flags) override {
    if (cap < 1) {
      return 0;
    }
    const uint32_t mv = analogReadMilliVolts(kSignalPin);
    if (mv <= kRailLowMv || mv >= kRailHighMv) {
      *flags |= CW_SENSOR_CLIPPED;
    }
    values[0] = (int32_t)mv;
    return 1;
  }
  bool rails(int32_t *lo, int32_t *hi) const override {
    *lo = (int32_t)kRailLowMv;
    *hi = (int32_t)kRailHighMv;
    return true;
  }
};

}  // namespace

CwSensor *cw_sensor_create() {
  static PulseSensor sensor;
  return &sensor;
}

#endif
