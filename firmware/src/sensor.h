// sensor.h - one interface for every heart sensor cardiowatch supports.
//
// The seam between hardware and the portable core is data: a sensor reads the hardware and returns
// samples; the sampling task pushes them into the core's ring buffer. Nothing in firmware/core/ knows
// which sensor (or which board) it runs on.
#pragma once

#include <stddef.h>
#include <stdint.h>

// Condition bits a sensor reports with its samples (they end up in the frame's flags).
#define CW_SENSOR_LEAD_OFF 0x01u
#define CW_SENSOR_CLIPPED 0x02u

class CwSensor {
 public:
  virtual ~CwSensor() {}
  // Set the hardware up; false (logged, with the reason) when it does not answer. The device then
  // shows the fault instead of streaming garbage.
  virtual bool begin() = 0;
  // cw_sensor_t code of the frames (docs/protocol.md).
  virtual uint8_t kind() const = 0;
  // Values per sample instant (2 for red + IR).
  virtual uint8_t channels() const { return 1; }
  // True when the sensor buffers its own samples (the MAX30102's FIFO): a late timer tick then loses
  // nothing. False for a sensor read once per tick (the ADC sensors), whose missed ticks are counted.
  virtual bool buffered() const { return false; }
  // Rate the sampling timer runs at (for the MAX30102: how often its FIFO is drained).
  virtual uint32_t timer_hz() const = 0;
  // Rate the samples really come at, in mHz (the MAX30102 measures it from timestamps).
  virtual uint32_t fs_millihz() const = 0;
  // Nanovolts per count at the sensor input; 0 for arbitrary units (PPG).
  virtual uint32_t scale_nv() const = 0;
  // Called from the sampling task on every timer tick: writes whole sample instants (channels values
  // each) to `values`, at most `cap` values, ORs CW_SENSOR_* bits into `*flags`, returns the number of
  // sample instants written.
  virtual size_t sample(int32_t *values, size_t cap, uint8_t *flags) = 0;
  // The output values at which the sensor saturates (the PPG quality stage rates a window touching them
  // "saturated"); false when the sensor has none worth checking.
  virtual bool rails(int32_t *lo, int32_t *hi) const {
    (void)lo;
    (void)hi;
    return false;
  }
};

// The sensor chosen by CW_SENSOR in config.h (one static instance, never freed).
CwSensor *cw_sensor_create();
