// sensor_max30102.cpp - MAX30102 PPG (red + IR) over I2C (SDA 21, SCL 22) with the SparkFun library.
//
// The sensor samples on its own clock into a 32-sample FIFO; the timer only says when to drain it
// (every 10 ms, well before it overflows). Its real rate differs from the one set, so it is measured
// from timestamps and sent in every frame.
#include "config.h"

#if CW_SENSOR == CW_SENSOR_KIND_MAX30102

#include <Arduino.h>
#include <MAX30105.h>
#include <Wire.h>

#include "cw_frame.h"
#include "sensor.h"

namespace {

const int kSdaPin = 21;
const int kSclPin = 22;
const int kSetRateHz = 100;        // with sampleAverage 1: 100 Hz really delivered (25 Hz with averaging 4)
const uint32_t kDrainHz = 100;     // FIFO drains per second
const int64_t kRateWindowUs = 10 * 1000000LL;
const uint32_t kFullScale = 262143;  // 18 bits

class Max30102Sensor : public CwSensor {
 public:
  bool begin() override {
    Wire.begin(kSdaPin, kSclPin);
    if (!sensor_.begin(Wire, I2C_SPEED_FAST)) {
      log_e("max30102: no answer on I2C (SDA %d, SCL %d): check wiring and 3.3 V", kSdaPin, kSclPin);
      return false;
    }
    // LED power 0x1F, sampleAverage 1, ledMode 2 (red + IR), 100 Hz, pulse width 411 us, ADC range 4096 nA
    sensor_.setup(0x1F, 1, 2, kSetRateHz, 411, 4096);
    window_start_us_ = esp_timer_get_time();
    return true;
  }
  uint8_t kind() const override { return CW_SENSOR_PPG_RED_IR; }
  uint8_t channels() const override { return 2; }
  bool buffered() const override { return true; }
  uint32_t timer_hz() const override { return kDrainHz; }
  uint32_t fs_millihz() const override { return measured_millihz_; }
  uint32_t scale_nv() const override { return 0; }
  size_t sample(int32_t *values, size_t cap, uint8_t *flags) override {
    size_t n = 0;
    sensor_.check();  // reads whatever the FIFO holds into the library's buffer
    while (sensor_.available() && 2 * (n + 1) <= cap) {
      const uint32_t red = sensor_.getFIFORed();
      const uint32_t ir = sensor_.getFIFOIR();
      if (red >= kFullScale || ir >= kFullScale) {
        *flags |= CW_SENSOR_CLIPPED;
      }
      values[2 * n] = (int32_t)red;
      values[2 * n + 1] = (int32_t)ir;
      sensor_.nextSample();
      ++n;
    }
    measure(n);
    return n;
  }

 private:
  void measure(size_t n) {
    window_count_ += n;
    const int64_t now = esp_timer_get_time();
    if (now - window_start_us_ >= kRateWindowUs) {
      measured_millihz_ = (uint32_t)((window_count_ * 1000000000ULL) / (uint64_t)(now - window_start_us_));
      window_start_us_ = now;
      window_count_ = 0;
    }
  }

  MAX30105 sensor_;
  int64_t window_start_us_ = 0;
  uint64_t window_count_ = 0;
  uint32_t measured_millihz_ = kSetRateHz * 1000u;  // until the first 10 s are measured
};

}  // namespace

CwSensor *cw_sensor_create() {
  static Max30102Sensor sensor;
  return &sensor;
}

#endif
