// sensor_ad8232.cpp - AD8232 single-lead ECG front end on ADC1 (GPIO34), lead-off on GPIO32/33.
#include "config.h"

#if CW_SENSOR == CW_SENSOR_KIND_AD8232

#include <Arduino.h>

#include "cw_frame.h"
#include "sensor.h"

namespace {

const uint8_t kOutputPin = 34;  // ADC1_CH6: ADC2 pins are unusable while Wi-Fi is on
const uint8_t kLeadOffPlusPin = 32;
const uint8_t kLeadOffMinusPin = 33;
// AD8232 gain: instrumentation amplifier 100 x output stage 11 (SparkFun board) = 1100, so one mV at the
// ADC is 1e6 / 1100 nV at the electrodes.
const uint32_t kGain = 1100;
const uint32_t kNanovoltsPerMillivolt = 1000000u;
// The ESP32 ADC is non-linear within ~100 mV of its rails (11 dB attenuation: 0-3.1 V).
const uint32_t kRailLowMv = 100;
const uint32_t kRailHighMv = 3000;

class Ad8232Sensor : public CwSensor {
 public:
  bool begin() override {
    pinMode(kLeadOffPlusPin, INPUT);
    pinMode(kLeadOffMinusPin, INPUT);
    analogReadResolution(12);
    analogSetPinAttenuation(kOutputPin, ADC_11db);  // 0-3.1 V (ESP-IDF calls this setting ADC_ATTEN_DB_12)
    const uint32_t mv = analogReadMilliVolts(kOutputPin);
    if (mv == 0) {
      log_e("ad8232: output pin %u reads 0 mV: check wiring (OUTPUT -> GPIO34, 3.3 V, GND)", kOutputPin);
    }
    return true;  // a 0 V reading can be a lead-off: stream it, flagged, rather than refuse
  }
  uint8_t kind() const override { return CW_SENSOR_ECG; }
  uint32_t timer_hz() const override { return CW_ECG_FS_HZ; }
  uint32_t fs_millihz() const override { return CW_ECG_FS_HZ * 1000u; }
  uint32_t scale_nv() const override { return (kNanovoltsPerMillivolt + kGain / 2) / kGain; }
  size_t sample(int32_t *values, size_t cap, uint8_t *flags) override {
    if (cap < 1) {
      return 0;
    }
    const uint32_t mv = analogReadMilliVolts(kOutputPin);
    if (digitalRead(kLeadOffPlusPin) == HIGH || digitalRead(kLeadOffMinusPin) == HIGH) {
      *flags |= CW_SENSOR_LEAD_OFF;
    }
    if (mv <= kRailLowMv || mv >= kRailHighMv) {
      *flags |= CW_SENSOR_CLIPPED;
    }
    values[0] = (int32_t)mv;
    return 1;
  }
};

}  // namespace

CwSensor *cw_sensor_create() {
  static Ad8232Sensor sensor;
  return &sensor;
}

#endif
